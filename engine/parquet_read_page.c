/*
 * parquet_read_page.c - the Parquet reader's pages (parquet.h): page
 * headers, dictionary and data pages v1 and v2, levels, every value
 * encoding the reader takes, and the conversion of staged physical values
 * to DXT values appended to a column.
 *
 * A data page is decoded whole when the cursor reaches it: decompressed
 * into the leaf's reused page buffer, its levels into int32 arrays and its
 * values staged in their physical form (in place for PLAIN fixed-width
 * values, dictionary indices resolved), so that consuming entries is a
 * plain loop and a batch can end anywhere inside the page.
 */
#include "pqread.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "convert.h"
#include "pqenc.h"

/*
 * A page's stated uncompressed size may exceed its compressed size by this
 * factor (plus a slack): generous for every codec on real data, and a bound
 * on what a hostile header can make the reader allocate.
 */
#define PQR_MAX_RATIO 4096
/*
 * Levels and values of a page are decoded whole, so the entries of one page
 * bound the reader's memory; a few bytes of RLE runs can claim billions.
 * Writers cut pages far below this (20000 rows in parquet-mr and Arrow,
 * about 100000 in DuckDB).
 */
#define PQR_MAX_PAGE_VALUES (1 << 24)
#define PQR_RATIO_SLACK (1 << 20)

/* --- values --------------------------------------------------------------- */

/*
 * Stages nv PLAIN values from p[0..len) into lf's page arrays. Fixed-width
 * values are used in place; byte arrays get a ref each.
 */
static int plain_values(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			const uint8_t *p, size_t len, size_t nv,
			const uint8_t **vals, const struct dxt__pqr_ref **refs,
			struct dxt_buf *stage, struct dxt_error *err)
{
	size_t used;
	int rc;

	switch (lf->phys) {
	case DXT_PQ_BOOLEAN:
		if (dxt__pqr_room(stage, nv) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		rc = dxt_pq_bool_unpack(p, len, nv, (bool *)stage->data, &used,
					err);
		if (rc != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, rc);
		*vals = stage->data;
		return DXT_OK;
	case DXT_PQ_BYTE_ARRAY: {
		struct dxt__pqr_ref *rf;
		size_t at = 0;

		/* Every value takes at least its 4-byte length. */
		if (nv > len / 4)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "%zu PLAIN byte arrays cannot fit "
					     "in %zu bytes", nv, len);
		if (len > UINT32_MAX)
			return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
					     "a page over 4 GiB");
		if (dxt__pqr_room(stage, nv * sizeof(*rf)) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		rf = (struct dxt__pqr_ref *)stage->data;
		for (size_t i = 0; i < nv; i++) {
			uint32_t n;

			if (len - at < 4)
				return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
						     "value %zu's length at "
						     "byte %zu runs past the "
						     "page's %zu bytes", i, at,
						     len);
			n = (uint32_t)p[at] | (uint32_t)p[at + 1] << 8 |
			    (uint32_t)p[at + 2] << 16 |
			    (uint32_t)p[at + 3] << 24;
			at += 4;
			if (n > len - at)
				return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
						     "value %zu (%u bytes at "
						     "byte %zu) runs past the "
						     "page's %zu bytes", i, n,
						     at, len);
			rf[i].off = (uint32_t)at;
			rf[i].len = n;
			at += n;
		}
		*refs = rf;
		*vals = p;
		return DXT_OK;
	}
	default:
		if (nv > len / lf->width)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "%zu PLAIN values of %zu bytes "
					     "need more than the page's %zu "
					     "bytes", nv, lf->width, len);
		*vals = p;
		return DXT_OK;
	}
}

/* Resolves dictionary indices into staged values. */
static int gather(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		  const uint32_t *ix, size_t nv, struct dxt_error *err)
{
	for (size_t i = 0; i < nv; i++)
		if (ix[i] >= lf->dict_n)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "dictionary index %u of value "
					     "%zu is past the dictionary's %zu "
					     "entries", ix[i], i, lf->dict_n);
	if (dxt__pqr_room(&lf->stage, nv * lf->width) != DXT_OK)
		return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
	if (lf->phys == DXT_PQ_BYTE_ARRAY) {
		const struct dxt__pqr_ref *d =
			(const struct dxt__pqr_ref *)lf->dict_vals.data;
		struct dxt__pqr_ref *o = (struct dxt__pqr_ref *)lf->stage.data;

		for (size_t i = 0; i < nv; i++)
			o[i] = d[ix[i]];
		lf->refs = o;
		lf->base = lf->dict_base;
	} else if (lf->width == 4) {
		const uint8_t *d = lf->dict_vals.data;
		uint8_t *o = lf->stage.data;

		for (size_t i = 0; i < nv; i++)
			memcpy(o + i * 4, d + (size_t)ix[i] * 4, 4);
	} else if (lf->width == 8) {
		const uint8_t *d = lf->dict_vals.data;
		uint8_t *o = lf->stage.data;

		for (size_t i = 0; i < nv; i++)
			memcpy(o + i * 8, d + (size_t)ix[i] * 8, 8);
	} else {
		for (size_t i = 0; i < nv; i++)
			memcpy(lf->stage.data + i * lf->width,
			       lf->dict_vals.data + (size_t)ix[i] * lf->width,
			       lf->width);
	}
	lf->vals = lf->stage.data;
	return DXT_OK;
}

