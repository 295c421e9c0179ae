/*
 * svc_internal.h - the service's insides, shared by service.c (runs on the
 * loop, scheduler, spool, recovery, operations), svc_pipelines.c,
 * svc_runs.c and svc_buffer.c. Not for the API layer: it sees service.h.
 *
 * Threads and the one lock. The daemon's libuv loop thread owns run
 * execution: it starts runs, queues their streams on the worker pool,
 * applies every result (after_work) and is the only thread that changes
 * or frees a run. HTTP threads call the dxt_svc_* functions. Everything
 * both sides touch is guarded by ONE mutex, `svc->lock`:
 *
 *   - the list of active runs (`svc->runs`: queued and running runs);
 *   - the fields of struct svc_run and struct svc_stream marked "shared"
 *     below (the loop writes them under the lock; HTTP threads read them
 *     under the lock);
 *   - the pipeline cache (`svc->pipes`: schedule, pause flag, limits);
 *   - the metrics kept in memory and the `stopping` flag.
 *
 * The lock is never held across a state-store call that writes, a parse, a
 * file-system walk or a libuv call, so a GET never waits for an fsync. A
 * few rare operations that must be atomic with respect to run creation
 * (deleting a pipeline, setting its state) hold it across their store call.
 * The loop thread reads its own fields (marked "loop") without the lock.
 * The live counters of a stream in progress are atomics in its struct
 * dxt_stream_run, read by any thread without the lock.
 */
#ifndef DXT_DAEMON_SVC_INTERNAL_H
#define DXT_DAEMON_SVC_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "cron.h"
#include "engine/doc.h"
#include "engine/resolve.h"
#include "engine/run.h"
#include "serve.h"
#include "service.h"
#include "store.h"

/* "20240102T030405Z-1a2b3c" and room to spare. */
#define SVC_ID_MAX 64

/* Values a run must never show in a message (see dxt__svc_secrets_*). */
struct svc_secrets {
	char **items;
	size_t n;
};

/* One pipeline as the scheduler and the limits need it. Shared. */
struct svc_pipe {
	struct svc_pipe *next;
	char *name;
	int max_active;          /* max_active_runs, >= 1 */
	bool paused;
	struct dxt_cron *cron;   /* NULL: no schedule */
	int64_t next_fire;       /* next instant to fire; 0 = none */
};

enum svc_work { SW_NONE = 0, SW_EXTRACT, SW_LOAD };

struct svc_stream {
	struct svc_run *run;                 /* loop */
	const struct dxt_stream *stream;     /* loop; in run->p */
	uv_work_t req;                       /* loop */
	struct dxt_stream_run sr;            /* worker during a phase */
	bool need_extract;                   /* loop: false = load the
						staged buffer only */
	bool started;                        /* loop */
	bool prepared;                       /* loop: pending watermark */
	uint64_t counted;                    /* loop: spool bytes added */

	/* Shared: what HTTP threads show. */
	enum svc_work work;                  /* phase in the pool, if busy */
	bool busy;
	bool done;
	enum dxt_phase phase;
	struct dxt_run_stats stats;
	int64_t started_at, ended_at;
	json_t *wm_from, *wm_to;             /* owned; NULL = none */
	struct dxt_error error;
};

struct svc_run {
	struct svc_run *next;                /* shared (the list) */
	struct dxt_service *svc;             /* constant */
	char id[SVC_ID_MAX];                 /* constant */
	char *pipeline;                      /* constant */
	int version;                         /* constant */
	enum dxt_run_trigger trigger;        /* constant */
	int attempt;                         /* constant */
	char *parent_id;                     /* constant; NULL */
	int64_t created_at;                  /* constant */
	char run_dir[PATH_MAX];              /* constant */
	json_t *options;                     /* constant; NULL */

	atomic_bool cancel;                  /* any thread sets */
	bool inserting;                      /* shared: reserved by an HTTP
						thread, not yet stored */
	bool cancel_seen;                    /* loop */
	bool interrupt;                      /* loop: shutdown cancelled it */
	struct dxt_pipeline *p;              /* loop; set before streams */
	struct svc_secrets secrets;          /* loop */
	size_t active;                       /* loop: streams in the pool */

	/* Shared. */
	enum dxt_run_status status;
	int64_t started_at, ended_at;
	struct svc_stream *streams;
	size_t nstreams;
	struct dxt_error error;              /* run-level failure */
};

struct dxt_service {
	pthread_mutex_t lock;                /* THE service lock */
	struct dxt_store *store;
	struct dxt_resolver *resolver;
	struct dxt_service_opts o;           /* strings point into below */
	char spool_dir[PATH_MAX];
	char runs_dir[PATH_MAX];
	char base_dir[PATH_MAX];
	char listen[320];                    /* for STATUS= lines */

	uv_loop_t *loop;                     /* NULL until attached */
	uv_async_t wake;
	uv_timer_t sched_timer;
	uv_timer_t house_timer;
	uv_timer_t stop_timer;
	int open_handles;
	int64_t last_retention;              /* loop */
	void (*on_stopped)(void *ctx);       /* loop */
	void *on_stopped_ctx;
	bool draining;                       /* loop: stop was asked */

