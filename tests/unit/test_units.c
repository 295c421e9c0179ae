/*
 * test_units.c - sizes and durations.
 */
#include <check.h>

#include "engine/units.h"

START_TEST(sizes)
{
	uint64_t n;

	ck_assert(dxt_parse_size("65536", &n) && n == 65536);
	ck_assert(dxt_parse_size("64MiB", &n) && n == 64ull << 20);
	ck_assert(dxt_parse_size("64 mb", &n) && n == 64000000ull);
	ck_assert(dxt_parse_size("1GiB", &n) && n == 1ull << 30);
	ck_assert(dxt_parse_size("10k", &n) && n == 10240);
	ck_assert(!dxt_parse_size("", &n));
	ck_assert(!dxt_parse_size("MiB", &n));
	ck_assert(!dxt_parse_size("12 parsecs", &n));
	ck_assert(!dxt_parse_size("99999999999999999999", &n));
	ck_assert(!dxt_parse_size("20000000TiB", &n));
}
END_TEST

START_TEST(durations)
{
	int64_t us;

	ck_assert(dxt_parse_duration("30", &us) && us == 30000000);
	ck_assert(dxt_parse_duration("90s", &us) && us == 90000000);
	ck_assert(dxt_parse_duration("15m", &us) && us == 900000000);
	ck_assert(dxt_parse_duration("1h30m", &us) && us == 5400000000LL);
	ck_assert(dxt_parse_duration("7d", &us) && us == 604800000000LL);
	ck_assert(dxt_parse_duration("250ms", &us) && us == 250000);
	ck_assert(dxt_parse_duration("1m500ms", &us) && us == 60500000);
	ck_assert(!dxt_parse_duration("", &us));
	ck_assert(!dxt_parse_duration("m", &us));
	ck_assert(!dxt_parse_duration("10x", &us));
	ck_assert(!dxt_parse_duration("1h30", &us));
}
END_TEST

Suite *dxt_test_units(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, durations);
	suite_add_tcase(s, tc);
	return s;
}
