/*
 * files.c - LocalFileExtractor and LocalFileLoader: files as they are.
 *
 * The extractor stages every file of the source in the buffer under its
 * path relative to the connection's folder, streamed in blocks. The loader
 * copies every staged file into the target folder under that name (folders
 * created as needed), decompressing what the buffer compressed. Record
 * parts of a records buffer are files too: they arrive as part-00000.csv.
 *
 * The loader writes each file under a hidden temporary name next to its
 * destination and renames all of them only after the last one is complete
 * and synced: a failed load adds nothing. Mode append refuses to overwrite
 * an existing file; mode replace overwrites it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/iostream.h"
#include "providers/local/local.h"

#define COPY_BLOCK ((size_t)1 << 20)

/* True for a relative path without "." or ".." segments or empty ones. */
static bool safe_relative(const char *p)
{
	if (p[0] == '\0' || p[0] == '/')
		return false;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
		if (*s == '/')
			s++;
	}
	return true;
}

/* The name a file is staged under: its path below the connection's folder,
 * or its base name when the source named a file outside it. */
static const char *staged_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (safe_relative(path))
		return path;
	return slash ? slash + 1 : path;
}

static int stage_file(const struct dxt_op_ctx *ctx,
		      struct dxt_buffer_writer *out, const char *base,
		      const struct dxt_fs_file *f, char *block,
		      uint64_t *bytes, struct dxt_error *err)
{
	char path[PATH_MAX];
	int fd, rc;

	rc = dxt__local_join(path, sizeof(path), base, f->path, err);
	if (rc != DXT_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dxt_error_set(err, errno == ENOENT ? DXT_ENOTFOUND
							  : DXT_EIO,
				     "%s: cannot open: %s", f->path,
				     strerror(errno));
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = dxt_buffer_writer_file_begin(out, staged_name(f->path), err);
	while (rc == DXT_OK) {
		ssize_t n = read(fd, block, COPY_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dxt_error_set(err, DXT_EIO, "%s: read failed: %s",
					   f->path, strerror(errno));
			break;
		}
		if (n == 0) {
			rc = dxt_buffer_writer_file_end(out, err);
			break;
		}
		rc = dxt_buffer_writer_file_write(out, block, (size_t)n, err);
		*bytes += (uint64_t)n;
		dxt__local_progress(ctx, 0, *bytes);
		if (rc == DXT_OK)
			rc = dxt__local_cancelled(ctx, err);
	}
	close(fd);
	return rc;
}

int dxt__local_file_extract(const struct dxt_op_ctx *ctx,
			    struct dxt_buffer_writer *out,
			    struct dxt_error *err)
{
	struct dxt_fs_files files = {0};
	struct dxt_fs_source src;
	char base[PATH_MAX];
	char *block = NULL;
	uint64_t bytes = 0;
	int rc;

	rc = dxt__local_source_files(ctx, &src, base, sizeof(base), &files,
				     err);
	if (rc == DXT_OK && (block = malloc(COPY_BLOCK)) == NULL)
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == DXT_OK && i < files.n; i++) {
		rc = dxt__local_cancelled(ctx, err);
		if (rc == DXT_OK)
			rc = stage_file(ctx, out, base, &files.items[i], block,
					&bytes, err);
	}
	free(block);
	dxt_fs_files_free(&files);
	dxt_fs_source_free(&src);
	return rc;
}

/* --- loader --------------------------------------------------------------- */

struct copy {
	char tmp[PATH_MAX];
	char final[PATH_MAX];
};

/* The destination name of a staged file, relative to the target folder. */
static int dest_name(const struct dxt_staged_file *f, enum dxt_codec codec,
		     char *buf, size_t len, bool *decompress,
		     struct dxt_error *err)
{
	const char *ext = dxt_codec_ext(codec);
	size_t n, k = strlen(ext);

