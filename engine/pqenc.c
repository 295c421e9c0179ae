/*
 * pqenc.c - Parquet value and level encodings.
 *
 * Bit-packed data is LSB first throughout Parquet (the hybrid's bit-packed
 * runs, DELTA_BINARY_PACKED miniblocks and PLAIN booleans), so one pair of
 * helpers reads and writes a value of up to 64 bits at any bit position. The
 * reader loads 8 bytes at a time where 8 bytes are left in the region being
 * decoded and assembles the last few bytes one at a time, so it never
 * touches memory past the region it was given. The writer ORs values into a
 * zeroed region that has 8 bytes of zeroed slack reserved behind it and only
 * counts the region itself into the buffer's length.
 */
#include "pqenc.h"

#include <endian.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RLE_MAX_RUN (1u << 30)      /* keeps (count << 1) in 32 bits */
#define RLE_MAX_GROUPS (1u << 24)   /* 8 Mi values per bit-packed run */
#define DELTA_BLOCK 128
#define DELTA_MINIBLOCKS 4
#define DELTA_MINI (DELTA_BLOCK / DELTA_MINIBLOCKS)
#define DELTA_MAX_BLOCK (1u << 20)  /* a sanity bound on foreign headers */

/*
 * Records a malformed-input error at byte `at` of the section named by
 * `what`, stores the offset in *used and returns DXT_EPARSE.
 */
static int __attribute__((format(printf, 5, 6)))
bad(struct dxt_error *err, size_t *used, size_t at, const char *what,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (used != NULL)
		*used = at;
	return dxt_error_set(err, DXT_EPARSE,
			     "%s: %s at byte %zu; the file is damaged or was "
			     "not written as Parquet", what, msg, at);
}

static int nomem(struct dxt_error *err, const char *what)
{
	return dxt_error_set(err, DXT_ENOMEM, "%s: out of memory", what);
}

unsigned dxt_pq_bit_width(uint64_t v)
{
	return v == 0 ? 0 : 64u - (unsigned)__builtin_clzll(v);
}

/* ---- bits ------------------------------------------------------------ */

static inline uint64_t load64(const uint8_t *q, const uint8_t *end)
{
	uint64_t w = 0;

	if (end - q >= 8) {
		memcpy(&w, q, 8);
		return le64toh(w);
	}
	for (unsigned i = 0; q + i < end; i++)
		w |= (uint64_t)q[i] << (8 * i);
	return w;
}

/*
 * The bw-bit value at bit `bit` of base. The value's bits MUST lie before
 * end; bytes beyond end are never read.
 */
static inline uint64_t get_bits(const uint8_t *base, const uint8_t *end,
				uint64_t bit, unsigned bw)
{
	const uint8_t *q = base + (bit >> 3);
	unsigned sh = (unsigned)(bit & 7);
	uint64_t w = load64(q, end) >> sh;

	if (sh + bw > 64)
		w |= (uint64_t)q[8] << (64 - sh);
	if (bw < 64)
		w &= (UINT64_C(1) << bw) - 1;
	return w;
}

/*
 * ORs the bw-bit value v (no bits above bw) in at bit `bit` of base, which
 * is zeroed and has 8 zeroed bytes of slack behind the region.
 */
static inline void put_bits(uint8_t *base, uint64_t bit, unsigned bw,
			    uint64_t v)
{
	uint8_t *q = base + (bit >> 3);
	unsigned sh = (unsigned)(bit & 7);
	uint64_t w;

	memcpy(&w, q, 8);
	w = htole64(le64toh(w) | (v << sh));
	memcpy(q, &w, 8);
	if (sh + bw > 64)
		q[8] |= (uint8_t)(v >> (64 - sh));
}

/*
 * Reserves `bytes` zeroed bytes plus zeroed slack at the end of out and
 * returns where they start (the length is not advanced), or NULL.
 */
static uint8_t *zeroed_region(struct dxt_buf *out, size_t bytes)
{
	if (bytes > SIZE_MAX - 9 || dxt_buf_reserve(out, bytes + 9) != DXT_OK)
		return NULL;
	memset(out->data + out->len, 0, bytes + 9);
	return out->data + out->len;
}

/* ---- varints --------------------------------------------------------- */

