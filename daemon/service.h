/*
 * service.h - the daemon's service interface: everything the control API
 * can ask of dxtd.
 *
 * The API layer (api/) parses HTTP, calls one of these functions and renders
 * what it returns; it never touches the state store, the scheduler or the
 * spool directly. Every function is safe to call from any thread (the HTTP
 * server's threads): run state lives on the daemon's loop thread, and these
 * functions either read a consistent snapshot under the service lock
 * (`svc->lock`, see service.c) or hand the change to the loop thread and
 * wait for it.
 *
 * Results: DXT_OK with *out set to a new JSON reference that the caller
 * owns and renders as the response body, or an error code with `err` filled:
 *
 *   DXT_ENOTFOUND  no such pipeline, run, stream or file       -> 404
 *   DXT_EEXISTS    a pipeline of that name exists (create)     -> 409
 *   DXT_ECONFIG    invalid pipeline; `diags` lists every problem -> 400
 *   DXT_EPARSE     malformed YAML/JSON body                     -> 400
 *   DXT_EINVAL     bad argument (limit, stream list, file name) -> 400
 *   DXT_ELIMIT     spool quota would be exceeded                -> 507
 *   DXT_EEXISTS    also: refused while a run is active (state)  -> 409
 *   other          internal error                               -> 500
 */
#ifndef DXT_DAEMON_SERVICE_H
#define DXT_DAEMON_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/batch.h"
#include "engine/error.h"
#include "engine/pipeline.h"

struct dxt_service;

/* --- pipelines ----------------------------------------------------------- */

/*
 * Creates a pipeline from a YAML or JSON document (`format` from the
 * request's content type). When `name` is non-NULL (PUT /v1/pipelines/NAME)
 * the document's name must match it and an existing pipeline gets a new
 * version; when NULL (POST) an existing name is DXT_EEXISTS. The document is
 * validated (with interpolation from the daemon's environment, and class
 * resolution) before anything is stored; the stored text is the submitted
 * one, placeholders and all. *out: the pipeline as GET shows it;
 * *created tells whether it is new (201) or a new version (200).
 */
int dxt_svc_pipeline_put(struct dxt_service *svc, const char *name,
			 const char *body, size_t len,
			 enum dxt_doc_format format, json_t **out,
			 bool *created, struct dxt_diags *diags,
			 struct dxt_error *err);
/* Validates without storing. DXT_OK with *out = {"valid": true, "name",
 * "streams": [...]}, or DXT_ECONFIG / DXT_EPARSE with diags. */
int dxt_svc_pipeline_validate(struct dxt_service *svc, const char *body,
			      size_t len, enum dxt_doc_format format,
			      json_t **out, struct dxt_diags *diags,
			      struct dxt_error *err);
/* {"pipelines": [{"name", "version", "paused", "schedule", "streams",
 * "created_at", "updated_at", "next_run_at"}]} */
int dxt_svc_pipeline_list(struct dxt_service *svc, json_t **out,
			  struct dxt_error *err);
/* One pipeline: the list fields plus "document" (the stored document as
 * JSON with every value that held a placeholder or names a secret
 * replaced by "***"), "versions". */
int dxt_svc_pipeline_get(struct dxt_service *svc, const char *name,
			 json_t **out, struct dxt_error *err);
/* Deletes a pipeline (its runs' history stays). Refused (DXT_EEXISTS)
 * while a run is active. */
int dxt_svc_pipeline_delete(struct dxt_service *svc, const char *name,
			    struct dxt_error *err);
/* Pauses or resumes the schedule; *out as for get. */
int dxt_svc_pipeline_pause(struct dxt_service *svc, const char *name,
			   bool paused, json_t **out, struct dxt_error *err);

/* Watermarks: {"pipeline", "streams": {"<id>": {"field", "value",
 * "updated_at"}}}. set takes the same shape (streams given are replaced);
 * reset clears all. set and reset are refused while a run is active. */
int dxt_svc_state_get(struct dxt_service *svc, const char *name,
		      json_t **out, struct dxt_error *err);
