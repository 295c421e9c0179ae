/*
 * copyout.h - PostgreSQL's binary COPY rows into batch columns.
 *
 * The extractor reads `COPY (SELECT ...) TO STDOUT (FORMAT binary)`. Each
 * result column is decoded from PostgreSQL's binary send format by kind:
 *
 *   PostgreSQL type                  DXT type         how it is selected
 *   bool                             bool             as is
 *   int2, int4, int8                 int16/32/64      as is
 *   oid                              int64            as is
 *   float4, float8                   float32/64       as is
 *   numeric(p,s)                     decimal(p,s)     as is
 *   numeric (no typmod)              decimal(38,10)   as is; a value with
 *                                    more digits is an error naming the row
 *   text, varchar, bpchar, name,     string           as is
 *   "char"
 *   json, jsonb                      json             as is
 *   bytea                            binary           as is
 *   date                             date             as is
 *   time                             time             as is
 *   timestamp, timestamptz           timestamp(tz)    as is
 *   uuid                             uuid             as is
 *   arrays, composites               json             to_json("c")
 *   everything else (timetz,         string           "c"::text
 *   interval, enums, inet, cidr,
 *   macaddr, money, ranges, ...)
 *
 * Infinite dates and timestamps and numeric NaN/Infinity have no DXT value:
 * they are errors (or rejects with extract.on_error: skip) naming the row.
 *
 * Everything here is pure and reentrant.
 */
#ifndef DXT_PROVIDERS_POSTGRES_COPYOUT_H
#define DXT_PROVIDERS_POSTGRES_COPYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/batch.h"
#include "engine/types.h"

/* Days and microseconds from 1970-01-01 (DXT) to 2000-01-01 (PostgreSQL's
 * epoch for dates and timestamps). */
#define DXT__PG_EPOCH_DAYS 10957
#define DXT__PG_EPOCH_US 946684800000000LL

/* pg_type OIDs of the built-in types (catalog/pg_type.dat); fixed across
 * server versions. */
enum {
	DXT__PG_OID_BOOL = 16, DXT__PG_OID_BYTEA = 17, DXT__PG_OID_CHAR = 18,
	DXT__PG_OID_NAME = 19, DXT__PG_OID_INT8 = 20, DXT__PG_OID_INT2 = 21,
	DXT__PG_OID_INT4 = 23, DXT__PG_OID_TEXT = 25, DXT__PG_OID_OID = 26,
	DXT__PG_OID_JSON = 114, DXT__PG_OID_FLOAT4 = 700,
	DXT__PG_OID_FLOAT8 = 701, DXT__PG_OID_BPCHAR = 1042,
	DXT__PG_OID_VARCHAR = 1043, DXT__PG_OID_DATE = 1082,
	DXT__PG_OID_TIME = 1083, DXT__PG_OID_TIMESTAMP = 1114,
	DXT__PG_OID_TIMESTAMPTZ = 1184, DXT__PG_OID_NUMERIC = 1700,
	DXT__PG_OID_UUID = 2950, DXT__PG_OID_JSONB = 3802,
	DXT__PG_OID_BIT = 1560, DXT__PG_OID_VARBIT = 1562,
};

enum dxt__pg_kind {
	DXT__PGK_BOOL = 1,
	DXT__PGK_INT2,
	DXT__PGK_INT4,
	DXT__PGK_INT8,
	DXT__PGK_OID,
	DXT__PGK_FLOAT4,
	DXT__PGK_FLOAT8,
	DXT__PGK_NUMERIC,
	DXT__PGK_TEXT,   /* text-like, json, and every ::text column */
	DXT__PGK_JSONB,
	DXT__PGK_BYTEA,
	DXT__PGK_DATE,
	DXT__PGK_TIME,
	DXT__PGK_TIMESTAMP,
	DXT__PGK_UUID,
};

enum dxt__pg_wrap {
	DXT__PG_AS_IS = 0,
	DXT__PG_TO_TEXT, /* selected as "c"::text */
	DXT__PG_TO_JSON, /* selected as to_json("c") */
};

struct dxt__pg_outcol {
	enum dxt__pg_kind kind;
	enum dxt__pg_wrap wrap;
};

/* The numeric typmod-less columns' type. */
#define DXT__PG_NUMERIC_PRECISION 38
#define DXT__PG_NUMERIC_SCALE 10

/*
 * Decides how a result column of type `oid` (with `typmod`) is selected and
 * decoded, and its DXT type. `typtype` and `typcategory` come from pg_type
 * (only read for OIDs this file does not know: 'c' composites and 'A'
 * arrays become json, the rest text).
 */
void dxt__pg_map_type(uint32_t oid, int32_t typmod, char typtype,
		      char typcategory, struct dxt__pg_outcol *oc,
		      enum dxt_type *type, int *precision, int *scale);

/* True when the OID is one dxt__pg_map_type() knows without pg_type. */
bool dxt__pg_known_oid(uint32_t oid);

/*
 * Appends the binary value p[0..n) of a column decoded as `oc` to `c`
 * (field `f`). DXT_OK, DXT_ENOMEM, or DXT_ETYPE with the reason in `why`
 * ("numeric NaN has no decimal value").
 */
int dxt__pg_decode(const struct dxt__pg_outcol *oc, const struct dxt_field *f,
		   const uint8_t *p, size_t n, struct dxt_column *c, char *why,
		   size_t whylen);

/*
 * Checks and skips the binary COPY header at the start of the stream: the
 * signature, flags and header extension. Returns the bytes it took, or 0
 * when p does not start with a valid header.
 */
size_t dxt__pg_copy_header(const uint8_t *p, size_t n);

#endif /* DXT_PROVIDERS_POSTGRES_COPYOUT_H */
