/*
 * statefile.h - incremental watermarks of one-shot runs.
 *
 * `dxtd run` keeps the last committed watermark of each pipeline and stream
 * in <spool_dir>/state.json:
 *   {"version": 1, "pipelines": {"<pipeline>": {"<stream>":
 *       {"field": "updated_at", "value": "2024-01-02 03:04:05",
 *        "updated_at": "2024-...Z"}}}}
 * The file is rewritten atomically on every change. Loop thread only.
 */
#ifndef DXT_DAEMON_STATEFILE_H
#define DXT_DAEMON_STATEFILE_H

#include <jansson.h>

#include "engine/error.h"

struct dxt_statefile;

/* Opens (or starts) the state file in `spool_dir`. A malformed file is an
 * error naming it: watermarks are never silently reset. */
int dxt_statefile_open(const char *spool_dir, struct dxt_statefile **out,
		       struct dxt_error *err);
/* The stored watermark value for a stream, or NULL when there is none or
 * it was kept for another field. Owned by the state file. */
const json_t *dxt_statefile_get(struct dxt_statefile *sf,
				const char *pipeline, const char *stream,
				const char *field);
/* Stores {"field", "value"} (as produced by the extract) and saves. */
int dxt_statefile_set(struct dxt_statefile *sf, const char *pipeline,
		      const char *stream, const json_t *watermark,
		      struct dxt_error *err);
/* Frees. NULL is a no-op. */
void dxt_statefile_close(struct dxt_statefile *sf);

#endif /* DXT_DAEMON_STATEFILE_H */
