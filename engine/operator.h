/*
 * operator.h - the operator ABI: what a provider's shared object exports.
 *
 * A provider is one shared object in the provider path. It exports:
 *
 *   DXT_EXPORT const struct dxt_provider dxt_provider = {...};
 *   DXT_EXPORT const struct dxt_operator SQLiteExtractor = {...};
 *   DXT_EXPORT const struct dxt_operator SQLiteLoader = {...};
 *
 * The class path `dxt.providers.sqlite.SQLiteLoader` resolves to `sqlite.so`
 * in the provider path and the symbol `SQLiteLoader` in it; a user's
 * `acme.crm.CrmExtractor` resolves to `acme/crm.so` and `CrmExtractor` (see
 * resolve.h). The resolver checks abi_version and kind before use.
 *
 * Threads: extract() and load() run on a worker thread, one call per stream
 * run; several streams MAY run in parallel, so an operator keeps no mutable
 * global state. Everything in the ctx is owned by the engine and valid for
 * the duration of the call.
 */
#ifndef DXT_OPERATOR_H
#define DXT_OPERATOR_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "buffer.h"
#include "error.h"
#include "pipeline.h"

/* The release of dxt: `dxtd version`, and the "created_by" of the files
 * it writes. */
#define DXT_VERSION "0.1.0"

/* Bumped whenever struct dxt_operator, dxt_provider or dxt_op_ctx change
 * incompatibly. Fields are only ever appended. */
#define DXT_ABI_VERSION 1

#define DXT_EXPORT __attribute__((visibility("default")))

enum dxt_op_kind {
	DXT_KIND_CONNECTOR = 1,
	DXT_KIND_EXTRACTOR = 2,
	DXT_KIND_LOADER = 3
};

enum dxt_category {
	DXT_CAT_RELATIONAL = 1,
	DXT_CAT_DOCUMENT,
	DXT_CAT_FILESTORE,
	DXT_CAT_WEBAPI,
	DXT_CAT_KEYVALUE,
	DXT_CAT_GRAPH
};

enum dxt_unit { DXT_UNIT_NONE = 0, DXT_UNIT_RECORDS = 1, DXT_UNIT_FILES = 2 };

const char *dxt_kind_name(enum dxt_op_kind k);      /* "extractor" */
const char *dxt_category_name(enum dxt_category c); /* "relational" */
const char *dxt_unit_name(enum dxt_unit u);         /* "records" */

/* Live counters of a stream run, read by other threads for progress. */
struct dxt_op_progress {
	_Atomic uint64_t rows;
	_Atomic uint64_t bytes;
};

enum dxt_log_level { DXT_LOG_DEBUG = 0, DXT_LOG_INFO, DXT_LOG_WARN,
		     DXT_LOG_ERROR };

/* What an operator gets for one stream of one run. */
struct dxt_op_ctx {
	const char *pipeline;     /* pipeline name */
	const char *stream;       /* stream id */
	const char *run_id;
	const json_t *config;     /* connection config of this side */
	const json_t *source;     /* the stream's source block */
	const json_t *target;     /* the stream's target block */
	const struct dxt_extract_opts *extract;
	const struct dxt_load_opts *load;
	const char *stream_dir;   /* the stream's spool folder */
	const char *base_dir;     /* relative paths in config resolve here */
	/* Extractors: the last committed watermark value (JSON scalar) for
	 * extract->watermark_field, or NULL for a first run. */
	const json_t *watermark;
	/* Set by the engine to ask the operator to stop; an operator checks it
	 * between batches (dxt_op_cancelled) and returns DXT_ECANCELLED. */
	atomic_int *cancel;
	struct dxt_op_progress *progress;
	/* MAY be NULL. Called on the operator's thread. */
	void (*log)(void *log_ctx, enum dxt_log_level level, const char *msg);
	void *log_ctx;
	/*
	 * Loaders: a unique id for this load of this stream's buffer ("<run
	 * id>/<stream id>"). A loader that can SHOULD record it in the target
	 * inside the load's own transaction (the relational loaders keep a
	 * `_dxt_loads` table) and treat a load whose id is already recorded
	 * as done: nothing is loaded again and rows_loaded is the recorded
	 * count. This closes the window between "target committed" and "state
	 * saved": a retry after a crash neither repeats nor skips rows.
	 */
	const char *load_id;
};

static inline bool dxt_op_cancelled(const struct dxt_op_ctx *ctx)
{
	return ctx->cancel != NULL && atomic_load(ctx->cancel) != 0;
}

/* Logs a line through ctx->log (no-op when NULL). */
void dxt_op_log(const struct dxt_op_ctx *ctx, enum dxt_log_level level,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct dxt_load_result {
	uint64_t rows_loaded;   /* rows now in the target from this load */
	uint64_t files_loaded;  /* file loaders */
	uint64_t rows_rejected;
};

struct dxt_operator {
	uint32_t abi_version;     /* MUST be DXT_ABI_VERSION */
	enum dxt_op_kind kind;
	enum dxt_category category;
	enum dxt_unit unit;       /* records or files (NONE for connectors) */
	const char *name;         /* the exported symbol: "SQLiteLoader" */
	const char *summary;      /* one line for `dxtd operators` */

	/*
	 * Extractors MUST set. Reads the source described by ctx and stages
	 * everything through `out`: a records extractor calls
	 * dxt_buffer_writer_schema() then _batch(); a files extractor calls
	 * _file_begin/_write/_end per file. Incremental extractors record the
	 * new watermark with dxt_buffer_writer_watermark(). Rows skipped under
	 * on_error: skip go to dxt_buffer_writer_reject(). The engine commits
	 * the buffer after a DXT_OK return; on error the engine discards it.
	 */
	int (*extract)(const struct dxt_op_ctx *ctx,
		       struct dxt_buffer_writer *out, struct dxt_error *err);

	/*
	 * Loaders MUST set. Loads everything `in` holds into the target
	 * described by ctx, honouring ctx->load (mode, keys, policy). A
	 * replace or upsert target MUST be left as it was when this fails.
	 * Fills `res`.
	 */
	int (*load)(const struct dxt_op_ctx *ctx, struct dxt_buffer_reader *in,
		    struct dxt_load_result *res, struct dxt_error *err);

	/*
	 * MAY set (connectors and others). Checks that the configuration is
	 * usable (connects, opens), without moving data.
	 */
	int (*check)(const struct dxt_op_ctx *ctx, struct dxt_error *err);

	/*
	 * MAY set (loaders that record ctx->load_id). Tells whether the load
	 * ctx->load_id committed in the target (*committed) and how many rows
	 * it loaded. The daemon asks this on restart for loads that were in
	 * flight, to decide whether their watermark advances.
	 */
	int (*committed)(const struct dxt_op_ctx *ctx, bool *committed,
			 uint64_t *rows, struct dxt_error *err);
};

struct dxt_provider {
	uint32_t abi_version;      /* MUST be DXT_ABI_VERSION */
	const char *name;          /* "sqlite" */
	enum dxt_category category;
	const char *summary;
	const char *default_extractor; /* operator for `provider:` as source */
	const char *default_loader;    /* operator for `provider:` as target */
	/* NULL-terminated list of every operator the object exports. */
	const struct dxt_operator *const *operators;
};

#endif /* DXT_OPERATOR_H */
