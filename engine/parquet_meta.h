/*
 * parquet_meta.h - typed Parquet metadata structures over the Thrift compact
 * protocol (engine/thrift.h).
 *
 * Two parts:
 *
 *   - page headers: PageHeader with its DataPageHeader, DataPageHeaderV2 and
 *     DictionaryPageHeader, and their Statistics. Decoded binary statistics
 *     point into the input buffer, which must outlive the decoded struct. No
 *     allocation.
 *   - the file footer: FileMetaData with its SchemaElements (and their
 *     LogicalType), RowGroups, ColumnChunks, ColumnMetaData and key/value
 *     metadata. Decoding allocates: everything a decoded footer holds
 *     (strings NUL-terminated, arrays, statistics bytes) is owned by it and
 *     freed with dxt_pq_file_meta_free().
 *
 * Field ids follow parquet.thrift. Decoding skips fields it does not know,
 * so metadata from other writers decodes. Counts read from the input (list
 * sizes) are checked against the bytes left before anything is allocated,
 * so a hostile footer cannot make the decoder allocate more than a small
 * multiple of its own size.
 */
#ifndef DXT_PARQUET_META_H
#define DXT_PARQUET_META_H

#include <stdint.h>

#include "thrift.h"

enum dxt_pq_page_type {
	DXT_PQ_DATA_PAGE = 0,
	DXT_PQ_INDEX_PAGE = 1,
	DXT_PQ_DICTIONARY_PAGE = 2,
	DXT_PQ_DATA_PAGE_V2 = 3,
};

/* Statistics; a has_* flag says whether the optional field is present. */
struct dxt_pq_stats {
	int has_null_count, has_min, has_max;
	int64_t null_count;
	const uint8_t *min_value; /* field 6; points into the decoded input */
	const uint8_t *max_value; /* field 5 */
	size_t min_len, max_len;
};

struct dxt_pq_data_page {
	int32_t num_values;
	int32_t encoding;
	int32_t def_level_encoding;
	int32_t rep_level_encoding;
	int has_stats;
	struct dxt_pq_stats stats;
};

struct dxt_pq_data_page_v2 {
	int32_t num_values, num_nulls, num_rows;
	int32_t encoding;
	int32_t def_levels_len, rep_levels_len;
	int is_compressed; /* defaults to 1 when absent */
	int has_stats;
	struct dxt_pq_stats stats;
};

struct dxt_pq_dict_page {
	int32_t num_values;
	int32_t encoding;
	int has_is_sorted, is_sorted;
};

/* PageHeader; the sub-header matching type is the one encoded/decoded. */
struct dxt_pq_page_header {
	enum dxt_pq_page_type type;
	int32_t uncompressed_size;
	int32_t compressed_size;
	int has_crc;
	int32_t crc;
	struct dxt_pq_data_page data;
	struct dxt_pq_data_page_v2 data_v2;
	struct dxt_pq_dict_page dict;
};

/*
 * Appends h as one Thrift struct to out. DXT_OK, DXT_ENOMEM, or DXT_EINVAL
 * for a page type other than data, data v2 or dictionary.
 */
int dxt_pq_page_header_write(struct dxt_buf *out,
			     const struct dxt_pq_page_header *h);

/*
 * Decodes one PageHeader from p[0..len) into *h and stores the number of
 * bytes it took in *used (the page data follows). DXT_OK, or DXT_EPARSE with
 * err naming `what` and the byte offset, including when a required field
 * (type, sizes, the sub-header's num_values and encodings) is missing.
 */
int dxt_pq_page_header_read(const void *p, size_t len, const char *what,
			    struct dxt_pq_page_header *h, size_t *used,
			    struct dxt_error *err);

/* --- file footer ----------------------------------------------------------- */

/* Physical types (parquet.thrift Type). */
enum dxt_pq_physical {
	DXT_PQ_BOOLEAN = 0,
	DXT_PQ_INT32 = 1,
	DXT_PQ_INT64 = 2,
	DXT_PQ_INT96 = 3,
	DXT_PQ_FLOAT = 4,
	DXT_PQ_DOUBLE = 5,
	DXT_PQ_BYTE_ARRAY = 6,
	DXT_PQ_FIXED_LEN_BYTE_ARRAY = 7,
};

enum dxt_pq_repetition {
	DXT_PQ_REQUIRED = 0,
	DXT_PQ_OPTIONAL = 1,
	DXT_PQ_REPEATED = 2,
};

