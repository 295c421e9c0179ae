/*
 * pqcodec.c - compression of Parquet pages (see pqcodec.h).
 *
 * Every page is one independent compressed block whose uncompressed size the
 * page header states, so decompression writes straight into a buffer of that
 * size and any other outcome (shorter, longer, corrupt) is a parse error.
 * Contexts that cost something to set up (zstd, zlib) are created on first
 * use and kept in the struct dxt_pq_codec_ctx for the next page.
 */
#include "pqcodec.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* The level the writer uses when the caller asks for the default (0). */
#define PQ_ZSTD_DEFAULT_LEVEL 1
#define PQ_GZIP_DEFAULT_LEVEL 6

struct dxt_pq_codec_ctx {
	ZSTD_CCtx *zc;
	ZSTD_DCtx *zd;
	z_stream def;      /* gzip writer, valid when def_level != 0 */
	int def_level;
	z_stream inf;      /* gzip reader, valid when inf_ready */
	int inf_ready;
};

struct dxt_pq_codec_ctx *dxt_pq_codec_ctx_new(void)
{
	return calloc(1, sizeof(struct dxt_pq_codec_ctx));
}

void dxt_pq_codec_ctx_free(struct dxt_pq_codec_ctx *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->zc);
	ZSTD_freeDCtx(c->zd);
	if (c->def_level)
		deflateEnd(&c->def);
	if (c->inf_ready)
		inflateEnd(&c->inf);
	free(c);
}

int dxt_pq_codec_can_write(enum dxt_pq_codec codec)
{
	return codec == DXT_PQ_UNCOMPRESSED || codec == DXT_PQ_SNAPPY ||
	       codec == DXT_PQ_GZIP || codec == DXT_PQ_ZSTD;
}

/* The codec's name for messages, also for values outside the enum. */
static const char *cname(enum dxt_pq_codec codec, char *tmp, size_t n)
{
	const char *s = dxt_pq_codec_name((int)codec);

	if (s)
		return s;
	snprintf(tmp, n, "%d", (int)codec);
	return tmp;
}

static int compress_gzip(struct dxt_pq_codec_ctx *c, int level,
			 const void *src, size_t n, struct dxt_buf *out,
			 struct dxt_error *err)
{
	uLong bound;
	int r;

	if (c->def_level && c->def_level != level) {
		deflateEnd(&c->def);
		c->def_level = 0;
	}
	if (!c->def_level) {
		memset(&c->def, 0, sizeof(c->def));
		/* 15 + 16: a 32 KiB window with the gzip header and trailer
		 * that Parquet's GZIP codec means. */
		r = deflateInit2(&c->def, level, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY);
		if (r != Z_OK)
			return dxt_error_set(err, DXT_ENOMEM,
					     "out of memory setting up a GZIP "
					     "page compressor");
		c->def_level = level;
	} else if (deflateReset(&c->def) != Z_OK) {
		return dxt_error_set(err, DXT_EINVAL,
				     "GZIP page compressor could not be reset");
	}
	bound = deflateBound(&c->def, (uLong)n);
	if (dxt_buf_reserve(out, bound) != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory "
				     "compressing a %zu-byte page", n);
	c->def.next_in = (Bytef *)(uintptr_t)src;
	c->def.avail_in = (uInt)n;
	c->def.next_out = out->data + out->len;
	c->def.avail_out = (uInt)bound;
	r = deflate(&c->def, Z_FINISH);
	if (r != Z_STREAM_END)
		return dxt_error_set(err, DXT_ENOMEM, "GZIP compression of a "
				     "%zu-byte page failed (zlib error %d)",
				     n, r);
	out->len += bound - c->def.avail_out;
	return DXT_OK;
}

static int compress_zstd(struct dxt_pq_codec_ctx *c, int level,
			 const void *src, size_t n, struct dxt_buf *out,
			 struct dxt_error *err)
{
	size_t bound = ZSTD_compressBound(n), r;

	if (!c->zc && !(c->zc = ZSTD_createCCtx()))
		return dxt_error_set(err, DXT_ENOMEM, "out of memory setting "
				     "up a ZSTD page compressor");
	r = ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, level);
	if (ZSTD_isError(r))
		return dxt_error_set(err, DXT_EINVAL, "ZSTD level %d: %s",
				     level, ZSTD_getErrorName(r));
	if (dxt_buf_reserve(out, bound) != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory "
				     "compressing a %zu-byte page", n);
	r = ZSTD_compress2(c->zc, out->data + out->len, bound, src, n);
	if (ZSTD_isError(r))
		return dxt_error_set(err, DXT_ENOMEM, "ZSTD compression of a "
				     "%zu-byte page failed: %s", n,
				     ZSTD_getErrorName(r));
	out->len += r;
	return DXT_OK;
}