static inline int put_uvarint(struct dxt_buf *out, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	return dxt_buf_append(out, tmp, n);
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t u)
{
	return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

/*
 * Reads a ULEB128 varint at *pos. Returns 0, -1 when the input ends inside
 * it or -2 when it does not fit in 64 bits.
 */
static inline int get_uvarint(const uint8_t *p, size_t len, size_t *pos,
			      uint64_t *v)
{
	uint64_t r = 0;
	unsigned shift = 0;
	size_t i = *pos;

	for (;;) {
		uint8_t b;

		if (i >= len)
			return -1;
		b = p[i++];
		if (shift == 63 && (b & 0xfe))
			return -2;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*pos = i;
	*v = r;
	return 0;
}

static int bad_varint(struct dxt_error *err, size_t *used, size_t at,
		      const char *what, const char *field, int rc)
{
	return bad(err, used, at, what, "%s %s", field,
		   rc == -1 ? "is cut off by the end of the data"
			    : "is a varint longer than 64 bits");
}

/* ---- RLE / bit-packing hybrid ----------------------------------------- */

static const char RLE[] = "parquet RLE/bit-packed data";

static int rle_put_run(struct dxt_buf *out, uint32_t val, size_t count,
		       unsigned bw)
{
	unsigned vb = (bw + 7) / 8;
	uint8_t le[4];

	for (unsigned i = 0; i < 4; i++)
		le[i] = (uint8_t)(val >> (8 * i));
	while (count > 0) {
		size_t c = count < RLE_MAX_RUN ? count : RLE_MAX_RUN;

		if (put_uvarint(out, (uint64_t)c << 1) != DXT_OK ||
		    dxt_buf_append(out, le, vb) != DXT_OK)
			return DXT_ENOMEM;
		count -= c;
	}
	return DXT_OK;
}

/* Writes v[0..count) as bit-packed runs, the last group padded with 0. */
static int rle_put_literal(struct dxt_buf *out, const uint32_t *v,
			   size_t count, unsigned bw)
{
	while (count > 0) {
		size_t groups = (count + 7) / 8, c, bytes;
		uint8_t *base;

		if (groups > RLE_MAX_GROUPS)
			groups = RLE_MAX_GROUPS;
		c = groups * 8 < count ? groups * 8 : count;
		if (put_uvarint(out, ((uint64_t)groups << 1) | 1) != DXT_OK)
			return DXT_ENOMEM;
		bytes = groups * bw;
		base = zeroed_region(out, bytes);
		if (base == NULL)
			return DXT_ENOMEM;
		if (bw > 0) {
			for (size_t i = 0; i < c; i++)
				put_bits(base, (uint64_t)i * bw, bw, v[i]);
		}
		out->len += bytes;
		v += c;
		count -= c;
	}
	return DXT_OK;
}

int dxt_pq_rle_encode(struct dxt_buf *out, const uint32_t *v, size_t n,
		      unsigned bw, bool length_prefix, struct dxt_error *err)
{
	size_t start = out->len, i = 0, lit = 0;
	uint32_t any = 0;

	if (bw > 32)
		return dxt_error_set(err, DXT_EINVAL,
				     "%s: bit width %u is above 32", RLE, bw);
	for (size_t k = 0; k < n; k++)
		any |= v[k];
	if (bw < 32 && (any >> bw) != 0)
		return dxt_error_set(err, DXT_EINVAL,
				     "%s: a value needs more than the %u bits "
				     "given as bit width", RLE, bw);
	if (length_prefix && dxt_buf_append(out, "\0\0\0\0", 4) != DXT_OK)
		return nomem(err, RLE);

	/*
	 * A repeat of 8 or more values becomes an RLE run once the pending
	 * literal values fill whole groups of 8: the run lends the literal
	 * the few values that complete its last group, and stays an RLE run
	 * only when 8 or more remain, since bit-packed groups can be cut only
	 * at the very end.
	 */
	while (i < n) {
		size_t r = 1;

		while (i + r < n && v[i + r] == v[i])
			r++;
		if (r >= 8) {
			size_t pend = (i - lit) % 8;
			size_t lend = pend ? 8 - pend : 0;

			if (r - lend >= 8) {
				if (rle_put_literal(out, v + lit,
						    i + lend - lit, bw) != DXT_OK ||
				    rle_put_run(out, v[i], r - lend,
						bw) != DXT_OK)
					goto oom;
				i += r;
				lit = i;
				continue;
			}
		}
		i += r;
	}
	if (rle_put_literal(out, v + lit, n - lit, bw) != DXT_OK)
		goto oom;
	if (length_prefix) {
		size_t body = out->len - start - 4;

		if (body > UINT32_MAX) {
			out->len = start;
			return dxt_error_set(err, DXT_EINVAL,
					     "%s: %zu bytes do not fit the "
					     "4-byte length prefix", RLE, body);
		}
		for (unsigned k = 0; k < 4; k++)
			out->data[start + k] = (uint8_t)(body >> (8 * k));
	}
	return DXT_OK;
oom:
	out->len = start;
	return nomem(err, RLE);
}

/*
 * Unpacks c values of bw bits, LSB first, from p[0..plen) (bytes past plen
 * read as 0: the caller checked that the values themselves are there).
 */
static void unpack_bits(const uint8_t *p, size_t plen, unsigned bw,
			uint32_t *out, size_t c)
{
	uint32_t mask = bw == 32 ? UINT32_MAX : ((uint32_t)1 << bw) - 1;
	uint64_t acc = 0;
	unsigned have = 0;
	size_t at = 0;

	if (bw == 0) {
		memset(out, 0, c * sizeof(*out));
		return;
	}
	for (size_t i = 0; i < c; i++) {
		while (have < bw) {
			acc |= (uint64_t)(at < plen ? p[at] : 0) << have;
			at++;
			have += 8;
		}
		out[i] = (uint32_t)acc & mask;
		acc >>= bw;
		have -= bw;
	}
}

/*
 * Writers do not agree on how the last run ends: DuckDB declares bit-packed
 * runs of more groups than values remain, others repeat an RLE run past the
 * end. The decoder takes the n values it needs and ignores what a run
 * declares beyond them, as parquet-mr and Arrow do, while never reading
 * past len.
 */
int dxt_pq_rle_decode(const uint8_t *p, size_t len, unsigned bw, uint32_t *out,
		      size_t n, size_t *used, struct dxt_error *err)
{
	size_t pos = 0, k = 0, vb = (bw + 7) / 8;

	if (bw > 32)
		return bad(err, used, 0, RLE, "bit width %u is above 32", bw);
	while (k < n) {
		size_t at = pos, left = n - k;
		uint64_t h;
		int rc = get_uvarint(p, len, &pos, &h);

		if (rc != 0)
			return bad_varint(err, used, at, RLE, "the run header",
					  rc);
		if (h & 1) {
			uint64_t groups = h >> 1;
			size_t c, need;

			if (groups == 0)
				return bad(err, used, at, RLE,
					   "an empty bit-packed run");
			c = groups >= (left + 7) / 8 ? left
						     : (size_t)groups * 8;
			need = (c * bw + 7) / 8;
			if (need > len - pos)
				return bad(err, used, at, RLE,
					   "a bit-packed run needs %zu bytes "
					   "but %zu are left", need,
					   len - pos);
			unpack_bits(p + pos, len - pos, bw, out + k, c);
			/* The run's declared bytes, as far as they exist. */
			if (groups > (len - pos) / (bw ? bw : 1) + 1)
				pos = len;
			else
				pos += (size_t)groups * bw < len - pos
					       ? (size_t)groups * bw
					       : len - pos;
			k += c;
		} else {
			uint64_t count = h >> 1;
			uint32_t val = 0;
			size_t c;

			if (count == 0)
				return bad(err, used, at, RLE,
					   "an empty RLE run");
			if (vb > len - pos)
				return bad(err, used, at, RLE,
					   "an RLE run's value is cut off by "
					   "the end of the data");
			for (size_t b = 0; b < vb; b++)
				val |= (uint32_t)p[pos + b] << (8 * b);
			if (bw < 32 && (val >> bw) != 0)
				return bad(err, used, pos, RLE,
					   "RLE value %" PRIu32 " does not fit "
					   "in bit width %u", val, bw);
			pos += vb;
			c = count < left ? (size_t)count : left;
			for (size_t j = 0; j < c; j++)
				out[k + j] = val;
			k += c;
		}
	}
	if (used != NULL)
		*used = pos;
	return DXT_OK;
}

int dxt_pq_rle_decode_prefixed(const uint8_t *p, size_t len, unsigned bw,
			       uint32_t *out, size_t n, size_t *used,
			       struct dxt_error *err)
{
	uint32_t body;
	size_t u = 0;
	int rc;

	if (len < 4)
		return bad(err, used, 0, RLE,
			   "the 4-byte length prefix is cut off (%zu bytes)",
			   len);
	body = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
	if (body > len - 4)
		return bad(err, used, 0, RLE,
			   "the length prefix says %" PRIu32 " bytes but %zu "
			   "follow", body, len - 4);
	rc = dxt_pq_rle_decode(p + 4, body, bw, out, n, &u, err);
	if (used != NULL)
		*used = rc == DXT_OK ? 4 + (size_t)body : 4 + u;
	return rc;
}

/* ---- BIT_PACKED (deprecated, levels only) ----------------------------- */

int dxt_pq_bitpacked_msb_decode(const uint8_t *p, size_t len, unsigned bw,
				uint32_t *out, size_t n, size_t *used,
				struct dxt_error *err)
{
	static const char BP[] = "parquet BIT_PACKED levels";
	size_t need;
	uint64_t bit = 0;

	if (bw > 32)
		return bad(err, used, 0, BP, "bit width %u is over 32", bw);
	if (n > (SIZE_MAX - 7) / (bw ? bw : 1))
		return bad(err, used, 0, BP, "%zu values are too many", n);
	need = (n * bw + 7) / 8;
	if (need > len)
		return bad(err, used, len, BP,
			   "%zu values of %u bits need %zu bytes, %zu are "
			   "left", n, bw, need, len);
	/* Most significant bit first, values one after another. */
	for (size_t i = 0; i < n; i++) {
		uint32_t v = 0;

		for (unsigned b = 0; b < bw; b++, bit++)
			v = v << 1 | ((p[bit >> 3] >> (7 - (bit & 7))) & 1u);
		out[i] = v;
	}
	if (used != NULL)
		*used = need;
	return DXT_OK;
}

/* ---- DELTA_BINARY_PACKED --------------------------------------------- */

static const char DBP[] = "parquet DELTA_BINARY_PACKED data";

/*
 * Encodes n values given as int64 (int32 values sign-extended), computing
 * deltas modulo 2^32 when is32 so that they fit 32 bits.
 */
static int delta_encode(struct dxt_buf *out, const void *vals, size_t n,
			bool is32, struct dxt_error *err)
{
	const int32_t *v32 = vals;
	const int64_t *v64 = vals;
	size_t start = out->len;
	int64_t prev;

#define VAL(i) (is32 ? (int64_t)v32[i] : v64[i])
	prev = n > 0 ? VAL(0) : 0;
	if (put_uvarint(out, DELTA_BLOCK) != DXT_OK ||
	    put_uvarint(out, DELTA_MINIBLOCKS) != DXT_OK ||
	    put_uvarint(out, n) != DXT_OK ||
	    put_uvarint(out, zigzag(prev)) != DXT_OK)
		goto oom;
	for (size_t i = 1; i < n; i += DELTA_BLOCK) {
		size_t cnt = n - i < DELTA_BLOCK ? n - i : DELTA_BLOCK;
		int64_t d[DELTA_BLOCK], mind;
		uint64_t rel[DELTA_BLOCK];
		uint8_t widths[DELTA_MINIBLOCKS] = { 0 };
		size_t nmini = (cnt + DELTA_MINI - 1) / DELTA_MINI, bytes = 0;
		uint8_t *base;

		for (size_t j = 0; j < cnt; j++) {
			int64_t cur = VAL(i + j);

			if (is32)
				d[j] = (int32_t)((uint32_t)cur - (uint32_t)prev);
			else
				d[j] = (int64_t)((uint64_t)cur - (uint64_t)prev);
			prev = cur;
		}
		mind = d[0];
		for (size_t j = 1; j < cnt; j++)
			mind = d[j] < mind ? d[j] : mind;
		for (size_t m = 0; m < nmini; m++) {
			uint64_t any = 0;

			for (size_t j = m * DELTA_MINI;
			     j < cnt && j < (m + 1) * DELTA_MINI; j++) {
				rel[j] = (uint64_t)d[j] - (uint64_t)mind;
				any |= rel[j];
			}
			widths[m] = (uint8_t)dxt_pq_bit_width(any);
			bytes += (size_t)widths[m] * (DELTA_MINI / 8);
		}
		if (put_uvarint(out, zigzag(mind)) != DXT_OK ||
		    dxt_buf_append(out, widths, sizeof(widths)) != DXT_OK)
			goto oom;
		base = zeroed_region(out, bytes);
		if (base == NULL)
			goto oom;
		for (size_t m = 0; m < nmini; m++) {
			unsigned w = widths[m];

			for (size_t j = m * DELTA_MINI;
			     w > 0 && j < cnt && j < (m + 1) * DELTA_MINI; j++)
				put_bits(base, (uint64_t)(j - m * DELTA_MINI) * w,
					 w, rel[j]);
			base += (size_t)w * (DELTA_MINI / 8);
		}
		out->len += bytes;
	}
#undef VAL
	return DXT_OK;
oom:
	out->len = start;
	return nomem(err, DBP);
}

int dxt_pq_delta_encode_i32(struct dxt_buf *out, const int32_t *v, size_t n,
			    struct dxt_error *err)
{
	return delta_encode(out, v, n, true, err);
}

int dxt_pq_delta_encode_i64(struct dxt_buf *out, const int64_t *v, size_t n,
			    struct dxt_error *err)
{
	return delta_encode(out, v, n, false, err);
}

struct delta_hdr {
	uint64_t block;
	uint64_t minis;
	uint64_t total;
	int64_t first;
};

static int delta_header(const uint8_t *p, size_t len, size_t *pos,
			struct delta_hdr *h, size_t *used,
			struct dxt_error *err)
{
	size_t at = *pos;
	uint64_t u;
	int rc;

	if ((rc = get_uvarint(p, len, pos, &h->block)) != 0)
		return bad_varint(err, used, at, DBP, "the block size", rc);
	if (h->block == 0 || h->block % 128 != 0 || h->block > DELTA_MAX_BLOCK)
		return bad(err, used, at, DBP,
			   "block size %" PRIu64 " is not a multiple of 128 "
			   "up to %u", h->block, DELTA_MAX_BLOCK);
	at = *pos;
	if ((rc = get_uvarint(p, len, pos, &h->minis)) != 0)
		return bad_varint(err, used, at, DBP, "the miniblock count", rc);
	if (h->minis == 0 || h->block % h->minis != 0 ||
	    (h->block / h->minis) % 8 != 0)
		return bad(err, used, at, DBP,
			   "%" PRIu64 " miniblocks do not split a block of %"
			   PRIu64 " values into multiples of 8", h->minis,
			   h->block);
	at = *pos;
	if ((rc = get_uvarint(p, len, pos, &h->total)) != 0)
		return bad_varint(err, used, at, DBP, "the value count", rc);
	at = *pos;
	if ((rc = get_uvarint(p, len, pos, &u)) != 0)
		return bad_varint(err, used, at, DBP, "the first value", rc);
	h->first = unzigzag(u);
	return DXT_OK;
}

int dxt_pq_delta_count(const uint8_t *p, size_t len, uint64_t *count,
		       struct dxt_error *err)
{
	struct delta_hdr h;
	size_t pos = 0;

	DXT_RETURN_NOT_OK(delta_header(p, len, &pos, &h, NULL, err));
	*count = h.total;
	return DXT_OK;
}

/*
 * Decodes into int32 (is32) or int64 values. Sums wrap modulo 2^64; for
 * int32 the low 32 bits are the value, which is the format's modulo 2^32
 * arithmetic.
 */
static int delta_decode(const uint8_t *p, size_t len, void *outv, size_t n,
			bool is32, size_t *used, struct dxt_error *err)
{
	int32_t *o32 = outv;
	int64_t *o64 = outv;
	unsigned maxw = is32 ? 32 : 64;
	struct delta_hdr h;
	size_t pos = 0, k, vpm, cnt_at;
	uint64_t cur;

	DXT_RETURN_NOT_OK(delta_header(p, len, &pos, &h, used, err));
	/* The count is the third varint; find it again for the message. */
	cnt_at = 0;
	for (int f = 0; f < 2; f++)
		while (p[cnt_at++] & 0x80)
			;
	if (h.total != n)
		return bad(err, used, cnt_at, DBP,
			   "the header holds %" PRIu64 " values where %zu "
			   "were expected", h.total, n);
	if (n == 0) {
		if (used != NULL)
			*used = pos;
		return DXT_OK;
	}
	vpm = (size_t)(h.block / h.minis);
	cur = (uint64_t)h.first;
	if (is32)
		o32[0] = (int32_t)(uint32_t)cur;
	else
		o64[0] = (int64_t)cur;
	k = 1;
	while (k < n) {
		size_t at = pos, wat;
		uint64_t u, mind;
		int rc = get_uvarint(p, len, &pos, &u);

		if (rc != 0)
			return bad_varint(err, used, at, DBP,
					  "a block's minimum delta", rc);
		mind = (uint64_t)unzigzag(u);
		if (h.minis > len - pos)
			return bad(err, used, pos, DBP,
				   "the bit widths of a block's %" PRIu64
				   " miniblocks are cut off", h.minis);
		wat = pos;
		pos += (size_t)h.minis;
		for (size_t m = 0; m < h.minis && k < n; m++) {
			unsigned w = p[wat + m];
			size_t bytes, c;
			const uint8_t *base, *end;

			if (w > maxw)
				return bad(err, used, wat + m, DBP,
					   "miniblock bit width %u is above "
					   "%u", w, maxw);
			bytes = vpm / 8 * w;
			if (bytes > len - pos)
				return bad(err, used, pos, DBP,
					   "a miniblock needs %zu bytes but "
					   "%zu are left", bytes, len - pos);
			c = n - k < vpm ? n - k : vpm;
			base = p + pos;
			end = base + bytes;
			if (is32) {
				for (size_t j = 0; j < c; j++) {
					cur += mind + (w ? get_bits(base, end,
						(uint64_t)j * w, w) : 0);
					o32[k + j] = (int32_t)(uint32_t)cur;
				}
			} else {
				for (size_t j = 0; j < c; j++) {
					cur += mind + (w ? get_bits(base, end,
						(uint64_t)j * w, w) : 0);
					o64[k + j] = (int64_t)cur;
				}
			}
			k += c;
			pos += bytes;
		}
	}
	if (used != NULL)
		*used = pos;
	return DXT_OK;
}

int dxt_pq_delta_decode_i32(const uint8_t *p, size_t len, int32_t *out,
			    size_t n, size_t *used, struct dxt_error *err)
{
	return delta_decode(p, len, out, n, true, used, err);
}

int dxt_pq_delta_decode_i64(const uint8_t *p, size_t len, int64_t *out,
			    size_t n, size_t *used, struct dxt_error *err)
{
	return delta_decode(p, len, out, n, false, used, err);
}

/* ---- DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY --------------------- */

static const char DLBA[] = "parquet DELTA_LENGTH_BYTE_ARRAY data";
static const char DBA[] = "parquet DELTA_BYTE_ARRAY data";

static int32_t *alloc_i32(size_t n)
{
	if (n > SIZE_MAX / sizeof(int32_t) - 1)
		return NULL;
	return calloc(n ? n : 1, sizeof(int32_t));
}

int dxt_pq_dlba_encode(struct dxt_buf *out, const int32_t *offsets,
		       const uint8_t *data, size_t n, struct dxt_error *err)
{
	size_t start = out->len;
	int32_t *lens = alloc_i32(n);
	int rc;

	if (lens == NULL)
		return nomem(err, DLBA);
	for (size_t i = 0; i < n; i++)
		lens[i] = offsets[i + 1] - offsets[i];
	rc = dxt_pq_delta_encode_i32(out, lens, n, err);
	free(lens);
	if (rc != DXT_OK)
		return rc;
	if (n > 0 && dxt_buf_append(out, data + offsets[0],
				    (size_t)(offsets[n] - offsets[0])) != DXT_OK) {
		out->len = start;
		return nomem(err, DLBA);
	}
	return DXT_OK;
}

static int too_big(struct dxt_error *err, const char *what)
{
	return dxt_error_set(err, DXT_ELIMIT,
			     "%s: the values pass 2 GiB, the most one column "
			     "of a batch holds; write smaller pages", what);
}

int dxt_pq_dlba_decode(const uint8_t *p, size_t len, size_t n,
		       struct dxt_buf *data, int32_t *offsets, size_t *used,
		       struct dxt_error *err)
{
	size_t pos = 0, total = 0, base = data->len;

	int rc = dxt_pq_delta_decode_i32(p, len, offsets + 1, n, &pos, err);

	if (rc != DXT_OK) {
		if (used != NULL)
			*used = pos;
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		int32_t l = offsets[i + 1];

		if (l < 0)
			return bad(err, used, pos, DLBA,
				   "value %zu has the negative length %" PRId32
				   " (lengths end)", i, l);
		total += (size_t)l;
		if (total > len - pos)
			return bad(err, used, pos, DLBA,
				   "the lengths of the first %zu values add "
				   "up to %zu bytes but %zu follow the "
				   "lengths ending", i + 1, total, len - pos);
	}
	if (base > INT32_MAX || total > INT32_MAX - base)
		return too_big(err, DLBA);
	if (dxt_buf_append(data, p + pos, total) != DXT_OK)
		return nomem(err, DLBA);
	offsets[0] = (int32_t)base;
	for (size_t i = 0; i < n; i++)
		offsets[i + 1] += offsets[i];
	if (used != NULL)
		*used = pos + total;
	return DXT_OK;
}

int dxt_pq_dba_encode(struct dxt_buf *out, const int32_t *offsets,
		      const uint8_t *data, size_t n, struct dxt_error *err)
{
	size_t start = out->len;
	int32_t *pre = alloc_i32(n), *suf = alloc_i32(n);
	int rc = DXT_ENOMEM;

	if (pre == NULL || suf == NULL) {
		rc = nomem(err, DBA);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *a = data + offsets[i - (i > 0)];
		const uint8_t *b = data + offsets[i];
		int32_t la = i > 0 ? offsets[i] - offsets[i - 1] : 0;
		int32_t lb = offsets[i + 1] - offsets[i];
		int32_t c = 0, lim = la < lb ? la : lb;

		while (c < lim && a[c] == b[c])
			c++;
		pre[i] = c;
		suf[i] = lb - c;
	}
	rc = dxt_pq_delta_encode_i32(out, pre, n, err);
	if (rc == DXT_OK)
		rc = dxt_pq_delta_encode_i32(out, suf, n, err);
	for (size_t i = 0; rc == DXT_OK && i < n; i++) {
		if (dxt_buf_append(out, data + offsets[i] + pre[i],
				   (size_t)suf[i]) != DXT_OK)
			rc = nomem(err, DBA);
	}
	if (rc != DXT_OK)
		out->len = start;
done:
	free(pre);
	free(suf);
	return rc;
}

int dxt_pq_dba_decode(const uint8_t *p, size_t len, size_t n,
		      struct dxt_buf *data, int32_t *offsets, size_t *used,
		      struct dxt_error *err)
{
	size_t pos1 = 0, pos2 = 0, sufbytes = 0, total = 0, prevlen = 0;
	size_t base = data->len, cur, prev;
	int32_t *pre = alloc_i32(n);
	const uint8_t *sp;
	int rc;

	if (pre == NULL)
		return nomem(err, DBA);
	rc = dxt_pq_delta_decode_i32(p, len, pre, n, &pos1, err);
	if (rc != DXT_OK) {
		if (used != NULL)
			*used = pos1;
		goto fail;
	}
	rc = dxt_pq_delta_decode_i32(p + pos1, len - pos1, offsets + 1, n,
				     &pos2, err);
	if (rc != DXT_OK) {
		if (used != NULL)
			*used = pos1 + pos2;
		goto fail;
	}
	pos2 += pos1;
	for (size_t i = 0; i < n; i++) {
		int32_t pl = pre[i], sl = offsets[i + 1];

		if (pl < 0 || (size_t)pl > prevlen) {
			rc = bad(err, used, pos1, DBA,
				 "value %zu takes a prefix of %" PRId32
				 " bytes from a previous value of %zu (prefix "
				 "lengths end)", i, pl, prevlen);
			goto fail;
		}
		if (sl < 0) {
			rc = bad(err, used, pos2, DBA,
				 "value %zu has the negative suffix length %"
				 PRId32 " (suffix lengths end)", i, sl);
			goto fail;
		}
		sufbytes += (size_t)sl;
		if (sufbytes > len - pos2) {
			rc = bad(err, used, pos2, DBA,
				 "the suffixes of the first %zu values need "
				 "%zu bytes but %zu follow the suffix lengths "
				 "ending", i + 1, sufbytes, len - pos2);
			goto fail;
		}
		prevlen = (size_t)pl + (size_t)sl;
		total += prevlen;
		if (base > INT32_MAX || total > INT32_MAX - base) {
			rc = too_big(err, DBA);
			goto fail;
		}
	}
	if (dxt_buf_reserve(data, total) != DXT_OK) {
		rc = nomem(err, DBA);
		goto fail;
	}
	sp = p + pos2;
	cur = prev = base;
	offsets[0] = (int32_t)base;
	for (size_t i = 0; i < n; i++) {
		size_t pl = (size_t)pre[i], sl = (size_t)offsets[i + 1];

		memcpy(data->data + cur, data->data + prev, pl);
		memcpy(data->data + cur + pl, sp, sl);
		sp += sl;
		prev = cur;
		cur += pl + sl;
		offsets[i + 1] = (int32_t)cur;
	}
	data->len = cur;
	free(pre);
	if (used != NULL)
		*used = pos2 + sufbytes;
	return DXT_OK;
fail:
	free(pre);
	return rc;
}

/* ---- BYTE_STREAM_SPLIT ------------------------------------------------ */

static const char BSS[] = "parquet BYTE_STREAM_SPLIT data";

/* Inlined with constant widths so the common 4 and 8 become tight loops. */
static inline void bss_join(const uint8_t *p, size_t n, size_t w, uint8_t *o)
{
	for (size_t i = 0; i < n; i++)
		for (size_t b = 0; b < w; b++)
			o[i * w + b] = p[b * n + i];
}

static inline void bss_split(const uint8_t *v, size_t n, size_t w, uint8_t *o)
{
	for (size_t b = 0; b < w; b++)
		for (size_t i = 0; i < n; i++)
			o[b * n + i] = v[i * w + b];
}

int dxt_pq_bss_encode(struct dxt_buf *out, const void *v, size_t n,
		      size_t width, struct dxt_error *err)
{
	size_t bytes;

	if (width == 0 || width > 16)
		return dxt_error_set(err, DXT_EINVAL,
				     "%s: value width %zu is not 1..16", BSS,
				     width);
	if (n > SIZE_MAX / width)
		return nomem(err, BSS);
	bytes = n * width;
	if (dxt_buf_reserve(out, bytes) != DXT_OK)
		return nomem(err, BSS);
	if (width == 4)
		bss_split(v, n, 4, out->data + out->len);
	else if (width == 8)
		bss_split(v, n, 8, out->data + out->len);
	else
		bss_split(v, n, width, out->data + out->len);
	out->len += bytes;
	return DXT_OK;
}

int dxt_pq_bss_decode(const uint8_t *p, size_t len, size_t n, size_t width,
		      void *out, size_t *used, struct dxt_error *err)
{
	if (width == 0 || width > 16)
		return dxt_error_set(err, DXT_EINVAL,
				     "%s: value width %zu is not 1..16", BSS,
				     width);
	if (n > SIZE_MAX / width || len != n * width)
		return bad(err, used, 0, BSS,
			   "%zu bytes are not %zu values of %zu bytes", len, n,
			   width);
	if (width == 4)
		bss_join(p, n, 4, out);
	else if (width == 8)
		bss_join(p, n, 8, out);
	else
		bss_join(p, n, width, out);
	if (used != NULL)
		*used = len;
	return DXT_OK;
}

/* ---- PLAIN BOOLEAN ---------------------------------------------------- */

int dxt_pq_bool_pack(struct dxt_buf *out, const bool *v, size_t n)
{
	size_t bytes = (n + 7) / 8;
	uint8_t *o;

	if (dxt_buf_reserve(out, bytes) != DXT_OK)
		return DXT_ENOMEM;
	o = out->data + out->len;
	memset(o, 0, bytes);
	for (size_t i = 0; i < n; i++)
		o[i >> 3] |= (uint8_t)((v[i] ? 1u : 0u) << (i & 7));
	out->len += bytes;
	return DXT_OK;
}

int dxt_pq_bool_pack_bits(struct dxt_buf *out, const uint8_t *bits,
			  const uint8_t *validity, size_t n)
{
	size_t bytes = (n + 7) / 8, k = 0;
	uint8_t *o;

	if (dxt_buf_reserve(out, bytes) != DXT_OK)
		return DXT_ENOMEM;
	o = out->data + out->len;
	if (validity == NULL) {
		if (bytes == 0)
			return DXT_OK;
		memcpy(o, bits, bytes);
		if (n & 7)
			o[bytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
		out->len += bytes;
		return DXT_OK;
	}
	memset(o, 0, bytes);
	for (size_t i = 0; i < n; i++) {
		if (!(validity[i >> 3] >> (i & 7) & 1))
			continue;
		o[k >> 3] |= (uint8_t)((bits[i >> 3] >> (i & 7) & 1)
				       << (k & 7));
		k++;
	}
	out->len += (k + 7) / 8;
	return DXT_OK;
}

int dxt_pq_bool_unpack(const uint8_t *p, size_t len, size_t n, bool *out,
		       size_t *used, struct dxt_error *err)
{
	size_t bytes = n / 8 + ((n & 7) != 0);

	if (bytes > len)
		return bad(err, used, len, "parquet PLAIN BOOLEAN data",
			   "%zu values need %zu bytes but the data ends", n,
			   bytes);
	for (size_t i = 0; i < n; i++)
		out[i] = (p[i >> 3] >> (i & 7)) & 1;
	if (used != NULL)
		*used = bytes;
	return DXT_OK;
}
