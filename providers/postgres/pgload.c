/*
 * pgload.c - PostgresLoader: the buffer's records into a PostgreSQL table.
 *
 * Target block: {name: t} (or table: t; `target: schema.t`), create: true
 * (the default: a missing table is created from the data's schema, with a
 * PRIMARY KEY on load.upsert_keys in upsert mode; json becomes jsonb).
 *
 * Every load is one transaction: a failure, a lost connection or a
 * cancellation rolls it back and the target is as it was.
 *
 *   append   rows are COPYed into the table;
 *   replace  rows are COPYed into a new table "<t>__dxt_new" made with
 *            CREATE TABLE ... (LIKE t INCLUDING ALL), which copies columns,
 *            defaults, NOT NULL and CHECK constraints, indexes (under new
 *            names), identity and comments; then the old table is dropped
 *            and the new one renamed, in the same transaction. Readers see
 *            the old rows or the new ones, never an empty or partial
 *            table. Grants, foreign keys pointing at the table, triggers
 *            and row-level security policies are NOT carried over; views
 *            that depend on the table make the DROP fail, which fails the
 *            load and leaves the table as it was (drop the views, or use
 *            append or upsert). A table created by this load is filled
 *            directly.
 *   upsert   rows are COPYed into a temporary table, then
 *            INSERT INTO t ... SELECT ... ON CONFLICT (keys) DO UPDATE;
 *            the keys MUST be exactly the primary key or a unique index
 *            without a predicate (checked first, with the CREATE UNIQUE
 *            INDEX statement to run otherwise).
 *
 * Values travel in COPY's binary format, encoded straight from the batch
 * columns (pg.h). A column whose type is not the one the data would create
 * (text data into an integer column, say) goes through a temporary table of
 * the data's types and PostgreSQL's casts instead (see needs_cast()). Each
 * staged row carries its row number in the stream's buffer (column
 * "__dxt_row"): when the INSERT from the staging table fails on a value (a
 * cast, a constraint, a key repeated in the data), the loader searches for
 * the first row that fails (name_failing_row()) and names it, with its
 * values.
 *
 * Schema policy, applied before any row: evolve adds the data's new
 * columns (ALTER TABLE ADD COLUMN); freeze fails listing every difference;
 * discard_value leaves out the columns the table lacks; discard_row loads
 * only the rows whose values in those columns are all null and rejects the
 * others to rejects.jsonl with the reason and the row as JSON. Data of a
 * type narrower or other than its column's (int64 data for an integer
 * column) goes through PostgreSQL's assignment casts, which fail the load
 * naming the value that does not fit.
 *
 * Idempotent loads: ctx->load_id is recorded in `_dxt_loads` (load_id text
 * PRIMARY KEY, target, rows, committed_at) in the target's schema, inside
 * the load's transaction; a load whose id is recorded loads nothing again.
 * `committed` reads that record.
 */
#include "providers/postgres/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/postgres/copyout.h"

#define LOADS_TABLE "_dxt_loads"
#define NEW_SUFFIX "__dxt_new"
#define STAGE_TABLE "dxt_stage"
#define ROW_COLUMN "\"__dxt_row\""
#define COPY_CHUNK (1u << 20)

struct load {
	const struct dxt_op_ctx *ctx;
	struct dxt_buffer_reader *in;
	struct dxt__pg_conf conf;
	struct dxt_rel_target tgt;
	struct dxt_rel_name name;
	struct dxt_rel_name loads;    /* parts borrowed from name */
	char what[320];
	PGconn *c;
	const struct dxt_schema *data;
	struct dxt__pg_table table;
	int *col;                     /* per data field: table column or -1 */
	size_t *extra;                /* discard_row: fields the table lacks */
	size_t nextra;
	uint64_t rejected;
	struct dxt_buf raw;           /* a rejected row as JSON */
	struct dxt_buf skipped;       /* uint64_t: stream rows rejected */
	uint32_t *oid;                /* per data field: the COPY type */
	bool stage;                   /* COPY into a temporary table first */
	bool fresh;                   /* the table was created by this load */
	struct dxt_buf sql, buf;
	uint64_t rows;                /* loaded */
	uint64_t seen;                /* read from the buffer */
};

