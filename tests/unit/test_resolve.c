/*
 * test_resolve.c - class paths to descriptors, with the fixture providers
 * built into $DXT_BUILD/tests/fixtures (acme/crm.so, oldabi.so).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/resolve.h"

static char fixtures[4096];

static struct dxt_resolver *fixture_resolver(void)
{
	const char *build = getenv("DXT_BUILD");
	const char *paths[1] = {fixtures};
	struct dxt_resolver *r;

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures",
		 build ? build : "build");
	ck_assert_int_eq(dxt_resolver_create(paths, 1, &r), DXT_OK);
	return r;
}

START_TEST(user_class_path)
{
	struct dxt_resolver *r = fixture_resolver();
	const struct dxt_operator *op;
	struct dxt_error err;

	ck_assert_int_eq(dxt_resolver_operator(r, "acme.crm.CrmExtractor",
					       DXT_KIND_EXTRACTOR, &op, &err),
			 DXT_OK);
	ck_assert_str_eq(op->name, "CrmExtractor");
	ck_assert_int_eq(op->unit, DXT_UNIT_RECORDS);
	/* Same object, same descriptor: the module is loaded once. */
	const struct dxt_operator *again;
	dxt_resolver_operator(r, "acme.crm.CrmExtractor", DXT_KIND_EXTRACTOR,
			      &again, &err);
	ck_assert_ptr_eq(op, again);
	dxt_resolver_destroy(r);
}
END_TEST

START_TEST(wrong_kind)
{
	struct dxt_resolver *r = fixture_resolver();
	const struct dxt_operator *op;
	struct dxt_error err;

	ck_assert_int_eq(dxt_resolver_operator(r, "acme.crm.CrmExtractor",
					       DXT_KIND_LOADER, &op, &err),
			 DXT_EABI);
	ck_assert_ptr_nonnull(strstr(err.message, "is of kind extractor, not loader"));
	dxt_resolver_destroy(r);
}
END_TEST

START_TEST(missing_file_lists_search)
{
	struct dxt_resolver *r = fixture_resolver();
	const struct dxt_operator *op;
	struct dxt_error err;
	char expect[4200];

	ck_assert_int_eq(dxt_resolver_operator(r, "dxt.providers.nosuch.NoLoader",
					       DXT_KIND_LOADER, &op, &err),
			 DXT_ENOTFOUND);
	snprintf(expect, sizeof(expect), "%s/nosuch.so", fixtures);
	ck_assert_ptr_nonnull(strstr(err.message, expect));
	snprintf(expect, sizeof(expect), "%s/dxt/providers/nosuch.so", fixtures);
	ck_assert_ptr_nonnull(strstr(err.message, expect));
	ck_assert_int_eq(err.origin, DXT_ORIGIN_CONFIG);
	dxt_resolver_destroy(r);
}
END_TEST

START_TEST(missing_symbol_named)
{
	struct dxt_resolver *r = fixture_resolver();
	const struct dxt_operator *op;
	struct dxt_error err;

	ck_assert_int_eq(dxt_resolver_operator(r, "acme.crm.CrmLoader",
					       DXT_KIND_LOADER, &op, &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "no symbol \"CrmLoader\""));
	ck_assert_ptr_nonnull(strstr(err.message, "acme/crm.so"));
	dxt_resolver_destroy(r);
}
END_TEST

START_TEST(abi_mismatch)
{
	struct dxt_resolver *r = fixture_resolver();
	const struct dxt_operator *op;
	const struct dxt_provider *p;
	struct dxt_error err;

	ck_assert_int_eq(dxt_resolver_operator(r, "oldabi.OldExtractor",
					       DXT_KIND_EXTRACTOR, &op, &err),
			 DXT_EABI);
	ck_assert_ptr_nonnull(strstr(err.message, "ABI 99"));
	ck_assert_int_eq(dxt_resolver_provider(r, "oldabi", &p, &err), DXT_EABI);
	dxt_resolver_destroy(r);
}
END_TEST

START_TEST(not_a_class_path)
{
	struct dxt_resolver *r = fixture_resolver();
	const struct dxt_operator *op;
	struct dxt_error err;

	ck_assert_int_eq(dxt_resolver_operator(r, "SQLiteLoader",
					       DXT_KIND_LOADER, &op, &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "is not a class path"));
	dxt_resolver_destroy(r);
}
END_TEST

static void count_op(const struct dxt_operator_info *info, void *ctx)
{
	if (strcmp(info->class_path, "acme.crm.CrmExtractor") == 0)
		(*(int *)ctx)++;
}

static void count_bad(const char *file, const char *msg, void *ctx)
{
	if (strstr(file, "oldabi.so") != NULL)
		(*(int *)ctx) += 100;
}

START_TEST(scan_lists_operators)
{
	struct dxt_resolver *r = fixture_resolver();
	int n = 0;

	dxt_resolver_scan(r, count_op, count_bad, &n, NULL);
	ck_assert_int_eq(n, 101);
	dxt_resolver_destroy(r);
}
END_TEST

Suite *dxt_test_resolve(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, user_class_path);
	tcase_add_test(tc, wrong_kind);
	tcase_add_test(tc, missing_file_lists_search);
	tcase_add_test(tc, missing_symbol_named);
	tcase_add_test(tc, abi_mismatch);
	tcase_add_test(tc, not_a_class_path);
	tcase_add_test(tc, scan_lists_operators);
	suite_add_tcase(s, tc);
	return s;
}
