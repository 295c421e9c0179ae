/*
 * connector.c - SQLite connections: configuration, opening, errors, catalog
 * lookups, and the SQLiteConnector operator (see connector.h).
 */
#include "providers/sqlite/connector.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/sqlite/typemap.h"

/* --- configuration -------------------------------------------------------- */

static int conf_error(struct dxt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int conf_error(struct dxt_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dxt_error_vsetc(err, DXT_ECONFIG, DXT_TERMINAL, DXT_ORIGIN_CONFIG, fmt,
			ap);
	va_end(ap);
	dxt_error_prefix(err, "sqlite connection: ");
	return DXT_ECONFIG;
}

/* Joins base_dir and a relative path (absolute paths are kept). */
static int resolve_path(const struct dxt_op_ctx *ctx, const char *path,
			char *out, size_t len, struct dxt_error *err)
{
	int n;

	if (path[0] == '/' || ctx->base_dir == NULL || ctx->base_dir[0] == '\0')
		n = snprintf(out, len, "%s", path);
	else
		n = snprintf(out, len, "%s/%s", ctx->base_dir, path);
	if (n < 0 || (size_t)n >= len)
		return conf_error(err, "the database path \"%s\" is too long",
				  path);
	return DXT_OK;
}

int dxt__sqlite_conf_parse(const struct dxt_op_ctx *ctx,
			   struct dxt__sqlite_conf *conf,
			   struct dxt_error *err)
{
	static const char *const keys[] = {"path", "url", "busy_timeout_ms",
					   "pragmas", NULL};
	const json_t *cfg = ctx->config, *path, *url, *timeout, *pragmas;
	const char *file;

	memset(conf, 0, sizeof(*conf));
	conf->busy_timeout_ms = DXT__SQLITE_BUSY_TIMEOUT_MS;
	if (cfg == NULL)
		return conf_error(err, "name the database file with `path`");
	DXT_RETURN_NOT_OK(
		dxt_rel_check_keys(cfg, keys, "sqlite connection", err));
	path = json_object_get(cfg, "path");
	url = json_object_get(cfg, "url");
	if (path != NULL && url != NULL)
		return conf_error(err,
				  "give either \"path\" or \"url\", not both");
	if (path == NULL && url == NULL)
		return conf_error(err, "name the database file with \"path\" "
				       "(or \"url\": sqlite:///abs/file.db)");
	if (path != NULL) {
		if (!json_is_string(path) || json_string_length(path) == 0)
			return conf_error(err, "\"path\" must be a non-empty "
					       "string");
		file = json_string_value(path);
	} else {
		if (!json_is_string(url))
			return conf_error(err, "\"url\" must be a string");
		file = json_string_value(url);
		if (strncmp(file, "sqlite://", 9) != 0 || file[9] == '\0')
			return conf_error(err, "url \"%s\" is not of the form "
					       "sqlite:///absolute/path.db or "
					       "sqlite://relative/path.db",
					  file);
		/* sqlite:///abs keeps its slash; sqlite://rel is relative. */
		file += 9;
	}
	DXT_RETURN_NOT_OK(
		resolve_path(ctx, file, conf->path, sizeof(conf->path), err));

	timeout = json_object_get(cfg, "busy_timeout_ms");
	if (timeout != NULL) {
		if (!json_is_integer(timeout) ||
		    json_integer_value(timeout) < 0 ||
		    json_integer_value(timeout) > INT32_MAX)
			return conf_error(err, "\"busy_timeout_ms\" must be an "
					       "integer of milliseconds, 0 or "
					       "more");
		conf->busy_timeout_ms = (int)json_integer_value(timeout);
	}
	pragmas = json_object_get(cfg, "pragmas");
	if (pragmas != NULL && !json_is_null(pragmas)) {
		if (!json_is_object(pragmas))
			return conf_error(err, "\"pragmas\" must be an object "
					       "of name: value");
		conf->pragmas = pragmas;
	}
	return DXT_OK;
}

/* --- errors --------------------------------------------------------------- */

int dxt__sqlite_error(struct dxt_error *err, sqlite3 *db, int rc,
		      enum dxt_origin origin, const char *fmt, ...)
{
	char what[DXT_ERROR_MSG_MAX / 2];
	int primary = rc & 0xff;
	int code = origin == DXT_ORIGIN_SOURCE ? DXT_ESOURCE : DXT_ETARGET;
	enum dxt_err_class cls = DXT_TERMINAL;
	const char *hint = "";
	const char *msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* sqlite3_errmsg() describes the connection's last failure, which is
	 * the one at hand only when rc came from that connection. */
	msg = db != NULL && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db)
						      : sqlite3_errstr(rc);
	if (primary == SQLITE_NOMEM)
		code = DXT_ENOMEM;
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
		cls = DXT_TRANSIENT;
		hint = "; another connection holds a lock on the database: "
		       "retry later, or raise busy_timeout_ms";
	}
	return dxt_error_setc(err, code, cls, origin, "%s: %s%s", what, msg,
			      hint);
}

