/*
 * server.c - the libmicrohttpd glue: listening socket, per-request context,
 * authentication, body intake with its limit, dispatch to the handlers and
 * turning their replies into responses; access log and request counters.
 *
 * A request's life, all on the one server thread that owns its connection:
 *   1. uri_cb: the request line arrived; its raw target is copied into a
 *      new context (the only allocation besides the body and the reply);
 *   2. on_request, first call: route, authenticate, check parameters,
 *      Content-Length and Content-Type; a refused request that has a
 *      body is answered at once (its body is then never read);
 *   3. on_request, later calls: body bytes, kept up to the limit;
 *   4. on_request, last call: the refusal, or the handler's reply, is
 *      queued;
 *   5. on_completed: count, log, free.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/log.h"
#include "internal.h"
#include "openapi.h"

#define DEFAULT_BODY_LIMIT ((size_t)1 << 20)
#define DEFAULT_THREADS 2
#define DEFAULT_TIMEOUT 30
/* How far past the limit a chunked body is read (and dropped) so that the
 * client still gets its 413 instead of a reset connection. */
#define DISCARD_SLACK ((uint64_t)1 << 20)
#define DRAIN_SECONDS 10

struct dxt_api {
	struct MHD_Daemon *mhd;
	struct dxt_service *svc;
	char *token;
	size_t token_len;
	size_t body_limit;
	int port;
	atomic_bool stopping;
	char *openapi;
	size_t openapi_len;
	struct dxt_api_counters counters;
};

struct request {
	struct dxt_api *api;
	struct timespec start;
	struct dxt_api_match m;
	enum dxt_api_media media;
	bool routed;
	bool refused;          /* refusal holds the answer */
	bool too_large;
	bool oom;
	int status;            /* 0 until a response is queued */
	uint64_t received;     /* body bytes seen, kept or not */
	struct dxt_buf body;
	struct dxt_api_reply refusal;
	char method[12];
	const char *uri;       /* raw target, in raw[] */
	size_t buflen;
	char *buf;             /* router scratch, after raw[] */
	char raw[];
};

static const dxt__api_handler handlers[DXT_API__NROUTES] = {
	[DXT_API_HEALTHZ] = dxt__api_healthz,
	[DXT_API_READYZ] = dxt__api_readyz,
	[DXT_API_METRICS] = dxt__api_metrics,
	[DXT_API_OPENAPI] = dxt__api_openapi,
	[DXT_API_OPERATORS] = dxt__api_operators,
	[DXT_API_PIPELINE_CREATE] = dxt__api_pipeline_create,
	[DXT_API_PIPELINE_VALIDATE] = dxt__api_pipeline_validate,
	[DXT_API_PIPELINE_LIST] = dxt__api_pipeline_list,
	[DXT_API_PIPELINE_GET] = dxt__api_pipeline_get,
	[DXT_API_PIPELINE_PUT] = dxt__api_pipeline_put,
	[DXT_API_PIPELINE_DELETE] = dxt__api_pipeline_delete,
	[DXT_API_RUN_START] = dxt__api_run_start,
	[DXT_API_PIPELINE_PAUSE] = dxt__api_pipeline_pause,
	[DXT_API_PIPELINE_RESUME] = dxt__api_pipeline_resume,
	[DXT_API_STATE_GET] = dxt__api_state_get,
	[DXT_API_STATE_SET] = dxt__api_state_set,
	[DXT_API_STATE_RESET] = dxt__api_state_reset,
	[DXT_API_RUN_LIST] = dxt__api_run_list,
	[DXT_API_RUN_GET] = dxt__api_run_get,
	[DXT_API_RUN_CANCEL] = dxt__api_run_cancel,
	[DXT_API_RUN_RETRY] = dxt__api_run_retry,
	[DXT_API_RUN_EVENTS] = dxt__api_run_events,
	[DXT_API_BUFFER_LIST] = dxt__api_buffer_list,
	[DXT_API_BUFFER_RECORDS] = dxt__api_buffer_records,
	[DXT_API_BUFFER_FILE] = dxt__api_buffer_file,
};

int dxt__api_render_counters(struct dxt_api *a, struct dxt_buf *out)
{
	return dxt_api_counters_render(&a->counters, out);
}

