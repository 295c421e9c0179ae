/*
 * jsonl.c - JSON lines: line reader, in-place row parser, batch writer.
 *
 * The row parser is a small strict JSON parser (RFC 8259: strings with
 * escapes and valid UTF-8, numbers, literals, nesting) that never builds a
 * tree. Scalars are handed to the column as text spans of the line; only
 * strings with escapes and nested values that contain white space are
 * copied, into the caller's scratch buffer. Numbers therefore keep every
 * digit, which a double-based parser would lose for wide decimals and
 * 64-bit integers.
 */
#include "jsonl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/* Bytes requested from the read callback at a time. */
#define JSONL_BLOCK ((size_t)256 << 10)
/* Deepest nesting accepted inside a value (keeps recursion bounded). */
#define JSONL_MAX_DEPTH 512

/* --- errors ---------------------------------------------------------------- */

struct jctx {
	const char *file;
	uint64_t line;
	struct dxt_error *err;
};

/* "in.jsonl: line 4" or "line 4" when no file name is known. */
static void where(const struct jctx *x, char *buf, size_t len)
{
	if (x->file != NULL)
		snprintf(buf, len, "%s: line %" PRIu64, x->file, x->line);
	else
		snprintf(buf, len, "line %" PRIu64, x->line);
}

static int field_fail(const struct jctx *x, const struct dxt_field *f,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int field_fail(const struct jctx *x, const struct dxt_field *f,
		      const char *fmt, ...)
{
	char at[512], msg[DXT_ERROR_MSG_MAX];
	va_list ap;

	where(x, at, sizeof(at));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dxt_error_set(x->err, DXT_ETYPE, "%s, field %s: %s", at, f->name,
			     msg);
}

/* --- converting one value into a column ----------------------------------- */

enum jkind {
	JK_STRING, /* text is the unescaped string */
	JK_NUMBER, /* text is the number as written */
	JK_BOOL,   /* text is "true" or "false" */
	JK_NESTED  /* text is compact JSON of an object or array */
};

static const char *kind_name(enum jkind k, const char *text)
{
	switch (k) {
	case JK_STRING:
		return "a string";
	case JK_NUMBER:
		return "a number";
	case JK_BOOL:
		return "a boolean";
	case JK_NESTED:
		return text[0] == '[' ? "an array" : "an object";
	}
	return "a value";
}

static int col_bytes(const struct jctx *x, const struct dxt_field *f,
		     struct dxt_column *c, const char *p, size_t n)
{
	int rc = dxt_col_append_bytes(c, p, n);

	if (rc == DXT_ELIMIT)
		return field_fail(x, f, "the batch column would exceed 2 GiB");
	if (rc != DXT_OK)
		return dxt_error_set(x->err, rc, "out of memory");
	return DXT_OK;
}

/*
 * Appends one non-null value. `text`/`n` is its text form (see enum jkind);
 * `json`/`jn` the same value as JSON text, used by json fields.
 */
static int put_value(const struct jctx *x, const struct dxt_field *f,
		     struct dxt_column *c, enum jkind k, const char *text,
		     size_t n, const char *json, size_t jn)
{
	char why[256], tname[64];
	int rc;

	switch (f->type) {
	case DXT_TYPE_JSON:
		return col_bytes(x, f, c, json, jn);
	case DXT_TYPE_STRING:
		return col_bytes(x, f, c, text, n);
	case DXT_TYPE_BOOL:
		if (k == JK_BOOL) {
			if (dxt_col_append_bool(c, text[0] == 't') != DXT_OK)
				return dxt_error_set(x->err, DXT_ENOMEM,
						     "out of memory");
			return DXT_OK;
		}
		break;
	default:
		break;
	}
	if (k == JK_NESTED) {
		dxt_field_type_string(f, tname, sizeof(tname));
		return field_fail(x, f, "expected a %s, found %s", tname,
				  kind_name(k, text));
	}
	why[0] = '\0';
	rc = dxt_value_parse_append(c, f, text, n, why, sizeof(why));
	if (rc == DXT_ETYPE)
		return field_fail(x, f, "%s", why);
	if (rc != DXT_OK)
		return dxt_error_set(x->err, rc, "out of memory");
	return DXT_OK;
}

static int put_null(const struct jctx *x, const struct dxt_field *f,
		    struct dxt_column *c, bool missing)
{
	if (!f->nullable)
		return field_fail(x, f, "%s, and the field is not nullable",
				  missing ? "missing" : "null");
	if (dxt_col_append_null(c) != DXT_OK)
		return dxt_error_set(x->err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

/* Appends nulls to the columns the row did not name, then ends the row. */
static int finish_row(const struct jctx *x, struct dxt_batch *b)
{
	for (size_t i = 0; i < b->ncols; i++) {
		if (b->cols[i].length > b->nrows)
			continue;
		DXT_RETURN_NOT_OK(put_null(x, &b->schema->fields[i],
					   &b->cols[i], true));
	}
	dxt_batch_end_row(b);
	return DXT_OK;
}

/* --- the in-place parser --------------------------------------------------- */

struct jp {
	struct jctx x;
	const char *s;   /* start of the line, for columns */
	const char *p;
	const char *end;
	struct dxt_buf *scratch;
	bool ws;         /* white space seen inside the current nested value */
	int depth;
};

static int jp_fail_at(struct jp *j, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int jp_fail_at(struct jp *j, const char *at, const char *fmt, ...)
{
	char pos[512], msg[DXT_ERROR_MSG_MAX];
	va_list ap;

	where(&j->x, pos, sizeof(pos));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dxt_error_set(j->x.err, DXT_EPARSE, "%s, column %zu: %s", pos,
			     (size_t)(at - j->s) + 1, msg);
}

static bool skip_ws(struct jp *j)
{
	const char *p = j->p;

	while (p < j->end &&
	       (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p == j->p)
		return false;
	j->p = p;
	return true;
}

static int peek(const struct jp *j)
{
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

size_t dxt_utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4)
		return 0;
	need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if ((size_t)(end - p) < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) ||
	    (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
		return 0;
	return need;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

/*
 * Scans the string whose opening quote is at j->p, validating escapes,
 * control characters and UTF-8. Leaves j->p after the closing quote and
 * returns the span between the quotes.
 */
static int scan_string(struct jp *j, const char **inner, size_t *n,
		       bool *escaped)
{
	const unsigned char *p = (const unsigned char *)j->p + 1;
	const unsigned char *end = (const unsigned char *)j->end;
	const char *open = j->p;
	bool esc = false;

	for (;;) {
		unsigned c;
		size_t k;

		if (p >= end)
			return jp_fail_at(j, open, "unterminated string");
		c = *p;
		if (c == '"')
			break;
		if (c == '\\') {
			unsigned u;

			esc = true;
			if (end - p < 2)
				return jp_fail_at(j, open, "unterminated string");
			c = p[1];
			if (c == 'u') {
				if (end - p < 6 || !hex4((const char *)p + 2, &u))
					return jp_fail_at(j, (const char *)p,
							  "\\u needs four hex "
							  "digits");
				p += 6;
				continue;
			}
			if (c != '"' && c != '\\' && c != '/' && c != 'b' &&
			    c != 'f' && c != 'n' && c != 'r' && c != 't')
				return jp_fail_at(j, (const char *)p,
						  "invalid escape \\%c in a "
						  "string", c >= 0x20 && c < 0x7f
								? (char)c : '?');
			p += 2;
			continue;
		}
		if (c < 0x20)
			return jp_fail_at(j, (const char *)p,
					  "control character 0x%02x in a "
					  "string (must be escaped)", c);
		if (c < 0x80) {
			p++;
			continue;
		}
		k = dxt_utf8_seq(p, end);
		if (k == 0)
			return jp_fail_at(j, (const char *)p,
					  "invalid UTF-8 in a string");
		p += k;
	}
	*inner = open + 1;
	*n = (size_t)((const char *)p - open - 1);
	*escaped = esc;
	j->p = (const char *)p + 1;
	return DXT_OK;
}

static void put_utf8(uint8_t *o, size_t *len, unsigned cp)
{
	size_t n = *len;

	if (cp < 0x80) {
		o[n++] = (uint8_t)cp;
	} else if (cp < 0x800) {
		o[n++] = (uint8_t)(0xC0 | cp >> 6);
		o[n++] = (uint8_t)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		o[n++] = (uint8_t)(0xE0 | cp >> 12);
		o[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		o[n++] = (uint8_t)(0x80 | (cp & 0x3F));
	} else {
		o[n++] = (uint8_t)(0xF0 | cp >> 18);
		o[n++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
		o[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		o[n++] = (uint8_t)(0x80 | (cp & 0x3F));
	}
	*len = n;
}

/*
 * Decodes the escapes of a scanned (hence well-formed) string into the
 * scratch buffer. The result is never longer than the input.
 */
static int unescape(struct jp *j, const char *s, size_t n)
{
	struct dxt_buf *o = j->scratch;
	const char *end = s + n;

	o->len = 0;
	if (dxt_buf_reserve(o, n + 1) != DXT_OK)
		return dxt_error_set(j->x.err, DXT_ENOMEM, "out of memory");
	while (s < end) {
		const char *bs = memchr(s, '\\', (size_t)(end - s));
		unsigned cp, lo;

		if (bs == NULL)
			bs = end;
		memcpy(o->data + o->len, s, (size_t)(bs - s));
		o->len += (size_t)(bs - s);
		if (bs == end)
			break;
		switch (bs[1]) {
		case 'b': o->data[o->len++] = '\b'; break;
		case 'f': o->data[o->len++] = '\f'; break;
		case 'n': o->data[o->len++] = '\n'; break;
		case 'r': o->data[o->len++] = '\r'; break;
		case 't': o->data[o->len++] = '\t'; break;
		case 'u':
			hex4(bs + 2, &cp);
			s = bs + 6;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return jp_fail_at(j, bs, "unpaired UTF-16 "
						  "surrogate \\u%04x", cp);
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				    !hex4(s + 2, &lo) || lo < 0xDC00 ||
				    lo > 0xDFFF)
					return jp_fail_at(j, bs, "unpaired "
							  "UTF-16 surrogate "
							  "\\u%04x", cp);
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				s += 6;
			}
			put_utf8(o->data, &o->len, cp);
			continue;
		default: /* '"', '\\' and '/' stand for themselves */
			o->data[o->len++] = (uint8_t)bs[1];
			break;
		}
		s = bs + 2;
	}
	return DXT_OK;
}

static int scan_number(struct jp *j)
{
	const char *p = j->p, *end = j->end, *start = j->p;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return jp_fail_at(j, start, "invalid number");
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return jp_fail_at(j, start, "invalid number: digits "
					  "must follow the decimal point");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return jp_fail_at(j, start, "invalid number: exponent "
					  "without digits");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	j->p = p;
	return DXT_OK;
}

/* Matches true, false or null at j->p; *which gets 't', 'f' or 'n'. */
static int scan_literal(struct jp *j, int *which)
{
	static const char *const lits[] = {"true", "false", "null"};
	size_t left = (size_t)(j->end - j->p);

	for (int i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);
		if (left >= n && memcmp(j->p, lits[i], n) == 0) {
			*which = lits[i][0];
			j->p += n;
			return DXT_OK;
		}
	}
	return jp_fail_at(j, j->p, "invalid literal (expected true, false "
			  "or null)");
}

static int unexpected(struct jp *j, const char *what)
{
	int c = peek(j);

	if (c < 0)
		return jp_fail_at(j, j->p, "the line ends where %s was "
				  "expected", what);
	if (c >= 0x20 && c < 0x7f)
		return jp_fail_at(j, j->p, "expected %s, found '%c'", what, c);
	return jp_fail_at(j, j->p, "expected %s, found byte 0x%02x", what, c);
}

static int skip_value(struct jp *j);

static int skip_container(struct jp *j, char close)
{
	const char *s;
	size_t n;
	bool esc;

	if (++j->depth > JSONL_MAX_DEPTH)
		return jp_fail_at(j, j->p, "nesting deeper than %d levels",
				  JSONL_MAX_DEPTH);
	j->p++;
	j->ws |= skip_ws(j);
	if (peek(j) == close) {
		j->p++;
		j->depth--;
		return DXT_OK;
	}
	for (;;) {
		if (close == '}') {
			if (peek(j) != '"')
				return unexpected(j, "a quoted object key");
			DXT_RETURN_NOT_OK(scan_string(j, &s, &n, &esc));
			j->ws |= skip_ws(j);
			if (peek(j) != ':')
				return unexpected(j, "':' after an object key");
			j->p++;
		}
		DXT_RETURN_NOT_OK(skip_value(j));
		j->ws |= skip_ws(j);
		if (peek(j) == ',') {
			j->p++;
			j->ws |= skip_ws(j);
			continue;
		}
		if (peek(j) == close) {
			j->p++;
			j->depth--;
			return DXT_OK;
		}
		return unexpected(j, close == '}' ? "',' or '}' in an object"
						  : "',' or ']' in an array");
	}
}

/* Validates any JSON value at j->p (leading white space allowed). */
static int skip_value(struct jp *j)
{
	const char *s;
	size_t n;
	bool esc;
	int lit, c;

	j->ws |= skip_ws(j);
	c = peek(j);
	switch (c) {
	case '{':
		return skip_container(j, '}');
	case '[':
		return skip_container(j, ']');
	case '"':
		return scan_string(j, &s, &n, &esc);
	case 't':
	case 'f':
	case 'n':
		return scan_literal(j, &lit);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return scan_number(j);
		return unexpected(j, "a JSON value");
	}
}

/* Copies a validated JSON span into scratch without insignificant space. */
static void compact(struct jp *j, const char *p, size_t n)
{
	struct dxt_buf *o = j->scratch;
	bool in_str = false;

	o->len = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (in_str) {
			o->data[o->len++] = (uint8_t)c;
			if (c == '\\')
				o->data[o->len++] = (uint8_t)p[++i];
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '"')
			in_str = true;
		o->data[o->len++] = (uint8_t)c;
	}
}

static bool name_eq(const char *name, const char *k, size_t kn)
{
	return strlen(name) == kn && memcmp(name, k, kn) == 0;
}

/*
 * Field index for a key, or -1. Objects written by dxt_jsonl_write_batch
 * list keys in schema order, so the field after the previous match is
 * tried first.
 */
static int find_field(const struct dxt_schema *s, const char *k, size_t kn,
		      size_t *hint)
{
	if (*hint < s->n && name_eq(s->fields[*hint].name, k, kn))
		return (int)(*hint)++;
	for (size_t i = 0; i < s->n; i++) {
		if (name_eq(s->fields[i].name, k, kn)) {
			*hint = i + 1;
			return (int)i;
		}
	}
	return -1;
}

/* Parses the value at j->p into field f / column c (both NULL: skip it). */
static int parse_value(struct jp *j, const struct dxt_field *f,
		       struct dxt_column *c)
{
	const char *v = j->p, *s;
	size_t n;
	bool esc;
	int lit, ch = peek(j);

	switch (ch) {
	case '"':
		DXT_RETURN_NOT_OK(scan_string(j, &s, &n, &esc));
		if (f == NULL)
			return DXT_OK;
		if (esc && f->type != DXT_TYPE_JSON) {
			DXT_RETURN_NOT_OK(unescape(j, s, n));
			s = (const char *)j->scratch->data;
			n = j->scratch->len;
		}
		return put_value(&j->x, f, c, JK_STRING, s, n, v,
				 (size_t)(j->p - v));
	case '{':
	case '[':
		j->ws = false;
		j->depth = 0;
		DXT_RETURN_NOT_OK(skip_value(j));
		if (f == NULL)
			return DXT_OK;
		n = (size_t)(j->p - v);
		s = v;
		if (j->ws) {
			if (dxt_buf_reserve(j->scratch, n) != DXT_OK)
				return dxt_error_set(j->x.err, DXT_ENOMEM,
						     "out of memory");
			compact(j, v, n);
			s = (const char *)j->scratch->data;
			n = j->scratch->len;
		}
		return put_value(&j->x, f, c, JK_NESTED, s, n, s, n);
	case 't':
	case 'f':
	case 'n':
		DXT_RETURN_NOT_OK(scan_literal(j, &lit));
		if (f == NULL)
			return DXT_OK;
		if (lit == 'n')
			return put_null(&j->x, f, c, false);
		n = (size_t)(j->p - v);
		return put_value(&j->x, f, c, JK_BOOL, v, n, v, n);
	default:
		if (ch != '-' && (ch < '0' || ch > '9'))
			return unexpected(j, "a JSON value");
		DXT_RETURN_NOT_OK(scan_number(j));
		if (f == NULL)
			return DXT_OK;
		n = (size_t)(j->p - v);
		return put_value(&j->x, f, c, JK_NUMBER, v, n, v, n);
	}
}

static int parse_row(struct jp *j, struct dxt_batch *b)
{
	const struct dxt_schema *sc = b->schema;
	size_t hint = 0;

	skip_ws(j);
	if (peek(j) != '{')
		return unexpected(j, "a JSON object");
	j->p++;
	skip_ws(j);
	if (peek(j) == '}') {
		j->p++;
		goto close;
	}
	for (;;) {
		const char *k, *key_at = j->p;
		size_t kn;
		bool esc;
		int idx;

		if (peek(j) != '"')
			return unexpected(j, "a quoted object key");
		DXT_RETURN_NOT_OK(scan_string(j, &k, &kn, &esc));
		if (esc) {
			DXT_RETURN_NOT_OK(unescape(j, k, kn));
			k = (const char *)j->scratch->data;
			kn = j->scratch->len;
		}
		idx = find_field(sc, k, kn, &hint);
		if (idx >= 0 && b->cols[idx].length > b->nrows)
			return jp_fail_at(j, key_at, "duplicate key \"%s\"",
					  sc->fields[idx].name);
		skip_ws(j);
		if (peek(j) != ':')
			return unexpected(j, "':' after an object key");
		j->p++;
		skip_ws(j);
		DXT_RETURN_NOT_OK(parse_value(j, idx < 0 ? NULL
							 : &sc->fields[idx],
					      idx < 0 ? NULL : &b->cols[idx]));
		skip_ws(j);
		if (peek(j) == ',') {
			j->p++;
			skip_ws(j);
			continue;
		}
		if (peek(j) == '}') {
			j->p++;
			break;
		}
		return unexpected(j, "',' or '}' in the object");
	}
close:
	skip_ws(j);
	if (j->p != j->end)
		return unexpected(j, "the end of the line after the object");
	return finish_row(&j->x, b);
}

int dxt_jsonl_append_line(const char *text, size_t n, struct dxt_batch *b,
			  const char *file, uint64_t line,
			  struct dxt_buf *scratch, struct dxt_error *err)
{
	struct jp j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.x.file = file;
	j.x.line = line;
	j.x.err = err;
	j.s = text;
	j.p = text;
	j.end = text + n;
	j.scratch = scratch;
	rc = parse_row(&j, b);
	if (rc != DXT_OK)
		dxt_batch_rollback_row(b);
	return rc;
}

/* --- jansson objects ------------------------------------------------------- */

/*
 * Compact JSON text of v in `stack` when it fits, else in *heap (which the
 * caller frees). Returns the length, 0 on failure.
 */
static size_t dump_compact(const json_t *v, char *stack, size_t cap,
			   char **heap, const char **out)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	size_t n = json_dumpb(v, stack, cap, flags);

	*heap = NULL;
	*out = stack;
	if (n <= cap)
		return n;
	*heap = malloc(n);
	if (*heap == NULL)
		return 0;
	if (json_dumpb(v, *heap, n, flags) != n)
		return 0;
	*out = *heap;
	return n;
}

static int append_json_value(const struct jctx *x, const struct dxt_field *f,
			     struct dxt_column *c, const json_t *v)
{
	char num[64], stack[512], *heap = NULL;
	const char *json = NULL;
	size_t jn = 0;
	int rc;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (f->type == DXT_TYPE_JSON) {
			jn = dump_compact(v, stack, sizeof(stack), &heap, &json);
			if (jn == 0)
				return dxt_error_set(x->err, DXT_ENOMEM,
						     "out of memory");
		}
		rc = put_value(x, f, c, JK_STRING, json_string_value(v),
			       json_string_length(v), json, jn);
		free(heap);
		return rc;
	case JSON_INTEGER:
		jn = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				      json_integer_value(v));
		return put_value(x, f, c, JK_NUMBER, num, jn, num, jn);
	case JSON_REAL:
		jn = dxt_format_double(json_real_value(v), num);
		return put_value(x, f, c, JK_NUMBER, num, jn, num, jn);
	case JSON_TRUE:
		return put_value(x, f, c, JK_BOOL, "true", 4, "true", 4);
	case JSON_FALSE:
		return put_value(x, f, c, JK_BOOL, "false", 5, "false", 5);
	case JSON_NULL:
		return put_null(x, f, c, false);
	default:
		jn = dump_compact(v, stack, sizeof(stack), &heap, &json);
		if (jn == 0) {
			free(heap);
			return dxt_error_set(x->err, DXT_ENOMEM,
					     "out of memory");
		}
		rc = put_value(x, f, c, JK_NESTED, json, jn, json, jn);
		free(heap);
		return rc;
	}
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "an object";
	}
}

int dxt_jsonl_append_object(const json_t *obj, struct dxt_batch *b,
			    const char *file, uint64_t line,
			    struct dxt_error *err)
{
	struct jctx x = {file, line, err};
	char at[512];
	int rc = DXT_OK;

	if (obj == NULL || !json_is_object(obj)) {
		where(&x, at, sizeof(at));
		return dxt_error_set(err, DXT_EPARSE, "%s: expected a JSON "
				     "object, found %s", at,
				     obj ? json_kind(obj) : "nothing");
	}
	for (size_t i = 0; i < b->ncols && rc == DXT_OK; i++) {
		const struct dxt_field *f = &b->schema->fields[i];
		const json_t *v = json_object_get(obj, f->name);

		if (v == NULL)
			rc = put_null(&x, f, &b->cols[i], true);
		else
			rc = append_json_value(&x, f, &b->cols[i], v);
	}
	if (rc == DXT_OK)
		rc = finish_row(&x, b);
	if (rc != DXT_OK)
		dxt_batch_rollback_row(b);
	return rc;
}

/* --- writer ---------------------------------------------------------------- */

int dxt_jsonl_write_batch(const struct dxt_batch *b, struct dxt_buf *out)
{
	struct dxt_buf keys = {0};
	size_t *koff;
	int rc = DXT_OK;

	/* Each column's `{"name":` / `,"name":` prefix is quoted once. */
	koff = malloc((b->ncols + 1) * sizeof(*koff));
	if (koff == NULL)
		return DXT_ENOMEM;
	for (size_t i = 0; i < b->ncols && rc == DXT_OK; i++) {
		const char *name = b->schema->fields[i].name;

		koff[i] = keys.len;
		rc = dxt_buf_putc(&keys, i == 0 ? '{' : ',');
		if (rc == DXT_OK)
			rc = dxt_json_quote(&keys, name, strlen(name));
		if (rc == DXT_OK)
			rc = dxt_buf_putc(&keys, ':');
	}
	koff[b->ncols] = keys.len;
	for (size_t r = 0; r < b->nrows && rc == DXT_OK; r++) {
		if (b->ncols == 0) {
			rc = dxt_buf_append(out, "{}\n", 3);
			continue;
		}
		for (size_t i = 0; i < b->ncols && rc == DXT_OK; i++) {
			const struct dxt_column *c = &b->cols[i];

			rc = dxt_buf_append(out, keys.data + koff[i],
					    koff[i + 1] - koff[i]);
			if (rc != DXT_OK)
				break;
			if (dxt_col_is_valid(c, r))
				rc = dxt_value_format_json(
					c, &b->schema->fields[i], r, out);
			else
				rc = dxt_buf_append(out, "null", 4);
		}
		if (rc == DXT_OK)
			rc = dxt_buf_append(out, "}\n", 2);
	}
	dxt_buf_free(&keys);
	free(koff);
	return rc;
}

/* --- line reader ----------------------------------------------------------- */

struct dxt_jsonl_reader {
	dxt_read_fn read;
	void *read_ctx;
	char *name;
	char *buf;
	size_t cap;
	size_t start;    /* first byte of the unread text */
	size_t end;      /* end of the bytes read */
	size_t scan;     /* where the search for the next LF resumes */
	bool eof;
	bool first;      /* nothing returned yet: a BOM may follow */
	uint64_t lines;  /* line ends consumed */
	uint64_t line;   /* number of the last line returned */
	const char *cur;
	size_t cur_len;
	struct dxt_buf scratch;
};

int dxt_jsonl_reader_create(dxt_read_fn read, void *read_ctx,
			    const char *name, struct dxt_jsonl_reader **out,
			    struct dxt_error *err)
{
	struct dxt_jsonl_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	r->read = read;
	r->read_ctx = read_ctx;
	r->name = strdup(name ? name : "");
	r->cap = 2 * JSONL_BLOCK;
	r->buf = malloc(r->cap);
	r->first = true;
	if (r->name == NULL || r->buf == NULL) {
		dxt_jsonl_reader_destroy(r);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	*out = r;
	return DXT_OK;
}

void dxt_jsonl_reader_destroy(struct dxt_jsonl_reader *r)
{
	if (r == NULL)
		return;
	dxt_buf_free(&r->scratch);
	free(r->buf);
	free(r->name);
	free(r);
}

/* Makes room for one more block, moving the partial line to the front. */
static int reader_room(struct dxt_jsonl_reader *r, struct dxt_error *err)
{
	size_t have = r->end - r->start;

	if (r->cap - r->end >= JSONL_BLOCK)
		return DXT_OK;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, have);
		r->scan -= r->start;
		r->end = have;
		r->start = 0;
		if (r->cap - r->end >= JSONL_BLOCK)
			return DXT_OK;
	}
	if (have > DXT_JSONL_MAX_LINE)
		return dxt_error_set(err, DXT_ELIMIT, "%s: line %" PRIu64
				     ": longer than %zu bytes", r->name,
				     r->lines + 1, DXT_JSONL_MAX_LINE);
	{
		char *nb = realloc(r->buf, r->cap * 2);
		if (nb == NULL)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		r->buf = nb;
		r->cap *= 2;
	}
	return DXT_OK;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

int dxt_jsonl_read_line(struct dxt_jsonl_reader *r, const char **line,
			size_t *len, struct dxt_error *err)
{
	for (;;) {
		char *p = r->buf + r->start, *nl;
		size_t n;

		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl == NULL && !r->eof) {
			long got;
			int rc;

			r->scan = r->end;
			rc = reader_room(r, err);
			if (rc != DXT_OK)
				return rc;
			got = r->read(r->read_ctx, r->buf + r->end,
				      r->cap - r->end, err);
			if (got < 0)
				return (int)got;
			if (got == 0)
				r->eof = true;
			r->end += (size_t)got;
			continue;
		}
		if (nl == NULL && r->start == r->end)
			return 0;
		n = (nl ? (size_t)(nl - p) : r->end - r->start);
		r->start += n + (nl != NULL);
		r->scan = r->start;
		r->lines++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (r->first && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
			p += 3;
			n -= 3;
		}
		r->first = false;
		if (blank(p, n))
			continue;
		r->line = r->lines;
		r->cur = p;
		r->cur_len = n;
		*line = p;
		*len = n;
		return 1;
	}
}

int dxt_jsonl_read_row(struct dxt_jsonl_reader *r, struct dxt_batch *b,
		       struct dxt_error *err)
{
	const char *line;
	size_t n;
	int rc = dxt_jsonl_read_line(r, &line, &n, err);

	if (rc <= 0)
		return rc;
	rc = dxt_jsonl_append_line(line, n, b, r->name, r->line, &r->scratch,
				   err);
	return rc == DXT_OK ? 1 : rc;
}

uint64_t dxt_jsonl_line(const struct dxt_jsonl_reader *r)
{
	return r->line;
}

const char *dxt_jsonl_raw(const struct dxt_jsonl_reader *r, size_t *len)
{
	*len = r->cur_len;
	return r->cur;
}

const char *dxt_jsonl_name(const struct dxt_jsonl_reader *r)
{
	return r->name;
}
