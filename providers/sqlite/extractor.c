/*
 * extractor.c - SQLiteExtractor (see extractor.h).
 *
 * One prepared statement is stepped to the end; each row's values are
 * converted straight into the columns of a batch, which goes to the buffer
 * writer whenever it is full. Cancellation is checked between batches and,
 * through a progress handler, inside long-running steps (a big ORDER BY).
 */
#include "providers/sqlite/extractor.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/convert.h"
#include "providers/sqlite/connector.h"
#include "providers/sqlite/typemap.h"

struct extract {
	const struct dxt_op_ctx *ctx;
	struct dxt_buffer_writer *out;
	struct dxt__sqlite_conf conf;
	struct dxt_rel_source src;
	struct dxt_rel_name rel;  /* relation sources: the parsed name */
	char what[320];           /* `relation "users"` for messages */
	sqlite3 *db;
	sqlite3_stmt *st;
	struct dxt_buf sql;
	struct dxt_schema *schema;
	struct dxt_batch batch;
	struct dxt_batch_limits limits;
	bool skip;                /* extract.on_error: skip */
	uint64_t row;             /* rows read, 1-based when reporting */

	/* Incremental extracts: the watermark column and its largest value
	 * so far, as SQLite stored it (type 0 until a non-null value). */
	const char *wfield;
	int wcol;
	int wtype;
	int64_t wint;
	double wreal;
	struct dxt_buf wtext;
};

/* --- values --------------------------------------------------------------- */

/* SQLite does not check that a BLOB read as text is UTF-8; the buffer
 * needs it to be. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (k >= n - i)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if (k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
			return false;
		if (k == 3 && (cp < 0x10000 || cp > 0x10ffff))
			return false;
		i += k + 1;
	}
	return true;
}

static int fail_type(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_type(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return DXT_ETYPE;
}

static __int128 pow10_i128(int n)
{
	__int128 v = 1;

	while (n-- > 0)
		v *= 10;
	return v;
}

/* What to add to "... is not a <type>" when a number meets a column of
 * dates or times: SQLite has no such type, so they must come as text. */
static const char *time_hint(const struct dxt_field *f)
{
	return f->type >= DXT_TYPE_DATE && f->type <= DXT_TYPE_TIMESTAMPTZ
		       ? " (dates and times must be stored as ISO-8601 text)"
		       : "";
}

static int append_integer(struct dxt_column *c, const struct dxt_field *f,
			  int64_t v, char *why, size_t len)
{
	char text[32], type[64];
	int n;

	switch (f->type) {
	case DXT_TYPE_BOOL:
		if (v == 0 || v == 1)
			return dxt_col_append_bool(c, v == 1);
		break;
	case DXT_TYPE_INT8:
		if (v >= INT8_MIN && v <= INT8_MAX)
			return dxt_col_append_i8(c, (int8_t)v);
		break;
	case DXT_TYPE_INT16:
		if (v >= INT16_MIN && v <= INT16_MAX)
			return dxt_col_append_i16(c, (int16_t)v);
		break;
	case DXT_TYPE_INT32:
		if (v >= INT32_MIN && v <= INT32_MAX)
			return dxt_col_append_i32(c, (int32_t)v);
		break;
	case DXT_TYPE_INT64:
		return dxt_col_append_i64(c, v);
	case DXT_TYPE_FLOAT32: {
		float x = (float)v;

		/* Beyond 2^24 a float cannot hold every integer: refuse
		 * the ones it would round. */
		if (fabsf(x) < 9.2e18f && (int64_t)x == v)
			return dxt_col_append_f32(c, x);
		break;
	}
	case DXT_TYPE_FLOAT64: {
		double x = (double)v;

		if (fabs(x) < 9.2e18 && (int64_t)x == v)
			return dxt_col_append_f64(c, x);
		break;
	}
	case DXT_TYPE_DECIMAL: {
		__int128 limit = pow10_i128(f->precision - f->scale);

		if ((__int128)v < limit && (__int128)v > -limit)
			return dxt_col_append_dec(
				c, (__int128)v * pow10_i128(f->scale));
		break;
	}
	case DXT_TYPE_STRING:
	case DXT_TYPE_JSON:
		n = snprintf(text, sizeof(text), "%" PRId64, v);
		return dxt_col_append_bytes(c, text, (size_t)n);
	default:
		dxt_field_type_string(f, type, sizeof(type));
		return fail_type(why, len,
				 "the integer %" PRId64 " is not a %s%s", v,
				 type, time_hint(f));
	}
	dxt_field_type_string(f, type, sizeof(type));
	return fail_type(why, len, "%" PRId64 " does not fit %s", v, type);
}

