/*
 * service.c - the service's core: runs on the loop thread and the worker
 * pool, the scheduler, the spool, start-up recovery and the operational
 * endpoints (readiness, metrics, operators).
 *
 * The thread model and THE service lock (`svc->lock`) are described in
 * svc_internal.h. In short: HTTP threads create runs (dxt__svc_submit) and
 * read run state under the lock; the loop thread alone starts runs, queues
 * their streams' phases on the worker pool with uv_queue_work, applies the
 * results in after_work and finishes runs.
 *
 * A run, on the loop thread:
 *
 *   queued --run_begin--> running: the pipeline version the run executes is
 *   parsed from the store with interpolation (secrets stay in memory), its
 *   streams are selected; --run_pump--> up to stream_parallelism streams in
 *   the pool; each stream goes extract -> (pending watermark) -> load ->
 *   (watermark commits) in two work items; --finish_run--> succeeded,
 *   failed (the first failing stream's error), cancelled or interrupted.
 *
 * Every phase change of a stream is written to the store
 * (dxt_store_stream_run_upsert) and to the run's events, after the next
 * work item is queued, so the store's fsync never delays a worker.
 *
 * Retries. A retry is a new run (trigger "retry", attempt + 1, parent_id)
 * of the parent's pipeline version, over the streams of the parent that
 * did not load. Its spool folder is its parent's: the run record's
 * spool_dir names it, so every attempt of a chain works in the first
 * attempt's folder <spool>/runs/<first id>/. A stream whose buffer there is
 * complete (manifest "complete": true) is loaded from it without
 * extracting; the others are extracted again into the same folder.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/buffer.h"
#include "engine/iostream.h"
#include "log.h"
#include "sdnotify.h"
#include "spool.h"
#include "svc_internal.h"

const double dxt__svc_dur_bounds[] = {1,   5,   10,  30,   60,
				      120, 300, 600, 1800, 3600};
const size_t dxt__svc_ndur_bounds =
	sizeof(dxt__svc_dur_bounds) / sizeof(dxt__svc_dur_bounds[0]);

/* How often the spool is measured again and STATUS= refreshed. */
#define HOUSE_INTERVAL_MS 30000
/* How often the retention applies (and once at start). */
#define RETENTION_INTERVAL_US (10 * 60 * 1000000LL)
/* The scheduler looks again at least this often. */
#define SCHED_MAX_SLEEP_MS 60000

static void run_pump(struct dxt_service *svc, struct svc_run *r);
static void maybe_stopped(struct dxt_service *svc);
static void status_line(struct dxt_service *svc);

/* --- small helpers ------------------------------------------------------- */

static void make_run_id(char *buf, size_t len)
{
	int64_t now = dxt_now_us();
	time_t secs = (time_t)(now / 1000000);
	uint32_t rnd = 0;
	struct tm tm;

	/* 24 random bits: ids of runs created in the same second differ. */
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)(now ^ ((int64_t)getpid() << 16)) * 2654435761u;
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d%02d%02dT%02d%02d%02dZ-%06x",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, rnd & 0xffffff);
}

static void human_secs(double s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%.2f s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

struct svc_run *dxt__svc_find_run(struct dxt_service *svc, const char *id)
{
	for (struct svc_run *r = svc->runs; r != NULL; r = r->next)
		if (!r->inserting && strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

size_t dxt__svc_active_of(struct dxt_service *svc, const char *pipeline,
			  const char **first)
{
	size_t n = 0;

	if (first != NULL)
		*first = NULL;
	for (struct svc_run *r = svc->runs; r != NULL; r = r->next) {
		if (strcmp(r->pipeline, pipeline) != 0)
			continue;
		if (n++ == 0 && first != NULL)
			*first = r->id;
	}
	return n;
}

void dxt__svc_wake(struct dxt_service *svc)
{
	if (svc->loop != NULL)
		uv_async_send(&svc->wake);
}

void dxt__svc_event(struct dxt_service *svc, const char *run_id,
		    const struct svc_secrets *secrets,
		    enum dxt_log_level level, const char *stream,
		    const char *fmt, ...)
{
	char msg[DXT_ERROR_MSG_MAX + 512];
	struct dxt_error err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (secrets != NULL)
		dxt__svc_scrub(secrets, msg, sizeof(msg));
	dxt_log(level, run_id, stream, "%s", msg);
	if (dxt_store_event_append(svc->store, run_id, 0, level, stream, msg,
				   &err) != DXT_OK)
		dxt_log(DXT_LOG_ERROR, run_id, stream,
			"cannot record the event: %s", err.message);
}

/* Operator log lines, from worker threads: scrubbed, with run and stream.
 * The secrets are set before the first phase is queued and never change
 * while the run lives, so reading them here needs no lock. */
static void op_log(void *ctx, enum dxt_log_level level, const char *msg)
{
	const struct svc_stream *s = ctx;
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s", msg);
	dxt__svc_scrub(&s->run->secrets, buf, sizeof(buf));
	dxt_log(level, s->run->id, s->stream->id, "%s", buf);
}

static void free_run(struct svc_run *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nstreams; i++) {
		struct svc_stream *s = &r->streams[i];

		dxt_stream_run_release(&s->sr);
		json_decref(s->wm_from);
		json_decref(s->wm_to);
	}
	free(r->streams);
	dxt_pipeline_destroy(r->p);
	dxt__svc_secrets_free(&r->secrets);
	json_decref(r->options);
	free(r->parent_id);
	free(r->pipeline);
	free(r);
}

/* Under the lock: takes `r` out of the active list. */
static void unlink_run(struct dxt_service *svc, struct svc_run *r)
{
	for (struct svc_run **pp = &svc->runs; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			r->next = NULL;
			return;
		}
	}
}

/* Takes `n` bytes off the spool's running total, never below 0. */
static void spool_sub(struct dxt_service *svc, uint64_t n)
{
	uint64_t cur = atomic_load(&svc->spool_bytes);

	while (!atomic_compare_exchange_weak(&svc->spool_bytes, &cur,
					     cur > n ? cur - n : 0))
		;
}

/* --- creating runs (any thread) ------------------------------------------ */

static int quota_check(struct dxt_service *svc, struct dxt_error *err)
{
	uint64_t used = atomic_load(&svc->spool_bytes);
	char q[32], u[32];

	if (svc->o.spool_quota == 0 || used < svc->o.spool_quota)
		return DXT_OK;
	dxt_spool_human(svc->o.spool_quota, q, sizeof(q));
	dxt_spool_human(used, u, sizeof(u));
	return dxt_error_setc(err, DXT_ELIMIT, DXT_TRANSIENT, DXT_ORIGIN_BUFFER,
			      "spool quota of %s reached (%s used); free space "
			      "or raise spool_quota",
			      q, u);
}

int dxt__svc_submit(struct dxt_service *svc, const struct svc_submit *sub,
		    char *id, char *blocking, struct dxt_error *err)
{
	struct dxt_store_pipeline sp = {0};
	struct dxt_store_run rec;
	struct svc_pipe *pipe;
	struct svc_run *r;
	const char *first;
	size_t n;
	int rc, max;

	rc = dxt_store_pipeline_get(svc->store, sub->pipeline, sub->version,
				    &sp, err);
	if (rc == DXT_ENOTFOUND) {
		if (sub->version > 0)
			dxt_error_set(err, rc, "pipeline \"%s\" has no version %d",
				      sub->pipeline, sub->version);
		else
			dxt_error_set(err, rc, "no pipeline named \"%s\"",
				      sub->pipeline);
	}
	if (rc != DXT_OK)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->pipeline = strdup(sub->pipeline)) == NULL ||
	    (sub->parent_id != NULL &&
	     (r->parent_id = strdup(sub->parent_id)) == NULL) ||
	    (sub->options != NULL &&
	     (r->options = json_deep_copy(sub->options)) == NULL)) {
		free_run(r);
		dxt_store_pipeline_release(&sp);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	r->svc = svc;
	r->version = sp.version;
	r->trigger = sub->trigger;
	r->attempt = sub->attempt > 0 ? sub->attempt : 1;
	r->created_at = dxt_now_us();
	r->status = DXT_RUN_QUEUED;
	r->inserting = true;
	atomic_init(&r->cancel, false);
	dxt_error_clear(&r->error);
	dxt_store_pipeline_release(&sp);

	dxt__svc_lock(svc);
	if (svc->stopping) {
		rc = dxt_error_setc(err, DXT_EIO, DXT_TRANSIENT,
				    DXT_ORIGIN_NONE,
				    "dxtd is shutting down; start the run "
				    "again once it is back");
		goto refused;
	}
	/* A retry works in its parent's folder, whose bytes are already
	 * counted: refusing it would keep a full spool full. */
	rc = sub->trigger == DXT_TRIGGER_RETRY ? DXT_OK : quota_check(svc, err);
	if (rc != DXT_OK)
		goto refused;
	pipe = dxt__svc_pipe_find(svc, sub->pipeline);
	max = pipe != NULL ? pipe->max_active : 1;
	n = dxt__svc_active_of(svc, sub->pipeline, &first);
	if (n >= (size_t)max) {
		rc = dxt_error_set(err, DXT_EEXISTS,
				   "pipeline %s already has %zu active "
				   "run%s (max_active_runs: %d): %s; wait for "
				   "it to finish or cancel it",
				   sub->pipeline, n, n == 1 ? "" : "s", max,
				   first);
		if (blocking != NULL)
			snprintf(blocking, SVC_ID_MAX, "%s", first);
		goto refused;
	}
	do
		make_run_id(r->id, sizeof(r->id));
	while (dxt__svc_find_run(svc, r->id) != NULL);
	/* Appended at the tail: the loop starts runs in submission order. */
	{
		struct svc_run **pp = &svc->runs;

		while (*pp != NULL)
			pp = &(*pp)->next;
		*pp = r;
	}
	dxt__svc_unlock(svc);

	for (int attempt = 0;; attempt++) {
		if (sub->run_dir != NULL)
			snprintf(r->run_dir, sizeof(r->run_dir), "%s",
				 sub->run_dir);
		else
			snprintf(r->run_dir, sizeof(r->run_dir), "%s/%s",
				 svc->runs_dir, r->id);
		memset(&rec, 0, sizeof(rec));
		rec.id = r->id;
		rec.pipeline = r->pipeline;
		rec.version = r->version;
		rec.trigger = r->trigger;
		rec.status = DXT_RUN_QUEUED;
		rec.attempt = r->attempt;
		rec.parent_id = r->parent_id;
		rec.created_at = r->created_at;
		rec.spool_dir = r->run_dir;
		rec.options = r->options;
		dxt_error_clear(&rec.error);
		rc = dxt_store_run_insert(svc->store, &rec, err);
		if (rc != DXT_EEXISTS || attempt >= 4)
			break;
		/* An id taken by a finished run (same second, same random
		 * bits): draw another. */
		dxt__svc_lock(svc);
		do
			make_run_id(r->id, sizeof(r->id));
		while (dxt__svc_find_run(svc, r->id) != NULL);
		dxt__svc_unlock(svc);
	}
	dxt__svc_lock(svc);
	if (rc != DXT_OK) {
		unlink_run(svc, r);
		dxt__svc_unlock(svc);
		free_run(r);
		return rc;
	}
	r->inserting = false;
	snprintf(id, SVC_ID_MAX, "%s", r->id);
	dxt__svc_unlock(svc);
	dxt__svc_wake(svc);
	return DXT_OK;

refused:
	dxt__svc_unlock(svc);
	free_run(r);
	return rc;
}

