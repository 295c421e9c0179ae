/*
 * oneshot.c - one pipeline run in the foreground on a libuv worker pool.
 *
 * All run state changes happen on the loop thread (after_work callbacks and
 * the progress timer); the worker threads only run the engine's phases.
 */
#include "oneshot.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "engine/iostream.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "log.h"
#include "statefile.h"

struct job {
	uv_work_t req;
	struct oneshot *os;
	const struct dxt_stream *stream;
	struct dxt_stream_run sr;
	struct dxt_log_ctx logctx;
	int done;
	uint64_t last_rows;
};

struct oneshot {
	const struct dxt_oneshot_opts *opts;
	struct dxt_pipeline *pipeline;
	char run_id[64];
	char run_dir[4096];
	char spool_dir[4096];
	char base_dir[4096];
	struct dxt_statefile *state;
	struct job *jobs;
	size_t njobs;
	size_t pending;
	int cancelled;
	int64_t started_us;
	uv_loop_t loop;
	uv_timer_t timer;
	uv_signal_t sigint, sigterm;
};

static void make_run_id(char *buf, size_t len)
{
	int64_t now = dxt_now_us();
	time_t secs = (time_t)(now / 1000000);
	struct tm tm;
	unsigned rnd = (unsigned)(now ^ ((int64_t)getpid() << 16));

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d%02d%02dT%02d%02d%02dZ-%06x", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (rnd * 2654435761u) & 0xffffff);
}

static void human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void print_progress(struct job *j, int final)
{
	struct dxt_stream_run *sr = &j->sr;
	enum dxt_phase phase = (enum dxt_phase)atomic_load(&sr->phase);
	uint64_t rows, bytes = atomic_load(&sr->extract_progress.bytes);
	int64_t started, now = dxt_now_us();
	double secs;
	char hb[32];

	if (phase == DXT_PHASE_PENDING)
		return;
	if (phase == DXT_PHASE_LOADING || phase == DXT_PHASE_LOADED) {
		rows = phase == DXT_PHASE_LOADED
			       ? sr->rows_loaded
			       : atomic_load(&sr->load_progress.rows);
		started = sr->load_started_us;
	} else {
		rows = atomic_load(&sr->extract_progress.rows);
		started = sr->extract_started_us;
	}
	if (final && phase == DXT_PHASE_LOADED) {
		secs = (double)(sr->load_ended_us - sr->extract_started_us) / 1e6;
		human_bytes(sr->bytes_staged, hb, sizeof(hb));
		dxt_log(DXT_LOG_INFO, j->os->run_id, sr->stream->id,
			"loaded %llu rows (%llu rejected), %s staged, in %.2f s",
			(unsigned long long)sr->rows_loaded,
			(unsigned long long)sr->rows_rejected, hb, secs);
		return;
	}
	if (final && phase == DXT_PHASE_FAILED) {
		dxt_log(DXT_LOG_ERROR, j->os->run_id, sr->stream->id, "%s",
			sr->error.message);
		return;
	}
	secs = started ? (double)(now - started) / 1e6 : 0;
	human_bytes(bytes, hb, sizeof(hb));
	dxt_log(DXT_LOG_INFO, j->os->run_id, sr->stream->id,
		"%s: %llu rows, %s staged, %.0f rows/s", dxt_phase_name(phase),
		(unsigned long long)rows, hb, secs > 0 ? (double)rows / secs : 0);
}

static void work_cb(uv_work_t *req)
{
	struct job *j = req->data;

	if (dxt_stream_run_extract(&j->sr) != DXT_OK)
		return;
	if (atomic_load(&j->sr.cancel)) {
		dxt_error_set(&j->sr.error, DXT_ECANCELLED,
			      "stream %s: cancelled before load",
			      j->sr.stream->id);
		atomic_store(&j->sr.phase, DXT_PHASE_FAILED);
		return;
	}
	dxt_stream_run_load(&j->sr);
}

static void close_all(struct oneshot *os)
{
	uv_timer_stop(&os->timer);
	uv_close((uv_handle_t *)&os->timer, NULL);
	uv_signal_stop(&os->sigint);
	uv_close((uv_handle_t *)&os->sigint, NULL);
	uv_signal_stop(&os->sigterm);
	uv_close((uv_handle_t *)&os->sigterm, NULL);
}

