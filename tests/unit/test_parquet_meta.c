/*
 * test_parquet_meta.c - the Parquet file footer: round trips, a footer in
 * another writer's shape, missing fields, hostile sizes, damaged bytes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/parquet_meta.h"

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	memcpy(p, s, n);
	return p;
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *q = malloc(n);

	memcpy(q, p, n);
	return q;
}

/*
 * A footer with every optional member set: a root and six leaves covering
 * each LogicalType member with parameters, two row groups, a column chunk
 * with all statistics and page offsets, and metadata with and without a
 * value.
 */
static void build_full(struct dxt_pq_file_meta *fm)
{
	struct dxt_pq_schema_elem *s;
	struct dxt_pq_column_meta *m;
	int64_t v;

	memset(fm, 0, sizeof(*fm));
	fm->version = 2;
	fm->num_rows = 1234567890123ll;
	fm->created_by = dup_str("dxt version 1.0");
	fm->n_schema = 7;
	fm->schema = s = calloc(7, sizeof(*s));
	s[0].name = dup_str("schema");
	s[0].num_children = 6;
	s[1].name = dup_str("price");
	s[1].has_type = 1;
	s[1].type = DXT_PQ_FIXED_LEN_BYTE_ARRAY;
	s[1].type_length = 9;
	s[1].has_repetition = 1;
	s[1].repetition = DXT_PQ_OPTIONAL;
	s[1].has_converted = 1;
	s[1].converted = DXT_PQ_CT_DECIMAL;
	s[1].scale = 2;
	s[1].precision = 20;
	s[1].has_field_id = 1;
	s[1].field_id = -7;
	s[1].logical.kind = DXT_PQ_LT_DECIMAL;
	s[1].logical.scale = 2;
	s[1].logical.precision = 20;
	s[2].name = dup_str("at");
	s[2].has_type = 1;
	s[2].type = DXT_PQ_INT64;
	s[2].has_repetition = 1;
	s[2].repetition = DXT_PQ_REQUIRED;
	s[2].logical.kind = DXT_PQ_LT_TIMESTAMP;
	s[2].logical.is_adjusted_to_utc = 1;
	s[2].logical.unit = DXT_PQ_NANOS;
	s[3].name = dup_str("t");
	s[3].has_type = 1;
	s[3].type = DXT_PQ_INT32;
	s[3].has_repetition = 1;
	s[3].repetition = DXT_PQ_REPEATED;
	s[3].logical.kind = DXT_PQ_LT_TIME;
	s[3].logical.unit = DXT_PQ_MILLIS;
	s[4].name = dup_str("small");
	s[4].has_type = 1;
	s[4].type = DXT_PQ_INT32;
	s[4].has_repetition = 1;
	s[4].has_converted = 1;
	s[4].converted = DXT_PQ_CT_UINT_8;
	s[4].logical.kind = DXT_PQ_LT_INTEGER;
	s[4].logical.bit_width = 8;
	s[4].logical.is_signed = 0;
	s[5].name = dup_str("name");
	s[5].has_type = 1;
	s[5].type = DXT_PQ_BYTE_ARRAY;
	s[5].has_repetition = 1;
	s[5].repetition = DXT_PQ_OPTIONAL;
	s[5].has_converted = 1;
	s[5].converted = DXT_PQ_CT_UTF8;
	s[5].logical.kind = DXT_PQ_LT_STRING;
	s[6].name = dup_str("id");
	s[6].has_type = 1;
	s[6].type = DXT_PQ_FIXED_LEN_BYTE_ARRAY;
	s[6].type_length = 16;
	s[6].has_repetition = 1;
	s[6].logical.kind = DXT_PQ_LT_UUID;

	fm->n_row_groups = 2;
	fm->row_groups = calloc(2, sizeof(*fm->row_groups));
	fm->row_groups[0].num_rows = 1000;
	fm->row_groups[0].total_byte_size = 50000;
	fm->row_groups[0].has_file_offset = 1;
	fm->row_groups[0].file_offset = 4;
	fm->row_groups[0].has_total_compressed_size = 1;
	fm->row_groups[0].total_compressed_size = 20000;
	fm->row_groups[0].n_columns = 2;
	fm->row_groups[0].columns = calloc(2, sizeof(struct dxt_pq_column_chunk));
	fm->row_groups[0].columns[0].file_path = dup_str("other.parquet");
	fm->row_groups[0].columns[0].file_offset = 4;
	fm->row_groups[0].columns[0].has_meta = 1;
	m = &fm->row_groups[0].columns[0].meta;
	m->type = DXT_PQ_INT64;
	m->n_encodings = 3;
	m->encodings = malloc(3 * sizeof(int32_t));
	m->encodings[0] = DXT_PQ_PLAIN;
	m->encodings[1] = DXT_PQ_RLE;
	m->encodings[2] = DXT_PQ_RLE_DICTIONARY;
	m->n_path = 2;
	m->path = calloc(2, sizeof(char *));
	m->path[0] = dup_str("a");
	m->path[1] = dup_str("b");
	m->codec = DXT_PQ_ZSTD;
	m->num_values = 1000;
	m->total_uncompressed_size = 8100;
	m->total_compressed_size = 3000;
	m->data_page_offset = 100;
	m->has_index_page_offset = 1;
	m->index_page_offset = 90;
	m->has_dictionary_page_offset = 1;
	m->dictionary_page_offset = 4;
	m->has_stats = 1;
	m->stats.has_null_count = 1;
	m->stats.null_count = 12;
	m->stats.has_distinct_count = 1;
	m->stats.distinct_count = 500;
	m->stats.has_min = 1;
	v = -5;
	m->stats.min_value = dup_bytes(&v, 8);
	m->stats.min_len = 8;
	m->stats.has_max = 1;
	v = 1ll << 40;
	m->stats.max_value = dup_bytes(&v, 8);
	m->stats.max_len = 8;
	/* A chunk without metadata and a row group without optionals. */
	fm->row_groups[0].columns[1].file_offset = 3100;
	fm->row_groups[1].num_rows = 1;
	fm->row_groups[1].total_byte_size = 10;

	fm->n_kv = 2;
	fm->kv = calloc(2, sizeof(*fm->kv));
	fm->kv[0].key = dup_str("dxt.schema");
	fm->kv[0].value = dup_str("{\"fields\":[]}");
	fm->kv[1].key = dup_str("no value");
}

