/*
 * test_api_router.c - the control API without a server: routing, path and
 * query parameters, header parsing, the bearer check, the error envelope,
 * the request counters and the OpenAPI document generated from the routes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/openapi.h"
#include "api/render.h"
#include "api/router.h"
#include "engine/doc.h"

static char buf[4096];

static struct dxt_api_match route(const char *method, const char *uri)
{
	struct dxt_api_match m;

	dxt_api_route_request(method, uri, buf, sizeof(buf), &m);
	return m;
}

static json_t *reply_body(const struct dxt_api_reply *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, 0, &e);

	ck_assert_msg(j != NULL, "reply body is not JSON: %.*s", (int)r->len,
		      r->body);
	return j;
}

START_TEST(routes_each_template)
{
	struct dxt_api_match m;

	m = route("GET", "/v1/runs/r-123");
	ck_assert_int_eq(m.status, 0);
	ck_assert_int_eq(m.route->id, DXT_API_RUN_GET);
	ck_assert_uint_eq(m.nparams, 1);
	ck_assert_str_eq(m.params[0], "r-123");

	m = route("POST", "/v1/pipelines/orders/runs");
	ck_assert_int_eq(m.route->id, DXT_API_RUN_START);
	ck_assert_str_eq(m.params[0], "orders");

	m = route("GET", "/v1/runs/r1/buffer/orders/records");
	ck_assert_int_eq(m.route->id, DXT_API_BUFFER_RECORDS);
	ck_assert_str_eq(m.params[0], "r1");
	ck_assert_str_eq(m.params[1], "orders");

	m = route("GET", "/v1/runs/r1/buffer/orders/files/part-00000.csv.zst");
	ck_assert_int_eq(m.route->id, DXT_API_BUFFER_FILE);
	ck_assert_str_eq(m.params[2], "part-00000.csv.zst");

	m = route("DELETE", "/v1/pipelines/orders/state");
	ck_assert_int_eq(m.route->id, DXT_API_STATE_RESET);
	m = route("PUT", "/v1/pipelines/orders");
	ck_assert_int_eq(m.route->id, DXT_API_PIPELINE_PUT);
	m = route("POST", "/v1/pipelines");
	ck_assert_int_eq(m.route->id, DXT_API_PIPELINE_CREATE);
	m = route("GET", "/v1/pipelines");
	ck_assert_int_eq(m.route->id, DXT_API_PIPELINE_LIST);
	m = route("GET", "/metrics");
	ck_assert_int_eq(m.route->id, DXT_API_METRICS);
	ck_assert(!m.open);

	/* HEAD is answered like GET; health routes are open. */
	m = route("HEAD", "/healthz");
	ck_assert_int_eq(m.route->id, DXT_API_HEALTHZ);
	ck_assert(m.open);
	m = route("GET", "/readyz");
	ck_assert(m.open);

	/* An absolute-form target routes by its path. */
	m = route("GET", "http://localhost:8710/v1/runs/abc");
	ck_assert_int_eq(m.route->id, DXT_API_RUN_GET);
	ck_assert_str_eq(m.path, "/v1/runs/abc");
}
END_TEST

