/*
 * loader.c - SQLiteLoader (see loader.h).
 *
 * The whole load is one write transaction (BEGIN IMMEDIATE, so a lock
 * conflict shows at the start, as a transient error). Batches come from a
 * prefetching thread; each batch is bound column by column into a prepared
 * INSERT of several rows, and rows that do not divide evenly go through the
 * one-row form of the same statement. When a multi-row step fails, its rows
 * are retried one by one, so the error (or the reject) names the very row.
 */
#include "providers/sqlite/loader.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/convert.h"
#include "providers/sqlite/connector.h"
#include "providers/sqlite/typemap.h"

/* Parameters per multi-row INSERT: large enough to amortise a statement
 * step, small enough to stay in the CPU cache. */
#define PARAMS_PER_STATEMENT 256
#define MAX_ROWS_PER_STATEMENT 64
/* Room for the text form of one value (convert.h asks for 48). */
#define SLOT 64
/* Rejected rows named one by one in the log before a summary. */
#define REJECTS_LOGGED 10
/* The table that records committed loads, in the target's schema. */
#define LOADS_TABLE "_dxt_loads"

enum bind_kind {
	BIND_NULL = 0,
	BIND_BOOL,
	BIND_I8,
	BIND_I16,
	BIND_I32,
	BIND_I64,
	BIND_F32,
	BIND_F64,
	BIND_DEC_INT,  /* scale 0, up to 15 digits: an INTEGER */
	BIND_DEC_REAL, /* up to 15 digits: the nearest double is exact */
	BIND_DEC_TEXT, /* canonical text */
	BIND_TEXT,
	BIND_BLOB,
	BIND_DATE,
	BIND_TIME,
	BIND_TIMESTAMP,
	BIND_TIMESTAMPTZ,
	BIND_UUID
};

struct plan_col {
	size_t field;         /* index in the data schema */
	enum bind_kind kind;
	int scale;            /* decimals */
	double divisor;       /* BIND_DEC_REAL: 10^scale */
};

struct load {
	const struct dxt_op_ctx *ctx;
	struct dxt__sqlite_conf conf;
	struct dxt_rel_target target;
	struct dxt_rel_name name;
	char what[320];                 /* `table "t"` for messages */
	const struct dxt_schema *data;  /* the manifest's */
	enum dxt_load_mode mode;
	enum dxt_schema_policy policy;
	bool skip;                      /* load.on_error: skip */
	const char *const *keys;
	size_t nkeys;

	sqlite3 *db;
	bool in_txn;
	struct dxt__sqlite_table table; /* the target as found */
	bool fresh;                     /* the table loaded into was made
					   from the data's schema */
	struct dxt_rel_schema_diff diff;
	const char *suffix;             /* replace: the new table's suffix */
	char **recreate;                /* replace: index and trigger SQL */
	size_t nrecreate;

	struct plan_col *cols;          /* inserted columns */
	size_t ncols;
	size_t *extra;                  /* discard_row: fields not loaded */
	size_t nextra;
	sqlite3_stmt *multi;
	size_t multi_rows;
	sqlite3_stmt *single;
	char *scratch;                  /* multi_rows * ncols slots */

	uint64_t row_base;              /* rows of earlier batches */
	uint64_t loaded;
	uint64_t rejected;
	struct dxt_buffer_reader *in;   /* rejects go to its rejects.jsonl */
	struct dxt_buf raw;             /* a rejected row as a JSON object */
};

/* --- errors --------------------------------------------------------------- */

