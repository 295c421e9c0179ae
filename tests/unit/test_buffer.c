/*
 * test_buffer.c - the persisted buffer: round trips through every format and
 * codec, part rotation, manifest, crash safety, checksums, passthrough files
 * and rejects.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "engine/buffer.h"
#include "engine/convert.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/dxt-buffer-XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

static char *stream_dir(const char *base)
{
	char buf[512];

	/* The writer creates the stream folder and its parents itself. */
	snprintf(buf, sizeof(buf), "%s/runs/r1/orders", base);
	return strdup(buf);
}

static void cleanup(char *base, char *dir)
{
	ck_assert_int_eq(dxt_remove_tree(base, NULL), DXT_OK);
	free(base);
	free(dir);
}

static struct dxt_schema *schema(void)
{
	struct dxt_schema *s = dxt_schema_create();

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_schema_add(s, "name", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "amount", DXT_TYPE_DECIMAL, 12, 2, true, NULL);
	dxt_schema_add(s, "ok", DXT_TYPE_BOOL, 0, 0, true, NULL);
	dxt_schema_add(s, "at", DXT_TYPE_TIMESTAMP, 0, 0, true, NULL);
	dxt_schema_add(s, "x", DXT_TYPE_FLOAT64, 0, 0, true, NULL);
	dxt_schema_add(s, "doc", DXT_TYPE_JSON, 0, 0, true, NULL);
	return s;
}

/* Fills b with rows [first, first + n) of a deterministic table. */
static void fill(struct dxt_batch *b, size_t first, size_t n)
{
	static const char *const names[] = {"plain", "with,comma",
					    "quote \" and\nnewline", "",
					    "\xc3\xa9t\xc3\xa9"};
	char doc[64];

	dxt_batch_reset(b);
	for (size_t r = first; r < first + n; r++) {
		const char *nm = names[r % 5];

		dxt_col_append_i64(&b->cols[0], (int64_t)r);
		if (r % 7 == 3)
			dxt_col_append_null(&b->cols[1]);
		else
			dxt_col_append_bytes(&b->cols[1], nm, strlen(nm));
		if (r % 5 == 4)
			dxt_col_append_null(&b->cols[2]);
		else
			dxt_col_append_dec(&b->cols[2],
					   (__int128)r * 101 - 5000);
		dxt_col_append_bool(&b->cols[3], r % 2);
		dxt_col_append_i64(&b->cols[4],
				   1700000000000000 + (int64_t)r * 1000001);
		dxt_col_append_f64(&b->cols[5], (double)r / 8.0);
		snprintf(doc, sizeof(doc), "{\"r\":%zu,\"t\":[1,\"a\"]}", r);
		if (r % 3 == 0)
			dxt_col_append_null(&b->cols[6]);
		else
			dxt_col_append_bytes(&b->cols[6], doc, strlen(doc));
		dxt_batch_end_row(b);
	}
}

static void cell(const struct dxt_batch *b, size_t col, size_t row,
		 char *text, size_t cap)
{
	struct dxt_buf out = {0};

	if (!dxt_col_is_valid(&b->cols[col], row)) {
		snprintf(text, cap, "NULL");
		return;
	}
	ck_assert_int_eq(dxt_value_format(&b->cols[col],
					  &b->schema->fields[col], row, &out),
			 DXT_OK);
	snprintf(text, cap, "%.*s", (int)out.len, (const char *)out.data);
	dxt_buf_free(&out);
}

/* Compares row `row` of `got` with row `want_row` of a reference batch. */
static void same_row(const struct dxt_batch *got, size_t row,
		     const struct dxt_batch *ref, size_t want_row)
{
	char a[256], b[256];

	for (size_t c = 0; c < ref->ncols; c++) {
		cell(got, c, row, a, sizeof(a));
		cell(ref, c, want_row, b, sizeof(b));
		ck_assert_msg(strcmp(a, b) == 0, "row %zu col %zu: got %s, want %s",
			      want_row, c, a, b);
	}
}

static struct dxt_buffer_opts opts_for(const char *format,
				       enum dxt_codec codec)
{
	struct dxt_buffer_opts o;

	dxt_buffer_opts_default(&o);
	snprintf(o.format, sizeof(o.format), "%s", format);
	o.codec = codec;
	o.fsync = false;
	return o;
}

