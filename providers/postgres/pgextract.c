/*
 * pgextract.c - PostgresExtractor: a relation, query or set-returning
 * function of a PostgreSQL database into the buffer.
 *
 * Source block: {type: relation, relation: public.users} (or table:),
 * {type: sql, sql: "SELECT ..."}, {type: function, function: "f(2024)"}.
 *
 * The query is described first (PQprepare + PQdescribePrepared) for its
 * columns' types, mapped as copyout.h says; then its rows stream through
 * `COPY (SELECT ...) TO STDOUT (FORMAT binary)` and are decoded straight
 * into batches, one CopyData message (one row) at a time: memory never
 * holds more than a batch.
 *
 * Incremental extracts read `... WHERE "wf" > <last watermark> ORDER BY
 * "wf"`. COPY takes no parameters, so the last watermark is bound as a
 * parameter of `SELECT set_config('dxt.watermark', $1, false)` and the COPY
 * query reads it back as `current_setting('dxt.watermark')::<type of wf>`:
 * the value is never spliced into SQL. The new watermark is the last value
 * read (rows come in its order): integers as JSON integers, floats as
 * reals, everything else (timestamps, dates, numerics, text) as its DXT
 * text, which PostgreSQL parses back for the cast.
 */
#include "providers/postgres/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/convert.h"
#include "providers/postgres/copyout.h"

struct extract {
	const struct dxt_op_ctx *ctx;
	struct dxt_buffer_writer *out;
	struct dxt__pg_conf conf;
	struct dxt_rel_source src;
	char what[320];
	PGconn *c;
	struct dxt_buf sql;
	struct dxt_schema *schema;
	struct dxt__pg_outcol *oc;
	struct dxt_batch batch;
	struct dxt_batch_limits limits;
	bool skip;
	uint64_t row;
	const char *wfield;
	int wcol;
	char wtype[128];           /* the watermark column's type name */
	struct dxt_buf wlast;      /* its last value, as JSON text */
	bool wseen;
};

static int nomem(struct dxt_error *err)
{
	return dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

static int fail(struct extract *x, PGresult *res, const char *what,
		struct dxt_error *err)
{
	return dxt__pg_error(err, x->c, res, DXT_ORIGIN_SOURCE, "%s: %s",
			     x->what, what);
}

/* The watermark as text for set_config(). */
static int watermark_text(struct extract *x, char *buf, size_t len,
			  struct dxt_error *err)
{
	const json_t *wm = x->ctx->watermark;

	switch (json_typeof(wm)) {
	case JSON_INTEGER:
		snprintf(buf, len, "%lld", (long long)json_integer_value(wm));
		return DXT_OK;
	case JSON_REAL:
		snprintf(buf, len, "%.17g", json_real_value(wm));
		return DXT_OK;
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(wm));
		return DXT_OK;
	default:
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "%s: the stored watermark of \"%s\" is "
				      "not a number or a string; reset the "
				      "stream's state", x->what, x->wfield);
	}
}

/*
 * Describes the query: names and types of its columns, and (incremental)
 * the watermark column's type name.
 */
static int describe(struct extract *x, bool bind, struct dxt_error *err)
{
	PGresult *res;
	int rc, n;

	x->sql.len = 0;
	rc = dxt_rel_select_sql(&x->sql, &x->src, x->wfield, bind,
				DXT_REL_PARAM_DOLLAR, err);
	if (rc != DXT_OK)
		return rc;
	res = PQprepare(x->c, "", (const char *)x->sql.data, bind ? 1 : 0,
			NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = fail(x, res, "cannot prepare the query", err);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	res = PQdescribePrepared(x->c, "");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = fail(x, res, "cannot describe the query", err);
		PQclear(res);
		return rc;
	}
	n = PQnfields(res);
	x->schema = dxt_schema_create();
	x->oc = calloc((size_t)n + 1, sizeof(*x->oc));
	if (x->schema == NULL || x->oc == NULL) {
		PQclear(res);
		return nomem(err);
	}
	x->wcol = -1;
	for (int i = 0; i < n; i++) {
		uint32_t oid = PQftype(res, i);
		char tt = 0, tc = 0;
		enum dxt_type t;
		int p, s;

		if (!dxt__pg_known_oid(oid)) {
			/* typtype and typcategory decide json or text. */
			char o[16];
			const char *params[1] = {o};
			PGresult *r2;

			snprintf(o, sizeof(o), "%u", oid);
			rc = dxt__pg_query(x->c, "SELECT typtype, typcategory "
					   "FROM pg_type WHERE oid = $1::oid",
					   1, params, DXT_ORIGIN_SOURCE,
					   x->what, &r2, err);
			if (rc != DXT_OK) {
				PQclear(res);
				return rc;
			}
			if (PQntuples(r2) > 0) {
				tt = PQgetvalue(r2, 0, 0)[0];
				tc = PQgetvalue(r2, 0, 1)[0];
			}
			PQclear(r2);
		}
		dxt__pg_map_type(oid, PQfmod(res, i), tt, tc, &x->oc[i], &t, &p,
				 &s);
		if (dxt_schema_add(x->schema, PQfname(res, i), t, p, s, true,
				   NULL) != DXT_OK) {
			PQclear(res);
			return nomem(err);
		}
		if (x->wfield != NULL && strcmp(PQfname(res, i), x->wfield) == 0)
			x->wcol = i;
	}
	if (bind) {
		char o[16];
		const char *params[1] = {o};
		PGresult *r2;

		snprintf(o, sizeof(o), "%u", PQparamtype(res, 0));
		rc = dxt__pg_query(x->c, "SELECT format_type($1::oid, NULL)", 1,
				   params, DXT_ORIGIN_SOURCE, x->what, &r2, err);
		if (rc != DXT_OK) {
			PQclear(res);
			return rc;
		}
		snprintf(x->wtype, sizeof(x->wtype), "%s", PQgetvalue(r2, 0, 0));
		PQclear(r2);
	}
	PQclear(res);
	if (x->wfield != NULL && x->wcol < 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "%s: watermark_field \"%s\" is not a "
				      "column of the source", x->what,
				      x->wfield);
	return DXT_OK;
}

