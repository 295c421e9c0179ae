/*
 * test_api_server.c - the control API over real sockets, against the fake
 * service of fake_service.c: authentication, routing errors, body limits
 * and types, each route's status and headers, metrics, the access log, and
 * stopping with a request in flight.
 *
 * Built and run by tests/api_fakes/run.sh (its own binary: the fake
 * service replaces daemon/service.c).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api/server.h"
#include "daemon/log.h"
#include "engine/batch.h"
#include "fake_service.h"

#define TOKEN "t0k-s3cret-123"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"

static struct dxt_service *svc;
static struct dxt_api *api;
static int port;
static char scratch[256];

struct resp {
	int status;
	char head[16384]; /* status line and headers, lines NUL-separated */
	size_t head_len;
	char *body;       /* NUL-terminated */
	size_t len;
};

static void setup(void)
{
	struct dxt_api_opts o = {.host = "127.0.0.1",
				 .token = TOKEN,
				 .body_limit = 1024,
				 .threads = 2};
	struct dxt_error err;

	svc = fake_service_create();
	dxt_error_clear(&err);
	ck_assert_int_eq(dxt_api_start(svc, &o, &api, &err), DXT_OK);
	port = dxt_api_port(api);
	ck_assert_int_gt(port, 0);
}

static void teardown(void)
{
	dxt_api_stop(api);
	fake_service_destroy(svc);
	api = NULL;
}

static int connect_to(int family, int p)
{
	int fd = socket(family, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	if (family == AF_INET6) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
					 .sin6_port = htons((uint16_t)p)};

		a.sin6_addr = in6addr_loopback;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(fd);
			return -1;
		}
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)p)};

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the server may close early (413) */
		c += w;
		n -= (size_t)w;
	}
}

/* Splits what was read into status, headers and body. */
static void parse(struct resp *r, struct dxt_buf *in)
{
	char *data = (char *)in->data, *end;
	size_t hl;

	memset(r, 0, sizeof(*r));
	ck_assert_msg(in->len > 12, "no response");
	end = memmem(data, in->len, "\r\n\r\n", 4);
	ck_assert_ptr_nonnull(end);
	hl = (size_t)(end - data);
	ck_assert_uint_lt(hl, sizeof(r->head));
	memcpy(r->head, data, hl);
	r->head[hl] = '\0';
	r->head_len = hl;
	for (size_t i = 0; i + 1 < hl; i++)
		if (r->head[i] == '\r' && r->head[i + 1] == '\n')
			r->head[i] = r->head[i + 1] = '\0';
	r->status = atoi(r->head + 9);
	r->len = in->len - hl - 4;
	r->body = malloc(r->len + 1);
	memcpy(r->body, end + 4, r->len);
	r->body[r->len] = '\0';
}

static void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* The value of a response header, or NULL. */
static const char *header(const struct resp *r, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < r->head_len;) {
		const char *line = r->head + i;
		size_t l = strlen(line);

		if (l > n && strncasecmp(line, name, n) == 0 &&
		    line[n] == ':') {
			line += n + 1;
			while (*line == ' ')
				line++;
			return line;
		}
		i += l + 2;
	}
	return NULL;
}

/* Sends a raw request (with Connection: close) and reads the answer. */
static void exchange_on(int family, int p, const char *raw, size_t n,
			struct resp *r)
{
	struct dxt_buf in = {0};
	char chunk[8192];
	ssize_t got;
	int fd = connect_to(family, p);