/* Writes `total` rows in batches of `per` and commits. */
static void write_rows(const char *dir, const struct dxt_buffer_opts *o,
		       size_t total, size_t per)
{
	struct dxt_schema *s = schema();
	struct dxt_buffer_writer *w;
	struct dxt_batch b;
	struct dxt_error err;

	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, s, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	for (size_t at = 0; at < total; at += per) {
		fill(&b, at, per < total - at ? per : total - at);
		ck_assert_msg(dxt_buffer_writer_batch(w, &b, &err) == DXT_OK,
			      "%s", err.message);
	}
	ck_assert_uint_eq(dxt_buffer_writer_rows(w), total);
	ck_assert_msg(dxt_buffer_writer_commit(w, &err) == DXT_OK, "%s",
		      err.message);
	dxt_buffer_writer_destroy(w);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}

/* Reads everything back and checks every value; returns the batch count. */
static size_t read_rows(const char *dir, size_t total, size_t max_rows)
{
	struct dxt_schema *s = schema();
	struct dxt_batch_limits lim = {max_rows, 0};
	struct dxt_buffer_reader *r;
	struct dxt_batch ref, *got;
	struct dxt_error err;
	size_t seen = 0, batches = 0;
	int rc;

	ck_assert_int_eq(dxt_batch_init(&ref, s), DXT_OK);
	ck_assert_msg(dxt_buffer_reader_open(dir, &lim, &r, &err) == DXT_OK,
		      "%s", err.message);
	while ((rc = dxt_buffer_reader_next(r, &got, &err)) == 1) {
		ck_assert_uint_le(got->nrows, max_rows);
		fill(&ref, seen, got->nrows);
		for (size_t i = 0; i < got->nrows; i++)
			same_row(got, i, &ref, i);
		seen += got->nrows;
		batches++;
	}
	ck_assert_msg(rc == 0, "%s", err.message);
	ck_assert_uint_eq(seen, total);
	ck_assert_uint_eq(dxt_buffer_reader_rows(r), total);
	dxt_buffer_reader_destroy(r);
	dxt_batch_release(&ref);
	dxt_schema_destroy(s);
	return batches;
}

static void round_trip(const char *format, enum dxt_codec codec)
{
	char *base = tmpdir(), *dir = stream_dir(base);
	struct dxt_buffer_opts o = opts_for(format, codec);
	struct dxt_manifest *m;
	struct dxt_error err;
	char want[64];

	write_rows(dir, &o, 1000, 300);
	ck_assert_int_eq(dxt_manifest_load(dir, &m, &err), DXT_OK);
	ck_assert_uint_eq(m->nfiles, 1);
	snprintf(want, sizeof(want), "part-00000.%s%s", format,
		 dxt_codec_ext(codec));
	ck_assert_str_eq(m->files[0].name, want);
	ck_assert_uint_eq(m->rows, 1000);
	ck_assert_int_eq(m->codec, codec);
	dxt_manifest_free(m);
	/* Batches are bounded by the reader's limits, across calls. */
	ck_assert_uint_eq(read_rows(dir, 1000, 64), 16);
	ck_assert_int_eq(dxt_buffer_verify(dir, &err), DXT_OK);
	cleanup(base, dir);
}

START_TEST(csv_none) { round_trip("csv", DXT_CODEC_NONE); }
END_TEST
START_TEST(csv_zstd) { round_trip("csv", DXT_CODEC_ZSTD); }
END_TEST
START_TEST(csv_gzip) { round_trip("csv", DXT_CODEC_GZIP); }
END_TEST
START_TEST(jsonl_none) { round_trip("jsonl", DXT_CODEC_NONE); }
END_TEST
START_TEST(jsonl_zstd) { round_trip("jsonl", DXT_CODEC_ZSTD); }
END_TEST
START_TEST(jsonl_gzip) { round_trip("jsonl", DXT_CODEC_GZIP); }
END_TEST

static bool exists(const char *dir, const char *name)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static uint64_t file_size(const char *dir, const char *name)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

