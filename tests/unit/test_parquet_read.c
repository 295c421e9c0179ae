/*
 * test_parquet_read.c - the Parquet reader: files built here page by page
 * (every page version, encoding and codec the reader takes, the legacy type
 * annotations, nested lists, structs and maps), damaged and hostile files,
 * and small files written by DuckDB (tests/data/parquet, see its README).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/convert.h"
#include "engine/parquet.h"
#include "engine/pqcodec.h"
#include "engine/pqenc.h"

/* --- building files ------------------------------------------------------- */

struct fb {
	struct dxt_buf f;
	struct dxt_pq_file_meta fm;
	struct dxt_pq_codec_ctx *cc;
	struct dxt_pq_column_meta *cm;
	int64_t chunk_start;
	int64_t first_data;
	int64_t uncompressed;
};

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dxt-pqr-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *tpath(const char *name)
{
	static char p[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static void fb_init(struct fb *b)
{
	memset(b, 0, sizeof(*b));
	dxt_buf_append(&b->f, "PAR1", 4);
	b->fm.version = 1;
	b->cc = dxt_pq_codec_ctx_new();
}

/* Appends a schema element: a leaf when type >= 0, else a group. */
static struct dxt_pq_schema_elem *fb_elem(struct fb *b, const char *name,
					  int type, int rep, int children)
{
	struct dxt_pq_schema_elem *e;

	b->fm.schema = realloc(b->fm.schema,
			       (b->fm.n_schema + 1) * sizeof(*e));
	e = &b->fm.schema[b->fm.n_schema++];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (type >= 0) {
		e->has_type = 1;
		e->type = (enum dxt_pq_physical)type;
	}
	if (rep >= 0) {
		e->has_repetition = 1;
		e->repetition = (enum dxt_pq_repetition)rep;
	}
	e->num_children = children;
	return e;
}

static void fb_rg(struct fb *b, int64_t rows)
{
	struct dxt_pq_row_group *g;

	b->fm.row_groups = realloc(b->fm.row_groups,
				   (b->fm.n_row_groups + 1) * sizeof(*g));
	g = &b->fm.row_groups[b->fm.n_row_groups++];
	memset(g, 0, sizeof(*g));
	g->num_rows = rows;
	b->fm.num_rows += rows;
}

/* Starts a column chunk of the last row group; path is dotted. */
static void fb_chunk(struct fb *b, const char *path, int type, int codec)
{
	struct dxt_pq_row_group *g = &b->fm.row_groups[b->fm.n_row_groups - 1];
	struct dxt_pq_column_chunk *c;
	char *copy = strdup(path), *s = copy;

	g->columns = realloc(g->columns, (g->n_columns + 1) * sizeof(*c));
	c = &g->columns[g->n_columns++];
	memset(c, 0, sizeof(*c));
	c->has_meta = 1;
	c->file_offset = (int64_t)b->f.len;
	b->cm = &c->meta;
	b->cm->type = (enum dxt_pq_physical)type;
	b->cm->codec = (enum dxt_pq_codec)codec;
	b->cm->encodings = malloc(sizeof(int32_t));
	b->cm->encodings[0] = DXT_PQ_PLAIN;
	b->cm->n_encodings = 1;
	for (;;) {
		char *dot = strchr(s, '.');

		b->cm->path = realloc(b->cm->path,
				      (b->cm->n_path + 1) * sizeof(char *));
		if (dot)
			*dot = '\0';
		b->cm->path[b->cm->n_path++] = strdup(s);
		if (!dot)
			break;
		s = dot + 1;
	}
	free(copy);
	b->chunk_start = (int64_t)b->f.len;
	b->first_data = -1;
	b->uncompressed = 0;
}

/* Appends a page: header h (sizes filled here) and body, of which the
 * first `raw` bytes stay uncompressed (v2 levels). */
static void fb_page(struct fb *b, struct dxt_pq_page_header *h,
		    const struct dxt_buf *body, size_t raw, bool compress)
{
	struct dxt_buf z = { 0 };

	dxt_buf_append(&z, body->data, raw);
	if (compress)
		ck_assert_int_eq(dxt_pq_compress(b->cc, b->cm->codec, 0,
						 body->data + raw,
						 body->len - raw, &z, NULL),
				 DXT_OK);
	else
		dxt_buf_append(&z, body->data + raw, body->len - raw);
	h->uncompressed_size = (int32_t)body->len;
	h->compressed_size = (int32_t)z.len;
	if (h->type != DXT_PQ_DICTIONARY_PAGE && b->first_data < 0)
		b->first_data = (int64_t)b->f.len;
	ck_assert_int_eq(dxt_pq_page_header_write(&b->f, h), DXT_OK);
	dxt_buf_append(&b->f, z.data, z.len);
	b->uncompressed += (int64_t)body->len;
	dxt_buf_free(&z);
}

/* A page of another type (index, or one this reader does not know) with
 * n bytes of body, written with the Thrift writer since the page header
 * encoder writes only data and dictionary pages. */
static void fb_other_page(struct fb *b, int type, size_t n)
{
	struct dxt_thrift_writer w;

	dxt_thrift_writer_init(&w, &b->f);
	dxt_thrift_field(&w, DXT_THRIFT_I32, 1);
	dxt_thrift_write_i32(&w, type);
	dxt_thrift_field(&w, DXT_THRIFT_I32, 2);
	dxt_thrift_write_i32(&w, (int32_t)n);
	dxt_thrift_field(&w, DXT_THRIFT_I32, 3);
	dxt_thrift_write_i32(&w, (int32_t)n);
	dxt_thrift_field(&w, DXT_THRIFT_STRUCT, 9);
	dxt_thrift_struct_begin(&w);
	dxt_thrift_struct_end(&w);
	ck_assert_int_eq(dxt_thrift_struct_end(&w), DXT_OK);
	for (size_t i = 0; i < n; i++)
		dxt_buf_putc(&b->f, (char)0xee);
}

static void fb_dict(struct fb *b, size_t n, const void *plain, size_t len)
{
	struct dxt_pq_page_header h = { 0 };
	struct dxt_buf body = { 0 };

	b->cm->has_dictionary_page_offset = 1;
	b->cm->dictionary_page_offset = (int64_t)b->f.len;
	h.type = DXT_PQ_DICTIONARY_PAGE;
	h.dict.num_values = (int32_t)n;
	h.dict.encoding = DXT_PQ_PLAIN;
	dxt_buf_append(&body, plain, len);
	fb_page(b, &h, &body, 0, true);
	dxt_buf_free(&body);
}

static void levels(struct dxt_buf *out, const int *lv, size_t n, int max,
		   bool prefix)
{
	uint32_t *v = malloc((n + 1) * 4);

	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)lv[i];
	ck_assert_int_eq(dxt_pq_rle_encode(out, v, n, dxt_pq_bit_width(max),
					   prefix, NULL), DXT_OK);
	free(v);
}

/* A v1 data page of n entries; reps/defs NULL when their maximum is 0. */
static void fb_page1(struct fb *b, size_t n, int enc, const int *reps,
		     int max_rep, const int *defs, int max_def,
		     const void *vals, size_t vlen)
{
	struct dxt_pq_page_header h = { 0 };
	struct dxt_buf body = { 0 };

	h.type = DXT_PQ_DATA_PAGE;
	h.data.num_values = (int32_t)n;
	h.data.encoding = enc;
	h.data.def_level_encoding = DXT_PQ_RLE;
	h.data.rep_level_encoding = DXT_PQ_RLE;
	if (max_rep)
		levels(&body, reps, n, max_rep, true);
	if (max_def)
		levels(&body, defs, n, max_def, true);
	dxt_buf_append(&body, vals, vlen);
	fb_page(b, &h, &body, 0, true);
	dxt_buf_free(&body);
}

static void fb_page2(struct fb *b, size_t n, size_t rows, int enc,
		     const int *reps, int max_rep, const int *defs,
		     int max_def, const void *vals, size_t vlen,
		     bool compressed)
{
	struct dxt_pq_page_header h = { 0 };
	struct dxt_buf body = { 0 };
	size_t nulls = 0;

	h.type = DXT_PQ_DATA_PAGE_V2;
	h.data_v2.num_values = (int32_t)n;
	h.data_v2.num_rows = (int32_t)rows;
	h.data_v2.encoding = enc;
	h.data_v2.is_compressed = compressed;
	if (max_rep)
		levels(&body, reps, n, max_rep, false);
	h.data_v2.rep_levels_len = (int32_t)body.len;
	if (max_def)
		levels(&body, defs, n, max_def, false);
	h.data_v2.def_levels_len = (int32_t)body.len - h.data_v2.rep_levels_len;
	for (size_t i = 0; max_def && i < n; i++)
		nulls += defs[i] < max_def;
	h.data_v2.num_nulls = (int32_t)nulls;
	dxt_buf_append(&body, vals, vlen);
	fb_page(b, &h, &body, body.len - vlen, compressed);
	dxt_buf_free(&body);
}

static void fb_chunk_end(struct fb *b, int64_t num_values)
{
	b->cm->num_values = num_values;
	b->cm->data_page_offset = b->first_data >= 0 ? b->first_data :
				  (int64_t)b->f.len;
	b->cm->total_compressed_size = (int64_t)b->f.len - b->chunk_start;
	b->cm->total_uncompressed_size = b->uncompressed;
}

/* Writes the footer and the file; frees the builder. */
static void fb_write(struct fb *b, const char *path)
{
	size_t at = b->f.len;
	uint32_t n;
	FILE *fp;

	ck_assert_int_eq(dxt_pq_file_meta_write(&b->f, &b->fm), DXT_OK);
	n = (uint32_t)(b->f.len - at);
	dxt_buf_append(&b->f, &n, 4);
	dxt_buf_append(&b->f, "PAR1", 4);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(b->f.data, 1, b->f.len, fp), b->f.len);
	fclose(fp);
	dxt_buf_free(&b->f);
	dxt_pq_file_meta_free(&b->fm);
	dxt_pq_codec_ctx_free(b->cc);
}

/* --- reading back --------------------------------------------------------- */

/* Opens path and reads every row into *b (initialised here). */
static int read_all(const char *path, struct dxt_pq_reader **rp,
		    struct dxt_batch *b, const struct dxt_batch_limits *lim,
		    struct dxt_error *err)
{
	static const struct dxt_batch_limits big = { 1u << 30, 1u << 30 };
	long n;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = dxt_pq_reader_open(path, NULL, rp, err);
	if (rc != DXT_OK)
		return rc;
	ck_assert_int_eq(dxt_batch_init(b, dxt_pq_reader_schema(*rp)), DXT_OK);
	while ((n = dxt_pq_reader_read(*rp, b, lim ? lim : &big, err)) > 0)
		;
	return n < 0 ? (int)n : DXT_OK;
}