/* --- persisting a stream (loop thread) ----------------------------------- */

static void persist_stream(struct dxt_service *svc, struct svc_stream *s)
{
	const struct dxt_stream *st = s->stream;
	struct dxt_store_stream_run rec;
	struct dxt_error err;

	memset(&rec, 0, sizeof(rec));
	rec.run_id = s->run->id;
	rec.stream = st->id;
	rec.phase = s->phase;
	rec.extract_mode = st->extract.mode;
	rec.load_mode = st->load.mode;
	rec.stats = s->stats;
	rec.started_at = s->started_at;
	rec.ended_at = s->ended_at;
	if (st->extract.mode == DXT_EXTRACT_INCREMENTAL)
		rec.watermark_field = st->extract.watermark_field;
	rec.watermark_from = s->wm_from;
	rec.watermark_to = s->wm_to;
	rec.error = s->error;
	if (dxt_store_stream_run_upsert(svc->store, &rec, &err) != DXT_OK)
		dxt_log(DXT_LOG_ERROR, s->run->id, st->id,
			"cannot record the stream's state: %s", err.message);
}

/* Loop thread, under the lock: copies the engine's results into what HTTP
 * threads show. Only called while no phase of `s` is in the pool. */
static void snapshot_locked(struct svc_stream *s)
{
	const struct dxt_stream_run *sr = &s->sr;
	const json_t *to = sr->watermark_out != NULL
				   ? json_object_get(sr->watermark_out, "value")
				   : NULL;

	s->stats.rows_extracted = sr->rows_extracted;
	s->stats.bytes_staged = sr->bytes_staged;
	s->stats.rows_loaded = sr->rows_loaded;
	s->stats.rows_rejected = sr->rows_rejected;
	if (to != NULL && !json_is_null(to) && s->wm_to != to) {
		json_decref(s->wm_to);
		s->wm_to = json_incref((json_t *)to);
	}
	s->error = sr->error;
}

/* Marks a stream finished without (more) work: failed with `code` and a
 * message, or skipped when code is DXT_OK. Loop thread. */
