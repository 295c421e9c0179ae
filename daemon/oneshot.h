/*
 * oneshot.h - `dxtd run PIPELINE`: one run in the foreground.
 *
 * Runs through the same engine executor the daemon uses (engine/run.h) on a
 * libuv loop whose worker pool runs streams in parallel, up to `workers` at
 * once. Progress goes to stderr, a JSON summary to stdout. Incremental
 * watermarks are kept in <spool_dir>/state.json and advance only after the
 * stream's load committed.
 */
#ifndef DXT_DAEMON_ONESHOT_H
#define DXT_DAEMON_ONESHOT_H

#include <stddef.h>

#include "engine/resolve.h"

struct dxt_oneshot_opts {
	const char *pipeline_path;
	const char *const *streams; /* only these stream ids; NULL = all */
	size_t nstreams;
	int workers;                /* >= 1 */
	const char *spool_dir;      /* NULL = buffer.location or .dxt/spool */
	int progress_ms;            /* progress line interval; 0 = 1000 */
	struct dxt_resolver *resolver;
};

/*
 * Runs the pipeline. Returns the process exit status: 0 when every stream
 * loaded, 1 when a stream failed or the run was cancelled (SIGINT/SIGTERM),
 * 2 when the pipeline is invalid or cannot start.
 */
int dxt_oneshot_run(const struct dxt_oneshot_opts *opts);

#endif /* DXT_DAEMON_ONESHOT_H */