/* The text of value i of column c ("NULL" for a null). */
static const char *val(const struct dxt_batch *b, size_t c, size_t i)
{
	static char out[8][512];
	static int k;
	struct dxt_buf t = { 0 };

	k = (k + 1) % 8;
	if (b->cols[c].type == DXT_TYPE_NULL ||
	    !dxt_col_is_valid(&b->cols[c], i)) {
		snprintf(out[k], sizeof(out[k]), "NULL");
		return out[k];
	}
	dxt_value_format(&b->cols[c], &b->schema->fields[c], i, &t);
	snprintf(out[k], sizeof(out[k]), "%.*s", (int)t.len, (char *)t.data);
	dxt_buf_free(&t);
	return out[k];
}

static void type_is(const struct dxt_schema *s, size_t i, const char *name,
		    const char *type, bool nullable)
{
	char t[64];

	ck_assert_str_eq(s->fields[i].name, name);
	dxt_field_type_string(&s->fields[i], t, sizeof(t));
	ck_assert_str_eq(t, type);
	ck_assert_int_eq(s->fields[i].nullable, nullable);
}

/* --- a flat file with v1 pages -------------------------------------------- */

#define N1 1000

/*
 * a INT32 required PLAIN (two pages); b INT64 optional DELTA_BINARY_PACKED
 * (every 7th null); s BYTE_ARRAY STRING optional, dictionary (every 5th
 * null); d DOUBLE required BYTE_STREAM_SPLIT; f BOOLEAN optional PLAIN;
 * t INT96 required PLAIN. SNAPPY.
 */
static void build_v1(const char *path, int codec)
{
	struct fb b;
	struct dxt_buf v = { 0 };
	int defs[N1];
	int32_t i32[N1];
	int64_t i64[N1];
	double dd[N1];
	bool bb[N1];
	size_t n;

	fb_init(&b);
	fb_elem(&b, "schema", -1, -1, 6);
	fb_elem(&b, "a", DXT_PQ_INT32, DXT_PQ_REQUIRED, 0);
	fb_elem(&b, "b", DXT_PQ_INT64, DXT_PQ_OPTIONAL, 0);
	fb_elem(&b, "s", DXT_PQ_BYTE_ARRAY, DXT_PQ_OPTIONAL, 0)->logical.kind =
		DXT_PQ_LT_STRING;
	fb_elem(&b, "d", DXT_PQ_DOUBLE, DXT_PQ_REQUIRED, 0);
	fb_elem(&b, "f", DXT_PQ_BOOLEAN, DXT_PQ_OPTIONAL, 0);
	fb_elem(&b, "t", DXT_PQ_INT96, DXT_PQ_REQUIRED, 0);
	fb_rg(&b, N1);

	fb_chunk(&b, "a", DXT_PQ_INT32, codec);
	for (int i = 0; i < N1; i++)
		i32[i] = i * 3 - 500;
	fb_page1(&b, 600, DXT_PQ_PLAIN, NULL, 0, NULL, 0, i32, 600 * 4);
	fb_page1(&b, N1 - 600, DXT_PQ_PLAIN, NULL, 0, NULL, 0, i32 + 600,
		 (N1 - 600) * 4);
	fb_chunk_end(&b, N1);

	fb_chunk(&b, "b", DXT_PQ_INT64, codec);
	n = 0;
	for (int i = 0; i < N1; i++) {
		defs[i] = i % 7 != 0;
		if (defs[i])
			i64[n++] = (int64_t)i * 1000000007LL;
	}
	ck_assert_int_eq(dxt_pq_delta_encode_i64(&v, i64, n, NULL), DXT_OK);
	fb_page1(&b, N1, DXT_PQ_DELTA_BINARY_PACKED, NULL, 0, defs, 1, v.data,
		 v.len);
	fb_chunk_end(&b, N1);

	/* Dictionary "w0".."w9"; pages of 300, 300 and 400 entries. */
	fb_chunk(&b, "s", DXT_PQ_BYTE_ARRAY, codec);
	v.len = 0;
	for (int k = 0; k < 10; k++) {
		char w[3] = { 'w', (char)('0' + k), 0 };
		uint32_t l = 2;

		dxt_buf_append(&v, &l, 4);
		dxt_buf_append(&v, w, 2);
	}
	fb_dict(&b, 10, v.data, v.len);
	for (int p = 0, at = 0; p < 3; p++) {
		int cnt = p < 2 ? 300 : 400;
		uint32_t idx[400];

		n = 0;
		for (int i = at; i < at + cnt; i++) {
			defs[i] = i % 5 != 0;
			if (defs[i])
				idx[n++] = (uint32_t)(i % 10);
		}
		v.len = 0;
		dxt_buf_putc(&v, 4);
		ck_assert_int_eq(dxt_pq_rle_encode(&v, idx, n, 4, false, NULL),
				 DXT_OK);
		fb_page1(&b, (size_t)cnt, DXT_PQ_RLE_DICTIONARY, NULL, 0,
			 defs + at, 1, v.data, v.len);
		at += cnt;
	}
	fb_chunk_end(&b, N1);

	fb_chunk(&b, "d", DXT_PQ_DOUBLE, codec);
	for (int i = 0; i < N1; i++)
		dd[i] = i * 0.25;
	v.len = 0;
	ck_assert_int_eq(dxt_pq_bss_encode(&v, dd, N1, 8, NULL), DXT_OK);
	fb_page1(&b, N1, DXT_PQ_BYTE_STREAM_SPLIT, NULL, 0, NULL, 0, v.data,
		 v.len);
	fb_chunk_end(&b, N1);

	fb_chunk(&b, "f", DXT_PQ_BOOLEAN, codec);
	n = 0;
	for (int i = 0; i < N1; i++) {
		defs[i] = i % 4 != 3;
		if (defs[i])
			bb[n++] = i % 3 == 0;
	}
	v.len = 0;
	ck_assert_int_eq(dxt_pq_bool_pack(&v, bb, n), DXT_OK);
	fb_page1(&b, N1, DXT_PQ_PLAIN, NULL, 0, defs, 1, v.data, v.len);
	fb_chunk_end(&b, N1);

	/* INT96: nanoseconds of day then Julian day; row i is 2024-01-31
	 * (Julian 2460341) 12:00:00 plus i microseconds and 999 ns. */
	fb_chunk(&b, "t", DXT_PQ_INT96, codec);
	v.len = 0;
	for (int i = 0; i < N1; i++) {
		int64_t ns = 43200LL * 1000000000 + (int64_t)i * 1000 + 999;
		int32_t day = 2460341;

		dxt_buf_append(&v, &ns, 8);
		dxt_buf_append(&v, &day, 4);
	}
	fb_page1(&b, N1, DXT_PQ_PLAIN, NULL, 0, NULL, 0, v.data, v.len);
	fb_chunk_end(&b, N1);
	dxt_buf_free(&v);
	fb_write(&b, path);
}

static void check_v1(const struct dxt_batch *b, size_t first, size_t n)
{
	char want[64];

	for (size_t k = 0; k < n; k++) {
		size_t i = first + k;

		snprintf(want, sizeof(want), "%d", (int)i * 3 - 500);
		ck_assert_str_eq(val(b, 0, k), want);
		if (i % 7 == 0)
			ck_assert_str_eq(val(b, 1, k), "NULL");
		else {
			snprintf(want, sizeof(want), "%lld",
				 (long long)i * 1000000007LL);
			ck_assert_str_eq(val(b, 1, k), want);
		}
		if (i % 5 == 0)
			ck_assert_str_eq(val(b, 2, k), "NULL");
		else {
			snprintf(want, sizeof(want), "w%d", (int)(i % 10));
			ck_assert_str_eq(val(b, 2, k), want);
		}
		ck_assert(dxt_col_f64(&b->cols[3], k) == i * 0.25);
		ck_assert_str_eq(val(b, 4, k), i % 4 == 3 ? "NULL" :
				 i % 3 == 0 ? "true" : "false");
		want[dxt_format_timestamp(1706702400000000LL + (int64_t)i,
					  false, want)] = '\0';
		ck_assert_str_eq(val(b, 5, k), want);
	}
}

START_TEST(v1_pages_every_encoding)
{
	static const int codecs[] = { DXT_PQ_UNCOMPRESSED, DXT_PQ_SNAPPY,
				      DXT_PQ_GZIP, DXT_PQ_ZSTD };
	struct dxt_pq_reader *r;
	struct dxt_error err = { 0 };
	struct dxt_batch b;

	for (size_t c = 0; c < 4; c++) {
		const char *p = tpath("v1.parquet");
		const struct dxt_schema *s;

		build_v1(p, codecs[c]);
		ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
			      err.message);
		s = dxt_pq_reader_schema(r);
		ck_assert_uint_eq(s->n, 6);
		type_is(s, 0, "a", "int32", false);
		type_is(s, 1, "b", "int64", true);
		type_is(s, 2, "s", "string", true);
		type_is(s, 3, "d", "float64", false);
		type_is(s, 4, "f", "bool", true);
		type_is(s, 5, "t", "timestamp", false);
		ck_assert_uint_eq(dxt_pq_reader_rows(r), N1);
		ck_assert_uint_eq(b.nrows, N1);
		check_v1(&b, 0, N1);
		ck_assert_uint_eq(b.cols[1].null_count, (N1 + 6) / 7);
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);
	}
}
END_TEST

/* Small batches end inside pages; every batch is within the limits and
 * the rows come out in order. */
START_TEST(batches_end_inside_pages)
{
	const char *p = tpath("v1.parquet");
	struct dxt_batch_limits lim[] = { { 7, 0 }, { 0, 2000 }, { 1, 0 } };
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;

	build_v1(p, DXT_PQ_ZSTD);
	for (size_t t = 0; t < 3; t++) {
		size_t total = 0, batches = 0;
		long n;

		ck_assert_int_eq(dxt_pq_reader_open(p, NULL, &r, &err), DXT_OK);
		dxt_batch_init(&b, dxt_pq_reader_schema(r));
		while ((n = dxt_pq_reader_read(r, &b, &lim[t], &err)) > 0) {
			ck_assert_uint_eq((size_t)n, b.nrows);
			if (lim[t].max_rows)
				ck_assert_uint_le(b.nrows, lim[t].max_rows);
			else
				ck_assert_uint_le(dxt_batch_bytes(&b), 4000);
			check_v1(&b, total, b.nrows);
			total += b.nrows;
			batches++;
			dxt_batch_reset(&b);
		}
		ck_assert_int_eq(n, 0);
		ck_assert_uint_eq(total, N1);
		ck_assert_uint_gt(batches, 1);
		/* The end stays the end. */
		ck_assert_int_eq(dxt_pq_reader_read(r, &b, &lim[t], &err), 0);
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);

		/* A batch already over its byte limit still gets rows: 0
		 * only ever means the end. */
		ck_assert_int_eq(dxt_pq_reader_open(p, NULL, &r, &err), DXT_OK);
		dxt_batch_init(&b, dxt_pq_reader_schema(r));
		{
			struct dxt_batch_limits tiny = { 0, 1 };
			long first = dxt_pq_reader_read(r, &b, &tiny, &err);

			ck_assert_int_gt(first, 0);
			ck_assert_int_gt(dxt_pq_reader_read(r, &b, &tiny, &err),
					 0);
			check_v1(&b, 0, b.nrows);
		}
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);
	}
}
END_TEST

