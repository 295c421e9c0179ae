/*
 * parquet_meta.c - Parquet page headers over the Thrift compact protocol.
 */
#include "parquet_meta.h"

#include <string.h>

static void put_i32(struct dxt_thrift_writer *w, int16_t id, int32_t v)
{
	dxt_thrift_field(w, DXT_THRIFT_I32, id);
	dxt_thrift_write_i32(w, v);
}

static void write_stats(struct dxt_thrift_writer *w, int16_t id,
			const struct dxt_pq_stats *s)
{
	dxt_thrift_field(w, DXT_THRIFT_STRUCT, id);
	dxt_thrift_struct_begin(w);
	if (s->has_null_count) {
		dxt_thrift_field(w, DXT_THRIFT_I64, 3);
		dxt_thrift_write_i64(w, s->null_count);
	}
	if (s->has_max) {
		dxt_thrift_field(w, DXT_THRIFT_BINARY, 5);
		dxt_thrift_write_binary(w, s->max_value, s->max_len);
	}
	if (s->has_min) {
		dxt_thrift_field(w, DXT_THRIFT_BINARY, 6);
		dxt_thrift_write_binary(w, s->min_value, s->min_len);
	}
	dxt_thrift_struct_end(w);
}

int dxt_pq_page_header_write(struct dxt_buf *out,
			     const struct dxt_pq_page_header *h)
{
	struct dxt_thrift_writer w;

	if (h->type != DXT_PQ_DATA_PAGE && h->type != DXT_PQ_DATA_PAGE_V2 &&
	    h->type != DXT_PQ_DICTIONARY_PAGE)
		return DXT_EINVAL;
	dxt_thrift_writer_init(&w, out);
	put_i32(&w, 1, (int32_t)h->type);
	put_i32(&w, 2, h->uncompressed_size);
	put_i32(&w, 3, h->compressed_size);
	if (h->has_crc)
		put_i32(&w, 4, h->crc);
	if (h->type == DXT_PQ_DATA_PAGE) {
		dxt_thrift_field(&w, DXT_THRIFT_STRUCT, 5);
		dxt_thrift_struct_begin(&w);
		put_i32(&w, 1, h->data.num_values);
		put_i32(&w, 2, h->data.encoding);
		put_i32(&w, 3, h->data.def_level_encoding);
		put_i32(&w, 4, h->data.rep_level_encoding);
		if (h->data.has_stats)
			write_stats(&w, 5, &h->data.stats);
		dxt_thrift_struct_end(&w);
	} else if (h->type == DXT_PQ_DICTIONARY_PAGE) {
		dxt_thrift_field(&w, DXT_THRIFT_STRUCT, 7);
		dxt_thrift_struct_begin(&w);
		put_i32(&w, 1, h->dict.num_values);
		put_i32(&w, 2, h->dict.encoding);
		if (h->dict.has_is_sorted)
			dxt_thrift_field_bool(&w, 3, h->dict.is_sorted);
		dxt_thrift_struct_end(&w);
	} else {
		dxt_thrift_field(&w, DXT_THRIFT_STRUCT, 8);
		dxt_thrift_struct_begin(&w);
		put_i32(&w, 1, h->data_v2.num_values);
		put_i32(&w, 2, h->data_v2.num_nulls);
		put_i32(&w, 3, h->data_v2.num_rows);
		put_i32(&w, 4, h->data_v2.encoding);
		put_i32(&w, 5, h->data_v2.def_levels_len);
		put_i32(&w, 6, h->data_v2.rep_levels_len);
		dxt_thrift_field_bool(&w, 7, h->data_v2.is_compressed);
		if (h->data_v2.has_stats)
			write_stats(&w, 8, &h->data_v2.stats);
		dxt_thrift_struct_end(&w);
	}
	return dxt_thrift_struct_end(&w);
}

