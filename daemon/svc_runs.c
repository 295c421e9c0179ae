/*
 * svc_runs.c - /v1/runs: start, list, status, cancel, retry and events,
 * and the run status JSON orchestrators poll (DESIGN.md, "Control API").
 *
 * An active run's status is built from memory under the service lock (the
 * live counters come from the engine's atomics), a finished run's from the
 * store. The loop thread writes a run's final record before it drops the
 * run from memory, so a reader always finds it in one of the two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "svc_internal.h"

json_t *dxt__svc_time_json(int64_t us)
{
	char buf[40];

	if (us == 0)
		return json_null();
	dxt_format_rfc3339(us, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *stats_json(const struct dxt_run_stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "rows_extracted",
			 (json_int_t)s->rows_extracted, "rows_loaded",
			 (json_int_t)s->rows_loaded, "bytes_staged",
			 (json_int_t)s->bytes_staged, "rows_rejected",
			 (json_int_t)s->rows_rejected);
}

static json_t *error_json(const struct dxt_error *e, const char *stream)
{
	if (e->code == DXT_OK)
		return json_null();
	return dxt_error_to_json(e, stream);
}

static json_t *stream_json(const char *id, enum dxt_phase phase,
			   enum dxt_extract_mode em, enum dxt_load_mode lm,
			   const char *wm_field, const json_t *wm_from,
			   const json_t *wm_to, const struct dxt_run_stats *st,
			   int64_t started, int64_t ended,
			   const struct dxt_error *e)
{
	json_t *o = json_object(), *wm = json_null();

	if (o == NULL)
		return NULL;
	if (wm_field != NULL) {
		json_decref(wm);
		/* Copies: the values are shared with the loop thread, and a
		 * response tree must be this thread's alone. */
		wm = json_pack("{s:s, s:o, s:o}", "field", wm_field, "from",
			       wm_from ? json_deep_copy(wm_from) : json_null(),
			       "to", wm_to ? json_deep_copy(wm_to) : json_null());
	}
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "phase", json_string(dxt_phase_name(phase)));
	json_object_set_new(o, "extract_mode",
			    json_string(dxt_extract_mode_name(em)));
	json_object_set_new(o, "load_mode", json_string(dxt_load_mode_name(lm)));
	json_object_set_new(o, "watermark", wm ? wm : json_null());
	json_object_set_new(o, "rows_extracted",
			    json_integer((json_int_t)st->rows_extracted));
	json_object_set_new(o, "rows_loaded",
			    json_integer((json_int_t)st->rows_loaded));
	json_object_set_new(o, "rows_rejected",
			    json_integer((json_int_t)st->rows_rejected));
	json_object_set_new(o, "bytes_staged",
			    json_integer((json_int_t)st->bytes_staged));
	json_object_set_new(o, "started_at", dxt__svc_time_json(started));
	json_object_set_new(o, "ended_at", dxt__svc_time_json(ended));
	json_object_set_new(o, "error", error_json(e, id));
	return o;
}

/* Under the lock. */
static json_t *stream_json_live(const struct svc_stream *s)
{
	const struct dxt_stream *st = s->stream;
	struct dxt_run_stats stats = s->stats;
	enum dxt_phase phase = s->phase;
	struct dxt_error none;

	dxt_error_clear(&none);
	if (s->busy) {
		enum dxt_phase live =
			(enum dxt_phase)atomic_load(&s->sr.phase);

		/* A phase that ended in the worker shows once the loop has
		 * applied it (with its counts and error). */
		if (live == DXT_PHASE_EXTRACTING || live == DXT_PHASE_LOADING)
			phase = live;
		if (s->work == SW_EXTRACT) {
			stats.rows_extracted =
				atomic_load(&s->sr.extract_progress.rows);
			stats.bytes_staged =
				atomic_load(&s->sr.extract_progress.bytes);
		} else {
			stats.rows_loaded =
				atomic_load(&s->sr.load_progress.rows);
		}
	}
	return stream_json(st->id, phase, st->extract.mode, st->load.mode,
			   st->extract.mode == DXT_EXTRACT_INCREMENTAL
				   ? st->extract.watermark_field
				   : NULL,
			   s->wm_from, s->wm_to, &stats, s->started_at,
			   s->ended_at, s->busy ? &none : &s->error);
}

static json_t *tags_of(const json_t *options)
{
	const json_t *t = options ? json_object_get(options, "tags") : NULL;

	return json_is_array(t) ? json_deep_copy(t) : json_array();
}

