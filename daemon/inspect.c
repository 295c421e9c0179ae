/*
 * inspect.c - `dxtd inspect`: a Parquet file's footer and first rows (see
 * inspect.h).
 *
 * Everything comes from the engine's reader: the decoded footer
 * (dxt_pq_reader_meta), the mapped DXT schema and the rows. Column
 * statistics are stored in the Parquet physical encoding; for a flat file
 * (every top-level field one leaf column) they are shown as values of the
 * column's DXT type, through the same formatting the rows use, and for the
 * leaves of nested fields as values of their physical type.
 */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/batch.h"
#include "engine/convert.h"
#include "engine/jsonl.h"
#include "engine/parquet.h"
#include "engine/parquet_meta.h"
#include "engine/types.h"

#define DEFAULT_ROWS 10
/* Rows read per batch when printing the table. */
#define TABLE_CHUNK 1000
/* Longest table cell, in characters; longer values are cut with "...". */
#define CELL_MAX 48
/* JSON output is written out whenever this much is pending. */
#define FLUSH_BYTES (1u << 20)

struct inspect {
	const char *path;
	uint64_t size;
	uint64_t max_rows;              /* UINT64_MAX for all */
	int json;
	struct dxt_pq_reader *r;
	const struct dxt_pq_file_meta *fm;
	const struct dxt_schema *schema;
	int flat;                       /* leaf i is field i */
	size_t *top;                    /* schema element of each field */
	int *depth;                     /* depth of each schema element */
	size_t n_leaves;
	size_t *leaf_elem;              /* schema element of each leaf */
	struct dxt_buf out;
	struct dxt_error err;
};

/* --- small helpers -------------------------------------------------------- */

static int put(struct dxt_buf *b, const char *s)
{
	return dxt_buf_puts(b, s);
}

static int putf(struct dxt_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int putf(struct dxt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || dxt_buf_reserve(b, (size_t)n + 1) != DXT_OK)
		return DXT_ENOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return DXT_OK;
}

/*
 * A JSON string of bytes read from the file, which need not be UTF-8:
 * invalid bytes become U+FFFD so the output stays valid JSON.
 */
static int quote(struct dxt_buf *out, const void *s, size_t n)
{
	const unsigned char *p = s, *e = p + n;
	struct dxt_buf tmp = { 0 };
	size_t k;
	int rc;

	for (k = 0; p + k < e;) {
		size_t l = dxt_utf8_seq(p + k, e);

		if (!l)
			break;
		k += l;
	}
	if (p + k == e)
		return dxt_json_quote(out, s, n);
	while (p < e) {
		size_t l = dxt_utf8_seq(p, e);

		if (l)
			rc = dxt_buf_append(&tmp, p, l);
		else
			rc = dxt_buf_append(&tmp, "\xef\xbf\xbd", 3);
		if (rc != DXT_OK) {
			dxt_buf_free(&tmp);
			return rc;
		}
		p += l ? l : 1;
	}
	rc = dxt_json_quote(out, (const char *)tmp.data, tmp.len);
	dxt_buf_free(&tmp);
	return rc;
}

static int quote_str(struct dxt_buf *out, const char *s)
{
	if (!s)
		return put(out, "null");
	return quote(out, s, strlen(s));
}

/* Writes out what is pending. */
static int flush(struct inspect *in)
{
	if (in->out.len && fwrite(in->out.data, 1, in->out.len, stdout) !=
	    in->out.len)
		return DXT_EIO;
	in->out.len = 0;
	return DXT_OK;
}

/* --- names ---------------------------------------------------------------- */

static const char *const converted_names[] = {
	"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE",
	"TIME_MILLIS", "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS",
	"UINT_8", "UINT_16", "UINT_32", "UINT_64", "INT_8", "INT_16",
	"INT_32", "INT_64", "JSON", "BSON", "INTERVAL",
};

static const char *unit_name(enum dxt_pq_time_unit u)
{
	switch (u) {
	case DXT_PQ_MILLIS:
		return "MILLIS";
	case DXT_PQ_MICROS:
		return "MICROS";
	case DXT_PQ_NANOS:
		return "NANOS";
	default:
		return "?";
	}
}

/* "DECIMAL(12,2)", "TIMESTAMP(MICROS,utc)"; the converted type when there
 * is no logical type; "" when neither. */