static void stream_end_now(struct dxt_service *svc, struct svc_stream *s,
			   int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void stream_end_now(struct dxt_service *svc, struct svc_stream *s,
			   int code, const char *fmt, ...)
{
	struct dxt_error e;
	va_list ap;

	dxt_error_clear(&e);
	if (code != DXT_OK) {
		va_start(ap, fmt);
		vsnprintf(e.message, sizeof(e.message), fmt, ap);
		va_end(ap);
		e.code = code;
		e.cls = DXT_TERMINAL;
		dxt__svc_scrub(&s->run->secrets, e.message,
			       sizeof(e.message));
	}
	atomic_store(&s->sr.phase,
		     code != DXT_OK ? DXT_PHASE_FAILED : DXT_PHASE_SKIPPED);
	s->sr.error = e;
	dxt__svc_lock(svc);
	s->started = true;
	s->done = true;
	s->busy = false;
	s->phase = code != DXT_OK ? DXT_PHASE_FAILED : DXT_PHASE_SKIPPED;
	s->error = e;
	if (s->started_at == 0)
		s->started_at = dxt_now_us();
	s->ended_at = dxt_now_us();
	dxt__svc_unlock(svc);
	persist_stream(svc, s);
	if (code != DXT_OK)
		dxt__svc_event(svc, s->run->id, &s->run->secrets,
			       DXT_LOG_ERROR, s->stream->id, "failed: %s",
			       e.message);
	else
		dxt__svc_event(svc, s->run->id, NULL, DXT_LOG_INFO,
			       s->stream->id,
			       "skipped: the run was cancelled before the "
			       "stream started");
}

/* --- watermarks (loop thread) -------------------------------------------- */

/*
 * The run holding a pending watermark of the stream, when it is neither
 * `r` nor one of its ancestors: a new run must not extract that stream
 * before the pending load is resolved. Writes the holder's id into
 * `holder` and returns true.
 */
static bool pending_elsewhere(struct dxt_service *svc, struct svc_run *r,
			      const char *stream, char *holder, size_t len)
{
	struct dxt_store_watermark_list l = {0};
	struct dxt_error err;
	char cur[SVC_ID_MAX];
	bool found = false;

	if (dxt_store_watermark_pending(svc->store, r->pipeline, &l, &err) !=
	    DXT_OK)
		return false;
	for (size_t i = 0; i < l.n; i++) {
		if (strcmp(l.items[i].stream, stream) != 0 ||
		    l.items[i].run_id == NULL)
			continue;
		snprintf(holder, len, "%s", l.items[i].run_id);
		found = true;
	}
	dxt_store_watermark_list_free(&l);
	if (!found || strcmp(holder, r->id) == 0)
		return false;
	/* Walk up the retry chain: an ancestor's pending value is the one
	 * this retry takes over. */
	snprintf(cur, sizeof(cur), "%s", r->parent_id ? r->parent_id : "");
	for (int depth = 0; depth < 1000 && cur[0] != '\0'; depth++) {
		struct dxt_store_run run = {0};

		if (strcmp(cur, holder) == 0)
			return false;
		if (dxt_store_run_get(svc->store, cur, &run, &err) != DXT_OK)
			break;
		snprintf(cur, sizeof(cur), "%s",
			 run.parent_id ? run.parent_id : "");
		dxt_store_run_release(&run);
	}
	return true;
}

/* Records the value the load is about to commit (watermark protocol step
 * 1, store.h). False with the stream failed when it cannot. */
static bool prepare_watermark(struct dxt_service *svc, struct svc_stream *s)
{
	const struct dxt_stream *st = s->stream;
	const json_t *wm = s->sr.watermark_out, *value;
	struct dxt_error err;

	if (st->extract.mode != DXT_EXTRACT_INCREMENTAL || wm == NULL)
		return true;
	value = json_object_get(wm, "value");
	if (value == NULL || json_is_null(value))
		return true;
	if (dxt_store_watermark_prepare(svc->store, s->run->pipeline, st->id,
					s->run->id,
					st->extract.watermark_field, value,
					&err) != DXT_OK) {
		stream_end_now(svc, s, err.code,
			       "stream %s: cannot record the pending "
			       "watermark before the load: %s",
			       st->id, err.message);
		return false;
	}
	s->prepared = true;
	return true;
}

static void finish_watermark(struct dxt_service *svc, struct svc_stream *s,
			     bool commit)
{
	struct dxt_error err;
	int rc;

	if (!s->prepared)
		return;
	s->prepared = false;
	if (commit)
		rc = dxt_store_watermark_commit(svc->store, s->run->pipeline,
						s->stream->id, s->run->id, &err);
	else
		rc = dxt_store_watermark_abort(svc->store, s->run->pipeline,
					       s->stream->id, s->run->id, &err);
	if (rc != DXT_OK)
		dxt__svc_event(svc, s->run->id, NULL, DXT_LOG_ERROR,
			       s->stream->id,
			       "cannot %s the pending watermark: %s; the "
			       "next run refuses to extract the stream until "
			       "the state is set or reset",
			       commit ? "commit" : "drop", err.message);
}

/* --- stream phases (loop thread; phases on the pool) --------------------- */

static void work_cb(uv_work_t *req)
{
	struct svc_stream *s = req->data;

	if (s->work == SW_EXTRACT)
		dxt_stream_run_extract(&s->sr);
	else
		dxt_stream_run_load(&s->sr);
}

static void after_cb(uv_work_t *req, int status);

/*
 * Hands a phase to the worker pool and records the stream's new phase. An
 * extract is queued first and recorded after, so the store's fsync never
 * delays it. A load is recorded first: on restart, a stream recorded
 * `loading` is one whose target may hold a committed load, and the
 * start-up recovery asks the loader about exactly those.
 */
static void queue_phase(struct dxt_service *svc, struct svc_stream *s,
			enum svc_work work)
{
	struct svc_run *r = s->run;

	dxt__svc_lock(svc);
	s->work = work;
	s->busy = true;
	s->phase = work == SW_EXTRACT ? DXT_PHASE_EXTRACTING
				      : DXT_PHASE_LOADING;
	if (s->started_at == 0)
		s->started_at = dxt_now_us();
	dxt__svc_unlock(svc);
	if (work == SW_LOAD)
		persist_stream(svc, s);
	s->req.data = s;
	r->active++;
	uv_queue_work(svc->loop, &s->req, work_cb, after_cb);
	if (work == SW_EXTRACT)
		persist_stream(svc, s);
}

static void start_stream(struct dxt_service *svc, struct svc_stream *s)
{
	struct svc_run *r = s->run;
	const struct dxt_stream *st = s->stream;
	struct dxt_error err;
	char holder[SVC_ID_MAX];

	s->started = true;
	if (s->need_extract) {
		if (st->extract.mode == DXT_EXTRACT_INCREMENTAL) {
			struct dxt_store_watermark wm = {0};

			if (pending_elsewhere(svc, r, st->id, holder,
					      sizeof(holder))) {
				stream_end_now(svc, s, DXT_EEXISTS,
					       "stream %s: the load of run %s "
					       "is unresolved (its watermark "
					       "is pending); retry run %s, "
					       "or reset the state (DELETE "
					       "/v1/pipelines/%s/state)",
					       st->id, holder, holder,
					       r->pipeline);
				return;
			}
			if (dxt_store_watermark_get(svc->store, r->pipeline,
						    st->id, &wm,
						    &err) == DXT_OK &&
			    wm.field != NULL &&
			    strcmp(wm.field, st->extract.watermark_field) ==
				    0) {
				s->sr.watermark_in = json_incref(wm.value);
				s->wm_from = json_incref(wm.value);
			}
			dxt_store_watermark_release(&wm);
		}
		queue_phase(svc, s, SW_EXTRACT);
		dxt__svc_event(svc, r->id, NULL, DXT_LOG_INFO, st->id,
			       "extracting");
		return;
	}

	/* Load only: the buffer this retry reuses is complete. */
	{
		struct dxt_manifest *m = NULL;

		if (dxt_manifest_load(s->sr.stream_dir, &m, &err) != DXT_OK) {
			stream_end_now(svc, s, err.code,
				       "stream %s: cannot read the staged "
				       "buffer: %s",
				       st->id, err.message);
			return;
		}
		s->sr.rows_extracted = m->rows;
		s->sr.bytes_staged = m->bytes;
		atomic_store(&s->sr.extract_progress.rows, m->rows);
		atomic_store(&s->sr.extract_progress.bytes, m->bytes);
		if (m->watermark != NULL)
			s->sr.watermark_out = json_deep_copy(m->watermark);
		dxt_manifest_free(m);
		atomic_store(&s->sr.phase, DXT_PHASE_STAGED);
		dxt__svc_lock(svc);
		snapshot_locked(s);
		dxt__svc_unlock(svc);
	}
	if (!prepare_watermark(svc, s))
		return;
	queue_phase(svc, s, SW_LOAD);
	dxt__svc_event(svc, r->id, NULL, DXT_LOG_INFO, st->id,
		       "loading %" PRIu64 " staged rows from the buffer of "
		       "an earlier attempt",
		       s->sr.rows_extracted);
}

static void after_cb(uv_work_t *req, int status)
{
	struct svc_stream *s = req->data;
	struct svc_run *r = s->run;
	struct dxt_service *svc = r->svc;
	struct dxt_stream_run *sr = &s->sr;
	const struct dxt_stream *st = s->stream;
	enum svc_work work = s->work;
	enum dxt_phase phase;
	bool load_next = false;
	char hb[32], dur[32];

	r->active--;
	if (status == UV_ECANCELED) {
		/* The phase never ran: cancelled while queued. */
		if (work == SW_EXTRACT) {
			atomic_store(&sr->phase, DXT_PHASE_SKIPPED);
		} else {
			dxt_error_set(&sr->error, DXT_ECANCELLED,
				      "stream %s: cancelled before the load "
				      "started; the buffer is kept",
				      st->id);
			atomic_store(&sr->phase, DXT_PHASE_FAILED);
		}
	}
	phase = (enum dxt_phase)atomic_load(&sr->phase);
	dxt__svc_scrub(&r->secrets, sr->error.message,
		       sizeof(sr->error.message));

	if (work == SW_EXTRACT && phase == DXT_PHASE_STAGED) {
		s->counted = sr->bytes_staged;
		atomic_fetch_add(&svc->spool_bytes, s->counted);
		if (atomic_load(&r->cancel) || atomic_load(&sr->cancel)) {
			dxt_error_set(&sr->error, DXT_ECANCELLED,
				      "stream %s: cancelled before the load; "
				      "the buffer is kept",
				      st->id);
			atomic_store(&sr->phase, DXT_PHASE_FAILED);
			phase = DXT_PHASE_FAILED;
		} else {
			load_next = true;
		}
	}
	if (work == SW_LOAD)
		finish_watermark(svc, s, phase == DXT_PHASE_LOADED);
	if ((phase == DXT_PHASE_LOADED && st->buffer.cleanup_on_success) ||
	    (phase == DXT_PHASE_FAILED && !st->buffer.retain_on_failure)) {
		spool_sub(svc, s->counted);
		s->counted = 0;
	}

	dxt__svc_lock(svc);
	s->busy = false;
	s->phase = phase;
	snapshot_locked(s);
	if (phase == DXT_PHASE_LOADED || phase == DXT_PHASE_FAILED ||
	    phase == DXT_PHASE_SKIPPED) {
		s->done = true;
		s->ended_at = dxt_now_us();
	}
	dxt__svc_unlock(svc);

	if (load_next) {
		/* On failure prepare_watermark() has ended the stream. */
		if (prepare_watermark(svc, s)) {
			queue_phase(svc, s, SW_LOAD);
			dxt_spool_human(sr->bytes_staged, hb, sizeof(hb));
			human_secs((double)(sr->extract_ended_us -
					    sr->extract_started_us) / 1e6,
				   dur, sizeof(dur));
			dxt__svc_event(svc, r->id, NULL, DXT_LOG_INFO, st->id,
				       "staged %" PRIu64 " rows (%s) in %s; "
				       "loading",
				       sr->rows_extracted, hb, dur);
		}
	} else {
		if (phase == DXT_PHASE_LOADED) {
			human_secs((double)(sr->load_ended_us -
					    sr->load_started_us) / 1e6,
				   dur, sizeof(dur));
			dxt__svc_event(svc, r->id, NULL, DXT_LOG_INFO, st->id,
				       "loaded %" PRIu64 " rows (%" PRIu64
				       " rejected) in %s",
				       sr->rows_loaded, sr->rows_rejected,
				       dur);
		} else if (phase == DXT_PHASE_SKIPPED) {
			dxt__svc_event(svc, r->id, NULL, DXT_LOG_INFO, st->id,
				       "skipped: the run was cancelled "
				       "before the stream started");
		} else {
			dxt__svc_event(svc, r->id, NULL, DXT_LOG_ERROR,
				       st->id, "failed: %s",
				       sr->error.message);
		}
		persist_stream(svc, s);
	}
	run_pump(svc, r);
}

/* --- runs (loop thread) -------------------------------------------------- */

static void finish_run(struct dxt_service *svc, struct svc_run *r)
{
	struct dxt_store_run rec;
	struct dxt_run_stats stats = {0};
	enum dxt_run_status status;
	struct dxt_error e, err;
	const char *estream = NULL;
	bool all_loaded = r->nstreams > 0;
	int64_t now = dxt_now_us();
	double secs;
	char dur[32];

	for (size_t i = 0; i < r->nstreams; i++) {
		struct svc_stream *s = &r->streams[i];

		stats.rows_extracted += s->stats.rows_extracted;
		stats.rows_loaded += s->stats.rows_loaded;
		stats.rows_rejected += s->stats.rows_rejected;
		stats.bytes_staged += s->stats.bytes_staged;
		if (s->phase != DXT_PHASE_LOADED)
			all_loaded = false;
	}
	e = r->error;
	if (r->interrupt) {
		status = DXT_RUN_INTERRUPTED;
		dxt_error_setc(&e, DXT_ECANCELLED, DXT_TRANSIENT,
			       DXT_ORIGIN_NONE,
			       "interrupted: dxtd stopped %s; retry it (POST "
			       "/v1/runs/%s/retry)",
			       r->started_at ? "while the run was running"
					     : "before the run started",
			       r->id);
	} else if (e.code == DXT_OK && all_loaded) {
		status = DXT_RUN_SUCCEEDED;
	} else if (atomic_load(&r->cancel)) {
		status = DXT_RUN_CANCELLED;
		dxt_error_setc(&e, DXT_ECANCELLED, DXT_TERMINAL,
			       DXT_ORIGIN_NONE,
			       "cancelled on request (POST /v1/runs/%s/cancel)",
			       r->id);
	} else {
		status = DXT_RUN_FAILED;
		for (size_t i = 0; e.code == DXT_OK && i < r->nstreams; i++) {
			if (r->streams[i].error.code != DXT_OK) {
				e = r->streams[i].error;
				estream = r->streams[i].stream->id;
			}
		}
		if (e.code == DXT_OK)
			dxt_error_set(&e, DXT_EINVAL,
				      "no stream of the run loaded");
	}

	dxt__svc_lock(svc);
	r->status = status;
	r->ended_at = now;
	r->error = e;
	/* A part that fails its checksum is never loaded; /readyz reports it
	 * until the daemon restarts, so that monitoring sees it too. */
	for (size_t i = 0; i < r->nstreams; i++) {
		const struct dxt_error *se = &r->streams[i].error;
		if (se->code != DXT_ECHECKSUM || svc->corrupt == NULL)
			continue;
		if (json_array_size(svc->corrupt) >= 64)
			json_array_remove(svc->corrupt, 0);
		json_array_append_new(
			svc->corrupt,
			json_pack("{s:s, s:s, s:s}", "run", r->id, "stream",
				  r->streams[i].stream->id, "message",
				  se->message));
	}
	dxt__svc_unlock(svc);

	memset(&rec, 0, sizeof(rec));
	rec.id = r->id;
	rec.status = status;
	rec.started_at = r->started_at;
	rec.ended_at = now;
	rec.stats = stats;
	rec.error = e;
	rec.error_stream = (char *)estream;
	rec.spool_dir = r->run_dir;
	if (dxt_store_run_update(svc->store, &rec, &err) != DXT_OK)
		dxt_log(DXT_LOG_ERROR, r->id, NULL,
			"cannot record the end of the run: %s", err.message);

	secs = r->started_at ? (double)(now - r->started_at) / 1e6 : 0;
	human_secs(secs, dur, sizeof(dur));
	if (status == DXT_RUN_SUCCEEDED)
		dxt__svc_event(svc, r->id, NULL, DXT_LOG_INFO, NULL,
			       "run succeeded in %s: %" PRIu64
			       " rows loaded, %" PRIu64 " rejected",
			       dur, stats.rows_loaded, stats.rows_rejected);
	else
		dxt__svc_event(svc, r->id, &r->secrets,
			       status == DXT_RUN_FAILED ? DXT_LOG_ERROR
							: DXT_LOG_WARN,
			       NULL, "run %s after %s: %s",
			       dxt_run_status_name(status), dur, e.message);

	dxt__svc_lock(svc);
	if (r->started_at != 0) {
		size_t b = 0;

		while (b < dxt__svc_ndur_bounds &&
		       secs > dxt__svc_dur_bounds[b])
			b++;
		svc->dur_buckets[b]++;
		svc->dur_sum += secs;
		svc->dur_count++;
	}
	unlink_run(svc, r);
	dxt__svc_unlock(svc);

	/* A folder emptied by cleanup_on_success goes too; one that holds
	 * buffers stays (rmdir refuses). */
	rmdir(r->run_dir);
	free_run(r);
	status_line(svc);
	maybe_stopped(svc);
}

/* A run that cannot start: failed (or cancelled) with a run-level error. */
static void fail_begin(struct dxt_service *svc, struct svc_run *r, int code,
		       enum dxt_origin origin, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void fail_begin(struct dxt_service *svc, struct svc_run *r, int code,
		       enum dxt_origin origin, const char *fmt, ...)
{
	va_list ap;

	dxt__svc_lock(svc);
	dxt_error_clear(&r->error);
	r->error.code = code;
	r->error.cls = DXT_TERMINAL;
	r->error.origin = origin;
	va_start(ap, fmt);
	vsnprintf(r->error.message, sizeof(r->error.message), fmt, ap);
	va_end(ap);
	dxt__svc_scrub(&r->secrets, r->error.message,
		       sizeof(r->error.message));
	dxt__svc_unlock(svc);
	finish_run(svc, r);
}

/* Which streams the run executes: the request's "streams", or all. */
static bool wants_stream(const struct svc_run *r, const char *id)
{
	const json_t *list = r->options ? json_object_get(r->options, "streams")
					: NULL;
	size_t i;
	json_t *v;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return true;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			return true;
	return false;
}

static bool buffer_complete(const char *dir)
{
	struct dxt_manifest *m = NULL;
	bool ok;

	ok = dxt_manifest_load(dir, &m, NULL) == DXT_OK && m->complete;
	dxt_manifest_free(m);
	return ok;
}

/* Starts a queued run. Returns false when the run ended (and is freed). */
static bool run_begin(struct dxt_service *svc, struct svc_run *r)
{
	struct dxt_store_pipeline sp = {0};
	struct dxt_parse_opts po = {0};
	struct dxt_diags diags = {0};
	struct dxt_pipeline *p = NULL;
	struct svc_stream *streams;
	struct dxt_error err;
	char what[256];
	size_t n = 0;

	if (r->interrupt || atomic_load(&r->cancel)) {
		finish_run(svc, r);
		return false;
	}
	if (dxt_store_pipeline_get(svc->store, r->pipeline, r->version, &sp,
				   &err) != DXT_OK) {
		fail_begin(svc, r, err.code, DXT_ORIGIN_CONFIG,
			   "pipeline %s version %d cannot be read: %s",
			   r->pipeline, r->version, err.message);
		return false;
	}
	dxt__svc_secrets_collect(sp.document, sp.document_len, sp.format,
				 svc->base_dir, &r->secrets);
	snprintf(what, sizeof(what), "pipeline %s version %d", r->pipeline,
		 r->version);
	po.format = sp.format;
	po.interpolate = true;
	po.base_dir = svc->base_dir;
	po.name = what;
	po.resolver = svc->resolver;
	if (dxt_pipeline_parse(sp.document, sp.document_len, &po, &p,
			       &diags) != DXT_OK) {
		char msg[DXT_ERROR_MSG_MAX];
		size_t len = 0;

		for (size_t i = 0; i < diags.n && i < 3; i++) {
			char line[768];

			dxt_diag_format(&diags.items[i], line, sizeof(line));
			len += (size_t)snprintf(msg + len,
						len < sizeof(msg)
							? sizeof(msg) - len
							: 0,
						"%s%s", i ? "; " : "", line);
			if (len >= sizeof(msg))
				len = sizeof(msg) - 1;
		}
		if (diags.n > 3 && len < sizeof(msg))
			snprintf(msg + len, sizeof(msg) - len,
				 " (and %zu more)", diags.n - 3);
		if (diags.n == 0)
			snprintf(msg, sizeof(msg), "invalid");
		dxt_diags_free(&diags);
		dxt_store_pipeline_release(&sp);
		fail_begin(svc, r, DXT_ECONFIG, DXT_ORIGIN_CONFIG,
			   "%s cannot start: %s", what, msg);
		return false;
	}
	dxt_diags_free(&diags);
	dxt_store_pipeline_release(&sp);

	streams = calloc(p->nstreams ? p->nstreams : 1, sizeof(*streams));
	if (streams == NULL) {
		dxt_pipeline_destroy(p);
		fail_begin(svc, r, DXT_ENOMEM, DXT_ORIGIN_NONE,
			   "out of memory");
		return false;
	}
	for (size_t i = 0; i < p->nstreams; i++) {
		struct svc_stream *s;

		if (!wants_stream(r, p->streams[i].id))
			continue;
		s = &streams[n++];
		s->run = r;
		s->stream = &p->streams[i];
		dxt_stream_run_init(&s->sr, p, s->stream, svc->resolver, r->id,
				    r->run_dir, svc->base_dir);
		s->sr.log = op_log;
		s->sr.log_ctx = s;
		s->need_extract = r->trigger != DXT_TRIGGER_RETRY ||
				  !buffer_complete(s->sr.stream_dir);
		s->phase = DXT_PHASE_PENDING;
		dxt_error_clear(&s->error);
	}
	dxt__svc_lock(svc);
	r->p = p;
	r->streams = streams;
	r->nstreams = n;
	r->status = DXT_RUN_RUNNING;
	r->started_at = dxt_now_us();
	dxt__svc_unlock(svc);
	if (n == 0) {
		fail_begin(svc, r, DXT_EINVAL, DXT_ORIGIN_CONFIG,
			   "%s has none of the streams the run asked for",
			   what);
		return false;
	}
	{
		struct dxt_store_run rec;

		memset(&rec, 0, sizeof(rec));
		rec.id = r->id;
		rec.status = DXT_RUN_RUNNING;
		rec.started_at = r->started_at;
		rec.spool_dir = r->run_dir;
		dxt_error_clear(&rec.error);
		if (dxt_store_run_update(svc->store, &rec, &err) != DXT_OK)
			dxt_log(DXT_LOG_ERROR, r->id, NULL,
				"cannot record the start of the run: %s",
				err.message);
	}
	dxt__svc_event(svc, r->id, NULL, DXT_LOG_INFO, NULL,
		       "run of pipeline %s version %d started (trigger %s, "
		       "attempt %d): %zu stream%s, spool %s",
		       r->pipeline, r->version,
		       dxt_run_trigger_name(r->trigger), r->attempt, n,
		       n == 1 ? "" : "s", r->run_dir);
	status_line(svc);
	return true;
}

static void run_pump(struct dxt_service *svc, struct svc_run *r)
{
	size_t limit = svc->o.stream_parallelism > 0
			       ? (size_t)svc->o.stream_parallelism
			       : 4;
	bool all_done = true;

	if ((atomic_load(&r->cancel) || r->interrupt) && !r->cancel_seen) {
		r->cancel_seen = true;
		dxt__svc_event(svc, r->id, NULL, DXT_LOG_WARN, NULL,
			       r->interrupt ? "stopping the run: dxtd is "
					      "shutting down"
					    : "cancelling the run");
		for (size_t i = 0; i < r->nstreams; i++) {
			struct svc_stream *s = &r->streams[i];

			atomic_store(&s->sr.cancel, 1);
			if (s->busy)
				uv_cancel((uv_req_t *)&s->req);
		}
		for (size_t i = 0; i < r->nstreams; i++)
			if (!r->streams[i].started)
				stream_end_now(svc, &r->streams[i], DXT_OK,
					       "skipped");
	}
	for (size_t i = 0; i < r->nstreams && r->active < limit; i++) {
		struct svc_stream *s = &r->streams[i];

		if (!s->started && !s->done)
			start_stream(svc, s);
	}
	for (size_t i = 0; i < r->nstreams; i++)
		if (!r->streams[i].done)
			all_done = false;
	if (all_done && r->active == 0)
		finish_run(svc, r);
}

/* Loop thread: starts queued runs and moves running ones on. */
static void dispatch(struct dxt_service *svc)
{
	struct svc_run **list = NULL;
	size_t n = 0, cap = 0;

	dxt__svc_lock(svc);
	for (struct svc_run *r = svc->runs; r != NULL; r = r->next) {
		if (r->inserting)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct svc_run **nl = realloc(list,
						      ncap * sizeof(*nl));
			if (nl == NULL)
				break;
			list = nl;
			cap = ncap;
		}
		list[n++] = r;
	}
	dxt__svc_unlock(svc);
	/* Only this thread frees runs, so the pointers stay valid until
	 * the run they point to is finished below. */
	for (size_t i = 0; i < n; i++) {
		struct svc_run *r = list[i];

		if (r->status == DXT_RUN_QUEUED && !run_begin(svc, r))
			continue;
		run_pump(svc, r);
	}
	free(list);
}

/* --- scheduler (loop thread) --------------------------------------------- */

static void sched_tick(uv_timer_t *t);

static void sched_arm(struct dxt_service *svc)
{
	int64_t now = dxt_now_us(), next = INT64_MAX;
	uint64_t ms;

	if (svc->draining)
		return;
	dxt__svc_lock(svc);
	for (struct svc_pipe *p = svc->pipes; p != NULL; p = p->next)
		if (p->cron != NULL && !p->paused && p->next_fire > 0 &&
		    p->next_fire < next)
			next = p->next_fire;
	dxt__svc_unlock(svc);
	if (next == INT64_MAX || next - now > SCHED_MAX_SLEEP_MS * 1000LL)
		ms = SCHED_MAX_SLEEP_MS;
	else if (next <= now)
		ms = 0;
	else
		ms = (uint64_t)((next - now + 999) / 1000);
	uv_timer_start(&svc->sched_timer, sched_tick, ms, 0);
}

static void sched_tick(uv_timer_t *t)
{
	struct dxt_service *svc = t->data;
	int64_t now = dxt_now_us();
	struct due {
		char *name;
		int64_t at;
	} *due = NULL;
	size_t n = 0, cap = 0;

	if (svc->draining)
		return;
	dxt__svc_lock(svc);
	for (struct svc_pipe *p = svc->pipes; p != NULL; p = p->next) {
		if (p->cron == NULL || p->paused || p->next_fire == 0 ||
		    p->next_fire > now)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct due *nd = realloc(due, ncap * sizeof(*nd));
			if (nd == NULL)
				break;
			due = nd;
			cap = ncap;
		}
		due[n].name = strdup(p->name);
		due[n].at = p->next_fire;
		if (due[n].name != NULL)
			n++;
		p->next_fire = dxt_cron_next(p->cron, now);
		if (p->next_fire == INT64_MAX)
			p->next_fire = 0;
	}
	dxt__svc_unlock(svc);

	for (size_t i = 0; i < n; i++) {
		struct svc_submit sub = {.pipeline = due[i].name,
					 .trigger = DXT_TRIGGER_SCHEDULE};
		char id[SVC_ID_MAX], blocking[SVC_ID_MAX] = "", at[40];
		struct dxt_error err;
		int rc;

		dxt_format_rfc3339(due[i].at, at, sizeof(at));
		rc = dxt__svc_submit(svc, &sub, id, blocking, &err);
		if (rc == DXT_OK)
			dxt_log(DXT_LOG_INFO, id, NULL,
				"scheduled run of pipeline %s (due at %s)",
				due[i].name, at);
		else if (rc == DXT_EEXISTS && blocking[0] != '\0')
			dxt__svc_event(svc, blocking, NULL, DXT_LOG_WARN, NULL,
				       "skipped: the scheduled run of "
				       "pipeline %s due at %s: run %s still "
				       "active",
				       due[i].name, at, blocking);
		else
			dxt_log(DXT_LOG_ERROR, NULL, NULL,
				"pipeline %s: the scheduled run due at %s "
				"did not start: %s",
				due[i].name, at, err.message);
		free(due[i].name);
	}
	free(due);
	sched_arm(svc);
}

