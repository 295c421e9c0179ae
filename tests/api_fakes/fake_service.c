/*
 * fake_service.c - the rules described in fake_service.h.
 */
#include "fake_service.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/doc.h"

struct dxt_service {
	pthread_mutex_t lock;
	int calls;
	char last[512];
	bool ready;
	char file[4096];
};

struct dxt_service *fake_service_create(void)
{
	struct dxt_service *s = calloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	s->ready = true;
	return s;
}

void fake_service_destroy(struct dxt_service *svc)
{
	pthread_mutex_destroy(&svc->lock);
	free(svc);
}

void fake_service_set_ready(struct dxt_service *svc, bool ready)
{
	svc->ready = ready;
}

void fake_service_set_file(struct dxt_service *svc, const char *path)
{
	snprintf(svc->file, sizeof(svc->file), "%s", path);
}

int fake_service_calls(struct dxt_service *svc)
{
	int n;

	pthread_mutex_lock(&svc->lock);
	n = svc->calls;
	pthread_mutex_unlock(&svc->lock);
	return n;
}

void fake_service_last(struct dxt_service *svc, char *buf, size_t len)
{
	pthread_mutex_lock(&svc->lock);
	snprintf(buf, len, "%s", svc->last);
	pthread_mutex_unlock(&svc->lock);
}

void fake_service_reset(struct dxt_service *svc)
{
	pthread_mutex_lock(&svc->lock);
	svc->calls = 0;
	svc->last[0] = '\0';
	pthread_mutex_unlock(&svc->lock);
}

static void record(struct dxt_service *svc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void record(struct dxt_service *svc, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&svc->lock);
	svc->calls++;
	va_start(ap, fmt);
	vsnprintf(svc->last, sizeof(svc->last), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&svc->lock);
}

