/*
 * thrift.h - Thrift compact protocol encoder and decoder.
 *
 * Parquet stores its file footer and page headers as Thrift structures in
 * the compact protocol. The writer appends to a growable struct dxt_buf and
 * tracks field-id deltas itself (one entry per open struct); the reader works
 * over a (pointer, length) pair, checks bounds on every byte, limits nesting
 * depth and can skip fields of any type so that files from other writers,
 * which may carry fields this reader does not know, still decode.
 *
 * Neither side allocates except for the writer's output buffer growth. Both
 * objects are plain values owned by the caller and used by one thread.
 */
#ifndef DXT_THRIFT_H
#define DXT_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "error.h"

/* Maximum nesting of structs, lists, sets and maps, for both directions. */
#define DXT_THRIFT_MAX_DEPTH 32

/*
 * Compact protocol type codes as they appear on the wire. In a field header
 * a bool's value is the type itself (TRUE or FALSE); as a list element type
 * DXT_THRIFT_TRUE stands for "bool" and each element takes one byte.
 */
enum dxt_thrift_type {
	DXT_THRIFT_STOP = 0,
	DXT_THRIFT_TRUE = 1,
	DXT_THRIFT_FALSE = 2,
	DXT_THRIFT_I8 = 3,
	DXT_THRIFT_I16 = 4,
	DXT_THRIFT_I32 = 5,
	DXT_THRIFT_I64 = 6,
	DXT_THRIFT_DOUBLE = 7,
	DXT_THRIFT_BINARY = 8,
	DXT_THRIFT_LIST = 9,
	DXT_THRIFT_SET = 10,
	DXT_THRIFT_MAP = 11,
	DXT_THRIFT_STRUCT = 12,
};

/* Writer state; initialise with dxt_thrift_writer_init(). */
struct dxt_thrift_writer {
	struct dxt_buf *out;                    /* not owned */
	int16_t last[DXT_THRIFT_MAX_DEPTH + 1]; /* last field id per level */
	int depth;                              /* open structs */
	int err;                                /* first error, sticky */
};

/*
 * Starts writing at the end of out, at the top level of an implicit outer
 * struct (call dxt_thrift_struct_end() to write its stop byte, or write the
 * top-level struct as a field-less value with dxt_thrift_struct_begin()).
 */
void dxt_thrift_writer_init(struct dxt_thrift_writer *w, struct dxt_buf *out);

/*
 * Every write function returns DXT_OK, DXT_ENOMEM, or DXT_EINVAL when
 * structs nest deeper than DXT_THRIFT_MAX_DEPTH, a struct is ended that was
 * never begun, or field ids do not fit. The first error is sticky: later
 * calls do nothing and return it, so a caller may check only the last one.
 */

/* Opens a nested struct value (after its field header or list header). */
int dxt_thrift_struct_begin(struct dxt_thrift_writer *w);
/* Writes the stop byte and returns to the enclosing struct. */
int dxt_thrift_struct_end(struct dxt_thrift_writer *w);
/* Field header for a non-bool field; id must be > 0. */
int dxt_thrift_field(struct dxt_thrift_writer *w, enum dxt_thrift_type type,
		     int16_t id);
/* A bool field: the value is carried in the field header. */
int dxt_thrift_field_bool(struct dxt_thrift_writer *w, int16_t id, int v);
/* List (or set) header; elem is an element type, DXT_THRIFT_TRUE for bool. */
int dxt_thrift_list_begin(struct dxt_thrift_writer *w,
			  enum dxt_thrift_type elem, uint32_t count);

/* Bare values, after a field header or as list elements. */
int dxt_thrift_write_i8(struct dxt_thrift_writer *w, int8_t v);
int dxt_thrift_write_i16(struct dxt_thrift_writer *w, int16_t v);
int dxt_thrift_write_i32(struct dxt_thrift_writer *w, int32_t v);
int dxt_thrift_write_i64(struct dxt_thrift_writer *w, int64_t v);
int dxt_thrift_write_double(struct dxt_thrift_writer *w, double v);
/* A bool list element (one byte: 1 true, 2 false). */
int dxt_thrift_write_bool(struct dxt_thrift_writer *w, int v);
int dxt_thrift_write_binary(struct dxt_thrift_writer *w, const void *p,
			    size_t n);
int dxt_thrift_write_string(struct dxt_thrift_writer *w, const char *s);