	ck_assert_int_ge(fd, 0);
	send_all(fd, raw, n);
	while ((got = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		dxt_buf_append(&in, chunk, (size_t)got);
	close(fd);
	parse(r, &in);
	dxt_buf_free(&in);
}

static void http(struct resp *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void http(struct resp *r, const char *fmt, ...)
{
	char raw[16384];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	ck_assert_int_lt(n, (int)sizeof(raw));
	exchange_on(AF_INET, port, raw, (size_t)n, r);
}

/* A request with a body and the token. */
static void send_body(struct resp *r, const char *method, const char *path,
		      const char *ctype, const char *body)
{
	char ct[128] = "";

	if (ctype != NULL)
		snprintf(ct, sizeof(ct), "Content-Type: %s\r\n", ctype);
	http(r,
	     "%s %s HTTP/1.1\r\nHost: t\r\n" AUTH "%sContent-Length: %zu\r\n"
	     "Connection: close\r\n\r\n%s",
	     method, path, ct, strlen(body), body);
}

static void get(struct resp *r, const char *path)
{
	http(r, "GET %s HTTP/1.1\r\nHost: t\r\n" AUTH
		"Connection: close\r\n\r\n",
	     path);
}

static json_t *body_json(const struct resp *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, 0, &e);

	ck_assert_msg(j != NULL, "not JSON: %s", r->body);
	return j;
}

/* The error envelope's code; checks the envelope's shape on the way. */
static const char *error_code(const struct resp *r)
{
	json_t *j = body_json(r), *e = json_object_get(j, "error");

	ck_assert_str_eq(header(r, "Content-Type"), "application/json");
	ck_assert(json_is_string(json_object_get(e, "message")));
	ck_assert(json_is_array(json_object_get(e, "details")));
	snprintf(scratch, sizeof(scratch), "%s",
		 json_string_value(json_object_get(e, "code")));
	json_decref(j);
	return scratch;
}

static const char *last_call(void)
{
	fake_service_last(svc, scratch, sizeof(scratch));
	return scratch;
}

START_TEST(health_is_open)
{
	struct resp r;

	http(&r, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "\r\n");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"status\":\"ok\"}\n");
	ck_assert_int_eq(fake_service_calls(svc), 0);
	resp_free(&r);

	http(&r, "HEAD /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "\r\n");
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);
	resp_free(&r);

	http(&r, "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "\r\n");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "ready");
	resp_free(&r);
	fake_service_set_ready(svc, false);
	http(&r, "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "\r\n");
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "\"not ready\""));
	resp_free(&r);
}
END_TEST

START_TEST(token_is_required)
{
	static const char *const paths[] = {"/v1/runs/abc", "/metrics",
					    "/v1/openapi.json", "/v1/nope",
					    "/elsewhere"};
	struct resp r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		http(&r, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			 "\r\n",
		     paths[i]);
		ck_assert_msg(r.status == 401, "%s: %d", paths[i], r.status);
		ck_assert_str_eq(error_code(&r), "unauthorized");
		ck_assert_ptr_nonnull(strstr(header(&r, "WWW-Authenticate"),
					     "Bearer"));
		resp_free(&r);
	}
	http(&r, "GET /v1/runs/abc HTTP/1.1\r\nHost: t\r\nAuthorization: "
		 "Bearer t0k-s3cret-12\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	http(&r, "GET /v1/runs/abc HTTP/1.1\r\nHost: t\r\nAuthorization: "
		 "Basic " TOKEN "\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	ck_assert_int_eq(fake_service_calls(svc), 0);

	get(&r, "/v1/runs/abc");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "run_get id=abc");
	resp_free(&r);
}
END_TEST

START_TEST(routing_errors)
{
	struct resp r;
	json_t *j, *d;

	get(&r, "/v1/nope");
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(error_code(&r), "not_found");
	resp_free(&r);

	http(&r, "DELETE /v1/runs/abc HTTP/1.1\r\nHost: t\r\n" AUTH
		 "Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(error_code(&r), "method_not_allowed");
	ck_assert_str_eq(header(&r, "Allow"), "GET, HEAD");
	resp_free(&r);

	get(&r, "/v1/pipelines/validate");
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(header(&r, "Allow"), "POST");
	resp_free(&r);

	get(&r, "/v1/runs?limit=5000");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "invalid_parameter");
	j = body_json(&r);
	d = json_array_get(
		json_object_get(json_object_get(j, "error"), "details"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(d, "parameter")),
			 "limit");
	ck_assert_ptr_nonnull(strstr(
		json_string_value(json_object_get(json_object_get(j, "error"),
						  "message")),
		"limit must be an integer from 1 to 1000"));
	json_decref(j);
	resp_free(&r);

	get(&r, "/v1/runs/r1/buffer/s/files/..%2Fsecret");
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	get(&r, "/v1/runs/r1/buffer/s/files/a%00b");
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	ck_assert_int_eq(fake_service_calls(svc), 0);
}
END_TEST

