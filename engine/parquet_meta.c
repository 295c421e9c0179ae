/*
 * parquet_meta.c - Parquet page headers and the file footer over the Thrift
 * compact protocol.
 */
#include "parquet_meta.h"

#include <stdlib.h>
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

static bool is_bool(enum dxt_thrift_type t)
{
	return t == DXT_THRIFT_TRUE || t == DXT_THRIFT_FALSE;
}

static int stats_field(struct dxt_thrift_reader *r, enum dxt_thrift_type t,
		       int16_t id, void *ctx)
{
	struct dxt_pq_stats *s = ctx;

	if (id == 3 && t == DXT_THRIFT_I64) {
		s->has_null_count = 1;
		return dxt_thrift_read_i64(r, &s->null_count);
	}
	if (id == 5 && t == DXT_THRIFT_BINARY) {
		s->has_max = 1;
		return dxt_thrift_read_binary(r, &s->max_value, &s->max_len);
	}
	if (id == 6 && t == DXT_THRIFT_BINARY) {
		s->has_min = 1;
		return dxt_thrift_read_binary(r, &s->min_value, &s->min_len);
	}
	return DXT_THRIFT_SKIP;
}

static int read_stats(struct dxt_thrift_reader *r, struct dxt_pq_stats *s)
{
	memset(s, 0, sizeof(*s));
	return dxt_thrift_read_struct(r, false, stats_field, s);
}

/* A page header being read: the sub-header fields go to h; seen collects
 * a bit per i32 field id, of the header and of each sub-header, so that
 * the required ones can be checked. */
struct header_read {
	struct dxt_pq_page_header *h;
	int32_t type;
	int which;              /* the sub-header being read: 5, 7 or 8 */
	unsigned seen, sub_seen[9];
};

/* The i32 slot of sub-header field `id`, or NULL. */
static int32_t *sub_slot(struct dxt_pq_page_header *h, int which, int16_t id)
{
	if (which == 5) {
		int32_t *f[] = { &h->data.num_values, &h->data.encoding,
				 &h->data.def_level_encoding,
				 &h->data.rep_level_encoding };
		return id >= 1 && id <= 4 ? f[id - 1] : NULL;
	}
	if (which == 7) {
		int32_t *f[] = { &h->dict.num_values, &h->dict.encoding };
		return id >= 1 && id <= 2 ? f[id - 1] : NULL;
	}
	{
		int32_t *f[] = { &h->data_v2.num_values,
				 &h->data_v2.num_nulls, &h->data_v2.num_rows,
				 &h->data_v2.encoding,
				 &h->data_v2.def_levels_len,
				 &h->data_v2.rep_levels_len };
		return id >= 1 && id <= 6 ? f[id - 1] : NULL;
	}
}

static int sub_field(struct dxt_thrift_reader *r, enum dxt_thrift_type t,
		     int16_t id, void *ctx)
{
	struct header_read *hr = ctx;
	struct dxt_pq_page_header *h = hr->h;
	int32_t *slot = sub_slot(h, hr->which, id);

	if (slot != NULL && t == DXT_THRIFT_I32) {
		hr->sub_seen[hr->which] |= 1u << id;
		return dxt_thrift_read_i32(r, slot);
	}
	if (hr->which == 5 && id == 5 && t == DXT_THRIFT_STRUCT) {
		h->data.has_stats = 1;
		return read_stats(r, &h->data.stats);
	}
	if (hr->which == 7 && id == 3 && is_bool(t)) {
		h->dict.has_is_sorted = 1;
		return dxt_thrift_read_bool(r, t, &h->dict.is_sorted);
	}
	if (hr->which == 8 && id == 7 && is_bool(t))
		return dxt_thrift_read_bool(r, t, &h->data_v2.is_compressed);
	if (hr->which == 8 && id == 8 && t == DXT_THRIFT_STRUCT) {
		h->data_v2.has_stats = 1;
		return read_stats(r, &h->data_v2.stats);
	}
	return DXT_THRIFT_SKIP;
}

static int header_field(struct dxt_thrift_reader *r, enum dxt_thrift_type t,
			int16_t id, void *ctx)
{
	struct header_read *hr = ctx;

	if (id >= 1 && id <= 4 && t == DXT_THRIFT_I32) {
		int32_t *f[] = { &hr->type, &hr->h->uncompressed_size,
				 &hr->h->compressed_size, &hr->h->crc };

		hr->seen |= 1u << id;
		return dxt_thrift_read_i32(r, f[id - 1]);
	}
	if ((id == 5 || id == 7 || id == 8) && t == DXT_THRIFT_STRUCT) {
		hr->which = id;
		hr->seen |= 1u << id;
		hr->sub_seen[id] = 0;
		return dxt_thrift_read_struct(r, false, sub_field, hr) ==
			       DXT_OK ? DXT_OK : DXT_EPARSE;
	}
	return DXT_THRIFT_SKIP;
}

