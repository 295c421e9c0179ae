/*
 * local.h - the local filesystem provider's modules (internal).
 *
 * The provider exports its operators from provider.c; the other files hold
 * one operator each (extract.c: LocalExtractor, load.c: LocalLoader, both
 * for CSV, JSON lines and Parquet; files.c: LocalFileExtractor and
 * LocalFileLoader) plus the pieces they share: the connection's base
 * folder, listing a source (list.c) and opening one input file, possibly
 * compressed or an archive (input.c).
 *
 * Everything here runs on the operator's worker thread and keeps no global
 * state: several streams may run at once.
 */
#ifndef DXT_PROVIDERS_LOCAL_H
#define DXT_PROVIDERS_LOCAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/operator.h"
#include "providers/base/filestore.h"

/* --- connection ----------------------------------------------------------- */

/*
 * Resolves the connection's base folder: ctx->config `path`, relative to
 * ctx->base_dir (default: ctx->base_dir itself, or the working folder). The
 * config may hold no other key. With `must_exist` a missing folder is
 * DXT_ENOTFOUND naming it; otherwise it is created. Fills buf (PATH_MAX).
 */
int dxt__local_base(const struct dxt_op_ctx *ctx, bool must_exist, char *buf,
		    size_t len, struct dxt_error *err);

/* Joins a folder and a relative path ("a" + "b/c" = "a/b/c"; an absolute
 * `rel` is taken as is). DXT_ELIMIT when it does not fit. */
int dxt__local_join(char *buf, size_t len, const char *dir, const char *rel,
		    struct dxt_error *err);

/* Updates the progress counters (ctx->progress MAY be NULL). */
void dxt__local_progress(const struct dxt_op_ctx *ctx, uint64_t rows,
			 uint64_t bytes);

/* DXT_ECANCELLED with a message when the engine asked to stop. */
int dxt__local_cancelled(const struct dxt_op_ctx *ctx, struct dxt_error *err);

/* --- listing -------------------------------------------------------------- */

/*
 * Lists the regular files under `base` that belong to the source, sorted by
 * relative path. Symbolic links to files count; links to folders are not
 * followed. No match is DXT_ENOTFOUND with a message naming the file,
 * pattern or folder and the base folder.
 */
int dxt__local_list(const char *base, const struct dxt_fs_source *src,
		    struct dxt_fs_files *out, struct dxt_error *err);

/*
 * The first steps of an extractor and of its check: reads ctx->source into
 * `src`, resolves the connection's base folder (which must exist) into
 * `base` (PATH_MAX bytes) and lists the source's files into `files` (zeroed
 * by the caller). Whatever the result, the caller frees `src` with
 * dxt_fs_source_free() and `files` with dxt_fs_files_free().
 */
int dxt__local_source_files(const struct dxt_op_ctx *ctx,
			    struct dxt_fs_source *src, char *base, size_t len,
			    struct dxt_fs_files *files, struct dxt_error *err);

/* --- input files ---------------------------------------------------------- */

struct dxt__local_input;

/*
 * Opens the file at `path` for reading records. `name` (the path relative
 * to the base, for messages) is copied. A plain file is read directly; a
 * compressed file (kind->compression) is decompressed with libarchive; an
 * archive (kind->archive) yields its regular members one by one.
 */
int dxt__local_input_open(const char *path, const char *name,
			  const struct dxt_fs_kind *kind,
			  struct dxt__local_input **out, struct dxt_error *err);
/*
 * Moves to the next file inside the input: returns 1 and sets *member (the
 * archive member's path, owned by the input until the next call; NULL for a
 * file that is not an archive), 0 when there is none left, or a negative
 * code. A plain or compressed file holds exactly one.
 */
int dxt__local_input_next(struct dxt__local_input *in, const char **member,
			  struct dxt_error *err);
/* dxt_read_fn over the current file's (decompressed) bytes. */
long dxt__local_input_read(void *ctx, void *p, size_t n,
			   struct dxt_error *err);
/* Closes and frees. NULL is a no-op. */
void dxt__local_input_close(struct dxt__local_input *in);

/* --- operators ------------------------------------------------------------ */

int dxt__local_check(const struct dxt_op_ctx *ctx, struct dxt_error *err);
int dxt__local_extract(const struct dxt_op_ctx *ctx,
		       struct dxt_buffer_writer *out, struct dxt_error *err);
int dxt__local_extract_check(const struct dxt_op_ctx *ctx,
			     struct dxt_error *err);
int dxt__local_load(const struct dxt_op_ctx *ctx, struct dxt_buffer_reader *in,
		    struct dxt_load_result *res, struct dxt_error *err);
int dxt__local_load_check(const struct dxt_op_ctx *ctx, struct dxt_error *err);
int dxt__local_file_extract(const struct dxt_op_ctx *ctx,
			    struct dxt_buffer_writer *out,
			    struct dxt_error *err);
int dxt__local_file_load(const struct dxt_op_ctx *ctx,
			 struct dxt_buffer_reader *in,
			 struct dxt_load_result *res, struct dxt_error *err);

#endif /* DXT_PROVIDERS_LOCAL_H */
