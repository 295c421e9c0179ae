/*
 * load.c - LocalLoader: records into CSV, JSON lines or Parquet files in a
 * folder.
 *
 *   target: {name: out/orders, format: jsonl, compression: gzip}
 *   target: {name: out/orders, format: parquet, compression: snappy,
 *            row_group_rows: 100000, dictionary: false, page_version: 2,
 *            page_crc: true}
 *
 * The target names a folder below the connection's path. The stream's rows
 * go to `<stream>.csv` (or .jsonl, plus .gz / .zst when compressed, or
 * .parquet, whose pages are compressed inside the file: zstd unless
 * `compression` says none, snappy or gzip), or to the `file_name` pattern,
 * where {stream}, {run_id} and {part} are replaced. With `rows_per_file`, a
 * new file starts after the batch that brought the current one to that many
 * rows; several files are numbered (`orders-00001.csv`, ...).
 *
 * Files are written under hidden temporary names, synced, and renamed only
 * when every row is written, so nothing half-written is ever visible and a
 * failed load leaves the folder as it was. Mode replace then removes the
 * stream's older files (the unnumbered name and its numbered variants); mode
 * append keeps them and adds new numbered files after the highest number.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/iostream.h"
#include "engine/jsonl.h"
#include "engine/parquet.h"
#include "providers/local/local.h"

#define FLUSH_BYTES ((size_t)1 << 20)

struct ltarget {
	char dir[PATH_MAX];
	char format[16];          /* csv, jsonl or parquet */
	enum dxt_codec codec;     /* the file's stream codec (not parquet) */
	int level;
	struct dxt_pq_write_opts pq; /* parquet: page codec, level, layout */
	char file_name[256];      /* pattern; "" = default */
	uint64_t rows_per_file;   /* 0 = one file */
	struct dxt_csv_opts csv;
};

static int cfg_error(struct dxt_error *err, const char *msg, const char *key)
{
	return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL, DXT_ORIGIN_CONFIG,
			      msg, key);
}

static const char *const target_keys[] = {
	"name", "path", "options", "format", "compression", "level",
	"file_name", "rows_per_file", "row_group_rows", "dictionary",
	"page_version", "page_crc", NULL
};

/* The options only a Parquet target takes. */
static const char *const parquet_keys[] = {
	"row_group_rows", "dictionary", "page_version", "page_crc", NULL
};

static bool is_target_key(const char *key)
{
	for (size_t i = 0; target_keys[i] != NULL; i++)
		if (strcmp(target_keys[i], key) == 0)
			return true;
	return dxt_fs_is_csv_key(key);
}

/*
 * Reads the folder of a target block ({name: dir} or {path: dir}) below
 * `base` into dir. Shared with the file loader, which takes no options.
 */
static int target_dir(const json_t *target, const char *base, char *dir,
		      size_t len, struct dxt_error *err)
{
	const json_t *n = NULL, *p = NULL, *v;

	if (target != NULL && !json_is_object(target))
		return cfg_error(err, "%starget: expected {name: folder}", "");
	if (target != NULL) {
		n = json_object_get(target, "name");
		p = json_object_get(target, "path");
	}
	if (n != NULL && p != NULL)
		return cfg_error(err, "target: give the folder as %s or as "
				 "path, not both", "name");
	v = n ? n : p;
	if (v != NULL && !json_is_string(v))
		return cfg_error(err, "target.%s: expected a folder name",
				 n ? "name" : "path");
	return dxt__local_join(dir, len, base, v ? json_string_value(v) : "",
			       err);
}

/* A true/false option of the target, when `m` has it. */
static int opt_bool(const json_t *m, const char *key, bool *out,
		    struct dxt_error *err)
{
	const json_t *v = json_object_get(m, key);

	if (v == NULL)
		return DXT_OK;
	if (!json_is_boolean(v))
		return cfg_error(err, "target.%s: expected true or false", key);
	*out = json_is_true(v);
	return DXT_OK;
}

/*
 * Reads the Parquet options of a target (merged into `m`): compression
 * (the page codec, zstd by default), row_group_rows, dictionary,
 * page_version and page_crc. The level is read with the other formats'.
 */
