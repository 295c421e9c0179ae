/*
 * svc_buffer.c - /v1/runs/{id}/buffer: what a run staged, as the streams'
 * manifests describe it; staged rows as JSON; staged files as bytes.
 *
 * A run's buffers are in the folder its record names (spool_dir; a retry
 * shares its first attempt's folder), one sub-folder per stream. Only
 * streams of the run are looked at, and a file is opened only when the
 * stream's manifest lists it (or it is the manifest or the rejects file),
 * after its name passed dxt_spool_name_ok(): a request never names a path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/buffer.h"
#include "engine/convert.h"
#include "spool.h"
#include "svc_internal.h"

/* Rows per records page when the request gives no limit, and the most. */
#define RECORDS_DEFAULT 100
#define RECORDS_MAX 10000

/* The run's folder and the ids of its streams. */
static int run_location(struct dxt_service *svc, const char *id, char *dir,
			size_t len, json_t **streams, struct dxt_error *err)
{
	struct dxt_store_run run = {0};
	struct dxt_store_stream_run_list l = {0};
	struct svc_run *r;
	int rc;

	*streams = json_array();
	if (*streams == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	dxt__svc_lock(svc);
	r = dxt__svc_find_run(svc, id);
	if (r != NULL) {
		snprintf(dir, len, "%s", r->run_dir);
		for (size_t i = 0; i < r->nstreams; i++)
			json_array_append_new(
				*streams, json_string(r->streams[i].stream->id));
	}
	dxt__svc_unlock(svc);
	if (r != NULL)
		return DXT_OK;
	rc = dxt_store_run_get(svc->store, id, &run, err);
	if (rc == DXT_ENOTFOUND)
		dxt_error_set(err, rc, "no run with id \"%s\"", id);
	if (rc == DXT_OK) {
		if (run.spool_dir != NULL)
			snprintf(dir, len, "%s", run.spool_dir);
		else
			snprintf(dir, len, "%s/%s", svc->runs_dir, id);
		rc = dxt_store_stream_run_list(svc->store, id, &l, err);
	}
	for (size_t i = 0; rc == DXT_OK && i < l.n; i++)
		json_array_append_new(*streams, json_string(l.items[i].stream));
	dxt_store_stream_run_list_free(&l);
	dxt_store_run_release(&run);
	if (rc != DXT_OK) {
		json_decref(*streams);
		*streams = NULL;
	}
	return rc;
}

/* The folder of one stream of a run, checking that the run has it. */
static int stream_dir(struct dxt_service *svc, const char *id,
		      const char *stream, char *dir, size_t len,
		      struct dxt_error *err)
{
	char rdir[PATH_MAX];
	json_t *streams, *v;
	bool known = false;
	size_t i;
	int rc;

	if (!dxt_spool_name_ok(stream, false))
		return dxt_error_set(err, DXT_EINVAL,
				     "\"%s\" is not a stream id", stream);
	rc = run_location(svc, id, rdir, sizeof(rdir), &streams, err);
	if (rc != DXT_OK)
		return rc;
	json_array_foreach(streams, i, v)
		if (strcmp(json_string_value(v), stream) == 0)
			known = true;
	json_decref(streams);
	if (!known)
		return dxt_error_set(err, DXT_ENOTFOUND,
				     "run %s has no stream \"%s\"", id, stream);
	if (snprintf(dir, len, "%s/%s", rdir, stream) >= (int)len)
		return dxt_error_set(err, DXT_EINVAL, "path too long");
	return DXT_OK;
}

static int no_buffer(int rc, const char *id, const char *stream,
		     struct dxt_error *err)
{
	if (rc == DXT_ENOTFOUND)
		return dxt_error_set(err, rc,
				     "stream %s of run %s has no staged buffer "
				     "(not staged yet, or removed: "
				     "cleanup_on_success after the load, or "
				     "the spool retention)",
				     stream, id);
	return rc;
}

static json_t *stream_entry(const char *id, const struct dxt_manifest *m)
{
	json_t *files = json_array(), *o;

	for (size_t i = 0; files != NULL && i < m->nfiles; i++) {
		const struct dxt_staged_file *f = &m->files[i];

		json_array_append_new(
			files,
			json_pack("{s:s, s:I, s:I, s:s?}", "name", f->name,
				  "rows", (json_int_t)f->rows, "bytes",
				  (json_int_t)f->bytes, "original_name",
				  f->original_name));
	}
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:b, s:s?, s:o}", "id",
		      id, "format", m->format ? m->format : "",
		      "compression", dxt_codec_name(m->codec), "rows",
		      (json_int_t)m->rows, "bytes", (json_int_t)m->bytes,
		      "schema",
		      m->schema ? dxt_schema_to_json(m->schema) : json_null(),
		      "complete", m->complete, "created_at", m->created_at,
		      "files", files ? files : json_array());
	if (o != NULL)
		json_object_set(o, "watermark",
				m->watermark ? m->watermark : json_null());
	return o;
}

