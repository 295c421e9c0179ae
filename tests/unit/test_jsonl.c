/*
 * test_jsonl.c - JSON lines: line reader, object to row mapping, writer.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/convert.h"
#include "engine/jsonl.h"

/* A read callback over a string that hands out at most `step` bytes. */
struct src {
	const char *p;
	size_t n;
	size_t pos;
	size_t step;
};

static long src_read(void *ctx, void *p, size_t n, struct dxt_error *err)
{
	struct src *s = ctx;
	size_t k = s->n - s->pos;

	(void)err;
	if (k > n)
		k = n;
	if (s->step && k > s->step)
		k = s->step;
	memcpy(p, s->p + s->pos, k);
	s->pos += k;
	return (long)k;
}

/* Text of value i of column c ("NULL" for null). */
static const char *cell(const struct dxt_batch *b, size_t col, size_t row)
{
	static char text[4096];
	struct dxt_buf out = {0};

	if (!dxt_col_is_valid(&b->cols[col], row))
		return "NULL";
	ck_assert_int_eq(dxt_value_format(&b->cols[col],
					  &b->schema->fields[col], row, &out),
			 DXT_OK);
	ck_assert_uint_lt(out.len, sizeof(text));
	memcpy(text, out.data, out.len);
	text[out.len] = '\0';
	dxt_buf_free(&out);
	return text;
}

static struct dxt_schema *schema_all(void)
{
	struct dxt_schema *s = dxt_schema_create();

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_schema_add(s, "name", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "amount", DXT_TYPE_DECIMAL, 22, 2, true, NULL);
	dxt_schema_add(s, "ok", DXT_TYPE_BOOL, 0, 0, true, NULL);
	dxt_schema_add(s, "doc", DXT_TYPE_JSON, 0, 0, true, NULL);
	dxt_schema_add(s, "day", DXT_TYPE_DATE, 0, 0, true, NULL);
	dxt_schema_add(s, "x", DXT_TYPE_FLOAT64, 0, 0, true, NULL);
	return s;
}

START_TEST(line_reader)
{
	static const char text[] = "\xEF\xBB\xBF{\"a\":1}\r\n"
				   "\n"
				   "   \t\r\n"
				   "{\"a\":2}\n"
				   "{\"a\":3}";
	size_t steps[] = {1, 3, 0};

	for (size_t t = 0; t < 3; t++) {
		struct src s = {text, sizeof(text) - 1, 0, steps[t]};
		struct dxt_jsonl_reader *r;
		const char *line;
		size_t len;

		ck_assert_int_eq(dxt_jsonl_reader_create(src_read, &s, "in.jsonl",
							 &r, NULL), DXT_OK);
		ck_assert_int_eq(dxt_jsonl_read_line(r, &line, &len, NULL), 1);
		ck_assert_uint_eq(len, 7);
		ck_assert(memcmp(line, "{\"a\":1}", 7) == 0);
		ck_assert_uint_eq(dxt_jsonl_line(r), 1);
		ck_assert_int_eq(dxt_jsonl_read_line(r, &line, &len, NULL), 1);
		ck_assert(memcmp(line, "{\"a\":2}", 7) == 0 && len == 7);
		ck_assert_uint_eq(dxt_jsonl_line(r), 4);
		ck_assert_int_eq(dxt_jsonl_read_line(r, &line, &len, NULL), 1);
		ck_assert(memcmp(line, "{\"a\":3}", 7) == 0 && len == 7);
		ck_assert_uint_eq(dxt_jsonl_line(r), 5);
		ck_assert_int_eq(dxt_jsonl_read_line(r, &line, &len, NULL), 0);
		ck_assert_str_eq(dxt_jsonl_name(r), "in.jsonl");
		dxt_jsonl_reader_destroy(r);
	}
}
END_TEST

START_TEST(long_lines)
{
	/* Lines longer than the read block must come out whole. */
	size_t n = 700000;
	char *text = malloc(2 * n + 4);
	struct src s;
	struct dxt_jsonl_reader *r;
	const char *line;
	size_t len;

	memset(text, 'a', n);
	text[n] = '\n';
	memset(text + n + 1, 'b', n);
	text[2 * n + 1] = '\n';
	s = (struct src){text, 2 * n + 2, 0, 0};
	ck_assert_int_eq(dxt_jsonl_reader_create(src_read, &s, "big", &r, NULL),
			 DXT_OK);
	ck_assert_int_eq(dxt_jsonl_read_line(r, &line, &len, NULL), 1);
	ck_assert_uint_eq(len, n);
	ck_assert(line[0] == 'a' && line[n - 1] == 'a');
	ck_assert_int_eq(dxt_jsonl_read_line(r, &line, &len, NULL), 1);
	ck_assert_uint_eq(len, n);
	ck_assert(line[0] == 'b' && line[n - 1] == 'b');
	ck_assert_uint_eq(dxt_jsonl_line(r), 2);
	ck_assert_int_eq(dxt_jsonl_read_line(r, &line, &len, NULL), 0);
	dxt_jsonl_reader_destroy(r);
	free(text);
}
END_TEST

