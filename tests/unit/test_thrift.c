/*
 * test_thrift.c - Thrift compact protocol encoder and decoder.
 */
#include <check.h>
#include <string.h>

#include "engine/parquet_meta.h"
#include "engine/thrift.h"

static const uint8_t known[] = {
	0x15, 0x02,             /* field 1 i32 = 1 */
	0x11,                   /* field 2 bool true */
	0x08, 0x28, 0x02, 'a', 'b', /* field 20 binary "ab" (long form) */
	0x19, 0x25, 0x02, 0x01, /* field 21 list<i32> [1, -1] */
	0x16, 0xd8, 0x04,       /* field 22 i64 = 300 */
	0x12,                   /* field 23 bool false */
	0x00,                   /* stop */
};

/* Reads field 22 (i64) of `known`; skips the others; fails on field 23
 * when ctx says so. */
static int walk_field(struct dxt_thrift_reader *r, enum dxt_thrift_type t,
		      int16_t id, void *ctx)
{
	int64_t *got = ctx;

	if (id == 22 && t == DXT_THRIFT_I64)
		return dxt_thrift_read_i64(r, got);
	if (id == 23 && *got == 300 && got[1] == 1)
		return DXT_ELIMIT;
	return DXT_THRIFT_SKIP;
}

START_TEST(read_struct_walks_fields)
{
	struct dxt_thrift_reader r;
	struct dxt_error err;
	int64_t got[2] = { 0, 0 };

	/* The outer struct: every field but 22 skipped, whatever its type
	 * (bools, a binary, a list), up to the stop byte. */
	dxt_thrift_reader_init(&r, known, sizeof(known), "known", &err);
	ck_assert_int_eq(dxt_thrift_read_struct(&r, true, walk_field, got),
			 DXT_OK);
	ck_assert_int_eq(got[0], 300);
	ck_assert_uint_eq(r.pos, sizeof(known));
	/* A callback's error ends the walk and comes back as it is. */
	got[0] = 0;
	got[1] = 1;
	dxt_thrift_reader_init(&r, known, sizeof(known), "known", &err);
	ck_assert_int_eq(dxt_thrift_read_struct(&r, true, walk_field, got),
			 DXT_ELIMIT);
	/* Cut short, the walk fails instead of reading past the end. */
	got[1] = 0;
	dxt_thrift_reader_init(&r, known, sizeof(known) - 1, "known", &err);
	ck_assert_int_eq(dxt_thrift_read_struct(&r, true, walk_field, got),
			 DXT_EPARSE);
}
END_TEST

START_TEST(exact_bytes)
{
	struct dxt_buf b = { 0 };
	struct dxt_thrift_writer w;

	dxt_thrift_writer_init(&w, &b);
	dxt_thrift_field(&w, DXT_THRIFT_I32, 1);
	dxt_thrift_write_i32(&w, 1);
	dxt_thrift_field_bool(&w, 2, 1);
	dxt_thrift_field(&w, DXT_THRIFT_BINARY, 20);
	dxt_thrift_write_string(&w, "ab");
	dxt_thrift_field(&w, DXT_THRIFT_LIST, 21);
	dxt_thrift_list_begin(&w, DXT_THRIFT_I32, 2);
	dxt_thrift_write_i32(&w, 1);
	dxt_thrift_write_i32(&w, -1);
	dxt_thrift_field(&w, DXT_THRIFT_I64, 22);
	dxt_thrift_write_i64(&w, 300);
	dxt_thrift_field_bool(&w, 23, 0);
	ck_assert_int_eq(dxt_thrift_struct_end(&w), DXT_OK);
	ck_assert_uint_eq(b.len, sizeof(known));
	ck_assert_mem_eq(b.data, known, sizeof(known));

	/* Long list header: 0xf0 | type, then a varint count. */
	b.len = 0;
	dxt_thrift_writer_init(&w, &b);
	dxt_thrift_list_begin(&w, DXT_THRIFT_BINARY, 200);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "\xf8\xc8\x01", 3);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(read_known)
{
	struct dxt_error err = { 0 };
	struct dxt_thrift_reader r;
	enum dxt_thrift_type t;
	const uint8_t *p;
	uint32_t n;
	size_t len;
	int16_t id;
	int32_t i32;
	int64_t i64;
	int v;

	dxt_thrift_reader_init(&r, known, sizeof(known), "test", &err);
	ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
	ck_assert(t == DXT_THRIFT_I32 && id == 1);
	ck_assert_int_eq(dxt_thrift_read_i32(&r, &i32), DXT_OK);
	ck_assert_int_eq(i32, 1);
	ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
	ck_assert_int_eq(id, 2);
	ck_assert_int_eq(dxt_thrift_read_bool(&r, t, &v), DXT_OK);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
	ck_assert(t == DXT_THRIFT_BINARY && id == 20);
	ck_assert_int_eq(dxt_thrift_read_binary(&r, &p, &len), DXT_OK);
	ck_assert(len == 2 && memcmp(p, "ab", 2) == 0);
	ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
	ck_assert(t == DXT_THRIFT_LIST && id == 21);
	ck_assert_int_eq(dxt_thrift_read_list_begin(&r, &t, &n), DXT_OK);
	ck_assert(t == DXT_THRIFT_I32 && n == 2);
	ck_assert_int_eq(dxt_thrift_read_i32(&r, &i32), DXT_OK);
	ck_assert_int_eq(i32, 1);
	ck_assert_int_eq(dxt_thrift_read_i32(&r, &i32), DXT_OK);
	ck_assert_int_eq(i32, -1);
	ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
	ck_assert(t == DXT_THRIFT_I64 && id == 22);
	ck_assert_int_eq(dxt_thrift_read_i64(&r, &i64), DXT_OK);
	ck_assert(i64 == 300);
	ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
	ck_assert_int_eq(id, 23);
	ck_assert_int_eq(dxt_thrift_read_bool(&r, t, &v), DXT_OK);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
	ck_assert(t == DXT_THRIFT_STOP);
	ck_assert_uint_eq(r.pos, sizeof(known));
}
END_TEST

