/*
 * pgconn.c - PostgreSQL connections, errors, catalog lookups and the DDL
 * type mapper (pg.h), and the PostgresConnector.
 */
#include "providers/postgres/pg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/postgres/copyout.h"

static const char *const conf_keys[] = {
	"url", "host", "port", "database", "user", "password", "sslmode",
	"sslrootcert", "connect_timeout", "statement_timeout", NULL
};

static int conf_string(const json_t *config, const char *key,
		       const char **out, struct dxt_error *err)
{
	const json_t *v = json_object_get(config, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return DXT_OK;
	if (!json_is_string(v))
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "postgres connection: %s must be a "
				      "string", key);
	*out = json_string_value(v);
	return DXT_OK;
}

static int conf_int(const json_t *config, const char *key, long *out,
		    struct dxt_error *err)
{
	const json_t *v = json_object_get(config, key);

	if (v == NULL || json_is_null(v))
		return DXT_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "postgres connection: %s must be a "
				      "whole number of %s, 0 or more", key,
				      strcmp(key, "port") == 0 ? "port"
				      : strcmp(key, "connect_timeout") == 0
					      ? "seconds" : "milliseconds");
	*out = (long)json_integer_value(v);
	return DXT_OK;
}

/* The url without its password, for messages: scheme://user@host/db. */
static void url_where(const char *url, char *buf, size_t len)
{
	const char *at = strchr(url, '@'), *scheme = strstr(url, "://");
	const char *q = strchr(url, '?');
	size_t n;

	if (scheme == NULL || at == NULL || (q != NULL && at > q)) {
		n = q ? (size_t)(q - url) : strlen(url);
		snprintf(buf, len, "postgres %.*s", (int)n, url);
		return;
	}
	n = q ? (size_t)(q - at - 1) : strlen(at + 1);
	snprintf(buf, len, "postgres %.*s", (int)n, at + 1);
}

static bool known_sslmode(const char *mode)
{
	static const char *const modes[] = { "disable", "allow", "prefer",
					     "require", "verify-ca",
					     "verify-full", NULL };

	for (size_t i = 0; modes[i] != NULL; i++)
		if (strcmp(mode, modes[i]) == 0)
			return true;
	return false;
}

int dxt__pg_conf_parse(const json_t *config, struct dxt__pg_conf *conf,
		       struct dxt_error *err)
{
	long port = 0, ct = 10;
	int rc;

	memset(conf, 0, sizeof(*conf));
	rc = dxt_rel_check_keys(config, conf_keys, "postgres connection",
				err);
	if (rc == DXT_OK)
		rc = conf_string(config, "url", &conf->url, err);
	if (rc == DXT_OK)
		rc = conf_string(config, "host", &conf->host, err);
	if (rc == DXT_OK)
		rc = conf_string(config, "database", &conf->database, err);
	if (rc == DXT_OK)
		rc = conf_string(config, "user", &conf->user, err);
	if (rc == DXT_OK)
		rc = conf_string(config, "password", &conf->password, err);
	if (rc == DXT_OK)
		rc = conf_string(config, "sslmode", &conf->sslmode, err);
	if (rc == DXT_OK)
		rc = conf_string(config, "sslrootcert", &conf->sslrootcert,
				 err);
	if (rc == DXT_OK)
		rc = conf_int(config, "port", &port, err);
	if (rc == DXT_OK)
		rc = conf_int(config, "connect_timeout", &ct, err);
	if (rc == DXT_OK)
		rc = conf_int(config, "statement_timeout",
			      &conf->statement_timeout, err);
	if (rc != DXT_OK)
		return rc;
	if (conf->url == NULL && conf->database == NULL)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "postgres connection: set url "
				      "(postgresql://user:password@host:5432/"
				      "db) or database (with host, port, "
				      "user, password)");
	if (conf->sslmode != NULL && !known_sslmode(conf->sslmode))
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "postgres connection: sslmode \"%s\" is "
				      "not one of disable, allow, prefer, "
				      "require, verify-ca, verify-full",
				      conf->sslmode);
	if (conf->url != NULL && strncmp(conf->url, "postgresql://", 13) != 0 &&
	    strncmp(conf->url, "postgres://", 11) != 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "postgres connection: url must start "
				      "with postgresql://");
	if (port > 0) {
		snprintf(conf->port_buf, sizeof(conf->port_buf), "%ld", port);
		conf->port = conf->port_buf;
	}
	snprintf(conf->connect_timeout, sizeof(conf->connect_timeout), "%ld",
		 ct);
	if (conf->url != NULL)
		url_where(conf->url, conf->where, sizeof(conf->where));
	else
		snprintf(conf->where, sizeof(conf->where),
			 "postgres %s:%s/%s",
			 conf->host ? conf->host : "localhost",
			 conf->port ? conf->port : "5432", conf->database);
	return DXT_OK;
}