static void logical_text(const struct dxt_pq_schema_elem *e, char *buf,
			 size_t n)
{
	static const char *const simple[] = {
		[DXT_PQ_LT_STRING] = "STRING", [DXT_PQ_LT_MAP] = "MAP",
		[DXT_PQ_LT_LIST] = "LIST", [DXT_PQ_LT_ENUM] = "ENUM",
		[DXT_PQ_LT_DATE] = "DATE", [DXT_PQ_LT_UNKNOWN] = "UNKNOWN",
		[DXT_PQ_LT_JSON] = "JSON", [DXT_PQ_LT_BSON] = "BSON",
		[DXT_PQ_LT_UUID] = "UUID", [DXT_PQ_LT_FLOAT16] = "FLOAT16",
	};
	const struct dxt_pq_logical *lt = &e->logical;
	int k = (int)lt->kind;

	buf[0] = 0;
	if (k == DXT_PQ_LT_DECIMAL) {
		snprintf(buf, n, "DECIMAL(%d,%d)", (int)lt->precision,
			 (int)lt->scale);
	} else if (k == DXT_PQ_LT_TIME || k == DXT_PQ_LT_TIMESTAMP) {
		snprintf(buf, n, "%s(%s,%s)", k == DXT_PQ_LT_TIME ? "TIME"
			 : "TIMESTAMP", unit_name(lt->unit),
			 lt->is_adjusted_to_utc ? "utc" : "local");
	} else if (k == DXT_PQ_LT_INTEGER) {
		snprintf(buf, n, "INTEGER(%d,%s)", (int)lt->bit_width,
			 lt->is_signed ? "signed" : "unsigned");
	} else if (k > 0 && (size_t)k < sizeof(simple) / sizeof(simple[0]) &&
		   simple[k]) {
		snprintf(buf, n, "%s", simple[k]);
	} else if (k != DXT_PQ_LT_NONE) {
		snprintf(buf, n, "LOGICAL(%d)", k);
	} else if (e->has_converted && e->converted == DXT_PQ_CT_DECIMAL) {
		snprintf(buf, n, "DECIMAL(%d,%d)", (int)e->precision,
			 (int)e->scale);
	} else if (e->has_converted && (int)e->converted >= 0 &&
		   (size_t)e->converted < sizeof(converted_names) /
		   sizeof(converted_names[0])) {
		snprintf(buf, n, "%s", converted_names[e->converted]);
	} else if (e->has_converted) {
		snprintf(buf, n, "CONVERTED(%d)", (int)e->converted);
	}
}

static const char *repetition_name(const struct dxt_pq_schema_elem *e)
{
	static const char *const names[] = { "REQUIRED", "OPTIONAL",
					     "REPEATED" };

	if (!e->has_repetition)
		return "";
	if ((int)e->repetition >= 0 && (int)e->repetition < 3)
		return names[e->repetition];
	return "?";
}

static void physical_text(const struct dxt_pq_schema_elem *e, char *buf,
			  size_t n)
{
	const char *name;

	if (!e->has_type) {
		snprintf(buf, n, "group");
		return;
	}
	name = dxt_pq_physical_name((int)e->type);
	if (!name)
		snprintf(buf, n, "TYPE(%d)", (int)e->type);
	else if (e->type == DXT_PQ_FIXED_LEN_BYTE_ARRAY)
		snprintf(buf, n, "%s(%d)", name, (int)e->type_length);
	else
		snprintf(buf, n, "%s", name);
}

/* --- the schema tree ------------------------------------------------------ */

/*
 * Walks the subtree at element i (depth d), recording depths and leaves,
 * and returns the element after it, or 0 when the tree does not fit the
 * list (the reader has checked it, so only as a guard).
 */
static size_t walk(struct inspect *in, size_t i, int d)
{
	const struct dxt_pq_file_meta *fm = in->fm;
	size_t j;

	if (i >= fm->n_schema || d > 100)
		return 0;
	in->depth[i] = d;
	if (fm->schema[i].has_type) {
		in->leaf_elem[in->n_leaves++] = i;
		return i + 1;
	}
	j = i + 1;
	for (int32_t k = 0; k < fm->schema[i].num_children; k++) {
		j = walk(in, j, d + 1);
		if (!j)
			return 0;
	}
	return j;
}

static int map_schema(struct inspect *in)
{
	const struct dxt_pq_file_meta *fm = in->fm;
	size_t j = 1;

	in->depth = calloc(fm->n_schema + 1, sizeof(*in->depth));
	in->leaf_elem = calloc(fm->n_schema + 1, sizeof(*in->leaf_elem));
	in->top = calloc(in->schema->n + 1, sizeof(*in->top));
	if (!in->depth || !in->leaf_elem || !in->top)
		return DXT_ENOMEM;
	if (fm->n_schema == 0 || fm->schema[0].num_children < 0 ||
	    (size_t)fm->schema[0].num_children != in->schema->n)
		return dxt_error_set(&in->err, DXT_EPARSE, "the schema's root "
				     "does not match its fields");
	in->flat = 1;
	for (size_t f = 0; f < in->schema->n; f++) {
		const struct dxt_pq_schema_elem *e;

		in->top[f] = j;
		j = walk(in, j, 1);
		if (!j)
			return dxt_error_set(&in->err, DXT_EPARSE, "the schema "
					     "tree is malformed");
		e = &fm->schema[in->top[f]];
		if (!e->has_type || (e->has_repetition &&
				     e->repetition == DXT_PQ_REPEATED))
			in->flat = 0;
	}
	return DXT_OK;
}

/* --- statistics ----------------------------------------------------------- */