/* A footer-shaped message: nested structs, lists of structs, every type. */
static void write_sample(struct dxt_buf *b)
{
	static const char *names[] = { "schema", "id", "name", "price" };
	struct dxt_thrift_writer w;
	int i;

	dxt_thrift_writer_init(&w, b);
	dxt_thrift_struct_begin(&w);
	dxt_thrift_field(&w, DXT_THRIFT_I32, 1);
	dxt_thrift_write_i32(&w, 2);
	dxt_thrift_field(&w, DXT_THRIFT_LIST, 2);
	dxt_thrift_list_begin(&w, DXT_THRIFT_STRUCT, 4);
	for (i = 0; i < 4; i++) {
		dxt_thrift_struct_begin(&w);
		dxt_thrift_field(&w, DXT_THRIFT_I32, 1);
		dxt_thrift_write_i32(&w, i);
		dxt_thrift_field(&w, DXT_THRIFT_BINARY, 4);
		dxt_thrift_write_string(&w, names[i]);
		dxt_thrift_field(&w, DXT_THRIFT_STRUCT, 10);
		dxt_thrift_struct_begin(&w);
		dxt_thrift_field(&w, DXT_THRIFT_STRUCT, 1);
		dxt_thrift_struct_begin(&w);
		dxt_thrift_field_bool(&w, 1, i & 1);
		dxt_thrift_struct_end(&w);
		dxt_thrift_struct_end(&w);
		dxt_thrift_struct_end(&w);
	}
	dxt_thrift_field(&w, DXT_THRIFT_I64, 3);
	dxt_thrift_write_i64(&w, INT64_MIN);
	dxt_thrift_field(&w, DXT_THRIFT_DOUBLE, 4);
	dxt_thrift_write_double(&w, -2.5);
	dxt_thrift_field(&w, DXT_THRIFT_I8, 5);
	dxt_thrift_write_i8(&w, -7);
	dxt_thrift_field(&w, DXT_THRIFT_I16, 6);
	dxt_thrift_write_i16(&w, -300);
	dxt_thrift_field(&w, DXT_THRIFT_LIST, 7);
	dxt_thrift_list_begin(&w, DXT_THRIFT_TRUE, 3);
	dxt_thrift_write_bool(&w, 1);
	dxt_thrift_write_bool(&w, 0);
	dxt_thrift_write_bool(&w, 1);
	dxt_thrift_field(&w, DXT_THRIFT_I64, 300);
	dxt_thrift_write_i64(&w, INT64_MAX);
	dxt_thrift_field(&w, DXT_THRIFT_BINARY, 301);
	dxt_thrift_write_string(&w, "created_by dxt");
	ck_assert_int_eq(dxt_thrift_struct_end(&w), DXT_OK);
	ck_assert_int_eq(w.depth, 0);
}