const char *dxt__api_openapi_text(struct dxt_api *a, size_t *len)
{
	*len = a->openapi_len;
	return a->openapi;
}

/* --- replies to responses ------------------------------------------------ */

static bool add_header(struct MHD_Response *resp, const char *name,
		       const char *value)
{
	return value == NULL ||
	       MHD_add_response_header(resp, name, value) == MHD_YES;
}

/* Queues the reply (consuming it) and remembers its status. */
static enum MHD_Result send_reply(struct request *q,
				  struct MHD_Connection *con,
				  struct dxt_api_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char allow[64];
	bool ok;

	/* Internal failures are worth a line at error level, with the
	 * message the client receives (never the request's body). Refusals such
	 * as 503 (not ready) and 507 (quota) are the client's to act on. */
	if (r->status == 500) {
		size_t n = r->body ? r->len : 0;

		while (n > 0 && r->body[n - 1] == '\n')
			n--;
		dxt_log(DXT_LOG_ERROR, NULL, NULL, "http %s %.256s: %d %.*s",
			q->method, q->m.path, r->status,
			(int)(n > 512 ? 512 : n), r->body ? r->body : "");
	}
	if (r->fd >= 0) {
		resp = MHD_create_response_from_fd64(r->fd_size, r->fd);
		if (resp != NULL)
			r->fd = -1; /* the response owns it now */
	} else if (r->body == NULL) {
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
	} else if (r->body_static) {
		resp = MHD_create_response_from_buffer(r->len, r->body,
						       MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback(
			r->len, r->body, free);
		if (resp != NULL)
			r->body = NULL;
	}
	if (resp == NULL) {
		dxt_api_reply_free(r);
		return MHD_NO;
	}
	ok = add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type) &&
	     add_header(resp, MHD_HTTP_HEADER_LOCATION, r->location) &&
	     add_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
			r->disposition) &&
	     add_header(resp, "X-Content-Type-Options", "nosniff") &&
	     add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (ok && r->allow != 0) {
		dxt_api_allow_format(r->allow, allow, sizeof(allow));
		ok = add_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	if (ok && r->www_authenticate)
		ok = add_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"Bearer realm=\"dxtd\"");
	/* While stopping, every answer closes its connection so that
	 * keep-alive clients move on and the drain can finish. */
	if (ok && atomic_load(&q->api->stopping))
		ok = add_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = ok ? MHD_queue_response(con, (unsigned)r->status, resp)
		 : MHD_NO;
	if (ret == MHD_YES)
		q->status = r->status;
	MHD_destroy_response(resp);
	dxt_api_reply_free(r);
	return ret;
}

