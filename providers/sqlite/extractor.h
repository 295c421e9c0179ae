/*
 * extractor.h - SQLiteExtractor: a relation, query or table-valued function
 * of a SQLite database into the buffer.
 *
 * Source block: {type: relation, relation: t} (or table: t), {type: sql,
 * sql: "SELECT ..."}, {type: function, function: "json_each('[1,2]')"}.
 *
 * The schema comes from the declared types of the result columns
 * (typemap.h); a column without one (an expression) takes its type from the
 * first row's value: INTEGER int64, REAL float64, TEXT or NULL string, BLOB
 * binary. A value that does not fit its column's type is an error naming
 * the row (1-based, in result order) and the column, or with
 * extract.on_error: skip a reject with that reason.
 *
 * Incremental extracts read `SELECT * FROM (<source>) WHERE "wf" > ? ORDER
 * BY "wf"` with the last watermark bound as a parameter of its JSON type
 * (integer, real, string); the largest value read, as SQLite stored it,
 * becomes the new watermark.
 */
#ifndef DXT_PROVIDERS_SQLITE_EXTRACTOR_H
#define DXT_PROVIDERS_SQLITE_EXTRACTOR_H

#include "engine/operator.h"

DXT_EXPORT extern const struct dxt_operator SQLiteExtractor;

#endif /* DXT_PROVIDERS_SQLITE_EXTRACTOR_H */
