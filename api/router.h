/*
 * router.h - the control API's route table and the request-line parsing
 * around it.
 *
 * One const table lists every route: method, path template, what body it
 * takes, which query parameters, its success status and its documentation.
 * The router matches requests against it, the OpenAPI document is generated
 * from it (openapi.c) and the metrics are labelled with its templates, so
 * the three cannot drift apart.
 *
 * Nothing here touches the network or the service: every function is pure
 * and safe to call from any thread, which is what lets the unit tests cover
 * routing, parameter checks and the document without a running daemon.
 *
 * Matching rules:
 *   - the path is split on '/' in its raw (still percent-encoded) form, then
 *     each segment is percent-decoded; an encoded "%2F" is therefore part of
 *     one segment and never a separator;
 *   - a template whose literal segments match beats one that has a
 *     parameter in the same place ("/v1/pipelines/validate" shadows
 *     "/v1/pipelines/{name}", so GET on it is 405, not a pipeline lookup);
 *   - HEAD is routed as GET;
 *   - a path parameter must be non-empty and must not contain "..", '/' or
 *     NUL once decoded (400 naming it); the one exception is a staged file
 *     name, which MAY be "files/<name>" (sent as "files%2F<name>") for the
 *     passthrough files the buffer keeps under files/;
 *   - query parameters are declared per route; an unknown, repeated or
 *     malformed one is a 400 naming it.
 */
#ifndef DXT_API_ROUTER_H
#define DXT_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pipeline.h"

/* Methods as bits, so a path's allowed methods fit in one word. */
enum dxt_api_method {
	DXT_API_GET = 1u << 0,
	DXT_API_PUT = 1u << 1,
	DXT_API_POST = 1u << 2,
	DXT_API_DELETE = 1u << 3,
	DXT_API_HEAD = 1u << 4
};

/* Every route; the values index the handler table in server.c. */
enum dxt_api_route_id {
	DXT_API_HEALTHZ = 0,
	DXT_API_READYZ,
	DXT_API_METRICS,
	DXT_API_OPENAPI,
	DXT_API_OPERATORS,
	DXT_API_PIPELINE_CREATE,
	DXT_API_PIPELINE_VALIDATE,
	DXT_API_PIPELINE_LIST,
	DXT_API_PIPELINE_GET,
	DXT_API_PIPELINE_PUT,
	DXT_API_PIPELINE_DELETE,
	DXT_API_RUN_START,
	DXT_API_PIPELINE_PAUSE,
	DXT_API_PIPELINE_RESUME,
	DXT_API_STATE_GET,
	DXT_API_STATE_SET,
	DXT_API_STATE_RESET,
	DXT_API_RUN_LIST,
	DXT_API_RUN_GET,
	DXT_API_RUN_CANCEL,
	DXT_API_RUN_RETRY,
	DXT_API_RUN_EVENTS,
	DXT_API_BUFFER_LIST,
	DXT_API_BUFFER_RECORDS,
	DXT_API_BUFFER_FILE,
	DXT_API__NROUTES
};

/* What a route does with a request body. */
enum dxt_api_body {
	DXT_API_BODY_NONE = 0,     /* any body is read and dropped */
	DXT_API_BODY_JSON_OPTIONAL, /* empty, or a JSON object */
	DXT_API_BODY_JSON,         /* a JSON object */
	DXT_API_BODY_PIPELINE      /* a pipeline document, YAML or JSON */
};

/* What a route answers with on success. */
enum dxt_api_content {
	DXT_API_CONTENT_JSON = 0,
	DXT_API_CONTENT_NONE,      /* 204: no body */
	DXT_API_CONTENT_METRICS,   /* Prometheus text format */
	DXT_API_CONTENT_BYTES      /* application/octet-stream */
};

enum dxt_api_qtype {
	DXT_API_Q_STRING = 0, /* non-empty text */
	DXT_API_Q_UINT,       /* decimal integer in [min, max] */
	DXT_API_Q_ENUM        /* one of `values` */
};

#define DXT_API_MAX_PARAMS 3 /* path parameters of the longest template */
#define DXT_API_MAX_QUERY 4  /* query parameters of one route */

struct dxt_api_qparam {
	const char *name;
	enum dxt_api_qtype type;
	uint64_t min, max, def;      /* DXT_API_Q_UINT; def when absent */
	const char *const *values;   /* DXT_API_Q_ENUM, NULL-terminated */
	const char *description;
};