START_TEST(pipelines)
{
	const char *yaml = "name: orders\nstreams: []\n";
	struct resp r;
	json_t *j, *d;

	send_body(&r, "POST", "/v1/pipelines", "application/yaml", yaml);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(header(&r, "Location"), "/v1/pipelines/orders");
	ck_assert_str_eq(last_call(),
			 "pipeline_put name=(null) format=yaml len=25 "
			 "doc=orders");
	resp_free(&r);

	send_body(&r, "POST", "/v1/pipelines", "text/yaml; charset=utf-8",
		  yaml);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines", "application/json",
		  "{\"name\": \"orders\"}");
	ck_assert_int_eq(r.status, 201);
	ck_assert_ptr_nonnull(strstr(last_call(), "format=json"));
	resp_free(&r);

	fake_service_reset(svc);
	send_body(&r, "POST", "/v1/pipelines", "text/plain", yaml);
	ck_assert_int_eq(r.status, 415);
	ck_assert_str_eq(error_code(&r), "unsupported_media_type");
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines", NULL, yaml);
	ck_assert_int_eq(r.status, 415);
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines", "application/yaml", "");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "missing_body");
	resp_free(&r);
	ck_assert_int_eq(fake_service_calls(svc), 0);

	send_body(&r, "POST", "/v1/pipelines", "application/yaml",
		  "name: x\ninvalid: true\n");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "invalid_pipeline");
	j = body_json(&r);
	d = json_object_get(json_object_get(j, "error"), "details");
	ck_assert_uint_eq(json_array_size(d), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(d, 0), "line")),
			 14);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(d, 1), "path")),
			 "streams[1].id");
	json_decref(j);
	resp_free(&r);

	send_body(&r, "POST", "/v1/pipelines/validate", "application/yaml",
		  "malformed: [");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "malformed_body");
	ck_assert_ptr_nonnull(strstr(r.body, "\"line\":3"));
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines/validate", "application/yaml",
		  yaml);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"valid\":true"));
	resp_free(&r);

	send_body(&r, "POST", "/v1/pipelines", "application/yaml",
		  "name: busy\n");
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(error_code(&r), "conflict");
	resp_free(&r);

	send_body(&r, "PUT", "/v1/pipelines/new", "application/yaml", yaml);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(header(&r, "Location"), "/v1/pipelines/new");
	resp_free(&r);
	send_body(&r, "PUT", "/v1/pipelines/orders", "application/yaml", yaml);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(header(&r, "Location"));
	ck_assert_ptr_nonnull(strstr(last_call(), "name=orders"));
	resp_free(&r);

	get(&r, "/v1/pipelines");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "pipeline_list");
	resp_free(&r);
	get(&r, "/v1/pipelines/my%20pipe");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "pipeline_get name=my pipe");
	resp_free(&r);
	get(&r, "/v1/pipelines/missing");
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(error_code(&r), "not_found");
	resp_free(&r);

	http(&r, "DELETE /v1/pipelines/orders HTTP/1.1\r\nHost: t\r\n" AUTH
		 "Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 204);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_ptr_null(header(&r, "Content-Type"));
	resp_free(&r);
	http(&r, "DELETE /v1/pipelines/busy HTTP/1.1\r\nHost: t\r\n" AUTH
		 "Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 409);
	resp_free(&r);

	send_body(&r, "POST", "/v1/pipelines/orders/pause", "application/json",
		  "{}");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "pipeline_pause name=orders paused=1");
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines/orders/resume", NULL, "");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "pipeline_pause name=orders paused=0");
	resp_free(&r);
}
END_TEST

