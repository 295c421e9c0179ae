/*
 * test_parquet_write.c - the Parquet writer: every DXT type with and without
 * nulls, each codec, dictionary on and off (and the fallback to PLAIN),
 * pages v1 and v2, several row groups; the footer's schema, encodings and
 * statistics; page CRCs written and checked; values read back through the
 * reader. DuckDB reading these
 * files is tested in tests/integration/t_parquet_interop.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/convert.h"
#include "engine/operator.h"
#include "engine/parquet.h"
#include "engine/parquet_meta.h"

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dxt-pqw-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static int sink(void *ctx, const void *p, size_t n, struct dxt_error *err)
{
	(void)err;
	return fwrite(p, 1, n, ctx) == n ? DXT_OK : DXT_EIO;
}

/* Every DXT type, nullable, plus a NOT NULL int64. */
static struct dxt_schema *all_types(void)
{
	struct dxt_schema *s = dxt_schema_create();

	dxt_schema_add(s, "b", DXT_TYPE_BOOL, 0, 0, true, NULL);
	dxt_schema_add(s, "i8", DXT_TYPE_INT8, 0, 0, true, NULL);
	dxt_schema_add(s, "i16", DXT_TYPE_INT16, 0, 0, true, NULL);
	dxt_schema_add(s, "i32", DXT_TYPE_INT32, 0, 0, true, NULL);
	dxt_schema_add(s, "i64", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_schema_add(s, "f32", DXT_TYPE_FLOAT32, 0, 0, true, NULL);
	dxt_schema_add(s, "f64", DXT_TYPE_FLOAT64, 0, 0, true, NULL);
	dxt_schema_add(s, "d5", DXT_TYPE_DECIMAL, 5, 2, true, NULL);
	dxt_schema_add(s, "d15", DXT_TYPE_DECIMAL, 15, 3, true, NULL);
	dxt_schema_add(s, "d30", DXT_TYPE_DECIMAL, 30, 5, true, NULL);
	dxt_schema_add(s, "s", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "bin", DXT_TYPE_BINARY, 0, 0, true, NULL);
	dxt_schema_add(s, "dt", DXT_TYPE_DATE, 0, 0, true, NULL);
	dxt_schema_add(s, "tm", DXT_TYPE_TIME, 0, 0, true, NULL);
	dxt_schema_add(s, "ts", DXT_TYPE_TIMESTAMP, 0, 0, true, NULL);
	dxt_schema_add(s, "tz", DXT_TYPE_TIMESTAMPTZ, 0, 0, true, NULL);
	dxt_schema_add(s, "u", DXT_TYPE_UUID, 0, 0, true, NULL);
	dxt_schema_add(s, "j", DXT_TYPE_JSON, 0, 0, true, NULL);
	dxt_schema_add(s, "nothing", DXT_TYPE_NULL, 0, 0, true, NULL);
	return s;
}

/* The text of row i, column c, as the test writes it (NULL for nulls):
 * every third row is null in the nullable columns, values repeat every 7
 * rows (so dictionaries pay) except in i64. */
static int value_text(const struct dxt_field *f, size_t c, size_t i,
		      char *buf, size_t n)
{
	size_t k = i % 7;

	if (f->type == DXT_TYPE_NULL || (f->nullable && i % 3 == 1))
		return 0;
	switch (f->type) {
	case DXT_TYPE_BOOL:
		snprintf(buf, n, "%s", k % 2 ? "true" : "false");
		break;
	case DXT_TYPE_INT8:
		snprintf(buf, n, "%d", (int)k * 30 - 128);
		break;
	case DXT_TYPE_INT16:
		snprintf(buf, n, "%d", (int)k * 9000 - 32768);
		break;
	case DXT_TYPE_INT32:
		snprintf(buf, n, "%d", k == 0 ? -2147483647 - 1 : (int)k * 1000);
		break;
	case DXT_TYPE_INT64:
		snprintf(buf, n, "%lld", (long long)i * 1000003LL - 7);
		break;
	case DXT_TYPE_FLOAT32:
		snprintf(buf, n, "%s", k == 3 ? "-0.5" : "1.25");
		break;
	case DXT_TYPE_FLOAT64:
		snprintf(buf, n, "%s", k == 2 ? "nan" : k == 4 ? "-inf" : "2.5");
		break;
	case DXT_TYPE_DECIMAL:
		if (f->precision == 5)
			snprintf(buf, n, "%s", k ? "-999.99" : "123.45");
		else if (f->precision == 15)
			snprintf(buf, n, "%s", k ? "999999999999.999" : "-0.001");
		else
			snprintf(buf, n, "%s",
				 k ? "-1234567890123456789012345.12345"
				   : "9999999999999999999999999.99999");
		break;
	case DXT_TYPE_STRING:
		snprintf(buf, n, "%s", k == 5 ? "" : k == 6 ? "zażółć ✓" : "abc");
		break;
	case DXT_TYPE_BINARY:
		snprintf(buf, n, "%s", k ? "\\x00ff10" : "\\x");
		break;
	case DXT_TYPE_DATE:
		snprintf(buf, n, "%s", k ? "1969-12-31" : "2024-02-29");
		break;
	case DXT_TYPE_TIME:
		snprintf(buf, n, "%s", k ? "23:59:59.999999" : "00:00:00");
		break;
	case DXT_TYPE_TIMESTAMP:
		snprintf(buf, n, "%s", k ? "1900-01-01 00:00:00" :
			 "2024-01-31 13:45:00.123456");
		break;
	case DXT_TYPE_TIMESTAMPTZ:
		snprintf(buf, n, "%s", k ? "2024-01-31 13:45:00+00:00" :
			 "1970-01-01 00:00:00.000001+00:00");
		break;
	case DXT_TYPE_UUID:
		snprintf(buf, n, "%s", k ? "ffffffff-0000-4000-8000-0123456789ab"
					 : "00000000-0000-0000-0000-000000000001");
		break;
	case DXT_TYPE_JSON:
		snprintf(buf, n, "%s", k ? "{\"a\":[1,2]}" : "null");
		break;
	default:
		break;
	}
	(void)c;
	return 1;
}

static void fill(struct dxt_batch *b, size_t first, size_t n)
{
	const struct dxt_schema *s = b->schema;

	for (size_t i = first; i < first + n; i++) {
		for (size_t c = 0; c < s->n; c++) {
			char text[128], why[128];

			if (!value_text(&s->fields[c], c, i, text,
					sizeof(text))) {
				ck_assert_int_eq(dxt_col_append_null(&b->cols[c]),
						 DXT_OK);
				continue;
			}
			ck_assert_msg(dxt_value_parse_append(
					      &b->cols[c], &s->fields[c], text,
					      strlen(text), why,
					      sizeof(why)) == DXT_OK,
				      "%s: %s", s->fields[c].name, why);
		}
		dxt_batch_end_row(b);
	}
}

/* Writes `rows` rows in batches of 1000 to name; returns its path. */
static const char *write_file(const char *name, const struct dxt_schema *s,
			      const struct dxt_pq_write_opts *o, size_t rows)
{
	static char path[128];
	struct dxt_pq_writer *w;
	struct dxt_batch b;
	struct dxt_error err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(dxt_pq_writer_open(s, o, sink, f, &w, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	for (size_t i = 0; i < rows; i += 1000) {
		dxt_batch_reset(&b);
		fill(&b, i, rows - i < 1000 ? rows - i : 1000);
		ck_assert_msg(dxt_pq_writer_write(w, &b, &err) == DXT_OK, "%s",
			      err.message);
	}
	ck_assert_uint_eq(dxt_pq_writer_rows(w), rows);
	ck_assert_msg(dxt_pq_writer_close(w, &err) == DXT_OK, "%s",
		      err.message);
	dxt_batch_release(&b);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* Reads the file back with the reader and compares every value. */
static void check_values(const char *path, const struct dxt_schema *s,
			 size_t rows)
{
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	struct dxt_batch_limits lim = { .max_rows = 777 };
	struct dxt_error err;
	struct dxt_buf t = { 0 };
	size_t row = 0;
	long n;

	ck_assert_msg(dxt_pq_reader_open(path, s, &r, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_uint_eq(dxt_pq_reader_rows(r), rows);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	while ((n = dxt_pq_reader_read(r, &b, &lim, &err)) > 0) {
		for (size_t i = 0; i < b.nrows; i++, row++) {
			for (size_t c = 0; c < s->n; c++) {
				char want[128];
				int has = value_text(&s->fields[c], c, row,
						     want, sizeof(want));
				const struct dxt_column *col = &b.cols[c];

				if (!has) {
					ck_assert_msg(
						col->type == DXT_TYPE_NULL ||
						!dxt_col_is_valid(col, i),
						"row %zu column %s: not null",
						row, s->fields[c].name);
					continue;
				}
				ck_assert_msg(dxt_col_is_valid(col, i),
					      "row %zu column %s: null", row,
					      s->fields[c].name);
				t.len = 0;
				dxt_value_format(col, &s->fields[c], i, &t);
				dxt_buf_putc(&t, '\0');
				if (s->fields[c].type == DXT_TYPE_TIMESTAMP ||
				    s->fields[c].type == DXT_TYPE_TIMESTAMPTZ) {
					/* The canonical text may differ in
					 * form; compare parsed values. */
					int64_t a, e;
					bool z;
					ck_assert(dxt_parse_timestamp(
						(char *)t.data, t.len - 1, &a,
						&z));
					ck_assert(dxt_parse_timestamp(
						want, strlen(want), &e, &z));
					ck_assert_msg(a == e, "row %zu %s",
						      row, s->fields[c].name);
					continue;
				}
				if (s->fields[c].type == DXT_TYPE_FLOAT64 ||
				    s->fields[c].type == DXT_TYPE_FLOAT32) {
					double a, e;
					ck_assert(dxt_parse_double(
						(char *)t.data, t.len - 1, &a));
					ck_assert(dxt_parse_double(
						want, strlen(want), &e));
					ck_assert_msg(a == e || (a != a && e != e),
						      "row %zu %s: %s != %s",
						      row, s->fields[c].name,
						      (char *)t.data, want);
					continue;
				}
				ck_assert_msg(strcmp((char *)t.data, want) == 0,
					      "row %zu column %s: \"%s\", "
					      "expected \"%s\"", row,
					      s->fields[c].name,
					      (char *)t.data, want);
			}
		}
		dxt_batch_reset(&b);
	}
	ck_assert_msg(n == 0, "%s", err.message);
	ck_assert_uint_eq(row, rows);
	dxt_buf_free(&t);
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);
}

START_TEST(every_type_each_codec_and_page_version)
{
	static const enum dxt_pq_codec codecs[] = {
		DXT_PQ_UNCOMPRESSED, DXT_PQ_SNAPPY, DXT_PQ_GZIP, DXT_PQ_ZSTD,
	};
	struct dxt_schema *s = all_types();

	for (size_t k = 0; k < 4; k++) {
		for (int v = 1; v <= 2; v++) {
			for (int nd = 0; nd <= 1; nd++) {
				struct dxt_pq_write_opts o;
				char name[64];

				dxt_pq_write_opts_default(&o);
				o.codec = codecs[k];
				o.page_version = v;
				o.no_dictionary = nd;
				o.row_group_rows = 1500;
				o.page_bytes = 2048;
				snprintf(name, sizeof(name), "t%zu%d%d.parquet",
					 k, v, nd);
				check_values(write_file(name, s, &o, 4000), s,
					     4000);
			}
		}
	}
	dxt_schema_destroy(s);
}
END_TEST

/* The whole file at path, in a buffer the caller frees. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	*len = (size_t)ftell(f);
	rewind(f);
	p = malloc(*len);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, *len, f), *len);
	fclose(f);
	return p;
}

START_TEST(page_crc_written_and_checked)
{
	struct dxt_schema *s = all_types();

	for (int v = 1; v <= 2; v++) {
		struct dxt_pq_write_opts o;
		struct dxt_pq_page_header h;
		struct dxt_pq_reader *r;
		struct dxt_batch b;
		struct dxt_batch_limits lim = { .max_rows = 1000 };
		struct dxt_error err;
		char name[32];
		const char *path;
		uint8_t *p;
		size_t len, used;
		long n;
		FILE *f;

		dxt_pq_write_opts_default(&o);
		o.codec = DXT_PQ_UNCOMPRESSED;
		o.page_version = v;
		o.page_crc = true;
		snprintf(name, sizeof(name), "crc%d.parquet", v);
		path = write_file(name, s, &o, 3000);
		check_values(path, s, 3000);

		/* The first page's header holds the CRC-32 of its bytes. */
		p = slurp(path, &len);
		ck_assert_int_eq(dxt_pq_page_header_read(p + 4, len - 4, "page",
							 &h, &used, &err),
				 DXT_OK);
		ck_assert_int_eq(h.has_crc, 1);
		ck_assert_uint_eq((uint32_t)h.crc,
				  (uint32_t)crc32(0, p + 4 + used,
						  (uInt)h.compressed_size));

		/* One flipped bit in it fails the read, naming the CRC. */
		p[4 + used + (size_t)h.compressed_size / 2] ^= 0x10;
		f = fopen(path, "wb");
		ck_assert_uint_eq(fwrite(p, 1, len, f), len);
		fclose(f);
		free(p);
		ck_assert_int_eq(dxt_pq_reader_open(path, s, &r, &err), DXT_OK);
		ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
		while ((n = dxt_pq_reader_read(r, &b, &lim, &err)) > 0)
			dxt_batch_reset(&b);
		ck_assert_int_lt(n, 0);
		ck_assert_msg(strstr(err.message, "CRC-32") != NULL &&
			      strstr(err.message, "damaged") != NULL, "%s",
			      err.message);
		dxt_batch_release(&b);
		dxt_pq_reader_close(r);
	}
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(footer_schema_encodings_and_stats)
{
	struct dxt_schema *s = all_types();
	struct dxt_pq_write_opts o;
	struct dxt_pq_reader *r;
	struct dxt_error err;
	const struct dxt_pq_file_meta *fm;
	const struct dxt_pq_column_meta *m;
	const char *path;
	int32_t i32;
	int64_t i64;

	dxt_pq_write_opts_default(&o);
	o.row_group_rows = 3000;
	path = write_file("meta.parquet", s, &o, 7000);
	ck_assert_int_eq(dxt_pq_reader_open(path, NULL, &r, &err), DXT_OK);
	fm = dxt_pq_reader_meta(r);
	ck_assert_uint_eq(fm->n_row_groups, 3);
	ck_assert_int_eq(fm->num_rows, 7000);
	ck_assert_int_eq(fm->row_groups[2].num_rows, 1000);
	ck_assert_str_eq(fm->created_by, "dxt version " DXT_VERSION);
	ck_assert_str_eq(fm->kv[0].key, "dxt.schema");
	ck_assert_ptr_nonnull(strstr(fm->kv[0].value, "\"decimal(30,5)\""));
	/* The schema round-trips, nullability included. */
	ck_assert(dxt_schema_equal(dxt_pq_reader_schema(r), s));
	ck_assert(!dxt_pq_reader_schema(r)->fields[4].nullable);
	ck_assert_int_eq(fm->schema[5].repetition, DXT_PQ_REQUIRED);
	/* Physical and logical types. */
	ck_assert_int_eq(fm->schema[2].logical.kind, DXT_PQ_LT_INTEGER);
	ck_assert_int_eq(fm->schema[2].logical.bit_width, 8);
	ck_assert_int_eq(fm->schema[8].type, DXT_PQ_INT32);   /* d5 */
	ck_assert_int_eq(fm->schema[9].type, DXT_PQ_INT64);   /* d15 */
	ck_assert_int_eq(fm->schema[10].type, DXT_PQ_FIXED_LEN_BYTE_ARRAY);
	ck_assert_int_eq(fm->schema[10].type_length, 13);     /* 30 digits */
	ck_assert_int_eq(fm->schema[10].logical.precision, 30);
	ck_assert_int_eq(fm->schema[10].logical.scale, 5);
	ck_assert_int_eq(fm->schema[15].logical.kind, DXT_PQ_LT_TIMESTAMP);
	ck_assert(!fm->schema[15].logical.is_adjusted_to_utc);
	ck_assert(fm->schema[16].logical.is_adjusted_to_utc);
	ck_assert_int_eq(fm->schema[16].logical.unit, DXT_PQ_MICROS);
	ck_assert_int_eq(fm->schema[17].logical.kind, DXT_PQ_LT_UUID);
	ck_assert_int_eq(fm->schema[18].logical.kind, DXT_PQ_LT_JSON);
	ck_assert_int_eq(fm->schema[19].logical.kind, DXT_PQ_LT_UNKNOWN);

	/* i32 repeats 7 values: dictionary-encoded; its statistics. */
	m = &fm->row_groups[0].columns[3].meta;
	ck_assert_int_eq(m->codec, DXT_PQ_ZSTD);
	ck_assert(m->has_dictionary_page_offset);
	ck_assert_int_eq(m->encodings[m->n_encodings - 1],
			 DXT_PQ_RLE_DICTIONARY);
	ck_assert_int_eq(m->stats.null_count, 1000);
	ck_assert_uint_eq(m->stats.min_len, 4);
	memcpy(&i32, m->stats.min_value, 4);
	ck_assert_int_eq(i32, -2147483647 - 1);
	memcpy(&i32, m->stats.max_value, 4);
	ck_assert_int_eq(i32, 6000);
	/* i64 never repeats: the dictionary is given up for PLAIN. */
	m = &fm->row_groups[0].columns[4].meta;
	ck_assert(!m->has_dictionary_page_offset);
	ck_assert_int_eq(m->encodings[0], DXT_PQ_PLAIN);
	ck_assert_int_eq(m->stats.null_count, 0);
	memcpy(&i64, m->stats.min_value, 8);
	ck_assert_int_eq(i64, -7);
	memcpy(&i64, m->stats.max_value, 8);
	ck_assert_int_eq(i64, 2999LL * 1000003LL - 7);
	/* Strings compare bytewise: "" is the least, "zażółć ✓" the most. */
	m = &fm->row_groups[0].columns[10].meta;
	ck_assert_uint_eq(m->stats.min_len, 0);
	ck_assert_uint_eq(m->stats.max_len, strlen("zażółć ✓"));
	/* The decimal(30,5) maximum, big-endian. */
	m = &fm->row_groups[0].columns[9].meta;
	ck_assert_uint_eq(m->stats.max_len, 13);
	ck_assert_int_lt(m->stats.max_value[0], 0x80);  /* positive */
	ck_assert_int_ge(m->stats.min_value[0], 0x80);  /* negative */
	/* Floats skip NaN; the all-null column has no min/max. */
	m = &fm->row_groups[0].columns[18].meta;
	ck_assert(!m->stats.has_min);
	ck_assert_int_eq(m->stats.null_count, 3000);
	dxt_pq_reader_close(r);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(row_groups_bounded_by_bytes)
{
	struct dxt_schema *s = all_types();
	struct dxt_pq_write_opts o;
	struct dxt_pq_reader *r;
	struct dxt_error err;
	const char *path;

	dxt_pq_write_opts_default(&o);
	o.row_group_bytes = 64 << 10;
	path = write_file("bytes.parquet", s, &o, 20000);
	ck_assert_int_eq(dxt_pq_reader_open(path, NULL, &r, &err), DXT_OK);
	ck_assert_uint_gt(dxt_pq_reader_meta(r)->n_row_groups, 3);
	dxt_pq_reader_close(r);
	check_values(path, s, 20000);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(dictionary_outgrowing_its_bound_falls_back)
{
	struct dxt_schema *s = dxt_schema_create();
	struct dxt_pq_write_opts o;
	struct dxt_pq_writer *w;
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	struct dxt_error err;
	const struct dxt_pq_column_meta *m;
	char path[128], v[64];
	FILE *f;
	long n;

	dxt_schema_add(s, "k", DXT_TYPE_STRING, 0, 0, false, NULL);
	dxt_pq_write_opts_default(&o);
	o.dict_bytes = 4096;
	o.page_bytes = 1024;
	snprintf(path, sizeof(path), "%s/dict.parquet", tmpdir);
	f = fopen(path, "wb");
	ck_assert_int_eq(dxt_pq_writer_open(s, &o, sink, f, &w, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	/* 10000 values of 10 distinct 40-byte strings, then 10000 distinct
	 * ones: the dictionary pays at first, then outgrows 4 KiB. */
	for (int i = 0; i < 20000; i++) {
		snprintf(v, sizeof(v), "%040d", i < 10000 ? i % 10 : i);
		dxt_col_append_bytes(&b.cols[0], v, 40);
		dxt_batch_end_row(&b);
	}
	ck_assert_int_eq(dxt_pq_writer_write(w, &b, &err), DXT_OK);
	ck_assert_int_eq(dxt_pq_writer_close(w, &err), DXT_OK);
	fclose(f);
	ck_assert_int_eq(dxt_pq_reader_open(path, s, &r, &err), DXT_OK);
	m = &dxt_pq_reader_meta(r)->row_groups[0].columns[0].meta;
	/* Pages before the fallback use the dictionary, the rest PLAIN. */
	ck_assert(m->has_dictionary_page_offset);
	ck_assert_int_eq(m->n_encodings, 3);
	dxt_batch_reset(&b);
	{
		struct dxt_batch_limits lim = { .max_rows = 100000 };
		size_t len;
		const uint8_t *p;

		n = dxt_pq_reader_read(r, &b, &lim, &err);
		ck_assert_int_eq(n, 20000);
		p = dxt_col_bytes(&b.cols[0], 19999, &len);
		ck_assert_uint_eq(len, 40);
		snprintf(v, sizeof(v), "%040d", 19999);
		ck_assert(memcmp(p, v, 40) == 0);
		p = dxt_col_bytes(&b.cols[0], 9999, &len);
		snprintf(v, sizeof(v), "%040d", 9);
		ck_assert(memcmp(p, v, 40) == 0);
	}
	dxt_pq_reader_close(r);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(bad_options_and_nulls_in_required_columns)
{
	struct dxt_schema *s = dxt_schema_create();
	struct dxt_pq_write_opts o;
	struct dxt_pq_writer *w;
	struct dxt_batch b;
	struct dxt_error err;
	FILE *f = tmpfile();

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_pq_write_opts_default(&o);
	o.codec = DXT_PQ_LZO;
	ck_assert_int_eq(dxt_pq_writer_open(s, &o, sink, f, &w, &err),
			 DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "cannot write codec LZO"));
	dxt_pq_write_opts_default(&o);
	o.page_version = 3;
	ck_assert_int_eq(dxt_pq_writer_open(s, &o, sink, f, &w, &err),
			 DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "page version 3"));

	dxt_pq_write_opts_default(&o);
	ck_assert_int_eq(dxt_pq_writer_open(s, &o, sink, f, &w, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	dxt_col_append_i64(&b.cols[0], 1);
	dxt_batch_end_row(&b);
	dxt_col_append_null(&b.cols[0]);
	dxt_batch_end_row(&b);
	ck_assert_int_eq(dxt_pq_writer_write(w, &b, &err), DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "column \"id\" is not "
					       "nullable but row 2 holds a "
					       "null"));
	dxt_pq_writer_abort(w);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	fclose(f);
}
END_TEST

Suite *dxt_test_parquet_write(void)
{
	Suite *s = suite_create("parquet_write");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_type_each_codec_and_page_version);
	tcase_add_test(tc, footer_schema_encodings_and_stats);
	tcase_add_test(tc, page_crc_written_and_checked);
	tcase_add_test(tc, row_groups_bounded_by_bytes);
	tcase_add_test(tc, dictionary_outgrowing_its_bound_falls_back);
	tcase_add_test(tc, bad_options_and_nulls_in_required_columns);
	suite_add_tcase(s, tc);
	return s;
}