/* --- v2 pages and the other encodings ------------------------------------- */

#define N2 300

/*
 * Two row groups. i INT32 required DELTA_BINARY_PACKED; s BYTE_ARRAY
 * optional DELTA_BYTE_ARRAY; y BYTE_ARRAY required DELTA_LENGTH_BYTE_ARRAY
 * (binary); f BOOLEAN optional RLE; u FLBA(16) UUID BYTE_STREAM_SPLIT;
 * m FLBA(5) DECIMAL(10,3) PLAIN, negative values; r FLOAT
 * BYTE_STREAM_SPLIT, in a page that is not compressed.
 */
static void build_v2(const char *path)
{
	struct fb b;
	struct dxt_buf v = { 0 }, data = { 0 };
	int defs[N2];
	int32_t i32[N2], off[N2 + 1];
	bool bb[N2];
	uint8_t u[N2 * 16];
	float ff[N2];
	size_t n;
	struct dxt_pq_schema_elem *e;

	fb_init(&b);
	fb_elem(&b, "duckdb_schema", -1, -1, 7);
	fb_elem(&b, "i", DXT_PQ_INT32, DXT_PQ_REQUIRED, 0);
	fb_elem(&b, "s", DXT_PQ_BYTE_ARRAY, DXT_PQ_OPTIONAL, 0)->logical.kind =
		DXT_PQ_LT_STRING;
	fb_elem(&b, "y", DXT_PQ_BYTE_ARRAY, DXT_PQ_REQUIRED, 0);
	fb_elem(&b, "f", DXT_PQ_BOOLEAN, DXT_PQ_OPTIONAL, 0);
	e = fb_elem(&b, "u", DXT_PQ_FIXED_LEN_BYTE_ARRAY, DXT_PQ_REQUIRED, 0);
	e->type_length = 16;
	e->logical.kind = DXT_PQ_LT_UUID;
	e = fb_elem(&b, "m", DXT_PQ_FIXED_LEN_BYTE_ARRAY, DXT_PQ_REQUIRED, 0);
	e->type_length = 5;
	e->logical.kind = DXT_PQ_LT_DECIMAL;
	e->logical.precision = 10;
	e->logical.scale = 3;
	fb_elem(&b, "r", DXT_PQ_FLOAT, DXT_PQ_REQUIRED, 0);
	for (int g = 0; g < 2; g++) {
		int base = g * N2;

		fb_rg(&b, N2);
		fb_chunk(&b, "i", DXT_PQ_INT32, DXT_PQ_ZSTD);
		for (int k = 0; k < N2; k++)
			i32[k] = (base + k) * (k % 2 ? -7 : 11);
		v.len = 0;
		dxt_pq_delta_encode_i32(&v, i32, 100, NULL);
		fb_page2(&b, 100, 100, DXT_PQ_DELTA_BINARY_PACKED, NULL, 0,
			 NULL, 0, v.data, v.len, true);
		v.len = 0;
		dxt_pq_delta_encode_i32(&v, i32 + 100, N2 - 100, NULL);
		fb_page2(&b, N2 - 100, N2 - 100, DXT_PQ_DELTA_BINARY_PACKED,
			 NULL, 0, NULL, 0, v.data, v.len, true);
		fb_chunk_end(&b, N2);

		fb_chunk(&b, "s", DXT_PQ_BYTE_ARRAY, DXT_PQ_ZSTD);
		data.len = 0;
		off[0] = 0;
		n = 0;
		for (int k = 0; k < N2; k++) {
			char t[32];
			int l;

			defs[k] = k % 9 != 4;
			if (!defs[k])
				continue;
			l = snprintf(t, sizeof(t), "prefix-%05d", base + k);
			dxt_buf_append(&data, t, (size_t)l);
			off[++n] = (int32_t)data.len;
		}
		v.len = 0;
		dxt_pq_dba_encode(&v, off, data.data, n, NULL);
		fb_page2(&b, N2, N2, DXT_PQ_DELTA_BYTE_ARRAY, NULL, 0, defs, 1,
			 v.data, v.len, true);
		fb_chunk_end(&b, N2);

		fb_chunk(&b, "y", DXT_PQ_BYTE_ARRAY, DXT_PQ_GZIP);
		data.len = 0;
		for (int k = 0; k < N2; k++) {
			for (int q = 0; q < k % 4; q++)
				dxt_buf_putc(&data, (char)(k + q));
			off[k + 1] = (int32_t)data.len;
		}
		v.len = 0;
		dxt_pq_dlba_encode(&v, off, data.data, N2, NULL);
		fb_page2(&b, N2, N2, DXT_PQ_DELTA_LENGTH_BYTE_ARRAY, NULL, 0,
			 NULL, 0, v.data, v.len, true);
		fb_chunk_end(&b, N2);

		fb_chunk(&b, "f", DXT_PQ_BOOLEAN, DXT_PQ_SNAPPY);
		n = 0;
		for (int k = 0; k < N2; k++) {
			defs[k] = k % 10 != 0;
			if (defs[k])
				bb[n++] = (k / 20) % 2 == 0;
		}
		{
			uint32_t bits[N2];

			for (size_t k = 0; k < n; k++)
				bits[k] = bb[k];
			v.len = 0;
			dxt_pq_rle_encode(&v, bits, n, 1, true, NULL);
		}
		fb_page2(&b, N2, N2, DXT_PQ_RLE, NULL, 0, defs, 1, v.data,
			 v.len, true);
		fb_chunk_end(&b, N2);

		fb_chunk(&b, "u", DXT_PQ_FIXED_LEN_BYTE_ARRAY, DXT_PQ_ZSTD);
		for (int k = 0; k < N2; k++)
			for (int q = 0; q < 16; q++)
				u[k * 16 + q] = (uint8_t)(base + k + q);
		v.len = 0;
		dxt_pq_bss_encode(&v, u, N2, 16, NULL);
		fb_page2(&b, N2, N2, DXT_PQ_BYTE_STREAM_SPLIT, NULL, 0, NULL, 0,
			 v.data, v.len, true);
		fb_chunk_end(&b, N2);

		fb_chunk(&b, "m", DXT_PQ_FIXED_LEN_BYTE_ARRAY, DXT_PQ_ZSTD);
		v.len = 0;
		for (int k = 0; k < N2; k++) {
			int64_t x = ((int64_t)(base + k) - 300) * 1234567;
			uint8_t be[5];

			for (int q = 0; q < 5; q++)
				be[q] = (uint8_t)((uint64_t)x >> (8 * (4 - q)));
			dxt_buf_append(&v, be, 5);
		}
		fb_page2(&b, N2, N2, DXT_PQ_PLAIN, NULL, 0, NULL, 0, v.data,
			 v.len, true);
		fb_chunk_end(&b, N2);

		fb_chunk(&b, "r", DXT_PQ_FLOAT, DXT_PQ_ZSTD);
		for (int k = 0; k < N2; k++)
			ff[k] = (float)(base + k) / 8;
		v.len = 0;
		dxt_pq_bss_encode(&v, ff, N2, 4, NULL);
		fb_page2(&b, N2, N2, DXT_PQ_BYTE_STREAM_SPLIT, NULL, 0, NULL, 0,
			 v.data, v.len, false);
		fb_chunk_end(&b, N2);
	}
	dxt_buf_free(&v);
	dxt_buf_free(&data);
	fb_write(&b, path);
}

START_TEST(v2_pages_delta_and_split_encodings)
{
	const char *p = tpath("v2.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	char want[128];

	build_v2(p);
	ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
		      err.message);
	type_is(b.schema, 0, "i", "int32", false);
	type_is(b.schema, 1, "s", "string", true);
	type_is(b.schema, 2, "y", "binary", false);
	type_is(b.schema, 3, "f", "bool", true);
	type_is(b.schema, 4, "u", "uuid", false);
	type_is(b.schema, 5, "m", "decimal(10,3)", false);
	type_is(b.schema, 6, "r", "float32", false);
	ck_assert_uint_eq(b.nrows, 2 * N2);
	for (int i = 0; i < 2 * N2; i++) {
		int k = i % N2;
		int64_t x = ((int64_t)i - 300) * 1234567;

		ck_assert_int_eq(dxt_col_i32(&b.cols[0], (size_t)i),
				 i * (k % 2 ? -7 : 11));
		if (k % 9 == 4) {
			ck_assert_str_eq(val(&b, 1, (size_t)i), "NULL");
		} else {
			snprintf(want, sizeof(want), "prefix-%05d", i);
			ck_assert_str_eq(val(&b, 1, (size_t)i), want);
		}
		{
			size_t len;
			const uint8_t *y = dxt_col_bytes(&b.cols[2], (size_t)i,
							 &len);

			ck_assert_uint_eq(len, (size_t)(k % 4));
			for (size_t q = 0; q < len; q++)
				ck_assert_int_eq(y[q], (uint8_t)(k + (int)q));
		}
		ck_assert_str_eq(val(&b, 3, (size_t)i), k % 10 == 0 ? "NULL" :
				 (k / 20) % 2 == 0 ? "true" : "false");
		ck_assert_int_eq(dxt_col_uuid(&b.cols[4], (size_t)i)[15],
				 (uint8_t)(i + 15));
		ck_assert(dxt_col_dec(&b.cols[5], (size_t)i) == x);
		ck_assert(dxt_col_f32(&b.cols[6], (size_t)i) == (float)i / 8);
	}
	ck_assert_str_eq(val(&b, 5, 0), "-370370.100");
	ck_assert_str_eq(val(&b, 4, 1),
			 "01020304-0506-0708-090a-0b0c0d0e0f10");
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);
}
END_TEST

/*
 * INT32 DELTA_BINARY_PACKED with deltas computed in 64 bits (as DuckDB
 * writes them): miniblocks of 33 bits whose values wrap to the right ones.
 */