START_TEST(state)
{
	struct resp r;

	get(&r, "/v1/pipelines/orders/state");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "state_get name=orders");
	resp_free(&r);
	send_body(&r, "PUT", "/v1/pipelines/orders/state", "application/json",
		  "{\"streams\": {\"orders\": {\"field\": \"id\", \"value\": "
		  "5}}}");
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"value\":5"));
	resp_free(&r);
	send_body(&r, "PUT", "/v1/pipelines/orders/state", "application/json",
		  "");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "missing_body");
	resp_free(&r);
	send_body(&r, "PUT", "/v1/pipelines/busy/state", "application/json",
		  "{}");
	ck_assert_int_eq(r.status, 409);
	resp_free(&r);
	http(&r, "DELETE /v1/pipelines/orders/state HTTP/1.1\r\nHost: t\r\n"
		 AUTH "Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "state_reset name=orders");
	resp_free(&r);
}
END_TEST

START_TEST(body_limits)
{
	char big[3000], raw[4096];
	struct resp r;
	int n;

	/* A declared length over the limit is refused before the body. */
	http(&r, "POST /v1/pipelines HTTP/1.1\r\nHost: t\r\n" AUTH
		 "Content-Type: application/yaml\r\nContent-Length: 5000\r\n"
		 "Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 413);
	ck_assert_str_eq(error_code(&r), "payload_too_large");
	resp_free(&r);

	/* A chunked body is measured as it comes. */
	memset(big, 'a', sizeof(big));
	n = snprintf(raw, sizeof(raw),
		     "POST /v1/pipelines HTTP/1.1\r\nHost: t\r\n" AUTH
		     "Content-Type: application/yaml\r\n"
		     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
		     "%zx\r\n%.*s\r\n0\r\n\r\n",
		     sizeof(big), (int)sizeof(big), big);
	exchange_on(AF_INET, port, raw, (size_t)n, &r);
	ck_assert_int_eq(r.status, 413);
	resp_free(&r);
	ck_assert_int_eq(fake_service_calls(svc), 0);

	/* Exactly the limit is fine. */
	memcpy(big, "name: x\n#", 9);
	big[1024] = '\0';
	send_body(&r, "POST", "/v1/pipelines", "application/yaml", big);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	big[1024] = 'a';
	big[1025] = '\0';
	send_body(&r, "POST", "/v1/pipelines", "application/yaml", big);
	ck_assert_int_eq(r.status, 413);
	resp_free(&r);

	/* And the server goes on. */
	http(&r, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "\r\n");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

START_TEST(runs)
{
	struct resp r;

	send_body(&r, "POST", "/v1/pipelines/orders/runs", NULL, "");
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(header(&r, "Location"), "/v1/runs/run-1");
	ck_assert_str_eq(last_call(), "run_start pipeline=orders body=(null)");
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines/orders/runs", "application/json",
		  "{\"streams\": [\"a\"], \"tags\": [\"nightly\"]}");
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(last_call(),
			 "run_start pipeline=orders body={\"streams\":[\"a\"],"
			 "\"tags\":[\"nightly\"]}");
	resp_free(&r);
	fake_service_reset(svc);
	send_body(&r, "POST", "/v1/pipelines/orders/runs", "text/plain",
		  "streams=a");
	ck_assert_int_eq(r.status, 415);
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines/orders/runs", "application/json",
		  "{\"streams\": [");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "malformed_body");
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines/orders/runs", "application/json",
		  "[\"a\"]");
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	ck_assert_int_eq(fake_service_calls(svc), 0);
	send_body(&r, "POST", "/v1/pipelines/full/runs", NULL, "");
	ck_assert_int_eq(r.status, 507);
	ck_assert_str_eq(error_code(&r), "insufficient_storage");
	resp_free(&r);

	get(&r, "/v1/runs?pipeline=orders&status=failed&limit=5&after=r9");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "run_list pipeline=orders status=failed "
				      "limit=5 after=r9");
	resp_free(&r);
	get(&r, "/v1/runs");
	ck_assert_str_eq(last_call(), "run_list pipeline=(null) "
				      "status=(null) limit=50 after=(null)");
	resp_free(&r);

	get(&r, "/v1/runs/abc");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"), "application/json");
	ck_assert_ptr_nonnull(strstr(r.body, "\"phase\":\"loading\""));
	resp_free(&r);
	get(&r, "/v1/runs/missing");
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(error_code(&r), "not_found");
	ck_assert_ptr_nonnull(strstr(r.body, "\\\"missing\\\" not found"));
	resp_free(&r);
	get(&r, "/v1/runs/boom");
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(error_code(&r), "internal_error");
	resp_free(&r);

	send_body(&r, "POST", "/v1/runs/abc/cancel", NULL, "");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "run_cancel id=abc");
	resp_free(&r);
	send_body(&r, "POST", "/v1/runs/abc/retry", "application/json", "{}");
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(header(&r, "Location"), "/v1/runs/run-2");
	resp_free(&r);
	get(&r, "/v1/runs/abc/events");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "run_events id=abc");
	resp_free(&r);
	get(&r, "/v1/operators");
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "SQLiteLoader"));
	resp_free(&r);
}
END_TEST

