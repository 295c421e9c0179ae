/*
 * run.c - one stream of one run: extract into the buffer, load from it.
 */
#include "run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "iostream.h"

static const char *const phase_names[] = {
	[DXT_PHASE_PENDING] = "pending", [DXT_PHASE_EXTRACTING] = "extracting",
	[DXT_PHASE_STAGED] = "staged",   [DXT_PHASE_LOADING] = "loading",
	[DXT_PHASE_LOADED] = "loaded",   [DXT_PHASE_FAILED] = "failed",
	[DXT_PHASE_SKIPPED] = "skipped",
};

const char *dxt_phase_name(enum dxt_phase phase)
{
	if ((unsigned)phase >= sizeof(phase_names) / sizeof(phase_names[0]))
		return "unknown";
	return phase_names[phase];
}

int64_t dxt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void dxt_format_rfc3339(int64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)((us % 1000000) / 1000));
}

void dxt_stream_run_init(struct dxt_stream_run *sr,
			 const struct dxt_pipeline *pipeline,
			 const struct dxt_stream *stream,
			 struct dxt_resolver *resolver, const char *run_id,
			 const char *run_dir, const char *base_dir)
{
	memset(sr, 0, sizeof(*sr));
	sr->pipeline = pipeline;
	sr->stream = stream;
	sr->resolver = resolver;
	sr->run_id = run_id;
	sr->run_dir = run_dir;
	sr->base_dir = base_dir;
	atomic_init(&sr->phase, DXT_PHASE_PENDING);
	atomic_init(&sr->cancel, 0);
	dxt_error_clear(&sr->error);
	snprintf(sr->stream_dir, sizeof(sr->stream_dir), "%s/%s", run_dir,
		 stream->id);
	snprintf(sr->load_id, sizeof(sr->load_id), "%s/%s", run_id,
		 stream->id);
}

void dxt_stream_run_release(struct dxt_stream_run *sr)
{
	json_decref(sr->watermark_in);
	json_decref(sr->watermark_out);
	sr->watermark_in = NULL;
	sr->watermark_out = NULL;
}

static void ctx_init(struct dxt_stream_run *sr, struct dxt_op_ctx *ctx,
		     const json_t *config, struct dxt_op_progress *progress)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->pipeline = sr->pipeline->name;
	ctx->stream = sr->stream->id;
	ctx->run_id = sr->run_id;
	ctx->config = config;
	ctx->source = sr->stream->source;
	ctx->target = sr->stream->target;
	ctx->extract = &sr->stream->extract;
	ctx->load = &sr->stream->load;
	ctx->stream_dir = sr->stream_dir;
	ctx->base_dir = sr->base_dir;
	ctx->watermark = sr->watermark_in;
	ctx->cancel = &sr->cancel;
	ctx->progress = progress;
	ctx->log = sr->log;
	ctx->log_ctx = sr->log_ctx;
	ctx->load_id = sr->load_id;
}

/* Records a stream failure: phase, prefix, default origin. */
static int fail(struct dxt_stream_run *sr, int rc, enum dxt_origin origin)
{
	if (sr->error.code == DXT_OK)
		dxt_error_set(&sr->error, rc, "%s", dxt_strerror(rc));
	if (rc == DXT_ECANCELLED || sr->error.code == DXT_ECANCELLED) {
		/* Whichever layer noticed it, a cancellation reads the
		 * same: "stream s: cancelled". */
		dxt_error_set(&sr->error, DXT_ECANCELLED, "cancelled");
		sr->error.cls = DXT_TERMINAL;
	}
	dxt_error_origin(&sr->error, origin);
	dxt_error_prefix(&sr->error, "stream %s: ", sr->stream->id);
	atomic_store(&sr->phase, DXT_PHASE_FAILED);
	if (!sr->stream->buffer.retain_on_failure)
		dxt_remove_tree(sr->stream_dir, NULL);
	return sr->error.code;
}