START_TEST(round_trip)
{
	struct dxt_buf b = { 0 };
	struct dxt_error err = { 0 };
	struct dxt_thrift_reader r;
	enum dxt_thrift_type t, et;
	const uint8_t *p;
	uint32_t n, i;
	size_t len;
	int16_t id, i16;
	int32_t i32;
	int64_t i64;
	int8_t i8;
	double d;
	int v, seen = 0;

	write_sample(&b);
	dxt_thrift_reader_init(&r, b.data, b.len, "sample", &err);
	ck_assert_int_eq(dxt_thrift_read_struct_begin(&r), DXT_OK);
	for (;;) {
		ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
		if (t == DXT_THRIFT_STOP)
			break;
		seen++;
		switch (id) {
		case 1:
			ck_assert_int_eq(dxt_thrift_read_i32(&r, &i32), 0);
			ck_assert_int_eq(i32, 2);
			break;
		case 2:
			ck_assert_int_eq(
				dxt_thrift_read_list_begin(&r, &et, &n), 0);
			ck_assert(et == DXT_THRIFT_STRUCT && n == 4);
			for (i = 0; i < n; i++) {
				int16_t fid;
				enum dxt_thrift_type ft;

				dxt_thrift_read_struct_begin(&r);
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert(ft == DXT_THRIFT_I32 && fid == 1);
				dxt_thrift_read_i32(&r, &i32);
				ck_assert_int_eq(i32, (int32_t)i);
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert(ft == DXT_THRIFT_BINARY && fid == 4);
				dxt_thrift_read_binary(&r, &p, &len);
				ck_assert_uint_gt(len, 1);
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert(ft == DXT_THRIFT_STRUCT && fid == 10);
				dxt_thrift_read_struct_begin(&r);
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert(ft == DXT_THRIFT_STRUCT && fid == 1);
				dxt_thrift_read_struct_begin(&r);
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert_int_eq(fid, 1);
				ck_assert_int_eq(dxt_thrift_read_bool(&r, ft, &v), 0);
				ck_assert_int_eq(v, (int)(i & 1));
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert(ft == DXT_THRIFT_STOP);
				dxt_thrift_read_struct_end(&r);
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert(ft == DXT_THRIFT_STOP);
				dxt_thrift_read_struct_end(&r);
				dxt_thrift_read_field(&r, &ft, &fid);
				ck_assert(ft == DXT_THRIFT_STOP);
				ck_assert_int_eq(dxt_thrift_read_struct_end(&r), 0);
			}
			break;
		case 3:
			ck_assert_int_eq(dxt_thrift_read_i64(&r, &i64), 0);
			ck_assert(i64 == INT64_MIN);
			break;
		case 4:
			ck_assert_int_eq(dxt_thrift_read_double(&r, &d), 0);
			ck_assert(d == -2.5);
			break;
		case 5:
			ck_assert_int_eq(dxt_thrift_read_i8(&r, &i8), 0);
			ck_assert_int_eq(i8, -7);
			break;
		case 6:
			ck_assert_int_eq(dxt_thrift_read_i16(&r, &i16), 0);
			ck_assert_int_eq(i16, -300);
			break;
		case 7:
			dxt_thrift_read_list_begin(&r, &et, &n);
			ck_assert(et == DXT_THRIFT_TRUE && n == 3);
			dxt_thrift_read_bool_elem(&r, &v);
			ck_assert_int_eq(v, 1);
			dxt_thrift_read_bool_elem(&r, &v);
			ck_assert_int_eq(v, 0);
			dxt_thrift_read_bool_elem(&r, &v);
			ck_assert_int_eq(v, 1);
			break;
		case 300:
			ck_assert_int_eq(dxt_thrift_read_i64(&r, &i64), 0);
			ck_assert(i64 == INT64_MAX);
			break;
		case 301:
			dxt_thrift_read_binary(&r, &p, &len);
			ck_assert(len == 14 && memcmp(p, "created_by dxt", 14) == 0);
			break;
		default:
			ck_abort_msg("unexpected field %d", id);
		}
	}
	ck_assert_int_eq(seen, 9);
	ck_assert_int_eq(dxt_thrift_read_struct_end(&r), DXT_OK);
	ck_assert_uint_eq(r.pos, b.len);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(skip_unknown)
{
	struct dxt_buf b = { 0 };
	struct dxt_error err = { 0 };
	struct dxt_thrift_reader r;
	enum dxt_thrift_type t;
	int16_t id;
	int16_t i16 = 0;
	/*
	 * Field 8 (long-form header) of type map<binary, i32> {"k": 3}, which
	 * the writer cannot emit, then the outer stop byte.
	 */
	static const uint8_t map[] = { 0x0b, 0x10, 0x01, 0x85, 0x01, 'k',
				       0x06, 0x00 };

	write_sample(&b);
	/* Replace the outer stop byte by the map field and a new stop. */
	b.len--;
	ck_assert_int_eq(dxt_buf_append(&b, map, sizeof(map)), DXT_OK);
	dxt_thrift_reader_init(&r, b.data, b.len, "sample", &err);
	dxt_thrift_read_struct_begin(&r);
	for (;;) {
		ck_assert_int_eq(dxt_thrift_read_field(&r, &t, &id), DXT_OK);
		if (t == DXT_THRIFT_STOP)
			break;
		if (id == 6)
			ck_assert_int_eq(dxt_thrift_read_i16(&r, &i16), 0);
		else
			ck_assert_int_eq(dxt_thrift_skip(&r, t), DXT_OK);
	}
	ck_assert_int_eq(i16, -300);
	ck_assert_uint_eq(r.pos, b.len);

	/* The whole message skips as one struct value. */
	dxt_thrift_reader_init(&r, b.data, b.len, "sample", &err);
	ck_assert_int_eq(dxt_thrift_skip(&r, DXT_THRIFT_STRUCT), DXT_OK);
	ck_assert_uint_eq(r.pos, b.len);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(errors)
{
	struct dxt_error err = { 0 };
	struct dxt_thrift_reader r;
	const uint8_t *p;
	size_t len;
	uint8_t deep[64];
	static const uint8_t str[] = { 0x05, 'a', 'b' };
	static const uint8_t longvar[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	int64_t i64;

	dxt_thrift_reader_init(&r, str, sizeof(str), "footer of t.parquet",
			       &err);
	ck_assert_int_eq(dxt_thrift_read_binary(&r, &p, &len), DXT_EPARSE);
	ck_assert_str_eq(err.message,
			 "footer of t.parquet: byte 0: binary runs past the "
			 "end of data; the file is truncated or corrupt");

	dxt_thrift_reader_init(&r, longvar, sizeof(longvar), "x", &err);
	ck_assert_int_eq(dxt_thrift_read_i64(&r, &i64), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "varint too long"));

	/* Field 1 of type struct, repeated: nesting must be refused. */
	memset(deep, 0x1c, sizeof(deep));
	dxt_thrift_reader_init(&r, deep, sizeof(deep), "x", &err);
	ck_assert_int_eq(dxt_thrift_skip(&r, DXT_THRIFT_STRUCT), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "nested too deeply"));

	/* A list claiming more elements than bytes left. */
	dxt_thrift_reader_init(&r, "\xf5\xff\xff\x03", 4, "x", &err);
	ck_assert_int_eq(dxt_thrift_skip(&r, DXT_THRIFT_LIST), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "byte 0: list longer"));
}
END_TEST

