/*
 * csv.c - streaming CSV reader and writer.
 *
 * The reader keeps one block of input (256 KiB, grown only for a record that
 * does not fit) with a '\n' sentinel after its last byte, so the inner loops
 * scan with a table lookup per byte and no bounds check. A record is parsed
 * in place: unquoted fields and quoted fields without escapes point straight
 * into the block, and only fields that need unescaping are copied into a
 * side buffer. When a record runs past the end of the block, the partial
 * record is moved to the front, the block is refilled, and the record is
 * parsed again from its start; that happens once per block, so it costs
 * nothing measurable, and it keeps every record (and its raw bytes, for
 * rejects files) contiguous.
 *
 * The writer formats values with convert.h straight into the output buffer
 * and only re-writes a value when it turns out to need quoting.
 */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "hint.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define CSV_SIMD 1
#endif

#define CSV_BLOCK (256u << 10)
#define CSV_MAX_RECORD (256u << 20)
/* Bytes after the data: the '\n' sentinel, then room for a 16-byte load
 * that starts at the sentinel. */
#define CSV_PAD 32
#define CSV_MORE 2

void dxt_csv_opts_default(struct dxt_csv_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->delimiter = ',';
	opts->quotechar = '"';
	opts->escapechar = '\0';
	opts->doublequote = true;
	memcpy(opts->lineterminator, "\n", 2);
	opts->header = true;
	memcpy(opts->encoding, "utf-8", 6);
}

/* --- options -------------------------------------------------------------- */

/* Shows a one-byte option value in a message. */
static const char *char_name(char c, char *buf, size_t len)
{
	if (c == '\t')
		snprintf(buf, len, "tab");
	else if (c == '\n')
		snprintf(buf, len, "\"\\n\"");
	else if (c == '\r')
		snprintf(buf, len, "\"\\r\"");
	else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
		snprintf(buf, len, "byte 0x%02x", (unsigned char)c);
	else if (c == '\'')
		snprintf(buf, len, "\"'\"");
	else
		snprintf(buf, len, "'%c'", c);
	return buf;
}

static bool valid_terminator(const char *t)
{
	return strcmp(t, "\n") == 0 || strcmp(t, "\r\n") == 0 ||
	       strcmp(t, "\r") == 0;
}

/* Checks that the options together describe a readable format. */
static int check_opts(const struct dxt_csv_opts *o, const char *where,
		      struct dxt_error *err)
{
	char a[16];
	const char *nv = o->null_value;
	size_t nl = strnlen(nv, sizeof(o->null_value));

	if (o->delimiter == '\0' || o->delimiter == '\n' ||
	    o->delimiter == '\r')
		return dxt_error_config(err,
					"%s: option \"delimiter\" must be one "
					"character other than a line end",
					where);
	if (o->quotechar == '\n' || o->quotechar == '\r')
		return dxt_error_config(
			err, "%s: option \"quotechar\" must not be a line end",
			where);
	if (o->escapechar == '\n' || o->escapechar == '\r')
		return dxt_error_config(
			err, "%s: option \"escapechar\" must not be a line end",
			where);
	if (o->quotechar != '\0' && o->quotechar == o->delimiter)
		return dxt_error_config(
			err, "%s: options \"quotechar\" and \"delimiter\" are "
			     "both %s; they must differ",
			where, char_name(o->delimiter, a, sizeof(a)));
	if (o->escapechar != '\0' && o->escapechar == o->delimiter)
		return dxt_error_config(
			err, "%s: options \"escapechar\" and \"delimiter\" are "
			     "both %s; they must differ",
			where, char_name(o->delimiter, a, sizeof(a)));
	if (o->escapechar != '\0' && o->escapechar == o->quotechar)
		return dxt_error_config(
			err, "%s: options \"escapechar\" and \"quotechar\" are "
			     "both %s; use doublequote: true for doubled "
			     "quotes instead",
			where, char_name(o->quotechar, a, sizeof(a)));
	if (strnlen(o->lineterminator, sizeof(o->lineterminator)) ==
		    sizeof(o->lineterminator) ||
	    !valid_terminator(o->lineterminator))
		return dxt_error_config(err,
					"%s: option \"lineterminator\" must be "
					"\"\\n\", \"\\r\\n\" or \"\\r\"",
					where);
	if (nl == sizeof(o->null_value))
		return dxt_error_config(
			err, "%s: option \"null_value\" is longer than %zu "
			     "bytes",
			where, sizeof(o->null_value) - 1);
	if (memchr(nv, o->delimiter, nl) != NULL ||
	    memchr(nv, '\n', nl) != NULL || memchr(nv, '\r', nl) != NULL ||
	    (o->quotechar != '\0' && nv[0] == o->quotechar))
		return dxt_error_config(
			err, "%s: option \"null_value\" (\"%s\") must not "
			     "contain the delimiter or a line end, nor start "
			     "with the quote character",
			where, nv);
	return DXT_OK;
}