START_TEST(int32_delta_with_wide_miniblocks)
{
	const char *p = tpath("wide.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	struct dxt_buf v = { 0 };
	int64_t wide[300];
	struct fb f;

	for (int i = 0; i < 300; i++)
		wide[i] = i % 2 ? INT32_MAX : INT32_MIN + i;
	ck_assert_int_eq(dxt_pq_delta_encode_i64(&v, wide, 300, NULL), DXT_OK);
	fb_init(&f);
	fb_elem(&f, "schema", -1, -1, 1);
	fb_elem(&f, "x", DXT_PQ_INT32, DXT_PQ_REQUIRED, 0);
	fb_rg(&f, 300);
	fb_chunk(&f, "x", DXT_PQ_INT32, DXT_PQ_ZSTD);
	fb_page2(&f, 300, 300, DXT_PQ_DELTA_BINARY_PACKED, NULL, 0, NULL, 0,
		 v.data, v.len, true);
	fb_chunk_end(&f, 300);
	fb_write(&f, p);
	dxt_buf_free(&v);
	ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_uint_eq(b.nrows, 300);
	for (size_t i = 0; i < 300; i++)
		ck_assert_int_eq(dxt_col_i32(&b.cols[0], i), (int32_t)wide[i]);
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);
}
END_TEST

/* --- type mappings -------------------------------------------------------- */

/* One required leaf per mapping, two rows each, PLAIN, uncompressed. */
struct mapcase {
	const char *name;
	int phys, width;
	int conv;                  /* converted type or -1 */
	struct dxt_pq_logical lt;
	int64_t raw[2];            /* INT32/INT64 values */
	const char *type;          /* expected DXT type */
	const char *want[2];       /* expected text */
};

START_TEST(type_mappings)
{
	static const struct mapcase cases[] = {
		{ "i8", DXT_PQ_INT32, 0, DXT_PQ_CT_INT_8, { 0 }, { -128, 127 },
		  "int8", { "-128", "127" } },
		{ "i16", DXT_PQ_INT32, 0, -1,
		  { .kind = DXT_PQ_LT_INTEGER, .bit_width = 16,
		    .is_signed = 1 }, { -32768, 5 }, "int16",
		  { "-32768", "5" } },
		{ "u8", DXT_PQ_INT32, 0, DXT_PQ_CT_UINT_8, { 0 }, { 255, 0 },
		  "int16", { "255", "0" } },
		{ "u16", DXT_PQ_INT32, 0, -1,
		  { .kind = DXT_PQ_LT_INTEGER, .bit_width = 16 },
		  { 65535, 1 }, "int32", { "65535", "1" } },
		{ "u32", DXT_PQ_INT32, 0, DXT_PQ_CT_UINT_32, { 0 },
		  { -1, 7 }, "int64", { "4294967295", "7" } },
		{ "u64", DXT_PQ_INT64, 0, DXT_PQ_CT_UINT_64, { 0 },
		  { -1, 9 }, "decimal(20,0)", { "18446744073709551615", "9" } },
		{ "dec", DXT_PQ_INT32, 0, DXT_PQ_CT_DECIMAL, { 0 },
		  { -12345, 99 }, "decimal(9,2)", { "-123.45", "0.99" } },
		{ "dec64", DXT_PQ_INT64, 0, -1,
		  { .kind = DXT_PQ_LT_DECIMAL, .precision = 18, .scale = 0 },
		  { -5, 6 }, "decimal(18,0)", { "-5", "6" } },
		{ "d", DXT_PQ_INT32, 0, DXT_PQ_CT_DATE, { 0 }, { 0, 19753 },
		  "date", { "1970-01-01", "2024-01-31" } },
		{ "tms", DXT_PQ_INT32, 0, DXT_PQ_CT_TIME_MILLIS, { 0 },
		  { 1500, 86399999 }, "time",
		  { "00:00:01.5", "23:59:59.999" } },
		{ "tns", DXT_PQ_INT64, 0, -1,
		  { .kind = DXT_PQ_LT_TIME, .unit = DXT_PQ_NANOS },
		  { 1999, 3600000000000 }, "time",
		  { "00:00:00.000001", "01:00:00" } },
		{ "tsms", DXT_PQ_INT64, 0, DXT_PQ_CT_TIMESTAMP_MILLIS, { 0 },
		  { 1706702400123, -1 }, "timestamp",
		  { "2024-01-31 12:00:00.123", "1969-12-31 23:59:59.999" } },
		{ "tsns", DXT_PQ_INT64, 0, -1,
		  { .kind = DXT_PQ_LT_TIMESTAMP, .unit = DXT_PQ_NANOS,
		    .is_adjusted_to_utc = 1 },
		  { -1, 1706702400000000001 }, "timestamptz",
		  { "1969-12-31 23:59:59.999999+00:00",
		    "2024-01-31 12:00:00+00:00" } },
		{ "tsus", DXT_PQ_INT64, 0, -1,
		  { .kind = DXT_PQ_LT_TIMESTAMP, .unit = DXT_PQ_MICROS },
		  { 0, 1 }, "timestamp",
		  { "1970-01-01 00:00:00", "1970-01-01 00:00:00.000001" } },
		{ "nul", DXT_PQ_INT32, 0, -1, { .kind = DXT_PQ_LT_UNKNOWN },
		  { 0, 0 }, "null", { "NULL", "NULL" } },
		{ "plain64", DXT_PQ_INT64, 0, -1, { 0 }, { INT64_MIN, 1 },
		  "int64", { "-9223372036854775808", "1" } },
		{ "en", DXT_PQ_BYTE_ARRAY, 0, DXT_PQ_CT_ENUM, { 0 }, { 0 },
		  "string", { "ab", "" } },
		{ "js", DXT_PQ_BYTE_ARRAY, 0, -1, { .kind = DXT_PQ_LT_JSON },
		  { 0 }, "json", { "12", "[]" } },
		{ "bs", DXT_PQ_BYTE_ARRAY, 0, DXT_PQ_CT_BSON, { 0 }, { 0 },
		  "binary", { "\\x6162", "\\x" } },
		{ "raw", DXT_PQ_BYTE_ARRAY, 0, -1, { 0 }, { 0 }, "binary",
		  { "\\x6162", "\\x" } },
		{ "decb", DXT_PQ_BYTE_ARRAY, 0, -1,
		  { .kind = DXT_PQ_LT_DECIMAL, .precision = 38, .scale = 2 },
		  { 0 }, "decimal(38,2)", { "249.30", "0.00" } },
		{ "h", DXT_PQ_FIXED_LEN_BYTE_ARRAY, 2, -1,
		  { .kind = DXT_PQ_LT_FLOAT16 }, { 0 }, "binary",
		  { "\\x6162", "\\x6162" } },
		{ "fx", DXT_PQ_FIXED_LEN_BYTE_ARRAY, 2, -1, { 0 }, { 0 },
		  "binary", { "\\x6162", "\\x6162" } },
	};
	const size_t nc = sizeof(cases) / sizeof(cases[0]);
	const char *p = tpath("types.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	struct fb f;

	fb_init(&f);
	fb_elem(&f, "schema", -1, -1, (int)nc);
	for (size_t i = 0; i < nc; i++) {
		struct dxt_pq_schema_elem *e =
			fb_elem(&f, cases[i].name, cases[i].phys,
				DXT_PQ_REQUIRED, 0);

		e->type_length = cases[i].width;
		if (cases[i].conv >= 0) {
			e->has_converted = 1;
			e->converted = (enum dxt_pq_converted)cases[i].conv;
			e->precision = 9;
			e->scale = 2;
		}
		e->logical = cases[i].lt;
	}
	fb_rg(&f, 2);
	for (size_t i = 0; i < nc; i++) {
		struct dxt_buf v = { 0 };

		fb_chunk(&f, cases[i].name, cases[i].phys,
			 DXT_PQ_UNCOMPRESSED);
		for (int k = 0; k < 2; k++) {
			if (cases[i].phys == DXT_PQ_INT32) {
				int32_t x = (int32_t)cases[i].raw[k];

				dxt_buf_append(&v, &x, 4);
			} else if (cases[i].phys == DXT_PQ_INT64) {
				dxt_buf_append(&v, &cases[i].raw[k], 8);
			} else if (cases[i].phys == DXT_PQ_BYTE_ARRAY &&
				   cases[i].lt.kind == DXT_PQ_LT_JSON) {
				/* A json column holds JSON only. */
				uint32_t l = 2;

				dxt_buf_append(&v, &l, 4);
				dxt_buf_append(&v, k ? "[]" : "12", 2);
			} else if (cases[i].phys == DXT_PQ_BYTE_ARRAY) {
				/* "ab" then an empty value; the decimal
				 * reads 0x6162 = 24930. */
				uint32_t l = k ? 0 : 2;

				dxt_buf_append(&v, &l, 4);
				dxt_buf_append(&v, "ab", l);
			} else {
				dxt_buf_append(&v, "ab", 2);
			}
		}
		fb_page1(&f, 2, DXT_PQ_PLAIN, NULL, 0, NULL, 0, v.data, v.len);
		fb_chunk_end(&f, 2);
		dxt_buf_free(&v);
	}
	fb_write(&f, p);

	ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_uint_eq(b.nrows, 2);
	for (size_t i = 0; i < nc; i++) {
		type_is(b.schema, i, cases[i].name, cases[i].type, false);
		for (size_t k = 0; k < 2; k++)
			ck_assert_msg(!strcmp(val(&b, i, k), cases[i].want[k]),
				      "%s row %zu: %s, want %s", cases[i].name,
				      k, val(&b, i, k), cases[i].want[k]);
	}
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);
}
END_TEST

/* --- errors --------------------------------------------------------------- */

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p;
	long len;

	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	ck_assert_uint_eq(fread(p, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*n = (size_t)len;
	return p;
}

START_TEST(file_errors)
{
	const char *p = tpath("bad.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r = NULL;

	ck_assert_int_eq(dxt_pq_reader_open(tpath("none.parquet"), NULL, &r,
					    &err), DXT_ENOTFOUND);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err.message, "none.parquet"));

	write_bytes(p, "PAR1", 4);
	ck_assert_int_eq(dxt_pq_reader_open(p, NULL, &r, &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "too short"));

	write_bytes(p, "PAR0\0\0\0\0\0\0\0\0PAR1", 16);
	ck_assert_int_eq(dxt_pq_reader_open(p, NULL, &r, &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "magic PAR1"));

	write_bytes(p, "PAR1\0\0\0\0\xff\0\0\0PAR1", 16);
	ck_assert_int_eq(dxt_pq_reader_open(p, NULL, &r, &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "footer length 255"));

	write_bytes(p, "PAR1\0\0\0\0\x04\0\0\0PARE", 16);
	ck_assert_int_eq(dxt_pq_reader_open(p, NULL, &r, &err),
			 DXT_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.message, "encrypted"));
	ck_assert_int_eq(dxt_pq_reader_open(tmpdir, NULL, &r, &err), DXT_EIO);
}
END_TEST