/*
 * The fast way from a REAL to decimal(p,s), for the common case where the
 * double is the nearest one to a decimal of at most 15 digits with that
 * scale (what the loader stores): that decimal is the one "%.15g" would
 * show, without formatting. False when the case does not apply.
 */
static bool real_to_decimal(double d, int precision, int scale,
			    __int128 *out)
{
	static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,
				       1e6, 1e7, 1e8,  1e9,  1e10, 1e11,
				       1e12, 1e13, 1e14, 1e15};
	double x, r;

	if (scale > 15 || !isfinite(d))
		return false;
	x = d * pow10[scale];
	if (!(fabs(x) < 1e15))
		return false;
	r = nearbyint(x);
	if (r / pow10[scale] != d ||
	    (precision < 15 && fabs(r) >= pow10[precision]))
		return false;
	*out = (__int128)r;
	return true;
}

static int append_real(sqlite3_stmt *st, int i, struct dxt_column *c,
		       const struct dxt_field *f, double d, char *why,
		       size_t len)
{
	char text[64], type[64];
	int n;

	switch (f->type) {
	case DXT_TYPE_FLOAT64:
		return dxt_col_append_f64(c, d);
	case DXT_TYPE_FLOAT32:
		if (!isfinite(d) || fabs(d) <= FLT_MAX)
			return dxt_col_append_f32(c, (float)d);
		break;
	case DXT_TYPE_BOOL:
		if (d == 0.0 || d == 1.0)
			return dxt_col_append_bool(c, d == 1.0);
		break;
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16:
	case DXT_TYPE_INT32:
	case DXT_TYPE_INT64:
		/* A whole number within int64 goes the integer way, which
		 * checks the column's width. */
		if (d == floor(d) && d >= -9.2233720368547758e18 &&
		    d < 9.2233720368547758e18)
			return append_integer(c, f, (int64_t)d, why, len);
		break;
	case DXT_TYPE_DECIMAL: {
		__int128 v;

		if (real_to_decimal(d, f->precision, f->scale, &v))
			return dxt_col_append_dec(c, v);
		/* 15 significant digits are what SQLite itself shows for a
		 * REAL, and every decimal of up to 15 digits survives the
		 * trip through a double. */
		n = snprintf(text, sizeof(text), "%.15g", d);
		if (isfinite(d) &&
		    dxt_parse_decimal(text, (size_t)n, f->precision, f->scale,
				      &v))
			return dxt_col_append_dec(c, v);
		break;
	}
	case DXT_TYPE_STRING:
	case DXT_TYPE_JSON: {
		const char *p = (const char *)sqlite3_column_text(st, i);

		if (p == NULL)
			return DXT_ENOMEM;
		if (f->type == DXT_TYPE_STRING)
			return dxt_col_append_bytes(
				c, p, (size_t)sqlite3_column_bytes(st, i));
		return dxt_value_parse_append(
			c, f, p, (size_t)sqlite3_column_bytes(st, i), why,
			len);
	}
	default:
		dxt_field_type_string(f, type, sizeof(type));
		return fail_type(why, len, "the REAL %.17g is not a %s%s", d,
				 type, time_hint(f));
	}
	dxt_field_type_string(f, type, sizeof(type));
	return fail_type(why, len, "%.17g does not fit %s", d, type);
}

