/*
 * pqread.h - internals of the Parquet reader, shared by parquet_read.c
 * (file, footer, schema mapping, row groups and batches),
 * parquet_read_page.c (pages, encodings, conversion to DXT values) and
 * parquet_read_nested.c (record assembly of nested fields into JSON).
 *
 * Not an engine API: the reader's contract is parquet.h. Everything here
 * belongs to one struct dxt_pq_reader and so to one thread at a time.
 */
#ifndef DXT_PQREAD_H
#define DXT_PQREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "error.h"
#include "parquet.h"
#include "parquet_meta.h"
#include "pqcodec.h"
#include "types.h"

/* How a leaf's physical values become values of its DXT type. */
enum dxt__pqr_conv {
	DXT__PQR_NULL,    /* UNKNOWN: every value null */
	DXT__PQR_BOOL,
	DXT__PQR_I32,     /* signed INT32 to an integer, date or time */
	DXT__PQR_U32,     /* unsigned INT32 to a wider integer */
	DXT__PQR_I64,     /* signed INT64 to an integer, time or timestamp */
	DXT__PQR_U64,     /* unsigned INT64 to decimal(20,0) */
	DXT__PQR_DEC32,   /* DECIMAL on INT32 */
	DXT__PQR_DEC64,   /* DECIMAL on INT64 */
	DXT__PQR_DECBIN,  /* DECIMAL on BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY */
	DXT__PQR_INT96,
	DXT__PQR_F32,
	DXT__PQR_F64,
	DXT__PQR_BYTES,   /* BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY as bytes */
	DXT__PQR_UUID,
};

/* A byte-array value of the current page: base[off .. off + len). */
struct dxt__pqr_ref {
	uint32_t off, len;
};

/* One leaf column of the file and its cursor in the current row group. */
struct dxt__pqr_leaf {
	/* From the schema. */
	int elem;                  /* schema element index */
	char *path;                /* "a.b.c", for messages */
	enum dxt_pq_physical phys;
	size_t width;              /* bytes of one staged fixed-width value */
	int max_def, max_rep;
	size_t field;              /* the DXT field it feeds */
	bool nested;               /* part of a json field */
	enum dxt__pqr_conv conv;
	struct dxt_field target;   /* type, precision, scale; name borrowed */
	int64_t mul, div;          /* unit change to microseconds, or 1 */
	int64_t lo, hi;            /* range of the target integer type */

	/* The column chunk of the current row group. */
	const struct dxt_pq_column_meta *cm;
	int64_t chunk_off;         /* file offset of the first page */
	struct dxt_buf chunk;      /* its bytes, read with pread */
	size_t pos;                /* next page header in chunk */
	int page_no;               /* pages begun, the current one included */
	uint64_t entries;          /* level entries decoded in this chunk */

	/* The dictionary, when the chunk has one. */
	bool has_dict;
	size_t dict_n;
	struct dxt_buf dict_page;  /* decompressed dictionary page */
	struct dxt_buf dict_vals;  /* fixed-width values or refs */
	const uint8_t *dict_base;  /* bytes the refs point into */

	/* The current data page, decoded. */
	struct dxt_buf page;       /* decompressed page or values section */
	struct dxt_buf defs, reps; /* int32 levels of every entry */
	const int32_t *def, *rep;  /* NULL when the maximum level is 0 */
	size_t n, li;              /* entries in the page, next entry */
	const uint8_t *vals;       /* staged fixed-width values ... */
	const struct dxt__pqr_ref *refs; /* ... or byte-array refs */
	const uint8_t *base;
	size_t nvals, vi;          /* non-null values, next value */
	struct dxt_buf stage, stage_data, idx, tmp;
};

/* A node of the schema tree (one per schema element). */
enum dxt__pqr_kind {
	DXT__PQR_LEAF,
	DXT__PQR_STRUCT,
	DXT__PQR_LIST,
	DXT__PQR_MAP,
};