int dxt_pq_page_header_read(const void *p, size_t len, const char *what,
			    struct dxt_pq_page_header *h, size_t *used,
			    struct dxt_error *err)
{
	struct dxt_thrift_reader r;
	struct header_read hr = { .h = h, .type = -1 };
	unsigned *sub_seen = hr.sub_seen;
	int32_t type;

	memset(h, 0, sizeof(*h));
	h->data_v2.is_compressed = 1;
	dxt_thrift_reader_init(&r, p, len, what, err);
	if (dxt_thrift_read_struct(&r, true, header_field, &hr) != DXT_OK)
		return DXT_EPARSE;
	type = hr.type;
	h->has_crc = (hr.seen >> 4) & 1;
	if ((hr.seen & 0xe) != 0xe)
		return missing(&r, "type, uncompressed_page_size or "
				   "compressed_page_size");
	if (type == DXT_PQ_DATA_PAGE) {
		if (!(hr.seen & 1u << 5) || (sub_seen[5] & 0x1e) != 0x1e)
			return missing(&r, "data_page_header");
	} else if (type == DXT_PQ_DICTIONARY_PAGE) {
		if (!(hr.seen & 1u << 7) || (sub_seen[7] & 0x6) != 0x6)
			return missing(&r, "dictionary_page_header");
	} else if (type == DXT_PQ_DATA_PAGE_V2) {
		if (!(hr.seen & 1u << 8) || (sub_seen[8] & 0x7e) != 0x7e)
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

/* --- file footer: writing ------------------------------------------------- */

static void put_i64(struct dxt_thrift_writer *w, int16_t id, int64_t v)
{
	dxt_thrift_field(w, DXT_THRIFT_I64, id);
	dxt_thrift_write_i64(w, v);
}

static void put_str(struct dxt_thrift_writer *w, int16_t id, const char *s)
{
	dxt_thrift_field(w, DXT_THRIFT_BINARY, id);
	dxt_thrift_write_string(w, s ? s : "");
}

/* An empty struct as a field: the members of LogicalType and TimeUnit. */
static void put_empty(struct dxt_thrift_writer *w, int16_t id)
{
	dxt_thrift_field(w, DXT_THRIFT_STRUCT, id);
	dxt_thrift_struct_begin(w);
	dxt_thrift_struct_end(w);
}

/* LogicalType (SchemaElement field 10): a union holding one struct. */
static void write_logical(struct dxt_thrift_writer *w,
			  const struct dxt_pq_logical *lt)
{
	dxt_thrift_field(w, DXT_THRIFT_STRUCT, 10);
	dxt_thrift_struct_begin(w);
	dxt_thrift_field(w, DXT_THRIFT_STRUCT, (int16_t)lt->kind);
	dxt_thrift_struct_begin(w);
	switch (lt->kind) {
	case DXT_PQ_LT_DECIMAL:
		put_i32(w, 1, lt->scale);
		put_i32(w, 2, lt->precision);
		break;
	case DXT_PQ_LT_TIME:
	case DXT_PQ_LT_TIMESTAMP:
		dxt_thrift_field_bool(w, 1, lt->is_adjusted_to_utc);
		dxt_thrift_field(w, DXT_THRIFT_STRUCT, 2);
		dxt_thrift_struct_begin(w);
		put_empty(w, (int16_t)lt->unit);
		dxt_thrift_struct_end(w);
		break;
	case DXT_PQ_LT_INTEGER:
		dxt_thrift_field(w, DXT_THRIFT_I8, 1);
		dxt_thrift_write_i8(w, lt->bit_width);
		dxt_thrift_field_bool(w, 2, lt->is_signed);
		break;
	default:
		break;
	}
	dxt_thrift_struct_end(w);
	dxt_thrift_struct_end(w);
}

static void write_schema_elem(struct dxt_thrift_writer *w,
			      const struct dxt_pq_schema_elem *e)
{
	dxt_thrift_struct_begin(w);
	if (e->has_type) {
		put_i32(w, 1, (int32_t)e->type);
		if (e->type == DXT_PQ_FIXED_LEN_BYTE_ARRAY)
			put_i32(w, 2, e->type_length);
	}
	if (e->has_repetition)
		put_i32(w, 3, (int32_t)e->repetition);
	put_str(w, 4, e->name);
	/* Groups (the root included) always say how many children they
	 * have; leaves never do. */
	if (!e->has_type)
		put_i32(w, 5, e->num_children);
	if (e->has_converted) {
		put_i32(w, 6, (int32_t)e->converted);
		if (e->converted == DXT_PQ_CT_DECIMAL) {
			put_i32(w, 7, e->scale);
			put_i32(w, 8, e->precision);
		}
	}
	if (e->has_field_id)
		put_i32(w, 9, e->field_id);
	if (e->logical.kind != DXT_PQ_LT_NONE)
		write_logical(w, &e->logical);
	dxt_thrift_struct_end(w);
}

static void write_col_stats(struct dxt_thrift_writer *w,
			    const struct dxt_pq_col_stats *s)
{
	dxt_thrift_field(w, DXT_THRIFT_STRUCT, 12);
	dxt_thrift_struct_begin(w);
	if (s->has_null_count)
		put_i64(w, 3, s->null_count);
	if (s->has_distinct_count)
		put_i64(w, 4, s->distinct_count);
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

static void write_column_meta(struct dxt_thrift_writer *w,
			      const struct dxt_pq_column_meta *m)
{
	dxt_thrift_field(w, DXT_THRIFT_STRUCT, 3);
	dxt_thrift_struct_begin(w);
	put_i32(w, 1, (int32_t)m->type);
	dxt_thrift_field(w, DXT_THRIFT_LIST, 2);
	dxt_thrift_list_begin(w, DXT_THRIFT_I32, (uint32_t)m->n_encodings);
	for (size_t i = 0; i < m->n_encodings; i++)
		dxt_thrift_write_i32(w, m->encodings[i]);
	dxt_thrift_field(w, DXT_THRIFT_LIST, 3);
	dxt_thrift_list_begin(w, DXT_THRIFT_BINARY, (uint32_t)m->n_path);
	for (size_t i = 0; i < m->n_path; i++)
		dxt_thrift_write_string(w, m->path[i] ? m->path[i] : "");
	put_i32(w, 4, (int32_t)m->codec);
	put_i64(w, 5, m->num_values);
	put_i64(w, 6, m->total_uncompressed_size);
	put_i64(w, 7, m->total_compressed_size);
	put_i64(w, 9, m->data_page_offset);
	if (m->has_index_page_offset)
		put_i64(w, 10, m->index_page_offset);
	if (m->has_dictionary_page_offset)
		put_i64(w, 11, m->dictionary_page_offset);
	if (m->has_stats)
		write_col_stats(w, &m->stats);
	dxt_thrift_struct_end(w);
}

static void write_row_group(struct dxt_thrift_writer *w,
			    const struct dxt_pq_row_group *rg)
{
	dxt_thrift_struct_begin(w);
	dxt_thrift_field(w, DXT_THRIFT_LIST, 1);
	dxt_thrift_list_begin(w, DXT_THRIFT_STRUCT, (uint32_t)rg->n_columns);
	for (size_t i = 0; i < rg->n_columns; i++) {
		const struct dxt_pq_column_chunk *cc = &rg->columns[i];

		dxt_thrift_struct_begin(w);
		if (cc->file_path)
			put_str(w, 1, cc->file_path);
		put_i64(w, 2, cc->file_offset);
		if (cc->has_meta)
			write_column_meta(w, &cc->meta);
		dxt_thrift_struct_end(w);
	}
	put_i64(w, 2, rg->total_byte_size);
	put_i64(w, 3, rg->num_rows);
	if (rg->has_file_offset)
		put_i64(w, 5, rg->file_offset);
	if (rg->has_total_compressed_size)
		put_i64(w, 6, rg->total_compressed_size);
	dxt_thrift_struct_end(w);
}

int dxt_pq_file_meta_write(struct dxt_buf *out,
			   const struct dxt_pq_file_meta *fm)
{
	struct dxt_thrift_writer w;

	dxt_thrift_writer_init(&w, out);
	put_i32(&w, 1, fm->version);
	dxt_thrift_field(&w, DXT_THRIFT_LIST, 2);
	dxt_thrift_list_begin(&w, DXT_THRIFT_STRUCT, (uint32_t)fm->n_schema);
	for (size_t i = 0; i < fm->n_schema; i++)
		write_schema_elem(&w, &fm->schema[i]);
	put_i64(&w, 3, fm->num_rows);
	dxt_thrift_field(&w, DXT_THRIFT_LIST, 4);
	dxt_thrift_list_begin(&w, DXT_THRIFT_STRUCT,
			      (uint32_t)fm->n_row_groups);
	for (size_t i = 0; i < fm->n_row_groups; i++)
		write_row_group(&w, &fm->row_groups[i]);
	if (fm->n_kv) {
		dxt_thrift_field(&w, DXT_THRIFT_LIST, 5);
		dxt_thrift_list_begin(&w, DXT_THRIFT_STRUCT,
				      (uint32_t)fm->n_kv);
		for (size_t i = 0; i < fm->n_kv; i++) {
			dxt_thrift_struct_begin(&w);
			put_str(&w, 1, fm->kv[i].key);
			if (fm->kv[i].value)
				put_str(&w, 2, fm->kv[i].value);
			dxt_thrift_struct_end(&w);
		}
	}
	if (fm->created_by)
		put_str(&w, 6, fm->created_by);
	return dxt_thrift_struct_end(&w);
}

/* --- file footer: freeing ------------------------------------------------- */

static void free_column_meta(struct dxt_pq_column_meta *m)
{
	free(m->encodings);
	for (size_t i = 0; i < m->n_path; i++)
		free(m->path[i]);
	free(m->path);
	free(m->stats.min_value);
	free(m->stats.max_value);
	memset(m, 0, sizeof(*m));
}

static void free_row_group(struct dxt_pq_row_group *rg)
{
	for (size_t i = 0; i < rg->n_columns; i++) {
		free(rg->columns[i].file_path);
		free_column_meta(&rg->columns[i].meta);
	}
	free(rg->columns);
}

void dxt_pq_file_meta_free(struct dxt_pq_file_meta *fm)
{
	if (!fm)
		return;
	for (size_t i = 0; i < fm->n_schema; i++)
		free(fm->schema[i].name);
	free(fm->schema);
	for (size_t i = 0; i < fm->n_row_groups; i++)
		free_row_group(&fm->row_groups[i]);
	free(fm->row_groups);
	for (size_t i = 0; i < fm->n_kv; i++) {
		free(fm->kv[i].key);
		free(fm->kv[i].value);
	}
	free(fm->kv);
	free(fm->created_by);
	memset(fm, 0, sizeof(*fm));
}

/* --- file footer: reading ------------------------------------------------- */

/*
 * The decoder fills the caller's struct as it goes: every array is stored
 * with its count as soon as it is allocated (zeroed), so on any error
 * dxt_pq_file_meta_free() releases exactly what was built. A member that
 * owns memory and appears twice is an error rather than a leak.
 */

static int oom(struct dxt_thrift_reader *r)
{
	return dxt_error_set(r->err, DXT_ENOMEM, "%s: out of memory decoding "
			     "the Parquet footer at byte %zu", r->what,
			     r->pos);
}

static int corrupt_at(struct dxt_thrift_reader *r, size_t at,
		      const char *what, const char *why)
{
	return dxt_error_set(r->err, DXT_EPARSE, "%s: byte %zu: %s %s; the "
			     "file is corrupt", r->what, at, what, why);
}

/*
 * Checks that every field id whose bit is in `need` was seen; names[id]
 * names it in the message.
 */
static int required(struct dxt_thrift_reader *r, const char *what,
		    unsigned seen, unsigned need, const char *const *names)
{
	unsigned miss = need & ~seen;
	int id = 0;

	if (!miss)
		return DXT_OK;
	while (!(miss & 1u << id))
		id++;
	return dxt_error_set(r->err, DXT_EPARSE, "%s: byte %zu: %s lacks the "
			     "required field %s; the file is corrupt",
			     r->what, r->pos, what, names[id]);
}

/* Copies n bytes from the input into a fresh allocation (one extra byte
 * for a terminating NUL), replacing and freeing *dst. */
static int take_bytes(struct dxt_thrift_reader *r, uint8_t **dst,
		      size_t *dst_len)
{
	const uint8_t *p;
	uint8_t *copy;
	size_t n;

	if (dxt_thrift_read_binary(r, &p, &n) != DXT_OK)
		return DXT_EPARSE;
	copy = malloc(n + 1);
	if (!copy)
		return oom(r);
	if (n)
		memcpy(copy, p, n);
	copy[n] = 0;
	free(*dst);
	*dst = copy;
	if (dst_len)
		*dst_len = n;
	return DXT_OK;
}

static int take_string(struct dxt_thrift_reader *r, char **dst)
{
	return take_bytes(r, (uint8_t **)dst, NULL);
}

/*
 * Reads a list header whose elements must be `elem`, each taking at least
 * min_size bytes, and allocates count zeroed elements of `size` into *out.
 * The count is checked against the bytes left before allocating. A list
 * that already exists (a repeated field) is refused.
 */
static int take_list(struct dxt_thrift_reader *r, const char *what,
		     enum dxt_thrift_type elem, size_t min_size, size_t size,
		     void **out, size_t *count)
{
	enum dxt_thrift_type t;
	size_t start = r->pos;
	uint32_t n;

	if (*out)
		return corrupt_at(r, start, what, "appears twice");
	if (dxt_thrift_read_list_begin(r, &t, &n) != DXT_OK)
		return DXT_EPARSE;
	if (t != elem)
		return corrupt_at(r, start, what, "has the wrong element type");
	if ((uint64_t)n * min_size > r->len - r->pos)
		return corrupt_at(r, start, what, "is longer than the data "
				  "left");
	*count = 0;
	if (n == 0)
		return DXT_OK;
	*out = calloc(n, size);
	if (!*out)
		return oom(r);
	*count = n;
	return DXT_OK;
}

/*
 * Reads a list of structs into *out (count elements of `size` bytes, each
 * at least min_size bytes in the input), each element with `elem`.
 */
static int read_struct_list(struct dxt_thrift_reader *r, const char *what,
			    size_t min_size, size_t size, void **out,
			    size_t *count,
			    int (*elem)(struct dxt_thrift_reader *, void *))
{
	int rc = take_list(r, what, DXT_THRIFT_STRUCT, min_size, size, out,
			   count);

	for (size_t i = 0; rc == DXT_OK && i < *count; i++)
		rc = elem(r, (char *)*out + i * size);
	return rc;
}

/* TimeUnit is a union of empty structs: the id of the member is the unit. */
static int time_unit_field(struct dxt_thrift_reader *r,
			   enum dxt_thrift_type t, int16_t id, void *ctx)
{
	(void)r;
	if (t == DXT_THRIFT_STRUCT)
		*(enum dxt_pq_time_unit *)ctx = (enum dxt_pq_time_unit)id;
	return DXT_THRIFT_SKIP;
}

/* The parameters of one LogicalType member (DecimalType, TimeType,
 * TimestampType, IntType); the other members are empty structs. */
static int logical_member_field(struct dxt_thrift_reader *r,
				enum dxt_thrift_type t, int16_t id, void *ctx)
{
	struct dxt_pq_logical *lt = ctx;
	bool timeish = lt->kind == DXT_PQ_LT_TIME ||
		       lt->kind == DXT_PQ_LT_TIMESTAMP;

	if (lt->kind == DXT_PQ_LT_DECIMAL && id == 1 && t == DXT_THRIFT_I32)
		return dxt_thrift_read_i32(r, &lt->scale);
	if (lt->kind == DXT_PQ_LT_DECIMAL && id == 2 && t == DXT_THRIFT_I32)
		return dxt_thrift_read_i32(r, &lt->precision);
	if (timeish && id == 1 && is_bool(t))
		return dxt_thrift_read_bool(r, t, &lt->is_adjusted_to_utc);
	if (timeish && id == 2 && t == DXT_THRIFT_STRUCT)
		return dxt_thrift_read_struct(r, false, time_unit_field,
					      &lt->unit);
	if (lt->kind == DXT_PQ_LT_INTEGER && id == 1 && t == DXT_THRIFT_I8)
		return dxt_thrift_read_i8(r, &lt->bit_width);
	if (lt->kind == DXT_PQ_LT_INTEGER && id == 2 && is_bool(t))
		return dxt_thrift_read_bool(r, t, &lt->is_signed);
	return DXT_THRIFT_SKIP;
}

/*
 * LogicalType is a union: the id of its one struct member is the kind. A
 * member this decoder does not know is kept as its id, so the reader can
 * name it when it refuses the column.
 */
static int logical_field(struct dxt_thrift_reader *r, enum dxt_thrift_type t,
			 int16_t id, void *ctx)
{
	struct dxt_pq_logical *lt = ctx;

	if (t != DXT_THRIFT_STRUCT || id <= 0)
		return DXT_THRIFT_SKIP;
	memset(lt, 0, sizeof(*lt));
	lt->kind = (enum dxt_pq_logical_kind)id;
	return dxt_thrift_read_struct(r, false, logical_member_field, lt) ==
		       DXT_OK ? DXT_OK : DXT_EPARSE;
}

static int schema_elem_field(struct dxt_thrift_reader *r,
			     enum dxt_thrift_type t, int16_t id, void *ctx)
{
	struct dxt_pq_schema_elem *e = ctx;
	int32_t v = 0;
	int rc;

	if (id == 4 && t == DXT_THRIFT_BINARY)
		return take_string(r, &e->name);
	if (id == 10 && t == DXT_THRIFT_STRUCT) {
		memset(&e->logical, 0, sizeof(e->logical));
		return dxt_thrift_read_struct(r, false, logical_field,
					      &e->logical) == DXT_OK
			       ? DXT_OK : DXT_EPARSE;
	}
	if (id < 1 || id > 9 || t != DXT_THRIFT_I32)
		return DXT_THRIFT_SKIP;
	rc = dxt_thrift_read_i32(r, &v);
	switch (id) {
	case 1:
		e->has_type = 1;
		e->type = (enum dxt_pq_physical)v;
		break;
	case 2:
		e->type_length = v;
		break;
	case 3:
		e->has_repetition = 1;
		e->repetition = (enum dxt_pq_repetition)v;
		break;
	case 5:
		e->num_children = v;
		break;
	case 6:
		e->has_converted = 1;
		e->converted = (enum dxt_pq_converted)v;
		break;
	case 7:
		e->scale = v;
		break;
	case 8:
		e->precision = v;
		break;
	case 9:
		e->has_field_id = 1;
		e->field_id = v;
		break;
	default:
		break;
	}
	return rc;
}

static int read_schema_elem(struct dxt_thrift_reader *r, void *elem)
{
	static const char *const names[] = { [4] = "name" };
	struct dxt_pq_schema_elem *e = elem;
	int rc = dxt_thrift_read_struct(r, false, schema_elem_field, e);

	if (rc != DXT_OK)
		return rc;
	return required(r, "schema element", e->name ? 1u << 4 : 0, 1u << 4,
			names);
}

/* Column statistics; the legacy min and max are kept aside. */
struct col_stats_read {
	struct dxt_pq_col_stats *s;
	uint8_t *legacy_min, *legacy_max;
	size_t legacy_min_len, legacy_max_len;
};

static int col_stats_field(struct dxt_thrift_reader *r,
			   enum dxt_thrift_type t, int16_t id, void *ctx)
{
	struct col_stats_read *cs = ctx;
	struct dxt_pq_col_stats *s = cs->s;

	if (id == 1 && t == DXT_THRIFT_BINARY)
		return take_bytes(r, &cs->legacy_max, &cs->legacy_max_len);
	if (id == 2 && t == DXT_THRIFT_BINARY)
		return take_bytes(r, &cs->legacy_min, &cs->legacy_min_len);
	if (id == 3 && t == DXT_THRIFT_I64) {
		s->has_null_count = 1;
		return dxt_thrift_read_i64(r, &s->null_count);
	}
	if (id == 4 && t == DXT_THRIFT_I64) {
		s->has_distinct_count = 1;
		return dxt_thrift_read_i64(r, &s->distinct_count);
	}
	if (id == 5 && t == DXT_THRIFT_BINARY) {
		s->has_max = 1;
		return take_bytes(r, &s->max_value, &s->max_len);
	}
	if (id == 6 && t == DXT_THRIFT_BINARY) {
		s->has_min = 1;
		return take_bytes(r, &s->min_value, &s->min_len);
	}
	return DXT_THRIFT_SKIP;
}

static int read_col_stats(struct dxt_thrift_reader *r,
			  struct dxt_pq_col_stats *s)
{
	struct col_stats_read cs = { .s = s };
	int rc = dxt_thrift_read_struct(r, false, col_stats_field, &cs);

	/* The legacy min/max (signed byte order for binary, as old writers
	 * used it) stand in only when the new fields are absent. */
	if (rc == DXT_OK && !s->has_max && cs.legacy_max) {
		s->max_value = cs.legacy_max;
		s->max_len = cs.legacy_max_len;
		s->has_max = 1;
		cs.legacy_max = NULL;
	}
	if (rc == DXT_OK && !s->has_min && cs.legacy_min) {
		s->min_value = cs.legacy_min;
		s->min_len = cs.legacy_min_len;
		s->has_min = 1;
		cs.legacy_min = NULL;
	}
	free(cs.legacy_min);
	free(cs.legacy_max);
	return rc;
}

/* A struct being read and the bits of the field ids seen in it. */
struct seen_read {
	void *target;
	unsigned seen;
};

static int column_meta_field(struct dxt_thrift_reader *r,
			     enum dxt_thrift_type t, int16_t id, void *ctx)
{
	struct seen_read *sr = ctx;
	struct dxt_pq_column_meta *m = sr->target;
	int32_t v = 0;
	int rc;

	if ((id == 1 || id == 4) && t == DXT_THRIFT_I32) {
		rc = dxt_thrift_read_i32(r, &v);
		sr->seen |= 1u << id;
		if (id == 1)
			m->type = (enum dxt_pq_physical)v;
		else
			m->codec = (enum dxt_pq_codec)v;
		return rc;
	}
	if (id == 2 && t == DXT_THRIFT_LIST) {
		rc = take_list(r, "column encodings", DXT_THRIFT_I32, 1,
			       sizeof(int32_t), (void **)&m->encodings,
			       &m->n_encodings);
		sr->seen |= 1u << 2;
		for (size_t i = 0; rc == DXT_OK && i < m->n_encodings; i++)
			rc = dxt_thrift_read_i32(r, &m->encodings[i]);
		return rc;
	}
	if (id == 3 && t == DXT_THRIFT_LIST) {
		rc = take_list(r, "column path_in_schema", DXT_THRIFT_BINARY,
			       1, sizeof(char *), (void **)&m->path,
			       &m->n_path);
		sr->seen |= 1u << 3;
		for (size_t i = 0; rc == DXT_OK && i < m->n_path; i++)
			rc = take_string(r, &m->path[i]);
		return rc;
	}
	if (id >= 5 && id <= 11 && id != 8 && t == DXT_THRIFT_I64) {
		int64_t *f[] = {
			&m->num_values, &m->total_uncompressed_size,
			&m->total_compressed_size, NULL,
			&m->data_page_offset, &m->index_page_offset,
			&m->dictionary_page_offset,
		};

		sr->seen |= 1u << id;
		if (id == 10)
			m->has_index_page_offset = 1;
		if (id == 11)
			m->has_dictionary_page_offset = 1;
		return dxt_thrift_read_i64(r, f[id - 5]);
	}
	if (id == 12 && t == DXT_THRIFT_STRUCT) {
		if (m->has_stats)
			return corrupt_at(r, r->pos, "column statistics",
					  "appear twice");
		m->has_stats = 1;
		return read_col_stats(r, &m->stats);
	}
	return DXT_THRIFT_SKIP;
}

static int column_chunk_field(struct dxt_thrift_reader *r,
			      enum dxt_thrift_type t, int16_t id, void *ctx)
{
	static const char *const names[] = {
		[1] = "type", [2] = "encodings", [3] = "path_in_schema",
		[4] = "codec", [5] = "num_values",
		[6] = "total_uncompressed_size",
		[7] = "total_compressed_size", [9] = "data_page_offset",
	};
	struct seen_read *sr = ctx;
	struct dxt_pq_column_chunk *cc = sr->target;
	struct seen_read meta = { .target = &cc->meta };
	int rc;

	if (id == 1 && t == DXT_THRIFT_BINARY)
		return take_string(r, &cc->file_path);
	if (id == 2 && t == DXT_THRIFT_I64) {
		sr->seen |= 1u << 2;
		return dxt_thrift_read_i64(r, &cc->file_offset);
	}
	if (id != 3 || t != DXT_THRIFT_STRUCT)
		return DXT_THRIFT_SKIP;
	if (cc->has_meta)
		return corrupt_at(r, r->pos, "column chunk meta_data",
				  "appears twice");
	cc->has_meta = 1;
	rc = dxt_thrift_read_struct(r, false, column_meta_field, &meta);
	if (rc != DXT_OK)
		return rc;
	return required(r, "column metadata", meta.seen, 0x2fe, names);
}

static int read_column_chunk(struct dxt_thrift_reader *r, void *elem)
{
	static const char *const names[] = { [2] = "file_offset" };
	struct seen_read sr = { .target = elem };
	int rc = dxt_thrift_read_struct(r, false, column_chunk_field, &sr);

	if (rc != DXT_OK)
		return rc;
	return required(r, "column chunk", sr.seen, 1u << 2, names);
}

/* A ColumnChunk takes at least 3 bytes (file_offset and the stop byte). */
#define MIN_COLUMN_CHUNK 3
/* A RowGroup: columns, total_byte_size, num_rows and the stop byte. */
#define MIN_ROW_GROUP 7
/* A SchemaElement or KeyValue: one string field and the stop byte. */
#define MIN_NAMED 3

static int row_group_field(struct dxt_thrift_reader *r,
			   enum dxt_thrift_type t, int16_t id, void *ctx)
{
	struct seen_read *sr = ctx;
	struct dxt_pq_row_group *rg = sr->target;

	if (id == 1 && t == DXT_THRIFT_LIST) {
		sr->seen |= 1u << 1;
		return read_struct_list(r, "row group columns",
					MIN_COLUMN_CHUNK,
					sizeof(*rg->columns),
					(void **)&rg->columns,
					&rg->n_columns, read_column_chunk);
	}
	if ((id == 2 || id == 3 || id == 5 || id == 6) &&
	    t == DXT_THRIFT_I64) {
		int64_t *f[] = {
			&rg->total_byte_size, &rg->num_rows, NULL,
			&rg->file_offset, &rg->total_compressed_size,
		};

		sr->seen |= 1u << id;
		if (id == 5)
			rg->has_file_offset = 1;
		if (id == 6)
			rg->has_total_compressed_size = 1;
		return dxt_thrift_read_i64(r, f[id - 2]);
	}
	return DXT_THRIFT_SKIP;
}

static int read_row_group(struct dxt_thrift_reader *r, void *elem)
{
	static const char *const names[] = {
		[1] = "columns", [2] = "total_byte_size", [3] = "num_rows",
	};
	struct seen_read sr = { .target = elem };
	int rc = dxt_thrift_read_struct(r, false, row_group_field, &sr);

	if (rc != DXT_OK)
		return rc;
	return required(r, "row group", sr.seen, 0xe, names);
}

static int kv_field(struct dxt_thrift_reader *r, enum dxt_thrift_type t,
		    int16_t id, void *ctx)
{
	struct dxt_pq_kv *kv = ctx;

	if (id == 1 && t == DXT_THRIFT_BINARY)
		return take_string(r, &kv->key);
	if (id == 2 && t == DXT_THRIFT_BINARY)
		return take_string(r, &kv->value);
	return DXT_THRIFT_SKIP;
}

static int read_kv(struct dxt_thrift_reader *r, void *elem)
{
	static const char *const names[] = { [1] = "key" };
	struct dxt_pq_kv *kv = elem;
	int rc = dxt_thrift_read_struct(r, false, kv_field, kv);

	if (rc != DXT_OK)
		return rc;
	return required(r, "key/value metadata entry", kv->key ? 2 : 0, 2,
			names);
}

static int file_meta_field(struct dxt_thrift_reader *r,
			   enum dxt_thrift_type t, int16_t id, void *ctx)
{
	struct seen_read *sr = ctx;
	struct dxt_pq_file_meta *fm = sr->target;

	if (id == 1 && t == DXT_THRIFT_I32) {
		sr->seen |= 1u << 1;
		return dxt_thrift_read_i32(r, &fm->version);
	}
	if (id == 3 && t == DXT_THRIFT_I64) {
		sr->seen |= 1u << 3;
		return dxt_thrift_read_i64(r, &fm->num_rows);
	}
	if (id == 6 && t == DXT_THRIFT_BINARY)
		return take_string(r, &fm->created_by);
	if (id < 2 || id > 5 || id == 3 || t != DXT_THRIFT_LIST)
		return DXT_THRIFT_SKIP;
	/* The lists: schema, row_groups, key_value_metadata. A repeated
	 * list is refused by take_list(). */
	sr->seen |= 1u << id;
	if (id == 2)
		return read_struct_list(r, "schema", MIN_NAMED,
					sizeof(*fm->schema),
					(void **)&fm->schema, &fm->n_schema,
					read_schema_elem);
	if (id == 4)
		return read_struct_list(r, "row_groups", MIN_ROW_GROUP,
					sizeof(*fm->row_groups),
					(void **)&fm->row_groups,
					&fm->n_row_groups, read_row_group);
	return read_struct_list(r, "key_value_metadata", MIN_NAMED,
				sizeof(*fm->kv), (void **)&fm->kv, &fm->n_kv,
				read_kv);
}

int dxt_pq_file_meta_read(const void *p, size_t len, const char *what,
			  struct dxt_pq_file_meta *fm, struct dxt_error *err)
{
	static const char *const names[] = {
		[1] = "version", [2] = "schema", [3] = "num_rows",
		[4] = "row_groups",
	};
	struct dxt_thrift_reader r;
	struct seen_read sr = { .target = fm };
	int rc;

	memset(fm, 0, sizeof(*fm));
	dxt_thrift_reader_init(&r, p, len, what, err);
	rc = dxt_thrift_read_struct(&r, true, file_meta_field, &sr);
	if (rc == DXT_OK)
		rc = required(&r, "file metadata", sr.seen, 0x1e, names);
	if (rc != DXT_OK)
		dxt_pq_file_meta_free(fm);
	return rc;
}

/* --- names ---------------------------------------------------------------- */

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