/* A one-column file whose pieces the callers damage. */
static void build_small(const char *path, int codec, int enc,
			uint32_t bad_index, int level_enc, bool extra_pages)
{
	struct fb b;
	struct dxt_buf v = { 0 };
	int defs[8] = { 1, 1, 0, 1, 1, 1, 1, 1 };
	uint32_t idx[7] = { 0, 1, 0, 1, 0, 1, 0 };
	struct dxt_pq_page_header h = { 0 };

	fb_init(&b);
	fb_elem(&b, "schema", -1, -1, 1);
	fb_elem(&b, "c", DXT_PQ_INT32, DXT_PQ_OPTIONAL, 0);
	fb_rg(&b, 8);
	fb_chunk(&b, "c", DXT_PQ_INT32, codec);
	{
		int32_t d[2] = { 10, 20 };

		fb_dict(&b, 2, d, 8);
	}
	if (extra_pages) {
		fb_other_page(&b, DXT_PQ_INDEX_PAGE, 5);
		fb_other_page(&b, 9, 3);
	}
	idx[5] = bad_index;
	dxt_buf_putc(&v, 1);
	dxt_pq_rle_encode(&v, idx, 7, 1 + (bad_index > 1) * 7, false, NULL);
	v.data[0] = bad_index > 1 ? 8 : 1;
	{
		struct dxt_buf body = { 0 };

		if (level_enc == DXT_PQ_BIT_PACKED)
			/* defs, most significant bit first, no prefix */
			dxt_buf_putc(&body, (char)0xDF);
		else
			levels(&body, defs, 8, 1, true);
		dxt_buf_append(&body, v.data, v.len);
		h.type = DXT_PQ_DATA_PAGE;
		h.data.num_values = 8;
		h.data.encoding = enc;
		h.data.def_level_encoding = level_enc;
		h.data.rep_level_encoding = DXT_PQ_RLE;
		fb_page(&b, &h, &body, 0, true);
		dxt_buf_free(&body);
	}
	fb_chunk_end(&b, 8);
	dxt_buf_free(&v);
	fb_write(&b, path);
}

static int read_err(const char *path, struct dxt_error *err)
{
	struct dxt_pq_reader *r = NULL;
	struct dxt_batch b;
	int rc = read_all(path, &r, &b, NULL, err);

	if (b.schema)
		dxt_batch_release(&b);
	dxt_pq_reader_close(r);
	return rc;
}

START_TEST(page_errors_name_the_place)
{
	const char *p = tpath("small.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;

	/* Index pages and pages of unknown types are skipped. */
	for (int extra = 0; extra < 2; extra++) {
		build_small(p, DXT_PQ_SNAPPY, DXT_PQ_RLE_DICTIONARY, 1,
			    DXT_PQ_RLE, extra);
		ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
			      err.message);
		ck_assert_str_eq(val(&b, 0, 0), "10");
		ck_assert_str_eq(val(&b, 0, 2), "NULL");
		ck_assert_str_eq(val(&b, 0, 6), "20");
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);
	}

	build_small(p, DXT_PQ_SNAPPY, DXT_PQ_RLE_DICTIONARY, 200, DXT_PQ_RLE,
		    false);
	ck_assert_int_eq(read_err(p, &err), DXT_EPARSE);
	ck_assert_msg(strstr(err.message, "small.parquet: row group 0, "
			     "column \"c\", page 1: dictionary index 200") !=
		      NULL, "%s", err.message);

	build_small(p, DXT_PQ_GZIP, 12, 1, DXT_PQ_RLE, false);
	ck_assert_int_eq(read_err(p, &err), DXT_EUNSUPPORTED);
	ck_assert_msg(strstr(err.message, "column \"c\", page 1: encoding 12")
		      != NULL, "%s", err.message);

	build_small(p, DXT_PQ_GZIP, DXT_PQ_DELTA_BYTE_ARRAY, 1, DXT_PQ_RLE,
		    false);
	ck_assert_int_eq(read_err(p, &err), DXT_EUNSUPPORTED);
	ck_assert_msg(strstr(err.message, "DELTA_BYTE_ARRAY is not supported "
			     "for INT32") != NULL, "%s", err.message);

	/* Definition levels in the deprecated BIT_PACKED encoding. */
	build_small(p, DXT_PQ_ZSTD, DXT_PQ_RLE_DICTIONARY, 1,
		    DXT_PQ_BIT_PACKED, false);
	ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_str_eq(val(&b, 0, 0), "10");
	ck_assert_str_eq(val(&b, 0, 2), "NULL");
	ck_assert_str_eq(val(&b, 0, 6), "20");
	ck_assert_str_eq(val(&b, 0, 7), "10");
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);

	build_small(p, DXT_PQ_ZSTD, DXT_PQ_RLE_DICTIONARY, 1, 7, false);
	ck_assert_int_eq(read_err(p, &err), DXT_EUNSUPPORTED);
	ck_assert_msg(strstr(err.message, "column \"c\", page 1: encoding") !=
		      NULL, "%s", err.message);
}
END_TEST