START_TEST(unknown_paths_are_404)
{
	ck_assert_int_eq(route("GET", "/v1/nope").status, 404);
	ck_assert_int_eq(route("GET", "/").status, 404);
	ck_assert_int_eq(route("GET", "").status, 404);
	ck_assert_int_eq(route("GET", NULL).status, 404);
	ck_assert_int_eq(route("GET", "*").status, 404);
	ck_assert_int_eq(route("GET", "/v1/runs/").status, 404);
	ck_assert_int_eq(route("GET", "/v1/runs/a/b/c/d/e/f/g/h/i").status,
			 404);
	/* An unencoded slash in a file name is a path that does not exist. */
	ck_assert_int_eq(
		route("GET", "/v1/runs/r/buffer/s/files/files/a.csv").status,
		404);
	/* Literal segments are compared after decoding. */
	ck_assert_int_eq(route("GET", "/v1/%72uns").route->id,
			 DXT_API_RUN_LIST);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
	struct dxt_api_match m;
	char allow[64];

	m = route("DELETE", "/v1/runs/abc");
	ck_assert_int_eq(m.status, 405);
	dxt_api_allow_format(m.allow, allow, sizeof(allow));
	ck_assert_str_eq(allow, "GET, HEAD");

	m = route("PATCH", "/v1/pipelines/orders");
	ck_assert_int_eq(m.status, 405);
	dxt_api_allow_format(m.allow, allow, sizeof(allow));
	ck_assert_str_eq(allow, "GET, HEAD, PUT, DELETE");

	/* The literal "validate" shadows {name}: it is not a pipeline. */
	m = route("GET", "/v1/pipelines/validate");
	ck_assert_int_eq(m.status, 405);
	dxt_api_allow_format(m.allow, allow, sizeof(allow));
	ck_assert_str_eq(allow, "POST");

	m = route("GET", "/v1/pipelines/orders/runs");
	ck_assert_int_eq(m.status, 405);
	dxt_api_allow_format(m.allow, allow, sizeof(allow));
	ck_assert_str_eq(allow, "POST");

	m = route("POST", "/healthz");
	ck_assert_int_eq(m.status, 405);
	ck_assert(m.open);
}
END_TEST

START_TEST(path_parameters_are_decoded_and_checked)
{
	struct dxt_api_match m;

	m = route("GET", "/v1/pipelines/my%20pipe");
	ck_assert_int_eq(m.status, 0);
	ck_assert_str_eq(m.params[0], "my pipe");

	m = route("GET", "/v1/pipelines/%2e%2e");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "name");
	ck_assert_ptr_nonnull(strstr(m.message, "\"..\""));

	m = route("GET", "/v1/runs/a%2Fb");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "id");
	ck_assert_ptr_nonnull(strstr(m.message, "'/'"));

	m = route("GET", "/v1/runs/a%00b");
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "NUL"));

	m = route("GET", "/v1/runs/a%zz");
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "percent-encoding"));
	m = route("GET", "/v1/runs/a%4");
	ck_assert_int_eq(m.status, 400);

	m = route("GET", "/v1/runs/r1/buffer/s%2F..%2Fx/records");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "stream");
}
END_TEST

START_TEST(staged_file_names)
{
	struct dxt_api_match m;

	/* A passthrough file: files/<name>, slash encoded. */
	m = route("GET", "/v1/runs/r1/buffer/s/files/files%2Fin%20put.csv");
	ck_assert_int_eq(m.status, 0);
	ck_assert_str_eq(m.params[2], "files/in put.csv");

	m = route("GET", "/v1/runs/r1/buffer/s/files/files%2F..%2Fx");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "name");
	m = route("GET", "/v1/runs/r1/buffer/s/files/files%2Fa%2Fb");
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "files%2F<name>"));
	m = route("GET", "/v1/runs/r1/buffer/s/files/x%2Ffiles");
	ck_assert_int_eq(m.status, 400);
	m = route("GET", "/v1/runs/r1/buffer/s/files/files%2F");
	ck_assert_int_eq(m.status, 400);
	m = route("GET", "/v1/runs/r1/buffer/s/files/%2Fetc%2Fpasswd");
	ck_assert_int_eq(m.status, 400);
	m = route("GET", "/v1/runs/r1/buffer/s/files/a.csv%00.zst");
	ck_assert_int_eq(m.status, 400);
	m = route("GET", "/v1/runs/r1/buffer/s/files/..");
	ck_assert_int_eq(m.status, 400);
}
END_TEST

