/*
 * parquet_read_nested.c - record assembly of nested Parquet fields (groups,
 * LIST, MAP, repeated fields) into one JSON text value per row.
 *
 * For each row, every leaf of the field hands over its entries up to the
 * next one with repetition level 0: (repetition level, definition level,
 * value), the values converted to the leaf's DXT type in a scratch column.
 * The schema tree is then walked with, per node, the range of entries of
 * each of its leaves that belongs to the instance being rendered. A node is
 * null when its first leaf's entry is defined below the node's level; a
 * repeated node's range splits into instances at the entries whose
 * repetition level is at most the node's. Every leaf must split the same
 * way; a file where they disagree is malformed.
 *
 * Lists follow the LIST backward-compatibility rules of parquet-format
 * (3-level lists, 2-level lists, legacy "array" and "_tuple" groups); maps
 * with string keys become JSON objects, other maps arrays of
 * {"key": ..., "value": ...}.
 */
#include "pqread.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "convert.h"

/* Integers beyond this magnitude lose precision as JSON numbers. */
#define PQR_JSON_INT_MAX ((int64_t)1 << 53)

static bool has_conv(const struct dxt_pq_schema_elem *el, int ct)
{
	return el->has_converted && (int)el->converted == ct;
}

static void classify(struct dxt_pq_reader *r, struct dxt__pqr_node *nd)
{
	const struct dxt_pq_schema_elem *el = nd->el;
	const struct dxt__pqr_node *rp;
	bool is_list = el->logical.kind == DXT_PQ_LT_LIST ||
		       has_conv(el, DXT_PQ_CT_LIST);
	bool is_map = el->logical.kind == DXT_PQ_LT_MAP ||
		      has_conv(el, DXT_PQ_CT_MAP) ||
		      has_conv(el, DXT_PQ_CT_MAP_KEY_VALUE);

	if (nd->kind == DXT__PQR_LEAF)
		return;
	nd->kind = DXT__PQR_STRUCT;
	if ((!is_list && !is_map) || nd->n_children != 1)
		return;
	rp = &r->nodes[nd->children[0]];
	if (!rp->repeated)
		return;
	if (is_list) {
		size_t nl = strlen(el->name);

		nd->kind = DXT__PQR_LIST;
		nd->list_rep = nd->children[0];
		if (rp->kind == DXT__PQR_LEAF || rp->n_children != 1 ||
		    strcmp(rp->el->name, "array") == 0 ||
		    (strncmp(rp->el->name, el->name, nl) == 0 &&
		     strcmp(rp->el->name + nl, "_tuple") == 0))
			nd->list_elem = nd->children[0];
		else
			nd->list_elem = rp->children[0];
		return;
	}
	if (rp->kind == DXT__PQR_LEAF || rp->n_children != 2)
		return;
	nd->kind = DXT__PQR_MAP;
	nd->map_kv = nd->children[0];
	nd->map_key = rp->children[0];
	nd->map_value = rp->children[1];
	nd->string_keys = false;
	if (r->nodes[nd->map_key].kind == DXT__PQR_LEAF) {
		const struct dxt__pqr_leaf *k =
			&r->leaves[r->nodes[nd->map_key].leaf];

		nd->string_keys = k->target.type == DXT_TYPE_STRING;
	}
}