static int64_t le_int(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (n < 8 && (p[n - 1] & 0x80))
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

static int is_unsigned(const struct dxt_pq_schema_elem *e)
{
	if (e->logical.kind == DXT_PQ_LT_INTEGER)
		return !e->logical.is_signed;
	return e->has_converted && e->converted >= DXT_PQ_CT_UINT_8 &&
	       e->converted <= DXT_PQ_CT_UINT_64;
}

/* Microseconds per unit of a TIME or TIMESTAMP column: 1000 for millis,
 * -1000 for nanos (divide), 1 for micros. */
static int64_t unit_scale(const struct dxt_pq_schema_elem *e)
{
	enum dxt_pq_time_unit u = e->logical.unit;

	if (e->logical.kind != DXT_PQ_LT_TIME &&
	    e->logical.kind != DXT_PQ_LT_TIMESTAMP) {
		if (e->has_converted && (e->converted == DXT_PQ_CT_TIME_MILLIS ||
		    e->converted == DXT_PQ_CT_TIMESTAMP_MILLIS))
			return 1000;
		return 1;
	}
	return u == DXT_PQ_MILLIS ? 1000 : u == DXT_PQ_NANOS ? -1000 : 1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Integer range of an integer-like DXT type, for guarding the append. */
static int fits(enum dxt_type t, int64_t v)
{
	switch (t) {
	case DXT_TYPE_INT8:
		return v >= INT8_MIN && v <= INT8_MAX;
	case DXT_TYPE_INT16:
		return v >= INT16_MIN && v <= INT16_MAX;
	case DXT_TYPE_INT32:
	case DXT_TYPE_DATE:
		return v >= INT32_MIN && v <= INT32_MAX;
	default:
		return 1;
	}
}

/*
 * Appends the statistic p[0..n) of leaf element e as a value of field f to
 * column c. Returns 1 when appended, 0 when the bytes do not make a value
 * of that type (a foreign or truncated statistic), -1 on out of memory.
 */
static int stat_value(const struct dxt_pq_schema_elem *e,
		      const struct dxt_field *f, const uint8_t *p, size_t n,
		      struct dxt_column *c)
{
	enum dxt_pq_physical ph = e->type;
	__int128 d = 0;
	int64_t v = 0, s;
	int rc;

	switch (f->type) {
	case DXT_TYPE_BOOL:
		if (ph != DXT_PQ_BOOLEAN || n < 1)
			return 0;
		rc = dxt_col_append_bool(c, p[0] & 1);
		break;
	case DXT_TYPE_INT8: case DXT_TYPE_INT16: case DXT_TYPE_INT32:
	case DXT_TYPE_INT64: case DXT_TYPE_DATE: case DXT_TYPE_TIME:
	case DXT_TYPE_TIMESTAMP: case DXT_TYPE_TIMESTAMPTZ:
		if (ph == DXT_PQ_INT32 && n == 4) {
			v = is_unsigned(e) ? (int64_t)(uint32_t)le_int(p, 4)
					   : le_int(p, 4);
		} else if (ph == DXT_PQ_INT64 && n == 8) {
			v = le_int(p, 8);
		} else if (ph == DXT_PQ_INT96 && n == 12) {
			/* Nanoseconds of the day, then the Julian day. */
			int64_t ns = le_int(p, 8), day = le_int(p + 8, 4);

			v = (day - 2440588) * 86400000000ll +
			    floor_div(ns, 1000);
			f = NULL;
		} else {
			return 0;
		}
		if (f && (f->type == DXT_TYPE_TIME ||
			  f->type == DXT_TYPE_TIMESTAMP ||
			  f->type == DXT_TYPE_TIMESTAMPTZ)) {
			s = unit_scale(e);
			if (s > 1 && (v > INT64_MAX / s || v < INT64_MIN / s))
				return 0;
			v = s < 0 ? floor_div(v, -s) : v * s;
		}
		if (!fits(c->type, v))
			return 0;
		rc = dxt_col_append_int(c, v);
		break;
	case DXT_TYPE_FLOAT32:
		if (ph != DXT_PQ_FLOAT || n != 4)
			return 0;
		{
			float x;

			memcpy(&x, p, 4);
			rc = dxt_col_append_f32(c, x);
		}
		break;
	case DXT_TYPE_FLOAT64:
		if (ph != DXT_PQ_DOUBLE || n != 8)
			return 0;
		{
			double x;

			memcpy(&x, p, 8);
			rc = dxt_col_append_f64(c, x);
		}
		break;
	case DXT_TYPE_DECIMAL:
		if (ph == DXT_PQ_INT32 && n == 4) {
			d = le_int(p, 4);
		} else if (ph == DXT_PQ_INT64 && n == 8) {
			d = is_unsigned(e) ? (__int128)(uint64_t)le_int(p, 8)
					   : le_int(p, 8);
		} else if ((ph == DXT_PQ_BYTE_ARRAY ||
			    ph == DXT_PQ_FIXED_LEN_BYTE_ARRAY) && n >= 1 &&
			   n <= 16) {
			/* Big-endian two's complement. */
			d = (p[0] & 0x80) ? -1 : 0;
			for (size_t i = 0; i < n; i++)
				d = (__int128)(((unsigned __int128)d << 8) |
					       p[i]);
		} else {
			return 0;
		}
		rc = dxt_col_append_dec(c, d);
		break;
	case DXT_TYPE_STRING: case DXT_TYPE_BINARY: case DXT_TYPE_JSON:
		if (ph != DXT_PQ_BYTE_ARRAY &&
		    ph != DXT_PQ_FIXED_LEN_BYTE_ARRAY)
			return 0;
		rc = dxt_col_append_bytes(c, p, n);
		break;
	case DXT_TYPE_UUID:
		if (n != 16)
			return 0;
		rc = dxt_col_append_uuid(c, p);
		break;
	default:
		return 0;
	}
	return rc == DXT_OK ? 1 : -1;
}

/* The DXT field a nested leaf's statistics are shown as: its physical
 * type, strings for string-like annotations, decimals for DECIMAL. */
static void physical_field(const struct dxt_pq_schema_elem *e,
			   struct dxt_field *f)
{
	char lt[64];

	memset(f, 0, sizeof(*f));
	f->name = e->name;
	f->nullable = true;
	logical_text(e, lt, sizeof(lt));
	if (!strncmp(lt, "DECIMAL(", 8)) {
		f->type = DXT_TYPE_DECIMAL;
		f->precision = e->logical.kind == DXT_PQ_LT_DECIMAL ?
			       e->logical.precision : e->precision;
		f->scale = e->logical.kind == DXT_PQ_LT_DECIMAL ?
			   e->logical.scale : e->scale;
		return;
	}
	switch (e->type) {
	case DXT_PQ_BOOLEAN:
		f->type = DXT_TYPE_BOOL;
		break;
	case DXT_PQ_INT32:
		f->type = DXT_TYPE_INT32;
		break;
	case DXT_PQ_INT64:
		f->type = DXT_TYPE_INT64;
		break;
	case DXT_PQ_INT96:
		f->type = DXT_TYPE_TIMESTAMP;
		break;
	case DXT_PQ_FLOAT:
		f->type = DXT_TYPE_FLOAT32;
		break;
	case DXT_PQ_DOUBLE:
		f->type = DXT_TYPE_FLOAT64;
		break;
	default:
		f->type = (!strcmp(lt, "STRING") || !strcmp(lt, "UTF8") ||
			   !strcmp(lt, "ENUM") || !strcmp(lt, "JSON"))
			  ? DXT_TYPE_STRING : DXT_TYPE_BINARY;
		break;
	}
}

/*
 * Appends the statistic as text (json 0) or as a JSON value (json 1) to
 * out; writes `none` when it cannot be shown.
 */
static int put_stat(struct inspect *in, size_t leaf, const uint8_t *p,
		    size_t n, int json, const char *none, struct dxt_buf *out)
{
	const struct dxt_pq_schema_elem *e =
		&in->fm->schema[in->leaf_elem[leaf]];
	struct dxt_schema one;
	struct dxt_field f;
	struct dxt_batch b;
	int rc;

	if (in->flat && leaf < in->schema->n)
		f = in->schema->fields[leaf];
	else
		physical_field(e, &f);
	/* A json column's statistics may be cut short by the writer, so
	 * they are shown as strings, never embedded as JSON. */
	if (f.type == DXT_TYPE_JSON)
		f.type = DXT_TYPE_STRING;
	f.nullable = true;
	one.n = 1;
	one.fields = &f;
	if (dxt_batch_init(&b, &one) != DXT_OK)
		return DXT_ENOMEM;
	rc = stat_value(e, &f, p, n, &b.cols[0]);
	if (rc < 0) {
		rc = DXT_ENOMEM;
	} else if (rc == 0) {
		rc = put(out, none);
	} else {
		dxt_batch_end_row(&b);
		rc = json ? dxt_value_format_json(&b.cols[0], &f, 0, out)
			  : dxt_value_format(&b.cols[0], &f, 0, out);
	}
	dxt_batch_release(&b);
	return rc;
}

/* "a.b.c" from the column's path_in_schema. */
static int put_path(struct dxt_buf *b, const struct dxt_pq_column_meta *m)
{
	for (size_t i = 0; i < m->n_path; i++)
		if ((i && dxt_buf_putc(b, '.') != DXT_OK) ||
		    put(b, m->path[i]) != DXT_OK)
			return DXT_ENOMEM;
	return DXT_OK;
}

static int put_encodings(struct dxt_buf *b, const struct dxt_pq_column_meta *m,
			 int json)
{
	int rc = DXT_OK;

	for (size_t i = 0; i < m->n_encodings && rc == DXT_OK; i++) {
		const char *name = dxt_pq_encoding_name(m->encodings[i]);

		if (i)
			rc = dxt_buf_putc(b, ',');
		if (rc != DXT_OK)
			break;
		if (json && name)
			rc = putf(b, "\"%s\"", name);
		else if (json)
			rc = putf(b, "\"%d\"", (int)m->encodings[i]);
		else if (name)
			rc = put(b, name);
		else
			rc = putf(b, "%d", (int)m->encodings[i]);
	}
	return rc;
}

/* --- text tables ---------------------------------------------------------- */

struct table {
	size_t ncols;
	struct dxt_buf text;   /* cells, each NUL-terminated */
	struct dxt_buf starts; /* size_t offset of each cell */
};

/* Adds one cell; control characters are shown escaped and long values
 * are cut, so every cell is one short line. */
static int cell(struct table *t, const char *s, size_t n)
{
	size_t start = t->text.len, chars = 0;
	int rc = dxt_buf_append(&t->starts, &start, sizeof(start));

	for (size_t i = 0; i < n && rc == DXT_OK; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch & 0xc0) != 0x80 && ++chars > CELL_MAX) {
			rc = put(&t->text, "...");
			break;
		}
		if (ch == '\n')
			rc = put(&t->text, "\\n");
		else if (ch == '\t')
			rc = put(&t->text, "\\t");
		else if (ch == '\r')
			rc = put(&t->text, "\\r");
		else if (ch < 0x20 || ch == 0x7f)
			rc = dxt_buf_putc(&t->text, '?');
		else
			rc = dxt_buf_putc(&t->text, (char)ch);
	}
	if (rc == DXT_OK)
		rc = dxt_buf_putc(&t->text, 0);
	return rc;
}