static int append(struct dxt_batch *b, const char *line,
		  struct dxt_error *err)
{
	struct dxt_buf scratch = {0};
	int rc = dxt_jsonl_append_line(line, strlen(line), b, "in.jsonl", 7,
				       &scratch, err);

	dxt_buf_free(&scratch);
	return rc;
}

START_TEST(values)
{
	struct dxt_schema *s = schema_all();
	struct dxt_batch b;
	struct dxt_error err;
	size_t len;
	const uint8_t *p;

	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	/* Every kind of value, keys in any order, unknown keys skipped. */
	ck_assert_int_eq(append(&b, " { \"x\": -1.5e3, \"id\": 9223372036854775807,"
				" \"extra\": {\"deep\": [1, {\"y\": null}]},"
				" \"name\": \"tab\\there \\\"q\\\" \\u00e9 \\ud83d\\ude00\","
				" \"amount\": 12345678901234567890.12, \"ok\": true,"
				" \"doc\": { \"k\" : [1, 2, \"a b\"] }, \"day\": \"2024-01-31\" } ",
				&err), DXT_OK);
	/* Missing keys and JSON null give nulls; a json field keeps scalars as
	 * JSON text. */
	ck_assert_int_eq(append(&b, "{\"id\": -5, \"name\": null, \"doc\": \"s\"}",
				&err), DXT_OK);
	ck_assert_int_eq(append(&b, "{\"id\": \"42\", \"ok\": \"no\", \"doc\": 5,"
				" \"name\": {\"a\":1}}", &err), DXT_OK);
	/* White space after a comma inside a nested value, as Python's
	 * json.dumps writes it. */
	ck_assert_int_eq(append(&b, "{\"id\": 7, \"doc\": {\"a\": 1, \"b\": [1, 2]}}",
				&err), DXT_OK);
	ck_assert_uint_eq(b.nrows, 4);
	ck_assert_str_eq(cell(&b, 4, 3), "{\"a\":1,\"b\":[1,2]}");
	ck_assert_str_eq(cell(&b, 0, 0), "9223372036854775807");
	p = dxt_col_bytes(&b.cols[1], 0, &len);
	ck_assert_uint_eq(len, strlen("tab\there \"q\" \xc3\xa9 \xf0\x9f\x98\x80"));
	ck_assert(memcmp(p, "tab\there \"q\" \xc3\xa9 \xf0\x9f\x98\x80", len) == 0);
	ck_assert_str_eq(cell(&b, 2, 0), "12345678901234567890.12");
	ck_assert_str_eq(cell(&b, 3, 0), "true");
	ck_assert_str_eq(cell(&b, 4, 0), "{\"k\":[1,2,\"a b\"]}");
	ck_assert_str_eq(cell(&b, 5, 0), "2024-01-31");
	ck_assert_str_eq(cell(&b, 6, 0), "-1500");
	ck_assert_str_eq(cell(&b, 0, 1), "-5");
	ck_assert_str_eq(cell(&b, 1, 1), "NULL");
	ck_assert_str_eq(cell(&b, 2, 1), "NULL");
	ck_assert_str_eq(cell(&b, 4, 1), "\"s\"");
	ck_assert_str_eq(cell(&b, 0, 2), "42");
	ck_assert_str_eq(cell(&b, 3, 2), "false");
	ck_assert_str_eq(cell(&b, 4, 2), "5");
	ck_assert_str_eq(cell(&b, 1, 2), "{\"a\":1}");
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

/* The line fails with `code`, its message contains `want`, and the batch is
 * left as it was (one good row). */
static void expect_fail(const char *line, int code, const char *want)
{
	struct dxt_schema *s = schema_all();
	struct dxt_batch b;
	struct dxt_error err;

	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	ck_assert_int_eq(append(&b, "{\"id\": 1, \"name\": \"first\"}", &err),
			 DXT_OK);
	dxt_error_clear(&err);
	ck_assert_int_eq(append(&b, line, &err), code);
	ck_assert_int_eq(err.code, code);
	ck_assert_msg(strstr(err.message, want) != NULL,
		      "message \"%s\" lacks \"%s\"", err.message, want);
	ck_assert_uint_eq(b.nrows, 1);
	for (size_t i = 0; i < b.ncols; i++)
		ck_assert_uint_eq(b.cols[i].length, 1);
	/* The batch still takes rows after the failure. */
	ck_assert_int_eq(append(&b, "{\"id\": 2}", &err), DXT_OK);
	ck_assert_str_eq(cell(&b, 1, 0), "first");
	ck_assert_str_eq(cell(&b, 0, 1), "2");
	ck_assert_str_eq(cell(&b, 1, 1), "NULL");
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}

START_TEST(errors)
{
	expect_fail("{\"name\": \"x\", \"amount\": 1}", DXT_ETYPE,
		    "in.jsonl: line 7, field id: missing");
	expect_fail("{\"id\": null}", DXT_ETYPE, "field id: null");
	expect_fail("{\"id\": 3, \"amount\": \"12x\"}", DXT_ETYPE,
		    "in.jsonl: line 7, field amount: ");
	expect_fail("{\"id\": 3, \"amount\": 1.234}", DXT_ETYPE,
		    "field amount");
	expect_fail("{\"id\": 3, \"day\": [1]}", DXT_ETYPE,
		    "field day: expected a date, found an array");
	expect_fail("{\"id\": 3, \"ok\": 7}", DXT_ETYPE, "field ok");
	expect_fail("{\"id\": 3 \"name\": 1}", DXT_EPARSE,
		    "in.jsonl: line 7, column 10: expected ',' or '}'");
	expect_fail("{\"id\": 3, \"name\": \"abc}", DXT_EPARSE,
		    "column 19: unterminated string");
	expect_fail("[1, 2]", DXT_EPARSE, "column 1: expected a JSON object");
	expect_fail("{\"id\": 3} x", DXT_EPARSE, "column 11");
	expect_fail("{\"id\": 3, \"id\": 4}", DXT_EPARSE,
		    "column 11: duplicate key \"id\"");
	expect_fail("{\"id\": 01}", DXT_EPARSE, "column 9");
	expect_fail("{\"id\": 1, \"doc\": {\"a\": tru}}", DXT_EPARSE,
		    "invalid literal");
	expect_fail("{\"id\": 1, \"name\": \"\\ud800x\"}", DXT_EPARSE,
		    "unpaired UTF-16 surrogate");
	expect_fail("{\"id\": 1, \"name\": \"\xc3\x28\"}", DXT_EPARSE,
		    "invalid UTF-8");
	expect_fail("{\"id\": 1, \"name\": \"a\tb\"}", DXT_EPARSE,
		    "control character");
	expect_fail("", DXT_EPARSE, "the line ends where a JSON object");
}
END_TEST

START_TEST(from_jansson)
{
	struct dxt_schema *s = schema_all();
	struct dxt_batch b;
	struct dxt_error err;
	json_t *o = json_pack("{s:I, s:s, s:f, s:b, s:{s:[i,i]}, s:s, s:i}",
			      "id", (json_int_t)77, "name", "n\xc3\xa9",
			      "amount", 12.5, "ok", 1, "doc", "a", 1, 2,
			      "day", "2020-02-29", "x", 3);
	json_t *bad = json_pack("{s:I, s:s}", "id", (json_int_t)1, "day",
				"2020-02-30");
	json_t *arr = json_array();

	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	ck_assert_int_eq(dxt_jsonl_append_object(o, &b, "api", 3, &err), DXT_OK);
	ck_assert_str_eq(cell(&b, 0, 0), "77");
	ck_assert_str_eq(cell(&b, 1, 0), "n\xc3\xa9");
	ck_assert_str_eq(cell(&b, 2, 0), "12.50");
	ck_assert_str_eq(cell(&b, 3, 0), "true");
	ck_assert_str_eq(cell(&b, 4, 0), "{\"a\":[1,2]}");
	ck_assert_str_eq(cell(&b, 5, 0), "2020-02-29");
	ck_assert_str_eq(cell(&b, 6, 0), "3");
	ck_assert_int_eq(dxt_jsonl_append_object(bad, &b, "api", 4, &err),
			 DXT_ETYPE);
	ck_assert_msg(strstr(err.message, "api: line 4, field day") != NULL,
		      "%s", err.message);
	ck_assert_int_eq(dxt_jsonl_append_object(arr, &b, "api", 5, &err),
			 DXT_EPARSE);
	ck_assert_msg(strstr(err.message, "api: line 5: expected a JSON object, "
			     "found an array") != NULL, "%s", err.message);
	ck_assert_uint_eq(b.nrows, 1);
	for (size_t i = 0; i < b.ncols; i++)
		ck_assert_uint_eq(b.cols[i].length, 1);
	json_decref(o);
	json_decref(bad);
	json_decref(arr);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(write_and_read_back)
{
	struct dxt_schema *s = schema_all();
	struct dxt_batch b, back;
	struct dxt_buf out = {0};
	struct dxt_error err;
	struct dxt_jsonl_reader *r;
	struct src src;
	int rc;

	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&back, s), DXT_OK);
	ck_assert_int_eq(append(&b, "{\"id\": 1, \"name\": \"a\\\"b\\n\", "
				"\"amount\": -0.05, \"ok\": false, "
				"\"doc\": {\"z\": [true, null]}, \"day\": "
				"\"1999-12-31\", \"x\": 0.1}", &err), DXT_OK);
	ck_assert_int_eq(append(&b, "{\"id\": 2}", &err), DXT_OK);
	ck_assert_int_eq(dxt_jsonl_write_batch(&b, &out), DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&out, '\0'), DXT_OK);
	ck_assert_str_eq((const char *)out.data,
			 "{\"id\":1,\"name\":\"a\\\"b\\n\",\"amount\":-0.05,"
			 "\"ok\":false,\"doc\":{\"z\":[true,null]},"
			 "\"day\":\"1999-12-31\",\"x\":0.1}\n"
			 "{\"id\":2,\"name\":null,\"amount\":null,\"ok\":null,"
			 "\"doc\":null,\"day\":null,\"x\":null}\n");
	src = (struct src){(const char *)out.data, out.len - 1, 0, 5};
	ck_assert_int_eq(dxt_jsonl_reader_create(src_read, &src, "w.jsonl", &r,
						 &err), DXT_OK);
	while ((rc = dxt_jsonl_read_row(r, &back, &err)) == 1)
		;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(back.nrows, 2);
	for (size_t row = 0; row < 2; row++)
		for (size_t col = 0; col < b.ncols; col++) {
			char want[256];

			snprintf(want, sizeof(want), "%s", cell(&b, col, row));
			ck_assert_str_eq(cell(&back, col, row), want);
		}
	dxt_jsonl_reader_destroy(r);
	dxt_buf_free(&out);
	dxt_batch_release(&b);
	dxt_batch_release(&back);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(reader_skips_bad_rows)
{
	static const char text[] = "{\"id\": 1}\n{\"id\": \"x\"}\n{\"id\": 3}\n";
	struct src src = {text, sizeof(text) - 1, 0, 0};
	struct dxt_schema *s = schema_all();
	struct dxt_jsonl_reader *r;
	struct dxt_batch b;
	struct dxt_error err;
	const char *raw;
	size_t len;

	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	ck_assert_int_eq(dxt_jsonl_reader_create(src_read, &src, "r.jsonl", &r,
						 &err), DXT_OK);
	ck_assert_int_eq(dxt_jsonl_read_row(r, &b, &err), 1);
	ck_assert_int_eq(dxt_jsonl_read_row(r, &b, &err), DXT_ETYPE);
	ck_assert_msg(strstr(err.message, "r.jsonl: line 2, field id") != NULL,
		      "%s", err.message);
	raw = dxt_jsonl_raw(r, &len);
	ck_assert_uint_eq(len, 11);
	ck_assert(memcmp(raw, "{\"id\": \"x\"}", 11) == 0);
	ck_assert_int_eq(dxt_jsonl_read_row(r, &b, &err), 1);
	ck_assert_int_eq(dxt_jsonl_read_row(r, &b, &err), 0);
	ck_assert_uint_eq(b.nrows, 2);
	ck_assert_str_eq(cell(&b, 0, 1), "3");
	dxt_jsonl_reader_destroy(r);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(utf8_sequences)
{
	const unsigned char ok[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	const unsigned char *p = ok, *end = ok + sizeof(ok) - 1;
	size_t lens[] = {1, 2, 3, 4};

	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(dxt_utf8_seq(p, end), lens[i]);
		p += lens[i];
	}
	/* Overlong, surrogate, truncated, out of range. */
	ck_assert_uint_eq(dxt_utf8_seq((const unsigned char *)"\xc0\xaf",
				       (const unsigned char *)"\xc0\xaf" + 2),
			  0);
	ck_assert_uint_eq(dxt_utf8_seq((const unsigned char *)"\xed\xa0\x80",
				       (const unsigned char *)"\xed\xa0\x80" + 3),
			  0);
	ck_assert_uint_eq(dxt_utf8_seq(ok + 1, ok + 2), 0);
	ck_assert_uint_eq(dxt_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80",
				       (const unsigned char *)"\xf4\x90\x80\x80" + 4),
			  0);
}
END_TEST

Suite *dxt_test_jsonl(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, line_reader);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, values);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, from_jansson);
	tcase_add_test(tc, write_and_read_back);
	tcase_add_test(tc, reader_skips_bad_rows);
	tcase_add_test(tc, utf8_sequences);
	suite_add_tcase(s, tc);
	return s;
}
