/*
 * parquet_format.c - the buffer's "parquet" format: a thin adapter from
 * struct dxt_format (format.h) to the Parquet writer and reader
 * (parquet.h).
 *
 * Parquet compresses each page itself (DXT_FORMAT_OWN_CODEC: the buffer
 * hands over an uncompressed byte sink and the codec in the options) and
 * reads its footer first (DXT_FORMAT_SEEKABLE: the reader opens the part
 * file by its path).
 */
#include "format.h"

#include <stdlib.h>

#include "parquet.h"

static int pq_codec_of(enum dxt_codec codec)
{
	switch (codec) {
	case DXT_CODEC_NONE:
		return DXT_PQ_UNCOMPRESSED;
	case DXT_CODEC_ZSTD:
		return DXT_PQ_ZSTD;
	case DXT_CODEC_GZIP:
		return DXT_PQ_GZIP;
	case DXT_CODEC_SNAPPY:
		return DXT_PQ_SNAPPY;
	}
	return DXT_PQ_ZSTD;
}

static int pq_writer_open(const struct dxt_schema *schema,
			  const struct dxt_format_opts *opts,
			  dxt_write_fn write, void *write_ctx, void **state,
			  struct dxt_error *err)
{
	struct dxt_pq_write_opts o;
	struct dxt_pq_writer *w;
	int rc;

	dxt_pq_write_opts_default(&o);
	o.codec = (enum dxt_pq_codec)pq_codec_of(opts->codec);
	o.level = opts->level;
	o.row_group_rows = opts->row_group_rows;
	o.row_group_bytes = opts->row_group_bytes;
	rc = dxt_pq_writer_open(schema, &o, write, write_ctx, &w, err);
	*state = rc == DXT_OK ? w : NULL;
	return rc;
}

static int pq_write_batch(void *state, const struct dxt_batch *b,
			  struct dxt_error *err)
{
	return dxt_pq_writer_write(state, b, err);
}

static int pq_writer_close(void *state, struct dxt_error *err)
{
	return dxt_pq_writer_close(state, err);
}

static void pq_writer_abort(void *state)
{
	dxt_pq_writer_abort(state);
}

static int pq_reader_open(const struct dxt_schema *schema,
			  const struct dxt_format_opts *opts, const char *path,
			  dxt_read_fn read, void *read_ctx, void **state,
			  struct dxt_error *err)
{
	struct dxt_pq_reader *r;
	int rc;

	(void)opts;
	(void)read;
	(void)read_ctx;
	rc = dxt_pq_reader_open(path, schema, &r, err);
	*state = rc == DXT_OK ? r : NULL;
	return rc;
}

static long pq_read_batch(void *state, struct dxt_batch *b,
			  const struct dxt_batch_limits *limits,
			  struct dxt_error *err)
{
	return dxt_pq_reader_read(state, b, limits, err);
}

static void pq_reader_close(void *state)
{
	dxt_pq_reader_close(state);
}

const struct dxt_format dxt_format_parquet = {
	.name = "parquet",
	.ext = ".parquet",
	.flags = DXT_FORMAT_OWN_CODEC | DXT_FORMAT_SEEKABLE,
	.writer_open = pq_writer_open,
	.write_batch = pq_write_batch,
	.writer_close = pq_writer_close,
	.writer_abort = pq_writer_abort,
	.reader_open = pq_reader_open,
	.read_batch = pq_read_batch,
	.reader_close = pq_reader_close,
};