int dxt_svc_buffer_list(struct dxt_service *svc, const char *id,
			json_t **out, struct dxt_error *err)
{
	char rdir[PATH_MAX];
	json_t *streams, *arr, *v;
	size_t i;
	int rc;

	*out = NULL;
	rc = run_location(svc, id, rdir, sizeof(rdir), &streams, err);
	if (rc != DXT_OK)
		return rc;
	arr = json_array();
	json_array_foreach(streams, i, v) {
		struct dxt_manifest *m = NULL;
		char dir[PATH_MAX];
		const char *sid = json_string_value(v);

		if (!dxt_spool_name_ok(sid, false) ||
		    snprintf(dir, sizeof(dir), "%s/%s", rdir, sid) >=
			    (int)sizeof(dir))
			continue;
		/* No manifest: not staged yet, or removed. */
		if (dxt_manifest_load(dir, &m, NULL) == DXT_OK && arr != NULL)
			json_array_append_new(arr, stream_entry(sid, m));
		dxt_manifest_free(m);
	}
	json_decref(streams);
	*out = json_pack("{s:s, s:o}", "run", id, "streams",
			 arr ? arr : json_array());
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

/* Renders rows [from, to) of a batch as JSON objects. Decimals are
 * written as strings: a JSON number would pass through a double on its way
 * out and lose digits. */
static int render_rows(const struct dxt_batch *b, size_t from, size_t to,
		       struct dxt_buf *out, size_t *count)
{
	const struct dxt_schema *s = b->schema;
	int rc = DXT_OK;

	for (size_t row = from; row < to && rc == DXT_OK; row++) {
		if ((*count)++ > 0)
			rc = dxt_buf_putc(out, ',');
		rc |= dxt_buf_putc(out, '{');
		for (size_t c = 0; c < b->ncols && rc == DXT_OK; c++) {
			const struct dxt_field *f = &s->fields[c];
			const struct dxt_column *col = &b->cols[c];
			bool quote = f->type == DXT_TYPE_DECIMAL &&
				     dxt_col_is_valid(col, row);

			if (c > 0)
				rc |= dxt_buf_putc(out, ',');
			rc |= dxt_json_quote(out, f->name, strlen(f->name));
			rc |= dxt_buf_putc(out, ':');
			if (quote)
				rc |= dxt_buf_putc(out, '"');
			rc |= dxt_value_format_json(col, f, row, out);
			if (quote)
				rc |= dxt_buf_putc(out, '"');
		}
		rc |= dxt_buf_putc(out, '}');
	}
	return rc == DXT_OK ? DXT_OK : DXT_ENOMEM;
}

int dxt_svc_buffer_records(struct dxt_service *svc, const char *id,
			   const char *stream, uint64_t limit,
			   uint64_t offset, json_t **out,
			   struct dxt_error *err)
{
	struct dxt_buffer_reader *r = NULL;
	const struct dxt_manifest *m;
	struct dxt_buf text = {0};
	struct dxt_batch *b;
	json_error_t jerr;
	json_t *records;
	char dir[PATH_MAX];
	uint64_t seen = 0;
	size_t count = 0;
	int rc;

	*out = NULL;
	if (limit == 0)
		limit = RECORDS_DEFAULT;
	if (limit > RECORDS_MAX)
		return dxt_error_set(err, DXT_EINVAL,
				     "limit must be 1..%d (got %llu)",
				     RECORDS_MAX, (unsigned long long)limit);
	rc = stream_dir(svc, id, stream, dir, sizeof(dir), err);
	if (rc != DXT_OK)
		return rc;
	rc = dxt_buffer_reader_open(dir, NULL, &r, err);
	if (rc == DXT_EINVAL)
		return dxt_error_set(err, DXT_EINVAL,
				     "stream %s of run %s is still being "
				     "staged (or its extract failed): its "
				     "buffer is not complete",
				     stream, id);
	if (rc != DXT_OK)
		return no_buffer(rc, id, stream, err);
	m = dxt_buffer_reader_manifest(r);
	if (m->schema == NULL) {
		dxt_buffer_reader_destroy(r);
		return dxt_error_set(err, DXT_EINVAL,
				     "stream %s of run %s staged files, not "
				     "records: list them with GET "
				     "/v1/runs/%s/buffer",
				     stream, id, id);
	}
	rc = dxt_buf_putc(&text, '[');
	while (rc == DXT_OK && count < limit) {
		size_t from, to;

		rc = dxt_buffer_reader_next(r, &b, err);
		if (rc <= 0)
			break;
		rc = DXT_OK;
		if (seen + b->nrows <= offset) {
			seen += b->nrows;
			continue;
		}
		from = offset > seen ? (size_t)(offset - seen) : 0;
		to = b->nrows;
		if (to - from > limit - count)
			to = from + (size_t)(limit - count);
		seen += b->nrows;
		rc = render_rows(b, from, to, &text, &count);
	}
	if (rc == DXT_OK)
		rc = dxt_buf_putc(&text, ']');
	if (rc != DXT_OK) {
		if (rc == DXT_ENOMEM)
			dxt_error_set(err, rc, "out of memory");
		else
			dxt_error_prefix(err, "stream %s of run %s: ", stream,
					 id);
		dxt_buf_free(&text);
		dxt_buffer_reader_destroy(r);
		return rc;
	}
	records = json_loadb((const char *)text.data, text.len, JSON_DECODE_ANY,
			     &jerr);
	dxt_buf_free(&text);
	if (records == NULL) {
		dxt_buffer_reader_destroy(r);
		return dxt_error_set(err, DXT_EIO,
				     "stream %s of run %s: staged rows do not "
				     "render as JSON: %s",
				     stream, id, jerr.text);
	}
	*out = json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:o}", "run", id,
			 "stream", stream, "schema",
			 dxt_schema_to_json(m->schema), "offset",
			 (json_int_t)offset, "limit", (json_int_t)limit,
			 "total", (json_int_t)m->rows, "records", records);
	dxt_buffer_reader_destroy(r);
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