/* --- spool (loop thread) ------------------------------------------------- */

struct folder {
	char *name;
	int64_t newest;        /* created_at of the newest run using it */
	int64_t ended_at;
	enum dxt_run_status status;
	bool seen;
};

static int folder_cmp(const void *a, const void *b)
{
	return strcmp(((const struct folder *)a)->name,
		      ((const struct folder *)b)->name);
}

/* The run folders under <spool>/runs, sorted by name. */
static struct folder *list_folders(struct dxt_service *svc, size_t *n)
{
	struct folder *f = NULL;
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	*n = 0;
	d = opendir(svc->runs_dir);
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char path[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", svc->runs_dir,
			     e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct folder *nf = realloc(f, ncap * sizeof(*nf));
			if (nf == NULL)
				break;
			f = nf;
			cap = ncap;
		}
		memset(&f[*n], 0, sizeof(f[*n]));
		f[*n].name = strdup(e->d_name);
		if (f[*n].name != NULL)
			(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(f, *n, sizeof(*f), folder_cmp);
	return f;
}

static void free_folders(struct folder *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].name);
	free(f);
}

/* The folder under runs/ a run's spool_dir names, or NULL. */
static const char *run_folder_name(struct dxt_service *svc,
				   const char *spool_dir)
{
	size_t len = strlen(svc->runs_dir);

	if (spool_dir == NULL || strncmp(spool_dir, svc->runs_dir, len) != 0 ||
	    spool_dir[len] != '/')
		return NULL;
	return spool_dir + len + 1;
}