START_TEST(writer_misuse)
{
	struct dxt_buf b = { 0 };
	struct dxt_thrift_writer w;
	int i;

	dxt_thrift_writer_init(&w, &b);
	for (i = 0; i < DXT_THRIFT_MAX_DEPTH; i++)
		ck_assert_int_eq(dxt_thrift_struct_begin(&w), DXT_OK);
	ck_assert_int_eq(dxt_thrift_struct_begin(&w), DXT_EINVAL);
	/* Sticky: later calls report the first error. */
	ck_assert_int_eq(dxt_thrift_write_i32(&w, 1), DXT_EINVAL);
	dxt_thrift_writer_init(&w, &b);
	ck_assert_int_eq(dxt_thrift_field(&w, DXT_THRIFT_I32, 0), DXT_EINVAL);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(truncation_and_bitflips)
{
	struct dxt_buf b = { 0 };
	struct dxt_error err = { 0 };
	struct dxt_thrift_reader r;
	uint8_t *copy;
	size_t n, bit;
	int rc;

	write_sample(&b);
	for (n = 0; n < b.len; n++) {
		/* Exact-size copies so ASan catches any overread. */
		copy = malloc(n ? n : 1);
		memcpy(copy, b.data, n);
		dxt_thrift_reader_init(&r, copy, n, "x", &err);
		ck_assert_int_eq(dxt_thrift_skip(&r, DXT_THRIFT_STRUCT),
				 DXT_EPARSE);
		ck_assert_ptr_nonnull(strstr(err.message, "byte "));
		free(copy);
	}
	copy = malloc(b.len);
	for (bit = 0; bit < b.len * 8; bit++) {
		memcpy(copy, b.data, b.len);
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		dxt_thrift_reader_init(&r, copy, b.len, "x", &err);
		rc = dxt_thrift_skip(&r, DXT_THRIFT_STRUCT);
		ck_assert(rc == DXT_OK || rc == DXT_EPARSE);
		ck_assert_uint_le(r.pos, b.len);
	}
	free(copy);
	dxt_buf_free(&b);
}
END_TEST

static const uint8_t page_v1[] = {
	0x15, 0x00,       /* type DATA_PAGE */
	0x15, 0xc8, 0x01, /* uncompressed_page_size 100 */
	0x15, 0x64,       /* compressed_page_size 50 */
	0x2c,             /* field 5: data_page_header */
	0x15, 0x14,       /* num_values 10 */
	0x15, 0x00,       /* encoding PLAIN */
	0x15, 0x06,       /* definition_level_encoding RLE */
	0x15, 0x06,       /* repetition_level_encoding RLE */
	0x00, 0x00,
};

START_TEST(page_header_bytes)
{
	struct dxt_pq_page_header h = { 0 };
	struct dxt_error err = { 0 };
	struct dxt_buf b = { 0 };
	size_t used = 0;

	h.type = DXT_PQ_DATA_PAGE;
	h.uncompressed_size = 100;
	h.compressed_size = 50;
	h.data.num_values = 10;
	h.data.def_level_encoding = 3;
	h.data.rep_level_encoding = 3;
	ck_assert_int_eq(dxt_pq_page_header_write(&b, &h), DXT_OK);
	ck_assert_uint_eq(b.len, sizeof(page_v1));
	ck_assert_mem_eq(b.data, page_v1, sizeof(page_v1));
	dxt_buf_free(&b);

	memset(&h, 0xff, sizeof(h));
	ck_assert_int_eq(dxt_pq_page_header_read(page_v1, sizeof(page_v1),
						 "p", &h, &used, &err),
			 DXT_OK);
	ck_assert_uint_eq(used, sizeof(page_v1));
	ck_assert(h.type == DXT_PQ_DATA_PAGE && !h.has_crc);
	ck_assert_int_eq(h.uncompressed_size, 100);
	ck_assert_int_eq(h.compressed_size, 50);
	ck_assert_int_eq(h.data.num_values, 10);
	ck_assert_int_eq(h.data.encoding, 0);
	ck_assert_int_eq(h.data.def_level_encoding, 3);
	ck_assert_int_eq(h.data.has_stats, 0);
}
END_TEST

START_TEST(page_header_round_trip)
{
	struct dxt_pq_page_header h = { 0 }, g;
	struct dxt_error err = { 0 };
	struct dxt_buf b = { 0 };
	size_t used, start;

	/* Three headers back to back, as pages follow each other. */
	h.type = DXT_PQ_DICTIONARY_PAGE;
	h.uncompressed_size = 7;
	h.compressed_size = 9;
	h.has_crc = 1;
	h.crc = -123456;
	h.dict.num_values = 3;
	h.dict.encoding = 2;
	h.dict.has_is_sorted = 1;
	h.dict.is_sorted = 1;
	ck_assert_int_eq(dxt_pq_page_header_write(&b, &h), DXT_OK);
	memset(&h, 0, sizeof(h));
	h.type = DXT_PQ_DATA_PAGE_V2;
	h.uncompressed_size = 1 << 20;
	h.compressed_size = 12345;
	h.data_v2.num_values = 1000;
	h.data_v2.num_nulls = 5;
	h.data_v2.num_rows = 1000;
	h.data_v2.encoding = 8;
	h.data_v2.def_levels_len = 17;
	h.data_v2.is_compressed = 0;
	h.data_v2.has_stats = 1;
	h.data_v2.stats.has_null_count = 1;
	h.data_v2.stats.null_count = 5;
	h.data_v2.stats.has_min = 1;
	h.data_v2.stats.min_value = (const uint8_t *)"apple";
	h.data_v2.stats.min_len = 5;
	h.data_v2.stats.has_max = 1;
	h.data_v2.stats.max_value = (const uint8_t *)"zebra!";
	h.data_v2.stats.max_len = 6;
	ck_assert_int_eq(dxt_pq_page_header_write(&b, &h), DXT_OK);
	h.type = DXT_PQ_INDEX_PAGE;
	ck_assert_int_eq(dxt_pq_page_header_write(&b, &h), DXT_EINVAL);

	ck_assert_int_eq(dxt_pq_page_header_read(b.data, b.len, "p", &g,
						 &used, &err),
			 DXT_OK);
	ck_assert(g.type == DXT_PQ_DICTIONARY_PAGE && g.has_crc);
	ck_assert_int_eq(g.crc, -123456);
	ck_assert_int_eq(g.dict.num_values, 3);
	ck_assert_int_eq(g.dict.encoding, 2);
	ck_assert(g.dict.has_is_sorted && g.dict.is_sorted);
	start = used;
	ck_assert_int_eq(dxt_pq_page_header_read(b.data + start,
						 b.len - start, "p", &g,
						 &used, &err),
			 DXT_OK);
	ck_assert_uint_eq(start + used, b.len);
	ck_assert(g.type == DXT_PQ_DATA_PAGE_V2);
	ck_assert_int_eq(g.uncompressed_size, 1 << 20);
	ck_assert_int_eq(g.data_v2.num_nulls, 5);
	ck_assert_int_eq(g.data_v2.encoding, 8);
	ck_assert_int_eq(g.data_v2.def_levels_len, 17);
	ck_assert_int_eq(g.data_v2.is_compressed, 0);
	ck_assert(g.data_v2.has_stats && g.data_v2.stats.null_count == 5);
	ck_assert(g.data_v2.stats.min_len == 5 &&
		  memcmp(g.data_v2.stats.min_value, "apple", 5) == 0);
	ck_assert(g.data_v2.stats.max_len == 6 &&
		  memcmp(g.data_v2.stats.max_value, "zebra!", 6) == 0);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(page_header_corrupt)
{
	struct dxt_pq_page_header h;
	struct dxt_error err = { 0 };
	uint8_t copy[sizeof(page_v1)], *exact;
	size_t used, n, bit;
	int rc;

	/* Without the data_page_header struct (fields 5.. replaced by stop). */
	memcpy(copy, page_v1, 8);
	copy[7] = 0;
	ck_assert_int_eq(dxt_pq_page_header_read(copy, 8, "page at 4 of "
						 "t.parquet", &h, &used, &err),
			 DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "page at 4 of t.parquet: "
					       "byte 8: page header lacks"));
	ck_assert_ptr_nonnull(strstr(err.message, "data_page_header"));

	for (n = 0; n < sizeof(page_v1); n++) {
		exact = malloc(n ? n : 1);
		memcpy(exact, page_v1, n);
		ck_assert_int_eq(dxt_pq_page_header_read(exact, n, "p", &h,
							 &used, &err),
				 DXT_EPARSE);
		free(exact);
	}
	for (bit = 0; bit < sizeof(page_v1) * 8; bit++) {
		memcpy(copy, page_v1, sizeof(copy));
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = dxt_pq_page_header_read(copy, sizeof(copy), "p", &h,
					     &used, &err);
		ck_assert(rc == DXT_OK || rc == DXT_EPARSE);
		if (rc == DXT_OK)
			ck_assert_uint_le(used, sizeof(copy));
	}
}
END_TEST

Suite *dxt_test_thrift(void)
{
	Suite *s = suite_create("thrift");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, exact_bytes);
	tcase_add_test(tc, read_struct_walks_fields);
	tcase_add_test(tc, read_known);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, skip_unknown);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, writer_misuse);
	tcase_add_test(tc, truncation_and_bitflips);
	suite_add_tcase(s, tc);
	tc = tcase_create("parquet_meta");
	tcase_add_test(tc, page_header_bytes);
	tcase_add_test(tc, page_header_round_trip);
	tcase_add_test(tc, page_header_corrupt);
	suite_add_tcase(s, tc);
	return s;
}
