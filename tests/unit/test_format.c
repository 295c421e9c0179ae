/*
 * test_format.c - the record formats: what the csv format says when its
 * options cannot write a value so that it reads back as written.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buffer.h"
#include "engine/format.h"

static int to_buf(void *ctx, const void *p, size_t n, struct dxt_error *err)
{
	(void)err;
	return dxt_buf_append(ctx, p, n);
}

/* A schema of one column `name` of `type` plus an int64 `id` in front
 * when `two` is set. */
static struct dxt_schema *schema_of(bool two, const char *name,
				    enum dxt_type type)
{
	struct dxt_schema *s = dxt_schema_create();

	ck_assert_ptr_nonnull(s);
	if (two)
		ck_assert_int_eq(dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0,
						false, NULL), DXT_OK);
	ck_assert_int_eq(dxt_schema_add(s, name, type, 0, 0, true, NULL),
			 DXT_OK);
	return s;
}

/* Writes rows (id, value) through the csv format with `o`: rows with a
 * NULL value get a null. Returns the write_batch code; *out holds what
 * reached the sink. */
static int write_rows(const struct dxt_csv_opts *o, bool two,
		      const char *const *values, size_t n, struct dxt_buf *out,
		      struct dxt_error *err)
{
	struct dxt_schema *s = schema_of(two, "note", DXT_TYPE_STRING);
	struct dxt_format_opts fo;
	struct dxt_batch b;
	void *state;
	int rc;

	memset(&fo, 0, sizeof(fo));
	fo.csv = *o;
	dxt_error_clear(err);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	for (size_t i = 0; i < n; i++) {
		if (two)
			dxt_col_append_i64(&b.cols[0], (int64_t)i + 1);
		if (values[i] == NULL)
			dxt_col_append_null(&b.cols[two ? 1 : 0]);
		else
			dxt_col_append_bytes(&b.cols[two ? 1 : 0], values[i],
					     strlen(values[i]));
		dxt_batch_end_row(&b);
	}
	ck_assert_int_eq(dxt_format_csv.writer_open(s, &fo, to_buf, out,
						    &state, err), DXT_OK);
	rc = dxt_format_csv.write_batch(state, &b, err);
	if (rc == DXT_OK)
		ck_assert_int_eq(dxt_format_csv.writer_close(state, err),
				 DXT_OK);
	else
		dxt_format_csv.writer_abort(state);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	return rc;
}

static void has(const char *msg, const char *part)
{
	ck_assert_msg(strstr(msg, part) != NULL, "\"%s\" not in \"%s\"", part,
		      msg);
}

START_TEST(delimiter_without_quoting)
{
	static const char *const v[] = {"fine", "a,b"};
	struct dxt_csv_opts o;
	struct dxt_buf out = {0};
	struct dxt_error err;

	dxt_csv_opts_default(&o);
	o.quotechar = '\0';
	ck_assert_int_eq(write_rows(&o, true, v, 2, &out, &err), DXT_ECONFIG);
	ck_assert_int_eq(err.code, DXT_ECONFIG);
	ck_assert_int_eq(err.cls, DXT_TERMINAL);
	has(err.message, "column \"note\"");
	has(err.message, "\"a,b\"");
	has(err.message, "the delimiter ','");
	has(err.message, "buffer.csv.quotechar");
	has(err.message, "buffer.csv.escapechar");
	ck_assert_ptr_null(strstr(err.message, "out of memory"));
	/* Nothing of the refused batch reached the sink. */
	ck_assert_uint_eq(out.len, 0);
	dxt_buf_free(&out);

	/* An escape character makes the same value writable. */
	o.escapechar = '\\';
	ck_assert_int_eq(write_rows(&o, true, v, 2, &out, &err), DXT_OK);
	ck_assert_uint_eq(out.len, strlen("id,note\n1,fine\n2,a\\,b\n"));
	ck_assert_int_eq(memcmp(out.data, "id,note\n1,fine\n2,a\\,b\n",
				out.len), 0);
	dxt_buf_free(&out);
}
END_TEST

START_TEST(line_end_without_quoting)
{
	static const char *const v[] = {"two\nlines"};
	struct dxt_csv_opts o;
	struct dxt_buf out = {0};
	struct dxt_error err;

	dxt_csv_opts_default(&o);
	o.quotechar = '\0';
	ck_assert_int_eq(write_rows(&o, true, v, 1, &out, &err), DXT_ECONFIG);
	has(err.message, "column \"note\"");
	has(err.message, "\"two\\nlines\"");
	has(err.message, "a line feed");
	has(err.message, "buffer.csv.quotechar");
	dxt_buf_free(&out);
}
END_TEST

START_TEST(quote_without_doublequote)
{
	static const char *const v[] = {"say \"hi\""};
	struct dxt_csv_opts o;
	struct dxt_buf out = {0};
	struct dxt_error err;

	dxt_csv_opts_default(&o);
	o.doublequote = false;
	ck_assert_int_eq(write_rows(&o, true, v, 1, &out, &err), DXT_ECONFIG);
	has(err.message, "column \"note\"");
	has(err.message, "the quote character '\"'");
	has(err.message, "buffer.csv.doublequote: true");
	has(err.message, "buffer.csv.escapechar");
	dxt_buf_free(&out);
}
END_TEST