int dxt__sqlite_exec(sqlite3 *db, const char *sql, enum dxt_origin origin,
		     const char *what, struct dxt_error *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return dxt__sqlite_error(err, db, rc, origin, "%s", what);
	return DXT_OK;
}

/* --- opening -------------------------------------------------------------- */

static bool pragma_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* A keyword or a signed integer ("wal", "-8192"): written bare. */
static bool bare_word(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* Builds and runs `PRAGMA name = value` for one configured pragma. */
static int apply_pragma(sqlite3 *db, const char *name, const json_t *value,
			enum dxt_origin origin, struct dxt_error *err)
{
	struct dxt_buf sql = {0};
	char num[64];
	int rc = DXT_OK;

	if (!pragma_name_ok(name))
		return conf_error(err, "pragma name \"%s\" is not a plain "
				       "identifier",
				  name);
	if (dxt_buf_puts(&sql, "PRAGMA ") != DXT_OK ||
	    dxt_buf_puts(&sql, name) != DXT_OK ||
	    dxt_buf_puts(&sql, " = ") != DXT_OK)
		goto nomem;
	switch (json_typeof(value)) {
	case JSON_STRING:
		/* Keywords (wal, normal) go bare; anything else is a string
		 * literal, so a value can never inject more SQL. */
		if (bare_word(json_string_value(value)))
			rc = dxt_buf_puts(&sql, json_string_value(value));
		else
			rc = dxt_rel_quote_literal(&sql,
						   json_string_value(value));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(value));
		rc = dxt_buf_puts(&sql, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(value));
		rc = dxt_buf_puts(&sql, num);
		break;
	case JSON_TRUE:
		rc = dxt_buf_puts(&sql, "ON");
		break;
	case JSON_FALSE:
		rc = dxt_buf_puts(&sql, "OFF");
		break;
	default:
		dxt_buf_free(&sql);
		return conf_error(err, "pragma \"%s\" needs a string, number "
				       "or boolean value",
				  name);
	}
	if (rc != DXT_OK || dxt_buf_putc(&sql, '\0') != DXT_OK)
		goto nomem;
	rc = sqlite3_exec(db, (const char *)sql.data, NULL, NULL, NULL);
	dxt_buf_free(&sql);
	if (rc != SQLITE_OK)
		return dxt__sqlite_error(err, db, rc, origin, "pragma \"%s\"",
					 name);
	return DXT_OK;
nomem:
	dxt_buf_free(&sql);
	return dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

int dxt__sqlite_open(const struct dxt__sqlite_conf *conf, bool write,
		     enum dxt_origin origin, sqlite3 **db,
		     struct dxt_error *err)
{
	int flags = SQLITE_OPEN_NOMUTEX;
	int code = origin == DXT_ORIGIN_SOURCE ? DXT_ESOURCE : DXT_ETARGET;
	bool own_cache = true;
	struct stat st;
	sqlite3 *h = NULL;
	const char *key;
	json_t *value;
	int rc;

	*db = NULL;
	if (stat(conf->path, &st) != 0) {
		if (!write || errno != ENOENT)
			return dxt_error_setc(err,
					      errno == ENOENT ? DXT_ENOTFOUND
							      : code,
					      DXT_TERMINAL, origin,
					      "sqlite database \"%s\": %s; "
					      "check `path`",
					      conf->path, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		return dxt_error_setc(err, code, DXT_TERMINAL, origin,
				      "sqlite database \"%s\" is a folder; "
				      "`path` must name a file",
				      conf->path);
	}
	flags |= write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
		       : SQLITE_OPEN_READONLY;
	rc = sqlite3_open_v2(conf->path, &h, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = dxt__sqlite_error(err, h, rc, origin,
				       "cannot open sqlite database \"%s\" "
				       "(check that its folder exists and is "
				       "%s)",
				       conf->path,
				       write ? "writable" : "readable");
		sqlite3_close(h);
		return rc;
	}
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, conf->busy_timeout_ms);
	if (conf->pragmas != NULL) {
		json_object_foreach((json_t *)conf->pragmas, key, value) {
			if (strcmp(key, "cache_size") == 0)
				own_cache = false;
			rc = apply_pragma(h, key, value, origin, err);
			if (rc != DXT_OK) {
				dxt_error_prefix(err,
						 "sqlite database \"%s\": ",
						 conf->path);
				sqlite3_close(h);
				return rc;
			}
		}
	}
	/* A large page cache for this connection only: bulk inserts touch
	 * many b-tree pages, and the setting does not outlive the
	 * connection. */
	if (own_cache)
		sqlite3_exec(h, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
	rc = sqlite3_exec(h, "SELECT count(*) FROM sqlite_master", NULL, NULL,
			  NULL);
	if (rc != SQLITE_OK) {
		rc = dxt__sqlite_error(err, h, rc, origin,
				       "cannot read sqlite database \"%s\"",
				       conf->path);
		sqlite3_close(h);
		return rc;
	}
	*db = h;
	return DXT_OK;
}

/* --- catalog -------------------------------------------------------------- */

const char *dxt__sqlite_schema_of(const struct dxt_rel_name *name)
{
	return name->n == 2 ? name->parts[0] : "main";
}

void dxt__sqlite_table_free(struct dxt__sqlite_table *t)
{
	free(t->name);
	free(t->pk);
	free(t->sql);
	dxt_schema_destroy(t->columns);
	memset(t, 0, sizeof(*t));
}

static char *dup_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return strdup(s != NULL ? (const char *)s : "");
}

int dxt__sqlite_table_get(sqlite3 *db, const struct dxt_rel_name *name,
			  enum dxt_origin origin,
			  struct dxt__sqlite_table *out, struct dxt_error *err)
{
	const char *schema = dxt__sqlite_schema_of(name);
	struct dxt_buf sql = {0};
	sqlite3_stmt *st = NULL;
	size_t cap = 16;
	int rc;

	memset(out, 0, sizeof(*out));
	if (name->n > 2)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite table \"%s\": SQLite names are "
				      "table or schema.table",
				      dxt_rel_name_table(name));
	if (dxt_buf_puts(&sql, "SELECT type, name, sql FROM ") != DXT_OK ||
	    dxt_rel_quote_ident(&sql, schema) != DXT_OK ||
	    dxt_buf_puts(&sql, ".sqlite_master WHERE type IN ('table', "
			       "'view') AND name = ?1 COLLATE NOCASE") !=
		    DXT_OK ||
	    dxt_buf_putc(&sql, '\0') != DXT_OK) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto out;
	}
	rc = sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = dxt__sqlite_error(err, db, rc, origin,
				       "cannot look up table \"%s\"",
				       dxt_rel_name_table(name));
		goto out;
	}
	sqlite3_bind_text(st, 1, dxt_rel_name_table(name), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = DXT_OK;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = dxt__sqlite_error(err, db, rc, origin,
				       "cannot look up table \"%s\"",
				       dxt_rel_name_table(name));
		goto out;
	}
	out->exists = true;
	out->is_view = strcmp((const char *)sqlite3_column_text(st, 0),
			      "view") == 0;
	out->name = dup_text(st, 1);
	out->sql = dup_text(st, 2);
	sqlite3_finalize(st);
	st = NULL;
	out->columns = dxt_schema_create();
	out->pk = calloc(cap, sizeof(int));
	if (out->name == NULL || out->sql == NULL || out->columns == NULL ||
	    out->pk == NULL) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto out;
	}

	rc = sqlite3_prepare_v2(db,
				"SELECT name, type, \"notnull\", pk FROM "
				"pragma_table_info(?1, ?2) ORDER BY cid",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = dxt__sqlite_error(err, db, rc, origin,
				       "cannot read the columns of \"%s\"",
				       out->name);
		goto out;
	}
	sqlite3_bind_text(st, 1, out->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(st, 0);
		const char *decl = (const char *)sqlite3_column_text(st, 1);
		enum dxt_type type = DXT_TYPE_NULL;
		int p = 0, s = 0;

		if (decl == NULL)
			decl = "";
		if (!dxt__sqlite_type_from_decl(decl, &type, &p, &s))
			type = DXT_TYPE_NULL;
		if (out->columns->n == cap) {
			int *pk = realloc(out->pk, 2 * cap * sizeof(int));

			if (pk == NULL) {
				rc = dxt_error_set(err, DXT_ENOMEM,
						   "out of memory");
				goto out;
			}
			out->pk = pk;
			cap *= 2;
		}
		out->pk[out->columns->n] = sqlite3_column_int(st, 3);
		if (dxt_schema_add(out->columns, col ? col : "", type, p, s,
				   sqlite3_column_int(st, 2) == 0,
				   decl) != DXT_OK) {
			rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = dxt__sqlite_error(err, db, rc, origin,
				       "cannot read the columns of \"%s\"",
				       out->name);
		goto out;
	}
	rc = DXT_OK;
out:
	sqlite3_finalize(st);
	dxt_buf_free(&sql);
	if (rc != DXT_OK)
		dxt__sqlite_table_free(out);
	return rc;
}

