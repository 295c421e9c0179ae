/*
 * svc_pipelines.c - pipelines (create, validate, list, show, delete,
 * pause), their incremental state, the pipeline cache the scheduler reads,
 * and secrets: what is redacted when a document is shown and what is
 * scrubbed from messages.
 *
 * A pipeline is stored exactly as submitted, placeholders and all. It is
 * validated with interpolation from the daemon's environment (so a missing
 * variable is a 400 now, not a failed run later) but the interpolated
 * values never leave this process's memory.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/doc.h"
#include "log.h"
#include "svc_internal.h"

#define MASK "***"
/* Secrets shorter than this are not scrubbed from messages (see
 * svc_internal.h). */
#define SECRET_MIN 4

/* --- secrets ------------------------------------------------------------- */

bool dxt__svc_secret_key(const char *key)
{
	static const char *const words[] = {
		"password", "passwd", "secret", "token", "credential",
		"apikey", "api_key", "private_key", "privatekey", "access_key",
		"accesskey", NULL};
	static const char *const segs[] = {"key", "pwd", "pass", "auth", NULL};
	char low[256];
	size_t n = strlen(key), start = 0;

	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	low[n] = '\0';
	for (size_t i = 0; words[i] != NULL; i++)
		if (strstr(low, words[i]) != NULL)
			return true;
	/* camelCase "apiKey", "signingKey". */
	if (n > 3 && strcmp(key + n - 3, "Key") == 0)
		return true;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && isalnum((unsigned char)low[i]))
			continue;
		for (size_t k = 0; segs[k] != NULL; k++)
			if (i - start == strlen(segs[k]) &&
			    memcmp(low + start, segs[k], i - start) == 0)
				return true;
		start = i + 1;
	}
	return false;
}

/* Whether a scalar as written reads a file or a variable named like a
 * secret ("${DB_PASSWORD}", "${file:/run/secrets/pg}"). */
static bool placeholder_secretish(const char *raw)
{
	static const char *const words[] = {"PASS", "SECRET", "TOKEN", "KEY",
					    "CRED", "AUTH",   "PWD",   "PRIVATE",
					    NULL};
	const char *p = raw;

	while ((p = strstr(p, "${")) != NULL) {
		char name[128];
		size_t n = 0;

		p += 2;
		if (strncmp(p, "file:", 5) == 0)
			return true;
		while (p[n] != '\0' && p[n] != '}' && p[n] != ':' &&
		       n < sizeof(name) - 1) {
			name[n] = (char)toupper((unsigned char)p[n]);
			n++;
		}
		name[n] = '\0';
		for (size_t i = 0; words[i] != NULL; i++)
			if (strstr(name, words[i]) != NULL)
				return true;
	}
	return false;
}

static void secret_add(struct svc_secrets *s, const char *v)
{
	char **items;

	if (v == NULL || strlen(v) < SECRET_MIN)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i], v) == 0)
			return;
	items = realloc(s->items, (s->n + 1) * sizeof(*items));
	if (items == NULL)
		return;
	s->items = items;
	if ((s->items[s->n] = strdup(v)) != NULL)
		s->n++;
}

/* Walks the document as written (`raw`, marks from `rd`) and as
 * interpolated (`in`) side by side: interpolation never changes keys or
 * the shape of the tree. */
