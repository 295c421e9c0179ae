/*
 * test_tz.c - time zones from TZif files: offsets, DST transitions, the
 * POSIX rule past the table, local-to-UTC conversion, refused names.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/tz.h"

/* For loops of many checks: ck_assert records every passing check, which
 * costs a write each time. */
#define REQUIRE(cond, ...)                                                   \
	do {                                                                 \
		if (!(cond))                                                 \
			ck_abort_msg(__VA_ARGS__);                           \
	} while (0)

/* UTC seconds of a calendar time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	return dxt_civil_join(y, mo, d, h, mi, s);
}

static struct dxt_tz *load(const char *name)
{
	struct dxt_error err;
	struct dxt_tz *tz = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_tz_load(name, &tz, &err);
	ck_assert_msg(rc == DXT_OK, "%s: %s", name, err.message);
	ck_assert_ptr_nonnull(tz);
	return tz;
}

static const char *fmt(const struct dxt_tz *tz, int64_t t)
{
	static char buf[8][48];
	static int n;
	char *b = buf[n++ % 8];

	return dxt_tz_format(tz, t, b, 48);
}

/* A TZif file assembled byte by byte. */
struct tzb {
	uint8_t b[2048];
	size_t n;
};

static void put8(struct tzb *z, unsigned v)
{
	z->b[z->n++] = (uint8_t)v;
}

static void put32(struct tzb *z, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		put8(z, v >> (i * 8) & 0xff);
}

static void put64(struct tzb *z, int64_t v)
{
	put32(z, (uint32_t)((uint64_t)v >> 32));
	put32(z, (uint32_t)v);
}

struct ttype {
	int32_t off;
	int isdst;
	unsigned abbr;
};

struct zone_spec {
	char version; /* 0, '2', '3' */
	size_t ntimes;
	const int64_t *times;
	const uint8_t *idx;
	size_t ntypes;
	const struct ttype *types;
	const char *chars; /* NUL-separated abbreviations */
	size_t nchars;
	const char *footer; /* NULL: none */
	uint32_t leapcnt;
};

static void put_block(struct tzb *z, const struct zone_spec *s, int wide)
{
	memcpy(z->b + z->n, "TZif", 4);
	z->n += 4;
	put8(z, (unsigned char)s->version);
	for (int i = 0; i < 15; i++)
		put8(z, 0);
	put32(z, 0);
	put32(z, 0);
	put32(z, s->leapcnt);
	put32(z, (uint32_t)s->ntimes);
	put32(z, (uint32_t)s->ntypes);
	put32(z, (uint32_t)s->nchars);
	for (size_t i = 0; i < s->ntimes; i++) {
		if (wide)
			put64(z, s->times[i]);
		else
			put32(z, (uint32_t)(int32_t)s->times[i]);
	}
	for (size_t i = 0; i < s->ntimes; i++)
		put8(z, s->idx[i]);
	for (size_t i = 0; i < s->ntypes; i++) {
		put32(z, (uint32_t)s->types[i].off);
		put8(z, (unsigned)s->types[i].isdst);
		put8(z, s->types[i].abbr);
	}
	memcpy(z->b + z->n, s->chars, s->nchars);
	z->n += s->nchars;
	for (uint32_t i = 0; i < s->leapcnt; i++) {
		if (wide)
			put64(z, 78796800);
		else
			put32(z, 78796800);
		put32(z, i + 1);
	}
}

static void build(struct tzb *z, const struct zone_spec *s)
{
	z->n = 0;
	put_block(z, s, 0);
	if (s->version == 0)
		return;
	put_block(z, s, 1);
	put8(z, '\n');
	if (s->footer != NULL) {
		memcpy(z->b + z->n, s->footer, strlen(s->footer));
		z->n += strlen(s->footer);
	}
	put8(z, '\n');
}

