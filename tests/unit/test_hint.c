/*
 * test_hint.c - "did you mean" suggestions.
 */
#include <check.h>
#include <string.h>

#include "engine/hint.h"

static const char *const modes[] = {"append", "replace", "upsert", NULL};

START_TEST(suggests_the_nearest_word)
{
	ck_assert_str_eq(dxt_closest("upsrt", modes, 2), "upsert");
	ck_assert_str_eq(dxt_closest("replcae", modes, 2), "replace");
	ck_assert_str_eq(dxt_closest("apend", modes, 2), "append");
	ck_assert_str_eq(dxt_closest("append", modes, 0), "append");
}
END_TEST

START_TEST(nothing_beyond_the_distance)
{
	char longword[100];

	ck_assert_ptr_null(dxt_closest("merge", modes, 2));
	ck_assert_ptr_null(dxt_closest("upsrt", modes, 0));
	ck_assert_ptr_null(dxt_closest("append", modes, -1));
	memset(longword, 'a', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	ck_assert_ptr_null(dxt_closest(longword, modes, 1000));
}
END_TEST

START_TEST(ties_go_to_the_earlier_word)
{
	static const char *const words[] = {"cat", "bat", NULL};

	ck_assert_str_eq(dxt_closest("hat", words, 1), "cat");
}
END_TEST

Suite *dxt_test_hint(void)
{
	Suite *s = suite_create("hint");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, suggests_the_nearest_word);
	tcase_add_test(tc, nothing_beyond_the_distance);
	tcase_add_test(tc, ties_go_to_the_earlier_word);
	suite_add_tcase(s, tc);
	return s;
}