START_TEST(csv_options)
{
	char *base = tmpdir(), *dir = stream_dir(base), path[600], *text;
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_NONE);
	struct dxt_manifest *m;
	struct dxt_error err;
	size_t len;

	/* The part uses the configured dialect and the reader gets it back
	 * from the manifest. */
	o.csv.delimiter = ';';
	o.csv.header = false;
	snprintf(o.csv.null_value, sizeof(o.csv.null_value), "NULL");
	write_rows(dir, &o, 20, 20);
	snprintf(path, sizeof(path), "%s/part-00000.csv", dir);
	ck_assert_int_eq(dxt_read_file(path, &text, &len, &err), DXT_OK);
	ck_assert_msg(strncmp(text, "0;plain;-50.00;false;", 21) == 0, "%s", text);
	free(text);
	ck_assert_int_eq(dxt_manifest_load(dir, &m, &err), DXT_OK);
	ck_assert_int_eq(m->csv.delimiter, ';');
	ck_assert(!m->csv.header);
	ck_assert_str_eq(m->csv.null_value, "NULL");
	dxt_manifest_free(m);
	read_rows(dir, 20, 7);
	cleanup(base, dir);
}
END_TEST

START_TEST(rotation_by_rows)
{
	char *base = tmpdir(), *dir = stream_dir(base);
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_ZSTD);
	struct dxt_manifest *m;
	struct dxt_error err;
	char want[64];

	/* Batches of 25 straddle the 40-row parts: rows are split exactly. */
	o.part_rows = 40;
	write_rows(dir, &o, 130, 25);
	ck_assert_int_eq(dxt_manifest_load(dir, &m, &err), DXT_OK);
	ck_assert_uint_eq(m->nfiles, 4);
	for (size_t i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "part-%05zu.csv.zst", i);
		ck_assert_str_eq(m->files[i].name, want);
		ck_assert_uint_eq(m->files[i].rows, i < 3 ? 40 : 10);
		ck_assert(exists(dir, want));
	}
	ck_assert_uint_eq(m->rows, 130);
	dxt_manifest_free(m);
	ck_assert_uint_eq(read_rows(dir, 130, 1000), 1);
	cleanup(base, dir);
}
END_TEST

START_TEST(rotation_by_bytes)
{
	char *base = tmpdir(), *dir = stream_dir(base);
	struct dxt_buffer_opts o = opts_for("jsonl", DXT_CODEC_NONE);
	struct dxt_manifest *m;
	struct dxt_error err;
	uint64_t raw = 0;

	/* Each 10-row batch is over 1000 bytes of JSON: one part per batch. */
	o.part_bytes = 1000;
	o.part_rows = 0;
	write_rows(dir, &o, 95, 10);
	ck_assert_int_eq(dxt_manifest_load(dir, &m, &err), DXT_OK);
	ck_assert_uint_eq(m->nfiles, 10);
	for (size_t i = 0; i < m->nfiles; i++) {
		ck_assert_uint_eq(m->files[i].rows, i < 9 ? 10 : 5);
		ck_assert_uint_ge(m->files[i].raw_bytes, i < 9 ? 1000 : 1);
		/* Uncompressed: what is on disk is the raw encoding. */
		ck_assert_uint_eq(m->files[i].bytes, m->files[i].raw_bytes);
		raw += m->files[i].raw_bytes;
	}
	ck_assert_uint_eq(m->bytes, raw);
	dxt_manifest_free(m);
	read_rows(dir, 95, 50);
	cleanup(base, dir);
}
END_TEST