static int parse_parquet(const json_t *m, struct ltarget *t,
			 struct dxt_error *err)
{
	static const struct {
		const char *name;
		enum dxt_pq_codec codec;
	} codecs[] = {
		{"none", DXT_PQ_UNCOMPRESSED},
		{"uncompressed", DXT_PQ_UNCOMPRESSED},
		{"snappy", DXT_PQ_SNAPPY},
		{"gzip", DXT_PQ_GZIP},
		{"zstd", DXT_PQ_ZSTD},
	};
	const json_t *v;
	bool dict = !t->pq.no_dictionary;
	int rc;

	v = json_object_get(m, "compression");
	if (v != NULL) {
		const char *c = json_string_value(v);
		size_t i, n = sizeof(codecs) / sizeof(codecs[0]);

		for (i = 0; c != NULL && i < n; i++)
			if (strcmp(codecs[i].name, c) == 0)
				break;
		if (c == NULL || i == n)
			return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					      DXT_ORIGIN_CONFIG,
					      "target.compression: %s%s%s is "
					      "not a Parquet codec dxt writes "
					      "(allowed: none, snappy, gzip, "
					      "zstd)", c ? "\"" : "",
					      c ? c : "a non-string value",
					      c ? "\"" : "");
		t->pq.codec = codecs[i].codec;
	}
	v = json_object_get(m, "row_group_rows");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return cfg_error(err, "target.%s: expected a number of "
					 "rows per row group (1 or more)",
					 "row_group_rows");
		t->pq.row_group_rows = (size_t)json_integer_value(v);
	}
	rc = opt_bool(m, "dictionary", &dict, err);
	if (rc != DXT_OK)
		return rc;
	t->pq.no_dictionary = !dict;
	v = json_object_get(m, "page_version");
	if (v != NULL) {
		if (!json_is_integer(v) || (json_integer_value(v) != 1 &&
					    json_integer_value(v) != 2))
			return cfg_error(err, "target.%s: expected 1 or 2 (the "
					 "data page header version)",
					 "page_version");
		t->pq.page_version = (int)json_integer_value(v);
	}
	return opt_bool(m, "page_crc", &t->pq.page_crc, err);
}

static int parse_target(const struct dxt_op_ctx *ctx, const char *base,
			struct ltarget *t, struct dxt_error *err)
{
	const json_t *target = ctx->target, *opts;
	json_t *m, *v;
	const char *key;
	int rc;