static int parse(const struct tzb *z, struct dxt_tz **tz,
		 struct dxt_error *err)
{
	dxt_error_clear(err);
	return dxt_tz_parse("test", z->b, z->n, tz, err);
}

/* A zone that only has a footer rule, like the slim files zic writes. */
static struct dxt_tz *footer_zone(const char *footer)
{
	static const struct ttype types[] = {{0, 0, 0}};
	struct zone_spec s = {'3', 0, NULL, NULL, 1, types, "ZZZ", 4,
			      footer, 0};
	struct dxt_error err;
	struct dxt_tz *tz = NULL;
	struct tzb z;

	build(&z, &s);
	ck_assert_msg(parse(&z, &tz, &err) == DXT_OK, "%s: %s", footer,
		      err.message);
	return tz;
}

START_TEST(utc_needs_no_file)
{
	struct dxt_tz *a, *b;
	struct dxt_tz_local r;

	/* Even with no zone directory at all. */
	setenv("TZDIR", "/nonexistent/zoneinfo", 1);
	a = load("UTC");
	b = load("Etc/UTC");
	unsetenv("TZDIR");
	ck_assert_int_eq(dxt_tz_is_utc(a), 1);
	ck_assert_str_eq(dxt_tz_name(b), "Etc/UTC");
	ck_assert_int_eq(dxt_tz_offset(a, utc(2024, 7, 1, 0, 0, 0)), 0);
	ck_assert_str_eq(dxt_tz_abbrev(a, 0), "UTC");
	ck_assert(dxt_tz_next_transition(a, 0) == INT64_MAX);
	ck_assert_str_eq(fmt(a, utc(2024, 2, 29, 23, 59, 59)),
			 "2024-02-29T23:59:59Z");
	dxt_tz_resolve(b, 1711848600, &r);
	ck_assert_int_eq(r.kind, DXT_TZ_EXACT);
	ck_assert(r.first == 1711848600 && r.second == 1711848600);
	dxt_tz_free(a);
	dxt_tz_free(b);
	dxt_tz_free(NULL);
}
END_TEST

START_TEST(paris_offsets_and_transitions)
{
	struct dxt_tz *tz = load("Europe/Paris");
	int64_t spring = utc(2024, 3, 31, 1, 0, 0);
	int64_t fall = utc(2024, 10, 27, 1, 0, 0);

	ck_assert_int_eq(dxt_tz_offset(tz, utc(2024, 1, 15, 12, 0, 0)), 3600);
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2024, 7, 1, 12, 0, 0)), 7200);
	ck_assert_str_eq(dxt_tz_abbrev(tz, utc(2024, 1, 15, 12, 0, 0)), "CET");
	ck_assert_str_eq(dxt_tz_abbrev(tz, utc(2024, 7, 1, 12, 0, 0)), "CEST");
	/* The clocks go 01:59:59 CET -> 03:00:00 CEST at 01:00 UTC. */
	ck_assert_int_eq(dxt_tz_offset(tz, spring - 1), 3600);
	ck_assert_int_eq(dxt_tz_offset(tz, spring), 7200);
	ck_assert_str_eq(fmt(tz, spring - 1), "2024-03-31T01:59:59+01:00");
	ck_assert_str_eq(fmt(tz, spring), "2024-03-31T03:00:00+02:00");
	ck_assert(dxt_tz_next_transition(tz, utc(2024, 1, 1, 0, 0, 0)) ==
		  spring);
	ck_assert(dxt_tz_next_transition(tz, spring - 1) == spring);
	ck_assert(dxt_tz_next_transition(tz, spring) == fall);
	ck_assert_str_eq(fmt(tz, fall - 1), "2024-10-27T02:59:59+02:00");
	ck_assert_str_eq(fmt(tz, fall), "2024-10-27T02:00:00+01:00");
	/* Before 1911 Paris kept its mean solar time, 9 min 21 s ahead. */
	ck_assert_int_eq(dxt_tz_offset(tz, utc(1890, 1, 1, 0, 0, 0)), 561);
	ck_assert_str_eq(fmt(tz, utc(1890, 1, 1, 0, 0, 0)),
			 "1890-01-01T00:09:21+00:09:21");
	dxt_tz_free(tz);
}
END_TEST

