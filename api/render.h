/*
 * render.h - what a handler answers, before it becomes an HTTP response.
 *
 * Handlers fill a struct dxt_api_reply; server.c turns it into a
 * libmicrohttpd response. Keeping the reply a plain struct lets the error
 * envelope, the status mapping and the JSON rendering be tested without a
 * server. Every function here is pure and thread-safe.
 *
 * Error bodies always have the one shape
 *   {"error": {"code": "not_found", "message": "...", "details": [...]}}
 * where `code` is one of the stable words below and `details` is an array
 * (empty when there is nothing to add; the diagnostics of an invalid
 * pipeline, each {path, line, column, message, hint}; or {parameter,
 * message} for a bad path or query parameter).
 *
 *   400 invalid_pipeline, malformed_body, missing_body, invalid_argument,
 *       invalid_parameter
 *   401 unauthorized            404 not_found
 *   405 method_not_allowed      409 conflict
 *   413 payload_too_large       414 uri_too_long
 *   415 unsupported_media_type  500 internal_error
 *   503 not_ready               507 insufficient_storage
 */
#ifndef DXT_API_RENDER_H
#define DXT_API_RENDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/router.h"
#include "engine/batch.h"
#include "engine/error.h"
#include "engine/pipeline.h"

#define DXT_API_CT_JSON "application/json"
#define DXT_API_CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define DXT_API_CT_BYTES "application/octet-stream"

struct dxt_api_reply {
	int status;
	const char *content_type;  /* static text; NULL with no body */
	char *body;                /* malloc'd unless body_static */
	size_t len;
	bool body_static;          /* body lives as long as the server */
	int fd;                    /* >= 0: send this file (owned) instead */
	uint64_t fd_size;
	char *location;            /* malloc'd Location header or NULL */
	char *disposition;         /* malloc'd Content-Disposition or NULL */
	unsigned allow;            /* 405: DXT_API_* method bits */
	bool www_authenticate;     /* 401: add WWW-Authenticate: Bearer */
	const char *error_code;    /* set by the error helpers, for the log */
};

/* An empty reply (status 500, no body, fd -1), ready to be filled. */
void dxt_api_reply_init(struct dxt_api_reply *r);
/* Frees what the reply still owns (body, fd, headers). Safe twice. */
void dxt_api_reply_free(struct dxt_api_reply *r);

/*
 * Renders `body` (reference stolen, MAY be NULL for "no body") as compact
 * JSON with a trailing newline. On allocation failure the reply becomes a
 * 500 with a fixed error body.
 */
void dxt_api_reply_json(struct dxt_api_reply *r, int status, json_t *body);

/* Takes the bytes of `buf` (left empty) as the body. */
void dxt_api_reply_buf(struct dxt_api_reply *r, int status,
		       const char *content_type, struct dxt_buf *buf);

/*
 * An error reply in the envelope above. `details` (reference stolen) MAY be
 * NULL, which renders as []. The message is printf-formatted.
 */
void dxt_api_reply_error(struct dxt_api_reply *r, int status,
			 const char *code, json_t *details, const char *fmt,
			 ...) __attribute__((format(printf, 5, 6)));

/*
 * The reply for a service call that returned `rc` (not DXT_OK) with `err`
 * filled: the status and code from the mapping in daemon/service.h, the
 * error's message (or the code's text when empty) and, for DXT_ECONFIG and
 * DXT_EPARSE, every diagnostic in `diags` (MAY be NULL) as details.
 */
void dxt_api_reply_svc_error(struct dxt_api_reply *r, int rc,
			     const struct dxt_error *err,
			     const struct dxt_diags *diags);

/*
 * The reply for a service call's result: on DXT_OK, `status` with `out`
 * (reference stolen; NULL sends no body); otherwise as
 * dxt_api_reply_svc_error(), and `out` (which the service leaves NULL on
 * failure) is released.
 */
void dxt_api_reply_result(struct dxt_api_reply *r, int rc, int status,
			  json_t *out, const struct dxt_error *err,
			  const struct dxt_diags *diags);

/*
 * Sets the Location header to `prefix` followed by the percent-encoded
 * string member `key` of `obj` ("/v1/runs/" + out.id). Leaves it unset when
 * the member is missing or not a string.
 */
void dxt_api_reply_location(struct dxt_api_reply *r, const char *prefix,
			    const json_t *obj, const char *key);

/*
 * Parses a request body that must be a JSON object. An empty body (len 0)
 * gives *out = NULL and true unless `required`. On failure the reply
 * becomes a 400 (missing_body, or malformed_body with the line and column
 * in the message and in details) and false is returned.
 */
bool dxt_api_body_object(const char *body, size_t len, bool required,
			 struct dxt_api_reply *r, json_t **out);

/* HTTP status for a service error code (daemon/service.h's table). */
int dxt_api_status_of(int rc);
/* The envelope's `code` word for a service error code. */
const char *dxt_api_code_of(int rc);

/*
 * HTTP request counters: one relaxed atomic per route (or "no route") and
 * status, so counting never takes a lock. Indexed [route id, or
 * DXT_API__NROUTES for requests that matched no route][status - 100].
 */
#define DXT_API_STATUS_SLOTS 500
struct dxt_api_counters {
	atomic_uint_least64_t n[DXT_API__NROUTES + 1][DXT_API_STATUS_SLOTS];
	atomic_long in_flight;
};

/* Counts one answered request; `route` is a route id or DXT_API__NROUTES.
 * Statuses outside 100..599 are not counted. */
static inline void dxt_api_count(struct dxt_api_counters *c, unsigned route,
				 int status)
{
	if (route <= DXT_API__NROUTES && status >= 100 &&
	    status < 100 + DXT_API_STATUS_SLOTS)
		atomic_fetch_add_explicit(&c->n[route][status - 100], 1,
					  memory_order_relaxed);
}

/*
 * Appends the counters in Prometheus text format:
 * `dxtd_http_requests_total{route="<template>",status="<n>"} <count>`, one
 * line per route template and status seen (routes sharing a template are
 * summed; requests that matched no route count under route="other"), then
 * the gauge dxtd_http_requests_in_flight. DXT_OK or DXT_ENOMEM.
 */
int dxt_api_counters_render(struct dxt_api_counters *c, struct dxt_buf *out);

#endif /* DXT_API_RENDER_H */