START_TEST(round_trip_every_member)
{
	struct dxt_pq_file_meta fm, back;
	struct dxt_buf b = { 0 }, again = { 0 };
	struct dxt_error err = { 0 };
	struct dxt_pq_column_meta *m;
	int64_t v;

	build_full(&fm);
	ck_assert_int_eq(dxt_pq_file_meta_write(&b, &fm), DXT_OK);
	ck_assert_int_eq(dxt_pq_file_meta_read(b.data, b.len, "x.parquet",
					       &back, &err), DXT_OK);
	ck_assert_int_eq(back.version, 2);
	ck_assert_int_eq(back.num_rows, 1234567890123ll);
	ck_assert_str_eq(back.created_by, "dxt version 1.0");
	ck_assert_uint_eq(back.n_schema, 7);
	ck_assert_str_eq(back.schema[0].name, "schema");
	ck_assert(!back.schema[0].has_type);
	ck_assert(!back.schema[0].has_repetition);
	ck_assert_int_eq(back.schema[0].num_children, 6);
	ck_assert_int_eq(back.schema[0].logical.kind, DXT_PQ_LT_NONE);

	ck_assert_str_eq(back.schema[1].name, "price");
	ck_assert_int_eq(back.schema[1].type, DXT_PQ_FIXED_LEN_BYTE_ARRAY);
	ck_assert_int_eq(back.schema[1].type_length, 9);
	ck_assert_int_eq(back.schema[1].repetition, DXT_PQ_OPTIONAL);
	ck_assert(back.schema[1].has_converted);
	ck_assert_int_eq(back.schema[1].converted, DXT_PQ_CT_DECIMAL);
	ck_assert_int_eq(back.schema[1].scale, 2);
	ck_assert_int_eq(back.schema[1].precision, 20);
	ck_assert(back.schema[1].has_field_id);
	ck_assert_int_eq(back.schema[1].field_id, -7);
	ck_assert_int_eq(back.schema[1].logical.kind, DXT_PQ_LT_DECIMAL);
	ck_assert_int_eq(back.schema[1].logical.scale, 2);
	ck_assert_int_eq(back.schema[1].logical.precision, 20);

	ck_assert_int_eq(back.schema[2].logical.kind, DXT_PQ_LT_TIMESTAMP);
	ck_assert_int_eq(back.schema[2].logical.is_adjusted_to_utc, 1);
	ck_assert_int_eq(back.schema[2].logical.unit, DXT_PQ_NANOS);
	ck_assert(back.schema[2].has_repetition);
	ck_assert_int_eq(back.schema[2].repetition, DXT_PQ_REQUIRED);
	ck_assert(!back.schema[2].has_converted);
	ck_assert_int_eq(back.schema[3].logical.kind, DXT_PQ_LT_TIME);
	ck_assert_int_eq(back.schema[3].logical.is_adjusted_to_utc, 0);
	ck_assert_int_eq(back.schema[3].logical.unit, DXT_PQ_MILLIS);
	ck_assert_int_eq(back.schema[3].repetition, DXT_PQ_REPEATED);
	ck_assert_int_eq(back.schema[4].logical.kind, DXT_PQ_LT_INTEGER);
	ck_assert_int_eq(back.schema[4].logical.bit_width, 8);
	ck_assert_int_eq(back.schema[4].logical.is_signed, 0);
	ck_assert_int_eq(back.schema[4].converted, DXT_PQ_CT_UINT_8);
	ck_assert_int_eq(back.schema[5].logical.kind, DXT_PQ_LT_STRING);
	ck_assert_int_eq(back.schema[5].converted, DXT_PQ_CT_UTF8);
	ck_assert_int_eq(back.schema[6].logical.kind, DXT_PQ_LT_UUID);
	ck_assert_int_eq(back.schema[6].type_length, 16);

	ck_assert_uint_eq(back.n_row_groups, 2);
	ck_assert_int_eq(back.row_groups[0].num_rows, 1000);
	ck_assert_int_eq(back.row_groups[0].total_byte_size, 50000);
	ck_assert(back.row_groups[0].has_file_offset);
	ck_assert_int_eq(back.row_groups[0].file_offset, 4);
	ck_assert(back.row_groups[0].has_total_compressed_size);
	ck_assert_int_eq(back.row_groups[0].total_compressed_size, 20000);
	ck_assert_uint_eq(back.row_groups[0].n_columns, 2);
	ck_assert_str_eq(back.row_groups[0].columns[0].file_path,
			 "other.parquet");
	ck_assert(back.row_groups[0].columns[0].has_meta);
	m = &back.row_groups[0].columns[0].meta;
	ck_assert_int_eq(m->type, DXT_PQ_INT64);
	ck_assert_uint_eq(m->n_encodings, 3);
	ck_assert_int_eq(m->encodings[2], DXT_PQ_RLE_DICTIONARY);
	ck_assert_uint_eq(m->n_path, 2);
	ck_assert_str_eq(m->path[0], "a");
	ck_assert_str_eq(m->path[1], "b");
	ck_assert_int_eq(m->codec, DXT_PQ_ZSTD);
	ck_assert_int_eq(m->num_values, 1000);
	ck_assert_int_eq(m->total_uncompressed_size, 8100);
	ck_assert_int_eq(m->total_compressed_size, 3000);
	ck_assert_int_eq(m->data_page_offset, 100);
	ck_assert(m->has_index_page_offset);
	ck_assert_int_eq(m->index_page_offset, 90);
	ck_assert(m->has_dictionary_page_offset);
	ck_assert_int_eq(m->dictionary_page_offset, 4);
	ck_assert(m->has_stats);
	ck_assert_int_eq(m->stats.null_count, 12);
	ck_assert_int_eq(m->stats.distinct_count, 500);
	ck_assert_uint_eq(m->stats.min_len, 8);
	memcpy(&v, m->stats.min_value, 8);
	ck_assert_int_eq(v, -5);
	memcpy(&v, m->stats.max_value, 8);
	ck_assert_int_eq(v, 1ll << 40);
	ck_assert_ptr_null(back.row_groups[0].columns[1].file_path);
	ck_assert(!back.row_groups[0].columns[1].has_meta);
	ck_assert_int_eq(back.row_groups[0].columns[1].file_offset, 3100);
	ck_assert(!back.row_groups[1].has_file_offset);
	ck_assert(!back.row_groups[1].has_total_compressed_size);
	ck_assert_uint_eq(back.row_groups[1].n_columns, 0);

	ck_assert_uint_eq(back.n_kv, 2);
	ck_assert_str_eq(back.kv[0].key, "dxt.schema");
	ck_assert_str_eq(back.kv[0].value, "{\"fields\":[]}");
	ck_assert_str_eq(back.kv[1].key, "no value");
	ck_assert_ptr_null(back.kv[1].value);

	/* Encoding the decoded footer gives the same bytes. */
	ck_assert_int_eq(dxt_pq_file_meta_write(&again, &back), DXT_OK);
	ck_assert_uint_eq(again.len, b.len);
	ck_assert_mem_eq(again.data, b.data, b.len);

	dxt_pq_file_meta_free(&back);
	ck_assert_ptr_null(back.schema);
	dxt_pq_file_meta_free(&back);
	dxt_pq_file_meta_free(&fm);
	dxt_buf_free(&b);
	dxt_buf_free(&again);
}
END_TEST