/* Turns n + 1 int32 offsets into refs in lf->stage. */
static int offsets_to_refs(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			   const int32_t *off, size_t nv,
			   struct dxt_error *err)
{
	struct dxt__pqr_ref *rf;

	if (dxt__pqr_room(&lf->stage, nv * sizeof(*rf)) != DXT_OK)
		return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
	rf = (struct dxt__pqr_ref *)lf->stage.data;
	for (size_t i = 0; i < nv; i++) {
		rf[i].off = (uint32_t)off[i];
		rf[i].len = (uint32_t)(off[i + 1] - off[i]);
	}
	lf->refs = rf;
	/* Every value empty: no bytes were staged, yet base + 0 must be a
	 * valid pointer. */
	lf->base = lf->stage_data.data ? lf->stage_data.data
				       : (const uint8_t *)"";
	return DXT_OK;
}

static int encoding_unsupported(struct dxt_pq_reader *r,
				struct dxt__pqr_leaf *lf, int enc,
				struct dxt_error *err)
{
	const char *en = dxt_pq_encoding_name(enc);

	if (en)
		return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
				     "encoding %s is not supported for %s "
				     "values", en,
				     dxt_pq_physical_name(lf->phys));
	return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
			     "encoding %d is unknown", enc);
}

/* Decodes the nv values of a data page's value section p[0..len). */
static int decode_values(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			 int enc, const uint8_t *p, size_t len, size_t nv,
			 struct dxt_error *err)
{
	struct dxt_error e;
	size_t used;
	int rc;

