/*
 * batch.h - columnar batches in the Arrow memory layout.
 *
 * Extractors produce, the buffer serialises and loaders consume batches. A
 * batch borrows a schema and holds one column per field. Each column has a
 * validity bitmap (bit set = value present, LSB first, always allocated), and
 * either fixed-width values, packed bits (bool) or int32 offsets (n + 1 of
 * them, first 0) plus data bytes (string, binary, json). See types.h for the
 * element type of each DXT type.
 *
 * Batches are bounded by rows and bytes (struct dxt_batch_limits): a producer
 * appends a row, then asks dxt_batch_full() whether to hand the batch on.
 *
 * The append and get helpers are static inline: they are the hot path. A
 * producer appends exactly one value (or null) to every column and then
 * calls dxt_batch_end_row().
 *
 * Thread safety: a batch belongs to one thread at a time.
 */
#ifndef DXT_BATCH_H
#define DXT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "types.h"

/* A growable byte buffer: doubles on growth, never shrinks until freed. */
struct dxt_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Grows buf so that `extra` more bytes fit. DXT_OK or DXT_ENOMEM. */
int dxt_buf_grow(struct dxt_buf *buf, size_t extra);
/* Frees the memory; the buffer is empty and reusable afterwards. */
void dxt_buf_free(struct dxt_buf *buf);

static inline int dxt_buf_reserve(struct dxt_buf *buf, size_t extra)
{
	if (buf->cap - buf->len >= extra)
		return DXT_OK;
	return dxt_buf_grow(buf, extra);
}

static inline int dxt_buf_append(struct dxt_buf *buf, const void *p, size_t n)
{
	if (buf->cap - buf->len < n && dxt_buf_grow(buf, n) != DXT_OK)
		return DXT_ENOMEM;
	if (n > 0)
		memcpy(buf->data + buf->len, p, n);
	buf->len += n;
	return DXT_OK;
}

static inline int dxt_buf_putc(struct dxt_buf *buf, char c)
{
	if (buf->len == buf->cap && dxt_buf_grow(buf, 1) != DXT_OK)
		return DXT_ENOMEM;
	buf->data[buf->len++] = (uint8_t)c;
	return DXT_OK;
}

static inline int dxt_buf_puts(struct dxt_buf *buf, const char *s)
{
	return dxt_buf_append(buf, s, strlen(s));
}

struct dxt_column {
	enum dxt_type type;
	size_t length;          /* values appended so far */
	size_t null_count;
	struct dxt_buf validity; /* bitmap, (length + 7) / 8 bytes used */
	struct dxt_buf values;  /* fixed-width values or bool bits */
	struct dxt_buf offsets; /* varlen only: int32, length + 1 entries */
	struct dxt_buf data;    /* varlen only: value bytes */
};

struct dxt_batch {
	const struct dxt_schema *schema; /* borrowed; must outlive the batch */
	size_t nrows;
	size_t ncols;
	struct dxt_column *cols;  /* owned array of ncols columns */
};

struct dxt_batch_limits {
	size_t max_rows;  /* 0 = default (65536) */
	size_t max_bytes; /* 0 = default (16 MiB) */
};

#define DXT_BATCH_DEFAULT_ROWS 65536
#define DXT_BATCH_DEFAULT_BYTES (16u << 20)

/*
 * Prepares an empty batch for `schema`. Returns DXT_OK or DXT_ENOMEM. The
 * batch must later be released with dxt_batch_release().
 */
int dxt_batch_init(struct dxt_batch *b, const struct dxt_schema *schema);
/* Empties the batch (nrows = 0) but keeps its memory for reuse. */
void dxt_batch_reset(struct dxt_batch *b);
/* Frees all memory of the batch. Safe on a zeroed or released batch. */
void dxt_batch_release(struct dxt_batch *b);
/* Bytes held by the values of the batch (not capacity). */
size_t dxt_batch_bytes(const struct dxt_batch *b);
/* True when the batch reached its row or byte limit. */
bool dxt_batch_full(const struct dxt_batch *b,
		    const struct dxt_batch_limits *limits);
/*
 * Removes the values appended to columns beyond b->nrows (a row that failed
 * half-way). Call before appending the next row.
 */
void dxt_batch_rollback_row(struct dxt_batch *b);
/*
 * Marks the row complete. Every column MUST hold nrows + 1 values: checked
 * with assert() in debug builds.
 */
void dxt_batch_end_row(struct dxt_batch *b);

/* --- appending (hot path) ------------------------------------------------ */

int dxt__col_grow_validity(struct dxt_column *c);

static inline int dxt__col_valid_bit(struct dxt_column *c, bool valid)
{
	size_t byte = c->length >> 3;
	if (byte >= c->validity.len) {
		if (byte >= c->validity.cap && dxt__col_grow_validity(c) != DXT_OK)
			return DXT_ENOMEM;
		c->validity.data[byte] = 0;
		c->validity.len = byte + 1;
	}
	if (valid)
		c->validity.data[byte] |= (uint8_t)(1u << (c->length & 7));
	else
		c->null_count++;
	return DXT_OK;
}