static int nomem(struct dxt_error *err)
{
	return dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

static int exec(struct load *l, const char *what, struct dxt_error *err)
{
	return dxt__pg_exec(l->c, (const char *)l->sql.data, DXT_ORIGIN_TARGET,
			    what, err);
}

/* Starts l->sql afresh with `s`. */
static int sql_start(struct load *l, const char *s)
{
	l->sql.len = 0;
	return dxt_buf_puts(&l->sql, s);
}

static int sql_end(struct load *l)
{
	if (dxt_buf_putc(&l->sql, '\0') != DXT_OK)
		return DXT_ENOMEM;
	l->sql.len--;
	return DXT_OK;
}

/* --- load records --------------------------------------------------------- */

static int loads_create(struct load *l, struct dxt_error *err)
{
	if (sql_start(l, "CREATE TABLE IF NOT EXISTS ") != DXT_OK ||
	    dxt_rel_quote_name(&l->sql, &l->loads, NULL) != DXT_OK ||
	    dxt_buf_puts(&l->sql, " (load_id text PRIMARY KEY, target text "
			 "NOT NULL, rows bigint NOT NULL, committed_at "
			 "timestamptz NOT NULL DEFAULT now())") != DXT_OK ||
	    sql_end(l) != DXT_OK)
		return nomem(err);
	return exec(l, "creating " LOADS_TABLE, err);
}

/* Looks ctx->load_id up; *found and *rows. The table MAY be missing. */
static int loads_find(PGconn *c, const struct dxt_rel_name *loads,
		      const char *id, bool *found, uint64_t *rows,
		      struct dxt_error *err)
{
	struct dxt_buf q = {0}, sql = {0};
	const char *params[2];
	PGresult *res;
	int rc;

	*found = false;
	*rows = 0;
	if (dxt_rel_quote_name(&q, loads, NULL) != DXT_OK ||
	    dxt_buf_putc(&q, '\0') != DXT_OK ||
	    dxt_buf_puts(&sql, "SELECT rows FROM ") != DXT_OK ||
	    dxt_rel_quote_name(&sql, loads, NULL) != DXT_OK ||
	    dxt_buf_puts(&sql, " WHERE load_id = $1") != DXT_OK ||
	    dxt_buf_putc(&sql, '\0') != DXT_OK) {
		dxt_buf_free(&q);
		dxt_buf_free(&sql);
		return nomem(err);
	}
	params[0] = (const char *)q.data;
	rc = dxt__pg_query(c, "SELECT to_regclass($1) IS NOT NULL", 1, params,
			   DXT_ORIGIN_TARGET, "looking for " LOADS_TABLE, &res,
			   err);
	if (rc == DXT_OK && PQgetvalue(res, 0, 0)[0] == 't') {
		PQclear(res);
		params[0] = id;
		rc = dxt__pg_query(c, (const char *)sql.data, 1, params,
				   DXT_ORIGIN_TARGET, "reading " LOADS_TABLE,
				   &res, err);
		if (rc == DXT_OK && PQntuples(res) > 0) {
			*found = true;
			*rows = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		}
	}
	PQclear(res);
	dxt_buf_free(&q);
	dxt_buf_free(&sql);
	return rc;
}

static int loads_record(struct load *l, struct dxt_error *err)
{
	char n[32];
	const char *params[3];
	PGresult *res;
	int rc;

	snprintf(n, sizeof(n), "%llu", (unsigned long long)l->rows);
	params[0] = l->ctx->load_id;
	params[1] = l->tgt.name;
	params[2] = n;
	if (sql_start(l, "INSERT INTO ") != DXT_OK ||
	    dxt_rel_quote_name(&l->sql, &l->loads, NULL) != DXT_OK ||
	    dxt_buf_puts(&l->sql, " (load_id, target, rows) VALUES ($1, $2, "
			 "$3::bigint)") != DXT_OK || sql_end(l) != DXT_OK)
		return nomem(err);
	rc = dxt__pg_query(l->c, (const char *)l->sql.data, 3, params,
			   DXT_ORIGIN_TARGET, "recording the load", &res, err);
	PQclear(res);
	return rc;
}

/* --- table and schema ----------------------------------------------------- */

static int create_table(struct load *l, struct dxt_error *err)
{
	const struct dxt_load_opts *lo = l->ctx->load;
	size_t nkeys = lo->mode == DXT_LOAD_UPSERT ? lo->n_upsert_keys : 0;
	int rc;

	l->sql.len = 0;
	rc = dxt_rel_create_table_sql(&l->sql, &l->name, NULL, l->data, NULL,
				      &dxt__pg_types,
				      (const char *const *)lo->upsert_keys,
				      nkeys, err);
	if (rc != DXT_OK)
		return rc;
	if (sql_end(l) != DXT_OK)
		return nomem(err);
	rc = exec(l, l->what, err);
	if (rc == DXT_OK) {
		l->fresh = true;
		dxt__pg_table_free(&l->table);
		rc = dxt__pg_table_get(l->c, &l->name, &l->table, err);
	}
	return rc;
}

static int diff_error(struct load *l, const struct dxt_rel_schema_diff *d,
		      const char *why, struct dxt_error *err)
{
	struct dxt_buf b = {0};

	if (dxt_rel_schema_diff_describe(d, l->data, l->table.columns, &b) !=
	    DXT_OK || dxt_buf_putc(&b, '\0') != DXT_OK) {
		dxt_buf_free(&b);
		return nomem(err);
	}
	dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL, DXT_ORIGIN_TARGET,
		       "%s: %s: %s", l->what, why, (const char *)b.data);
	dxt_buf_free(&b);
	return DXT_ESCHEMA;
}

/* Adds the data's new columns (schema policy evolve). */
static int add_columns(struct load *l, const struct dxt_rel_schema_diff *d,
		       struct dxt_error *err)
{
	for (size_t i = 0; i < d->n_new; i++) {
		const struct dxt_field *f = &l->data->fields[d->new_fields[i]];
		int rc;

		if (sql_start(l, "ALTER TABLE ") != DXT_OK ||
		    dxt_rel_quote_name(&l->sql, &l->name, NULL) != DXT_OK ||
		    dxt_buf_puts(&l->sql, " ADD COLUMN ") != DXT_OK)
			return nomem(err);
		rc = dxt_rel_column_def_sql(&l->sql, f, &dxt__pg_types, err);
		if (rc != DXT_OK)
			return rc;
		if (sql_end(l) != DXT_OK)
			return nomem(err);
		rc = exec(l, l->what, err);
		if (rc != DXT_OK)
			return rc;
		dxt_op_log(l->ctx, DXT_LOG_INFO, "%s: added column \"%s\"",
			   l->what, f->name);
	}
	dxt__pg_table_free(&l->table);
	return dxt__pg_table_get(l->c, &l->name, &l->table, err);
}