	lf->vals = NULL;
	lf->refs = NULL;
	lf->base = NULL;
	switch (enc) {
	case DXT_PQ_PLAIN:
		rc = plain_values(r, lf, p, len, nv, &lf->vals, &lf->refs,
				  &lf->stage, err);
		if (rc == DXT_OK && lf->refs)
			lf->base = p;
		return rc;
	case DXT_PQ_PLAIN_DICTIONARY:
	case DXT_PQ_RLE_DICTIONARY:
		if (!lf->has_dict)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "a dictionary-encoded page "
					     "without a dictionary page "
					     "before it");
		if (nv == 0)
			return DXT_OK;
		if (len < 1)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "the page has no bit width for "
					     "its dictionary indices");
		if (p[0] > 32)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "dictionary index bit width %u "
					     "is over 32", p[0]);
		if (dxt__pqr_room(&lf->idx, nv * 4) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		if (dxt_pq_rle_decode(p + 1, len - 1, p[0],
				      (uint32_t *)lf->idx.data, nv, &used,
				      &e) != DXT_OK)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "dictionary indices: %s",
					     e.message);
		return gather(r, lf, (const uint32_t *)lf->idx.data, nv, err);
	case DXT_PQ_DELTA_BINARY_PACKED:
		if (lf->phys != DXT_PQ_INT32 && lf->phys != DXT_PQ_INT64)
			break;
		/*
		 * INT32 values are decoded in 64 bits and wrapped to 32:
		 * writers that compute the deltas in 64 bits (DuckDB) emit
		 * 33-bit miniblocks for values far apart, which the 32-bit
		 * decoder refuses but which wrap to the right values.
		 */
		if (dxt__pqr_room(&lf->stage, nv * 8) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		rc = dxt_pq_delta_decode_i64(p, len, (int64_t *)lf->stage.data,
					     nv, &used, err);
		if (rc != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, rc);
		if (lf->phys == DXT_PQ_INT32) {
			uint8_t *o = lf->stage.data;

			/* In place: entry i (4 bytes at 4i) is written after
			 * entry i (8 bytes at 8i) was read. */
			for (size_t i = 0; i < nv; i++) {
				int64_t v;
				uint32_t u;

				memcpy(&v, o + i * 8, 8);
				u = (uint32_t)(uint64_t)v;
				memcpy(o + i * 4, &u, 4);
			}
		}
		lf->vals = lf->stage.data;
		return DXT_OK;
	case DXT_PQ_DELTA_LENGTH_BYTE_ARRAY:
	case DXT_PQ_DELTA_BYTE_ARRAY:
		if (lf->phys != DXT_PQ_BYTE_ARRAY &&
		    !(enc == DXT_PQ_DELTA_BYTE_ARRAY &&
		      lf->phys == DXT_PQ_FIXED_LEN_BYTE_ARRAY))
			break;
		if (dxt__pqr_room(&lf->tmp, (nv + 1) * 4) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		lf->stage_data.len = 0;
		if (enc == DXT_PQ_DELTA_BYTE_ARRAY)
			rc = dxt_pq_dba_decode(p, len, nv, &lf->stage_data,
					       (int32_t *)lf->tmp.data, &used,
					       err);
		else
			rc = dxt_pq_dlba_decode(p, len, nv, &lf->stage_data,
						(int32_t *)lf->tmp.data, &used,
						err);
		if (rc != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, rc);
		if (lf->phys == DXT_PQ_FIXED_LEN_BYTE_ARRAY) {
			const int32_t *o = (const int32_t *)lf->tmp.data;

			for (size_t i = 0; i < nv; i++) {
				int32_t w = o[i + 1] - o[i];

				if ((size_t)w != lf->width)
					return dxt__pqr_fail(r, lf, err,
							     DXT_EPARSE,
							     "value %zu has "
							     "%d bytes, the "
							     "type %zu", i,
							     (int)w, lf->width);
			}
			lf->vals = lf->stage_data.data;
			return DXT_OK;
		}
		return offsets_to_refs(r, lf, (const int32_t *)lf->tmp.data,
				       nv, err);
	case DXT_PQ_BYTE_STREAM_SPLIT:
		if (lf->phys == DXT_PQ_BOOLEAN ||
		    lf->phys == DXT_PQ_BYTE_ARRAY ||
		    lf->phys == DXT_PQ_INT96 || lf->width > 16)
			break;
		if (len != nv * lf->width)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "BYTE_STREAM_SPLIT data of %zu "
					     "bytes for %zu values of %zu "
					     "bytes", len, nv, lf->width);
		if (dxt__pqr_room(&lf->stage, nv * lf->width) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		rc = dxt_pq_bss_decode(p, len, nv, lf->width, lf->stage.data,
				       &used, err);
		if (rc != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, rc);
		lf->vals = lf->stage.data;
		return DXT_OK;
	case DXT_PQ_RLE:
		if (lf->phys != DXT_PQ_BOOLEAN)
			break;
		if (dxt__pqr_room(&lf->idx, nv * 4) != DXT_OK ||
		    dxt__pqr_room(&lf->stage, nv) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		if (nv > 0 && dxt_pq_rle_decode_prefixed(
				      p, len, 1, (uint32_t *)lf->idx.data, nv,
				      &used, &e) != DXT_OK)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "RLE booleans: %s", e.message);
		for (size_t i = 0; i < nv; i++)
			((bool *)lf->stage.data)[i] =
				((const uint32_t *)lf->idx.data)[i] != 0;
		lf->vals = lf->stage.data;
		return DXT_OK;
	default:
		break;
	}
	return encoding_unsupported(r, lf, enc, err);
}

/* --- pages ---------------------------------------------------------------- */

