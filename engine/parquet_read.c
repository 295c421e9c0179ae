/*
 * parquet_read.c - the Parquet reader (parquet.h): the file and its footer,
 * the schema mapping, column chunks, row groups and batches. Pages are
 * decoded by parquet_read_page.c, nested fields assembled into JSON by
 * parquet_read_nested.c, both over the leaf cursors set up here.
 *
 * A row group's column chunks are read whole with pread (the only memory
 * that grows with the file's row group size) and parsed page by page. Each
 * leaf keeps a cursor into its chunk, so a batch may end anywhere inside a
 * page and the next read carries on there. Batches are filled in steps of
 * rows, column by column, sized from the bytes per row seen so far.
 *
 * Every length, count and offset read from the file is checked before it
 * is used: against the file size, the chunk, the page or the row group.
 */
#include "pqread.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Nesting deeper than this is refused: no real schema comes close. */
#define PQR_MAX_DEPTH 64
/* The widest FIXED_LEN_BYTE_ARRAY accepted. */
#define PQR_MAX_FLBA (1 << 24)
/* Rows per step of a read when nothing is known about row sizes yet. */
#define PQR_FIRST_STEP 64
#define PQR_MAX_STEP 8192

/* --- messages ------------------------------------------------------------- */

static int vfail(struct dxt_pq_reader *r, const struct dxt__pqr_leaf *lf,
		 struct dxt_error *err, int code, const char *fmt, va_list ap)
{
	char msg[DXT_ERROR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (lf == NULL)
		return dxt_error_set(err, code, "%s: %s", r->path, msg);
	if (r->schema_phase)
		return dxt_error_set(err, code, "%s: column \"%s\": %s",
				     r->path, lf->path, msg);
	if (lf->page_no > 0)
		return dxt_error_set(err, code,
				     "%s: row group %zu, column \"%s\", "
				     "page %d: %s", r->path, r->rg, lf->path,
				     lf->page_no - 1, msg);
	return dxt_error_set(err, code, "%s: row group %zu, column \"%s\": %s",
			     r->path, r->rg, lf->path, msg);
}

int dxt__pqr_fail(struct dxt_pq_reader *r, const struct dxt__pqr_leaf *lf,
		  struct dxt_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(r, lf, err, code, fmt, ap);
	va_end(ap);
	return rc;
}

int dxt__pqr_prefix(struct dxt_pq_reader *r, const struct dxt__pqr_leaf *lf,
		    struct dxt_error *err, int code)
{
	if (code == DXT_ENOMEM)
		return dxt__pqr_fail(r, lf, err, code, "out of memory");
	if (err == NULL)
		return code;
	err->code = code;
	if (lf->page_no > 0)
		dxt_error_prefix(err, "%s: row group %zu, column \"%s\", "
				 "page %d: ", r->path, r->rg, lf->path,
				 lf->page_no - 1);
	else
		dxt_error_prefix(err, "%s: row group %zu, column \"%s\": ",
				 r->path, r->rg, lf->path);
	return code;
}

/* --- file access ---------------------------------------------------------- */

/* Reads exactly n bytes at off; a short read means the file changed. */
static int pread_full(struct dxt_pq_reader *r, void *buf, size_t n,
		      uint64_t off, struct dxt_error *err)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t got = pread(r->fd, p, n, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return dxt_error_set(err, DXT_EIO,
					     "%s: cannot read %zu bytes at "
					     "offset %llu: %s", r->path, n,
					     (unsigned long long)off,
					     strerror(errno));
		if (got == 0)
			return dxt_error_set(err, DXT_EIO,
					     "%s: the file ends at offset "
					     "%llu, before the %zu bytes it "
					     "should hold there (was it "
					     "truncated while being read?)",
					     r->path,
					     (unsigned long long)off, n);
		p += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return DXT_OK;
}

/* --- schema --------------------------------------------------------------- */

static void set_range(struct dxt__pqr_leaf *lf)
{
	switch (lf->target.type) {
	case DXT_TYPE_INT8:
		lf->lo = INT8_MIN;
		lf->hi = INT8_MAX;
		break;
	case DXT_TYPE_INT16:
		lf->lo = INT16_MIN;
		lf->hi = INT16_MAX;
		break;
	case DXT_TYPE_INT32:
	case DXT_TYPE_DATE:
		lf->lo = INT32_MIN;
		lf->hi = INT32_MAX;
		break;
	default:
		lf->lo = INT64_MIN;
		lf->hi = INT64_MAX;
		break;
	}
}

/* An integer of `bits` bits, signed or not, as the narrowest DXT type that
 * holds every value; unsigned 64 becomes decimal(20,0). */
static void map_integer(struct dxt__pqr_leaf *lf, int bits, bool is_signed)
{
	bool wide = lf->phys == DXT_PQ_INT64;

	if (is_signed) {
		lf->conv = wide ? DXT__PQR_I64 : DXT__PQR_I32;
		lf->target.type = bits <= 8 ? DXT_TYPE_INT8 :
				  bits <= 16 ? DXT_TYPE_INT16 :
				  bits <= 32 ? DXT_TYPE_INT32 : DXT_TYPE_INT64;
		return;
	}
	if (bits <= 8) {
		lf->target.type = DXT_TYPE_INT16;
	} else if (bits <= 16) {
		lf->target.type = DXT_TYPE_INT32;
	} else if (bits <= 32) {
		lf->target.type = DXT_TYPE_INT64;
	} else {
		lf->target.type = DXT_TYPE_DECIMAL;
		lf->target.precision = 20;
		lf->target.scale = 0;
		lf->conv = DXT__PQR_U64;
		return;
	}
	/* A narrow unsigned value in an INT64 is never negative: the signed
	 * path with the target's range check reads it. */
	lf->conv = wide ? DXT__PQR_I64 : DXT__PQR_U32;
}

static const char *logical_name(enum dxt_pq_logical_kind k)
{
	static const char *const names[] = {
		[DXT_PQ_LT_NONE] = "none", [DXT_PQ_LT_STRING] = "STRING",
		[DXT_PQ_LT_MAP] = "MAP", [DXT_PQ_LT_LIST] = "LIST",
		[DXT_PQ_LT_ENUM] = "ENUM", [DXT_PQ_LT_DECIMAL] = "DECIMAL",
		[DXT_PQ_LT_DATE] = "DATE", [DXT_PQ_LT_TIME] = "TIME",
		[DXT_PQ_LT_TIMESTAMP] = "TIMESTAMP",
		[DXT_PQ_LT_INTEGER] = "INTEGER",
		[DXT_PQ_LT_UNKNOWN] = "UNKNOWN", [DXT_PQ_LT_JSON] = "JSON",
		[DXT_PQ_LT_BSON] = "BSON", [DXT_PQ_LT_UUID] = "UUID",
		[DXT_PQ_LT_FLOAT16] = "FLOAT16",
	};

	if ((unsigned)k < sizeof(names) / sizeof(names[0]) && names[k])
		return names[k];
	return "an unknown logical type";
}

static int set_decimal(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		       int precision, int scale, struct dxt_error *err)
{
	if (precision > DXT_DECIMAL_MAX_PRECISION)
		return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
				     "DECIMAL(%d,%d) is wider than the 38 "
				     "digits a DXT decimal holds", precision,
				     scale);
	if (precision < 1 || scale < 0 || scale > precision)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "DECIMAL(%d,%d) is not a valid decimal "
				     "type", precision, scale);
	lf->target.type = DXT_TYPE_DECIMAL;
	lf->target.precision = precision;
	lf->target.scale = scale;
	switch (lf->phys) {
	case DXT_PQ_INT32:
		lf->conv = DXT__PQR_DEC32;
		return DXT_OK;
	case DXT_PQ_INT64:
		lf->conv = DXT__PQR_DEC64;
		return DXT_OK;
	case DXT_PQ_BYTE_ARRAY:
	case DXT_PQ_FIXED_LEN_BYTE_ARRAY:
		lf->conv = DXT__PQR_DECBIN;
		return DXT_OK;
	default:
		return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
				     "DECIMAL on physical type %s",
				     dxt_pq_physical_name(lf->phys));
	}
}