START_TEST(paris_local_times)
{
	struct dxt_tz *tz = load("Europe/Paris");
	struct dxt_tz_local r;

	/* 02:30 on 2024-03-31 never happened: the gap ends at 01:00 UTC. */
	dxt_tz_resolve(tz, utc(2024, 3, 31, 2, 30, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_GAP);
	ck_assert_str_eq(fmt(tz, r.first), "2024-03-31T03:00:00+02:00");
	dxt_tz_resolve(tz, utc(2024, 3, 31, 2, 0, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_GAP);
	ck_assert(r.first == utc(2024, 3, 31, 1, 0, 0));
	/* The edges of the gap exist. */
	dxt_tz_resolve(tz, utc(2024, 3, 31, 1, 59, 59), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_EXACT);
	ck_assert(r.first == utc(2024, 3, 31, 0, 59, 59));
	dxt_tz_resolve(tz, utc(2024, 3, 31, 3, 0, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_EXACT);
	ck_assert(r.first == utc(2024, 3, 31, 1, 0, 0));
	/* 02:30 on 2024-10-27 happened twice, an hour apart. */
	dxt_tz_resolve(tz, utc(2024, 10, 27, 2, 30, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_OVERLAP);
	ck_assert_str_eq(fmt(tz, r.first), "2024-10-27T02:30:00+02:00");
	ck_assert_str_eq(fmt(tz, r.second), "2024-10-27T02:30:00+01:00");
	ck_assert(r.second - r.first == 3600);
	dxt_tz_resolve(tz, utc(2024, 10, 27, 3, 0, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_EXACT);
	ck_assert(r.first == utc(2024, 10, 27, 2, 0, 0));
	dxt_tz_resolve(tz, utc(2024, 6, 1, 12, 0, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_EXACT);
	ck_assert(r.first == utc(2024, 6, 1, 10, 0, 0));
	dxt_tz_free(tz);
}
END_TEST

START_TEST(new_york_local_times)
{
	struct dxt_tz *tz = load("America/New_York");
	struct dxt_tz_local r;

	ck_assert_int_eq(dxt_tz_offset(tz, utc(2024, 1, 15, 12, 0, 0)),
			 -18000);
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2024, 7, 1, 12, 0, 0)),
			 -14400);
	dxt_tz_resolve(tz, utc(2024, 3, 10, 2, 30, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_GAP);
	ck_assert_str_eq(fmt(tz, r.first), "2024-03-10T03:00:00-04:00");
	dxt_tz_resolve(tz, utc(2024, 11, 3, 1, 30, 0), &r);
	ck_assert_int_eq(r.kind, DXT_TZ_OVERLAP);
	ck_assert_str_eq(fmt(tz, r.first), "2024-11-03T01:30:00-04:00");
	ck_assert_str_eq(fmt(tz, r.second), "2024-11-03T01:30:00-05:00");
	ck_assert_str_eq(dxt_tz_abbrev(tz, r.first), "EDT");
	ck_assert_str_eq(dxt_tz_abbrev(tz, r.second), "EST");
	dxt_tz_free(tz);
}
END_TEST

/* Past the table of the file (2037 at most), the footer rule decides. */
START_TEST(footer_rule_far_future)
{
	struct dxt_tz *paris = load("Europe/Paris");
	struct dxt_tz *ny = load("America/New_York");
	struct dxt_tz *sydney = load("Australia/Sydney");
	int64_t t = utc(2200, 3, 30, 1, 0, 0);

	ck_assert_str_eq(fmt(paris, utc(2200, 7, 1, 12, 0, 0)),
			 "2200-07-01T14:00:00+02:00");
	ck_assert_str_eq(fmt(paris, utc(2200, 12, 1, 12, 0, 0)),
			 "2200-12-01T13:00:00+01:00");
	ck_assert_str_eq(dxt_tz_abbrev(paris, utc(2200, 7, 1, 12, 0, 0)),
			 "CEST");
	/* Last Sunday of March 2200 is the 30th. */
	ck_assert_str_eq(fmt(paris, t - 1), "2200-03-30T01:59:59+01:00");
	ck_assert_str_eq(fmt(paris, t), "2200-03-30T03:00:00+02:00");
	ck_assert(dxt_tz_next_transition(paris, utc(2200, 1, 1, 0, 0, 0)) ==
		  t);
	ck_assert_str_eq(fmt(ny, utc(2100, 3, 14, 6, 59, 59)),
			 "2100-03-14T01:59:59-05:00");
	ck_assert_str_eq(fmt(ny, utc(2100, 3, 14, 7, 0, 0)),
			 "2100-03-14T03:00:00-04:00");
	/* Southern hemisphere: summer time spans the new year. */
	ck_assert_str_eq(fmt(sydney, utc(2300, 1, 15, 0, 0, 0)),
			 "2300-01-15T11:00:00+11:00");
	ck_assert_str_eq(fmt(sydney, utc(2300, 7, 1, 0, 0, 0)),
			 "2300-07-01T10:00:00+10:00");
	dxt_tz_free(paris);
	dxt_tz_free(ny);
	dxt_tz_free(sydney);
}
END_TEST

static void same_as_libc(const char *zone, const struct dxt_tz *tz, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	REQUIRE(dxt_tz_offset(tz, t) == tm.tm_gmtoff,
		"%s at %lld: %d, libc %ld", zone, (long long)t,
		dxt_tz_offset(tz, t), tm.tm_gmtoff);
	REQUIRE(strcmp(dxt_tz_abbrev(tz, t), tm.tm_zone) == 0,
		"%s at %lld: %s, libc %s", zone, (long long)t,
		dxt_tz_abbrev(tz, t), tm.tm_zone);
}

/*
 * Offsets and abbreviations agree with the C library's localtime() for
 * zones with unusual rules, from 1890 to 2150: on both sides of every
 * transition dxt finds, and every few days in between (which catches a
 * transition it would miss).
 */
START_TEST(agrees_with_libc)
{
	static const char *zones[] = {
		"Europe/Paris", "America/New_York", "Australia/Sydney",
		"Asia/Kolkata", "America/St_Johns", "Europe/Dublin",
		"Pacific/Chatham", "America/Nuuk", "Africa/Casablanca",
		"Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Tehran",
		"Pacific/Apia", "Antarctica/Troll", "Europe/Moscow",
	};
	int64_t end = utc(2150, 1, 1, 0, 0, 0);
	int64_t step = 5 * 86400 + 7 * 3600 + 13 * 60;

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		char path[256];
		struct dxt_tz *tz;
		size_t ntrans = 0;
		int64_t t, next;

		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s",
			 zones[z]);
		if (access(path, R_OK) != 0)
			continue;
		tz = load(zones[z]);
		setenv("TZ", zones[z], 1);
		tzset();
		t = utc(1890, 1, 1, 0, 0, 0);
		next = dxt_tz_next_transition(tz, t);
		while (t < end) {
			same_as_libc(zones[z], tz, t);
			if (next <= t + step) {
				REQUIRE(next > t, "%s: transition %lld not after "
					"%lld", zones[z], (long long)next,
					(long long)t);
				same_as_libc(zones[z], tz, next - 1);
				same_as_libc(zones[z], tz, next);
				REQUIRE(dxt_tz_offset(tz, next - 1) !=
						dxt_tz_offset(tz, next),
					"%s: no change at %lld", zones[z],
					(long long)next);
				ntrans++;
				t = next;
				next = dxt_tz_next_transition(tz, t);
			} else {
				t += step;
			}
		}
		ck_assert_msg(ntrans >= 2, "%s: %zu transitions", zones[z],
			      ntrans);
		dxt_tz_free(tz);
	}
	unsetenv("TZ");
}
END_TEST

/* Local times map back to instants whose wall clock reads them, and gaps
 * land on the instant the clocks jumped. */
START_TEST(resolve_round_trips)
{
	static const char *zones[] = {"Europe/Paris", "America/New_York",
				      "Australia/Lord_Howe", "Europe/Dublin"};

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct dxt_tz *tz = load(zones[z]);
		size_t gaps = 0, overlaps = 0;

		for (int64_t l = utc(2024, 1, 1, 0, 0, 0);
		     l < utc(2025, 1, 1, 0, 0, 0); l += 900) {
			struct dxt_tz_local r;

			dxt_tz_resolve(tz, l, &r);
			if (r.kind == DXT_TZ_GAP) {
				gaps++;
				REQUIRE(r.first + dxt_tz_offset(tz, r.first) > l &&
						r.first - 1 +
						dxt_tz_offset(tz, r.first - 1) <
						l,
					"%s: gap at %lld", zones[z],
					(long long)l);
				continue;
			}
			REQUIRE(r.first + dxt_tz_offset(tz, r.first) == l &&
					r.second + dxt_tz_offset(tz, r.second) ==
					l,
				"%s: %lld", zones[z], (long long)l);
			if (r.kind == DXT_TZ_OVERLAP) {
				overlaps++;
				REQUIRE(r.second > r.first, "%s: %lld",
					zones[z], (long long)l);
			}
		}
		/* One hour each way (half an hour on Lord Howe Island). */
		ck_assert_msg(gaps == overlaps && (gaps == 4 || gaps == 2),
			      "%s: %zu gaps, %zu overlaps", zones[z], gaps,
			      overlaps);
		dxt_tz_free(tz);
	}
}
END_TEST

START_TEST(version1_file)
{
	static const int64_t times[] = {1000, 2000};
	static const uint8_t idx[] = {1, 0};
	static const struct ttype types[] = {{3600, 0, 0}, {7200, 1, 4}};
	struct zone_spec s = {0, 2, times, idx, 2, types, "AAA\0BBB", 8,
			      NULL, 0};
	struct dxt_error err;
	struct dxt_tz *tz;
	struct tzb z;

	build(&z, &s);
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_OK);
	/* Before the first transition: type 0. */
	ck_assert_int_eq(dxt_tz_offset(tz, -5000000000LL), 3600);
	ck_assert_int_eq(dxt_tz_offset(tz, 999), 3600);
	ck_assert_int_eq(dxt_tz_offset(tz, 1000), 7200);
	ck_assert_str_eq(dxt_tz_abbrev(tz, 1500), "BBB");
	ck_assert_int_eq(dxt_tz_offset(tz, 2000), 3600);
	ck_assert_int_eq(dxt_tz_offset(tz, 5000000000LL), 3600);
	ck_assert(dxt_tz_next_transition(tz, 0) == 1000);
	ck_assert(dxt_tz_next_transition(tz, 1000) == 2000);
	ck_assert(dxt_tz_next_transition(tz, 2000) == INT64_MAX);
	dxt_tz_free(tz);
}
END_TEST

