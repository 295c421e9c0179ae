/*
 * pqenc.h - Parquet value and level encodings (Encodings.md of parquet-format).
 *
 * The building blocks of the Parquet writer and reader: the RLE/bit-packing
 * hybrid (definition and repetition levels, dictionary indices, booleans),
 * DELTA_BINARY_PACKED (INT32, INT64), DELTA_LENGTH_BYTE_ARRAY and
 * DELTA_BYTE_ARRAY (BYTE_ARRAY), BYTE_STREAM_SPLIT (fixed-width values) and
 * the bit-packed PLAIN form of BOOLEAN.
 *
 * Encoders append to a struct dxt_buf and fail only with DXT_ENOMEM or, for
 * arguments the caller got wrong, DXT_EINVAL.
 *
 * Decoders take the encoded bytes as (pointer, length) and never read past
 * the end, whatever the bytes say: a page from a hostile or damaged file
 * yields DXT_EPARSE, never a crash. They decode exactly the number of values
 * the caller asks for (the page header knows it) and treat data that claims
 * more or fewer as malformed. On success `*used` (when not NULL) holds the
 * number of bytes consumed; on DXT_EPARSE it holds the offset, relative to
 * the pointer given, of the byte where decoding failed, and the message says
 * what was wrong there ("at byte 17"). Callers add the file, column and page
 * with dxt_error_prefix().
 *
 * Thread safety: every function is reentrant; nothing is shared.
 */
#ifndef DXT_PQENC_H
#define DXT_PQENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "error.h"

/* Bits needed to store v (0 for 0): the bit width of levels and indices. */
unsigned dxt_pq_bit_width(uint64_t v);

/*
 * RLE/bit-packing hybrid.
 *
 * dxt_pq_rle_encode() appends n values of `bw` bits (0..32) each. Repeats of
 * 8 or more become RLE runs, everything else bit-packed groups of 8 (the last
 * group padded with zeros). With `length_prefix` the runs are preceded by
 * their byte length as 4 bytes little endian, the form of levels in v1 data
 * pages. Returns DXT_EINVAL (with a message) when bw > 32 or a value does not
 * fit in bw bits, DXT_ENOMEM when out cannot grow.
 */
int dxt_pq_rle_encode(struct dxt_buf *out, const uint32_t *v, size_t n,
		      unsigned bw, bool length_prefix, struct dxt_error *err);

/*
 * Decodes n values of `bw` bits (0..32) from runs in p[0..len) into out[0..n).
 * A last run that declares more values than are left (an RLE run longer
 * than what is left, bit-packed groups beyond the group holding value n:
 * writers pad differently) gives the values needed and the rest is ignored.
 * Data that ends before n values, empty runs, RLE values wider than bw, a bw
 * above 32 and malformed run headers are DXT_EPARSE. Bytes after the run
 * holding value n are not read; `*used` says where that run ended (or len,
 * when its declared bytes go past the data).
 */
int dxt_pq_rle_decode(const uint8_t *p, size_t len, unsigned bw, uint32_t *out,
		      size_t n, size_t *used, struct dxt_error *err);

/*
 * Like dxt_pq_rle_decode() for the length-prefixed form: p starts with the
 * 4-byte length of the runs, which must fit in len; `*used` is 4 plus that
 * length on success.
 */
int dxt_pq_rle_decode_prefixed(const uint8_t *p, size_t len, unsigned bw,
			       uint32_t *out, size_t n, size_t *used,
			       struct dxt_error *err);

/*
 * Decodes n levels of `bw` bits (0..32) in the deprecated BIT_PACKED
 * encoding of data pages v1: packed from the most significant bit of each
 * byte, without a length prefix, ceil(n * bw / 8) bytes (`*used`). Data
 * shorter than that is DXT_EPARSE.
 */
int dxt_pq_bitpacked_msb_decode(const uint8_t *p, size_t len, unsigned bw,
				uint32_t *out, size_t n, size_t *used,
				struct dxt_error *err);

/* dxt_pq_rle_decode() into an int32 array (levels are never negative). */
static inline int dxt_pq_rle_decode_i32(const uint8_t *p, size_t len,
					unsigned bw, int32_t *out, size_t n,
					size_t *used, struct dxt_error *err)
{
	return dxt_pq_rle_decode(p, len, bw, (uint32_t *)out, n, used, err);
}