/* --- cancellation --------------------------------------------------------- */

static int cancel_requested(void *p)
{
	return atomic_load((atomic_int *)p) != 0;
}

void dxt__sqlite_watch_cancel(sqlite3 *db, atomic_int *cancel)
{
	/* Every 10000 virtual machine steps is a few times per millisecond:
	 * prompt, and too rare to cost anything. */
	if (cancel != NULL)
		sqlite3_progress_handler(db, 10000, cancel_requested, cancel);
	else
		sqlite3_progress_handler(db, 0, NULL, NULL);
}

/* --- checks -------------------------------------------------------------- */

int dxt__sqlite_probe(const struct dxt_op_ctx *ctx,
		      const struct dxt__sqlite_conf *conf, sqlite3 **db,
		      struct dxt_error *err)
{
	char dir[PATH_MAX];
	struct stat st;

	*db = NULL;
	if (stat(conf->path, &st) == 0 || errno != ENOENT)
		return dxt__sqlite_open(conf, false, DXT_ORIGIN_CONFIG, db,
					err);
	snprintf(dir, sizeof(dir), "%s", conf->path);
	if (access(dirname(dir), W_OK) != 0)
		return dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "sqlite database \"%s\" does not exist "
				      "and its folder is not writable (%s)",
				      conf->path, strerror(errno));
	dxt_op_log(ctx, DXT_LOG_INFO,
		   "sqlite database \"%s\" does not exist yet; a load will "
		   "create it",
		   conf->path);
	return DXT_OK;
}

static int connector_check(const struct dxt_op_ctx *ctx, struct dxt_error *err)
{
	struct dxt__sqlite_conf conf;
	sqlite3 *db;

	DXT_RETURN_NOT_OK(dxt__sqlite_conf_parse(ctx, &conf, err));
	DXT_RETURN_NOT_OK(dxt__sqlite_probe(ctx, &conf, &db, err));
	sqlite3_close(db);
	return DXT_OK;
}

DXT_EXPORT const struct dxt_operator SQLiteConnector = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_CONNECTOR,
	.category = DXT_CAT_RELATIONAL,
	.unit = DXT_UNIT_NONE,
	.name = "SQLiteConnector",
	.summary = "Connection to a SQLite database file",
	.check = connector_check,
};
