/*
 * test_batch.c - columnar batches: layout, nulls, rollback, limits.
 */
#include <check.h>
#include <string.h>

#include "engine/batch.h"

static struct dxt_schema *schema3(void)
{
	struct dxt_schema *s = dxt_schema_create();

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, false, NULL);
	dxt_schema_add(s, "name", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "ok", DXT_TYPE_BOOL, 0, 0, true, NULL);
	return s;
}

START_TEST(arrow_layout)
{
	struct dxt_schema *s = schema3();
	struct dxt_batch b;
	size_t len;
	const uint8_t *p;
	int32_t off[4];

	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	for (int i = 0; i < 3; i++) {
		dxt_col_append_i64(&b.cols[0], 10 + i);
		if (i == 1)
			dxt_col_append_null(&b.cols[1]);
		else
			dxt_col_append_bytes(&b.cols[1], i ? "bb" : "a", i ? 2 : 1);
		dxt_col_append_bool(&b.cols[2], i != 1);
		dxt_batch_end_row(&b);
	}
	ck_assert_uint_eq(b.nrows, 3);
	ck_assert_int_eq(dxt_col_i64(&b.cols[0], 2), 12);
	/* Offsets: 0, 1, 1 (null is empty), 3. */
	memcpy(off, b.cols[1].offsets.data, sizeof(off));
	ck_assert_int_eq(off[0], 0);
	ck_assert_int_eq(off[1], 1);
	ck_assert_int_eq(off[2], 1);
	ck_assert_int_eq(off[3], 3);
	ck_assert(!dxt_col_is_valid(&b.cols[1], 1));
	ck_assert_uint_eq(b.cols[1].null_count, 1);
	p = dxt_col_bytes(&b.cols[1], 2, &len);
	ck_assert_uint_eq(len, 2);
	ck_assert(memcmp(p, "bb", 2) == 0);
	/* Validity bitmap byte: rows 0 and 2 valid = 0b101. */
	ck_assert_uint_eq(b.cols[1].validity.data[0], 5);
	ck_assert(dxt_col_bool(&b.cols[2], 0));
	ck_assert(!dxt_col_bool(&b.cols[2], 1));
	ck_assert_uint_eq(b.cols[2].values.data[0], 5);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(empty_values_without_bytes)
{
	struct dxt_schema *s = schema3();
	struct dxt_batch b;
	size_t len = 9;

	/* Only empty strings: the column never allocates its data buffer,
	 * yet every value's pointer is valid (memcpy, fwrite and pointer
	 * arithmetic take it). */
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	for (int i = 0; i < 2; i++) {
		dxt_col_append_i64(&b.cols[0], i);
		dxt_col_append_bytes(&b.cols[1], "", 0);
		dxt_col_append_bool(&b.cols[2], true);
		dxt_batch_end_row(&b);
	}
	ck_assert_ptr_null(b.cols[1].data.data);
	ck_assert_ptr_nonnull(dxt_col_bytes(&b.cols[1], 1, &len));
	ck_assert_uint_eq(len, 0);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(rollback_and_reset)
{
	struct dxt_schema *s = schema3();
	struct dxt_batch b;
	size_t len;

	dxt_batch_init(&b, s);
	dxt_col_append_i64(&b.cols[0], 1);
	dxt_col_append_bytes(&b.cols[1], "keep", 4);
	dxt_col_append_bool(&b.cols[2], true);
	dxt_batch_end_row(&b);
	/* A row that fails half-way leaves no trace. */
	dxt_col_append_i64(&b.cols[0], 2);
	dxt_col_append_null(&b.cols[1]);
	dxt_batch_rollback_row(&b);
	ck_assert_uint_eq(b.cols[0].length, 1);
	ck_assert_uint_eq(b.cols[1].length, 1);
	ck_assert_uint_eq(b.cols[1].null_count, 0);
	dxt_col_append_i64(&b.cols[0], 3);
	dxt_col_append_bytes(&b.cols[1], "x", 1);
	dxt_col_append_bool(&b.cols[2], false);
	dxt_batch_end_row(&b);
	ck_assert_int_eq(dxt_col_i64(&b.cols[0], 1), 3);
	ck_assert(memcmp(dxt_col_bytes(&b.cols[1], 1, &len), "x", 1) == 0);
	dxt_batch_reset(&b);
	ck_assert_uint_eq(b.nrows, 0);
	ck_assert_uint_eq(b.cols[1].data.len, 0);
	ck_assert_uint_eq(dxt_batch_bytes(&b), 4); /* the leading offset */
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(limits)
{
	struct dxt_schema *s = schema3();
	struct dxt_batch b;
	struct dxt_batch_limits rows = {.max_rows = 10};
	struct dxt_batch_limits bytes = {.max_bytes = 1000};
	char big[100];

	memset(big, 'x', sizeof(big));
	dxt_batch_init(&b, s);
	for (int i = 0; i < 9; i++) {
		dxt_col_append_i64(&b.cols[0], i);
		dxt_col_append_bytes(&b.cols[1], big, sizeof(big));
		dxt_col_append_null(&b.cols[2]);
		dxt_batch_end_row(&b);
	}
	ck_assert(!dxt_batch_full(&b, &rows));
	dxt_col_append_i64(&b.cols[0], 9);
	dxt_col_append_null(&b.cols[1]);
	dxt_col_append_null(&b.cols[2]);
	dxt_batch_end_row(&b);
	ck_assert(dxt_batch_full(&b, &rows));
	/* Byte limits are checked every 64 rows. */
	for (int i = 10; i < 64; i++) {
		dxt_col_append_i64(&b.cols[0], i);
		dxt_col_append_bytes(&b.cols[1], big, sizeof(big));
		dxt_col_append_null(&b.cols[2]);
		dxt_batch_end_row(&b);
	}
	ck_assert(dxt_batch_full(&b, &bytes));
	ck_assert_uint_eq(b.cols[2].null_count, 64);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

START_TEST(all_fixed_types)
{
	struct dxt_schema *s = dxt_schema_create();
	struct dxt_batch b;
	uint8_t u[16];
	__int128 d = -12345;

	for (int t = DXT_TYPE_BOOL; t < DXT_TYPE__COUNT; t++)
		dxt_schema_add(s, dxt_type_name(t), t, 10, 2, true, NULL);
	dxt_batch_init(&b, s);
	for (size_t i = 0; i < b.ncols; i++)
		dxt_col_append_null(&b.cols[i]);
	dxt_batch_end_row(&b);
	for (size_t i = 0; i < b.ncols; i++) {
		struct dxt_column *c = &b.cols[i];
		ck_assert(!dxt_col_is_valid(c, 0));
		switch (c->type) {
		case DXT_TYPE_BOOL:
			dxt_col_append_bool(c, true);
			break;
		case DXT_TYPE_FLOAT32:
			dxt_col_append_f32(c, 1.5f);
			break;
		case DXT_TYPE_FLOAT64:
			dxt_col_append_f64(c, 2.5);
			break;
		case DXT_TYPE_DECIMAL:
			dxt_col_append_dec(c, d);
			break;
		case DXT_TYPE_UUID:
			memset(u, 0xab, sizeof(u));
			dxt_col_append_uuid(c, u);
			break;
		case DXT_TYPE_STRING:
		case DXT_TYPE_BINARY:
		case DXT_TYPE_JSON:
			dxt_col_append_bytes(c, "{}", 2);
			break;
		default:
			dxt_col_append_int(c, -7);
		}
	}
	dxt_batch_end_row(&b);
	for (size_t i = 0; i < b.ncols; i++) {
		struct dxt_column *c = &b.cols[i];
		ck_assert(dxt_col_is_valid(c, 1));
		if (c->type >= DXT_TYPE_INT8 && c->type <= DXT_TYPE_INT64)
			ck_assert_int_eq(dxt_col_int(c, 1), -7);
		if (c->type == DXT_TYPE_DECIMAL)
			ck_assert(dxt_col_dec(c, 1) == d);
		if (c->type == DXT_TYPE_FLOAT64)
			ck_assert(dxt_col_f64(c, 1) == 2.5);
	}
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
}
END_TEST

Suite *dxt_test_batch(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, arrow_layout);
	tcase_add_test(tc, empty_values_without_bytes);
	tcase_add_test(tc, rollback_and_reset);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, all_fixed_types);
	suite_add_tcase(s, tc);
	return s;
}
