/*
 * list.c - listing the files of a source in a local folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/local/local.h"

struct walk {
	const struct dxt_fs_source *src;
	struct dxt_fs_files *out;
	bool hidden_dirs;   /* the pattern spells hidden folders */
	struct dxt_error *err;
};

static int64_t mtime_us(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000 +
	       st->st_mtim.tv_nsec / 1000;
}

/*
 * Adds the files of folder `dir` (relative path `rel`, "" for the root)
 * that belong to the source, descending `depth` more levels (-1: all).
 */
static int walk_dir(struct walk *w, const char *dir, const char *rel,
		    int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = DXT_OK;

	if (d == NULL)
		return dxt_error_set(w->err, DXT_EIO, "cannot list folder %s: "
				     "%s", dir, strerror(errno));
	while (rc == DXT_OK && (errno = 0, e = readdir(d)) != NULL) {
		char path[PATH_MAX], sub[PATH_MAX];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = dxt__local_join(path, sizeof(path), dir, e->d_name, w->err);
		if (rc == DXT_OK)
			rc = dxt__local_join(sub, sizeof(sub), rel, e->d_name,
					     w->err);
		if (rc != DXT_OK)
			break;
		if (lstat(path, &st) != 0)
			continue; /* removed while listing */
		if (S_ISDIR(st.st_mode)) {
			if (depth == 1 ||
			    (e->d_name[0] == '.' && !w->hidden_dirs))
				continue;
			rc = walk_dir(w, path, sub, depth < 0 ? -1 : depth - 1);
			continue;
		}
		if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
			continue; /* dangling link */
		if (!S_ISREG(st.st_mode) || !dxt_fs_source_match(w->src, sub))
			continue;
		if (dxt_fs_files_add(w->out, sub, (uint64_t)st.st_size,
				     mtime_us(&st)) != DXT_OK)
			rc = dxt_error_set(w->err, DXT_ENOMEM, "out of memory");
	}
	if (rc == DXT_OK && errno != 0)
		rc = dxt_error_set(w->err, DXT_EIO, "cannot list folder %s: %s",
				   dir, strerror(errno));
	closedir(d);
	return rc;
}

int dxt__local_list(const char *base, const struct dxt_fs_source *src,
		    struct dxt_fs_files *out, struct dxt_error *err)
{
	char root[PATH_MAX], full[PATH_MAX];
	struct walk w = {src, out, false, err};
	struct stat st;
	int depth, rc;

	if (dxt_fs_source_root(src, root, sizeof(root), &depth) != DXT_OK)
		return dxt_error_set(err, DXT_ELIMIT, "source path too long: %s",
				     src->path);
	rc = dxt__local_join(full, sizeof(full), base, root, err);
	if (rc != DXT_OK)
		return rc;
	if (stat(full, &st) != 0) {
		if (errno != ENOENT || src->type == DXT_FS_SOURCE_GLOB)
			goto none;
		return dxt_error_set(err, DXT_ENOTFOUND, "%s: no such %s in %s",
				     src->path,
				     src->type == DXT_FS_SOURCE_FILE ? "file"
								     : "folder",
				     base);
	}
	if (src->type == DXT_FS_SOURCE_FILE) {
		if (S_ISDIR(st.st_mode))
			return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					      DXT_ORIGIN_CONFIG,
					      "source.file: %s is a folder; use "
					      "type: directory or a glob "
					      "pattern", src->path);
		if (!S_ISREG(st.st_mode))
			return dxt_error_set(err, DXT_EIO, "%s: not a regular "
					     "file", src->path);
		if (dxt_fs_files_add(out, src->path, (uint64_t)st.st_size,
				     mtime_us(&st)) != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		return DXT_OK;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (src->type == DXT_FS_SOURCE_GLOB)
			goto none;
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "source.directory: %s is not a folder",
				      src->path);
	}
	w.hidden_dirs = src->type == DXT_FS_SOURCE_GLOB &&
			(src->path[0] == '.' || strstr(src->path, "/.") != NULL);
	rc = walk_dir(&w, full, root, depth);
	if (rc != DXT_OK)
		return rc;
	if (out->n == 0)
		goto none;
	dxt_fs_files_sort(out);
	return DXT_OK;
none:
	if (src->type == DXT_FS_SOURCE_DIRECTORY)
		return dxt_error_set(err, DXT_ENOTFOUND, "source.directory: "
				     "%s holds no files (looked in %s)",
				     src->path[0] ? src->path : ".", base);
	return dxt_error_set(err, DXT_ENOTFOUND, "source.pattern: no file "
			     "matches \"%s\" in %s; `*` stays within one "
			     "folder, `**` spans folders", src->path, base);
}

int dxt__local_source_files(const struct dxt_op_ctx *ctx,
			    struct dxt_fs_source *src, char *base, size_t len,
			    struct dxt_fs_files *files, struct dxt_error *err)
{
	int rc = dxt_fs_source_parse(ctx->source, src, err);

	if (rc == DXT_OK)
		rc = dxt__local_base(ctx, true, base, len, err);
	if (rc == DXT_OK)
		rc = dxt__local_list(base, src, files, err);
	return rc;
}