/* Whether a failure means "try again later". */
static bool transient(PGconn *c, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		return true;
	if (st == NULL)
		return false;
	return strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
	       strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0 ||
	       strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0;
}

/* libpq's message as one line: newlines and tabs become spaces, the
 * trailing one goes. */
static void one_line(const char *msg, char *buf, size_t len)
{
	size_t o = 0;

	for (const char *p = msg; *p != '\0' && o + 1 < len; p++)
		buf[o++] = (*p == '\n' || *p == '\t') ? ' ' : *p;
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
}

int dxt__pg_error(struct dxt_error *err, PGconn *c, const PGresult *res,
		  enum dxt_origin origin, const char *fmt, ...)
{
	char ctx[512], msg[768];
	const char *m = res ? PQresultErrorMessage(res) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (m == NULL || *m == '\0')
		m = c ? PQerrorMessage(c) : "out of memory";
	one_line(m, msg, sizeof(msg));
	return dxt_error_setc(err,
			      origin == DXT_ORIGIN_SOURCE ? DXT_ESOURCE
							  : DXT_ETARGET,
			      transient(c, res) ? DXT_TRANSIENT : DXT_TERMINAL,
			      origin, "%s: %s", ctx, msg);
}

/* Whether a failed connection is refused for a reason a retry cannot
 * change: credentials, a missing database or role, pg_hba.conf, or the
 * server's certificate (unverifiable, wrong host, missing CA file). */
static bool refused(const char *msg)
{
	static const char *const words[] = {
		"password", "does not exist", "pg_hba.conf", "certificate",
		"SSL is not enabled", "sslmode value", NULL
	};

	for (size_t i = 0; words[i] != NULL; i++)
		if (strstr(msg, words[i]) != NULL)
			return true;
	return false;
}

int dxt__pg_connect(const struct dxt__pg_conf *conf, enum dxt_origin origin,
		    PGconn **out, struct dxt_error *err)
{
	const char *keys[16], *vals[16];
	char opts[64];
	int n = 0;
	PGconn *c;

	if (conf->url) {
		keys[n] = "dbname";
		vals[n++] = conf->url;
	}
#define KV(k, v)                                                             \
	do {                                                                 \
		if ((v) != NULL) {                                           \
			keys[n] = (k);                                       \
			vals[n++] = (v);                                     \
		}                                                            \
	} while (0)
	KV("host", conf->host);
	KV("port", conf->port);
	if (conf->url == NULL)
		KV("dbname", conf->database);
	KV("user", conf->user);
	KV("password", conf->password);
	KV("sslmode", conf->sslmode);
	KV("sslrootcert", conf->sslrootcert);
	KV("connect_timeout", conf->connect_timeout);
	KV("application_name", "dxtd");
	if (conf->statement_timeout > 0) {
		snprintf(opts, sizeof(opts), "-c statement_timeout=%ld",
			 conf->statement_timeout);
		KV("options", opts);
	}
#undef KV
	keys[n] = NULL;
	vals[n] = NULL;
	*out = NULL;
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	if (PQstatus(c) != CONNECTION_OK) {
		char msg[768];
		const char *m = PQerrorMessage(c);
		bool auth = refused(m);

		one_line(m, msg, sizeof(msg));
		PQfinish(c);
		return dxt_error_setc(err,
				      origin == DXT_ORIGIN_SOURCE ? DXT_ESOURCE
								  : DXT_ETARGET,
				      auth ? DXT_TERMINAL : DXT_TRANSIENT,
				      origin, "%s: cannot connect: %s",
				      conf->where, msg);
	}
	*out = c;
	return DXT_OK;
}