static json_t *run_json(const char *id, const char *pipeline, int version,
			enum dxt_run_trigger trigger,
			enum dxt_run_status status, int attempt,
			const char *parent, int64_t created, int64_t started,
			int64_t ended, const struct dxt_run_stats *stats,
			json_t *streams, const struct dxt_error *e,
			const char *estream, const json_t *options)
{
	json_t *o = json_object();

	if (o == NULL) {
		json_decref(streams);
		return NULL;
	}
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "pipeline", json_string(pipeline));
	json_object_set_new(o, "version", json_integer(version));
	json_object_set_new(o, "trigger",
			    json_string(dxt_run_trigger_name(trigger)));
	json_object_set_new(o, "status",
			    json_string(dxt_run_status_name(status)));
	json_object_set_new(o, "attempt", json_integer(attempt));
	json_object_set_new(o, "parent",
			    parent ? json_string(parent) : json_null());
	json_object_set_new(o, "created_at", dxt__svc_time_json(created));
	json_object_set_new(o, "started_at", dxt__svc_time_json(started));
	json_object_set_new(o, "ended_at", dxt__svc_time_json(ended));
	json_object_set_new(o, "stats", stats_json(stats));
	json_object_set_new(o, "streams", streams ? streams : json_array());
	json_object_set_new(o, "error", error_json(e, estream));
	json_object_set_new(o, "tags", tags_of(options));
	return o;
}

json_t *dxt__svc_run_json_live(const struct svc_run *r)
{
	struct dxt_run_stats stats = {0};
	const char *estream = NULL;
	json_t *streams = json_array(), *o;

	for (size_t i = 0; i < r->nstreams; i++) {
		json_t *s = stream_json_live(&r->streams[i]);

		stats.rows_extracted += (uint64_t)json_integer_value(
			json_object_get(s, "rows_extracted"));
		stats.rows_loaded += (uint64_t)json_integer_value(
			json_object_get(s, "rows_loaded"));
		stats.rows_rejected += (uint64_t)json_integer_value(
			json_object_get(s, "rows_rejected"));
		stats.bytes_staged += (uint64_t)json_integer_value(
			json_object_get(s, "bytes_staged"));
		json_array_append_new(streams, s);
	}
	for (size_t i = 0; estream == NULL && r->error.code == DXT_OK &&
			   i < r->nstreams;
	     i++)
		if (r->streams[i].error.code != DXT_OK)
			estream = r->streams[i].stream->id;
	o = run_json(r->id, r->pipeline, r->version, r->trigger, r->status,
		     r->attempt, r->parent_id, r->created_at, r->started_at,
		     r->ended_at, &stats, streams, &r->error, estream,
		     r->options);
	if (o != NULL && atomic_load(&r->cancel))
		json_object_set_new(o, "cancel_requested", json_true());
	return o;
}

int dxt__svc_run_json_stored(struct dxt_service *svc,
			     const struct dxt_store_run *run, json_t **out,
			     struct dxt_error *err)
{
	struct dxt_store_stream_run_list l = {0};
	json_t *streams;
	int rc;

	*out = NULL;
	rc = dxt_store_stream_run_list(svc->store, run->id, &l, err);
	if (rc != DXT_OK)
		return rc;
	streams = json_array();
	for (size_t i = 0; streams != NULL && i < l.n; i++) {
		const struct dxt_store_stream_run *s = &l.items[i];

		json_array_append_new(
			streams,
			stream_json(s->stream, s->phase, s->extract_mode,
				    s->load_mode, s->watermark_field,
				    s->watermark_from, s->watermark_to,
				    &s->stats, s->started_at, s->ended_at,
				    &s->error));
	}
	dxt_store_stream_run_list_free(&l);
	*out = run_json(run->id, run->pipeline, run->version, run->trigger,
			run->status, run->attempt, run->parent_id,
			run->created_at, run->started_at, run->ended_at,
			&run->stats, streams, &run->error, run->error_stream,
			run->options);
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

static int run_not_found(int rc, const char *id, struct dxt_error *err)
{
	if (rc == DXT_ENOTFOUND)
		dxt_error_set(err, rc, "no run with id \"%s\"", id);
	return rc;
}

int dxt_svc_run_get(struct dxt_service *svc, const char *id, json_t **out,
		    struct dxt_error *err)
{
	struct dxt_store_run run = {0};
	struct svc_run *r;
	int rc;

