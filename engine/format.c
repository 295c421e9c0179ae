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

#include <stdlib.h>
#include <string.h>

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
	if (w->csv.header &&
	    dxt_csv_write_header(&w->csv, schema, &w->buf) != DXT_OK) {
		text_writer_abort(w);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	*state = w;
	return DXT_OK;
}

static int csv_write_batch(void *state, const struct dxt_batch *b,
			   struct dxt_error *err)
{
	struct text_writer *w = state;

	if (dxt_csv_write_batch(&w->csv, b, &w->buf) != DXT_OK)
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
