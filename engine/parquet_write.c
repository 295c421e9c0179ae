/*
 * parquet_write.c - the Parquet file writer (parquet.h).
 *
 * Batches are encoded column by column as they arrive. Each column keeps
 * the values of its current page (PLAIN bytes, or dictionary indices) and
 * its definition levels; a full page is compressed at once and appended to
 * the column's chunk buffer, so a row group costs its compressed size in
 * memory. When the row group is full, every column chunk goes to the sink in
 * schema order (dictionary page first) and its metadata is kept for the
 * footer, which close() writes after the last row group.
 *
 * Dictionary encoding starts on every column but bool and floating point.
 * The dictionary is an open-addressing hash table over the PLAIN bytes of
 * its entries; a column gives it up for the rest of the row group once it
 * holds more than dict_bytes, or more than half as many entries as values
 * (checked every DICT_PROBE values and before each page): the pages written
 * so far stay
 * dictionary-encoded, the current one is turned back into PLAIN values.
 */
#include "parquet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "operator.h"
#include "pqcodec.h"
#include "pqenc.h"

#define DICT_PROBE 4096
#define STATS_MAX_BYTES 64

enum stat_kind {
	ST_NONE,  /* no min/max (null type) */
	ST_INT,   /* signed 64-bit compare (INT32/INT64 and their logicals) */
	ST_FLOAT, /* double compare, NaN skipped */
	ST_DEC,   /* __int128 compare (FIXED_LEN_BYTE_ARRAY decimals) */
	ST_BYTES, /* unsigned bytewise (strings, binary, uuid) */
	ST_BOOL,
};

struct pq_col {
	const struct dxt_field *f;
	enum dxt_pq_physical phys;
	int32_t width;        /* PLAIN bytes of a fixed-width value; 0 varlen */
	int optional;
	enum stat_kind sk;
	int try_dict;         /* dictionary allowed for this column */

	/* current page */
	struct dxt_buf vals;  /* PLAIN bytes (bools: one byte each) */
	struct dxt_buf defs;  /* uint32 definition levels */
	struct dxt_buf idx;   /* uint32 dictionary indices */
	size_t page_values;   /* levels in the page (values + nulls) */
	size_t page_nulls;

	/* dictionary of the row group */
	int dict_on;
	int dict_used;        /* some page of the chunk is dictionary-encoded */
	struct dxt_buf dict;  /* PLAIN bytes of the entries */
	struct dxt_buf dict_off; /* uint32 start of each entry in dict */
	uint32_t n_dict;
	uint32_t *slots;      /* entry + 1, 0 = empty */
	size_t nslots;
	size_t rg_values;     /* non-null values seen in this row group */

	/* chunk of the row group */
	struct dxt_buf chunk; /* data pages, headers included */
	int64_t chunk_raw;    /* uncompressed bytes of those pages */
	int64_t chunk_values; /* levels in the chunk */
	int used_plain;

	/* statistics of the chunk */
	int64_t nulls;
	int has_mm;
	int64_t imin, imax;
	double fmin, fmax;
	__int128 dmin, dmax;
	uint8_t bmin[STATS_MAX_BYTES], bmax[STATS_MAX_BYTES];
	size_t bmin_len, bmax_len;
	int bytes_too_long;
};

struct dxt_pq_writer {
	const struct dxt_schema *schema;
	struct dxt_pq_write_opts o;
	dxt_write_fn write;
	void *write_ctx;
	uint64_t off;         /* bytes handed to write so far */
	uint64_t rows;
	size_t rg_rows;
	struct pq_col *cols;
	struct dxt_pq_codec_ctx *codec;
	struct dxt_buf page;  /* page body being assembled */
	struct dxt_buf zbuf;  /* compressed page body */
	struct dxt_buf hdr;   /* page header */
	struct dxt_buf lvl;   /* encoded levels */
	struct dxt_pq_file_meta fm;
	size_t rg_cap;
};

void dxt_pq_write_opts_default(struct dxt_pq_write_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->codec = DXT_PQ_ZSTD;
	opts->level = 1;
	opts->page_version = 1;
}

/* --- schema --------------------------------------------------------------- */

/* Bytes of the big-endian two's complement holding any p-digit value. */
static int32_t decimal_bytes(int precision)
{
	int32_t n = 1;
	__int128 max = 127;

	__int128 need = 1;
	for (int i = 0; i < precision; i++)
		need *= 10;
	while (max < need - 1) {
		n++;
		max = (max << 8) | 0xff;
	}
	return n;
}

static void set_int_logical(struct dxt_pq_schema_elem *e, int bits,
			    enum dxt_pq_converted ct)
{
	e->logical.kind = DXT_PQ_LT_INTEGER;
	e->logical.bit_width = (int8_t)bits;
	e->logical.is_signed = 1;
	e->has_converted = 1;
	e->converted = ct;
}

