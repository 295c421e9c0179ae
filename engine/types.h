/*
 * types.h - DXT types, fields and schemas.
 *
 * Every value that crosses the engine has one of the DXT types below. Their
 * in-memory representation is the Arrow layout (see batch.h):
 *
 *   type          values buffer element          text form (convert.h)
 *   bool          1 bit (packed, LSB first)      true / false
 *   int8..int64   int8_t .. int64_t              -12
 *   float32/64    float / double                 1.5, nan, inf
 *   decimal(p,s)  __int128 unscaled, p <= 38     -123.45
 *   string, json  int32 offsets + bytes (UTF-8)  as is
 *   binary        int32 offsets + bytes          hex (\x0aff) in text formats
 *   date          int32 days since 1970-01-01    2024-01-31
 *   time          int64 microseconds of day      13:45:00.123456
 *   timestamp     int64 microseconds since epoch 2024-01-31 13:45:00.123456
 *   timestamptz   int64 microseconds since epoch, UTC
 *                                                2024-01-31 13:45:00.123456+00:00
 *   uuid          16 bytes                       8-4-4-4-12 hex
 *   null          no buffer (all values null)
 *
 * Schemas are plain data owned by whoever created them; batches borrow them.
 * Thread safety: none needed; a schema is immutable once shared.
 */
#ifndef DXT_TYPES_H
#define DXT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

enum dxt_type {
	DXT_TYPE_NULL = 0,
	DXT_TYPE_BOOL,
	DXT_TYPE_INT8,
	DXT_TYPE_INT16,
	DXT_TYPE_INT32,
	DXT_TYPE_INT64,
	DXT_TYPE_FLOAT32,
	DXT_TYPE_FLOAT64,
	DXT_TYPE_DECIMAL,
	DXT_TYPE_STRING,
	DXT_TYPE_BINARY,
	DXT_TYPE_DATE,
	DXT_TYPE_TIME,
	DXT_TYPE_TIMESTAMP,
	DXT_TYPE_TIMESTAMPTZ,
	DXT_TYPE_UUID,
	DXT_TYPE_JSON,
	DXT_TYPE__COUNT
};

#define DXT_DECIMAL_MAX_PRECISION 38

struct dxt_field {
	char *name;           /* owned; UTF-8 */
	enum dxt_type type;
	int precision;        /* decimal only (1..38) */
	int scale;            /* decimal only (0..precision) */
	bool nullable;
	char *native;         /* owned, MAY be NULL: source type name ("int8") */
};

struct dxt_schema {
	size_t n;
	struct dxt_field *fields; /* owned array of n fields */
};

/* Canonical type name ("int64", "timestamptz"); decimal gives "decimal". */
const char *dxt_type_name(enum dxt_type type);

/*
 * Parses a type name as written in YAML or a manifest: canonical names,
 * "decimal(p,s)" / "decimal(p)" / "numeric(p,s)", and common aliases
 * (int/integer -> int32, bigint -> int64, smallint -> int16, double/float ->
 * float64, real -> float32, text/varchar -> string, boolean -> bool, bytes ->
 * binary, datetime -> timestamp, "timestamp with time zone" -> timestamptz).
 * Case-insensitive. Returns DXT_OK or DXT_EINVAL with a message.
 */
int dxt_type_parse(const char *text, enum dxt_type *type, int *precision,
		   int *scale, struct dxt_error *err);

/* Writes the full type name of a field ("decimal(12,2)") into buf. */
void dxt_field_type_string(const struct dxt_field *f, char *buf, size_t len);

/* Width in bytes of one value in the values buffer; 0 for bool (bits),
 * variable-width types and null. */
size_t dxt_type_width(enum dxt_type type);

/* True for string, binary and json: offsets + data layout. */
static inline bool dxt_type_is_varlen(enum dxt_type t)
{
	return t == DXT_TYPE_STRING || t == DXT_TYPE_BINARY ||
	       t == DXT_TYPE_JSON;
}

/* Creates an empty schema. Returns NULL on out of memory. */
struct dxt_schema *dxt_schema_create(void);
/* Frees a schema and its fields. NULL is a no-op. */
void dxt_schema_destroy(struct dxt_schema *s);
/* Appends a field (name and native are copied). */
int dxt_schema_add(struct dxt_schema *s, const char *name, enum dxt_type type,
		   int precision, int scale, bool nullable, const char *native);
/* Deep copy; NULL on out of memory. */
struct dxt_schema *dxt_schema_copy(const struct dxt_schema *s);
/* Index of the field named `name` (exact match), or -1. */
int dxt_schema_find(const struct dxt_schema *s, const char *name);
/* True when names, types, precision and scale match field by field. */
bool dxt_schema_equal(const struct dxt_schema *a, const struct dxt_schema *b);

/*
 * JSON form used in manifests and the API:
 * [{"name": "id", "type": "int64", "nullable": false, "native": "INTEGER"},
 *  {"name": "amount", "type": "decimal(12,2)", "nullable": true}]
 * dxt_schema_to_json returns a new reference (NULL on out of memory).
 */
json_t *dxt_schema_to_json(const struct dxt_schema *s);
int dxt_schema_from_json(const json_t *j, struct dxt_schema **out,
			 struct dxt_error *err);

#endif /* DXT_TYPES_H */