START_TEST(query_parameters)
{
	struct dxt_api_match m;

	m = route("GET", "/v1/runs?limit=10&status=failed&pipeline=a+b%21"
			 "&after=r-9");
	ck_assert_int_eq(m.status, 0);
	ck_assert_str_eq(m.query[0], "a b!");
	ck_assert_str_eq(m.query[1], "failed");
	ck_assert_uint_eq(m.qnum[2], 10);
	ck_assert_str_eq(m.query[3], "r-9");

	m = route("GET", "/v1/runs");
	ck_assert_ptr_null(m.query[0]);
	ck_assert_uint_eq(m.qnum[2], 50);

	m = route("GET", "/v1/runs/r/buffer/s/records");
	ck_assert_uint_eq(m.qnum[0], 100);
	ck_assert_uint_eq(m.qnum[1], 0);
	m = route("GET", "/v1/runs/r/buffer/s/records?offset="
			 "18446744073709551615&limit=10000");
	ck_assert_int_eq(m.status, 0);
	ck_assert_uint_eq(m.qnum[1], UINT64_MAX);
	ck_assert_uint_eq(m.qnum[0], 10000);

	m = route("GET", "/v1/runs/r/buffer/s/records?offset="
			 "18446744073709551616");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "offset");

	m = route("GET", "/v1/runs?limit=0");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "limit");
	ck_assert_str_eq(m.message,
			 "query parameter limit must be an integer from 1 to "
			 "1000");
	ck_assert_int_eq(route("GET", "/v1/runs?limit=1001").status, 400);
	ck_assert_int_eq(route("GET", "/v1/runs?limit=-1").status, 400);
	ck_assert_int_eq(route("GET", "/v1/runs?limit=1x").status, 400);
	ck_assert_int_eq(route("GET", "/v1/runs?limit=").status, 400);

	m = route("GET", "/v1/runs?status=bogus");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "status");
	ck_assert_ptr_nonnull(strstr(m.message, "queued, running"));

	m = route("GET", "/v1/runs?limt=5");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "limt");
	ck_assert_str_eq(m.message,
			 "unknown query parameter \"limt\": /v1/runs takes "
			 "pipeline, status, limit, after");

	m = route("GET", "/v1/runs?limit=5&limit=6");
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "given twice"));

	m = route("GET", "/v1/runs?pipeline=");
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.bad_param, "pipeline");

	m = route("GET", "/healthz?x=1");
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.message, "takes none"));

	/* Empty pieces ("?", "&&") are nothing. */
	ck_assert_int_eq(route("GET", "/healthz?").status, 0);
	ck_assert_int_eq(route("GET", "/v1/runs?&&limit=2&").status, 0);
}
END_TEST

START_TEST(small_buffer_is_414)
{
	struct dxt_api_match m;
	char small[8];

	ck_assert_int_eq(dxt_api_route_request("GET", "/v1/runs/abc", small,
					       sizeof(small), &m),
			 414);
}
END_TEST

START_TEST(percent_coding)
{
	char out[64];
	long n;

	n = dxt_api_pct_decode("a%2Fb+c", 7, out, false);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(out, "a/b+c");
	n = dxt_api_pct_decode("a%2fb+c", 7, out, true);
	ck_assert_str_eq(out, "a/b c");
	ck_assert_int_eq(dxt_api_pct_decode("%", 1, out, false), -1);
	ck_assert_int_eq(dxt_api_pct_decode("%g0", 3, out, false), -1);
	ck_assert_uint_eq(dxt_api_pct_encode("a b/ü", out, sizeof(out)), 14);
	ck_assert_str_eq(out, "a%20b%2F%C3%BC");
	/* Truncation still terminates and reports the full length. */
	ck_assert_uint_eq(dxt_api_pct_encode("abcdef", out, 4), 6);
	ck_assert_str_eq(out, "abc");
}
END_TEST

START_TEST(content_types)
{
	ck_assert_int_eq(dxt_api_media_parse("application/json"),
			 DXT_API_MEDIA_JSON);
	ck_assert_int_eq(dxt_api_media_parse(" Application/JSON; "
					     "charset=utf-8"),
			 DXT_API_MEDIA_JSON);
	ck_assert_int_eq(dxt_api_media_parse("application/yaml"),
			 DXT_API_MEDIA_YAML);
	ck_assert_int_eq(dxt_api_media_parse("application/x-yaml"),
			 DXT_API_MEDIA_YAML);
	ck_assert_int_eq(dxt_api_media_parse("text/yaml;charset=utf-8"),
			 DXT_API_MEDIA_YAML);
	ck_assert_int_eq(dxt_api_media_parse("text/plain"),
			 DXT_API_MEDIA_OTHER);
	ck_assert_int_eq(dxt_api_media_parse(
				 "application/x-www-form-urlencoded"),
			 DXT_API_MEDIA_OTHER);
	ck_assert_int_eq(dxt_api_media_parse("application/jsonx"),
			 DXT_API_MEDIA_OTHER);
	ck_assert_int_eq(dxt_api_media_parse(NULL), DXT_API_MEDIA_NONE);
	ck_assert_int_eq(dxt_api_media_parse(""), DXT_API_MEDIA_NONE);
}
END_TEST

