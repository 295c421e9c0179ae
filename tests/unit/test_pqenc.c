/*
 * test_pqenc.c - Parquet encodings: spec examples, round trips, damaged input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pqenc.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

START_TEST(rle_spec_example)
{
	/* Encodings.md: 0..7 with bit width 3 is one bit-packed group. */
	uint32_t v[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, back[8];
	const uint8_t want[] = { 0x03, 0x88, 0xC6, 0xFA };
	struct dxt_buf b = { 0 };
	size_t used;

	ck_assert_int_eq(dxt_pq_rle_encode(&b, v, 8, 3, false, NULL), DXT_OK);
	ck_assert_uint_eq(b.len, sizeof(want));
	ck_assert_mem_eq(b.data, want, sizeof(want));
	ck_assert_int_eq(dxt_pq_rle_decode(b.data, b.len, 3, back, 8, &used,
					   NULL), DXT_OK);
	ck_assert_uint_eq(used, 4);
	ck_assert_mem_eq(back, v, sizeof(v));
	dxt_buf_free(&b);
}
END_TEST

START_TEST(bit_packed_spec_example)
{
	/* Encodings.md, BIT_PACKED: 0..7 with bit width 3, most significant
	 * bit first: 00000101 00111001 01110111. */
	const uint8_t in[] = { 0x05, 0x39, 0x77, 0xFF };
	const uint32_t want[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	uint32_t back[10];
	struct dxt_error err;
	size_t used;

	ck_assert_int_eq(dxt_pq_bitpacked_msb_decode(in, sizeof(in), 3, back,
						     8, &used, &err), DXT_OK);
	ck_assert_uint_eq(used, 3);
	ck_assert_mem_eq(back, want, sizeof(want));
	/* Width 1, ten levels over two bytes: 1011 0011 01 */
	{
		const uint8_t two[] = { 0xB3, 0x40 };
		const uint32_t w1[10] = { 1, 0, 1, 1, 0, 0, 1, 1, 0, 1 };

		ck_assert_int_eq(dxt_pq_bitpacked_msb_decode(two, 2, 1, back,
							     10, &used, &err),
				 DXT_OK);
		ck_assert_uint_eq(used, 2);
		ck_assert_mem_eq(back, w1, sizeof(w1));
	}
	/* Nine values need 27 bits: four bytes; three are too few. */
	ck_assert_int_eq(dxt_pq_bitpacked_msb_decode(in, 3, 3, back, 9, &used,
						     &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "need 4 bytes, 3 are left"));
	ck_assert_int_eq(dxt_pq_bitpacked_msb_decode(in, 4, 33, back, 1,
						     &used, &err), DXT_EPARSE);
}
END_TEST

START_TEST(rle_round_trip)
{
	struct dxt_buf b = { 0 };
	uint32_t *v = malloc(5000 * 4), *back = malloc(5000 * 4);

	for (unsigned bw = 0; bw <= 32; bw++) {
		for (size_t n = 0; n < 5000; n = n * 3 + 1) {
			uint32_t mask = bw == 32 ? UINT32_MAX
						 : (uint32_t)((1ull << bw) - 1);
			size_t used;

			for (size_t i = 0; i < n; i++)
				v[i] = (rnd() % 3 == 0 && i > 0) ? v[i - 1]
					: (uint32_t)rnd() & mask;
			b.len = 0;
			ck_assert_int_eq(dxt_pq_rle_encode(&b, v, n, bw,
							   true, NULL), DXT_OK);
			ck_assert_int_eq(dxt_pq_rle_decode_prefixed(b.data,
					 b.len, bw, back, n, &used, NULL),
					 DXT_OK);
			ck_assert_uint_eq(used, b.len);
			ck_assert(n == 0 || !memcmp(v, back, n * 4));
		}
	}
	free(v);
	free(back);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(delta_spec_examples)
{
	int32_t a[] = { 1, 2, 3, 4, 5 }, b2[] = { 7, 5, 3, 1, 2, 3, 4, 5 };
	int32_t back[8];
	struct dxt_buf b = { 0 };

	ck_assert_int_eq(dxt_pq_delta_encode_i32(&b, a, 5, NULL), DXT_OK);
	ck_assert_int_eq(dxt_pq_delta_decode_i32(b.data, b.len, back, 5, NULL,
						 NULL), DXT_OK);
	ck_assert_mem_eq(back, a, sizeof(a));
	b.len = 0;
	ck_assert_int_eq(dxt_pq_delta_encode_i32(&b, b2, 8, NULL), DXT_OK);
	/* header 128, 4, 8, zigzag(7); min delta zigzag(-2); widths 2,0,0,0 */
	ck_assert_uint_eq(b.data[3], 0x08);
	ck_assert_uint_eq(b.data[4], 14);
	ck_assert_uint_eq(b.data[5], 3);
	ck_assert_uint_eq(b.data[6], 2);
	ck_assert_uint_eq(b.data[10], 0xC0);
	ck_assert_uint_eq(b.data[11], 0x3F);
	ck_assert_int_eq(dxt_pq_delta_decode_i32(b.data, b.len, back, 8, NULL,
						 NULL), DXT_OK);
	ck_assert_mem_eq(back, b2, sizeof(b2));
	dxt_buf_free(&b);
}
END_TEST

START_TEST(delta_round_trip_and_damage)
{
	struct dxt_buf b = { 0 };
	int64_t *v = malloc(3000 * 8), *back = malloc(3000 * 8);

	for (size_t n = 0; n < 3000; n = n * 2 + 1) {
		size_t used;

		for (size_t i = 0; i < n; i++)
			v[i] = (int64_t)(rnd() >> (rnd() % 64));
		b.len = 0;
		ck_assert_int_eq(dxt_pq_delta_encode_i64(&b, v, n, NULL),
				 DXT_OK);
		ck_assert_int_eq(dxt_pq_delta_decode_i64(b.data, b.len, back,
				 n, &used, NULL), DXT_OK);
		ck_assert_uint_eq(used, b.len);
		ck_assert(n == 0 || !memcmp(v, back, n * 8));
		if (n < 300) {
			for (size_t t = 0; t < b.len; t++)
				ck_assert_int_eq(dxt_pq_delta_decode_i64(b.data,
						 t, back, n, &used, NULL),
						 DXT_EPARSE);
			for (size_t bit = 0; bit < b.len * 8; bit++) {
				b.data[bit / 8] ^= (uint8_t)(1u << (bit & 7));
				(void)dxt_pq_delta_decode_i64(b.data, b.len,
							      back, n, &used,
							      NULL);
				b.data[bit / 8] ^= (uint8_t)(1u << (bit & 7));
			}
		}
	}
	free(v);
	free(back);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(byte_arrays_bss_bool)
{
	const char *words[] = { "axis", "axle", "axles", "", "bee", "beer" };
	int32_t off[7], back[7];
	struct dxt_buf d = { 0 }, b = { 0 }, out = { 0 };
	double f[5] = { 1.5, -2, 3e300, 0, 7 }, g[5];
	bool bo[11], bb[11];
	size_t used;

	off[0] = 0;
	for (int i = 0; i < 6; i++) {
		dxt_buf_puts(&d, words[i]);
		off[i + 1] = (int32_t)d.len;
	}
	for (int kind = 0; kind < 2; kind++) {
		b.len = 0;
		out.len = 0;
		ck_assert_int_eq(kind ? dxt_pq_dba_encode(&b, off, d.data, 6, NULL)
				      : dxt_pq_dlba_encode(&b, off, d.data, 6, NULL),
				 DXT_OK);
		ck_assert_int_eq(kind ? dxt_pq_dba_decode(b.data, b.len, 6, &out,
							  back, &used, NULL)
				      : dxt_pq_dlba_decode(b.data, b.len, 6, &out,
							   back, &used, NULL),
				 DXT_OK);
		ck_assert_uint_eq(used, b.len);
		ck_assert_mem_eq(back, off, sizeof(off));
		ck_assert_mem_eq(out.data, d.data, d.len);
		for (size_t t = 0; t < b.len; t++) {
			out.len = 0;
			ck_assert_int_ne(kind ? dxt_pq_dba_decode(b.data, t, 6,
					 &out, back, &used, NULL)
					      : dxt_pq_dlba_decode(b.data, t, 6,
					 &out, back, &used, NULL), DXT_OK);
		}
	}
	b.len = 0;
	ck_assert_int_eq(dxt_pq_bss_encode(&b, f, 5, 8, NULL), DXT_OK);
	ck_assert_int_eq(dxt_pq_bss_decode(b.data, b.len, 5, 8, g, &used, NULL),
			 DXT_OK);
	ck_assert_mem_eq(f, g, sizeof(f));
	ck_assert_int_eq(dxt_pq_bss_decode(b.data, b.len - 1, 5, 8, g, &used,
					   NULL), DXT_EPARSE);
	for (int i = 0; i < 11; i++)
		bo[i] = i % 3 == 0;
	b.len = 0;
	ck_assert_int_eq(dxt_pq_bool_pack(&b, bo, 11), DXT_OK);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_uint_eq(b.data[0], 0x49);
	ck_assert_int_eq(dxt_pq_bool_unpack(b.data, 2, 11, bb, &used, NULL),
			 DXT_OK);
	ck_assert_mem_eq(bo, bb, sizeof(bo));
	ck_assert_int_eq(dxt_pq_bool_unpack(b.data, 1, 11, bb, &used, NULL),
			 DXT_EPARSE);
	dxt_buf_free(&d);
	dxt_buf_free(&b);
	dxt_buf_free(&out);
}
END_TEST

START_TEST(rle_damage)
{
	uint32_t v[300], back[300];
	struct dxt_buf b = { 0 };
	size_t used;

	for (size_t i = 0; i < 300; i++)
		v[i] = i < 100 ? 5 : (uint32_t)rnd() & 127;
	ck_assert_int_eq(dxt_pq_rle_encode(&b, v, 300, 7, true, NULL), DXT_OK);
	for (size_t t = 0; t < b.len; t++)
		ck_assert_int_eq(dxt_pq_rle_decode_prefixed(b.data, t, 7, back,
				 300, &used, NULL), DXT_EPARSE);
	for (size_t bit = 0; bit < b.len * 8; bit++) {
		b.data[bit / 8] ^= (uint8_t)(1u << (bit & 7));
		(void)dxt_pq_rle_decode_prefixed(b.data, b.len, 7, back, 300,
						 &used, NULL);
		b.data[bit / 8] ^= (uint8_t)(1u << (bit & 7));
	}
	ck_assert_int_eq(dxt_pq_rle_decode_prefixed(b.data, b.len, 33, back,
			 300, &used, NULL), DXT_EPARSE);
	dxt_buf_free(&b);
}
END_TEST

/* Writers pad the last run: the values needed are taken, the rest
 * ignored, and nothing past the data is read. */
START_TEST(rle_padded_last_runs)
{
	/* Bit-packed, bw 1: a run of 4 groups (header 4 << 1 | 1 = 9) of
	 * which only the first 10 values are wanted. */
	static const uint8_t packed[] = { 9, 0xff, 0x02, 0, 0 };
	/* RLE run of 50 sevens (header 100) when 3 are wanted. */
	static const uint8_t rle[] = { 100, 7 };
	uint32_t out[10];
	size_t used;

	ck_assert_int_eq(dxt_pq_rle_decode(packed, sizeof(packed), 1, out, 10,
					   &used, NULL), DXT_OK);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(out[i], 1);
	ck_assert_uint_eq(out[8], 0);
	ck_assert_uint_eq(out[9], 1);
	/* The run declares 4 bytes; only 4 follow the header. */
	ck_assert_uint_eq(used, 5);
	ck_assert_int_eq(dxt_pq_rle_decode(rle, sizeof(rle), 3, out, 3, &used,
					   NULL), DXT_OK);
	ck_assert_uint_eq(out[0], 7);
	ck_assert_uint_eq(out[2], 7);
	ck_assert_uint_eq(used, 2);
	/* The values themselves must be there. */
	ck_assert_int_eq(dxt_pq_rle_decode(packed, 2, 1, out, 10, &used, NULL),
			 DXT_EPARSE);
}
END_TEST

Suite *dxt_test_pqenc(void)
{
	Suite *s = suite_create("pqenc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rle_spec_example);
	tcase_add_test(tc, bit_packed_spec_example);
	tcase_add_test(tc, rle_round_trip);
	tcase_add_test(tc, delta_spec_examples);
	tcase_add_test(tc, delta_round_trip_and_damage);
	tcase_add_test(tc, byte_arrays_bss_bool);
	tcase_add_test(tc, rle_damage);
	tcase_add_test(tc, rle_padded_last_runs);
	suite_add_tcase(s, tc);
	return s;
}
