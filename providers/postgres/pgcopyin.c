/*
 * pgcopyin.c - batch columns to PostgreSQL's binary COPY format (pg.h).
 *
 * Values are appended big-endian, straight from the Arrow-layout columns:
 * no text round trip, no per-value allocation. numeric is rebuilt from the
 * unscaled __int128 as base-10000 digits.
 */
#include "providers/postgres/pg.h"
#include "providers/postgres/copyout.h"

#include <string.h>

#include "engine/convert.h"

uint32_t dxt__pg_natural_oid(const struct dxt_field *f)
{
	switch (f->type) {
	case DXT_TYPE_BOOL: return DXT__PG_OID_BOOL;
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16: return DXT__PG_OID_INT2;
	case DXT_TYPE_INT32: return DXT__PG_OID_INT4;
	case DXT_TYPE_INT64: return DXT__PG_OID_INT8;
	case DXT_TYPE_FLOAT32: return DXT__PG_OID_FLOAT4;
	case DXT_TYPE_FLOAT64: return DXT__PG_OID_FLOAT8;
	case DXT_TYPE_DECIMAL: return DXT__PG_OID_NUMERIC;
	case DXT_TYPE_STRING:
	case DXT_TYPE_NULL: return DXT__PG_OID_TEXT;
	case DXT_TYPE_BINARY: return DXT__PG_OID_BYTEA;
	case DXT_TYPE_JSON: return DXT__PG_OID_JSONB;
	case DXT_TYPE_DATE: return DXT__PG_OID_DATE;
	case DXT_TYPE_TIME: return DXT__PG_OID_TIME;
	case DXT_TYPE_TIMESTAMP: return DXT__PG_OID_TIMESTAMP;
	case DXT_TYPE_TIMESTAMPTZ: return DXT__PG_OID_TIMESTAMPTZ;
	case DXT_TYPE_UUID: return DXT__PG_OID_UUID;
	case DXT_TYPE__COUNT: break;
	}
	return DXT__PG_OID_TEXT;
}

static bool is_int(enum dxt_type t)
{
	return t == DXT_TYPE_INT8 || t == DXT_TYPE_INT16 ||
	       t == DXT_TYPE_INT32 || t == DXT_TYPE_INT64;
}