static int append_blob(struct dxt_column *c, const struct dxt_field *f,
		       const void *p, size_t n, char *why, size_t len)
{
	char type[64];

	if (p == NULL)
		p = "";
	switch (f->type) {
	case DXT_TYPE_BINARY:
		return dxt_col_append_bytes(c, p, n);
	case DXT_TYPE_UUID:
		if (n == 16)
			return dxt_col_append_uuid(c, p);
		break;
	case DXT_TYPE_STRING:
		if (valid_utf8(p, n))
			return dxt_col_append_bytes(c, p, n);
		return fail_type(why, len,
				 "a BLOB of %zu bytes that is not UTF-8 "
				 "text is not a string",
				 n);
	case DXT_TYPE_JSON:
		if (valid_utf8(p, n))
			return dxt_value_parse_append(c, f, p, n, why, len);
		break;
	default:
		break;
	}
	dxt_field_type_string(f, type, sizeof(type));
	return fail_type(why, len, "a BLOB of %zu bytes is not a %s", n, type);
}

/*
 * Converts result column i of the current row into column c of field f.
 * DXT_OK, DXT_ENOMEM / DXT_ELIMIT, or DXT_ETYPE with the reason in `why`
 * (nothing appended).
 */
static int append_value(sqlite3_stmt *st, int i, struct dxt_column *c,
			const struct dxt_field *f, char *why, size_t len)
{
	const char *p;
	size_t n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return dxt_col_append_null(c);
	case SQLITE_INTEGER:
		return append_integer(c, f, sqlite3_column_int64(st, i), why,
				      len);
	case SQLITE_FLOAT:
		return append_real(st, i, c, f, sqlite3_column_double(st, i),
				   why, len);
	case SQLITE_TEXT:
		p = (const char *)sqlite3_column_text(st, i);
		if (p == NULL)
			return DXT_ENOMEM;
		n = (size_t)sqlite3_column_bytes(st, i);
		if (f->type == DXT_TYPE_STRING || f->type == DXT_TYPE_BINARY)
			return dxt_col_append_bytes(c, p, n);
		return dxt_value_parse_append(c, f, p, n, why, len);
	default:
		p = sqlite3_column_blob(st, i);
		n = (size_t)sqlite3_column_bytes(st, i);
		return append_blob(c, f, p, n, why, len);
	}
}

/* --- the statement -------------------------------------------------------- */

static int source_error(struct extract *x, int rc, const char *what,
			struct dxt_error *err)
{
	if ((rc & 0xff) == SQLITE_INTERRUPT && dxt_op_cancelled(x->ctx))
		return dxt_error_setc(err, DXT_ECANCELLED, DXT_TERMINAL,
				      DXT_ORIGIN_SOURCE,
				      "sqlite source %s: cancelled", x->what);
	return dxt__sqlite_error(err, x->db, rc, DXT_ORIGIN_SOURCE,
				 "sqlite source %s: %s", x->what, what);
}

/* True when only blanks, semicolons and comments follow. */
static bool only_trailer(const char *s)
{
	while (*s != '\0') {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
		    *s == ';') {
			s++;
		} else if (s[0] == '-' && s[1] == '-') {
			while (*s != '\0' && *s != '\n')
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			if (end == NULL)
				return true;
			s = end + 2;
		} else {
			return false;
		}
	}
	return true;
}