static int set_time_unit(struct dxt__pqr_leaf *lf, enum dxt_pq_time_unit u)
{
	if (u == DXT_PQ_MILLIS)
		lf->mul = 1000;
	else if (u == DXT_PQ_NANOS)
		lf->div = 1000;
	else if (u != DXT_PQ_MICROS)
		return -1;
	return 0;
}

/* Maps a leaf's physical, logical and converted types (parquet.h table). */
static int map_leaf(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		    const struct dxt_pq_schema_elem *el, struct dxt_error *err)
{
	const struct dxt_pq_logical *lt = &el->logical;
	enum dxt_pq_physical ph = el->type;
	int ct = el->has_converted ? (int)el->converted : -1;
	bool i32 = ph == DXT_PQ_INT32, i64 = ph == DXT_PQ_INT64;
	bool bytes = ph == DXT_PQ_BYTE_ARRAY ||
		     ph == DXT_PQ_FIXED_LEN_BYTE_ARRAY;

	lf->phys = ph;
	lf->mul = 1;
	lf->div = 1;
	lf->target.precision = 0;
	lf->target.scale = 0;
	if (lt->kind == DXT_PQ_LT_UNKNOWN) {
		lf->conv = DXT__PQR_NULL;
		lf->target.type = DXT_TYPE_NULL;
		return DXT_OK;
	}
	switch (ph) {
	case DXT_PQ_BOOLEAN:
		lf->conv = DXT__PQR_BOOL;
		lf->target.type = DXT_TYPE_BOOL;
		return DXT_OK;
	case DXT_PQ_INT96:
		lf->conv = DXT__PQR_INT96;
		lf->target.type = DXT_TYPE_TIMESTAMP;
		return DXT_OK;
	case DXT_PQ_FLOAT:
		lf->conv = DXT__PQR_F32;
		lf->target.type = DXT_TYPE_FLOAT32;
		return DXT_OK;
	case DXT_PQ_DOUBLE:
		lf->conv = DXT__PQR_F64;
		lf->target.type = DXT_TYPE_FLOAT64;
		return DXT_OK;
	default:
		break;
	}

	if (lt->kind != DXT_PQ_LT_NONE) {
		switch (lt->kind) {
		case DXT_PQ_LT_INTEGER:
			if (!(i32 || i64) || (lt->bit_width != 8 &&
			    lt->bit_width != 16 && lt->bit_width != 32 &&
			    lt->bit_width != 64) || (i32 && lt->bit_width > 32))
				goto bad;
			map_integer(lf, lt->bit_width, lt->is_signed);
			break;
		case DXT_PQ_LT_DECIMAL:
			return set_decimal(r, lf, lt->precision, lt->scale,
					   err);
		case DXT_PQ_LT_DATE:
			if (!i32)
				goto bad;
			lf->conv = DXT__PQR_I32;
			lf->target.type = DXT_TYPE_DATE;
			break;
		case DXT_PQ_LT_TIME:
			if (!(i32 && lt->unit == DXT_PQ_MILLIS) &&
			    !(i64 && lt->unit != DXT_PQ_MILLIS))
				goto bad;
			if (set_time_unit(lf, lt->unit) != 0)
				goto bad;
			lf->conv = i32 ? DXT__PQR_I32 : DXT__PQR_I64;
			lf->target.type = DXT_TYPE_TIME;
			break;
		case DXT_PQ_LT_TIMESTAMP:
			if (!i64 || set_time_unit(lf, lt->unit) != 0)
				goto bad;
			lf->conv = DXT__PQR_I64;
			lf->target.type = lt->is_adjusted_to_utc ?
					  DXT_TYPE_TIMESTAMPTZ :
					  DXT_TYPE_TIMESTAMP;
			break;
		case DXT_PQ_LT_STRING:
		case DXT_PQ_LT_ENUM:
		case DXT_PQ_LT_JSON:
			if (ph != DXT_PQ_BYTE_ARRAY)
				goto bad;
			lf->conv = DXT__PQR_BYTES;
			lf->target.type = lt->kind == DXT_PQ_LT_JSON ?
					  DXT_TYPE_JSON : DXT_TYPE_STRING;
			break;
		case DXT_PQ_LT_BSON:
		case DXT_PQ_LT_FLOAT16:
			if (!bytes)
				goto bad;
			lf->conv = DXT__PQR_BYTES;
			lf->target.type = DXT_TYPE_BINARY;
			break;
		case DXT_PQ_LT_UUID:
			if (ph != DXT_PQ_FIXED_LEN_BYTE_ARRAY ||
			    el->type_length != 16)
				goto bad;
			lf->conv = DXT__PQR_UUID;
			lf->target.type = DXT_TYPE_UUID;
			break;
		default:
			goto bad;
		}
		set_range(lf);
		return DXT_OK;
	}

	/* Files from writers that predate LogicalType: ConvertedType. */
	switch (ct) {
	case -1:
		if (i32 || i64) {
			map_integer(lf, i32 ? 32 : 64, true);
		} else {
			lf->conv = DXT__PQR_BYTES;
			lf->target.type = DXT_TYPE_BINARY;
		}
		break;
	case DXT_PQ_CT_INT_8:
	case DXT_PQ_CT_INT_16:
	case DXT_PQ_CT_INT_32:
	case DXT_PQ_CT_INT_64:
	case DXT_PQ_CT_UINT_8:
	case DXT_PQ_CT_UINT_16:
	case DXT_PQ_CT_UINT_32:
	case DXT_PQ_CT_UINT_64: {
		static const int bits[] = { 8, 16, 32, 64 };
		bool sig = ct >= DXT_PQ_CT_INT_8;
		int b = bits[ct - (sig ? DXT_PQ_CT_INT_8 : DXT_PQ_CT_UINT_8)];

		if (!(i32 || i64) || (i32 && b > 32))
			goto bad;
		map_integer(lf, b, sig);
		break;
	}
	case DXT_PQ_CT_DECIMAL:
		return set_decimal(r, lf, el->precision, el->scale, err);
	case DXT_PQ_CT_DATE:
		if (!i32)
			goto bad;
		lf->conv = DXT__PQR_I32;
		lf->target.type = DXT_TYPE_DATE;
		break;
	case DXT_PQ_CT_TIME_MILLIS:
	case DXT_PQ_CT_TIME_MICROS:
		if (ct == DXT_PQ_CT_TIME_MILLIS ? !i32 : !i64)
			goto bad;
		lf->mul = ct == DXT_PQ_CT_TIME_MILLIS ? 1000 : 1;
		lf->conv = i32 ? DXT__PQR_I32 : DXT__PQR_I64;
		lf->target.type = DXT_TYPE_TIME;
		break;
	case DXT_PQ_CT_TIMESTAMP_MILLIS:
	case DXT_PQ_CT_TIMESTAMP_MICROS:
		if (!i64)
			goto bad;
		lf->mul = ct == DXT_PQ_CT_TIMESTAMP_MILLIS ? 1000 : 1;
		lf->conv = DXT__PQR_I64;
		lf->target.type = DXT_TYPE_TIMESTAMP;
		break;
	case DXT_PQ_CT_UTF8:
	case DXT_PQ_CT_ENUM:
	case DXT_PQ_CT_JSON:
		if (ph != DXT_PQ_BYTE_ARRAY)
			goto bad;
		lf->conv = DXT__PQR_BYTES;
		lf->target.type = ct == DXT_PQ_CT_JSON ? DXT_TYPE_JSON :
							 DXT_TYPE_STRING;
		break;
	case DXT_PQ_CT_BSON:
	case DXT_PQ_CT_INTERVAL:
		if (!bytes)
			goto bad;
		lf->conv = DXT__PQR_BYTES;
		lf->target.type = DXT_TYPE_BINARY;
		break;
	default:
		goto bad;
	}
	set_range(lf);
	return DXT_OK;
bad:
	if (lt->kind != DXT_PQ_LT_NONE)
		return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
				     "logical type %s on physical type %s "
				     "(width %d) is not supported",
				     logical_name(lt->kind),
				     dxt_pq_physical_name(ph),
				     (int)el->type_length);
	return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
			     "converted type %d on physical type %s is not "
			     "supported", ct, dxt_pq_physical_name(ph));
}

