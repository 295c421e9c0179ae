/*
 * pipelines.c - /v1/pipelines: create, validate, list, show, replace,
 * delete, pause, resume, and the incremental state.
 */
#include "internal.h"

static enum dxt_doc_format doc_format(const struct dxt_api_call *c)
{
	return c->media == DXT_API_MEDIA_YAML ? DXT_DOC_YAML : DXT_DOC_JSON;
}

static bool need_document(const struct dxt_api_call *c,
			  struct dxt_api_reply *r)
{
	if (c->body_len > 0)
		return true;
	dxt_api_reply_error(r, 400, "missing_body", NULL,
			    "the request body is empty; send the pipeline "
			    "document as application/yaml or "
			    "application/json");
	return false;
}

/* POST /v1/pipelines and PUT /v1/pipelines/{name} differ only in the name
 * they pass and in what "exists" means to the service. */
static void put(const struct dxt_api_call *c, struct dxt_api_reply *r,
		const char *name)
{
	struct dxt_diags diags = {0};
	struct dxt_error err;
	json_t *out = NULL;
	bool created = false;
	int rc;

	if (!need_document(c, r))
		return;
	dxt_error_clear(&err);
	rc = dxt_svc_pipeline_put(c->svc, name, c->body, c->body_len,
				  doc_format(c), &out, &created, &diags, &err);
	if (rc == DXT_OK && created)
		dxt_api_reply_location(r, "/v1/pipelines/", out, "name");
	dxt_api_reply_result(r, rc, created ? 201 : 200, out, &err, &diags);
	dxt_diags_free(&diags);
}

void dxt__api_pipeline_create(const struct dxt_api_call *c,
			      struct dxt_api_reply *r)
{
	put(c, r, NULL);
}

void dxt__api_pipeline_put(const struct dxt_api_call *c,
			   struct dxt_api_reply *r)
{
	put(c, r, c->m->params[0]);
}

void dxt__api_pipeline_validate(const struct dxt_api_call *c,
				struct dxt_api_reply *r)
{
	struct dxt_diags diags = {0};
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	if (!need_document(c, r))
		return;
	dxt_error_clear(&err);
	rc = dxt_svc_pipeline_validate(c->svc, c->body, c->body_len,
				       doc_format(c), &out, &diags, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, &diags);
	dxt_diags_free(&diags);
}

void dxt__api_pipeline_list(const struct dxt_api_call *c,
			    struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_pipeline_list(c->svc, &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_pipeline_get(const struct dxt_api_call *c,
			   struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_pipeline_get(c->svc, c->m->params[0], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_pipeline_delete(const struct dxt_api_call *c,
			      struct dxt_api_reply *r)
{
	struct dxt_error err;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_pipeline_delete(c->svc, c->m->params[0], &err);
	dxt_api_reply_result(r, rc, 204, NULL, &err, NULL);
}

static void set_paused(const struct dxt_api_call *c,
		       struct dxt_api_reply *r, bool paused)
{
	struct dxt_error err;
	json_t *body, *out = NULL;
	int rc;

	/* The body carries nothing, but one that is sent must still be a
	 * JSON object, so a client's mistake is not silently ignored. */
	if (!dxt_api_body_object(c->body, c->body_len, false, r, &body))
		return;
	json_decref(body);
	dxt_error_clear(&err);
	rc = dxt_svc_pipeline_pause(c->svc, c->m->params[0], paused, &out,
				    &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_pipeline_pause(const struct dxt_api_call *c,
			     struct dxt_api_reply *r)
{
	set_paused(c, r, true);
}

void dxt__api_pipeline_resume(const struct dxt_api_call *c,
			      struct dxt_api_reply *r)
{
	set_paused(c, r, false);
}

void dxt__api_state_get(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_state_get(c->svc, c->m->params[0], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_state_set(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *body, *out = NULL;
	int rc;

	if (!dxt_api_body_object(c->body, c->body_len, true, r, &body))
		return;
	dxt_error_clear(&err);
	rc = dxt_svc_state_set(c->svc, c->m->params[0], body, &out, &err);
	json_decref(body);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_state_reset(const struct dxt_api_call *c,
			  struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_state_reset(c->svc, c->m->params[0], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}