/* Legacy ConvertedType values (parquet.thrift), read from older writers and
 * written alongside the LogicalType for older readers. */
enum dxt_pq_converted {
	DXT_PQ_CT_UTF8 = 0,
	DXT_PQ_CT_MAP = 1,
	DXT_PQ_CT_MAP_KEY_VALUE = 2,
	DXT_PQ_CT_LIST = 3,
	DXT_PQ_CT_ENUM = 4,
	DXT_PQ_CT_DECIMAL = 5,
	DXT_PQ_CT_DATE = 6,
	DXT_PQ_CT_TIME_MILLIS = 7,
	DXT_PQ_CT_TIME_MICROS = 8,
	DXT_PQ_CT_TIMESTAMP_MILLIS = 9,
	DXT_PQ_CT_TIMESTAMP_MICROS = 10,
	DXT_PQ_CT_UINT_8 = 11,
	DXT_PQ_CT_UINT_16 = 12,
	DXT_PQ_CT_UINT_32 = 13,
	DXT_PQ_CT_UINT_64 = 14,
	DXT_PQ_CT_INT_8 = 15,
	DXT_PQ_CT_INT_16 = 16,
	DXT_PQ_CT_INT_32 = 17,
	DXT_PQ_CT_INT_64 = 18,
	DXT_PQ_CT_JSON = 19,
	DXT_PQ_CT_BSON = 20,
	DXT_PQ_CT_INTERVAL = 21,
};

/* LogicalType union members; the value is the union's field id. */
enum dxt_pq_logical_kind {
	DXT_PQ_LT_NONE = 0, /* no LogicalType present */
	DXT_PQ_LT_STRING = 1,
	DXT_PQ_LT_MAP = 2,
	DXT_PQ_LT_LIST = 3,
	DXT_PQ_LT_ENUM = 4,
	DXT_PQ_LT_DECIMAL = 5,
	DXT_PQ_LT_DATE = 6,
	DXT_PQ_LT_TIME = 7,
	DXT_PQ_LT_TIMESTAMP = 8,
	DXT_PQ_LT_INTEGER = 10,
	DXT_PQ_LT_UNKNOWN = 11, /* "NullType": always null */
	DXT_PQ_LT_JSON = 12,
	DXT_PQ_LT_BSON = 13,
	DXT_PQ_LT_UUID = 14,
	DXT_PQ_LT_FLOAT16 = 15,
};

enum dxt_pq_time_unit {
	DXT_PQ_MILLIS = 1, /* TimeUnit union field ids */
	DXT_PQ_MICROS = 2,
	DXT_PQ_NANOS = 3,
};

struct dxt_pq_logical {
	enum dxt_pq_logical_kind kind;
	int32_t scale, precision;  /* DECIMAL */
	int is_adjusted_to_utc;    /* TIME, TIMESTAMP */
	enum dxt_pq_time_unit unit; /* TIME, TIMESTAMP */
	int8_t bit_width;          /* INTEGER: 8, 16, 32, 64 */
	int is_signed;             /* INTEGER */
};

/* Compression codecs (parquet.thrift CompressionCodec). */
enum dxt_pq_codec {
	DXT_PQ_UNCOMPRESSED = 0,
	DXT_PQ_SNAPPY = 1,
	DXT_PQ_GZIP = 2,
	DXT_PQ_LZO = 3,
	DXT_PQ_BROTLI = 4,
	DXT_PQ_LZ4 = 5, /* Hadoop-framed LZ4, deprecated */
	DXT_PQ_ZSTD = 6,
	DXT_PQ_LZ4_RAW = 7,
};

/* Encodings (parquet.thrift Encoding). */
enum dxt_pq_encoding {
	DXT_PQ_PLAIN = 0,
	DXT_PQ_PLAIN_DICTIONARY = 2,
	DXT_PQ_RLE = 3,
	DXT_PQ_BIT_PACKED = 4,
	DXT_PQ_DELTA_BINARY_PACKED = 5,
	DXT_PQ_DELTA_LENGTH_BYTE_ARRAY = 6,
	DXT_PQ_DELTA_BYTE_ARRAY = 7,
	DXT_PQ_RLE_DICTIONARY = 8,
	DXT_PQ_BYTE_STREAM_SPLIT = 9,
};