	*out = NULL;
	dxt__svc_lock(svc);
	r = dxt__svc_find_run(svc, id);
	if (r != NULL)
		*out = dxt__svc_run_json_live(r);
	dxt__svc_unlock(svc);
	if (r != NULL)
		return *out != NULL
			       ? DXT_OK
			       : dxt_error_set(err, DXT_ENOMEM, "out of memory");
	rc = dxt_store_run_get(svc->store, id, &run, err);
	if (rc == DXT_OK)
		rc = dxt__svc_run_json_stored(svc, &run, out, err);
	dxt_store_run_release(&run);
	return run_not_found(rc, id, err);
}

/* Checks {"streams": [...], "tags": [...]} against the pipeline's latest
 * version; *options is what the run records (NULL for an empty body). */
static int start_options(struct dxt_service *svc, const char *pipeline,
			 const json_t *body, json_t **options,
			 struct dxt_error *err)
{
	struct dxt_store_pipeline sp = {0};
	const json_t *streams, *tags, *v;
	const char *key;
	json_t *ids = NULL;
	size_t i, k;
	int rc = DXT_OK;

	*options = NULL;
	if (body == NULL || json_object_size(body) == 0)
		return DXT_OK;
	if (!json_is_object(body))
		return dxt_error_set(err, DXT_EINVAL,
				     "the body must be a JSON object: "
				     "{\"streams\": [...], \"tags\": [...]}");
	json_object_foreach((json_t *)body, key, v)
		if (strcmp(key, "streams") != 0 && strcmp(key, "tags") != 0)
			return dxt_error_set(err, DXT_EINVAL,
					     "unknown key \"%s\"; a run takes "
					     "\"streams\" and \"tags\"",
					     key);
	streams = json_object_get(body, "streams");
	tags = json_object_get(body, "tags");
	if (streams != NULL && !json_is_null(streams)) {
		if (!json_is_array(streams))
			return dxt_error_set(err, DXT_EINVAL,
					     "\"streams\" must be an array of "
					     "stream ids");
		rc = dxt_store_pipeline_get(svc->store, pipeline, 0, &sp, err);
		if (rc == DXT_ENOTFOUND)
			dxt_error_set(err, rc, "no pipeline named \"%s\"",
				      pipeline);
		if (rc != DXT_OK)
			return rc;
		ids = dxt__svc_doc_stream_ids(sp.document, sp.document_len,
					      sp.format);
		dxt_store_pipeline_release(&sp);
		json_array_foreach(streams, i, v) {
			bool known = false;
			json_t *id;

			if (!json_is_string(v)) {
				rc = dxt_error_set(err, DXT_EINVAL,
						   "streams[%zu] must be a "
						   "stream id (a string)",
						   i);
				break;
			}
			json_array_foreach(ids, k, id)
				if (strcmp(json_string_value(id),
					   json_string_value(v)) == 0)
					known = true;
			for (k = 0; k < i; k++)
				if (json_equal(json_array_get(streams, k), v))
					rc = dxt_error_set(
						err, DXT_EINVAL,
						"stream \"%s\" is named twice",
						json_string_value(v));
			if (rc == DXT_OK && !known) {
				char list[512];
				size_t n = 0;
				json_t *id2;

				list[0] = '\0';
				json_array_foreach(ids, k, id2)
					if (n < sizeof(list))
						n += (size_t)snprintf(
							list + n,
							sizeof(list) - n,
							"%s%s", k ? ", " : "",
							json_string_value(id2));
				rc = dxt_error_set(err, DXT_EINVAL,
						   "pipeline %s has no stream "
						   "\"%s\" (streams: %s)",
						   pipeline,
						   json_string_value(v), list);
			}
			if (rc != DXT_OK)
				break;
		}
		json_decref(ids);
		if (rc != DXT_OK)
			return rc;
	}
	if (tags != NULL && !json_is_null(tags)) {
		if (!json_is_array(tags))
			return dxt_error_set(err, DXT_EINVAL,
					     "\"tags\" must be an array of "
					     "strings");
		json_array_foreach(tags, i, v)
			if (!json_is_string(v))
				return dxt_error_set(err, DXT_EINVAL,
						     "tags[%zu] must be a "
						     "string",
						     i);
	}
	*options = json_object();
	if (*options == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	if (json_is_array(streams) && json_array_size(streams) > 0)
		json_object_set(*options, "streams", (json_t *)streams);
	if (json_is_array(tags))
		json_object_set(*options, "tags", (json_t *)tags);
	return DXT_OK;
}

int dxt_svc_run_start(struct dxt_service *svc, const char *pipeline,
		      const json_t *body, json_t **out,
		      struct dxt_error *err)
{
	struct svc_submit sub = {.pipeline = pipeline,
				 .trigger = DXT_TRIGGER_API};
	char id[SVC_ID_MAX];
	json_t *options = NULL;
	int rc;