static int bind_watermark(struct extract *x, struct dxt_error *err)
{
	const json_t *wm = x->ctx->watermark;
	int rc;

	switch (json_typeof(wm)) {
	case JSON_INTEGER:
		rc = sqlite3_bind_int64(x->st, 1, json_integer_value(wm));
		break;
	case JSON_REAL:
		rc = sqlite3_bind_double(x->st, 1, json_real_value(wm));
		break;
	case JSON_STRING:
		rc = sqlite3_bind_text(x->st, 1, json_string_value(wm),
				       (int)json_string_length(wm),
				       SQLITE_TRANSIENT);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rc = sqlite3_bind_int(x->st, 1, json_is_true(wm));
		break;
	default:
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite source %s: the stored watermark "
				      "of \"%s\" is not a number or a string; "
				      "reset the stream's state",
				      x->what, x->wfield);
	}
	if (rc != SQLITE_OK)
		return source_error(x, rc, "cannot bind the watermark", err);
	return DXT_OK;
}

static int prepare(struct extract *x, struct dxt_error *err)
{
	bool bind_wm = x->wfield != NULL && x->ctx->watermark != NULL &&
		       !json_is_null(x->ctx->watermark);
	const char *tail = NULL;
	int rc, nparams;

	rc = dxt_rel_select_sql(&x->sql, &x->src, x->wfield, bind_wm,
				DXT_REL_PARAM_QMARK, err);
	if (rc != DXT_OK)
		return rc;
	rc = sqlite3_prepare_v2(x->db, (const char *)x->sql.data,
				(int)x->sql.len, &x->st, &tail);
	if (rc != SQLITE_OK)
		return source_error(x, rc, "cannot prepare the query", err);
	if (x->st == NULL)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite source %s: the query is empty",
				      x->what);
	if (tail != NULL && !only_trailer(tail))
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite source %s: more than one "
				      "statement; give a single SELECT",
				      x->what);
	if (!sqlite3_stmt_readonly(x->st))
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite source %s: the statement would "
				      "change the database; a source only "
				      "reads (SELECT or WITH ... SELECT)",
				      x->what);
	if (sqlite3_column_count(x->st) == 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite source %s: the statement returns "
				      "no columns",
				      x->what);
	nparams = sqlite3_bind_parameter_count(x->st);
	if (nparams != (bind_wm ? 1 : 0))
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite source %s: the query has %d "
				      "parameter(s); a source query takes "
				      "none (dxt binds only the watermark)",
				      x->what, nparams - (bind_wm ? 1 : 0));
	if (bind_wm)
		return bind_watermark(x, err);
	return DXT_OK;
}

/* The NOT NULL constraint of result column i's table column. */
static bool column_nullable(struct extract *x, int i)
{
	int notnull = 0, pk = 0, autoinc = 0;

	if (sqlite3_table_column_metadata(
		    x->db, sqlite3_column_database_name(x->st, i),
		    sqlite3_column_table_name(x->st, i),
		    sqlite3_column_origin_name(x->st, i), NULL, NULL, &notnull,
		    &pk, &autoinc) != SQLITE_OK)
		return true;
	return !notnull;
}

/*
 * Builds the schema once the first row (if any) is at hand: declared types
 * first, the first row's storage class for columns without one.
 */