/* Bytes one value of a leaf takes once staged. */
static size_t stage_width(const struct dxt__pqr_leaf *lf,
			  const struct dxt_pq_schema_elem *el)
{
	switch (lf->phys) {
	case DXT_PQ_BOOLEAN:
		return sizeof(bool);
	case DXT_PQ_INT32:
	case DXT_PQ_FLOAT:
		return 4;
	case DXT_PQ_INT64:
	case DXT_PQ_DOUBLE:
		return 8;
	case DXT_PQ_INT96:
		return 12;
	case DXT_PQ_FIXED_LEN_BYTE_ARRAY:
		return (size_t)el->type_length;
	default:
		return sizeof(struct dxt__pqr_ref);
	}
}

struct walk {
	struct dxt_pq_reader *r;
	size_t next;      /* next schema element */
	size_t n_leaves;
	size_t n_child;   /* child_idx entries used */
	const char *names[PQR_MAX_DEPTH + 1];
	struct dxt_error *err;
};

static int walk_fail(struct walk *w, size_t idx, int code, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));

static int walk_fail(struct walk *w, size_t idx, int code, const char *fmt,
		     ...)
{
	char msg[DXT_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dxt_error_set(w->err, code,
			     "%s: schema element %zu (\"%s\"): %s",
			     w->r->path, idx,
			     w->r->meta.schema[idx].name ?
			     w->r->meta.schema[idx].name : "", msg);
}

static char *join_path(const char *const *names, int depth)
{
	size_t len = 0, at = 0;
	char *s;

	for (int i = 1; i <= depth; i++)
		len += strlen(names[i]) + 1;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (int i = 1; i <= depth; i++) {
		size_t n = strlen(names[i]);

		if (i > 1)
			s[at++] = '.';
		memcpy(s + at, names[i], n);
		at += n;
	}
	s[at] = '\0';
	return s;
}

/*
 * Walks the depth-first schema list from w->next: checks the tree, sets
 * the nodes' levels and children, and (when fill) the leaves. The first
 * pass only counts leaves.
 */
static int walk_node(struct walk *w, int parent, int depth, int def, int rep,
		     bool fill, size_t field)
{
	struct dxt_pq_reader *r = w->r;
	size_t idx = w->next++;
	const struct dxt_pq_schema_elem *el = &r->meta.schema[idx];
	struct dxt__pqr_node *nd = &r->nodes[idx];
	int rc;

	if (depth > PQR_MAX_DEPTH)
		return walk_fail(w, idx, DXT_EUNSUPPORTED,
				 "the schema nests deeper than %d levels",
				 PQR_MAX_DEPTH);
	if (el->name == NULL)
		return walk_fail(w, idx, DXT_EPARSE, "the element has no name");
	w->names[depth] = el->name;
	nd->el = el;
	nd->leaf = -1;
	nd->parent = parent;
	nd->depth = depth;
	if (depth > 0) {
		enum dxt_pq_repetition rp = el->has_repetition ?
					    el->repetition : DXT_PQ_REQUIRED;

		if ((unsigned)rp > DXT_PQ_REPEATED)
			return walk_fail(w, idx, DXT_EPARSE,
					 "repetition %d is unknown", (int)rp);
		nd->optional = rp == DXT_PQ_OPTIONAL;
		nd->repeated = rp == DXT_PQ_REPEATED;
		if (rp != DXT_PQ_REQUIRED)
			def++;
		if (nd->repeated)
			rep++;
	}
	nd->def = def;
	nd->rep = rep;
	nd->leaf_lo = w->n_leaves;
	if (el->num_children < 0)
		return walk_fail(w, idx, DXT_EPARSE,
				 "num_children is negative (%d)",
				 (int)el->num_children);
	if (el->num_children == 0) {
		struct dxt__pqr_leaf *lf;

		if (depth == 0)
			return walk_fail(w, idx, DXT_EPARSE,
					 "the schema has no columns");
		if (!el->has_type)
			return walk_fail(w, idx, DXT_EPARSE,
					 "a leaf without a physical type (or "
					 "a group without children)");
		if (dxt_pq_physical_name(el->type) == NULL)
			return walk_fail(w, idx, DXT_EUNSUPPORTED,
					 "physical type %d is unknown",
					 (int)el->type);
		if (el->type == DXT_PQ_FIXED_LEN_BYTE_ARRAY &&
		    (el->type_length < 1 || el->type_length > PQR_MAX_FLBA))
			return walk_fail(w, idx, DXT_EPARSE,
					 "FIXED_LEN_BYTE_ARRAY width %d is "
					 "not between 1 and %d",
					 (int)el->type_length, PQR_MAX_FLBA);
		nd->kind = DXT__PQR_LEAF;
		nd->leaf = (int)w->n_leaves;
		w->n_leaves++;
		nd->leaf_hi = w->n_leaves;
		if (!fill)
			return DXT_OK;
		lf = &r->leaves[nd->leaf];
		lf->elem = (int)idx;
		lf->max_def = def;
		lf->max_rep = rep;
		lf->field = field;
		lf->path = join_path(w->names, depth);
		if (!lf->path)
			return dxt_error_set(w->err, DXT_ENOMEM,
					     "out of memory");
		rc = map_leaf(r, lf, el, w->err);
		if (rc != DXT_OK)
			return rc;
		lf->width = stage_width(lf, el);
		return DXT_OK;
	}
	if ((size_t)el->num_children > r->meta.n_schema - w->next ||
	    (size_t)el->num_children > r->meta.n_schema - w->n_child)
		return walk_fail(w, idx, DXT_EPARSE,
				 "num_children %d is more than the %zu "
				 "elements that follow", (int)el->num_children,
				 r->meta.n_schema - w->next);
	nd->kind = DXT__PQR_STRUCT;
	nd->n_children = el->num_children;
	nd->children = r->child_idx + w->n_child;
	w->n_child += (size_t)el->num_children;
	for (int i = 0; i < el->num_children; i++) {
		if (w->next >= r->meta.n_schema)
			return walk_fail(w, idx, DXT_EPARSE,
					 "num_children %d is more than the "
					 "elements that follow",
					 (int)el->num_children);
		nd->children[i] = (int)w->next;
		rc = walk_node(w, (int)idx, depth + 1, def, rep, fill,
			       depth == 0 ? (size_t)i : field);
		if (rc != DXT_OK)
			return rc;
	}
	nd->leaf_hi = w->n_leaves;
	return DXT_OK;
}

static int walk_schema(struct dxt_pq_reader *r, bool fill,
		       struct dxt_error *err)
{
	struct walk w = { .r = r, .err = err };
	int rc;

	if (r->meta.n_schema == 0)
		return dxt_error_set(err, DXT_EPARSE, "%s: the footer holds "
				     "no schema", r->path);
	rc = walk_node(&w, -1, 0, 0, 0, fill, 0);
	if (rc != DXT_OK)
		return rc;
	if (w.next != r->meta.n_schema)
		return dxt_error_set(err, DXT_EPARSE,
				     "%s: the schema tree ends after %zu of "
				     "its %zu elements", r->path, w.next,
				     r->meta.n_schema);
	r->n_leaves = w.n_leaves;
	return DXT_OK;
}

static const char *native_name(const struct dxt__pqr_node *nd)
{
	if (nd->kind == DXT__PQR_LEAF)
		return dxt_pq_physical_name(nd->el->type);
	if ((nd->el->logical.kind == DXT_PQ_LT_LIST ||
	     (nd->el->has_converted && nd->el->converted == DXT_PQ_CT_LIST)))
		return "LIST";
	if (nd->el->logical.kind == DXT_PQ_LT_MAP ||
	    (nd->el->has_converted && (nd->el->converted == DXT_PQ_CT_MAP ||
	     nd->el->converted == DXT_PQ_CT_MAP_KEY_VALUE)))
		return "MAP";
	return nd->repeated ? "REPEATED" : "GROUP";
}

/* Builds the DXT schema and the fields from the checked tree. */
static int map_schema(struct dxt_pq_reader *r, struct dxt_error *err)
{
	const struct dxt__pqr_node *root = &r->nodes[0];

	r->own = dxt_schema_create();
	r->fields = calloc((size_t)root->n_children, sizeof(*r->fields));
	if (!r->own || !r->fields)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	r->n_fields = (size_t)root->n_children;
	for (size_t f = 0; f < r->n_fields; f++) {
		const struct dxt__pqr_node *nd = &r->nodes[root->children[f]];
		struct dxt__pqr_field *fd = &r->fields[f];
		int rc;

		fd->node = root->children[f];
		fd->leaf_lo = nd->leaf_lo;
		fd->leaf_hi = nd->leaf_hi;
		fd->nested = nd->kind != DXT__PQR_LEAF || nd->repeated;
		if (fd->nested) {
			r->have_nested = true;
			for (size_t l = nd->leaf_lo; l < nd->leaf_hi; l++)
				r->leaves[l].nested = true;
			rc = dxt_schema_add(r->own, nd->el->name,
					    DXT_TYPE_JSON, 0, 0, nd->optional,
					    native_name(nd));
		} else {
			const struct dxt__pqr_leaf *lf = &r->leaves[nd->leaf];

			rc = dxt_schema_add(r->own, nd->el->name,
					    lf->target.type,
					    lf->target.precision,
					    lf->target.scale, nd->optional,
					    native_name(nd));
		}
		if (rc != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	for (size_t l = 0; l < r->n_leaves; l++) {
		struct dxt__pqr_leaf *lf = &r->leaves[l];

		lf->target.name = r->meta.schema[lf->elem].name;
	}
	return DXT_OK;
}

static bool codec_readable(enum dxt_pq_codec c)
{
	return c == DXT_PQ_UNCOMPRESSED || c == DXT_PQ_SNAPPY ||
	       c == DXT_PQ_GZIP || c == DXT_PQ_BROTLI || c == DXT_PQ_ZSTD ||
	       c == DXT_PQ_LZ4_RAW;
}

/* Where a column chunk's pages start: its dictionary page when it has one
 * (some writers store 0 for "none"), else its first data page. */
static int64_t chunk_start(const struct dxt_pq_column_meta *cm)
{
	if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
	    cm->dictionary_page_offset < cm->data_page_offset)
		return cm->dictionary_page_offset;
	return cm->data_page_offset;
}

static const char *phys_name(int type)
{
	const char *s = dxt_pq_physical_name(type);

	return s ? s : "(unknown)";
}

/* Checks leaf lf's column chunk cc of row group rg. */
static int check_chunk(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		       const struct dxt_pq_row_group *rg,
		       const struct dxt_pq_column_chunk *cc, uint64_t data_end,
		       struct dxt_error *err)
{
	const struct dxt_pq_column_meta *cm = &cc->meta;
	const struct dxt__pqr_node *nd = &r->nodes[lf->elem];
	int64_t start = chunk_start(cm);

	if (cc->file_path != NULL)
		return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
				     "the column chunk is in another file "
				     "(\"%s\")", cc->file_path);
	if (!cc->has_meta)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "the column chunk has no metadata");
	if (cm->n_path != (size_t)nd->depth)
		goto bad_path;
	for (size_t k = cm->n_path; k-- > 0; nd = &r->nodes[nd->parent])
		if (!cm->path[k] || strcmp(cm->path[k], nd->el->name) != 0)
			goto bad_path;
	if (cm->type != lf->phys)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "the column chunk's type %s is not the "
				     "schema's %s", phys_name(cm->type),
				     phys_name(lf->phys));
	if (!codec_readable(cm->codec)) {
		const char *cn = dxt_pq_codec_name(cm->codec);

		return dxt__pqr_fail(r, lf, err, DXT_EUNSUPPORTED,
				     "compression codec %s%s is not supported "
				     "(use UNCOMPRESSED, SNAPPY, GZIP, BROTLI, "
				     "ZSTD or LZ4_RAW)", cn ? cn : "number ",
				     cn ? "" : "(unknown)");
	}
	if (start < 4 || cm->total_compressed_size < 0 ||
	    (uint64_t)start > data_end ||
	    (uint64_t)cm->total_compressed_size > data_end - (uint64_t)start)
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "the column chunk (offset %lld, %lld "
				     "bytes) lies outside the file's data "
				     "(bytes 4 to %llu)", (long long)start,
				     (long long)cm->total_compressed_size,
				     (unsigned long long)data_end);
	if (cm->num_values < 0 ||
	    (lf->max_rep == 0 && cm->num_values != rg->num_rows))
		return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
				     "the column chunk holds %lld values for "
				     "%lld rows", (long long)cm->num_values,
				     (long long)rg->num_rows);
	return DXT_OK;