	*decompress = false;
	if (f->original_name != NULL) {
		n = (size_t)snprintf(buf, len, "%s", f->original_name);
	} else {
		const char *slash = strrchr(f->name, '/');

		n = (size_t)snprintf(buf, len, "%s", slash ? slash + 1
							   : f->name);
	}
	if (n >= len)
		return dxt_error_set(err, DXT_ELIMIT, "name too long: %s",
				     f->name);
	/* The staged copy carries the buffer's codec suffix when the buffer
	 * compressed it; the original never did. */
	if (codec != DXT_CODEC_NONE && k > 0) {
		size_t sn = strlen(f->name);

		*decompress = sn > n + k && strcmp(f->name + sn - k, ext) == 0 &&
			      strncmp(f->name + sn - k - n, buf, n) == 0;
		if (f->original_name == NULL && n > k &&
		    strcmp(buf + n - k, ext) == 0) {
			*decompress = true;
			buf[n - k] = '\0';
		}
	}
	if (!safe_relative(buf))
		return dxt_error_set(err, DXT_EINVAL, "staged file %s has the "
				     "unsafe name \"%s\"; it is not copied",
				     f->name, buf);
	return DXT_OK;
}

static int copy_file(const char *src, enum dxt_codec codec, const char *tmp,
		     char *block, uint64_t *bytes, struct dxt_error *err)
{
	struct dxt_istream *is = NULL;
	int fd, rc;

	rc = dxt_istream_open(src, codec, &is, err);
	if (rc != DXT_OK)
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		dxt_istream_close(is);
		return dxt_error_set(err, DXT_EIO, "cannot create %s: %s", tmp,
				     strerror(errno));
	}
	for (;;) {
		long n = dxt_istream_read(is, block, COPY_BLOCK, err);
		size_t off = 0;

		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		while (off < (size_t)n) {
			ssize_t w = write(fd, block + off, (size_t)n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = dxt_error_set(err, DXT_EIO, "cannot write "
						   "%s: %s", tmp,
						   strerror(errno));
				break;
			}
			off += (size_t)w;
		}
		if (rc != DXT_OK)
			break;
		*bytes += (uint64_t)n;
	}
	if (rc == DXT_OK && fsync(fd) != 0)
		rc = dxt_error_set(err, DXT_EIO, "cannot sync %s: %s", tmp,
				   strerror(errno));
	if (close(fd) != 0 && rc == DXT_OK)
		rc = dxt_error_set(err, DXT_EIO, "cannot write %s: %s", tmp,
				   strerror(errno));
	dxt_istream_close(is);
	return rc;
}

/* Splits "dir/name" into the folder (in buf) and returns the name. */
static const char *split_dir(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return slash ? slash + 1 : path;
}

int dxt__local_file_load(const struct dxt_op_ctx *ctx,
			 struct dxt_buffer_reader *in,
			 struct dxt_load_result *res, struct dxt_error *err)
{
	const struct dxt_manifest *m = dxt_buffer_reader_manifest(in);
	enum dxt_load_mode mode = ctx->load ? ctx->load->mode : DXT_LOAD_APPEND;
	const struct dxt_staged_file *f;
	const char *src;
	char base[PATH_MAX], dir[PATH_MAX];
	struct copy *copies = NULL;
	size_t ncopies = 0;
	char *block = NULL;
	uint64_t bytes = 0;
	int rc;