static int target_error(struct load *l, int rc, struct dxt_error *err,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int target_error(struct load *l, int rc, struct dxt_error *err,
			const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return dxt__sqlite_error(err, l->db, rc, DXT_ORIGIN_TARGET,
				 "sqlite target %s: %s", l->what, what);
}

static int nomem(struct dxt_error *err)
{
	return dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

static int exec(struct load *l, const char *sql, const char *what,
		struct dxt_error *err)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return target_error(l, rc, err, "%s", what);
	return DXT_OK;
}

/* Runs a statement built in buf, then empties buf. */
static int exec_buf(struct load *l, struct dxt_buf *buf, const char *what,
		    struct dxt_error *err)
{
	int rc = exec(l, (const char *)buf->data, what, err);

	buf->len = 0;
	return rc;
}

/* --- values --------------------------------------------------------------- */

static enum bind_kind bind_kind_for(const struct dxt_field *f,
				    const char *target_decl)
{
	enum dxt__sqlite_affinity aff;

	switch (f->type) {
	case DXT_TYPE_BOOL:
		return BIND_BOOL;
	case DXT_TYPE_INT8:
		return BIND_I8;
	case DXT_TYPE_INT16:
		return BIND_I16;
	case DXT_TYPE_INT32:
		return BIND_I32;
	case DXT_TYPE_INT64:
		return BIND_I64;
	case DXT_TYPE_FLOAT32:
		return BIND_F32;
	case DXT_TYPE_FLOAT64:
		return BIND_F64;
	case DXT_TYPE_DECIMAL:
		/* Numbers only where the column keeps numbers (NUMERIC,
		 * INTEGER, REAL affinity) and a double is exact; elsewhere
		 * the canonical digits. */
		aff = dxt__sqlite_affinity(target_decl);
		if (f->precision > DXT__SQLITE_DECIMAL_NUMERIC_MAX ||
		    aff == DXT__SQLITE_AFF_TEXT || aff == DXT__SQLITE_AFF_BLOB)
			return BIND_DEC_TEXT;
		return f->scale == 0 ? BIND_DEC_INT : BIND_DEC_REAL;
	case DXT_TYPE_STRING:
	case DXT_TYPE_JSON:
		return BIND_TEXT;
	case DXT_TYPE_BINARY:
		return BIND_BLOB;
	case DXT_TYPE_DATE:
		return BIND_DATE;
	case DXT_TYPE_TIME:
		return BIND_TIME;
	case DXT_TYPE_TIMESTAMP:
		return BIND_TIMESTAMP;
	case DXT_TYPE_TIMESTAMPTZ:
		return BIND_TIMESTAMPTZ;
	case DXT_TYPE_UUID:
		return BIND_UUID;
	default:
		return BIND_NULL;
	}
}

/*
 * Binds value r of column c as parameter `param`. Text forms are written
 * into `slot`, which stays untouched until the statement has run (hence
 * SQLITE_STATIC, like the batch's own bytes). Returns SQLITE_OK, a SQLite
 * code, or -1 with a reason in `why` for a value SQLite cannot hold.
 */
static int bind_value(sqlite3_stmt *st, int param, const struct plan_col *pc,
		      const struct dxt_column *c, size_t r, char *slot,
		      char *why, size_t whylen)
{
	const uint8_t *p;
	size_t n;
	double d;

	if (c->null_count > 0 && !dxt_col_is_valid(c, r))
		return sqlite3_bind_null(st, param);
	switch (pc->kind) {
	case BIND_BOOL:
		return sqlite3_bind_int(st, param, dxt_col_bool(c, r));
	case BIND_I8:
		return sqlite3_bind_int(st, param, dxt_col_i8(c, r));
	case BIND_I16:
		return sqlite3_bind_int(st, param, dxt_col_i16(c, r));
	case BIND_I32:
		return sqlite3_bind_int(st, param, dxt_col_i32(c, r));
	case BIND_I64:
		return sqlite3_bind_int64(st, param, dxt_col_i64(c, r));
	case BIND_F32:
	case BIND_F64:
		d = pc->kind == BIND_F32 ? (double)dxt_col_f32(c, r)
					 : dxt_col_f64(c, r);
		if (isnan(d)) {
			snprintf(why, whylen,
				 "NaN cannot be stored in SQLite (it would "
				 "become NULL)");
			return -1;
		}
		return sqlite3_bind_double(st, param, d);
	case BIND_DEC_INT:
		return sqlite3_bind_int64(st, param,
					  (int64_t)dxt_col_dec(c, r));
	case BIND_DEC_REAL:
		/* Both operands are exact (|v| < 10^15 < 2^53, 10^s <= 10^15)
		 * and IEEE division rounds once: the nearest double. */
		return sqlite3_bind_double(
			st, param, (double)dxt_col_dec(c, r) / pc->divisor);
	case BIND_DEC_TEXT:
		n = dxt_format_decimal(dxt_col_dec(c, r), pc->scale, slot);
		return sqlite3_bind_text(st, param, slot, (int)n,
					 SQLITE_STATIC);
	case BIND_TEXT:
		p = dxt_col_bytes(c, r, &n);
		/* A NULL pointer would bind NULL, not an empty string. */
		return sqlite3_bind_text(st, param,
					 n > 0 ? (const char *)p : "", (int)n,
					 SQLITE_STATIC);
	case BIND_BLOB:
		p = dxt_col_bytes(c, r, &n);
		return sqlite3_bind_blob(st, param,
					 n > 0 ? (const void *)p : "", (int)n,
					 SQLITE_STATIC);
	case BIND_DATE:
		n = dxt_format_date(dxt_col_i32(c, r), slot);
		return sqlite3_bind_text(st, param, slot, (int)n,
					 SQLITE_STATIC);
	case BIND_TIME:
		n = dxt_format_time(dxt_col_i64(c, r), slot);
		return sqlite3_bind_text(st, param, slot, (int)n,
					 SQLITE_STATIC);
	case BIND_TIMESTAMP:
	case BIND_TIMESTAMPTZ:
		n = dxt_format_timestamp(dxt_col_i64(c, r),
					 pc->kind == BIND_TIMESTAMPTZ, slot);
		return sqlite3_bind_text(st, param, slot, (int)n,
					 SQLITE_STATIC);
	case BIND_UUID:
		n = dxt_format_uuid(dxt_col_uuid(c, r), slot);
		return sqlite3_bind_text(st, param, slot, (int)n,
					 SQLITE_STATIC);
	case BIND_NULL:
		break;
	}
	return sqlite3_bind_null(st, param);
}

/* --- rows ----------------------------------------------------------------- */

/* Step failures that belong to one row and may be skipped. */
static bool row_level(int rc)
{
	int primary = rc & 0xff;

	return primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH ||
	       primary == SQLITE_TOOBIG || primary == SQLITE_RANGE;
}

/*
 * Row r of b (the row-th of the load) did not go in and load.on_error is
 * skip: counts it, logs the first few, and appends it with its reason to
 * the stream's rejects.jsonl.
 */
static int reject(struct load *l, const struct dxt_batch *b, size_t r,
		  const char *reason, struct dxt_error *err)
{
	uint64_t row = l->row_base + r + 1;

	l->rejected++;
	if (l->rejected <= REJECTS_LOGGED)
		dxt_op_log(l->ctx, DXT_LOG_WARN,
			   "sqlite target %s: row %" PRIu64 " rejected: %s",
			   l->what, row, reason);
	l->raw.len = 0;
	if (dxt_rel_row_json(b, r, &l->raw) != DXT_OK)
		return nomem(err);
	return dxt_buffer_reader_reject(l->in, row, reason,
					(const char *)l->raw.data, l->raw.len,
					err);
}

/* discard_row: the first field the table lacks that has a value, or -1. */
static int extra_value(const struct load *l, const struct dxt_batch *b,
		       size_t r)
{
	for (size_t k = 0; k < l->nextra; k++)
		if (dxt_col_is_valid(&b->cols[l->extra[k]], r))
			return (int)l->extra[k];
	return -1;
}

/* Inserts row r of b alone; rejects it or fails when it does not go in. */
static int insert_one(struct load *l, const struct dxt_batch *b, size_t r,
		      struct dxt_error *err)
{
	uint64_t row = l->row_base + r + 1;
	char why[256], reason[480];
	int rc, extra;

	extra = l->nextra > 0 ? extra_value(l, b, r) : -1;
	if (extra >= 0) {
		/* Only discard_row leaves fields out and checks them. */
		snprintf(reason, sizeof(reason),
			 "column \"%s\" is not in the table "
			 "(schema_policy discard_row)",
			 l->data->fields[extra].name);
		return reject(l, b, r, reason, err);
	}
	for (size_t j = 0; j < l->ncols; j++) {
		const struct plan_col *pc = &l->cols[j];

		rc = bind_value(l->single, (int)j + 1, pc, &b->cols[pc->field],
				r, l->scratch + j * SLOT, why, sizeof(why));
		if (rc == SQLITE_OK)
			continue;
		if (rc > 0)
			return target_error(
				l, rc, err, "row %" PRIu64 ", column \"%s\"",
				row, l->data->fields[pc->field].name);
		snprintf(reason, sizeof(reason), "column \"%s\": %s",
			 l->data->fields[pc->field].name, why);
		if (!l->skip)
			return dxt_error_setc(err, DXT_ETYPE, DXT_TERMINAL,
					      DXT_ORIGIN_TARGET,
					      "sqlite target %s: row %" PRIu64
					      ", %s",
					      l->what, row, reason);
		return reject(l, b, r, reason, err);
	}
	rc = sqlite3_step(l->single);
	sqlite3_reset(l->single);
	if (rc == SQLITE_DONE) {
		l->loaded++;
		return DXT_OK;
	}
	if (l->skip && row_level(rc)) {
		snprintf(reason, sizeof(reason), "%s", sqlite3_errmsg(l->db));
		return reject(l, b, r, reason, err);
	}
	return target_error(l, rc, err, "row %" PRIu64, row);
}

/*
 * Inserts rows r .. r + multi_rows - 1 with one statement. Anything out of
 * the ordinary (a value SQLite cannot hold, a row to discard, a failed
 * step) sends the rows through insert_one() instead.
 */
static int insert_chunk(struct load *l, const struct dxt_batch *b, size_t r,
			struct dxt_error *err)
{
	char why[256];
	int param = 1, rc;

	for (size_t k = 0; k < l->multi_rows; k++) {
		if (l->nextra > 0 && extra_value(l, b, r + k) >= 0)
			goto one_by_one;
		for (size_t j = 0; j < l->ncols; j++, param++) {
			const struct plan_col *pc = &l->cols[j];

			rc = bind_value(l->multi, param, pc,
					&b->cols[pc->field], r + k,
					l->scratch + (size_t)(param - 1) * SLOT,
					why, sizeof(why));
			if (rc != SQLITE_OK)
				goto one_by_one;
		}
	}
	rc = sqlite3_step(l->multi);
	sqlite3_reset(l->multi);
	if (rc == SQLITE_DONE) {
		l->loaded += l->multi_rows;
		return DXT_OK;
	}
	if (!row_level(rc))
		return target_error(l, rc, err,
				    "rows %" PRIu64 " to %" PRIu64,
				    l->row_base + r + 1,
				    l->row_base + r + l->multi_rows);
one_by_one:
	for (size_t k = 0; k < l->multi_rows; k++)
		DXT_RETURN_NOT_OK(insert_one(l, b, r + k, err));
	return DXT_OK;
}

/* Inserts rows from .. to - 1 of b. */
static int insert_rows(struct load *l, const struct dxt_batch *b, size_t from,
		       size_t to, struct dxt_error *err)
{
	size_t r = from;

	if (l->multi != NULL)
		for (; r + l->multi_rows <= to; r += l->multi_rows)
			DXT_RETURN_NOT_OK(insert_chunk(l, b, r, err));
	for (; r < to; r++)
		DXT_RETURN_NOT_OK(insert_one(l, b, r, err));
	return DXT_OK;
}

/* --- the target table ----------------------------------------------------- */

static int prepare_inserts(struct load *l, struct dxt_error *err)
{
	const char **names;
	struct dxt_buf sql = {0};
	int limit, rc;

	names = calloc(l->ncols + 1, sizeof(*names));
	if (names == NULL)
		return nomem(err);
	for (size_t j = 0; j < l->ncols; j++)
		names[j] = l->data->fields[l->cols[j].field].name;
	limit = sqlite3_limit(l->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
	l->multi_rows = PARAMS_PER_STATEMENT / l->ncols;
	if (l->multi_rows > MAX_ROWS_PER_STATEMENT)
		l->multi_rows = MAX_ROWS_PER_STATEMENT;
	if (l->multi_rows * l->ncols > (size_t)limit)
		l->multi_rows = (size_t)limit / l->ncols;
	if (l->multi_rows < 1)
		l->multi_rows = 1;
	l->scratch = malloc(l->multi_rows * l->ncols * SLOT);
	if (l->scratch == NULL) {
		free(names);
		return nomem(err);
	}

	rc = dxt_rel_insert_sql(&sql, &l->name, l->suffix, names, l->ncols, 1,
				DXT_REL_PARAM_QMARK,
				l->mode == DXT_LOAD_UPSERT ? l->keys : NULL,
				l->mode == DXT_LOAD_UPSERT ? l->nkeys : 0, err);
	if (rc == DXT_OK) {
		rc = sqlite3_prepare_v3(l->db, (const char *)sql.data, -1,
					SQLITE_PREPARE_PERSISTENT, &l->single,
					NULL);
		if (rc != SQLITE_OK)
			rc = target_error(l, rc, err,
					  "cannot prepare the INSERT");
	}
	if (rc == DXT_OK && l->multi_rows > 1) {
		sql.len = 0;
		rc = dxt_rel_insert_sql(
			&sql, &l->name, l->suffix, names, l->ncols,
			l->multi_rows, DXT_REL_PARAM_QMARK,
			l->mode == DXT_LOAD_UPSERT ? l->keys : NULL,
			l->mode == DXT_LOAD_UPSERT ? l->nkeys : 0, err);
		if (rc == DXT_OK) {
			rc = sqlite3_prepare_v3(l->db, (const char *)sql.data,
						-1, SQLITE_PREPARE_PERSISTENT,
						&l->multi, NULL);
			if (rc != SQLITE_OK)
				rc = target_error(l, rc, err,
						  "cannot prepare the INSERT");
		}
	}
	dxt_buf_free(&sql);
	free(names);
	return rc;
}

/* Builds the column plan: which data fields go where, bound how. */
static int plan(struct load *l, struct dxt_error *err)
{
	l->cols = calloc(l->data->n + 1, sizeof(*l->cols));
	l->extra = calloc(l->data->n + 1, sizeof(*l->extra));
	if (l->cols == NULL || l->extra == NULL)
		return nomem(err);
	for (size_t i = 0; i < l->data->n; i++) {
		const struct dxt_field *f = &l->data->fields[i];
		char decl[128];
		int tc = l->fresh ? -1 : l->diff.table_col[i];

		if (!l->fresh && tc < 0 &&
		    l->policy != DXT_SCHEMA_EVOLVE) {
			/* discard_*: the table does not have it. */
			if (l->policy == DXT_SCHEMA_DISCARD_ROW)
				l->extra[l->nextra++] = i;
			continue;
		}
		if (tc >= 0)
			snprintf(decl, sizeof(decl), "%s",
				 l->table.columns->fields[tc].native);
		else
			DXT_RETURN_NOT_OK(dxt__sqlite_decl_for_field(
				f, 0, decl, sizeof(decl), err));
		l->cols[l->ncols].field = i;
		l->cols[l->ncols].kind = bind_kind_for(f, decl);
		l->cols[l->ncols].scale = f->scale;
		l->cols[l->ncols].divisor = 1;
		for (int s = 0; s < f->scale && f->type == DXT_TYPE_DECIMAL;
		     s++)
			l->cols[l->ncols].divisor *= 10;
		l->ncols++;
	}
	if (l->ncols == 0)
		return dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL,
				      DXT_ORIGIN_TARGET,
				      "sqlite target %s: no column of the "
				      "data is in the table",
				      l->what);
	return DXT_OK;
}

static bool same_set(const char *const *keys, size_t nkeys,
		     const char *const *cols, size_t ncols)
{
	if (nkeys != ncols)
		return false;
	for (size_t k = 0; k < nkeys; k++) {
		size_t c;

		for (c = 0; c < ncols; c++)
			if (cols[c] != NULL &&
			    strcasecmp(keys[k], cols[c]) == 0)
				break;
		if (c == ncols)
			return false;
	}
	return true;
}

/* Upsert needs the primary key or a UNIQUE index on exactly the keys. */
static int check_unique(struct load *l, struct dxt_error *err)
{
	const char *schema = dxt__sqlite_schema_of(&l->name);
	const char *cols[64];
	sqlite3_stmt *list = NULL, *info = NULL;
	struct dxt_buf keys = {0};
	size_t ncols = 0;
	bool found = false;
	int rc;

	for (size_t i = 0; i < l->table.columns->n && ncols < 64; i++)
		if (l->table.pk[i] > 0)
			cols[ncols++] = l->table.columns->fields[i].name;
	if (same_set(l->keys, l->nkeys, cols, ncols))
		return DXT_OK;

	rc = sqlite3_prepare_v2(l->db,
				"SELECT name FROM pragma_index_list(?1, ?2) "
				"WHERE \"unique\" AND NOT partial",
				-1, &list, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(l->db,
					"SELECT name FROM "
					"pragma_index_info(?1, ?2) ORDER BY "
					"seqno",
					-1, &info, NULL);
	if (rc != SQLITE_OK) {
		rc = target_error(l, rc, err, "cannot list the indexes");
		goto out;
	}
	sqlite3_bind_text(list, 1, l->table.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(list, 2, schema, -1, SQLITE_STATIC);
	while (!found && (rc = sqlite3_step(list)) == SQLITE_ROW) {
		sqlite3_reset(info);
		sqlite3_bind_text(info, 1,
				  (const char *)sqlite3_column_text(list, 0),
				  -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(info, 2, schema, -1, SQLITE_STATIC);
		ncols = 0;
		/* Expression columns have no name and match no key. */
		while (sqlite3_step(info) == SQLITE_ROW && ncols < 64) {
			const char *c =
				(const char *)sqlite3_column_text(info, 0);

			cols[ncols] = c != NULL ? strdup(c) : NULL;
			ncols++;
		}
		found = same_set(l->keys, l->nkeys, cols, ncols);
		for (size_t c = 0; c < ncols; c++)
			free((char *)cols[c]);
	}
	if (!found && rc != SQLITE_DONE) {
		rc = target_error(l, rc, err, "cannot list the indexes");
		goto out;
	}
	rc = DXT_OK;
	if (found)
		goto out;
	for (size_t k = 0; k < l->nkeys; k++) {
		if ((k > 0 && dxt_buf_puts(&keys, ", ") != DXT_OK) ||
		    dxt_rel_quote_ident(&keys, l->keys[k]) != DXT_OK) {
			rc = nomem(err);
			goto out;
		}
	}
	rc = dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL, DXT_ORIGIN_TARGET,
			    "sqlite target %s: upsert on (%s) needs a PRIMARY "
			    "KEY or UNIQUE index on exactly those columns, and "
			    "the table has none; create one, e.g. CREATE "
			    "UNIQUE INDEX \"%s_dxt_key\" ON \"%s\" (%s)",
			    l->what, (const char *)keys.data, l->table.name,
			    l->table.name, (const char *)keys.data);
out:
	sqlite3_finalize(list);
	sqlite3_finalize(info);
	dxt_buf_free(&keys);
	return rc;
}

/* Skips blanks and comments in SQL text. */
static const char *skip_blank(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (s[0] == '-' && s[1] == '-') {
			while (*s != '\0' && *s != '\n')
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			s = end != NULL ? end + 2 : s + strlen(s);
		} else {
			return s;
		}
	}
}

static const char *skip_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	s = skip_blank(s);
	if (strncasecmp(s, word, n) != 0)
		return NULL;
	if (s[n] == '_' || (s[n] >= '0' && s[n] <= '9') ||
	    ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z'))
		return NULL;
	return s + n;
}

/* Skips one identifier: "..", [..], `..`, '..' or a bare word. */
static const char *skip_ident(const char *s)
{
	char close;

	s = skip_blank(s);
	close = *s == '"' ? '"' : *s == '[' ? ']' : *s == '`' ? '`'
		: *s == '\'' ? '\'' : 0;
	if (close != 0) {
		for (s++; *s != '\0'; s++) {
			if (*s != close)
				continue;
			if (close != ']' && s[1] == close) {
				s++;
				continue;
			}
			return s + 1;
		}
		return NULL;
	}
	if (!(*s == '_' || (unsigned char)*s >= 0x80 ||
	      ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')))
		return NULL;
	while (*s == '_' || *s == '$' || (unsigned char)*s >= 0x80 ||
	       (*s >= '0' && *s <= '9') ||
	       ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
		s++;
	return s;
}

/*
 * Rewrites the old table's CREATE TABLE statement for the new table: the
 * same columns, constraints and options, under the new name. Returns
 * DXT_EPARSE when the statement is not in the expected form.
 */
static int rewrite_create(struct load *l, struct dxt_buf *out)
{
	const char *s = skip_word(l->table.sql, "CREATE"), *t;

	if (s == NULL)
		return DXT_EPARSE;
	if ((t = skip_word(s, "TEMPORARY")) != NULL ||
	    (t = skip_word(s, "TEMP")) != NULL)
		s = t;
	if ((s = skip_word(s, "TABLE")) == NULL)
		return DXT_EPARSE;
	if ((t = skip_word(s, "IF")) != NULL) {
		if ((t = skip_word(t, "NOT")) == NULL ||
		    (t = skip_word(t, "EXISTS")) == NULL)
			return DXT_EPARSE;
		s = t;
	}
	if ((s = skip_ident(s)) == NULL)
		return DXT_EPARSE;
	t = skip_blank(s);
	if (*t == '.' && (s = skip_ident(t + 1)) == NULL)
		return DXT_EPARSE;
	if (dxt_buf_puts(out, "CREATE TABLE ") != DXT_OK ||
	    dxt_rel_quote_name(out, &l->name, DXT__SQLITE_REPLACE_SUFFIX) !=
		    DXT_OK ||
	    dxt_buf_puts(out, s) != DXT_OK || dxt_buf_putc(out, '\0') != DXT_OK)
		return DXT_ENOMEM;
	return DXT_OK;
}

/* Saves the old table's index and trigger statements for after the swap. */
static int save_dependents(struct load *l, struct dxt_error *err)
{
	const char *schema = dxt__sqlite_schema_of(&l->name);
	struct dxt_buf sql = {0};
	sqlite3_stmt *st = NULL;
	int rc;

	if (dxt_buf_puts(&sql, "SELECT sql FROM ") != DXT_OK ||
	    dxt_rel_quote_ident(&sql, schema) != DXT_OK ||
	    dxt_buf_puts(&sql, ".sqlite_master WHERE tbl_name = ?1 COLLATE "
			       "NOCASE AND type IN ('index', 'trigger') AND "
			       "sql IS NOT NULL ORDER BY type = 'trigger', "
			       "rowid") != DXT_OK ||
	    dxt_buf_putc(&sql, '\0') != DXT_OK) {
		dxt_buf_free(&sql);
		return nomem(err);
	}
	rc = sqlite3_prepare_v2(l->db, (const char *)sql.data, -1, &st, NULL);
	dxt_buf_free(&sql);
	if (rc != SQLITE_OK)
		return target_error(l, rc, err, "cannot list the indexes");
	sqlite3_bind_text(st, 1, l->table.name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **more = realloc(l->recreate,
				      (l->nrecreate + 1) * sizeof(char *));

		if (more == NULL) {
			sqlite3_finalize(st);
			return nomem(err);
		}
		l->recreate = more;
		l->recreate[l->nrecreate] =
			strdup((const char *)sqlite3_column_text(st, 0));
		if (l->recreate[l->nrecreate] == NULL) {
			sqlite3_finalize(st);
			return nomem(err);
		}
		l->nrecreate++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return target_error(l, rc, err, "cannot list the indexes");
	return DXT_OK;
}

/* Adds the data's new columns to the table being loaded (evolve). */
static int evolve(struct load *l, struct dxt_error *err)
{
	struct dxt_buf sql = {0};
	int rc = DXT_OK;

	for (size_t k = 0; k < l->diff.n_new && rc == DXT_OK; k++) {
		const struct dxt_field *f =
			&l->data->fields[l->diff.new_fields[k]];

		if (dxt_buf_puts(&sql, "ALTER TABLE ") != DXT_OK ||
		    dxt_rel_quote_name(&sql, &l->name, l->suffix) != DXT_OK ||
		    dxt_buf_puts(&sql, " ADD COLUMN ") != DXT_OK) {
			rc = nomem(err);
			break;
		}
		rc = dxt_rel_column_def_sql(&sql, f, &dxt__sqlite_type_mapper,
					    err);
		if (rc == DXT_OK)
			rc = exec_buf(l, &sql, "cannot add a column", err);
		if (rc == DXT_OK)
			dxt_op_log(l->ctx, DXT_LOG_INFO,
				   "sqlite target %s: added column \"%s\" "
				   "(schema_policy evolve)",
				   l->what, f->name);
	}
	dxt_buf_free(&sql);
	return rc;
}

/* Compares the data with the existing table and applies the policy. */
static int apply_policy(struct load *l, struct dxt_error *err)
{
	struct dxt_buf text = {0};
	int rc = DXT_OK;

	if (dxt_rel_schema_diff(l->data, l->table.columns, true, &l->diff) !=
	    DXT_OK)
		return nomem(err);
	if (dxt_rel_schema_diff_empty(&l->diff))
		return DXT_OK;
	if (dxt_rel_schema_diff_describe(&l->diff, l->data, l->table.columns,
					 &text) != DXT_OK) {
		dxt_buf_free(&text);
		return nomem(err);
	}
	switch (l->policy) {
	case DXT_SCHEMA_FREEZE:
		rc = dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL,
				    DXT_ORIGIN_TARGET,
				    "sqlite target %s does not match the data "
				    "(schema_policy freeze): %s; change the "
				    "table, or use schema_policy evolve",
				    l->what, (const char *)text.data);
		break;
	case DXT_SCHEMA_EVOLVE:
		if (l->diff.n_changed > 0 || l->diff.n_missing > 0)
			dxt_op_log(l->ctx, DXT_LOG_INFO,
				   "sqlite target %s: %s; SQLite stores the "
				   "values as given",
				   l->what, (const char *)text.data);
		break;
	case DXT_SCHEMA_DISCARD_ROW:
	case DXT_SCHEMA_DISCARD_VALUE:
		if (l->diff.n_new > 0)
			dxt_op_log(l->ctx, DXT_LOG_WARN,
				   "sqlite target %s: %zu column(s) of the "
				   "data are not in the table and are left "
				   "out (schema_policy %s): %s",
				   l->what, l->diff.n_new,
				   l->policy == DXT_SCHEMA_DISCARD_ROW
					   ? "discard_row"
					   : "discard_value",
				   (const char *)text.data);
		break;
	}
	dxt_buf_free(&text);
	return rc;
}

static int create_table(struct load *l, const char *suffix,
			struct dxt_error *err)
{
	struct dxt_buf sql = {0};
	int rc;

	rc = dxt_rel_create_table_sql(
		&sql, &l->name, suffix, l->data, NULL, &dxt__sqlite_type_mapper,
		l->mode == DXT_LOAD_UPSERT ? l->keys : NULL,
		l->mode == DXT_LOAD_UPSERT ? l->nkeys : 0, err);
	if (rc == DXT_OK)
		rc = exec_buf(l, &sql, "cannot create the table", err);
	dxt_buf_free(&sql);
	return rc;
}

/* Prepares the table to load into, inside the transaction. */
static int prepare_target(struct load *l, struct dxt_error *err)
{
	struct dxt_buf sql = {0};
	int rc;

	DXT_RETURN_NOT_OK(
		dxt__sqlite_table_get(l->db, &l->name, DXT_ORIGIN_TARGET,
				      &l->table, err));
	if (l->table.exists && l->table.is_view)
		return dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL,
				      DXT_ORIGIN_TARGET,
				      "sqlite target %s is a view; load into "
				      "a table",
				      l->what);
	if (!l->table.exists) {
		if (!l->target.create)
			return dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
					      DXT_ORIGIN_TARGET,
					      "sqlite target %s does not exist "
					      "and target.create is false; "
					      "create the table first, or set "
					      "create: true",
					      l->what);
		/* Also for replace: a new table in this transaction is as
		 * invisible to readers as a swap would make it. */
		DXT_RETURN_NOT_OK(create_table(l, NULL, err));
		dxt_op_log(l->ctx, DXT_LOG_INFO, "sqlite target %s: created",
			   l->what);
		l->fresh = true;
		return plan(l, err);
	}

	DXT_RETURN_NOT_OK(apply_policy(l, err));
	if (l->mode == DXT_LOAD_UPSERT)
		DXT_RETURN_NOT_OK(check_unique(l, err));
	if (l->mode == DXT_LOAD_REPLACE) {
		/* The suffixed name is reserved for this swap: whatever holds
		 * it is in the way. */
		if (dxt_buf_puts(&sql, "DROP TABLE IF EXISTS ") != DXT_OK ||
		    dxt_rel_quote_name(&sql, &l->name,
				       DXT__SQLITE_REPLACE_SUFFIX) != DXT_OK) {
			dxt_buf_free(&sql);
			return nomem(err);
		}
		rc = exec_buf(l, &sql, "cannot drop a leftover table", err);
		if (rc == DXT_OK)
			rc = save_dependents(l, err);
		if (rc == DXT_OK) {
			rc = rewrite_create(l, &sql);
			if (rc == DXT_OK) {
				rc = exec_buf(l, &sql,
					      "cannot create the new table",
					      err);
			} else if (rc == DXT_EPARSE) {
				/* A definition this code cannot rewrite: the
				 * new table follows the data instead. */
				l->fresh = true;
				rc = create_table(l, DXT__SQLITE_REPLACE_SUFFIX,
						  err);
			} else {
				rc = nomem(err);
			}
		}
		dxt_buf_free(&sql);
		DXT_RETURN_NOT_OK(rc);
		l->suffix = DXT__SQLITE_REPLACE_SUFFIX;
	}
	if (l->policy == DXT_SCHEMA_EVOLVE && !l->fresh)
		DXT_RETURN_NOT_OK(evolve(l, err));
	return plan(l, err);
}

/* replace: the old table goes, the new one takes its name and indexes. */
static int swap(struct load *l, struct dxt_error *err)
{
	struct dxt_buf sql = {0};
	int rc = DXT_OK;

	sqlite3_finalize(l->multi);
	sqlite3_finalize(l->single);
	l->multi = l->single = NULL;
	if (dxt_buf_puts(&sql, "DROP TABLE ") != DXT_OK ||
	    dxt_rel_quote_name(&sql, &l->name, NULL) != DXT_OK)
		goto nomem;
	DXT_RETURN_NOT_OK(exec_buf(l, &sql, "cannot drop the old table", err));
	/* Views and triggers that name the table are checked by a modern
	 * RENAME and would fail while the name is free; the legacy rename
	 * leaves them alone, and they are right again once it is done. */
	DXT_RETURN_NOT_OK(exec(l, "PRAGMA legacy_alter_table = ON",
			       "cannot rename the new table", err));
	if (dxt_buf_puts(&sql, "ALTER TABLE ") != DXT_OK ||
	    dxt_rel_quote_name(&sql, &l->name, DXT__SQLITE_REPLACE_SUFFIX) !=
		    DXT_OK ||
	    dxt_buf_puts(&sql, " RENAME TO ") != DXT_OK ||
	    dxt_rel_quote_ident(&sql, l->table.name) != DXT_OK)
		goto nomem;
	rc = exec_buf(l, &sql, "cannot rename the new table", err);
	sqlite3_exec(l->db, "PRAGMA legacy_alter_table = OFF", NULL, NULL,
		     NULL);
	for (size_t i = 0; i < l->nrecreate && rc == DXT_OK; i++)
		rc = exec(l, l->recreate[i],
			  "cannot re-create an index or trigger", err);
	dxt_buf_free(&sql);
	return rc;
nomem:
	dxt_buf_free(&sql);
	return nomem(err);
}

/* --- committed loads ------------------------------------------------------ */

/*
 * A load with an id records it in LOADS_TABLE, in the target's schema and
 * in the load's own transaction: the rows and the record commit together,
 * so a retry of the same load finds either both or neither. The table is
 * separate from the target, so a replace swaps the target and keeps it.
 */

/* Appends `"schema"."_dxt_loads"` (the target's schema) to sql. */
static int loads_table(const struct load *l, struct dxt_buf *sql)
{
	if (dxt_rel_quote_ident(sql, dxt__sqlite_schema_of(&l->name)) !=
		    DXT_OK ||
	    dxt_buf_putc(sql, '.') != DXT_OK ||
	    dxt_rel_quote_ident(sql, LOADS_TABLE) != DXT_OK)
		return DXT_ENOMEM;
	return DXT_OK;
}

/* Prepares the statement built in sql (NUL-terminated here), then empties
 * sql. */
static int prepare_buf(struct load *l, struct dxt_buf *sql,
		       sqlite3_stmt **st, const char *what,
		       struct dxt_error *err)
{
	int rc;

	if (dxt_buf_putc(sql, '\0') != DXT_OK)
		return nomem(err);
	rc = sqlite3_prepare_v2(l->db, (const char *)sql->data, -1, st, NULL);
	sql->len = 0;
	if (rc != SQLITE_OK)
		return target_error(l, rc, err, "%s", what);
	return DXT_OK;
}

/*
 * Looks ctx->load_id up: *found, and the rows and commit time (into `at`)
 * recorded for it. A database without the table has recorded nothing.
 */
static int find_load(struct load *l, bool *found, uint64_t *rows, char *at,
		     size_t atlen, struct dxt_error *err)
{
	struct dxt_buf sql = {0};
	sqlite3_stmt *st = NULL;
	int rc, step;

	*found = false;
	*rows = 0;
	at[0] = '\0';
	if (dxt_buf_puts(&sql, "SELECT 1 FROM ") != DXT_OK ||
	    dxt_rel_quote_ident(&sql, dxt__sqlite_schema_of(&l->name)) !=
		    DXT_OK ||
	    dxt_buf_puts(&sql, ".sqlite_master WHERE type = 'table' AND "
			       "name = ?1 COLLATE NOCASE") != DXT_OK) {
		dxt_buf_free(&sql);
		return nomem(err);
	}
	rc = prepare_buf(l, &sql, &st, "cannot read the catalog", err);
	if (rc != DXT_OK)
		goto out;
	sqlite3_bind_text(st, 1, LOADS_TABLE, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = target_error(l, step, err, "cannot read the catalog");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (step == SQLITE_DONE)
		goto out;

	if (dxt_buf_puts(&sql, "SELECT \"rows\", \"committed_at\" FROM ") !=
		    DXT_OK ||
	    loads_table(l, &sql) != DXT_OK ||
	    dxt_buf_puts(&sql, " WHERE \"load_id\" = ?1") != DXT_OK) {
		rc = nomem(err);
		goto out;
	}
	rc = prepare_buf(l, &sql, &st, "cannot read " LOADS_TABLE, err);
	if (rc != DXT_OK)
		goto out;
	sqlite3_bind_text(st, 1, l->ctx->load_id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);

		*found = true;
		*rows = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(at, atlen, "%s", t != NULL ? (const char *)t : "?");
	} else if (step != SQLITE_DONE) {
		rc = target_error(l, step, err, "cannot read " LOADS_TABLE);
	}
out:
	sqlite3_finalize(st);
	dxt_buf_free(&sql);
	return rc;
}

/* Records ctx->load_id with the rows loaded; runs just before COMMIT. */
static int record_load(struct load *l, struct dxt_error *err)
{
	struct dxt_buf sql = {0};
	sqlite3_stmt *st = NULL;
	char at[32];
	struct tm tm;
	time_t now = time(NULL);
	int rc;

	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (dxt_buf_puts(&sql, "CREATE TABLE IF NOT EXISTS ") != DXT_OK ||
	    loads_table(l, &sql) != DXT_OK ||
	    dxt_buf_puts(&sql, " (\"load_id\" TEXT PRIMARY KEY, \"target\" "
			       "TEXT NOT NULL, \"rows\" INTEGER NOT NULL, "
			       "\"committed_at\" TEXT NOT NULL)") != DXT_OK ||
	    dxt_buf_putc(&sql, '\0') != DXT_OK) {
		dxt_buf_free(&sql);
		return nomem(err);
	}
	rc = exec_buf(l, &sql, "cannot create " LOADS_TABLE, err);
	if (rc == DXT_OK &&
	    (dxt_buf_puts(&sql, "INSERT INTO ") != DXT_OK ||
	     loads_table(l, &sql) != DXT_OK ||
	     dxt_buf_puts(&sql, " (\"load_id\", \"target\", \"rows\", "
				"\"committed_at\") VALUES (?1, ?2, ?3, ?4)") !=
		     DXT_OK))
		rc = nomem(err);
	if (rc == DXT_OK)
		rc = prepare_buf(l, &sql, &st, "cannot record the load", err);
	if (rc == DXT_OK) {
		sqlite3_bind_text(st, 1, l->ctx->load_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, l->target.name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)l->loaded);
		sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE
			     ? DXT_OK
			     : target_error(l, rc, err,
					    "cannot record load %s in "
					    LOADS_TABLE,
					    l->ctx->load_id);
	}
	sqlite3_finalize(st);
	dxt_buf_free(&sql);
	return rc;
}

/* --- the load ------------------------------------------------------------- */

static int check_keys(struct load *l, struct dxt_error *err)
{
	if (l->mode != DXT_LOAD_UPSERT)
		return DXT_OK;
	if (l->nkeys == 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite target %s: load mode upsert "
				      "needs load.upsert_keys",
				      l->what);
	for (size_t k = 0; k < l->nkeys; k++)
		if (dxt_schema_find(l->data, l->keys[k]) < 0)
			return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					      DXT_ORIGIN_CONFIG,
					      "sqlite target %s: upsert key "
					      "\"%s\" is not a field of the "
					      "data",
					      l->what, l->keys[k]);
	return DXT_OK;
}

static int cancelled(struct load *l, struct dxt_error *err)
{
	return dxt_error_setc(err, DXT_ECANCELLED, DXT_TERMINAL,
			      DXT_ORIGIN_TARGET,
			      "sqlite target %s: cancelled; nothing was loaded",
			      l->what);
}

/*
 * Inserts a batch load.batch_size rows at a time: the rows between two
 * progress updates and cancellation checks (all in the one transaction).
 */
static int insert_batch(struct load *l, const struct dxt_batch *b,
			struct dxt_error *err)
{
	size_t step = l->ctx->load != NULL && l->ctx->load->batch_size > 0
			      ? l->ctx->load->batch_size
			      : DXT_BATCH_DEFAULT_ROWS;

	for (size_t from = 0, to; from < b->nrows; from = to) {
		to = b->nrows - from > step ? from + step : b->nrows;
		if (dxt_op_cancelled(l->ctx))
			return cancelled(l, err);
		DXT_RETURN_NOT_OK(insert_rows(l, b, from, to, err));
		if (l->ctx->progress != NULL)
			atomic_fetch_add(&l->ctx->progress->rows, to - from);
	}
	l->row_base += b->nrows;
	return DXT_OK;
}

/* Inserts every batch of the buffer, read ahead on a second thread. */
static int load_rows(struct load *l, struct dxt_buffer_reader *in,
		     struct dxt_error *err)
{
	struct dxt_rel_prefetch *pf = NULL;
	const struct dxt_batch *b;
	int rc;

	if (dxt_op_cancelled(l->ctx))
		return cancelled(l, err);
	DXT_RETURN_NOT_OK(dxt_rel_prefetch_start(in, 2, &pf, err));
	for (;;) {
		rc = dxt_rel_prefetch_next(pf, &b, err);
		if (rc <= 0) {
			if (rc < 0)
				dxt_error_origin(err, DXT_ORIGIN_BUFFER);
			break;
		}
		rc = insert_batch(l, b, err);
		if (rc != DXT_OK)
			break;
	}
	dxt_rel_prefetch_stop(pf);
	return rc;
}

static int parse_target(struct load *l, struct dxt_error *err)
{
	DXT_RETURN_NOT_OK(
		dxt_rel_target_parse(l->ctx->target, &l->target, err));
	DXT_RETURN_NOT_OK(dxt_rel_name_parse(l->target.name, &l->name, err));
	snprintf(l->what, sizeof(l->what), "table \"%s\"", l->target.name);
	if (l->name.n > 2)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite target %s: SQLite names are "
				      "table or schema.table",
				      l->what);
	if (strcasecmp(dxt_rel_name_table(&l->name), LOADS_TABLE) == 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite target %s: " LOADS_TABLE " is "
				      "the table where dxt records committed "
				      "loads; load into another table",
				      l->what);
	return DXT_OK;
}

