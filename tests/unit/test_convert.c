/*
 * test_convert.c - text <-> value conversion: every parser edge, canonical
 * formatting and round trips, JSON rendering.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/batch.h"
#include "engine/convert.h"

#define S(lit) lit, sizeof(lit) - 1

static uint64_t rng_state = 0x1234567887654321ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A one-column batch of the given type for append/format tests. */
struct one {
	struct dxt_schema *s;
	struct dxt_batch b;
	struct dxt_buf out;
	char why[256];
};

static void one_init(struct one *o, enum dxt_type t, int p, int sc)
{
	memset(o, 0, sizeof(*o));
	o->s = dxt_schema_create();
	ck_assert_ptr_nonnull(o->s);
	ck_assert_int_eq(dxt_schema_add(o->s, "v", t, p, sc, true, NULL),
			 DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&o->b, o->s), DXT_OK);
}

static void one_free(struct one *o)
{
	dxt_batch_release(&o->b);
	dxt_schema_destroy(o->s);
	dxt_buf_free(&o->out);
}

static int one_parse(struct one *o, const char *text)
{
	o->why[0] = '\0';
	return dxt_value_parse_append(&o->b.cols[0], &o->s->fields[0], text,
				      strlen(text), o->why, sizeof(o->why));
}

/* Canonical text of the last value appended. */
static const char *one_last_text(struct one *o)
{
	struct dxt_column *c = &o->b.cols[0];

	o->out.len = 0;
	ck_assert_int_eq(dxt_value_format(c, &o->s->fields[0], c->length - 1,
					  &o->out),
			 DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&o->out, '\0'), DXT_OK);
	return (const char *)o->out.data;
}

/* Parses text into the column, expects success and the given canonical
 * form. */
static void expect_canon(enum dxt_type t, int p, int sc, const char *text,
			 const char *canon)
{
	struct one o;

	one_init(&o, t, p, sc);
	ck_assert_msg(one_parse(&o, text) == DXT_OK, "\"%s\": %s", text,
		      o.why);
	ck_assert_str_eq(one_last_text(&o), canon);
	/* The canonical text parses back to the same canonical text. */
	ck_assert_int_eq(one_parse(&o, canon), DXT_OK);
	ck_assert_str_eq(one_last_text(&o), canon);
	one_free(&o);
}

/* Expects a type error whose reason contains `want`, with nothing appended. */
static void expect_reject(enum dxt_type t, int p, int sc, const char *text,
			  const char *want)
{
	struct one o;

	one_init(&o, t, p, sc);
	ck_assert_int_eq(one_parse(&o, text), DXT_ETYPE);
	ck_assert_msg(strstr(o.why, want) != NULL, "\"%s\": got \"%s\"", text,
		      o.why);
	ck_assert_uint_eq(o.b.cols[0].length, 0);
	ck_assert_uint_eq(o.b.cols[0].values.len, 0);
	ck_assert_uint_eq(o.b.cols[0].data.len, 0);
	one_free(&o);
}

START_TEST(int64_literals)
{
	int64_t v;

	ck_assert(dxt_parse_int64(S("0"), &v) && v == 0);
	ck_assert(dxt_parse_int64(S("-0"), &v) && v == 0);
	ck_assert(dxt_parse_int64(S("+17"), &v) && v == 17);
	ck_assert(dxt_parse_int64(S("  -42 "), &v) && v == -42);
	ck_assert(dxt_parse_int64(S("000000000000000000000000012"), &v) &&
		  v == 12);
	ck_assert(dxt_parse_int64(S("9223372036854775807"), &v) &&
		  v == INT64_MAX);
	ck_assert(dxt_parse_int64(S("-9223372036854775808"), &v) &&
		  v == INT64_MIN);
	ck_assert(!dxt_parse_int64(S("9223372036854775808"), &v));
	ck_assert(!dxt_parse_int64(S("-9223372036854775809"), &v));
	ck_assert(!dxt_parse_int64(S("18446744073709551616"), &v));
	ck_assert(!dxt_parse_int64(S("99999999999999999999999"), &v));
	ck_assert(!dxt_parse_int64(S(""), &v));
	ck_assert(!dxt_parse_int64(S("  "), &v));
	ck_assert(!dxt_parse_int64(S("-"), &v));
	ck_assert(!dxt_parse_int64(S("+"), &v));
	ck_assert(!dxt_parse_int64(S("12x"), &v));
	ck_assert(!dxt_parse_int64(S("1 2"), &v));
	ck_assert(!dxt_parse_int64(S("1.0"), &v));
	ck_assert(!dxt_parse_int64(S("--1"), &v));
	ck_assert(!dxt_parse_int64(S("0x10"), &v));
	/* Text is not NUL-terminated: the length is what counts. */
	ck_assert(dxt_parse_int64("123456", 3, &v) && v == 123);
}
END_TEST

