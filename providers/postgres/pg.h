/*
 * pg.h - the postgres provider's shared pieces: connection configuration,
 * connecting, errors, the catalog queries of the extractor and the loader,
 * and the binary COPY encoder.
 *
 * Connection config (the `source:` or `target:` block, or `config:`):
 *
 *   url: postgresql://user:pw@host:5432/db?sslmode=require   or the fields:
 *   host: db.example.com      port: 5432     database: app
 *   user: loader              password: ${PGPASSWORD}
 *   sslmode: disable | allow | prefer | require | verify-ca | verify-full
 *   sslrootcert: /etc/ssl/ca.pem    CA file for verify-ca / verify-full
 *   connect_timeout: 10             seconds (default 10)
 *   statement_timeout: 0            milliseconds, 0 = none (default)
 *
 * The fields override what the url says. Every connection sets
 * application_name=dxtd, so a DBA sees dxt's sessions in pg_stat_activity.
 * Passwords never appear in messages. An unknown sslmode is a config
 * error; a refused connection (credentials, pg_hba.conf, the server's
 * certificate) is terminal, any other failure to connect transient.
 *
 * Everything here runs on the calling operator's thread; a connection is
 * never shared.
 */
#ifndef DXT_PROVIDERS_POSTGRES_PG_H
#define DXT_PROVIDERS_POSTGRES_PG_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "engine/operator.h"
#include "providers/base/relational.h"

struct dxt__pg_conf {
	const char *url;          /* borrowed from the config; MAY be NULL */
	const char *host, *port, *database, *user, *password;
	const char *sslmode, *sslrootcert;
	char port_buf[16];
	char connect_timeout[16]; /* seconds, as text */
	long statement_timeout;   /* ms; 0 = none */
	char where[256];          /* "postgres host:port/db" for messages */
};

/*
 * Reads ctx->config into conf (strings borrowed from the config). Unknown
 * keys, wrong value types and a config without url or database are
 * DXT_ECONFIG errors naming the key.
 */
int dxt__pg_conf_parse(const json_t *config, struct dxt__pg_conf *conf,
		       struct dxt_error *err);

/*
 * Connects. Failures are errors of `origin` naming conf->where and the
 * server's reason, class transient (the server may come back) except for
 * authentication failures and missing databases (terminal).
 */
int dxt__pg_connect(const struct dxt__pg_conf *conf, enum dxt_origin origin,
		    PGconn **out, struct dxt_error *err);

/*
 * Records a failure of `res` (MAY be NULL: the connection's message) as
 * DXT_ESOURCE or DXT_ETARGET by origin: "<context>: <message>", class
 * transient for a lost connection (CONNECTION_BAD, SQLSTATE class 08,
 * 57P01..57P03, serialization failures and deadlocks), terminal otherwise.
 * Returns the code.
 */
int dxt__pg_error(struct dxt_error *err, PGconn *c, const PGresult *res,
		  enum dxt_origin origin, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Runs SQL without parameters or rows; "<what>: <message>" on failure. */
int dxt__pg_exec(PGconn *c, const char *sql, enum dxt_origin origin,
		 const char *what, struct dxt_error *err);

/*
 * Runs SQL with text parameters and returns its result (tuples or command
 * OK) in *out, or records the failure. The caller PQclear()s *out.
 */
int dxt__pg_query(PGconn *c, const char *sql, int nparams,
		  const char *const *params, enum dxt_origin origin,
		  const char *what, PGresult **out, struct dxt_error *err);

/* A table as the catalog describes it. */
struct dxt__pg_table {
	bool exists;
	/* Columns in order: native = format_type(), type mapped from it. */
	struct dxt_schema *columns;
	uint32_t *oids;           /* per column: its type OID */
};

/*
 * Looks up a table by its parsed name (unqualified names follow the
 * search_path). A missing table is not an error (exists = false). Free with
 * dxt__pg_table_free().
 */
int dxt__pg_table_get(PGconn *c, const struct dxt_rel_name *name,
		      struct dxt__pg_table *out, struct dxt_error *err);
void dxt__pg_table_free(struct dxt__pg_table *t);

/*
 * True in *covered when the primary key or a unique index without a
 * predicate of the table has exactly the columns `keys`.
 */
int dxt__pg_keys_unique(PGconn *c, const struct dxt_rel_name *name,
			char *const *keys, size_t nkeys, bool *covered,
			struct dxt_error *err);

/* The provider's DDL type mapper (DXT types to PostgreSQL types). */
extern const struct dxt_rel_type_mapper dxt__pg_types;

/* --- binary COPY encoding ------------------------------------------------- */

/*
 * Whether a batch column of DXT type `t` can be sent in the binary form of
 * a column of PostgreSQL type `oid`: the same type, a wider integer or
 * float, an integer into numeric, text into varchar/bpchar, json into
 * json/jsonb/text. Other pairs go through a staging table and PostgreSQL's
 * own casts.
 */
bool dxt__pg_can_encode(const struct dxt_field *f, uint32_t oid);
/* The OID dxt creates a column of this DXT type with. */
uint32_t dxt__pg_natural_oid(const struct dxt_field *f);

/* Appends the binary COPY header. */
int dxt__pg_copy_begin(struct dxt_buf *out);
/* Appends the field count of a row. */
int dxt__pg_copy_row(struct dxt_buf *out, int16_t nfields);
/*
 * Appends value i of column c (field f) as a binary COPY field of type
 * `oid` (a pair dxt__pg_can_encode() accepts), or a NULL field.
 */
int dxt__pg_copy_value(struct dxt_buf *out, const struct dxt_column *c,
		       const struct dxt_field *f, size_t i, uint32_t oid);
/* Appends a non-null int8 field. */
int dxt__pg_copy_int8(struct dxt_buf *out, int64_t v);
/* Appends the trailer. */
int dxt__pg_copy_end(struct dxt_buf *out);

/* Descriptors (see provider.c). */
DXT_EXPORT extern const struct dxt_operator PostgresConnector;
DXT_EXPORT extern const struct dxt_operator PostgresExtractor;
DXT_EXPORT extern const struct dxt_operator PostgresLoader;

#endif /* DXT_PROVIDERS_POSTGRES_PG_H */
