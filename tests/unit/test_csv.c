/*
 * test_csv.c - CSV tokenizer, record conversion, writer and options.
 *
 * Reader cases run with several read chunk sizes (down to one byte at a
 * time) so that every record, quote and line end also meets a buffer
 * boundary.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/batch.h"
#include "engine/convert.h"
#include "engine/csv.h"

struct mem {
	const char *p;
	size_t n;
	size_t off;
	size_t chunk;
};

static long mem_read(void *ctx, void *p, size_t n, struct dxt_error *err)
{
	struct mem *m = ctx;
	size_t k = m->n - m->off;

	if (k > n)
		k = n;
	if (k > m->chunk)
		k = m->chunk;
	memcpy(p, m->p + m->off, k);
	m->off += k;
	return (long)k;
}

static long failing_read(void *ctx, void *p, size_t n, struct dxt_error *err)
{
	return dxt_error_set(err, DXT_EIO, "disk on fire");
}

static const size_t chunks[] = {1, 2, 3, 7, 64, 1 << 20};
#define NCHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/*
 * Reads all records and renders them as "line:[f1][f2]" lines, quoted
 * fields as q[...], null fields (per dxt_csv_is_null) as N[]. On error the
 * rendering ends with "ERR <message>".
 */
static char *dump_opts(const struct dxt_csv_opts *o, const char *in,
		       size_t n, size_t chunk)
{
	struct mem m = {in, n, 0, chunk};
	struct dxt_csv_reader *r;
	struct dxt_error err;
	struct dxt_buf out = {0};
	struct dxt_csv_field *f;
	size_t nf;
	int rc;

	dxt_error_clear(&err);
	ck_assert_int_eq(dxt_csv_reader_create(o, mem_read, &m, "t.csv", &r,
					       &err),
			 DXT_OK);
	while ((rc = dxt_csv_read(r, &f, &nf, &err)) == 1) {
		char line[32];
		snprintf(line, sizeof(line), "%llu:",
			 (unsigned long long)dxt_csv_line(r));
		dxt_buf_puts(&out, line);
		for (size_t i = 0; i < nf; i++) {
			if (dxt_csv_is_null(r, &f[i]))
				dxt_buf_putc(&out, 'N');
			else if (f[i].quoted)
				dxt_buf_putc(&out, 'q');
			dxt_buf_putc(&out, '[');
			dxt_buf_append(&out, f[i].p, f[i].n);
			dxt_buf_putc(&out, ']');
		}
		dxt_buf_putc(&out, '\n');
	}
	if (rc < 0) {
		dxt_buf_puts(&out, "ERR ");
		dxt_buf_puts(&out, err.message);
		/* Errors are sticky. */
		ck_assert_int_eq(dxt_csv_read(r, &f, &nf, &err), rc);
	} else {
		ck_assert_int_eq(dxt_csv_read(r, &f, &nf, &err), 0);
	}
	dxt_buf_putc(&out, '\0');
	dxt_csv_reader_destroy(r);
	return (char *)out.data;
}

/* Checks the rendering for every chunk size. */
static void expect_opts(const struct dxt_csv_opts *o, const char *in,
			size_t n, const char *want)
{
	for (size_t c = 0; c < NCHUNKS; c++) {
		char *got = dump_opts(o, in, n, chunks[c]);
		ck_assert_msg(strcmp(got, want) == 0,
			      "chunk %zu:\n got: %s\nwant: %s", chunks[c], got,
			      want);
		free(got);
	}
}

static void expect(const char *in, const char *want)
{
	struct dxt_csv_opts o;

	dxt_csv_opts_default(&o);
	expect_opts(&o, in, strlen(in), want);
}

START_TEST(simple_records)
{
	expect("a,b,c\n1,2,3\n", "1:[a][b][c]\n2:[1][2][3]\n");
	expect("a,b\n1,2", "1:[a][b]\n2:[1][2]\n");
	expect("", "");
	expect("x", "1:[x]\n");
	expect("a,\n", "1:[a]N[]\n");
	expect(",", "1:N[]N[]\n");
	expect("a\"b,c\n", "1:[a\"b][c]\n");
	expect(" a , b \n", "1:[ a ][ b ]\n");
}
END_TEST

START_TEST(line_ends)
{
	expect("a,b\r\n1,2\r\n", "1:[a][b]\n2:[1][2]\n");
	expect("a,b\r1,2\r", "1:[a][b]\n2:[1][2]\n");
	expect("a\r\n\r\nb\r\n", "1:[a]\n3:[b]\n");
	expect("a\r\rb\n\nc", "1:[a]\n3:[b]\n5:[c]\n");
	expect("a\n\n\nb\n", "1:[a]\n4:[b]\n");
	expect("\n\n", "");
	expect("a\n\r\nb", "1:[a]\n3:[b]\n");
	expect("a\r\n", "1:[a]\n");
}
END_TEST

START_TEST(bom_skipped)
{
	expect("\xEF\xBB\xBFid,name\n1,x\n", "1:[id][name]\n2:[1][x]\n");
	expect("\xEF\xBB\xBF", "");
	/* Only at the very start. */
	expect("a\n\xEF\xBB\xBF", "1:[a]\n2:[\xEF\xBB\xBF]\n");
}
END_TEST

