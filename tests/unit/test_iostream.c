/*
 * test_iostream.c - compressed file streams, checksums, file helpers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "engine/iostream.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/dxt-iostream-XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

static void rmdir_all(char *dir)
{
	ck_assert_int_eq(dxt_remove_tree(dir, NULL), DXT_OK);
	free(dir);
}

/* Text that compresses, with some variety: ~3.5 MiB. */
static char *payload(size_t *n)
{
	size_t cap = 3700000, len = 0;
	char *p = malloc(cap);
	unsigned x = 12345;

	while (len + 64 < cap) {
		x = x * 1103515245u + 12345u;
		len += (size_t)snprintf(p + len, cap - len,
					"%u,row %zu,%u.%02u,2024-01-%02u\n",
					x >> 8, len, x % 1000, x % 100,
					1 + x % 28);
	}
	*n = len;
	return p;
}

static void round_trip(enum dxt_codec codec)
{
	char *dir = tmpdir(), path[512], *file;
	size_t n, off = 0, flen;
	char *data = payload(&n), *back = malloc(n + 100);
	struct dxt_ostream *os;
	struct dxt_istream *is;
	struct dxt_error err;
	uint64_t fbytes;
	uint32_t crc;
	long r;
	size_t chunk = 1;

	snprintf(path, sizeof(path), "%s/data%s", dir, dxt_codec_ext(codec));
	ck_assert_int_eq(dxt_ostream_open(path, codec, 0, &os, &err), DXT_OK);
	/* Irregular write sizes, from 1 byte to more than the I/O buffer. */
	while (off < n) {
		size_t k = chunk < n - off ? chunk : n - off;
		ck_assert_int_eq(dxt_ostream_write(os, data + off, k, &err),
				 DXT_OK);
		off += k;
		chunk = chunk * 7 + 3;
		if (chunk > 3000000)
			chunk = 5;
	}
	ck_assert_uint_eq(dxt_ostream_raw_bytes(os), n);
	ck_assert_int_eq(dxt_ostream_close(os, 1, &fbytes, &crc, &err), DXT_OK);

	/* The reported size and CRC are those of the file on disk. */
	ck_assert_int_eq(dxt_read_file(path, &file, &flen, &err), DXT_OK);
	ck_assert_uint_eq(fbytes, flen);
	ck_assert_uint_eq(crc, (uint32_t)crc32(0, (const Bytef *)file,
					       (uInt)flen));
	if (codec != DXT_CODEC_NONE)
		ck_assert_uint_lt(flen, n / 2);
	else
		ck_assert(memcmp(file, data, n) == 0);
	free(file);

	ck_assert_int_eq(dxt_istream_open(path, codec, &is, &err), DXT_OK);
	off = 0;
	chunk = 1;
	while ((r = dxt_istream_read(is, back + off, chunk, &err)) > 0) {
		off += (size_t)r;
		ck_assert_uint_le(off, n);
		chunk = chunk * 5 + 1;
		if (chunk > n + 100 - off)
			chunk = n + 100 - off;
		if (chunk == 0)
			chunk = 1;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(off, n);
	ck_assert(memcmp(back, data, n) == 0);
	ck_assert_uint_eq(dxt_istream_crc32(is), crc);
	ck_assert_uint_eq(dxt_istream_file_bytes(is), fbytes);
	ck_assert_int_eq(dxt_istream_read(is, back, 10, &err), 0);
	dxt_istream_close(is);
	free(data);
	free(back);
	rmdir_all(dir);
}

START_TEST(round_trip_none) { round_trip(DXT_CODEC_NONE); }
END_TEST
START_TEST(round_trip_zstd) { round_trip(DXT_CODEC_ZSTD); }
END_TEST
START_TEST(round_trip_gzip) { round_trip(DXT_CODEC_GZIP); }
END_TEST

START_TEST(codec_names)
{
	ck_assert_str_eq(dxt_codec_name(DXT_CODEC_ZSTD), "zstd");
	ck_assert_str_eq(dxt_codec_name(DXT_CODEC_NONE), "none");
	ck_assert_int_eq(dxt_codec_parse("gzip"), DXT_CODEC_GZIP);
	ck_assert_int_eq(dxt_codec_parse(""), DXT_CODEC_NONE);
	ck_assert_int_eq(dxt_codec_parse("none"), DXT_CODEC_NONE);
	ck_assert_int_eq(dxt_codec_parse("snappy"), DXT_CODEC_SNAPPY);
	ck_assert_int_eq(dxt_codec_parse("lz4"), -1);
	ck_assert_str_eq(dxt_codec_ext(DXT_CODEC_ZSTD), ".zst");
	ck_assert_str_eq(dxt_codec_ext(DXT_CODEC_GZIP), ".gz");
	ck_assert_str_eq(dxt_codec_ext(DXT_CODEC_NONE), "");
}
END_TEST

static void write_file(const char *path, enum dxt_codec codec, const char *s)
{
	struct dxt_ostream *os;

	ck_assert_int_eq(dxt_ostream_open(path, codec, 0, &os, NULL), DXT_OK);
	ck_assert_int_eq(dxt_ostream_write(os, s, strlen(s), NULL), DXT_OK);
	ck_assert_int_eq(dxt_ostream_close(os, 0, NULL, NULL, NULL), DXT_OK);
}

static void read_all(const char *path, enum dxt_codec codec, char *buf,
		     size_t cap, int want_rc, struct dxt_error *err)
{
	struct dxt_istream *is;
	size_t off = 0;
	long r;

	ck_assert_int_eq(dxt_istream_open(path, codec, &is, err), DXT_OK);
	while ((r = dxt_istream_read(is, buf + off, cap - 1 - off, err)) > 0)
		off += (size_t)r;
	buf[off] = '\0';
	ck_assert_int_eq(r < 0 ? (int)r : 0, want_rc);
	dxt_istream_close(is);
}

START_TEST(gzip_members)
{
	char *dir = tmpdir(), a[512], b[512], buf[256];
	char *da, *db, *both;
	size_t la, lb;

	snprintf(a, sizeof(a), "%s/a.gz", dir);
	snprintf(b, sizeof(b), "%s/b.gz", dir);
	write_file(a, DXT_CODEC_GZIP, "first member\n");
	write_file(b, DXT_CODEC_GZIP, "second member\n");
	ck_assert_int_eq(dxt_read_file(a, &da, &la, NULL), DXT_OK);
	ck_assert_int_eq(dxt_read_file(b, &db, &lb, NULL), DXT_OK);
	/* The gzip magic: the stream writes a gzip header, not zlib. */
	ck_assert_uint_eq((unsigned char)da[0], 0x1f);
	ck_assert_uint_eq((unsigned char)da[1], 0x8b);
	both = malloc(la + lb);
	memcpy(both, da, la);
	memcpy(both + la, db, lb);
	ck_assert_int_eq(dxt_write_file_atomic(a, both, la + lb, NULL), DXT_OK);
	read_all(a, DXT_CODEC_GZIP, buf, sizeof(buf), DXT_OK, NULL);
	ck_assert_str_eq(buf, "first member\nsecond member\n");
	free(da);
	free(db);
	free(both);
	rmdir_all(dir);
}
END_TEST

START_TEST(truncated_and_corrupt)
{
	char *dir = tmpdir(), path[512], buf[4096], *data;
	size_t len;
	struct dxt_error err;
	enum dxt_codec codecs[] = {DXT_CODEC_ZSTD, DXT_CODEC_GZIP};

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/t%s", dir,
			 dxt_codec_ext(codecs[i]));
		write_file(path, codecs[i],
			   "some text that will be cut short, some text that "
			   "will be cut short, some text");
		ck_assert_int_eq(dxt_read_file(path, &data, &len, NULL), DXT_OK);
		ck_assert_int_eq(dxt_write_file_atomic(path, data, len - 6, NULL),
				 DXT_OK);
		dxt_error_clear(&err);
		read_all(path, codecs[i], buf, sizeof(buf), DXT_EPARSE, &err);
		ck_assert_msg(strstr(err.message, path) != NULL &&
			      strstr(err.message, "truncated") != NULL,
			      "%s", err.message);
		/* Garbage instead of a frame header. */
		memset(data, 'x', 8);
		ck_assert_int_eq(dxt_write_file_atomic(path, data, len, NULL),
				 DXT_OK);
		dxt_error_clear(&err);
		read_all(path, codecs[i], buf, sizeof(buf), DXT_EPARSE, &err);
		ck_assert_msg(strstr(err.message, "corrupt") != NULL, "%s",
			      err.message);
		free(data);
	}
	rmdir_all(dir);
}
END_TEST

