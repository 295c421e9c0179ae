/*
 * relational.h - the relational category: what every SQL provider shares.
 *
 * A relational provider (sqlite, postgres, ...) reads a stream's source as a
 * relation, a SQL query or a table-valued function, and loads records into a
 * table in append, replace or upsert mode. The pieces that do not depend on
 * the client library live here so that every provider spells them the same
 * way:
 *
 *   - the stream blocks: the source ({type: relation|sql|function, ...}) and
 *     the target ({name: t} or {table: t}, create: true|false);
 *   - identifiers, always quoted ("a""b"), possibly qualified (s.t);
 *   - SQL text for SELECT (with the incremental watermark predicate as a
 *     bound parameter, never a spliced value), CREATE TABLE from a schema
 *     through the provider's type mapper, and INSERT / upsert;
 *   - the comparison of the data's schema with a target table's, which the
 *     load schema policy (evolve, freeze, discard_*) acts upon.
 *
 * Every function is pure (no I/O) and thread-safe; strings are UTF-8. SQL is
 * appended to a caller-owned struct dxt_buf (NUL-terminated after each
 * successful call, so out->data can be handed to a client library as is).
 */
#ifndef DXT_PROVIDERS_RELATIONAL_H
#define DXT_PROVIDERS_RELATIONAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "engine/batch.h"
#include "engine/buffer.h"
#include "engine/error.h"
#include "engine/types.h"

/* --- blocks of a stream --------------------------------------------------- */

enum dxt_rel_source_type {
	DXT_REL_RELATION = 1, /* a table or view: `relation: public.users` */
	DXT_REL_SQL,          /* one SELECT statement: `sql: SELECT ...` */
	DXT_REL_FUNCTION      /* a table-valued function: `function: f(2024)` */
};

/* "relation", "sql", "function". */
const char *dxt_rel_source_type_name(enum dxt_rel_source_type t);

struct dxt_rel_source {
	enum dxt_rel_source_type type;
	/* Owned. The relation name as written, the SQL text without trailing
	 * semicolons and spaces, or the function call ("f" becomes "f()"). */
	char *text;
};

/*
 * Reads a stream's source block: `type` (relation, sql, function) and the
 * key of that type; `table` is accepted for `relation`. Without `type`, the
 * one key present decides. Unknown keys, a missing or empty key and several
 * of them at once are DXT_ECONFIG errors that name the key (origin config).
 * On success the caller frees out with dxt_rel_source_free().
 */
int dxt_rel_source_parse(const json_t *source, struct dxt_rel_source *out,
			 struct dxt_error *err);
/* Frees what the source holds. Safe on a zeroed struct. */
void dxt_rel_source_free(struct dxt_rel_source *s);

struct dxt_rel_target {
	char *name;  /* owned; the table as written (possibly qualified) */
	bool create; /* create the table when missing; default true */
};

/*
 * Reads a stream's target block: {"name": t} or {"table": t}, an optional
 * `type: relation` and `create` (bool). Unknown keys are DXT_ECONFIG errors
 * naming the key. The caller frees out with dxt_rel_target_free().
 */
int dxt_rel_target_parse(const json_t *target, struct dxt_rel_target *out,
			 struct dxt_error *err);
void dxt_rel_target_free(struct dxt_rel_target *t);

/*
 * Checks that every key of `obj` is one of `allowed` (NULL-terminated).
 * Returns DXT_OK or DXT_ECONFIG naming the key, `where` ("sqlite
 * connection") and the keys that are allowed. A non-object is an error too.
 */
int dxt_rel_check_keys(const json_t *obj, const char *const *allowed,
		       const char *where, struct dxt_error *err);

/* --- identifiers ---------------------------------------------------------- */

#define DXT_REL_NAME_MAX_PARTS 3

/* A possibly qualified name: catalog.schema.table, schema.table or table. */
struct dxt_rel_name {
	size_t n;                             /* 1..3 parts */
	char *parts[DXT_REL_NAME_MAX_PARTS];  /* owned, unquoted */
};

/*
 * Splits a name as written in a pipeline at its dots. A part MAY be written
 * in double quotes to hold dots or quotes ("my.table", doubled "" for a
 * quote); unquoted parts are taken verbatim (no case folding). Empty parts,
 * more than three parts and unterminated quotes are DXT_ECONFIG errors that
 * quote the name. The caller frees with dxt_rel_name_free().
 */