/*
 * DELTA_BINARY_PACKED, blocks of 128 values in 4 miniblocks of 32.
 *
 * The encoders append the n values (n MAY be 0). Arithmetic wraps in the
 * width of the type, as the format asks, so any values round-trip, and the
 * INT32 form never needs more than 32 bits per delta.
 *
 * The decoders read a header written by any writer (any block size that is
 * a multiple of 128 with miniblocks of a multiple of 8 values), require its
 * value count to equal n and write the values to out[0..n). Bit widths above
 * the type's width (32 or 64), truncated blocks and overlong varints are
 * DXT_EPARSE. `*used` is the end of the last miniblock holding a value, where
 * the next section of a DELTA_*_BYTE_ARRAY page begins.
 */
int dxt_pq_delta_encode_i32(struct dxt_buf *out, const int32_t *v, size_t n,
			    struct dxt_error *err);
int dxt_pq_delta_encode_i64(struct dxt_buf *out, const int64_t *v, size_t n,
			    struct dxt_error *err);
int dxt_pq_delta_decode_i32(const uint8_t *p, size_t len, int32_t *out,
			    size_t n, size_t *used, struct dxt_error *err);
int dxt_pq_delta_decode_i64(const uint8_t *p, size_t len, int64_t *out,
			    size_t n, size_t *used, struct dxt_error *err);

/*
 * Reads only the header of DELTA_BINARY_PACKED data and stores its total
 * value count in *count, so a caller can size its output. DXT_EPARSE when
 * the header is malformed or truncated.
 */
int dxt_pq_delta_count(const uint8_t *p, size_t len, uint64_t *count,
		       struct dxt_error *err);

/*
 * Byte arrays. Values are given and returned in the layout of a dxt_column
 * of a varlen type: n + 1 int32 offsets into a data buffer, value i being
 * data[offsets[i] .. offsets[i + 1]).
 *
 * The encoders append n values (offsets MUST be non-decreasing).
 *
 * The decoders append the n values' bytes to `data` and fill offsets[0..n]
 * (n + 1 entries, caller-allocated) with positions in data, offsets[0]
 * being data->len on entry. Negative lengths, prefixes longer than the
 * previous value, lengths beyond the page and value counts other than n
 * are DXT_EPARSE; DXT_ELIMIT when data would pass INT32_MAX bytes.
 * DELTA_BYTE_ARRAY allocates one scratch array of n int32 per call.
 */
int dxt_pq_dlba_encode(struct dxt_buf *out, const int32_t *offsets,
		       const uint8_t *data, size_t n, struct dxt_error *err);
int dxt_pq_dlba_decode(const uint8_t *p, size_t len, size_t n,
		       struct dxt_buf *data, int32_t *offsets, size_t *used,
		       struct dxt_error *err);
int dxt_pq_dba_encode(struct dxt_buf *out, const int32_t *offsets,
		      const uint8_t *data, size_t n, struct dxt_error *err);
int dxt_pq_dba_decode(const uint8_t *p, size_t len, size_t n,
		      struct dxt_buf *data, int32_t *offsets, size_t *used,
		      struct dxt_error *err);

/*
 * BYTE_STREAM_SPLIT of n values of `width` bytes (1..16; 4 for INT32 and
 * FLOAT, 8 for INT64 and DOUBLE). The encoder appends n * width bytes; the
 * decoder requires len == n * width (the streams' length follows from it)
 * and writes n * width bytes to out in the values' native little-endian
 * layout.
 */
int dxt_pq_bss_encode(struct dxt_buf *out, const void *v, size_t n,
		      size_t width, struct dxt_error *err);
int dxt_pq_bss_decode(const uint8_t *p, size_t len, size_t n, size_t width,
		      void *out, size_t *used, struct dxt_error *err);

/*
 * PLAIN BOOLEAN: one bit per value, LSB first, (n + 7) / 8 bytes.
 *
 * dxt_pq_bool_pack() appends n bools. dxt_pq_bool_pack_bits() appends the
 * bits of an LSB-first bitmap (a dxt_column's values), skipping positions
 * whose bit in `validity` is clear when validity is not NULL (nulls are not
 * stored in Parquet values). dxt_pq_bool_unpack() reads n values; fewer than
 * (n + 7) / 8 bytes is DXT_EPARSE.
 */
int dxt_pq_bool_pack(struct dxt_buf *out, const bool *v, size_t n);
int dxt_pq_bool_pack_bits(struct dxt_buf *out, const uint8_t *bits,
			  const uint8_t *validity, size_t n);
int dxt_pq_bool_unpack(const uint8_t *p, size_t len, size_t n, bool *out,
		       size_t *used, struct dxt_error *err);

#endif /* DXT_PQENC_H */