/* Prepares the error answer of a refused request in q->refusal. */
static void refuse(struct request *q, int status, const char *code,
		   json_t *details, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void refuse(struct request *q, int status, const char *code,
		   json_t *details, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dxt_api_reply_free(&q->refusal);
	dxt_api_reply_error(&q->refusal, status, code, details, "%s", msg);
	if (status == 405)
		q->refusal.allow = q->m.allow;
	if (status == 401)
		q->refusal.www_authenticate = true;
	q->refused = true;
}

/* --- the request path ---------------------------------------------------- */

static enum MHD_Result dispatch(struct request *q, struct MHD_Connection *con)
{
	struct dxt_api_call c = {
		.svc = q->api->svc,
		.api = q->api,
		.m = &q->m,
		.body = q->body.len ? (const char *)q->body.data : NULL,
		.body_len = q->body.len,
		.media = q->media,
	};
	struct dxt_api_reply r;

	dxt_api_reply_init(&r);
	handlers[q->m.route->id](&c, &r);
	/* The body has served its purpose; free it now rather than when the
	 * response has been sent. */
	dxt_buf_free(&q->body);
	return send_reply(q, con, &r);
}

static void routing_error(struct request *q)
{
	const struct dxt_api_match *m = &q->m;
	char allow[64];

	switch (m->status) {
	case 400:
		refuse(q, 400, "invalid_parameter",
		       json_pack("[{s:s?, s:s}]", "parameter", m->bad_param,
				 "message", m->message),
		       "%s", m->message);
		break;
	case 405:
		dxt_api_allow_format(m->allow, allow, sizeof(allow));
		refuse(q, 405, "method_not_allowed", NULL,
		       "%.200s does not take %s; it takes %s", m->path,
		       q->method, allow);
		break;
	case 414:
		refuse(q, 414, "uri_too_long", NULL,
		       "the request target is too long");
		break;
	default:
		refuse(q, 404, "not_found", NULL,
		       "no route for %s %.200s; see /v1/openapi.json for the "
		       "routes",
		       q->method, m->path);
		break;
	}
}

static bool parse_length(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/*
 * The checks that need only the headers, in the order a client should
 * learn about its mistakes: token, route, declared size, media type.
 * Prepares the refusal and returns true when the request is refused;
 * *has_body tells whether a body follows.
 */
static bool check_headers(struct request *q, struct MHD_Connection *con,
			  bool *has_body)
{
	struct dxt_api *a = q->api;
	const struct dxt_api_route *rt;
	const char *cl, *te, *ct;
	uint64_t len = 0;

	cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_TRANSFER_ENCODING);
	*has_body = (parse_length(cl, &len) && len > 0) || te != NULL;
	if (a->token != NULL && !q->m.open &&
	    !dxt_api_auth_ok(MHD_lookup_connection_value(
				     con, MHD_HEADER_KIND,
				     MHD_HTTP_HEADER_AUTHORIZATION),
			     a->token, a->token_len)) {
		refuse(q, 401, "unauthorized", NULL,
		       "this route needs the header \"Authorization: Bearer "
		       "<token>\" with the token dxtd was configured with");
		return true;
	}
	if (q->m.status != 0) {
		routing_error(q);
		return true;
	}
	rt = q->m.route;
	if (len > a->body_limit) {
		refuse(q, 413, "payload_too_large", NULL,
		       "the request body has %llu bytes; the limit is %zu "
		       "(body_limit)",
		       (unsigned long long)len, a->body_limit);
		return true;
	}
	if (!*has_body || rt->body == DXT_API_BODY_NONE)
		return false;
	ct = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_TYPE);
	q->media = dxt_api_media_parse(ct);
	if (rt->body == DXT_API_BODY_PIPELINE &&
	    (q->media == DXT_API_MEDIA_JSON || q->media == DXT_API_MEDIA_YAML))
		return false;
	if (rt->body != DXT_API_BODY_PIPELINE &&
	    q->media == DXT_API_MEDIA_JSON)
		return false;
	refuse(q, 415, "unsupported_media_type", NULL, "%s%.100s%s; send %s",
	       ct ? "Content-Type \"" : "",
	       ct ? ct : "the request has no Content-Type",
	       ct ? "\" is not accepted here" : "",
	       rt->body == DXT_API_BODY_PIPELINE
		       ? "application/yaml (also application/x-yaml, "
			 "text/yaml) or application/json"
		       : "application/json");
	return true;
}

/* Takes one piece of the body; false when the connection must close. */
static bool take_body(struct request *q, const char *data, size_t n)
{
	struct dxt_api *a = q->api;

	q->received += n;
	if (q->received > a->body_limit && !q->too_large) {
		/* Chunked bodies have no declared length: the limit is
		 * found here, and what came so far is dropped at once. */
		q->too_large = true;
		dxt_buf_free(&q->body);
	}
	if (q->too_large)
		return q->received - a->body_limit <= DISCARD_SLACK;
	if (q->m.route->body == DXT_API_BODY_NONE || q->oom)
		return true;
	if (dxt_buf_append(&q->body, data, n) != DXT_OK) {
		q->oom = true;
		dxt_buf_free(&q->body);
	}
	return true;
}