bad_path:
	return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
			     "the column chunk's path does not match the "
			     "schema's leaf %zu", (size_t)(lf - r->leaves));
}

/* Checks every row group's column chunks against the schema and the file. */
static int check_chunks(struct dxt_pq_reader *r, uint64_t data_end,
			struct dxt_error *err)
{
	uint64_t total = 0;

	for (size_t g = 0; g < r->meta.n_row_groups; g++) {
		const struct dxt_pq_row_group *rg = &r->meta.row_groups[g];

		r->rg = g;
		if (rg->num_rows < 0)
			return dxt_error_set(err, DXT_EPARSE,
					     "%s: row group %zu: num_rows is "
					     "negative (%lld)", r->path, g,
					     (long long)rg->num_rows);
		total += (uint64_t)rg->num_rows;
		if (rg->n_columns != r->n_leaves)
			return dxt_error_set(err, DXT_EPARSE,
					     "%s: row group %zu has %zu column "
					     "chunks, the schema %zu leaf "
					     "columns", r->path, g,
					     rg->n_columns, r->n_leaves);
		for (size_t i = 0; i < r->n_leaves; i++) {
			int rc = check_chunk(r, &r->leaves[i], rg,
					     &rg->columns[i], data_end, err);

			if (rc != DXT_OK)
				return rc;
		}
	}
	r->rg = 0;
	if (r->meta.num_rows < 0 || total != (uint64_t)r->meta.num_rows)
		return dxt_error_set(err, DXT_EPARSE,
				     "%s: the row groups hold %llu rows, the "
				     "footer says %lld", r->path,
				     (unsigned long long)total,
				     (long long)r->meta.num_rows);
	return DXT_OK;
}