int dxt_svc_buffer_file(struct dxt_service *svc, const char *id,
			const char *stream, const char *name, int *fd,
			uint64_t *size, struct dxt_error *err)
{
	struct dxt_manifest *m = NULL;
	char dir[PATH_MAX], path[PATH_MAX];
	bool listed;
	struct stat st;
	int rc, f;

	*fd = -1;
	*size = 0;
	if (!dxt_spool_name_ok(name, true))
		return dxt_error_set(err, DXT_EINVAL,
				     "\"%s\" is not a staged file name (no "
				     "\"..\", no absolute path, no control "
				     "characters)",
				     name);
	rc = stream_dir(svc, id, stream, dir, sizeof(dir), err);
	if (rc != DXT_OK)
		return rc;
	rc = dxt_manifest_load(dir, &m, err);
	if (rc != DXT_OK)
		return no_buffer(rc, id, stream, err);
	listed = strcmp(name, "manifest.json") == 0 ||
		 strcmp(name, "rejects.jsonl") == 0;
	for (size_t i = 0; !listed && i < m->nfiles; i++)
		if (strcmp(m->files[i].name, name) == 0)
			listed = true;
	dxt_manifest_free(m);
	if (!listed)
		return dxt_error_set(err, DXT_ENOTFOUND,
				     "stream %s of run %s has no staged file "
				     "\"%s\"",
				     stream, id, name);
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return dxt_error_set(err, DXT_EINVAL, "path too long");
	f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0)
		return dxt_error_set(err,
				     errno == ENOENT ? DXT_ENOTFOUND : DXT_EIO,
				     "stream %s of run %s: cannot open %s: %s",
				     stream, id, name, strerror(errno));
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return dxt_error_set(err, DXT_ENOTFOUND,
				     "stream %s of run %s: %s is not a file",
				     stream, id, name);
	}
	*fd = f;
	*size = (uint64_t)st.st_size;
	return DXT_OK;
}
