/*
 * serve.h - `dxtd serve`: the daemon's start-up, event loop and shutdown,
 * and the life cycle of the service (daemon/service.h) it drives.
 *
 * Start-up, in order: configuration (file, then flags), logging, provider
 * path, state store (runs left queued or running by a dxtd that died
 * become `interrupted`; loads that were in flight are resolved, see
 * dxt_service_recover), spool (orphans, size, retention), the libuv loop
 * with a worker pool of `workers` threads, the scheduler, the HTTP server,
 * then sd_notify READY=1 and a "serving on http://HOST:PORT" log line
 * (with the port chosen when `listen` asked for port 0).
 *
 * Shutdown on SIGTERM or SIGINT: the HTTP server stops accepting, systemd
 * hears STOPPING=1, runs in progress may finish for up to
 * shutdown_timeout; those still running then are cancelled and recorded as
 * `interrupted` (their buffers stay, ready for a retry). The store is
 * closed and the process exits 0. A second signal skips the wait.
 *
 * Relative paths inside pipelines (a CSV file, a SQLite database) resolve
 * against the daemon's working directory at start-up.
 */
#ifndef DXT_DAEMON_SERVE_H
#define DXT_DAEMON_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "engine/error.h"
#include "engine/resolve.h"
#include "store.h"

struct dxt_service;

/*
 * The HTTP server, as serve.c drives it. The daemon module does not link
 * the API (the API depends on the daemon, not the other way round): the
 * program's main() passes these, wrapping api/server.h.
 */
struct dxt_serve_http {
	/* Starts serving `svc` on cfg's listen address, with its token and
	 * body limit. On DXT_OK *handle is the server and *port the port it
	 * listens on (the chosen one when cfg asked for 0). Loop thread. */
	int (*start)(struct dxt_service *svc, const struct dxt_config *cfg,
		     void **handle, int *port, struct dxt_error *err);
	/* Stops accepting, finishes the requests in progress and frees.
	 * NULL handle is a no-op. Loop thread. */
	void (*stop)(void *handle);
};

/*
 * Runs the daemon until a signal stops it. `cfg` is complete (file and
 * flags applied, token read); `resolver` searches the provider path;
 * `http` starts and stops the control API. Returns the process exit
 * status: 0 after a clean shutdown, 1 when start-up failed (the reason is
 * logged).
 */
int dxt_serve(const struct dxt_config *cfg, struct dxt_resolver *resolver,
	      const struct dxt_serve_http *http);

/* --- the service's life cycle (serve.c and tests) ------------------------ */

struct dxt_service_opts {
	struct dxt_store *store;        /* borrowed; outlives the service */
	struct dxt_resolver *resolver;  /* borrowed; outlives the service */
	const char *spool_dir;          /* copied */
	const char *base_dir;           /* relative paths in pipelines;
					   copied; NULL = working dir */
	int stream_parallelism;         /* streams of one run at once */
	uint64_t spool_quota;           /* bytes; 0 = none */
	int64_t spool_retention_us;     /* 0 = keep forever */
};

/*
 * Creates the service over an open store: creates <spool_dir>/runs when
 * missing. Main thread, before any other call. DXT_EIO when the spool
 * cannot be created.
 */
int dxt_service_create(const struct dxt_service_opts *o,
		       struct dxt_service **out, struct dxt_error *err);

/*
 * Start-up recovery, on the main thread before the loop runs:
 *   - every queued or running run becomes `interrupted`, with an event;
 *   - each load that was in flight, and each pending watermark, is
 *     resolved by asking the loader's committed() callback with the
 *     load id "<run id>/<stream id>": committed -> the stream is recorded
 *     `loaded` and its watermark commits; not committed -> the pending
 *     watermark is dropped. A loader without the callback leaves the
 *     watermark pending (a warning says so): the stream then refuses to
 *     extract until that run is retried or the state is reset;
 *   - folders under <spool>/runs/ that name no run of the store are
 *     orphans (a state directory that was reset, a copy from elsewhere):
 *     each is logged with its size and removed;
 *   - the spool's size is measured and the retention applied;
 *   - the pipelines' schedules are loaded.
 * Problems with single runs are logged, not returned; DXT_EIO only when
 * the store fails.
 */
int dxt_service_recover(struct dxt_service *svc, struct dxt_error *err);

/*
 * Attaches the service to the loop (its wake-up handle, the scheduler's
 * and the housekeeping timers). Loop thread (before uv_run). From here on
 * the API may call the service.
 */
int dxt_service_attach(struct dxt_service *svc, uv_loop_t *loop,
		       struct dxt_error *err);

/*
 * Loop thread: stops starting runs (the scheduler stops, new runs are
 * refused), lets active runs finish for up to `timeout_us`, then cancels
 * what is left and records it `interrupted`. When no run is active any
 * more the service closes its loop handles and calls `done(ctx)` (on the
 * loop thread). Calling it again shortens the wait to nothing.
 */
void dxt_service_stop(struct dxt_service *svc, int64_t timeout_us,
		      void (*done)(void *ctx), void *ctx);

/* Records the address the API serves on ("127.0.0.1:8710"), shown in the
 * STATUS= lines sent to systemd. Loop thread. */
void dxt_service_set_listen(struct dxt_service *svc, const char *addr);

/* Any thread: the number of queued and running runs. */
size_t dxt_service_active_runs(struct dxt_service *svc);

/*
 * Frees the service. The loop MUST have stopped (dxt_service_stop's
 * `done` was called, or the service was never attached). NULL is a no-op.
 */
void dxt_service_destroy(struct dxt_service *svc);

#endif /* DXT_DAEMON_SERVE_H */