START_TEST(manifest_content)
{
	char *base = tmpdir(), *dir = stream_dir(base), path[600], *text;
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_GZIP);
	struct dxt_schema *s = schema();
	struct dxt_buffer_writer *w;
	struct dxt_batch b;
	struct dxt_error err;
	json_t *j, *f, *wm = json_string("2024-05-01 00:00:00");
	json_error_t jerr;
	size_t len;
	uint64_t total = 0;

	o.part_rows = 60;
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", &o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, s, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	fill(&b, 0, 100);
	ck_assert_int_eq(dxt_buffer_writer_batch(w, &b, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_watermark(w, "at", wm, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_commit(w, &err), DXT_OK);
	ck_assert_uint_eq(dxt_buffer_writer_bytes(w),
			  file_size(dir, "part-00000.csv.gz") +
				  file_size(dir, "part-00001.csv.gz"));
	dxt_buffer_writer_destroy(w);

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	ck_assert_int_eq(dxt_read_file(path, &text, &len, &err), DXT_OK);
	j = json_loads(text, 0, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(j, "stream")),
			 "orders");
	ck_assert_str_eq(json_string_value(json_object_get(j, "format")), "csv");
	ck_assert_str_eq(json_string_value(json_object_get(j, "compression")),
			 "gzip");
	ck_assert(json_is_object(json_object_get(j, "csv")));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(j, "schema"), 2),
				 "type")), "decimal(12,2)");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "rows")), 100);
	ck_assert(json_is_true(json_object_get(j, "complete")));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(j, "watermark"), "field")), "at");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(j, "watermark"), "value")),
			 "2024-05-01 00:00:00");
	ck_assert_uint_eq(strlen(json_string_value(
				  json_object_get(j, "created_at"))), 20);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "files")), 2);
	for (size_t i = 0; i < 2; i++) {
		char name[64], crc[16], *data;
		size_t dl;

		f = json_array_get(json_object_get(j, "files"), i);
		snprintf(name, sizeof(name), "part-%05zu.csv.gz", i);
		ck_assert_str_eq(json_string_value(json_object_get(f, "name")),
				 name);
		ck_assert_int_eq(json_integer_value(json_object_get(f, "rows")),
				 i == 0 ? 60 : 40);
		ck_assert(json_is_null(json_object_get(f, "original_name")));
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		ck_assert_int_eq(dxt_read_file(path, &data, &dl, &err), DXT_OK);
		ck_assert_int_eq(json_integer_value(json_object_get(f, "bytes")),
				 (json_int_t)dl);
		snprintf(crc, sizeof(crc), "%08lx",
			 crc32(0, (const Bytef *)data, (uInt)dl));
		ck_assert_str_eq(json_string_value(json_object_get(f, "crc32")),
				 crc);
		ck_assert_int_gt(json_integer_value(json_object_get(f,
								    "raw_bytes")),
				 (json_int_t)dl);
		total += dl;
		free(data);
	}
	ck_assert_int_eq(json_integer_value(json_object_get(j, "bytes")),
			 (json_int_t)total);
	json_decref(j);
	free(text);
	json_decref(wm);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	cleanup(base, dir);
}
END_TEST

static size_t count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp") != NULL)
			n++;
	closedir(d);
	return n;
}

START_TEST(crash_safety)
{
	char *base = tmpdir(), *dir = stream_dir(base);
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_ZSTD);
	struct dxt_schema *s = schema();
	struct dxt_buffer_writer *w;
	struct dxt_buffer_reader *r;
	struct dxt_manifest *m;
	struct dxt_batch b;
	struct dxt_error err;

	/* A writer dies after one whole part and half of the next. */
	o.part_rows = 50;
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", &o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_manifest_load(dir, &m, &err), DXT_OK);
	ck_assert(!m->complete);
	ck_assert_uint_eq(m->nfiles, 0);
	dxt_manifest_free(m);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, s, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	fill(&b, 0, 70);
	ck_assert_int_eq(dxt_buffer_writer_batch(w, &b, &err), DXT_OK);
	ck_assert_uint_eq(count_tmp(dir), 1);
	ck_assert(exists(dir, ".part-00001.csv.zst.tmp"));
	ck_assert(!exists(dir, "part-00001.csv.zst"));
	ck_assert_int_eq(dxt_manifest_load(dir, &m, &err), DXT_OK);
	ck_assert(!m->complete);
	ck_assert_uint_eq(m->nfiles, 1);
	ck_assert_uint_eq(m->rows, 50);
	dxt_manifest_free(m);
	dxt_buffer_writer_destroy(w);

	ck_assert_uint_eq(count_tmp(dir), 0);
	ck_assert(exists(dir, "part-00000.csv.zst"));
	ck_assert_int_eq(dxt_manifest_load(dir, &m, &err), DXT_OK);
	ck_assert(!m->complete);
	ck_assert_uint_eq(m->nfiles, 1);
	dxt_manifest_free(m);
	ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &r, &err), DXT_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err.message, "incomplete") != NULL, "%s",
		      err.message);

	/* A fresh writer replaces what the failed attempt staged. */
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", &o, &w, &err),
			 DXT_OK);
	ck_assert(!exists(dir, "part-00000.csv.zst"));
	dxt_buffer_writer_destroy(w);
	ck_assert_int_eq(dxt_remove_tree(dir, NULL), DXT_OK);
	ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &r, &err),
			 DXT_ENOTFOUND);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	cleanup(base, dir);
}
END_TEST