/* Applies the schema policy and decides, per data field, its column. */
static int match_schema(struct load *l, struct dxt_error *err)
{
	struct dxt_rel_schema_diff d;
	enum dxt_schema_policy pol = l->ctx->load->schema_policy;
	int rc;

	if (dxt_rel_schema_diff(l->data, l->table.columns, false, &d) != DXT_OK)
		return nomem(err);
	if (pol == DXT_SCHEMA_FREEZE && (d.n_new > 0 || d.n_changed > 0)) {
		rc = diff_error(l, &d, "the table differs from the data "
				"(schema_policy freeze)", err);
		dxt_rel_schema_diff_free(&d);
		return rc;
	}
	if (pol == DXT_SCHEMA_EVOLVE && d.n_new > 0) {
		rc = add_columns(l, &d, err);
		dxt_rel_schema_diff_free(&d);
		if (rc != DXT_OK)
			return rc;
		if (dxt_rel_schema_diff(l->data, l->table.columns, false, &d) !=
		    DXT_OK)
			return nomem(err);
	}
	for (size_t i = 0; i < l->data->n; i++) {
		l->col[i] = d.table_col[i];
		if (l->col[i] < 0 && pol == DXT_SCHEMA_DISCARD_ROW)
			l->extra[l->nextra++] = i;
		if (l->col[i] >= 0 &&
		    !dxt__pg_can_encode(&l->data->fields[i],
					l->table.oids[l->col[i]]))
			l->stage = true;
	}
	dxt_rel_schema_diff_free(&d);
	return DXT_OK;
}

/* Appends the quoted names of the loaded columns: "a", "b". */
static int column_list(struct load *l, struct dxt_buf *out)
{
	bool first = true;

	for (size_t i = 0; i < l->data->n; i++) {
		if (l->col[i] < 0)
			continue;
		if ((!first && dxt_buf_puts(out, ", ") != DXT_OK) ||
		    dxt_rel_quote_ident(out, l->data->fields[i].name) != DXT_OK)
			return DXT_ENOMEM;
		first = false;
	}
	return DXT_OK;
}

/*
 * Whether staged values of data field i need an explicit CAST into their
 * column: the staging column has another type, and the column is not a
 * string or bit type. Assignment casts do not exist from text to most
 * types (text into an integer column), and an explicit cast parses the text
 * with the column type's input function, as COPY would. Into string and bit
 * types an explicit cast would silently cut a value that is too long, so
 * those keep the assignment cast, which fails instead.
 */
static bool needs_cast(const struct load *l, size_t i)
{
	uint32_t oid = l->table.oids[l->col[i]];

	switch (oid) {
	case DXT__PG_OID_TEXT:
	case DXT__PG_OID_VARCHAR:
	case DXT__PG_OID_BPCHAR:
	case DXT__PG_OID_NAME:
	case DXT__PG_OID_CHAR:
	case DXT__PG_OID_BIT:
	case DXT__PG_OID_VARBIT:
		return false;
	default:
		return oid != dxt__pg_natural_oid(&l->data->fields[i]) &&
		       l->table.columns->fields[l->col[i]].native != NULL;
	}
}

/* Appends the SELECT list that takes the staged values into the table's
 * columns: "a", CAST("b" AS integer), ... */
static int select_list(struct load *l, struct dxt_buf *out)
{
	bool first = true;

	for (size_t i = 0; i < l->data->n; i++) {
		bool cast;

		if (l->col[i] < 0)
			continue;
		cast = needs_cast(l, i);
		if ((!first && dxt_buf_puts(out, ", ") != DXT_OK) ||
		    (cast && dxt_buf_puts(out, "CAST(") != DXT_OK) ||
		    dxt_rel_quote_ident(out, l->data->fields[i].name) !=
			    DXT_OK ||
		    (cast && (dxt_buf_puts(out, " AS ") != DXT_OK ||
			      dxt_buf_puts(out, l->table.columns
							->fields[l->col[i]]
							.native) != DXT_OK ||
			      dxt_buf_putc(out, ')') != DXT_OK)))
			return DXT_ENOMEM;
		first = false;
	}
	return DXT_OK;
}

/* --- COPY ----------------------------------------------------------------- */

static int put_chunk(struct load *l, struct dxt_error *err)
{
	if (l->buf.len == 0)
		return DXT_OK;
	if (PQputCopyData(l->c, (const char *)l->buf.data, (int)l->buf.len) != 1)
		return dxt__pg_error(err, l->c, NULL, DXT_ORIGIN_TARGET,
				     "%s: sending rows", l->what);
	l->buf.len = 0;
	return DXT_OK;
}

/*
 * discard_row: a row with a value in a field the table lacks is rejected
 * (rejects.jsonl) instead of loaded. True when row r was.
 */