struct dxt_api_route {
	enum dxt_api_route_id id;
	enum dxt_api_method method;
	const char *path;            /* template: "/v1/runs/{id}" */
	const char *operation_id;    /* OpenAPI operationId */
	const char *summary;
	const char *description;
	bool open;                   /* reachable without the bearer token */
	enum dxt_api_body body;
	int status;                  /* success status: 200, 201, 202, 204 */
	enum dxt_api_content content;
	const char *schema;          /* success body schema in components */
	unsigned errors;             /* DXT_API_ERR_* the route can answer */
	size_t nquery;
	const struct dxt_api_qparam *query;
};

/* Error statuses a route documents, besides 401/405/500 (all /v1 routes). */
#define DXT_API_ERR_400 (1u << 0)
#define DXT_API_ERR_404 (1u << 1)
#define DXT_API_ERR_409 (1u << 2)
#define DXT_API_ERR_413 (1u << 3)
#define DXT_API_ERR_415 (1u << 4)
#define DXT_API_ERR_503 (1u << 5)
#define DXT_API_ERR_507 (1u << 6)

/* The route table, `DXT_API__NROUTES` entries indexed by route id. */
extern const struct dxt_api_route dxt_api_routes[DXT_API__NROUTES];

/* What dxt_api_route_request() found. */
struct dxt_api_match {
	int status;          /* 0 = routed; else 400, 404, 405 or 414 */
	const struct dxt_api_route *route; /* set when status is 0 */
	unsigned allow;      /* 405: methods the path takes */
	bool open;           /* the path needs no token */
	const char *path;    /* raw path without the query */
	/* Decoded path parameters in template order ({name}, {id}, {stream},
	 * {file}): pointers into the caller's buffer. */
	size_t nparams;
	const char *params[DXT_API_MAX_PARAMS];
	/* Query parameters by their index in route->query: the decoded text
	 * (NULL when absent) and, for DXT_API_Q_UINT, the value (the default
	 * when absent). */
	const char *query[DXT_API_MAX_QUERY];
	uint64_t qnum[DXT_API_MAX_QUERY];
	/* 400: which parameter was wrong and why (a full sentence). */
	const char *bad_param;
	char message[256];
};

/* "GET" -> DXT_API_GET ...; 0 when the method is none of ours. */
unsigned dxt_api_method_parse(const char *method);
/* Writes "GET, HEAD, PUT" style text for an Allow header. */
void dxt_api_allow_format(unsigned methods, char *buf, size_t len);

/*
 * Routes a request. `uri` is the request target exactly as received (path
 * and query, still percent-encoded; MAY be NULL, which is a 404). `buf` is
 * scratch space for the decoded path, parameters and query values and MUST
 * hold at least 2 * strlen(uri) + 4 bytes (else 414). Fills *m; returns
 * m->status. The pointers in *m point into `buf` and stay valid as long as
 * it does.
 */
int dxt_api_route_request(const char *method, const char *uri, char *buf,
			  size_t buflen, struct dxt_api_match *m);

/*
 * Percent-decodes src[0..n) into dst (which MUST hold n + 1 bytes) and
 * NUL-terminates it; '+' becomes a space when `plus_is_space` (query
 * strings). Returns the decoded length, which MAY contain NUL bytes, or -1
 * on a malformed escape ("%" not followed by two hex digits).
 */
long dxt_api_pct_decode(const char *src, size_t n, char *dst,
			bool plus_is_space);

/*
 * Percent-encodes `s` for a path segment (everything but unreserved
 * characters) into buf; returns the length that the full encoding needs
 * (as snprintf does).
 */
size_t dxt_api_pct_encode(const char *s, char *buf, size_t len);

/* Media types a request body may have. */
enum dxt_api_media {
	DXT_API_MEDIA_NONE = 0, /* no Content-Type header */
	DXT_API_MEDIA_JSON,     /* application/json */
	DXT_API_MEDIA_YAML,     /* application/yaml, application/x-yaml,
				   text/yaml */
	DXT_API_MEDIA_OTHER
};

/* Classifies a Content-Type header value (parameters such as charset are
 * ignored; the type is case-insensitive). NULL is DXT_API_MEDIA_NONE. */
enum dxt_api_media dxt_api_media_parse(const char *content_type);

/*
 * Checks an Authorization header against the configured token: true only
 * for "Bearer <token>" (scheme case-insensitive). The token comparison takes
 * the same time wherever the first difference is, so response timing does
 * not reveal a prefix of the token.
 */
bool dxt_api_auth_ok(const char *header, const char *token, size_t token_len);

#endif /* DXT_API_ROUTER_H */