static int read_dictionary(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			   const struct dxt_pq_page_header *h,
			   const uint8_t *raw, struct dxt_error *err)
{
	const uint8_t *p = raw, *vals = NULL;
	const struct dxt__pqr_ref *refs = NULL;
	size_t len = (size_t)h->compressed_size, nv;
	int rc;

	if (lf->has_dict || lf->entries > 0)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "a second dictionary page, or one after "
				     "data pages");
	if (h->dict.encoding != DXT_PQ_PLAIN &&
	    h->dict.encoding != DXT_PQ_PLAIN_DICTIONARY)
		return encoding_unsupported(r, lf, h->dict.encoding, err);
	if (h->dict.num_values < 0)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "the dictionary's num_values is "
				     "negative");
	nv = (size_t)h->dict.num_values;
	if (lf->cm->codec != DXT_PQ_UNCOMPRESSED) {
		if (dxt__pqr_room(&lf->dict_page,
				  (size_t)h->uncompressed_size) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		rc = dxt_pq_decompress(r->codec, lf->cm->codec, raw, len,
				       lf->dict_page.data,
				       (size_t)h->uncompressed_size, err);
		if (rc != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, rc);
		p = lf->dict_page.data;
		len = (size_t)h->uncompressed_size;
	}
	rc = plain_values(r, lf, p, len, nv, &vals, &refs, &lf->dict_vals,
			  err);
	if (rc != DXT_OK)
		return rc;
	if (!refs && lf->phys != DXT_PQ_BOOLEAN) {
		/* Fixed-width values were left in place: keep a copy, the
		 * dictionary outlives the page buffer it came from. */
		if (dxt__pqr_room(&lf->dict_vals, nv * lf->width) != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
		if (nv)
			memcpy(lf->dict_vals.data, vals, nv * lf->width);
	}
	lf->dict_base = p;
	lf->dict_n = nv;
	lf->has_dict = true;
	return DXT_OK;
}

static int decode_levels_v1(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			    int enc, int max, struct dxt_buf *out,
			    const uint8_t **p, size_t *len,
			    struct dxt_error *err)
{
	struct dxt_error e;
	unsigned bw = dxt_pq_bit_width((uint64_t)max);
	size_t used;
	int rc;

	if (enc == DXT_PQ_BIT_PACKED)
		rc = dxt_pq_bitpacked_msb_decode(*p, *len, bw,
						 (uint32_t *)out->data, lf->n,
						 &used, &e);
	else if (enc == DXT_PQ_RLE)
		rc = dxt_pq_rle_decode_prefixed(*p, *len, bw,
						(uint32_t *)out->data, lf->n,
						&used, &e);
	else
		return encoding_unsupported(r, lf, enc, err);
	if (rc != DXT_OK)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE, "%s levels: %s",
				     out == &lf->reps ? "repetition" :
				     "definition", e.message);
	*p += used;
	*len -= used;
	return DXT_OK;
}

static int check_levels(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			const int32_t *lv, int max, const char *what,
			struct dxt_error *err)
{
	for (size_t i = 0; i < lf->n; i++)
		if (lv[i] > max)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "%s level %d of entry %zu is over "
					     "the column's maximum %d", what,
					     (int)lv[i], i, max);
	return DXT_OK;
}