static int discard(struct load *l, const struct dxt_batch *b, size_t r,
		   bool *out, struct dxt_error *err)
{
	const char *name = NULL;
	char reason[320];

	*out = false;
	for (size_t k = 0; k < l->nextra && name == NULL; k++)
		if (dxt_col_is_valid(&b->cols[l->extra[k]], r))
			name = l->data->fields[l->extra[k]].name;
	if (name == NULL)
		return DXT_OK;
	*out = true;
	l->rejected++;
	snprintf(reason, sizeof(reason), "column \"%s\" is not in the table "
		 "(schema_policy discard_row)", name);
	l->raw.len = 0;
	if (dxt_buf_append(&l->skipped, &(uint64_t){l->seen + r + 1},
			   sizeof(uint64_t)) != DXT_OK ||
	    dxt_rel_row_json(b, r, &l->raw) != DXT_OK)
		return nomem(err);
	return dxt_buffer_reader_reject(l->in, l->seen + r + 1, reason,
					(const char *)l->raw.data, l->raw.len,
					err);
}

static int copy_batch(struct load *l, const struct dxt_batch *b,
		      struct dxt_error *err)
{
	int16_t nf = 0;
	uint64_t loaded = 0;

	for (size_t i = 0; i < l->data->n; i++)
		nf += l->col[i] >= 0;
	nf += l->stage;
	for (size_t r = 0; r < b->nrows; r++) {
		if (l->nextra > 0) {
			bool skip;
			int rc = discard(l, b, r, &skip, err);

			if (rc != DXT_OK)
				return rc;
			if (skip)
				continue;
		}
		loaded++;
		if (dxt__pg_copy_row(&l->buf, nf) != DXT_OK)
			return nomem(err);
		for (size_t i = 0; i < l->data->n; i++) {
			if (l->col[i] < 0)
				continue;
			if (dxt__pg_copy_value(&l->buf, &b->cols[i],
					       &l->data->fields[i], r,
					       l->oid[i]) != DXT_OK)
				return nomem(err);
		}
		if (l->stage && dxt__pg_copy_int8(&l->buf, (int64_t)(l->seen +
								  r + 1)) !=
					DXT_OK)
			return nomem(err);
		if (l->buf.len >= COPY_CHUNK) {
			int rc = put_chunk(l, err);
			if (rc != DXT_OK)
				return rc;
		}
	}
	l->rows += loaded;
	l->seen += b->nrows;
	if (l->ctx->progress != NULL)
		atomic_fetch_add(&l->ctx->progress->rows, b->nrows);
	return DXT_OK;
}

/* Adds "(row N of the stream[: VALUES])" to err's message. */
static void name_row(struct dxt_error *err, unsigned long long row,
		     const char *values)
{
	char msg[DXT_ERROR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s (row %llu of the stream%s%s)",
		 err->message, row, values ? ": " : "", values ? values : "");
	memcpy(err->message, msg, sizeof(err->message));
}

/*
 * A failed COPY's context names the line of the COPY data ("COPY t, line
 * 7, column v: ..."); adds the stream row it is, which differs when
 * discard_row left rows out.
 */
static void name_copy_row(struct load *l, const PGresult *res,
			  struct dxt_error *err)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *p = ctx ? strstr(ctx, ", line ") : NULL;
	const uint64_t *skip = (const uint64_t *)l->skipped.data;
	size_t nskip = l->skipped.len / sizeof(uint64_t);
	unsigned long long line;

	if (p == NULL || err == NULL || sscanf(p, ", line %llu", &line) != 1)
		return;
	for (size_t i = 0; i < nskip && skip[i] <= line; i++)
		line++;
	name_row(err, line, NULL);
}

/* COPYs every staged row into `dest` (quoted, NUL-terminated). */
static int copy_all(struct load *l, const char *dest, struct dxt_error *err)
{
	struct dxt_rel_prefetch *pf = NULL;
	const struct dxt_batch *b;
	PGresult *res;
	int rc;

	if (sql_start(l, "COPY ") != DXT_OK ||
	    dxt_buf_puts(&l->sql, dest) != DXT_OK ||
	    dxt_buf_puts(&l->sql, " (") != DXT_OK ||
	    column_list(l, &l->sql) != DXT_OK ||
	    (l->stage && dxt_buf_puts(&l->sql, ", " ROW_COLUMN) != DXT_OK) ||
	    dxt_buf_puts(&l->sql, ") FROM STDIN (FORMAT binary)") != DXT_OK ||
	    sql_end(l) != DXT_OK)
		return nomem(err);
	res = PQexec(l->c, (const char *)l->sql.data);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = dxt__pg_error(err, l->c, res, DXT_ORIGIN_TARGET,
				   "%s: starting COPY", l->what);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	l->buf.len = 0;
	rc = dxt__pg_copy_begin(&l->buf) == DXT_OK ? DXT_OK : nomem(err);
	if (rc == DXT_OK)
		rc = dxt_rel_prefetch_start(l->in, 2, &pf, err);
	while (rc == DXT_OK) {
		int got = dxt_rel_prefetch_next(pf, &b, err);

		if (got <= 0) {
			rc = got;
			break;
		}
		if (dxt_op_cancelled(l->ctx)) {
			rc = dxt_error_setc(err, DXT_ECANCELLED, DXT_TERMINAL,
					    DXT_ORIGIN_TARGET, "%s: load "
					    "cancelled", l->what);
			break;
		}
		rc = copy_batch(l, b, err);
	}
	dxt_rel_prefetch_stop(pf);
	if (rc == DXT_OK && dxt__pg_copy_end(&l->buf) != DXT_OK)
		rc = nomem(err);
	if (rc == DXT_OK)
		rc = put_chunk(l, err);
	if (PQputCopyEnd(l->c, rc == DXT_OK ? NULL : "load failed") != 1 &&
	    rc == DXT_OK)
		rc = dxt__pg_error(err, l->c, NULL, DXT_ORIGIN_TARGET,
				   "%s: ending COPY", l->what);
	while ((res = PQgetResult(l->c)) != NULL) {
		if (rc == DXT_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = dxt__pg_error(err, l->c, res, DXT_ORIGIN_TARGET,
					   "%s", l->what);
			if (!l->stage)
				name_copy_row(l, res, err);
		}
		PQclear(res);
	}
	if (rc == DXT_OK && PQstatus(l->c) == CONNECTION_BAD)
		rc = dxt__pg_error(err, l->c, NULL, DXT_ORIGIN_TARGET, "%s",
				   l->what);
	return rc;
}