int dxt_pq_compress(struct dxt_pq_codec_ctx *c, enum dxt_pq_codec codec,
		    int level, const void *src, size_t n, struct dxt_buf *out,
		    struct dxt_error *err)
{
	char tmp[16];
	size_t len;

	if (!dxt_pq_codec_can_write(codec))
		return dxt_error_set(err, DXT_EINVAL, "Parquet codec %s cannot "
				     "be written; use UNCOMPRESSED, SNAPPY, "
				     "GZIP or ZSTD", cname(codec, tmp,
							   sizeof(tmp)));
	/* Page sizes are int32 in the page header. */
	if (n > INT32_MAX)
		return dxt_error_set(err, DXT_EINVAL, "a Parquet page holds at "
				     "most 2 GiB, this one %zu bytes", n);
	switch (codec) {
	case DXT_PQ_SNAPPY:
		len = snappy_max_compressed_length(n);
		if (dxt_buf_reserve(out, len) != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory "
					     "compressing a %zu-byte page", n);
		if (snappy_compress(src, n, (char *)out->data + out->len,
				    &len) != SNAPPY_OK)
			return dxt_error_set(err, DXT_ENOMEM, "SNAPPY "
					     "compression of a %zu-byte page "
					     "failed", n);
		out->len += len;
		return DXT_OK;
	case DXT_PQ_GZIP:
		if (level < 0 || level > 9)
			return dxt_error_set(err, DXT_EINVAL, "GZIP level %d "
					     "is out of range; use 1 to 9 (0 "
					     "for the default)", level);
		return compress_gzip(c, level ? level : PQ_GZIP_DEFAULT_LEVEL,
				     src, n, out, err);
	case DXT_PQ_ZSTD:
		if (level < 0 || level > 22)
			return dxt_error_set(err, DXT_EINVAL, "ZSTD level %d "
					     "is out of range; use 1 to 22 (0 "
					     "for the default)", level);
		return compress_zstd(c, level ? level : PQ_ZSTD_DEFAULT_LEVEL,
				     src, n, out, err);
	default:
		if (dxt_buf_append(out, src, n) != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory "
					     "storing a %zu-byte page", n);
		return DXT_OK;
	}
}

static int size_mismatch(struct dxt_error *err, const char *codec,
			 size_t got, size_t want)
{
	return dxt_error_set(err, DXT_EPARSE, "%s page decompressed to %zu "
			     "bytes, the page header says %zu; the file is "
			     "corrupt", codec, got, want);
}

static int too_long(struct dxt_error *err, const char *codec, size_t want)
{
	return dxt_error_set(err, DXT_EPARSE, "%s page decompresses to more "
			     "than the %zu bytes the page header says; the "
			     "file is corrupt", codec, want);
}

static int corrupt(struct dxt_error *err, const char *codec, const char *why)
{
	return dxt_error_set(err, DXT_EPARSE, "%s page data is corrupt (%s)",
			     codec, why);
}

/*
 * Inflates one or more concatenated gzip members (some writers emit several
 * per page) into dst. Input must end exactly with the last member.
 */
static int decompress_gzip(struct dxt_pq_codec_ctx *c, const void *src,
			   size_t n, void *dst, size_t dst_len,
			   struct dxt_error *err)
{
	uint8_t probe;
	int r;

	if (!c->inf_ready) {
		memset(&c->inf, 0, sizeof(c->inf));
		/* 15 + 32: a 32 KiB window, zlib or gzip header detected. */
		if (inflateInit2(&c->inf, 15 + 32) != Z_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory "
					     "setting up a GZIP page reader");
		c->inf_ready = 1;
	} else if (inflateReset(&c->inf) != Z_OK) {
		return corrupt(err, "GZIP", "the decompressor could not be "
			       "reset");
	}
	c->inf.next_in = (Bytef *)(uintptr_t)src;
	c->inf.avail_in = (uInt)n;
	c->inf.next_out = dst;
	c->inf.avail_out = (uInt)dst_len;
	for (;;) {
		r = inflate(&c->inf, Z_FINISH);
		if (r == Z_STREAM_END) {
			if (c->inf.avail_in == 0)
				break;
			if (inflateReset(&c->inf) != Z_OK)
				return corrupt(err, "GZIP", "the decompressor "
					       "could not be reset");
			continue;
		}
		if (r == Z_BUF_ERROR && c->inf.avail_out == 0) {
			/* Output is full: one more byte tells a stream that
			 * is too long from one that is merely truncated. */
			c->inf.next_out = &probe;
			c->inf.avail_out = 1;
			r = inflate(&c->inf, Z_FINISH);
			if (c->inf.avail_out == 0)
				return too_long(err, "GZIP", dst_len);
			if (r == Z_STREAM_END && c->inf.avail_in == 0) {
				c->inf.avail_out = 0;
				break;
			}
			return corrupt(err, "GZIP", c->inf.msg ? c->inf.msg
				       : "the data ends early");
		}
		if (r == Z_BUF_ERROR)
			return corrupt(err, "GZIP", "the data ends early");
		if (r == Z_MEM_ERROR)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory "
					     "decompressing a GZIP page");
		return corrupt(err, "GZIP", c->inf.msg ? c->inf.msg
			       : "inflate failed");
	}
	if (c->inf.avail_out != 0)
		return size_mismatch(err, "GZIP", dst_len - c->inf.avail_out,
				     dst_len);
	return DXT_OK;
}