static int cell_str(struct table *t, const char *s)
{
	return cell(t, s, strlen(s));
}

static int cell_fmt(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A cell of formatted text (numbers: short by construction). */
static int cell_fmt(struct table *t, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return cell_str(t, buf);
}

/* One cell per name, for a header row. */
static int cells(struct table *t, const char *const *names, size_t n)
{
	int rc = DXT_OK;

	for (size_t i = 0; i < n && rc == DXT_OK; i++)
		rc = cell_str(t, names[i]);
	return rc;
}

static const char *cell_at(const struct table *t, size_t i)
{
	size_t off;

	memcpy(&off, t->starts.data + i * sizeof(off), sizeof(off));
	return (const char *)t->text.data + off;
}

static size_t width_of(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/*
 * Appends the table's rows to out, two spaces in front and between
 * columns. widths (ncols entries) is widened to fit when `fit` is set, so a
 * later chunk of the same table can reuse it.
 */
static int table_put(struct table *t, size_t *widths, int fit,
		     struct dxt_buf *out)
{
	size_t ncells = t->starts.len / sizeof(size_t);
	int rc = DXT_OK;

	if (fit)
		for (size_t i = 0; i < ncells; i++) {
			size_t w = width_of(cell_at(t, i));

			if (w > widths[i % t->ncols])
				widths[i % t->ncols] = w;
		}
	for (size_t i = 0; i < ncells && rc == DXT_OK; i++) {
		const char *s = cell_at(t, i);
		size_t col = i % t->ncols, w = width_of(s);

		rc = put(out, "  ");
		if (rc == DXT_OK)
			rc = put(out, s);
		if (col + 1 == t->ncols || i + 1 == ncells) {
			if (rc == DXT_OK)
				rc = dxt_buf_putc(out, '\n');
		} else {
			for (; w < widths[col] && rc == DXT_OK; w++)
				rc = dxt_buf_putc(out, ' ');
		}
	}
	t->text.len = 0;
	t->starts.len = 0;
	return rc;
}

static void table_free(struct table *t)
{
	dxt_buf_free(&t->text);
	dxt_buf_free(&t->starts);
}

/* --- text output ---------------------------------------------------------- */

static int text_schema(struct inspect *in)
{
	static const char *const header[] = {
		"column", "type", "physical", "logical", "repetition",
	};
	const struct dxt_pq_file_meta *fm = in->fm;
	struct table t = { .ncols = 5 };
	size_t widths[5] = { 0 }, f = 0;
	char type[64], phys[64], lt[64], name[512];
	int rc;

	rc = put(&in->out, "\nschema\n");
	if (rc == DXT_OK)
		rc = cells(&t, header, 5);
	for (size_t i = 1; i < fm->n_schema && rc == DXT_OK; i++) {
		const struct dxt_pq_schema_elem *e = &fm->schema[i];

		/* Nested elements are indented under their field. */
		snprintf(name, sizeof(name), "%*s%s",
			 2 * (in->depth[i] > 0 ? in->depth[i] - 1 : 0), "",
			 e->name);
		type[0] = 0;
		if (f < in->schema->n && in->top[f] == i)
			dxt_field_type_string(&in->schema->fields[f++], type,
					      sizeof(type));
		physical_text(e, phys, sizeof(phys));
		logical_text(e, lt, sizeof(lt));
		rc = cell_str(&t, name);
		if (rc == DXT_OK)
			rc = cell_str(&t, type);
		if (rc == DXT_OK)
			rc = cell_str(&t, phys);
		if (rc == DXT_OK)
			rc = cell_str(&t, lt[0] ? lt : "-");
		if (rc == DXT_OK)
			rc = cell_str(&t, repetition_name(e));
	}
	if (rc == DXT_OK)
		rc = table_put(&t, widths, 1, &in->out);
	table_free(&t);
	return rc;
}

static int text_row_groups(struct inspect *in)
{
	static const char *const header[] = {
		"column", "codec", "encodings", "compressed", "uncompressed",
		"nulls", "min", "max",
	};
	const struct dxt_pq_file_meta *fm = in->fm;
	struct table t = { .ncols = 8 };
	struct dxt_buf b = { 0 };
	int rc = DXT_OK;

	for (size_t g = 0; g < fm->n_row_groups && rc == DXT_OK; g++) {
		const struct dxt_pq_row_group *rg = &fm->row_groups[g];
		size_t widths[8] = { 0 };

		rc = putf(&in->out, "\nrow group %zu: %" PRId64 " rows, %"
			  PRId64 " bytes", g, rg->num_rows,
			  rg->total_byte_size);
		if (rc == DXT_OK && rg->has_total_compressed_size)
			rc = putf(&in->out, " (%" PRId64 " compressed)",
				  rg->total_compressed_size);
		if (rc == DXT_OK)
			rc = put(&in->out, "\n");
		if (rc == DXT_OK)
			rc = cells(&t, header, 8);
		for (size_t c = 0; c < rg->n_columns && rc == DXT_OK; c++) {
			const struct dxt_pq_column_chunk *cc = &rg->columns[c];
			const struct dxt_pq_column_meta *m = &cc->meta;
			const struct dxt_pq_col_stats *st = &m->stats;
			const char *codec = dxt_pq_codec_name(m->codec);

			if (!cc->has_meta) {
				rc = cell_fmt(&t, "%zu", c);
				for (int k = 0; k < 7 && rc == DXT_OK; k++)
					rc = cell_str(&t, "-");
				continue;
			}
			b.len = 0;
			rc = put_path(&b, m);
			if (rc == DXT_OK)
				rc = cell(&t, (char *)b.data, b.len);
			if (rc == DXT_OK)
				rc = codec ? cell_str(&t, codec)
					   : cell_fmt(&t, "%d", (int)m->codec);
			b.len = 0;
			if (rc == DXT_OK)
				rc = put_encodings(&b, m, 0);
			if (rc == DXT_OK)
				rc = cell(&t, (char *)b.data, b.len);
			if (rc == DXT_OK)
				rc = cell_fmt(&t, "%" PRId64,
					      m->total_compressed_size);
			if (rc == DXT_OK)
				rc = cell_fmt(&t, "%" PRId64,
					      m->total_uncompressed_size);
			if (rc == DXT_OK && m->has_stats && st->has_null_count)
				rc = cell_fmt(&t, "%" PRId64, st->null_count);
			else if (rc == DXT_OK)
				rc = cell_str(&t, "-");
			for (int k = 0; k < 2 && rc == DXT_OK; k++) {
				int has = k ? st->has_max : st->has_min;

				b.len = 0;
				if (m->has_stats && has && c < in->n_leaves)
					rc = put_stat(in, c, k ? st->max_value
						      : st->min_value,
						      k ? st->max_len
						      : st->min_len, 0, "?",
						      &b);
				else
					rc = put(&b, "-");
				if (rc == DXT_OK)
					rc = cell(&t, (char *)b.data, b.len);
			}
		}
		if (rc == DXT_OK)
			rc = table_put(&t, widths, 1, &in->out);
	}
	dxt_buf_free(&b);
	table_free(&t);
	return rc;
}

static int text_rows(struct inspect *in)
{
	const struct dxt_schema *s = in->schema;
	struct dxt_batch_limits lim = { 0 };
	struct table t = { .ncols = s->n ? s->n : 1 };
	size_t *widths = calloc(s->n + 1, sizeof(size_t));
	struct dxt_batch b;
	struct dxt_buf v = { 0 };
	uint64_t shown = 0;
	int rc = DXT_OK, first = 1;
	long got;

	if (!widths || dxt_batch_init(&b, s) != DXT_OK) {
		free(widths);
		return DXT_ENOMEM;
	}
	if (in->max_rows == UINT64_MAX)
		rc = put(&in->out, "\nrows (all)\n");
	else
		rc = putf(&in->out, "\nrows (first %" PRIu64 ")\n",
			  in->max_rows);
	for (size_t i = 0; i < s->n && rc == DXT_OK; i++)
		rc = cell_str(&t, s->fields[i].name);
	while (rc == DXT_OK && shown < in->max_rows) {
		uint64_t want = in->max_rows - shown;

		lim.max_rows = want < TABLE_CHUNK ? (size_t)want : TABLE_CHUNK;
		dxt_batch_reset(&b);
		got = dxt_pq_reader_read(in->r, &b, &lim, &in->err);
		if (got < 0) {
			rc = (int)got;
			break;
		}
		if (got == 0)
			break;
		for (size_t r = 0; r < b.nrows && rc == DXT_OK; r++) {
			for (size_t c = 0; c < s->n && rc == DXT_OK; c++) {
				v.len = 0;
				if (!dxt_col_is_valid(&b.cols[c], r))
					rc = put(&v, "null");
				else
					rc = dxt_value_format(&b.cols[c],
							      &s->fields[c], r,
							      &v);
				if (rc == DXT_OK)
					rc = cell(&t, (char *)v.data, v.len);
			}
		}
		shown += b.nrows;
		if (rc == DXT_OK && s->n)
			rc = table_put(&t, widths, first, &in->out);
		first = 0;
		if (rc == DXT_OK && in->out.len >= FLUSH_BYTES)
			rc = flush(in);
	}
	/* A file without rows still shows its header line. */
	if (rc == DXT_OK && first && s->n)
		rc = table_put(&t, widths, 1, &in->out);
	dxt_buf_free(&v);
	dxt_batch_release(&b);
	table_free(&t);
	free(widths);
	return rc;
}

static int text_output(struct inspect *in)
{
	const struct dxt_pq_file_meta *fm = in->fm;
	int rc;

	rc = putf(&in->out, "file        %s\nsize        %" PRIu64 " bytes\n"
		  "created_by  %s\nrows        %" PRId64 "\nrow groups  %zu\n",
		  in->path, in->size, fm->created_by ? fm->created_by : "-",
		  fm->num_rows, fm->n_row_groups);
	if (rc == DXT_OK)
		rc = text_schema(in);
	if (rc == DXT_OK)
		rc = text_row_groups(in);
	if (rc == DXT_OK)
		rc = flush(in);
	if (rc == DXT_OK)
		rc = text_rows(in);
	return rc;
}

/* --- JSON output ---------------------------------------------------------- */

static int json_schema(struct inspect *in)
{
	const struct dxt_schema *s = in->schema;
	char type[64], phys[64], lt[64];
	int rc = put(&in->out, ",\"schema\":[");

	for (size_t i = 0; i < s->n && rc == DXT_OK; i++) {
		const struct dxt_field *f = &s->fields[i];
		const struct dxt_pq_schema_elem *e = &in->fm->schema[in->top[i]];

		dxt_field_type_string(f, type, sizeof(type));
		physical_text(e, phys, sizeof(phys));
		logical_text(e, lt, sizeof(lt));
		rc = put(&in->out, i ? ",{\"name\":" : "{\"name\":");
		if (rc == DXT_OK)
			rc = quote_str(&in->out, f->name);
		if (rc == DXT_OK)
			rc = putf(&in->out, ",\"type\":\"%s\",\"nullable\":%s,"
				  "\"physical\":", type,
				  f->nullable ? "true" : "false");
		if (rc == DXT_OK)
			rc = e->has_type ? quote_str(&in->out, phys)
					 : put(&in->out, "null");
		if (rc == DXT_OK)
			rc = put(&in->out, ",\"logical\":");
		if (rc == DXT_OK)
			rc = lt[0] ? quote_str(&in->out, lt)
				   : put(&in->out, "null");
		if (rc == DXT_OK)
			rc = put(&in->out, ",\"repetition\":");
		if (rc == DXT_OK)
			rc = e->has_repetition
			     ? quote_str(&in->out, repetition_name(e))
			     : put(&in->out, "null");
		if (rc == DXT_OK)
			rc = dxt_buf_putc(&in->out, '}');
	}
	if (rc == DXT_OK)
		rc = dxt_buf_putc(&in->out, ']');
	return rc;
}

static int json_column(struct inspect *in, size_t c,
		       const struct dxt_pq_column_chunk *cc)
{
	const struct dxt_pq_column_meta *m = &cc->meta;
	const struct dxt_pq_col_stats *st = &m->stats;
	const char *codec = dxt_pq_codec_name(m->codec);
	struct dxt_buf path = { 0 };
	int rc;

	if (!cc->has_meta)
		return put(&in->out, "null");
	rc = put_path(&path, m);
	if (rc == DXT_OK)
		rc = put(&in->out, "{\"path\":");
	if (rc == DXT_OK)
		rc = quote(&in->out, path.data, path.len);
	dxt_buf_free(&path);
	if (rc == DXT_OK && codec)
		rc = putf(&in->out, ",\"codec\":\"%s\"", codec);
	else if (rc == DXT_OK)
		rc = putf(&in->out, ",\"codec\":\"%d\"", (int)m->codec);
	if (rc == DXT_OK)
		rc = put(&in->out, ",\"encodings\":[");
	if (rc == DXT_OK)
		rc = put_encodings(&in->out, m, 1);
	if (rc == DXT_OK)
		rc = putf(&in->out, "],\"compressed\":%" PRId64
			  ",\"uncompressed\":%" PRId64 ",\"null_count\":",
			  m->total_compressed_size,
			  m->total_uncompressed_size);
	if (rc == DXT_OK && m->has_stats && st->has_null_count)
		rc = putf(&in->out, "%" PRId64, st->null_count);
	else if (rc == DXT_OK)
		rc = put(&in->out, "null");
	for (int k = 0; k < 2 && rc == DXT_OK; k++) {
		int has = k ? st->has_max : st->has_min;

		rc = put(&in->out, k ? ",\"max\":" : ",\"min\":");
		if (rc != DXT_OK)
			break;
		if (m->has_stats && has && c < in->n_leaves)
			rc = put_stat(in, c, k ? st->max_value : st->min_value,
				      k ? st->max_len : st->min_len, 1,
				      "null", &in->out);
		else
			rc = put(&in->out, "null");
	}
	if (rc == DXT_OK)
		rc = dxt_buf_putc(&in->out, '}');
	return rc;
}

static int json_row_groups(struct inspect *in)
{
	const struct dxt_pq_file_meta *fm = in->fm;
	int rc = put(&in->out, ",\"row_groups\":[");

	for (size_t g = 0; g < fm->n_row_groups && rc == DXT_OK; g++) {
		const struct dxt_pq_row_group *rg = &fm->row_groups[g];

		rc = putf(&in->out, "%s{\"rows\":%" PRId64 ",\"bytes\":%"
			  PRId64 ",\"columns\":[", g ? "," : "", rg->num_rows,
			  rg->total_byte_size);
		for (size_t c = 0; c < rg->n_columns && rc == DXT_OK; c++) {
			if (c)
				rc = dxt_buf_putc(&in->out, ',');
			if (rc == DXT_OK)
				rc = json_column(in, c, &rg->columns[c]);
		}
		if (rc == DXT_OK)
			rc = put(&in->out, "]}");
	}
	if (rc == DXT_OK)
		rc = dxt_buf_putc(&in->out, ']');
	return rc;
}

/*
 * The rows as the JSON lines writer renders them: one row per read, so
 * each line the writer produces is exactly one object.
 */
static int json_rows(struct inspect *in)
{
	struct dxt_batch_limits lim = { .max_rows = 1 };
	struct dxt_batch b;
	uint64_t shown = 0;
	int rc;
	long got;

	if (dxt_batch_init(&b, in->schema) != DXT_OK)
		return DXT_ENOMEM;
	rc = put(&in->out, ",\"first_rows\":[");
	while (rc == DXT_OK && shown < in->max_rows) {
		dxt_batch_reset(&b);
		got = dxt_pq_reader_read(in->r, &b, &lim, &in->err);
		if (got < 0) {
			rc = (int)got;
			break;
		}
		if (got == 0)
			break;
		if (shown)
			rc = dxt_buf_putc(&in->out, ',');
		if (rc == DXT_OK)
			rc = dxt_jsonl_write_batch(&b, &in->out);
		/* Each line ends in a newline; the array separates them. */
		if (rc == DXT_OK && in->out.len &&
		    in->out.data[in->out.len - 1] == '\n')
			in->out.len--;
		shown += b.nrows;
		if (rc == DXT_OK && in->out.len >= FLUSH_BYTES)
			rc = flush(in);
	}
	if (rc == DXT_OK)
		rc = put(&in->out, "]}\n");
	dxt_batch_release(&b);
	return rc;
}

static int json_output(struct inspect *in)
{
	const struct dxt_pq_file_meta *fm = in->fm;
	int rc;

	rc = put(&in->out, "{\"file\":");
	if (rc == DXT_OK)
		rc = quote_str(&in->out, in->path);
	if (rc == DXT_OK)
		rc = putf(&in->out, ",\"bytes\":%" PRIu64 ",\"created_by\":",
			  in->size);
	if (rc == DXT_OK)
		rc = quote_str(&in->out, fm->created_by);
	if (rc == DXT_OK)
		rc = putf(&in->out, ",\"rows\":%" PRId64, fm->num_rows);
	if (rc == DXT_OK)
		rc = json_schema(in);
	if (rc == DXT_OK)
		rc = json_row_groups(in);
	if (rc == DXT_OK)
		rc = json_rows(in);
	return rc;
}

/* --- the command ---------------------------------------------------------- */

static void inspect_usage(FILE *f)
{
	fprintf(f, "usage: dxtd inspect [--rows N|all] [--json] FILE\n"
		"  --rows N   show the first N rows (default %d; all: every "
		"row)\n"
		"  --json     one JSON object instead of text\n",
		DEFAULT_ROWS);
}

/* Prints "dxtd inspect: FILE: message", without the file name the message
 * may already start with. */
static int fail(const char *path, const char *msg)
{
	size_t n = strlen(path);

	if (!strncmp(msg, path, n) && msg[n] == ':' && msg[n + 1] == ' ')
		msg += n + 2;
	fprintf(stderr, "dxtd inspect: %s: %s\n", path, msg);
	return 1;
}

/*
 * Clear messages for the commonest mistakes: a file that is no Parquet file
 * at all, and one cut short (a Parquet file begins and ends with "PAR1").
 */
static int check_magic(const char *path, uint64_t size)
{
	char head[4] = { 0 }, tail[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), begins, ends;

	if (fd < 0)
		return fail(path, strerror(errno));
	begins = pread(fd, head, 4, 0) == 4 && !memcmp(head, "PAR1", 4);
	ends = size >= 12 && pread(fd, tail, 4, (off_t)size - 4) == 4 &&
	       !memcmp(tail, "PAR1", 4);
	close(fd);
	if (!begins)
		return fail(path, "not a Parquet file (it does not begin "
			    "with \"PAR1\")");
	if (!ends)
		return fail(path, "the file begins like a Parquet file but "
			    "does not end with \"PAR1\": it is truncated or "
			    "still being written");
	return 0;
}

static int parse_rows(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!strcmp(s, "all")) {
		*out = UINT64_MAX;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int dxt_inspect_main(int argc, char **argv)
{
	struct inspect in = { .max_rows = DEFAULT_ROWS };
	struct stat st;
	const char *rows = NULL;
	int rc, status = 1;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			in.json = 1;
		} else if (!strcmp(a, "--rows") && i + 1 < argc) {
			rows = argv[++i];
		} else if (!strncmp(a, "--rows=", 7)) {
			rows = a + 7;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			inspect_usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1] != 0) {
			fprintf(stderr, "dxtd inspect: unknown option \"%s\"\n",
				a);
			inspect_usage(stderr);
			return 2;
		} else if (in.path) {
			fprintf(stderr, "dxtd inspect: name exactly one file\n");
			return 2;
		} else {
			in.path = a;
		}
	}
	if (!in.path) {
		fprintf(stderr, "dxtd inspect: name a Parquet file\n");
		inspect_usage(stderr);
		return 2;
	}
	if (rows && parse_rows(rows, &in.max_rows) != 0) {
		fprintf(stderr, "dxtd inspect: --rows takes a number or "
			"\"all\", not \"%s\"\n", rows);
		return 2;
	}
	if (stat(in.path, &st) != 0)
		return fail(in.path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return fail(in.path, "is a directory, not a Parquet file");
	in.size = (uint64_t)st.st_size;
	if (check_magic(in.path, in.size))
		return 1;
	dxt_error_clear(&in.err);
	rc = dxt_pq_reader_open(in.path, NULL, &in.r, &in.err);
	if (rc != DXT_OK)
		return fail(in.path, in.err.message[0] ? in.err.message
			    : dxt_strerror(rc));
	in.fm = dxt_pq_reader_meta(in.r);
	in.schema = dxt_pq_reader_schema(in.r);
	rc = map_schema(&in);
	if (rc == DXT_OK)
		rc = in.json ? json_output(&in) : text_output(&in);
	if (rc == DXT_OK)
		rc = flush(&in);
	if (rc == DXT_OK) {
		status = 0;
	} else {
		/* What was printed so far stays; the error says why it
		 * stops there. */
		fflush(stdout);
		if (rc == DXT_EIO && !in.err.message[0])
			fail(in.path, "cannot write the output");
		else
			fail(in.path, in.err.message[0] ? in.err.message
			     : dxt_strerror(rc));
	}
	dxt_buf_free(&in.out);
	free(in.depth);
	free(in.leaf_elem);
	free(in.top);
	dxt_pq_reader_close(in.r);
	return status;
}