START_TEST(int_widths)
{
	expect_canon(DXT_TYPE_INT8, 0, 0, "127", "127");
	expect_canon(DXT_TYPE_INT8, 0, 0, "-128", "-128");
	expect_reject(DXT_TYPE_INT8, 0, 0, "128",
		      "\"128\" is out of range for int8");
	expect_reject(DXT_TYPE_INT8, 0, 0, "-129", "out of range for int8");
	expect_canon(DXT_TYPE_INT16, 0, 0, "32767", "32767");
	expect_canon(DXT_TYPE_INT16, 0, 0, "-32768", "-32768");
	expect_reject(DXT_TYPE_INT16, 0, 0, "32768", "out of range for int16");
	expect_canon(DXT_TYPE_INT32, 0, 0, " +2147483647", "2147483647");
	expect_canon(DXT_TYPE_INT32, 0, 0, "-2147483648", "-2147483648");
	expect_reject(DXT_TYPE_INT32, 0, 0, "2147483648",
		      "out of range for int32");
	expect_reject(DXT_TYPE_INT32, 0, 0, "12x", "\"12x\" is not an int32");
	expect_reject(DXT_TYPE_INT32, 0, 0, "", "\"\" is not an int32");
	expect_canon(DXT_TYPE_INT64, 0, 0, "-9223372036854775808",
		     "-9223372036854775808");
	expect_canon(DXT_TYPE_INT64, 0, 0, "007", "7");
	expect_reject(DXT_TYPE_INT64, 0, 0, "9223372036854775808",
		      "out of range for int64");
	expect_reject(DXT_TYPE_INT64, 0, 0, "1e3", "is not an int64");
}
END_TEST

START_TEST(int_format_round_trip)
{
	struct one o;
	char text[32];

	one_init(&o, DXT_TYPE_INT64, 0, 0);
	for (int i = 0; i < 20000; i++) {
		int64_t v = (int64_t)rng() >> (rng() % 64);
		snprintf(text, sizeof(text), "%lld", (long long)v);
		ck_assert_int_eq(one_parse(&o, text), DXT_OK);
		ck_assert_str_eq(one_last_text(&o), text);
		ck_assert_int_eq(dxt_col_i64(&o.b.cols[0], o.b.cols[0].length - 1),
				 v);
	}
	one_free(&o);
}
END_TEST

START_TEST(double_literals)
{
	double d;

	ck_assert(dxt_parse_double(S("1.5"), &d) && d == 1.5);
	ck_assert(dxt_parse_double(S(" -2.25e2 "), &d) && d == -225.0);
	ck_assert(dxt_parse_double(S("1E-5"), &d) && d == 1e-5);
	ck_assert(dxt_parse_double(S(".5"), &d) && d == 0.5);
	ck_assert(dxt_parse_double(S("5."), &d) && d == 5.0);
	ck_assert(dxt_parse_double(S("0.1"), &d) && d == 0.1);
	ck_assert(dxt_parse_double(S("-0.0"), &d) && d == 0 && signbit(d));
	ck_assert(dxt_parse_double(S("1.7976931348623157e308"), &d) &&
		  d == DBL_MAX);
	ck_assert(dxt_parse_double(S("4.9406564584124654e-324"), &d) &&
		  d == 4.9406564584124654e-324);
	ck_assert(dxt_parse_double(S("3.14159265358979323846264338327950288"),
				   &d) &&
		  d == 3.141592653589793);
	ck_assert(dxt_parse_double(S("123456789012345678901234567890"), &d) &&
		  d == 123456789012345678901234567890.0);
	ck_assert(dxt_parse_double(S("9007199254740993"), &d) &&
		  d == 9007199254740992.0);
	ck_assert(dxt_parse_double(S("nan"), &d) && isnan(d));
	ck_assert(dxt_parse_double(S("NaN"), &d) && isnan(d));
	ck_assert(dxt_parse_double(S("inf"), &d) && isinf(d) && d > 0);
	ck_assert(dxt_parse_double(S("-inf"), &d) && isinf(d) && d < 0);
	ck_assert(dxt_parse_double(S("Infinity"), &d) && isinf(d));
	ck_assert(!dxt_parse_double(S("1e400"), &d));
	ck_assert(!dxt_parse_double(S("0x10"), &d));
	ck_assert(!dxt_parse_double(S("1e"), &d));
	ck_assert(!dxt_parse_double(S("."), &d));
	ck_assert(!dxt_parse_double(S(""), &d));
	ck_assert(!dxt_parse_double(S("1.5x"), &d));
	ck_assert(!dxt_parse_double(S("infinit"), &d));
	ck_assert(!dxt_parse_double(S("1,5"), &d));
}
END_TEST