START_TEST(quoted_fields)
{
	expect("x,\"a,b\nc\",y\nz,1,2\n",
	       "1:[x]q[a,b\nc][y]\n3:[z][1][2]\n");
	expect("\"he said \"\"hi\"\"\",2\n", "1:q[he said \"hi\"][2]\n");
	expect("\"\"\"\"\n", "1:q[\"]\n");
	expect("\"a\r\nb\",c\r\nd\r\n", "1:q[a\r\nb][c]\n3:[d]\n");
	expect("\"a\rb\"\rc", "1:q[a\rb]\n3:[c]\n");
	expect("\"x\"", "1:q[x]\n");
	expect("\"x\",\"\"\n", "1:q[x]q[]\n");
	expect("\"\n\n\"\nlast\n", "1:q[\n\n]\n4:[last]\n");
}
END_TEST

START_TEST(empty_string_and_null)
{
	struct dxt_csv_opts o;

	expect(",\"\",x\n", "1:N[]q[][x]\n");
	dxt_csv_opts_default(&o);
	memcpy(o.null_value, "NULL", 5);
	expect_opts(&o, "NULL,\"NULL\",,x\n", 15, "1:N[NULL]q[NULL][][x]\n");
}
END_TEST

START_TEST(unclosed_quote)
{
	struct dxt_csv_opts o;
	char *got;

	dxt_csv_opts_default(&o);
	expect("a,b\n1,\"abc\n2,3\n",
	       "1:[a][b]\nERR t.csv: line 2, column 3: quoted field is never "
	       "closed (the input ends inside it); check for a missing or "
	       "stray quote character");
	/* The column counts characters, not bytes. */
	got = dump_opts(&o, "\xc3\xa9\xc3\xa9,\"x", 7, 1);
	ck_assert_msg(strstr(got, "line 1, column 4:") != NULL, "%s", got);
	free(got);
}
END_TEST

START_TEST(stray_after_quote)
{
	expect("a,\"b\"x,c\n",
	       "ERR t.csv: line 1, column 6: unexpected 'x' after the closing "
	       "quote of a field; a quote inside a quoted field must be "
	       "doubled");
	expect("ok\n1,\"a\nbc\"d\n",
	       "1:[ok]\nERR t.csv: line 3, column 4: unexpected 'd' after "
	       "the closing quote of a field; a quote inside a quoted field "
	       "must be doubled");
	expect("\"a\" ,b\n", "ERR t.csv: line 1, column 4: unexpected ' ' "
			     "after the closing quote of a field; a quote "
			     "inside a quoted field must be doubled");
}
END_TEST

START_TEST(escape_char)
{
	struct dxt_csv_opts o;
	const char *in = "a\\,b,\"c\\\"d\",\\\\\ne\\\nf,g\n";

	dxt_csv_opts_default(&o);
	o.escapechar = '\\';
	o.doublequote = false;
	expect_opts(&o, in, strlen(in),
		    "1:[a,b]q[c\"d][\\]\n2:[e\nf][g]\n");
	/* The null marker is matched before unescaping. */
	memcpy(o.null_value, "\\N", 3);
	in = "\\N,\\\\N,a\n";
	expect_opts(&o, in, strlen(in), "1:N[N][\\N][a]\n");
	in = "x\\";
	expect_opts(&o, in, strlen(in),
		    "ERR t.csv: line 1, column 2: escape character at the "
		    "end of the input");
	/* Without doublequote, a second quote closes the field. */
	in = "\"a\"\"b\"\n";
	expect_opts(&o, in, strlen(in),
		    "ERR t.csv: line 1, column 4: unexpected '\"' after the "
		    "closing quote of a field; a quote inside a quoted field "
		    "must be escaped");
}
END_TEST

START_TEST(custom_delimiters)
{
	struct dxt_csv_opts o;
	const char *in;

	dxt_csv_opts_default(&o);
	o.delimiter = '\t';
	in = "a\tb,c\t\"d\te\"\n";
	expect_opts(&o, in, strlen(in), "1:[a][b,c]q[d\te]\n");
	o.delimiter = ';';
	in = "1;2,5;\"x;y\"\r\n";
	expect_opts(&o, in, strlen(in), "1:[1][2,5]q[x;y]\n");
	/* No quoting at all. */
	o.delimiter = ',';
	o.quotechar = '\0';
	in = "\"a\",b\"\n";
	expect_opts(&o, in, strlen(in), "1:[\"a\"][b\"]\n");
	/* Another quote character. */
	o.quotechar = '\'';
	in = "'it''s',\"x\"\n";
	expect_opts(&o, in, strlen(in), "1:q[it's][\"x\"]\n");
}
END_TEST