bool dxt__pg_can_encode(const struct dxt_field *f, uint32_t oid)
{
	if (f->type == DXT_TYPE_NULL)
		return true; /* every value is a NULL field */
	if (oid == dxt__pg_natural_oid(f))
		return true;
	switch (oid) {
	case DXT__PG_OID_INT2:
		return f->type == DXT_TYPE_INT8;
	case DXT__PG_OID_INT4:
		return f->type == DXT_TYPE_INT8 || f->type == DXT_TYPE_INT16;
	case DXT__PG_OID_INT8:
		return f->type == DXT_TYPE_INT8 || f->type == DXT_TYPE_INT16 ||
		       f->type == DXT_TYPE_INT32;
	case DXT__PG_OID_NUMERIC:
		return is_int(f->type);
	case DXT__PG_OID_FLOAT8:
		return f->type == DXT_TYPE_FLOAT32;
	case DXT__PG_OID_TEXT:
	case DXT__PG_OID_VARCHAR:
	case DXT__PG_OID_BPCHAR:
		return f->type == DXT_TYPE_STRING || f->type == DXT_TYPE_JSON;
	case DXT__PG_OID_JSON:
	case DXT__PG_OID_JSONB:
		return f->type == DXT_TYPE_JSON;
	}
	return false;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* Appends a field: its 4-byte length, then room for n bytes, returned. */
static inline uint8_t *field(struct dxt_buf *out, size_t n)
{
	uint8_t *p;

	if (dxt_buf_reserve(out, 4 + n) != DXT_OK)
		return NULL;
	p = out->data + out->len;
	put32(p, (uint32_t)n);
	out->len += 4 + n;
	return p + 4;
}

int dxt__pg_copy_begin(struct dxt_buf *out)
{
	static const uint8_t hdr[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n',
					0xff, '\r', '\n', 0, 0, 0, 0, 0,
					0, 0, 0, 0};

	return dxt_buf_append(out, hdr, sizeof(hdr));
}

int dxt__pg_copy_row(struct dxt_buf *out, int16_t nfields)
{
	uint8_t b[2];

	put16(b, (uint16_t)nfields);
	return dxt_buf_append(out, b, 2);
}

int dxt__pg_copy_int8(struct dxt_buf *out, int64_t v)
{
	uint8_t *p = field(out, 8);

	if (p == NULL)
		return DXT_ENOMEM;
	put64(p, (uint64_t)v);
	return DXT_OK;
}

int dxt__pg_copy_end(struct dxt_buf *out)
{
	return dxt__pg_copy_row(out, -1);
}

/* numeric from an unscaled value and its scale. */
static int put_numeric(struct dxt_buf *out, __int128 v, int scale)
{
	char dig[64];
	int16_t groups[16];
	int ng = 0, nd, intd, lead, weight;
	unsigned __int128 u = v < 0 ? (unsigned __int128)(-(v + 1)) + 1
				    : (unsigned __int128)v;
	uint8_t *p;

	/* The decimal digits of |v|, at least scale + 1 of them. */
	nd = 0;
	do {
		dig[nd++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	while (nd < scale + 1)
		dig[nd++] = '0';
	/* dig holds the digits least significant first. */
	intd = nd - scale;
	lead = (4 - intd % 4) % 4;
	weight = (intd + lead) / 4 - 1;
	{
		/* Walk the digits most significant first in groups of 4,
		 * padded with zeros before the integer part and after the
		 * fraction. */
		int total = lead + nd + (4 - (scale % 4)) % 4;

		for (int g = 0; g < total / 4; g++) {
			int val = 0;

			for (int k = 0; k < 4; k++) {
				int pos = g * 4 + k - lead; /* index from the
							       most significant */
				int d = 0;

				if (pos >= 0 && pos < nd)
					d = dig[nd - 1 - pos] - '0';
				val = val * 10 + d;
			}
			groups[ng++] = (int16_t)val;
		}
	}
	/* Strip leading zero groups (lowering the weight) and trailing ones. */
	{
		int first = 0;

		while (first < ng && groups[first] == 0) {
			first++;
			weight--;
		}
		while (ng > first && groups[ng - 1] == 0)
			ng--;
		if (first == ng) {
			ng = first = 0;
			weight = 0;
		}
		p = field(out, 8 + 2 * (size_t)(ng - first));
		if (p == NULL)
			return DXT_ENOMEM;
		put16(p, (uint16_t)(ng - first));
		put16(p + 2, (uint16_t)(int16_t)weight);
		put16(p + 4, v < 0 ? 0x4000 : 0x0000);
		put16(p + 6, (uint16_t)scale);
		for (int i = first; i < ng; i++)
			put16(p + 8 + 2 * (i - first), (uint16_t)groups[i]);
	}
	return DXT_OK;
}

int dxt__pg_copy_value(struct dxt_buf *out, const struct dxt_column *c,
		       const struct dxt_field *f, size_t i, uint32_t oid)
{
	uint8_t *p;

	if (f->type == DXT_TYPE_NULL || !dxt_col_is_valid(c, i)) {
		if (dxt_buf_reserve(out, 4) != DXT_OK)
			return DXT_ENOMEM;
		put32(out->data + out->len, 0xffffffffu);
		out->len += 4;
		return DXT_OK;
	}
	switch (f->type) {
	case DXT_TYPE_BOOL:
		if ((p = field(out, 1)) == NULL)
			return DXT_ENOMEM;
		*p = dxt_col_bool(c, i);
		return DXT_OK;
	case DXT_TYPE_INT8:
	case DXT_TYPE_INT16:
	case DXT_TYPE_INT32:
	case DXT_TYPE_INT64: {
		int64_t v = dxt_col_int(c, i);

		if (oid == DXT__PG_OID_NUMERIC)
			return put_numeric(out, v, 0);
		if (oid == DXT__PG_OID_INT2) {
			if ((p = field(out, 2)) == NULL)
				return DXT_ENOMEM;
			put16(p, (uint16_t)v);
		} else if (oid == DXT__PG_OID_INT4) {
			if ((p = field(out, 4)) == NULL)
				return DXT_ENOMEM;
			put32(p, (uint32_t)v);
		} else {
			if ((p = field(out, 8)) == NULL)
				return DXT_ENOMEM;
			put64(p, (uint64_t)v);
		}
		return DXT_OK;
	}
	case DXT_TYPE_FLOAT32:
		if (oid == DXT__PG_OID_FLOAT8) {
			double d = dxt_col_f32(c, i);
			uint64_t u;

			memcpy(&u, &d, 8);
			if ((p = field(out, 8)) == NULL)
				return DXT_ENOMEM;
			put64(p, u);
		} else {
			float x = dxt_col_f32(c, i);
			uint32_t u;

			memcpy(&u, &x, 4);
			if ((p = field(out, 4)) == NULL)
				return DXT_ENOMEM;
			put32(p, u);
		}
		return DXT_OK;
	case DXT_TYPE_FLOAT64: {
		double d = dxt_col_f64(c, i);
		uint64_t u;

		memcpy(&u, &d, 8);
		if ((p = field(out, 8)) == NULL)
			return DXT_ENOMEM;
		put64(p, u);
		return DXT_OK;
	}
	case DXT_TYPE_DECIMAL:
		return put_numeric(out, dxt_col_dec(c, i), f->scale);
	case DXT_TYPE_STRING:
	case DXT_TYPE_BINARY:
	case DXT_TYPE_JSON: {
		size_t n;
		const uint8_t *s = dxt_col_bytes(c, i, &n);
		int jsonb = f->type == DXT_TYPE_JSON && oid == DXT__PG_OID_JSONB;

		if ((p = field(out, n + (size_t)jsonb)) == NULL)
			return DXT_ENOMEM;
		if (jsonb)
			*p++ = 1; /* jsonb's binary format version */
		if (n > 0)
			memcpy(p, s, n);
		return DXT_OK;
	}
	case DXT_TYPE_DATE:
		if ((p = field(out, 4)) == NULL)
			return DXT_ENOMEM;
		put32(p, (uint32_t)(dxt_col_i32(c, i) - DXT__PG_EPOCH_DAYS));
		return DXT_OK;
	case DXT_TYPE_TIME:
		if ((p = field(out, 8)) == NULL)
			return DXT_ENOMEM;
		put64(p, (uint64_t)dxt_col_i64(c, i));
		return DXT_OK;
	case DXT_TYPE_TIMESTAMP:
	case DXT_TYPE_TIMESTAMPTZ:
		if ((p = field(out, 8)) == NULL)
			return DXT_ENOMEM;
		put64(p, (uint64_t)(dxt_col_i64(c, i) - DXT__PG_EPOCH_US));
		return DXT_OK;
	case DXT_TYPE_UUID:
		if ((p = field(out, 16)) == NULL)
			return DXT_ENOMEM;
		memcpy(p, dxt_col_uuid(c, i), 16);
		return DXT_OK;
	case DXT_TYPE_NULL:
	case DXT_TYPE__COUNT:
		break;
	}
	return DXT_EINVAL;
}
