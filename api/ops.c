/*
 * ops.c - the operational routes: liveness, readiness, metrics, the OpenAPI
 * document and the operator listing.
 */
#include "internal.h"

void dxt__api_healthz(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	/* Liveness only says the server thread answers; it asks the
	 * service nothing, so a busy service never fails a liveness probe. */
	dxt_api_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void dxt__api_readyz(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	json_t *out = NULL;
	bool ready = dxt_svc_ready(c->svc, &out);

	if (out == NULL)
		out = json_pack("{s:s, s:{}}", "status",
				ready ? "ready" : "not ready", "checks");
	dxt_api_reply_json(r, ready ? 200 : 503, out);
}

void dxt__api_metrics(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	struct dxt_buf b = {0};
	int rc = dxt_svc_metrics(c->svc, &b);

	if (rc == DXT_OK)
		rc = dxt__api_render_counters(c->api, &b);
	if (rc != DXT_OK) {
		dxt_buf_free(&b);
		dxt_api_reply_error(r, 500, "internal_error", NULL,
				    "cannot render metrics: %s",
				    dxt_strerror(rc));
		return;
	}
	dxt_api_reply_buf(r, 200, DXT_API_CT_METRICS, &b);
}

void dxt__api_openapi(const struct dxt_api_call *c, struct dxt_api_reply *r)
{
	size_t len;
	const char *doc = dxt__api_openapi_text(c->api, &len);

	r->status = 200;
	r->content_type = DXT_API_CT_JSON;
	r->body = (char *)doc;
	r->len = len;
	r->body_static = true;
}

void dxt__api_operators(const struct dxt_api_call *c,
			struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_operators(c->svc, &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}