static void collect(const struct dxt_doc *rd, const json_t *raw,
		    const json_t *in, bool secret, struct svc_secrets *out)
{
	if (json_is_object(raw) && json_is_object(in)) {
		const char *key;
		json_t *rv;

		json_object_foreach((json_t *)raw, key, rv) {
			const json_t *iv = json_object_get(in, key);
			bool sk = secret || dxt__svc_secret_key(key);

			if (iv == NULL)
				continue;
			if (json_is_string(rv)) {
				if (sk ||
				    (dxt_doc_has_placeholder(rd, raw, key, 0) &&
				     placeholder_secretish(
					     json_string_value(rv))))
					secret_add(out, json_string_value(iv));
			} else {
				collect(rd, rv, iv, sk, out);
			}
		}
	} else if (json_is_array(raw) && json_is_array(in)) {
		size_t i;
		json_t *rv;

		json_array_foreach(raw, i, rv) {
			const json_t *iv = json_array_get(in, i);

			if (iv == NULL)
				continue;
			if (json_is_string(rv)) {
				if (secret ||
				    (dxt_doc_has_placeholder(rd, raw, NULL, i) &&
				     placeholder_secretish(
					     json_string_value(rv))))
					secret_add(out, json_string_value(iv));
			} else {
				collect(rd, rv, iv, secret, out);
			}
		}
	}
}

void dxt__svc_secrets_collect(const char *text, size_t len,
			      enum dxt_doc_format format,
			      const char *base_dir, struct svc_secrets *out)
{
	struct dxt_doc_opts o = {.format = format, .base_dir = base_dir};
	struct dxt_diags d1 = {0}, d2 = {0};
	struct dxt_doc *raw = NULL, *in = NULL;

	dxt_doc_parse(text, len, &o, &raw, &d1);
	o.interpolate = true;
	dxt_doc_parse(text, len, &o, &in, &d2);
	if (raw != NULL && in != NULL)
		collect(raw, dxt_doc_root(raw), dxt_doc_root(in), false, out);
	dxt_doc_destroy(raw);
	dxt_doc_destroy(in);
	dxt_diags_free(&d1);
	dxt_diags_free(&d2);
}

void dxt__svc_scrub(const struct svc_secrets *s, char *buf, size_t size)
{
	if (s == NULL || buf == NULL || size == 0)
		return;
	for (size_t i = 0; i < s->n; i++) {
		const char *sec = s->items[i];
		size_t sl = strlen(sec), ml = strlen(MASK);
		char *p = buf;

		/* sl >= SECRET_MIN > ml: the text only shrinks. */
		while ((p = strstr(p, sec)) != NULL) {
			memcpy(p, MASK, ml);
			memmove(p + ml, p + sl, strlen(p + sl) + 1);
			p += ml;
		}
	}
}

void dxt__svc_secrets_free(struct svc_secrets *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

static void scrub_diags(const struct svc_secrets *s, struct dxt_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->items[i].message != NULL)
			dxt__svc_scrub(s, d->items[i].message,
				       strlen(d->items[i].message) + 1);
		if (d->items[i].hint != NULL)
			dxt__svc_scrub(s, d->items[i].hint,
				       strlen(d->items[i].hint) + 1);
	}
}

/* Replaces every value under a key named like a secret by the mask. */
static void redact_keys(json_t *node)
{
	if (json_is_object(node)) {
		const char *key;
		json_t *v;
		void *tmp;

		json_object_foreach_safe(node, tmp, key, v) {
			if (dxt__svc_secret_key(key))
				json_object_set_new(node, key,
						    json_string(MASK));
			else
				redact_keys(v);
		}
	} else if (json_is_array(node)) {
		size_t i;
		json_t *v;

		json_array_foreach(node, i, v)
			redact_keys(v);
	}
}

/* --- the raw document ---------------------------------------------------- */

static struct dxt_doc *raw_doc(const char *text, size_t len,
			       enum dxt_doc_format format)
{
	struct dxt_doc_opts o = {.format = format};
	struct dxt_diags d = {0};
	struct dxt_doc *doc = NULL;

	dxt_doc_parse(text, len, &o, &doc, &d);
	dxt_diags_free(&d);
	return doc;
}

static json_t *stream_ids(const json_t *root)
{
	const json_t *streams = json_object_get(root, "streams");
	json_t *ids = json_array(), *s;
	size_t i;

	if (ids == NULL)
		return NULL;
	json_array_foreach(streams, i, s) {
		const json_t *id = json_object_get(s, "id");

		if (json_is_string(id))
			json_array_append(ids, (json_t *)id);
	}
	return ids;
}