/* Creates the temporary table of the data's own types. */
static int create_stage(struct load *l, struct dxt_error *err)
{
	struct dxt_rel_name st = {.n = 1, .parts = {STAGE_TABLE}};
	bool *skip = calloc(l->data->n ? l->data->n : 1, sizeof(bool));
	struct dxt_schema *s = dxt_schema_copy(l->data);
	int rc;

	if (skip == NULL || s == NULL) {
		free(skip);
		dxt_schema_destroy(s);
		return nomem(err);
	}
	for (size_t i = 0; i < s->n; i++) {
		skip[i] = l->col[i] < 0;
		s->fields[i].nullable = true;
		l->oid[i] = dxt__pg_natural_oid(&s->fields[i]);
	}
	if (sql_start(l, "") != DXT_OK) {
		rc = nomem(err);
		goto out;
	}
	rc = dxt_rel_create_table_sql(&l->sql, &st, NULL, s, skip,
				      &dxt__pg_types, NULL, 0, err);
	if (rc == DXT_OK) {
		/* CREATE TABLE "dxt_stage" (...) -> CREATE TEMP TABLE
		 * "dxt_stage" (..., "__dxt_row" int8) ON COMMIT DROP */
		static const char pre[] = "CREATE TABLE ";
		struct dxt_buf t = {0};

		if (l->sql.len < sizeof(pre) ||
		    memcmp(l->sql.data, pre, sizeof(pre) - 1) != 0 ||
		    l->sql.data[l->sql.len - 1] != ')' ||
		    dxt_buf_puts(&t, "CREATE TEMP TABLE ") != DXT_OK ||
		    dxt_buf_append(&t, l->sql.data + sizeof(pre) - 1,
				   l->sql.len - sizeof(pre)) != DXT_OK ||
		    dxt_buf_puts(&t, ", " ROW_COLUMN " int8) ON COMMIT DROP") !=
			    DXT_OK) {
			dxt_buf_free(&t);
			rc = nomem(err);
			goto out;
		}
		dxt_buf_free(&l->sql);
		l->sql = t;
		rc = sql_end(l) == DXT_OK ? exec(l, "creating the staging "
						 "table", err)
					  : nomem(err);
	}
out:
	free(skip);
	dxt_schema_destroy(s);
	return rc;
}

/*
 * l->sql = INSERT INTO dest (cols) SELECT cols FROM stage [WHERE row
 * BETWEEN $1 AND $2] [ON CONFLICT ...]; the WHERE clause when `range`.
 */
static int insert_sql(struct load *l, const char *dest, bool range)
{
	const struct dxt_load_opts *lo = l->ctx->load;
	bool upsert = lo->mode == DXT_LOAD_UPSERT;

	if (sql_start(l, "INSERT INTO ") != DXT_OK ||
	    dxt_buf_puts(&l->sql, dest) != DXT_OK ||
	    dxt_buf_puts(&l->sql, " (") != DXT_OK ||
	    column_list(l, &l->sql) != DXT_OK ||
	    dxt_buf_puts(&l->sql, ") SELECT ") != DXT_OK ||
	    select_list(l, &l->sql) != DXT_OK ||
	    dxt_buf_puts(&l->sql, " FROM " STAGE_TABLE) != DXT_OK ||
	    (range && dxt_buf_puts(&l->sql, " WHERE " ROW_COLUMN
						" BETWEEN $1 AND $2") != DXT_OK))
		return DXT_ENOMEM;
	if (upsert) {
		bool any = false;

		if (dxt_buf_puts(&l->sql, " ON CONFLICT (") != DXT_OK)
			return DXT_ENOMEM;
		for (size_t k = 0; k < lo->n_upsert_keys; k++)
			if ((k > 0 && dxt_buf_puts(&l->sql, ", ") != DXT_OK) ||
			    dxt_rel_quote_ident(&l->sql, lo->upsert_keys[k]) !=
				    DXT_OK)
				return DXT_ENOMEM;
		if (dxt_buf_puts(&l->sql, ") DO UPDATE SET ") != DXT_OK)
			return DXT_ENOMEM;
		for (size_t i = 0; i < l->data->n; i++) {
			const char *n = l->data->fields[i].name;
			bool key = false;

			if (l->col[i] < 0)
				continue;
			for (size_t k = 0; k < lo->n_upsert_keys; k++)
				key |= strcmp(lo->upsert_keys[k], n) == 0;
			if (key)
				continue;
			if ((any && dxt_buf_puts(&l->sql, ", ") != DXT_OK) ||
			    dxt_rel_quote_ident(&l->sql, n) != DXT_OK ||
			    dxt_buf_puts(&l->sql, " = EXCLUDED.") != DXT_OK ||
			    dxt_rel_quote_ident(&l->sql, n) != DXT_OK)
				return DXT_ENOMEM;
			any = true;
		}
		if (!any) {
			/* Only keys: nothing to update. */
			char *p = strstr((char *)l->sql.data, ") DO UPDATE SET ");
			l->sql.len = (size_t)(p - (char *)l->sql.data);
			if (dxt_buf_puts(&l->sql, ") DO NOTHING") != DXT_OK)
				return DXT_ENOMEM;
		}
	}
	return sql_end(l);
}