/* Decodes data page h (v1 or v2) whose compressed bytes are raw. */
static int read_data_page(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			  const struct dxt_pq_page_header *h,
			  const uint8_t *raw, struct dxt_error *err)
{
	bool v2 = h->type == DXT_PQ_DATA_PAGE_V2;
	int32_t nvalues = v2 ? h->data_v2.num_values : h->data.num_values;
	int enc = v2 ? h->data_v2.encoding : h->data.encoding;
	size_t clen = (size_t)h->compressed_size;
	size_t ulen = (size_t)h->uncompressed_size;
	const uint8_t *p, *lv = raw;
	size_t len, rl = 0, dl = 0, nv;
	struct dxt_error e;
	uint64_t limit;
	int rc;

	if (nvalues < 0)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "num_values is negative (%d)",
				     (int)nvalues);
	/* Every entry of a flat column is a row: no page holds more than
	 * the row group, and no page of any column more values than its
	 * chunk declares. */
	limit = (uint64_t)lf->cm->num_values;
	if (lf->max_rep == 0 && r->rg_rows < limit)
		limit = r->rg_rows;
	limit = limit > lf->entries ? limit - lf->entries : 0;
	if ((uint64_t)nvalues > limit)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "the page holds %d values, more than "
				     "the column chunk has left (%llu)",
				     (int)nvalues, (unsigned long long)limit);
	if (nvalues > PQR_MAX_PAGE_VALUES)
		return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
				     "a page of %d values is over the reader's "
				     "limit of %d per page", (int)nvalues,
				     PQR_MAX_PAGE_VALUES);
	lf->n = (size_t)nvalues;
	lf->li = 0;
	lf->vi = 0;
	if (dxt__pqr_room(&lf->defs, lf->n * 4) != DXT_OK ||
	    dxt__pqr_room(&lf->reps, lf->n * 4) != DXT_OK)
		return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
	lf->nvals = 0;
	if (lf->n == 0)
		return DXT_OK;

	if (v2) {
		if (h->data_v2.rep_levels_len < 0 ||
		    h->data_v2.def_levels_len < 0)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "negative level lengths");
		rl = (size_t)h->data_v2.rep_levels_len;
		dl = (size_t)h->data_v2.def_levels_len;
		if (rl > clen || dl > clen - rl || rl + dl > ulen)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "level lengths %zu + %zu exceed "
					     "the page's %zu bytes", rl, dl,
					     clen);
		if (lf->max_rep > 0 &&
		    dxt_pq_rle_decode(lv, rl,
				      dxt_pq_bit_width((uint64_t)lf->max_rep),
				      (uint32_t *)lf->reps.data, lf->n, NULL,
				      &e) != DXT_OK)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "repetition levels: %s",
					     e.message);
		if (lf->max_def > 0 &&
		    dxt_pq_rle_decode(lv + rl, dl,
				      dxt_pq_bit_width((uint64_t)lf->max_def),
				      (uint32_t *)lf->defs.data, lf->n, NULL,
				      &e) != DXT_OK)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "definition levels: %s",
					     e.message);
		p = raw + rl + dl;
		len = clen - rl - dl;
		if (h->data_v2.is_compressed &&
		    lf->cm->codec != DXT_PQ_UNCOMPRESSED) {
			if (dxt__pqr_room(&lf->page, ulen - rl - dl) != DXT_OK)
				return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
			rc = dxt_pq_decompress(r->codec, lf->cm->codec, p, len,
					       lf->page.data, ulen - rl - dl,
					       err);
			if (rc != DXT_OK)
				return dxt__pqr_prefix(r, lf, err, rc);
			p = lf->page.data;
			len = ulen - rl - dl;
		}
	} else {
		p = raw;
		len = clen;
		if (lf->cm->codec != DXT_PQ_UNCOMPRESSED) {
			if (dxt__pqr_room(&lf->page, ulen) != DXT_OK)
				return dxt__pqr_prefix(r, lf, err, DXT_ENOMEM);
			rc = dxt_pq_decompress(r->codec, lf->cm->codec, raw,
					       clen, lf->page.data, ulen, err);
			if (rc != DXT_OK)
				return dxt__pqr_prefix(r, lf, err, rc);
			p = lf->page.data;
			len = ulen;
		}
		if (lf->max_rep > 0) {
			rc = decode_levels_v1(r, lf, h->data.rep_level_encoding,
					      lf->max_rep, &lf->reps, &p, &len,
					      err);
			if (rc != DXT_OK)
				return rc;
		}
		if (lf->max_def > 0) {
			rc = decode_levels_v1(r, lf, h->data.def_level_encoding,
					      lf->max_def, &lf->defs, &p, &len,
					      err);
			if (rc != DXT_OK)
				return rc;
		}
	}
	lf->rep = lf->max_rep > 0 ? (const int32_t *)lf->reps.data : NULL;
	lf->def = lf->max_def > 0 ? (const int32_t *)lf->defs.data : NULL;
	nv = lf->n;
	if (lf->rep) {
		rc = check_levels(r, lf, lf->rep, lf->max_rep, "repetition",
				  err);
		if (rc != DXT_OK)
			return rc;
		if (lf->entries == 0 && lf->n > 0 && lf->rep[0] != 0)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "the column chunk starts in the "
					     "middle of a row (repetition "
					     "level %d)", (int)lf->rep[0]);
	}
	if (lf->def) {
		rc = check_levels(r, lf, lf->def, lf->max_def, "definition",
				  err);
		if (rc != DXT_OK)
			return rc;
		nv = 0;
		for (size_t i = 0; i < lf->n; i++)
			nv += lf->def[i] == lf->max_def;
	}
	lf->nvals = nv;
	rc = decode_values(r, lf, enc, p, len, nv, err);
	if (rc != DXT_OK)
		return rc;
	lf->entries += lf->n;
	return DXT_OK;
}

/*
 * Reads only the type and compressed size of the page header at p, so that
 * pages of a type newer than this reader (which the full header decoder
 * refuses) can be skipped. Returns false when they cannot be read.
 */
static bool peek_page(const uint8_t *p, size_t len, int32_t *type,
		      int32_t *csize, size_t *used)
{
	struct dxt_thrift_reader tr;
	enum dxt_thrift_type t;
	unsigned seen = 0;
	int16_t id;

	dxt_thrift_reader_init(&tr, p, len, "page header", NULL);
	for (;;) {
		if (dxt_thrift_read_field(&tr, &t, &id) != DXT_OK)
			return false;
		if (t == DXT_THRIFT_STOP)
			break;
		if ((id == 1 || id == 3) && t == DXT_THRIFT_I32) {
			if (dxt_thrift_read_i32(&tr, id == 1 ? type : csize) !=
			    DXT_OK)
				return false;
			seen |= 1u << id;
		} else if (dxt_thrift_skip(&tr, t) != DXT_OK) {
			return false;
		}
	}
	*used = tr.pos;
	return seen == 0xa;
}