	/* Shared. */
	struct svc_run *runs;
	struct svc_pipe *pipes;
	bool stopping;                       /* no new runs */
	json_t *corrupt;                     /* buffer parts that failed
						their checksum, newest last
						(at most 64), for /readyz */
	uint64_t dur_buckets[16];            /* run duration histogram */
	double dur_sum;
	uint64_t dur_count;

	_Atomic uint64_t spool_bytes;        /* running total; resynced */
};

/* The duration histogram's upper bounds in seconds (+Inf follows). */
extern const double dxt__svc_dur_bounds[];
extern const size_t dxt__svc_ndur_bounds;

static inline void dxt__svc_lock(struct dxt_service *svc)
{
	pthread_mutex_lock(&svc->lock);
}

static inline void dxt__svc_unlock(struct dxt_service *svc)
{
	pthread_mutex_unlock(&svc->lock);
}

/* --- service.c ----------------------------------------------------------- */

/* Under the lock: the active run with that id, or NULL. */
struct svc_run *dxt__svc_find_run(struct dxt_service *svc, const char *id);
/* Under the lock: active runs of a pipeline, and the id of the oldest in
 * *first (MAY be NULL). */
size_t dxt__svc_active_of(struct dxt_service *svc, const char *pipeline,
			  const char **first);
/* Any thread: wakes the loop so it dispatches what changed. */
void dxt__svc_wake(struct dxt_service *svc);

/* What a new run is. */
struct svc_submit {
	const char *pipeline;
	int version;                 /* 0 = the latest */
	enum dxt_run_trigger trigger;
	int attempt;                 /* 0 = 1 */
	const char *parent_id;       /* MAY be NULL */
	const char *run_dir;         /* NULL = <spool>/runs/<new id> */
	const json_t *options;       /* MAY be NULL; copied */
};

/*
 * Any thread: creates a queued run (checking the spool quota and the
 * pipeline's max_active_runs), stores it and wakes the loop. On success
 * `id` (SVC_ID_MAX bytes) holds the new run's id. DXT_EEXISTS when the
 * limit is reached; then `blocking` (SVC_ID_MAX bytes, MAY be NULL)
 * receives the id of an active run of the pipeline.
 */
int dxt__svc_submit(struct dxt_service *svc, const struct svc_submit *sub,
		    char *id, char *blocking, struct dxt_error *err);

/* Appends an event to a run's log and writes the same line to the log;
 * `msg` is scrubbed of `secrets` (MAY be NULL) first. Any thread. */
void dxt__svc_event(struct dxt_service *svc, const char *run_id,
		    const struct svc_secrets *secrets,
		    enum dxt_log_level level, const char *stream,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* --- svc_pipelines.c ----------------------------------------------------- */

/* Under the lock: the cached pipeline, or NULL. */
struct svc_pipe *dxt__svc_pipe_find(struct dxt_service *svc,
				    const char *name);
/*
 * Caches (or refreshes) a pipeline from its stored document: schedule,
 * max_active_runs and the pause flag. Takes the lock. A schedule that no
 * longer parses (a time zone removed from the system) is logged and the
 * pipeline is left unscheduled.
 */
void dxt__svc_pipe_load(struct dxt_service *svc,
			const struct dxt_store_pipeline *sp);
/* Fills the cache from the store (start-up). */
int dxt__svc_pipes_load_all(struct dxt_service *svc, struct dxt_error *err);
/* Frees the whole cache (shutdown). */
void dxt__svc_pipes_free(struct dxt_service *svc);

/*
 * Collects the values a run of this document must never show: the
 * interpolated value of every scalar whose placeholder reads a file or a
 * variable named like a secret, and of every scalar under a key named like
 * a secret (password, secret, token, key, credential ...). Values shorter
 * than 4 bytes are left out: masking them would mangle every message
 * without protecting much. Appends to *out.
 */
void dxt__svc_secrets_collect(const char *text, size_t len,
			      enum dxt_doc_format format,
			      const char *base_dir, struct svc_secrets *out);
/* Replaces every occurrence of a secret in the NUL-terminated `buf` (of
 * `size` bytes) by "***". */
void dxt__svc_scrub(const struct svc_secrets *s, char *buf, size_t size);
void dxt__svc_secrets_free(struct svc_secrets *s);
/* True when a mapping key names a secret ("password", "api_key"). */
bool dxt__svc_secret_key(const char *key);
/* The ids of the document's streams, in order (from the raw document).
 * New reference (an empty array when there are none). */
json_t *dxt__svc_doc_stream_ids(const char *text, size_t len,
				enum dxt_doc_format format);

/* --- svc_runs.c ---------------------------------------------------------- */

/* Under the lock: the status JSON of an active run. */
json_t *dxt__svc_run_json_live(const struct svc_run *r);
/* A stored run's status JSON (reads its stream runs from the store). */
int dxt__svc_run_json_stored(struct dxt_service *svc,
			     const struct dxt_store_run *run, json_t **out,
			     struct dxt_error *err);
/* A time in microseconds as RFC 3339, or JSON null for 0. */
json_t *dxt__svc_time_json(int64_t us);

#endif /* DXT_DAEMON_SVC_INTERNAL_H */