/* Flips one byte in the middle of a staged file. */
static void flip(const char *dir, const char *name)
{
	char path[1024], *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(dxt_read_file(path, &data, &len, NULL), DXT_OK);
	data[len / 2] ^= 0x01;
	ck_assert_int_eq(dxt_write_file_atomic(path, data, len, NULL), DXT_OK);
	free(data);
}

static void corrupt_part(enum dxt_codec codec, const char *format)
{
	char *base = tmpdir(), *dir = stream_dir(base), name[64];
	struct dxt_buffer_opts o = opts_for(format, codec);
	struct dxt_buffer_reader *r;
	const struct dxt_staged_file *f;
	const char *path;
	struct dxt_batch *got;
	struct dxt_error err;
	int rc;

	o.part_rows = 100;
	write_rows(dir, &o, 300, 100);
	snprintf(name, sizeof(name), "part-00001.%s%s", format,
		 dxt_codec_ext(codec));
	flip(dir, name);

	ck_assert_int_eq(dxt_buffer_verify(dir, &err), DXT_ECHECKSUM);
	ck_assert_msg(strstr(err.message, name) != NULL, "%s", err.message);

	ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &r, &err), DXT_OK);
	while ((rc = dxt_buffer_reader_next(r, &got, &err)) == 1)
		;
	ck_assert_int_eq(rc, DXT_ECHECKSUM);
	ck_assert_msg(strstr(err.message, name) != NULL &&
		      strstr(err.message, "checksum") != NULL, "%s",
		      err.message);
	/* Only the rows of the good part were handed out. */
	ck_assert_uint_le(dxt_buffer_reader_rows(r), 200);
	dxt_buffer_reader_destroy(r);

	ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &r, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_reader_next_file(r, &f, &path, &err), 1);
	ck_assert(strncmp(f->name, "part-00000.", 11) == 0);
	ck_assert_int_eq(dxt_buffer_reader_next_file(r, &f, &path, &err),
			 DXT_ECHECKSUM);
	ck_assert_msg(strstr(err.message, name) != NULL, "%s", err.message);
	dxt_buffer_reader_destroy(r);
	cleanup(base, dir);
}

START_TEST(checksum_none) { corrupt_part(DXT_CODEC_NONE, "csv"); }
END_TEST
START_TEST(checksum_zstd) { corrupt_part(DXT_CODEC_ZSTD, "csv"); }
END_TEST
START_TEST(checksum_gzip_jsonl) { corrupt_part(DXT_CODEC_GZIP, "jsonl"); }
END_TEST

