/*
 * parquet.h - the Parquet file writer and reader.
 *
 * The writer turns batches into one Parquet file through a byte sink; the
 * reader reads a file (any conforming writer's, within the features below)
 * back into bounded batches. The buffer's "parquet" format
 * (dxt_format_parquet, format.h) is a thin adapter over both, and the local
 * provider and `dxtd inspect` use them directly.
 *
 * Type mapping, written and read back unchanged:
 *
 *   DXT type      physical                 logical (converted)
 *   bool          BOOLEAN                  -
 *   int8/16/32    INT32                    INTEGER(8|16|32, signed) (INT_8..)
 *   int64         INT64                    INTEGER(64, signed) (INT_64)
 *   float32       FLOAT                    -
 *   float64       DOUBLE                   -
 *   decimal(p,s)  INT32 (p <= 9), INT64 (p <= 18), else FIXED_LEN_BYTE_ARRAY
 *                 of the fewest bytes holding p digits; DECIMAL(p,s)
 *   string        BYTE_ARRAY               STRING (UTF8)
 *   binary        BYTE_ARRAY               -
 *   json          BYTE_ARRAY               JSON (JSON)
 *   date          INT32                    DATE (DATE)
 *   time          INT64                    TIME(MICROS, utc=false) (TIME_MICROS)
 *   timestamp     INT64                    TIMESTAMP(MICROS, utc=false)
 *   timestamptz   INT64                    TIMESTAMP(MICROS, utc=true)
 *                                          (TIMESTAMP_MICROS)
 *   uuid          FIXED_LEN_BYTE_ARRAY(16) UUID
 *   null          INT32                    UNKNOWN (every value null)
 *
 * A nullable field is OPTIONAL (nulls through definition levels), the
 * others REQUIRED. Reading files from other writers additionally maps:
 * unsigned INTEGER to the next wider signed type (UINT_64 to decimal(20,0)),
 * TIME/TIMESTAMP in MILLIS or NANOS to microseconds (nanoseconds truncated
 * toward negative infinity), INT96 to timestamp (the Impala/Spark layout:
 * 8 bytes nanoseconds of day, 4 bytes Julian day), ENUM to string, BSON and
 * FLOAT16 to binary, a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY without a logical
 * type to binary, and every nested field (a group, LIST, MAP or a repeated
 * field) to one json column holding the value as JSON text (lists as arrays,
 * structs and maps with string keys as objects, other maps as arrays of
 * {"key":..., "value":...}), leaves in the JSON form of their DXT type
 * (numbers, strings, booleans, null; decimals, int64 beyond 2^53 and
 * binary as strings). The reader can also read with a schema given by the
 * caller (the buffer manifest's): the file's mapped schema must then equal
 * it (names, types, precision, scale), or the open fails listing the first
 * difference.
 *
 * The reader takes data pages v1 and v2 and dictionary pages; values in
 * PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT; levels
 * in RLE and the deprecated BIT_PACKED; pages compressed with snappy, gzip,
 * zstd, lz4, lz4_raw or brotli. A page that carries a CRC-32 is checked.
 *
 * Memory: the writer holds the current row group's encoded and compressed
 * pages until the row group is full; the reader holds one row group's column
 * chunks at a time (read with pread) and decodes them page by page into the
 * caller's batch. Neither grows with the file.
 *
 * Errors: every decode error is DXT_EPARSE (DXT_EUNSUPPORTED for a feature
 * outside the list above: an encoding, codec or type), never a crash or a
 * read outside the file, and its message names the file, the row group, the
 * column path and the page or byte offset ("x.parquet: row group 2, column
 * \"a.b\", page 3: ..."). Hostile sizes are checked against the file size
 * before allocation.
 *
 * Thread safety: a writer or reader belongs to one thread at a time.
 */
#ifndef DXT_PARQUET_H
#define DXT_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "error.h"
#include "format.h"
#include "parquet_meta.h"
#include "types.h"

/* --- writer ---------------------------------------------------------------- */

#define DXT_PQ_DEFAULT_ROW_GROUP_ROWS 122880
#define DXT_PQ_DEFAULT_ROW_GROUP_BYTES (64u << 20)
#define DXT_PQ_DEFAULT_PAGE_BYTES (1u << 20)
#define DXT_PQ_DEFAULT_DICT_BYTES (1u << 20)