START_TEST(buffer)
{
	char path[] = "/tmp/dxt-api-file-XXXXXX";
	const char content[] = "id,name\n1,a\n2,b\n";
	struct resp r;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, sizeof(content) - 1),
			 (ssize_t)sizeof(content) - 1);
	close(fd);
	fake_service_set_file(svc, path);

	get(&r, "/v1/runs/abc/buffer");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "buffer_list id=abc");
	resp_free(&r);
	get(&r, "/v1/runs/abc/buffer/orders/records?limit=5&offset=10");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "buffer_records id=abc stream=orders "
				      "limit=5 offset=10");
	resp_free(&r);
	get(&r, "/v1/runs/abc/buffer/orders/records");
	ck_assert_str_eq(last_call(), "buffer_records id=abc stream=orders "
				      "limit=100 offset=0");
	resp_free(&r);

	get(&r, "/v1/runs/abc/buffer/orders/files/part-00000.csv");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"),
			 "application/octet-stream");
	ck_assert_str_eq(header(&r, "Content-Disposition"),
			 "attachment; filename*=UTF-8''part-00000.csv");
	ck_assert_uint_eq(r.len, sizeof(content) - 1);
	ck_assert_str_eq(r.body, content);
	resp_free(&r);

	get(&r, "/v1/runs/abc/buffer/orders/files/files%2Fin%20put.csv");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(last_call(), "buffer_file id=abc stream=orders "
				      "name=files/in put.csv");
	ck_assert_str_eq(header(&r, "Content-Disposition"),
			 "attachment; filename*=UTF-8''in%20put.csv");
	resp_free(&r);

	fake_service_reset(svc);
	get(&r, "/v1/runs/abc/buffer/orders/files/files%2F..%2F..%2Fetc");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "invalid_parameter");
	resp_free(&r);
	ck_assert_int_eq(fake_service_calls(svc), 0);
	get(&r, "/v1/runs/abc/buffer/orders/files/missing");
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(error_code(&r), "not_found");
	resp_free(&r);
	unlink(path);
}
END_TEST

START_TEST(metrics)
{
	struct resp r;
	const char *daemon_part, *http_part;

	get(&r, "/v1/runs/abc");
	resp_free(&r);
	get(&r, "/v1/runs/def");
	resp_free(&r);
	get(&r, "/v1/runs/missing");
	resp_free(&r);
	http(&r, "GET /v1/runs/abc HTTP/1.1\r\nHost: t\r\nConnection: "
		 "close\r\n\r\n");
	resp_free(&r);
	get(&r, "/nowhere");
	resp_free(&r);

	get(&r, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"),
			 "text/plain; version=0.0.4; charset=utf-8");
	daemon_part = strstr(r.body, "dxtd_runs_total{status=\"succeeded\"} 3");
	http_part = strstr(r.body, "dxtd_http_requests_total{route=\"/v1/runs/"
				   "{id}\",status=\"200\"} 2\n");
	ck_assert_ptr_nonnull(daemon_part);
	ck_assert_ptr_nonnull(http_part);
	ck_assert(daemon_part < http_part);
	ck_assert_ptr_nonnull(strstr(r.body, "{route=\"/v1/runs/{id}\","
					     "status=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "{route=\"/v1/runs/{id}\","
					     "status=\"401\"} 1\n"));
	ck_assert_ptr_nonnull(
		strstr(r.body, "{route=\"other\",status=\"404\"} 1\n"));
	resp_free(&r);
}
END_TEST

START_TEST(openapi)
{
	struct resp r;
	json_t *j;

	get(&r, "/v1/openapi.json");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"), "application/json");
	j = body_json(&r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "openapi")),
			 "3.1.0");
	ck_assert_ptr_nonnull(json_object_get(
		json_object_get(json_object_get(j, "paths"), "/v1/runs/{id}"),
		"get"));
	json_decref(j);
	resp_free(&r);
}
END_TEST