int dxt_rel_name_parse(const char *text, struct dxt_rel_name *out,
		       struct dxt_error *err);
void dxt_rel_name_free(struct dxt_rel_name *n);
/* The last part: the table itself. */
static inline const char *dxt_rel_name_table(const struct dxt_rel_name *n)
{
	return n->parts[n->n - 1];
}

/* Appends `"ident"` with every " doubled. DXT_OK or DXT_ENOMEM. */
int dxt_rel_quote_ident(struct dxt_buf *out, const char *ident);
/* Appends every part quoted, joined by dots; `suffix` (MAY be NULL) is
 * appended to the last part inside its quotes ("t__dxt_new"). */
int dxt_rel_quote_name(struct dxt_buf *out, const struct dxt_rel_name *n,
		       const char *suffix);
/* Appends `'text'` with every ' doubled: a SQL string literal. */
int dxt_rel_quote_literal(struct dxt_buf *out, const char *text);

/* --- type mapping --------------------------------------------------------- */

/* Flags for a column handed to a type mapper. */
#define DXT_REL_COL_KEY 0x1      /* part of the primary key */
#define DXT_REL_COL_SOLE_KEY 0x2 /* the primary key is this column alone */

/*
 * A provider's type mapper: native declared types to and from DXT types.
 * Both callbacks are pure and MAY run on any thread.
 */
struct dxt_rel_type_mapper {
	/*
	 * MUST: writes the native column type for field `f` (e.g.
	 * "DECIMAL(12,2)") into buf, NUL-terminated. `flags` are
	 * DXT_REL_COL_*. Returns DXT_OK, or DXT_EUNSUPPORTED with a message
	 * naming the field when the type has no native form.
	 */
	int (*to_native)(const struct dxt_field *f, unsigned flags, char *buf,
			 size_t len, struct dxt_error *err);
	/*
	 * MUST: maps a native declared type to a DXT type. Returns true and
	 * fills *type, *precision, *scale; false when the native type gives
	 * no type by itself (SQLite expressions have none) and the caller
	 * has to decide from the values.
	 */
	bool (*from_native)(const char *native, enum dxt_type *type,
			    int *precision, int *scale);
};

/*
 * Appends `CREATE TABLE name ("c" TYPE [NOT NULL], ..., PRIMARY KEY
 * ("k", ...))` for the fields of `schema` whose `skip` entry is false
 * (`skip` MAY be NULL). Non-nullable fields and key columns get NOT NULL.
 * `keys` (MAY be NULL when nkeys is 0) name fields of the schema.
 * `suffix` is appended to the table's own name (see dxt_rel_quote_name).
 */
int dxt_rel_create_table_sql(struct dxt_buf *out,
			     const struct dxt_rel_name *table,
			     const char *suffix,
			     const struct dxt_schema *schema, const bool *skip,
			     const struct dxt_rel_type_mapper *tm,
			     const char *const *keys, size_t nkeys,
			     struct dxt_error *err);

/*
 * Appends the column definition `"c" TYPE` for an ALTER TABLE ... ADD
 * COLUMN (always nullable: rows already in the table have no value).
 */
int dxt_rel_column_def_sql(struct dxt_buf *out, const struct dxt_field *f,
			   const struct dxt_rel_type_mapper *tm,
			   struct dxt_error *err);

/* --- statements ----------------------------------------------------------- */

enum dxt_rel_param_style {
	DXT_REL_PARAM_QMARK = 0, /* ?            (SQLite, ODBC) */
	DXT_REL_PARAM_DOLLAR     /* $1, $2, ...  (PostgreSQL) */
};

/*
 * Appends the query that reads a source. Without a watermark field: the SQL
 * as given, `SELECT * FROM "s"."t"` for a relation, `SELECT * FROM f(...)`
 * for a function. With one (incremental extract), the base query is wrapped:
 * `SELECT * FROM (<base>) AS "dxt_src" WHERE "wf" > <param 1> ORDER BY
 * "wf"`, or without the WHERE when `bind_watermark` is false (first run).
 * The watermark value is always a parameter for the caller to bind.
 */
int dxt_rel_select_sql(struct dxt_buf *out, const struct dxt_rel_source *src,
		       const char *watermark_field, bool bind_watermark,
		       enum dxt_rel_param_style style, struct dxt_error *err);