int dxt__pqr_ensure(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		    struct dxt_error *err)
{
	while (lf->li >= lf->n) {
		struct dxt_pq_page_header h;
		int32_t type = -1, csize = -1;
		const uint8_t *at;
		size_t used, left;
		char what[64];
		int rc;

		if (lf->pos >= lf->chunk.len)
			return 0;
		at = lf->chunk.data + lf->pos;
		left = lf->chunk.len - lf->pos;
		lf->page_no++;
		snprintf(what, sizeof(what), "page header at byte %llu",
			 (unsigned long long)lf->chunk_off +
			 (unsigned long long)lf->pos);
		if (peek_page(at, left, &type, &csize, &used) &&
		    (type < DXT_PQ_DATA_PAGE || type > DXT_PQ_DATA_PAGE_V2)) {
			/* A page type from a newer format version carries
			 * nothing this reader needs: skip it whole. */
			if (csize < 0 || (size_t)csize > left - used)
				return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
						     "the page's %d bytes run "
						     "past the column chunk",
						     (int)csize);
			lf->pos += used + (size_t)csize;
			continue;
		}
		rc = dxt_pq_page_header_read(at, left, what, &h, &used, err);
		if (rc != DXT_OK)
			return dxt__pqr_prefix(r, lf, err, rc);
		if (h.compressed_size < 0 || h.uncompressed_size < 0 ||
		    (size_t)h.compressed_size > left - used)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "the page's %d bytes run past the "
					     "column chunk (%zu bytes left)",
					     (int)h.compressed_size,
					     left - used);
		if ((uint64_t)h.uncompressed_size >
		    (uint64_t)h.compressed_size * PQR_MAX_RATIO +
		    PQR_RATIO_SLACK)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "the page claims %d bytes "
					     "uncompressed from %d compressed",
					     (int)h.uncompressed_size,
					     (int)h.compressed_size);
		lf->pos += used + (size_t)h.compressed_size;
		at += used;
		if (h.has_crc) {
			uint32_t got = (uint32_t)crc32_z(0, at,
						 (size_t)h.compressed_size);

			if (got != (uint32_t)h.crc)
				return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
						     "the page's CRC-32 is "
						     "%08x, its bytes give "
						     "%08x: the file is "
						     "damaged",
						     (unsigned)(uint32_t)h.crc,
						     (unsigned)got);
		}
		switch (h.type) {
		case DXT_PQ_DICTIONARY_PAGE:
			rc = read_dictionary(r, lf, &h, at, err);
			break;
		case DXT_PQ_DATA_PAGE:
		case DXT_PQ_DATA_PAGE_V2:
			rc = read_data_page(r, lf, &h, at, err);
			break;
		default:
			/* Index pages carry no values. */
			rc = DXT_OK;
			break;
		}
		if (rc != DXT_OK)
			return rc;
	}
	return 1;
}

/* --- conversion ----------------------------------------------------------- */

static inline int32_t ld32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline int64_t ld64(const uint8_t *p)
{
	int64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0)) ? q - 1 : q;
}

/* Big-endian two's complement of n bytes into v; false if it is wider
 * than 128 bits. */
static bool be_decimal(const uint8_t *p, size_t n, __int128 *v)
{
	unsigned __int128 u;
	uint8_t sign;

	if (n == 0) {
		*v = 0;
		return true;
	}
	sign = (p[0] & 0x80) ? 0xff : 0;
	while (n > 16) {
		if (p[0] != sign)
			return false;
		p++;
		n--;
	}
	if (n == 16 && ((p[0] ^ sign) & 0x80))
		return false;
	u = sign ? ~(unsigned __int128)0 : 0;
	for (size_t i = 0; i < n; i++)
		u = (u << 8) | p[i];
	*v = (__int128)u;
	return true;
}

/*
 * The loop every conversion shares: a null for each entry below the maximum
 * definition level, else the next staged value through the statement given,
 * which reads value index vi and may jump to nomem, toolong or range.
 */
#define PQR_EACH(...)                                                        \
	for (size_t j = li; j < end; j++) {                                  \
		if (def && def[j] != maxd) {                                 \
			if (dxt_col_append_null(c) != DXT_OK)                \
				goto nomem;                                  \
			continue;                                            \
		}                                                            \
		__VA_ARGS__;                                                 \
		vi++;                                                        \
	}

/*
 * Appends m valid values of w bytes from src to c at once: the values in
 * one copy, the validity bits a byte at a time.
 */
static int append_run(struct dxt_column *c, const uint8_t *src, size_t m,
		      size_t w)
{
	size_t at = c->length, end = at + m, nb = (end + 7) / 8;

	if (dxt_buf_append(&c->values, src, m * w) != DXT_OK ||
	    dxt_buf_reserve(&c->validity, nb - c->validity.len) != DXT_OK)
		return DXT_ENOMEM;
	if (nb > c->validity.len)
		memset(c->validity.data + c->validity.len, 0,
		       nb - c->validity.len);
	for (; at < end && (at & 7); at++)
		c->validity.data[at >> 3] |= (uint8_t)(1u << (at & 7));
	if (end - at >= 8) {
		memset(c->validity.data + (at >> 3), 0xff, (end - at) >> 3);
		at += (end - at) & ~(size_t)7;
	}
	for (; at < end; at++)
		c->validity.data[at >> 3] |= (uint8_t)(1u << (at & 7));
	c->validity.len = nb;
	c->length = end;
	return DXT_OK;
}