static const char *const option_names[] = {
	"delimiter", "quotechar", "escapechar", "doublequote",
	"lineterminator", "header", "encoding", "null_value", NULL,
};

static int unknown_option(const char *key, const char *where,
			  struct dxt_error *err)
{
	const char *best = dxt_closest(key, option_names, 2);

	if (best != NULL)
		return dxt_error_config(
			err, "%s: unknown option \"%s\" (did you mean \"%s\"?)",
			where, key, best);
	return dxt_error_config(err,
				"%s: unknown option \"%s\" (known: delimiter, "
				"quotechar, escapechar, doublequote, "
				"lineterminator, header, encoding, null_value)",
				where, key);
}

/*
 * Reads a one-character option. A string of one ASCII character; "\t" as
 * the tab itself or as the two characters backslash and t; "tab" where
 * `tab_word` allows it; "" or null for "none" where `none` allows it.
 */
static int one_char(const json_t *v, const char *key, const char *where,
		    bool tab_word, bool none, char *out, struct dxt_error *err)
{
	const char *s;
	size_t n;

	if (json_is_null(v) && none) {
		*out = '\0';
		return DXT_OK;
	}
	if (!json_is_string(v))
		return dxt_error_config(
			err, "%s: option \"%s\" must be a one-character string",
			where, key);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 && none) {
		*out = '\0';
		return DXT_OK;
	}
	if (n == 1 && (unsigned char)s[0] < 0x80 && s[0] != '\0') {
		*out = s[0];
		return DXT_OK;
	}
	if ((n == 2 && s[0] == '\\' && s[1] == 't') ||
	    (tab_word && n == 3 && strcmp(s, "tab") == 0)) {
		*out = '\t';
		return DXT_OK;
	}
	return dxt_error_config(err,
				"%s: option \"%s\" must be exactly one ASCII "
				"character%s (got \"%.40s\")",
				where, key,
				none ? ", or \"\" for none" : "", s);
}

static int bool_option(const json_t *v, const char *key, const char *where,
		       bool *out, struct dxt_error *err)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return DXT_OK;
	}
	if (json_is_string(v) &&
	    dxt_parse_bool(json_string_value(v), json_string_length(v), out))
		return DXT_OK;
	return dxt_error_config(err, "%s: option \"%s\" must be true or false",
				where, key);
}

static int string_option(const json_t *v, const char *key, const char *where,
			 char *out, size_t cap, struct dxt_error *err)
{
	size_t n;

	if (!json_is_string(v))
		return dxt_error_config(
			err, "%s: option \"%s\" must be a string",
			where, key);
	n = json_string_length(v);
	if (n >= cap || strlen(json_string_value(v)) != n)
		return dxt_error_config(
			err, "%s: option \"%s\" must be a string of at most "
			     "%zu bytes without NUL",
			where, key, cap - 1);
	memcpy(out, json_string_value(v), n + 1);
	return DXT_OK;
}

int dxt_csv_opts_from_json(struct dxt_csv_opts *opts, const json_t *j,
			   const char *where, struct dxt_error *err)
{
	struct dxt_csv_opts o = *opts;
	const char *key;
	json_t *v;
	int rc = DXT_OK;

	if (where == NULL)
		where = "csv";
	if (j == NULL || json_is_null(j))
		return DXT_OK;
	if (!json_is_object(j))
		return dxt_error_config(err,
					"%s: expected an object of CSV options",
					where);
	json_object_foreach((json_t *)j, key, v) {
		if (strcmp(key, "delimiter") == 0)
			rc = one_char(v, key, where, true, false, &o.delimiter,
				      err);
		else if (strcmp(key, "quotechar") == 0)
			rc = one_char(v, key, where, false, true, &o.quotechar,
				      err);
		else if (strcmp(key, "escapechar") == 0)
			rc = one_char(v, key, where, false, true,
				      &o.escapechar, err);
		else if (strcmp(key, "doublequote") == 0)
			rc = bool_option(v, key, where, &o.doublequote, err);
		else if (strcmp(key, "header") == 0)
			rc = bool_option(v, key, where, &o.header, err);
		else if (strcmp(key, "lineterminator") == 0) {
			rc = string_option(v, key, where, o.lineterminator,
					   sizeof(o.lineterminator), err);
			if (rc == DXT_OK && !valid_terminator(o.lineterminator))
				rc = dxt_error_config(
					err, "%s: option \"lineterminator\" "
					     "must be \"\\n\", \"\\r\\n\" or "
					     "\"\\r\"",
					where);
		} else if (strcmp(key, "encoding") == 0)
			rc = string_option(v, key, where, o.encoding,
					   sizeof(o.encoding), err);
		else if (strcmp(key, "null_value") == 0)
			rc = string_option(v, key, where, o.null_value,
					   sizeof(o.null_value), err);
		else
			rc = unknown_option(key, where, err);
		if (rc != DXT_OK)
			return rc;
	}
	rc = check_opts(&o, where, err);
	if (rc == DXT_OK)
		*opts = o;
	return rc;
}