START_TEST(version2_uses_64bit_data_and_footer)
{
	/* A transition before 1901 only fits in the 64-bit data. */
	static const int64_t times[] = {-3000000000LL};
	static const uint8_t idx[] = {1};
	static const struct ttype types[] = {{0, 0, 0}, {3600, 0, 4}};
	struct zone_spec s = {'2', 1, times, idx, 2, types, "LMT\0CET", 8,
			      "CET-1CEST,M3.5.0,M10.5.0/3", 0};
	struct dxt_error err;
	struct dxt_tz *tz;
	struct tzb z;

	build(&z, &s);
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_OK);
	ck_assert_int_eq(dxt_tz_offset(tz, -3000000001LL), 0);
	ck_assert_str_eq(dxt_tz_abbrev(tz, -3000000001LL), "LMT");
	ck_assert_str_eq(fmt(tz, utc(2024, 3, 31, 1, 0, 0)),
			 "2024-03-31T03:00:00+02:00");
	ck_assert_str_eq(fmt(tz, utc(2024, 10, 27, 1, 0, 0)),
			 "2024-10-27T02:00:00+01:00");
	ck_assert_str_eq(dxt_tz_abbrev(tz, utc(2024, 7, 1, 0, 0, 0)), "CEST");
	ck_assert(dxt_tz_next_transition(tz, utc(2024, 4, 1, 0, 0, 0)) ==
		  utc(2024, 10, 27, 1, 0, 0));
	ck_assert(dxt_tz_next_transition(tz, -3000000001LL) == -3000000000LL);
	dxt_tz_free(tz);
}
END_TEST