/* Fills the schema element and the column's physical description. */
static void map_field(const struct dxt_field *f, struct pq_col *c,
		      struct dxt_pq_schema_elem *e)
{
	e->has_type = 1;
	e->has_repetition = 1;
	e->repetition = f->nullable ? DXT_PQ_OPTIONAL : DXT_PQ_REQUIRED;
	c->optional = f->nullable;
	c->try_dict = 1;
	c->sk = ST_INT;
	switch (f->type) {
	case DXT_TYPE_NULL:
		e->type = DXT_PQ_INT32;
		e->logical.kind = DXT_PQ_LT_UNKNOWN;
		e->repetition = DXT_PQ_OPTIONAL;
		c->optional = 1;
		c->sk = ST_NONE;
		c->try_dict = 0;
		break;
	case DXT_TYPE_BOOL:
		e->type = DXT_PQ_BOOLEAN;
		c->sk = ST_BOOL;
		c->try_dict = 0;
		break;
	case DXT_TYPE_INT8:
		e->type = DXT_PQ_INT32;
		set_int_logical(e, 8, DXT_PQ_CT_INT_8);
		break;
	case DXT_TYPE_INT16:
		e->type = DXT_PQ_INT32;
		set_int_logical(e, 16, DXT_PQ_CT_INT_16);
		break;
	case DXT_TYPE_INT32:
		e->type = DXT_PQ_INT32;
		set_int_logical(e, 32, DXT_PQ_CT_INT_32);
		break;
	case DXT_TYPE_INT64:
		e->type = DXT_PQ_INT64;
		set_int_logical(e, 64, DXT_PQ_CT_INT_64);
		break;
	case DXT_TYPE_FLOAT32:
		e->type = DXT_PQ_FLOAT;
		c->sk = ST_FLOAT;
		c->try_dict = 0;
		break;
	case DXT_TYPE_FLOAT64:
		e->type = DXT_PQ_DOUBLE;
		c->sk = ST_FLOAT;
		c->try_dict = 0;
		break;
	case DXT_TYPE_DECIMAL:
		if (f->precision <= 9) {
			e->type = DXT_PQ_INT32;
		} else if (f->precision <= 18) {
			e->type = DXT_PQ_INT64;
		} else {
			e->type = DXT_PQ_FIXED_LEN_BYTE_ARRAY;
			e->type_length = decimal_bytes(f->precision);
			c->sk = ST_DEC;
		}
		e->logical.kind = DXT_PQ_LT_DECIMAL;
		e->logical.precision = f->precision;
		e->logical.scale = f->scale;
		e->has_converted = 1;
		e->converted = DXT_PQ_CT_DECIMAL;
		e->precision = f->precision;
		e->scale = f->scale;
		break;
	case DXT_TYPE_STRING:
		e->type = DXT_PQ_BYTE_ARRAY;
		e->logical.kind = DXT_PQ_LT_STRING;
		e->has_converted = 1;
		e->converted = DXT_PQ_CT_UTF8;
		c->sk = ST_BYTES;
		break;
	case DXT_TYPE_BINARY:
		e->type = DXT_PQ_BYTE_ARRAY;
		c->sk = ST_BYTES;
		break;
	case DXT_TYPE_JSON:
		e->type = DXT_PQ_BYTE_ARRAY;
		e->logical.kind = DXT_PQ_LT_JSON;
		e->has_converted = 1;
		e->converted = DXT_PQ_CT_JSON;
		c->sk = ST_BYTES;
		break;
	case DXT_TYPE_DATE:
		e->type = DXT_PQ_INT32;
		e->logical.kind = DXT_PQ_LT_DATE;
		e->has_converted = 1;
		e->converted = DXT_PQ_CT_DATE;
		break;
	case DXT_TYPE_TIME:
		e->type = DXT_PQ_INT64;
		e->logical.kind = DXT_PQ_LT_TIME;
		e->logical.unit = DXT_PQ_MICROS;
		e->has_converted = 1;
		e->converted = DXT_PQ_CT_TIME_MICROS;
		break;
	case DXT_TYPE_TIMESTAMP:
	case DXT_TYPE_TIMESTAMPTZ:
		e->type = DXT_PQ_INT64;
		e->logical.kind = DXT_PQ_LT_TIMESTAMP;
		e->logical.unit = DXT_PQ_MICROS;
		e->logical.is_adjusted_to_utc = f->type == DXT_TYPE_TIMESTAMPTZ;
		/* The legacy annotation means "UTC-adjusted", so only the
		 * zone-aware type carries it. */
		if (f->type == DXT_TYPE_TIMESTAMPTZ) {
			e->has_converted = 1;
			e->converted = DXT_PQ_CT_TIMESTAMP_MICROS;
		}
		break;
	case DXT_TYPE_UUID:
		e->type = DXT_PQ_FIXED_LEN_BYTE_ARRAY;
		e->type_length = 16;
		e->logical.kind = DXT_PQ_LT_UUID;
		c->sk = ST_BYTES;
		break;
	case DXT_TYPE__COUNT:
		break;
	}
	c->phys = e->type;
	switch (e->type) {
	case DXT_PQ_BOOLEAN:
		c->width = 1;
		break;
	case DXT_PQ_INT32:
	case DXT_PQ_FLOAT:
		c->width = 4;
		break;
	case DXT_PQ_INT64:
	case DXT_PQ_DOUBLE:
		c->width = 8;
		break;
	case DXT_PQ_FIXED_LEN_BYTE_ARRAY:
		c->width = e->type_length;
		break;
	default:
		c->width = 0;
		break;
	}
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static int build_schema(struct dxt_pq_writer *w, struct dxt_error *err)
{
	const struct dxt_schema *s = w->schema;
	struct dxt_pq_file_meta *fm = &w->fm;

	fm->version = 1;
	fm->schema = calloc(s->n + 1, sizeof(*fm->schema));
	fm->created_by = dup_str("dxt version " DXT_VERSION);
	if (fm->schema == NULL || fm->created_by == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	fm->n_schema = s->n + 1;
	fm->schema[0].name = dup_str("schema");
	if (fm->schema[0].name == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	fm->schema[0].num_children = (int32_t)s->n;
	for (size_t i = 0; i < s->n; i++) {
		struct dxt_pq_schema_elem *e = &fm->schema[i + 1];

		e->name = dup_str(s->fields[i].name);
		if (e->name == NULL)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		w->cols[i].f = &s->fields[i];
		map_field(&s->fields[i], &w->cols[i], e);
		if (w->o.no_dictionary)
			w->cols[i].try_dict = 0;
	}
	return DXT_OK;
}

static int add_kv(struct dxt_pq_file_meta *fm, const char *k, const char *v)
{
	struct dxt_pq_kv *n = realloc(fm->kv, (fm->n_kv + 1) * sizeof(*n));

	if (n == NULL)
		return DXT_ENOMEM;
	fm->kv = n;
	n[fm->n_kv].key = dup_str(k);
	n[fm->n_kv].value = dup_str(v);
	fm->n_kv++;
	if (n[fm->n_kv - 1].key == NULL || n[fm->n_kv - 1].value == NULL)
		return DXT_ENOMEM;
	return DXT_OK;
}

static int build_kv(struct dxt_pq_writer *w, const struct dxt_pq_write_opts *o,
		    struct dxt_error *err)
{
	json_t *j = dxt_schema_to_json(w->schema);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = text ? add_kv(&w->fm, "dxt.schema", text) : DXT_ENOMEM;

	free(text);
	json_decref(j);
	for (size_t i = 0; rc == DXT_OK && o->kv_keys && o->kv_keys[i]; i++)
		rc = add_kv(&w->fm, o->kv_keys[i],
			    o->kv_values && o->kv_values[i] ? o->kv_values[i]
							    : "");
	if (rc != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

/* --- output --------------------------------------------------------------- */

static int put(struct dxt_pq_writer *w, const void *p, size_t n,
	       struct dxt_error *err)
{
	int rc = w->write(w->write_ctx, p, n, err);

	if (rc == DXT_OK)
		w->off += n;
	return rc;
}

static int oom(struct dxt_error *err)
{
	return dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

/* --- statistics ----------------------------------------------------------- */

static inline void stat_int(struct pq_col *c, int64_t v)
{
	if (!c->has_mm) {
		c->imin = c->imax = v;
		c->has_mm = 1;
	} else if (v < c->imin) {
		c->imin = v;
	} else if (v > c->imax) {
		c->imax = v;
	}
}

static inline void stat_float(struct pq_col *c, double v)
{
	if (v != v)
		return;
	if (!c->has_mm) {
		c->fmin = c->fmax = v;
		c->has_mm = 1;
	} else if (v < c->fmin) {
		c->fmin = v;
	} else if (v > c->fmax) {
		c->fmax = v;
	}
}

static inline void stat_dec(struct pq_col *c, __int128 v)
{
	if (!c->has_mm) {
		c->dmin = c->dmax = v;
		c->has_mm = 1;
	} else if (v < c->dmin) {
		c->dmin = v;
	} else if (v > c->dmax) {
		c->dmax = v;
	}
}

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r != 0)
		return r;
	return an < bn ? -1 : an > bn;
}

static inline void stat_bytes(struct pq_col *c, const uint8_t *p, size_t n)
{
	if (c->bytes_too_long)
		return;
	if (n > STATS_MAX_BYTES) {
		/* Exact bounds would need the whole value kept; none is
		 * better than a wrong one. */
		c->bytes_too_long = 1;
		return;
	}
	if (!c->has_mm) {
		memcpy(c->bmin, p, n);
		memcpy(c->bmax, p, n);
		c->bmin_len = c->bmax_len = n;
		c->has_mm = 1;
		return;
	}
	if (bytes_cmp(p, n, c->bmin, c->bmin_len) < 0) {
		memcpy(c->bmin, p, n);
		c->bmin_len = n;
	} else if (bytes_cmp(p, n, c->bmax, c->bmax_len) > 0) {
		memcpy(c->bmax, p, n);
		c->bmax_len = n;
	}
}

/* Big-endian two's complement of v in n bytes. */
static void dec_be(__int128 v, uint8_t *out, int32_t n)
{
	for (int32_t i = n - 1; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* PLAIN bytes of a statistic value for the column's physical type. */
static int stat_value(const struct pq_col *c, int max, uint8_t **out,
		      size_t *len)
{
	uint8_t tmp[STATS_MAX_BYTES];
	size_t n = 0;

	switch (c->sk) {
	case ST_INT:
		if (c->phys == DXT_PQ_INT32) {
			int32_t v = (int32_t)(max ? c->imax : c->imin);
			memcpy(tmp, &v, 4);
			n = 4;
		} else {
			int64_t v = max ? c->imax : c->imin;
			memcpy(tmp, &v, 8);
			n = 8;
		}
		break;
	case ST_BOOL:
		tmp[0] = (uint8_t)(max ? c->imax : c->imin);
		n = 1;
		break;
	case ST_FLOAT:
		if (c->phys == DXT_PQ_FLOAT) {
			float v = (float)(max ? c->fmax : c->fmin);
			memcpy(tmp, &v, 4);
			n = 4;
		} else {
			double v = max ? c->fmax : c->fmin;
			memcpy(tmp, &v, 8);
			n = 8;
		}
		break;
	case ST_DEC:
		dec_be(max ? c->dmax : c->dmin, tmp, c->width);
		n = (size_t)c->width;
		break;
	case ST_BYTES:
		n = max ? c->bmax_len : c->bmin_len;
		memcpy(tmp, max ? c->bmax : c->bmin, n);
		break;
	case ST_NONE:
		return DXT_OK;
	}
	*out = malloc(n ? n : 1);
	if (*out == NULL)
		return DXT_ENOMEM;
	memcpy(*out, tmp, n);
	*len = n;
	return DXT_OK;
}

/* --- dictionary ----------------------------------------------------------- */

static inline uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	while (n >= 8) {
		uint64_t k;
		memcpy(&k, p, 8);
		h = (h ^ k) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t k = 0;
		memcpy(&k, p, n);
		h = (h ^ k) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	return h * 0x9e3779b97f4a7c15ull;
}

/* Entry i's PLAIN bytes (varlen: past the 4-byte length). */
static inline const uint8_t *dict_entry(const struct pq_col *c, uint32_t i,
					size_t *n)
{
	uint32_t off;

	if (c->width > 0) {
		*n = (size_t)c->width;
		return c->dict.data + (size_t)i * (size_t)c->width;
	}
	memcpy(&off, c->dict_off.data + (size_t)i * 4, 4);
	{
		uint32_t len;
		memcpy(&len, c->dict.data + off, 4);
		*n = len;
	}
	return c->dict.data + off + 4;
}

static int dict_grow(struct pq_col *c)
{
	size_t ns = c->nslots ? c->nslots * 2 : 1024;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (s == NULL)
		return DXT_ENOMEM;
	for (uint32_t i = 0; i < c->n_dict; i++) {
		size_t n;
		const uint8_t *p = dict_entry(c, i, &n);
		size_t h = (size_t)hash_bytes(p, n) & (ns - 1);

		while (s[h] != 0)
			h = (h + 1) & (ns - 1);
		s[h] = i + 1;
	}
	free(c->slots);
	c->slots = s;
	c->nslots = ns;
	return DXT_OK;
}

/* Index of the value p[0..n) in the dictionary, added when new. */
static inline int dict_index(struct pq_col *c, const uint8_t *p, size_t n,
			     uint32_t *out)
{
	size_t h, mask;

	if ((size_t)c->n_dict * 2 >= c->nslots && dict_grow(c) != DXT_OK)
		return DXT_ENOMEM;
	mask = c->nslots - 1;
	h = (size_t)hash_bytes(p, n) & mask;
	for (;;) {
		uint32_t e = c->slots[h];
		size_t en;
		const uint8_t *ep;

		if (e == 0)
			break;
		ep = dict_entry(c, e - 1, &en);
		if (en == n && memcmp(ep, p, n) == 0) {
			*out = e - 1;
			return DXT_OK;
		}
		h = (h + 1) & mask;
	}
	if (c->width == 0) {
		uint32_t off = (uint32_t)c->dict.len, len = (uint32_t)n;

		if (dxt_buf_append(&c->dict_off, &off, 4) != DXT_OK ||
		    dxt_buf_append(&c->dict, &len, 4) != DXT_OK)
			return DXT_ENOMEM;
	}
	if (dxt_buf_append(&c->dict, p, n) != DXT_OK)
		return DXT_ENOMEM;
	c->slots[h] = ++c->n_dict;
	*out = c->n_dict - 1;
	return DXT_OK;
}

static void dict_reset(struct pq_col *c)
{
	c->dict.len = 0;
	c->dict_off.len = 0;
	c->n_dict = 0;
	if (c->slots != NULL)
		memset(c->slots, 0, c->nslots * sizeof(*c->slots));
}

/* Gives the dictionary up for the rest of the row group: the current
 * page's indices become PLAIN values. */
static int dict_fallback(struct pq_col *c)
{
	const uint32_t *ix = (const uint32_t *)(void *)c->idx.data;
	size_t n = c->idx.len / 4;

	c->vals.len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *p = dict_entry(c, ix[i], &len);

		if (c->width == 0) {
			uint32_t l = (uint32_t)len;
			if (dxt_buf_append(&c->vals, &l, 4) != DXT_OK)
				return DXT_ENOMEM;
		}
		if (dxt_buf_append(&c->vals, p, len) != DXT_OK)
			return DXT_ENOMEM;
	}
	c->idx.len = 0;
	c->dict_on = 0;
	return DXT_OK;
}

/* --- pages ---------------------------------------------------------------- */

static int append_page(struct dxt_pq_writer *w, struct pq_col *c,
		       const struct dxt_pq_page_header *h, const void *body,
		       size_t n, struct dxt_buf *dst)
{
	struct dxt_pq_page_header crc_h;

	if (w->o.page_crc) {
		/* Over the page as stored, header excluded (levels too, in
		 * a v2 page). */
		crc_h = *h;
		crc_h.has_crc = 1;
		crc_h.crc = (int32_t)crc32_z(0, body, n);
		h = &crc_h;
	}
	w->hdr.len = 0;
	if (dxt_pq_page_header_write(&w->hdr, h) != DXT_OK)
		return DXT_ENOMEM;
	c->chunk_raw += (int64_t)w->hdr.len + h->uncompressed_size;
	if (dxt_buf_append(dst, w->hdr.data, w->hdr.len) != DXT_OK ||
	    dxt_buf_append(dst, body, n) != DXT_OK)
		return DXT_ENOMEM;
	return DXT_OK;
}

/* Appends the PLAIN or dictionary-index values of the page to w->page. */
static int page_values(struct dxt_pq_writer *w, struct pq_col *c,
		       int32_t *encoding, struct dxt_error *err)
{
	if (c->dict_on) {
		unsigned bw = dxt_pq_bit_width(c->n_dict ? c->n_dict - 1 : 0);
		uint8_t b = (uint8_t)bw;

		*encoding = DXT_PQ_RLE_DICTIONARY;
		c->dict_used = 1;
		if (dxt_buf_putc(&w->page, (char)b) != DXT_OK)
			return oom(err);
		return dxt_pq_rle_encode(&w->page,
					 (const uint32_t *)(void *)c->idx.data,
					 c->idx.len / 4, bw, false, err);
	}
	*encoding = DXT_PQ_PLAIN;
	c->used_plain = 1;
	if (c->phys == DXT_PQ_BOOLEAN)
		return dxt_pq_bool_pack(&w->page, (const bool *)(void *)c->vals.data,
					c->vals.len) == DXT_OK ? DXT_OK : oom(err);
	return dxt_buf_append(&w->page, c->vals.data, c->vals.len) == DXT_OK
		       ? DXT_OK : oom(err);
}

static int flush_page(struct dxt_pq_writer *w, struct pq_col *c,
		      struct dxt_error *err)
{
	struct dxt_pq_page_header h;
	int32_t enc;
	int rc;
	size_t nlv = c->defs.len / 4;

	if (c->page_values == 0)
		return DXT_OK;
	/* A dictionary that does not pay is given up before its first page
	 * is written, so small row groups of distinct values stay PLAIN. */
	if (c->dict_on && (c->n_dict > c->rg_values / 2 ||
			   c->dict.len > w->o.dict_bytes) &&
	    dict_fallback(c) != DXT_OK)
		return oom(err);
	memset(&h, 0, sizeof(h));
	w->page.len = 0;
	w->lvl.len = 0;
	if (c->optional) {
		rc = dxt_pq_rle_encode(&w->lvl,
				       (const uint32_t *)(void *)c->defs.data,
				       nlv, 1, w->o.page_version == 1, err);
		if (rc != DXT_OK)
			return rc;
	}
	if (w->o.page_version == 1) {
		if (dxt_buf_append(&w->page, w->lvl.data, w->lvl.len) != DXT_OK)
			return oom(err);
		rc = page_values(w, c, &enc, err);
		if (rc != DXT_OK)
			return rc;
		w->zbuf.len = 0;
		rc = dxt_pq_compress(w->codec, w->o.codec, w->o.level,
				     w->page.data, w->page.len, &w->zbuf, err);
		if (rc != DXT_OK)
			return rc;
		h.type = DXT_PQ_DATA_PAGE;
		h.uncompressed_size = (int32_t)w->page.len;
		h.compressed_size = (int32_t)w->zbuf.len;
		h.data.num_values = (int32_t)c->page_values;
		h.data.encoding = enc;
		h.data.def_level_encoding = DXT_PQ_RLE;
		h.data.rep_level_encoding = DXT_PQ_RLE;
		rc = append_page(w, c, &h, w->zbuf.data, w->zbuf.len, &c->chunk);
	} else {
		rc = page_values(w, c, &enc, err);
		if (rc != DXT_OK)
			return rc;
		/* v2: the levels stay uncompressed in front of the values. */
		w->zbuf.len = 0;
		if (dxt_buf_append(&w->zbuf, w->lvl.data, w->lvl.len) != DXT_OK)
			return oom(err);
		rc = dxt_pq_compress(w->codec, w->o.codec, w->o.level,
				     w->page.data, w->page.len, &w->zbuf, err);
		if (rc != DXT_OK)
			return rc;
		h.type = DXT_PQ_DATA_PAGE_V2;
		h.uncompressed_size = (int32_t)(w->lvl.len + w->page.len);
		h.compressed_size = (int32_t)w->zbuf.len;
		h.data_v2.num_values = (int32_t)c->page_values;
		h.data_v2.num_nulls = (int32_t)c->page_nulls;
		h.data_v2.num_rows = (int32_t)c->page_values;
		h.data_v2.encoding = enc;
		h.data_v2.def_levels_len = (int32_t)w->lvl.len;
		h.data_v2.rep_levels_len = 0;
		h.data_v2.is_compressed = 1;
		rc = append_page(w, c, &h, w->zbuf.data, w->zbuf.len, &c->chunk);
	}
	if (rc != DXT_OK)
		return oom(err);
	c->chunk_values += (int64_t)c->page_values;
	c->page_values = 0;
	c->page_nulls = 0;
	c->vals.len = 0;
	c->idx.len = 0;
	c->defs.len = 0;
	return DXT_OK;
}

static size_t page_bytes(const struct pq_col *c)
{
	return c->dict_on ? c->idx.len / 2 : c->vals.len;
}

/* --- values --------------------------------------------------------------- */

/* Adds one non-null value, given as its PLAIN bytes. */
static inline int add_plain(struct dxt_pq_writer *w, struct pq_col *c,
			    const void *p, size_t n)
{
	if (c->dict_on) {
		uint32_t ix;

		if (dict_index(c, p, n, &ix) != DXT_OK ||
		    dxt_buf_append(&c->idx, &ix, 4) != DXT_OK)
			return DXT_ENOMEM;
		if (++c->rg_values % DICT_PROBE == 0 &&
		    (c->n_dict > c->rg_values / 2 ||
		     c->dict.len > w->o.dict_bytes))
			return dict_fallback(c);
		return DXT_OK;
	}
	if (c->width == 0) {
		uint32_t l = (uint32_t)n;
		if (dxt_buf_append(&c->vals, &l, 4) != DXT_OK)
			return DXT_ENOMEM;
	}
	return dxt_buf_append(&c->vals, p, n);
}

/* Encodes rows [a, b) of column ci of the batch. */
static int add_column(struct dxt_pq_writer *w, struct pq_col *c,
		      const struct dxt_column *col, size_t a, size_t b,
		      struct dxt_error *err)
{
	for (size_t i = a; i < b; i++) {
		int valid = col->validity.len == 0 || dxt_col_is_valid(col, i);
		int rc = DXT_OK;

		if (c->f->type == DXT_TYPE_NULL)
			valid = 0;
		if (c->optional) {
			uint32_t d = (uint32_t)valid;
			if (dxt_buf_append(&c->defs, &d, 4) != DXT_OK)
				return oom(err);
		} else if (!valid) {
			return dxt_error_set(err, DXT_EINVAL,
					     "column \"%s\" is not nullable but "
					     "row %zu holds a null",
					     c->f->name, (size_t)w->rows + i - a + 1);
		}
		c->page_values++;
		if (!valid) {
			c->page_nulls++;
			c->nulls++;
			goto next;
		}
		switch (c->f->type) {
		case DXT_TYPE_BOOL: {
			uint8_t v = dxt_col_bool(col, i);
			stat_int(c, v);
			rc = dxt_buf_putc(&c->vals, (char)v);
			break;
		}
		case DXT_TYPE_INT8:
		case DXT_TYPE_INT16:
		case DXT_TYPE_INT32:
		case DXT_TYPE_DATE: {
			int32_t v = (int32_t)dxt_col_int(col, i);
			stat_int(c, v);
			rc = add_plain(w, c, &v, 4);
			break;
		}
		case DXT_TYPE_INT64:
		case DXT_TYPE_TIME:
		case DXT_TYPE_TIMESTAMP:
		case DXT_TYPE_TIMESTAMPTZ: {
			int64_t v = dxt_col_i64(col, i);
			stat_int(c, v);
			rc = add_plain(w, c, &v, 8);
			break;
		}
		case DXT_TYPE_FLOAT32: {
			float v = dxt_col_f32(col, i);
			stat_float(c, v);
			rc = dxt_buf_append(&c->vals, &v, 4);
			break;
		}
		case DXT_TYPE_FLOAT64: {
			double v = dxt_col_f64(col, i);
			stat_float(c, v);
			rc = dxt_buf_append(&c->vals, &v, 8);
			break;
		}
		case DXT_TYPE_DECIMAL: {
			__int128 v = dxt_col_dec(col, i);
			if (c->phys == DXT_PQ_INT32) {
				int32_t x = (int32_t)v;
				stat_int(c, x);
				rc = add_plain(w, c, &x, 4);
			} else if (c->phys == DXT_PQ_INT64) {
				int64_t x = (int64_t)v;
				stat_int(c, x);
				rc = add_plain(w, c, &x, 8);
			} else {
				uint8_t be[16];
				stat_dec(c, v);
				dec_be(v, be, c->width);
				rc = add_plain(w, c, be, (size_t)c->width);
			}
			break;
		}
		case DXT_TYPE_STRING:
		case DXT_TYPE_BINARY:
		case DXT_TYPE_JSON: {
			size_t n;
			const uint8_t *p = dxt_col_bytes(col, i, &n);
			stat_bytes(c, p, n);
			rc = add_plain(w, c, p, n);
			break;
		}
		case DXT_TYPE_UUID: {
			const uint8_t *p = dxt_col_uuid(col, i);
			stat_bytes(c, p, 16);
			rc = add_plain(w, c, p, 16);
			break;
		}
		case DXT_TYPE_NULL:
		case DXT_TYPE__COUNT:
			break;
		}
		if (rc != DXT_OK)
			return oom(err);
next:
		if (page_bytes(c) >= w->o.page_bytes ||
		    c->page_values >= (1u << 20)) {
			rc = flush_page(w, c, err);
			if (rc != DXT_OK)
				return rc;
		}
	}
	return DXT_OK;
}

/* --- row groups ----------------------------------------------------------- */

static size_t rg_estimate(const struct dxt_pq_writer *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->schema->n; i++) {
		const struct pq_col *c = &w->cols[i];
		n += (size_t)c->chunk_raw + c->vals.len + c->idx.len / 4 +
		     c->dict.len;
	}
	return n;
}

static int encodings_of(const struct pq_col *c, struct dxt_pq_column_meta *m)
{
	int32_t e[3];
	size_t n = 0;

	if (c->dict_used || c->used_plain || c->chunk_values == 0)
		e[n++] = DXT_PQ_PLAIN;
	e[n++] = DXT_PQ_RLE;
	if (c->dict_used)
		e[n++] = DXT_PQ_RLE_DICTIONARY;
	m->encodings = malloc(n * sizeof(int32_t));
	if (m->encodings == NULL)
		return DXT_ENOMEM;
	memcpy(m->encodings, e, n * sizeof(int32_t));
	m->n_encodings = n;
	return DXT_OK;
}

static int chunk_meta(struct pq_col *c, struct dxt_pq_column_chunk *cc,
		      int64_t dict_off, int64_t data_off, int64_t total,
		      int64_t raw, enum dxt_pq_codec codec)
{
	struct dxt_pq_column_meta *m = &cc->meta;

	cc->file_offset = data_off;
	cc->has_meta = 1;
	m->type = c->phys;
	m->codec = codec;
	m->num_values = c->chunk_values;
	m->total_compressed_size = total;
	m->total_uncompressed_size = raw;
	m->data_page_offset = data_off;
	if (dict_off >= 0) {
		m->has_dictionary_page_offset = 1;
		m->dictionary_page_offset = dict_off;
	}
	m->path = calloc(1, sizeof(char *));
	if (m->path == NULL)
		return DXT_ENOMEM;
	m->n_path = 1;
	m->path[0] = dup_str(c->f->name);
	if (m->path[0] == NULL || encodings_of(c, m) != DXT_OK)
		return DXT_ENOMEM;
	m->has_stats = 1;
	m->stats.has_null_count = 1;
	m->stats.null_count = c->nulls;
	if (c->has_mm && !c->bytes_too_long && c->sk != ST_NONE) {
		if (stat_value(c, 0, &m->stats.min_value,
			       &m->stats.min_len) != DXT_OK ||
		    stat_value(c, 1, &m->stats.max_value,
			       &m->stats.max_len) != DXT_OK)
			return DXT_ENOMEM;
		m->stats.has_min = m->stats.has_max = 1;
	}
	return DXT_OK;
}

static int flush_row_group(struct dxt_pq_writer *w, struct dxt_error *err)
{
	struct dxt_pq_file_meta *fm = &w->fm;
	struct dxt_pq_row_group *rg;
	int64_t start = (int64_t)w->off, rg_raw = 0;
	int rc;

	if (w->rg_rows == 0)
		return DXT_OK;
	if (fm->n_row_groups == w->rg_cap) {
		size_t nc = w->rg_cap ? w->rg_cap * 2 : 8;
		struct dxt_pq_row_group *n =
			realloc(fm->row_groups, nc * sizeof(*n));
		if (n == NULL)
			return oom(err);
		fm->row_groups = n;
		w->rg_cap = nc;
	}
	rg = &fm->row_groups[fm->n_row_groups++];
	memset(rg, 0, sizeof(*rg));
	rg->columns = calloc(w->schema->n, sizeof(*rg->columns));
	if (rg->columns == NULL)
		return oom(err);
	rg->n_columns = w->schema->n;
	rg->num_rows = (int64_t)w->rg_rows;

	for (size_t i = 0; i < w->schema->n; i++) {
		struct pq_col *c = &w->cols[i];
		int64_t col_start = (int64_t)w->off, dict_off = -1;

		rc = flush_page(w, c, err);
		if (rc != DXT_OK)
			return rc;
		if (c->dict_used) {
			struct dxt_pq_page_header h;
			struct dxt_buf page = {0};

			memset(&h, 0, sizeof(h));
			w->zbuf.len = 0;
			rc = dxt_pq_compress(w->codec, w->o.codec, w->o.level,
					     c->dict.data, c->dict.len,
					     &w->zbuf, err);
			if (rc != DXT_OK)
				return rc;
			h.type = DXT_PQ_DICTIONARY_PAGE;
			h.uncompressed_size = (int32_t)c->dict.len;
			h.compressed_size = (int32_t)w->zbuf.len;
			h.dict.num_values = (int32_t)c->n_dict;
			h.dict.encoding = DXT_PQ_PLAIN;
			if (append_page(w, c, &h, w->zbuf.data, w->zbuf.len,
					&page) != DXT_OK) {
				dxt_buf_free(&page);
				return oom(err);
			}
			dict_off = col_start;
			rc = put(w, page.data, page.len, err);
			dxt_buf_free(&page);
			if (rc != DXT_OK)
				return rc;
		}
		{
			int64_t data_off = (int64_t)w->off;

			rc = put(w, c->chunk.data, c->chunk.len, err);
			if (rc != DXT_OK)
				return rc;
			if (chunk_meta(c, &rg->columns[i], dict_off, data_off,
				       (int64_t)w->off - col_start,
				       c->chunk_raw, w->o.codec) != DXT_OK)
				return oom(err);
		}
		rg_raw += c->chunk_raw;
		/* Ready for the next row group. */
		c->chunk.len = 0;
		c->chunk_raw = 0;
		c->chunk_values = 0;
		c->dict_used = 0;
		c->used_plain = 0;
		c->dict_on = c->try_dict;
		c->rg_values = 0;
		dict_reset(c);
		c->nulls = 0;
		c->has_mm = 0;
		c->bytes_too_long = 0;
	}
	rg->total_byte_size = rg_raw;
	rg->has_file_offset = 1;
	rg->file_offset = start;
	rg->has_total_compressed_size = 1;
	rg->total_compressed_size = (int64_t)w->off - start;
	fm->num_rows += (int64_t)w->rg_rows;
	w->rg_rows = 0;
	return DXT_OK;
}

/* --- API ------------------------------------------------------------------ */

int dxt_pq_writer_open(const struct dxt_schema *schema,
		       const struct dxt_pq_write_opts *opts,
		       dxt_write_fn write, void *write_ctx,
		       struct dxt_pq_writer **out, struct dxt_error *err)
{
	struct dxt_pq_writer *w;
	int rc;

	*out = NULL;
	if (!dxt_pq_codec_can_write(opts->codec))
		return dxt_error_set(err, DXT_EINVAL,
				     "parquet: cannot write codec %s; use "
				     "none, snappy, gzip or zstd",
				     dxt_pq_codec_name(opts->codec)
					     ? dxt_pq_codec_name(opts->codec)
					     : "(unknown)");
	if (opts->page_version != 0 && opts->page_version != 1 &&
	    opts->page_version != 2)
		return dxt_error_set(err, DXT_EINVAL,
				     "parquet: page version %d is not 1 or 2",
				     opts->page_version);
	if (schema->n == 0)
		return dxt_error_set(err, DXT_EINVAL,
				     "parquet: a file needs at least one "
				     "column");
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return oom(err);
	w->schema = schema;
	w->o = *opts;
	w->o.kv_keys = NULL;
	w->o.kv_values = NULL;
	if (w->o.page_version == 0)
		w->o.page_version = 1;
	if (w->o.row_group_rows == 0)
		w->o.row_group_rows = DXT_PQ_DEFAULT_ROW_GROUP_ROWS;
	if (w->o.row_group_bytes == 0)
		w->o.row_group_bytes = DXT_PQ_DEFAULT_ROW_GROUP_BYTES;
	if (w->o.page_bytes == 0)
		w->o.page_bytes = DXT_PQ_DEFAULT_PAGE_BYTES;
	if (w->o.dict_bytes == 0)
		w->o.dict_bytes = DXT_PQ_DEFAULT_DICT_BYTES;
	w->write = write;
	w->write_ctx = write_ctx;
	w->cols = calloc(schema->n, sizeof(*w->cols));
	w->codec = dxt_pq_codec_ctx_new();
	if (w->cols == NULL || w->codec == NULL) {
		dxt_pq_writer_abort(w);
		return oom(err);
	}
	rc = build_schema(w, err);
	if (rc == DXT_OK)
		rc = build_kv(w, opts, err);
	for (size_t i = 0; rc == DXT_OK && i < schema->n; i++)
		w->cols[i].dict_on = w->cols[i].try_dict;
	if (rc == DXT_OK)
		rc = put(w, "PAR1", 4, err);
	if (rc != DXT_OK) {
		dxt_pq_writer_abort(w);
		return rc;
	}
	*out = w;
	return DXT_OK;
}

int dxt_pq_writer_write(struct dxt_pq_writer *w, const struct dxt_batch *b,
			struct dxt_error *err)
{
	size_t a = 0;

	while (a < b->nrows) {
		size_t n = b->nrows - a;
		size_t room = w->o.row_group_rows - w->rg_rows;
		int rc;

		if (n > room)
			n = room;
		/* Bound by bytes too: slices of at most 8192 rows let the
		 * estimate catch up with wide rows. */
		if (n > 8192)
			n = 8192;
		for (size_t i = 0; i < w->schema->n; i++) {
			rc = add_column(w, &w->cols[i], &b->cols[i], a, a + n,
					err);
			if (rc != DXT_OK)
				return rc;
		}
		w->rg_rows += n;
		w->rows += n;
		a += n;
		if (w->rg_rows >= w->o.row_group_rows ||
		    rg_estimate(w) >= w->o.row_group_bytes) {
			rc = flush_row_group(w, err);
			if (rc != DXT_OK)
				return rc;
		}
	}
	return DXT_OK;
}

uint64_t dxt_pq_writer_rows(const struct dxt_pq_writer *w)
{
	return w->rows;
}

uint64_t dxt_pq_writer_bytes(const struct dxt_pq_writer *w)
{
	return w->off;
}

int dxt_pq_writer_close(struct dxt_pq_writer *w, struct dxt_error *err)
{
	struct dxt_buf foot = {0};
	uint32_t len;
	int rc = flush_row_group(w, err);

	if (rc == DXT_OK && dxt_pq_file_meta_write(&foot, &w->fm) != DXT_OK)
		rc = oom(err);
	if (rc == DXT_OK)
		rc = put(w, foot.data, foot.len, err);
	len = (uint32_t)foot.len;
	if (rc == DXT_OK)
		rc = put(w, &len, 4, err);
	if (rc == DXT_OK)
		rc = put(w, "PAR1", 4, err);
	dxt_buf_free(&foot);
	dxt_pq_writer_abort(w);
	return rc;
}

void dxt_pq_writer_abort(struct dxt_pq_writer *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; w->cols != NULL && i < w->schema->n; i++) {
		struct pq_col *c = &w->cols[i];

		dxt_buf_free(&c->vals);
		dxt_buf_free(&c->defs);
		dxt_buf_free(&c->idx);
		dxt_buf_free(&c->dict);
		dxt_buf_free(&c->dict_off);
		dxt_buf_free(&c->chunk);
		free(c->slots);
	}
	free(w->cols);
	dxt_pq_codec_ctx_free(w->codec);
	dxt_buf_free(&w->page);
	dxt_buf_free(&w->zbuf);
	dxt_buf_free(&w->hdr);
	dxt_buf_free(&w->lvl);
	dxt_pq_file_meta_free(&w->fm);
	free(w);
}
