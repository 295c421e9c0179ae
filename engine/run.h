/*
 * run.h - the stream executor: extract into the buffer, load from it.
 *
 * One struct dxt_stream_run drives one stream of one run through its two
 * phases. The phases are blocking calls meant for a worker thread; the
 * caller (one-shot runner or daemon scheduler) decides which thread and
 * when, and always runs extract to completion before load. Because the
 * buffer persists, load can run again later on its own (retry).
 *
 * Threads: dxt_stream_run_extract/_load run on one worker thread at a time.
 * The live fields (phase, counters, cancel) are atomics that any thread MAY
 * read (progress, status) or, for cancel, set. Everything else is read only
 * after the phase call returned.
 */
#ifndef DXT_RUN_H
#define DXT_RUN_H

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "operator.h"
#include "pipeline.h"
#include "resolve.h"

enum dxt_phase {
	DXT_PHASE_PENDING = 0,
	DXT_PHASE_EXTRACTING,
	DXT_PHASE_STAGED,
	DXT_PHASE_LOADING,
	DXT_PHASE_LOADED,
	DXT_PHASE_FAILED,
	DXT_PHASE_SKIPPED
};

/* "pending", "extracting", ... */
const char *dxt_phase_name(enum dxt_phase phase);

struct dxt_stream_run {
	/* Inputs, set by the caller before the first phase (borrowed). */
	const struct dxt_pipeline *pipeline;
	const struct dxt_stream *stream;
	struct dxt_resolver *resolver;
	const char *run_id;
	const char *run_dir;      /* <spool>/runs/<run_id> */
	const char *base_dir;     /* relative paths in configs */
	json_t *watermark_in;     /* owned reference: the last committed
				     watermark value, or NULL */
	void (*log)(void *log_ctx, enum dxt_log_level level,
		    const char *msg);
	void *log_ctx;

	/* Live state, any thread. */
	atomic_int phase;         /* enum dxt_phase */
	atomic_int cancel;        /* set to 1 to stop the current phase */
	struct dxt_op_progress extract_progress; /* rows read, bytes staged */
	struct dxt_op_progress load_progress;    /* rows loaded */

	/* Results, valid once a phase call returned. */
	uint64_t rows_extracted;
	uint64_t bytes_staged;
	uint64_t rows_loaded;
	uint64_t rows_rejected;
	int64_t extract_started_us, extract_ended_us; /* 0 = not yet */
	int64_t load_started_us, load_ended_us;
	json_t *watermark_out;    /* owned: {"field", "value"} or NULL */
	struct dxt_error error;   /* code DXT_OK unless the stream failed */
	char stream_dir[PATH_MAX];
	char load_id[256];        /* "<run id>/<stream id>" */
};

/*
 * Zeroes sr and sets its inputs. The stream folder is
 * <run_dir>/<stream id>.
 */
void dxt_stream_run_init(struct dxt_stream_run *sr,
			 const struct dxt_pipeline *pipeline,
			 const struct dxt_stream *stream,
			 struct dxt_resolver *resolver, const char *run_id,
			 const char *run_dir, const char *base_dir);

/*
 * Extract phase: resolves the extractor, stages the stream into a fresh
 * buffer and commits it. Phase goes EXTRACTING -> STAGED, or FAILED with
 * sr->error (origin source or buffer; prefixed with the stream id).
 */
int dxt_stream_run_extract(struct dxt_stream_run *sr);

/*
 * Load phase: resolves the loader and loads the committed buffer. Phase
 * goes LOADING -> LOADED, or FAILED with sr->error (origin target or
 * buffer). On success and with cleanup_on_success, the stream folder is
 * removed.
 */
int dxt_stream_run_load(struct dxt_stream_run *sr);

/* Frees what the run owns (watermark_in, watermark_out). */
void dxt_stream_run_release(struct dxt_stream_run *sr);

/*
 * The stream's status as the API and the one-shot summary report it:
 * {"id", "phase", "extract_mode", "load_mode", "watermark",
 *  "rows_extracted", "rows_loaded", "rows_rejected", "bytes_staged",
 *  "started_at", "ended_at", "error": null | {class, origin, message}}.
 * New reference.
 */
json_t *dxt_stream_run_to_json(const struct dxt_stream_run *sr);

/* Error object {"class", "origin", "stream", "message"}; new reference. */
json_t *dxt_error_to_json(const struct dxt_error *err, const char *stream);

/* Wall-clock microseconds since the epoch. */
int64_t dxt_now_us(void);
/* Formats microseconds since the epoch as RFC 3339 UTC
 * ("2024-01-02T03:04:05.123Z") into buf (>= 32 bytes). */
void dxt_format_rfc3339(int64_t us, char *buf, size_t len);

#endif /* DXT_RUN_H */