/*
 * Removes the buffers of failed, cancelled and interrupted runs that ended
 * longer than spool_retention ago. A folder is judged by the newest run
 * that used it (a retry chain shares its first attempt's folder), and never
 * touched while a run of the chain is active.
 */
static void retention_sweep(struct dxt_service *svc)
{
	struct dxt_store_run_filter f = {.limit = DXT_STORE_LIST_MAX};
	struct dxt_store_run_list page = {0};
	struct folder *folders, key;
	struct dxt_error err;
	int64_t now = dxt_now_us();
	char after[SVC_ID_MAX] = "";
	size_t n;

	svc->last_retention = now;
	if (svc->o.spool_retention_us <= 0)
		return;
	folders = list_folders(svc, &n);
	if (n == 0) {
		free_folders(folders, n);
		return;
	}
	for (;;) {
		f.after = after[0] ? after : NULL;
		if (dxt_store_run_list(svc->store, &f, &page, &err) != DXT_OK) {
			dxt_log(DXT_LOG_ERROR, NULL, NULL,
				"spool retention: %s", err.message);
			free_folders(folders, n);
			return;
		}
		for (size_t i = 0; i < page.n; i++) {
			const struct dxt_store_run *run = &page.items[i];
			struct folder *hit;

			key.name = (char *)run_folder_name(svc, run->spool_dir);
			if (key.name == NULL)
				continue;
			hit = bsearch(&key, folders, n, sizeof(*folders),
				      folder_cmp);
			if (hit == NULL ||
			    (hit->seen && hit->newest >= run->created_at))
				continue;
			hit->seen = true;
			hit->newest = run->created_at;
			hit->status = run->status;
			hit->ended_at = run->ended_at;
		}
		if (page.next == NULL) {
			dxt_store_run_list_free(&page);
			break;
		}
		snprintf(after, sizeof(after), "%s", page.next);
		dxt_store_run_list_free(&page);
	}
	for (size_t i = 0; i < n; i++) {
		struct folder *fo = &folders[i];
		char path[PATH_MAX], hb[32];
		uint64_t freed = 0;
		bool active = false;

		if (!fo->seen || fo->ended_at == 0 ||
		    (fo->status != DXT_RUN_FAILED &&
		     fo->status != DXT_RUN_CANCELLED &&
		     fo->status != DXT_RUN_INTERRUPTED) ||
		    now - fo->ended_at < svc->o.spool_retention_us)
			continue;
		snprintf(path, sizeof(path), "%s/%s", svc->runs_dir, fo->name);
		dxt__svc_lock(svc);
		for (struct svc_run *r = svc->runs; r != NULL; r = r->next)
			if (strcmp(r->run_dir, path) == 0)
				active = true;
		dxt__svc_unlock(svc);
		if (active)
			continue;
		if (dxt_spool_remove(path, &freed, &err) != DXT_OK)
			dxt_log(DXT_LOG_ERROR, fo->name, NULL,
				"spool retention: %s", err.message);
		dxt_spool_human(freed, hb, sizeof(hb));
		dxt_log(DXT_LOG_INFO, fo->name, NULL,
			"spool retention: removed the buffers of a %s run "
			"that ended %.1f days ago (%s)",
			dxt_run_status_name(fo->status),
			(double)(now - fo->ended_at) / 86400e6, hb);
		spool_sub(svc, freed);
	}
	free_folders(folders, n);
}

