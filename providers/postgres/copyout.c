/*
 * copyout.c - PostgreSQL binary COPY values to batch columns (copyout.h).
 *
 * The binary send formats are big-endian. Dates count days and timestamps
 * microseconds from 2000-01-01, where DXT counts from 1970-01-01. numeric is
 * a sign, a weight and base-10000 digits, turned exactly into the unscaled
 * __int128 of the column's decimal.
 */
#include "providers/postgres/copyout.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool dxt__pg_known_oid(uint32_t oid)
{
	switch (oid) {
	case DXT__PG_OID_BOOL:
	case DXT__PG_OID_BYTEA:
	case DXT__PG_OID_CHAR:
	case DXT__PG_OID_NAME:
	case DXT__PG_OID_INT8:
	case DXT__PG_OID_INT2:
	case DXT__PG_OID_INT4:
	case DXT__PG_OID_TEXT:
	case DXT__PG_OID_OID:
	case DXT__PG_OID_JSON:
	case DXT__PG_OID_FLOAT4:
	case DXT__PG_OID_FLOAT8:
	case DXT__PG_OID_BPCHAR:
	case DXT__PG_OID_VARCHAR:
	case DXT__PG_OID_DATE:
	case DXT__PG_OID_TIME:
	case DXT__PG_OID_TIMESTAMP:
	case DXT__PG_OID_TIMESTAMPTZ:
	case DXT__PG_OID_NUMERIC:
	case DXT__PG_OID_UUID:
	case DXT__PG_OID_JSONB:
		return true;
	}
	return false;
}

void dxt__pg_map_type(uint32_t oid, int32_t typmod, char typtype,
		      char typcategory, struct dxt__pg_outcol *oc,
		      enum dxt_type *type, int *precision, int *scale)
{
	oc->wrap = DXT__PG_AS_IS;
	*precision = 0;
	*scale = 0;
	switch (oid) {
	case DXT__PG_OID_BOOL:
		oc->kind = DXT__PGK_BOOL;
		*type = DXT_TYPE_BOOL;
		return;
	case DXT__PG_OID_INT2:
		oc->kind = DXT__PGK_INT2;
		*type = DXT_TYPE_INT16;
		return;
	case DXT__PG_OID_INT4:
		oc->kind = DXT__PGK_INT4;
		*type = DXT_TYPE_INT32;
		return;
	case DXT__PG_OID_INT8:
		oc->kind = DXT__PGK_INT8;
		*type = DXT_TYPE_INT64;
		return;
	case DXT__PG_OID_OID:
		oc->kind = DXT__PGK_OID;
		*type = DXT_TYPE_INT64;
		return;
	case DXT__PG_OID_FLOAT4:
		oc->kind = DXT__PGK_FLOAT4;
		*type = DXT_TYPE_FLOAT32;
		return;
	case DXT__PG_OID_FLOAT8:
		oc->kind = DXT__PGK_FLOAT8;
		*type = DXT_TYPE_FLOAT64;
		return;
	case DXT__PG_OID_NUMERIC:
		oc->kind = DXT__PGK_NUMERIC;
		*type = DXT_TYPE_DECIMAL;
		if (typmod >= 4 && ((typmod - 4) >> 16) <= DXT_DECIMAL_MAX_PRECISION &&
		    ((typmod - 4) & 0xffff) <= ((typmod - 4) >> 16)) {
			*precision = (typmod - 4) >> 16;
			*scale = (typmod - 4) & 0xffff;
		} else {
			*precision = DXT__PG_NUMERIC_PRECISION;
			*scale = DXT__PG_NUMERIC_SCALE;
		}
		return;
	case DXT__PG_OID_TEXT:
	case DXT__PG_OID_VARCHAR:
	case DXT__PG_OID_BPCHAR:
	case DXT__PG_OID_NAME:
	case DXT__PG_OID_CHAR:
		oc->kind = DXT__PGK_TEXT;
		*type = DXT_TYPE_STRING;
		return;
	case DXT__PG_OID_JSON:
		oc->kind = DXT__PGK_TEXT;
		*type = DXT_TYPE_JSON;
		return;
	case DXT__PG_OID_JSONB:
		oc->kind = DXT__PGK_JSONB;
		*type = DXT_TYPE_JSON;
		return;
	case DXT__PG_OID_BYTEA:
		oc->kind = DXT__PGK_BYTEA;
		*type = DXT_TYPE_BINARY;
		return;
	case DXT__PG_OID_DATE:
		oc->kind = DXT__PGK_DATE;
		*type = DXT_TYPE_DATE;
		return;
	case DXT__PG_OID_TIME:
		oc->kind = DXT__PGK_TIME;
		*type = DXT_TYPE_TIME;
		return;
	case DXT__PG_OID_TIMESTAMP:
		oc->kind = DXT__PGK_TIMESTAMP;
		*type = DXT_TYPE_TIMESTAMP;
		return;
	case DXT__PG_OID_TIMESTAMPTZ:
		oc->kind = DXT__PGK_TIMESTAMP;
		*type = DXT_TYPE_TIMESTAMPTZ;
		return;
	case DXT__PG_OID_UUID:
		oc->kind = DXT__PGK_UUID;
		*type = DXT_TYPE_UUID;
		return;
	}
	oc->kind = DXT__PGK_TEXT;
	if (typtype == 'c' || typcategory == 'A') {
		oc->wrap = DXT__PG_TO_JSON;
		*type = DXT_TYPE_JSON;
	} else {
		oc->wrap = DXT__PG_TO_TEXT;
		*type = DXT_TYPE_STRING;
	}
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
	return ((uint64_t)be32(p) << 32) | be32(p + 4);
}