/* The COPY statement: the columns wrapped as copyout.h says, the
 * watermark predicate reading the session setting. */
static int copy_sql(struct extract *x, bool bind, struct dxt_error *err)
{
	struct dxt_buf base = {0};
	int rc = dxt_rel_select_sql(&base, &x->src, NULL, false,
				    DXT_REL_PARAM_DOLLAR, err);

	if (rc != DXT_OK) {
		dxt_buf_free(&base);
		return rc;
	}
	x->sql.len = 0;
	if (dxt_buf_puts(&x->sql, "COPY (SELECT ") != DXT_OK)
		goto oom;
	for (size_t i = 0; i < x->schema->n; i++) {
		const char *n = x->schema->fields[i].name;

		if (i > 0 && dxt_buf_puts(&x->sql, ", ") != DXT_OK)
			goto oom;
		if (x->oc[i].wrap == DXT__PG_TO_JSON) {
			if (dxt_buf_puts(&x->sql, "to_json(") != DXT_OK ||
			    dxt_rel_quote_ident(&x->sql, n) != DXT_OK ||
			    dxt_buf_puts(&x->sql, ")") != DXT_OK)
				goto oom;
		} else if (dxt_rel_quote_ident(&x->sql, n) != DXT_OK ||
			   (x->oc[i].wrap == DXT__PG_TO_TEXT &&
			    dxt_buf_puts(&x->sql, "::text") != DXT_OK)) {
			goto oom;
		}
	}
	if (dxt_buf_puts(&x->sql, " FROM (") != DXT_OK ||
	    dxt_buf_append(&x->sql, base.data, base.len) != DXT_OK ||
	    dxt_buf_puts(&x->sql, ") AS \"dxt_src\"") != DXT_OK)
		goto oom;
	if (x->wfield != NULL) {
		if (bind && (dxt_buf_puts(&x->sql, " WHERE ") != DXT_OK ||
			     dxt_rel_quote_ident(&x->sql, x->wfield) != DXT_OK ||
			     dxt_buf_puts(&x->sql, " > current_setting("
					  "'dxt.watermark')::") != DXT_OK ||
			     dxt_buf_puts(&x->sql, x->wtype) != DXT_OK))
			goto oom;
		if (dxt_buf_puts(&x->sql, " ORDER BY ") != DXT_OK ||
		    dxt_rel_quote_ident(&x->sql, x->wfield) != DXT_OK)
			goto oom;
	}
	if (dxt_buf_puts(&x->sql, ") TO STDOUT (FORMAT binary)") != DXT_OK ||
	    dxt_buf_putc(&x->sql, '\0') != DXT_OK)
		goto oom;
	dxt_buf_free(&base);
	return DXT_OK;
oom:
	dxt_buf_free(&base);
	return nomem(err);
}

static int flush(struct extract *x, struct dxt_error *err)
{
	size_t n = x->batch.nrows;

	if (n > 0) {
		DXT_RETURN_NOT_OK(
			dxt_buffer_writer_batch(x->out, &x->batch, err));
		dxt_batch_reset(&x->batch);
		if (x->ctx->progress != NULL)
			atomic_fetch_add(&x->ctx->progress->rows, n);
	}
	return DXT_OK;
}