START_TEST(value_reads_back_as_null)
{
	static const char *const v[] = {"x", "NULL"};
	struct dxt_csv_opts o;
	struct dxt_buf out = {0};
	struct dxt_error err;

	dxt_csv_opts_default(&o);
	o.quotechar = '\0';
	memcpy(o.null_value, "NULL", 5);
	ck_assert_int_eq(write_rows(&o, true, v, 2, &out, &err), DXT_ECONFIG);
	has(err.message, "column \"note\"");
	has(err.message, "would read back as null");
	has(err.message, "null_value \"NULL\"");
	has(err.message, "buffer.csv.null_value");
	has(err.message, "buffer.csv.quotechar");
	dxt_buf_free(&out);
}
END_TEST

START_TEST(lone_null_is_a_blank_line)
{
	static const char *const v[] = {"a", NULL};
	struct dxt_csv_opts o;
	struct dxt_buf out = {0};
	struct dxt_error err;

	dxt_csv_opts_default(&o);
	ck_assert_int_eq(write_rows(&o, false, v, 2, &out, &err), DXT_ECONFIG);
	has(err.message, "column \"note\"");
	has(err.message, "empty line");
	has(err.message, "buffer.csv.null_value");
	dxt_buf_free(&out);

	/* A lone empty string is quoted, not refused. */
	static const char *const e[] = {""};
	memcpy(o.null_value, "\\N", 3);
	ck_assert_int_eq(write_rows(&o, false, e, 1, &out, &err), DXT_OK);
	ck_assert_uint_eq(out.len, strlen("note\n\"\"\n"));
	dxt_buf_free(&out);
}
END_TEST

START_TEST(header_name_without_quoting)
{
	struct dxt_schema *s = schema_of(true, "a;b", DXT_TYPE_STRING);
	struct dxt_format_opts fo;
	struct dxt_buf out = {0};
	struct dxt_error err;
	void *state = NULL;

	memset(&fo, 0, sizeof(fo));
	dxt_csv_opts_default(&fo.csv);
	fo.csv.quotechar = '\0';
	fo.csv.delimiter = ';';
	ck_assert_int_eq(dxt_format_csv.writer_open(s, &fo, to_buf, &out,
						    &state, &err),
			 DXT_ECONFIG);
	ck_assert_ptr_null(state);
	has(err.message, "csv header, name of column 2");
	has(err.message, "\"a;b\"");
	has(err.message, "the delimiter ';'");
	dxt_schema_destroy(s);
	dxt_buf_free(&out);
}
END_TEST

/* Through the buffer, the message also names the stream. */
START_TEST(buffer_names_the_stream)
{
	char tmpl[] = "/tmp/dxt-format-XXXXXX", dir[600];
	char *base = mkdtemp(tmpl);
	struct dxt_schema *s = schema_of(true, "note", DXT_TYPE_STRING);
	struct dxt_buffer_opts o;
	struct dxt_buffer_writer *w;
	struct dxt_batch b;
	struct dxt_error err;

	ck_assert_ptr_nonnull(base);
	snprintf(dir, sizeof(dir), "%s/orders", base);
	dxt_buffer_opts_default(&o);
	snprintf(o.format, sizeof(o.format), "csv");
	o.csv.quotechar = '\0';
	o.fsync = false;
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "orders", &o, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, s, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	dxt_col_append_i64(&b.cols[0], 1);
	dxt_col_append_bytes(&b.cols[1], "x,y", 3);
	dxt_batch_end_row(&b);
	ck_assert_int_eq(dxt_buffer_writer_batch(w, &b, &err), DXT_ECONFIG);
	has(err.message, "stream orders: buffer: column \"note\": the value "
			 "\"x,y\"");
	dxt_buffer_writer_destroy(w);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	ck_assert_int_eq(dxt_remove_tree(base, NULL), DXT_OK);
}
END_TEST

/* Typed values are checked in their text form (here a ':' delimiter and a
 * time of day). */
START_TEST(typed_value_text)
{
	struct dxt_schema *s = schema_of(true, "at", DXT_TYPE_TIME);
	struct dxt_format_opts fo;
	struct dxt_buf out = {0};
	struct dxt_batch b;
	struct dxt_error err;
	void *state;

	memset(&fo, 0, sizeof(fo));
	dxt_csv_opts_default(&fo.csv);
	fo.csv.quotechar = '\0';
	fo.csv.delimiter = ':';
	fo.csv.header = false;
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	dxt_col_append_i64(&b.cols[0], 1);
	dxt_col_append_i64(&b.cols[1], 3600LL * 1000000);
	dxt_batch_end_row(&b);
	ck_assert_int_eq(dxt_format_csv.writer_open(s, &fo, to_buf, &out,
						    &state, &err), DXT_OK);
	ck_assert_int_eq(dxt_format_csv.write_batch(state, &b, &err),
			 DXT_ECONFIG);
	dxt_format_csv.writer_abort(state);
	has(err.message, "column \"at\": the value \"01:00:00\"");
	has(err.message, "the delimiter ':'");
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	dxt_buf_free(&out);
}
END_TEST

Suite *dxt_test_format(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("csv_unwritable");

	tcase_add_test(tc, delimiter_without_quoting);
	tcase_add_test(tc, line_end_without_quoting);
	tcase_add_test(tc, quote_without_doublequote);
	tcase_add_test(tc, value_reads_back_as_null);
	tcase_add_test(tc, lone_null_is_a_blank_line);
	tcase_add_test(tc, header_name_without_quoting);
	tcase_add_test(tc, buffer_names_the_stream);
	tcase_add_test(tc, typed_value_text);
	suite_add_tcase(s, tc);
	return s;
}