static json_t *char_json(char c)
{
	return c == '\0' ? json_null() : json_stringn(&c, 1);
}

json_t *dxt_csv_opts_to_json(const struct dxt_csv_opts *opts)
{
	json_t *j = json_object();

	if (j == NULL)
		return NULL;
	if (json_object_set_new(j, "delimiter", char_json(opts->delimiter)) ||
	    json_object_set_new(j, "quotechar", char_json(opts->quotechar)) ||
	    json_object_set_new(j, "escapechar",
				char_json(opts->escapechar)) ||
	    json_object_set_new(j, "doublequote",
				json_boolean(opts->doublequote)) ||
	    json_object_set_new(j, "lineterminator",
				json_stringn(opts->lineterminator,
					     strnlen(opts->lineterminator,
						     sizeof(opts->lineterminator)))) ||
	    json_object_set_new(j, "header", json_boolean(opts->header)) ||
	    json_object_set_new(j, "encoding",
				json_stringn(opts->encoding,
					     strnlen(opts->encoding,
						     sizeof(opts->encoding)))) ||
	    json_object_set_new(j, "null_value",
				json_stringn(opts->null_value,
					     strnlen(opts->null_value,
						     sizeof(opts->null_value))))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* --- reader --------------------------------------------------------------- */

/*
 * The bytes that end a run of field text (delimiter or quote, line ends,
 * escape). With SSE2 a run is scanned 16 bytes per step; otherwise one
 * table lookup per byte. Either way the '\n' sentinel after the data stops
 * the scan, so there is no bounds check.
 */
struct scanset {
#ifdef CSV_SIMD
	__m128i v[4];
#endif
	uint8_t tab[256];
};

static void scanset_init(struct scanset *s, char first, char esc)
{
	const char c[4] = {first, '\n', '\r', esc != '\0' ? esc : '\n'};

	memset(s->tab, 0, sizeof(s->tab));
	for (int i = 0; i < 4; i++) {
		s->tab[(uint8_t)c[i]] = 1;
#ifdef CSV_SIMD
		s->v[i] = _mm_set1_epi8(c[i]);
#endif
	}
}

static inline char *scan(const struct scanset *s, char *p)
{
#ifdef CSV_SIMD
	for (;;) {
		__m128i x = _mm_loadu_si128((const __m128i *)(void *)p);
		__m128i m = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x, s->v[0]),
				     _mm_cmpeq_epi8(x, s->v[1])),
			_mm_or_si128(_mm_cmpeq_epi8(x, s->v[2]),
				     _mm_cmpeq_epi8(x, s->v[3])));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits != 0)
			return p + __builtin_ctz(bits);
		p += 16;
	}
#else
	while (!s->tab[(uint8_t)*p])
		p++;
	return p;
#endif
}

struct dxt_csv_reader {
	struct dxt_csv_opts opts;
	size_t null_len;
	dxt_read_fn read;
	void *read_ctx;
	char *name;

	char *blk;        /* cap + CSV_PAD bytes: the data, a '\n' sentinel */
	size_t cap;
	size_t len;
	size_t pos;       /* start of the next record */
	bool eof;
	bool bom_done;
	bool after_cr;    /* the last line end was CR: one LF may follow */
	int failed;       /* sticky error code once reading failed */

	uint64_t line;    /* physical line at pos */
	uint64_t rec_line;
	uint64_t records;
	const char *raw;
	size_t raw_len;

	struct dxt_buf val; /* unescaped text of fields that needed it */
	struct dxt_csv_field *fields;
	size_t *voff;     /* offset of field i in val, or SIZE_MAX */
	bool *isnull;     /* field i is unquoted and its raw text is null */
	size_t fcap;
	size_t nfields;

	struct scanset uscan; /* ends a run inside an unquoted field */
	struct scanset qscan; /* ends a run inside a quoted field */
};

int dxt_csv_reader_create(const struct dxt_csv_opts *opts, dxt_read_fn read,
			  void *read_ctx, const char *name,
			  struct dxt_csv_reader **out, struct dxt_error *err)
{
	struct dxt_csv_reader *r;
	int rc;