int dxt__pqr_nested_init(struct dxt_pq_reader *r, struct dxt_error *err)
{
	int rc;

	r->scratch_schema = dxt_schema_create();
	r->rows = calloc(r->n_leaves, sizeof(*r->rows));
	if (!r->scratch_schema || !r->rows)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	for (size_t l = 0; l < r->n_leaves; l++) {
		const struct dxt__pqr_leaf *lf = &r->leaves[l];

		rc = dxt_schema_add(r->scratch_schema, lf->path,
				    lf->nested ? lf->target.type :
				    DXT_TYPE_NULL, lf->target.precision,
				    lf->target.scale, true, NULL);
		if (rc != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	if (dxt_batch_init(&r->scratch, r->scratch_schema) != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	for (size_t f = 0; f < r->n_fields; f++) {
		const struct dxt__pqr_field *fd = &r->fields[f];
		int lo = fd->node, hi = fd->node + 1;

		if (!fd->nested)
			continue;
		/* A field's subtree is the run of elements after it up to
		 * the next top-level field. */
		hi = f + 1 < r->n_fields ? r->fields[f + 1].node :
					   (int)r->meta.n_schema;
		for (int i = lo; i < hi; i++) {
			struct dxt__pqr_node *nd = &r->nodes[i];
			size_t n = nd->leaf_hi - nd->leaf_lo;

			classify(r, nd);
			nd->s = calloc(n ? 4 * n : 1, sizeof(size_t));
			if (!nd->s)
				return dxt_error_set(err, DXT_ENOMEM,
						     "out of memory");
			nd->e = nd->s + n;
		}
	}
	return DXT_OK;
}

void dxt__pqr_nested_free(struct dxt_pq_reader *r)
{
	if (r->nodes)
		for (size_t i = 0; i < r->meta.n_schema; i++)
			free(r->nodes[i].s);
	if (r->rows)
		for (size_t l = 0; l < r->n_leaves; l++) {
			dxt_buf_free(&r->rows[l].rep);
			dxt_buf_free(&r->rows[l].def);
		}
	free(r->rows);
	dxt_batch_release(&r->scratch);
	dxt_schema_destroy(r->scratch_schema);
	dxt_buf_free(&r->json);
	dxt_buf_free(&r->tmp);
}

/* --- gathering a row ------------------------------------------------------ */

/* Collects leaf l's entries of the next row into rows[l] and its scratch
 * column. */
static int gather_row(struct dxt_pq_reader *r, size_t l, struct dxt_error *err)
{
	struct dxt__pqr_leaf *lf = &r->leaves[l];
	struct dxt__pqr_row *row = &r->rows[l];
	struct dxt_column *c = &r->scratch.cols[l];
	int rc;

	row->n = 0;
	row->rep.len = 0;
	row->def.len = 0;
	rc = dxt__pqr_ensure(r, lf, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "the column chunk ends after %llu of the "
				     "row group's %llu rows",
				     (unsigned long long)r->rg_done,
				     (unsigned long long)r->rg_rows);
	if (lf->rep && lf->rep[lf->li] != 0)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "row %llu of the row group starts with "
				     "repetition level %d instead of 0",
				     (unsigned long long)r->rg_done,
				     (int)lf->rep[lf->li]);
	for (;;) {
		size_t j = lf->li + 1, m;
		int32_t *rp, *df;

		if (lf->rep)
			while (j < lf->n && lf->rep[j] != 0)
				j++;
		m = j - lf->li;
		if (dxt_buf_reserve(&row->rep, m * 4) != DXT_OK ||
		    dxt_buf_reserve(&row->def, m * 4) != DXT_OK)
			return dxt__pqr_fail(r, lf, err, DXT_ENOMEM,
					     "out of memory");
		rp = (int32_t *)(row->rep.data + row->rep.len);
		df = (int32_t *)(row->def.data + row->def.len);
		for (size_t k = 0; k < m; k++) {
			rp[k] = lf->rep ? lf->rep[lf->li + k] : 0;
			df[k] = lf->def ? lf->def[lf->li + k] : lf->max_def;
		}
		row->rep.len += m * 4;
		row->def.len += m * 4;
		row->n += m;
		rc = dxt__pqr_consume(r, lf, c, m, err);
		if (rc != DXT_OK)
			return rc;
		/* A row may continue on the next page (v1 pages need not
		 * end at a row boundary). */
		if (!lf->rep || lf->li < lf->n)
			return DXT_OK;
		rc = dxt__pqr_ensure(r, lf, err);
		if (rc < 0)
			return rc;
		if (rc == 0 || lf->rep[lf->li] == 0)
			return DXT_OK;
	}
}

/* --- rendering ------------------------------------------------------------ */

static inline int32_t ent_def(const struct dxt_pq_reader *r, size_t l,
			      size_t i)
{
	int32_t v;

	memcpy(&v, r->rows[l].def.data + i * 4, 4);
	return v;
}

static inline int32_t ent_rep(const struct dxt_pq_reader *r, size_t l,
			      size_t i)
{
	int32_t v;

	memcpy(&v, r->rows[l].rep.data + i * 4, 4);
	return v;
}

static int inconsistent(struct dxt_pq_reader *r, size_t l,
			struct dxt_error *err)
{
	return dxt__pqr_fail(r, &r->leaves[l], err, DXT_EPARSE,
			     "row %llu of the row group: the repetition and "
			     "definition levels of this column do not agree "
			     "with the other columns of the same field",
			     (unsigned long long)r->rg_done);
}

static int put(struct dxt_pq_reader *r, const char *s, size_t n,
	       struct dxt_error *err)
{
	if (dxt_buf_append(&r->json, s, n) != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

/* Appends value i of leaf l in its JSON form (parquet.h: decimals, big
 * integers and binary as strings). */
static int leaf_json(struct dxt_pq_reader *r, size_t l, size_t i,
		     struct dxt_error *err)
{
	const struct dxt_column *c = &r->scratch.cols[l];
	const struct dxt_field *f = &r->scratch_schema->fields[l];
	char tmp[64];
	size_t n;
	int rc;

	if (c->type == DXT_TYPE_NULL || !dxt_col_is_valid(c, i))
		return put(r, "null", 4, err);
	switch (c->type) {
	case DXT_TYPE_DECIMAL:
		n = dxt_format_decimal(dxt_col_dec(c, i), f->scale, tmp);
		rc = dxt_json_quote(&r->json, tmp, n);
		break;
	case DXT_TYPE_INT64: {
		int64_t v = dxt_col_i64(c, i);

		if (v > PQR_JSON_INT_MAX || v < -PQR_JSON_INT_MAX) {
			n = (size_t)snprintf(tmp, sizeof(tmp), "%lld",
					     (long long)v);
			rc = dxt_json_quote(&r->json, tmp, n);
		} else {
			rc = dxt_value_format_json(c, f, i, &r->json);
		}
		break;
	}
	case DXT_TYPE_JSON: {
		const uint8_t *p = dxt_col_bytes(c, i, &n);
		json_t *j = json_loadb((const char *)p, n, JSON_DECODE_ANY,
				       NULL);

		/* Text that is not JSON travels as a string so that the
		 * field's value stays valid JSON. */
		if (j)
			rc = dxt_buf_append(&r->json, p, n);
		else
			rc = dxt_json_quote(&r->json, (const char *)p, n);
		json_decref(j);
		break;
	}
	default:
		rc = dxt_value_format_json(c, f, i, &r->json);
		break;
	}
	if (rc != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

/* Copies the ranges of b's leaves from a (b's leaves are a's or a part). */
static void copy_ranges(const struct dxt__pqr_node *a,
			struct dxt__pqr_node *b)
{
	for (size_t l = b->leaf_lo; l < b->leaf_hi; l++) {
		b->s[l - b->leaf_lo] = a->s[l - a->leaf_lo];
		b->e[l - b->leaf_lo] = a->e[l - a->leaf_lo];
	}
}

static int render_value(struct dxt_pq_reader *r, int ni, struct dxt_error *err);
static int render_member(struct dxt_pq_reader *r, int ni,
			 struct dxt_error *err);

/*
 * Renders the instances of repeated node `rn` in its current ranges as a
 * JSON array, each instance through `each` (rn itself or a descendant). For
 * MAP nodes mi is the map node, -1 otherwise.
 */
static int render_repeated(struct dxt_pq_reader *r, int rni, int each,
			   int mi, struct dxt_error *err)
{
	struct dxt__pqr_node *rn = &r->nodes[rni];
	size_t nl = rn->leaf_hi - rn->leaf_lo, lo = rn->leaf_lo;
	size_t *it = rn->s + 2 * nl, *lim = rn->s + 3 * nl;
	const struct dxt__pqr_node *mp = mi >= 0 ? &r->nodes[mi] : NULL;
	bool object = mp && mp->string_keys;
	bool first = true;
	int rc;

	if (nl == 0 || rn->s[0] >= rn->e[0])
		return inconsistent(r, lo, err);
	if (ent_def(r, lo, rn->s[0]) < rn->def)
		return put(r, object ? "{}" : "[]", 2, err);
	memcpy(it, rn->s, nl * sizeof(size_t));
	memcpy(lim, rn->e, nl * sizeof(size_t));
	rc = put(r, object ? "{" : "[", 1, err);
	while (rc == DXT_OK && it[0] < lim[0]) {
		for (size_t k = 0; k < nl; k++) {
			size_t j = it[k] + 1;

			if (it[k] >= lim[k])
				return inconsistent(r, lo + k, err);
			while (j < lim[k] && ent_rep(r, lo + k, j) > rn->rep)
				j++;
			rn->s[k] = it[k];
			rn->e[k] = j;
			it[k] = j;
		}
		if (!first)
			rc = put(r, ",", 1, err);
		first = false;
		if (rc != DXT_OK)
			break;
		if (!mp) {
			/* The element is the instance itself, or a node below
			 * it that may be repeated in turn. */
			if (each == rni) {
				rc = render_value(r, each, err);
			} else {
				copy_ranges(rn, &r->nodes[each]);
				rc = render_member(r, each, err);
			}
			continue;
		}
		copy_ranges(rn, &r->nodes[mp->map_key]);
		copy_ranges(rn, &r->nodes[mp->map_value]);
		if (object) {
			const struct dxt__pqr_node *k = &r->nodes[mp->map_key];
			const struct dxt_column *c =
				&r->scratch.cols[k->leaf];
			size_t i = k->s[0];

			if (k->s[0] >= k->e[0])
				return inconsistent(r, k->leaf_lo, err);
			if (dxt_col_is_valid(c, i)) {
				size_t n;
				const uint8_t *p = dxt_col_bytes(c, i, &n);

				rc = dxt_json_quote(&r->json, (const char *)p,
						    n) == DXT_OK ? DXT_OK :
					dxt_error_set(err, DXT_ENOMEM,
						      "out of memory");
			} else {
				rc = put(r, "\"\"", 2, err);
			}
			if (rc == DXT_OK)
				rc = put(r, ":", 1, err);
		} else {
			rc = put(r, "{\"key\":", 7, err);
			if (rc == DXT_OK)
				rc = render_value(r, mp->map_key, err);
			if (rc == DXT_OK)
				rc = put(r, ",\"value\":", 9, err);
		}
		if (rc == DXT_OK)
			rc = render_member(r, mp->map_value, err);
		if (rc == DXT_OK && !object)
			rc = put(r, "}", 1, err);
	}
	if (rc != DXT_OK)
		return rc;
	for (size_t k = 1; k < nl; k++)
		if (it[k] != lim[k])
			return inconsistent(r, lo + k, err);
	return put(r, object ? "}" : "]", 1, err);
}

/* A struct member, list element or map value: a repeated node is an array
 * of its instances, anything else one value. */
static int render_member(struct dxt_pq_reader *r, int ni,
			 struct dxt_error *err)
{
	if (r->nodes[ni].repeated)
		return render_repeated(r, ni, ni, -1, err);
	return render_value(r, ni, err);
}

/* Renders one instance of node ni in its current ranges. */
static int render_value(struct dxt_pq_reader *r, int ni, struct dxt_error *err)
{
	struct dxt__pqr_node *nd = &r->nodes[ni];
	size_t lo = nd->leaf_lo;
	int rc;

	if (nd->leaf_hi == lo || nd->s[0] >= nd->e[0])
		return inconsistent(r, lo, err);
	if (nd->optional && ent_def(r, lo, nd->s[0]) < nd->def)
		return put(r, "null", 4, err);
	switch (nd->kind) {
	case DXT__PQR_LEAF:
		if (nd->e[0] - nd->s[0] != 1)
			return inconsistent(r, lo, err);
		return leaf_json(r, lo, nd->s[0], err);
	case DXT__PQR_LIST:
		copy_ranges(nd, &r->nodes[nd->list_rep]);
		return render_repeated(r, nd->list_rep, nd->list_elem, -1, err);
	case DXT__PQR_MAP:
		copy_ranges(nd, &r->nodes[nd->map_kv]);
		return render_repeated(r, nd->map_kv, nd->map_kv, ni, err);
	case DXT__PQR_STRUCT:
		break;
	}
	rc = put(r, "{", 1, err);
	for (int i = 0; rc == DXT_OK && i < nd->n_children; i++) {
		int ci = nd->children[i];
		const char *name = r->nodes[ci].el->name;

		if (i > 0)
			rc = put(r, ",", 1, err);
		if (rc == DXT_OK &&
		    dxt_json_quote(&r->json, name, strlen(name)) != DXT_OK)
			rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		if (rc == DXT_OK)
			rc = put(r, ":", 1, err);
		if (rc == DXT_OK) {
			copy_ranges(nd, &r->nodes[ci]);
			rc = render_member(r, ci, err);
		}
	}
	if (rc != DXT_OK)
		return rc;
	return put(r, "}", 1, err);
}

int dxt__pqr_nested_row(struct dxt_pq_reader *r, size_t f,
			struct dxt_column *c, struct dxt_error *err)
{
	const struct dxt__pqr_field *fd = &r->fields[f];
	struct dxt__pqr_node *top = &r->nodes[fd->node];
	int rc;

	for (size_t l = fd->leaf_lo; l < fd->leaf_hi; l++) {
		struct dxt_column *sc = &r->scratch.cols[l];

		/* The scratch column holds one row's values at a time. */
		sc->length = 0;
		sc->null_count = 0;
		sc->validity.len = 0;
		sc->values.len = 0;
		sc->data.len = 0;
		if (dxt_type_is_varlen(sc->type))
			sc->offsets.len = 4;
		rc = gather_row(r, l, err);
		if (rc != DXT_OK)
			return rc;
		top->s[l - fd->leaf_lo] = 0;
		top->e[l - fd->leaf_lo] = r->rows[l].n;
	}
	if (top->optional && ent_def(r, fd->leaf_lo, 0) < top->def) {
		if (dxt_col_append_null(c) != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		return DXT_OK;
	}
	r->json.len = 0;
	rc = render_member(r, fd->node, err);
	if (rc != DXT_OK)
		return rc;
	rc = dxt_col_append_bytes(c, r->json.data, r->json.len);
	if (rc == DXT_ELIMIT)
		return dxt__pqr_fail(r, &r->leaves[fd->leaf_lo], err, rc,
				     "a batch column would pass 2 GiB; read "
				     "with a smaller batch byte limit");
	if (rc != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}