int dxt_stream_run_extract(struct dxt_stream_run *sr)
{
	const struct dxt_operator *op;
	struct dxt_buffer_writer *w = NULL;
	struct dxt_manifest *m = NULL;
	struct dxt_op_ctx ctx;
	int rc;

	dxt_error_clear(&sr->error);
	sr->extract_started_us = dxt_now_us();
	atomic_store(&sr->phase, DXT_PHASE_EXTRACTING);
	rc = dxt_resolver_endpoint(sr->resolver, &sr->stream->extractor,
				   DXT_KIND_EXTRACTOR, &op, &sr->error);
	if (rc != DXT_OK)
		goto out;
	if (atomic_load(&sr->cancel)) {
		rc = DXT_ECANCELLED;
		goto out;
	}
	rc = dxt_buffer_writer_open(sr->stream_dir, sr->stream->id,
				    &sr->stream->buffer, &w, &sr->error);
	if (rc != DXT_OK) {
		dxt_error_origin(&sr->error, DXT_ORIGIN_BUFFER);
		goto out;
	}
	dxt_buffer_writer_set_cancel(w, &sr->cancel);
	ctx_init(sr, &ctx, sr->stream->extractor.config, &sr->extract_progress);
	rc = op->extract(&ctx, w, &sr->error);
	if (rc == DXT_OK && atomic_load(&sr->cancel))
		rc = dxt_error_set(&sr->error, DXT_ECANCELLED, "cancelled");
	if (rc != DXT_OK) {
		dxt_error_origin(&sr->error, DXT_ORIGIN_SOURCE);
		goto out;
	}
	rc = dxt_buffer_writer_commit(w, &sr->error);
	if (rc != DXT_OK) {
		dxt_error_origin(&sr->error, DXT_ORIGIN_BUFFER);
		goto out;
	}
	sr->rows_rejected = dxt_buffer_writer_rejects(w);
	rc = dxt_manifest_load(sr->stream_dir, &m, &sr->error);
	if (rc != DXT_OK) {
		dxt_error_origin(&sr->error, DXT_ORIGIN_BUFFER);
		goto out;
	}
	sr->rows_extracted = m->rows;
	sr->bytes_staged = m->bytes;
	atomic_store(&sr->extract_progress.rows, m->rows);
	atomic_store(&sr->extract_progress.bytes, m->bytes);
	json_decref(sr->watermark_out);
	sr->watermark_out = m->watermark ? json_deep_copy(m->watermark) : NULL;
out:
	if (w != NULL) {
		if (rc != DXT_OK) {
			sr->rows_extracted = dxt_buffer_writer_rows(w);
			sr->bytes_staged = dxt_buffer_writer_bytes(w);
			sr->rows_rejected = dxt_buffer_writer_rejects(w);
		}
		dxt_buffer_writer_destroy(w);
	}
	dxt_manifest_free(m);
	sr->extract_ended_us = dxt_now_us();
	if (rc != DXT_OK)
		return fail(sr, rc, DXT_ORIGIN_SOURCE);
	atomic_store(&sr->phase, DXT_PHASE_STAGED);
	return DXT_OK;
}

int dxt_stream_run_load(struct dxt_stream_run *sr)
{
	const struct dxt_operator *op;
	struct dxt_buffer_reader *r = NULL;
	struct dxt_load_result res = {0};
	struct dxt_op_ctx ctx;
	int rc;

	dxt_error_clear(&sr->error);
	sr->load_started_us = dxt_now_us();
	sr->load_ended_us = 0;
	atomic_store(&sr->phase, DXT_PHASE_LOADING);
	rc = dxt_resolver_endpoint(sr->resolver, &sr->stream->loader,
				   DXT_KIND_LOADER, &op, &sr->error);
	if (rc != DXT_OK)
		goto out;
	rc = dxt_buffer_reader_open(sr->stream_dir, &sr->stream->buffer.batch,
				    &r, &sr->error);
	if (rc != DXT_OK) {
		dxt_error_origin(&sr->error, DXT_ORIGIN_BUFFER);
		goto out;
	}
	if (atomic_load(&sr->cancel)) {
		rc = DXT_ECANCELLED;
		goto out;
	}
	ctx_init(sr, &ctx, sr->stream->loader.config, &sr->load_progress);
	rc = op->load(&ctx, r, &res, &sr->error);
	if (rc != DXT_OK) {
		dxt_error_origin(&sr->error, DXT_ORIGIN_TARGET);
		goto out;
	}
	sr->rows_loaded = res.rows_loaded;
	sr->rows_rejected += res.rows_rejected;
	atomic_store(&sr->load_progress.rows, res.rows_loaded);
out:
	dxt_buffer_reader_destroy(r);
	sr->load_ended_us = dxt_now_us();
	if (rc != DXT_OK)
		return fail(sr, rc, DXT_ORIGIN_TARGET);
	if (sr->stream->buffer.cleanup_on_success)
		dxt_remove_tree(sr->stream_dir, NULL);
	atomic_store(&sr->phase, DXT_PHASE_LOADED);
	return DXT_OK;
}

