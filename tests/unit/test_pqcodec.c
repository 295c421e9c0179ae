/*
 * test_pqcodec.c - Parquet page codecs: round trips, size checks, damaged
 * and unsupported input.
 */
#include <check.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pqcodec.h"

static const enum dxt_pq_codec writable[] = {
	DXT_PQ_UNCOMPRESSED, DXT_PQ_SNAPPY, DXT_PQ_GZIP, DXT_PQ_ZSTD,
};

/* Compressible but not trivial: repeated words with a counter. */
static size_t fill(char *p, size_t n)
{
	size_t len = 0;
	unsigned i = 0;

	while (len + 16 < n)
		len += (size_t)snprintf(p + len, n - len, "value %u;", i++ % 97);
	return len;
}

START_TEST(round_trips)
{
	static const size_t sizes[] = { 0, 1, 17, 1000, 70000 };
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	char *src = malloc(70000), *back = malloc(70000);
	struct dxt_buf b = { 0 };
	struct dxt_error err;

	ck_assert_ptr_nonnull(c);
	for (size_t k = 0; k < 4; k++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s] < 20 ? sizes[s] : fill(src, sizes[s]);

			if (n && n < 20)
				memset(src, 'x', n);
			/* Two levels in turn: the reused context follows. */
			for (int level = 0; level <= 3; level += 3) {
				b.len = 0;
				ck_assert_int_eq(dxt_pq_compress(c, writable[k],
						 level, src, n, &b, &err),
						 DXT_OK);
				if (writable[k] != DXT_PQ_UNCOMPRESSED &&
				    n > 1000)
					ck_assert_uint_lt(b.len, n / 2);
				memset(back, 0, n);
				ck_assert_msg(dxt_pq_decompress(c, writable[k],
					      b.data, b.len, back, n, &err) ==
					      DXT_OK, "%s n=%zu: %s",
					      dxt_pq_codec_name(writable[k]),
					      n, err.message);
				ck_assert(n == 0 || !memcmp(src, back, n));
			}
		}
	}
	dxt_buf_free(&b);
	free(src);
	free(back);
	dxt_pq_codec_ctx_free(c);
}
END_TEST

START_TEST(compress_appends)
{
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	struct dxt_buf b = { 0 };
	struct dxt_error err;
	char back[5];

	dxt_buf_append(&b, "HEAD", 4);
	ck_assert_int_eq(dxt_pq_compress(c, DXT_PQ_GZIP, 9, "hello", 5, &b,
					 &err), DXT_OK);
	ck_assert_mem_eq(b.data, "HEAD", 4);
	/* GZIP means the gzip framing (RFC 1952), not a zlib stream. */
	ck_assert_uint_eq(b.data[4], 0x1f);
	ck_assert_uint_eq(b.data[5], 0x8b);
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_GZIP, b.data + 4,
					   b.len - 4, back, 5, &err), DXT_OK);
	ck_assert_mem_eq(back, "hello", 5);
	dxt_buf_free(&b);
	dxt_pq_codec_ctx_free(c);
}
END_TEST

START_TEST(gzip_members)
{
	/* Two gzip members back to back decode as their concatenation. */
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	struct dxt_buf b = { 0 };
	struct dxt_error err;
	char back[10];

	ck_assert_int_eq(dxt_pq_compress(c, DXT_PQ_GZIP, 0, "hello", 5, &b,
					 &err), DXT_OK);
	ck_assert_int_eq(dxt_pq_compress(c, DXT_PQ_GZIP, 0, "world", 5, &b,
					 &err), DXT_OK);
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_GZIP, b.data, b.len,
					   back, 10, &err), DXT_OK);
	ck_assert_mem_eq(back, "helloworld", 10);
	dxt_buf_free(&b);
	dxt_pq_codec_ctx_free(c);
}
END_TEST

START_TEST(lz4_raw)
{
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	char src[4000], comp[4200], back[4000];
	struct dxt_error err;
	size_t n = fill(src, sizeof(src));
	int cn = LZ4_compress_default(src, comp, (int)n, (int)sizeof(comp));

	ck_assert_int_gt(cn, 0);
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_LZ4_RAW, comp, (size_t)cn,
					   back, n, &err), DXT_OK);
	ck_assert_mem_eq(back, src, n);
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_LZ4_RAW, comp,
					   (size_t)cn - 3, back, n, &err),
			 DXT_EPARSE);
	ck_assert_str_eq(err.message, "LZ4_RAW page data is corrupt or "
			 "decompresses to more than the 3991 bytes the page "
			 "header says");
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_LZ4_RAW, comp, (size_t)cn,
					   back, n + 1, &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "LZ4_RAW page decompressed to 3991 "
			 "bytes, the page header says 3992; the file is "
			 "corrupt");
	/* LZ4_RAW is read, not written. */
	ck_assert(!dxt_pq_codec_can_write(DXT_PQ_LZ4_RAW));
	dxt_pq_codec_ctx_free(c);
}
END_TEST