/* Appends a null: zeroed fixed-width slot or an empty varlen value. */
int dxt_col_append_null(struct dxt_column *c);

static inline int dxt__col_append_fixed(struct dxt_column *c, const void *v,
					size_t w)
{
	if (dxt_buf_append(&c->values, v, w) != DXT_OK)
		return DXT_ENOMEM;
	if (dxt__col_valid_bit(c, true) != DXT_OK)
		return DXT_ENOMEM;
	c->length++;
	return DXT_OK;
}

static inline int dxt_col_append_i8(struct dxt_column *c, int8_t v)
{ return dxt__col_append_fixed(c, &v, 1); }
static inline int dxt_col_append_i16(struct dxt_column *c, int16_t v)
{ return dxt__col_append_fixed(c, &v, 2); }
static inline int dxt_col_append_i32(struct dxt_column *c, int32_t v)
{ return dxt__col_append_fixed(c, &v, 4); }
static inline int dxt_col_append_i64(struct dxt_column *c, int64_t v)
{ return dxt__col_append_fixed(c, &v, 8); }
static inline int dxt_col_append_f32(struct dxt_column *c, float v)
{ return dxt__col_append_fixed(c, &v, 4); }
static inline int dxt_col_append_f64(struct dxt_column *c, double v)
{ return dxt__col_append_fixed(c, &v, 8); }
static inline int dxt_col_append_dec(struct dxt_column *c, __int128 v)
{ return dxt__col_append_fixed(c, &v, 16); }
static inline int dxt_col_append_uuid(struct dxt_column *c, const uint8_t v[16])
{ return dxt__col_append_fixed(c, v, 16); }

/*
 * Appends a signed integer to an int8..int64 column (narrowing is the
 * caller's business: the value MUST fit), an int32 to a date column or an
 * int64 to a time/timestamp/timestamptz column.
 */
int dxt_col_append_int(struct dxt_column *c, int64_t v);

static inline int dxt_col_append_bool(struct dxt_column *c, bool v)
{
	size_t byte = c->length >> 3;
	if (byte >= c->values.len) {
		if (dxt_buf_putc(&c->values, 0) != DXT_OK)
			return DXT_ENOMEM;
	}
	if (v)
		c->values.data[byte] |= (uint8_t)(1u << (c->length & 7));
	if (dxt__col_valid_bit(c, true) != DXT_OK)
		return DXT_ENOMEM;
	c->length++;
	return DXT_OK;
}

/* Appends bytes to a string/binary/json column. DXT_ELIMIT past 2 GiB. */
static inline int dxt_col_append_bytes(struct dxt_column *c, const void *p,
				       size_t n)
{
	int32_t end;
	if (c->data.len + n > INT32_MAX)
		return DXT_ELIMIT;
	if (dxt_buf_append(&c->data, p, n) != DXT_OK)
		return DXT_ENOMEM;
	end = (int32_t)c->data.len;
	if (dxt_buf_append(&c->offsets, &end, 4) != DXT_OK)
		return DXT_ENOMEM;
	if (dxt__col_valid_bit(c, true) != DXT_OK)
		return DXT_ENOMEM;
	c->length++;
	return DXT_OK;
}

/* --- reading ------------------------------------------------------------- */

static inline bool dxt_col_is_valid(const struct dxt_column *c, size_t i)
{
	return (c->validity.data[i >> 3] >> (i & 7)) & 1u;
}

static inline bool dxt_col_bool(const struct dxt_column *c, size_t i)
{
	return (c->values.data[i >> 3] >> (i & 7)) & 1u;
}

#define DXT__COL_GET(name, ctype)                                            \
	static inline ctype dxt_col_##name(const struct dxt_column *c,       \
					   size_t i)                         \
	{                                                                    \
		ctype v;                                                     \
		memcpy(&v, c->values.data + i * sizeof(ctype), sizeof(ctype)); \
		return v;                                                    \
	}
DXT__COL_GET(i8, int8_t)
DXT__COL_GET(i16, int16_t)
DXT__COL_GET(i32, int32_t)
DXT__COL_GET(i64, int64_t)
DXT__COL_GET(f32, float)
DXT__COL_GET(f64, double)
DXT__COL_GET(dec, __int128)
#undef DXT__COL_GET

static inline const uint8_t *dxt_col_uuid(const struct dxt_column *c, size_t i)
{
	return c->values.data + i * 16;
}

/* Value bytes of a varlen column; *len receives the length. An empty
 * value gives a valid pointer even when the column holds no bytes at all
 * (its data buffer is then NULL). */
static inline const uint8_t *dxt_col_bytes(const struct dxt_column *c,
					   size_t i, size_t *len)
{
	int32_t a, b;
	memcpy(&a, c->offsets.data + i * 4, 4);
	memcpy(&b, c->offsets.data + (i + 1) * 4, 4);
	*len = (size_t)(b - a);
	return *len ? c->data.data + a : (const uint8_t *)"";
}

/* Any integer-like column (int8..int64, date, time, timestamps) as int64. */
int64_t dxt_col_int(const struct dxt_column *c, size_t i);

#endif /* DXT_BATCH_H */
