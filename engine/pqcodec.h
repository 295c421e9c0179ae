/*
 * pqcodec.h - compression of Parquet pages.
 *
 * Parquet compresses each page on its own with the column chunk's codec.
 * The writer uses UNCOMPRESSED, SNAPPY (libsnappy), GZIP (zlib, gzip
 * framing) and ZSTD (libzstd); the reader also takes LZ4_RAW (liblz4) and
 * BROTLI (libbrotlidec), which other writers produce. LZO and the
 * Hadoop-framed LZ4 are refused with a message naming the codec.
 *
 * A struct dxt_pq_codec_ctx holds the reusable compression contexts of one
 * writer or reader (a zstd context, a zlib stream), so pages do not pay for
 * setting them up. One context per thread; nothing is shared.
 */
#ifndef DXT_PQCODEC_H
#define DXT_PQCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "error.h"
#include "parquet_meta.h"

struct dxt_pq_codec_ctx;

/* Creates a context; NULL on out of memory. */
struct dxt_pq_codec_ctx *dxt_pq_codec_ctx_new(void);
/* Frees a context. NULL is a no-op. */
void dxt_pq_codec_ctx_free(struct dxt_pq_codec_ctx *c);

/* True for the codecs dxt_pq_compress() writes. */
int dxt_pq_codec_can_write(enum dxt_pq_codec codec);

/*
 * Appends the compression of src[0..n) with `codec` at `level` (0 = the
 * codec's default; zstd 1..22, gzip 1..9, ignored by snappy) to out.
 * UNCOMPRESSED appends src as is. DXT_OK, DXT_ENOMEM, or DXT_EINVAL for a
 * codec it cannot write.
 */
int dxt_pq_compress(struct dxt_pq_codec_ctx *c, enum dxt_pq_codec codec,
		    int level, const void *src, size_t n, struct dxt_buf *out,
		    struct dxt_error *err);

/*
 * Decompresses src[0..n) into dst[0..dst_len), where dst_len is the page's
 * uncompressed size from its header: output of any other length is
 * DXT_EPARSE ("decompressed to 100 bytes, the page header says 120"), as is
 * corrupt input. An unsupported codec is DXT_EUNSUPPORTED naming it.
 * Messages leave the file and column to the caller (dxt_error_prefix).
 */
int dxt_pq_decompress(struct dxt_pq_codec_ctx *c, enum dxt_pq_codec codec,
		      const void *src, size_t n, void *dst, size_t dst_len,
		      struct dxt_error *err);

#endif /* DXT_PQCODEC_H */
