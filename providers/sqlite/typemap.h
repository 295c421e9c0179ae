/*
 * typemap.h - SQLite declared types <-> DXT types.
 *
 * SQLite stores every value as NULL, INTEGER (64-bit), REAL (double), TEXT
 * or BLOB whatever a column declares; the declared type only gives the
 * column an affinity. DXT types therefore come from the declared type's
 * name, most specific first:
 *
 *   declared type                               DXT type
 *   BOOLEAN, BOOL                               bool
 *   TINYINT, INT1                               int8
 *   SMALLINT, INT2                              int16
 *   MEDIUMINT, INT4                             int32
 *   INT, INTEGER, BIGINT, INT8                  int64  (INTEGER is 64-bit)
 *   FLOAT4                                      float32
 *   REAL, DOUBLE [PRECISION], FLOAT, FLOAT8     float64
 *   DECIMAL(p,s), NUMERIC(p,s), DECIMAL_TEXT(p,s)  decimal(p,s)
 *   DECIMAL, NUMERIC (no precision, or more     float64: SQLite keeps such
 *   than 38 digits)                             values as INTEGER or REAL
 *   TEXT, CLOB, [VAR]CHAR(n), ...               string
 *   BLOB, BYTEA, [VAR]BINARY                    binary
 *   DATE / TIME                                 date / time
 *   DATETIME, TIMESTAMP                         timestamp
 *   TIMESTAMPTZ, TIMESTAMP WITH TIME ZONE       timestamptz
 *   UUID, GUID, UNIQUEIDENTIFIER                uuid
 *   JSON, JSONB                                 json
 *   none (expressions, untyped columns)         decided by the values
 *   anything else: SQLite's affinity rules      INT -> int64, CHAR/CLOB/
 *                                               TEXT -> string, BLOB ->
 *                                               binary, REAL/FLOA/DOUB ->
 *                                               float64, else string
 *
 * Narrow integer names keep their width: a SMALLINT column holding 100000
 * is an extract error naming the row, never a silent wrap.
 *
 * The other way (tables the loader creates), every DXT type gets a name
 * that maps back to itself: bool BOOLEAN, int8 TINYINT, int16 SMALLINT,
 * int32 INT4, int64 BIGINT (INTEGER for a sole primary key, the fast rowid
 * key), float32 FLOAT4, float64 REAL, string TEXT, binary BLOB, date DATE,
 * time TIME, timestamp TIMESTAMP, timestamptz TIMESTAMPTZ, uuid UUID, json
 * JSON, null untyped. Decimals are stored exactly: up to 15 digits they are
 * DECIMAL(p,s) (NUMERIC affinity; SQLite keeps them as INTEGER or REAL, and
 * a double holds every 15-digit decimal exactly), wider ones DECIMAL_TEXT
 * (p,s), whose TEXT affinity keeps the canonical digits, because NUMERIC
 * affinity would round them to a double.
 *
 * JSON keeps its conventional name, whose affinity is NUMERIC: a document
 * that is one bare number (rather than an object, array or string) is
 * stored by SQLite as that number, so it reads back as the same JSON value
 * in SQLite's spelling (12.50 as 12.5), and beyond 15 digits rounded.
 */
#ifndef DXT_PROVIDERS_SQLITE_TYPEMAP_H
#define DXT_PROVIDERS_SQLITE_TYPEMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/types.h"
#include "providers/base/relational.h"

/* Decimals up to this precision are stored as numbers (see above). */
#define DXT__SQLITE_DECIMAL_NUMERIC_MAX 15

/* SQLite's column affinities (https://sqlite.org/datatype3.html). */
enum dxt__sqlite_affinity {
	DXT__SQLITE_AFF_BLOB = 0,
	DXT__SQLITE_AFF_TEXT,
	DXT__SQLITE_AFF_NUMERIC,
	DXT__SQLITE_AFF_INTEGER,
	DXT__SQLITE_AFF_REAL
};

/* The affinity SQLite gives a column declared `decl` ("" for none). */
enum dxt__sqlite_affinity dxt__sqlite_affinity(const char *decl);

/*
 * Maps a declared type to a DXT type (table above). Returns false for an
 * empty declared type: the caller decides from the values.
 */
bool dxt__sqlite_type_from_decl(const char *decl, enum dxt_type *type,
				int *precision, int *scale);

/* The declared type for a field (table above), into buf. */
int dxt__sqlite_decl_for_field(const struct dxt_field *f, unsigned flags,
			       char *buf, size_t len, struct dxt_error *err);

/* Both directions as the relational category's type mapper. */
extern const struct dxt_rel_type_mapper dxt__sqlite_type_mapper;

#endif /* DXT_PROVIDERS_SQLITE_TYPEMAP_H */