/* Remembers the watermark column's value of the row just added. */
static int track(struct extract *x, struct dxt_error *err)
{
	const struct dxt_column *c = &x->batch.cols[x->wcol];
	const struct dxt_field *f = &x->schema->fields[x->wcol];
	size_t i = x->batch.nrows - 1;

	if (!dxt_col_is_valid(c, i))
		return DXT_OK;
	x->wlast.len = 0;
	if (dxt_value_format(c, f, i, &x->wlast) != DXT_OK)
		return nomem(err);
	x->wseen = true;
	return DXT_OK;
}

static int record_watermark(struct extract *x, struct dxt_error *err)
{
	const struct dxt_field *f;
	json_t *v;
	int rc;

	if (!x->wseen) {
		if (x->ctx->watermark == NULL || json_is_null(x->ctx->watermark))
			return DXT_OK;
		return dxt_buffer_writer_watermark(x->out, x->wfield,
						   x->ctx->watermark, err);
	}
	f = &x->schema->fields[x->wcol];
	if (dxt_buf_putc(&x->wlast, '\0') != DXT_OK)
		return nomem(err);
	switch (f->type) {
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16:
	case DXT_TYPE_INT32:
	case DXT_TYPE_INT64:
		v = json_integer(strtoll((char *)x->wlast.data, NULL, 10));
		break;
	case DXT_TYPE_FLOAT32:
	case DXT_TYPE_FLOAT64:
		v = json_real(strtod((char *)x->wlast.data, NULL));
		break;
	default:
		v = json_string((char *)x->wlast.data);
		break;
	}
	if (v == NULL)
		return nomem(err);
	rc = dxt_buffer_writer_watermark(x->out, x->wfield, v, err);
	json_decref(v);
	return rc;
}

/* Decodes one row (a CopyData message) into the batch. 1: a row, 0: the
 * trailer. */
static int decode_row(struct extract *x, const uint8_t *p, size_t n,
		      struct dxt_error *err)
{
	char why[256];
	int16_t nf;
	size_t o = 0;

	if (n < 2)
		goto short_row;
	nf = (int16_t)((p[0] << 8) | p[1]);
	o = 2;
	if (nf == -1)
		return 0;
	if ((size_t)nf != x->schema->n)
		return dxt_error_setc(err, DXT_ESOURCE, DXT_TERMINAL,
				      DXT_ORIGIN_SOURCE,
				      "%s: row %llu has %d fields, the query "
				      "%zu", x->what,
				      (unsigned long long)x->row + 1, nf,
				      x->schema->n);
	x->row++;
	for (size_t i = 0; i < x->schema->n; i++) {
		int32_t len;
		int rc;

		if (n - o < 4)
			goto short_row;
		len = (int32_t)(((uint32_t)p[o] << 24) | ((uint32_t)p[o + 1] << 16) |
				((uint32_t)p[o + 2] << 8) | p[o + 3]);
		o += 4;
		if (len < 0) {
			rc = dxt_col_append_null(&x->batch.cols[i]);
		} else {
			if (n - o < (size_t)len)
				goto short_row;
			rc = dxt__pg_decode(&x->oc[i], &x->schema->fields[i],
					    p + o, (size_t)len,
					    &x->batch.cols[i], why, sizeof(why));
			o += (size_t)len;
		}
		if (rc == DXT_ENOMEM || rc == DXT_ELIMIT)
			return nomem(err);
		if (rc != DXT_OK) {
			char reason[512];

			snprintf(reason, sizeof(reason), "column \"%s\": %s",
				 x->schema->fields[i].name, why);
			dxt_batch_rollback_row(&x->batch);
			if (x->skip)
				return dxt_buffer_writer_reject(
					x->out, x->row, NULL, 0, i + 1, reason,
					NULL, 0, err) == DXT_OK ? 1 : -1;
			return dxt_error_setc(err, DXT_ETYPE, DXT_TERMINAL,
					      DXT_ORIGIN_SOURCE,
					      "%s: row %llu, %s; cast it in a "
					      "sql source", x->what,
					      (unsigned long long)x->row,
					      reason);
		}
	}
	dxt_batch_end_row(&x->batch);
	if (x->wcol >= 0 && track(x, err) != DXT_OK)
		return -1;
	return 1;
short_row:
	return dxt_error_setc(err, DXT_ESOURCE, DXT_TERMINAL,
			      DXT_ORIGIN_SOURCE,
			      "%s: row %llu is cut short in the COPY stream",
			      x->what, (unsigned long long)x->row + 1);
}

