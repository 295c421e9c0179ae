/*
 * render.c - replies, the error envelope, the service-error mapping and the
 * request counters' text.
 */
#include "render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What is sent when even rendering an error runs out of memory. */
static const char oom_body[] =
	"{\"error\":{\"code\":\"internal_error\",\"message\":\"out of "
	"memory\",\"details\":[]}}\n";

void dxt_api_reply_init(struct dxt_api_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
	r->fd = -1;
}

static void drop_body(struct dxt_api_reply *r)
{
	if (!r->body_static)
		free(r->body);
	r->body = NULL;
	r->len = 0;
	r->body_static = false;
}

void dxt_api_reply_free(struct dxt_api_reply *r)
{
	drop_body(r);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->location);
	r->location = NULL;
	free(r->disposition);
	r->disposition = NULL;
}

static void reply_oom(struct dxt_api_reply *r)
{
	drop_body(r);
	r->status = 500;
	r->content_type = DXT_API_CT_JSON;
	r->body = (char *)oom_body;
	r->len = sizeof(oom_body) - 1;
	r->body_static = true;
	r->error_code = "internal_error";
}

static int dump_cb(const char *p, size_t n, void *ctx)
{
	return dxt_buf_append(ctx, p, n) == DXT_OK ? 0 : -1;
}

void dxt_api_reply_json(struct dxt_api_reply *r, int status, json_t *body)
{
	struct dxt_buf b = {0};

	drop_body(r);
	r->status = status;
	if (body == NULL) {
		r->content_type = NULL;
		return;
	}
	/* The whole body is rendered into one buffer that is handed to the
	 * server as is: one allocation grown by doubling, no copy. */
	if (json_dump_callback(body, dump_cb, &b,
			       JSON_COMPACT | JSON_ENCODE_ANY) != 0 ||
	    dxt_buf_putc(&b, '\n') != DXT_OK) {
		json_decref(body);
		dxt_buf_free(&b);
		reply_oom(r);
		return;
	}
	json_decref(body);
	r->content_type = DXT_API_CT_JSON;
	r->body = (char *)b.data;
	r->len = b.len;
}

void dxt_api_reply_buf(struct dxt_api_reply *r, int status,
		       const char *content_type, struct dxt_buf *buf)
{
	drop_body(r);
	r->status = status;
	r->content_type = content_type;
	r->body = (char *)buf->data;
	r->len = buf->len;
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

static void reply_verror(struct dxt_api_reply *r, int status,
			 const char *code, json_t *details, const char *fmt,
			 va_list ap)
{
	char msg[DXT_ERROR_MSG_MAX + 256];
	json_t *e;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (details == NULL)
		details = json_array();
	e = json_pack("{s:{s:s, s:s, s:o}}", "error", "code", code, "message",
		      msg, "details", details);
	if (e == NULL) {
		/* json_pack() took the reference to details either way. */
		reply_oom(r);
		return;
	}
	dxt_api_reply_json(r, status, e);
	if (r->status == status)
		r->error_code = code;
}

void dxt_api_reply_error(struct dxt_api_reply *r, int status,
			 const char *code, json_t *details, const char *fmt,
			 ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_verror(r, status, code, details, fmt, ap);
	va_end(ap);
}

int dxt_api_status_of(int rc)
{
	switch (rc) {
	case DXT_ENOTFOUND:
		return 404;
	case DXT_EEXISTS:
		return 409;
	case DXT_ECONFIG:
	case DXT_EPARSE:
	case DXT_EINVAL:
		return 400;
	case DXT_ELIMIT:
		return 507;
	default:
		return 500;
	}
}

const char *dxt_api_code_of(int rc)
{
	switch (rc) {
	case DXT_ENOTFOUND:
		return "not_found";
	case DXT_EEXISTS:
		return "conflict";
	case DXT_ECONFIG:
		return "invalid_pipeline";
	case DXT_EPARSE:
		return "malformed_body";
	case DXT_EINVAL:
		return "invalid_argument";
	case DXT_ELIMIT:
		return "insufficient_storage";
	default:
		return "internal_error";
	}
}

void dxt_api_reply_svc_error(struct dxt_api_reply *r, int rc,
			     const struct dxt_error *err,
			     const struct dxt_diags *diags)
{
	const char *msg = err != NULL && err->message[0] != '\0'
				  ? err->message
				  : dxt_strerror(rc);
	json_t *details = NULL;

	if ((rc == DXT_ECONFIG || rc == DXT_EPARSE) && diags != NULL &&
	    diags->n > 0)
		details = dxt_diags_to_json(diags);
	dxt_api_reply_error(r, dxt_api_status_of(rc), dxt_api_code_of(rc),
			    details, "%s", msg);
}

void dxt_api_reply_result(struct dxt_api_reply *r, int rc, int status,
			  json_t *out, const struct dxt_error *err,
			  const struct dxt_diags *diags)
{
	if (rc == DXT_OK) {
		dxt_api_reply_json(r, status, out);
		return;
	}
	json_decref(out);
	dxt_api_reply_svc_error(r, rc, err, diags);
}

void dxt_api_reply_location(struct dxt_api_reply *r, const char *prefix,
			    const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	size_t plen, need;
	char *loc;

	if (v == NULL)
		return;
	plen = strlen(prefix);
	need = dxt_api_pct_encode(v, NULL, 0);
	loc = malloc(plen + need + 1);
	if (loc == NULL)
		return;
	memcpy(loc, prefix, plen);
	dxt_api_pct_encode(v, loc + plen, need + 1);
	free(r->location);
	r->location = loc;
}

bool dxt_api_body_object(const char *body, size_t len, bool required,
			 struct dxt_api_reply *r, json_t **out)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (len == 0) {
		if (!required)
			return true;
		dxt_api_reply_error(r, 400, "missing_body", NULL,
				    "the request body is empty; send a JSON "
				    "object");
		return false;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		dxt_api_reply_error(
			r, 400, "malformed_body",
			json_pack("[{s:s, s:i, s:i, s:s, s:n}]", "path", "",
				  "line", jerr.line, "column", jerr.column,
				  "message", jerr.text, "hint"),
			"malformed JSON body: line %d, column %d: %s",
			jerr.line, jerr.column, jerr.text);
		return false;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		dxt_api_reply_error(r, 400, "malformed_body", NULL,
				    "the request body must be a JSON object "
				    "({...})");
		return false;
	}
	*out = j;
	return true;
}

