/*
 * buffer.c - the persisted buffer of one stream: parts, passthrough files,
 * rejects and the manifest that ties them together.
 *
 * Writing: a part (or passthrough file) is written under a temporary name
 * at the top of the stream folder (".part-00000.csv.zst.tmp",
 * ".file-00000.tmp"; names a staged file can never have), closed with an
 * fsync, renamed to its final name, and only then added to the manifest,
 * which is rewritten atomically. The writer keeps the manifest as a struct
 * dxt_manifest and serialises it with dxt_manifest_to_json(), so what is
 * written and what dxt_manifest_load() reads are one format.
 *
 * Rotation: a part ends when it holds part_rows rows (exactly: a batch that
 * straddles the limit is split) or, after a batch, when its uncompressed
 * size reached part_bytes (so a part may exceed part_bytes by at most one
 * batch). 0 disables either limit.
 *
 * Reading: parts are decoded in order into one reusable batch; a batch may
 * hold rows of several parts. Each part's CRC-32 is compared with the
 * manifest once the part has been read to its end. When decoding fails
 * half-way, the part's checksum is checked before the decode error is
 * reported, so a corrupt part reads as DXT_ECHECKSUM, not as bad data.
 */
#include "buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonl.h"

#define MANIFEST_NAME "manifest.json"
#define REJECTS_NAME "rejects.jsonl"
#define MANIFEST_VERSION 1
/* Rejects are buffered and appended in writes of about this size. */
#define REJECTS_FLUSH (64u << 10)

void dxt_buffer_opts_default(struct dxt_buffer_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	snprintf(opts->format, sizeof(opts->format), "parquet");
	opts->codec = DXT_CODEC_ZSTD;
	opts->level = 0;
	opts->part_rows = 1000000;
	opts->part_bytes = (uint64_t)256 << 20;
	dxt_csv_opts_default(&opts->csv);
	opts->batch.max_rows = DXT_BATCH_DEFAULT_ROWS;
	opts->batch.max_bytes = DXT_BATCH_DEFAULT_BYTES;
	opts->cleanup_on_success = true;
	opts->retain_on_failure = true;
	opts->fsync = true;
}

/* "<dir>/<name>" into a new string; NULL on out of memory. */
static char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

static char *str_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/*
 * Checks a relative name of a staged file: not empty, not absolute, no
 * empty, "." or ".." components, so that it stays inside the stream folder.
 */
static int check_name(const char *name, const char *what,
		      struct dxt_error *err)
{
	const char *p = name, *slash;

	if (name == NULL || name[0] == '\0')
		return dxt_error_set(err, DXT_EINVAL, "%s: the name is empty",
				     what);
	if (name[0] == '/')
		return dxt_error_set(err, DXT_EINVAL, "%s \"%s\": absolute "
				     "paths are not allowed; give a path "
				     "relative to the source", what, name);
	if (strlen(name) >= PATH_MAX / 2)
		return dxt_error_set(err, DXT_EINVAL, "%s \"%.64s...\": the "
				     "name is too long", what, name);
	for (;;) {
		size_t n;

		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0)
			return dxt_error_set(err, DXT_EINVAL, "%s \"%s\": empty "
					     "path component", what, name);
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return dxt_error_set(err, DXT_EINVAL, "%s \"%s\": \".\" "
					     "and \"..\" are not allowed in "
					     "staged file names", what, name);
		if (slash == NULL)
			return DXT_OK;
		p = slash + 1;
	}
}

/* --- manifest --------------------------------------------------------------- */

static void manifest_clear(struct dxt_manifest *m)
{
	free(m->stream);
	free(m->format);
	dxt_schema_destroy(m->schema);
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].original_name);
	}
	free(m->files);
	json_decref(m->watermark);
	free(m->created_at);
	memset(m, 0, sizeof(*m));
}

void dxt_manifest_free(struct dxt_manifest *m)
{
	if (m == NULL)
		return;
	manifest_clear(m);
	free(m);
}

/* json_object_set_new that tracks failure in *ok. */
static void set_new(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*ok = false;
}