static int compare_schema(struct dxt_pq_reader *r,
			  const struct dxt_schema *expect,
			  struct dxt_error *err)
{
	const struct dxt_schema *got = r->own;
	char a[64], b[64];

	if (got->n != expect->n)
		return dxt_error_set(err, DXT_ESCHEMA,
				     "%s: the file has %zu columns, the "
				     "expected schema %zu", r->path, got->n,
				     expect->n);
	for (size_t i = 0; i < got->n; i++) {
		const struct dxt_field *g = &got->fields[i];
		const struct dxt_field *e = &expect->fields[i];

		if (strcmp(g->name, e->name) != 0)
			return dxt_error_set(err, DXT_ESCHEMA,
					     "%s: column %zu is \"%s\" in the "
					     "file, the expected schema has "
					     "\"%s\"", r->path, i + 1, g->name,
					     e->name);
		if (g->type != e->type || (g->type == DXT_TYPE_DECIMAL &&
		    (g->precision != e->precision || g->scale != e->scale))) {
			dxt_field_type_string(g, a, sizeof(a));
			dxt_field_type_string(e, b, sizeof(b));
			return dxt_error_set(err, DXT_ESCHEMA,
					     "%s: column \"%s\" is %s in the "
					     "file, the expected schema says "
					     "%s", r->path, g->name, a, b);
		}
	}
	return DXT_OK;
}