START_TEST(keep_alive)
{
	const char req[] = "GET /v1/runs/abc HTTP/1.1\r\nHost: t\r\n" AUTH
			   "\r\n";
	struct dxt_buf in = {0};
	char chunk[8192];
	int fd = connect_to(AF_INET, port), answers = 0;

	send_all(fd, req, sizeof(req) - 1);
	send_all(fd, req, sizeof(req) - 1);
	/* Two complete answers arrive on the one connection. */
	while (answers < 2) {
		ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
		const char *p;

		ck_assert_int_gt(got, 0);
		dxt_buf_append(&in, chunk, (size_t)got);
		answers = 0;
		p = (const char *)in.data;
		while ((p = memmem(p, in.len - (size_t)(p - (char *)in.data),
				   "\"error\":null}\n", 14)) != NULL) {
			answers++;
			p += 14;
		}
	}
	ck_assert_int_eq(fake_service_calls(svc), 2);
	close(fd);
	dxt_buf_free(&in);
}
END_TEST

START_TEST(survives_garbage)
{
	static const char *const bad[] = {
		"BLAH\r\n\r\n",
		"GET\r\n\r\n",
		"GET /v1/runs/abc HTTP/9.9\r\n\r\n",
		"POST /v1/pipelines HTTP/1.1\r\nHost: t\r\nContent-Length: "
		"abc\r\n\r\n",
		"\x01\x02\x03\r\n\r\n",
	};
	char longurl[40000];
	struct resp r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = connect_to(AF_INET, port);
		char sink[4096];

		send_all(fd, bad[i], strlen(bad[i]));
		shutdown(fd, SHUT_WR);
		while (recv(fd, sink, sizeof(sink), 0) > 0)
			;
		close(fd);
	}
	memset(longurl, 'a', sizeof(longurl));
	memcpy(longurl, "/v1/runs/", 9);
	longurl[sizeof(longurl) - 1] = '\0';
	{
		int fd = connect_to(AF_INET, port);
		char sink[4096];

		send_all(fd, "GET ", 4);
		send_all(fd, longurl, strlen(longurl));
		send_all(fd, " HTTP/1.1\r\n\r\n", 13);
		while (recv(fd, sink, sizeof(sink), 0) > 0)
			;
		close(fd);
	}
	http(&r, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "\r\n");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

START_TEST(access_log)
{
	char path[] = "/tmp/dxt-api-log-XXXXXX";
	char text[8192];
	struct resp r;
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	dxt_log_setup(DXT_LOG_TEXT, DXT_LOG_DEBUG);
	get(&r, "/v1/runs/abc?limit=1");
	resp_free(&r);
	send_body(&r, "POST", "/v1/pipelines", "application/yaml",
		  "name: BODY-MARKER\n");
	resp_free(&r);
	get(&r, "/v1/runs/boom");
	resp_free(&r);
	/* Stopping waits for every request, so every line is written. */
	dxt_api_stop(api);
	api = NULL;
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	ck_assert_int_gt(n, 0);
	text[n] = '\0';
	close(fd);
	unlink(path);
	ck_assert_msg(strstr(text, "debug: http GET /v1/runs/abc 400 ") != NULL,
		      "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "debug: http POST /v1/pipelines 201 "));
	ck_assert_ptr_nonnull(strstr(text, "ms\n"));
	ck_assert_ptr_nonnull(
		strstr(text, "error: http GET /v1/runs/boom: 500 {\"error\""));
	ck_assert_ptr_null(strstr(text, "BODY-MARKER"));
	ck_assert_ptr_null(strstr(text, TOKEN));
	ck_assert_ptr_null(strstr(text, "limit=1"));
}
END_TEST

static void *slow_request(void *arg)
{
	struct resp *r = arg;

	get(r, "/v1/runs/slow");
	return NULL;
}

START_TEST(stop_finishes_requests_in_flight)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	struct resp r;
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, slow_request, &r), 0);
	nanosleep(&ts, NULL);
	dxt_api_stop(api);
	api = NULL;
	pthread_join(t, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"id\":\"slow\""));
	resp_free(&r);
	ck_assert_int_lt(connect_to(AF_INET, port), 0);
}
END_TEST