/* "row 0,row 1,...,row 9," compressed by libbrotlienc (quality 5). */
static const uint8_t brotli_rows[] = {
	0x1b, 0x3b, 0x00, 0x00, 0xc4, 0x26, 0x47, 0xa4, 0xcd, 0x0f, 0x7a, 0x5e,
	0xa5, 0xb6, 0xa4, 0x5c, 0x40, 0x12, 0x59, 0xe2, 0xd8, 0xed, 0x13, 0x83,
	0x50, 0xc6, 0x85, 0x54, 0xba, 0x01,
};

START_TEST(brotli)
{
	const char *want = "row 0,row 1,row 2,row 3,row 4,row 5,row 6,row 7,"
			   "row 8,row 9,";
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	struct dxt_error err;
	char back[80];

	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_BROTLI, brotli_rows,
					   sizeof(brotli_rows), back, 60, &err),
			 DXT_OK);
	ck_assert_mem_eq(back, want, 60);
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_BROTLI, brotli_rows,
					   sizeof(brotli_rows), back, 61, &err),
			 DXT_EPARSE);
	ck_assert_str_eq(err.message, "BROTLI page decompressed to 60 bytes, "
			 "the page header says 61; the file is corrupt");
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_BROTLI, brotli_rows,
					   sizeof(brotli_rows), back, 59, &err),
			 DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "more than the 59 bytes"));
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_BROTLI, brotli_rows,
					   sizeof(brotli_rows) - 4, back, 60,
					   &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "BROTLI page data is "
				     "corrupt"));
	dxt_pq_codec_ctx_free(c);
}
END_TEST

START_TEST(wrong_sizes)
{
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	char src[3000], back[3100];
	struct dxt_buf b = { 0 };
	struct dxt_error err;
	size_t n = fill(src, sizeof(src));
	char want[200];

	for (size_t k = 0; k < 4; k++) {
		const char *name = dxt_pq_codec_name(writable[k]);

		b.len = 0;
		ck_assert_int_eq(dxt_pq_compress(c, writable[k], 0, src, n,
						 &b, &err), DXT_OK);
		/* The header promises more than the data holds. */
		ck_assert_int_eq(dxt_pq_decompress(c, writable[k], b.data,
						   b.len, back, n + 20, &err),
				 DXT_EPARSE);
		snprintf(want, sizeof(want), "%s page decompressed to %zu "
			 "bytes, the page header says %zu; the file is "
			 "corrupt", name, n, n + 20);
		ck_assert_str_eq(err.message, want);
		/* The header promises less than the data holds. */
		ck_assert_int_eq(dxt_pq_decompress(c, writable[k], b.data,
						   b.len, back, n - 1, &err),
				 DXT_EPARSE);
		ck_assert_msg(strstr(err.message, name) &&
			      (strstr(err.message, "more than the") ||
			       strstr(err.message, "decompressed to")),
			      "%s", err.message);
		/* The context still works after a failure. */
		ck_assert_int_eq(dxt_pq_decompress(c, writable[k], b.data,
						   b.len, back, n, &err),
				 DXT_OK);
		ck_assert_mem_eq(back, src, n);
	}
	dxt_buf_free(&b);
	dxt_pq_codec_ctx_free(c);
}
END_TEST