/*
 * SchemaElement. The schema is the depth-first list of the tree: element 0
 * is the root (num_children > 0, no type); a group has num_children > 0 and
 * has_type 0; a leaf has a type.
 */
struct dxt_pq_schema_elem {
	char *name;
	int has_type;
	enum dxt_pq_physical type;
	int32_t type_length;        /* FIXED_LEN_BYTE_ARRAY width */
	int has_repetition;
	enum dxt_pq_repetition repetition;
	int32_t num_children;       /* 0 for leaves */
	int has_converted;
	enum dxt_pq_converted converted;
	int32_t scale, precision;   /* legacy DECIMAL (with converted) */
	int has_field_id;
	int32_t field_id;
	struct dxt_pq_logical logical; /* kind NONE when absent */
};

/* Owned statistics of a column chunk (min/max copied). */
struct dxt_pq_col_stats {
	int has_null_count, has_min, has_max, has_distinct_count;
	int64_t null_count, distinct_count;
	uint8_t *min_value, *max_value; /* min_value/max_value (fields 6/5);
					   the legacy min/max (2/1) are read
					   into these when the new ones are
					   absent */
	size_t min_len, max_len;
};

struct dxt_pq_column_meta {
	enum dxt_pq_physical type;
	int32_t *encodings;
	size_t n_encodings;
	char **path;                /* path_in_schema, n_path names */
	size_t n_path;
	enum dxt_pq_codec codec;
	int64_t num_values;
	int64_t total_uncompressed_size;
	int64_t total_compressed_size;
	int64_t data_page_offset;
	int has_index_page_offset;
	int64_t index_page_offset;
	int has_dictionary_page_offset;
	int64_t dictionary_page_offset;
	int has_stats;
	struct dxt_pq_col_stats stats;
};

struct dxt_pq_column_chunk {
	char *file_path;            /* NULL: this file (the only case read) */
	int64_t file_offset;
	int has_meta;
	struct dxt_pq_column_meta meta;
};

struct dxt_pq_row_group {
	struct dxt_pq_column_chunk *columns;
	size_t n_columns;
	int64_t total_byte_size;
	int64_t num_rows;
	int has_file_offset;
	int64_t file_offset;
	int has_total_compressed_size;
	int64_t total_compressed_size;
};

struct dxt_pq_kv {
	char *key;
	char *value; /* NULL when absent */
};

struct dxt_pq_file_meta {
	int32_t version;
	struct dxt_pq_schema_elem *schema;
	size_t n_schema;
	int64_t num_rows;
	struct dxt_pq_row_group *row_groups;
	size_t n_row_groups;
	struct dxt_pq_kv *kv;
	size_t n_kv;
	char *created_by;           /* NULL when absent */
};

/*
 * Appends fm as one Thrift struct (the footer body, without the length and
 * magic that follow it in a file). Optional members are written when their
 * has_* flag is set (pointers: when not NULL); the LogicalType when kind is
 * not NONE. Only reads fm. DXT_OK or DXT_ENOMEM.
 */
int dxt_pq_file_meta_write(struct dxt_buf *out,
			   const struct dxt_pq_file_meta *fm);

/*
 * Decodes a FileMetaData from p[0..len) into *fm (zeroed first). DXT_OK, or
 * DXT_EPARSE with err naming `what` (the file) and the byte offset, also
 * when a required field is missing (version, schema, num_rows, row_groups;
 * a schema element's name; a column chunk's file_offset; a column meta's
 * type, encodings, path, codec, sizes, num_values and data_page_offset), or
 * DXT_ENOMEM. On failure *fm holds nothing to free. Structural checks of the
 * schema tree and of offsets against the file size are the reader's job.
 */
int dxt_pq_file_meta_read(const void *p, size_t len, const char *what,
			  struct dxt_pq_file_meta *fm, struct dxt_error *err);

/* Frees everything a decoded (or hand-built, all members malloc'ed) footer
 * holds and zeroes it. Safe on a zeroed struct. */
void dxt_pq_file_meta_free(struct dxt_pq_file_meta *fm);

/* Names for messages and `dxtd inspect`: "INT32", "SNAPPY", "PLAIN",
 * "RLE_DICTIONARY"; "UNKNOWN(<n>)" is never returned: unknown values give
 * NULL. */
const char *dxt_pq_physical_name(int type);
const char *dxt_pq_codec_name(int codec);
const char *dxt_pq_encoding_name(int encoding);

#endif /* DXT_PARQUET_META_H */