static int consume_values(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			  struct dxt_column *c, size_t m,
			  struct dxt_error *err);

/* True when lf's values reach the column unchanged (same width). */
static bool identity(const struct dxt__pqr_leaf *lf)
{
	switch (lf->conv) {
	case DXT__PQR_I32:
		return lf->mul == 1 && (lf->target.type == DXT_TYPE_INT32 ||
					lf->target.type == DXT_TYPE_DATE);
	case DXT__PQR_I64:
		return lf->mul == 1 && lf->div == 1 && lf->lo == INT64_MIN;
	case DXT__PQR_F32:
	case DXT__PQR_F64:
	case DXT__PQR_UUID:
		return true;
	default:
		return false;
	}
}

/*
 * Values a damaged or foreign file can hold but a DXT column may not: json
 * that is not JSON, decimals with more digits than their precision. Checks
 * the values appended to c from `first` on.
 */
static int check_appended(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			  const struct dxt_column *c, size_t first,
			  struct dxt_error *err)
{
	const struct dxt_field *f = &lf->target;

	if (f->type == DXT_TYPE_JSON) {
		for (size_t i = first; i < c->length; i++) {
			size_t n;
			const uint8_t *p;

			if (!dxt_col_is_valid(c, i))
				continue;
			p = dxt_col_bytes(c, i, &n);
			if (!dxt_json_valid((const char *)p, n))
				return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
						     "entry %zu of the page is "
						     "not valid JSON",
						     lf->li - (c->length - i));
		}
	} else if (f->type == DXT_TYPE_DECIMAL) {
		__int128 lim = 1;

		for (int k = 0; k < f->precision; k++)
			lim *= 10;
		for (size_t i = first; i < c->length; i++) {
			__int128 v;

			if (!dxt_col_is_valid(c, i))
				continue;
			v = dxt_col_dec(c, i);
			if (v >= lim || v <= -lim)
				return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
						     "entry %zu of the page has "
						     "more than %d digits, the "
						     "column's decimal(%d,%d) "
						     "precision",
						     lf->li - (c->length - i),
						     f->precision, f->precision,
						     f->scale);
		}
	}
	return DXT_OK;
}

int dxt__pqr_consume(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		     struct dxt_column *c, size_t m, struct dxt_error *err)
{
	size_t first = c->length;
	int crc = consume_values(r, lf, c, m, err);

	if (crc != DXT_OK)
		return crc;
	return check_appended(r, lf, c, first, err);
}

static int consume_values(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
			  struct dxt_column *c, size_t m,
			  struct dxt_error *err)
{
	/* A page without nulls needs no look at its definition levels. */
	const int32_t *def = lf->nvals == lf->n ? NULL : lf->def;
	const int32_t maxd = lf->max_def;
	const uint8_t *vals = lf->vals;
	const struct dxt__pqr_ref *refs = lf->refs;
	const size_t w = lf->width;
	size_t li = lf->li, end = li + m, vi = lf->vi;
	int64_t bad = 0;
	int rc;