json_t *dxt_error_to_json(const struct dxt_error *err, const char *stream)
{
	const char *origin = dxt_origin_name(err->origin);
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "class",
			    json_string(dxt_err_class_name(err->cls)));
	json_object_set_new(o, "origin",
			    origin ? json_string(origin) : json_null());
	json_object_set_new(o, "code", json_string(dxt_err_name(err->code)));
	json_object_set_new(o, "stream",
			    stream ? json_string(stream) : json_null());
	json_object_set_new(o, "message", json_string(err->message));
	return o;
}

static json_t *time_json(int64_t us)
{
	char buf[40];

	if (us == 0)
		return json_null();
	dxt_format_rfc3339(us, buf, sizeof(buf));
	return json_string(buf);
}

json_t *dxt_stream_run_to_json(const struct dxt_stream_run *sr)
{
	const struct dxt_stream *s = sr->stream;
	enum dxt_phase phase = (enum dxt_phase)atomic_load(&sr->phase);
	int64_t started = sr->extract_started_us ? sr->extract_started_us
						 : sr->load_started_us;
	int64_t ended = 0;
	json_t *o = json_object(), *wm = json_null();

	if (o == NULL)
		return NULL;
	if (phase == DXT_PHASE_LOADED || phase == DXT_PHASE_FAILED)
		ended = sr->load_ended_us ? sr->load_ended_us
					  : sr->extract_ended_us;
	if (s->extract.mode == DXT_EXTRACT_INCREMENTAL) {
		const json_t *to = sr->watermark_out
					   ? json_object_get(sr->watermark_out,
							     "value")
					   : NULL;
		wm = json_pack("{s:s, s:O, s:O}", "field",
			       s->extract.watermark_field, "from",
			       sr->watermark_in ? sr->watermark_in : json_null(),
			       "to", to ? to : json_null());
	}
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "phase", json_string(dxt_phase_name(phase)));
	json_object_set_new(o, "extract_mode",
			    json_string(dxt_extract_mode_name(s->extract.mode)));
	json_object_set_new(o, "load_mode",
			    json_string(dxt_load_mode_name(s->load.mode)));
	json_object_set_new(o, "watermark", wm);
	json_object_set_new(o, "rows_extracted",
			    json_integer((json_int_t)(phase >= DXT_PHASE_STAGED
				? sr->rows_extracted
				: atomic_load(&sr->extract_progress.rows))));
	json_object_set_new(o, "rows_loaded",
			    json_integer((json_int_t)(phase == DXT_PHASE_LOADED
				? sr->rows_loaded
				: atomic_load(&sr->load_progress.rows))));
	json_object_set_new(o, "rows_rejected",
			    json_integer((json_int_t)sr->rows_rejected));
	json_object_set_new(o, "bytes_staged",
			    json_integer((json_int_t)(phase >= DXT_PHASE_STAGED
				? sr->bytes_staged
				: atomic_load(&sr->extract_progress.bytes))));
	json_object_set_new(o, "started_at", time_json(started));
	json_object_set_new(o, "ended_at", time_json(ended));
	json_object_set_new(o, "error",
			    sr->error.code != DXT_OK
				    ? dxt_error_to_json(&sr->error, s->id)
				    : json_null());
	return o;
}