int dxt_svc_state_set(struct dxt_service *svc, const char *name,
		      const json_t *body, json_t **out,
		      struct dxt_error *err);
int dxt_svc_state_reset(struct dxt_service *svc, const char *name,
			json_t **out, struct dxt_error *err);

/* --- runs ---------------------------------------------------------------- */

/*
 * Starts a run of the pipeline's latest version. `body` MAY be NULL or
 * {"streams": ["id", ...], "tags": [...]}. *out: the run status (below).
 * Refused with DXT_ELIMIT when the spool quota is used up, and with
 * DXT_EEXISTS when max_active_runs is reached.
 */
int dxt_svc_run_start(struct dxt_service *svc, const char *pipeline,
		      const json_t *body, json_t **out,
		      struct dxt_error *err);

struct dxt_run_filter {
	const char *pipeline; /* NULL = any */
	const char *status;   /* NULL = any */
	int limit;            /* 1..1000; 0 = 50 */
	const char *after;    /* run id: page after it (newest first) */
};

/* {"runs": [status...], "next": "<run id>" | null} newest first. */
int dxt_svc_run_list(struct dxt_service *svc,
		     const struct dxt_run_filter *filter, json_t **out,
		     struct dxt_error *err);
/*
 * A run's status as orchestrators poll it (DESIGN.md): id, pipeline,
 * version, trigger, status, attempt, created_at, started_at, ended_at,
 * stats, streams (per-stream phase, counts, timings, error), error.
 */
int dxt_svc_run_get(struct dxt_service *svc, const char *id, json_t **out,
		    struct dxt_error *err);
/* Cancels a queued or running run; returns its status. */
int dxt_svc_run_cancel(struct dxt_service *svc, const char *id,
		       json_t **out, struct dxt_error *err);
/* Retries the failed or interrupted streams of a run from its buffer (no
 * re-extract when the buffer is complete); returns the new attempt's
 * status. */
int dxt_svc_run_retry(struct dxt_service *svc, const char *id, json_t **out,
		      struct dxt_error *err);
/* {"events": [{"time", "level", "stream", "message"}]} */
int dxt_svc_run_events(struct dxt_service *svc, const char *id,
		       json_t **out, struct dxt_error *err);

/* --- buffer -------------------------------------------------------------- */

/* {"run", "streams": [{"id", "format", "compression", "rows", "bytes",
 * "schema", "complete", "files": [{"name", "rows", "bytes"}]}]} */
int dxt_svc_buffer_list(struct dxt_service *svc, const char *id,
			json_t **out, struct dxt_error *err);
/* {"stream", "schema", "offset", "limit", "records": [{...}, ...]} */
int dxt_svc_buffer_records(struct dxt_service *svc, const char *id,
			   const char *stream, uint64_t limit,
			   uint64_t offset, json_t **out,
			   struct dxt_error *err);
/*
 * Opens one staged file for reading. `name` is checked (no "..", no "/"
 * outside files/, no NUL) before it reaches the filesystem. On DXT_OK *fd
 * is an open descriptor the caller closes and *size its length.
 */
int dxt_svc_buffer_file(struct dxt_service *svc, const char *id,
			const char *stream, const char *name, int *fd,
			uint64_t *size, struct dxt_error *err);

/* --- operations ---------------------------------------------------------- */

/* {"operators": [{"class", "provider", "kind", "category", "unit",
 * "summary"}]} */
int dxt_svc_operators(struct dxt_service *svc, json_t **out,
		      struct dxt_error *err);
/* Readiness: true when the state store is open and the spool writable;
 * *out = {"status": "ready" | "not ready", "checks": {...}}. */
bool dxt_svc_ready(struct dxt_service *svc, json_t **out);
/* Appends the daemon's Prometheus metrics (runs by status, rows and bytes,
 * run duration histogram, spool bytes) to `out`. */
int dxt_svc_metrics(struct dxt_service *svc, struct dxt_buf *out);

#endif /* DXT_DAEMON_SERVICE_H */