static void stage(struct dxt_buffer_writer *w, const char *name,
		  const char *data, size_t n)
{
	struct dxt_error err;

	ck_assert_msg(dxt_buffer_writer_file_begin(w, name, &err) == DXT_OK,
		      "%s", err.message);
	/* Streamed in two pieces. */
	ck_assert_int_eq(dxt_buffer_writer_file_write(w, data, n / 2, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_file_write(w, data + n / 2,
						      n - n / 2, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_file_end(w, &err), DXT_OK);
}

static void passthrough(enum dxt_codec codec)
{
	char *base = tmpdir(), *dir = stream_dir(base), want[128], buf[256];
	struct dxt_buffer_opts o = opts_for("passthrough", codec);
	struct dxt_buffer_writer *w;
	struct dxt_buffer_reader *r;
	const struct dxt_staged_file *f;
	const char *path;
	struct dxt_batch *batch;
	struct dxt_istream *is;
	struct dxt_error err;
	static const char *const bad[] = {"../x", "/etc/passwd", "a//b",
					  "a/./b", "", "a/", "a/../../b", ".."};
	static const char *const names[] = {"report.csv", "2024/05/data.bin"};
	static const char *const bodies[] = {"a,b\n1,2\n",
					     "\x00\x01\x02 binary \xff"};
	size_t lens[] = {8, 13};
	long n;

	ck_assert_int_eq(dxt_buffer_writer_open(dir, "files", &o, &w, &err),
			 DXT_OK);
	for (size_t i = 0; i < 2; i++)
		stage(w, names[i], bodies[i], lens[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(dxt_buffer_writer_file_begin(w, bad[i], &err),
				 DXT_EINVAL);
		ck_assert_msg(strstr(err.message, "files") != NULL, "%s",
			      err.message);
	}
	ck_assert_int_eq(dxt_buffer_writer_file_begin(w, "report.csv", &err),
			 DXT_EEXISTS);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, NULL, &err), DXT_ECONFIG);
	ck_assert_msg(strstr(err.message, "passthrough") != NULL, "%s",
		      err.message);
	ck_assert_uint_eq(dxt_buffer_writer_rows(w), 0);
	ck_assert_int_eq(dxt_buffer_writer_commit(w, &err), DXT_OK);
	dxt_buffer_writer_destroy(w);
	ck_assert_uint_eq(count_tmp(dir), 0);

	ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &r, &err), DXT_OK);
	ck_assert_str_eq(dxt_buffer_reader_manifest(r)->format, "passthrough");
	ck_assert_ptr_null(dxt_buffer_reader_manifest(r)->schema);
	ck_assert_int_eq(dxt_buffer_reader_next(r, &batch, &err), DXT_EINVAL);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_int_eq(dxt_buffer_reader_next_file(r, &f, &path, &err),
				 1);
		snprintf(want, sizeof(want), "files/%s%s", names[i],
			 dxt_codec_ext(codec));
		ck_assert_str_eq(f->name, want);
		ck_assert_str_eq(f->original_name, names[i]);
		ck_assert_uint_eq(f->raw_bytes, lens[i]);
		ck_assert_uint_eq(f->rows, 0);
		snprintf(want, sizeof(want), "%s/files/%s%s", dir, names[i],
			 dxt_codec_ext(codec));
		ck_assert_str_eq(path, want);
		ck_assert_int_eq(dxt_istream_open(path, codec, &is, &err),
				 DXT_OK);
		n = dxt_istream_read(is, buf, sizeof(buf), &err);
		ck_assert_int_eq(n, (long)lens[i]);
		ck_assert(memcmp(buf, bodies[i], lens[i]) == 0);
		dxt_istream_close(is);
	}
	ck_assert_int_eq(dxt_buffer_reader_next_file(r, &f, &path, &err), 0);
	dxt_buffer_reader_destroy(r);
	cleanup(base, dir);
}

START_TEST(passthrough_plain) { passthrough(DXT_CODEC_NONE); }
END_TEST
START_TEST(passthrough_zstd) { passthrough(DXT_CODEC_ZSTD); }
END_TEST

START_TEST(passthrough_abandoned)
{
	char *base = tmpdir(), *dir = stream_dir(base);
	struct dxt_buffer_opts o = opts_for("passthrough", DXT_CODEC_NONE);
	struct dxt_buffer_writer *w;
	struct dxt_error err;

	ck_assert_int_eq(dxt_buffer_writer_open(dir, "files", &o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_file_begin(w, "a/b.txt", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_file_write(w, "xyz", 3, &err),
			 DXT_OK);
	ck_assert_uint_eq(count_tmp(dir), 1);
	ck_assert_int_eq(dxt_buffer_writer_commit(w, &err), DXT_EINVAL);
	ck_assert_msg(strstr(err.message, "a/b.txt") != NULL, "%s", err.message);
	dxt_buffer_writer_destroy(w);
	ck_assert_uint_eq(count_tmp(dir), 0);
	ck_assert(!exists(dir, "files/a/b.txt"));
	cleanup(base, dir);
}
END_TEST

START_TEST(records_into_wrong_format)
{
	char *base = tmpdir(), *dir = stream_dir(base);
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_NONE);
	struct dxt_buffer_writer *w;
	struct dxt_schema *s = schema(), *other = dxt_schema_create();
	struct dxt_batch b;
	struct dxt_error err;

	snprintf(o.format, sizeof(o.format), "xml");
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "o", &o, &w, &err),
			 DXT_ECONFIG);
	ck_assert_msg(strstr(err.message, "\"xml\"") != NULL, "%s", err.message);
	o = opts_for("csv", DXT_CODEC_SNAPPY);
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "o", &o, &w, &err),
			 DXT_ECONFIG);
	o = opts_for("csv", DXT_CODEC_NONE);
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "o", &o, &w, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	fill(&b, 0, 3);
	ck_assert_int_eq(dxt_buffer_writer_batch(w, &b, &err), DXT_EINVAL);
	ck_assert_int_eq(dxt_buffer_writer_file_begin(w, "x.csv", &err),
			 DXT_ECONFIG);
	dxt_buffer_writer_destroy(w);
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "o", &o, &w, &err), DXT_OK);
	dxt_schema_add(other, "id", DXT_TYPE_STRING, 0, 0, false, NULL);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, other, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_batch(w, &b, &err), DXT_ESCHEMA);
	dxt_buffer_writer_destroy(w);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	dxt_schema_destroy(other);
	cleanup(base, dir);
}
END_TEST