static json_t *opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *dxt_manifest_to_json(const struct dxt_manifest *m)
{
	json_t *o = json_object(), *files = json_array();
	bool ok = o != NULL && files != NULL;

	if (!ok) {
		json_decref(o);
		json_decref(files);
		return NULL;
	}
	set_new(o, "version", json_integer(MANIFEST_VERSION), &ok);
	set_new(o, "stream", opt_string(m->stream), &ok);
	set_new(o, "format", opt_string(m->format), &ok);
	set_new(o, "compression", json_string(dxt_codec_name(m->codec)), &ok);
	if (m->format != NULL && strcmp(m->format, "csv") == 0)
		set_new(o, "csv", dxt_csv_opts_to_json(&m->csv), &ok);
	if (m->schema != NULL)
		set_new(o, "schema", dxt_schema_to_json(m->schema), &ok);
	set_new(o, "rows", json_integer((json_int_t)m->rows), &ok);
	set_new(o, "bytes", json_integer((json_int_t)m->bytes), &ok);
	for (size_t i = 0; i < m->nfiles && ok; i++) {
		const struct dxt_staged_file *f = &m->files[i];
		json_t *e = json_object();
		char crc[16];

		snprintf(crc, sizeof(crc), "%08" PRIx32, f->crc32);
		if (e == NULL || json_array_append_new(files, e) != 0) {
			json_decref(e);
			ok = false;
			break;
		}
		set_new(e, "name", json_string(f->name), &ok);
		set_new(e, "rows", json_integer((json_int_t)f->rows), &ok);
		set_new(e, "bytes", json_integer((json_int_t)f->bytes), &ok);
		set_new(e, "raw_bytes", json_integer((json_int_t)f->raw_bytes),
			&ok);
		set_new(e, "crc32", json_string(crc), &ok);
		set_new(e, "original_name", opt_string(f->original_name), &ok);
	}
	set_new(o, "files", files, &ok);
	set_new(o, "watermark",
		m->watermark ? json_deep_copy(m->watermark) : json_null(), &ok);
	set_new(o, "complete", json_boolean(m->complete), &ok);
	if (m->created_at != NULL)
		set_new(o, "created_at", json_string(m->created_at), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Reads a non-negative integer member; absent is an error. */
static int get_count(const json_t *o, const char *key, uint64_t *out,
		     const char *where, struct dxt_error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return dxt_error_set(err, DXT_EPARSE, "%s: \"%s\" must be a "
				     "non-negative integer", where, key);
	*out = (uint64_t)json_integer_value(v);
	return DXT_OK;
}

static int get_string(const json_t *o, const char *key, bool optional,
		      char **out, const char *where, struct dxt_error *err)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (optional && (v == NULL || json_is_null(v)))
		return DXT_OK;
	if (!json_is_string(v))
		return dxt_error_set(err, DXT_EPARSE, "%s: \"%s\" must be a "
				     "string", where, key);
	*out = strdup(json_string_value(v));
	if (*out == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

static int parse_file(const json_t *e, struct dxt_staged_file *f,
		      const char *where, struct dxt_error *err)
{
	const json_t *crc = json_object_get(e, "crc32");
	const char *s;
	char *endp;
	unsigned long v;

	if (!json_is_object(e))
		return dxt_error_set(err, DXT_EPARSE, "%s: must be an object",
				     where);
	DXT_RETURN_NOT_OK(get_string(e, "name", false, &f->name, where, err));
	DXT_RETURN_NOT_OK(check_name(f->name, where, err));
	DXT_RETURN_NOT_OK(get_string(e, "original_name", true,
				     &f->original_name, where, err));
	DXT_RETURN_NOT_OK(get_count(e, "rows", &f->rows, where, err));
	DXT_RETURN_NOT_OK(get_count(e, "bytes", &f->bytes, where, err));
	DXT_RETURN_NOT_OK(get_count(e, "raw_bytes", &f->raw_bytes, where,
				    err));
	s = json_string_value(crc);
	if (s == NULL || strlen(s) != 8)
		return dxt_error_set(err, DXT_EPARSE, "%s: \"crc32\" must be 8 "
				     "hex digits", where);
	errno = 0;
	v = strtoul(s, &endp, 16);
	if (*endp != '\0' || errno != 0 || s[0] == '-' || s[0] == '+')
		return dxt_error_set(err, DXT_EPARSE, "%s: \"crc32\" must be 8 "
				     "hex digits", where);
	f->crc32 = (uint32_t)v;
	return DXT_OK;
}

static int manifest_parse(const json_t *j, struct dxt_manifest *m,
			  const char *where, struct dxt_error *err)
{
	const json_t *v, *files;
	char *codec = NULL;
	char at[PATH_MAX + 64];
	int c, rc;

	if (!json_is_object(j))
		return dxt_error_set(err, DXT_EPARSE, "%s: not a JSON object",
				     where);
	v = json_object_get(j, "version");
	if (!json_is_integer(v))
		return dxt_error_set(err, DXT_EPARSE, "%s: \"version\" is "
				     "missing", where);
	if (json_integer_value(v) != MANIFEST_VERSION)
		return dxt_error_set(err, DXT_EUNSUPPORTED, "%s: manifest "
				     "version %" JSON_INTEGER_FORMAT " is not "
				     "supported (expected %d)", where,
				     json_integer_value(v), MANIFEST_VERSION);
	DXT_RETURN_NOT_OK(get_string(j, "stream", false, &m->stream, where,
				     err));
	DXT_RETURN_NOT_OK(get_string(j, "format", false, &m->format, where,
				     err));
	DXT_RETURN_NOT_OK(get_string(j, "compression", false, &codec, where,
				     err));
	c = dxt_codec_parse(codec);
	if (c < 0) {
		rc = dxt_error_set(err, DXT_EUNSUPPORTED, "%s: unknown "
				   "compression \"%s\"", where, codec);
		free(codec);
		return rc;
	}
	free(codec);
	m->codec = (enum dxt_codec)c;
	dxt_csv_opts_default(&m->csv);
	v = json_object_get(j, "csv");
	if (v != NULL && !json_is_null(v)) {
		snprintf(at, sizeof(at), "%s: csv", where);
		DXT_RETURN_NOT_OK(dxt_csv_opts_from_json(&m->csv, v, at, err));
	}
	v = json_object_get(j, "schema");
	if (v != NULL && !json_is_null(v)) {
		rc = dxt_schema_from_json(v, &m->schema, err);
		if (rc != DXT_OK) {
			dxt_error_prefix(err, "%s: schema: ", where);
			return rc;
		}
	}
	DXT_RETURN_NOT_OK(get_count(j, "rows", &m->rows, where, err));
	DXT_RETURN_NOT_OK(get_count(j, "bytes", &m->bytes, where, err));
	files = json_object_get(j, "files");
	if (!json_is_array(files))
		return dxt_error_set(err, DXT_EPARSE, "%s: \"files\" must be an "
				     "array", where);
	if (json_array_size(files) > 0) {
		m->files = calloc(json_array_size(files), sizeof(*m->files));
		if (m->files == NULL)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < json_array_size(files); i++) {
		snprintf(at, sizeof(at), "%s: files[%zu]", where, i);
		m->nfiles = i + 1;
		DXT_RETURN_NOT_OK(parse_file(json_array_get(files, i),
					     &m->files[i], at, err));
	}
	v = json_object_get(j, "watermark");
	if (v != NULL && !json_is_null(v)) {
		m->watermark = json_deep_copy(v);
		if (m->watermark == NULL)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	v = json_object_get(j, "complete");
	if (!json_is_boolean(v))
		return dxt_error_set(err, DXT_EPARSE, "%s: \"complete\" must be "
				     "true or false", where);
	m->complete = json_is_true(v);
	return get_string(j, "created_at", true, &m->created_at, where, err);
}

int dxt_manifest_load(const char *dir, struct dxt_manifest **out,
		      struct dxt_error *err)
{
	struct dxt_manifest *m;
	json_error_t jerr;
	json_t *j;
	char *path, *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	path = path_join(dir, MANIFEST_NAME);
	m = calloc(1, sizeof(*m));
	if (path == NULL || m == NULL) {
		free(path);
		free(m);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	rc = dxt_read_file(path, &text, &len, err);
	if (rc == DXT_ENOTFOUND)
		dxt_error_set(err, rc, "%s: no manifest: nothing was staged "
			      "in this folder (or the extract never started)",
			      path);
	if (rc != DXT_OK)
		goto out;
	j = json_loadb(text, len, 0, &jerr);
	if (j == NULL) {
		rc = dxt_error_set(err, DXT_EPARSE, "%s: line %d, column %d: "
				   "%s", path, jerr.line, jerr.column,
				   jerr.text);
		goto out;
	}
	rc = manifest_parse(j, m, path, err);
	json_decref(j);
out:
	free(text);
	free(path);
	if (rc != DXT_OK) {
		dxt_manifest_free(m);
		return rc;
	}
	*out = m;
	return DXT_OK;
}

/* Streams a file through CRC-32 and compares it with the manifest entry. */
static int verify_file(const char *path, const struct dxt_staged_file *f,
		       struct dxt_error *err)
{
	struct dxt_istream *is;
	uint8_t *buf = malloc(1u << 20);
	long r;
	int rc;

	if (buf == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	rc = dxt_istream_open(path, DXT_CODEC_NONE, &is, err);
	if (rc != DXT_OK) {
		free(buf);
		return rc;
	}
	while ((r = dxt_istream_read(is, buf, 1u << 20, err)) > 0)
		;
	if (r < 0) {
		rc = (int)r;
	} else if (dxt_istream_crc32(is) != f->crc32 ||
		   dxt_istream_file_bytes(is) != f->bytes) {
		rc = dxt_error_set(err, DXT_ECHECKSUM,
				   "%s: checksum mismatch: the manifest "
				   "records crc32 %08" PRIx32 " over %" PRIu64
				   " bytes, the file has crc32 %08" PRIx32
				   " over %" PRIu64 " bytes; the staged file "
				   "is corrupt, extract again",
				   path, f->crc32, f->bytes,
				   dxt_istream_crc32(is),
				   dxt_istream_file_bytes(is));
	}
	dxt_istream_close(is);
	free(buf);
	return rc;
}

int dxt_buffer_verify(const char *dir, struct dxt_error *err)
{
	struct dxt_manifest *m;
	int rc = dxt_manifest_load(dir, &m, err);

	for (size_t i = 0; rc == DXT_OK && i < m->nfiles; i++) {
		char *path = path_join(dir, m->files[i].name);

		if (path == NULL)
			rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		else
			rc = verify_file(path, &m->files[i], err);
		free(path);
	}
	dxt_manifest_free(m);
	return rc;
}

/* --- rejects ----------------------------------------------------------------- */

/*
 * rejects.jsonl of a stream folder. The writer (extract side) and the
 * reader (load side) each keep one of these and append to the same file:
 * the lines are buffered and written with O_APPEND in large writes, each a
 * whole number of lines.
 */
struct rejects {
	const char *dir;         /* the stream folder, owned by the caller */
	int fd;                  /* -1 until the first flush */
	struct dxt_buf buf;      /* whole lines not written yet */
	_Atomic uint64_t n;      /* lines added */
};

static void rejects_init(struct rejects *rj, const char *dir)
{
	memset(rj, 0, sizeof(*rj));
	rj->dir = dir;
	rj->fd = -1;
}

static int rejects_flush(struct rejects *rj, struct dxt_error *err)
{
	size_t off = 0;

	if (rj->buf.len == 0)
		return DXT_OK;
	if (rj->fd < 0) {
		char *path = path_join(rj->dir, REJECTS_NAME);

		if (path == NULL)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		rj->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0644);
		if (rj->fd < 0) {
			int rc = dxt_error_set(err, DXT_EIO, "%s: cannot "
					       "open: %s", path,
					       strerror(errno));
			free(path);
			return rc;
		}
		free(path);
	}
	while (off < rj->buf.len) {
		ssize_t n = write(rj->fd, rj->buf.data + off,
				  rj->buf.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dxt_error_set(err, DXT_EIO, "%s/%s: write "
					     "failed: %s", rj->dir, REJECTS_NAME,
					     strerror(errno));
		off += (size_t)n;
	}
	rj->buf.len = 0;
	return DXT_OK;
}

/* Writes what is buffered (a failure is dropped: this runs on teardown)
 * and frees everything. */
static void rejects_close(struct rejects *rj)
{
	if (rj->dir != NULL)
		rejects_flush(rj, NULL);
	if (rj->fd >= 0)
		close(rj->fd);
	rj->fd = -1;
	dxt_buf_free(&rj->buf);
}

/* A JSON string of the bytes, invalid UTF-8 replaced by U+FFFD. */
static json_t *text_value(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p, *end = s + n;
	struct dxt_buf b = {0};
	json_t *v = json_stringn(p, n);

	if (v != NULL)
		return v;
	while (s < end) {
		size_t k = dxt_utf8_seq(s, end);
		int rc = k ? dxt_buf_append(&b, s, k)
			   : dxt_buf_append(&b, "\xEF\xBF\xBD", 3);
		if (rc != DXT_OK) {
			dxt_buf_free(&b);
			return NULL;
		}
		s += k ? k : 1;
	}
	v = json_stringn(b.len ? (const char *)b.data : "", b.len);
	dxt_buf_free(&b);
	return v;
}

static json_t *count_or_null(uint64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

/*
 * Appends one line: {"row", "file", "line", "column", "reason", "raw",
 * "stage"}. `stage` says which side rejected the row ("extract", "load").
 */
static int rejects_add(struct rejects *rj, const char *stage, uint64_t row,
		       const char *file, uint64_t line, uint64_t column,
		       const char *reason, const char *raw, size_t raw_len,
		       struct dxt_error *err)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	size_t n;

	if (ok) {
		set_new(o, "row", json_integer((json_int_t)row), &ok);
		set_new(o, "file", file ? text_value(file, strlen(file))
					: json_null(), &ok);
		set_new(o, "line", count_or_null(line), &ok);
		set_new(o, "column", count_or_null(column), &ok);
		set_new(o, "reason", text_value(reason ? reason : "",
						reason ? strlen(reason) : 0),
			&ok);
		set_new(o, "raw", raw ? text_value(raw, raw_len) : json_null(),
			&ok);
		set_new(o, "stage", json_string(stage), &ok);
	}
	n = ok ? json_dumpb(o, NULL, 0, JSON_COMPACT) : 0;
	if (n == 0 || dxt_buf_reserve(&rj->buf, n + 1) != DXT_OK) {
		json_decref(o);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	json_dumpb(o, (char *)rj->buf.data + rj->buf.len, n, JSON_COMPACT);
	json_decref(o);
	rj->buf.len += n;
	rj->buf.data[rj->buf.len++] = '\n';
	atomic_fetch_add(&rj->n, 1);
	if (rj->buf.len >= REJECTS_FLUSH)
		return rejects_flush(rj, err);
	return DXT_OK;
}

/* --- writer ------------------------------------------------------------------ */

struct dxt_buffer_writer {
	char *dir;
	struct dxt_buffer_opts opts;
	const struct dxt_format *fmt;  /* NULL for passthrough */
	struct dxt_format_opts fopts;
	struct dxt_manifest m;         /* what is staged (closed files) */
	size_t files_cap;

	/* The part or passthrough file being written. */
	struct dxt_ostream *os;
	void *fstate;
	char *cur_name;  /* final name inside dir */
	char *cur_orig;  /* passthrough: original name */
	char *cur_tmp;   /* full path of the temporary file */
	uint64_t cur_rows;
	size_t nparts;
	size_t ntmp;

	struct dxt_batch slice; /* rows of a batch that straddles two parts */
	bool slice_init;

	struct rejects rj;
	const atomic_int *cancel;      /* MAY be NULL */

	_Atomic uint64_t rows;
	_Atomic uint64_t bytes;
	bool failed;
	bool committed;
};

static int write_manifest(struct dxt_buffer_writer *w, struct dxt_error *err)
{
	json_t *j = dxt_manifest_to_json(&w->m);
	char *text, *path;
	int rc;

	if (j == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	path = path_join(w->dir, MANIFEST_NAME);
	if (text == NULL || path == NULL)
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
	else
		rc = dxt_write_file_atomic(path, text, strlen(text), err);
	free(text);
	free(path);
	return rc;
}

/* Adds a closed file to the manifest (takes name and orig). */
static int add_file(struct dxt_buffer_writer *w, char *name, char *orig,
		    uint64_t rows, uint64_t bytes, uint64_t raw, uint32_t crc,
		    struct dxt_error *err)
{
	struct dxt_staged_file *f;

	if (w->m.nfiles == w->files_cap) {
		size_t cap = w->files_cap ? w->files_cap * 2 : 16;
		struct dxt_staged_file *nf =
			realloc(w->m.files, cap * sizeof(*nf));
		if (nf == NULL) {
			free(name);
			free(orig);
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		}
		w->m.files = nf;
		w->files_cap = cap;
	}
	f = &w->m.files[w->m.nfiles++];
	f->name = name;
	f->original_name = orig;
	f->rows = rows;
	f->bytes = bytes;
	f->raw_bytes = raw;
	f->crc32 = crc;
	w->m.rows += rows;
	w->m.bytes += bytes;
	atomic_store(&w->bytes, w->m.bytes);
	return DXT_OK;
}

/* Drops the file being written: its temporary file goes away. */
static void abort_current(struct dxt_buffer_writer *w)
{
	if (w->fstate != NULL)
		w->fmt->writer_abort(w->fstate);
	w->fstate = NULL;
	dxt_ostream_abort(w->os);
	w->os = NULL;
	if (w->cur_tmp != NULL)
		unlink(w->cur_tmp);
	free(w->cur_name);
	free(w->cur_orig);
	free(w->cur_tmp);
	w->cur_name = w->cur_orig = w->cur_tmp = NULL;
}

/*
 * Closes the current part or file: codec trailer, fsync, rename to its
 * final name, manifest entry, manifest rewrite.
 */
static int finish_current(struct dxt_buffer_writer *w, struct dxt_error *err)
{
	uint64_t bytes = 0, raw = dxt_ostream_raw_bytes(w->os);
	uint32_t crc = 0;
	char *final = NULL, *slash;
	int rc = DXT_OK;

	if (w->fstate != NULL) {
		rc = w->fmt->writer_close(w->fstate, err);
		w->fstate = NULL;
		raw = dxt_ostream_raw_bytes(w->os);
	}
	if (rc == DXT_OK) {
		rc = dxt_ostream_close(w->os, w->opts.fsync, &bytes, &crc, err);
		w->os = NULL;
	}
	if (rc == DXT_OK) {
		final = path_join(w->dir, w->cur_name);
		if (final == NULL)
			rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	if (rc == DXT_OK && rename(w->cur_tmp, final) != 0)
		rc = dxt_error_set(err, DXT_EIO, "cannot rename %s to %s: %s",
				   w->cur_tmp, final, strerror(errno));
	if (rc == DXT_OK && w->opts.fsync) {
		slash = strrchr(final, '/');
		*slash = '\0';
		rc = dxt_fsync_dir(final, err);
	}
	free(final);
	if (rc != DXT_OK) {
		abort_current(w);
		return rc;
	}
	rc = add_file(w, w->cur_name, w->cur_orig, w->cur_rows, bytes, raw,
		      crc, err);
	w->cur_name = w->cur_orig = NULL;
	free(w->cur_tmp);
	w->cur_tmp = NULL;
	if (rc == DXT_OK)
		rc = rejects_flush(&w->rj, err);
	if (rc == DXT_OK)
		rc = write_manifest(w, err);
	return rc;
}

static int part_write(void *ctx, const void *p, size_t n,
		      struct dxt_error *err)
{
	struct dxt_buffer_writer *w = ctx;

	return dxt_ostream_write(w->os, p, n, err);
}

static bool own_codec(const struct dxt_buffer_writer *w)
{
	return w->fmt != NULL && (w->fmt->flags & DXT_FORMAT_OWN_CODEC);
}

static int open_part(struct dxt_buffer_writer *w, struct dxt_error *err)
{
	const char *cext = own_codec(w) ? "" : dxt_codec_ext(w->opts.codec);
	int rc;

	w->cur_name = str_printf("part-%05zu%s%s", w->nparts, w->fmt->ext,
				 cext);
	w->cur_tmp = w->cur_name ? str_printf("%s/.%s.tmp", w->dir,
					      w->cur_name)
				 : NULL;
	if (w->cur_tmp == NULL) {
		abort_current(w);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	w->cur_rows = 0;
	rc = dxt_ostream_open(w->cur_tmp,
			      own_codec(w) ? DXT_CODEC_NONE : w->opts.codec,
			      w->opts.level, &w->os, err);
	if (rc == DXT_OK)
		dxt_ostream_set_cancel(w->os, w->cancel);
	if (rc == DXT_OK)
		rc = w->fmt->writer_open(w->m.schema, &w->fopts, part_write, w,
					 &w->fstate, err);
	if (rc != DXT_OK) {
		abort_current(w);
		return rc;
	}
	w->nparts++;
	return DXT_OK;
}

void dxt_buffer_writer_set_cancel(struct dxt_buffer_writer *w,
				  const atomic_int *cancel)
{
	w->cancel = cancel;
	if (w->os != NULL)
		dxt_ostream_set_cancel(w->os, cancel);
}

int dxt_buffer_writer_open(const char *dir, const char *stream,
			   const struct dxt_buffer_opts *opts,
			   struct dxt_buffer_writer **out,
			   struct dxt_error *err)
{
	struct dxt_buffer_writer *w;
	bool passthrough = strcmp(opts->format, DXT_BUFFER_PASSTHROUGH) == 0;
	const struct dxt_format *fmt = dxt_format_find(opts->format);
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	*out = NULL;
	if (fmt == NULL && !passthrough)
		return dxt_error_set(err, DXT_ECONFIG, "buffer format \"%s\" is "
				     "unknown (use parquet, csv, jsonl or passthrough)",
				     opts->format);
	if ((fmt == NULL || !(fmt->flags & DXT_FORMAT_OWN_CODEC)) &&
	    opts->codec != DXT_CODEC_NONE && opts->codec != DXT_CODEC_ZSTD &&
	    opts->codec != DXT_CODEC_GZIP)
		return dxt_error_set(err, DXT_ECONFIG, "buffer compression %s "
				     "does not apply to format %s (use none, "
				     "zstd or gzip)",
				     dxt_codec_name(opts->codec), opts->format);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	w->opts = *opts;
	w->fmt = fmt;
	w->fopts.codec = opts->codec;
	w->fopts.level = opts->level;
	w->fopts.csv = opts->csv;
	w->fopts.row_group_rows = (size_t)opts->row_group_rows;
	w->dir = strdup(dir);
	rejects_init(&w->rj, w->dir);
	w->m.stream = strdup(stream ? stream : "");
	w->m.format = strdup(passthrough ? DXT_BUFFER_PASSTHROUGH : fmt->name);
	w->m.codec = opts->codec;
	w->m.csv = opts->csv;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	w->m.created_at = strdup(ts);
	if (w->dir == NULL || w->m.stream == NULL || w->m.format == NULL ||
	    w->m.created_at == NULL) {
		dxt_buffer_writer_destroy(w);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	rc = dxt_remove_tree(dir, err);
	if (rc == DXT_OK)
		rc = dxt_mkdirs(dir, err);
	if (rc == DXT_OK)
		rc = write_manifest(w, err);
	if (rc != DXT_OK) {
		dxt_error_prefix(err, "stream %s: buffer: ", w->m.stream);
		dxt_buffer_writer_destroy(w);
		return rc;
	}
	*out = w;
	return DXT_OK;
}

/* Refuses further work after a failure: the staged state is unknown. */
static int check_usable(struct dxt_buffer_writer *w, struct dxt_error *err)
{
	if (w->failed)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: the buffer "
				     "writer failed earlier", w->m.stream);
	if (w->m.complete)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: the buffer "
				     "is already committed", w->m.stream);
	return DXT_OK;
}

static int fail(struct dxt_buffer_writer *w, int rc)
{
	if (rc != DXT_OK)
		w->failed = true;
	return rc;
}

static int need_records(struct dxt_buffer_writer *w, struct dxt_error *err)
{
	if (w->fmt == NULL)
		return dxt_error_set(err, DXT_ECONFIG, "stream %s: the buffer "
				     "format is passthrough, which stages "
				     "files; this extractor produces records: "
				     "set buffer.format to csv or jsonl",
				     w->m.stream);
	return DXT_OK;
}

int dxt_buffer_writer_schema(struct dxt_buffer_writer *w,
			     const struct dxt_schema *schema,
			     struct dxt_error *err)
{
	struct dxt_schema *copy;

	DXT_RETURN_NOT_OK(check_usable(w, err));
	DXT_RETURN_NOT_OK(need_records(w, err));
	if (w->m.schema != NULL && dxt_schema_equal(w->m.schema, schema))
		return DXT_OK;
	if (w->m.schema != NULL && (w->os != NULL || w->m.nfiles > 0))
		return dxt_error_set(err, DXT_ESCHEMA, "stream %s: the schema "
				     "changed after rows were staged",
				     w->m.stream);
	copy = dxt_schema_copy(schema);
	if (copy == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	dxt_schema_destroy(w->m.schema);
	w->m.schema = copy;
	if (w->slice_init)
		dxt_batch_release(&w->slice);
	w->slice_init = false;
	return DXT_OK;
}

/* Copies rows [off, off + n) of src into dst (same schema). */
static int slice_rows(const struct dxt_batch *src, size_t off, size_t n,
		      struct dxt_batch *dst)
{
	dxt_batch_reset(dst);
	for (size_t j = 0; j < src->ncols; j++) {
		const struct dxt_column *s = &src->cols[j];
		struct dxt_column *d = &dst->cols[j];
		size_t w = dxt_type_width(s->type);

		for (size_t i = off; i < off + n; i++) {
			const uint8_t *p;
			size_t len;
			int rc;

			if (!dxt_col_is_valid(s, i))
				rc = dxt_col_append_null(d);
			else if (s->type == DXT_TYPE_BOOL)
				rc = dxt_col_append_bool(d, dxt_col_bool(s, i));
			else if (dxt_type_is_varlen(s->type)) {
				p = dxt_col_bytes(s, i, &len);
				rc = dxt_col_append_bytes(d, p, len);
			} else
				rc = dxt__col_append_fixed(
					d, s->values.data + i * w, w);
			if (rc != DXT_OK)
				return rc;
		}
	}
	dst->nrows = n;
	return DXT_OK;
}

static int check_batch(struct dxt_buffer_writer *w, const struct dxt_batch *b,
		       struct dxt_error *err)
{
	const struct dxt_schema *s = w->m.schema;

	if (s == NULL)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: rows were "
				     "staged before the schema "
				     "(dxt_buffer_writer_schema)",
				     w->m.stream);
	if (b->ncols != s->n)
		return dxt_error_set(err, DXT_ESCHEMA, "stream %s: a batch has "
				     "%zu columns, the schema %zu", w->m.stream,
				     b->ncols, s->n);
	for (size_t i = 0; i < s->n; i++)
		if (b->cols[i].type != s->fields[i].type)
			return dxt_error_set(err, DXT_ESCHEMA, "stream %s: "
					     "column %zu (%s) of a batch is %s, "
					     "the schema says %s", w->m.stream,
					     i + 1, s->fields[i].name,
					     dxt_type_name(b->cols[i].type),
					     dxt_type_name(s->fields[i].type));
	return DXT_OK;
}

static int write_batch(struct dxt_buffer_writer *w, const struct dxt_batch *b,
		       struct dxt_error *err)
{
	size_t off = 0;
	int rc;

	while (off < b->nrows) {
		size_t take = b->nrows - off;
		const struct dxt_batch *part = b;

		if (w->os == NULL)
			DXT_RETURN_NOT_OK(open_part(w, err));
		if (w->opts.part_rows && w->cur_rows + take > w->opts.part_rows)
			take = (size_t)(w->opts.part_rows - w->cur_rows);
		if (take != b->nrows) {
			if (!w->slice_init) {
				if (dxt_batch_init(&w->slice, w->m.schema) !=
				    DXT_OK)
					return dxt_error_set(err, DXT_ENOMEM,
							     "out of memory");
				w->slice_init = true;
			}
			if (slice_rows(b, off, take, &w->slice) != DXT_OK)
				return dxt_error_set(err, DXT_ENOMEM,
						     "out of memory");
			part = &w->slice;
		}
		rc = w->fmt->write_batch(w->fstate, part, err);
		if (rc != DXT_OK)
			return rc;
		w->cur_rows += take;
		off += take;
		atomic_fetch_add(&w->rows, take);
		atomic_store(&w->bytes,
			     w->m.bytes + dxt_ostream_file_bytes(w->os));
		if ((w->opts.part_rows && w->cur_rows >= w->opts.part_rows) ||
		    (w->opts.part_bytes &&
		     dxt_ostream_raw_bytes(w->os) >= w->opts.part_bytes))
			DXT_RETURN_NOT_OK(finish_current(w, err));
	}
	return DXT_OK;
}

int dxt_buffer_writer_batch(struct dxt_buffer_writer *w,
			    const struct dxt_batch *b, struct dxt_error *err)
{
	int rc;

	DXT_RETURN_NOT_OK(check_usable(w, err));
	DXT_RETURN_NOT_OK(need_records(w, err));
	/* A batch that does not fit is refused before anything is written. */
	DXT_RETURN_NOT_OK(check_batch(w, b, err));
	rc = write_batch(w, b, err);
	if (rc != DXT_OK)
		dxt_error_prefix(err, "stream %s: buffer: ", w->m.stream);
	return fail(w, rc);
}

int dxt_buffer_writer_file_begin(struct dxt_buffer_writer *w,
				 const char *original_name,
				 struct dxt_error *err)
{
	char *final, *slash;
	int rc;

	DXT_RETURN_NOT_OK(check_usable(w, err));
	if (w->fmt != NULL)
		return dxt_error_set(err, DXT_ECONFIG, "stream %s: the buffer "
				     "format is %s, which stages records; this "
				     "extractor produces files: set "
				     "buffer.format to passthrough",
				     w->m.stream, w->fmt->name);
	if (w->os != NULL)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: file %s is "
				     "still open (dxt_buffer_writer_file_end "
				     "first)", w->m.stream, w->cur_orig);
	rc = check_name(original_name, "staged file", err);
	if (rc != DXT_OK) {
		dxt_error_prefix(err, "stream %s: ", w->m.stream);
		return rc;
	}
	for (size_t i = 0; i < w->m.nfiles; i++)
		if (strcmp(w->m.files[i].original_name, original_name) == 0)
			return dxt_error_set(err, DXT_EEXISTS, "stream %s: file "
					     "%s is staged twice", w->m.stream,
					     original_name);
	w->cur_orig = strdup(original_name);
	w->cur_name = str_printf("files/%s%s", original_name,
				 dxt_codec_ext(w->opts.codec));
	w->cur_tmp = str_printf("%s/.file-%05zu.tmp", w->dir, w->ntmp++);
	final = w->cur_name ? path_join(w->dir, w->cur_name) : NULL;
	if (w->cur_orig == NULL || w->cur_tmp == NULL || final == NULL) {
		free(final);
		abort_current(w);
		return fail(w, dxt_error_set(err, DXT_ENOMEM, "out of memory"));
	}
	slash = strrchr(final, '/');
	*slash = '\0';
	w->cur_rows = 0;
	rc = dxt_mkdirs(final, err);
	free(final);
	if (rc == DXT_OK)
		rc = dxt_ostream_open(w->cur_tmp, w->opts.codec, w->opts.level,
				      &w->os, err);
	if (rc == DXT_OK)
		dxt_ostream_set_cancel(w->os, w->cancel);
	if (rc != DXT_OK) {
		abort_current(w);
		dxt_error_prefix(err, "stream %s: buffer: ", w->m.stream);
		return fail(w, rc);
	}
	return DXT_OK;
}

int dxt_buffer_writer_file_write(struct dxt_buffer_writer *w, const void *p,
				 size_t n, struct dxt_error *err)
{
	int rc;

	DXT_RETURN_NOT_OK(check_usable(w, err));
	if (w->os == NULL || w->fmt != NULL)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: no staged "
				     "file is open (dxt_buffer_writer_file_begin "
				     "first)", w->m.stream);
	rc = dxt_ostream_write(w->os, p, n, err);
	if (rc != DXT_OK) {
		dxt_error_prefix(err, "stream %s: buffer: ", w->m.stream);
		return fail(w, rc);
	}
	atomic_store(&w->bytes, w->m.bytes + dxt_ostream_file_bytes(w->os));
	return DXT_OK;
}

int dxt_buffer_writer_file_end(struct dxt_buffer_writer *w,
			       struct dxt_error *err)
{
	int rc;

	DXT_RETURN_NOT_OK(check_usable(w, err));
	if (w->os == NULL || w->fmt != NULL)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: no staged "
				     "file is open (dxt_buffer_writer_file_begin "
				     "first)", w->m.stream);
	rc = finish_current(w, err);
	if (rc != DXT_OK)
		dxt_error_prefix(err, "stream %s: buffer: ", w->m.stream);
	return fail(w, rc);
}

int dxt_buffer_writer_watermark(struct dxt_buffer_writer *w,
				const char *field, const json_t *value,
				struct dxt_error *err)
{
	json_t *wm;

	if (field == NULL || value == NULL)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: a watermark "
				     "needs a field and a value", w->m.stream);
	wm = json_object();
	if (wm == NULL || json_object_set_new(wm, "field", json_string(field))
	    != 0 || json_object_set_new(wm, "value",
					json_deep_copy(value)) != 0) {
		json_decref(wm);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	json_decref(w->m.watermark);
	w->m.watermark = wm;
	return DXT_OK;
}

int dxt_buffer_writer_reject(struct dxt_buffer_writer *w, uint64_t row,
			     const char *file, uint64_t line, uint64_t column,
			     const char *reason, const char *raw,
			     size_t raw_len, struct dxt_error *err)
{
	return rejects_add(&w->rj, "extract", row, file, line, column, reason,
			   raw, raw_len, err);
}

uint64_t dxt_buffer_writer_rows(const struct dxt_buffer_writer *w)
{
	return atomic_load(&w->rows);
}

uint64_t dxt_buffer_writer_bytes(const struct dxt_buffer_writer *w)
{
	return atomic_load(&w->bytes);
}

uint64_t dxt_buffer_writer_rejects(const struct dxt_buffer_writer *w)
{
	return atomic_load(&w->rj.n);
}

int dxt_buffer_writer_commit(struct dxt_buffer_writer *w,
			     struct dxt_error *err)
{
	int rc;

	DXT_RETURN_NOT_OK(check_usable(w, err));
	if (w->os != NULL && w->fmt == NULL)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: file %s was "
				     "begun but not ended", w->m.stream,
				     w->cur_orig);
	rc = w->os != NULL ? finish_current(w, err) : DXT_OK;
	if (rc == DXT_OK)
		rc = rejects_flush(&w->rj, err);
	if (rc == DXT_OK) {
		w->m.complete = true;
		rc = write_manifest(w, err);
		if (rc != DXT_OK)
			w->m.complete = false;
	}
	if (rc != DXT_OK) {
		dxt_error_prefix(err, "stream %s: buffer: ", w->m.stream);
		return fail(w, rc);
	}
	w->committed = true;
	return DXT_OK;
}

void dxt_buffer_writer_destroy(struct dxt_buffer_writer *w)
{
	if (w == NULL)
		return;
	abort_current(w);
	/* Rejects of a failed extract are kept: they explain the failure. */
	rejects_close(&w->rj);
	if (w->slice_init)
		dxt_batch_release(&w->slice);
	manifest_clear(&w->m);
	free(w->dir);
	free(w);
}

/* --- reader ------------------------------------------------------------------ */

struct dxt_buffer_reader {
	char *dir;
	struct dxt_manifest *m;
	const struct dxt_format *fmt;  /* NULL for passthrough */
	struct dxt_format_opts fopts;
	struct dxt_batch_limits limits;
	struct dxt_batch batch;
	bool batch_init;

	size_t part;                   /* next part for _next() */
	struct dxt_istream *is;
	void *fstate;
	char *part_path;
	uint64_t part_rows;

	size_t file;                   /* next file for _next_file() */
	char *file_path;
	uint64_t rows;

	/* The loader's rejects: touched only by dxt_buffer_reader_reject(),
	 * which MAY run while another thread reads batches. */
	struct rejects rj;
};

int dxt_buffer_reader_open(const char *dir,
			   const struct dxt_batch_limits *limits,
			   struct dxt_buffer_reader **out,
			   struct dxt_error *err)
{
	struct dxt_buffer_reader *r;
	struct dxt_manifest *m;
	int rc;

	*out = NULL;
	rc = dxt_manifest_load(dir, &m, err);
	if (rc != DXT_OK)
		return rc;
	if (!m->complete) {
		rc = dxt_error_set(err, DXT_EINVAL, "%s: the staged data of "
				   "stream %s is incomplete (its extract did "
				   "not finish); run the extract again", dir,
				   m->stream);
		dxt_manifest_free(m);
		return rc;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->dir = strdup(dir)) == NULL) {
		free(r);
		dxt_manifest_free(m);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	r->m = m;
	rejects_init(&r->rj, r->dir);
	if (strcmp(m->format, DXT_BUFFER_PASSTHROUGH) != 0) {
		r->fmt = dxt_format_find(m->format);
		if (r->fmt == NULL) {
			rc = dxt_error_set(err, DXT_EUNSUPPORTED, "%s: buffer "
					   "format \"%s\" is not supported by "
					   "this build", dir, m->format);
			dxt_buffer_reader_destroy(r);
			return rc;
		}
	}
	r->fopts.codec = m->codec;
	r->fopts.csv = m->csv;
	if (limits != NULL)
		r->limits = *limits;
	*out = r;
	return DXT_OK;
}

const struct dxt_manifest *dxt_buffer_reader_manifest(
	const struct dxt_buffer_reader *r)
{
	return r->m;
}

static long part_read(void *ctx, void *p, size_t n, struct dxt_error *err)
{
	return dxt_istream_read(ctx, p, n, err);
}

static void close_part(struct dxt_buffer_reader *r)
{
	if (r->fstate != NULL)
		r->fmt->reader_close(r->fstate);
	r->fstate = NULL;
	dxt_istream_close(r->is);
	r->is = NULL;
	free(r->part_path);
	r->part_path = NULL;
}

static int open_part_reader(struct dxt_buffer_reader *r,
			    struct dxt_error *err)
{
	const struct dxt_staged_file *f = &r->m->files[r->part];
	bool seekable = r->fmt->flags & DXT_FORMAT_SEEKABLE;
	bool own = r->fmt->flags & DXT_FORMAT_OWN_CODEC;
	int rc;

	r->part_path = path_join(r->dir, f->name);
	if (r->part_path == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	r->part_rows = 0;
	if (seekable) {
		/* The format reads the file itself: check it up front. */
		rc = verify_file(r->part_path, f, err);
		if (rc == DXT_OK)
			rc = r->fmt->reader_open(r->m->schema, &r->fopts,
						 r->part_path, NULL, NULL,
						 &r->fstate, err);
	} else {
		rc = dxt_istream_open(r->part_path,
				      own ? DXT_CODEC_NONE : r->m->codec,
				      &r->is, err);
		if (rc == DXT_OK)
			rc = r->fmt->reader_open(r->m->schema, &r->fopts,
						 r->part_path, part_read, r->is,
						 &r->fstate, err);
	}
	if (rc != DXT_OK)
		close_part(r);
	return rc;
}

/* The current part is decoded: check it against the manifest. */
static int end_part(struct dxt_buffer_reader *r, struct dxt_error *err)
{
	const struct dxt_staged_file *f = &r->m->files[r->part];
	int rc = DXT_OK;

	if (r->is != NULL) {
		uint8_t sink[4096];
		long n;

		/* A format MAY stop before the stream's end: drain it. */
		while ((n = dxt_istream_read(r->is, sink, sizeof(sink), err)) >
		       0)
			;
		if (n < 0)
			rc = (int)n;
		else if (dxt_istream_crc32(r->is) != f->crc32 ||
			 dxt_istream_file_bytes(r->is) != f->bytes)
			rc = dxt_error_set(err, DXT_ECHECKSUM,
					   "%s: checksum mismatch: the "
					   "manifest records crc32 %08" PRIx32
					   " over %" PRIu64 " bytes, the file "
					   "has crc32 %08" PRIx32 " over %"
					   PRIu64 " bytes; the staged part is "
					   "corrupt, extract again",
					   r->part_path, f->crc32, f->bytes,
					   dxt_istream_crc32(r->is),
					   dxt_istream_file_bytes(r->is));
	}
	if (rc == DXT_OK && r->part_rows != f->rows)
		rc = dxt_error_set(err, DXT_ECHECKSUM, "%s: the part holds %"
				   PRIu64 " rows, the manifest records %"
				   PRIu64 "; extract again", r->part_path,
				   r->part_rows, f->rows);
	close_part(r);
	r->part++;
	return rc;
}

/*
 * Decoding failed: when the part does not match its checksum, that is the
 * real cause and replaces the decode error.
 */
static int decode_error(struct dxt_buffer_reader *r, int rc,
			struct dxt_error *err)
{
	struct dxt_error verr;

	dxt_error_clear(&verr);
	if (rc != DXT_ENOMEM && r->is != NULL &&
	    verify_file(r->part_path, &r->m->files[r->part], &verr) ==
		    DXT_ECHECKSUM) {
		if (err != NULL)
			*err = verr;
		rc = DXT_ECHECKSUM;
	}
	return rc;
}

int dxt_buffer_reader_next(struct dxt_buffer_reader *r,
			   struct dxt_batch **batch, struct dxt_error *err)
{
	int rc;

	*batch = NULL;
	if (r->fmt == NULL)
		return dxt_error_set(err, DXT_EINVAL, "stream %s: the buffer "
				     "holds files (passthrough), not records: "
				     "use a file loader", r->m->stream);
	if (r->m->schema == NULL) {
		if (r->m->nfiles == 0)
			return 0;
		return dxt_error_set(err, DXT_EPARSE, "%s: the manifest lists "
				     "parts but no schema", r->dir);
	}
	if (!r->batch_init) {
		if (dxt_batch_init(&r->batch, r->m->schema) != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		r->batch_init = true;
	}
	dxt_batch_reset(&r->batch);
	for (;;) {
		long n;

		if (r->fstate == NULL) {
			if (r->part == r->m->nfiles)
				break;
			rc = open_part_reader(r, err);
			if (rc != DXT_OK)
				return rc;
		}
		n = r->fmt->read_batch(r->fstate, &r->batch, &r->limits, err);
		if (n < 0) {
			rc = decode_error(r, (int)n, err);
			close_part(r);
			return rc;
		}
		if (n == 0) {
			rc = end_part(r, err);
			if (rc != DXT_OK)
				return rc;
			continue;
		}
		r->part_rows += (uint64_t)n;
		if (dxt_batch_full(&r->batch, &r->limits))
			break;
	}
	if (r->batch.nrows == 0)
		return 0;
	r->rows += r->batch.nrows;
	*batch = &r->batch;
	return 1;
}

int dxt_buffer_reader_next_file(struct dxt_buffer_reader *r,
				const struct dxt_staged_file **file,
				const char **path, struct dxt_error *err)
{
	const struct dxt_staged_file *f;
	int rc;

	*file = NULL;
	*path = NULL;
	if (r->file == r->m->nfiles)
		return 0;
	f = &r->m->files[r->file];
	free(r->file_path);
	r->file_path = path_join(r->dir, f->name);
	if (r->file_path == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	rc = verify_file(r->file_path, f, err);
	if (rc != DXT_OK)
		return rc;
	r->file++;
	*file = f;
	*path = r->file_path;
	return 1;
}

uint64_t dxt_buffer_reader_rows(const struct dxt_buffer_reader *r)
{
	return r->rows;
}

int dxt_buffer_reader_reject(struct dxt_buffer_reader *r, uint64_t row,
			     const char *reason, const char *raw,
			     size_t raw_len, struct dxt_error *err)
{
	int rc = rejects_add(&r->rj, "load", row, NULL, 0, 0, reason, raw,
			     raw_len, err);

	if (rc != DXT_OK)
		dxt_error_prefix(err, "stream %s: buffer: ", r->m->stream);
	return rc;
}

uint64_t dxt_buffer_reader_rejects(const struct dxt_buffer_reader *r)
{
	return atomic_load(&r->rj.n);
}

void dxt_buffer_reader_destroy(struct dxt_buffer_reader *r)
{
	if (r == NULL)
		return;
	close_part(r);
	/* Loader rejects stay when the load fails: they explain it. */
	rejects_close(&r->rj);
	if (r->batch_init)
		dxt_batch_release(&r->batch);
	free(r->file_path);
	dxt_manifest_free(r->m);
	free(r->dir);
	free(r);
}