	*out = NULL;
	rc = start_options(svc, pipeline, body, &options, err);
	if (rc != DXT_OK)
		return rc;
	sub.options = options;
	rc = dxt__svc_submit(svc, &sub, id, NULL, err);
	json_decref(options);
	if (rc == DXT_OK)
		rc = dxt_svc_run_get(svc, id, out, err);
	if (rc == DXT_OK)
		json_object_set_new(*out, "url", json_sprintf("/v1/runs/%s", id));
	return rc;
}

int dxt_svc_run_list(struct dxt_service *svc,
		     const struct dxt_run_filter *filter, json_t **out,
		     struct dxt_error *err)
{
	struct dxt_store_run_filter f = {0};
	struct dxt_store_run_list l = {0};
	json_t *runs;
	int rc;

	*out = NULL;
	if (filter->status != NULL && filter->status[0] != '\0') {
		if (!dxt_run_status_parse(filter->status, &f.status))
			return dxt_error_set(err, DXT_EINVAL,
					     "unknown status \"%s\"; one of "
					     "queued, running, succeeded, "
					     "failed, cancelled, interrupted",
					     filter->status);
		f.has_status = true;
	}
	if (filter->limit < 0 || filter->limit > DXT_STORE_LIST_MAX)
		return dxt_error_set(err, DXT_EINVAL,
				     "limit must be 1..%d (got %d)",
				     DXT_STORE_LIST_MAX, filter->limit);
	f.pipeline = filter->pipeline && filter->pipeline[0] ? filter->pipeline
							      : NULL;
	f.limit = filter->limit;
	f.after = filter->after && filter->after[0] ? filter->after : NULL;
	rc = dxt_store_run_list(svc->store, &f, &l, err);
	if (rc != DXT_OK)
		return rc;
	runs = json_array();
	for (size_t i = 0; runs != NULL && i < l.n; i++) {
		struct svc_run *r;
		json_t *o = NULL;

		dxt__svc_lock(svc);
		r = dxt__svc_find_run(svc, l.items[i].id);
		if (r != NULL)
			o = dxt__svc_run_json_live(r);
		dxt__svc_unlock(svc);
		if (r == NULL &&
		    dxt__svc_run_json_stored(svc, &l.items[i], &o, err) !=
			    DXT_OK)
			continue;
		if (o != NULL)
			json_array_append_new(runs, o);
	}
	*out = json_pack("{s:o, s:o}", "runs", runs ? runs : json_array(),
			 "next", l.next ? json_string(l.next) : json_null());
	dxt_store_run_list_free(&l);
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

int dxt_svc_run_cancel(struct dxt_service *svc, const char *id,
		       json_t **out, struct dxt_error *err)
{
	struct svc_run *r;
	bool first = false;

	*out = NULL;
	dxt__svc_lock(svc);
	r = dxt__svc_find_run(svc, id);
	if (r != NULL) {
		first = !atomic_exchange(&r->cancel, true);
		*out = dxt__svc_run_json_live(r);
	}
	dxt__svc_unlock(svc);
	if (r == NULL)
		/* A run that has ended is left as it is; its status says
		 * how it ended. */
		return dxt_svc_run_get(svc, id, out, err);
	if (first)
		dxt_log(DXT_LOG_INFO, id, NULL, "cancel requested");
	dxt__svc_wake(svc);
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

int dxt_svc_run_retry(struct dxt_service *svc, const char *id, json_t **out,
		      struct dxt_error *err)
{
	struct dxt_store_run run = {0};
	struct dxt_store_pipeline sp = {0};
	struct dxt_store_stream_run_list l = {0};
	struct svc_submit sub = {0};
	const json_t *asked;
	json_t *ids = NULL, *retry = NULL, *options = NULL, *v;
	char nid[SVC_ID_MAX], dir[PATH_MAX];
	bool active;
	size_t i;
	int rc;

	*out = NULL;
	dxt__svc_lock(svc);
	active = dxt__svc_find_run(svc, id) != NULL;
	dxt__svc_unlock(svc);
	if (active)
		return dxt_error_set(err, DXT_EEXISTS,
				     "run %s is still active; cancel it or "
				     "wait for it to end before retrying it",
				     id);
	rc = dxt_store_run_get(svc->store, id, &run, err);
	if (rc != DXT_OK)
		return run_not_found(rc, id, err);
	if (run.status != DXT_RUN_FAILED && run.status != DXT_RUN_CANCELLED &&
	    run.status != DXT_RUN_INTERRUPTED) {
		rc = dxt_error_set(err, DXT_EEXISTS,
				   "run %s is %s: only failed, cancelled and "
				   "interrupted runs can be retried",
				   id, dxt_run_status_name(run.status));
		goto out;
	}
	rc = dxt_store_pipeline_get(svc->store, run.pipeline, run.version, &sp,
				    err);
	if (rc == DXT_ENOTFOUND)
		rc = dxt_error_set(err, DXT_EEXISTS,
				   "run %s cannot be retried: pipeline %s "
				   "(version %d) was deleted",
				   id, run.pipeline, run.version);
	if (rc != DXT_OK)
		goto out;
	rc = dxt_store_stream_run_list(svc->store, id, &l, err);
	if (rc != DXT_OK)
		goto out;
	/* The streams the parent was asked to run, less those it loaded. */
	ids = dxt__svc_doc_stream_ids(sp.document, sp.document_len, sp.format);
	asked = run.options ? json_object_get(run.options, "streams") : NULL;
	retry = json_array();
	json_array_foreach(ids, i, v) {
		const char *sid = json_string_value(v);
		bool wanted = !json_is_array(asked) ||
			      json_array_size(asked) == 0;
		size_t k;
		json_t *a;

		json_array_foreach(asked, k, a)
			if (json_is_string(a) &&
			    strcmp(json_string_value(a), sid) == 0)
				wanted = true;
		for (k = 0; k < l.n; k++)
			if (strcmp(l.items[k].stream, sid) == 0 &&
			    l.items[k].phase == DXT_PHASE_LOADED)
				wanted = false;
		if (wanted)
			json_array_append(retry, v);
	}
	if (json_array_size(retry) == 0) {
		rc = dxt_error_set(err, DXT_EEXISTS,
				   "every stream of run %s loaded; nothing to "
				   "retry",
				   id);
		goto out;
	}
	options = json_pack("{s:O}", "streams", retry);
	if (options != NULL && run.options != NULL &&
	    json_object_get(run.options, "tags") != NULL)
		json_object_set(options, "tags",
				json_object_get(run.options, "tags"));
	if (run.spool_dir != NULL)
		snprintf(dir, sizeof(dir), "%s", run.spool_dir);
	else
		snprintf(dir, sizeof(dir), "%s/%s", svc->runs_dir, id);
	sub.pipeline = run.pipeline;
	sub.version = run.version;
	sub.trigger = DXT_TRIGGER_RETRY;
	sub.attempt = run.attempt + 1;
	sub.parent_id = id;
	sub.run_dir = dir;
	sub.options = options;
	rc = dxt__svc_submit(svc, &sub, nid, NULL, err);
	if (rc == DXT_OK) {
		dxt_log(DXT_LOG_INFO, nid, NULL,
			"retry of run %s (attempt %d): %zu stream%s", id,
			sub.attempt, json_array_size(retry),
			json_array_size(retry) == 1 ? "" : "s");
		rc = dxt_svc_run_get(svc, nid, out, err);
		if (rc == DXT_OK)
			json_object_set_new(*out, "url",
					    json_sprintf("/v1/runs/%s", nid));
	}
out:
	json_decref(options);
	json_decref(retry);
	json_decref(ids);
	dxt_store_stream_run_list_free(&l);
	dxt_store_pipeline_release(&sp);
	dxt_store_run_release(&run);
	return rc;
}

int dxt_svc_run_events(struct dxt_service *svc, const char *id,
		       json_t **out, struct dxt_error *err)
{
	struct dxt_store_event_list l = {0};
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	json_t *arr;
	int rc;

	*out = NULL;
	rc = dxt_store_event_list(svc->store, id, 0, 0, &l, err);
	if (rc != DXT_OK)
		return run_not_found(rc, id, err);
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < l.n; i++) {
		const struct dxt_store_event *e = &l.items[i];

		json_array_append_new(
			arr,
			json_pack("{s:I, s:o, s:s, s:s?, s:s}", "seq",
				  (json_int_t)e->seq, "time",
				  dxt__svc_time_json(e->time), "level",
				  (unsigned)e->level < 4 ? levels[e->level]
							 : "info",
				  "stream", e->stream, "message", e->message));
	}
	dxt_store_event_list_free(&l);
	*out = json_pack("{s:s, s:o}", "run", id, "events",
			 arr ? arr : json_array());
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}