/* The shared rules on a name or id; DXT_OK when none applies. */
static int rule(const char *key, struct dxt_error *err)
{
	if (strcmp(key, "missing") == 0)
		return dxt_error_set(err, DXT_ENOTFOUND, "\"%s\" not found",
				     key);
	if (strcmp(key, "busy") == 0)
		return dxt_error_set(err, DXT_EEXISTS,
				     "\"%s\" has an active run", key);
	if (strcmp(key, "full") == 0)
		return dxt_error_set(err, DXT_ELIMIT,
				     "the spool quota is used up");
	if (strcmp(key, "boom") == 0)
		return dxt_error_set(err, DXT_EIO, "state store: disk I/O "
						   "error");
	if (strcmp(key, "slow") == 0) {
		struct timespec ts = {0, 300 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	return DXT_OK;
}

/* "name: x" on the first line of a YAML body, or "p" */
static void doc_name(const char *body, size_t len, char *out, size_t n)
{
	size_t i = 0;

	snprintf(out, n, "p");
	if (len < 6 || memcmp(body, "name: ", 6) != 0)
		return;
	while (6 + i < len && body[6 + i] != '\n' && i + 1 < n) {
		out[i] = body[6 + i];
		i++;
	}
	out[i] = '\0';
}

static int check_doc(const char *body, size_t len, struct dxt_diags *diags,
		     struct dxt_error *err)
{
	if (memmem(body, len, "malformed", 9) != NULL) {
		dxt_diags_add(diags, "", 3, 5, NULL,
			      "did not find expected key");
		return dxt_error_set(err, DXT_EPARSE,
				     "malformed YAML at line 3, column 5");
	}
	if (memmem(body, len, "invalid", 7) != NULL) {
		dxt_diags_add(diags, "streams[0].load.mode", 14, 13,
			      "use append, replace or upsert",
			      "\"merge\" is not one of append, replace, "
			      "upsert");
		dxt_diags_add(diags, "streams[1].id", 20, 9, NULL,
			      "duplicate stream id \"orders\"");
		return dxt_error_set(err, DXT_ECONFIG,
				     "the pipeline has 2 problems");
	}
	return DXT_OK;
}

int dxt_svc_pipeline_put(struct dxt_service *svc, const char *name,
			 const char *body, size_t len,
			 enum dxt_doc_format format, json_t **out,
			 bool *created, struct dxt_diags *diags,
			 struct dxt_error *err)
{
	char dn[128];
	int rc;

	doc_name(body, len, dn, sizeof(dn));
	record(svc, "pipeline_put name=%s format=%s len=%zu doc=%s",
	       name ? name : "(null)",
	       format == DXT_DOC_YAML ? "yaml" : "json", len, dn);
	if ((rc = check_doc(body, len, diags, err)) != DXT_OK)
		return rc;
	if (name == NULL && strcmp(dn, "busy") == 0)
		return dxt_error_set(err, DXT_EEXISTS,
				     "a pipeline named \"busy\" exists; PUT "
				     "/v1/pipelines/busy to replace it");
	*created = name == NULL || strcmp(name, "new") == 0;
	*out = json_pack("{s:s, s:i}", "name", name ? name : dn, "version",
			 *created ? 1 : 2);
	return DXT_OK;
}

int dxt_svc_pipeline_validate(struct dxt_service *svc, const char *body,
			      size_t len, enum dxt_doc_format format,
			      json_t **out, struct dxt_diags *diags,
			      struct dxt_error *err)
{
	int rc;

	record(svc, "pipeline_validate format=%s len=%zu",
	       format == DXT_DOC_YAML ? "yaml" : "json", len);
	if ((rc = check_doc(body, len, diags, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:b, s:s, s:[]}", "valid", 1, "name", "p",
			 "streams");
	return DXT_OK;
}

int dxt_svc_pipeline_list(struct dxt_service *svc, json_t **out,
			  struct dxt_error *err)
{
	record(svc, "pipeline_list");
	*out = json_pack("{s:[]}", "pipelines");
	return DXT_OK;
}

int dxt_svc_pipeline_get(struct dxt_service *svc, const char *name,
			 json_t **out, struct dxt_error *err)
{
	int rc;

	record(svc, "pipeline_get name=%s", name);
	if ((rc = rule(name, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:s, s:i}", "name", name, "version", 1);
	return DXT_OK;
}

int dxt_svc_pipeline_delete(struct dxt_service *svc, const char *name,
			    struct dxt_error *err)
{
	record(svc, "pipeline_delete name=%s", name);
	return rule(name, err);
}

int dxt_svc_pipeline_pause(struct dxt_service *svc, const char *name,
			   bool paused, json_t **out, struct dxt_error *err)
{
	int rc;

	record(svc, "pipeline_pause name=%s paused=%d", name, paused);
	if ((rc = rule(name, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:s, s:b}", "name", name, "paused", paused);
	return DXT_OK;
}

int dxt_svc_state_get(struct dxt_service *svc, const char *name,
		      json_t **out, struct dxt_error *err)
{
	int rc;

	record(svc, "state_get name=%s", name);
	if ((rc = rule(name, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:s, s:{}}", "pipeline", name, "streams");
	return DXT_OK;
}

int dxt_svc_state_set(struct dxt_service *svc, const char *name,
		      const json_t *body, json_t **out,
		      struct dxt_error *err)
{
	int rc;

	record(svc, "state_set name=%s", name);
	if ((rc = rule(name, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:s, s:O}", "pipeline", name, "streams",
			 json_object_get(body, "streams"));
	return DXT_OK;
}

int dxt_svc_state_reset(struct dxt_service *svc, const char *name,
			json_t **out, struct dxt_error *err)
{
	int rc;

	record(svc, "state_reset name=%s", name);
	if ((rc = rule(name, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:s, s:{}}", "pipeline", name, "streams");
	return DXT_OK;
}

/* A run status shaped like DESIGN.md's example. */
static json_t *run_status(const char *id, const char *pipeline,
			  const char *status)
{
	return json_pack(
		"{s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:n,"
		" s:{s:i, s:i, s:i, s:i},"
		" s:[{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:i, s:i, s:i,"
		" s:n}], s:n}",
		"id", id, "pipeline", pipeline, "version", 3, "trigger", "api",
		"status", status, "attempt", 1, "created_at",
		"2024-05-01T10:00:00Z", "started_at", "2024-05-01T10:00:01Z",
		"ended_at", "stats", "rows_extracted", 1000, "rows_loaded",
		500, "bytes_staged", 65536, "rows_rejected", 0, "streams",
		"id", "orders", "phase", "loading", "extract_mode",
		"incremental", "load_mode", "upsert", "watermark", "field",
		"updated_at", "from", "2024-04-30T00:00:00Z", "to",
		"2024-05-01T00:00:00Z", "rows_extracted", 1000, "rows_loaded",
		500, "bytes_staged", 65536, "error", "error");
}

int dxt_svc_run_start(struct dxt_service *svc, const char *pipeline,
		      const json_t *body, json_t **out,
		      struct dxt_error *err)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)
			  : NULL;
	int rc;

	record(svc, "run_start pipeline=%s body=%s", pipeline,
	       text ? text : "(null)");
	free(text);
	if ((rc = rule(pipeline, err)) != DXT_OK)
		return rc;
	*out = run_status("run-1", pipeline, "queued");
	return DXT_OK;
}

int dxt_svc_run_list(struct dxt_service *svc,
		     const struct dxt_run_filter *f, json_t **out,
		     struct dxt_error *err)
{
	record(svc, "run_list pipeline=%s status=%s limit=%d after=%s",
	       f->pipeline ? f->pipeline : "(null)",
	       f->status ? f->status : "(null)", f->limit,
	       f->after ? f->after : "(null)");
	*out = json_pack("{s:[], s:n}", "runs", "next");
	return DXT_OK;
}

int dxt_svc_run_get(struct dxt_service *svc, const char *id, json_t **out,
		    struct dxt_error *err)
{
	int rc;

	record(svc, "run_get id=%s", id);
	if ((rc = rule(id, err)) != DXT_OK)
		return rc;
	*out = run_status(id, "pg_to_s3", "running");
	return DXT_OK;
}

int dxt_svc_run_cancel(struct dxt_service *svc, const char *id,
		       json_t **out, struct dxt_error *err)
{
	int rc;

	record(svc, "run_cancel id=%s", id);
	if ((rc = rule(id, err)) != DXT_OK)
		return rc;
	*out = run_status(id, "pg_to_s3", "cancelled");
	return DXT_OK;
}

int dxt_svc_run_retry(struct dxt_service *svc, const char *id, json_t **out,
		      struct dxt_error *err)
{
	int rc;

	record(svc, "run_retry id=%s", id);
	if ((rc = rule(id, err)) != DXT_OK)
		return rc;
	*out = run_status("run-2", "pg_to_s3", "queued");
	return DXT_OK;
}

int dxt_svc_run_events(struct dxt_service *svc, const char *id,
		       json_t **out, struct dxt_error *err)
{
	int rc;

	record(svc, "run_events id=%s", id);
	if ((rc = rule(id, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:[]}", "events");
	return DXT_OK;
}

int dxt_svc_buffer_list(struct dxt_service *svc, const char *id,
			json_t **out, struct dxt_error *err)
{
	int rc;

	record(svc, "buffer_list id=%s", id);
	if ((rc = rule(id, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:s, s:[]}", "run", id, "streams");
	return DXT_OK;
}

int dxt_svc_buffer_records(struct dxt_service *svc, const char *id,
			   const char *stream, uint64_t limit,
			   uint64_t offset, json_t **out,
			   struct dxt_error *err)
{
	int rc;

	record(svc, "buffer_records id=%s stream=%s limit=%llu offset=%llu",
	       id, stream, (unsigned long long)limit,
	       (unsigned long long)offset);
	if ((rc = rule(stream, err)) != DXT_OK)
		return rc;
	*out = json_pack("{s:s, s:I, s:I, s:[]}", "stream", stream, "limit",
			 (json_int_t)limit, "offset", (json_int_t)offset,
			 "records");
	return DXT_OK;
}

int dxt_svc_buffer_file(struct dxt_service *svc, const char *id,
			const char *stream, const char *name, int *fd,
			uint64_t *size, struct dxt_error *err)
{
	struct stat st;
	int rc;

	record(svc, "buffer_file id=%s stream=%s name=%s", id, stream, name);
	if ((rc = rule(name, err)) != DXT_OK)
		return rc;
	*fd = open(svc->file, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) != 0)
		return dxt_error_set(err, DXT_EIO, "cannot open %s",
				     svc->file);
	*size = (uint64_t)st.st_size;
	return DXT_OK;
}

int dxt_svc_operators(struct dxt_service *svc, json_t **out,
		      struct dxt_error *err)
{
	record(svc, "operators");
	*out = json_pack("{s:[{s:s, s:s}]}", "operators", "class",
			 "dxt.providers.sqlite.SQLiteLoader", "kind", "loader");
	return DXT_OK;
}

bool dxt_svc_ready(struct dxt_service *svc, json_t **out)
{
	record(svc, "ready");
	*out = json_pack("{s:s, s:{s:b}}", "status",
			 svc->ready ? "ready" : "not ready", "checks",
			 "state_store", svc->ready);
	return svc->ready;
}

int dxt_svc_metrics(struct dxt_service *svc, struct dxt_buf *out)
{
	record(svc, "metrics");
	return dxt_buf_puts(out, "# TYPE dxtd_runs_total counter\n"
				 "dxtd_runs_total{status=\"succeeded\"} 3\n");
}