START_TEST(rejects_file)
{
	char *base = tmpdir(), *dir = stream_dir(base), path[600], *text;
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_ZSTD);
	struct dxt_buffer_writer *w;
	struct dxt_error err;
	json_t *j;
	json_error_t jerr;
	size_t len;
	char *nl;

	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", &o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_reject(w, 7, "in.csv", 8, 3,
						  "\"12x\" is not an int32",
						  "7,12x,a\n", 8, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_reject(w, 9, NULL, 0, 0, "too long",
						  "bad \xff byte", 10, &err),
			 DXT_OK);
	ck_assert_uint_eq(dxt_buffer_writer_rejects(w), 2);
	ck_assert_int_eq(dxt_buffer_writer_commit(w, &err), DXT_OK);
	dxt_buffer_writer_destroy(w);

	snprintf(path, sizeof(path), "%s/rejects.jsonl", dir);
	ck_assert_int_eq(dxt_read_file(path, &text, &len, &err), DXT_OK);
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	j = json_loadb(text, (size_t)(nl - text), 0, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "row")), 7);
	ck_assert_str_eq(json_string_value(json_object_get(j, "file")), "in.csv");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "line")), 8);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "column")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(j, "reason")),
			 "\"12x\" is not an int32");
	ck_assert_str_eq(json_string_value(json_object_get(j, "raw")),
			 "7,12x,a\n");
	json_decref(j);
	j = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "row")), 9);
	ck_assert(json_is_null(json_object_get(j, "file")));
	ck_assert(json_is_null(json_object_get(j, "line")));
	/* Bytes that are not UTF-8 become U+FFFD. */
	ck_assert_str_eq(json_string_value(json_object_get(j, "raw")),
			 "bad \xef\xbf\xbd byte");
	json_decref(j);
	ck_assert_int_eq(text[len - 1], '\n');
	free(text);
	cleanup(base, dir);
}
END_TEST

/* The loader's rejects join the extract's in the same file, marked as
 * load rejects, also when the load does not finish reading. */
START_TEST(reader_rejects)
{
	char *base = tmpdir(), *dir = stream_dir(base), path[600], *text;
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_ZSTD);
	struct dxt_buffer_writer *w;
	struct dxt_buffer_reader *r;
	struct dxt_schema *s = schema();
	struct dxt_batch b, *got;
	struct dxt_error err;
	json_t *j;
	json_error_t jerr;
	size_t len;
	char *nl;

	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", &o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, s, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	fill(&b, 0, 10);
	ck_assert_int_eq(dxt_buffer_writer_batch(w, &b, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_reject(w, 4, "in.csv", 5, 2,
						  "bad amount", "4,x", 3,
						  &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_commit(w, &err), DXT_OK);
	dxt_buffer_writer_destroy(w);

	ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &r, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_reader_next(r, &got, &err), 1);
	ck_assert_int_eq(dxt_buffer_reader_reject(r, 3,
						  "UNIQUE constraint failed",
						  "{\"id\":3}", 8, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_reader_reject(r, 9, "NaN", NULL, 0, &err),
			 DXT_OK);
	ck_assert_uint_eq(dxt_buffer_reader_rejects(r), 2);
	dxt_buffer_reader_destroy(r);

	snprintf(path, sizeof(path), "%s/rejects.jsonl", dir);
	ck_assert_int_eq(dxt_read_file(path, &text, &len, &err), DXT_OK);
	/* The extract's line first, untouched. */
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	j = json_loadb(text, (size_t)(nl - text), 0, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "reason")),
			 "bad amount");
	ck_assert_str_eq(json_string_value(json_object_get(j, "stage")),
			 "extract");
	json_decref(j);
	j = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "row")), 3);
	ck_assert(json_is_null(json_object_get(j, "file")));
	ck_assert(json_is_null(json_object_get(j, "line")));
	ck_assert(json_is_null(json_object_get(j, "column")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "reason")),
			 "UNIQUE constraint failed");
	ck_assert_str_eq(json_string_value(json_object_get(j, "raw")),
			 "{\"id\":3}");
	ck_assert_str_eq(json_string_value(json_object_get(j, "stage")),
			 "load");
	json_decref(j);
	nl = strchr(nl + 1, '\n');
	ck_assert_ptr_nonnull(nl);
	j = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "row")), 9);
	ck_assert(json_is_null(json_object_get(j, "raw")));
	json_decref(j);
	ck_assert_ptr_null(strchr(strchr(nl + 1, '\n') + 1, '\n'));
	free(text);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	cleanup(base, dir);
}
END_TEST