struct hammer {
	int ok;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 100; i++) {
		struct resp r;

		get(&r, "/v1/runs/abc");
		h->ok += r.status == 200;
		resp_free(&r);
	}
	return NULL;
}

START_TEST(concurrent_requests)
{
	struct hammer h[4] = {{0}};
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer_run, &h[i]);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(h[i].ok, 100);
	}
	ck_assert_int_eq(fake_service_calls(svc), 400);
}
END_TEST

START_TEST(listen_addresses)
{
	struct dxt_api_opts o = {.host = "[::1]"};
	struct dxt_api *b = NULL;
	struct dxt_error err;
	struct resp r;
	const char req[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: "
			   "close\r\n\r\n";
	char msg[32];
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};

	/* IPv6 where the machine has a loopback for it. */
	a6.sin6_addr = in6addr_loopback;
	if (probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof(a6)) == 0) {
		dxt_error_clear(&err);
		ck_assert_int_eq(dxt_api_start(svc, &o, &b, &err), DXT_OK);
		exchange_on(AF_INET6, dxt_api_port(b), req, sizeof(req) - 1,
			    &r);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
		dxt_api_stop(b);
	}
	if (probe >= 0)
		close(probe);

	/* The port taken by the fixture's server. */
	o.host = "127.0.0.1";
	o.port = port;
	dxt_error_clear(&err);
	ck_assert_int_eq(dxt_api_start(svc, &o, &b, &err), DXT_EIO);
	ck_assert_ptr_null(b);
	snprintf(msg, sizeof(msg), "port %d", port);
	ck_assert_ptr_nonnull(strstr(err.message, msg));
	ck_assert_ptr_nonnull(strstr(err.message, "in use"));

	o.host = "not a host name";
	o.port = 0;
	ck_assert_int_eq(dxt_api_start(svc, &o, &b, &err), DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "not a host name"));
	o.host = "127.0.0.1";
	o.port = 70000;
	ck_assert_int_eq(dxt_api_start(svc, &o, &b, &err), DXT_EINVAL);
}
END_TEST

START_TEST(idle_connections_time_out)
{
	struct dxt_api_opts o = {.timeout = 1};
	struct timeval tv = {5, 0};
	struct timespec t0, t1;
	struct dxt_api *b = NULL;
	struct dxt_error err;
	char sink[256];
	int fd;

	dxt_error_clear(&err);
	ck_assert_int_eq(dxt_api_start(svc, &o, &b, &err), DXT_OK);
	fd = connect_to(AF_INET, dxt_api_port(b));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* A client that never finishes its headers is dropped. */
	send_all(fd, "GET /healthz HTTP/1.1\r\n", 24);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(recv(fd, sink, sizeof(sink), 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 4);
	close(fd);
	dxt_api_stop(b);
}
END_TEST

static Suite *api_server_suite(void)
{
	Suite *s = suite_create("api_server");
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, health_is_open);
	tcase_add_test(tc, token_is_required);
	tcase_add_test(tc, routing_errors);
	tcase_add_test(tc, pipelines);
	tcase_add_test(tc, state);
	tcase_add_test(tc, body_limits);
	tcase_add_test(tc, runs);
	tcase_add_test(tc, buffer);
	tcase_add_test(tc, metrics);
	tcase_add_test(tc, openapi);
	tcase_add_test(tc, keep_alive);
	tcase_add_test(tc, survives_garbage);
	tcase_add_test(tc, access_log);
	tcase_add_test(tc, stop_finishes_requests_in_flight);
	tcase_add_test(tc, concurrent_requests);
	tcase_add_test(tc, listen_addresses);
	tcase_add_test(tc, idle_connections_time_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_server_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
