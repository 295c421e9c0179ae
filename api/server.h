/*
 * server.h - dxtd's HTTP control plane (DESIGN.md, "Control API").
 *
 * A libmicrohttpd server with its own pool of polling threads (epoll on
 * Linux). Each request is routed through the table in router.h, checked
 * (bearer token, body size and type, path and query parameters), handed to
 * exactly one dxt_svc_* function (daemon/service.h) on the server thread
 * that read it, and the result rendered as JSON (render.h). Nothing in the
 * request path takes a lock of the API's own: request counters are atomics
 * and the OpenAPI document is rendered once at start.
 *
 * Behaviour worth knowing:
 *   - bodies are limited to body_limit bytes while they arrive: a declared
 *     Content-Length above it is refused (413) before any byte is read; a
 *     chunked body stops being kept once it passes the limit and is
 *     answered 413 at its end (the connection is closed when it goes on
 *     for more than 1 MiB past the limit);
 *   - with a token, every route but /healthz and /readyz needs
 *     "Authorization: Bearer <token>" (401 with WWW-Authenticate: Bearer);
 *   - DELETE /v1/pipelines/{name} answers 204 without a body; DELETE
 *     /v1/pipelines/{name}/state answers 200 with the emptied state;
 *   - every request is logged at debug level (method, path, status,
 *     duration); bodies, query strings and Authorization never are;
 *   - dxtd_http_requests_total{route,status} is appended to /metrics.
 */
#ifndef DXT_API_SERVER_H
#define DXT_API_SERVER_H

#include <stddef.h>

#include "engine/error.h"

struct dxt_service;
struct dxt_api;

struct dxt_api_opts {
	const char *host;   /* NULL or "" = 127.0.0.1; a name, an IPv4 or an
			       IPv6 literal, bracketed ("[::1]") or not */
	int port;           /* 0 = any free port (see dxt_api_port()) */
	const char *token;  /* bearer token; NULL or "" = no authentication */
	size_t body_limit;  /* largest request body in bytes; 0 = 1 MiB */
	unsigned threads;   /* server threads; 0 = 2 */
	unsigned timeout;   /* seconds an idle connection is kept; 0 = 30 */
};

/*
 * Binds the address and starts serving. The token is copied; `svc` MUST
 * outlive the server (until dxt_api_stop() returns). On failure returns
 * DXT_EINVAL (bad address) or DXT_EIO (cannot bind: the message names the
 * address and the system's reason) with `err` filled, and *out is NULL.
 * Call from one thread; the server's threads call the service from then on.
 */
int dxt_api_start(struct dxt_service *svc, const struct dxt_api_opts *o,
		  struct dxt_api **out, struct dxt_error *err);

/* The port the server listens on (the one chosen when 0 was asked). */
int dxt_api_port(const struct dxt_api *a);

/*
 * Stops accepting connections, lets requests already being answered finish
 * (waiting up to 10 seconds; responses sent meanwhile close their
 * connection), then stops the threads and frees `a`. NULL is a no-op.
 */
void dxt_api_stop(struct dxt_api *a);

#endif /* DXT_API_SERVER_H */