START_TEST(raw_bytes_and_counts)
{
	struct dxt_csv_opts o;
	const char *in = "h1,h2\r\nx,\"y\nz\"\r\n\r\nlast,1";
	struct mem m = {in, strlen(in), 0, 3};
	struct dxt_csv_reader *r;
	struct dxt_csv_field *f;
	size_t nf, len;
	const char *raw;

	dxt_csv_opts_default(&o);
	ck_assert_int_eq(dxt_csv_reader_create(&o, mem_read, &m, "t.csv", &r,
					       NULL),
			 DXT_OK);
	ck_assert_int_eq(dxt_csv_read(r, &f, &nf, NULL), 1);
	ck_assert_int_eq(dxt_csv_read(r, &f, &nf, NULL), 1);
	raw = dxt_csv_raw(r, &len);
	ck_assert_uint_eq(len, 7);
	ck_assert(memcmp(raw, "x,\"y\nz\"", 7) == 0);
	ck_assert_uint_eq(dxt_csv_line(r), 2);
	ck_assert_int_eq(dxt_csv_read(r, &f, &nf, NULL), 1);
	raw = dxt_csv_raw(r, &len);
	ck_assert_uint_eq(len, 6);
	ck_assert(memcmp(raw, "last,1", 6) == 0);
	ck_assert_uint_eq(dxt_csv_line(r), 5);
	ck_assert_uint_eq(dxt_csv_records(r), 3);
	ck_assert_int_eq(dxt_csv_read(r, &f, &nf, NULL), 0);
	dxt_csv_reader_destroy(r);
}
END_TEST

/* Records larger than the block, and many blocks of records. */
START_TEST(big_records_and_blocks)
{
	size_t big = 700000, n = 0;
	char *in = malloc(2 * big + 2000000);
	struct dxt_csv_opts o;
	struct dxt_csv_reader *r;
	struct dxt_csv_field *f;
	size_t nf, rows = 0;
	struct mem m;
	int rc;

	ck_assert_ptr_nonnull(in);
	in[n++] = '"';
	for (size_t i = 0; i < big; i++)
		in[n++] = i % 1000 == 999 ? '\n' : (i % 100 == 0 ? '"' : 'x');
	/* Every '"' inside must be doubled. */
	{
		char *q = malloc(2 * big + 16);
		size_t k = 0;
		q[k++] = '"';
		for (size_t i = 1; i < n; i++) {
			q[k++] = in[i];
			if (in[i] == '"')
				q[k++] = '"';
		}
		memcpy(in, q, k);
		n = k;
		free(q);
	}
	memcpy(in + n, "\",tail\n", 7);
	n += 7;
	for (int i = 0; i < 60000; i++)
		n += (size_t)snprintf(in + n, 32, "%d,row%d\n", i, i);
	dxt_csv_opts_default(&o);
	for (size_t c = 0; c < 2; c++) {
		m = (struct mem){in, n, 0, c == 0 ? 4093 : 1 << 20};
		ck_assert_int_eq(dxt_csv_reader_create(&o, mem_read, &m, "t.csv",
						       &r, NULL),
				 DXT_OK);
		ck_assert_int_eq(dxt_csv_read(r, &f, &nf, NULL), 1);
		ck_assert_uint_eq(nf, 2);
		ck_assert(f[0].quoted);
		ck_assert_uint_eq(f[0].n, big);
		ck_assert(f[0].p[0] == '"' && f[0].p[1] == 'x');
		ck_assert(f[1].n == 4 && memcmp(f[1].p, "tail", 4) == 0);
		rows = 0;
		while ((rc = dxt_csv_read(r, &f, &nf, NULL)) == 1) {
			char want[32];
			int wl = snprintf(want, sizeof(want), "row%zu", rows);
			ck_assert_uint_eq(nf, 2);
			ck_assert_uint_eq(f[1].n, (size_t)wl);
			ck_assert(memcmp(f[1].p, want, (size_t)wl) == 0);
			rows++;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(rows, 60000);
		ck_assert_uint_eq(dxt_csv_line(r), 1 + big / 1000 + 60000);
		dxt_csv_reader_destroy(r);
	}
	free(in);
}
END_TEST

START_TEST(read_errors_pass_through)
{
	struct dxt_csv_opts o;
	struct dxt_csv_reader *r;
	struct dxt_csv_field *f;
	struct dxt_error err;
	size_t nf;

	dxt_csv_opts_default(&o);
	ck_assert_int_eq(dxt_csv_reader_create(&o, failing_read, NULL, "t.csv",
					       &r, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_csv_read(r, &f, &nf, &err), DXT_EIO);
	ck_assert_str_eq(err.message, "disk on fire");
	dxt_csv_reader_destroy(r);
	o.delimiter = '"';
	ck_assert_int_eq(dxt_csv_reader_create(&o, failing_read, NULL, "t.csv",
					       &r, &err),
			 DXT_ECONFIG);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err.message, "must differ"));
}
END_TEST

/* --- records into batches ------------------------------------------------ */

struct loaded {
	struct dxt_schema *s;
	struct dxt_batch b;
	struct dxt_csv_reader *r;
	struct mem m;
	struct dxt_error err;
};

static struct dxt_schema *orders_schema(void)
{
	struct dxt_schema *s = dxt_schema_create();

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_schema_add(s, "amount", DXT_TYPE_DECIMAL, 12, 2, true, NULL);
	dxt_schema_add(s, "name", DXT_TYPE_STRING, 0, 0, true, NULL);
	return s;
}

/* Loads every record; returns the first error code (rows loaded before
 * it stay), or DXT_OK. Rows after a conversion error are still read. */