static void after_work_cb(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct oneshot *os = j->os;
	struct dxt_stream_run *sr = &j->sr;
	struct dxt_error err;

	j->done = 1;
	if (status == UV_ECANCELED) {
		dxt_error_set(&sr->error, DXT_ECANCELLED,
			      "stream %s: cancelled before it started",
			      sr->stream->id);
		atomic_store(&sr->phase, DXT_PHASE_FAILED);
	}
	/* The watermark advances only once the load committed. */
	if (atomic_load(&sr->phase) == DXT_PHASE_LOADED &&
	    sr->stream->extract.mode == DXT_EXTRACT_INCREMENTAL &&
	    sr->watermark_out != NULL) {
		if (dxt_statefile_set(os->state, os->pipeline->name,
				      sr->stream->id, sr->watermark_out,
				      &err) != DXT_OK)
			dxt_log(DXT_LOG_ERROR, os->run_id, sr->stream->id,
				"cannot save the watermark: %s", err.message);
	}
	print_progress(j, 1);
	if (--os->pending == 0)
		close_all(os);
}

static void timer_cb(uv_timer_t *t)
{
	struct oneshot *os = t->data;

	for (size_t i = 0; i < os->njobs; i++)
		if (!os->jobs[i].done)
			print_progress(&os->jobs[i], 0);
}

static void signal_cb(uv_signal_t *s, int signum)
{
	struct oneshot *os = s->data;

	if (os->cancelled++)
		return;
	dxt_log(DXT_LOG_WARN, os->run_id, NULL,
		"signal %d: cancelling the run", signum);
	for (size_t i = 0; i < os->njobs; i++) {
		atomic_store(&os->jobs[i].sr.cancel, 1);
		uv_cancel((uv_req_t *)&os->jobs[i].req);
	}
}

static int select_streams(struct oneshot *os)
{
	const struct dxt_oneshot_opts *o = os->opts;
	struct dxt_pipeline *p = os->pipeline;

	for (size_t i = 0; i < o->nstreams; i++) {
		if (dxt_pipeline_stream(p, o->streams[i]) == NULL) {
			char ids[1024];
			size_t n = 0;
			for (size_t k = 0; k < p->nstreams && n < sizeof(ids); k++)
				n += (size_t)snprintf(ids + n, sizeof(ids) - n,
						      "%s%s", k ? ", " : "",
						      p->streams[k].id);
			fprintf(stderr,
				"dxtd: pipeline %s has no stream \"%s\" "
				"(streams: %s)\n",
				p->name, o->streams[i], ids);
			return -1;
		}
	}
	os->jobs = calloc(p->nstreams, sizeof(*os->jobs));
	if (os->jobs == NULL)
		return -1;
	for (size_t i = 0; i < p->nstreams; i++) {
		const struct dxt_stream *s = &p->streams[i];
		int want = o->nstreams == 0;
		for (size_t k = 0; k < o->nstreams; k++)
			if (strcmp(o->streams[k], s->id) == 0)
				want = 1;
		if (want) {
			struct job *j = &os->jobs[os->njobs++];
			j->os = os;
			j->stream = s;
			j->req.data = j;
		}
	}
	return 0;
}

static json_t *summary_json(struct oneshot *os, const char *status)
{
	uint64_t rx = 0, rl = 0, bs = 0, rr = 0;
	char started[40], ended[40];
	json_t *streams = json_array(), *err = json_null(), *o;
	int64_t now = dxt_now_us();

	for (size_t i = 0; i < os->njobs; i++) {
		struct dxt_stream_run *sr = &os->jobs[i].sr;
		json_array_append_new(streams, dxt_stream_run_to_json(sr));
		rx += sr->rows_extracted;
		rl += sr->rows_loaded;
		bs += sr->bytes_staged;
		rr += sr->rows_rejected;
		if (sr->error.code != DXT_OK && json_is_null(err)) {
			json_decref(err);
			err = dxt_error_to_json(&sr->error, sr->stream->id);
		}
	}
	dxt_format_rfc3339(os->started_us, started, sizeof(started));
	dxt_format_rfc3339(now, ended, sizeof(ended));
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:f, s:{s:I, s:I, "
		      "s:I, s:I}, s:o, s:o}",
		      "id", os->run_id, "pipeline", os->pipeline->name,
		      "version", os->pipeline->version, "trigger", "oneshot",
		      "status", status, "started_at", started, "ended_at", ended,
		      "duration_s", (double)(now - os->started_us) / 1e6,
		      "stats", "rows_extracted", (json_int_t)rx, "rows_loaded",
		      (json_int_t)rl, "bytes_staged", (json_int_t)bs,
		      "rows_rejected", (json_int_t)rr, "streams", streams,
		      "error", err);
	json_object_set_new(o, "spool", json_string(os->run_dir));
	return o;
}