START_TEST(footer_forms)
{
	struct dxt_tz *tz;

	/* A bracketed name and a half-hour offset, no DST. */
	tz = footer_zone("<+0530>-5:30");
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2050, 6, 1, 0, 0, 0)), 19800);
	ck_assert_str_eq(dxt_tz_abbrev(tz, 0), "+0530");
	ck_assert(dxt_tz_next_transition(tz, 0) == INT64_MAX);
	dxt_tz_free(tz);

	/* Version 3 rule times: -1 and 0 hours (America/Nuuk). */
	tz = footer_zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	ck_assert_str_eq(fmt(tz, utc(2050, 3, 27, 0, 59, 59)),
			 "2050-03-26T22:59:59-02:00");
	ck_assert_str_eq(fmt(tz, utc(2050, 3, 27, 1, 0, 0)),
			 "2050-03-27T00:00:00-01:00");
	ck_assert_str_eq(fmt(tz, utc(2050, 10, 30, 0, 59, 59)),
			 "2050-10-29T23:59:59-01:00");
	ck_assert_str_eq(fmt(tz, utc(2050, 10, 30, 1, 0, 0)),
			 "2050-10-29T23:00:00-02:00");
	dxt_tz_free(tz);

	/* DST without a rule: the US rules, as the C library assumes. */
	tz = footer_zone("EST5EDT");
	ck_assert_str_eq(fmt(tz, utc(2050, 3, 13, 7, 0, 0)),
			 "2050-03-13T03:00:00-04:00");
	ck_assert_str_eq(fmt(tz, utc(2050, 11, 6, 6, 0, 0)),
			 "2050-11-06T01:00:00-05:00");
	dxt_tz_free(tz);

	/* Jn never counts 29 February, n does (0-based). */
	tz = footer_zone("AAA-2BBB,J60,J300");
	ck_assert_str_eq(fmt(tz, utc(2024, 3, 1, 0, 0, 0)),
			 "2024-03-01T03:00:00+03:00");
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2024, 2, 29, 23, 59, 59)),
			 7200);
	dxt_tz_free(tz);
	tz = footer_zone("AAA-2BBB,59,299");
	ck_assert_str_eq(fmt(tz, utc(2024, 2, 29, 0, 0, 0)),
			 "2024-02-29T03:00:00+03:00");
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2024, 2, 28, 23, 59, 59)),
			 7200);
	dxt_tz_free(tz);

	/* DST all year round: the offset never changes. */
	tz = footer_zone("EST5EDT,0/0,J365/25");
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2050, 1, 1, 0, 0, 0)), -14400);
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2050, 7, 1, 0, 0, 0)), -14400);
	ck_assert_int_eq(dxt_tz_offset(tz, utc(2050, 12, 31, 23, 0, 0)),
			 -14400);
	ck_assert(dxt_tz_next_transition(tz, utc(2050, 1, 1, 0, 0, 0)) ==
		  INT64_MAX);
	dxt_tz_free(tz);
}
END_TEST