START_TEST(bearer_tokens)
{
	const char *t = "s3cret";

	ck_assert(dxt_api_auth_ok("Bearer s3cret", t, 6));
	ck_assert(dxt_api_auth_ok("bearer   s3cret ", t, 6));
	ck_assert(!dxt_api_auth_ok("Bearer s3cre", t, 6));
	ck_assert(!dxt_api_auth_ok("Bearer s3cret2", t, 6));
	ck_assert(!dxt_api_auth_ok("Bearer S3cret", t, 6));
	ck_assert(!dxt_api_auth_ok("Basic s3cret", t, 6));
	ck_assert(!dxt_api_auth_ok("Bearers3cret", t, 6));
	ck_assert(!dxt_api_auth_ok("Bearer", t, 6));
	ck_assert(!dxt_api_auth_ok("Bearer ", t, 6));
	ck_assert(!dxt_api_auth_ok("s3cret", t, 6));
	ck_assert(!dxt_api_auth_ok(NULL, t, 6));
	ck_assert(!dxt_api_auth_ok("Bearer ", "", 0));
}
END_TEST

START_TEST(service_errors_render_in_the_envelope)
{
	static const struct {
		int rc, status;
		const char *code;
	} cases[] = {
		{DXT_ENOTFOUND, 404, "not_found"},
		{DXT_EEXISTS, 409, "conflict"},
		{DXT_EINVAL, 400, "invalid_argument"},
		{DXT_EPARSE, 400, "malformed_body"},
		{DXT_ELIMIT, 507, "insufficient_storage"},
		{DXT_EIO, 500, "internal_error"},
	};
	struct dxt_api_reply r;
	struct dxt_error err;
	json_t *j, *e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dxt_error_clear(&err);
		dxt_error_set(&err, cases[i].rc, "run r9 not found");
		dxt_api_reply_init(&r);
		dxt_api_reply_svc_error(&r, cases[i].rc, &err, NULL);
		ck_assert_int_eq(r.status, cases[i].status);
		ck_assert_str_eq(r.content_type, "application/json");
		j = reply_body(&r);
		e = json_object_get(j, "error");
		ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
				 cases[i].code);
		ck_assert_str_eq(
			json_string_value(json_object_get(e, "message")),
			"run r9 not found");
		ck_assert(json_is_array(json_object_get(e, "details")));
		ck_assert_uint_eq(json_array_size(json_object_get(e, "details")),
				  0);
		json_decref(j);
		dxt_api_reply_free(&r);
	}

	/* No message: the code's own text. */
	dxt_error_clear(&err);
	dxt_api_reply_init(&r);
	dxt_api_reply_svc_error(&r, DXT_ENOTFOUND, &err, NULL);
	j = reply_body(&r);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(j, "error"), "message")),
			 "not found");
	json_decref(j);
	dxt_api_reply_free(&r);
}
END_TEST