struct dxt_pq_write_opts {
	enum dxt_pq_codec codec;  /* UNCOMPRESSED, SNAPPY, GZIP or ZSTD */
	int level;                /* codec level; 0 = codec default */
	size_t row_group_rows;    /* 0 = DXT_PQ_DEFAULT_ROW_GROUP_ROWS */
	size_t row_group_bytes;   /* uncompressed estimate; 0 = default */
	size_t page_bytes;        /* target data page size; 0 = default */
	/*
	 * Dictionary encoding is tried on every column except bool and
	 * floating point; a column falls back to PLAIN for the rest of the
	 * row group once its dictionary outgrows dict_bytes or holds more
	 * than half as many entries as values (no gain).
	 */
	bool no_dictionary;       /* false = dictionary where it pays */
	size_t dict_bytes;        /* 0 = DXT_PQ_DEFAULT_DICT_BYTES */
	int page_version;         /* 1 (default when 0) or 2 */
	bool page_crc;            /* a CRC-32 of each page in its header; the
				     reader checks any it finds */
	/* Key/value metadata added to the footer; both NULL-terminated lists
	 * of equal length, or NULL. Copied at open. */
	const char *const *kv_keys;
	const char *const *kv_values;
};

/* Fills opts with the defaults: codec ZSTD at level 1 (the buffer's
 * choice: staged data is read back once), every size 0 (the defaults
 * above), dictionary on, page version 1, no extra metadata. */
void dxt_pq_write_opts_default(struct dxt_pq_write_opts *opts);

struct dxt_pq_writer;

/*
 * Starts a file: writes the "PAR1" magic through `write`. schema is
 * borrowed and MUST outlive the writer. Every field type is writable; an
 * invalid option (codec the writer cannot write, page_version 3) is
 * DXT_EINVAL naming it.
 */
int dxt_pq_writer_open(const struct dxt_schema *schema,
		       const struct dxt_pq_write_opts *opts,
		       dxt_write_fn write, void *write_ctx,
		       struct dxt_pq_writer **out, struct dxt_error *err);

/*
 * Adds the batch's rows (its schema MUST be the writer's). Rows are encoded
 * as they come; a full row group is flushed through `write`. A NOT NULL
 * (REQUIRED) field holding a null is DXT_EINVAL naming the column and row.
 */
int dxt_pq_writer_write(struct dxt_pq_writer *w, const struct dxt_batch *b,
			struct dxt_error *err);

/* Rows added so far, and bytes handed to `write` so far. */
uint64_t dxt_pq_writer_rows(const struct dxt_pq_writer *w);
uint64_t dxt_pq_writer_bytes(const struct dxt_pq_writer *w);

/*
 * Flushes the last row group, writes the footer (schema, row groups,
 * statistics, "created_by" = "dxt version <v>", the key/value metadata and
 * "dxt.schema" = the DXT schema's JSON), its length and the closing magic,
 * and frees the writer, also on error.
 */
int dxt_pq_writer_close(struct dxt_pq_writer *w, struct dxt_error *err);

/* Frees the writer without writing more. NULL is a no-op. */
void dxt_pq_writer_abort(struct dxt_pq_writer *w);

/* --- reader ---------------------------------------------------------------- */

struct dxt_pq_reader;

/*
 * Opens `path`, checks both magics, reads and decodes the footer and maps
 * its schema (the table above). `expect` MAY be NULL; otherwise the mapped
 * schema must equal it and the reader yields batches of `expect` (which
 * MUST then outlive the reader). DXT_ENOTFOUND / DXT_EIO for file errors,
 * DXT_EPARSE / DXT_EUNSUPPORTED as above.
 */
int dxt_pq_reader_open(const char *path, const struct dxt_schema *expect,
		       struct dxt_pq_reader **out, struct dxt_error *err);

/* The mapped DXT schema (owned by the reader; `expect` when given). */
const struct dxt_schema *dxt_pq_reader_schema(const struct dxt_pq_reader *r);
/* The decoded footer, for `dxtd inspect`. Owned by the reader. */
const struct dxt_pq_file_meta *dxt_pq_reader_meta(const struct dxt_pq_reader *r);
/* Total rows per the footer. */
uint64_t dxt_pq_reader_rows(const struct dxt_pq_reader *r);

/*
 * Appends rows to b (initialised for dxt_pq_reader_schema(), possibly
 * holding rows) until it is full by `limits` or the file ends. Returns the
 * number of rows appended, 0 at the end of the file, or a negative code.
 */
long dxt_pq_reader_read(struct dxt_pq_reader *r, struct dxt_batch *b,
			const struct dxt_batch_limits *limits,
			struct dxt_error *err);

/* Closes the file and frees the reader. NULL is a no-op. */
void dxt_pq_reader_close(struct dxt_pq_reader *r);

#endif /* DXT_PARQUET_H */
