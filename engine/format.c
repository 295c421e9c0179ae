/*
 * format.c - the table of record formats and the built-in csv and jsonl
 * formats.
 *
 * Both built-ins are thin adapters: CSV encoding and decoding live in
 * csv.c, JSON lines in jsonl.c. Each writer encodes a whole batch into one
 * reusable buffer and hands it to the sink in one call, so the byte sink
 * (and the codec behind it) sees few, large writes.
 */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "jsonl.h"

/* --- shared writer state -------------------------------------------------- */

struct text_writer {
	const struct dxt_schema *schema;
	struct dxt_csv_opts csv;
	dxt_write_fn write;
	void *write_ctx;
	struct dxt_buf buf;
};

static int text_writer_new(const struct dxt_schema *schema,
			   const struct dxt_format_opts *opts,
			   dxt_write_fn write, void *write_ctx,
			   struct text_writer **out, struct dxt_error *err)
{
	struct text_writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	w->schema = schema;
	w->csv = opts->csv;
	w->write = write;
	w->write_ctx = write_ctx;
	*out = w;
	return DXT_OK;
}

/* Hands the encoded bytes to the sink and empties the buffer for reuse. */
static int text_writer_flush(struct text_writer *w, struct dxt_error *err)
{
	int rc = DXT_OK;

	if (w->buf.len > 0)
		rc = w->write(w->write_ctx, w->buf.data, w->buf.len, err);
	w->buf.len = 0;
	return rc;
}

static void text_writer_abort(void *state)
{
	struct text_writer *w = state;

	if (w == NULL)
		return;
	dxt_buf_free(&w->buf);
	free(w);
}

static int text_writer_close(void *state, struct dxt_error *err)
{
	struct text_writer *w = state;
	int rc = text_writer_flush(w, err);

	text_writer_abort(w);
	return rc;
}

/* --- csv -------------------------------------------------------------------- */

/*
 * The CSV writer refuses a value its options cannot write so that it reads
 * back as written (csv.h). It says only DXT_EINVAL, so on that cold path the
 * value is found again, field by field, and the error says which column
 * holds it, why it cannot be written and which option to set. The options
 * come from the pipeline's buffer.csv block, hence the option paths.
 */

/* Shows a one-byte option value in a message. */
static const char *show_char(char c, char *buf, size_t len)
{
	if (c == '\t')
		snprintf(buf, len, "a tab");
	else if (c == '\n')
		snprintf(buf, len, "a line feed");
	else if (c == '\r')
		snprintf(buf, len, "a carriage return");
	else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
		snprintf(buf, len, "byte 0x%02x", (unsigned char)c);
	else
		snprintf(buf, len, "'%c'", c);
	return buf;
}

/* Shows the start of a value in a message, control bytes and quotes
 * escaped. */