	*out = NULL;
	if (name == NULL)
		name = "input";
	rc = check_opts(opts, name, err);
	if (rc != DXT_OK)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->name = strdup(name)) == NULL) {
		free(r);
		return dxt_error_set(err, DXT_ENOMEM,
				     "%s: out of memory creating CSV reader",
				     name);
	}
	r->opts = *opts;
	r->null_len = strnlen(opts->null_value, sizeof(opts->null_value));
	r->read = read;
	r->read_ctx = read_ctx;
	r->line = 1;
	scanset_init(&r->uscan, opts->delimiter, opts->escapechar);
	/* Without quoting the quoted scan is never used. */
	scanset_init(&r->qscan,
		     opts->quotechar != '\0' ? opts->quotechar : '\n',
		     opts->escapechar);
	*out = r;
	return DXT_OK;
}

void dxt_csv_reader_destroy(struct dxt_csv_reader *r)
{
	if (r == NULL)
		return;
	free(r->blk);
	free(r->fields);
	free(r->voff);
	free(r->isnull);
	dxt_buf_free(&r->val);
	free(r->name);
	free(r);
}

uint64_t dxt_csv_line(const struct dxt_csv_reader *r)
{
	return r->rec_line;
}

uint64_t dxt_csv_records(const struct dxt_csv_reader *r)
{
	return r->records;
}

const char *dxt_csv_raw(const struct dxt_csv_reader *r, size_t *len)
{
	*len = r->raw_len;
	return r->raw;
}

/*
 * The null marker is matched against the raw text of an unquoted field, so
 * that with an escape character "\N" can be the marker while an escaped
 * "\\N" stays the text \N. The parser records that per field; a field
 * struct that is not the reader's own is judged by its text.
 */
bool dxt_csv_is_null(const struct dxt_csv_reader *r,
		     const struct dxt_csv_field *f)
{
	uintptr_t a = (uintptr_t)f, lo = (uintptr_t)r->fields;

	if (r->fields != NULL && a >= lo &&
	    a < lo + r->nfields * sizeof(*f) &&
	    (a - lo) % sizeof(*f) == 0)
		return r->isnull[(a - lo) / sizeof(*f)];
	return !f->quoted && f->n == r->null_len &&
	       (f->n == 0 || memcmp(f->p, r->opts.null_value, f->n) == 0);
}

/*
 * Moves the unread bytes (the record being parsed) to the front of the
 * block, grows the block when that record fills it, and reads until the
 * block is full or the input ends.
 */