static void status_line(struct dxt_service *svc)
{
	size_t n = dxt_service_active_runs(svc);
	char hb[32];

	dxt_spool_human(atomic_load(&svc->spool_bytes), hb, sizeof(hb));
	dxt_sd_status("serving on %s: %zu active run%s, spool %s",
		      svc->listen[0] ? svc->listen : "(not yet)", n,
		      n == 1 ? "" : "s", hb);
}

void dxt_service_set_listen(struct dxt_service *svc, const char *addr)
{
	snprintf(svc->listen, sizeof(svc->listen), "%s", addr);
	status_line(svc);
}

static void house_tick(uv_timer_t *t)
{
	struct dxt_service *svc = t->data;

	atomic_store(&svc->spool_bytes, dxt_spool_du(svc->spool_dir));
	if (dxt_now_us() - svc->last_retention >= RETENTION_INTERVAL_US)
		retention_sweep(svc);
	status_line(svc);
}

/* --- start-up recovery (main thread) ------------------------------------- */

struct load_ref {
	char *run_id;
	char *stream;
};

/*
 * Asks the loader whether the load "<run_id>/<stream>" committed and
 * settles the stream's record and pending watermark accordingly.
 */
static void resolve_load(struct dxt_service *svc, const char *run_id,
			 const char *stream, bool pending)
{
	struct dxt_store_run run = {0};
	struct dxt_store_pipeline sp = {0};
	struct dxt_store_stream_run_list srl = {0};
	struct dxt_parse_opts po = {0};
	struct dxt_diags diags = {0};
	struct dxt_pipeline *p = NULL;
	struct svc_secrets sec = {0};
	const struct dxt_stream *st = NULL;
	const struct dxt_operator *op;
	struct dxt_op_progress progress;
	struct dxt_log_ctx lc = {run_id, stream};
	struct dxt_op_ctx ctx;
	struct dxt_error err;
	atomic_int cancel;
	char load_id[256], dir[PATH_MAX];
	bool committed = false;
	uint64_t rows = 0;

	if (dxt_store_run_get(svc->store, run_id, &run, &err) != DXT_OK ||
	    dxt_store_pipeline_get(svc->store, run.pipeline, run.version, &sp,
				   &err) != DXT_OK) {
		dxt_log(DXT_LOG_WARN, run_id, stream,
			"cannot tell whether the interrupted load committed: "
			"%s",
			err.message);
		goto out;
	}
	dxt__svc_secrets_collect(sp.document, sp.document_len, sp.format,
				 svc->base_dir, &sec);
	po.format = sp.format;
	po.interpolate = true;
	po.base_dir = svc->base_dir;
	po.resolver = svc->resolver;
	if (dxt_pipeline_parse(sp.document, sp.document_len, &po, &p,
			       &diags) != DXT_OK ||
	    (st = dxt_pipeline_stream(p, stream)) == NULL) {
		dxt_log(DXT_LOG_WARN, run_id, stream,
			"cannot tell whether the interrupted load committed: "
			"pipeline %s version %d no longer parses or has no "
			"stream %s; %s",
			run.pipeline, run.version, stream,
			pending ? "its watermark stays pending" : "");
		goto out;
	}
	if (dxt_resolver_endpoint(svc->resolver, &st->loader,
				  DXT_KIND_LOADER, &op, &err) != DXT_OK ||
	    op->committed == NULL) {
		if (pending)
			dxt__svc_event(svc, run_id, &sec, DXT_LOG_WARN, stream,
				       "dxtd stopped during the load and the "
				       "loader cannot tell whether it "
				       "committed; the stream's watermark "
				       "stays pending: retry run %s, or set or "
				       "reset the state of pipeline %s",
				       run_id, run.pipeline);
		else
			dxt__svc_event(svc, run_id, &sec, DXT_LOG_WARN, stream,
				       "dxtd stopped during the load and the "
				       "loader cannot tell whether it "
				       "committed; check the target before "
				       "retrying an append");
		goto out;
	}
	snprintf(load_id, sizeof(load_id), "%s/%s", run_id, stream);
	snprintf(dir, sizeof(dir), "%s/%s",
		 run.spool_dir ? run.spool_dir : svc->runs_dir, stream);
	memset(&ctx, 0, sizeof(ctx));
	memset(&progress, 0, sizeof(progress));
	atomic_init(&cancel, 0);
	ctx.pipeline = run.pipeline;
	ctx.stream = stream;
	ctx.run_id = run_id;
	ctx.config = st->loader.config;
	ctx.source = st->source;
	ctx.target = st->target;
	ctx.extract = &st->extract;
	ctx.load = &st->load;
	ctx.stream_dir = dir;
	ctx.base_dir = svc->base_dir;
	ctx.cancel = &cancel;
	ctx.progress = &progress;
	ctx.log = dxt_log_op;
	ctx.log_ctx = &lc;
	ctx.load_id = load_id;
	dxt_error_clear(&err);
	if (op->committed(&ctx, &committed, &rows, &err) != DXT_OK) {
		dxt__svc_scrub(&sec, err.message, sizeof(err.message));
		dxt__svc_event(svc, run_id, &sec, DXT_LOG_WARN, stream,
			       "cannot ask the target whether the "
			       "interrupted load committed: %s%s",
			       err.message,
			       pending ? "; its watermark stays pending" : "");
		goto out;
	}
	if (committed) {
		if (pending &&
		    dxt_store_watermark_commit(svc->store, run.pipeline,
					       stream, run_id, &err) != DXT_OK)
			dxt_log(DXT_LOG_ERROR, run_id, stream,
				"cannot commit the watermark: %s",
				err.message);
		if (dxt_store_stream_run_list(svc->store, run_id, &srl,
					      &err) == DXT_OK) {
			for (size_t i = 0; i < srl.n; i++) {
				struct dxt_store_stream_run *x = &srl.items[i];

				if (strcmp(x->stream, stream) != 0)
					continue;
				x->phase = DXT_PHASE_LOADED;
				x->stats.rows_loaded = rows;
				dxt_error_clear(&x->error);
				dxt_store_stream_run_upsert(svc->store, x,
							    &err);
			}
		}
		dxt__svc_event(svc, run_id, NULL, DXT_LOG_INFO, stream,
			       "the load had committed before dxtd stopped "
			       "(%" PRIu64 " rows): the stream is recorded "
			       "loaded%s",
			       rows,
			       pending ? " and its watermark advanced" : "");
	} else {
		if (pending &&
		    dxt_store_watermark_abort(svc->store, run.pipeline, stream,
					      run_id, &err) != DXT_OK)
			dxt_log(DXT_LOG_ERROR, run_id, stream,
				"cannot drop the pending watermark: %s",
				err.message);
		dxt__svc_event(svc, run_id, NULL, DXT_LOG_INFO, stream,
			       "the load had not committed when dxtd stopped; "
			       "a retry loads the staged rows");
	}
out:
	dxt_store_stream_run_list_free(&srl);
	dxt_diags_free(&diags);
	dxt_pipeline_destroy(p);
	dxt__svc_secrets_free(&sec);
	dxt_store_pipeline_release(&sp);
	dxt_store_run_release(&run);
}