/* A tiny page claiming more values than the reader decodes at once. */
START_TEST(huge_page_claims_are_refused)
{
	const char *p = tpath("huge.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_page_header h = { 0 };
	struct dxt_buf body = { 0 };
	const int32_t n = (1 << 24) + 1;
	/* Definition levels: one RLE run of n zeros (all null), 4-byte
	 * length prefix, then no values. */
	uint8_t run[] = { 5, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint32_t h2 = (uint32_t)n << 1;
	struct fb f;

	run[4] = (uint8_t)(h2 | 0x80);
	run[5] = (uint8_t)(h2 >> 7 | 0x80);
	run[6] = (uint8_t)(h2 >> 14 | 0x80);
	run[7] = (uint8_t)(h2 >> 21);
	run[8] = 0;
	fb_init(&f);
	fb_elem(&f, "schema", -1, -1, 1);
	fb_elem(&f, "c", DXT_PQ_INT32, DXT_PQ_OPTIONAL, 0);
	fb_rg(&f, n);
	fb_chunk(&f, "c", DXT_PQ_INT32, DXT_PQ_UNCOMPRESSED);
	h.type = DXT_PQ_DATA_PAGE;
	h.data.num_values = n;
	h.data.encoding = DXT_PQ_PLAIN;
	h.data.def_level_encoding = DXT_PQ_RLE;
	h.data.rep_level_encoding = DXT_PQ_RLE;
	dxt_buf_append(&body, run, sizeof(run));
	fb_page(&f, &h, &body, 0, false);
	dxt_buf_free(&body);
	fb_chunk_end(&f, n);
	fb_write(&f, p);
	ck_assert_int_eq(read_err(p, &err), DXT_EUNSUPPORTED);
	ck_assert_msg(strstr(err.message, "huge.parquet: row group 0, column "
			     "\"c\", page 0: a page of 16777217 values"),
		      "%s", err.message);
}
END_TEST

/* Footer-level problems: codec, chunk bounds, types, row counts. */
START_TEST(footer_errors)
{
	const char *p = tpath("small.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_pq_file_meta fm;
	size_t n, flen;
	uint8_t *f;
	struct {
		int what;
		int code;
		const char *msg;
	} cases[] = {
		{ 0, DXT_EUNSUPPORTED, "compression codec LZO" },
		{ 1, DXT_EPARSE, "lies outside the file" },
		{ 2, DXT_EPARSE, "type INT64 is not the schema's INT32" },
		{ 3, DXT_EPARSE, "path does not match" },
		{ 4, DXT_EPARSE, "row groups hold 8 rows, the footer says 9" },
		{ 5, DXT_EPARSE, "num_children 3 is more than" },
		{ 6, DXT_EUNSUPPORTED, "wider than the 38 digits" },
		{ 7, DXT_EPARSE, "2 column chunks, the schema 1" },
		{ 8, DXT_EPARSE, "num_children 2 is more than" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct dxt_buf out = { 0 };
		struct dxt_pq_column_meta *cm;
		uint32_t len;

		build_small(p, DXT_PQ_SNAPPY, DXT_PQ_RLE_DICTIONARY, 1,
			    DXT_PQ_RLE, false);
		f = slurp(p, &n);
		memcpy(&len, f + n - 8, 4);
		flen = len;
		ck_assert_int_eq(dxt_pq_file_meta_read(f + n - 8 - flen, flen,
						       "x", &fm, &err), DXT_OK);
		cm = &fm.row_groups[0].columns[0].meta;
		switch (cases[c].what) {
		case 0:
			cm->codec = DXT_PQ_LZO;
			break;
		case 1:
			cm->total_compressed_size = (int64_t)n;
			break;
		case 2:
			cm->type = DXT_PQ_INT64;
			break;
		case 3:
			cm->path[0][0] = 'x';
			break;
		case 4:
			fm.num_rows = 9;
			break;
		case 5:
			fm.schema[0].num_children = 3;
			break;
		case 6:
			fm.schema[1].logical.kind = DXT_PQ_LT_DECIMAL;
			fm.schema[1].logical.precision = 40;
			break;
		case 7: {
			struct dxt_pq_row_group *g = &fm.row_groups[0];
			struct dxt_pq_column_chunk *cc;

			g->columns = realloc(g->columns, 2 * sizeof(*cc));
			cc = &g->columns[1];
			memset(cc, 0, sizeof(*cc));
			g->n_columns = 2;
			break;
		}
		case 8:
			/* Children claimed along one path add up to more
			 * elements than the schema has. */
			fm.schema = realloc(fm.schema, 4 * sizeof(*fm.schema));
			fm.n_schema = 4;
			fm.schema[0].num_children = 3;
			fm.schema[1].has_type = 0;
			fm.schema[1].num_children = 2;
			for (int k = 2; k < 4; k++) {
				fm.schema[k] = fm.schema[1];
				fm.schema[k].name = strdup("x");
				fm.schema[k].has_type = 1;
				fm.schema[k].num_children = 0;
			}
			break;
		}
		dxt_buf_append(&out, f, n - 8 - flen);
		ck_assert_int_eq(dxt_pq_file_meta_write(&out, &fm), DXT_OK);
		len = (uint32_t)(out.len - (n - 8 - flen));
		dxt_buf_append(&out, &len, 4);
		dxt_buf_append(&out, "PAR1", 4);
		write_bytes(p, out.data, out.len);
		dxt_pq_file_meta_free(&fm);
		dxt_buf_free(&out);
		free(f);
		ck_assert_int_eq(dxt_pq_reader_open(p, NULL, &r, &err),
				 cases[c].code);
		ck_assert_msg(strstr(err.message, cases[c].msg) &&
			      strstr(err.message, "small.parquet"),
			      "case %zu: %s", c, err.message);
	}
}
END_TEST

START_TEST(expected_schema)
{
	const char *p = tpath("v1.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_schema *s = dxt_schema_create();

	build_v1(p, DXT_PQ_UNCOMPRESSED);
	dxt_schema_add(s, "a", DXT_TYPE_INT32, 0, 0, true, NULL);
	dxt_schema_add(s, "b", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_schema_add(s, "s", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "d", DXT_TYPE_FLOAT64, 0, 0, true, NULL);
	dxt_schema_add(s, "f", DXT_TYPE_BOOL, 0, 0, true, NULL);
	dxt_schema_add(s, "t", DXT_TYPE_TIMESTAMP, 0, 0, true, NULL);
	ck_assert_msg(dxt_pq_reader_open(p, s, &r, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_ptr_eq(dxt_pq_reader_schema(r), s);
	dxt_pq_reader_close(r);

	s->fields[5].type = DXT_TYPE_TIMESTAMPTZ;
	ck_assert_int_eq(dxt_pq_reader_open(p, s, &r, &err), DXT_ESCHEMA);
	ck_assert_msg(strstr(err.message, "column \"t\" is timestamp in the "
			     "file, the expected schema says timestamptz"),
		      "%s", err.message);
	free(s->fields[2].name);
	s->fields[2].name = strdup("S");
	ck_assert_int_eq(dxt_pq_reader_open(p, s, &r, &err), DXT_ESCHEMA);
	ck_assert_ptr_nonnull(strstr(err.message, "\"S\""));
	s->n = 5;
	ck_assert_int_eq(dxt_pq_reader_open(p, s, &r, &err), DXT_ESCHEMA);
	s->n = 6;
	dxt_schema_destroy(s);
}
END_TEST

/*
 * Every truncation of a valid file and many bit flips: the reader either
 * reads it or fails with a message naming the file, never crashes (run
 * under ASan to see reads out of bounds).
 */
static void damage(const char *good, const char *bad, bool nested)
{
	struct dxt_error err = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t n;
	uint8_t *f = slurp(good, &n);

	for (size_t cut = 0; cut < n; cut += (cut < 64 || n - cut < 300) ? 1 :
					     61) {
		write_bytes(bad, f, cut);
		ck_assert_int_ne(read_err(bad, &err), DXT_OK);
		ck_assert_ptr_nonnull(strstr(err.message, "bad.parquet"));
	}
	for (int t = 0; t < (nested ? 800 : 1500); t++) {
		size_t at;
		uint8_t was;
		int rc;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		at = 4 + (size_t)(seed % (n - 12));
		was = f[at];
		f[at] ^= (uint8_t)(1u << (seed >> 60 & 7));
		if (seed >> 40 & 1)
			f[at] = (uint8_t)(seed >> 32);
		write_bytes(bad, f, n);
		rc = read_err(bad, &err);
		if (rc != DXT_OK)
			ck_assert_msg(strstr(err.message, "bad.parquet") ||
				      rc == DXT_ENOMEM, "%s", err.message);
		f[at] = was;
	}
	free(f);
}

START_TEST(damaged_files_fail_cleanly)
{
	const char *good = tpath("v1.parquet");

	build_v1(good, DXT_PQ_UNCOMPRESSED);
	damage(good, tpath("bad.parquet"), false);
	build_v2(good);
	damage(good, tpath("bad.parquet"), false);
}
END_TEST

/* --- files written by DuckDB ---------------------------------------------- */

static const char *data_path(const char *name)
{
	static char p[4][512];
	static int k;
	const char *d = getenv("DXT_TEST_DATA");

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/parquet/%s", d ? d : "tests/data",
		 name);
	return p[k];
}

/* Row i of b as "v1|v2|..." with NULL for nulls. */
static const char *row_text(const struct dxt_batch *b, size_t i)
{
	static char out[4096];
	size_t at = 0;

	out[0] = '\0';
	for (size_t c = 0; c < b->ncols; c++)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s",
				       c ? "|" : "", val(b, c, i));
	return out;
}

static const char *schema_text(const struct dxt_schema *s)
{
	static char out[2048];
	size_t at = 0;

	for (size_t i = 0; i < s->n; i++) {
		char t[64];

		dxt_field_type_string(&s->fields[i], t, sizeof(t));
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s %s",
				       i ? ", " : "", s->fields[i].name, t);
	}
	return out;
}

START_TEST(duckdb_codecs_and_v2_pages)
{
	static const char *const files[] = {
		"codec_uncompressed.parquet", "codec_snappy.parquet",
		"codec_gzip.parquet", "codec_zstd.parquet",
		"codec_lz4.parquet", "codec_brotli.parquet", "v2.parquet",
	};
	static const int codecs[] = {
		DXT_PQ_UNCOMPRESSED, DXT_PQ_SNAPPY, DXT_PQ_GZIP, DXT_PQ_ZSTD,
		DXT_PQ_LZ4_RAW, DXT_PQ_BROTLI, DXT_PQ_ZSTD,
	};

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct dxt_error err = { 0 };
		struct dxt_pq_reader *r;
		struct dxt_batch b;
		const struct dxt_pq_column_meta *cm;
		char want[64];

		ck_assert_msg(read_all(data_path(files[f]), &r, &b, NULL,
				       &err) == DXT_OK, "%s", err.message);
		ck_assert_str_eq(schema_text(b.schema),
				 "id int32, name string, x float64");
		ck_assert_uint_eq(b.nrows, 40);
		for (size_t i = 0; i < 40; i++) {
			if (i % 4 == 0)
				snprintf(want, sizeof(want), "%zu|NULL|", i);
			else
				snprintf(want, sizeof(want), "%zu|name%zu|", i,
					 i % 5);
			ck_assert_ptr_eq(strstr(row_text(&b, i), want),
					 row_text(&b, i));
			ck_assert(dxt_col_f64(&b.cols[2], i) == i * 0.5);
		}
		cm = &dxt_pq_reader_meta(r)->row_groups[0].columns[1].meta;
		ck_assert_int_eq(cm->codec, codecs[f]);
		ck_assert_int_eq(cm->has_dictionary_page_offset, 1);
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);
	}
}
END_TEST

START_TEST(duckdb_types)
{
	static const char *const rows[] = {
		"0|0|0|0|0|0|0|0|0|0|0.0|0.000|0.00000|héllo 0|\\xdead30|"
		"2024-02-28|23:59:58|2024-01-31 12:00:00.123456|"
		"2024-01-31 12:00:00+00:00|2024-01-31 12:00:00.123|"
		"2024-01-31 12:00:00.123456|"
		"00000000-0000-0000-0000-000000000000|true|a0",
		"1|100|100000|10000000000|50|600|400000000|4000000000000000000|"
		"0.25|0.3333333333333333|1.5|1234.567|123456789012345.12345|"
		"NULL|\\xdead31|2024-02-29|23:59:59|2024-01-31 12:00:00.123457|"
		"2024-01-31 12:00:01+00:00|2024-01-31 12:00:00.123|"
		"2024-01-31 12:00:00.123456|"
		"00000000-0000-0000-0000-000000000001|false|a1",
		"2|200|200000|20000000000|100|1200|800000000|"
		"8000000000000000000|0.5|0.6666666666666666|3.0|2469.134|"
		"246913578024690.24690|"
		"héllo 2|\\xdead32|2024-03-01|00:00:00|"
		"2024-01-31 12:00:00.123458|2024-01-31 12:00:02+00:00|"
		"2024-01-31 12:00:00.123|2024-01-31 12:00:00.123456|"
		"00000000-0000-0000-0000-000000000002|true|a2",
	};
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;

	ck_assert_msg(read_all(data_path("types.parquet"), &r, &b, NULL,
			       &err) == DXT_OK, "%s", err.message);
	ck_assert_str_eq(schema_text(b.schema),
			 "ti int8, si int16, ii int32, bi int64, uti int16, "
			 "usi int32, ui int64, ubi decimal(20,0), fl float32, "
			 "db float64, d4 decimal(4,1), d18 decimal(18,3), "
			 "d30 decimal(30,5), vc string, bl binary, dt date, "
			 "tm time, ts timestamp, tz timestamptz, "
			 "tsms timestamp, tsns timestamp, u uuid, b bool, "
			 "en string");
	ck_assert_uint_eq(b.nrows, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(row_text(&b, i), rows[i]);
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);
}
END_TEST

START_TEST(duckdb_nested)
{
	static const char *const rows[] = {
		"0|NULL|{\"x\":0,\"y\":\"n0\",\"z\":null}|NULL|"
		"[{\"key\":0,\"value\":\"p\"},{\"key\":1,\"value\":\"q\"}]|"
		"[[1,2],[],null,[3]]|[{\"k\":1,\"v\":[true,false]},null]|"
		"{\"a\":1}",
		"1|[]|{\"x\":1,\"y\":\"n1\",\"z\":[\"1.5\",\"2.5\"]}|"
		"{\"a\":1,\"b\":null}|"
		"[{\"key\":1,\"value\":\"p\"},{\"key\":2,\"value\":\"q\"}]|"
		"[[1,2],[],null,[3]]|[{\"k\":1,\"v\":[true,false]},null]|"
		"{\"a\":1}",
		"2|[2,null,3]|{\"x\":2,\"y\":\"n2\",\"z\":null}|"
		"{\"a\":2,\"b\":null}|"
		"[{\"key\":2,\"value\":\"p\"},{\"key\":3,\"value\":\"q\"}]|"
		"[[1,2],[],null,[3]]|[{\"k\":1,\"v\":[true,false]},null]|NULL",
	};
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	char want[256];

	ck_assert_msg(read_all(data_path("nested.parquet"), &r, &b, NULL,
			       &err) == DXT_OK, "%s", err.message);
	ck_assert_str_eq(schema_text(b.schema),
			 "id int64, l json, st json, m json, mi json, ll json, "
			 "ls json, sn json");
	ck_assert_uint_eq(b.nrows, 6);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(row_text(&b, i), rows[i]);
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);

	/* v2 pages, batches of 7 rows. */
	{
		struct dxt_batch_limits lim = { 7, 0 };
		const char *p2 = data_path("nested_v2.parquet");
		size_t total = 0;
		long n;

		ck_assert_int_eq(dxt_pq_reader_open(p2, NULL, &r, &err),
				 DXT_OK);
		dxt_batch_init(&b, dxt_pq_reader_schema(r));
		while ((n = dxt_pq_reader_read(r, &b, &lim, &err)) > 0) {
			for (size_t k = 0; k < b.nrows; k++) {
				size_t i = total + k;
				char l[64];

				if (i % 4 == 0)
					snprintf(l, sizeof(l), "NULL");
				else if (i % 4 == 1)
					snprintf(l, sizeof(l), "[]");
				else
					snprintf(l, sizeof(l), "[%zu,null,%zu]",
						 i, i + 1);
				snprintf(want, sizeof(want),
					 "%zu|%s|{\"x\":%zu,\"y\":\"n%zu\"}|"
					 "{\"k%zu\":\"%zu.%c\"}", i, l, i, i,
					 i, i * 3 / 2, i % 2 ? '5' : '0');
				ck_assert_str_eq(row_text(&b, k), want);
			}
			total += b.nrows;
			dxt_batch_reset(&b);
		}
		ck_assert_int_eq(n, 0);
		ck_assert_uint_eq(total, 300);
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);
	}
}
END_TEST

/*
 * Hand-built nested fields: a legacy 2-level list (repeated int32 "array"
 * inside a LIST group) whose rows span v1 pages; a top-level repeated
 * string; a MAP with int32 keys and optional string values; a struct
 * holding a list of structs.
 *
 *   optional group a (LIST) { repeated int32 array; }           def 2 rep 1
 *   repeated binary r (STRING);                                  def 1 rep 1
 *   optional group m (MAP) { repeated group key_value {
 *       required int32 key; optional binary value (STRING); } }
 *   required group s { optional group items (LIST) {
 *       repeated group list { optional group element {
 *           required int32 p; optional double q; } } } }
 */
START_TEST(nested_hand_built)
{
	const char *p = tpath("nested.parquet");
	struct dxt_pq_schema_elem *e;
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	struct fb f;
	/* Rows: a = [1,2,3] | null | [] | [4]. */
	int a_rep[] = { 0, 1, 1, 0, 0, 0 }, a_def[] = { 2, 2, 2, 0, 1, 2 };
	int32_t a_v[] = { 1, 2, 3, 4 };
	/* r = ["x","yz"] | [] | ["w"] | []. */
	int r_rep[] = { 0, 1, 0, 0, 0 }, r_def[] = { 1, 1, 0, 1, 0 };
	/* m = {1:"one",2:null} | null | {} | {3:"three"}. */
	int m_rep[] = { 0, 1, 0, 0, 0 }, m_def_k[] = { 2, 2, 0, 1, 2 };
	int m_def_v[] = { 3, 2, 0, 1, 3 };
	int32_t m_k[] = { 1, 2, 3 };
	/* s.items = [{p:1,q:0.5},null,{p:2,q:null}] | null | [] | [{p:3}]. */
	int s_rep[] = { 0, 1, 1, 0, 0, 0 };
	int s_def_p[] = { 3, 2, 3, 0, 1, 3 }, s_def_q[] = { 4, 2, 3, 0, 1, 4 };
	int32_t s_p[] = { 1, 2, 3 };
	double s_q[] = { 0.5, 7.25 };
	struct dxt_buf v = { 0 };

	fb_init(&f);
	fb_elem(&f, "schema", -1, -1, 4);
	e = fb_elem(&f, "a", -1, DXT_PQ_OPTIONAL, 1);
	e->has_converted = 1;
	e->converted = DXT_PQ_CT_LIST;
	fb_elem(&f, "array", DXT_PQ_INT32, DXT_PQ_REPEATED, 0);
	fb_elem(&f, "r", DXT_PQ_BYTE_ARRAY, DXT_PQ_REPEATED, 0)->logical.kind =
		DXT_PQ_LT_STRING;
	fb_elem(&f, "m", -1, DXT_PQ_OPTIONAL, 1)->logical.kind =
		DXT_PQ_LT_MAP;
	fb_elem(&f, "key_value", -1, DXT_PQ_REPEATED, 2);
	fb_elem(&f, "key", DXT_PQ_INT32, DXT_PQ_REQUIRED, 0);
	fb_elem(&f, "value", DXT_PQ_BYTE_ARRAY, DXT_PQ_OPTIONAL, 0)
		->logical.kind = DXT_PQ_LT_STRING;
	fb_elem(&f, "s", -1, DXT_PQ_REQUIRED, 1);
	fb_elem(&f, "items", -1, DXT_PQ_OPTIONAL, 1)->logical.kind =
		DXT_PQ_LT_LIST;
	fb_elem(&f, "list", -1, DXT_PQ_REPEATED, 1);
	fb_elem(&f, "element", -1, DXT_PQ_OPTIONAL, 2);
	fb_elem(&f, "p", DXT_PQ_INT32, DXT_PQ_REQUIRED, 0);
	fb_elem(&f, "q", DXT_PQ_DOUBLE, DXT_PQ_OPTIONAL, 0);
	fb_rg(&f, 4);

	/* Row 0 of a is split over two pages: [1,2] and then 3. */
	fb_chunk(&f, "a.array", DXT_PQ_INT32, DXT_PQ_SNAPPY);
	fb_page1(&f, 2, DXT_PQ_PLAIN, a_rep, 1, a_def, 2, a_v, 8);
	fb_page1(&f, 4, DXT_PQ_PLAIN, a_rep + 2, 1, a_def + 2, 2, a_v + 2, 8);
	fb_chunk_end(&f, 6);

	fb_chunk(&f, "r", DXT_PQ_BYTE_ARRAY, DXT_PQ_UNCOMPRESSED);
	dxt_buf_append(&v, "\1\0\0\0x\2\0\0\0yz\1\0\0\0w", 16);
	fb_page2(&f, 5, 4, DXT_PQ_PLAIN, r_rep, 1, r_def, 1, v.data, v.len,
		 true);
	fb_chunk_end(&f, 5);

	fb_chunk(&f, "m.key_value.key", DXT_PQ_INT32, DXT_PQ_ZSTD);
	fb_page1(&f, 5, DXT_PQ_PLAIN, m_rep, 1, m_def_k, 2, m_k, 12);
	fb_chunk_end(&f, 5);
	fb_chunk(&f, "m.key_value.value", DXT_PQ_BYTE_ARRAY, DXT_PQ_ZSTD);
	v.len = 0;
	dxt_buf_append(&v, "\3\0\0\0one\5\0\0\0three", 16);
	fb_page1(&f, 5, DXT_PQ_PLAIN, m_rep, 1, m_def_v, 3, v.data, v.len);
	fb_chunk_end(&f, 5);

	fb_chunk(&f, "s.items.list.element.p", DXT_PQ_INT32, DXT_PQ_GZIP);
	fb_page2(&f, 6, 4, DXT_PQ_PLAIN, s_rep, 1, s_def_p, 3, s_p, 12, true);
	fb_chunk_end(&f, 6);
	fb_chunk(&f, "s.items.list.element.q", DXT_PQ_DOUBLE, DXT_PQ_GZIP);
	fb_page2(&f, 6, 4, DXT_PQ_PLAIN, s_rep, 1, s_def_q, 4, s_q, 16, true);
	fb_chunk_end(&f, 6);
	dxt_buf_free(&v);
	fb_write(&f, p);

	ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_str_eq(schema_text(b.schema),
			 "a json, r json, m json, s json");
	ck_assert_int_eq(b.schema->fields[0].nullable, true);
	ck_assert_int_eq(b.schema->fields[3].nullable, false);
	ck_assert_uint_eq(b.nrows, 4);
	ck_assert_str_eq(row_text(&b, 0),
			 "[1,2,3]|[\"x\",\"yz\"]|"
			 "[{\"key\":1,\"value\":\"one\"},"
			 "{\"key\":2,\"value\":null}]|"
			 "{\"items\":[{\"p\":1,\"q\":0.5},null,"
			 "{\"p\":2,\"q\":null}]}");
	ck_assert_str_eq(row_text(&b, 1), "NULL|[]|NULL|{\"items\":null}");
	ck_assert_str_eq(row_text(&b, 2), "[]|[\"w\"]|[]|{\"items\":[]}");
	ck_assert_str_eq(row_text(&b, 3),
			 "[4]|[]|[{\"key\":3,\"value\":\"three\"}]|"
			 "{\"items\":[{\"p\":3,\"q\":7.25}]}");
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);

	damage(p, tpath("bad.parquet"), true);
}
END_TEST