static int build_schema(struct extract *x, bool have_row,
			struct dxt_error *err)
{
	int ncols = sqlite3_column_count(x->st);
	const char *table =
		x->rel.n > 0 ? dxt_rel_name_table(&x->rel) : NULL;
	x->schema = dxt_schema_create();
	if (x->schema == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	x->wcol = -1;
	for (int i = 0; i < ncols; i++) {
		const char *name = sqlite3_column_name(x->st, i);
		const char *decl = sqlite3_column_decltype(x->st, i);
		const char *origin_table = sqlite3_column_table_name(x->st, i);
		enum dxt_type type = DXT_TYPE_STRING;
		bool nullable = true;
		int p = 0, s = 0;

		if (name == NULL)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		for (size_t j = 0; j < x->schema->n; j++)
			if (strcasecmp(x->schema->fields[j].name, name) == 0)
				return dxt_error_setc(
					err, DXT_ESCHEMA, DXT_TERMINAL,
					DXT_ORIGIN_SOURCE,
					"sqlite source %s: columns %zu and %d "
					"are both named \"%s\"; give one an "
					"alias (AS other_name)",
					x->what, j + 1, i + 1, name);
		if (decl == NULL ||
		    !dxt__sqlite_type_from_decl(decl, &type, &p, &s)) {
			decl = NULL;
			switch (have_row ? sqlite3_column_type(x->st, i)
					 : SQLITE_NULL) {
			case SQLITE_INTEGER:
				type = DXT_TYPE_INT64;
				break;
			case SQLITE_FLOAT:
				type = DXT_TYPE_FLOAT64;
				break;
			case SQLITE_BLOB:
				type = DXT_TYPE_BINARY;
				break;
			default:
				type = DXT_TYPE_STRING;
				break;
			}
		}
		/* NOT NULL is trusted only for a table read as is: a view or
		 * a query (outer joins) can yield nulls in such columns. */
		if (decl != NULL && table != NULL && origin_table != NULL &&
		    strcasecmp(origin_table, table) == 0)
			nullable = column_nullable(x, i);
		if (dxt_schema_add(x->schema, name, type, p, s, nullable,
				   decl) != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		if (x->wfield != NULL && x->wcol < 0 &&
		    strcasecmp(name, x->wfield) == 0)
			x->wcol = i;
	}
	if (x->wfield != NULL && x->wcol < 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite source %s: watermark_field "
				      "\"%s\" is not a column of the result",
				      x->what, x->wfield);
	if (dxt_batch_init(&x->batch, x->schema) != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return dxt_buffer_writer_schema(x->out, x->schema, err);
}

/* Remembers the current row's watermark value; rows come in its order. */
static int track_watermark(struct extract *x, struct dxt_error *err)
{
	sqlite3_stmt *st = x->st;
	int col = x->wcol;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return DXT_OK;
	case SQLITE_INTEGER:
		x->wtype = SQLITE_INTEGER;
		x->wint = sqlite3_column_int64(st, col);
		return DXT_OK;
	case SQLITE_FLOAT:
		x->wtype = SQLITE_FLOAT;
		x->wreal = sqlite3_column_double(st, col);
		return DXT_OK;
	case SQLITE_TEXT:
		x->wtype = SQLITE_TEXT;
		x->wtext.len = 0;
		if (dxt_buf_append(&x->wtext, sqlite3_column_text(st, col),
				   (size_t)sqlite3_column_bytes(st, col)))
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		return DXT_OK;
	default:
		return dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL,
				      DXT_ORIGIN_SOURCE,
				      "sqlite source %s: row %" PRIu64
				      ": watermark_field \"%s\" holds a BLOB; "
				      "a watermark must be a number or text",
				      x->what, x->row, x->wfield);
	}
}

static int record_watermark(struct extract *x, struct dxt_error *err)
{
	json_t *value = NULL;
	int rc;

	switch (x->wtype) {
	case SQLITE_INTEGER:
		value = json_integer(x->wint);
		break;
	case SQLITE_FLOAT:
		value = json_real(x->wreal);
		break;
	case SQLITE_TEXT:
		value = json_stringn((const char *)x->wtext.data, x->wtext.len);
		if (value == NULL)
			return dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL,
					      DXT_ORIGIN_SOURCE,
					      "sqlite source %s: the last "
					      "value of watermark_field \"%s\" "
					      "is not UTF-8 text",
					      x->what, x->wfield);
		break;
	default:
		/* Nothing new: the last committed watermark stays. */
		if (x->ctx->watermark == NULL ||
		    json_is_null(x->ctx->watermark))
			return DXT_OK;
		return dxt_buffer_writer_watermark(x->out, x->wfield,
						   x->ctx->watermark, err);
	}
	if (value == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	rc = dxt_buffer_writer_watermark(x->out, x->wfield, value, err);
	json_decref(value);
	return rc;
}

static int flush(struct extract *x, struct dxt_error *err)
{
	size_t n = x->batch.nrows;

	if (n > 0) {
		DXT_RETURN_NOT_OK(
			dxt_buffer_writer_batch(x->out, &x->batch, err));
		dxt_batch_reset(&x->batch);
		if (x->ctx->progress != NULL) {
			atomic_fetch_add(&x->ctx->progress->rows, n);
			atomic_store(&x->ctx->progress->bytes,
				     dxt_buffer_writer_bytes(x->out));
		}
	}
	if (dxt_op_cancelled(x->ctx))
		return dxt_error_setc(err, DXT_ECANCELLED, DXT_TERMINAL,
				      DXT_ORIGIN_SOURCE,
				      "sqlite source %s: cancelled", x->what);
	return DXT_OK;
}

/*
 * Appends the current row to the batch. A value that does not fit fails
 * the extract, or with on_error: skip becomes a reject (rc DXT_OK).
 */
static int read_row(struct extract *x, struct dxt_error *err)
{
	char why[320], reason[480];
	int ncols = (int)x->schema->n;

	for (int i = 0; i < ncols; i++) {
		const struct dxt_field *f = &x->schema->fields[i];
		const char *raw;
		int rc;

		rc = append_value(x->st, i, &x->batch.cols[i], f, why,
				  sizeof(why));
		if (rc == DXT_OK)
			continue;
		dxt_batch_rollback_row(&x->batch);
		if (rc != DXT_ETYPE)
			return dxt_error_set(err, rc, "sqlite source %s: row "
						      "%" PRIu64 ": %s",
					     x->what, x->row,
					     dxt_strerror(rc));
		snprintf(reason, sizeof(reason), "column \"%s\" (%s): %s",
			 f->name,
			 f->native ? f->native : dxt_type_name(f->type), why);
		if (!x->skip)
			return dxt_error_setc(err, DXT_ETYPE, DXT_TERMINAL,
					      DXT_ORIGIN_SOURCE,
					      "sqlite source %s: row %" PRIu64
					      ", %s",
					      x->what, x->row, reason);
		raw = sqlite3_column_type(x->st, i) == SQLITE_BLOB
			      ? NULL
			      : (const char *)sqlite3_column_text(x->st, i);
		return dxt_buffer_writer_reject(
			x->out, x->row, NULL, 0, (uint64_t)i + 1, reason, raw,
			raw ? (size_t)sqlite3_column_bytes(x->st, i) : 0, err);
	}
	dxt_batch_end_row(&x->batch);
	return DXT_OK;
}

/* `relation "users"`, `function "f()"` or `query "SELECT ..."` (the first
 * line's worth of it) for messages. */
static void describe_source(struct extract *x)
{
	const char *kind = dxt_rel_source_type_name(x->src.type);
	const char *p = x->src.text;
	char text[72];
	size_t n = 0;

	if (x->src.type == DXT_REL_SQL)
		kind = "query";
	for (; *p != '\0' && n + 4 < sizeof(text); p++) {
		/* Runs of white space (line breaks of a YAML block) as one
		 * space. */
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			if (n > 0 && text[n - 1] != ' ')
				text[n++] = ' ';
			continue;
		}
		text[n++] = *p;
	}
	text[n] = '\0';
	if (*p != '\0')
		memcpy(text + n, "...", 4);
	snprintf(x->what, sizeof(x->what), "%s \"%s\"", kind, text);
}