int dxt__pg_query(PGconn *c, const char *sql, int nparams,
		  const char *const *params, enum dxt_origin origin,
		  const char *what, PGresult **out, struct dxt_error *err)
{
	PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL,
				     NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	*out = NULL;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		int rc = dxt__pg_error(err, c, res, origin, "%s", what);

		PQclear(res);
		return rc;
	}
	*out = res;
	return DXT_OK;
}

int dxt__pg_exec(PGconn *c, const char *sql, enum dxt_origin origin,
		 const char *what, struct dxt_error *err)
{
	PGresult *res;
	int rc = dxt__pg_query(c, sql, 0, NULL, origin, what, &res, err);

	PQclear(res);
	return rc;
}

/* --- catalog -------------------------------------------------------------- */

static int quoted_name(const struct dxt_rel_name *name, struct dxt_buf *b)
{
	b->len = 0;
	if (dxt_rel_quote_name(b, name, NULL) != DXT_OK ||
	    dxt_buf_putc(b, '\0') != DXT_OK)
		return DXT_ENOMEM;
	return DXT_OK;
}

int dxt__pg_table_get(PGconn *c, const struct dxt_rel_name *name,
		      struct dxt__pg_table *out, struct dxt_error *err)
{
	static const char sql[] =
		"SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
		"a.atttypid, a.atttypmod, NOT a.attnotnull, t.typtype, "
		"t.typcategory FROM pg_attribute a JOIN pg_type t ON t.oid = "
		"a.atttypid WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 "
		"AND NOT a.attisdropped ORDER BY a.attnum";
	struct dxt_buf qn = {0};
	const char *params[1];
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	if (quoted_name(name, &qn) != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	params[0] = (const char *)qn.data;
	rc = dxt__pg_query(c, sql, 1, params, DXT_ORIGIN_TARGET,
			   "reading the table's columns", &res, err);
	dxt_buf_free(&qn);
	if (rc != DXT_OK)
		return rc;
	out->columns = dxt_schema_create();
	out->oids = calloc((size_t)PQntuples(res) + 1, sizeof(uint32_t));
	if (out->columns == NULL || out->oids == NULL) {
		PQclear(res);
		dxt__pg_table_free(out);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	out->exists = PQntuples(res) > 0;
	for (int i = 0; i < PQntuples(res); i++) {
		struct dxt__pg_outcol oc;
		enum dxt_type t;
		int p, s;
		uint32_t oid = (uint32_t)strtoul(PQgetvalue(res, i, 2), NULL, 10);

		dxt__pg_map_type(oid, (int32_t)atoi(PQgetvalue(res, i, 3)),
				 PQgetvalue(res, i, 5)[0],
				 PQgetvalue(res, i, 6)[0], &oc, &t, &p, &s);
		out->oids[i] = oid;
		if (dxt_schema_add(out->columns, PQgetvalue(res, i, 0), t, p, s,
				   PQgetvalue(res, i, 4)[0] == 't',
				   PQgetvalue(res, i, 1)) != DXT_OK) {
			PQclear(res);
			dxt__pg_table_free(out);
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		}
	}
	PQclear(res);
	return DXT_OK;
}

void dxt__pg_table_free(struct dxt__pg_table *t)
{
	dxt_schema_destroy(t->columns);
	free(t->oids);
	memset(t, 0, sizeof(*t));
}

int dxt__pg_keys_unique(PGconn *c, const struct dxt_rel_name *name,
			char *const *keys, size_t nkeys, bool *covered,
			struct dxt_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM pg_index i WHERE i.indrelid = "
		"to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND "
		"(SELECT array_agg(a.attname::text ORDER BY a.attname::text) "
		"FROM pg_attribute a WHERE a.attrelid = i.indrelid AND "
		"a.attnum = ANY(i.indkey)) = (SELECT array_agg(k ORDER BY k) "
		"FROM unnest($2::text[]) AS k) AND i.indnatts = $3::int";
	struct dxt_buf qn = {0}, arr = {0};
	const char *params[3];
	char n[16];
	PGresult *res;
	int rc;

	*covered = false;
	if (quoted_name(name, &qn) != DXT_OK)
		goto nomem;
	/* A text[] literal: {"a","b"} with " and \ escaped. */
	if (dxt_buf_putc(&arr, '{') != DXT_OK)
		goto nomem;
	for (size_t i = 0; i < nkeys; i++) {
		if ((i > 0 && dxt_buf_putc(&arr, ',') != DXT_OK) ||
		    dxt_buf_putc(&arr, '"') != DXT_OK)
			goto nomem;
		for (const char *p = keys[i]; *p; p++)
			if (((*p == '"' || *p == '\\') &&
			     dxt_buf_putc(&arr, '\\') != DXT_OK) ||
			    dxt_buf_putc(&arr, *p) != DXT_OK)
				goto nomem;
		if (dxt_buf_putc(&arr, '"') != DXT_OK)
			goto nomem;
	}
	if (dxt_buf_append(&arr, "}", 2) != DXT_OK)
		goto nomem;
	snprintf(n, sizeof(n), "%zu", nkeys);
	params[0] = (const char *)qn.data;
	params[1] = (const char *)arr.data;
	params[2] = n;
	rc = dxt__pg_query(c, sql, 3, params, DXT_ORIGIN_TARGET,
			   "reading the table's unique indexes", &res, err);
	dxt_buf_free(&qn);
	dxt_buf_free(&arr);
	if (rc != DXT_OK)
		return rc;
	*covered = atoi(PQgetvalue(res, 0, 0)) > 0;
	PQclear(res);
	return DXT_OK;
nomem:
	dxt_buf_free(&qn);
	dxt_buf_free(&arr);
	return dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

/* --- DDL types ------------------------------------------------------------ */

static int to_native(const struct dxt_field *f, unsigned flags, char *buf,
		     size_t len, struct dxt_error *err)
{
	const char *t = NULL;

	(void)flags;
	switch (f->type) {
	case DXT_TYPE_BOOL: t = "boolean"; break;
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16: t = "smallint"; break;
	case DXT_TYPE_INT32: t = "integer"; break;
	case DXT_TYPE_INT64: t = "bigint"; break;
	case DXT_TYPE_FLOAT32: t = "real"; break;
	case DXT_TYPE_FLOAT64: t = "double precision"; break;
	case DXT_TYPE_DECIMAL:
		snprintf(buf, len, "numeric(%d,%d)", f->precision, f->scale);
		return DXT_OK;
	case DXT_TYPE_STRING:
	case DXT_TYPE_NULL: t = "text"; break;
	case DXT_TYPE_BINARY: t = "bytea"; break;
	case DXT_TYPE_JSON: t = "jsonb"; break;
	case DXT_TYPE_DATE: t = "date"; break;
	case DXT_TYPE_TIME: t = "time"; break;
	case DXT_TYPE_TIMESTAMP: t = "timestamp"; break;
	case DXT_TYPE_TIMESTAMPTZ: t = "timestamptz"; break;
	case DXT_TYPE_UUID: t = "uuid"; break;
	case DXT_TYPE__COUNT: break;
	}
	if (t == NULL)
		return dxt_error_set(err, DXT_EUNSUPPORTED, "column \"%s\": no "
				     "PostgreSQL type", f->name);
	snprintf(buf, len, "%s", t);
	return DXT_OK;
}

static bool from_native(const char *native, enum dxt_type *type,
			int *precision, int *scale)
{
	struct dxt_error err;

	return dxt_type_parse(native, type, precision, scale, &err) == DXT_OK;
}

const struct dxt_rel_type_mapper dxt__pg_types = {
	.to_native = to_native,
	.from_native = from_native,
};

/* --- connector ------------------------------------------------------------ */

static int pg_check(const struct dxt_op_ctx *ctx, struct dxt_error *err)
{
	struct dxt__pg_conf conf;
	PGconn *c;
	int rc = dxt__pg_conf_parse(ctx->config, &conf, err);

	if (rc == DXT_OK)
		rc = dxt__pg_connect(&conf, DXT_ORIGIN_CONFIG, &c, err);
	if (rc == DXT_OK) {
		rc = dxt__pg_exec(c, "SELECT 1", DXT_ORIGIN_CONFIG,
				  conf.where, err);
		PQfinish(c);
	}
	return rc;
}

const struct dxt_operator PostgresConnector = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_CONNECTOR,
	.category = DXT_CAT_RELATIONAL,
	.unit = DXT_UNIT_NONE,
	.name = "PostgresConnector",
	.summary = "checks a PostgreSQL connection (libpq)",
	.check = pg_check,
};