START_TEST(invalid_pipeline_lists_every_diagnostic)
{
	struct dxt_diags diags = {0};
	struct dxt_api_reply r;
	struct dxt_error err;
	json_t *j, *d, *d1;

	dxt_diags_add(&diags, "streams[0].load.mode", 14, 13,
		      "use append, replace or upsert",
		      "\"merge\" is not one of append, replace, upsert");
	dxt_diags_add(&diags, "name", 1, 7, NULL, "name is required");
	dxt_error_clear(&err);
	dxt_error_set(&err, DXT_ECONFIG, "pipeline has 2 problems");
	dxt_api_reply_init(&r);
	dxt_api_reply_result(&r, DXT_ECONFIG, 201, NULL, &err, &diags);
	ck_assert_int_eq(r.status, 400);
	j = reply_body(&r);
	d = json_object_get(json_object_get(j, "error"), "details");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(j, "error"), "code")),
			 "invalid_pipeline");
	ck_assert_uint_eq(json_array_size(d), 2);
	d1 = json_array_get(d, 0);
	ck_assert_str_eq(json_string_value(json_object_get(d1, "path")),
			 "streams[0].load.mode");
	ck_assert_int_eq(json_integer_value(json_object_get(d1, "line")), 14);
	ck_assert_int_eq(json_integer_value(json_object_get(d1, "column")),
			 13);
	ck_assert_str_eq(json_string_value(json_object_get(d1, "hint")),
			 "use append, replace or upsert");
	ck_assert(json_is_null(json_object_get(json_array_get(d, 1), "hint")));
	json_decref(j);
	dxt_api_reply_free(&r);
	dxt_diags_free(&diags);
}
END_TEST

START_TEST(json_bodies)
{
	struct dxt_api_reply r;
	json_t *out, *j, *e;

	dxt_api_reply_init(&r);
	ck_assert(dxt_api_body_object(NULL, 0, false, &r, &out));
	ck_assert_ptr_null(out);
	ck_assert(!dxt_api_body_object(NULL, 0, true, &r, &out));
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error_code, "missing_body");
	dxt_api_reply_free(&r);

	dxt_api_reply_init(&r);
	ck_assert(!dxt_api_body_object("{\"streams\":\n [1,}", 17, false, &r,
				       &out));
	ck_assert_int_eq(r.status, 400);
	j = reply_body(&r);
	e = json_object_get(j, "error");
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
			 "malformed_body");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(e, "message")),
		       "line 2, column"));
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(json_object_get(e, "details"), 0),
				 "line")),
			 2);
	json_decref(j);
	dxt_api_reply_free(&r);

	dxt_api_reply_init(&r);
	ck_assert(!dxt_api_body_object("[1]", 3, false, &r, &out));
	ck_assert_int_eq(r.status, 400);
	dxt_api_reply_free(&r);

	dxt_api_reply_init(&r);
	ck_assert(!dxt_api_body_object("{\"a\":1,\"a\":2}", 13, false, &r,
				       &out));
	dxt_api_reply_free(&r);

	dxt_api_reply_init(&r);
	ck_assert(dxt_api_body_object("{\"streams\":[\"a\"]}", 17, true, &r,
				      &out));
	ck_assert(json_is_array(json_object_get(out, "streams")));
	json_decref(out);
	dxt_api_reply_free(&r);
}
END_TEST

START_TEST(success_replies)
{
	struct dxt_api_reply r;
	json_t *out = json_pack("{s:s, s:i}", "id", "r 1/2", "version", 3);

	dxt_api_reply_init(&r);
	dxt_api_reply_location(&r, "/v1/runs/", out, "id");
	dxt_api_reply_result(&r, DXT_OK, 202, out, NULL, NULL);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(r.location, "/v1/runs/r%201%2F2");
	ck_assert_uint_eq(r.len, strlen("{\"id\":\"r 1/2\",\"version\":3}\n"));
	ck_assert(memcmp(r.body, "{\"id\":\"r 1/2\",\"version\":3}\n", r.len) ==
		  0);
	dxt_api_reply_free(&r);

	/* DELETE: no body at all. */
	dxt_api_reply_init(&r);
	dxt_api_reply_result(&r, DXT_OK, 204, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 204);
	ck_assert_ptr_null(r.body);
	ck_assert_ptr_null(r.content_type);
	dxt_api_reply_free(&r);
}
END_TEST

