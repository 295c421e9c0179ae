/*
 * convert.h - text <-> typed value conversion for every DXT type.
 *
 * Text formats (CSV, JSON lines, SQLite TEXT columns, YAML) meet the typed
 * world here. Parsing is strict: a value that does not fit is an error with a
 * reason, never a silent truncation. Formatting gives the canonical text form
 * listed in types.h, which parses back to the same value.
 *
 * All functions are pure and thread-safe. Input text is not NUL-terminated:
 * every parser takes (pointer, length).
 */
#ifndef DXT_CONVERT_H
#define DXT_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "types.h"

/*
 * Primitive parsers. Each returns true and stores the value when the whole
 * text (surrounding ASCII spaces allowed) is a valid literal, false otherwise.
 *
 * int:       optional sign, decimal digits; overflow is false.
 * double:    decimal or exponent notation, "nan", "inf", "-inf".
 * bool:      true/false, t/f, yes/no, y/n, 1/0, on/off (case-insensitive).
 * date:      YYYY-MM-DD -> days since 1970-01-01.
 * time:      HH:MM[:SS[.ffffff]] -> microseconds of day.
 * timestamp: date, 'T' or ' ', time, optional zone (Z, +HH, +HH:MM, +HHMM).
 *            *has_zone tells whether a zone was given; the value is UTC
 *            microseconds when it was, local wall-clock microseconds when not.
 * decimal:   digits with optional sign, point and exponent; the value is
 *            scaled to `scale` digits. Fails when it needs more than
 *            `precision` digits or would lose non-zero fraction digits.
 * uuid:      8-4-4-4-12 hex, optional braces, or 32 hex digits.
 */
bool dxt_parse_int64(const char *s, size_t n, int64_t *out);
bool dxt_parse_double(const char *s, size_t n, double *out);
bool dxt_parse_bool(const char *s, size_t n, bool *out);
bool dxt_parse_date(const char *s, size_t n, int32_t *out);
bool dxt_parse_time(const char *s, size_t n, int64_t *out);
bool dxt_parse_timestamp(const char *s, size_t n, int64_t *out, bool *has_zone);
bool dxt_parse_decimal(const char *s, size_t n, int precision, int scale,
		       __int128 *out);
bool dxt_parse_uuid(const char *s, size_t n, uint8_t out[16]);

/*
 * Parses `s` as a value of field `f` and appends it to column `c` (of the
 * field's type). Integers are range-checked for their width; json must be
 * valid JSON; binary accepts "\x" hex or raw bytes. Does NOT treat any text
 * as null: the caller decides that (CSV null_value, JSON null).
 *
 * Returns DXT_OK, DXT_ENOMEM, or DXT_ETYPE with a short reason written to
 * `why` (e.g. `"12x" is not an int32`), without appending anything.
 */
int dxt_value_parse_append(struct dxt_column *c, const struct dxt_field *f,
			   const char *s, size_t n, char *why, size_t whylen);

/*
 * Appends the canonical text of value `i` of column `c` (field `f`) to `out`.
 * The value MUST be valid (check dxt_col_is_valid first). binary is written as
 * "\x" + lowercase hex. Returns DXT_OK or DXT_ENOMEM.
 */
int dxt_value_format(const struct dxt_column *c, const struct dxt_field *f,
		     size_t i, struct dxt_buf *out);

/*
 * Appends value `i` as a JSON value (numbers as JSON numbers, decimals as
 * JSON numbers with their exact digits, json values embedded as is, strings
 * escaped, null as null) to `out`. Used by the JSON lines format and the
 * API's record view.
 */
int dxt_value_format_json(const struct dxt_column *c,
			  const struct dxt_field *f, size_t i,
			  struct dxt_buf *out);

/* True when s[0..n) is exactly one JSON value (white space around it
 * allowed), UTF-8 included: what a json column may hold. */
bool dxt_json_valid(const char *s, size_t n);

/* Appends `s` as a quoted, escaped JSON string to `out`. */
int dxt_json_quote(struct dxt_buf *out, const char *s, size_t n);

/*
 * Formatting primitives (used by the above and by providers that bind
 * values as text). Each writes into `buf` (at least 48 bytes) and returns
 * the length written.
 */
size_t dxt_format_date(int32_t days, char *buf);
size_t dxt_format_time(int64_t us, char *buf);
size_t dxt_format_timestamp(int64_t us, bool zone, char *buf);
size_t dxt_format_decimal(__int128 v, int scale, char *buf);
size_t dxt_format_uuid(const uint8_t v[16], char *buf);
size_t dxt_format_double(double v, char *buf);

#endif /* DXT_CONVERT_H */