static int run(struct load *l, struct dxt_buffer_reader *in,
	       struct dxt_error *err)
{
	const struct dxt_op_ctx *ctx = l->ctx;
	const struct dxt_manifest *m = dxt_buffer_reader_manifest(in);

	DXT_RETURN_NOT_OK(dxt__sqlite_conf_parse(ctx, &l->conf, err));
	DXT_RETURN_NOT_OK(parse_target(l, err));
	if (m == NULL || m->schema == NULL)
		return dxt_error_setc(err, DXT_EUNSUPPORTED, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite target %s: the buffer holds "
				      "files, not records; SQLiteLoader loads "
				      "records (stage with a record format)",
				      l->what);
	l->data = m->schema;
	if (ctx->load != NULL) {
		l->mode = ctx->load->mode;
		l->policy = ctx->load->schema_policy;
		l->skip = ctx->load->on_error == DXT_ON_ERROR_SKIP;
		l->keys = (const char *const *)ctx->load->upsert_keys;
		l->nkeys = ctx->load->n_upsert_keys;
	}
	DXT_RETURN_NOT_OK(check_keys(l, err));

	DXT_RETURN_NOT_OK(dxt__sqlite_open(&l->conf, true, DXT_ORIGIN_TARGET,
					   &l->db, err));
	DXT_RETURN_NOT_OK(exec(l, "BEGIN IMMEDIATE",
			       "cannot start a write transaction", err));
	l->in_txn = true;
	if (ctx->load_id != NULL) {
		/* Under the write lock: a second run of the same load waits
		 * here for the first and then finds its record. */
		bool done;
		uint64_t rows;
		char at[64];

		DXT_RETURN_NOT_OK(find_load(l, &done, &rows, at, sizeof(at),
					    err));
		if (done) {
			dxt_op_log(ctx, DXT_LOG_INFO,
				   "sqlite target %s: load %s already "
				   "committed at %s; nothing to do",
				   l->what, ctx->load_id, at);
			l->loaded = rows;
			/* The caller rolls back what changed nothing. */
			return DXT_OK;
		}
	}
	DXT_RETURN_NOT_OK(prepare_target(l, err));
	DXT_RETURN_NOT_OK(prepare_inserts(l, err));
	DXT_RETURN_NOT_OK(load_rows(l, in, err));
	if (l->suffix != NULL)
		DXT_RETURN_NOT_OK(swap(l, err));
	if (ctx->load_id != NULL)
		DXT_RETURN_NOT_OK(record_load(l, err));
	DXT_RETURN_NOT_OK(exec(l, "COMMIT", "cannot commit", err));
	l->in_txn = false;
	if (l->rejected > REJECTS_LOGGED)
		dxt_op_log(ctx, DXT_LOG_WARN,
			   "sqlite target %s: %" PRIu64 " rows rejected in all",
			   l->what, l->rejected);
	return DXT_OK;
}