static int recover_runs(struct dxt_service *svc, struct dxt_error *err)
{
	struct dxt_store_run_list running = {0}, interrupted = {0};
	struct dxt_store_watermark_list pend = {0};
	struct load_ref *loads = NULL;
	size_t nloads = 0, cap = 0;
	int rc;

	/* Which streams were loading: interrupt_all() turns them into
	 * `failed`, and those are the loads whose fate is unknown. */
	rc = dxt_store_run_list_status(svc->store, DXT_RUN_RUNNING, &running,
				       err);
	if (rc != DXT_OK)
		return rc;
	for (size_t i = 0; i < running.n; i++) {
		struct dxt_store_stream_run_list l = {0};

		if (dxt_store_stream_run_list(svc->store, running.items[i].id,
					      &l, err) != DXT_OK)
			continue;
		for (size_t k = 0; k < l.n; k++) {
			if (l.items[k].phase != DXT_PHASE_LOADING)
				continue;
			if (nloads == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct load_ref *nl =
					realloc(loads, ncap * sizeof(*nl));
				if (nl == NULL)
					break;
				loads = nl;
				cap = ncap;
			}
			loads[nloads].run_id = strdup(l.items[k].run_id);
			loads[nloads].stream = strdup(l.items[k].stream);
			nloads++;
		}
		dxt_store_stream_run_list_free(&l);
	}
	dxt_store_run_list_free(&running);

	rc = dxt_store_run_interrupt_all(svc->store, &interrupted, err);
	if (rc != DXT_OK)
		goto out;
	for (size_t i = 0; i < interrupted.n; i++)
		dxt__svc_event(svc, interrupted.items[i].id, NULL,
			       DXT_LOG_WARN, NULL,
			       "run of pipeline %s interrupted: dxtd stopped "
			       "during it; its buffers are kept: retry it "
			       "with POST /v1/runs/%s/retry",
			       interrupted.items[i].pipeline,
			       interrupted.items[i].id);

	rc = dxt_store_watermark_pending(svc->store, NULL, &pend, err);
	if (rc != DXT_OK)
		goto out;
	for (size_t i = 0; i < nloads; i++) {
		bool pending = false;

		if (loads[i].run_id == NULL || loads[i].stream == NULL)
			continue;
		for (size_t k = 0; k < pend.n; k++)
			if (pend.items[k].run_id != NULL &&
			    strcmp(pend.items[k].run_id, loads[i].run_id) ==
				    0 &&
			    strcmp(pend.items[k].stream, loads[i].stream) == 0)
				pending = true;
		resolve_load(svc, loads[i].run_id, loads[i].stream, pending);
	}
	for (size_t k = 0; k < pend.n; k++) {
		bool done = false;

		if (pend.items[k].run_id == NULL)
			continue;
		for (size_t i = 0; i < nloads; i++)
			if (loads[i].run_id != NULL && loads[i].stream != NULL &&
			    strcmp(pend.items[k].run_id, loads[i].run_id) ==
				    0 &&
			    strcmp(pend.items[k].stream, loads[i].stream) == 0)
				done = true;
		if (!done)
			resolve_load(svc, pend.items[k].run_id,
				     pend.items[k].stream, true);
	}
out:
	for (size_t i = 0; i < nloads; i++) {
		free(loads[i].run_id);
		free(loads[i].stream);
	}
	free(loads);
	dxt_store_watermark_list_free(&pend);
	dxt_store_run_list_free(&interrupted);
	return rc;
}

/* Run folders naming no run of the store are removed (see serve.h). */
static void remove_orphans(struct dxt_service *svc)
{
	struct folder *f;
	size_t n;

	f = list_folders(svc, &n);
	for (size_t i = 0; i < n; i++) {
		struct dxt_store_run run = {0};
		struct dxt_error err;
		char path[PATH_MAX], hb[32];
		uint64_t freed = 0;
		int rc;

		rc = dxt_store_run_get(svc->store, f[i].name, &run, &err);
		dxt_store_run_release(&run);
		if (rc != DXT_ENOTFOUND)
			continue;
		snprintf(path, sizeof(path), "%s/%s", svc->runs_dir, f[i].name);
		if (dxt_spool_remove(path, &freed, &err) != DXT_OK) {
			dxt_log(DXT_LOG_WARN, NULL, NULL,
				"spool: orphan folder %s (no run of that id "
				"in the state store) cannot be removed: %s",
				path, err.message);
			continue;
		}
		dxt_spool_human(freed, hb, sizeof(hb));
		dxt_log(DXT_LOG_WARN, NULL, NULL,
			"spool: removed orphan folder %s (%s): no run of "
			"that id in the state store %s",
			path, hb, dxt_store_path(svc->store));
	}
	free_folders(f, n);
}

/* --- life cycle ---------------------------------------------------------- */

int dxt_service_create(const struct dxt_service_opts *o,
		       struct dxt_service **out, struct dxt_error *err)
{
	struct dxt_service *svc;
	int rc;

	*out = NULL;
	svc = calloc(1, sizeof(*svc));
	if (svc == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	svc->o = *o;
	snprintf(svc->spool_dir, sizeof(svc->spool_dir), "%s", o->spool_dir);
	if (o->base_dir != NULL)
		snprintf(svc->base_dir, sizeof(svc->base_dir), "%s",
			 o->base_dir);
	else if (getcwd(svc->base_dir, sizeof(svc->base_dir)) == NULL)
		snprintf(svc->base_dir, sizeof(svc->base_dir), ".");
	svc->o.spool_dir = svc->spool_dir;
	svc->o.base_dir = svc->base_dir;
	svc->store = o->store;
	svc->resolver = o->resolver;
	if (snprintf(svc->runs_dir, sizeof(svc->runs_dir), "%s/%s",
		     svc->spool_dir, DXT_SPOOL_RUNS) >=
	    (int)sizeof(svc->runs_dir)) {
		free(svc);
		return dxt_error_set(err, DXT_EINVAL, "spool_dir %s is too long",
				     o->spool_dir);
	}
	rc = dxt_mkdirs(svc->runs_dir, err);
	if (rc != DXT_OK) {
		dxt_error_prefix(err, "spool_dir: ");
		free(svc);
		return rc;
	}
	pthread_mutex_init(&svc->lock, NULL);
	svc->corrupt = json_array();
	atomic_init(&svc->spool_bytes, 0);
	*out = svc;
	return DXT_OK;
}

int dxt_service_recover(struct dxt_service *svc, struct dxt_error *err)
{
	char hb[32];
	int rc;

	rc = recover_runs(svc, err);
	if (rc != DXT_OK)
		return rc;
	remove_orphans(svc);
	atomic_store(&svc->spool_bytes, dxt_spool_du(svc->spool_dir));
	retention_sweep(svc);
	dxt_spool_human(atomic_load(&svc->spool_bytes), hb, sizeof(hb));
	dxt_log(DXT_LOG_INFO, NULL, NULL, "spool %s: %s staged", svc->spool_dir,
		hb);
	return dxt__svc_pipes_load_all(svc, err);
}

static void on_wake(uv_async_t *h)
{
	struct dxt_service *svc = h->data;

	dispatch(svc);
	sched_arm(svc);
	maybe_stopped(svc);
}

int dxt_service_attach(struct dxt_service *svc, uv_loop_t *loop,
		       struct dxt_error *err)
{
	int rc;