/*
 * libmicrohttpd calls this once with the headers, then once per piece of
 * body, then once more when the request is complete. Answers are queued
 * on that last call: an answer queued on the first one makes
 * libmicrohttpd close the connection, which is right only for a refused
 * request whose body must not be read (a 413, or a 401 with a body), and
 * would cost keep-alive clients a new connection per request otherwise.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *con,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	struct request *q = *ctx;
	bool has_body = false;

	if (q == NULL)
		return MHD_NO; /* uri_cb ran out of memory */
	if (!q->routed) {
		q->routed = true;
		snprintf(q->method, sizeof(q->method), "%s",
			 method ? method : "?");
		dxt_api_route_request(method, q->uri, q->buf, q->buflen,
				      &q->m);
		if (check_headers(q, con, &has_body) && has_body)
			return send_reply(q, con, &q->refusal);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		bool keep = take_body(q, upload, *upload_size);

		*upload_size = 0;
		return keep ? MHD_YES : MHD_NO;
	}
	if (q->too_large)
		refuse(q, 413, "payload_too_large", NULL,
		       "the request body is larger than the limit of %zu "
		       "bytes (body_limit)",
		       q->api->body_limit);
	else if (q->oom)
		refuse(q, 500, "internal_error", NULL,
		       "out of memory while reading the body");
	if (q->refused)
		return send_reply(q, con, &q->refusal);
	return dispatch(q, con);
}

/*
 * Called with the raw request target as soon as the request line is read;
 * its return value becomes the request's context. The target is copied
 * because libmicrohttpd decodes it in place afterwards, and routing needs
 * it undecoded (an encoded '/' must stay inside its segment).
 */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct dxt_api *a = cls;
	size_t n = uri ? strlen(uri) : 0;
	size_t buflen = 2 * n + 4;
	struct request *q = malloc(sizeof(*q) + n + 1 + buflen);

	if (q == NULL)
		return NULL;
	memset(q, 0, sizeof(*q));
	dxt_api_reply_init(&q->refusal);
	q->api = a;
	clock_gettime(CLOCK_MONOTONIC, &q->start);
	if (uri != NULL) {
		memcpy(q->raw, uri, n + 1);
		q->uri = q->raw;
	}
	q->buf = q->raw + n + 1;
	q->buflen = buflen;
	atomic_fetch_add_explicit(&a->counters.in_flight, 1,
				  memory_order_relaxed);
	return q;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **ctx,
			 enum MHD_RequestTerminationCode toe)
{
	struct dxt_api *a = cls;
	struct request *q = *ctx;
	struct timespec now;
	double ms;

	if (q == NULL)
		return;
	*ctx = NULL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - q->start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - q->start.tv_nsec) / 1e6;
	if (q->status != 0)
		dxt_api_count(&a->counters,
			      q->m.route ? (unsigned)q->m.route->id
					 : DXT_API__NROUTES,
			      q->status);
	/* A request libmicrohttpd refused itself (malformed header, bad
	 * version) never reached routing and has no method or path here. */
	dxt_log(DXT_LOG_DEBUG, NULL, NULL, "http %s %.256s %d %.3fms%s",
		q->routed ? q->method : "-",
		q->routed && q->m.path[0] ? q->m.path : "-",
		q->status, ms,
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK
			? ""
			: " (connection closed before the answer was sent)");
	atomic_fetch_sub_explicit(&a->counters.in_flight, 1,
				  memory_order_relaxed);
	dxt_buf_free(&q->body);
	dxt_api_reply_free(&q->refusal);
	free(q);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	dxt_log(DXT_LOG_WARN, NULL, NULL, "http server: %s", msg);
}

/* --- start and stop ------------------------------------------------------ */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	return false;
}