static int sqlite_load(const struct dxt_op_ctx *ctx,
		       struct dxt_buffer_reader *in,
		       struct dxt_load_result *res, struct dxt_error *err)
{
	struct load l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.ctx = ctx;
	l.in = in;
	rc = run(&l, in, err);
	sqlite3_finalize(l.multi);
	sqlite3_finalize(l.single);
	if (l.in_txn)
		sqlite3_exec(l.db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(l.db);
	if (rc != DXT_OK) {
		dxt_error_origin(err, rc == DXT_ECONFIG ? DXT_ORIGIN_CONFIG
							: DXT_ORIGIN_TARGET);
		l.loaded = 0;
	}
	if (res != NULL) {
		res->rows_loaded = l.loaded;
		res->rows_rejected = l.rejected;
	}
	for (size_t i = 0; i < l.nrecreate; i++)
		free(l.recreate[i]);
	free(l.recreate);
	free(l.cols);
	free(l.extra);
	free(l.scratch);
	dxt_buf_free(&l.raw);
	dxt_rel_schema_diff_free(&l.diff);
	dxt__sqlite_table_free(&l.table);
	dxt_rel_name_free(&l.name);
	dxt_rel_target_free(&l.target);
	return rc;
}

/* The database opens (or can be created) and the target can take rows:
 * not a view, and present unless the loader may create it. */
static int sqlite_load_check(const struct dxt_op_ctx *ctx,
			     struct dxt_error *err)
{
	struct load l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.ctx = ctx;
	rc = dxt__sqlite_conf_parse(ctx, &l.conf, err);
	if (rc == DXT_OK)
		rc = parse_target(&l, err);
	if (rc == DXT_OK)
		rc = dxt__sqlite_probe(ctx, &l.conf, &l.db, err);
	if (rc == DXT_OK && l.db != NULL)
		rc = dxt__sqlite_table_get(l.db, &l.name, DXT_ORIGIN_CONFIG,
					   &l.table, err);
	if (rc == DXT_OK && l.table.exists && l.table.is_view)
		rc = dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG,
				    "sqlite target %s is a view; load into a "
				    "table",
				    l.what);
	if (rc == DXT_OK && !l.table.exists && !l.target.create)
		rc = dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG,
				    "sqlite target %s does not exist and "
				    "target.create is false",
				    l.what);
	sqlite3_close(l.db);
	dxt__sqlite_table_free(&l.table);
	dxt_rel_name_free(&l.name);
	dxt_rel_target_free(&l.target);
	return rc;
}