static void double_text(double v, const char *want)
{
	char buf[64];
	size_t n = dxt_format_double(v, buf);

	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(double_format)
{
	char buf[64];
	double back;

	double_text(0.1, "0.1");
	double_text(1.5, "1.5");
	double_text(-2.5, "-2.5");
	double_text(100, "100");
	double_text(123.45, "123.45");
	double_text(0, "0");
	double_text(-0.0, "-0");
	double_text(0.30000000000000004, "0.30000000000000004");
	double_text(1e20, "1e+20");
	double_text(1e-7, "1e-07");
	double_text(NAN, "nan");
	double_text(INFINITY, "inf");
	double_text(-INFINITY, "-inf");
	/* Random bit patterns: every finite double survives the trip. */
	for (int i = 0; i < 50000; i++) {
		uint64_t bits = rng();
		double v;
		size_t n;
		memcpy(&v, &bits, 8);
		if (!isfinite(v))
			continue;
		n = dxt_format_double(v, buf);
		ck_assert_uint_lt(n, 48);
		ck_assert_msg(dxt_parse_double(buf, n, &back), "%.*s", (int)n,
			      buf);
		ck_assert_msg(memcmp(&back, &v, 8) == 0, "%.17g -> %.*s", v,
			      (int)n, buf);
	}
	/* Decimal-looking values come out short. */
	for (int i = 0; i < 20000; i++) {
		long long cents = (long long)(rng() % 2000000000) - 1000000000;
		double v = (double)cents / 100;
		size_t n = dxt_format_double(v, buf);
		ck_assert(dxt_parse_double(buf, n, &back) && back == v);
		ck_assert_uint_le(n, 13);
	}
}
END_TEST

START_TEST(float32_values)
{
	struct one o;

	expect_canon(DXT_TYPE_FLOAT32, 0, 0, "0.1", "0.1");
	expect_canon(DXT_TYPE_FLOAT32, 0, 0, "3.4028235e38", "3.4028235e+38");
	expect_canon(DXT_TYPE_FLOAT32, 0, 0, "-1.5", "-1.5");
	expect_canon(DXT_TYPE_FLOAT32, 0, 0, "nan", "nan");
	expect_reject(DXT_TYPE_FLOAT32, 0, 0, "3.5e38",
		      "out of range for float32");
	expect_reject(DXT_TYPE_FLOAT32, 0, 0, "abc", "\"abc\" is not a float32");
	one_init(&o, DXT_TYPE_FLOAT32, 0, 0);
	for (int i = 0; i < 20000; i++) {
		uint32_t bits = (uint32_t)rng();
		float f, g;
		const char *t;
		memcpy(&f, &bits, 4);
		if (!isfinite(f))
			continue;
		dxt_col_append_f32(&o.b.cols[0], f);
		t = one_last_text(&o);
		ck_assert_int_eq(one_parse(&o, t), DXT_OK);
		g = dxt_col_f32(&o.b.cols[0], o.b.cols[0].length - 1);
		ck_assert_msg(memcmp(&f, &g, 4) == 0, "%.9g -> %s", (double)f,
			      t);
	}
	one_free(&o);
}
END_TEST

START_TEST(float64_values)
{
	expect_canon(DXT_TYPE_FLOAT64, 0, 0, " 2.50 ", "2.5");
	expect_canon(DXT_TYPE_FLOAT64, 0, 0, "-inf", "-inf");
	expect_canon(DXT_TYPE_FLOAT64, 0, 0, "1e300", "1e+300");
	expect_reject(DXT_TYPE_FLOAT64, 0, 0, "1e999",
		      "out of range for float64");
	expect_reject(DXT_TYPE_FLOAT64, 0, 0, "12,5", "is not a float64");
}
END_TEST

START_TEST(bool_forms)
{
	static const char *const yes[] = {"true", "TRUE", "True", "t", "T",
					  "yes", "Y", "y", "1", "on", "ON",
					  " true "};
	static const char *const no[] = {"false", "FALSE", "f", "F", "no",
					 "N", "0", "off", "Off"};
	static const char *const bad[] = {"", "tru", "2", "yess", "of",
					  "truex", "-1", "\x11"};
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		ck_assert_msg(dxt_parse_bool(yes[i], strlen(yes[i]), &b) && b,
			      "%s", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		ck_assert_msg(dxt_parse_bool(no[i], strlen(no[i]), &b) && !b,
			      "%s", no[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!dxt_parse_bool(bad[i], strlen(bad[i]), &b),
			      "%s", bad[i]);
	expect_canon(DXT_TYPE_BOOL, 0, 0, "Yes", "true");
	expect_canon(DXT_TYPE_BOOL, 0, 0, "0", "false");
	expect_reject(DXT_TYPE_BOOL, 0, 0, "maybe", "\"maybe\" is not a bool");
}
END_TEST

static int mlen(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

START_TEST(date_literals)
{
	int32_t d;

	ck_assert(dxt_parse_date(S("1970-01-01"), &d) && d == 0);
	ck_assert(dxt_parse_date(S("1969-12-31"), &d) && d == -1);
	ck_assert(dxt_parse_date(S("2024-01-31"), &d) && d == 19753);
	ck_assert(dxt_parse_date(S("0001-01-01"), &d) && d == -719162);
	ck_assert(dxt_parse_date(S("9999-12-31"), &d) && d == 2932896);
	ck_assert(dxt_parse_date(S("2000-02-29"), &d));
	ck_assert(dxt_parse_date(S("2024-02-29"), &d));
	ck_assert(dxt_parse_date(S(" 2024-02-29 "), &d));
	ck_assert(!dxt_parse_date(S("1900-02-29"), &d));
	ck_assert(!dxt_parse_date(S("2023-02-29"), &d));
	ck_assert(!dxt_parse_date(S("0000-01-01"), &d));
	ck_assert(!dxt_parse_date(S("2024-13-01"), &d));
	ck_assert(!dxt_parse_date(S("2024-00-10"), &d));
	ck_assert(!dxt_parse_date(S("2024-04-31"), &d));
	ck_assert(!dxt_parse_date(S("2024-04-00"), &d));
	ck_assert(!dxt_parse_date(S("2024-1-01"), &d));
	ck_assert(!dxt_parse_date(S("2024/01/01"), &d));
	ck_assert(!dxt_parse_date(S("2024-01-01x"), &d));
	ck_assert(!dxt_parse_date(S("20240101"), &d));
	expect_reject(DXT_TYPE_DATE, 0, 0, "2024-02-30",
		      "\"2024-02-30\" is not a date");
	/* A timestamp at midnight is a date; any other time is not. */
	expect_canon(DXT_TYPE_DATE, 0, 0, "2024-01-31 00:00:00", "2024-01-31");
	expect_reject(DXT_TYPE_DATE, 0, 0, "2024-01-31 00:00:01",
		      "is not a date");
}
END_TEST

/* Every day of years 0001-9999, against a plain day counter. */
START_TEST(date_every_day)
{
	char text[48], buf[48];
	int32_t expect = -719162, got;

	for (int y = 1; y <= 9999; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= mlen(y, m); d++, expect++) {
				size_t n;
				snprintf(text, sizeof(text), "%04d-%02d-%02d", y,
					 m, d);
				if (!dxt_parse_date(text, 10, &got) ||
				    got != expect)
					ck_abort_msg("%s: %d != %d", text, got,
						     expect);
				n = dxt_format_date(expect, buf);
				if (n != 10 || memcmp(buf, text, 10) != 0)
					ck_abort_msg("%d formats as %.*s, not "
						     "%s",
						     expect, (int)n, buf, text);
			}
			snprintf(text, sizeof(text), "%04d-%02d-%02d", y, m,
				 mlen(y, m) + 1);
			if (dxt_parse_date(text, 10, &got))
				ck_abort_msg("%s accepted", text);
		}
	}
	ck_assert_int_eq(expect, 2932897);
}
END_TEST

START_TEST(time_literals)
{
	int64_t t;

	ck_assert(dxt_parse_time(S("00:00"), &t) && t == 0);
	ck_assert(dxt_parse_time(S("13:45"), &t) &&
		  t == (13 * 3600 + 45 * 60) * 1000000LL);
	ck_assert(dxt_parse_time(S("13:45:07"), &t) &&
		  t == (13 * 3600 + 45 * 60 + 7) * 1000000LL);
	ck_assert(dxt_parse_time(S("13:45:00.5"), &t) &&
		  t == (13 * 3600 + 45 * 60) * 1000000LL + 500000);
	ck_assert(dxt_parse_time(S("23:59:59.999999"), &t) &&
		  t == 86400000000LL - 1);
	ck_assert(dxt_parse_time(S("12:00:00.1234560"), &t) &&
		  t == 12 * 3600000000LL + 123456);
	ck_assert(!dxt_parse_time(S("12:00:00.1234567"), &t));
	ck_assert(!dxt_parse_time(S("24:00:00"), &t));
	ck_assert(!dxt_parse_time(S("12:60"), &t));
	ck_assert(!dxt_parse_time(S("12:00:60"), &t));
	ck_assert(!dxt_parse_time(S("12:00:00."), &t));
	ck_assert(!dxt_parse_time(S("1:00"), &t));
	ck_assert(!dxt_parse_time(S("12:00:0"), &t));
	ck_assert(!dxt_parse_time(S("12:00+01:00"), &t));
	expect_canon(DXT_TYPE_TIME, 0, 0, "13:45", "13:45:00");
	expect_canon(DXT_TYPE_TIME, 0, 0, "13:45:00.120", "13:45:00.12");
	expect_canon(DXT_TYPE_TIME, 0, 0, "00:00:00.000001",
		     "00:00:00.000001");
	expect_reject(DXT_TYPE_TIME, 0, 0, "25:00", "\"25:00\" is not a time");
}
END_TEST

START_TEST(timestamp_literals)
{
	int64_t v;
	bool z;

	ck_assert(dxt_parse_timestamp(S("1970-01-01 00:00:00"), &v, &z) &&
		  v == 0 && !z);
	ck_assert(dxt_parse_timestamp(S("1970-01-01T00:00:01Z"), &v, &z) &&
		  v == 1000000 && z);
	ck_assert(dxt_parse_timestamp(S("1969-12-31 23:59:59.999999"), &v,
				      &z) &&
		  v == -1);
	ck_assert(dxt_parse_timestamp(S("0001-01-01 00:00:00"), &v, &z) &&
		  v == -62135596800LL * 1000000);
	ck_assert(dxt_parse_timestamp(S("9999-12-31 23:59:59.999999"), &v,
				      &z) &&
		  v == 253402300800LL * 1000000 - 1);
	/* Zones convert to UTC. */
	ck_assert(dxt_parse_timestamp(S("2024-01-01 01:00:00+02:00"), &v, &z) &&
		  z);
	ck_assert_int_eq(v, (1704067200LL - 3600) * 1000000);
	ck_assert(dxt_parse_timestamp(S("2024-01-01T00:00:00-0530"), &v, &z));
	ck_assert_int_eq(v, (1704067200LL + 5 * 3600 + 1800) * 1000000);
	ck_assert(dxt_parse_timestamp(S("2024-01-01 00:00:00+05"), &v, &z));
	ck_assert_int_eq(v, (1704067200LL - 5 * 3600) * 1000000);
	ck_assert(dxt_parse_timestamp(S("2024-02-29 12:00:00z"), &v, &z));
	ck_assert(!dxt_parse_timestamp(S("2023-02-29 12:00:00"), &v, &z));
	ck_assert(!dxt_parse_timestamp(S("2024-01-31 13:45:00 +02:00"), &v,
				       &z));
	ck_assert(!dxt_parse_timestamp(S("2024-01-31"), &v, &z));
	ck_assert(!dxt_parse_timestamp(S("2024-01-31X13:45"), &v, &z));
	ck_assert(!dxt_parse_timestamp(S("2024-01-31 13:45+25:00"), &v, &z));
	ck_assert(!dxt_parse_timestamp(S("2024-01-31 13:45+02:"), &v, &z));
	ck_assert(!dxt_parse_timestamp(S("2024-01-31 13:45:00.5Zx"), &v, &z));
}
END_TEST

START_TEST(timestamp_columns)
{
	expect_canon(DXT_TYPE_TIMESTAMP, 0, 0, "2024-01-31T13:45:00",
		     "2024-01-31 13:45:00");
	expect_canon(DXT_TYPE_TIMESTAMP, 0, 0, "2024-01-31 13:45:00.123456",
		     "2024-01-31 13:45:00.123456");
	expect_canon(DXT_TYPE_TIMESTAMP, 0, 0, "2024-01-31",
		     "2024-01-31 00:00:00");
	expect_canon(DXT_TYPE_TIMESTAMP, 0, 0, "1969-12-31 23:59:59.9",
		     "1969-12-31 23:59:59.9");
	expect_canon(DXT_TYPE_TIMESTAMP, 0, 0, "0001-01-01 00:00:00",
		     "0001-01-01 00:00:00");
	expect_canon(DXT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-01 01:30:00+02:00",
		     "2023-12-31 23:30:00+00:00");
	expect_canon(DXT_TYPE_TIMESTAMPTZ, 0, 0, "2024-02-29T23:00:00-01:00",
		     "2024-03-01 00:00:00+00:00");
	expect_canon(DXT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-31 13:45:00",
		     "2024-01-31 13:45:00+00:00");
	expect_canon(DXT_TYPE_TIMESTAMPTZ, 0, 0, "1960-06-15 12:00:00.000001Z",
		     "1960-06-15 12:00:00.000001+00:00");
	expect_reject(DXT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-31 25:00:00",
		      "\"2024-01-31 25:00:00\" is not a timestamptz");
}
END_TEST

START_TEST(timestamp_extremes)
{
	char buf[64];
	size_t n;

	/* Values no text source produces still format without overflow. */
	n = dxt_format_timestamp(INT64_MIN, true, buf);
	ck_assert_uint_lt(n, 48);
	n = dxt_format_timestamp(INT64_MAX, false, buf);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "294247-01-10 04:00:54.775807");
	n = dxt_format_date(INT32_MIN, buf);
	ck_assert_uint_lt(n, 48);
	n = dxt_format_time(-1, buf);
	ck_assert_uint_lt(n, 48);
}
END_TEST

START_TEST(timestamp_round_trip)
{
	const int64_t lo = -62135596800LL * 1000000;
	const int64_t hi = 253402300800LL * 1000000;
	char buf[48];

	for (int i = 0; i < 50000; i++) {
		int64_t v = lo + (int64_t)(rng() % (uint64_t)(hi - lo)), back;
		bool zone = i & 1, z;
		size_t n;
		if (i % 3 == 0)
			v -= v % 1000000;
		n = dxt_format_timestamp(v, zone, buf);
		ck_assert_msg(dxt_parse_timestamp(buf, n, &back, &z),
			      "%.*s", (int)n, buf);
		ck_assert_int_eq(back, v);
		ck_assert(z == zone);
	}
}
END_TEST

START_TEST(decimal_literals)
{
	__int128 v;

	ck_assert(dxt_parse_decimal(S("123.45"), 12, 2, &v) && v == 12345);
	ck_assert(dxt_parse_decimal(S("-0.5"), 12, 2, &v) && v == -50);
	ck_assert(dxt_parse_decimal(S("+.5"), 12, 2, &v) && v == 50);
	ck_assert(dxt_parse_decimal(S("5."), 12, 2, &v) && v == 500);
	ck_assert(dxt_parse_decimal(S("1.230"), 12, 2, &v) && v == 123);
	ck_assert(dxt_parse_decimal(S("1e2"), 12, 2, &v) && v == 10000);
	ck_assert(dxt_parse_decimal(S("1.5E-1"), 12, 2, &v) && v == 15);
	ck_assert(dxt_parse_decimal(S("0.001e1"), 12, 2, &v) && v == 1);
	ck_assert(dxt_parse_decimal(S("0"), 12, 2, &v) && v == 0);
	ck_assert(dxt_parse_decimal(S("0e999999999"), 12, 2, &v) && v == 0);
	ck_assert(dxt_parse_decimal(S("9999999999.99"), 12, 2, &v) &&
		  v == 999999999999LL);
	ck_assert(dxt_parse_decimal(S("00000000000123.45"), 12, 2, &v) &&
		  v == 12345);
	ck_assert(dxt_parse_decimal(S("1.00000000000000000000000000000"), 12, 2,
				    &v) &&
		  v == 100);
	ck_assert(!dxt_parse_decimal(S("1.234"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("10000000000.00"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("1e10"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("1e-3"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S(""), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("."), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("1.2.3"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("12x"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("1e"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("nan"), 12, 2, &v));
	ck_assert(!dxt_parse_decimal(S("1e99999999999"), 12, 2, &v));
	/* 38 digits fit, 39 do not. */
	ck_assert(dxt_parse_decimal(
		S("99999999999999999999999999999999999999"), 38, 0, &v));
	ck_assert(!dxt_parse_decimal(
		S("999999999999999999999999999999999999999"), 38, 0, &v));
	ck_assert(dxt_parse_decimal(
		S("-0.12345678901234567890123456789012345678"), 38, 38, &v));
	ck_assert(!dxt_parse_decimal(
		S("1.12345678901234567890123456789012345678"), 38, 38, &v));
}
END_TEST

static void decimal_text(__int128 v, int scale, const char *want)
{
	char buf[64];
	size_t n = dxt_format_decimal(v, scale, buf);

	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(decimal_format)
{
	__int128 max38 = 0, back;
	char buf[64];

	for (int i = 0; i < 38; i++)
		max38 = max38 * 10 + 9;
	decimal_text(12345, 2, "123.45");
	decimal_text(-5, 2, "-0.05");
	decimal_text(0, 2, "0.00");
	decimal_text(5, 0, "5");
	decimal_text(-100, 1, "-10.0");
	decimal_text(max38, 0, "99999999999999999999999999999999999999");
	decimal_text(-max38, 2, "-999999999999999999999999999999999999.99");
	decimal_text(max38, 38, "0.99999999999999999999999999999999999999");
	decimal_text((__int128)10000000000000000000ull * 10, 0,
		     "100000000000000000000");
	for (int i = 0; i < 20000; i++) {
		int p = 1 + (int)(rng() % 38), s = (int)(rng() % (p + 1));
		__int128 lim = 1, v;
		size_t n;
		for (int k = 0; k < p; k++)
			lim *= 10;
		v = (__int128)(((unsigned __int128)rng() << 64 | rng()) %
			       (unsigned __int128)lim);
		if (rng() & 1)
			v = -v;
		n = dxt_format_decimal(v, s, buf);
		ck_assert_msg(dxt_parse_decimal(buf, n, p, s, &back),
			      "%.*s (%d,%d)", (int)n, buf, p, s);
		ck_assert(back == v);
	}
	expect_canon(DXT_TYPE_DECIMAL, 12, 2, "1.5", "1.50");
	expect_canon(DXT_TYPE_DECIMAL, 12, 2, "-0", "0.00");
	expect_canon(DXT_TYPE_DECIMAL, 12, 2, "12.5e1", "125.00");
	expect_reject(DXT_TYPE_DECIMAL, 12, 2, "12x",
		      "\"12x\" is not a decimal(12,2)");
	expect_reject(DXT_TYPE_DECIMAL, 12, 2, "1.234",
		      "\"1.234\" does not fit decimal(12,2): more than 2 "
		      "digits after the point");
	expect_reject(DXT_TYPE_DECIMAL, 12, 2, "12345678901",
		      "does not fit decimal(12,2): at most 10 digits before "
		      "the point");
}
END_TEST

START_TEST(uuid_forms)
{
	static const uint8_t want[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b,
					 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66,
					 0x14, 0x17, 0x40, 0x00};
	uint8_t u[16];
	char buf[48];

	ck_assert(dxt_parse_uuid(S("123e4567-e89b-12d3-a456-426614174000"), u));
	ck_assert(memcmp(u, want, 16) == 0);
	memset(u, 0, 16);
	ck_assert(dxt_parse_uuid(S("{123E4567-E89B-12D3-A456-426614174000}"),
				 u));
	ck_assert(memcmp(u, want, 16) == 0);
	memset(u, 0, 16);
	ck_assert(dxt_parse_uuid(S("123e4567e89b12d3a456426614174000"), u));
	ck_assert(memcmp(u, want, 16) == 0);
	ck_assert_uint_eq(dxt_format_uuid(want, buf), 36);
	buf[36] = '\0';
	ck_assert_str_eq(buf, "123e4567-e89b-12d3-a456-426614174000");
	ck_assert(!dxt_parse_uuid(S("123e4567-e89b-12d3-a456-42661417400"), u));
	ck_assert(!dxt_parse_uuid(S("123e4567-e89b-12d3-a456-4266141740000"),
				  u));
	ck_assert(!dxt_parse_uuid(S("123e4567e-89b-12d3-a456-426614174000"), u));
	ck_assert(!dxt_parse_uuid(S("123g4567-e89b-12d3-a456-426614174000"), u));
	ck_assert(!dxt_parse_uuid(S("{123e4567-e89b-12d3-a456-426614174000"),
				  u));
	ck_assert(!dxt_parse_uuid(S("123e4567e89b12d3a45642661417400x"), u));
	expect_canon(DXT_TYPE_UUID, 0, 0, "{123E4567-E89B-12D3-A456-426614174000}",
		     "123e4567-e89b-12d3-a456-426614174000");
	expect_reject(DXT_TYPE_UUID, 0, 0, "nope", "\"nope\" is not a uuid");
}
END_TEST

START_TEST(strings_and_utf8)
{
	struct one o;
	size_t len;
	const uint8_t *p;

	expect_canon(DXT_TYPE_STRING, 0, 0, "", "");
	expect_canon(DXT_TYPE_STRING, 0, 0, "  kept as is ", "  kept as is ");
	expect_canon(DXT_TYPE_STRING, 0, 0, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
		     "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_reject(DXT_TYPE_STRING, 0, 0, "abc\xff", "byte 4 is 0xff");
	expect_reject(DXT_TYPE_STRING, 0, 0, "\xc0\xaf", "not valid UTF-8");
	expect_reject(DXT_TYPE_STRING, 0, 0, "\xed\xa0\x80", "not valid UTF-8");
	expect_reject(DXT_TYPE_STRING, 0, 0, "\xf4\x90\x80\x80",
		      "not valid UTF-8");
	expect_reject(DXT_TYPE_STRING, 0, 0, "long ascii run then \xe2\x82",
		      "byte 21");
	/* Embedded NUL is a valid UTF-8 character. */
	one_init(&o, DXT_TYPE_STRING, 0, 0);
	ck_assert_int_eq(dxt_value_parse_append(&o.b.cols[0], &o.s->fields[0],
						"a\0b", 3, o.why,
						sizeof(o.why)),
			 DXT_OK);
	p = dxt_col_bytes(&o.b.cols[0], 0, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(p, "a\0b", 3) == 0);
	one_free(&o);
}
END_TEST

START_TEST(json_values)
{
	expect_canon(DXT_TYPE_JSON, 0, 0, "{\"a\": [1, 2.5e3, true, null]}",
		     "{\"a\": [1, 2.5e3, true, null]}");
	expect_canon(DXT_TYPE_JSON, 0, 0, " \"x\\u00e9\\n\" ", " \"x\\u00e9\\n\" ");
	expect_canon(DXT_TYPE_JSON, 0, 0, "-0.5E+2", "-0.5E+2");
	expect_canon(DXT_TYPE_JSON, 0, 0, "[[[]],{}]", "[[[]],{}]");
	expect_reject(DXT_TYPE_JSON, 0, 0, "{a:1}", "\"{a:1}\" is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "[1,]", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "01", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "1 2", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "\"tab\there\"", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "\"\\x\"", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "{\"a\":1,}", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "tru", "is not valid JSON");
	expect_reject(DXT_TYPE_JSON, 0, 0, "[1.]", "is not valid JSON");
}
END_TEST

START_TEST(json_depth_limit)
{
	struct one o;
	char deep[2100];

	one_init(&o, DXT_TYPE_JSON, 0, 0);
	memset(deep, '[', 1000);
	memset(deep + 1000, ']', 1000);
	deep[2000] = '\0';
	ck_assert_int_eq(one_parse(&o, deep), DXT_ETYPE);
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	ck_assert_int_eq(one_parse(&o, deep), DXT_OK);
	one_free(&o);
}
END_TEST

START_TEST(binary_values)
{
	struct one o;
	size_t len;
	const uint8_t *p;

	one_init(&o, DXT_TYPE_BINARY, 0, 0);
	ck_assert_int_eq(one_parse(&o, "\\x0aFF"), DXT_OK);
	p = dxt_col_bytes(&o.b.cols[0], 0, &len);
	ck_assert_uint_eq(len, 2);
	ck_assert(p[0] == 0x0a && p[1] == 0xff);
	ck_assert_str_eq(one_last_text(&o), "\\x0aff");
	/* Raw bytes are taken as they are. */
	ck_assert_int_eq(one_parse(&o, "abc"), DXT_OK);
	ck_assert_str_eq(one_last_text(&o), "\\x616263");
	ck_assert_int_eq(one_parse(&o, "\\x"), DXT_OK);
	ck_assert_str_eq(one_last_text(&o), "\\x");
	ck_assert_uint_eq(o.b.cols[0].length, 3);
	one_free(&o);
	expect_reject(DXT_TYPE_BINARY, 0, 0, "\\xzz", "is not valid binary");
	expect_reject(DXT_TYPE_BINARY, 0, 0, "\\x0", "is not valid binary");
}
END_TEST

START_TEST(null_column)
{
	expect_reject(DXT_TYPE_NULL, 0, 0, "x", "a null column holds only nulls");
}
END_TEST

START_TEST(reason_snippet_is_clean)
{
	/* Long values are cut, control bytes hidden. */
	expect_reject(DXT_TYPE_INT32, 0, 0,
		      "1234567890123456789012345678901234567890123456789x",
		      "\"1234567890123456789012345678901234567890...\" is not");
	expect_reject(DXT_TYPE_INT32, 0, 0, "a\nb\x01", "\"a?b?\" is not");
}
END_TEST

START_TEST(json_quote_escapes)
{
	struct dxt_buf b = {0};

	ck_assert_int_eq(dxt_json_quote(&b, "a\"b\\c\n\r\t\b\f\x01\x1f/\xc3\xa9",
					15),
			 DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&b, '\0'), DXT_OK);
	ck_assert_str_eq((char *)b.data,
			 "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f/\xc3\xa9\"");
	b.len = 0;
	ck_assert_int_eq(dxt_json_quote(&b, "\0x", 2), DXT_OK);
	ck_assert_uint_eq(b.len, 9);
	ck_assert(memcmp(b.data, "\"\\u0000x\"", 9) == 0);
	b.len = 0;
	ck_assert_int_eq(dxt_json_quote(&b, "", 0), DXT_OK);
	ck_assert_uint_eq(b.len, 2);
	dxt_buf_free(&b);
}
END_TEST

/* Every type rendered as JSON, checked against jansson's reading of it. */
START_TEST(format_json_all_types)
{
	static const struct {
		enum dxt_type t;
		int p, s;
		const char *text, *json;
	} cases[] = {
		{DXT_TYPE_BOOL, 0, 0, "yes", "true"},
		{DXT_TYPE_INT8, 0, 0, "-5", "-5"},
		{DXT_TYPE_INT64, 0, 0, "9223372036854775807",
		 "9223372036854775807"},
		{DXT_TYPE_FLOAT64, 0, 0, "2.5", "2.5"},
		{DXT_TYPE_FLOAT64, 0, 0, "nan", "\"nan\""},
		{DXT_TYPE_FLOAT32, 0, 0, "-inf", "\"-inf\""},
		{DXT_TYPE_DECIMAL, 12, 2, "-0.5", "-0.50"},
		{DXT_TYPE_STRING, 0, 0, "say \"hi\"\n", "\"say \\\"hi\\\"\\n\""},
		{DXT_TYPE_BINARY, 0, 0, "\\x00ff", "\"\\\\x00ff\""},
		{DXT_TYPE_DATE, 0, 0, "2024-01-31", "\"2024-01-31\""},
		{DXT_TYPE_TIME, 0, 0, "13:45:00.5", "\"13:45:00.5\""},
		{DXT_TYPE_TIMESTAMP, 0, 0, "2024-01-31 13:45:00",
		 "\"2024-01-31 13:45:00\""},
		{DXT_TYPE_TIMESTAMPTZ, 0, 0, "2024-01-31 13:45:00Z",
		 "\"2024-01-31 13:45:00+00:00\""},
		{DXT_TYPE_UUID, 0, 0, "123e4567-e89b-12d3-a456-426614174000",
		 "\"123e4567-e89b-12d3-a456-426614174000\""},
		{DXT_TYPE_JSON, 0, 0, "{\"a\":[1,2]}", "{\"a\":[1,2]}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct one o;
		json_error_t jerr;
		json_t *j;

		one_init(&o, cases[i].t, cases[i].p, cases[i].s);
		ck_assert_int_eq(one_parse(&o, cases[i].text), DXT_OK);
		ck_assert_int_eq(dxt_col_append_null(&o.b.cols[0]), DXT_OK);
		ck_assert_int_eq(dxt_value_format_json(&o.b.cols[0],
						       &o.s->fields[0], 0,
						       &o.out),
				 DXT_OK);
		ck_assert_int_eq(dxt_buf_putc(&o.out, '\0'), DXT_OK);
		ck_assert_str_eq((char *)o.out.data, cases[i].json);
		j = json_loads((char *)o.out.data, JSON_DECODE_ANY, &jerr);
		ck_assert_msg(j != NULL, "%s: %s", cases[i].json, jerr.text);
		json_decref(j);
		o.out.len = 0;
		ck_assert_int_eq(dxt_value_format_json(&o.b.cols[0],
						       &o.s->fields[0], 1,
						       &o.out),
				 DXT_OK);
		ck_assert_uint_eq(o.out.len, 4);
		ck_assert(memcmp(o.out.data, "null", 4) == 0);
		one_free(&o);
	}
}
END_TEST

START_TEST(nothing_appended_on_error)
{
	struct one o;

	one_init(&o, DXT_TYPE_BOOL, 0, 0);
	ck_assert_int_eq(one_parse(&o, "true"), DXT_OK);
	ck_assert_int_eq(one_parse(&o, "nah"), DXT_ETYPE);
	ck_assert_uint_eq(o.b.cols[0].length, 1);
	ck_assert_uint_eq(o.b.cols[0].values.len, 1);
	one_free(&o);
}
END_TEST

Suite *dxt_test_convert(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, int64_literals);
	tcase_add_test(tc, int_widths);
	tcase_add_test(tc, int_format_round_trip);
	tcase_add_test(tc, double_literals);
	tcase_add_test(tc, double_format);
	tcase_add_test(tc, float32_values);
	tcase_add_test(tc, float64_values);
	tcase_add_test(tc, bool_forms);
	tcase_add_test(tc, date_literals);
	tcase_add_test(tc, date_every_day);
	tcase_add_test(tc, time_literals);
	tcase_add_test(tc, timestamp_literals);
	tcase_add_test(tc, timestamp_columns);
	tcase_add_test(tc, timestamp_extremes);
	tcase_add_test(tc, timestamp_round_trip);
	tcase_add_test(tc, decimal_literals);
	tcase_add_test(tc, decimal_format);
	tcase_add_test(tc, uuid_forms);
	tcase_add_test(tc, strings_and_utf8);
	tcase_add_test(tc, json_values);
	tcase_add_test(tc, json_depth_limit);
	tcase_add_test(tc, binary_values);
	tcase_add_test(tc, null_column);
	tcase_add_test(tc, reason_snippet_is_clean);
	tcase_add_test(tc, json_quote_escapes);
	tcase_add_test(tc, format_json_all_types);
	tcase_add_test(tc, nothing_appended_on_error);
	suite_add_tcase(s, tc);
	return s;
}