	memset(t, 0, sizeof(*t));
	memcpy(t->format, "csv", 4);
	t->codec = DXT_CODEC_NONE;
	dxt_pq_write_opts_default(&t->pq);
	/* A target file is kept, not read back once like a buffer part: the
	 * codec's own default level, not the fastest. */
	t->pq.level = 0;
	dxt_csv_opts_default(&t->csv);
	rc = target_dir(target, base, t->dir, sizeof(t->dir), err);
	if (rc != DXT_OK || target == NULL)
		return rc;
	opts = json_object_get(target, "options");
	if (opts != NULL && !json_is_object(opts))
		return cfg_error(err, "target.%s: expected a mapping of option "
				 "names to values", "options");
	m = json_object();
	if (m == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	json_object_foreach((json_t *)target, key, v) {
		if (!is_target_key(key)) {
			json_decref(m);
			return cfg_error(err, "target.%s: unknown key (allowed: "
					 "name, path, format, compression, "
					 "level, file_name, rows_per_file, "
					 "options, the CSV options and, for "
					 "Parquet, row_group_rows, dictionary, "
					 "page_version and page_crc)", key);
		}
		if (strcmp(key, "options") != 0 && strcmp(key, "name") != 0 &&
		    strcmp(key, "path") != 0)
			json_object_set(m, key, v);
	}
	json_object_foreach((json_t *)opts, key, v) {
		if (!is_target_key(key) || strcmp(key, "options") == 0 ||
		    strcmp(key, "name") == 0 || strcmp(key, "path") == 0) {
			json_decref(m);
			return cfg_error(err,
					 "target.options.%s: unknown option "
					 "(allowed: format, compression, level, "
					 "file_name, rows_per_file, the CSV "
					 "options and, for Parquet, "
					 "row_group_rows, dictionary, "
					 "page_version and page_crc)", key);
		}
		json_object_set(m, key, v);
	}
	rc = dxt_fs_csv_opts_pick(&t->csv, m, "target", NULL, err);
	if (rc == DXT_OK && !dxt_fs_encoding_is_utf8(t->csv.encoding))
		rc = cfg_error(err, "target.%s: files are written in UTF-8",
			       "encoding");
	if (rc == DXT_OK && (v = json_object_get(m, "format")) != NULL) {
		const char *f = json_string_value(v);

		if (f == NULL || !dxt_fs_format_known(f))
			rc = cfg_error(err, "target.%s: expected csv, jsonl or "
				       "parquet", "format");
		else
			snprintf(t->format, sizeof(t->format), "%s", f);
	}
	if (rc == DXT_OK && strcmp(t->format, "parquet") == 0)
		rc = parse_parquet(m, t, err);
	else if (rc == DXT_OK &&
		 (v = json_object_get(m, "compression")) != NULL) {
		int c = json_is_string(v) ? dxt_codec_parse(json_string_value(v))
					  : -1;

		if (c != DXT_CODEC_NONE && c != DXT_CODEC_GZIP &&
		    c != DXT_CODEC_ZSTD)
			rc = cfg_error(err, "target.%s: expected none, gzip or "
				       "zstd", "compression");
		else
			t->codec = (enum dxt_codec)c;
	}
	for (size_t i = 0; rc == DXT_OK && parquet_keys[i] != NULL; i++)
		if (strcmp(t->format, "parquet") != 0 &&
		    json_object_get(m, parquet_keys[i]) != NULL)
			rc = cfg_error(err, "target.%s: a Parquet option; set "
				       "format: parquet or drop it",
				       parquet_keys[i]);
	if (rc == DXT_OK && (v = json_object_get(m, "level")) != NULL) {
		if (!json_is_integer(v))
			rc = cfg_error(err, "target.%s: expected a compression "
				       "level (0 for the default)", "level");
		else
			t->level = (int)json_integer_value(v);
		t->pq.level = t->level;
	}
	if (rc == DXT_OK && (v = json_object_get(m, "rows_per_file")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			rc = cfg_error(err, "target.%s: expected a number of "
				       "rows (0 for one file)", "rows_per_file");
		else
			t->rows_per_file = (uint64_t)json_integer_value(v);
	}
	if (rc == DXT_OK && (v = json_object_get(m, "file_name")) != NULL) {
		const char *f = json_string_value(v);

		if (f == NULL || f[0] == '\0' || strchr(f, '/') != NULL ||
		    f[0] == '.' || strlen(f) >= sizeof(t->file_name))
			rc = cfg_error(err, "target.%s: expected a file name "
				       "pattern without folders or a leading "
				       "dot, such as \"{stream}-{run_id}.csv\"",
				       "file_name");
		else
			snprintf(t->file_name, sizeof(t->file_name), "%s", f);
	}
	json_decref(m);
	return rc;
}

/* --- file names ----------------------------------------------------------- */

/*
 * Expands the name pattern for part `part` (0: unnumbered). A pattern
 * without {part} gets "-NNNNN" before the first dot of a numbered name.
 * With `glob`, {run_id} and the part number become wildcards and literal
 * text is escaped, for finding the files of earlier runs.
 */
static int expand(const struct dxt_op_ctx *ctx, const char *pattern,
		  unsigned part, bool glob, char *buf, size_t len)
{
	struct dxt_buf b = {0};
	bool has_part = strstr(pattern, "{part}") != NULL;
	const char *dot = strchr(pattern, '.');
	char num[32];
	int rc = DXT_OK;

	if (glob)
		snprintf(num, sizeof(num), "[0-9][0-9][0-9][0-9][0-9]");
	else
		snprintf(num, sizeof(num), "%05u", part);
	for (const char *p = pattern; rc == DXT_OK;) {
		const char *lit;

		if (!has_part && part > 0 &&
		    p == (dot ? dot : p + strlen(p))) {
			rc = dxt_buf_putc(&b, '-');
			if (rc == DXT_OK)
				rc = dxt_buf_puts(&b, num);
			has_part = true;
		}
		if (*p == '\0')
			break;
		lit = NULL;
		if (strncmp(p, "{stream}", 8) == 0) {
			lit = ctx->stream ? ctx->stream : "stream";
			p += 8;
		} else if (strncmp(p, "{run_id}", 8) == 0) {
			if (glob) {
				rc = dxt_buf_putc(&b, '*');
				p += 8;
				continue;
			}
			lit = ctx->run_id ? ctx->run_id : "run";
			p += 8;
		} else if (strncmp(p, "{part}", 6) == 0) {
			rc = dxt_buf_puts(&b, part > 0 || glob ? num : "00001");
			p += 6;
			continue;
		}
		if (lit != NULL) {
			for (; rc == DXT_OK && *lit; lit++) {
				char c = *lit == '/' ? '_' : *lit;

				if (glob && strchr("*?[\\", c) != NULL)
					rc = dxt_buf_putc(&b, '\\');
				if (rc == DXT_OK)
					rc = dxt_buf_putc(&b, c);
			}
			continue;
		}
		if (glob && strchr("*?[\\", *p) != NULL)
			rc = dxt_buf_putc(&b, '\\');
		if (rc == DXT_OK)
			rc = dxt_buf_putc(&b, *p);
		p++;
	}
	if (rc == DXT_OK && b.len >= len)
		rc = DXT_ELIMIT;
	if (rc == DXT_OK) {
		memcpy(buf, b.data, b.len);
		buf[b.len] = '\0';
	}
	dxt_buf_free(&b);
	return rc;
}

/* The highest number among this pattern's numbered files in the folder
 * (0 when there is none). */
static unsigned highest_part(const struct dxt_op_ctx *ctx,
			     const struct ltarget *t, const char *pattern)
{
	char a[300], b[300];
	size_t pre, post;
	unsigned best = 0;
	DIR *d;
	struct dirent *e;

	/* Parts 1 and 2 differ only in the digits: what is around them is
	 * the common prefix and suffix. */
	if (expand(ctx, pattern, 11111, false, a, sizeof(a)) != DXT_OK ||
	    expand(ctx, pattern, 22222, false, b, sizeof(b)) != DXT_OK)
		return 0;
	for (pre = 0; a[pre] == b[pre]; pre++)
		;
	post = strlen(a) - pre - 5;
	d = opendir(t->dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		unsigned v = 0;
		bool ok = len == pre + 5 + post && strncmp(n, a, pre) == 0 &&
			  strcmp(n + pre + 5, a + pre + 5) == 0;

		for (size_t i = 0; ok && i < 5; i++) {
			char c = n[pre + i];

			ok = c >= '0' && c <= '9';
			v = v * 10 + (unsigned)(c - '0');
		}
		if (ok && v > best)
			best = v;
	}
	closedir(d);
	return best;
}

/* --- writing -------------------------------------------------------------- */

struct part {
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	uint64_t rows;
};

struct lwriter {
	const struct dxt_op_ctx *ctx;
	const struct ltarget *t;
	const struct dxt_schema *schema;
	struct dxt_ostream *os;
	struct dxt_pq_writer *pq;  /* parquet: the current part's writer */
	struct dxt_buf buf;
	struct part *parts;
	size_t nparts;
	struct dxt_error *err;
};

/* dxt_write_fn of the Parquet writer: into the part's file. */
static int pq_write(void *ctx, const void *p, size_t n, struct dxt_error *err)
{
	struct lwriter *w = ctx;

	return dxt_ostream_write(w->os, p, n, err);
}

static int open_part(struct lwriter *w)
{
	struct part *p = realloc(w->parts, (w->nparts + 1) * sizeof(*p));
	int n, rc;

	if (p == NULL)
		return dxt_error_set(w->err, DXT_ENOMEM, "out of memory");
	w->parts = p;
	p = &w->parts[w->nparts];
	memset(p, 0, sizeof(*p));
	n = snprintf(p->tmp, sizeof(p->tmp), "%s/.%s.%s.%zu.tmp", w->t->dir,
		     w->ctx->stream ? w->ctx->stream : "stream",
		     w->ctx->run_id ? w->ctx->run_id : "run", w->nparts);
	if (n < 0 || (size_t)n >= sizeof(p->tmp))
		return dxt_error_set(w->err, DXT_ELIMIT, "path too long: %s",
				     w->t->dir);
	for (char *c = p->tmp + strlen(w->t->dir) + 1; *c; c++)
		if (*c == '/')
			*c = '_';
	rc = dxt_ostream_open(p->tmp, w->t->codec, w->t->level, &w->os,
			      w->err);
	if (rc != DXT_OK)
		return rc;
	w->nparts++;
	if (strcmp(w->t->format, "parquet") == 0)
		return dxt_pq_writer_open(w->schema, &w->t->pq, pq_write, w,
					  &w->pq, w->err);
	if (strcmp(w->t->format, "csv") == 0 && w->t->csv.header) {
		rc = dxt_csv_write_header(&w->t->csv, w->schema, &w->buf);
		if (rc != DXT_OK)
			return dxt_error_set(w->err, rc, "out of memory");
	}
	return DXT_OK;
}

static int write_out(struct lwriter *w)
{
	int rc;

	if (w->buf.len == 0)
		return DXT_OK;
	rc = dxt_ostream_write(w->os, w->buf.data, w->buf.len, w->err);
	w->buf.len = 0;
	return rc;
}

static int close_part(struct lwriter *w)
{
	uint64_t bytes;
	uint32_t crc;
	int rc = write_out(w);

	if (rc == DXT_OK && w->pq != NULL) {
		rc = dxt_pq_writer_close(w->pq, w->err);
		w->pq = NULL;
	}
	if (rc != DXT_OK)
		return rc;
	rc = dxt_ostream_close(w->os, 1, &bytes, &crc, w->err);
	w->os = NULL;
	return rc;
}

/* Picks the final names and renames the parts into place. */
static int publish(struct lwriter *w, enum dxt_load_mode mode)
{
	const struct ltarget *t = w->t;
	char pattern[256], plain[300], glob_plain[600], glob_num[600];
	unsigned first = 1;
	bool numbered;
	int rc;

	if (t->file_name[0])
		snprintf(pattern, sizeof(pattern), "%s", t->file_name);
	else
		snprintf(pattern, sizeof(pattern), "{stream}.%s%s",
			 t->format, dxt_codec_ext(t->codec));
	numbered = w->nparts > 1 || strstr(pattern, "{part}") != NULL;
	if (expand(w->ctx, pattern, 0, false, plain, sizeof(plain)) != DXT_OK ||
	    expand(w->ctx, pattern, 0, true, glob_plain,
		   sizeof(glob_plain)) != DXT_OK ||
	    expand(w->ctx, pattern, 1, true, glob_num,
		   sizeof(glob_num)) != DXT_OK)
		return dxt_error_set(w->err, DXT_ELIMIT, "target.file_name: "
				     "the name is too long");
	if (mode == DXT_LOAD_APPEND) {
		char path[PATH_MAX];
		struct stat st;

		rc = dxt__local_join(path, sizeof(path), t->dir, plain, w->err);
		if (rc != DXT_OK)
			return rc;
		if (!numbered && stat(path, &st) == 0)
			numbered = true;
		if (numbered)
			first = highest_part(w->ctx, t, pattern) + 1;
	}
	for (size_t i = 0; i < w->nparts; i++) {
		char name[300];
		struct stat st;

		if (expand(w->ctx, pattern, numbered ? first + (unsigned)i : 0,
			   false, name, sizeof(name)) != DXT_OK)
			return dxt_error_set(w->err, DXT_ELIMIT,
					     "target.file_name: the name is "
					     "too long");
		rc = dxt__local_join(w->parts[i].final,
				     sizeof(w->parts[i].final), t->dir, name,
				     w->err);
		if (rc != DXT_OK)
			return rc;
		if (mode == DXT_LOAD_APPEND &&
		    stat(w->parts[i].final, &st) == 0)
			return dxt_error_set(w->err, DXT_EEXISTS,
					     "%s already exists; mode append "
					     "adds files and never overwrites: "
					     "put {part} or {run_id} in "
					     "target.file_name, or use mode "
					     "replace", w->parts[i].final);
	}
	for (size_t i = 0; i < w->nparts; i++) {
		if (rename(w->parts[i].tmp, w->parts[i].final) != 0)
			return dxt_error_set(w->err, DXT_EIO, "cannot rename %s "
					     "to %s: %s", w->parts[i].tmp,
					     w->parts[i].final, strerror(errno));
		w->parts[i].tmp[0] = '\0';
	}
	if (mode == DXT_LOAD_REPLACE) {
		/* The new files are in place: the stream's older ones go. */
		DIR *d = opendir(t->dir);
		struct dirent *e;

		while (d != NULL && (e = readdir(d)) != NULL) {
			char path[PATH_MAX];
			bool ours = false;

			if (!dxt_fs_glob_match(glob_plain, e->d_name) &&
			    !dxt_fs_glob_match(glob_num, e->d_name))
				continue;
			if (dxt__local_join(path, sizeof(path), t->dir,
					    e->d_name, NULL) != DXT_OK)
				continue;
			for (size_t i = 0; i < w->nparts; i++)
				if (strcmp(w->parts[i].final, path) == 0)
					ours = true;
			if (!ours && unlink(path) != 0 && errno != ENOENT) {
				rc = dxt_error_set(w->err, DXT_EIO,
						   "cannot remove the older "
						   "file %s: %s", path,
						   strerror(errno));
				closedir(d);
				return rc;
			}
		}
		if (d != NULL)
			closedir(d);
	}
	return dxt_fsync_dir(t->dir, w->err);
}

int dxt__local_load(const struct dxt_op_ctx *ctx, struct dxt_buffer_reader *in,
		    struct dxt_load_result *res, struct dxt_error *err)
{
	const struct dxt_manifest *m = dxt_buffer_reader_manifest(in);
	enum dxt_load_mode mode = ctx->load ? ctx->load->mode : DXT_LOAD_APPEND;
	char base[PATH_MAX];
	struct ltarget t;
	struct lwriter w = {0};
	struct dxt_batch *b;
	uint64_t rows = 0, file_rows = 0, bytes = 0;
	size_t before;
	bool csv, pq;
	int rc;

	if (m->schema == NULL)
		return dxt_error_set(err, DXT_EUNSUPPORTED,
				     "the buffer holds files (format %s), not "
				     "records: load them with "
				     "dxt.providers.local.LocalFileLoader",
				     m->format);
	if (mode == DXT_LOAD_UPSERT)
		return dxt_error_setc(err, DXT_EUNSUPPORTED, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "load.mode: files cannot be upserted; "
				      "use append (new files) or replace");
	rc = dxt__local_base(ctx, false, base, sizeof(base), err);
	if (rc == DXT_OK)
		rc = parse_target(ctx, base, &t, err);
	if (rc == DXT_OK)
		rc = dxt_mkdirs(t.dir, err);
	if (rc != DXT_OK)
		return rc;
	csv = strcmp(t.format, "csv") == 0;
	pq = strcmp(t.format, "parquet") == 0;
	w.ctx = ctx;
	w.t = &t;
	w.schema = m->schema;
	w.err = err;
	rc = open_part(&w);
	while (rc == DXT_OK) {
		rc = dxt_buffer_reader_next(in, &b, err);
		if (rc <= 0)
			break;
		if (t.rows_per_file > 0 && file_rows >= t.rows_per_file) {
			rc = close_part(&w);
			if (rc == DXT_OK)
				rc = open_part(&w);
			if (rc != DXT_OK)
				break;
			file_rows = 0;
		}
		if (pq) {
			uint64_t was = dxt_pq_writer_bytes(w.pq);

			rc = dxt_pq_writer_write(w.pq, b, err);
			if (rc != DXT_OK)
				break;
			bytes += dxt_pq_writer_bytes(w.pq) - was;
		} else {
			before = w.buf.len;
			rc = csv ? dxt_csv_write_batch(&t.csv, b, &w.buf)
				 : dxt_jsonl_write_batch(b, &w.buf);
			if (rc != DXT_OK) {
				rc = dxt_error_set(err, rc, "out of memory "
						   "formatting %zu rows",
						   b->nrows);
				break;
			}
			bytes += w.buf.len - before;
		}
		rows += b->nrows;
		file_rows += b->nrows;
		w.parts[w.nparts - 1].rows += b->nrows;
		if (w.buf.len >= FLUSH_BYTES)
			rc = write_out(&w);
		dxt__local_progress(ctx, rows, bytes);
		if (rc == DXT_OK)
			rc = dxt__local_cancelled(ctx, err);
	}
	if (rc == DXT_OK && w.os != NULL)
		rc = close_part(&w);
	if (rc == DXT_OK)
		rc = publish(&w, mode);
	dxt_pq_writer_abort(w.pq);
	dxt_ostream_abort(w.os);
	for (size_t i = 0; i < w.nparts; i++)
		if (w.parts[i].tmp[0])
			unlink(w.parts[i].tmp);
	if (rc == DXT_OK && res != NULL) {
		res->rows_loaded = rows;
		res->files_loaded = w.nparts;
	}
	free(w.parts);
	dxt_buf_free(&w.buf);
	return rc;
}

int dxt__local_load_check(const struct dxt_op_ctx *ctx, struct dxt_error *err)
{
	char base[PATH_MAX], dir[PATH_MAX];
	int rc = dxt__local_base(ctx, true, base, sizeof(base), err);

	/* A missing folder is fine: a load creates it. */
	if (rc == DXT_ENOTFOUND) {
		dxt_error_clear(err);
		rc = DXT_OK;
	}
	if (rc == DXT_OK)
		rc = target_dir(ctx->target, base, dir, sizeof(dir), err);
	return rc;
}