	if (mode == DXT_LOAD_UPSERT)
		return dxt_error_setc(err, DXT_EUNSUPPORTED, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "load.mode: files cannot be upserted; "
				      "use append (no overwriting) or replace");
	rc = dxt__local_base(ctx, false, base, sizeof(base), err);
	if (rc == DXT_OK && ctx->target != NULL) {
		const char *key;
		json_t *v;

		if (!json_is_object(ctx->target))
			rc = dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					    DXT_ORIGIN_CONFIG,
					    "target: expected {name: folder}");
		json_object_foreach((json_t *)ctx->target, key, v) {
			if (rc == DXT_OK && strcmp(key, "name") != 0 &&
			    strcmp(key, "path") != 0)
				rc = dxt_error_setc(
					err, DXT_ECONFIG, DXT_TERMINAL,
					DXT_ORIGIN_CONFIG,
					"target.%s: unknown key (allowed: "
					"name or path, the folder to copy "
					"into)", key);
		}
	}
	if (rc == DXT_OK) {
		const json_t *t = ctx->target;
		const json_t *v = t ? json_object_get(t, "name") : NULL;

		if (v == NULL && t != NULL)
			v = json_object_get(t, "path");
		if (v != NULL && !json_is_string(v))
			rc = dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					    DXT_ORIGIN_CONFIG,
					    "target: the folder must be a name");
		else
			rc = dxt__local_join(dir, sizeof(dir), base,
					     v ? json_string_value(v) : "",
					     err);
	}
	if (rc == DXT_OK && (block = malloc(COPY_BLOCK)) == NULL)
		rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
	while (rc == DXT_OK) {
		char name[PATH_MAX], folder[PATH_MAX];
		const char *leaf;
		struct copy *c;
		struct stat st;
		bool decompress;
		int n;

		rc = dxt_buffer_reader_next_file(in, &f, &src, err);
		if (rc <= 0)
			break;
		rc = dest_name(f, m->codec, name, sizeof(name), &decompress,
			       err);
		if (rc != DXT_OK)
			break;
		c = realloc(copies, (ncopies + 1) * sizeof(*c));
		if (c == NULL) {
			rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
			break;
		}
		copies = c;
		c = &copies[ncopies];
		c->tmp[0] = '\0';
		rc = dxt__local_join(c->final, sizeof(c->final), dir, name,
				     err);
		if (rc != DXT_OK)
			break;
		if (mode == DXT_LOAD_APPEND && stat(c->final, &st) == 0) {
			rc = dxt_error_set(err, DXT_EEXISTS,
					   "%s already exists; mode append "
					   "never overwrites a file: use mode "
					   "replace or another target folder",
					   c->final);
			break;
		}
		leaf = split_dir(c->final, folder, sizeof(folder));
		rc = dxt_mkdirs(folder, err);
		if (rc != DXT_OK)
			break;
		n = snprintf(c->tmp, sizeof(c->tmp), "%s/.%s.%s.%zu.tmp",
			     folder, leaf, ctx->run_id ? ctx->run_id : "run",
			     ncopies);
		if (n < 0 || (size_t)n >= sizeof(c->tmp)) {
			c->tmp[0] = '\0';
			rc = dxt_error_set(err, DXT_ELIMIT, "path too long: %s",
					   c->final);
			break;
		}
		ncopies++;
		rc = copy_file(src, decompress ? m->codec : DXT_CODEC_NONE,
			       c->tmp, block, &bytes, err);
		dxt__local_progress(ctx, 0, bytes);
		if (rc == DXT_OK)
			rc = dxt__local_cancelled(ctx, err);
	}
	/* Every file is complete: now they all appear. */
	for (size_t i = 0; rc == DXT_OK && i < ncopies; i++) {
		char folder[PATH_MAX];

		if (rename(copies[i].tmp, copies[i].final) != 0) {
			rc = dxt_error_set(err, DXT_EIO, "cannot rename %s to "
					   "%s: %s", copies[i].tmp,
					   copies[i].final, strerror(errno));
			break;
		}
		copies[i].tmp[0] = '\0';
		split_dir(copies[i].final, folder, sizeof(folder));
		rc = dxt_fsync_dir(folder, err);
	}
	for (size_t i = 0; i < ncopies; i++)
		if (copies[i].tmp[0])
			unlink(copies[i].tmp);
	if (rc == DXT_OK && res != NULL)
		res->files_loaded = ncopies;
	free(copies);
	free(block);
	return rc;
}