static int stream(struct extract *x, struct dxt_error *err)
{
	PGresult *res = PQexec(x->c, (const char *)x->sql.data);
	bool header = false;
	char *buf;
	int n, rc = DXT_OK;

	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		rc = fail(x, res, "cannot read the query", err);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	while ((n = PQgetCopyData(x->c, &buf, 0)) > 0) {
		const uint8_t *p = (const uint8_t *)buf;
		size_t len = (size_t)n;
		int got;

		if (!header) {
			size_t h = dxt__pg_copy_header(p, len);

			if (h == 0) {
				PQfreemem(buf);
				return dxt_error_setc(err, DXT_ESOURCE,
						      DXT_TERMINAL,
						      DXT_ORIGIN_SOURCE,
						      "%s: the server's COPY "
						      "stream has no binary "
						      "header", x->what);
			}
			p += h;
			len -= h;
			header = true;
		}
		got = len > 0 ? decode_row(x, p, len, err) : 1;
		PQfreemem(buf);
		if (got < 0) {
			rc = err->code ? err->code : DXT_ESOURCE;
			break;
		}
		if (dxt_batch_full(&x->batch, &x->limits) &&
		    (rc = flush(x, err)) != DXT_OK)
			break;
		if (dxt_op_cancelled(x->ctx)) {
			rc = dxt_error_setc(err, DXT_ECANCELLED, DXT_TERMINAL,
					    DXT_ORIGIN_SOURCE,
					    "%s: cancelled", x->what);
			break;
		}
	}
	if (rc != DXT_OK) {
		/* Stop the server's COPY; the connection is closed next. */
		PGcancel *cn = PQgetCancel(x->c);
		char eb[256];

		if (cn != NULL) {
			PQcancel(cn, eb, sizeof(eb));
			PQfreeCancel(cn);
		}
		return rc;
	}
	if (n == -2)
		return fail(x, NULL, "reading rows", err);
	while ((res = PQgetResult(x->c)) != NULL) {
		if (rc == DXT_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = fail(x, res, "reading rows", err);
		PQclear(res);
	}
	if (rc == DXT_OK)
		rc = flush(x, err);
	return rc;
}

static int pg_extract(const struct dxt_op_ctx *ctx,
		      struct dxt_buffer_writer *out, struct dxt_error *err)
{
	struct extract x;
	bool bind;
	int rc;

	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	x.out = out;
	x.skip = ctx->extract->on_error == DXT_ON_ERROR_SKIP;
	x.wfield = ctx->extract->mode == DXT_EXTRACT_INCREMENTAL
			   ? ctx->extract->watermark_field : NULL;
	x.wcol = -1;
	x.limits.max_rows = ctx->extract->batch_size;
	bind = x.wfield != NULL && ctx->watermark != NULL &&
	       !json_is_null(ctx->watermark);
	rc = dxt__pg_conf_parse(ctx->config, &x.conf, err);
	if (rc == DXT_OK)
		rc = dxt_rel_source_parse(ctx->source, &x.src, err);
	if (rc != DXT_OK)
		goto out;
	snprintf(x.what, sizeof(x.what), "%s: %s %.200s", x.conf.where,
		 dxt_rel_source_type_name(x.src.type), x.src.text);
	rc = dxt__pg_connect(&x.conf, DXT_ORIGIN_SOURCE, &x.c, err);
	if (rc == DXT_OK)
		rc = describe(&x, bind, err);
	if (rc == DXT_OK && bind) {
		char wm[512];
		const char *params[1] = {wm};
		PGresult *res;

		rc = watermark_text(&x, wm, sizeof(wm), err);
		if (rc == DXT_OK)
			rc = dxt__pg_query(x.c, "SELECT set_config('dxt."
					   "watermark', $1, false)", 1, params,
					   DXT_ORIGIN_SOURCE, x.what, &res,
					   err);
		if (rc == DXT_OK)
			PQclear(res);
	}
	if (rc == DXT_OK)
		rc = copy_sql(&x, bind, err);
	if (rc == DXT_OK)
		rc = dxt_buffer_writer_schema(out, x.schema, err);
	if (rc == DXT_OK)
		rc = dxt_batch_init(&x.batch, x.schema) == DXT_OK ? DXT_OK
								  : nomem(err);
	if (rc == DXT_OK)
		rc = stream(&x, err);
	if (rc == DXT_OK && x.wfield != NULL)
		rc = record_watermark(&x, err);
out:
	if (x.c != NULL)
		PQfinish(x.c);
	dxt_batch_release(&x.batch);
	dxt_schema_destroy(x.schema);
	free(x.oc);
	dxt_rel_source_free(&x.src);
	dxt_buf_free(&x.sql);
	dxt_buf_free(&x.wlast);
	return rc;
}

static int pg_extract_check(const struct dxt_op_ctx *ctx,
			    struct dxt_error *err)
{
	return PostgresConnector.check(ctx, err);
}

const struct dxt_operator PostgresExtractor = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_EXTRACTOR,
	.category = DXT_CAT_RELATIONAL,
	.unit = DXT_UNIT_RECORDS,
	.name = "PostgresExtractor",
	.summary = "reads a relation, query or function of PostgreSQL with "
		   "binary COPY (full or incremental)",
	.extract = pg_extract,
	.check = pg_extract_check,
};