static int load(struct loaded *l, const struct dxt_csv_opts *o,
		const char *in, size_t chunk, int *first_rc)
{
	struct dxt_csv_field *f;
	size_t nf;
	int rc;

	*first_rc = DXT_OK;
	l->m = (struct mem){in, strlen(in), 0, chunk};
	dxt_error_clear(&l->err);
	ck_assert_int_eq(dxt_batch_init(&l->b, l->s), DXT_OK);
	ck_assert_int_eq(dxt_csv_reader_create(o, mem_read, &l->m, "orders.csv",
					       &l->r, NULL),
			 DXT_OK);
	while ((rc = dxt_csv_read(l->r, &f, &nf, &l->err)) == 1) {
		struct dxt_error e;
		rc = dxt_csv_append_record(l->r, f, nf, &l->b, &e);
		if (rc != DXT_OK && *first_rc == DXT_OK) {
			*first_rc = rc;
			l->err = e;
		}
	}
	return rc;
}

static void unload(struct loaded *l)
{
	dxt_csv_reader_destroy(l->r);
	dxt_batch_release(&l->b);
}

static void check_columns_consistent(const struct dxt_batch *b)
{
	for (size_t j = 0; j < b->ncols; j++)
		ck_assert_uint_eq(b->cols[j].length, b->nrows);
}