struct dxt__pqr_node {
	const struct dxt_pq_schema_elem *el;
	enum dxt__pqr_kind kind;
	int parent;                /* schema element index; -1 for the root */
	int depth;                 /* 0 for the root */
	int *children;             /* schema element indices */
	int n_children;
	int def, rep;              /* levels at which this node is defined */
	bool repeated, optional;
	size_t leaf_lo, leaf_hi;   /* its leaves: [leaf_lo, leaf_hi) */
	int leaf;                  /* leaf index for a leaf, else -1 */
	int list_rep;              /* LIST: the repeated child */
	int list_elem;             /* LIST: the element node */
	int map_kv, map_key, map_value; /* MAP: key_value, key, value */
	bool string_keys;          /* MAP: keys are strings (JSON object) */
	size_t *s, *e;             /* entry range per leaf of one instance */
};

/* One DXT field: a flat leaf or a nested json field over several leaves. */
struct dxt__pqr_field {
	int node;                  /* schema element of the top-level field */
	size_t leaf_lo, leaf_hi;
	bool nested;
};

/* The entries of the current row of a nested leaf. */
struct dxt__pqr_row {
	struct dxt_buf rep, def;   /* int32 each */
	size_t n;
};

struct dxt_pq_reader {
	char *path;
	int fd;
	uint64_t size;
	struct dxt_pq_file_meta meta;
	struct dxt_schema *own;
	const struct dxt_schema *schema;

	struct dxt__pqr_node *nodes; /* meta.n_schema */
	int *child_idx;
	struct dxt__pqr_leaf *leaves;
	size_t n_leaves;
	struct dxt__pqr_field *fields;
	size_t n_fields;

	struct dxt_pq_codec_ctx *codec;
	size_t rg;                 /* current row group */
	bool rg_loaded;
	uint64_t rg_rows, rg_done;

	/* Nested fields: the leaves' values of the current row. */
	struct dxt_schema *scratch_schema;
	struct dxt_batch scratch;  /* one column per leaf, by leaf index */
	struct dxt__pqr_row *rows; /* one per leaf */
	struct dxt_buf json;
	struct dxt_buf tmp;
	bool have_nested;
	bool schema_phase;         /* messages name no row group yet */
};

/* Empties b and makes room for n bytes (at least 1) from its start. */
static inline int dxt__pqr_room(struct dxt_buf *b, size_t n)
{
	b->len = 0;
	return dxt_buf_reserve(b, n ? n : 1);
}

/*
 * Sets err to code with the message prefixed by "<file>: row group <g>,
 * column "<path>", page <p>: " for leaf lf. Returns code.
 */
int dxt__pqr_fail(struct dxt_pq_reader *r, const struct dxt__pqr_leaf *lf,
		  struct dxt_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Adds the same prefix to an error a decoder already recorded. */
int dxt__pqr_prefix(struct dxt_pq_reader *r, const struct dxt__pqr_leaf *lf,
		    struct dxt_error *err, int code);

/*
 * Makes sure lf has an entry to read (lf->li < lf->n), loading data pages
 * as needed. Returns 1 when it has, 0 at the end of the chunk, or a
 * negative code.
 */
int dxt__pqr_ensure(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		    struct dxt_error *err);

/*
 * Appends the next m entries of lf's current page (m <= lf->n - lf->li) to
 * column c of lf's target type: a value for each defined entry, a null for
 * the others.
 */
int dxt__pqr_consume(struct dxt_pq_reader *r, struct dxt__pqr_leaf *lf,
		     struct dxt_column *c, size_t m, struct dxt_error *err);

/* Classifies the nested nodes and sets up their scratch (at open). */
int dxt__pqr_nested_init(struct dxt_pq_reader *r, struct dxt_error *err);
/* Frees what dxt__pqr_nested_init() allocated. */
void dxt__pqr_nested_free(struct dxt_pq_reader *r);
/* Reads one row of nested field f and appends its JSON text (or null). */
int dxt__pqr_nested_row(struct dxt_pq_reader *r, size_t f,
			struct dxt_column *c, struct dxt_error *err);

#endif /* DXT_PQREAD_H */