START_TEST(malformed_files)
{
	static const int64_t times[] = {1000, 2000};
	static const uint8_t idx[] = {1, 0};
	static const uint8_t bad_idx[] = {1, 5};
	static const int64_t backwards[] = {2000, 1000};
	static const struct ttype types[] = {{3600, 0, 0}, {7200, 1, 4}};
	struct zone_spec s = {'2', 2, times, idx, 2, types, "AAA\0BBB", 8,
			      "AAA-1", 0};
	struct dxt_error err;
	struct dxt_tz *tz = NULL;
	struct tzb z;

	build(&z, &s);
	z.b[0] = 'X';
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_EPARSE);
	ck_assert_ptr_null(tz);
	ck_assert_str_eq(err.message, "not a TZif file (no \"TZif\" header)");

	build(&z, &s);
	z.n -= 20;
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_EPARSE);
	ck_assert_msg(strstr(err.message, "truncated") != NULL ||
			      strstr(err.message, "footer") != NULL,
		      "%s", err.message);
	z.n = 50;
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "truncated"));

	s.idx = bad_idx;
	build(&z, &s);
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_EPARSE);
	ck_assert_str_eq(err.message,
			 "transition 2 names local time type 5 of 2");
	s.idx = idx;

	s.times = backwards;
	build(&z, &s);
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "not after"));
	s.times = times;

	s.leapcnt = 1;
	build(&z, &s);
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "leap seconds"));
	s.leapcnt = 0;

	s.footer = "CET-1CEST,M3.5.0";
	build(&z, &s);
	ck_assert_int_eq(parse(&z, &tz, &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "TZ rule \"CET-1CEST,M3.5.0\" at the "
				      "end of the file is malformed");
	ck_assert_ptr_null(tz);
}
END_TEST