int dxt_api_counters_render(struct dxt_api_counters *c, struct dxt_buf *out)
{
	size_t first[DXT_API__NROUTES + 1];
	char line[512];
	int rc = DXT_OK;

	/* Routes that share a template (GET and DELETE of one path) are
	 * reported together under the first of them. */
	for (size_t i = 0; i <= DXT_API__NROUTES; i++) {
		first[i] = i;
		for (size_t k = 0; k < i && i < DXT_API__NROUTES; k++)
			if (strcmp(dxt_api_routes[k].path,
				   dxt_api_routes[i].path) == 0) {
				first[i] = k;
				break;
			}
	}
	if (dxt_buf_puts(out, "# HELP dxtd_http_requests_total HTTP requests "
			      "answered, by route template and status.\n"
			      "# TYPE dxtd_http_requests_total counter\n") !=
	    DXT_OK)
		return DXT_ENOMEM;
	for (size_t i = 0; i <= DXT_API__NROUTES; i++) {
		const char *tpl = i < DXT_API__NROUTES ? dxt_api_routes[i].path
						       : "other";

		if (first[i] != i)
			continue;
		for (int s = 0; s < DXT_API_STATUS_SLOTS; s++) {
			uint64_t v = 0;

			for (size_t k = i; k <= DXT_API__NROUTES; k++)
				if (first[k] == i)
					v += atomic_load_explicit(
						&c->n[k][s],
						memory_order_relaxed);
			if (v == 0)
				continue;
			snprintf(line, sizeof(line),
				 "dxtd_http_requests_total{route=\"%s\","
				 "status=\"%d\"} %" PRIu64 "\n",
				 tpl, s + 100, v);
			if ((rc = dxt_buf_puts(out, line)) != DXT_OK)
				return rc;
		}
	}
	snprintf(line, sizeof(line),
		 "# HELP dxtd_http_requests_in_flight HTTP requests being "
		 "answered.\n"
		 "# TYPE dxtd_http_requests_in_flight gauge\n"
		 "dxtd_http_requests_in_flight %ld\n",
		 atomic_load_explicit(&c->in_flight, memory_order_relaxed));
	return dxt_buf_puts(out, line);
}