static int fill(struct dxt_csv_reader *r, struct dxt_error *err)
{
	if (r->blk == NULL) {
		r->blk = malloc(CSV_BLOCK + CSV_PAD);
		if (r->blk == NULL)
			return dxt_error_set(err, DXT_ENOMEM,
					     "%s: out of memory for the read "
					     "buffer",
					     r->name);
		r->cap = CSV_BLOCK;
	}
	if (r->pos > 0) {
		memmove(r->blk, r->blk + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == r->cap) {
		char *p;
		if (r->cap >= CSV_MAX_RECORD)
			return dxt_error_set(
				err, DXT_ELIMIT,
				"%s: line %llu: record is longer than %u MiB; "
				"check the quote character (a quote that is "
				"never closed makes the rest of the input one "
				"field)",
				r->name, (unsigned long long)r->line,
				CSV_MAX_RECORD >> 20);
		p = realloc(r->blk, 2 * r->cap + CSV_PAD);
		if (p == NULL)
			return dxt_error_set(err, DXT_ENOMEM,
					     "%s: line %llu: out of memory for "
					     "a record of %zu bytes",
					     r->name,
					     (unsigned long long)r->line,
					     r->len);
		r->blk = p;
		r->cap *= 2;
	}
	while (r->len < r->cap && !r->eof) {
		long got = r->read(r->read_ctx, r->blk + r->len,
				   r->cap - r->len, err);
		if (got < 0)
			return (int)got;
		if (got == 0)
			r->eof = true;
		r->len += (size_t)got;
	}
	r->blk[r->len] = '\n';
	memset(r->blk + r->len + 1, 0, CSV_PAD - 1);
	if (!r->bom_done) {
		r->bom_done = true;
		if (r->len >= 3 && memcmp(r->blk, "\xEF\xBB\xBF", 3) == 0)
			r->pos = 3;
	}
	return DXT_OK;
}

static int grow_fields(struct dxt_csv_reader *r, struct dxt_error *err)
{
	size_t n = r->fcap ? 2 * r->fcap : 16;
	struct dxt_csv_field *f = realloc(r->fields, n * sizeof(*f));
	size_t *v = NULL;
	bool *z = NULL;

	if (f != NULL) {
		r->fields = f;
		v = realloc(r->voff, n * sizeof(*v));
	}
	if (v != NULL) {
		r->voff = v;
		z = realloc(r->isnull, n * sizeof(*z));
	}
	if (z == NULL)
		return dxt_error_set(err, DXT_ENOMEM,
				     "%s: line %llu: out of memory for %zu "
				     "fields",
				     r->name, (unsigned long long)r->line, n);
	r->isnull = z;
	r->fcap = n;
	return DXT_OK;
}

/* 1-based column of p in its line, counted in UTF-8 characters. */
static uint64_t column_of(const char *line_start, const char *p)
{
	uint64_t col = 1;

	for (; line_start < p; line_start++)
		if (((unsigned char)*line_start & 0xC0) != 0x80)
			col++;
	return col;
}

static int unclosed_error(const struct dxt_csv_reader *r, uint64_t line,
			  uint64_t col, struct dxt_error *err)
{
	return dxt_error_set(err, DXT_EPARSE,
			     "%s: line %llu, column %llu: quoted field is "
			     "never closed (the input ends inside it); check "
			     "for a missing or stray quote character",
			     r->name, (unsigned long long)line,
			     (unsigned long long)col);
}

static int stray_error(const struct dxt_csv_reader *r, uint64_t line,
		       uint64_t col, char c, struct dxt_error *err)
{
	char what[16];

	return dxt_error_set(err, DXT_EPARSE,
			     "%s: line %llu, column %llu: unexpected %s after "
			     "the closing quote of a field; a quote inside a "
			     "quoted field must be %s",
			     r->name, (unsigned long long)line,
			     (unsigned long long)col,
			     char_name(c, what, sizeof(what)),
			     r->opts.doublequote ? "doubled" : "escaped");
}

static int escape_error(const struct dxt_csv_reader *r, uint64_t line,
			uint64_t col, struct dxt_error *err)
{
	return dxt_error_set(err, DXT_EPARSE,
			     "%s: line %llu, column %llu: escape character at "
			     "the end of the input",
			     r->name, (unsigned long long)line,
			     (unsigned long long)col);
}

static int val_nomem(const struct dxt_csv_reader *r, struct dxt_error *err)
{
	return dxt_error_set(err, DXT_ENOMEM,
			     "%s: line %llu: out of memory for a field",
			     r->name, (unsigned long long)r->line);
}

/*
 * Appends the byte at p, the one after an escape character, to the field's
 * value as it is; an escaped line end stays in the value but still counts
 * as a physical line for the positions in messages.
 */
static inline int put_escaped(struct dxt_csv_reader *r, const char *p,
			      uint64_t *line, const char **line_start,
			      struct dxt_error *err)
{
	if (dxt_buf_putc(&r->val, *p) != DXT_OK)
		return val_nomem(r, err);
	if (*p == '\n' || *p == '\r') {
		(*line)++;
		*line_start = p + 1;
	}
	return DXT_OK;
}

static inline bool raw_is_null(const struct dxt_csv_reader *r, const char *s,
			       const char *e)
{
	size_t n = (size_t)(e - s);

	return n == r->null_len &&
	       (n == 0 || memcmp(s, r->opts.null_value, n) == 0);
}

/*
 * Parses the record at r->pos. Returns 1 with the fields set, CSV_MORE when
 * the block ends before the record does (nothing is consumed), or an error.
 */
static int parse_record(struct dxt_csv_reader *r, struct dxt_error *err)
{
	const struct scanset *us = &r->uscan, *qs = &r->qscan;
	const char quote = r->opts.quotechar, esc = r->opts.escapechar;
	const char delim = r->opts.delimiter;
	const bool dq = r->opts.doublequote;
	char *start = r->blk + r->pos, *end = r->blk + r->len, *p = start;
	const char *line_start = start;
	uint64_t line = r->line;
	size_t nf = 0;
	bool use_val = false;

	r->val.len = 0;
	for (;;) {
		struct dxt_csv_field *f;

		if (nf == r->fcap && grow_fields(r, err) != DXT_OK)
			return DXT_ENOMEM;
		f = &r->fields[nf];
		r->voff[nf] = SIZE_MAX;
		r->isnull[nf] = false;
		if (*p == quote && quote != '\0') {
			const char *open = p, *open_ls = line_start, *seg;
			uint64_t open_line = line;
			bool in_val = false;

			seg = ++p;
			for (;;) {
				char c;
				p = scan(qs, p);
				if (p == end) {
					if (!r->eof)
						return CSV_MORE;
					return unclosed_error(
						r, open_line,
						column_of(open_ls, open), err);
				}
				c = *p;
				if (c == '\n') {
					if (p[-1] != '\r')
						line++;
					line_start = ++p;
					continue;
				}
				if (c == '\r') {
					line++;
					line_start = ++p;
					continue;
				}
				if (p + 1 == end && !r->eof)
					return CSV_MORE;
				if (c == quote) {
					if (!dq || p + 1 == end || p[1] != quote)
						break;
					/* A doubled quote is one quote. */
					p++;
				} else if (p + 1 == end) {
					return unclosed_error(
						r, open_line,
						column_of(open_ls, open), err);
				}
				if (!in_val) {
					r->voff[nf] = r->val.len;
					in_val = true;
				}
				if (dxt_buf_append(&r->val, seg,
						   (size_t)(p - seg)) != DXT_OK)
					return val_nomem(r, err);
				if (c != quote) {
					/* Escape: the next byte is literal. */
					p++;
					if (put_escaped(r, p, &line, &line_start,
							err) != DXT_OK)
						return DXT_ENOMEM;
				}
				seg = ++p;
			}
			if (in_val) {
				if (dxt_buf_append(&r->val, seg,
						   (size_t)(p - seg)) != DXT_OK)
					return val_nomem(r, err);
				f->n = r->val.len - r->voff[nf];
				use_val = true;
			} else {
				f->p = seg;
				f->n = (size_t)(p - seg);
			}
			f->quoted = true;
			p++;
			if (p != end && *p != delim && *p != '\n' && *p != '\r')
				return stray_error(r, line,
						   column_of(line_start, p), *p,
						   err);
		} else {
			const char *s = p, *f0 = p;

			p = scan(us, p);
			if (esc != '\0' && *p == esc && p != end) {
				r->voff[nf] = r->val.len;
				for (;;) {
					if (dxt_buf_append(&r->val, s,
							   (size_t)(p - s)) !=
					    DXT_OK)
						return val_nomem(r, err);
					if (p + 1 == end) {
						if (!r->eof)
							return CSV_MORE;
						return escape_error(
							r, line,
							column_of(line_start, p),
							err);
					}
					p++;
					if (put_escaped(r, p, &line, &line_start,
							err) != DXT_OK)
						return DXT_ENOMEM;
					s = ++p;
					p = scan(us, p);
					if (*p != esc || p == end)
						break;
				}
				if (dxt_buf_append(&r->val, s, (size_t)(p - s)) !=
				    DXT_OK)
					return val_nomem(r, err);
				f->n = r->val.len - r->voff[nf];
				use_val = true;
				r->isnull[nf] = raw_is_null(r, f0, p);
			} else {
				f->p = s;
				f->n = (size_t)(p - s);
				r->isnull[nf] = raw_is_null(r, s, p);
			}
			f->quoted = false;
		}
		nf++;
		if (p == end) {
			if (!r->eof)
				return CSV_MORE;
			r->raw_len = (size_t)(end - start);
			r->pos = r->len;
			break;
		}
		if (*p == delim) {
			p++;
			continue;
		}
		/* A line end closes the record. An LF right after an escaped
		 * CR completes that CR's line end rather than adding one. */
		r->raw_len = (size_t)(p - start);
		if (!(*p == '\n' && p > start && p[-1] == '\r'))
			line++;
		r->after_cr = *p == '\r';
		r->pos = (size_t)(p + 1 - r->blk);
		break;
	}
	r->raw = start;
	r->nfields = nf;
	r->rec_line = r->line;
	r->line = line;
	r->records++;
	if (use_val) {
		for (size_t i = 0; i < nf; i++)
			if (r->voff[i] != SIZE_MAX)
				r->fields[i].p =
					(const char *)r->val.data + r->voff[i];
	}
	return 1;
}

int dxt_csv_read(struct dxt_csv_reader *r, struct dxt_csv_field **fields,
		 size_t *nfields, struct dxt_error *err)
{
	int rc;

	if (r->failed != 0)
		return dxt_error_set(err, r->failed,
				     "%s: reading stopped at line %llu after an "
				     "earlier error",
				     r->name, (unsigned long long)r->line);
	for (;;) {
		/* Skip blank lines and the LF that completes a CRLF. */
		for (;;) {
			char c;
			if (r->pos == r->len) {
				if (r->eof)
					return 0;
				rc = fill(r, err);
				if (rc != DXT_OK)
					goto fail;
				continue;
			}
			c = r->blk[r->pos];
			if (c == '\n') {
				if (!r->after_cr)
					r->line++;
			} else if (c == '\r') {
				r->line++;
			} else {
				break;
			}
			r->after_cr = c == '\r';
			r->pos++;
		}
		r->after_cr = false;
		rc = parse_record(r, err);
		if (rc == 1) {
			*fields = r->fields;
			*nfields = r->nfields;
			return 1;
		}
		if (rc != CSV_MORE)
			goto fail;
		rc = fill(r, err);
		if (rc != DXT_OK)
			goto fail;
	}
fail:
	r->failed = rc;
	return rc;
}

int dxt_csv_append_record(const struct dxt_csv_reader *r,
			  const struct dxt_csv_field *fields, size_t nfields,
			  struct dxt_batch *b, struct dxt_error *err)
{
	const struct dxt_schema *s = b->schema;
	unsigned long long line = (unsigned long long)r->rec_line;
	char why[256];

	if (nfields != b->ncols)
		return dxt_error_set(err, DXT_EPARSE,
				     "%s: line %llu: expected %zu fields, found "
				     "%zu",
				     r->name, line, b->ncols, nfields);
	for (size_t i = 0; i < nfields; i++) {
		const struct dxt_field *f = &s->fields[i];
		struct dxt_column *c = &b->cols[i];
		int rc;

		if (dxt_csv_is_null(r, &fields[i])) {
			if (!f->nullable) {
				dxt_batch_rollback_row(b);
				return dxt_error_set(
					err, DXT_ETYPE,
					"%s: line %llu, column %zu (%s): null "
					"value in a field that is not nullable",
					r->name, line, i + 1, f->name);
			}
			rc = dxt_col_append_null(c);
			why[0] = '\0';
		} else {
			why[0] = '\0';
			rc = dxt_value_parse_append(c, f, fields[i].p,
						    fields[i].n, why,
						    sizeof(why));
		}
		if (rc != DXT_OK) {
			dxt_batch_rollback_row(b);
			if (why[0] == '\0')
				snprintf(why, sizeof(why), "%s",
					 dxt_strerror(rc));
			return dxt_error_set(err, rc,
					     "%s: line %llu, column %zu (%s): %s",
					     r->name, line, i + 1, f->name, why);
		}
	}
	dxt_batch_end_row(b);
	return DXT_OK;
}

/* --- writer --------------------------------------------------------------- */

struct csv_writer {
	const struct dxt_csv_opts *o;
	size_t null_len;
	uint8_t special[256]; /* bytes that force quoting or escaping */
};

static void writer_init(struct csv_writer *w, const struct dxt_csv_opts *o)
{
	memset(w->special, 0, sizeof(w->special));
	w->o = o;
	w->null_len = strnlen(o->null_value, sizeof(o->null_value));
	w->special['\n'] = w->special['\r'] = 1;
	w->special[(uint8_t)o->delimiter] = 1;
	if (o->quotechar != '\0')
		w->special[(uint8_t)o->quotechar] = 1;
	if (o->escapechar != '\0')
		w->special[(uint8_t)o->escapechar] = 1;
}

/* True when the text cannot be written as is: it holds a special byte or
 * would read back as null. */
static inline bool needs_care(const struct csv_writer *w, const char *p,
			      size_t n)
{
	const uint8_t *s = (const uint8_t *)p;

	if (n == w->null_len &&
	    (n == 0 || memcmp(p, w->o->null_value, n) == 0))
		return true;
	for (size_t i = 0; i < n; i++)
		if (w->special[s[i]])
			return true;
	return false;
}

/*
 * Writes a field that needs quoting or escaping. Returns DXT_EINVAL when
 * the options cannot represent it (a quote with neither doublequote nor an
 * escape character; a special byte or a null look-alike with quoting off),
 * leaving out as it was.
 */
static int write_careful(const struct csv_writer *w, struct dxt_buf *out,
			 const char *p, size_t n)
{
	const struct dxt_csv_opts *o = w->o;
	const char q = o->quotechar, esc = o->escapechar;
	size_t at = out->len;
	char *d;

	if (dxt_buf_reserve(out, 2 * n + 2) != DXT_OK)
		return DXT_ENOMEM;
	d = (char *)out->data + out->len;
	if (q != '\0') {
		*d++ = q;
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (c == q) {
				if (o->doublequote)
					*d++ = q;
				else if (esc != '\0')
					*d++ = esc;
				else
					goto invalid;
			} else if (c == esc && esc != '\0') {
				*d++ = esc;
			}
			*d++ = c;
		}
		*d++ = q;
	} else {
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (c == o->delimiter || c == '\n' || c == '\r' ||
			    (c == esc && esc != '\0')) {
				if (esc == '\0')
					goto invalid;
				*d++ = esc;
			}
			*d++ = c;
		}
		/* Without quotes, text that reads back as the null marker
		 * cannot be told from a null. */
		if ((size_t)(d - (char *)out->data) - at == w->null_len &&
		    memcmp(out->data + at, o->null_value, w->null_len) == 0)
			goto invalid;
	}
	out->len = (size_t)(d - (char *)out->data);
	return DXT_OK;