START_TEST(empty_stream)
{
	char *base = tmpdir(), *dir = stream_dir(base);
	struct dxt_buffer_opts o = opts_for("csv", DXT_CODEC_ZSTD);
	struct dxt_buffer_writer *w;
	struct dxt_buffer_reader *r;
	struct dxt_batch *got;
	struct dxt_schema *s = schema();
	struct dxt_error err;

	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", &o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, s, &err), DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_commit(w, &err), DXT_OK);
	dxt_buffer_writer_destroy(w);
	ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &r, &err), DXT_OK);
	ck_assert_uint_eq(dxt_buffer_reader_manifest(r)->nfiles, 0);
	ck_assert(dxt_schema_equal(dxt_buffer_reader_manifest(r)->schema, s));
	ck_assert_int_eq(dxt_buffer_reader_next(r, &got, &err), 0);
	dxt_buffer_reader_destroy(r);
	dxt_schema_destroy(s);
	cleanup(base, dir);
}
END_TEST

START_TEST(opts_defaults)
{
	struct dxt_buffer_opts o;

	dxt_buffer_opts_default(&o);
	ck_assert_str_eq(o.format, "parquet");
	ck_assert_int_eq(o.codec, DXT_CODEC_ZSTD);
	ck_assert_int_eq(o.level, 0);
	ck_assert_uint_eq(o.part_rows, 1000000);
	ck_assert_uint_eq(o.part_bytes, 256u << 20);
	ck_assert_uint_eq(o.batch.max_rows, 65536);
	ck_assert_uint_eq(o.batch.max_bytes, 16u << 20);
	ck_assert(o.cleanup_on_success && o.retain_on_failure && o.fsync);
	ck_assert_int_eq(o.csv.delimiter, ',');
	ck_assert(o.csv.header);
	ck_assert_ptr_eq(dxt_format_find("csv"), &dxt_format_csv);
	ck_assert_ptr_eq(dxt_format_find("jsonl"), &dxt_format_jsonl);
	ck_assert_ptr_null(dxt_format_find("passthrough"));
	ck_assert_ptr_eq(dxt_format_find("parquet"), &dxt_format_parquet);
	ck_assert_ptr_eq(dxt_format_list()[0], &dxt_format_csv);
	ck_assert_ptr_null(dxt_format_list()[3]);
}
END_TEST

Suite *dxt_test_buffer(void)
{
	Suite *s = suite_create("buffer");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, csv_none);
	tcase_add_test(tc, csv_zstd);
	tcase_add_test(tc, csv_gzip);
	tcase_add_test(tc, jsonl_none);
	tcase_add_test(tc, jsonl_zstd);
	tcase_add_test(tc, jsonl_gzip);
	tcase_add_test(tc, csv_options);
	tcase_add_test(tc, rotation_by_rows);
	tcase_add_test(tc, rotation_by_bytes);
	tcase_add_test(tc, manifest_content);
	tcase_add_test(tc, crash_safety);
	tcase_add_test(tc, checksum_none);
	tcase_add_test(tc, checksum_zstd);
	tcase_add_test(tc, checksum_gzip_jsonl);
	tcase_add_test(tc, passthrough_plain);
	tcase_add_test(tc, passthrough_zstd);
	tcase_add_test(tc, passthrough_abandoned);
	tcase_add_test(tc, records_into_wrong_format);
	tcase_add_test(tc, rejects_file);
	tcase_add_test(tc, reader_rejects);
	tcase_add_test(tc, empty_stream);
	tcase_add_test(tc, opts_defaults);
	suite_add_tcase(s, tc);
	return s;
}