START_TEST(append_records)
{
	struct loaded l = {.s = orders_schema()};
	struct dxt_csv_opts o;
	int first;
	size_t len;
	const uint8_t *p;

	dxt_csv_opts_default(&o);
	ck_assert_int_eq(load(&l, &o, "1,12.5,x\n2,,\"\"\n3,-0.01,\n", 2,
			      &first),
			 0);
	ck_assert_int_eq(first, DXT_OK);
	ck_assert_uint_eq(l.b.nrows, 3);
	ck_assert(dxt_col_dec(&l.b.cols[1], 0) == 1250);
	ck_assert(!dxt_col_is_valid(&l.b.cols[1], 1));
	/* A quoted empty field is an empty string, an empty one is null. */
	ck_assert(dxt_col_is_valid(&l.b.cols[2], 1));
	p = dxt_col_bytes(&l.b.cols[2], 1, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert(!dxt_col_is_valid(&l.b.cols[2], 2));
	ck_assert(dxt_col_dec(&l.b.cols[1], 2) == -1);
	(void)p;
	unload(&l);
	dxt_schema_destroy(l.s);
}
END_TEST

START_TEST(append_errors_roll_back)
{
	struct loaded l = {.s = orders_schema()};
	struct dxt_csv_opts o;
	int first;

	dxt_csv_opts_default(&o);
	/* A bad value in the middle column: the id already appended for
	 * that row is rolled back. */
	load(&l, &o, "1,1.00,a\n2,12x,b\n3,3.00,c\n", 1, &first);
	ck_assert_int_eq(first, DXT_ETYPE);
	ck_assert_str_eq(l.err.message,
			 "orders.csv: line 2, column 2 (amount): \"12x\" is not "
			 "a decimal(12,2)");
	ck_assert_uint_eq(l.b.nrows, 2);
	check_columns_consistent(&l.b);
	ck_assert_int_eq(dxt_col_i64(&l.b.cols[0], 1), 3);
	unload(&l);

	/* Invalid UTF-8 in the last column rolls back two values. */
	load(&l, &o, "1,1.00,a\n2,2.00,\xff\n", 64, &first);
	ck_assert_int_eq(first, DXT_ETYPE);
	ck_assert_ptr_nonnull(strstr(l.err.message,
				     "orders.csv: line 2, column 3 (name): "
				     "value is not valid UTF-8"));
	ck_assert_uint_eq(l.b.nrows, 1);
	check_columns_consistent(&l.b);
	unload(&l);

	/* Ragged rows. */
	load(&l, &o, "1,1.00,a\n\n2,2.00\n3,3.00,c,d\n", 1, &first);
	ck_assert_int_eq(first, DXT_EPARSE);
	ck_assert_str_eq(l.err.message,
			 "orders.csv: line 3: expected 3 fields, found 2");
	ck_assert_uint_eq(l.b.nrows, 1);
	check_columns_consistent(&l.b);
	unload(&l);

	/* Null in a non-nullable field. */
	load(&l, &o, "\"1\",1,a\n,1,a\n", 1, &first);
	ck_assert_int_eq(first, DXT_ETYPE);
	ck_assert_str_eq(l.err.message,
			 "orders.csv: line 2, column 1 (id): null value in a "
			 "field that is not nullable");
	ck_assert_uint_eq(l.b.nrows, 1);
	unload(&l);

	/* A multi-line record reports the line where it starts. */
	load(&l, &o, "1,1,\"a\nb\"\n2,\"1\nx\",x\n", 1, &first);
	ck_assert_int_eq(first, DXT_ETYPE);
	ck_assert_ptr_nonnull(strstr(l.err.message,
				     "orders.csv: line 3, column 2 (amount)"));
	unload(&l);
	dxt_schema_destroy(l.s);
}
END_TEST

START_TEST(append_null_value_option)
{
	struct loaded l = {.s = orders_schema()};
	struct dxt_csv_opts o;
	size_t len;
	int first;

	dxt_csv_opts_default(&o);
	memcpy(o.null_value, "NULL", 5);
	load(&l, &o, "1,NULL,NULL\n2,,\"NULL\"\n", 5, &first);
	ck_assert_int_eq(first, DXT_ETYPE);
	ck_assert_ptr_nonnull(strstr(l.err.message,
				     "line 2, column 2 (amount): \"\" is not a "
				     "decimal(12,2)"));
	ck_assert_uint_eq(l.b.nrows, 1);
	ck_assert(!dxt_col_is_valid(&l.b.cols[1], 0));
	ck_assert(!dxt_col_is_valid(&l.b.cols[2], 0));
	unload(&l);
	load(&l, &o, "1,1,\n2,2,\"NULL\"\n", 5, &first);
	ck_assert_int_eq(first, DXT_OK);
	ck_assert(dxt_col_is_valid(&l.b.cols[2], 0));
	dxt_col_bytes(&l.b.cols[2], 0, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert(dxt_col_is_valid(&l.b.cols[2], 1));
	unload(&l);
	dxt_schema_destroy(l.s);
}
END_TEST

/* --- writer -------------------------------------------------------------- */

static void expect_field(const struct dxt_csv_opts *o, const char *in,
			 bool is_null, const char *want)
{
	struct dxt_buf b = {0};

	ck_assert_int_eq(dxt_csv_write_field(o, &b, in, strlen(in), is_null),
			 DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&b, '\0'), DXT_OK);
	ck_assert_str_eq((char *)b.data, want);
	dxt_buf_free(&b);
}

START_TEST(write_fields)
{
	struct dxt_csv_opts o;
	struct dxt_buf b = {0};

	dxt_csv_opts_default(&o);
	expect_field(&o, "plain", false, "plain");
	expect_field(&o, "a,b", false, "\"a,b\"");
	expect_field(&o, "say \"hi\"", false, "\"say \"\"hi\"\"\"");
	expect_field(&o, "two\nlines", false, "\"two\nlines\"");
	expect_field(&o, "cr\r", false, "\"cr\r\"");
	expect_field(&o, "", false, "\"\"");
	expect_field(&o, "", true, "");
	expect_field(&o, " pad ", false, " pad ");
	memcpy(o.null_value, "NULL", 5);
	expect_field(&o, "NULL", false, "\"NULL\"");
	expect_field(&o, "", false, "");
	expect_field(&o, "x", true, "NULL");
	o.escapechar = '\\';
	o.doublequote = false;
	expect_field(&o, "a\"b", false, "\"a\\\"b\"");
	expect_field(&o, "back\\slash", false, "\"back\\\\slash\"");
	o.quotechar = '\0';
	expect_field(&o, "a,b\nc", false, "a\\,b\\\nc");
	/* What the options cannot represent is refused, not mangled. */
	o.escapechar = '\0';
	ck_assert_int_eq(dxt_csv_write_field(&o, &b, "a,b", 3, false),
			 DXT_EINVAL);
	ck_assert_int_eq(dxt_csv_write_field(&o, &b, "NULL", 4, false),
			 DXT_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	dxt_csv_opts_default(&o);
	o.doublequote = false;
	ck_assert_int_eq(dxt_csv_write_field(&o, &b, "a\"b", 3, false),
			 DXT_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(write_header_line)
{
	struct dxt_csv_opts o;
	struct dxt_schema *s = dxt_schema_create();
	struct dxt_buf b = {0};

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_schema_add(s, "a;b", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_csv_opts_default(&o);
	o.delimiter = ';';
	memcpy(o.lineterminator, "\r\n", 3);
	ck_assert_int_eq(dxt_csv_write_header(&o, s, &b), DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&b, '\0'), DXT_OK);
	ck_assert_str_eq((char *)b.data, "id;\"a;b\"\r\n");
	dxt_buf_free(&b);
	dxt_schema_destroy(s);
}
END_TEST

static struct dxt_schema *all_types_schema(void)
{
	struct dxt_schema *s = dxt_schema_create();

	dxt_schema_add(s, "b", DXT_TYPE_BOOL, 0, 0, true, NULL);
	dxt_schema_add(s, "i8", DXT_TYPE_INT8, 0, 0, true, NULL);
	dxt_schema_add(s, "i16", DXT_TYPE_INT16, 0, 0, true, NULL);
	dxt_schema_add(s, "i32", DXT_TYPE_INT32, 0, 0, true, NULL);
	dxt_schema_add(s, "i64", DXT_TYPE_INT64, 0, 0, true, NULL);
	dxt_schema_add(s, "f32", DXT_TYPE_FLOAT32, 0, 0, true, NULL);
	dxt_schema_add(s, "f64", DXT_TYPE_FLOAT64, 0, 0, true, NULL);
	dxt_schema_add(s, "dec", DXT_TYPE_DECIMAL, 20, 4, true, NULL);
	dxt_schema_add(s, "str", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "bin", DXT_TYPE_BINARY, 0, 0, true, NULL);
	dxt_schema_add(s, "d", DXT_TYPE_DATE, 0, 0, true, NULL);
	dxt_schema_add(s, "t", DXT_TYPE_TIME, 0, 0, true, NULL);
	dxt_schema_add(s, "ts", DXT_TYPE_TIMESTAMP, 0, 0, true, NULL);
	dxt_schema_add(s, "tz", DXT_TYPE_TIMESTAMPTZ, 0, 0, true, NULL);
	dxt_schema_add(s, "u", DXT_TYPE_UUID, 0, 0, true, NULL);
	dxt_schema_add(s, "j", DXT_TYPE_JSON, 0, 0, true, NULL);
	return s;
}

static const char *const tricky[] = {
	"plain", "", "a,b", "semi;colon", "tab\there", "say \"hi\"",
	"two\nlines", "cr\rlf\r\n", "back\\slash", "NULL", " spaced ",
	"\xc3\xa9t\xc3\xa9", "'single'", "\"", "\\",
};
#define NTRICKY (sizeof(tricky) / sizeof(tricky[0]))

static uint64_t rs = 77;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void fill_batch(struct dxt_batch *b, size_t rows)
{
	for (size_t i = 0; i < rows; i++) {
		for (size_t j = 0; j < b->ncols; j++) {
			struct dxt_column *c = &b->cols[j];
			uint64_t r = rnd();
			uint8_t u[16];
			if (r % 7 == 0) {
				ck_assert_int_eq(dxt_col_append_null(c), DXT_OK);
				continue;
			}
			switch (c->type) {
			case DXT_TYPE_BOOL:
				dxt_col_append_bool(c, r & 1);
				break;
			case DXT_TYPE_INT8:
			case DXT_TYPE_INT16:
			case DXT_TYPE_INT32:
			case DXT_TYPE_INT64:
				dxt_col_append_int(c, (int64_t)(r >> 1) >>
							     (64 - 8 * dxt_type_width(c->type)));
				break;
			case DXT_TYPE_FLOAT32:
				dxt_col_append_f32(c, (float)((int64_t)r % 100000) / 64);
				break;
			case DXT_TYPE_FLOAT64:
				dxt_col_append_f64(c, (double)(int64_t)r / 3e7);
				break;
			case DXT_TYPE_DECIMAL:
				dxt_col_append_dec(c, (__int128)((int64_t)r % 1000000000000LL));
				break;
			case DXT_TYPE_STRING:
			case DXT_TYPE_JSON: {
				const char *t = tricky[r % NTRICKY];
				char js[64];
				if (c->type == DXT_TYPE_JSON) {
					snprintf(js, sizeof(js),
						 "{\"k\": [%d, \"v,\\\"\"]}",
						 (int)(r % 100));
					t = js;
				}
				dxt_col_append_bytes(c, t, strlen(t));
				break;
			}
			case DXT_TYPE_BINARY:
				dxt_col_append_bytes(c, &r, r % 9);
				break;
			case DXT_TYPE_DATE:
				dxt_col_append_int(c, (int64_t)(r % 2000000) - 700000);
				break;
			case DXT_TYPE_TIME:
				dxt_col_append_int(c, (int64_t)(r % 86400000000ull));
				break;
			case DXT_TYPE_TIMESTAMP:
			case DXT_TYPE_TIMESTAMPTZ:
				dxt_col_append_int(c, (int64_t)(r % 200000000000000000ull) -
							      60000000000000000LL);
				break;
			case DXT_TYPE_UUID:
				memcpy(u, &r, 8);
				memcpy(u + 8, &i, 8);
				dxt_col_append_uuid(c, u);
				break;
			default:
				ck_abort();
			}
		}
		dxt_batch_end_row(b);
	}
}

/* Writes a batch, reads it back with the same options and compares the
 * canonical text of every value. */
static void round_trip(const struct dxt_csv_opts *o, size_t chunk)
{
	struct dxt_schema *s = all_types_schema();
	struct dxt_batch in, back;
	struct dxt_buf csv = {0}, t1 = {0}, t2 = {0};
	struct dxt_csv_reader *r;
	struct dxt_csv_field *f;
	struct dxt_error err;
	struct mem m;
	size_t nf;
	int rc;

	ck_assert_int_eq(dxt_batch_init(&in, s), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&back, s), DXT_OK);
	fill_batch(&in, 500);
	ck_assert_int_eq(dxt_csv_write_header(o, s, &csv), DXT_OK);
	ck_assert_int_eq(dxt_csv_write_batch(o, &in, &csv), DXT_OK);
	m = (struct mem){(const char *)csv.data, csv.len, 0, chunk};
	ck_assert_int_eq(dxt_csv_reader_create(o, mem_read, &m, "rt.csv", &r,
					       &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_csv_read(r, &f, &nf, &err), 1);
	ck_assert_uint_eq(nf, s->n);
	ck_assert(f[7].n == 3 && memcmp(f[7].p, "dec", 3) == 0);
	while ((rc = dxt_csv_read(r, &f, &nf, &err)) == 1)
		ck_assert_msg(dxt_csv_append_record(r, f, nf, &back, &err) ==
				      DXT_OK,
			      "%s", err.message);
	ck_assert_msg(rc == 0, "%s", err.message);
	ck_assert_uint_eq(back.nrows, in.nrows);
	for (size_t i = 0; i < in.nrows; i++) {
		for (size_t j = 0; j < s->n; j++) {
			bool v = dxt_col_is_valid(&in.cols[j], i);
			ck_assert_msg(v == dxt_col_is_valid(&back.cols[j], i),
				      "row %zu col %s validity", i,
				      s->fields[j].name);
			if (!v)
				continue;
			t1.len = t2.len = 0;
			dxt_value_format(&in.cols[j], &s->fields[j], i, &t1);
			dxt_value_format(&back.cols[j], &s->fields[j], i, &t2);
			ck_assert_msg(t1.len == t2.len &&
					      memcmp(t1.data, t2.data, t1.len) == 0,
				      "row %zu col %s: %.*s != %.*s", i,
				      s->fields[j].name, (int)t1.len,
				      (char *)t1.data, (int)t2.len,
				      (char *)t2.data);
		}
	}
	dxt_csv_reader_destroy(r);
	dxt_buf_free(&csv);
	dxt_buf_free(&t1);
	dxt_buf_free(&t2);
	dxt_batch_release(&in);
	dxt_batch_release(&back);
	dxt_schema_destroy(s);
}

START_TEST(writer_round_trip)
{
	struct dxt_csv_opts o;

	dxt_csv_opts_default(&o);
	round_trip(&o, 1 << 20);
	round_trip(&o, 1);
	o.delimiter = ';';
	memcpy(o.lineterminator, "\r\n", 3);
	round_trip(&o, 5);
	/* A space delimiter forces quoting of timestamps. */
	o.delimiter = ' ';
	memcpy(o.lineterminator, "\r", 2);
	round_trip(&o, 4096);
	dxt_csv_opts_default(&o);
	o.delimiter = '\t';
	memcpy(o.null_value, "NULL", 5);
	round_trip(&o, 3);
	dxt_csv_opts_default(&o);
	o.quotechar = '\'';
	o.escapechar = '\\';
	o.doublequote = false;
	round_trip(&o, 2);
	/* Escapes instead of quotes: only the null marker must differ from
	 * every string written. */
	dxt_csv_opts_default(&o);
	o.quotechar = '\0';
	o.escapechar = '\\';
	memcpy(o.null_value, "\\N", 3);
	round_trip(&o, 7);
}
END_TEST

START_TEST(write_batch_nulls_and_quoting)
{
	struct dxt_schema *s = dxt_schema_create();
	struct dxt_batch b;
	struct dxt_buf out = {0};
	struct dxt_csv_opts o;

	dxt_schema_add(s, "ts", DXT_TYPE_TIMESTAMP, 0, 0, true, NULL);
	dxt_schema_add(s, "s", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "n", DXT_TYPE_INT32, 0, 0, true, NULL);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	dxt_col_append_int(&b.cols[0], 0);
	dxt_col_append_bytes(&b.cols[1], "", 0);
	dxt_col_append_int(&b.cols[2], 0);
	dxt_batch_end_row(&b);
	dxt_col_append_null(&b.cols[0]);
	dxt_col_append_null(&b.cols[1]);
	dxt_col_append_int(&b.cols[2], -7);
	dxt_batch_end_row(&b);
	dxt_csv_opts_default(&o);
	ck_assert_int_eq(dxt_csv_write_batch(&o, &b, &out), DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&out, '\0'), DXT_OK);
	ck_assert_str_eq((char *)out.data,
			 "1970-01-01 00:00:00,\"\",0\n,,-7\n");
	out.len = 0;
	o.delimiter = ' ';
	memcpy(o.null_value, "0", 2);
	ck_assert_int_eq(dxt_csv_write_batch(&o, &b, &out), DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&out, '\0'), DXT_OK);
	ck_assert_str_eq((char *)out.data,
			 "\"1970-01-01 00:00:00\"  \"0\"\n0 0 -7\n");
	dxt_buf_free(&out);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

/* A single null column with null_value "" would be a blank line, which the
 * reader skips: the writer refuses rather than lose the row. */
START_TEST(write_batch_single_null_column)
{
	struct dxt_schema *s = dxt_schema_create();
	struct dxt_batch b;
	struct dxt_buf out = {0};
	struct dxt_csv_opts o;

	dxt_schema_add(s, "email", DXT_TYPE_STRING, 0, 0, true, NULL);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	dxt_col_append_bytes(&b.cols[0], "", 0);
	dxt_batch_end_row(&b);
	dxt_csv_opts_default(&o);
	ck_assert_int_eq(dxt_csv_write_batch(&o, &b, &out), DXT_OK);
	ck_assert_uint_eq(out.len, 3);
	ck_assert(memcmp(out.data, "\"\"\n", 3) == 0);
	dxt_col_append_null(&b.cols[0]);
	dxt_batch_end_row(&b);
	out.len = 0;
	ck_assert_int_eq(dxt_csv_write_batch(&o, &b, &out), DXT_EINVAL);
	memcpy(o.null_value, "\\N", 3);
	out.len = 0;
	ck_assert_int_eq(dxt_csv_write_batch(&o, &b, &out), DXT_OK);
	ck_assert_uint_eq(out.len, 6);
	ck_assert(memcmp(out.data, "\"\"\n\\N\n", 6) == 0);
	dxt_buf_free(&out);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

/* --- options ------------------------------------------------------------- */

static int opts_from(const char *json, struct dxt_csv_opts *o,
		     struct dxt_error *err)
{
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr);
	int rc;

	ck_assert_msg(j != NULL, "%s", jerr.text);
	dxt_csv_opts_default(o);
	dxt_error_clear(err);
	rc = dxt_csv_opts_from_json(o, j, "buffer.csv", err);
	json_decref(j);
	return rc;
}

START_TEST(options_json)
{
	struct dxt_csv_opts o, o2;
	struct dxt_error err;
	json_t *j;

	ck_assert_int_eq(opts_from("{\"delimiter\": \"tab\", \"quotechar\": "
				   "\"'\", \"escapechar\": \"\\\\\", "
				   "\"doublequote\": false, \"lineterminator\": "
				   "\"\\r\\n\", \"header\": false, \"encoding\": "
				   "\"latin-1\", \"null_value\": \"\\\\N\"}",
				   &o, &err),
			 DXT_OK);
	ck_assert_int_eq(o.delimiter, '\t');
	ck_assert_int_eq(o.quotechar, '\'');
	ck_assert_int_eq(o.escapechar, '\\');
	ck_assert(!o.doublequote && !o.header);
	ck_assert_str_eq(o.lineterminator, "\r\n");
	ck_assert_str_eq(o.encoding, "latin-1");
	ck_assert_str_eq(o.null_value, "\\N");
	j = dxt_csv_opts_to_json(&o);
	ck_assert_ptr_nonnull(j);
	dxt_csv_opts_default(&o2);
	ck_assert_int_eq(dxt_csv_opts_from_json(&o2, j, "m", &err), DXT_OK);
	ck_assert(memcmp(&o, &o2, sizeof(o)) == 0);
	json_decref(j);

	ck_assert_int_eq(opts_from("{\"delimiter\": \"\\t\", \"quotechar\": "
				   "null}",
				   &o, &err),
			 DXT_OK);
	ck_assert_int_eq(o.delimiter, '\t');
	ck_assert_int_eq(o.quotechar, '\0');
	j = dxt_csv_opts_to_json(&o);
	ck_assert(json_is_null(json_object_get(j, "quotechar")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "delimiter")),
			 "\t");
	json_decref(j);
	ck_assert_int_eq(opts_from("{\"delimiter\": \"\\\\t\", \"quotechar\": "
				   "\"\"}",
				   &o, &err),
			 DXT_OK);
	ck_assert_int_eq(o.delimiter, '\t');
	ck_assert_int_eq(o.quotechar, '\0');
	ck_assert_int_eq(opts_from("{}", &o, &err), DXT_OK);
	ck_assert_int_eq(o.delimiter, ',');
}
END_TEST

START_TEST(options_json_errors)
{
	struct dxt_csv_opts o;
	struct dxt_error err;

	ck_assert_int_eq(opts_from("{\"delimeter\": \";\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_str_eq(err.message, "buffer.csv: unknown option "
				      "\"delimeter\" (did you mean "
				      "\"delimiter\"?)");
	ck_assert_int_eq(err.origin, DXT_ORIGIN_CONFIG);
	ck_assert_int_eq(opts_from("{\"colour\": 1}", &o, &err), DXT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message,
				     "buffer.csv: unknown option \"colour\" "
				     "(known: delimiter,"));
	ck_assert_int_eq(opts_from("{\"delimiter\": \";;\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_str_eq(err.message,
			 "buffer.csv: option \"delimiter\" must be exactly "
			 "one ASCII character (got \";;\")");
	ck_assert_int_eq(opts_from("{\"delimiter\": \"\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_int_eq(opts_from("{\"delimiter\": \"\\u00a7\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_int_eq(opts_from("{\"delimiter\": \"\\n\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "other than a line end"));
	ck_assert_int_eq(opts_from("{\"quotechar\": \"ab\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "or \"\" for none"));
	ck_assert_int_eq(opts_from("{\"delimiter\": \"'\", \"quotechar\": "
				   "\"'\"}",
				   &o, &err),
			 DXT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "must differ"));
	ck_assert_int_eq(opts_from("{\"escapechar\": \"\\\"\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_int_eq(opts_from("{\"lineterminator\": \"\\n\\n\"}", &o,
				   &err),
			 DXT_ECONFIG);
	ck_assert_int_eq(opts_from("{\"doublequote\": 3}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_str_eq(err.message, "buffer.csv: option \"doublequote\" must "
				      "be true or false");
	ck_assert_int_eq(opts_from("{\"null_value\": "
				   "\"0123456789012345678901234567890123\"}",
				   &o, &err),
			 DXT_ECONFIG);
	ck_assert_int_eq(opts_from("{\"null_value\": \"a,b\"}", &o, &err),
			 DXT_ECONFIG);
	ck_assert_int_eq(opts_from("[1]", &o, &err), DXT_ECONFIG);
	/* A failed parse leaves the options untouched. */
	ck_assert_int_eq(opts_from("{\"header\": false, \"x\": 1}", &o, &err),
			 DXT_ECONFIG);
	ck_assert(o.header);
}
END_TEST

Suite *dxt_test_csv(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, simple_records);
	tcase_add_test(tc, line_ends);
	tcase_add_test(tc, bom_skipped);
	tcase_add_test(tc, quoted_fields);
	tcase_add_test(tc, empty_string_and_null);
	tcase_add_test(tc, unclosed_quote);
	tcase_add_test(tc, stray_after_quote);
	tcase_add_test(tc, escape_char);
	tcase_add_test(tc, custom_delimiters);
	tcase_add_test(tc, raw_bytes_and_counts);
	tcase_add_test(tc, big_records_and_blocks);
	tcase_add_test(tc, read_errors_pass_through);
	tcase_add_test(tc, append_records);
	tcase_add_test(tc, append_errors_roll_back);
	tcase_add_test(tc, append_null_value_option);
	tcase_add_test(tc, write_fields);
	tcase_add_test(tc, write_header_line);
	tcase_add_test(tc, writer_round_trip);
	tcase_add_test(tc, write_batch_nulls_and_quoting);
	tcase_add_test(tc, write_batch_single_null_column);
	tcase_add_test(tc, options_json);
	tcase_add_test(tc, options_json_errors);
	suite_add_tcase(s, tc);
	return s;
}