static int why_set(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return DXT_ETYPE;
}

static int bad_size(size_t n, size_t want, char *why, size_t len)
{
	return why_set(why, len, "a binary value of %zu bytes where %zu were "
		       "expected", n, want);
}

/*
 * numeric: int16 ndigits, int16 weight (of the first digit, in base-10000
 * places), uint16 sign, uint16 dscale, then ndigits base-10000 digits.
 * value * 10^scale must be a whole number below 10^precision.
 */
static int decode_numeric(const struct dxt_field *f, const uint8_t *p,
			  size_t n, __int128 *out, char *why, size_t len)
{
	int ndigits, weight;
	uint16_t sign;
	__int128 acc = 0, limit = 1;

	if (n < 8)
		return bad_size(n, 8, why, len);
	ndigits = (int16_t)be16(p);
	weight = (int16_t)be16(p + 2);
	sign = be16(p + 4);
	if (ndigits < 0 || n != 8 + 2 * (size_t)ndigits)
		return bad_size(n, 8 + 2 * (size_t)(ndigits < 0 ? 0 : ndigits),
				why, len);
	if (sign == 0xC000)
		return why_set(why, len, "numeric NaN has no decimal value");
	if (sign == 0xD000 || sign == 0xF000)
		return why_set(why, len, "numeric %sInfinity has no decimal "
			       "value", sign == 0xF000 ? "-" : "");
	for (int i = 0; i < f->precision; i++)
		limit *= 10;
	for (int i = 0; i < ndigits; i++) {
		int d = be16(p + 8 + 2 * i);
		/* Decimal exponent of this digit's last place, after scaling. */
		int e = 4 * (weight - i) + f->scale;

		if (d > 9999)
			return why_set(why, len, "a numeric digit %d is out of "
				       "range", d);
		if (d == 0)
			continue;
		if (e < 0) {
			int k = -e;
			int div = k >= 4 ? 10000 : k == 3 ? 1000 : k == 2 ? 100 : 10;

			if (k >= 4 || d % div != 0)
				return why_set(why, len, "the value has more "
					       "than %d fraction digits for "
					       "decimal(%d,%d)", f->scale,
					       f->precision, f->scale);
			acc += d / div;
		} else {
			__int128 v = d;

			for (int k = 0; k < e; k++) {
				v *= 10;
				if (v >= limit)
					goto wide;
			}
			acc += v;
		}
		if (acc >= limit)
			goto wide;
	}
	*out = sign == 0x4000 ? -acc : acc;
	return DXT_OK;
wide:
	return why_set(why, len, "the value has more than %d integer digits "
		       "for decimal(%d,%d)", f->precision - f->scale,
		       f->precision, f->scale);
}