/* Creates the listening socket for host:port; returns it or -1. */
static int listen_on(const char *host_in, int port, int *family,
		     int *bound_port, struct dxt_error *err)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], portstr[16];
	size_t n;
	int fd = -1, one = 1, rc;

	snprintf(host, sizeof(host), "%s",
		 host_in && *host_in ? host_in : "127.0.0.1");
	n = strlen(host);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (port < 0 || port > 65535) {
		dxt_error_set(err, DXT_EINVAL,
			      "listen port %d is out of range; use 1..65535 "
			      "(0 picks a free port)",
			      port);
		return -1;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0 || res == NULL) {
		dxt_error_set(err, DXT_EINVAL,
			      "listen address \"%s\": %s; use an IP address "
			      "such as 127.0.0.1 or [::1], or a host name",
			      host, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		goto fail;
	*family = res->ai_family;
	*bound_port = ntohs(ss.ss_family == AF_INET6
				    ? ((struct sockaddr_in6 *)&ss)->sin6_port
				    : ((struct sockaddr_in *)&ss)->sin_port);
	if (!is_loopback((struct sockaddr *)&ss))
		dxt_log(DXT_LOG_WARN, NULL, NULL,
			"the control API listens on %s, which is not a "
			"loopback address: set a token (token_file) unless "
			"the network is trusted",
			host);
	freeaddrinfo(res);
	return fd;
fail:
	dxt_error_set(err, DXT_EIO,
		      "cannot listen on %s port %d: %s; is another dxtd "
		      "running there? pick another address with --listen",
		      host, port, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

static void api_free(struct dxt_api *a)
{
	if (a == NULL)
		return;
	if (a->token != NULL) {
		/* The token is a secret: do not leave it in freed memory. */
		explicit_bzero(a->token, a->token_len);
		free(a->token);
	}
	free(a->openapi);
	free(a);
}

static int render_openapi(struct dxt_api *a)
{
	json_t *doc = dxt_api_openapi();
	char *text;

	if (doc == NULL)
		return DXT_ENOMEM;
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	if (text == NULL)
		return DXT_ENOMEM;
	a->openapi_len = strlen(text) + 1;
	a->openapi = malloc(a->openapi_len + 1);
	if (a->openapi != NULL) {
		memcpy(a->openapi, text, a->openapi_len - 1);
		a->openapi[a->openapi_len - 1] = '\n';
		a->openapi[a->openapi_len] = '\0';
	}
	free(text);
	return a->openapi ? DXT_OK : DXT_ENOMEM;
}

int dxt_api_start(struct dxt_service *svc, const struct dxt_api_opts *o,
		  struct dxt_api **out, struct dxt_error *err)
{
	struct dxt_api *a;
	unsigned flags, threads, timeout;
	int fd, family = AF_INET;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	a->svc = svc;
	a->body_limit = o->body_limit ? o->body_limit : DEFAULT_BODY_LIMIT;
	if (o->token != NULL && o->token[0] != '\0') {
		a->token = strdup(o->token);
		a->token_len = strlen(o->token);
		if (a->token == NULL) {
			api_free(a);
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		}
	}
	if (render_openapi(a) != DXT_OK) {
		api_free(a);
		return dxt_error_set(err, DXT_ENOMEM,
				     "out of memory rendering the OpenAPI "
				     "document");
	}
	fd = listen_on(o->host, o->port, &family, &a->port, err);
	if (fd < 0) {
		int rc = err ? err->code : DXT_EIO;

		api_free(a);
		return rc;
	}
	threads = o->threads ? o->threads : DEFAULT_THREADS;
	timeout = o->timeout ? o->timeout : DEFAULT_TIMEOUT;
	/* MHD_USE_ITC lets dxt_api_stop() quiesce the listening socket of a
	 * thread pool; MHD_USE_AUTO picks epoll on Linux. */
	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The logger goes first so that option errors reach it too. */
	a->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, a,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
		threads, MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		MHD_OPTION_URI_LOG_CALLBACK, uri_cb, a,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, a, MHD_OPTION_END);
	if (a->mhd == NULL) {
		close(fd);
		api_free(a);
		return dxt_error_set(err, DXT_EIO,
				     "cannot start the HTTP server (%u "
				     "threads); see the log above",
				     threads);
	}
	dxt_log(DXT_LOG_INFO, NULL, NULL,
		"control API listening on port %d (%u threads%s)", a->port,
		threads, a->token ? ", token required" : "");
	*out = a;
	return DXT_OK;
}

int dxt_api_port(const struct dxt_api *a)
{
	return a->port;
}

void dxt_api_stop(struct dxt_api *a)
{
	struct timespec tick = {0, 5 * 1000 * 1000};
	MHD_socket ls;
	long left;

	if (a == NULL)
		return;
	atomic_store(&a->stopping, true);
	ls = MHD_quiesce_daemon(a->mhd);
	for (int i = 0; i < DRAIN_SECONDS * 200; i++) {
		if (atomic_load(&a->counters.in_flight) <= 0)
			break;
		nanosleep(&tick, NULL);
	}
	left = atomic_load(&a->counters.in_flight);
	if (left > 0)
		dxt_log(DXT_LOG_WARN, NULL, NULL,
			"control API: %ld request(s) still running after "
			"%d s; closing their connections",
			left, DRAIN_SECONDS);
	MHD_stop_daemon(a->mhd);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	api_free(a);
}