/* Whether a statement failed on the data: a value, a constraint, a key
 * the data repeats (SQLSTATE classes 21, 22, 23). */
static bool data_error(const PGresult *res)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return st != NULL && (strncmp(st, "21", 2) == 0 ||
			      strncmp(st, "22", 2) == 0 ||
			      strncmp(st, "23", 2) == 0);
}

/* Runs a statement that returns no rows: 0, or -1 when it fails. */
static int run(struct load *l, const char *sql)
{
	PGresult *res = PQexec(l->c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * Inserts the staged buffer rows first..last (l->sql, insert_sql() with
 * `range`) under the savepoint dxt_probe, kept when it succeeds and `keep`
 * is set, rolled back otherwise. 0: it succeeded; 1: it failed with
 * SQLSTATE `state`; -1: anything else.
 */
static int insert_range(struct load *l, uint64_t first, uint64_t last,
			const char *state, bool keep)
{
	char a[24], b[24];
	const char *param[2] = {a, b};
	PGresult *res;
	int f;

	snprintf(a, sizeof(a), "%llu", (unsigned long long)first);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)last);
	if (run(l, "SAVEPOINT dxt_probe") != 0)
		return -1;
	res = PQexecParams(l->c, (const char *)l->sql.data, 2, NULL, param,
			   NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		f = 0;
	} else {
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		f = st != NULL && strcmp(st, state) == 0 ? 1 : -1;
	}
	PQclear(res);
	if (run(l, f == 0 && keep ? "RELEASE SAVEPOINT dxt_probe"
				  : "ROLLBACK TO SAVEPOINT dxt_probe") != 0)
		return -1;
	return f;
}

/*
 * After the INSERT from the staging table failed on the data with SQLSTATE
 * `state`: finds the first buffer row whose insert fails the same way and
 * adds it, with its values, to err's message. Leaves err as it is when the
 * search cannot finish (a lost connection, say).
 *
 * Rows go in again in order, a chunk at a time, each kept when it goes in
 * (a row can fail on an earlier one: a repeated key); the chunk that fails
 * is then bisected, each half tried and rolled back. That costs about one
 * more load up to the failing row, where bisecting whole prefixes would
 * cost twenty. All of it is rolled back with the load's transaction.
 */