/* Reads the configuration, opens the database and prepares the query. */
static int open_query(struct extract *x, struct dxt_error *err)
{
	const struct dxt_op_ctx *ctx = x->ctx;

	DXT_RETURN_NOT_OK(dxt__sqlite_conf_parse(ctx, &x->conf, err));
	DXT_RETURN_NOT_OK(dxt_rel_source_parse(ctx->source, &x->src, err));
	describe_source(x);
	if (x->src.type == DXT_REL_RELATION)
		DXT_RETURN_NOT_OK(
			dxt_rel_name_parse(x->src.text, &x->rel, err));
	if (ctx->extract != NULL) {
		x->limits.max_rows = ctx->extract->batch_size;
		x->skip = ctx->extract->on_error == DXT_ON_ERROR_SKIP;
		if (ctx->extract->mode == DXT_EXTRACT_INCREMENTAL) {
			x->wfield = ctx->extract->watermark_field;
			if (x->wfield == NULL || x->wfield[0] == '\0')
				return dxt_error_setc(
					err, DXT_ECONFIG, DXT_TERMINAL,
					DXT_ORIGIN_CONFIG,
					"sqlite source %s: an incremental "
					"extract needs extract.watermark_field",
					x->what);
		}
	}
	DXT_RETURN_NOT_OK(dxt__sqlite_open(&x->conf, false, DXT_ORIGIN_SOURCE,
					   &x->db, err));
	return prepare(x, err);
}

