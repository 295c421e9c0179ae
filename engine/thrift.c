/*
 * thrift.c - Thrift compact protocol encoder and decoder.
 *
 * Wire format summary: integers are zigzag varints (ULEB128 of the zigzag
 * mapping), doubles are 8 bytes little-endian, binary is a varint length and
 * the bytes. A field header is one byte (delta << 4 | type) when the id is
 * 1..15 above the previous one in the same struct, else the type byte and a
 * zigzag varint id. A list header is one byte (count << 4 | type) for counts
 * below 15, else 0xf0 | type and a varint count. A struct ends with 0.
 */
#include "thrift.h"

#include <string.h>

void dxt_thrift_writer_init(struct dxt_thrift_writer *w, struct dxt_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static int put_uvarint(struct dxt_thrift_writer *w, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	if (w->err)
		return w->err;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	if (dxt_buf_append(w->out, tmp, n) != DXT_OK)
		w->err = DXT_ENOMEM;
	return w->err;
}

static int put_byte(struct dxt_thrift_writer *w, uint8_t b)
{
	if (w->err)
		return w->err;
	if (dxt_buf_putc(w->out, (char)b) != DXT_OK)
		w->err = DXT_ENOMEM;
	return w->err;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

int dxt_thrift_struct_begin(struct dxt_thrift_writer *w)
{
	if (w->err)
		return w->err;
	if (w->depth >= DXT_THRIFT_MAX_DEPTH)
		return w->err = DXT_EINVAL;
	w->last[++w->depth] = 0;
	return DXT_OK;
}

int dxt_thrift_struct_end(struct dxt_thrift_writer *w)
{
	if (w->err)
		return w->err;
	if (w->depth < 0)
		return w->err = DXT_EINVAL;
	if (put_byte(w, 0) != DXT_OK)
		return w->err;
	w->depth--;
	return DXT_OK;
}

static int field_header(struct dxt_thrift_writer *w, unsigned type,
			int16_t id)
{
	int delta;

	if (w->err)
		return w->err;
	if (id <= 0 || w->depth < 0)
		return w->err = DXT_EINVAL;
	delta = id - w->last[w->depth];
	w->last[w->depth] = id;
	if (delta > 0 && delta <= 15)
		return put_byte(w, (uint8_t)(delta << 4 | type));
	put_byte(w, (uint8_t)type);
	return put_uvarint(w, zigzag(id));
}

int dxt_thrift_field(struct dxt_thrift_writer *w, enum dxt_thrift_type type,
		     int16_t id)
{
	if (type <= DXT_THRIFT_FALSE || type > DXT_THRIFT_STRUCT) {
		if (!w->err)
			w->err = DXT_EINVAL;
		return w->err;
	}
	return field_header(w, type, id);
}

int dxt_thrift_field_bool(struct dxt_thrift_writer *w, int16_t id, int v)
{
	return field_header(w, v ? DXT_THRIFT_TRUE : DXT_THRIFT_FALSE, id);
}

int dxt_thrift_list_begin(struct dxt_thrift_writer *w,
			  enum dxt_thrift_type elem, uint32_t count)
{
	if (w->err)
		return w->err;
	if (elem < DXT_THRIFT_TRUE || elem > DXT_THRIFT_STRUCT)
		return w->err = DXT_EINVAL;
	if (count < 15)
		return put_byte(w, (uint8_t)(count << 4 | elem));
	put_byte(w, (uint8_t)(0xf0 | elem));
	return put_uvarint(w, count);
}

int dxt_thrift_write_i8(struct dxt_thrift_writer *w, int8_t v)
{
	return put_byte(w, (uint8_t)v);
}

int dxt_thrift_write_i16(struct dxt_thrift_writer *w, int16_t v)
{
	return put_uvarint(w, zigzag(v));
}

int dxt_thrift_write_i32(struct dxt_thrift_writer *w, int32_t v)
{
	return put_uvarint(w, zigzag(v));
}

int dxt_thrift_write_i64(struct dxt_thrift_writer *w, int64_t v)
{
	return put_uvarint(w, zigzag(v));
}

int dxt_thrift_write_double(struct dxt_thrift_writer *w, double v)
{
	uint64_t bits;
	uint8_t b[8];
	int i;

	if (w->err)
		return w->err;
	memcpy(&bits, &v, 8);
	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(bits >> (8 * i));
	if (dxt_buf_append(w->out, b, 8) != DXT_OK)
		w->err = DXT_ENOMEM;
	return w->err;
}

int dxt_thrift_write_bool(struct dxt_thrift_writer *w, int v)
{
	return put_byte(w, v ? DXT_THRIFT_TRUE : DXT_THRIFT_FALSE);
}

int dxt_thrift_write_binary(struct dxt_thrift_writer *w, const void *p,
			    size_t n)
{
	if (put_uvarint(w, n) != DXT_OK)
		return w->err;
	if (dxt_buf_append(w->out, p, n) != DXT_OK)
		w->err = DXT_ENOMEM;
	return w->err;
}

int dxt_thrift_write_string(struct dxt_thrift_writer *w, const char *s)
{
	return dxt_thrift_write_binary(w, s, strlen(s));
}

void dxt_thrift_reader_init(struct dxt_thrift_reader *r, const void *p,
			    size_t len, const char *what,
			    struct dxt_error *err)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = len;
	r->what = what ? what : "thrift data";
	r->err = err;
}

static int bad(struct dxt_thrift_reader *r, size_t at, const char *why)
{
	return dxt_error_set(r->err, DXT_EPARSE,
			     "%s: byte %zu: %s; the file is truncated or "
			     "corrupt",
			     r->what, at, why);
}

static int get_byte(struct dxt_thrift_reader *r, uint8_t *b)
{
	if (r->pos >= r->len)
		return bad(r, r->pos, "unexpected end of data");
	*b = r->p[r->pos++];
	return DXT_OK;
}

static int get_uvarint(struct dxt_thrift_reader *r, uint64_t *v, int bits)
{
	size_t start = r->pos;
	uint64_t x = 0;
	int shift = 0;
	uint8_t b = 0;

	for (;;) {
		if (get_byte(r, &b) != DXT_OK)
			return DXT_EPARSE;
		if (shift >= 64 || (shift == 63 && (b & 0x7e)))
			return bad(r, start, "varint too long");
		x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (bits < 64 && (x >> bits) != 0)
		return bad(r, start, "varint out of range");
	*v = x;
	return DXT_OK;
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int get_zigzag(struct dxt_thrift_reader *r, int64_t *v, int bits)
{
	uint64_t u = 0;

	if (get_uvarint(r, &u, bits) != DXT_OK)
		return DXT_EPARSE;
	*v = unzigzag(u);
	return DXT_OK;
}

int dxt_thrift_read_struct_begin(struct dxt_thrift_reader *r)
{
	if (r->depth >= DXT_THRIFT_MAX_DEPTH)
		return bad(r, r->pos, "structures nested too deeply");
	r->last[++r->depth] = 0;
	return DXT_OK;
}

int dxt_thrift_read_struct_end(struct dxt_thrift_reader *r)
{
	if (r->depth <= 0)
		return bad(r, r->pos, "end of a structure that was not begun");
	r->depth--;
	return DXT_OK;
}

int dxt_thrift_read_field(struct dxt_thrift_reader *r,
			  enum dxt_thrift_type *type, int16_t *id)
{
	size_t start = r->pos;
	uint8_t b = 0;
	unsigned t, delta;
	int64_t v;

	if (get_byte(r, &b) != DXT_OK)
		return DXT_EPARSE;
	t = b & 0x0f;
	delta = b >> 4;
	if (t == DXT_THRIFT_STOP) {
		if (delta)
			return bad(r, start, "malformed stop byte");
		*type = DXT_THRIFT_STOP;
		*id = 0;
		return DXT_OK;
	}
	if (t > DXT_THRIFT_STRUCT)
		return bad(r, start, "unknown field type");
	if (delta) {
		v = r->last[r->depth] + (int64_t)delta;
		if (v > INT16_MAX)
			return bad(r, start, "field id out of range");
	} else {
		if (get_zigzag(r, &v, 32) != DXT_OK)
			return DXT_EPARSE;
		if (v < INT16_MIN || v > INT16_MAX)
			return bad(r, start, "field id out of range");
	}
	r->last[r->depth] = (int16_t)v;
	*type = (enum dxt_thrift_type)t;
	*id = (int16_t)v;
	return DXT_OK;
}

int dxt_thrift_read_list_begin(struct dxt_thrift_reader *r,
			       enum dxt_thrift_type *elem, uint32_t *count)
{
	size_t start = r->pos;
	uint8_t b = 0;
	uint64_t n = 0;
	unsigned t;

	if (get_byte(r, &b) != DXT_OK)
		return DXT_EPARSE;
	t = b & 0x0f;
	n = b >> 4;
	/* Some writers use FALSE (2) as the bool element type. */
	if (t == DXT_THRIFT_FALSE)
		t = DXT_THRIFT_TRUE;
	if (t < DXT_THRIFT_TRUE || t > DXT_THRIFT_STRUCT)
		return bad(r, start, "unknown list element type");
	if (n == 15 && get_uvarint(r, &n, 32) != DXT_OK)
		return DXT_EPARSE;
	if (n > r->len - r->pos)
		return bad(r, start, "list longer than the data left");
	*elem = (enum dxt_thrift_type)t;
	*count = (uint32_t)n;
	return DXT_OK;
}

int dxt_thrift_read_i8(struct dxt_thrift_reader *r, int8_t *v)
{
	uint8_t b = 0;

	if (get_byte(r, &b) != DXT_OK)
		return DXT_EPARSE;
	*v = (int8_t)b;
	return DXT_OK;
}

int dxt_thrift_read_i16(struct dxt_thrift_reader *r, int16_t *v)
{
	size_t start = r->pos;
	int64_t x = 0;

	if (get_zigzag(r, &x, 32) != DXT_OK)
		return DXT_EPARSE;
	if (x < INT16_MIN || x > INT16_MAX)
		return bad(r, start, "i16 out of range");
	*v = (int16_t)x;
	return DXT_OK;
}

int dxt_thrift_read_i32(struct dxt_thrift_reader *r, int32_t *v)
{
	int64_t x = 0;

	if (get_zigzag(r, &x, 32) != DXT_OK)
		return DXT_EPARSE;
	*v = (int32_t)x;
	return DXT_OK;
}

int dxt_thrift_read_i64(struct dxt_thrift_reader *r, int64_t *v)
{
	return get_zigzag(r, v, 64);
}

int dxt_thrift_read_double(struct dxt_thrift_reader *r, double *v)
{
	uint64_t bits = 0;
	int i;

	if (r->len - r->pos < 8)
		return bad(r, r->pos, "double runs past the end of data");
	for (i = 0; i < 8; i++)
		bits |= (uint64_t)r->p[r->pos + i] << (8 * i);
	r->pos += 8;
	memcpy(v, &bits, 8);
	return DXT_OK;
}

int dxt_thrift_read_bool(struct dxt_thrift_reader *r,
			 enum dxt_thrift_type type, int *v)
{
	if (type != DXT_THRIFT_TRUE && type != DXT_THRIFT_FALSE)
		return bad(r, r->pos, "bool field expected");
	*v = type == DXT_THRIFT_TRUE;
	return DXT_OK;
}

int dxt_thrift_read_bool_elem(struct dxt_thrift_reader *r, int *v)
{
	size_t start = r->pos;
	uint8_t b = 0;

	if (get_byte(r, &b) != DXT_OK)
		return DXT_EPARSE;
	/* Some writers encode false as 0 rather than 2. */
	if (b > DXT_THRIFT_FALSE)
		return bad(r, start, "bool is neither true nor false");
	*v = b == DXT_THRIFT_TRUE;
	return DXT_OK;
}

int dxt_thrift_read_binary(struct dxt_thrift_reader *r, const uint8_t **p,
			   size_t *n)
{
	size_t start = r->pos;
	uint64_t len = 0;

	if (get_uvarint(r, &len, 32) != DXT_OK)
		return DXT_EPARSE;
	if (len > r->len - r->pos)
		return bad(r, start, "binary runs past the end of data");
	*p = r->p + r->pos;
	*n = (size_t)len;
	r->pos += (size_t)len;
	return DXT_OK;
}

static int skip_value(struct dxt_thrift_reader *r, unsigned type, int depth);

static int skip_elems(struct dxt_thrift_reader *r, unsigned type,
		      uint64_t n, int depth)
{
	uint64_t i;
	int v;

	for (i = 0; i < n; i++) {
		if (type == DXT_THRIFT_TRUE) {
			if (dxt_thrift_read_bool_elem(r, &v) != DXT_OK)
				return DXT_EPARSE;
			continue;
		}
		if (skip_value(r, type, depth) != DXT_OK)
			return DXT_EPARSE;
	}
	return DXT_OK;
}

static int skip_value(struct dxt_thrift_reader *r, unsigned type, int depth);

/* Skips one field of a struct being skipped at depth *ctx. */
static int skip_field(struct dxt_thrift_reader *r, enum dxt_thrift_type t,
		      int16_t id, void *ctx)
{
	(void)id;
	return skip_value(r, t, *(const int *)ctx + 1) == DXT_OK ? DXT_OK
								 : DXT_EPARSE;
}

static int skip_value(struct dxt_thrift_reader *r, unsigned type, int depth)
{
	size_t start = r->pos;
	enum dxt_thrift_type t;
	const uint8_t *p;
	uint32_t count;
	uint64_t n = 0;
	int64_t x = 0;
	double d;
	uint8_t b = 0;
	size_t len;

	if (depth >= DXT_THRIFT_MAX_DEPTH)
		return bad(r, start, "values nested too deeply");
	switch (type) {
	case DXT_THRIFT_TRUE:
	case DXT_THRIFT_FALSE:
		return DXT_OK;
	case DXT_THRIFT_I8:
		return get_byte(r, &b);
	case DXT_THRIFT_I16:
	case DXT_THRIFT_I32:
	case DXT_THRIFT_I64:
		return get_zigzag(r, &x, 64);
	case DXT_THRIFT_DOUBLE:
		return dxt_thrift_read_double(r, &d);
	case DXT_THRIFT_BINARY:
		return dxt_thrift_read_binary(r, &p, &len);
	case DXT_THRIFT_LIST:
	case DXT_THRIFT_SET:
		if (dxt_thrift_read_list_begin(r, &t, &count) != DXT_OK)
			return DXT_EPARSE;
		return skip_elems(r, t, count, depth + 1);
	case DXT_THRIFT_MAP:
		if (get_uvarint(r, &n, 32) != DXT_OK)
			return DXT_EPARSE;
		if (n == 0)
			return DXT_OK;
		if (n > r->len - r->pos)
			return bad(r, start, "map longer than the data left");
		if (get_byte(r, &b) != DXT_OK)
			return DXT_EPARSE;
		if ((b >> 4) < 1 || (b >> 4) > DXT_THRIFT_STRUCT ||
		    (b & 15) < 1 || (b & 15) > DXT_THRIFT_STRUCT)
			return bad(r, start, "unknown map key or value type");
		for (; n > 0; n--) {
			if (skip_elems(r, b >> 4, 1, depth + 1) != DXT_OK ||
			    skip_elems(r, b & 15, 1, depth + 1) != DXT_OK)
				return DXT_EPARSE;
		}
		return DXT_OK;
	case DXT_THRIFT_STRUCT:
		return dxt_thrift_read_struct(r, false, skip_field, &depth);
	default:
		return bad(r, start, "unknown value type");
	}
}

int dxt_thrift_skip(struct dxt_thrift_reader *r, enum dxt_thrift_type type)
{
	return skip_value(r, type, r->depth);
}

int dxt_thrift_read_struct(struct dxt_thrift_reader *r, bool outer,
			   dxt_thrift_field_fn field, void *ctx)
{
	enum dxt_thrift_type t;
	int16_t id;
	int rc;

	if (!outer && dxt_thrift_read_struct_begin(r) != DXT_OK)
		return DXT_EPARSE;
	for (;;) {
		if (dxt_thrift_read_field(r, &t, &id) != DXT_OK)
			return DXT_EPARSE;
		if (t == DXT_THRIFT_STOP)
			break;
		rc = field(r, t, id, ctx);
		if (rc == DXT_THRIFT_SKIP)
			rc = dxt_thrift_skip(r, t);
		if (rc != DXT_OK)
			return rc;
	}
	return outer ? DXT_OK : dxt_thrift_read_struct_end(r);
}