int dxt__pg_decode(const struct dxt__pg_outcol *oc, const struct dxt_field *f,
		   const uint8_t *p, size_t n, struct dxt_column *c, char *why,
		   size_t whylen)
{
	int rc;

	switch (oc->kind) {
	case DXT__PGK_BOOL:
		if (n != 1)
			return bad_size(n, 1, why, whylen);
		return dxt_col_append_bool(c, p[0] != 0);
	case DXT__PGK_INT2:
		if (n != 2)
			return bad_size(n, 2, why, whylen);
		return dxt_col_append_i16(c, (int16_t)be16(p));
	case DXT__PGK_INT4:
		if (n != 4)
			return bad_size(n, 4, why, whylen);
		return dxt_col_append_i32(c, (int32_t)be32(p));
	case DXT__PGK_OID:
		if (n != 4)
			return bad_size(n, 4, why, whylen);
		return dxt_col_append_i64(c, (int64_t)be32(p));
	case DXT__PGK_INT8:
		if (n != 8)
			return bad_size(n, 8, why, whylen);
		return dxt_col_append_i64(c, (int64_t)be64(p));
	case DXT__PGK_FLOAT4: {
		uint32_t u;
		float v;

		if (n != 4)
			return bad_size(n, 4, why, whylen);
		u = be32(p);
		memcpy(&v, &u, 4);
		return dxt_col_append_f32(c, v);
	}
	case DXT__PGK_FLOAT8: {
		uint64_t u;
		double v;

		if (n != 8)
			return bad_size(n, 8, why, whylen);
		u = be64(p);
		memcpy(&v, &u, 8);
		return dxt_col_append_f64(c, v);
	}
	case DXT__PGK_NUMERIC: {
		__int128 v = 0;

		rc = decode_numeric(f, p, n, &v, why, whylen);
		return rc == DXT_OK ? dxt_col_append_dec(c, v) : rc;
	}
	case DXT__PGK_TEXT:
		return dxt_col_append_bytes(c, p, n);
	case DXT__PGK_JSONB:
		if (n < 1 || p[0] != 1)
			return why_set(why, whylen, "jsonb version %d is not "
				       "the version 1 this build reads",
				       n < 1 ? -1 : p[0]);
		return dxt_col_append_bytes(c, p + 1, n - 1);
	case DXT__PGK_BYTEA:
		return dxt_col_append_bytes(c, p, n);
	case DXT__PGK_DATE: {
		int32_t d;

		if (n != 4)
			return bad_size(n, 4, why, whylen);
		d = (int32_t)be32(p);
		if (d == INT32_MAX || d == INT32_MIN)
			return why_set(why, whylen, "date %sinfinity has no "
				       "DXT value", d == INT32_MIN ? "-" : "");
		return dxt_col_append_int(c, (int64_t)d + DXT__PG_EPOCH_DAYS);
	}
	case DXT__PGK_TIME:
		if (n != 8)
			return bad_size(n, 8, why, whylen);
		return dxt_col_append_int(c, (int64_t)be64(p));
	case DXT__PGK_TIMESTAMP: {
		int64_t t;

		if (n != 8)
			return bad_size(n, 8, why, whylen);
		t = (int64_t)be64(p);
		if (t == INT64_MAX || t == INT64_MIN)
			return why_set(why, whylen, "timestamp %sinfinity has "
				       "no DXT value",
				       t == INT64_MIN ? "-" : "");
		return dxt_col_append_int(c, t + DXT__PG_EPOCH_US);
	}
	case DXT__PGK_UUID:
		if (n != 16)
			return bad_size(n, 16, why, whylen);
		return dxt_col_append_uuid(c, p);
	}
	return why_set(why, whylen, "no decoder for this column");
}

size_t dxt__pg_copy_header(const uint8_t *p, size_t n)
{
	static const uint8_t sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n',
					0xff, '\r', '\n', 0};
	uint32_t ext;

	if (n < 19 || memcmp(p, sig, 11) != 0)
		return 0;
	ext = be32(p + 15);
	if (ext > n - 19)
		return 0;
	return 19 + ext;
}