START_TEST(empty_streams)
{
	char *dir = tmpdir(), path[512], buf[16];
	enum dxt_codec codecs[] = {DXT_CODEC_NONE, DXT_CODEC_ZSTD,
				   DXT_CODEC_GZIP};

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/e%d", dir, i);
		write_file(path, codecs[i], "");
		read_all(path, codecs[i], buf, sizeof(buf), DXT_OK, NULL);
		ck_assert_str_eq(buf, "");
	}
	rmdir_all(dir);
}
END_TEST

START_TEST(open_errors)
{
	struct dxt_istream *is;
	struct dxt_ostream *os;
	struct dxt_error err;

	ck_assert_int_eq(dxt_istream_open("/nonexistent/dxt/x", DXT_CODEC_NONE,
					  &is, &err), DXT_ENOTFOUND);
	ck_assert_ptr_null(is);
	ck_assert_msg(strstr(err.message, "/nonexistent/dxt/x") != NULL, "%s",
		      err.message);
	ck_assert_int_eq(dxt_ostream_open("/nonexistent/dxt/x", DXT_CODEC_ZSTD,
					  0, &os, &err), DXT_EIO);
	ck_assert_ptr_null(os);
	ck_assert_int_eq(dxt_ostream_open("/tmp/x", DXT_CODEC_SNAPPY, 0, &os,
					  &err), DXT_EUNSUPPORTED);
	ck_assert_int_eq(dxt_ostream_open("/tmp/x", DXT_CODEC_GZIP, 12, &os,
					  &err), DXT_EINVAL);
	dxt_ostream_abort(NULL);
	dxt_istream_close(NULL);
}
END_TEST