/* Leaves of one field whose levels disagree are malformed, not a crash. */
START_TEST(nested_inconsistent_levels)
{
	const char *p = tpath("incons.parquet");
	struct dxt_error err = { 0 };
	struct fb f;
	int rep_a[] = { 0, 1, 1 }, rep_b[] = { 0, 1 }, def[] = { 2, 2, 2 };
	int32_t v[] = { 1, 2, 3 };

	fb_init(&f);
	fb_elem(&f, "schema", -1, -1, 1);
	fb_elem(&f, "g", -1, DXT_PQ_OPTIONAL, 1)->logical.kind = DXT_PQ_LT_LIST;
	fb_elem(&f, "list", -1, DXT_PQ_REPEATED, 2);
	fb_elem(&f, "a", DXT_PQ_INT32, DXT_PQ_REQUIRED, 0);
	fb_elem(&f, "b", DXT_PQ_INT32, DXT_PQ_REQUIRED, 0);
	fb_rg(&f, 1);
	fb_chunk(&f, "g.list.a", DXT_PQ_INT32, DXT_PQ_UNCOMPRESSED);
	fb_page1(&f, 3, DXT_PQ_PLAIN, rep_a, 1, def, 2, v, 12);
	fb_chunk_end(&f, 3);
	fb_chunk(&f, "g.list.b", DXT_PQ_INT32, DXT_PQ_UNCOMPRESSED);
	fb_page1(&f, 2, DXT_PQ_PLAIN, rep_b, 1, def, 2, v, 8);
	fb_chunk_end(&f, 2);
	fb_write(&f, p);
	ck_assert_int_eq(read_err(p, &err), DXT_EPARSE);
	ck_assert_msg(strstr(err.message, "incons.parquet: row group 0, "
			     "column \"g.list.b\"") &&
		      strstr(err.message, "do not agree"), "%s", err.message);
}
END_TEST

/* A list element that is repeated in turn renders as a nested array. */
START_TEST(nested_repeated_element)
{
	const char *p = tpath("rep.parquet");
	struct dxt_error err = { 0 };
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	struct fb f;
	/* [[1,2],[3]] | [] | [[]] */
	int rep[] = { 0, 2, 1, 0, 0 }, def[] = { 3, 3, 3, 1, 2 };
	int32_t v[] = { 1, 2, 3 };

	fb_init(&f);
	fb_elem(&f, "schema", -1, -1, 1);
	fb_elem(&f, "ll", -1, DXT_PQ_OPTIONAL, 1)->logical.kind =
		DXT_PQ_LT_LIST;
	fb_elem(&f, "list", -1, DXT_PQ_REPEATED, 1);
	fb_elem(&f, "element", DXT_PQ_INT32, DXT_PQ_REPEATED, 0);
	fb_rg(&f, 3);
	fb_chunk(&f, "ll.list.element", DXT_PQ_INT32, DXT_PQ_UNCOMPRESSED);
	fb_page1(&f, 5, DXT_PQ_PLAIN, rep, 2, def, 3, v, 12);
	fb_chunk_end(&f, 5);
	fb_write(&f, p);
	ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_uint_eq(b.nrows, 3);
	ck_assert_str_eq(val(&b, 0, 0), "[[1,2],[3]]");
	ck_assert_str_eq(val(&b, 0, 1), "[]");
	ck_assert_str_eq(val(&b, 0, 2), "[[]]");
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);
}
END_TEST

