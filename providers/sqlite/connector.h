/*
 * connector.h - SQLite connections: configuration, opening, errors and the
 * catalog queries the extractor and loader share.
 *
 * Connection config (the `source:` or `target:` block, or an operator's
 * `config:`):
 *
 *   path: data/app.db          database file; relative to the pipeline
 *   url: sqlite:///abs/app.db  or sqlite://relative/app.db (instead of path)
 *   busy_timeout_ms: 5000      how long to wait for another connection's lock
 *   pragmas: {foreign_keys: on} run on every connection after opening
 *
 * Pragmas apply to the connection; those that SQLite stores in the file
 * (journal_mode=wal, page_size, ...) change the database for good, which is
 * the user's call. dxt itself only raises cache_size for its connection.
 *
 * Everything here runs on the calling operator's thread; a connection is
 * never shared.
 */
#ifndef DXT_PROVIDERS_SQLITE_CONNECTOR_H
#define DXT_PROVIDERS_SQLITE_CONNECTOR_H

#include <limits.h>
#include <stdbool.h>

#include <sqlite3.h>

#include "engine/operator.h"
#include "providers/base/relational.h"

#define DXT__SQLITE_BUSY_TIMEOUT_MS 5000

struct dxt__sqlite_conf {
	char path[PATH_MAX];   /* the database file, resolved */
	int busy_timeout_ms;
	const json_t *pragmas; /* borrowed from the config; object or NULL */
};

/*
 * Reads ctx->config into conf: unknown keys, both or neither of path and
 * url, a malformed url and bad value types are DXT_ECONFIG errors naming
 * the key. Relative paths resolve against ctx->base_dir.
 */
int dxt__sqlite_conf_parse(const struct dxt_op_ctx *ctx,
			   struct dxt__sqlite_conf *conf,
			   struct dxt_error *err);

/*
 * Opens the database. Read mode needs an existing file (DXT_ENOTFOUND
 * naming it otherwise) and opens it read-only; write mode creates it when
 * missing. Then sets the busy timeout, a 64 MiB page cache and the user's
 * pragmas, and checks that the file is a database. Errors carry `origin`.
 * On failure *db is NULL.
 */
int dxt__sqlite_open(const struct dxt__sqlite_conf *conf, bool write,
		     enum dxt_origin origin, sqlite3 **db,
		     struct dxt_error *err);

/*
 * Records a SQLite failure: code DXT_ESOURCE or DXT_ETARGET by origin
 * (DXT_ENOMEM for SQLITE_NOMEM), class transient for SQLITE_BUSY and
 * SQLITE_LOCKED, message "<context>: <sqlite's message>". Returns the code.
 */
int dxt__sqlite_error(struct dxt_error *err, sqlite3 *db, int rc,
		      enum dxt_origin origin, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Runs SQL without results; on failure records "<what>: <message>". */
int dxt__sqlite_exec(sqlite3 *db, const char *sql, enum dxt_origin origin,
		     const char *what, struct dxt_error *err);

/* A table (or view) as the catalog describes it. */
struct dxt__sqlite_table {
	bool exists;
	bool is_view;
	char *name;                 /* as stored in the catalog */
	/* Columns in order: native = declared type ("" when none), type
	 * mapped from it (DXT_TYPE_NULL for untyped columns), nullable =
	 * no NOT NULL constraint. */
	struct dxt_schema *columns;
	int *pk;                    /* per column: position in the primary
				       key (1-based), 0 when not in it */
	char *sql;                  /* the CREATE statement */
};

/*
 * Looks a table up by its parsed name ([schema.]table; SQLite matches
 * names ignoring ASCII case). A missing table is not an error (exists =
 * false). Free with dxt__sqlite_table_free().
 */
int dxt__sqlite_table_get(sqlite3 *db, const struct dxt_rel_name *name,
			  enum dxt_origin origin,
			  struct dxt__sqlite_table *out, struct dxt_error *err);
void dxt__sqlite_table_free(struct dxt__sqlite_table *t);

/*
 * Checks a connection without changing anything: an existing file is
 * opened read-only and read (*db is left open for more checks); a missing
 * one is fine when its folder is writable, since a load creates it (*db is
 * NULL then). Errors have origin config.
 */
int dxt__sqlite_probe(const struct dxt_op_ctx *ctx,
		      const struct dxt__sqlite_conf *conf, sqlite3 **db,
		      struct dxt_error *err);

/* The schema part of a parsed name: "main" when the name has none. */
const char *dxt__sqlite_schema_of(const struct dxt_rel_name *name);

/*
 * Installs (cancel != NULL) or removes a progress handler that interrupts
 * the running statement once *cancel is set; the statement then fails with
 * SQLITE_INTERRUPT.
 */
void dxt__sqlite_watch_cancel(sqlite3 *db, atomic_int *cancel);

/* The SQLiteConnector descriptor (see provider.c). */
DXT_EXPORT extern const struct dxt_operator SQLiteConnector;

#endif /* DXT_PROVIDERS_SQLITE_CONNECTOR_H */