static int run(struct extract *x, struct dxt_error *err)
{
	const struct dxt_op_ctx *ctx = x->ctx;
	int rc;

	DXT_RETURN_NOT_OK(open_query(x, err));
	dxt__sqlite_watch_cancel(x->db, ctx->cancel);
	rc = sqlite3_step(x->st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return source_error(x, rc, "cannot run the query", err);
	DXT_RETURN_NOT_OK(build_schema(x, rc == SQLITE_ROW, err));
	while (rc == SQLITE_ROW) {
		x->row++;
		/* Before the row's values: converting them may change how
		 * SQLite reports the column's storage class. */
		if (x->wcol >= 0)
			DXT_RETURN_NOT_OK(track_watermark(x, err));
		DXT_RETURN_NOT_OK(read_row(x, err));
		if (dxt_batch_full(&x->batch, &x->limits))
			DXT_RETURN_NOT_OK(flush(x, err));
		rc = sqlite3_step(x->st);
	}
	if (rc != SQLITE_DONE)
		return source_error(x, rc, "cannot read the rows", err);
	DXT_RETURN_NOT_OK(flush(x, err));
	if (x->wfield != NULL)
		DXT_RETURN_NOT_OK(record_watermark(x, err));
	dxt_op_log(ctx, DXT_LOG_DEBUG,
		   "sqlite source %s: %" PRIu64 " rows read", x->what, x->row);
	return DXT_OK;
}

static int finish(struct extract *x, int rc, struct dxt_error *err)
{
	if (rc != DXT_OK)
		dxt_error_origin(err, rc == DXT_ECONFIG ? DXT_ORIGIN_CONFIG
							: DXT_ORIGIN_SOURCE);
	sqlite3_finalize(x->st);
	sqlite3_close(x->db);
	dxt_batch_release(&x->batch);
	dxt_schema_destroy(x->schema);
	dxt_buf_free(&x->sql);
	dxt_buf_free(&x->wtext);
	dxt_rel_source_free(&x->src);
	dxt_rel_name_free(&x->rel);
	return rc;
}

static int sqlite_extract(const struct dxt_op_ctx *ctx,
			  struct dxt_buffer_writer *out, struct dxt_error *err)
{
	struct extract x;

	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	x.out = out;
	x.wcol = -1;
	return finish(&x, run(&x, err), err);
}

/* The source is readable and its query compiles (the table exists, the
 * SQL is one read-only statement), without reading a row. */
static int sqlite_extract_check(const struct dxt_op_ctx *ctx,
				struct dxt_error *err)
{
	struct extract x;

	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	x.wcol = -1;
	return finish(&x, open_query(&x, err), err);
}

DXT_EXPORT const struct dxt_operator SQLiteExtractor = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_EXTRACTOR,
	.category = DXT_CAT_RELATIONAL,
	.unit = DXT_UNIT_RECORDS,
	.name = "SQLiteExtractor",
	.summary = "Reads a SQLite table, view, query or table-valued "
		   "function",
	.extract = sqlite_extract,
	.check = sqlite_extract_check,
};