START_TEST(request_counters)
{
	struct dxt_api_counters *c = calloc(1, sizeof(*c));
	struct dxt_buf b = {0};
	char *text;

	dxt_api_count(c, DXT_API_RUN_GET, 200);
	dxt_api_count(c, DXT_API_RUN_GET, 200);
	dxt_api_count(c, DXT_API_RUN_GET, 404);
	/* GET and PUT of one template are one series per status. */
	dxt_api_count(c, DXT_API_PIPELINE_GET, 200);
	dxt_api_count(c, DXT_API_PIPELINE_PUT, 200);
	dxt_api_count(c, DXT_API_PIPELINE_DELETE, 204);
	dxt_api_count(c, DXT_API__NROUTES, 404);
	dxt_api_count(c, DXT_API_RUN_GET, 42); /* not a status: ignored */
	ck_assert_int_eq(dxt_api_counters_render(c, &b), DXT_OK);
	ck_assert_int_eq(dxt_buf_putc(&b, '\0'), DXT_OK);
	text = (char *)b.data;
	ck_assert_ptr_nonnull(strstr(text, "# TYPE dxtd_http_requests_total "
					   "counter\n"));
	ck_assert_ptr_nonnull(strstr(text, "dxtd_http_requests_total{route="
					   "\"/v1/runs/{id}\",status=\"200\"} "
					   "2\n"));
	ck_assert_ptr_nonnull(strstr(text, "dxtd_http_requests_total{route="
					   "\"/v1/runs/{id}\",status=\"404\"} "
					   "1\n"));
	ck_assert_ptr_nonnull(strstr(text, "{route=\"/v1/pipelines/{name}\","
					   "status=\"200\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "{route=\"/v1/pipelines/{name}\","
					   "status=\"204\"} 1\n"));
	ck_assert_ptr_nonnull(
		strstr(text, "{route=\"other\",status=\"404\"} 1\n"));
	ck_assert_ptr_null(strstr(text, "/healthz"));
	ck_assert_ptr_nonnull(strstr(text, "dxtd_http_requests_in_flight 0\n"));
	dxt_buf_free(&b);
	free(c);
}
END_TEST

static const char *method_key(enum dxt_api_method m)
{
	switch (m) {
	case DXT_API_GET:
		return "get";
	case DXT_API_PUT:
		return "put";
	case DXT_API_POST:
		return "post";
	default:
		return "delete";
	}
}

/* The path template with every {param} replaced by "x". */
static void concrete(const char *tpl, char *out, size_t len)
{
	size_t o = 0;

	for (; *tpl != '\0' && o + 2 < len; tpl++) {
		if (*tpl == '{') {
			out[o++] = 'x';
			while (*tpl != '}' && *tpl != '\0')
				tpl++;
		} else {
			out[o++] = *tpl;
		}
	}
	out[o] = '\0';
}

START_TEST(openapi_documents_every_route)
{
	json_t *doc = dxt_api_openapi(), *paths;

	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")),
			 "3.1.0");
	paths = json_object_get(doc, "paths");
	for (size_t i = 0; i < DXT_API__NROUTES; i++) {
		const struct dxt_api_route *r = &dxt_api_routes[i];
		json_t *op = json_object_get(json_object_get(paths, r->path),
					     method_key(r->method));
		json_t *resp;
		char code[8];

		ck_assert_msg(op != NULL, "%s %s is not documented",
			      method_key(r->method), r->path);
		ck_assert_str_eq(
			json_string_value(json_object_get(op, "operationId")),
			r->operation_id);
		resp = json_object_get(op, "responses");
		snprintf(code, sizeof(code), "%d", r->status);
		ck_assert_msg(json_object_get(resp, code) != NULL,
			      "%s lacks its %s response", r->path, code);
		ck_assert_str_eq(json_string_value(json_object_get(
					 json_object_get(resp, "500"), "$ref")),
				 "#/components/responses/InternalError");
		ck_assert_msg((json_object_get(resp, "401") == NULL) == r->open,
			      "%s: 401 documented iff the route needs a token",
			      r->path);
		ck_assert((json_object_get(op, "requestBody") != NULL) ==
			  (r->body != DXT_API_BODY_NONE));
		ck_assert_uint_eq(
			json_array_size(json_object_get(op, "parameters")),
			r->nquery);
	}
	json_decref(doc);
}
END_TEST