static int missing(struct dxt_thrift_reader *r, const char *what)
{
	return dxt_error_set(r->err, DXT_EPARSE,
			     "%s: byte %zu: page header lacks the required "
			     "field %s; the file is corrupt",
			     r->what, r->pos, what);
}

static int read_stats(struct dxt_thrift_reader *r, struct dxt_pq_stats *s)
{
	enum dxt_thrift_type t;
	int16_t id;
	int rc;

	memset(s, 0, sizeof(*s));
	if (dxt_thrift_read_struct_begin(r) != DXT_OK)
		return DXT_EPARSE;
	for (;;) {
		if (dxt_thrift_read_field(r, &t, &id) != DXT_OK)
			return DXT_EPARSE;
		if (t == DXT_THRIFT_STOP)
			break;
		if (id == 3 && t == DXT_THRIFT_I64) {
			rc = dxt_thrift_read_i64(r, &s->null_count);
			s->has_null_count = 1;
		} else if (id == 5 && t == DXT_THRIFT_BINARY) {
			rc = dxt_thrift_read_binary(r, &s->max_value,
						    &s->max_len);
			s->has_max = 1;
		} else if (id == 6 && t == DXT_THRIFT_BINARY) {
			rc = dxt_thrift_read_binary(r, &s->min_value,
						    &s->min_len);
			s->has_min = 1;
		} else {
			rc = dxt_thrift_skip(r, t);
		}
		if (rc != DXT_OK)
			return DXT_EPARSE;
	}
	return dxt_thrift_read_struct_end(r);
}

/*
 * Reads one sub-header struct; seen collects a bit per i32 field id so the
 * caller can check the required ones.
 */
static int read_sub(struct dxt_thrift_reader *r, struct dxt_pq_page_header *h,
		    int which, unsigned *seen)
{
	enum dxt_thrift_type t;
	int32_t *slot;
	int16_t id;
	int rc;

	*seen = 0;
	if (dxt_thrift_read_struct_begin(r) != DXT_OK)
		return DXT_EPARSE;
	for (;;) {
		if (dxt_thrift_read_field(r, &t, &id) != DXT_OK)
			return DXT_EPARSE;
		if (t == DXT_THRIFT_STOP)
			break;
		slot = NULL;
		if (which == 5) {
			int32_t *f[] = { &h->data.num_values,
					 &h->data.encoding,
					 &h->data.def_level_encoding,
					 &h->data.rep_level_encoding };
			if (id >= 1 && id <= 4)
				slot = f[id - 1];
			else if (id == 5 && t == DXT_THRIFT_STRUCT) {
				h->data.has_stats = 1;
				if (read_stats(r, &h->data.stats) != DXT_OK)
					return DXT_EPARSE;
				continue;
			}
		} else if (which == 7) {
			if (id == 1)
				slot = &h->dict.num_values;
			else if (id == 2)
				slot = &h->dict.encoding;
			else if (id == 3 && (t == DXT_THRIFT_TRUE ||
					     t == DXT_THRIFT_FALSE)) {
				h->dict.has_is_sorted = 1;
				dxt_thrift_read_bool(r, t, &h->dict.is_sorted);
				continue;
			}
		} else {
			int32_t *f[] = { &h->data_v2.num_values,
					 &h->data_v2.num_nulls,
					 &h->data_v2.num_rows,
					 &h->data_v2.encoding,
					 &h->data_v2.def_levels_len,
					 &h->data_v2.rep_levels_len };
			if (id >= 1 && id <= 6)
				slot = f[id - 1];
			else if (id == 7 && (t == DXT_THRIFT_TRUE ||
					     t == DXT_THRIFT_FALSE)) {
				dxt_thrift_read_bool(r, t,
						     &h->data_v2.is_compressed);
				continue;
			} else if (id == 8 && t == DXT_THRIFT_STRUCT) {
				h->data_v2.has_stats = 1;
				if (read_stats(r, &h->data_v2.stats) != DXT_OK)
					return DXT_EPARSE;
				continue;
			}
		}
		if (slot && t == DXT_THRIFT_I32) {
			rc = dxt_thrift_read_i32(r, slot);
			*seen |= 1u << id;
		} else {
			rc = dxt_thrift_skip(r, t);
		}
		if (rc != DXT_OK)
			return DXT_EPARSE;
	}
	return dxt_thrift_read_struct_end(r);
}