static void name_failing_row(struct load *l, const char *dest,
			     const char *state, struct dxt_error *err)
{
	uint64_t chunk = l->seen / 32 > 4096 ? l->seen / 32 : 4096;
	uint64_t first = 1, lo, hi = 0;
	char n[24];
	const char *param[1] = {n};
	PGresult *res;

	if (run(l, "ROLLBACK TO SAVEPOINT dxt_insert") != 0 ||
	    run(l, "CREATE INDEX ON " STAGE_TABLE " (" ROW_COLUMN ")") != 0 ||
	    insert_sql(l, dest, true) != DXT_OK)
		return;
	while (first <= l->seen && hi == 0) {
		uint64_t last = l->seen - first < chunk ? l->seen
							 : first + chunk - 1;
		int f = insert_range(l, first, last, state, true);

		if (f < 0)
			return;
		if (f == 0) {
			first = last + 1;
			continue;
		}
		/* first..hi fails, first..lo-1 does not: bisect. */
		lo = first;
		hi = last;
		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;

			f = insert_range(l, first, mid, state, false);
			if (f < 0)
				return;
			if (f)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	if (hi == 0)
		return;
	/* The row's values, as JSON: SELECT row_to_json(s) FROM (SELECT
	 * cols FROM stage WHERE row = $1) s. */
	if (sql_start(l, "SELECT left(row_to_json(s)::text, 300) FROM "
			 "(SELECT ") != DXT_OK ||
	    column_list(l, &l->sql) != DXT_OK ||
	    dxt_buf_puts(&l->sql, " FROM " STAGE_TABLE " WHERE " ROW_COLUMN
				  " = $1) s") != DXT_OK ||
	    sql_end(l) != DXT_OK)
		return;
	snprintf(n, sizeof(n), "%llu", (unsigned long long)hi);
	res = PQexecParams(l->c, (const char *)l->sql.data, 1, NULL, param,
			   NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		name_row(err, (unsigned long long)hi, PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* INSERTs the staged rows into dest (quoted, NUL-terminated). */
static int insert_from_stage(struct load *l, const char *dest,
			     struct dxt_error *err)
{
	PGresult *res;
	int rc;

	rc = dxt__pg_exec(l->c, "SAVEPOINT dxt_insert", DXT_ORIGIN_TARGET,
			  l->what, err);
	if (rc != DXT_OK)
		return rc;
	if (insert_sql(l, dest, false) != DXT_OK)
		return nomem(err);
	res = PQexec(l->c, (const char *)l->sql.data);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		return DXT_OK;
	}
	rc = dxt__pg_error(err, l->c, res, DXT_ORIGIN_TARGET, "%s", l->what);
	if (data_error(res) && err != NULL) {
		char state[6];

		snprintf(state, sizeof(state), "%s",
			 PQresultErrorField(res, PG_DIAG_SQLSTATE));
		name_failing_row(l, dest, state, err);
	}
	PQclear(res);
	return rc;
}

static int check_keys(struct load *l, struct dxt_error *err)
{
	const struct dxt_load_opts *lo = l->ctx->load;
	bool covered;
	int rc = dxt__pg_keys_unique(l->c, &l->name, lo->upsert_keys,
				     lo->n_upsert_keys, &covered, err);

	if (rc != DXT_OK || covered)
		return rc;
	l->buf.len = 0;
	if (dxt_buf_puts(&l->buf, "CREATE UNIQUE INDEX ON ") != DXT_OK ||
	    dxt_rel_quote_name(&l->buf, &l->name, NULL) != DXT_OK ||
	    dxt_buf_puts(&l->buf, " (") != DXT_OK)
		return nomem(err);
	for (size_t k = 0; k < lo->n_upsert_keys; k++)
		if ((k > 0 && dxt_buf_puts(&l->buf, ", ") != DXT_OK) ||
		    dxt_rel_quote_ident(&l->buf, lo->upsert_keys[k]) != DXT_OK)
			return nomem(err);
	if (dxt_buf_append(&l->buf, ")", 2) != DXT_OK)
		return nomem(err);
	return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
			      DXT_ORIGIN_TARGET,
			      "%s: upsert_keys are not the primary key or a "
			      "unique index of the table; create one: %s",
			      l->what, (const char *)l->buf.data);
}

/* --- the load ------------------------------------------------------------- */

static int load_rows(struct load *l, struct dxt_error *err)
{
	const struct dxt_load_opts *lo = l->ctx->load;
	bool replace = lo->mode == DXT_LOAD_REPLACE;
	struct dxt_buf dest = {0};
	int rc;

	rc = dxt__pg_table_get(l->c, &l->name, &l->table, err);
	if (rc != DXT_OK)
		return rc;
	if (!l->table.exists) {
		if (!l->tgt.create)
			return dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
					      DXT_ORIGIN_TARGET,
					      "%s does not exist and the target "
					      "says create: false", l->what);
		rc = create_table(l, err);
		if (rc != DXT_OK)
			return rc;
	}
	rc = match_schema(l, err);
	if (rc == DXT_OK && lo->mode == DXT_LOAD_UPSERT) {
		rc = check_keys(l, err);
		l->stage = true;
	}
	if (rc != DXT_OK)
		return rc;
	for (size_t i = 0; i < l->data->n; i++)
		if (l->col[i] >= 0)
			l->oid[i] = l->table.oids[l->col[i]];
	if (replace && !l->fresh) {
		if (sql_start(l, "CREATE TABLE ") != DXT_OK ||
		    dxt_rel_quote_name(&l->sql, &l->name, NEW_SUFFIX) != DXT_OK ||
		    dxt_buf_puts(&l->sql, " (LIKE ") != DXT_OK ||
		    dxt_rel_quote_name(&l->sql, &l->name, NULL) != DXT_OK ||
		    dxt_buf_puts(&l->sql, " INCLUDING ALL)") != DXT_OK ||
		    sql_end(l) != DXT_OK)
			return nomem(err);
		rc = exec(l, l->what, err);
		if (rc != DXT_OK)
			return rc;
	}
	if (dxt_rel_quote_name(&dest, &l->name,
			       replace && !l->fresh ? NEW_SUFFIX : NULL) !=
		    DXT_OK || dxt_buf_putc(&dest, '\0') != DXT_OK) {
		dxt_buf_free(&dest);
		return nomem(err);
	}
	if (l->stage) {
		rc = create_stage(l, err);
		if (rc == DXT_OK)
			rc = copy_all(l, STAGE_TABLE, err);
		if (rc == DXT_OK)
			rc = insert_from_stage(l, (const char *)dest.data, err);
	} else {
		rc = copy_all(l, (const char *)dest.data, err);
	}
	dxt_buf_free(&dest);
	if (rc == DXT_OK && replace && !l->fresh) {
		if (sql_start(l, "DROP TABLE ") != DXT_OK ||
		    dxt_rel_quote_name(&l->sql, &l->name, NULL) != DXT_OK ||
		    sql_end(l) != DXT_OK)
			return nomem(err);
		rc = exec(l, l->what, err);
		if (rc != DXT_OK)
			return rc;
		if (sql_start(l, "ALTER TABLE ") != DXT_OK ||
		    dxt_rel_quote_name(&l->sql, &l->name, NEW_SUFFIX) != DXT_OK ||
		    dxt_buf_puts(&l->sql, " RENAME TO ") != DXT_OK ||
		    dxt_rel_quote_ident(&l->sql, dxt_rel_name_table(&l->name)) !=
			    DXT_OK || sql_end(l) != DXT_OK)
			return nomem(err);
		rc = exec(l, l->what, err);
	}
	return rc;
}

static int pg_load(const struct dxt_op_ctx *ctx, struct dxt_buffer_reader *in,
		   struct dxt_load_result *res, struct dxt_error *err)
{
	struct load l;
	bool found = false;
	uint64_t rows = 0;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(res, 0, sizeof(*res));
	l.ctx = ctx;
	l.in = in;
	l.data = dxt_buffer_reader_manifest(in)->schema;
	if (l.data == NULL)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "postgres target: the buffer holds "
				      "files, not records; use a records "
				      "extractor");
	rc = dxt__pg_conf_parse(ctx->config, &l.conf, err);
	if (rc == DXT_OK)
		rc = dxt_rel_target_parse(ctx->target, &l.tgt, err);
	if (rc == DXT_OK)
		rc = dxt_rel_name_parse(l.tgt.name, &l.name, err);
	if (rc != DXT_OK)
		goto out;
	if (strcmp(dxt_rel_name_table(&l.name), LOADS_TABLE) == 0) {
		rc = dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG, "postgres target: %s "
				    "is dxt's own table; choose another name",
				    LOADS_TABLE);
		goto out;
	}
	l.loads = l.name;
	l.loads.parts[l.loads.n - 1] = (char *)LOADS_TABLE;
	snprintf(l.what, sizeof(l.what), "%s: table \"%s\"", l.conf.where,
		 l.tgt.name);
	l.col = calloc(l.data->n + 1, sizeof(int));
	l.oid = calloc(l.data->n + 1, sizeof(uint32_t));
	l.extra = calloc(l.data->n + 1, sizeof(size_t));
	if (l.col == NULL || l.oid == NULL || l.extra == NULL) {
		rc = nomem(err);
		goto out;
	}
	rc = dxt__pg_connect(&l.conf, DXT_ORIGIN_TARGET, &l.c, err);
	if (rc == DXT_OK)
		rc = dxt__pg_exec(l.c, "BEGIN", DXT_ORIGIN_TARGET, l.what, err);
	if (rc == DXT_OK && ctx->load_id != NULL) {
		rc = loads_create(&l, err);
		if (rc == DXT_OK)
			rc = loads_find(l.c, &l.loads, ctx->load_id, &found,
					&rows, err);
	}
	if (rc == DXT_OK && found) {
		dxt_op_log(ctx, DXT_LOG_INFO, "%s: load %s was committed "
			   "before (%llu rows); nothing to do", l.what,
			   ctx->load_id, (unsigned long long)rows);
		l.rows = rows;
	} else if (rc == DXT_OK) {
		rc = load_rows(&l, err);
		if (rc == DXT_OK && ctx->load_id != NULL)
			rc = loads_record(&l, err);
	}
	if (rc == DXT_OK)
		rc = dxt__pg_exec(l.c, "COMMIT", DXT_ORIGIN_TARGET, l.what, err);
	if (rc == DXT_OK) {
		res->rows_loaded = l.rows;
		res->rows_rejected = l.rejected;
	}
	else if (l.c != NULL && PQstatus(l.c) == CONNECTION_OK)
		PQclear(PQexec(l.c, "ROLLBACK"));