/* Reader state; initialise with dxt_thrift_reader_init(). */
struct dxt_thrift_reader {
	const uint8_t *p; /* not owned, must outlive the reader */
	size_t len;
	size_t pos;       /* offset of the next byte to read */
	int16_t last[DXT_THRIFT_MAX_DEPTH + 1];
	int depth;
	const char *what; /* names the input in error messages */
	struct dxt_error *err;
};

/*
 * Starts reading p[0..len) at the top level of an implicit outer struct.
 * what names the input in error messages ("parquet footer of x.parquet").
 * Every read function returns DXT_OK or DXT_EPARSE with err filled with the
 * input name, the byte offset and what was wrong; no function reads outside
 * p[0..len) whatever the input.
 */
void dxt_thrift_reader_init(struct dxt_thrift_reader *r, const void *p,
			    size_t len, const char *what,
			    struct dxt_error *err);

/* Enters a struct value (after its field header or list header). */
int dxt_thrift_read_struct_begin(struct dxt_thrift_reader *r);
/* Leaves a struct after dxt_thrift_read_field() returned DXT_THRIFT_STOP. */
int dxt_thrift_read_struct_end(struct dxt_thrift_reader *r);
/*
 * Reads the next field header of the current struct into *type and *id.
 * *type is DXT_THRIFT_STOP at the end of the struct (id 0). For a bool field
 * *type is DXT_THRIFT_TRUE or DXT_THRIFT_FALSE, which is the value: there is
 * nothing more to read (dxt_thrift_read_bool() converts it).
 */
int dxt_thrift_read_field(struct dxt_thrift_reader *r,
			  enum dxt_thrift_type *type, int16_t *id);
/*
 * What a dxt_thrift_field_fn returns to have dxt_thrift_read_struct() skip
 * the field's value (a field the caller does not know, or of another type
 * than the one it expects).
 */
#define DXT_THRIFT_SKIP 1

/*
 * Called by dxt_thrift_read_struct() for each field of the struct, with its
 * header read and its value not: MUST read the value and return DXT_OK,
 * return DXT_THRIFT_SKIP to have it skipped, or return an error code, which
 * ends the struct and is returned as is. Runs on the reader's thread; ctx
 * is the caller's.
 */
typedef int (*dxt_thrift_field_fn)(struct dxt_thrift_reader *r,
				   enum dxt_thrift_type type, int16_t id,
				   void *ctx);

/*
 * Reads a struct value: enters it, hands each field to `field` until the
 * stop byte, and leaves it. With `outer`, reads the fields of the implicit
 * outer struct of the message instead (no enter or leave).
 */
int dxt_thrift_read_struct(struct dxt_thrift_reader *r, bool outer,
			   dxt_thrift_field_fn field, void *ctx);

/*
 * Reads a list or set header. *elem is the element type (DXT_THRIFT_TRUE for
 * bool) and *count is checked against the bytes left, every element taking
 * at least one byte.
 */
int dxt_thrift_read_list_begin(struct dxt_thrift_reader *r,
			       enum dxt_thrift_type *elem, uint32_t *count);

int dxt_thrift_read_i8(struct dxt_thrift_reader *r, int8_t *v);
int dxt_thrift_read_i16(struct dxt_thrift_reader *r, int16_t *v);
int dxt_thrift_read_i32(struct dxt_thrift_reader *r, int32_t *v);
int dxt_thrift_read_i64(struct dxt_thrift_reader *r, int64_t *v);
int dxt_thrift_read_double(struct dxt_thrift_reader *r, double *v);
/*
 * The value of a bool field from the type dxt_thrift_read_field() gave
 * (DXT_THRIFT_TRUE or DXT_THRIFT_FALSE); DXT_EPARSE for any other type.
 */
int dxt_thrift_read_bool(struct dxt_thrift_reader *r,
			 enum dxt_thrift_type type, int *v);
/* Reads a bool list element (one byte). */
int dxt_thrift_read_bool_elem(struct dxt_thrift_reader *r, int *v);
/* *p points into the input (not copied, not NUL-terminated). */
int dxt_thrift_read_binary(struct dxt_thrift_reader *r, const uint8_t **p,
			   size_t *n);
/* Skips one value of the given type, nested values included. */
int dxt_thrift_skip(struct dxt_thrift_reader *r, enum dxt_thrift_type type);

#endif /* DXT_THRIFT_H */