START_TEST(openapi_documents_only_routes)
{
	json_t *doc = dxt_api_openapi(), *paths, *item, *v;
	const char *path, *key;
	size_t nops = 0;

	paths = json_object_get(doc, "paths");
	json_object_foreach(paths, path, item)
	{
		char uri[256];
		size_t nparams = 0;

		concrete(path, uri, sizeof(uri));
		for (const char *p = path; (p = strchr(p, '{')) != NULL; p++)
			nparams++;
		ck_assert_uint_eq(
			json_array_size(json_object_get(item, "parameters")),
			nparams);
		json_object_foreach(item, key, v)
		{
			struct dxt_api_match m;
			char method[8];
			size_t k;

			if (strcmp(key, "parameters") == 0)
				continue;
			for (k = 0; key[k] != '\0' && k < 7; k++)
				method[k] = (char)(key[k] - 'a' + 'A');
			method[k] = '\0';
			dxt_api_route_request(method, uri, buf, sizeof(buf),
					      &m);
			ck_assert_msg(m.status == 0, "%s %s is documented but "
						     "answers %d",
				      method, uri, m.status);
			ck_assert_str_eq(m.route->path, path);
			ck_assert_str_eq(
				json_string_value(
					json_object_get(v, "operationId")),
				m.route->operation_id);
			nops++;
		}
	}
	ck_assert_uint_eq(nops, DXT_API__NROUTES);
	/* Every $ref points at something in components. */
	ck_assert_ptr_nonnull(json_object_get(
		json_object_get(json_object_get(doc, "components"), "schemas"),
		"Error"));
	v = json_object_get(json_object_get(json_object_get(doc, "components"),
					    "securitySchemes"),
			    "bearer");
	ck_assert_str_eq(json_string_value(json_object_get(v, "scheme")),
			 "bearer");
	json_decref(doc);
}
END_TEST

/* Walks the document and checks that every "$ref" resolves. */
static void check_refs(json_t *root, json_t *node)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_array(node)) {
		json_array_foreach(node, i, v) check_refs(root, v);
		return;
	}
	if (!json_is_object(node))
		return;
	json_object_foreach(node, key, v)
	{
		if (strcmp(key, "$ref") == 0) {
			const char *ref = json_string_value(v);
			char kind[32], name[64];
			json_t *target;

			ck_assert_int_eq(sscanf(ref, "#/components/%31[^/]/%63s",
						kind, name),
					 2);
			target = json_object_get(
				json_object_get(json_object_get(root,
								"components"),
						kind),
				name);
			ck_assert_msg(target != NULL, "dangling $ref %s", ref);
		} else {
			check_refs(root, v);
		}
	}
}

START_TEST(openapi_refs_resolve)
{
	json_t *doc = dxt_api_openapi();

	check_refs(doc, doc);
	json_decref(doc);
}
END_TEST

Suite *dxt_test_api_router(void)
{
	Suite *s = suite_create("api_router");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, routes_each_template);
	tcase_add_test(tc, unknown_paths_are_404);
	tcase_add_test(tc, wrong_method_is_405_with_allow);
	tcase_add_test(tc, path_parameters_are_decoded_and_checked);
	tcase_add_test(tc, staged_file_names);
	tcase_add_test(tc, query_parameters);
	tcase_add_test(tc, small_buffer_is_414);
	tcase_add_test(tc, percent_coding);
	tcase_add_test(tc, content_types);
	tcase_add_test(tc, bearer_tokens);
	tcase_add_test(tc, service_errors_render_in_the_envelope);
	tcase_add_test(tc, invalid_pipeline_lists_every_diagnostic);
	tcase_add_test(tc, json_bodies);
	tcase_add_test(tc, success_replies);
	tcase_add_test(tc, request_counters);
	tcase_add_test(tc, openapi_documents_every_route);
	tcase_add_test(tc, openapi_documents_only_routes);
	tcase_add_test(tc, openapi_refs_resolve);
	suite_add_tcase(s, tc);
	return s;
}