invalid:
	out->len = at;
	return DXT_EINVAL;
}

static inline int write_text(const struct csv_writer *w, struct dxt_buf *out,
			     const char *p, size_t n)
{
	if (needs_care(w, p, n))
		return write_careful(w, out, p, n);
	return dxt_buf_append(out, p, n);
}

int dxt_csv_write_field(const struct dxt_csv_opts *opts, struct dxt_buf *out,
			const char *p, size_t n, bool is_null)
{
	struct csv_writer w;

	if (is_null)
		return dxt_buf_append(out, opts->null_value,
				      strnlen(opts->null_value,
					      sizeof(opts->null_value)));
	writer_init(&w, opts);
	return write_text(&w, out, p, n);
}

static size_t terminator(const struct dxt_csv_opts *opts, const char **t)
{
	size_t n = strnlen(opts->lineterminator, sizeof(opts->lineterminator));

	if (n == 0 || n == sizeof(opts->lineterminator)) {
		*t = "\n";
		return 1;
	}
	*t = opts->lineterminator;
	return n;
}

int dxt_csv_write_header(const struct dxt_csv_opts *opts,
			 const struct dxt_schema *schema, struct dxt_buf *out)
{
	struct csv_writer w;
	const char *term;
	size_t tl = terminator(opts, &term);
	int rc;

	writer_init(&w, opts);
	for (size_t i = 0; i < schema->n; i++) {
		const char *name = schema->fields[i].name;
		if (i > 0 && dxt_buf_putc(out, opts->delimiter) != DXT_OK)
			return DXT_ENOMEM;
		rc = write_text(&w, out, name, strlen(name));
		if (rc != DXT_OK)
			return rc;
	}
	return dxt_buf_append(out, term, tl);
}