START_TEST(refused_names)
{
	static const char *bad[] = {
		"../../etc/passwd", "/etc/localtime", "Europe/../../x",
		"Europe//Paris", "Europe/./Paris", "Europe/Paris/", "",
		"Europe/Paris\n", "Europe Paris", "..", "Europe/Par;is",
	};
	struct dxt_error err;
	struct dxt_tz *tz = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];

		dxt_error_clear(&err);
		ck_assert_int_eq(dxt_tz_load(bad[i], &tz, &err), DXT_EINVAL);
		ck_assert_ptr_null(tz);
		snprintf(want, sizeof(want), "invalid time zone name \"%s\"",
			 bad[i]);
		ck_assert_msg(strncmp(err.message, want, strlen(want)) == 0,
			      "%s", err.message);
	}
	dxt_error_clear(&err);
	ck_assert_int_eq(dxt_tz_load("Mars/Base", &tz, &err), DXT_ENOTFOUND);
	ck_assert_ptr_null(tz);
	ck_assert_msg(strncmp(err.message, "unknown time zone \"Mars/Base\"",
			      29) == 0, "%s", err.message);
	ck_assert_ptr_nonnull(strstr(err.message, "tzdata"));
	/* A folder of zones is not a zone. */
	ck_assert_int_eq(dxt_tz_load("Europe", &tz, &err), DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "is not a zone file"));
	/* Names are case-sensitive, like the files. */
	ck_assert_int_eq(dxt_tz_load("europe/paris", &tz, &err),
			 DXT_ENOTFOUND);
}
END_TEST