/* --- round trips through the writer --------------------------------------- */

static int file_sink(void *ctx, const void *p, size_t n, struct dxt_error *err)
{
	if (fwrite(p, 1, n, ctx) != n)
		return dxt_error_set(err, DXT_EIO, "short write");
	return DXT_OK;
}

/* Every DXT type, each once NOT NULL and once nullable. */
static struct dxt_schema *all_types(void)
{
	static const struct {
		const char *name;
		enum dxt_type t;
		int p, s;
	} f[] = {
		{ "b", DXT_TYPE_BOOL, 0, 0 },
		{ "i8", DXT_TYPE_INT8, 0, 0 },
		{ "i16", DXT_TYPE_INT16, 0, 0 },
		{ "i32", DXT_TYPE_INT32, 0, 0 },
		{ "i64", DXT_TYPE_INT64, 0, 0 },
		{ "f32", DXT_TYPE_FLOAT32, 0, 0 },
		{ "f64", DXT_TYPE_FLOAT64, 0, 0 },
		{ "d9", DXT_TYPE_DECIMAL, 9, 2 },
		{ "d18", DXT_TYPE_DECIMAL, 18, 4 },
		{ "d38", DXT_TYPE_DECIMAL, 38, 10 },
		{ "d25", DXT_TYPE_DECIMAL, 25, 0 },
		{ "s", DXT_TYPE_STRING, 0, 0 },
		{ "bin", DXT_TYPE_BINARY, 0, 0 },
		{ "js", DXT_TYPE_JSON, 0, 0 },
		{ "dt", DXT_TYPE_DATE, 0, 0 },
		{ "tm", DXT_TYPE_TIME, 0, 0 },
		{ "ts", DXT_TYPE_TIMESTAMP, 0, 0 },
		{ "tz", DXT_TYPE_TIMESTAMPTZ, 0, 0 },
		{ "u", DXT_TYPE_UUID, 0, 0 },
	};
	struct dxt_schema *s = dxt_schema_create();
	char name[32];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		dxt_schema_add(s, f[i].name, f[i].t, f[i].p, f[i].s, false,
			       NULL);
		snprintf(name, sizeof(name), "%s_n", f[i].name);
		dxt_schema_add(s, name, f[i].t, f[i].p, f[i].s, true, NULL);
	}
	dxt_schema_add(s, "nul", DXT_TYPE_NULL, 0, 0, true, NULL);
	return s;
}

/* The value of row i of field f as text; NULL for a null. */
static const char *rt_value(const struct dxt_field *f, size_t i, char *buf,
			    size_t len)
{
	size_t k = i % 97;

	if (f->type == DXT_TYPE_NULL || (f->nullable && i % 7 == 3))
		return NULL;
	switch (f->type) {
	case DXT_TYPE_BOOL:
		snprintf(buf, len, "%s", i % 3 ? "true" : "false");
		break;
	case DXT_TYPE_INT8:
		snprintf(buf, len, "%d", (int)(i % 256) - 128);
		break;
	case DXT_TYPE_INT16:
		snprintf(buf, len, "%d", (int)(i * 37 % 65536) - 32768);
		break;
	case DXT_TYPE_INT32:
		snprintf(buf, len, "%lld", (long long)i * 1234567 - 2000000000);
		break;
	case DXT_TYPE_INT64:
		snprintf(buf, len, "%lld", i % 5 ? (long long)k * 3 :
			 (long long)(i * 1000003) * 1000000007LL);
		break;
	case DXT_TYPE_FLOAT32:
		snprintf(buf, len, "%g", (double)k / 4);
		break;
	case DXT_TYPE_FLOAT64:
		snprintf(buf, len, "%.17g", i * 0.1 - 50);
		break;
	case DXT_TYPE_DECIMAL:
		if (f->precision == 38)
			snprintf(buf, len, "-%s.%010zu",
				 "1234567890123456789012345678", i);
		else if (f->precision == 25)
			snprintf(buf, len, "%zu000000000000000000%zu", i, k);
		else if (f->precision == 18)
			snprintf(buf, len, "%lld.%04zu",
				 (long long)i * 99999999 - 5, k);
		else
			snprintf(buf, len, "-%zu.%02zu", i, k);
		break;
	case DXT_TYPE_STRING:
		snprintf(buf, len, "text %zu é \"q\"", k);
		break;
	case DXT_TYPE_BINARY:
		snprintf(buf, len, "\\x00ff%04zx", i);
		break;
	case DXT_TYPE_JSON:
		snprintf(buf, len, "{\"k\":%zu}", k);
		break;
	case DXT_TYPE_DATE:
		snprintf(buf, len, "%04zu-0%zu-1%zu", 1900 + i % 200,
			 1 + i % 9, i % 10);
		break;
	case DXT_TYPE_TIME:
		snprintf(buf, len, "%02zu:%02zu:%02zu.%06zu", i % 24, k % 60,
			 i % 60, i * 7 % 1000000);
		break;
	case DXT_TYPE_TIMESTAMP:
		snprintf(buf, len, "%04zu-01-02 03:04:05.%06zu",
			 1950 + i % 100, i % 1000000);
		break;
	case DXT_TYPE_TIMESTAMPTZ:
		snprintf(buf, len, "%04zu-12-31 23:59:59.%06zu+00:00",
			 1950 + i % 100, i % 1000000);
		break;
	case DXT_TYPE_UUID:
		snprintf(buf, len, "%08zx-0000-4000-8000-%012zx", i, k);
		break;
	default:
		return NULL;
	}
	return buf;
}

static void fill(struct dxt_batch *b, size_t first, size_t n)
{
	char buf[128], why[128];

	for (size_t i = first; i < first + n; i++) {
		for (size_t c = 0; c < b->ncols; c++) {
			const struct dxt_field *f = &b->schema->fields[c];
			struct dxt_column *col = &b->cols[c];
			const char *v = rt_value(f, i, buf, sizeof(buf));

			if (!v) {
				ck_assert_int_eq(dxt_col_append_null(col),
						 DXT_OK);
				continue;
			}
			ck_assert_msg(dxt_value_parse_append(col, f, v,
							     strlen(v), why,
							     sizeof(why)) ==
				      DXT_OK, "%s: %s", f->name, why);
		}
		dxt_batch_end_row(b);
	}
}

#define RT_ROWS 1200

/*
 * Every DXT type through the writer and back, with several codecs, page
 * versions, dictionary settings, page sizes and row group sizes. The
 * batch is written twice, so the file holds 2 * RT_ROWS rows.
 */
START_TEST(round_trip_every_type)
{
	static const struct {
		int codec, version;
		bool no_dict;
		size_t page, group;
	} cfg[] = {
		{ DXT_PQ_ZSTD, 1, false, 0, 0 },
		{ DXT_PQ_SNAPPY, 2, false, 4096, 700 },
		{ DXT_PQ_GZIP, 1, true, 1000, 1000 },
		{ DXT_PQ_UNCOMPRESSED, 2, true, 0, 333 },
		{ DXT_PQ_ZSTD, 2, false, 300, 0 },
	};
	struct dxt_schema *s = all_types();
	struct dxt_batch exp;

	dxt_batch_init(&exp, s);
	fill(&exp, 0, RT_ROWS);
	for (size_t k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
		const char *p = tpath("rt.parquet");
		struct dxt_pq_write_opts o;
		struct dxt_error err = { 0 };
		struct dxt_pq_writer *w;
		struct dxt_pq_reader *r;
		struct dxt_batch b;
		FILE *fp = fopen(p, "wb");

		ck_assert_ptr_nonnull(fp);
		dxt_pq_write_opts_default(&o);
		o.codec = (enum dxt_pq_codec)cfg[k].codec;
		o.page_version = cfg[k].version;
		o.no_dictionary = cfg[k].no_dict;
		o.page_bytes = cfg[k].page;
		o.row_group_rows = cfg[k].group;
		ck_assert_msg(dxt_pq_writer_open(s, &o, file_sink, fp, &w,
						 &err) == DXT_OK, "%s",
			      err.message);
		for (int t = 0; t < 2; t++)
			ck_assert_msg(dxt_pq_writer_write(w, &exp, &err) ==
				      DXT_OK, "%s", err.message);
		ck_assert_msg(dxt_pq_writer_close(w, &err) == DXT_OK, "%s",
			      err.message);
		fclose(fp);

		ck_assert_msg(read_all(p, &r, &b, NULL, &err) == DXT_OK,
			      "config %zu: %s", k, err.message);
		ck_assert(dxt_schema_equal(b.schema, s));
		for (size_t c = 0; c < s->n; c++)
			ck_assert_int_eq(b.schema->fields[c].nullable,
					 s->fields[c].nullable);
		ck_assert_uint_eq(b.nrows, 2 * RT_ROWS);
		for (size_t i = 0; i < 2 * RT_ROWS; i++) {
			size_t e = i % RT_ROWS;

			for (size_t c = 0; c < s->n; c++)
				ck_assert_msg(!strcmp(val(&b, c, i),
						      val(&exp, c, e)),
					      "config %zu, %s row %zu: %s, "
					      "want %s", k, s->fields[c].name,
					      i, val(&b, c, i),
					      val(&exp, c, e));
		}
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);
		/* The schema written is the one an expecting reader takes. */
		ck_assert_msg(dxt_pq_reader_open(p, s, &r, &err) == DXT_OK,
			      "%s", err.message);
		dxt_pq_reader_close(r);
	}
	dxt_batch_release(&exp);
	dxt_schema_destroy(s);
}
END_TEST

Suite *dxt_test_parquet_read(void)
{
	Suite *s = suite_create("parquet_read");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, v1_pages_every_encoding);
	tcase_add_test(tc, batches_end_inside_pages);
	tcase_add_test(tc, v2_pages_delta_and_split_encodings);
	tcase_add_test(tc, int32_delta_with_wide_miniblocks);
	tcase_add_test(tc, type_mappings);
	tcase_add_test(tc, file_errors);
	tcase_add_test(tc, page_errors_name_the_place);
	tcase_add_test(tc, huge_page_claims_are_refused);
	tcase_add_test(tc, footer_errors);
	tcase_add_test(tc, expected_schema);
	tcase_add_test(tc, damaged_files_fail_cleanly);
	tcase_add_test(tc, round_trip_every_type);
	tcase_add_test(tc, duckdb_codecs_and_v2_pages);
	tcase_add_test(tc, duckdb_types);
	tcase_add_test(tc, duckdb_nested);
	tcase_add_test(tc, nested_hand_built);
	tcase_add_test(tc, nested_inconsistent_levels);
	tcase_add_test(tc, nested_repeated_element);
	suite_add_tcase(s, tc);
	return s;
}
