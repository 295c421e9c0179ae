/*
 * batch.c - columnar batches: growth, reset, row bookkeeping.
 *
 * The per-value append helpers live in batch.h (static inline); this file
 * holds the slow paths and whole-batch operations.
 */
#include "batch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int dxt_buf_grow(struct dxt_buf *buf, size_t extra)
{
	size_t need = buf->len + extra;
	size_t cap = buf->cap ? buf->cap : 64;
	uint8_t *p;

	if (need < buf->len)
		return DXT_ENOMEM;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return DXT_ENOMEM;
		cap *= 2;
	}
	p = realloc(buf->data, cap);
	if (p == NULL)
		return DXT_ENOMEM;
	buf->data = p;
	buf->cap = cap;
	return DXT_OK;
}

void dxt_buf_free(struct dxt_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

int dxt__col_grow_validity(struct dxt_column *c)
{
	return dxt_buf_grow(&c->validity, 1);
}

static int col_start(struct dxt_column *c)
{
	int32_t zero = 0;

	if (!dxt_type_is_varlen(c->type))
		return DXT_OK;
	return dxt_buf_append(&c->offsets, &zero, 4);
}

int dxt_batch_init(struct dxt_batch *b, const struct dxt_schema *schema)
{
	memset(b, 0, sizeof(*b));
	b->schema = schema;
	b->ncols = schema->n;
	if (b->ncols == 0)
		return DXT_OK;
	b->cols = calloc(b->ncols, sizeof(*b->cols));
	if (b->cols == NULL)
		return DXT_ENOMEM;
	for (size_t i = 0; i < b->ncols; i++) {
		b->cols[i].type = schema->fields[i].type;
		if (col_start(&b->cols[i]) != DXT_OK) {
			dxt_batch_release(b);
			return DXT_ENOMEM;
		}
	}
	return DXT_OK;
}

static void col_truncate(struct dxt_column *c, size_t n)
{
	size_t w = dxt_type_width(c->type);

	if (c->length <= n)
		return;
	for (size_t i = n; i < c->length; i++)
		if (!dxt_col_is_valid(c, i))
			c->null_count--;
	c->length = n;
	c->validity.len = (n + 7) / 8;
	if (n & 7)
		c->validity.data[n >> 3] &= (uint8_t)((1u << (n & 7)) - 1);
	if (c->type == DXT_TYPE_BOOL) {
		c->values.len = (n + 7) / 8;
		if (n & 7)
			c->values.data[n >> 3] &=
				(uint8_t)((1u << (n & 7)) - 1);
	} else if (dxt_type_is_varlen(c->type)) {
		int32_t end;
		memcpy(&end, c->offsets.data + n * 4, 4);
		c->offsets.len = (n + 1) * 4;
		c->data.len = (size_t)end;
	} else {
		c->values.len = n * w;
	}
}

void dxt_batch_reset(struct dxt_batch *b)
{
	for (size_t i = 0; i < b->ncols; i++)
		col_truncate(&b->cols[i], 0);
	b->nrows = 0;
}

void dxt_batch_release(struct dxt_batch *b)
{
	if (b->cols != NULL) {
		for (size_t i = 0; i < b->ncols; i++) {
			dxt_buf_free(&b->cols[i].validity);
			dxt_buf_free(&b->cols[i].values);
			dxt_buf_free(&b->cols[i].offsets);
			dxt_buf_free(&b->cols[i].data);
		}
		free(b->cols);
	}
	memset(b, 0, sizeof(*b));
}

size_t dxt_batch_bytes(const struct dxt_batch *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->ncols; i++) {
		const struct dxt_column *c = &b->cols[i];
		n += c->validity.len + c->values.len + c->offsets.len +
		     c->data.len;
	}
	return n;
}

bool dxt_batch_full(const struct dxt_batch *b,
		    const struct dxt_batch_limits *limits)
{
	size_t rows = DXT_BATCH_DEFAULT_ROWS, bytes = DXT_BATCH_DEFAULT_BYTES;

	if (limits != NULL) {
		if (limits->max_rows)
			rows = limits->max_rows;
		if (limits->max_bytes)
			bytes = limits->max_bytes;
	}
	if (b->nrows >= rows)
		return true;
	/* The byte count is only worth computing every 64 rows. */
	if ((b->nrows & 63) != 0)
		return false;
	return dxt_batch_bytes(b) >= bytes;
}

void dxt_batch_rollback_row(struct dxt_batch *b)
{
	for (size_t i = 0; i < b->ncols; i++)
		col_truncate(&b->cols[i], b->nrows);
}

void dxt_batch_end_row(struct dxt_batch *b)
{
#ifndef NDEBUG
	for (size_t i = 0; i < b->ncols; i++)
		assert(b->cols[i].length == b->nrows + 1);
#endif
	b->nrows++;
}

int dxt_col_append_null(struct dxt_column *c)
{
	static const uint8_t zero[16];
	int rc;

	switch (c->type) {
	case DXT_TYPE_NULL:
		rc = dxt__col_valid_bit(c, false);
		if (rc == DXT_OK)
			c->length++;
		return rc;
	case DXT_TYPE_BOOL:
		if (dxt_col_append_bool(c, false) != DXT_OK)
			return DXT_ENOMEM;
		break;
	case DXT_TYPE_STRING:
	case DXT_TYPE_BINARY:
	case DXT_TYPE_JSON:
		if (dxt_col_append_bytes(c, "", 0) != DXT_OK)
			return DXT_ENOMEM;
		break;
	default:
		if (dxt__col_append_fixed(c, zero, dxt_type_width(c->type)) !=
		    DXT_OK)
			return DXT_ENOMEM;
		break;
	}
	/* The append above marked the slot valid: clear it again. */
	c->validity.data[(c->length - 1) >> 3] &=
		(uint8_t)~(1u << ((c->length - 1) & 7));
	c->null_count++;
	return DXT_OK;
}

int dxt_col_append_int(struct dxt_column *c, int64_t v)
{
	switch (c->type) {
	case DXT_TYPE_INT8:
		return dxt_col_append_i8(c, (int8_t)v);
	case DXT_TYPE_INT16:
		return dxt_col_append_i16(c, (int16_t)v);
	case DXT_TYPE_INT32:
	case DXT_TYPE_DATE:
		return dxt_col_append_i32(c, (int32_t)v);
	default:
		return dxt_col_append_i64(c, v);
	}
}

int64_t dxt_col_int(const struct dxt_column *c, size_t i)
{
	switch (c->type) {
	case DXT_TYPE_INT8:
		return dxt_col_i8(c, i);
	case DXT_TYPE_INT16:
		return dxt_col_i16(c, i);
	case DXT_TYPE_INT32:
	case DXT_TYPE_DATE:
		return dxt_col_i32(c, i);
	default:
		return dxt_col_i64(c, i);
	}
}