START_TEST(zone_directory_from_tzdir)
{
	char dir[] = "/tmp/dxt-tz-XXXXXX", path[128];
	struct dxt_error err;
	struct dxt_tz *tz = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Bad", dir);
	f = fopen(path, "w");
	fputs("not a zone\n", f);
	fclose(f);
	setenv("TZDIR", dir, 1);
	dxt_error_clear(&err);
	ck_assert_int_eq(dxt_tz_load("Bad", &tz, &err), DXT_EPARSE);
	ck_assert_ptr_null(tz);
	snprintf(path, sizeof(path),
		 "time zone \"Bad\": %s/Bad: not a TZif file", dir);
	ck_assert_msg(strncmp(err.message, path, strlen(path)) == 0, "%s",
		      err.message);
	ck_assert_int_eq(dxt_tz_load("Europe/Paris", &tz, &err),
			 DXT_ENOTFOUND);
	unsetenv("TZDIR");
	snprintf(path, sizeof(path), "%s/Bad", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(civil_calendar)
{
	struct dxt_civil c;

	dxt_civil_split(utc(2024, 2, 29, 13, 14, 15), &c);
	ck_assert_int_eq(c.year, 2024);
	ck_assert_int_eq(c.month, 2);
	ck_assert_int_eq(c.day, 29);
	ck_assert_int_eq(c.hour, 13);
	ck_assert_int_eq(c.minute, 14);
	ck_assert_int_eq(c.second, 15);
	ck_assert_int_eq(c.wday, 4); /* Thursday */
	ck_assert_int_eq(c.yday, 59);
	dxt_civil_split(-1, &c);
	ck_assert_int_eq(c.year, 1969);
	ck_assert_int_eq(c.month, 12);
	ck_assert_int_eq(c.day, 31);
	ck_assert_int_eq(c.second, 59);
	ck_assert_int_eq(c.wday, 3);
	ck_assert(utc(2024, 1, 32, 0, 0, 0) == utc(2024, 2, 1, 0, 0, 0));
	ck_assert(utc(2024, 13, 1, 0, 0, 0) == utc(2025, 1, 1, 0, 0, 0));
	ck_assert(utc(1970, 1, 1, 0, 0, 0) == 0);
	ck_assert(utc(2000, 3, 1, 0, 0, 0) == 951868800);
	ck_assert_int_eq(dxt_is_leap_year(2000), 1);
	ck_assert_int_eq(dxt_is_leap_year(2100), 0);
	ck_assert_int_eq(dxt_is_leap_year(2024), 1);
	ck_assert_int_eq(dxt_days_in_month(2100, 2), 28);
	ck_assert_int_eq(dxt_days_in_month(2024, 2), 29);
	ck_assert_int_eq(dxt_days_in_month(2024, 4), 30);
	/* Every day from 1600 to 2400 splits back to itself. */
	for (int64_t d = dxt_days_from_civil(1600, 1, 1);
	     d < dxt_days_from_civil(2400, 1, 1); d++) {
		dxt_civil_split(d * 86400 + 43200, &c);
		REQUIRE(dxt_days_from_civil(c.year, c.month, c.day) == d &&
				c.wday == ((d % 7) + 11) % 7,
			"day %lld", (long long)d);
	}
}
END_TEST

Suite *dxt_test_tz(void)
{
	Suite *s = suite_create("tz");
	TCase *tc = tcase_create("tz");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, utc_needs_no_file);
	tcase_add_test(tc, paris_offsets_and_transitions);
	tcase_add_test(tc, paris_local_times);
	tcase_add_test(tc, new_york_local_times);
	tcase_add_test(tc, footer_rule_far_future);
	tcase_add_test(tc, agrees_with_libc);
	tcase_add_test(tc, resolve_round_trips);
	tcase_add_test(tc, version1_file);
	tcase_add_test(tc, version2_uses_64bit_data_and_footer);
	tcase_add_test(tc, footer_forms);
	tcase_add_test(tc, malformed_files);
	tcase_add_test(tc, refused_names);
	tcase_add_test(tc, zone_directory_from_tzdir);
	tcase_add_test(tc, civil_calendar);
	suite_add_tcase(s, tc);
	return s;
}
