/*
 * parquet_meta.h - typed Parquet metadata structures over the Thrift compact
 * protocol (engine/thrift.h).
 *
 * This part covers page headers: PageHeader with its DataPageHeader,
 * DataPageHeaderV2 and DictionaryPageHeader, and their Statistics. Field ids
 * follow parquet.thrift. Decoding skips fields it does not know, so headers
 * from other writers decode; decoded binary statistics point into the input
 * buffer, which must outlive the decoded struct. No allocation.
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

#endif /* DXT_PARQUET_META_H */