	rc = uv_async_init(loop, &svc->wake, on_wake);
	if (rc != 0)
		return dxt_error_set(err, DXT_EIO, "libuv: %s",
				     uv_strerror(rc));
	svc->wake.data = svc;
	uv_timer_init(loop, &svc->sched_timer);
	uv_timer_init(loop, &svc->house_timer);
	uv_timer_init(loop, &svc->stop_timer);
	svc->sched_timer.data = svc->house_timer.data = svc;
	svc->stop_timer.data = svc;
	svc->open_handles = 4;
	svc->loop = loop;
	uv_timer_start(&svc->house_timer, house_tick, HOUSE_INTERVAL_MS,
		       HOUSE_INTERVAL_MS);
	sched_arm(svc);
	/* Runs submitted before the loop existed wait for this. */
	uv_async_send(&svc->wake);
	return DXT_OK;
}

size_t dxt_service_active_runs(struct dxt_service *svc)
{
	size_t n = 0;

	dxt__svc_lock(svc);
	for (struct svc_run *r = svc->runs; r != NULL; r = r->next)
		n++;
	dxt__svc_unlock(svc);
	return n;
}

static void handle_closed(uv_handle_t *h)
{
	struct dxt_service *svc = h->data;

	if (--svc->open_handles == 0 && svc->on_stopped != NULL)
		svc->on_stopped(svc->on_stopped_ctx);
}

static void maybe_stopped(struct dxt_service *svc)
{
	if (!svc->draining || svc->open_handles <= 0 ||
	    uv_is_closing((uv_handle_t *)&svc->wake) ||
	    dxt_service_active_runs(svc) > 0)
		return;
	uv_close((uv_handle_t *)&svc->wake, handle_closed);
	uv_close((uv_handle_t *)&svc->sched_timer, handle_closed);
	uv_close((uv_handle_t *)&svc->house_timer, handle_closed);
	uv_close((uv_handle_t *)&svc->stop_timer, handle_closed);
}

/* Shutdown: every run still active is cancelled and ends `interrupted`. */
static void interrupt_all_runs(struct dxt_service *svc)
{
	dxt__svc_lock(svc);
	for (struct svc_run *r = svc->runs; r != NULL; r = r->next) {
		r->interrupt = true;
		atomic_store(&r->cancel, true);
	}
	dxt__svc_unlock(svc);
	dispatch(svc);
}

static void stop_timeout(uv_timer_t *t)
{
	struct dxt_service *svc = t->data;
	size_t n = dxt_service_active_runs(svc);

	if (n > 0)
		dxt_log(DXT_LOG_WARN, NULL, NULL,
			"shutdown timeout: stopping %zu run%s; they are "
			"recorded interrupted and can be retried",
			n, n == 1 ? "" : "s");
	interrupt_all_runs(svc);
	maybe_stopped(svc);
}

void dxt_service_stop(struct dxt_service *svc, int64_t timeout_us,
		      void (*done)(void *ctx), void *ctx)
{
	size_t n;

	if (svc->loop == NULL) {
		if (done != NULL)
			done(ctx);
		return;
	}
	if (svc->draining) {
		if (!uv_is_closing((uv_handle_t *)&svc->stop_timer))
			uv_timer_start(&svc->stop_timer, stop_timeout, 0, 0);
		return;
	}
	svc->draining = true;
	svc->on_stopped = done;
	svc->on_stopped_ctx = ctx;
	uv_timer_stop(&svc->sched_timer);
	uv_timer_stop(&svc->house_timer);
	dxt__svc_lock(svc);
	svc->stopping = true;
	/* Runs that have not started never will: interrupted at once. */
	for (struct svc_run *r = svc->runs; r != NULL; r = r->next)
		if (r->status == DXT_RUN_QUEUED) {
			r->interrupt = true;
			atomic_store(&r->cancel, true);
		}
	dxt__svc_unlock(svc);
	dispatch(svc);
	n = dxt_service_active_runs(svc);
	if (n > 0) {
		dxt_log(DXT_LOG_INFO, NULL, NULL,
			"waiting up to %.0f s for %zu run%s to finish",
			(double)timeout_us / 1e6, n, n == 1 ? "" : "s");
		uv_timer_start(&svc->stop_timer, stop_timeout,
			       timeout_us > 0 ? (uint64_t)(timeout_us / 1000)
					      : 0,
			       0);
	}
	maybe_stopped(svc);
}

void dxt_service_destroy(struct dxt_service *svc)
{
	struct svc_run *r, *next;

	if (svc == NULL)
		return;
	for (r = svc->runs; r != NULL; r = next) {
		next = r->next;
		free_run(r);
	}
	dxt__svc_pipes_free(svc);
	json_decref(svc->corrupt);
	pthread_mutex_destroy(&svc->lock);
	free(svc);
}

/* --- operations ---------------------------------------------------------- */

struct op_listing {
	json_t *arr;
};

static void list_op(const struct dxt_operator_info *info, void *ctx)
{
	struct op_listing *l = ctx;

	json_array_append_new(
		l->arr,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "class",
			  info->class_path, "provider", info->provider, "kind",
			  dxt_kind_name(info->op->kind), "category",
			  dxt_category_name(info->op->category), "unit",
			  dxt_unit_name(info->op->unit), "summary",
			  info->op->summary ? info->op->summary : ""));
}

static void list_bad(const char *file, const char *message, void *ctx)
{
	dxt_log(DXT_LOG_WARN, NULL, NULL, "operators: skipping %s: %s", file,
		message);
}

int dxt_svc_operators(struct dxt_service *svc, json_t **out,
		      struct dxt_error *err)
{
	struct op_listing l = {json_array()};
	int rc;

	*out = NULL;
	if (l.arr == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	rc = dxt_resolver_scan(svc->resolver, list_op, list_bad, &l, err);
	if (rc != DXT_OK) {
		json_decref(l.arr);
		return rc;
	}
	*out = json_pack("{s:o}", "operators", l.arr);
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

bool dxt_svc_ready(struct dxt_service *svc, json_t **out)
{
	struct dxt_error e1, e2;
	bool store_ok, spool_ok;

	json_t *buffers = NULL;

	store_ok = dxt_store_ping(svc->store, &e1) == DXT_OK;
	spool_ok = dxt_spool_probe(svc->runs_dir, &e2) == DXT_OK;
	if (out != NULL) {
		/* Corrupt parts are reported, but do not make dxtd unready:
		 * other pipelines can still run. */
		dxt__svc_lock(svc);
		if (json_array_size(svc->corrupt) > 0)
			buffers = json_pack("{s:O}", "corrupt_parts",
					    svc->corrupt);
		dxt__svc_unlock(svc);
		*out = json_pack("{s:s, s:{s:s, s:s, s:o}}", "status",
				 store_ok && spool_ok ? "ready" : "not ready",
				 "checks", "state_store",
				 store_ok ? "ok" : e1.message, "spool",
				 spool_ok ? "ok" : e2.message, "buffers",
				 buffers ? buffers : json_string("ok"));
	}
	return store_ok && spool_ok;
}

static int metric(struct dxt_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int metric(struct dxt_buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return DXT_EINVAL;
	return dxt_buf_append(b, line,
			      (size_t)n < sizeof(line) ? (size_t)n
						       : sizeof(line) - 1);
}

int dxt_svc_metrics(struct dxt_service *svc, struct dxt_buf *out)
{
	struct dxt_store_counts c;
	struct dxt_error err;
	uint64_t buckets[16], count, cum = 0, spool;
	double sum;
	size_t active;
	int rc;

	rc = dxt_store_counts(svc->store, &c, &err);
	if (rc != DXT_OK)
		return rc;
	dxt__svc_lock(svc);
	memcpy(buckets, svc->dur_buckets, sizeof(buckets));
	sum = svc->dur_sum;
	count = svc->dur_count;
	active = 0;
	for (struct svc_run *r = svc->runs; r != NULL; r = r->next)
		active++;
	dxt__svc_unlock(svc);
	spool = atomic_load(&svc->spool_bytes);

	rc |= metric(out, "# HELP dxtd_runs_total Runs in the state store "
			  "by status.\n# TYPE dxtd_runs_total gauge\n");
	for (int s = 0; s < DXT_RUN_STATUS_COUNT; s++)
		rc |= metric(out, "dxtd_runs_total{status=\"%s\"} %" PRIu64 "\n",
			     dxt_run_status_name((enum dxt_run_status)s),
			     c.runs[s]);
	rc |= metric(out,
		     "# HELP dxtd_rows_extracted_total Rows extracted by "
		     "finished runs.\n# TYPE dxtd_rows_extracted_total "
		     "counter\ndxtd_rows_extracted_total %" PRIu64 "\n",
		     c.totals.rows_extracted);
	rc |= metric(out,
		     "# HELP dxtd_rows_loaded_total Rows loaded by finished "
		     "runs.\n# TYPE dxtd_rows_loaded_total counter\n"
		     "dxtd_rows_loaded_total %" PRIu64 "\n",
		     c.totals.rows_loaded);
	rc |= metric(out,
		     "# HELP dxtd_rows_rejected_total Rows rejected by "
		     "finished runs.\n# TYPE dxtd_rows_rejected_total "
		     "counter\ndxtd_rows_rejected_total %" PRIu64 "\n",
		     c.totals.rows_rejected);
	rc |= metric(out,
		     "# HELP dxtd_bytes_staged_total Bytes staged in buffers "
		     "by finished runs.\n# TYPE dxtd_bytes_staged_total "
		     "counter\ndxtd_bytes_staged_total %" PRIu64 "\n",
		     c.totals.bytes_staged);
	rc |= metric(out, "# HELP dxtd_run_duration_seconds Duration of the "
			  "runs finished since dxtd started.\n# TYPE "
			  "dxtd_run_duration_seconds histogram\n");
	for (size_t i = 0; i <= dxt__svc_ndur_bounds; i++) {
		cum += buckets[i];
		if (i < dxt__svc_ndur_bounds)
			rc |= metric(out,
				     "dxtd_run_duration_seconds_bucket{le=\"%g\"}"
				     " %" PRIu64 "\n",
				     dxt__svc_dur_bounds[i], cum);
		else
			rc |= metric(out,
				     "dxtd_run_duration_seconds_bucket{le=\"+Inf"
				     "\"} %" PRIu64 "\n",
				     cum);
	}
	rc |= metric(out,
		     "dxtd_run_duration_seconds_sum %.6f\n"
		     "dxtd_run_duration_seconds_count %" PRIu64 "\n",
		     sum, count);
	rc |= metric(out,
		     "# HELP dxtd_spool_bytes Bytes in the spool directory.\n"
		     "# TYPE dxtd_spool_bytes gauge\ndxtd_spool_bytes %" PRIu64
		     "\n",
		     spool);
	rc |= metric(out,
		     "# HELP dxtd_spool_quota_bytes The spool quota (0: "
		     "none).\n# TYPE dxtd_spool_quota_bytes gauge\n"
		     "dxtd_spool_quota_bytes %" PRIu64 "\n",
		     svc->o.spool_quota);
	rc |= metric(out,
		     "# HELP dxtd_active_runs Runs queued or running.\n"
		     "# TYPE dxtd_active_runs gauge\ndxtd_active_runs %zu\n",
		     active);
	rc |= metric(out,
		     "# HELP dxtd_pipelines Pipelines defined.\n"
		     "# TYPE dxtd_pipelines gauge\ndxtd_pipelines %" PRIu64
		     "\n",
		     c.pipelines);
	return rc == DXT_OK ? DXT_OK : DXT_ENOMEM;
}