START_TEST(corrupt_input)
{
	static const enum dxt_pq_codec all[] = {
		DXT_PQ_SNAPPY, DXT_PQ_GZIP, DXT_PQ_ZSTD, DXT_PQ_LZ4_RAW,
	};
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	char src[600], back[600];
	uint8_t comp[1000];
	struct dxt_buf b = { 0 };
	struct dxt_error err;
	size_t n = fill(src, sizeof(src)), cn;

	for (size_t k = 0; k < 4; k++) {
		const char *name = dxt_pq_codec_name(all[k]);

		b.len = 0;
		if (all[k] == DXT_PQ_LZ4_RAW) {
			int r = LZ4_compress_default(src, (char *)comp,
						     (int)n, sizeof(comp));
			dxt_buf_append(&b, comp, (size_t)r);
		} else {
			ck_assert_int_eq(dxt_pq_compress(c, all[k], 0, src, n,
							 &b, &err), DXT_OK);
		}
		cn = b.len;
		ck_assert_uint_le(cn, sizeof(comp));
		/* Every truncation is an error naming the codec. */
		for (size_t len = 0; len < cn; len++) {
			memcpy(comp, b.data, len);
			ck_assert_msg(dxt_pq_decompress(c, all[k], comp, len,
				      back, n, &err) == DXT_EPARSE,
				      "%s truncated to %zu", name, len);
			ck_assert_msg(strstr(err.message, name) != NULL, "%s",
				      err.message);
		}
		/* Every bit flip decodes to something or is an error: never
		 * a read or write outside the buffers (ASan checks). */
		for (size_t bit = 0; bit < cn * 8; bit++) {
			int rc;

			memcpy(comp, b.data, cn);
			comp[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			rc = dxt_pq_decompress(c, all[k], comp, cn, back, n,
					       &err);
			ck_assert_msg(rc == DXT_OK || rc == DXT_EPARSE,
				      "%s bit %zu: %d", name, bit, rc);
		}
	}
	/* A zstd frame with a flipped magic says what zstd found. */
	b.len = 0;
	dxt_pq_compress(c, DXT_PQ_ZSTD, 0, src, n, &b, &err);
	b.data[0] ^= 0xff;
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_ZSTD, b.data, b.len,
					   back, n, &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "ZSTD page data is corrupt (Unknown "
			 "frame descriptor)");
	/* Garbage is not gzip. */
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_GZIP, "garbage!", 8,
					   back, n, &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "GZIP page data is corrupt"));
	/* An uncompressed page of the wrong size. */
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_UNCOMPRESSED, src, 10,
					   back, 12, &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "UNCOMPRESSED page decompressed to 10 "
			 "bytes, the page header says 12; the file is corrupt");
	dxt_buf_free(&b);
	dxt_pq_codec_ctx_free(c);
}
END_TEST

START_TEST(unsupported)
{
	struct dxt_pq_codec_ctx *c = dxt_pq_codec_ctx_new();
	struct dxt_buf b = { 0 };
	struct dxt_error err;
	char back[4];

	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_LZO, "abcd", 4, back, 4,
					   &err), DXT_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.message, "LZO cannot be read"));
	ck_assert_int_eq(dxt_pq_decompress(c, DXT_PQ_LZ4, "abcd", 4, back, 4,
					   &err), DXT_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.message, "Hadoop-framed LZ4"));
	ck_assert_int_eq(dxt_pq_decompress(c, (enum dxt_pq_codec)42, "abcd",
					   4, back, 4, &err),
			 DXT_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.message, "codec 42 is unknown"));

	ck_assert_int_eq(dxt_pq_compress(c, DXT_PQ_BROTLI, 0, "abcd", 4, &b,
					 &err), DXT_EINVAL);
	ck_assert_str_eq(err.message, "Parquet codec BROTLI cannot be "
			 "written; use UNCOMPRESSED, SNAPPY, GZIP or ZSTD");
	ck_assert_int_eq(dxt_pq_compress(c, DXT_PQ_GZIP, 10, "abcd", 4, &b,
					 &err), DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "GZIP level 10"));
	ck_assert_int_eq(dxt_pq_compress(c, DXT_PQ_ZSTD, 23, "abcd", 4, &b,
					 &err), DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "ZSTD level 23"));
	ck_assert_uint_eq(b.len, 0);
	ck_assert(dxt_pq_codec_can_write(DXT_PQ_ZSTD));
	ck_assert(!dxt_pq_codec_can_write(DXT_PQ_LZO));
	dxt_pq_codec_ctx_free(c);
	dxt_pq_codec_ctx_free(NULL);
}
END_TEST

Suite *dxt_test_pqcodec(void)
{
	Suite *s = suite_create("pqcodec");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, compress_appends);
	tcase_add_test(tc, gzip_members);
	tcase_add_test(tc, lz4_raw);
	tcase_add_test(tc, brotli);
	tcase_add_test(tc, wrong_sizes);
	tcase_add_test(tc, corrupt_input);
	tcase_add_test(tc, unsupported);
	suite_add_tcase(s, tc);
	return s;
}
