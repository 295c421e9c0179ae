/*
 * provider.c - the local filesystem provider: descriptors and connection.
 *
 *   source: {provider: local, path: data}     # a folder; relative paths
 *                                             # resolve against the
 *                                             # pipeline's folder
 *   streams:
 *     - id: orders
 *       source: {type: glob, pattern: "2024-*.csv", delimiter: ";"}
 *
 * LocalExtractor reads CSV, JSON lines and Parquet files into records,
 * LocalFileExtractor stages files as they are, LocalLoader writes records
 * to CSV, JSON lines or Parquet files and LocalFileLoader copies staged
 * files into a folder. LocalConnector checks that the folder exists.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/iostream.h"
#include "providers/local/local.h"

int dxt__local_join(char *buf, size_t len, const char *dir, const char *rel,
		    struct dxt_error *err)
{
	int n;

	if (rel[0] == '/' || dir[0] == '\0')
		n = snprintf(buf, len, "%s", rel);
	else if (rel[0] == '\0')
		n = snprintf(buf, len, "%s", dir);
	else
		n = snprintf(buf, len, "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= len)
		return dxt_error_set(err, DXT_ELIMIT, "path too long: %s/%s",
				     dir, rel);
	return DXT_OK;
}

int dxt__local_base(const struct dxt_op_ctx *ctx, bool must_exist, char *buf,
		    size_t len, struct dxt_error *err)
{
	const char *base = ctx->base_dir ? ctx->base_dir : ".";
	const char *path = NULL, *key;
	json_t *v;
	struct stat st;
	int rc;

	if (ctx->config != NULL && !json_is_object(ctx->config))
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "local connection: expected a mapping "
				      "such as {path: data}");
	if (ctx->config != NULL) {
		json_object_foreach((json_t *)ctx->config, key, v) {
			if (strcmp(key, "path") != 0)
				return dxt_error_setc(
					err, DXT_ECONFIG, DXT_TERMINAL,
					DXT_ORIGIN_CONFIG,
					"local connection: unknown key \"%s\" "
					"(allowed: path)", key);
		}
		v = json_object_get(ctx->config, "path");
		if (v != NULL && !json_is_string(v))
			return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					      DXT_ORIGIN_CONFIG,
					      "local connection: path: expected "
					      "a folder name");
		path = json_string_value(v);
	}
	rc = dxt__local_join(buf, len, base, path ? path : "", err);
	if (rc != DXT_OK)
		return rc;
	if (stat(buf, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return dxt_error_set(err, DXT_ECONFIG,
					     "local connection: %s is not a "
					     "folder", buf);
		return DXT_OK;
	}
	if (must_exist || errno != ENOENT)
		return dxt_error_set(err, errno == ENOENT ? DXT_ENOTFOUND
							  : DXT_EIO,
				     "local connection: folder %s: %s%s", buf,
				     strerror(errno),
				     errno == ENOENT ? "; check path (relative "
						       "paths start at the "
						       "pipeline's folder)"
						     : "");
	return dxt_mkdirs(buf, err);
}

void dxt__local_progress(const struct dxt_op_ctx *ctx, uint64_t rows,
			 uint64_t bytes)
{
	if (ctx->progress == NULL)
		return;
	atomic_store(&ctx->progress->rows, rows);
	atomic_store(&ctx->progress->bytes, bytes);
}

int dxt__local_cancelled(const struct dxt_op_ctx *ctx, struct dxt_error *err)
{
	if (!dxt_op_cancelled(ctx))
		return DXT_OK;
	return dxt_error_set(err, DXT_ECANCELLED, "cancelled");
}

int dxt__local_check(const struct dxt_op_ctx *ctx, struct dxt_error *err)
{
	char base[PATH_MAX];

	return dxt__local_base(ctx, true, base, sizeof(base), err);
}

DXT_EXPORT const struct dxt_operator LocalConnector = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_CONNECTOR,
	.category = DXT_CAT_FILESTORE,
	.unit = DXT_UNIT_NONE,
	.name = "LocalConnector",
	.summary = "a folder on the local filesystem",
	.check = dxt__local_check,
};

DXT_EXPORT const struct dxt_operator LocalExtractor = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_EXTRACTOR,
	.category = DXT_CAT_FILESTORE,
	.unit = DXT_UNIT_RECORDS,
	.name = "LocalExtractor",
	.summary = "records from CSV and JSON lines files (compressed, in "
		   "archives, any encoding) and Parquet files",
	.extract = dxt__local_extract,
	.check = dxt__local_extract_check,
};

DXT_EXPORT const struct dxt_operator LocalFileExtractor = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_EXTRACTOR,
	.category = DXT_CAT_FILESTORE,
	.unit = DXT_UNIT_FILES,
	.name = "LocalFileExtractor",
	.summary = "files as they are (passthrough)",
	.extract = dxt__local_file_extract,
	.check = dxt__local_extract_check,
};

DXT_EXPORT const struct dxt_operator LocalLoader = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_LOADER,
	.category = DXT_CAT_FILESTORE,
	.unit = DXT_UNIT_RECORDS,
	.name = "LocalLoader",
	.summary = "records into CSV, JSON lines or Parquet files in a "
		   "folder",
	.load = dxt__local_load,
	.check = dxt__local_load_check,
};

DXT_EXPORT const struct dxt_operator LocalFileLoader = {
	.abi_version = DXT_ABI_VERSION,
	.kind = DXT_KIND_LOADER,
	.category = DXT_CAT_FILESTORE,
	.unit = DXT_UNIT_FILES,
	.name = "LocalFileLoader",
	.summary = "staged files copied into a folder",
	.load = dxt__local_file_load,
	.check = dxt__local_load_check,
};

static const struct dxt_operator *const operators[] = {
	&LocalConnector, &LocalExtractor, &LocalFileExtractor, &LocalLoader,
	&LocalFileLoader, NULL
};

DXT_EXPORT const struct dxt_provider dxt_provider = {
	.abi_version = DXT_ABI_VERSION,
	.name = "local",
	.category = DXT_CAT_FILESTORE,
	.summary = "files in a folder on this machine",
	.default_extractor = "LocalExtractor",
	.default_loader = "LocalLoader",
	.operators = operators,
};