static const char *show_value(const char *p, size_t n, char *buf, size_t len)
{
	const size_t shown = n > 40 ? 40 : n;
	size_t o = 0;

	for (size_t i = 0; i < shown && o + 5 < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n' || c == '\r' || c == '\t' || c == '"' ||
		    c == '\\') {
			buf[o++] = '\\';
			buf[o++] = c == '\n' ? 'n' : c == '\r' ? 'r'
				 : c == '\t' ? 't' : (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (shown < n && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Says why the text p/n of `what` (`column "note"`) cannot be written under
 * o, which refused it, and what to set instead.
 */
static int unwritable(const struct dxt_csv_opts *o, const char *what,
		      const char *p, size_t n, struct dxt_error *err)
{
	const char *nv = o->null_value;
	char v[200], c[32];

	show_value(p, n, v, sizeof(v));
	/* With quoting on, the one thing that cannot be written is a quote
	 * that may be neither doubled nor escaped. */
	if (o->quotechar != '\0')
		return dxt_error_config(
			err,
			"%s: the value \"%s\" holds the quote character %s, "
			"which cannot be written with doublequote off and no "
			"escapechar; set buffer.csv.doublequote: true or "
			"buffer.csv.escapechar (e.g. \"\\\\\")",
			what, v, show_char(o->quotechar, c, sizeof(c)));
	if (o->escapechar == '\0')
		for (size_t i = 0; i < n; i++)
			if (p[i] == o->delimiter || p[i] == '\n' ||
			    p[i] == '\r')
				return dxt_error_config(
					err,
					"%s: the value \"%s\" holds %s%s, "
					"which cannot be written with quoting "
					"off (quotechar \"\") and no "
					"escapechar; set buffer.csv.quotechar "
					"(e.g. '\"') or buffer.csv.escapechar "
					"(e.g. \"\\\\\")",
					what, v,
					p[i] == o->delimiter ? "the delimiter "
							     : "",
					show_char(p[i], c, sizeof(c)));
	return dxt_error_config(
		err,
		"%s: the value \"%s\" would read back as null: it equals "
		"null_value \"%.31s\" and quoting is off (quotechar \"\"); set "
		"buffer.csv.quotechar (e.g. '\"'), or a buffer.csv.null_value "
		"that does not occur in the data (e.g. \"\\\\N\")",
		what, v, nv);
}

/* The header was refused: finds the column name that cannot be written. */
static int csv_header_unwritable(const struct dxt_csv_opts *o,
				 const struct dxt_schema *schema,
				 struct dxt_error *err)
{
	struct dxt_buf out = {0};
	char what[300];
	int rc = DXT_OK;

	for (size_t i = 0; i < schema->n && rc == DXT_OK; i++) {
		const char *name = schema->fields[i].name;

		out.len = 0;
		rc = dxt_csv_write_field(o, &out, name, strlen(name), false);
		if (rc == DXT_EINVAL) {
			snprintf(what, sizeof(what),
				 "csv header, name of column %zu", i + 1);
			rc = unwritable(o, what, name, strlen(name), err);
		} else if (rc != DXT_OK) {
			rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		}
	}
	dxt_buf_free(&out);
	if (rc == DXT_OK)
		rc = dxt_error_config(err, "the csv header cannot be written "
					   "with these options; check "
					   "buffer.csv.quotechar and "
					   "buffer.csv.escapechar");
	return rc;
}

/*
 * A row of one column that writes as nothing would be an empty line, which
 * the reader skips: the row would be lost.
 */
static int blank_line(const struct dxt_csv_opts *o, const char *what,
		      bool null, struct dxt_error *err)
{
	if (null)
		return dxt_error_config(
			err,
			"%s: a null in a file of one column with null_value "
			"\"\" is an empty line, which reads back as no row at "
			"all; set buffer.csv.null_value (e.g. \"\\\\N\")",
			what);
	return dxt_error_config(
		err,
		"%s: an empty string in a file of one column with quoting off "
		"is an empty line, which reads back as no row at all; set "
		"buffer.csv.quotechar (e.g. '\"')",
		what);
}

/* The batch was refused: finds the first value that cannot be written. */
static int csv_batch_unwritable(const struct dxt_csv_opts *o,
				const struct dxt_batch *b,
				struct dxt_error *err)
{
	struct dxt_buf text = {0}, out = {0};
	char what[300];
	int rc = DXT_OK;

	for (size_t i = 0; i < b->nrows && rc == DXT_OK; i++) {
		for (size_t j = 0; j < b->ncols && rc == DXT_OK; j++) {
			const struct dxt_column *c = &b->cols[j];
			const struct dxt_field *f = &b->schema->fields[j];
			bool null = c->type == DXT_TYPE_NULL ||
				    !dxt_col_is_valid(c, i);
			const char *p = "";
			size_t n = 0;

			snprintf(what, sizeof(what), "column \"%s\"", f->name);
			text.len = out.len = 0;
			if (!null && (c->type == DXT_TYPE_STRING ||
				      c->type == DXT_TYPE_JSON)) {
				const uint8_t *s = dxt_col_bytes(c, i, &n);

				p = n > 0 ? (const char *)s : "";
			} else if (!null) {
				if (dxt_value_format(c, f, i, &text) !=
				    DXT_OK) {
					rc = dxt_error_set(err, DXT_ENOMEM,
							   "out of memory");
					break;
				}
				p = (const char *)text.data;
				n = text.len;
			}
			rc = dxt_csv_write_field(o, &out, p, n, null);
			if (rc == DXT_EINVAL)
				rc = unwritable(o, what, p, n, err);
			else if (rc != DXT_OK)
				rc = dxt_error_set(err, DXT_ENOMEM,
						   "out of memory");
			/* The writer quotes a lone empty string when it
			 * can; a lone null it cannot help. */
			else if (b->ncols == 1 && out.len == 0 &&
				 (null || o->quotechar == '\0'))
				rc = blank_line(o, what, null, err);
		}
	}
	dxt_buf_free(&text);
	dxt_buf_free(&out);
	if (rc == DXT_OK)
		rc = dxt_error_config(err, "a value cannot be written as CSV "
					   "with these options; check "
					   "buffer.csv.quotechar, "
					   "buffer.csv.escapechar and "
					   "buffer.csv.null_value");
	return rc;
}

static int csv_writer_open(const struct dxt_schema *schema,
			   const struct dxt_format_opts *opts,
			   dxt_write_fn write, void *write_ctx, void **state,
			   struct dxt_error *err)
{
	struct text_writer *w;
	int rc = text_writer_new(schema, opts, write, write_ctx, &w, err);

	*state = NULL;
	if (rc != DXT_OK)
		return rc;
	/* The header goes out with the first batch: one write, not two. */
	if (w->csv.header) {
		rc = dxt_csv_write_header(&w->csv, schema, &w->buf);
		if (rc != DXT_OK) {
			rc = rc == DXT_EINVAL
				     ? csv_header_unwritable(&w->csv, schema,
							     err)
				     : dxt_error_set(err, DXT_ENOMEM,
						     "out of memory");
			text_writer_abort(w);
			return rc;
		}
	}
	*state = w;
	return DXT_OK;
}

static int csv_write_batch(void *state, const struct dxt_batch *b,
			   struct dxt_error *err)
{
	struct text_writer *w = state;
	size_t before = w->buf.len;
	int rc = dxt_csv_write_batch(&w->csv, b, &w->buf);

	if (rc == DXT_EINVAL) {
		/* The rows before the refused one go nowhere either. */
		w->buf.len = before;
		return csv_batch_unwritable(&w->csv, b, err);
	}
	if (rc != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return text_writer_flush(w, err);
}

struct csv_reader {
	struct dxt_csv_reader *r;
	bool header;    /* a header record is still to be skipped */
};

static void csv_reader_close(void *state)
{
	struct csv_reader *s = state;

	if (s == NULL)
		return;
	dxt_csv_reader_destroy(s->r);
	free(s);
}

static int csv_reader_open(const struct dxt_schema *schema,
			   const struct dxt_format_opts *opts, const char *path,
			   dxt_read_fn read, void *read_ctx, void **state,
			   struct dxt_error *err)
{
	struct csv_reader *s = calloc(1, sizeof(*s));
	int rc;

	*state = NULL;
	if (s == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	s->header = opts->csv.header;
	rc = dxt_csv_reader_create(&opts->csv, read, read_ctx, path, &s->r,
				   err);
	if (rc != DXT_OK) {
		csv_reader_close(s);
		return rc;
	}
	*state = s;
	return DXT_OK;
}

static long csv_read_batch(void *state, struct dxt_batch *b,
			   const struct dxt_batch_limits *limits,
			   struct dxt_error *err)
{
	struct csv_reader *s = state;
	long n = 0;

	for (;;) {
		struct dxt_csv_field *fields;
		size_t nfields;
		int rc = dxt_csv_read(s->r, &fields, &nfields, err);

		if (rc < 0)
			return rc;
		if (rc == 0)
			return n;
		if (s->header) {
			s->header = false;
			continue;
		}
		rc = dxt_csv_append_record(s->r, fields, nfields, b, err);
		if (rc != DXT_OK)
			return rc;
		n++;
		if (dxt_batch_full(b, limits))
			return n;
	}
}

const struct dxt_format dxt_format_csv = {
	.name = "csv",
	.ext = ".csv",
	.flags = 0,
	.writer_open = csv_writer_open,
	.write_batch = csv_write_batch,
	.writer_close = text_writer_close,
	.writer_abort = text_writer_abort,
	.reader_open = csv_reader_open,
	.read_batch = csv_read_batch,
	.reader_close = csv_reader_close,
};

/* --- jsonl ------------------------------------------------------------------ */

static int jsonl_writer_open(const struct dxt_schema *schema,
			     const struct dxt_format_opts *opts,
			     dxt_write_fn write, void *write_ctx, void **state,
			     struct dxt_error *err)
{
	struct text_writer *w;
	int rc = text_writer_new(schema, opts, write, write_ctx, &w, err);

	*state = rc == DXT_OK ? w : NULL;
	return rc;
}

static int jsonl_write_batch(void *state, const struct dxt_batch *b,
			     struct dxt_error *err)
{
	struct text_writer *w = state;

	if (dxt_jsonl_write_batch(b, &w->buf) != DXT_OK)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return text_writer_flush(w, err);
}

static int jsonl_reader_open(const struct dxt_schema *schema,
			     const struct dxt_format_opts *opts,
			     const char *path, dxt_read_fn read, void *read_ctx,
			     void **state, struct dxt_error *err)
{
	struct dxt_jsonl_reader *r;
	int rc = dxt_jsonl_reader_create(read, read_ctx, path, &r, err);

	*state = rc == DXT_OK ? r : NULL;
	return rc;
}

static long jsonl_read_batch(void *state, struct dxt_batch *b,
			     const struct dxt_batch_limits *limits,
			     struct dxt_error *err)
{
	long n = 0;

	for (;;) {
		int rc = dxt_jsonl_read_row(state, b, err);

		if (rc < 0)
			return rc;
		if (rc == 0)
			return n;
		n++;
		if (dxt_batch_full(b, limits))
			return n;
	}
}

static void jsonl_reader_close(void *state)
{
	dxt_jsonl_reader_destroy(state);
}

const struct dxt_format dxt_format_jsonl = {
	.name = "jsonl",
	.ext = ".jsonl",
	.flags = 0,
	.writer_open = jsonl_writer_open,
	.write_batch = jsonl_write_batch,
	.writer_close = text_writer_close,
	.writer_abort = text_writer_abort,
	.reader_open = jsonl_reader_open,
	.read_batch = jsonl_read_batch,
	.reader_close = jsonl_reader_close,
};

/* --- table ------------------------------------------------------------------ */

static const struct dxt_format *const formats[] = {
	&dxt_format_csv,
	&dxt_format_jsonl,
	&dxt_format_parquet,
	NULL
};

const struct dxt_format *dxt_format_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; formats[i] != NULL; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

const struct dxt_format *const *dxt_format_list(void)
{
	return formats;
}