/*
 * A footer in the shape parquet-cpp (Arrow) writes, encoded by hand from
 * parquet.thrift: one OPTIONAL INT64 column "a" with TIMESTAMP(MILLIS,
 * utc) and the legacy TIMESTAMP_MILLIS, fields this decoder skips
 * (offset_index_offset, encoding_stats, ordinal, column_orders), and legacy
 * statistics next to the new ones.
 */
static const uint8_t foreign[] = {
	0x15, 0x04,                         /* 1: version 2 */
	0x19, 0x2c,                         /* 2: schema, 2 structs */
	  0x48, 0x06, 's', 'c', 'h', 'e', 'm', 'a', /* 4: name */
	  0x15, 0x02,                       /* 5: num_children 1 */
	  0x00,
	  0x15, 0x04,                       /* 1: type INT64 */
	  0x25, 0x02,                       /* 3: repetition OPTIONAL */
	  0x18, 0x01, 'a',                  /* 4: name "a" */
	  0x25, 0x12,                       /* 6: converted TIMESTAMP_MILLIS */
	  0x4c,                             /* 10: logicalType */
	    0x8c,                           /* 8: TIMESTAMP */
	      0x11,                         /* 1: isAdjustedToUTC true */
	      0x1c,                         /* 2: unit */
	        0x1c, 0x00,                 /* 1: MILLIS {} */
	        0x00,
	      0x00,
	    0x00,
	  0x00,
	0x16, 0x06,                         /* 3: num_rows 3 */
	0x19, 0x1c,                         /* 4: row_groups, 1 struct */
	  0x19, 0x1c,                       /* 1: columns, 1 struct */
	    0x26, 0x08,                     /* 2: file_offset 4 */
	    0x1c,                           /* 3: meta_data */
	      0x15, 0x04,                   /* 1: type INT64 */
	      0x19, 0x35, 0x00, 0x06, 0x10, /* 2: encodings PLAIN RLE RLE_DICT */
	      0x19, 0x18, 0x01, 'a',        /* 3: path ["a"] */
	      0x15, 0x02,                   /* 4: codec SNAPPY */
	      0x16, 0x06,                   /* 5: num_values 3 */
	      0x16, 0xc8, 0x01,             /* 6: total_uncompressed 100 */
	      0x16, 0xb4, 0x01,             /* 7: total_compressed 90 */
	      0x26, 0x50,                   /* 9: data_page_offset 40 */
	      0x26, 0x08,                   /* 11: dictionary_page_offset 4 */
	      0x1c,                         /* 12: statistics */
	        0x18, 0x08, 99, 0, 0, 0, 0, 0, 0, 0, /* 1: max (legacy) 99 */
	        0x18, 0x08, 10, 0, 0, 0, 0, 0, 0, 0, /* 2: min (legacy) 10 */
	        0x16, 0x02,                 /* 3: null_count 1 */
	        0x28, 0x08, 30, 0, 0, 0, 0, 0, 0, 0, /* 5: max_value 30 */
	        0x00,
	      0x19, 0x1c,                   /* 13: encoding_stats, 1 struct */
	        0x15, 0x00, 0x15, 0x00, 0x15, 0x02, 0x00,
	      0x00,
	    0x16, 0xc8, 0x01,               /* 4: offset_index_offset 100 */
	    0x00,
	  0x16, 0xc8, 0x01,                 /* 2: total_byte_size 100 */
	  0x16, 0x06,                       /* 3: num_rows 3 */
	  0x26, 0x08,                       /* 5: file_offset 4 */
	  0x16, 0xb4, 0x01,                 /* 6: total_compressed_size 90 */
	  0x14, 0x00,                       /* 7: ordinal 0 (i16) */
	  0x00,
	0x19, 0x1c,                         /* 5: key_value_metadata */
	  0x18, 0x0c, 'A', 'R', 'R', 'O', 'W', ':', 's', 'c', 'h', 'e', 'm',
	  'a',
	  0x18, 0x01, 'x',
	  0x00,
	0x18, 0x20, 'p', 'a', 'r', 'q', 'u', 'e', 't', '-', 'c', 'p', 'p',
	'-', 'a', 'r', 'r', 'o', 'w', ' ', 'v', 'e', 'r', 's', 'i', 'o', 'n',
	' ', '1', '4', '.', '0', '.', '0',  /* 6: created_by */
	0x19, 0x1c,                         /* 7: column_orders */
	  0x1c, 0x00,                       /* 1: TYPE_ORDER {} */
	  0x00,
	0x00,
};