static void print_diags(const struct dxt_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char line[2048];
		dxt_diag_format(&d->items[i], line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
}

int dxt_oneshot_run(const struct dxt_oneshot_opts *opts)
{
	struct oneshot os;
	struct dxt_parse_opts po = {0};
	struct dxt_diags diags = {0};
	struct dxt_error err;
	const char *status = "succeeded";
	char pathcopy[4096];
	json_t *summary;
	int rc = 2, failed = 0;

	memset(&os, 0, sizeof(os));
	os.opts = opts;
	os.started_us = dxt_now_us();
	snprintf(pathcopy, sizeof(pathcopy), "%s", opts->pipeline_path);
	snprintf(os.base_dir, sizeof(os.base_dir), "%s", dirname(pathcopy));

	po.interpolate = true;
	po.resolver = opts->resolver;
	if (dxt_pipeline_parse_file(opts->pipeline_path, &po, &os.pipeline,
				    &diags) != DXT_OK) {
		print_diags(&diags);
		dxt_diags_free(&diags);
		return 2;
	}
	dxt_diags_free(&diags);
	if (select_streams(&os) != 0)
		goto out;

	if (opts->spool_dir != NULL)
		snprintf(os.spool_dir, sizeof(os.spool_dir), "%s",
			 opts->spool_dir);
	else if (os.pipeline->buffer_location != NULL)
		snprintf(os.spool_dir, sizeof(os.spool_dir), "%s%s%s",
			 os.pipeline->buffer_location[0] == '/' ? ""
								 : os.base_dir,
			 os.pipeline->buffer_location[0] == '/' ? "" : "/",
			 os.pipeline->buffer_location);
	else
		snprintf(os.spool_dir, sizeof(os.spool_dir), ".dxt/spool");
	make_run_id(os.run_id, sizeof(os.run_id));
	snprintf(os.run_dir, sizeof(os.run_dir), "%s/runs/%s", os.spool_dir,
		 os.run_id);
	if (dxt_mkdirs(os.run_dir, &err) != DXT_OK) {
		fprintf(stderr, "dxtd: spool: %s\n", err.message);
		goto out;
	}
	if (dxt_statefile_open(os.spool_dir, &os.state, &err) != DXT_OK) {
		fprintf(stderr, "dxtd: %s\n", err.message);
		goto out;
	}

	for (size_t i = 0; i < os.njobs; i++) {
		struct job *j = &os.jobs[i];
		const struct dxt_stream *s = j->stream;

		dxt_stream_run_init(&j->sr, os.pipeline, s, opts->resolver,
				    os.run_id, os.run_dir, os.base_dir);
		j->logctx.run_id = os.run_id;
		j->logctx.stream = s->id;
		j->sr.log = dxt_log_op;
		j->sr.log_ctx = &j->logctx;
		if (s->extract.mode == DXT_EXTRACT_INCREMENTAL)
			j->sr.watermark_in = json_deep_copy(dxt_statefile_get(
				os.state, os.pipeline->name, s->id,
				s->extract.watermark_field));
	}

	uv_loop_init(&os.loop);
	uv_timer_init(&os.loop, &os.timer);
	os.timer.data = &os;
	uv_timer_start(&os.timer, timer_cb,
		       opts->progress_ms > 0 ? (uint64_t)opts->progress_ms : 1000,
		       opts->progress_ms > 0 ? (uint64_t)opts->progress_ms : 1000);
	uv_signal_init(&os.loop, &os.sigint);
	uv_signal_init(&os.loop, &os.sigterm);
	os.sigint.data = os.sigterm.data = &os;
	uv_signal_start(&os.sigint, signal_cb, SIGINT);
	uv_signal_start(&os.sigterm, signal_cb, SIGTERM);

	dxt_log(DXT_LOG_INFO, os.run_id, NULL,
		"run of pipeline %s started: %zu stream(s), %d worker(s), "
		"spool %s",
		os.pipeline->name, os.njobs, opts->workers, os.run_dir);
	os.pending = os.njobs;
	for (size_t i = 0; i < os.njobs; i++)
		uv_queue_work(&os.loop, &os.jobs[i].req, work_cb, after_work_cb);
	if (os.njobs == 0)
		close_all(&os);
	uv_run(&os.loop, UV_RUN_DEFAULT);
	uv_loop_close(&os.loop);

	for (size_t i = 0; i < os.njobs; i++)
		if (atomic_load(&os.jobs[i].sr.phase) != DXT_PHASE_LOADED)
			failed = 1;
	if (os.cancelled)
		status = "cancelled";
	else if (failed)
		status = "failed";
	summary = summary_json(&os, status);
	if (summary != NULL) {
		char *text = json_dumps(summary, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						 JSON_REAL_PRECISION(6));
		if (text != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(summary);
	}
	fflush(stdout);
	/* A run folder left empty by cleanup_on_success goes too. */
	rmdir(os.run_dir);
	rc = (failed || os.cancelled) ? 1 : 0;
out:
	for (size_t i = 0; i < os.njobs; i++)
		dxt_stream_run_release(&os.jobs[i].sr);
	free(os.jobs);
	dxt_statefile_close(os.state);
	dxt_pipeline_destroy(os.pipeline);
	return rc;
}