static int decompress_zstd(struct dxt_pq_codec_ctx *c, const void *src,
			   size_t n, void *dst, size_t dst_len,
			   struct dxt_error *err)
{
	size_t r;

	if (!c->zd && !(c->zd = ZSTD_createDCtx()))
		return dxt_error_set(err, DXT_ENOMEM, "out of memory setting "
				     "up a ZSTD page reader");
	r = ZSTD_decompressDCtx(c->zd, dst, dst_len, src, n);
	if (ZSTD_isError(r)) {
		if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
			return too_long(err, "ZSTD", dst_len);
		return corrupt(err, "ZSTD", ZSTD_getErrorName(r));
	}
	if (r != dst_len)
		return size_mismatch(err, "ZSTD", r, dst_len);
	return DXT_OK;
}

int dxt_pq_decompress(struct dxt_pq_codec_ctx *c, enum dxt_pq_codec codec,
		      const void *src, size_t n, void *dst, size_t dst_len,
		      struct dxt_error *err)
{
	size_t len;
	int r;

	/* Page sizes are int32 in the page header; larger ones are from a
	 * corrupt header and would not fit the libraries' int/uInt sizes. */
	if (n > INT32_MAX || dst_len > INT32_MAX)
		return dxt_error_set(err, DXT_EPARSE, "page size %zu "
				     "(compressed %zu) exceeds 2 GiB; the "
				     "file is corrupt", dst_len, n);
	switch (codec) {
	case DXT_PQ_UNCOMPRESSED:
		if (n != dst_len)
			return size_mismatch(err, "UNCOMPRESSED", n, dst_len);
		if (n)
			memcpy(dst, src, n);
		return DXT_OK;
	case DXT_PQ_SNAPPY:
		if (snappy_uncompressed_length(src, n, &len) != SNAPPY_OK)
			return corrupt(err, "SNAPPY", "bad length preamble");
		if (len != dst_len)
			return size_mismatch(err, "SNAPPY", len, dst_len);
		if (snappy_uncompress(src, n, dst, &len) != SNAPPY_OK)
			return corrupt(err, "SNAPPY", "bad block");
		return DXT_OK;
	case DXT_PQ_GZIP:
		return decompress_gzip(c, src, n, dst, dst_len, err);
	case DXT_PQ_ZSTD:
		return decompress_zstd(c, src, n, dst, dst_len, err);
	case DXT_PQ_LZ4_RAW:
		r = LZ4_decompress_safe(src, dst, (int)n, (int)dst_len);
		if (r < 0)
			return dxt_error_set(err, DXT_EPARSE, "LZ4_RAW page "
					     "data is corrupt or decompresses "
					     "to more than the %zu bytes the "
					     "page header says", dst_len);
		if ((size_t)r != dst_len)
			return size_mismatch(err, "LZ4_RAW", (size_t)r,
					     dst_len);
		return DXT_OK;
	case DXT_PQ_BROTLI:
		len = dst_len;
		if (BrotliDecoderDecompress(n, src, &len, dst) !=
		    BROTLI_DECODER_RESULT_SUCCESS)
			return dxt_error_set(err, DXT_EPARSE, "BROTLI page "
					     "data is corrupt or decompresses "
					     "to more than the %zu bytes the "
					     "page header says", dst_len);
		if (len != dst_len)
			return size_mismatch(err, "BROTLI", len, dst_len);
		return DXT_OK;
	case DXT_PQ_LZO:
		return dxt_error_set(err, DXT_EUNSUPPORTED, "pages compressed "
				     "with LZO cannot be read; rewrite the file "
				     "with SNAPPY, ZSTD or GZIP");
	case DXT_PQ_LZ4:
		return dxt_error_set(err, DXT_EUNSUPPORTED, "pages compressed "
				     "with the deprecated Hadoop-framed LZ4 "
				     "codec cannot be read; rewrite the file "
				     "with LZ4_RAW, SNAPPY or ZSTD");
	default:
		return dxt_error_set(err, DXT_EUNSUPPORTED, "compression codec "
				     "%d is unknown; the file is from a newer "
				     "writer or corrupt", (int)codec);
	}
}