	if (!def && identity(lf)) {
		if (append_run(c, vals + vi * w, m, w) != DXT_OK)
			goto nomem;
		lf->li = end;
		lf->vi = vi + m;
		return DXT_OK;
	}
	switch (lf->conv) {
	case DXT__PQR_NULL:
		for (size_t j = li; j < end; j++) {
			if (!def || def[j] == maxd)
				vi++;
			if (dxt_col_append_null(c) != DXT_OK)
				goto nomem;
		}
		break;
	case DXT__PQR_BOOL:
		PQR_EACH(if (dxt_col_append_bool(c, ((const bool *)vals)[vi]))
				 goto nomem)
		break;
	case DXT__PQR_I32:
		if (lf->mul == 1 && (lf->target.type == DXT_TYPE_INT32 ||
				     lf->target.type == DXT_TYPE_DATE)) {
			PQR_EACH(if (dxt_col_append_i32(c, ld32(vals + vi * 4)))
					 goto nomem)
			break;
		}
		PQR_EACH({
			int64_t v = ld32(vals + vi * 4);

			if (lf->mul != 1)
				v *= lf->mul;
			if (v < lf->lo || v > lf->hi) {
				bad = v;
				goto range;
			}
			if (dxt_col_append_int(c, v))
				goto nomem;
		})
		break;
	case DXT__PQR_U32:
		PQR_EACH({
			int64_t v = (int64_t)(uint32_t)ld32(vals + vi * 4);

			if (v > lf->hi) {
				bad = v;
				goto range;
			}
			if (dxt_col_append_int(c, v))
				goto nomem;
		})
		break;
	case DXT__PQR_I64:
		if (lf->mul == 1 && lf->div == 1 && lf->lo == INT64_MIN) {
			PQR_EACH(if (dxt_col_append_i64(c, ld64(vals + vi * 8)))
					 goto nomem)
			break;
		}
		PQR_EACH({
			int64_t v = ld64(vals + vi * 8);

			if (lf->div != 1) {
				v = floor_div(v, lf->div);
			} else if (lf->mul != 1 &&
				   __builtin_mul_overflow(v, lf->mul, &v)) {
				bad = ld64(vals + vi * 8);
				goto range;
			}
			if (v < lf->lo || v > lf->hi) {
				bad = v;
				goto range;
			}
			if (dxt_col_append_int(c, v))
				goto nomem;
		})
		break;
	case DXT__PQR_U64:
		PQR_EACH(if (dxt_col_append_dec(c, (__int128)(uint64_t)
						ld64(vals + vi * 8)))
				 goto nomem)
		break;
	case DXT__PQR_DEC32:
		PQR_EACH(if (dxt_col_append_dec(c, ld32(vals + vi * 4)))
				 goto nomem)
		break;
	case DXT__PQR_DEC64:
		PQR_EACH(if (dxt_col_append_dec(c, ld64(vals + vi * 8)))
				 goto nomem)
		break;
	case DXT__PQR_DECBIN:
		PQR_EACH({
			const uint8_t *p;
			size_t n;
			__int128 v;

			if (refs) {
				p = lf->base + refs[vi].off;
				n = refs[vi].len;
			} else {
				p = vals + vi * w;
				n = w;
			}
			if (!be_decimal(p, n, &v)) {
				lf->li = j;
				rc = dxt__pqr_fail(r, lf, err, DXT_EPARSE,
						   "decimal value %zu of the "
						   "page (%zu bytes) does not "
						   "fit in 38 digits", vi, n);
				goto out;
			}
			if (dxt_col_append_dec(c, v))
				goto nomem;
		})
		break;
	case DXT__PQR_INT96:
		PQR_EACH({
			const uint8_t *p = vals + vi * 12;
			int64_t nanos = ld64(p), us;
			int64_t day = (int64_t)ld32(p + 8) - 2440588;

			if (__builtin_mul_overflow(day, (int64_t)86400000000,
						   &us) ||
			    __builtin_add_overflow(us, floor_div(nanos, 1000),
						   &us)) {
				bad = day;
				goto range;
			}
			if (dxt_col_append_i64(c, us))
				goto nomem;
		})
		break;
	case DXT__PQR_F32:
		PQR_EACH({
			float f;

			memcpy(&f, vals + vi * 4, 4);
			if (dxt_col_append_f32(c, f))
				goto nomem;
		})
		break;
	case DXT__PQR_F64:
		PQR_EACH({
			double d;

			memcpy(&d, vals + vi * 8, 8);
			if (dxt_col_append_f64(c, d))
				goto nomem;
		})
		break;
	case DXT__PQR_BYTES:
		if (refs) {
			PQR_EACH({
				rc = dxt_col_append_bytes(c, lf->base +
							  refs[vi].off,
							  refs[vi].len);
				if (rc == DXT_ELIMIT)
					goto toolong;
				if (rc)
					goto nomem;
			})
		} else {
			PQR_EACH({
				rc = dxt_col_append_bytes(c, vals + vi * w, w);
				if (rc == DXT_ELIMIT)
					goto toolong;
				if (rc)
					goto nomem;
			})
		}
		break;
	case DXT__PQR_UUID:
		PQR_EACH(if (dxt_col_append_uuid(c, vals + vi * 16))
				 goto nomem)
		break;
	}
	lf->li = end;
	lf->vi = vi;
	return DXT_OK;
nomem:
	return dxt__pqr_fail(r, lf, err, DXT_ENOMEM, "out of memory");
toolong:
	return dxt__pqr_fail(r, lf, err, DXT_ELIMIT,
			     "a batch column would pass 2 GiB; read with a "
			     "smaller batch byte limit");
range:
	return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
			     "value %lld of entry %zu does not fit the "
			     "column's type %s", (long long)bad, vi,
			     dxt_type_name(lf->target.type));
out:
	return rc;
}