out:
	if (l.c != NULL)
		PQfinish(l.c);
	/* The last part of loads was borrowed; name owns the rest. */
	dxt_rel_name_free(&l.name);
	dxt_rel_target_free(&l.tgt);
	dxt__pg_table_free(&l.table);
	dxt_buf_free(&l.sql);
	dxt_buf_free(&l.buf);
	dxt_buf_free(&l.raw);
	dxt_buf_free(&l.skipped);
	free(l.col);
	free(l.oid);
	free(l.extra);
	return rc;
}

static int pg_committed(const struct dxt_op_ctx *ctx, bool *committed,
			uint64_t *rows, struct dxt_error *err)
{
	struct dxt__pg_conf conf;
	struct dxt_rel_target tgt = {0};
	struct dxt_rel_name name = {0}, loads;
	PGconn *c = NULL;
	int rc;

	*committed = false;
	*rows = 0;
	if (ctx->load_id == NULL)
		return DXT_OK;
	rc = dxt__pg_conf_parse(ctx->config, &conf, err);
	if (rc == DXT_OK)
		rc = dxt_rel_target_parse(ctx->target, &tgt, err);
	if (rc == DXT_OK)
		rc = dxt_rel_name_parse(tgt.name, &name, err);
	if (rc == DXT_OK)
		rc = dxt__pg_connect(&conf, DXT_ORIGIN_TARGET, &c, err);
	if (rc == DXT_OK) {
		loads = name;
		loads.parts[loads.n - 1] = (char *)LOADS_TABLE;
		rc = loads_find(c, &loads, ctx->load_id, committed, rows, err);
	}
	if (c != NULL)
		PQfinish(c);
	dxt_rel_name_free(&name);
	dxt_rel_target_free(&tgt);
	return rc;
}

const struct dxt_operator PostgresLoader = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_LOADER,
	.category = DXT_CAT_RELATIONAL,
	.unit = DXT_UNIT_RECORDS,
	.name = "PostgresLoader",
	.summary = "loads records into a PostgreSQL table with binary COPY "
		   "(append, replace, upsert)",
	.load = pg_load,
	.committed = pg_committed,
	.check = NULL,
};
