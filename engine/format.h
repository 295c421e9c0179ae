/*
 * format.h - the buffer's record formats behind one interface.
 *
 * A format turns batches into the bytes of one part and back. The buffer
 * (buffer.h) owns files, compression streams, part rotation and checksums; a
 * format only sees a byte sink or source. Formats that compress internally
 * (parquet: per page) set DXT_FORMAT_OWN_CODEC: the buffer then gives them an
 * uncompressed stream and passes the codec in the options.
 *
 * Built-in formats: "csv", "jsonl" and "parquet" (parquet.h; OWN_CODEC and
 * SEEKABLE: pages are compressed inside the file and the reader needs the
 * file itself for its footer).
 *
 * Callbacks run on the thread that drives the buffer writer or reader.
 */
#ifndef DXT_FORMAT_H
#define DXT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "csv.h"
#include "error.h"
#include "iostream.h"
#include "types.h"

#define DXT_FORMAT_OWN_CODEC 0x1 /* compresses inside the format */
#define DXT_FORMAT_SEEKABLE 0x2  /* reader needs the raw file (pread) */

/* Options a format needs; filled from the buffer options. */
struct dxt_format_opts {
	enum dxt_codec codec;   /* for OWN_CODEC formats */
	int level;              /* codec level, 0 = default */
	struct dxt_csv_opts csv;
	size_t row_group_rows;  /* parquet: 0 = default */
	size_t row_group_bytes; /* parquet: 0 = default */
};

/* Write side: the part's byte sink. */
typedef int (*dxt_write_fn)(void *ctx, const void *p, size_t n,
			    struct dxt_error *err);

struct dxt_format {
	const char *name;  /* "csv" */
	const char *ext;   /* part file suffix before the codec's: ".csv" */
	unsigned flags;

	/*
	 * MUST: starts a part. `write` receives the encoded bytes. Writes any
	 * header. *state is the format's own.
	 */
	int (*writer_open)(const struct dxt_schema *schema,
			   const struct dxt_format_opts *opts,
			   dxt_write_fn write, void *write_ctx, void **state,
			   struct dxt_error *err);
	/* MUST: encodes every row of the batch. */
	int (*write_batch)(void *state, const struct dxt_batch *b,
			   struct dxt_error *err);
	/* MUST: writes any trailer and frees the state (also on error). */
	int (*writer_close)(void *state, struct dxt_error *err);
	/* MUST: frees the state after a failure without writing more. */
	void (*writer_abort)(void *state);

	/*
	 * MUST: starts reading a part. `read` yields decompressed bytes (or,
	 * for SEEKABLE formats, `path` is the raw part to open itself).
	 * `schema` is the manifest's and outlives the reader.
	 */
	int (*reader_open)(const struct dxt_schema *schema,
			   const struct dxt_format_opts *opts, const char *path,
			   dxt_read_fn read, void *read_ctx, void **state,
			   struct dxt_error *err);
	/*
	 * MUST: appends rows to `b` (initialised for the schema, possibly
	 * holding rows) until it is full by `limits` or the part ends.
	 * Returns the number of rows appended (0 = end of part) or a negative
	 * code; messages name the part and the line or row.
	 */
	long (*read_batch)(void *state, struct dxt_batch *b,
			   const struct dxt_batch_limits *limits,
			   struct dxt_error *err);
	/* MUST: frees the reader. NULL state is a no-op. */
	void (*reader_close)(void *state);
};

/* Looks a format up by name; NULL for unknown names and "passthrough". */
const struct dxt_format *dxt_format_find(const char *name);
/* NULL-terminated list of the record formats, for messages and docs. */
const struct dxt_format *const *dxt_format_list(void);

extern const struct dxt_format dxt_format_csv;
extern const struct dxt_format dxt_format_jsonl;
extern const struct dxt_format dxt_format_parquet;

#endif /* DXT_FORMAT_H */