/* Whether ctx->load_id is recorded in the target's database, read-only. */
static int sqlite_load_committed(const struct dxt_op_ctx *ctx,
				 bool *committed, uint64_t *rows,
				 struct dxt_error *err)
{
	struct load l;
	char at[64];
	int rc;

	*committed = false;
	*rows = 0;
	if (ctx->load_id == NULL)
		return dxt_error_set(err, DXT_EINVAL,
				     "sqlite target: asked whether a load "
				     "committed without a load id");
	memset(&l, 0, sizeof(l));
	l.ctx = ctx;
	rc = dxt__sqlite_conf_parse(ctx, &l.conf, err);
	if (rc == DXT_OK)
		rc = parse_target(&l, err);
	if (rc == DXT_OK) {
		rc = dxt__sqlite_open(&l.conf, false, DXT_ORIGIN_TARGET, &l.db,
				      err);
		/* No database yet: no load committed into it. */
		if (rc == DXT_ENOTFOUND) {
			dxt_error_clear(err);
			rc = DXT_OK;
		} else if (rc == DXT_OK) {
			rc = find_load(&l, committed, rows, at, sizeof(at),
				       err);
		}
	}
	sqlite3_close(l.db);
	dxt_rel_name_free(&l.name);
	dxt_rel_target_free(&l.target);
	return rc;
}

DXT_EXPORT const struct dxt_operator SQLiteLoader = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_LOADER,
	.category = DXT_CAT_RELATIONAL,
	.unit = DXT_UNIT_RECORDS,
	.name = "SQLiteLoader",
	.summary = "Loads records into a SQLite table (append, replace, "
		   "upsert)",
	.load = sqlite_load,
	.check = sqlite_load_check,
	.committed = sqlite_load_committed,
};