int dxt_pq_reader_open(const char *path, const struct dxt_schema *expect,
		       struct dxt_pq_reader **out, struct dxt_error *err)
{
	struct dxt_pq_reader *r;
	uint8_t tail[8], head[4];
	uint8_t *footer = NULL;
	uint32_t flen;
	struct stat st;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	r->fd = -1;
	r->path = strdup(path);
	if (!r->path) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto fail;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = dxt_error_set(err, errno == ENOENT ? DXT_ENOTFOUND :
				   DXT_EIO, "%s: cannot open: %s", path,
				   strerror(errno));
		goto fail;
	}
	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = dxt_error_set(err, DXT_EIO, "%s: not a regular file",
				   path);
		goto fail;
	}
	r->size = (uint64_t)st.st_size;
	if (r->size < 12) {
		rc = dxt_error_set(err, DXT_EPARSE,
				   "%s: %llu bytes is too short for a Parquet "
				   "file (magic, footer and its length take "
				   "at least 12)", path,
				   (unsigned long long)r->size);
		goto fail;
	}
	rc = pread_full(r, head, 4, 0, err);
	if (rc == DXT_OK)
		rc = pread_full(r, tail, 8, r->size - 8, err);
	if (rc != DXT_OK)
		goto fail;
	if (memcmp(head, "PAR1", 4) != 0) {
		rc = dxt_error_set(err, DXT_EPARSE,
				   "%s: not a Parquet file (it does not start "
				   "with the magic PAR1)", path);
		goto fail;
	}
	if (memcmp(tail + 4, "PARE", 4) == 0) {
		rc = dxt_error_set(err, DXT_EUNSUPPORTED,
				   "%s: the file is encrypted (PARE), which is "
				   "not supported", path);
		goto fail;
	}
	if (memcmp(tail + 4, "PAR1", 4) != 0) {
		rc = dxt_error_set(err, DXT_EPARSE,
				   "%s: the file does not end with the magic "
				   "PAR1 (truncated or still being written?)",
				   path);
		goto fail;
	}
	flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 |
	       (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
	if (flen == 0 || flen > r->size - 12) {
		rc = dxt_error_set(err, DXT_EPARSE,
				   "%s: the footer length %u does not fit in "
				   "the file's %llu bytes", path, flen,
				   (unsigned long long)r->size);
		goto fail;
	}
	footer = malloc(flen);
	if (!footer) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto fail;
	}
	rc = pread_full(r, footer, flen, r->size - 8 - flen, err);
	if (rc != DXT_OK)
		goto fail;
	rc = dxt_pq_file_meta_read(footer, flen, path, &r->meta, err);
	free(footer);
	footer = NULL;
	if (rc != DXT_OK)
		goto fail;

	r->nodes = calloc(r->meta.n_schema, sizeof(*r->nodes));
	r->child_idx = calloc(r->meta.n_schema, sizeof(int));
	if (!r->nodes || !r->child_idx) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto fail;
	}
	r->schema_phase = true;
	rc = walk_schema(r, false, err);
	if (rc != DXT_OK)
		goto fail;
	r->leaves = calloc(r->n_leaves, sizeof(*r->leaves));
	if (!r->leaves) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto fail;
	}
	rc = walk_schema(r, true, err);
	if (rc == DXT_OK)
		rc = map_schema(r, err);
	r->schema_phase = false;
	if (rc == DXT_OK)
		rc = check_chunks(r, r->size - 8 - flen, err);
	if (rc == DXT_OK && r->have_nested)
		rc = dxt__pqr_nested_init(r, err);
	if (rc != DXT_OK)
		goto fail;
	if (expect) {
		rc = compare_schema(r, expect, err);
		if (rc != DXT_OK)
			goto fail;
		r->schema = expect;
	} else {
		r->schema = r->own;
	}
	r->codec = dxt_pq_codec_ctx_new();
	if (!r->codec) {
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		goto fail;
	}
	*out = r;
	return DXT_OK;