/*
 * Appends `INSERT INTO t ("a", "b") VALUES (?, ?), (?, ?) ...` with `nrows`
 * rows of `ncols` parameters each, numbered row by row. With nkeys > 0 it is
 * an upsert: `ON CONFLICT ("k", ...) DO UPDATE SET "a" = excluded."a", ...`
 * for every non-key column (`DO NOTHING` when all columns are keys). The
 * syntax is shared by SQLite (3.24+) and PostgreSQL (9.5+).
 */
int dxt_rel_insert_sql(struct dxt_buf *out, const struct dxt_rel_name *table,
		       const char *suffix, const char *const *cols,
		       size_t ncols, size_t nrows,
		       enum dxt_rel_param_style style, const char *const *keys,
		       size_t nkeys, struct dxt_error *err);

/* --- schema comparison ---------------------------------------------------- */

/*
 * True when every value of type `from` is stored without loss in a column of
 * type `to`: the same type, a wider integer, int8..int32 or float32 into
 * float64, or a decimal with at least as many integer and fraction digits.
 * `to` of type DXT_TYPE_NULL stands for an untyped column (accepts all).
 */
bool dxt_rel_type_widens(const struct dxt_field *from,
			 const struct dxt_field *to);

/* How the data's schema differs from a target table's. */
struct dxt_rel_schema_diff {
	int *table_col;       /* per data field: its table column, or -1 */
	size_t n_new;         /* data fields the table lacks */
	size_t n_missing;     /* table columns the data lacks */
	size_t n_changed;     /* both have it, but the type does not widen */
	size_t *new_fields;   /* data field indexes, n_new of them */
	size_t *missing_cols; /* table column indexes, n_missing */
	size_t *changed_fields; /* data field indexes, n_changed */
};

/*
 * Compares `data` with `table` (the target's columns, their native types
 * mapped to DXT types; DXT_TYPE_NULL for untyped columns). Names match
 * exactly, or ignoring ASCII case when `ignore_case` (SQLite, and unquoted
 * names elsewhere). DXT_OK or DXT_ENOMEM; free with
 * dxt_rel_schema_diff_free().
 */
int dxt_rel_schema_diff(const struct dxt_schema *data,
			const struct dxt_schema *table, bool ignore_case,
			struct dxt_rel_schema_diff *out);
void dxt_rel_schema_diff_free(struct dxt_rel_schema_diff *d);
/* True when there is no difference at all. */
bool dxt_rel_schema_diff_empty(const struct dxt_rel_schema_diff *d);
/*
 * Appends the differences as one line for a message: `column "x" (int64)
 * is not in the table; column "y" (TEXT) is not in the data; column "z" is
 * string in the data but int64 (INTEGER) in the table`.
 */
int dxt_rel_schema_diff_describe(const struct dxt_rel_schema_diff *d,
				 const struct dxt_schema *data,
				 const struct dxt_schema *table,
				 struct dxt_buf *out);

/*
 * Appends row r of b as a JSON object of every field ({"id": 7, "name":
 * "x"}, values in their JSON form, convert.h): how a loader shows a row it
 * rejects. DXT_OK or DXT_ENOMEM.
 */
int dxt_rel_row_json(const struct dxt_batch *b, size_t r, struct dxt_buf *out);

/* --- reading ahead ------------------------------------------------------- */

/*
 * A loader spends its time in two places: decoding the buffer (decompress,
 * parse, convert) and the database's inserts. A prefetcher runs the first
 * on its own thread, `depth` batches ahead, so both proceed at once.
 *
 * The reader belongs to the prefetcher's thread from start to stop; the
 * caller MUST NOT touch it in between. Batches are copies owned by the
 * prefetcher (schema: the reader's manifest schema).
 */
struct dxt_rel_prefetch;

/* Starts the reading thread. depth 0 means 2. */
int dxt_rel_prefetch_start(struct dxt_buffer_reader *in, size_t depth,
			   struct dxt_rel_prefetch **out,
			   struct dxt_error *err);
/*
 * Returns 1 with *batch set to the next batch (valid until the next call or
 * stop), 0 after the last one, or the reader's negative code with its error
 * record copied into err.
 */
int dxt_rel_prefetch_next(struct dxt_rel_prefetch *p,
			  const struct dxt_batch **batch,
			  struct dxt_error *err);
/* Stops the thread (after the batch it is reading), joins it and frees
 * everything. NULL is a no-op. */
void dxt_rel_prefetch_stop(struct dxt_rel_prefetch *p);

#endif /* DXT_PROVIDERS_RELATIONAL_H */
