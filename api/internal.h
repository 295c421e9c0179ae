/*
 * internal.h - what the route handlers (pipelines.c, runs.c, buffer.c,
 * ops.c) and server.c share. Not used outside api/.
 *
 * A handler runs on the server thread that read the request, after routing,
 * authentication and the body checks passed. It calls exactly one dxt_svc_*
 * function (healthz and the OpenAPI document call none) and fills the reply;
 * server.c sends it. Handlers MUST NOT block on anything but the service.
 */
#ifndef DXT_API_INTERNAL_H
#define DXT_API_INTERNAL_H

#include <stddef.h>

#include "api/render.h"
#include "api/router.h"
#include "daemon/service.h"

struct dxt_api;

/* One routed request as a handler sees it. */
struct dxt_api_call {
	struct dxt_service *svc;
	struct dxt_api *api;
	const struct dxt_api_match *m; /* params[], query[], qnum[] */
	const char *body;              /* NULL when the body was empty */
	size_t body_len;
	enum dxt_api_media media;      /* Content-Type of a non-empty body */
};

typedef void (*dxt__api_handler)(const struct dxt_api_call *c,
				 struct dxt_api_reply *r);

/* ops.c */
void dxt__api_healthz(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_readyz(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_metrics(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_openapi(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_operators(const struct dxt_api_call *c,
			struct dxt_api_reply *r);

/* pipelines.c */
void dxt__api_pipeline_create(const struct dxt_api_call *c,
			      struct dxt_api_reply *r);
void dxt__api_pipeline_validate(const struct dxt_api_call *c,
				struct dxt_api_reply *r);
void dxt__api_pipeline_list(const struct dxt_api_call *c,
			    struct dxt_api_reply *r);
void dxt__api_pipeline_get(const struct dxt_api_call *c,
			   struct dxt_api_reply *r);
void dxt__api_pipeline_put(const struct dxt_api_call *c,
			   struct dxt_api_reply *r);
void dxt__api_pipeline_delete(const struct dxt_api_call *c,
			      struct dxt_api_reply *r);
void dxt__api_pipeline_pause(const struct dxt_api_call *c,
			     struct dxt_api_reply *r);
void dxt__api_pipeline_resume(const struct dxt_api_call *c,
			      struct dxt_api_reply *r);
void dxt__api_state_get(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_state_set(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_state_reset(const struct dxt_api_call *c,
			  struct dxt_api_reply *r);

/* runs.c */
void dxt__api_run_start(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_run_list(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_run_get(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_run_cancel(const struct dxt_api_call *c,
			 struct dxt_api_reply *r);
void dxt__api_run_retry(const struct dxt_api_call *c, struct dxt_api_reply *r);
void dxt__api_run_events(const struct dxt_api_call *c,
			 struct dxt_api_reply *r);

/* buffer.c */
void dxt__api_buffer_list(const struct dxt_api_call *c,
			  struct dxt_api_reply *r);
void dxt__api_buffer_records(const struct dxt_api_call *c,
			     struct dxt_api_reply *r);
void dxt__api_buffer_file(const struct dxt_api_call *c,
			  struct dxt_api_reply *r);

/* server.c: what ops.c needs of the server. */
int dxt__api_render_counters(struct dxt_api *a, struct dxt_buf *out);
const char *dxt__api_openapi_text(struct dxt_api *a, size_t *len);

#endif /* DXT_API_INTERNAL_H */