fail:
	free(footer);
	dxt_pq_reader_close(r);
	return rc;
}

const struct dxt_schema *dxt_pq_reader_schema(const struct dxt_pq_reader *r)
{
	return r->schema;
}

const struct dxt_pq_file_meta *dxt_pq_reader_meta(const struct dxt_pq_reader *r)
{
	return &r->meta;
}

uint64_t dxt_pq_reader_rows(const struct dxt_pq_reader *r)
{
	return (uint64_t)r->meta.num_rows;
}

void dxt_pq_reader_close(struct dxt_pq_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; r->leaves && i < r->n_leaves; i++) {
		struct dxt__pqr_leaf *lf = &r->leaves[i];

		free(lf->path);
		dxt_buf_free(&lf->chunk);
		dxt_buf_free(&lf->dict_page);
		dxt_buf_free(&lf->dict_vals);
		dxt_buf_free(&lf->page);
		dxt_buf_free(&lf->defs);
		dxt_buf_free(&lf->reps);
		dxt_buf_free(&lf->stage);
		dxt_buf_free(&lf->stage_data);
		dxt_buf_free(&lf->idx);
		dxt_buf_free(&lf->tmp);
	}
	dxt__pqr_nested_free(r);
	free(r->leaves);
	free(r->nodes);
	free(r->child_idx);
	free(r->fields);
	dxt_schema_destroy(r->own);
	dxt_pq_file_meta_free(&r->meta);
	dxt_pq_codec_ctx_free(r->codec);
	free(r->path);
	free(r);
}

/* --- row groups and batches ----------------------------------------------- */

/* Reads row group g's column chunks and resets the cursors. */
static int load_row_group(struct dxt_pq_reader *r, size_t g,
			  struct dxt_error *err)
{
	const struct dxt_pq_row_group *rg = &r->meta.row_groups[g];