int dxt_pq_page_header_read(const void *p, size_t len, const char *what,
			    struct dxt_pq_page_header *h, size_t *used,
			    struct dxt_error *err)
{
	struct dxt_thrift_reader r;
	enum dxt_thrift_type t;
	unsigned seen = 0, sub_seen[9] = { 0 };
	int32_t type = -1;
	int16_t id;
	int rc, sub = 0;

	memset(h, 0, sizeof(*h));
	h->data_v2.is_compressed = 1;
	dxt_thrift_reader_init(&r, p, len, what, err);
	for (;;) {
		if (dxt_thrift_read_field(&r, &t, &id) != DXT_OK)
			return DXT_EPARSE;
		if (t == DXT_THRIFT_STOP)
			break;
		if (id >= 1 && id <= 4 && t == DXT_THRIFT_I32) {
			int32_t *f[] = { &type, &h->uncompressed_size,
					 &h->compressed_size, &h->crc };
			rc = dxt_thrift_read_i32(&r, f[id - 1]);
			seen |= 1u << id;
		} else if ((id == 5 || id == 7 || id == 8) &&
			   t == DXT_THRIFT_STRUCT) {
			rc = read_sub(&r, h, id, &sub_seen[id]);
			sub |= 1 << id;
		} else {
			rc = dxt_thrift_skip(&r, t);
		}
		if (rc != DXT_OK)
			return DXT_EPARSE;
	}
	h->has_crc = (seen >> 4) & 1;
	if ((seen & 0xe) != 0xe)
		return missing(&r, "type, uncompressed_page_size or "
				   "compressed_page_size");
	if (type == DXT_PQ_DATA_PAGE) {
		if (!(sub & 1 << 5) || (sub_seen[5] & 0x1e) != 0x1e)
			return missing(&r, "data_page_header");
	} else if (type == DXT_PQ_DICTIONARY_PAGE) {
		if (!(sub & 1 << 7) || (sub_seen[7] & 0x6) != 0x6)
			return missing(&r, "dictionary_page_header");
	} else if (type == DXT_PQ_DATA_PAGE_V2) {
		if (!(sub & 1 << 8) || (sub_seen[8] & 0x7e) != 0x7e)
			return missing(&r, "data_page_header_v2");
	} else if (type != DXT_PQ_INDEX_PAGE) {
		return dxt_error_set(err, DXT_EPARSE,
				     "%s: page type %d is unknown; the file "
				     "is corrupt or from a newer writer",
				     what, (int)type);
	}
	h->type = (enum dxt_pq_page_type)type;
	*used = r.pos;
	return DXT_OK;
}

/* --- names ------------------------------------------------------------------ */

static const char *name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return NULL;
	return names[v];
}

const char *dxt_pq_physical_name(int type)
{
	static const char *const names[] = {
		"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE",
		"BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY",
	};

	return name_of(names, sizeof(names) / sizeof(names[0]), type);
}

const char *dxt_pq_codec_name(int codec)
{
	static const char *const names[] = {
		"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4",
		"ZSTD", "LZ4_RAW",
	};

	return name_of(names, sizeof(names) / sizeof(names[0]), codec);
}

const char *dxt_pq_encoding_name(int encoding)
{
	/* Value 1 was GROUP_VAR_INT, never used in files. */
	static const char *const names[] = {
		"PLAIN", NULL, "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
		"DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
		"DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT",
	};

	return name_of(names, sizeof(names) / sizeof(names[0]), encoding);
}
