/*
 * runs.c - starting runs and /v1/runs: list, status, cancel, retry, events.
 */
#include "internal.h"

void dxt__api_run_start(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *body, *out = NULL;
	int rc;

	if (!dxt_api_body_object(c->body, c->body_len, false, r, &body))
		return;
	dxt_error_clear(&err);
	rc = dxt_svc_run_start(c->svc, c->m->params[0], body, &out, &err);
	json_decref(body);
	if (rc == DXT_OK)
		dxt_api_reply_location(r, "/v1/runs/", out, "id");
	dxt_api_reply_result(r, rc, 202, out, &err, NULL);
}

void dxt__api_run_list(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	const struct dxt_api_match *m = c->m;
	struct dxt_run_filter f = {
		.pipeline = m->query[0],
		.status = m->query[1],
		.limit = (int)m->qnum[2],
		.after = m->query[3],
	};
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_run_list(c->svc, &f, &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_run_get(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_run_get(c->svc, c->m->params[0], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_run_cancel(const struct dxt_api_call *c,
			 struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *body, *out = NULL;
	int rc;

	if (!dxt_api_body_object(c->body, c->body_len, false, r, &body))
		return;
	json_decref(body);
	dxt_error_clear(&err);
	rc = dxt_svc_run_cancel(c->svc, c->m->params[0], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_run_retry(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *body, *out = NULL;
	int rc;

	if (!dxt_api_body_object(c->body, c->body_len, false, r, &body))
		return;
	json_decref(body);
	dxt_error_clear(&err);
	rc = dxt_svc_run_retry(c->svc, c->m->params[0], &out, &err);
	if (rc == DXT_OK)
		dxt_api_reply_location(r, "/v1/runs/", out, "id");
	dxt_api_reply_result(r, rc, 202, out, &err, NULL);
}

void dxt__api_run_events(const struct dxt_api_call *c,
			 struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_run_events(c->svc, c->m->params[0], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}