int dxt_csv_write_batch(const struct dxt_csv_opts *opts,
			const struct dxt_batch *b, struct dxt_buf *out)
{
	struct csv_writer w;
	struct dxt_buf tmp = {0};
	const char *term;
	size_t tl = terminator(opts, &term);
	int rc = DXT_OK;

	writer_init(&w, opts);
	for (size_t i = 0; i < b->nrows && rc == DXT_OK; i++) {
		size_t row_start = out->len;

		for (size_t j = 0; j < b->ncols; j++) {
			const struct dxt_column *c = &b->cols[j];
			size_t at;

			if (j > 0 &&
			    (rc = dxt_buf_putc(out, opts->delimiter)) != DXT_OK)
				break;
			if (c->type == DXT_TYPE_NULL || !dxt_col_is_valid(c, i)) {
				rc = dxt_buf_append(out, opts->null_value,
						    w.null_len);
			} else if (c->type == DXT_TYPE_STRING ||
				   c->type == DXT_TYPE_JSON) {
				size_t n;
				const uint8_t *p = dxt_col_bytes(c, i, &n);
				rc = write_text(&w, out, (const char *)p, n);
			} else {
				/* Format in place; rewrite only when the
				 * canonical text needs quoting (a space or
				 * ':' delimiter, a null_value of "0"...). */
				at = out->len;
				rc = dxt_value_format(c, &b->schema->fields[j],
						      i, out);
				if (rc == DXT_OK &&
				    needs_care(&w, (const char *)out->data + at,
					       out->len - at)) {
					tmp.len = 0;
					rc = dxt_buf_append(&tmp,
							    out->data + at,
							    out->len - at);
					out->len = at;
					if (rc == DXT_OK)
						rc = write_careful(
							&w, out,
							(const char *)tmp.data,
							tmp.len);
				}
			}
			if (rc != DXT_OK)
				break;
		}
		/* The reader skips an empty line, so a lone empty string is
		 * written quoted, and a lone null with null_value "" cannot
		 * be written at all. */
		if (rc == DXT_OK && out->len == row_start) {
			if (b->ncols == 1 && opts->quotechar != '\0' &&
			    dxt_col_is_valid(&b->cols[0], i)) {
				char qq[2] = {opts->quotechar, opts->quotechar};
				rc = dxt_buf_append(out, qq, 2);
			} else {
				rc = DXT_EINVAL;
			}
		}
		if (rc == DXT_OK)
			rc = dxt_buf_append(out, term, tl);
	}
	dxt_buf_free(&tmp);
	return rc;
}