START_TEST(foreign_footer)
{
	struct dxt_pq_file_meta fm;
	struct dxt_error err = { 0 };
	struct dxt_pq_column_meta *m;
	int64_t v;

	ck_assert_msg(dxt_pq_file_meta_read(foreign, sizeof(foreign), "f",
					    &fm, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_int_eq(fm.version, 2);
	ck_assert_int_eq(fm.num_rows, 3);
	ck_assert_str_eq(fm.created_by, "parquet-cpp-arrow version 14.0.0");
	ck_assert_uint_eq(fm.n_schema, 2);
	ck_assert_int_eq(fm.schema[0].num_children, 1);
	ck_assert_str_eq(fm.schema[1].name, "a");
	ck_assert_int_eq(fm.schema[1].type, DXT_PQ_INT64);
	ck_assert_int_eq(fm.schema[1].repetition, DXT_PQ_OPTIONAL);
	ck_assert_int_eq(fm.schema[1].converted, DXT_PQ_CT_TIMESTAMP_MILLIS);
	ck_assert_int_eq(fm.schema[1].logical.kind, DXT_PQ_LT_TIMESTAMP);
	ck_assert_int_eq(fm.schema[1].logical.unit, DXT_PQ_MILLIS);
	ck_assert_int_eq(fm.schema[1].logical.is_adjusted_to_utc, 1);
	ck_assert_uint_eq(fm.n_row_groups, 1);
	ck_assert_int_eq(fm.row_groups[0].num_rows, 3);
	ck_assert_int_eq(fm.row_groups[0].total_compressed_size, 90);
	ck_assert_uint_eq(fm.row_groups[0].n_columns, 1);
	ck_assert_int_eq(fm.row_groups[0].columns[0].file_offset, 4);
	m = &fm.row_groups[0].columns[0].meta;
	ck_assert_uint_eq(m->n_encodings, 3);
	ck_assert_int_eq(m->encodings[1], DXT_PQ_RLE);
	ck_assert_str_eq(m->path[0], "a");
	ck_assert_int_eq(m->codec, DXT_PQ_SNAPPY);
	ck_assert_int_eq(m->total_uncompressed_size, 100);
	ck_assert_int_eq(m->total_compressed_size, 90);
	ck_assert_int_eq(m->data_page_offset, 40);
	ck_assert_int_eq(m->dictionary_page_offset, 4);
	ck_assert(!m->has_index_page_offset);
	ck_assert_int_eq(m->stats.null_count, 1);
	ck_assert(!m->stats.has_distinct_count);
	/* max_value wins over the legacy max; the legacy min fills in. */
	memcpy(&v, m->stats.max_value, 8);
	ck_assert_int_eq(v, 30);
	memcpy(&v, m->stats.min_value, 8);
	ck_assert_int_eq(v, 10);
	ck_assert_str_eq(fm.kv[0].key, "ARROW:schema");
	ck_assert_str_eq(fm.kv[0].value, "x");
	dxt_pq_file_meta_free(&fm);
}
END_TEST

/* Writes a footer after letting `edit` remove or change a member. */
static int read_edited(void (*edit)(struct dxt_pq_file_meta *),
		       struct dxt_error *err)
{
	struct dxt_pq_file_meta fm, back;
	struct dxt_buf b = { 0 };
	int rc;

	build_full(&fm);
	edit(&fm);
	ck_assert_int_eq(dxt_pq_file_meta_write(&b, &fm), DXT_OK);
	rc = dxt_pq_file_meta_read(b.data, b.len, "x.parquet", &back, err);
	if (rc == DXT_OK)
		dxt_pq_file_meta_free(&back);
	else
		ck_assert_ptr_null(back.schema);
	dxt_pq_file_meta_free(&fm);
	dxt_buf_free(&b);
	return rc;
}

START_TEST(missing_required)
{
	/* Hand-encoded: no num_rows and no row_groups. */
	static const uint8_t no_rows[] = {
		0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 'r', 0x00, 0x00,
	};
	/* A column chunk without file_offset. */
	static const uint8_t no_offset[] = {
		0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 'r', 0x00, 0x16, 0x00,
		0x19, 0x1c, 0x19, 0x1c, 0x00, 0x16, 0x00, 0x16, 0x00, 0x00,
		0x00,
	};
	/* A column meta_data holding only the type. */
	static const uint8_t thin_meta[] = {
		0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 'r', 0x00, 0x16, 0x00,
		0x19, 0x1c, 0x19, 0x1c, 0x26, 0x08, 0x1c, 0x15, 0x02, 0x00,
		0x00, 0x16, 0x00, 0x16, 0x00, 0x00, 0x00,
	};
	/* A schema element without a name. */
	static const uint8_t no_name[] = {
		0x15, 0x04, 0x19, 0x1c, 0x55, 0x02, 0x00, 0x16, 0x00, 0x19,
		0x0c, 0x00,
	};
	struct dxt_pq_file_meta fm;
	struct dxt_error err = { 0 };

	ck_assert_int_eq(dxt_pq_file_meta_read(no_rows, sizeof(no_rows),
					       "x.parquet", &fm, &err),
			 DXT_EPARSE);
	ck_assert_str_eq(err.message, "x.parquet: byte 9: file metadata lacks "
			 "the required field num_rows; the file is corrupt");
	ck_assert_ptr_null(fm.schema);
	ck_assert_int_eq(dxt_pq_file_meta_read(no_offset, sizeof(no_offset),
					       "x.parquet", &fm, &err),
			 DXT_EPARSE);
	ck_assert_str_eq(err.message, "x.parquet: byte 15: column chunk lacks "
			 "the required field file_offset; the file is "
			 "corrupt");
	ck_assert_int_eq(dxt_pq_file_meta_read(thin_meta, sizeof(thin_meta),
					       "x.parquet", &fm, &err),
			 DXT_EPARSE);
	ck_assert_str_eq(err.message, "x.parquet: byte 20: column metadata "
			 "lacks the required field encodings; the file is "
			 "corrupt");
	ck_assert_int_eq(dxt_pq_file_meta_read(no_name, sizeof(no_name),
					       "x.parquet", &fm, &err),
			 DXT_EPARSE);
	ck_assert_str_eq(err.message, "x.parquet: byte 7: schema element "
			 "lacks the required field name; the file is corrupt");
	ck_assert_int_eq(dxt_pq_file_meta_read("", 0, "x.parquet", &fm, &err),
			 DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "x.parquet: byte 0: "
				     "unexpected end of data"));
}
END_TEST

static void drop_key(struct dxt_pq_file_meta *fm)
{
	free(fm->kv[1].key);
	fm->kv[1].key = NULL;
	fm->kv[1].value = dup_str("v");
}

START_TEST(missing_key)
{
	/* The writer writes a NULL key as "", which decodes; a key/value
	 * entry without field 1 at all is refused. */
	static const uint8_t no_key[] = {
		0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 'r', 0x00, 0x16, 0x00,
		0x19, 0x0c, 0x19, 0x1c, 0x28, 0x01, 'v', 0x00, 0x00,
	};
	struct dxt_pq_file_meta fm;
	struct dxt_error err = { 0 };

	ck_assert_int_eq(read_edited(drop_key, &err), DXT_OK);
	ck_assert_int_eq(dxt_pq_file_meta_read(no_key, sizeof(no_key), "k",
					       &fm, &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "k: byte 18: key/value metadata entry "
			 "lacks the required field key; the file is corrupt");
}
END_TEST

START_TEST(hostile_sizes)
{
	/* A schema list claiming 2^31 elements in a 12-byte footer. */
	static const uint8_t huge[] = {
		0x15, 0x04, 0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00,
		0x00, 0x00,
	};
	/* 4 elements claimed, 10 bytes left: within the thrift bound of one
	 * byte per element, beyond three bytes per schema element. */
	static const uint8_t tight[] = {
		0x15, 0x04, 0x19, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	/* The schema list twice. */
	static const uint8_t twice[] = {
		0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 'r', 0x00,
		0x09, 0x04, 0x1c, 0x48, 0x01, 's', 0x00, 0x00,
	};
	/* Encodings given as a list of strings. */
	static const uint8_t wrong_elem[] = {
		0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 'r', 0x00, 0x16, 0x00,
		0x19, 0x1c, 0x19, 0x1c, 0x26, 0x08, 0x1c, 0x15, 0x02, 0x19,
		0x18, 0x01, 'a', 0x00, 0x00, 0x16, 0x00, 0x16, 0x00, 0x00,
		0x00,
	};
	struct dxt_pq_file_meta fm;
	struct dxt_error err = { 0 };

	ck_assert_int_eq(dxt_pq_file_meta_read(huge, sizeof(huge), "h", &fm,
					       &err), DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "h: byte 3: list longer "
				     "than the data left"));
	ck_assert_int_eq(dxt_pq_file_meta_read(tight, sizeof(tight), "h", &fm,
					       &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "h: byte 3: schema is longer than the "
			 "data left; the file is corrupt");
	ck_assert_int_eq(dxt_pq_file_meta_read(twice, sizeof(twice), "h", &fm,
					       &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "h: byte 10: schema appears twice; the "
			 "file is corrupt");
	ck_assert_int_eq(dxt_pq_file_meta_read(wrong_elem, sizeof(wrong_elem),
					       "h", &fm, &err), DXT_EPARSE);
	ck_assert_str_eq(err.message, "h: byte 20: column encodings has the "
			 "wrong element type; the file is corrupt");
}
END_TEST

START_TEST(unknown_logical_member)
{
	/* A LogicalType member newer than this decoder (id 16) is kept by
	 * id; one with a wrong-typed parameter is skipped. */
	static const uint8_t newer[] = {
		0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, 'r',
		0x6c,                 /* 10: logicalType */
		  0x0c, 0x20, 0x00,   /* 16: {} (long form field header) */
		  0x00,
		0x00, 0x16, 0x00, 0x19, 0x0c, 0x00,
	};
	struct dxt_pq_file_meta fm;
	struct dxt_error err = { 0 };

	ck_assert_msg(dxt_pq_file_meta_read(newer, sizeof(newer), "n", &fm,
					    &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_int_eq(fm.schema[0].logical.kind, 16);
	dxt_pq_file_meta_free(&fm);
}
END_TEST

/* Exact-size heap copies so ASan sees any read past the end. */
static void check_damage(const uint8_t *p, size_t len)
{
	struct dxt_pq_file_meta fm;
	struct dxt_error err = { 0 };
	uint8_t *copy;
	int rc;

	for (size_t n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, p, n);
		ck_assert_int_eq(dxt_pq_file_meta_read(copy, n, "t.parquet",
						       &fm, &err), DXT_EPARSE);
		ck_assert_msg(strstr(err.message, "t.parquet: byte ") ==
			      err.message, "%s", err.message);
		ck_assert_ptr_null(fm.schema);
		free(copy);
	}
	copy = malloc(len);
	for (size_t bit = 0; bit < len * 8; bit++) {
		memcpy(copy, p, len);
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = dxt_pq_file_meta_read(copy, len, "t.parquet", &fm, &err);
		ck_assert_msg(rc == DXT_OK || rc == DXT_EPARSE, "bit %zu: %d",
			      bit, rc);
		if (rc == DXT_OK)
			dxt_pq_file_meta_free(&fm);
		else
			ck_assert_ptr_null(fm.schema);
	}
	free(copy);
}

START_TEST(truncations_and_flips)
{
	struct dxt_pq_file_meta fm;
	struct dxt_buf b = { 0 };

	build_full(&fm);
	ck_assert_int_eq(dxt_pq_file_meta_write(&b, &fm), DXT_OK);
	check_damage(b.data, b.len);
	check_damage(foreign, sizeof(foreign));
	dxt_pq_file_meta_free(&fm);
	dxt_buf_free(&b);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(dxt_pq_physical_name(DXT_PQ_INT32), "INT32");
	ck_assert_str_eq(dxt_pq_physical_name(DXT_PQ_FIXED_LEN_BYTE_ARRAY),
			 "FIXED_LEN_BYTE_ARRAY");
	ck_assert_ptr_null(dxt_pq_physical_name(8));
	ck_assert_ptr_null(dxt_pq_physical_name(-1));
	ck_assert_str_eq(dxt_pq_codec_name(DXT_PQ_SNAPPY), "SNAPPY");
	ck_assert_str_eq(dxt_pq_codec_name(DXT_PQ_LZ4_RAW), "LZ4_RAW");
	ck_assert_ptr_null(dxt_pq_codec_name(8));
	ck_assert_str_eq(dxt_pq_encoding_name(DXT_PQ_PLAIN), "PLAIN");
	ck_assert_str_eq(dxt_pq_encoding_name(DXT_PQ_RLE_DICTIONARY),
			 "RLE_DICTIONARY");
	ck_assert_str_eq(dxt_pq_encoding_name(DXT_PQ_BYTE_STREAM_SPLIT),
			 "BYTE_STREAM_SPLIT");
	ck_assert_ptr_null(dxt_pq_encoding_name(1));
	ck_assert_ptr_null(dxt_pq_encoding_name(10));
}
END_TEST

Suite *dxt_test_parquet_meta(void)
{
	Suite *s = suite_create("parquet_meta");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trip_every_member);
	tcase_add_test(tc, foreign_footer);
	tcase_add_test(tc, missing_required);
	tcase_add_test(tc, missing_key);
	tcase_add_test(tc, hostile_sizes);
	tcase_add_test(tc, unknown_logical_member);
	tcase_add_test(tc, truncations_and_flips);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