json_t *dxt__svc_doc_stream_ids(const char *text, size_t len,
				enum dxt_doc_format format)
{
	struct dxt_doc *doc = raw_doc(text, len, format);
	json_t *ids = stream_ids(doc ? dxt_doc_root(doc) : NULL);

	dxt_doc_destroy(doc);
	return ids;
}

/* max_active_runs as written: an integer, or digits (a placeholder in a
 * JSON document is a string). */
static int doc_max_active(const json_t *root)
{
	const json_t *v = json_object_get(root, "max_active_runs");

	if (json_is_integer(v) && json_integer_value(v) >= 1 &&
	    json_integer_value(v) <= DXT_MAX_ACTIVE_RUNS)
		return (int)json_integer_value(v);
	if (json_is_string(v)) {
		long n = strtol(json_string_value(v), NULL, 10);

		if (n >= 1 && n <= DXT_MAX_ACTIVE_RUNS)
			return (int)n;
	}
	return 1;
}

/* --- the pipeline cache -------------------------------------------------- */

struct svc_pipe *dxt__svc_pipe_find(struct dxt_service *svc,
				    const char *name)
{
	for (struct svc_pipe *p = svc->pipes; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

void dxt__svc_pipe_load(struct dxt_service *svc,
			const struct dxt_store_pipeline *sp)
{
	struct dxt_doc *doc = raw_doc(sp->document, sp->document_len,
				      sp->format);
	const json_t *root = doc ? dxt_doc_root(doc) : NULL;
	const json_t *sched = json_object_get(root, "schedule");
	struct dxt_cron *cron = NULL;
	struct svc_pipe *p;
	struct dxt_error err;
	int max = doc_max_active(root);

	if (sched != NULL && !json_is_null(sched) &&
	    dxt_cron_from_json(sched, &cron, &err) != DXT_OK) {
		dxt_log(DXT_LOG_WARN, NULL, NULL,
			"pipeline %s is not scheduled: %s", sp->name,
			err.message);
		cron = NULL;
	}
	dxt_doc_destroy(doc);

	dxt__svc_lock(svc);
	p = dxt__svc_pipe_find(svc, sp->name);
	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL || (p->name = strdup(sp->name)) == NULL) {
			free(p);
			dxt__svc_unlock(svc);
			dxt_cron_free(cron);
			return;
		}
		p->next = svc->pipes;
		svc->pipes = p;
	}
	dxt_cron_free(p->cron);
	p->cron = cron;
	p->max_active = max;
	p->paused = sp->paused;
	p->next_fire = 0;
	if (cron != NULL) {
		p->next_fire = dxt_cron_next(cron, dxt_now_us());
		if (p->next_fire == INT64_MAX)
			p->next_fire = 0;
	}
	dxt__svc_unlock(svc);
}

static void pipe_free(struct svc_pipe *p)
{
	dxt_cron_free(p->cron);
	free(p->name);
	free(p);
}

/* Under the lock. */
static void pipe_remove(struct dxt_service *svc, const char *name)
{
	for (struct svc_pipe **pp = &svc->pipes; *pp != NULL;
	     pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0) {
			struct svc_pipe *p = *pp;

			*pp = p->next;
			pipe_free(p);
			return;
		}
	}
}

int dxt__svc_pipes_load_all(struct dxt_service *svc, struct dxt_error *err)
{
	struct dxt_store_pipeline_list l = {0};
	int rc;

	rc = dxt_store_pipeline_list(svc->store, &l, err);
	if (rc != DXT_OK)
		return rc;
	for (size_t i = 0; i < l.n; i++)
		dxt__svc_pipe_load(svc, &l.items[i]);
	dxt_store_pipeline_list_free(&l);
	return DXT_OK;
}