	r->rg = g;
	r->rg_rows = (uint64_t)rg->num_rows;
	r->rg_done = 0;
	for (size_t i = 0; i < r->n_leaves; i++) {
		struct dxt__pqr_leaf *lf = &r->leaves[i];
		const struct dxt_pq_column_meta *cm = &rg->columns[i].meta;
		int64_t start = chunk_start(cm);
		size_t len = (size_t)cm->total_compressed_size;
		int rc;

		lf->cm = cm;
		lf->chunk_off = start;
		lf->pos = 0;
		lf->page_no = 0;
		lf->entries = 0;
		lf->has_dict = false;
		lf->dict_n = 0;
		lf->n = lf->li = lf->nvals = lf->vi = 0;
		if (dxt__pqr_room(&lf->chunk, len) != DXT_OK)
			return dxt__pqr_fail(r, lf, err, DXT_ENOMEM,
					     "out of memory for the column "
					     "chunk's %zu bytes", len);
		rc = pread_full(r, lf->chunk.data, len, (uint64_t)start, err);
		if (rc != DXT_OK)
			return rc;
		lf->chunk.len = len;
	}
	r->rg_loaded = true;
	return DXT_OK;
}

/* At the end of a row group: no column may hold more values. */
static int finish_row_group(struct dxt_pq_reader *r, struct dxt_error *err)
{
	for (size_t i = 0; i < r->n_leaves; i++) {
		struct dxt__pqr_leaf *lf = &r->leaves[i];
		int rc = dxt__pqr_ensure(r, lf, err);

		if (rc < 0)
			return rc;
		if (rc > 0)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "the column chunk holds more "
					     "values than the row group's "
					     "%llu rows",
					     (unsigned long long)r->rg_rows);
	}
	r->rg_loaded = false;
	r->rg++;
	return DXT_OK;
}

/* Appends k rows of flat field f. */
static int read_flat(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		     struct dxt_column *c, size_t k, struct dxt_error *err)
{
	while (k > 0) {
		size_t take;
		int rc = dxt__pqr_ensure(r, lf, err);

		if (rc < 0)
			return rc;
		if (rc == 0)
			return dxt__pqr_fail(r, lf, err, DXT_EPARSE,
					     "the column chunk ends after %llu "
					     "of the row group's %llu rows",
					     (unsigned long long)lf->entries,
					     (unsigned long long)r->rg_rows);
		take = lf->n - lf->li;
		if (take > k)
			take = k;
		rc = dxt__pqr_consume(r, lf, c, take, err);
		if (rc != DXT_OK)
			return rc;
		k -= take;
	}
	return DXT_OK;
}

long dxt_pq_reader_read(struct dxt_pq_reader *r, struct dxt_batch *b,
			const struct dxt_batch_limits *limits,
			struct dxt_error *err)
{
	size_t max_rows = DXT_BATCH_DEFAULT_ROWS;
	size_t max_bytes = DXT_BATCH_DEFAULT_BYTES;
	size_t start = b->nrows;
	int rc;

	if (limits && limits->max_rows)
		max_rows = limits->max_rows;
	if (limits && limits->max_bytes)
		max_bytes = limits->max_bytes;
	if (b->ncols != r->n_fields)
		return dxt_error_set(err, DXT_EINVAL,
				     "%s: the batch has %zu columns, the "
				     "file %zu", r->path, b->ncols,
				     r->n_fields);
	while (b->nrows < max_rows) {
		size_t bytes = dxt_batch_bytes(b), step;

		/* A batch handed in over its byte limit still gets a row,
		 * so that 0 keeps meaning the end of the file. */
		if (bytes >= max_bytes && b->nrows > start)
			break;
		if (r->rg_loaded && r->rg_done == r->rg_rows) {
			rc = finish_row_group(r, err);
			if (rc != DXT_OK)
				goto fail;
		}
		if (!r->rg_loaded) {
			if (r->rg >= r->meta.n_row_groups)
				break;
			rc = load_row_group(r, r->rg, err);
			if (rc != DXT_OK)
				goto fail;
			continue;
		}
		/* Steps sized from the bytes per row so far keep the batch
		 * near its byte limit without a check per row. */
		if (b->nrows == 0) {
			step = PQR_FIRST_STEP;
		} else {
			size_t per = bytes / b->nrows + 1;

			step = bytes < max_bytes ? (max_bytes - bytes) / per + 1
						 : 1;
		}
		if (step > PQR_MAX_STEP)
			step = PQR_MAX_STEP;
		if (step > max_rows - b->nrows)
			step = max_rows - b->nrows;
		if (step > r->rg_rows - r->rg_done)
			step = (size_t)(r->rg_rows - r->rg_done);
		for (size_t f = 0; f < r->n_fields; f++) {
			const struct dxt__pqr_field *fd = &r->fields[f];

			if (fd->nested) {
				for (size_t k = 0; k < step; k++) {
					rc = dxt__pqr_nested_row(r, f,
								 &b->cols[f],
								 err);
					if (rc != DXT_OK)
						goto fail;
				}
			} else {
				rc = read_flat(r, &r->leaves[fd->leaf_lo],
					       &b->cols[f], step, err);
				if (rc != DXT_OK)
					goto fail;
			}
		}
		b->nrows += step;
		r->rg_done += step;
	}
	return (long)(b->nrows - start);
fail:
	dxt_batch_rollback_row(b);
	/* The cursors are past the rows rolled back: the reader cannot
	 * resume, so further reads report the end. */
	r->rg = r->meta.n_row_groups;
	r->rg_loaded = false;
	return rc;
}
