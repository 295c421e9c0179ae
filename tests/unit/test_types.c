/*
 * test_types.c - type names, aliases, schemas and their JSON form.
 */
#include <check.h>
#include <string.h>

#include "engine/types.h"

START_TEST(type_names_parse_back)
{
	for (int t = 0; t < DXT_TYPE__COUNT; t++) {
		enum dxt_type got;
		int p, s;
		if (t == DXT_TYPE_DECIMAL)
			continue;
		ck_assert_int_eq(dxt_type_parse(dxt_type_name(t), &got, &p, &s,
						NULL),
				 DXT_OK);
		ck_assert_int_eq(got, t);
	}
}
END_TEST

START_TEST(type_aliases_and_decimals)
{
	enum dxt_type t;
	int p, s;
	struct dxt_error err;

	ck_assert_int_eq(dxt_type_parse("BIGINT", &t, &p, &s, NULL), DXT_OK);
	ck_assert_int_eq(t, DXT_TYPE_INT64);
	ck_assert_int_eq(dxt_type_parse("timestamp with time zone", &t, &p, &s,
					NULL),
			 DXT_OK);
	ck_assert_int_eq(t, DXT_TYPE_TIMESTAMPTZ);
	ck_assert_int_eq(dxt_type_parse("decimal(12, 2)", &t, &p, &s, NULL),
			 DXT_OK);
	ck_assert_int_eq(t, DXT_TYPE_DECIMAL);
	ck_assert_int_eq(p, 12);
	ck_assert_int_eq(s, 2);
	ck_assert_int_eq(dxt_type_parse("numeric(5)", &t, &p, &s, NULL), DXT_OK);
	ck_assert_int_eq(p, 5);
	ck_assert_int_eq(s, 0);
	ck_assert_int_eq(dxt_type_parse("decimal(3,4)", &t, &p, &s, &err),
			 DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "decimal(3,4)"));
	ck_assert_int_eq(dxt_type_parse("decimal(39,0)", &t, &p, &s, &err),
			 DXT_EINVAL);
	ck_assert_int_eq(dxt_type_parse("integr", &t, &p, &s, &err), DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "unknown type \"integr\""));
}
END_TEST

START_TEST(schema_json_round_trip)
{
	struct dxt_schema *s = dxt_schema_create(), *back = NULL;
	json_t *j;
	char *text;

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, false, "INTEGER");
	dxt_schema_add(s, "amount", DXT_TYPE_DECIMAL, 12, 2, true, NULL);
	dxt_schema_add(s, "at", DXT_TYPE_TIMESTAMPTZ, 0, 0, true, NULL);
	j = dxt_schema_to_json(s);
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert_str_eq(text,
			 "[{\"name\":\"id\",\"type\":\"int64\",\"nullable\":false,"
			 "\"native\":\"INTEGER\"},{\"name\":\"amount\",\"type\":"
			 "\"decimal(12,2)\",\"nullable\":true},{\"name\":\"at\","
			 "\"type\":\"timestamptz\",\"nullable\":true}]");
	ck_assert_int_eq(dxt_schema_from_json(j, &back, NULL), DXT_OK);
	ck_assert(dxt_schema_equal(s, back));
	ck_assert_int_eq(back->fields[1].precision, 12);
	ck_assert(!back->fields[0].nullable);
	ck_assert_int_eq(dxt_schema_find(back, "at"), 2);
	ck_assert_int_eq(dxt_schema_find(back, "nope"), -1);
	free(text);
	json_decref(j);
	dxt_schema_destroy(s);
	dxt_schema_destroy(back);
}
END_TEST

START_TEST(schema_json_errors)
{
	struct dxt_schema *s;
	struct dxt_error err;
	json_t *j = json_loads("[{\"name\":\"a\",\"type\":\"int64\"},"
			       "{\"name\":\"b\",\"type\":\"wat\"}]",
			       0, NULL);

	ck_assert_int_eq(dxt_schema_from_json(j, &s, &err), DXT_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err.message, "schema[1] (b)"));
	json_decref(j);
}
END_TEST

Suite *dxt_test_types(void)
{
	Suite *s = suite_create("types");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, type_names_parse_back);
	tcase_add_test(tc, type_aliases_and_decimals);
	tcase_add_test(tc, schema_json_round_trip);
	tcase_add_test(tc, schema_json_errors);
	suite_add_tcase(s, tc);
	return s;
}