START_TEST(file_helpers)
{
	char *dir = tmpdir(), path[512], deep[512], *data;
	size_t len;
	struct stat st;
	struct dxt_error err;
	FILE *f;

	/* Atomic write: content, mode, no temporary file left behind. */
	snprintf(path, sizeof(path), "%s/state.json", dir);
	ck_assert_int_eq(dxt_write_file_atomic(path, "{\"a\": 1}", 8, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_write_file_atomic(path, "{}", 2, &err), DXT_OK);
	ck_assert_int_eq(dxt_read_file(path, &data, &len, &err), DXT_OK);
	ck_assert_uint_eq(len, 2);
	ck_assert_str_eq(data, "{}");
	free(data);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	snprintf(deep, sizeof(deep), "ls -A %s | wc -l", dir);
	f = popen(deep, "r");
	ck_assert_int_eq(fscanf(f, "%zu", &len), 1);
	pclose(f);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(dxt_read_file("/nonexistent/x", &data, &len, &err),
			 DXT_ENOTFOUND);

	/* mkdir -p, twice, then over a file. */
	snprintf(deep, sizeof(deep), "%s/a/b//c/d/", dir);
	ck_assert_int_eq(dxt_mkdirs(deep, &err), DXT_OK);
	ck_assert_int_eq(dxt_mkdirs(deep, &err), DXT_OK);
	snprintf(deep, sizeof(deep), "%s/a/b/c/d/f.txt", dir);
	ck_assert_int_eq(dxt_write_file_atomic(deep, "x", 1, &err), DXT_OK);
	ck_assert_int_eq(dxt_mkdirs(deep, &err), DXT_EIO);
	ck_assert_msg(strstr(err.message, "f.txt") != NULL, "%s", err.message);
	ck_assert_int_eq(dxt_fsync_dir(dir, &err), DXT_OK);

	/* rm -rf of a tree; a missing tree is fine. */
	snprintf(deep, sizeof(deep), "%s/a", dir);
	ck_assert_int_eq(dxt_remove_tree(deep, &err), DXT_OK);
	ck_assert_int_ne(stat(deep, &st), 0);
	ck_assert_int_eq(dxt_remove_tree(deep, &err), DXT_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	rmdir_all(dir);
}
END_TEST

Suite *dxt_test_iostream(void)
{
	Suite *s = suite_create("iostream");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, round_trip_none);
	tcase_add_test(tc, round_trip_zstd);
	tcase_add_test(tc, round_trip_gzip);
	tcase_add_test(tc, codec_names);
	tcase_add_test(tc, gzip_members);
	tcase_add_test(tc, truncated_and_corrupt);
	tcase_add_test(tc, empty_streams);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, file_helpers);
	suite_add_tcase(s, tc);
	return s;
}