void dxt__svc_pipes_free(struct dxt_service *svc)
{
	struct svc_pipe *p, *next;

	for (p = svc->pipes; p != NULL; p = next) {
		next = p->next;
		pipe_free(p);
	}
	svc->pipes = NULL;
}

/* --- rendering ----------------------------------------------------------- */

/* The fields GET /v1/pipelines lists; with `full`, the redacted document
 * and the versions too. */
static int pipeline_json(struct dxt_service *svc,
			 const struct dxt_store_pipeline *sp, bool full,
			 json_t **out, struct dxt_error *err)
{
	struct dxt_doc *doc = raw_doc(sp->document, sp->document_len,
				      sp->format);
	const json_t *root = doc ? dxt_doc_root(doc) : NULL;
	json_t *o, *sched = json_null(), *next = json_null();
	struct svc_pipe *p;

	dxt__svc_lock(svc);
	p = dxt__svc_pipe_find(svc, sp->name);
	if (p != NULL && p->cron != NULL) {
		json_decref(sched);
		sched = json_string(dxt_cron_text(p->cron));
		if (!p->paused && p->next_fire > 0) {
			json_decref(next);
			next = dxt__svc_time_json(p->next_fire);
		}
	}
	dxt__svc_unlock(svc);
	o = json_object();
	if (o == NULL) {
		json_decref(sched);
		json_decref(next);
		dxt_doc_destroy(doc);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	json_object_set_new(o, "name", json_string(sp->name));
	json_object_set_new(o, "version", json_integer(sp->latest_version));
	json_object_set_new(o, "paused", json_boolean(sp->paused));
	json_object_set_new(o, "schedule", sched);
	json_object_set_new(o, "max_active_runs",
			    json_integer(doc_max_active(root)));
	json_object_set_new(o, "streams", stream_ids(root));
	json_object_set_new(o, "created_at",
			    dxt__svc_time_json(sp->created_at));
	json_object_set_new(o, "updated_at",
			    dxt__svc_time_json(sp->updated_at));
	json_object_set_new(o, "next_run_at", next);
	if (full) {
		struct dxt_store_version_list vl = {0};
		json_t *versions = json_array(), *redacted = json_null();

		if (doc != NULL) {
			json_decref(redacted);
			redacted = dxt_doc_redacted(doc, root, MASK);
			redact_keys(redacted);
		}
		json_object_set_new(o, "format",
				    json_string(sp->format == DXT_DOC_JSON
							? "json"
							: "yaml"));
		json_object_set_new(o, "document",
				    redacted ? redacted : json_null());
		if (dxt_store_pipeline_versions(svc->store, sp->name, &vl,
						err) == DXT_OK) {
			for (size_t i = 0; i < vl.n; i++)
				json_array_append_new(
					versions,
					json_pack("{s:i, s:s, s:I, s:o}",
						  "version", vl.items[i].version,
						  "format",
						  vl.items[i].format ==
								  DXT_DOC_JSON
							  ? "json"
							  : "yaml",
						  "bytes",
						  (json_int_t)vl.items[i]
							  .document_len,
						  "created_at",
						  dxt__svc_time_json(
							  vl.items[i]
								  .created_at)));
		}
		dxt_store_version_list_free(&vl);
		json_object_set_new(o, "versions", versions);
	}
	dxt_doc_destroy(doc);
	*out = o;
	return DXT_OK;
}

/* --- validation ---------------------------------------------------------- */

/*
 * Validates a submitted document: the pipeline parser (with interpolation
 * and class resolution), the schedule, and, for PUT, the name. Every
 * problem goes to `diags`, scrubbed of the document's secrets. On DXT_OK
 * *out (MAY be NULL) is the parsed pipeline.
 */
static int validate(struct dxt_service *svc, const char *body, size_t len,
		    enum dxt_doc_format format, const char *name,
		    struct dxt_pipeline **out, struct dxt_diags *diags,
		    struct dxt_error *err)
{
	struct dxt_parse_opts po = {0};
	struct dxt_pipeline *p = NULL;
	struct svc_secrets sec = {0};
	struct dxt_doc *doc;
	const json_t *root;
	int rc;

	if (out != NULL)
		*out = NULL;
	po.format = format;
	po.interpolate = true;
	po.base_dir = svc->base_dir;
	po.resolver = svc->resolver;
	rc = dxt_pipeline_parse(body, len, &po, &p, diags);
	if (rc == DXT_EPARSE || rc == DXT_ENOMEM) {
		dxt__svc_secrets_collect(body, len, format, svc->base_dir,
					 &sec);
		scrub_diags(&sec, diags);
		dxt__svc_secrets_free(&sec);
		return dxt_error_set(err, rc,
				     rc == DXT_EPARSE
					     ? "the pipeline document is "
					       "malformed"
					     : "out of memory");
	}
	doc = raw_doc(body, len, format);
	root = doc ? dxt_doc_root(doc) : NULL;
	if (root != NULL) {
		const json_t *sched = json_object_get(root, "schedule");
		const json_t *nm = json_object_get(root, "name");
		struct dxt_cron *cron = NULL;
		struct dxt_error ce;

		if (sched != NULL && !json_is_null(sched) &&
		    dxt_cron_from_json(sched, &cron, &ce) != DXT_OK) {
			const struct dxt_doc_mark *m =
				dxt_doc_member(doc, root, "schedule");
			const char *msg = ce.message;

			if (strncmp(msg, "schedule: ", 10) == 0)
				msg += 10;
			dxt_diags_add(diags, "schedule", m ? m->line : 0,
				      m ? m->column : 0,
				      "write a cron expression (\"0 3 * * "
				      "*\"), a macro (\"@daily\") or an "
				      "interval (\"@every 15m\")",
				      "%s", msg);
			rc = DXT_ECONFIG;
		}
		dxt_cron_free(cron);
		if (name != NULL && json_is_string(nm) &&
		    strcmp(json_string_value(nm), name) != 0) {
			const struct dxt_doc_mark *m =
				dxt_doc_member(doc, root, "name");

			dxt_diags_add(diags, "name", m ? m->line : 0,
				      m ? m->column : 0,
				      "send it to PUT /v1/pipelines/<its "
				      "name>, or change the name",
				      "the document names pipeline \"%s\", "
				      "the request's path \"%s\"",
				      json_string_value(nm), name);
			rc = DXT_ECONFIG;
		}
	}
	dxt_doc_destroy(doc);
	if (rc != DXT_OK) {
		dxt__svc_secrets_collect(body, len, format, svc->base_dir,
					 &sec);
		scrub_diags(&sec, diags);
		dxt__svc_secrets_free(&sec);
		dxt_pipeline_destroy(p);
		return dxt_error_set(err, DXT_ECONFIG,
				     "the pipeline is invalid: %zu problem%s",
				     diags->n, diags->n == 1 ? "" : "s");
	}
	if (out != NULL)
		*out = p;
	else
		dxt_pipeline_destroy(p);
	return DXT_OK;
}

/* --- pipelines ----------------------------------------------------------- */

int dxt_svc_pipeline_put(struct dxt_service *svc, const char *name,
			 const char *body, size_t len,
			 enum dxt_doc_format format, json_t **out,
			 bool *created, struct dxt_diags *diags,
			 struct dxt_error *err)
{
	struct dxt_store_pipeline sp = {0};
	struct dxt_pipeline *p = NULL;
	bool is_new = false;
	int rc, version = 0;

	*out = NULL;
	if (created != NULL)
		*created = false;
	rc = validate(svc, body, len, format, name, &p, diags, err);
	if (rc != DXT_OK)
		return rc;
	rc = dxt_store_pipeline_put(svc->store, p->name, body, len, format,
				    name == NULL, &version, &is_new, err);
	if (rc == DXT_EEXISTS)
		dxt_error_set(err, rc,
			      "a pipeline named \"%s\" exists; replace it "
			      "with PUT /v1/pipelines/%s",
			      p->name, p->name);
	if (rc == DXT_OK)
		rc = dxt_store_pipeline_get(svc->store, p->name, 0, &sp, err);
	if (rc == DXT_OK) {
		dxt__svc_pipe_load(svc, &sp);
		dxt__svc_wake(svc);
		dxt_log(DXT_LOG_INFO, NULL, NULL, "pipeline %s version %d %s",
			p->name, version, is_new ? "created" : "stored");
		rc = pipeline_json(svc, &sp, true, out, err);
		if (created != NULL)
			*created = is_new;
	}
	dxt_store_pipeline_release(&sp);
	dxt_pipeline_destroy(p);
	return rc;
}

int dxt_svc_pipeline_validate(struct dxt_service *svc, const char *body,
			      size_t len, enum dxt_doc_format format,
			      json_t **out, struct dxt_diags *diags,
			      struct dxt_error *err)
{
	struct dxt_pipeline *p = NULL;
	json_t *ids;
	int rc;

	*out = NULL;
	rc = validate(svc, body, len, format, NULL, &p, diags, err);
	if (rc != DXT_OK)
		return rc;
	ids = json_array();
	for (size_t i = 0; ids != NULL && i < p->nstreams; i++)
		json_array_append_new(ids, json_string(p->streams[i].id));
	*out = json_pack("{s:b, s:s, s:o}", "valid", 1, "name", p->name,
			 "streams", ids ? ids : json_array());
	dxt_pipeline_destroy(p);
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

int dxt_svc_pipeline_list(struct dxt_service *svc, json_t **out,
			  struct dxt_error *err)
{
	struct dxt_store_pipeline_list l = {0};
	json_t *arr;
	int rc;

	*out = NULL;
	rc = dxt_store_pipeline_list(svc->store, &l, err);
	if (rc != DXT_OK)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < l.n; i++) {
		json_t *o;

		if (pipeline_json(svc, &l.items[i], false, &o, err) == DXT_OK)
			json_array_append_new(arr, o);
	}
	dxt_store_pipeline_list_free(&l);
	if (arr == NULL || (*out = json_pack("{s:o}", "pipelines", arr)) ==
				   NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

static int not_found(int rc, const char *name, struct dxt_error *err)
{
	if (rc == DXT_ENOTFOUND)
		dxt_error_set(err, rc, "no pipeline named \"%s\"", name);
	return rc;
}

int dxt_svc_pipeline_get(struct dxt_service *svc, const char *name,
			 json_t **out, struct dxt_error *err)
{
	struct dxt_store_pipeline sp = {0};
	int rc;

	*out = NULL;
	rc = dxt_store_pipeline_get(svc->store, name, 0, &sp, err);
	if (rc == DXT_OK)
		rc = pipeline_json(svc, &sp, true, out, err);
	dxt_store_pipeline_release(&sp);
	return not_found(rc, name, err);
}

/* Under the lock: refuses when a run of the pipeline is active. */
static int refuse_active(struct dxt_service *svc, const char *name,
			 const char *what, struct dxt_error *err)
{
	const char *first;
	size_t n = dxt__svc_active_of(svc, name, &first);

	if (n == 0)
		return DXT_OK;
	return dxt_error_set(err, DXT_EEXISTS,
			     "cannot %s pipeline %s while run %s is active; "
			     "cancel it or wait for it to finish",
			     what, name, first);
}

int dxt_svc_pipeline_delete(struct dxt_service *svc, const char *name,
			    struct dxt_error *err)
{
	int rc;

	/* The lock is held across the store call so that no run of the
	 * pipeline can start between the check and the delete. */
	dxt__svc_lock(svc);
	rc = refuse_active(svc, name, "delete", err);
	if (rc == DXT_OK)
		rc = dxt_store_pipeline_delete(svc->store, name, err);
	if (rc == DXT_OK)
		pipe_remove(svc, name);
	dxt__svc_unlock(svc);
	if (rc == DXT_OK) {
		dxt_log(DXT_LOG_INFO, NULL, NULL, "pipeline %s deleted", name);
		dxt__svc_wake(svc);
	}
	return not_found(rc, name, err);
}

int dxt_svc_pipeline_pause(struct dxt_service *svc, const char *name,
			   bool paused, json_t **out, struct dxt_error *err)
{
	struct dxt_store_pipeline sp = {0};
	int rc;

	*out = NULL;
	rc = dxt_store_pipeline_set_paused(svc->store, name, paused, err);
	if (rc == DXT_OK)
		rc = dxt_store_pipeline_get(svc->store, name, 0, &sp, err);
	if (rc == DXT_OK) {
		dxt__svc_pipe_load(svc, &sp);
		dxt__svc_wake(svc);
		dxt_log(DXT_LOG_INFO, NULL, NULL, "pipeline %s %s", name,
			paused ? "paused" : "resumed");
		rc = pipeline_json(svc, &sp, false, out, err);
	}
	dxt_store_pipeline_release(&sp);
	return not_found(rc, name, err);
}

/* --- incremental state --------------------------------------------------- */

/* The watermarks of a list as an object keyed by stream; `time_key` names
 * the member that holds when each was recorded. */
static json_t *watermarks_json(const struct dxt_store_watermark_list *l,
			       const char *time_key)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj != NULL && i < l->n; i++) {
		const struct dxt_store_watermark *w = &l->items[i];

		json_object_set_new(
			obj, w->stream,
			json_pack("{s:s, s:O, s:o, s:s?}", "field", w->field,
				  "value", w->value, time_key,
				  dxt__svc_time_json(w->updated_at), "run",
				  w->run_id));
	}
	return obj;
}

int dxt_svc_state_get(struct dxt_service *svc, const char *name,
		      json_t **out, struct dxt_error *err)
{
	struct dxt_store_watermark_list l = {0}, pl = {0};
	json_t *streams, *pending;
	int rc;

	*out = NULL;
	rc = dxt_store_watermark_list(svc->store, name, &l, err);
	if (rc == DXT_OK)
		rc = dxt_store_watermark_pending(svc->store, name, &pl, err);
	if (rc != DXT_OK) {
		dxt_store_watermark_list_free(&l);
		return not_found(rc, name, err);
	}
	streams = watermarks_json(&l, "updated_at");
	pending = watermarks_json(&pl, "since");
	dxt_store_watermark_list_free(&l);
	dxt_store_watermark_list_free(&pl);
	*out = json_pack("{s:s, s:o, s:o}", "pipeline", name, "streams",
			 streams, "pending", pending);
	return *out != NULL ? DXT_OK
			    : dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

/* The watermark field of a stream of the pipeline's latest version, or
 * NULL (written into buf). */
static const char *stream_field(struct dxt_service *svc,
				const struct dxt_store_pipeline *sp,
				const char *stream, char *buf, size_t len)
{
	struct dxt_parse_opts po = {0};
	struct dxt_diags d = {0};
	struct dxt_pipeline *p = NULL;
	const struct dxt_stream *st;
	const char *res = NULL;

	po.format = sp->format;
	po.interpolate = true;
	po.base_dir = svc->base_dir;
	if (dxt_pipeline_parse(sp->document, sp->document_len, &po, &p, &d) ==
		    DXT_OK &&
	    (st = dxt_pipeline_stream(p, stream)) != NULL &&
	    st->extract.watermark_field != NULL) {
		snprintf(buf, len, "%s", st->extract.watermark_field);
		res = buf;
	}
	dxt_diags_free(&d);
	dxt_pipeline_destroy(p);
	return res;
}

int dxt_svc_state_set(struct dxt_service *svc, const char *name,
		      const json_t *body, json_t **out,
		      struct dxt_error *err)
{
	struct dxt_store_pipeline sp = {0};
	const json_t *streams, *v;
	const char *key;
	json_t *ids = NULL, *fields = NULL;
	int rc;

	*out = NULL;
	rc = dxt_store_pipeline_get(svc->store, name, 0, &sp, err);
	if (rc != DXT_OK)
		return not_found(rc, name, err);
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "streams") != 0 && strcmp(key, "pipeline") != 0
		    && strcmp(key, "pending") != 0) {
			rc = dxt_error_set(err, DXT_EINVAL,
					   "unknown key \"%s\" in the state; "
					   "send {\"streams\": {\"<stream>\": "
					   "{\"field\": ..., \"value\": ...}}}",
					   key);
			goto out;
		}
	}
	streams = json_object_get(body, "streams");
	if (!json_is_object(streams)) {
		rc = dxt_error_set(err, DXT_EINVAL,
				   "the state needs \"streams\": an object of "
				   "{\"field\": ..., \"value\": ...} by stream "
				   "id");
		goto out;
	}
	ids = dxt__svc_doc_stream_ids(sp.document, sp.document_len, sp.format);
	fields = json_object();
	/* Everything is checked before anything is written. */
	json_object_foreach((json_t *)streams, key, v) {
		const json_t *value = json_object_get(v, "value");
		const json_t *field = json_object_get(v, "field");
		bool known = false;
		char buf[256];
		const char *f;
		size_t i;
		json_t *id;

		json_array_foreach(ids, i, id)
			if (strcmp(json_string_value(id), key) == 0)
				known = true;
		if (!known) {
			rc = dxt_error_set(err, DXT_EINVAL,
					   "pipeline %s has no stream \"%s\"",
					   name, key);
			goto out;
		}
		if (!json_is_object(v) || value == NULL ||
		    json_is_null(value) || json_is_object(value) ||
		    json_is_array(value) ||
		    (field != NULL && !json_is_string(field))) {
			rc = dxt_error_set(err, DXT_EINVAL,
					   "streams.%s: expected {\"field\": "
					   "\"<column>\", \"value\": <string, "
					   "number or boolean>}",
					   key);
			goto out;
		}
		f = field ? json_string_value(field)
			  : stream_field(svc, &sp, key, buf, sizeof(buf));
		if (f == NULL) {
			rc = dxt_error_set(err, DXT_EINVAL,
					   "streams.%s: name the \"field\" "
					   "(the stream has no "
					   "watermark_field)",
					   key);
			goto out;
		}
		json_object_set_new(fields, key, json_string(f));
	}
	dxt__svc_lock(svc);
	rc = refuse_active(svc, name, "set the state of", err);
	json_object_foreach((json_t *)streams, key, v) {
		if (rc != DXT_OK)
			break;
		rc = dxt_store_watermark_set(
			svc->store, name, key,
			json_string_value(json_object_get(fields, key)),
			json_object_get(v, "value"), NULL, err);
	}
	dxt__svc_unlock(svc);
	if (rc == DXT_OK) {
		dxt_log(DXT_LOG_INFO, NULL, NULL,
			"pipeline %s: incremental state set", name);
		rc = dxt_svc_state_get(svc, name, out, err);
	}
out:
	json_decref(fields);
	json_decref(ids);
	dxt_store_pipeline_release(&sp);
	return rc;
}

int dxt_svc_state_reset(struct dxt_service *svc, const char *name,
			json_t **out, struct dxt_error *err)
{
	int rc;

	*out = NULL;
	dxt__svc_lock(svc);
	rc = refuse_active(svc, name, "reset the state of", err);
	if (rc == DXT_OK)
		rc = dxt_store_watermark_reset(svc->store, name, NULL, err);
	dxt__svc_unlock(svc);
	if (rc != DXT_OK)
		return not_found(rc, name, err);
	dxt_log(DXT_LOG_INFO, NULL, NULL, "pipeline %s: incremental state reset",
		name);
	return dxt_svc_state_get(svc, name, out, err);
}
