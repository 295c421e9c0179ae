/*
 * router.c - the route table, request-target parsing and matching, and the
 * small header parsers (Content-Type, Authorization) the server needs
 * before it calls a handler.
 */
#include "router.h"

#include <stdio.h>
#include <string.h>

/* --- the table ----------------------------------------------------------- */

static const char *const run_statuses[] = {"queued",    "running",
					   "succeeded", "failed",
					   "cancelled", "interrupted",
					   NULL};

static const struct dxt_api_qparam run_list_query[] = {
	{.name = "pipeline",
	 .type = DXT_API_Q_STRING,
	 .description = "Only runs of this pipeline."},
	{.name = "status",
	 .type = DXT_API_Q_ENUM,
	 .values = run_statuses,
	 .description = "Only runs in this status."},
	{.name = "limit",
	 .type = DXT_API_Q_UINT,
	 .min = 1,
	 .max = 1000,
	 .def = 50,
	 .description = "Runs per page."},
	{.name = "after",
	 .type = DXT_API_Q_STRING,
	 .description = "A run id: the page that follows it (the `next` "
			"field of the previous page)."},
};

static const struct dxt_api_qparam records_query[] = {
	{.name = "limit",
	 .type = DXT_API_Q_UINT,
	 .min = 1,
	 .max = 10000,
	 .def = 100,
	 .description = "Records to return."},
	{.name = "offset",
	 .type = DXT_API_Q_UINT,
	 .min = 0,
	 .max = UINT64_MAX,
	 .def = 0,
	 .description = "Records to skip from the start of the stream."},
};

#define NQ(a) (sizeof(a) / sizeof((a)[0])), (a)

/* Errors every pipeline-addressed route can answer. */
#define ERR_NAME (DXT_API_ERR_400 | DXT_API_ERR_404)

const struct dxt_api_route dxt_api_routes[DXT_API__NROUTES] = {
	[DXT_API_HEALTHZ] = {
		.id = DXT_API_HEALTHZ, .method = DXT_API_GET,
		.path = "/healthz", .operation_id = "healthz",
		.summary = "Liveness",
		.description = "200 while the HTTP server answers. Never needs "
			       "the token.",
		.open = true, .status = 200, .schema = "Health"},
	[DXT_API_READYZ] = {
		.id = DXT_API_READYZ, .method = DXT_API_GET,
		.path = "/readyz", .operation_id = "readyz",
		.summary = "Readiness",
		.description = "200 when the state store is open and the spool "
			       "writable, 503 otherwise; the body lists each "
			       "check. Never needs the token.",
		.open = true, .status = 200, .schema = "Readiness",
		.errors = DXT_API_ERR_503},
	[DXT_API_METRICS] = {
		.id = DXT_API_METRICS, .method = DXT_API_GET,
		.path = "/metrics", .operation_id = "metrics",
		.summary = "Prometheus metrics",
		.description = "The daemon's metrics (runs, rows, bytes, spool) "
			       "followed by dxtd_http_requests_total by route "
			       "template and status, in the Prometheus text "
			       "format 0.0.4.",
		.status = 200, .content = DXT_API_CONTENT_METRICS},
	[DXT_API_OPENAPI] = {
		.id = DXT_API_OPENAPI, .method = DXT_API_GET,
		.path = "/v1/openapi.json", .operation_id = "getOpenApi",
		.summary = "This document",
		.description = "The OpenAPI 3.1 description of the control API, "
			       "generated from the server's route table.",
		.status = 200, .schema = "Object"},
	[DXT_API_OPERATORS] = {
		.id = DXT_API_OPERATORS, .method = DXT_API_GET,
		.path = "/v1/operators", .operation_id = "listOperators",
		.summary = "Operators in the provider path",
		.description = "Every extractor, loader and connector found by "
			       "scanning the provider path: class path, kind, "
			       "category, unit.",
		.status = 200, .schema = "OperatorList"},
	[DXT_API_PIPELINE_CREATE] = {
		.id = DXT_API_PIPELINE_CREATE, .method = DXT_API_POST,
		.path = "/v1/pipelines", .operation_id = "createPipeline",
		.summary = "Create a pipeline",
		.description = "Validates and stores a pipeline document (YAML "
			       "or JSON). 201 with a Location header; 400 with "
			       "every problem found in `details`; 409 when a "
			       "pipeline of that name exists.",
		.body = DXT_API_BODY_PIPELINE, .status = 201,
		.schema = "Pipeline",
		.errors = DXT_API_ERR_400 | DXT_API_ERR_409 | DXT_API_ERR_413 |
			  DXT_API_ERR_415},
	[DXT_API_PIPELINE_VALIDATE] = {
		.id = DXT_API_PIPELINE_VALIDATE, .method = DXT_API_POST,
		.path = "/v1/pipelines/validate",
		.operation_id = "validatePipeline",
		.summary = "Validate a pipeline without storing it",
		.description = "200 with the pipeline's name and streams when "
			       "valid; 400 with every problem found in "
			       "`details` otherwise.",
		.body = DXT_API_BODY_PIPELINE, .status = 200,
		.schema = "Validation",
		.errors = DXT_API_ERR_400 | DXT_API_ERR_413 | DXT_API_ERR_415},
	[DXT_API_PIPELINE_LIST] = {
		.id = DXT_API_PIPELINE_LIST, .method = DXT_API_GET,
		.path = "/v1/pipelines", .operation_id = "listPipelines",
		.summary = "List pipelines", .status = 200,
		.description = "Every stored pipeline with its latest version, "
			       "schedule and pause state.",
		.schema = "PipelineList"},
	[DXT_API_PIPELINE_GET] = {
		.id = DXT_API_PIPELINE_GET, .method = DXT_API_GET,
		.path = "/v1/pipelines/{name}", .operation_id = "getPipeline",
		.summary = "Show a pipeline",
		.description = "The pipeline and its stored document with "
			       "secrets and placeholders redacted.",
		.status = 200, .schema = "Pipeline", .errors = ERR_NAME},
	[DXT_API_PIPELINE_PUT] = {
		.id = DXT_API_PIPELINE_PUT, .method = DXT_API_PUT,
		.path = "/v1/pipelines/{name}", .operation_id = "putPipeline",
		.summary = "Create or replace a pipeline",
		.description = "Stores the document as a new version (200) or "
			       "a new pipeline (201 with Location). The "
			       "document's name must be {name}.",
		.body = DXT_API_BODY_PIPELINE, .status = 200,
		.schema = "Pipeline",
		.errors = DXT_API_ERR_400 | DXT_API_ERR_413 | DXT_API_ERR_415},
	[DXT_API_PIPELINE_DELETE] = {
		.id = DXT_API_PIPELINE_DELETE, .method = DXT_API_DELETE,
		.path = "/v1/pipelines/{name}",
		.operation_id = "deletePipeline",
		.summary = "Delete a pipeline",
		.description = "204 on success. Its runs' history stays. "
			       "Refused with 409 while a run is active.",
		.status = 204, .content = DXT_API_CONTENT_NONE,
		.errors = ERR_NAME | DXT_API_ERR_409},
	[DXT_API_RUN_START] = {
		.id = DXT_API_RUN_START, .method = DXT_API_POST,
		.path = "/v1/pipelines/{name}/runs", .operation_id = "startRun",
		.summary = "Start a run",
		.description = "Starts a run of the pipeline's latest version. "
			       "Optional body: {\"streams\": [...], \"tags\": "
			       "[...]}. 202 with the run's status and Location "
			       "/v1/runs/{id}; 409 when max_active_runs is "
			       "reached; 507 when the spool quota is used up.",
		.body = DXT_API_BODY_JSON_OPTIONAL, .status = 202,
		.schema = "RunStatus",
		.errors = ERR_NAME | DXT_API_ERR_409 | DXT_API_ERR_413 |
			  DXT_API_ERR_415 | DXT_API_ERR_507},
	[DXT_API_PIPELINE_PAUSE] = {
		.id = DXT_API_PIPELINE_PAUSE, .method = DXT_API_POST,
		.path = "/v1/pipelines/{name}/pause",
		.operation_id = "pausePipeline",
		.summary = "Pause the schedule",
		.description = "Stops scheduling new runs of the pipeline; runs "
			       "in flight go on. The body, if any, is an empty "
			       "JSON object.",
		.body = DXT_API_BODY_JSON_OPTIONAL, .status = 200,
		.schema = "Pipeline",
		.errors = ERR_NAME | DXT_API_ERR_413 | DXT_API_ERR_415},
	[DXT_API_PIPELINE_RESUME] = {
		.id = DXT_API_PIPELINE_RESUME, .method = DXT_API_POST,
		.path = "/v1/pipelines/{name}/resume",
		.operation_id = "resumePipeline",
		.summary = "Resume the schedule",
		.description = "Schedules the pipeline again. The body, if any, "
			       "is an empty JSON object.",
		.body = DXT_API_BODY_JSON_OPTIONAL, .status = 200,
		.schema = "Pipeline",
		.errors = ERR_NAME | DXT_API_ERR_413 | DXT_API_ERR_415},
	[DXT_API_STATE_GET] = {
		.id = DXT_API_STATE_GET, .method = DXT_API_GET,
		.path = "/v1/pipelines/{name}/state",
		.operation_id = "getPipelineState",
		.summary = "Read incremental watermarks",
		.description = "The pipeline's watermark per stream.",
		.status = 200, .schema = "State", .errors = ERR_NAME},
	[DXT_API_STATE_SET] = {
		.id = DXT_API_STATE_SET, .method = DXT_API_PUT,
		.path = "/v1/pipelines/{name}/state",
		.operation_id = "setPipelineState",
		.summary = "Set incremental watermarks",
		.description = "Replaces the watermarks of the streams given "
			       "({\"streams\": {\"<id>\": {\"field\", "
			       "\"value\"}}}). Refused with 409 while a run is "
			       "active.",
		.body = DXT_API_BODY_JSON, .status = 200, .schema = "State",
		.errors = ERR_NAME | DXT_API_ERR_409 | DXT_API_ERR_413 |
			  DXT_API_ERR_415},
	[DXT_API_STATE_RESET] = {
		.id = DXT_API_STATE_RESET, .method = DXT_API_DELETE,
		.path = "/v1/pipelines/{name}/state",
		.operation_id = "resetPipelineState",
		.summary = "Reset incremental watermarks",
		.description = "Clears every watermark, so the next run "
			       "extracts everything; 200 with the emptied "
			       "state. Refused with 409 while a run is active.",
		.status = 200, .schema = "State",
		.errors = ERR_NAME | DXT_API_ERR_409},
	[DXT_API_RUN_LIST] = {
		.id = DXT_API_RUN_LIST, .method = DXT_API_GET,
		.path = "/v1/runs", .operation_id = "listRuns",
		.summary = "List runs",
		.description = "Runs newest first, one page at a time: pass the "
			       "returned `next` as `after` for the next page.",
		.status = 200, .schema = "RunList",
		.errors = DXT_API_ERR_400, .nquery = NQ(run_list_query)},
	[DXT_API_RUN_GET] = {
		.id = DXT_API_RUN_GET, .method = DXT_API_GET,
		.path = "/v1/runs/{id}", .operation_id = "getRun",
		.summary = "Run status",
		.description = "Status with per-stream phase, counts, timings "
			       "and errors.",
		.status = 200, .schema = "RunStatus", .errors = ERR_NAME},
	[DXT_API_RUN_CANCEL] = {
		.id = DXT_API_RUN_CANCEL, .method = DXT_API_POST,
		.path = "/v1/runs/{id}/cancel", .operation_id = "cancelRun",
		.summary = "Cancel a run",
		.description = "Cancels a queued or running run and returns its "
			       "status. The body, if any, is an empty JSON "
			       "object.",
		.body = DXT_API_BODY_JSON_OPTIONAL, .status = 200,
		.schema = "RunStatus",
		.errors = ERR_NAME | DXT_API_ERR_409 | DXT_API_ERR_413 |
			  DXT_API_ERR_415},
	[DXT_API_RUN_RETRY] = {
		.id = DXT_API_RUN_RETRY, .method = DXT_API_POST,
		.path = "/v1/runs/{id}/retry", .operation_id = "retryRun",
		.summary = "Retry a run from its buffer",
		.description = "Retries the failed or interrupted streams, "
			       "loading from the buffer without re-extracting "
			       "when it is complete. 202 with the new "
			       "attempt's status and Location.",
		.body = DXT_API_BODY_JSON_OPTIONAL, .status = 202,
		.schema = "RunStatus",
		.errors = ERR_NAME | DXT_API_ERR_409 | DXT_API_ERR_413 |
			  DXT_API_ERR_415 | DXT_API_ERR_507},
	[DXT_API_RUN_EVENTS] = {
		.id = DXT_API_RUN_EVENTS, .method = DXT_API_GET,
		.path = "/v1/runs/{id}/events", .operation_id = "getRunEvents",
		.summary = "Run log events",
		.description = "The run's log events, oldest first.",
		.status = 200, .schema = "Events", .errors = ERR_NAME},
	[DXT_API_BUFFER_LIST] = {
		.id = DXT_API_BUFFER_LIST, .method = DXT_API_GET,
		.path = "/v1/runs/{id}/buffer", .operation_id = "getRunBuffer",
		.summary = "Staged files per stream",
		.description = "Per stream: format, compression, rows, bytes, "
			       "schema, whether staging completed, and its "
			       "files.",
		.status = 200, .schema = "Buffer", .errors = ERR_NAME},
	[DXT_API_BUFFER_RECORDS] = {
		.id = DXT_API_BUFFER_RECORDS, .method = DXT_API_GET,
		.path = "/v1/runs/{id}/buffer/{stream}/records",
		.operation_id = "getBufferRecords",
		.summary = "Staged records as JSON",
		.description = "A page of a record stream's staged rows.",
		.status = 200, .schema = "Records", .errors = ERR_NAME,
		.nquery = NQ(records_query)},
	[DXT_API_BUFFER_FILE] = {
		.id = DXT_API_BUFFER_FILE, .method = DXT_API_GET,
		.path = "/v1/runs/{id}/buffer/{stream}/files/{name}",
		.operation_id = "getBufferFile",
		.summary = "One staged file as bytes",
		.description = "The file as staged (compressed parts stay "
			       "compressed). {name} is a name from the buffer "
			       "listing; a passthrough file's \"files/<name>\" "
			       "is sent with its slash encoded: "
			       "files%2F<name>. A name holding \"..\" or any "
			       "other '/' is refused with 400.",
		.status = 200, .content = DXT_API_CONTENT_BYTES,
		.errors = ERR_NAME},
};

/* --- small helpers ------------------------------------------------------- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of s[0..n) with the lowercase word `w`. */
static bool word_eq(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || lower((unsigned char)s[i]) != w[i])
			return false;
	return w[n] == '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

unsigned dxt_api_method_parse(const char *method)
{
	if (method == NULL)
		return 0;
	if (strcmp(method, "GET") == 0)
		return DXT_API_GET;
	if (strcmp(method, "HEAD") == 0)
		return DXT_API_HEAD;
	if (strcmp(method, "POST") == 0)
		return DXT_API_POST;
	if (strcmp(method, "PUT") == 0)
		return DXT_API_PUT;
	if (strcmp(method, "DELETE") == 0)
		return DXT_API_DELETE;
	return 0;
}

void dxt_api_allow_format(unsigned methods, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} order[] = {{DXT_API_GET, "GET"},   {DXT_API_HEAD, "HEAD"},
		     {DXT_API_POST, "POST"}, {DXT_API_PUT, "PUT"},
		     {DXT_API_DELETE, "DELETE"}};
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	/* A path that answers GET answers HEAD too. */
	if (methods & DXT_API_GET)
		methods |= DXT_API_HEAD;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int n;

		if (!(methods & order[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s",
			     used ? ", " : "", order[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

long dxt_api_pct_decode(const char *src, size_t n, char *dst,
			bool plus_is_space)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = src[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			dst[o++] = ' ';
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
	return (long)o;
}

size_t dxt_api_pct_encode(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			     c == '_' || c == '~';

		if (plain) {
			if (o + 1 < len)
				buf[o] = (char)c;
			o++;
		} else {
			if (o + 3 < len) {
				buf[o] = '%';
				buf[o + 1] = hex[c >> 4];
				buf[o + 2] = hex[c & 15];
			}
			o += 3;
		}
	}
	if (len > 0)
		buf[o < len ? o : len - 1] = '\0';
	return o;
}

enum dxt_api_media dxt_api_media_parse(const char *ct)
{
	size_t n = 0;

	if (ct == NULL)
		return DXT_API_MEDIA_NONE;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	while (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t')
		n++;
	if (n == 0)
		return DXT_API_MEDIA_NONE;
	if (word_eq(ct, n, "application/json"))
		return DXT_API_MEDIA_JSON;
	if (word_eq(ct, n, "application/yaml") ||
	    word_eq(ct, n, "application/x-yaml") || word_eq(ct, n, "text/yaml"))
		return DXT_API_MEDIA_YAML;
	return DXT_API_MEDIA_OTHER;
}

bool dxt_api_auth_ok(const char *header, const char *token, size_t token_len)
{
	const char *given;
	size_t glen, i;
	unsigned diff;

	if (header == NULL || token == NULL)
		return false;
	while (*header == ' ' || *header == '\t')
		header++;
	if (!word_eq(header, 6, "bearer") ||
	    (header[6] != ' ' && header[6] != '\t'))
		return false;
	given = header + 6;
	while (*given == ' ' || *given == '\t')
		given++;
	glen = strlen(given);
	while (glen > 0 && (given[glen - 1] == ' ' || given[glen - 1] == '\t'))
		glen--;
	/*
	 * Every byte of the configured token is compared whatever the
	 * given one holds, so the time taken does not depend on where the
	 * first difference is; a length difference is folded in as well.
	 */
	diff = (unsigned)(glen ^ token_len);
	for (i = 0; i < token_len; i++) {
		unsigned char g = i < glen ? (unsigned char)given[i] : 0;

		diff |= (unsigned)(g ^ (unsigned char)token[i]);
	}
	return diff == 0 && token_len > 0;
}

/* --- matching ------------------------------------------------------------ */

#define MAX_SEGS 8

struct seg {
	const char *s; /* decoded, NUL-terminated (MAY hold NUL bytes) */
	size_t n;
};

/* A bump allocator over the caller's buffer. */
struct arena {
	char *p;
	size_t used, cap;
};

static char *arena_take(struct arena *a, size_t n)
{
	char *p;

	if (a->cap - a->used < n)
		return NULL;
	p = a->p + a->used;
	a->used += n;
	return p;
}

static int set_bad(struct dxt_api_match *m, const char *param,
		   const char *fmt, const char *a, const char *b)
{
	m->status = 400;
	m->bad_param = param;
	snprintf(m->message, sizeof(m->message), fmt, a, b);
	return 400;
}

/*
 * Matches the decoded segments against one template. Returns -1 when it
 * does not match, else its specificity: one bit per literal segment, the
 * first segment in the highest bit, so that where two templates match, the
 * one whose first difference is a literal wins.
 */
static long template_match(const char *tpl, const struct seg *segs,
			   size_t nsegs)
{
	long spec = 0;
	size_t i = 0;

	while (*tpl == '/') {
		const char *end;
		size_t n;

		tpl++;
		end = strchr(tpl, '/');
		n = end ? (size_t)(end - tpl) : strlen(tpl);
		if (i >= nsegs)
			return -1;
		if (tpl[0] == '{') {
			/* An empty segment ("/v1/runs/") is no value. */
			if (segs[i].n == 0)
				return -1;
			spec <<= 1;
		} else {
			if (segs[i].n != n || memcmp(segs[i].s, tpl, n) != 0)
				return -1;
			spec = (spec << 1) | 1;
		}
		i++;
		tpl += n;
	}
	return i == nsegs ? spec : -1;
}

/* Checks a decoded path parameter; see router.h for the rules. */
static int check_param(struct dxt_api_match *m, const char *tpl_name,
		       const struct seg *sg, bool is_file)
{
	const char *v = sg->s;
	size_t n = sg->n;

	if (n == 0)
		return set_bad(m, tpl_name, "path parameter %s is empty%s",
			       tpl_name, "");
	if (memchr(v, '\0', n) != NULL)
		return set_bad(m, tpl_name,
			       "path parameter %s contains a NUL byte (%%00)%s",
			       tpl_name, "");
	if (strstr(v, "..") != NULL)
		return set_bad(m, tpl_name,
			       "path parameter %s must not contain \"..\"%s",
			       tpl_name, "");
	if (is_file && n > 6 && memcmp(v, "files/", 6) == 0) {
		v += 6;
		n -= 6;
	}
	if (memchr(v, '/', n) != NULL)
		return set_bad(m, tpl_name,
			       is_file ? "path parameter %s must not contain "
					 "'/' (a passthrough file is "
					 "files%%2F<name>)%s"
				       : "path parameter %s must not contain "
					 "'/'%s",
			       tpl_name, "");
	return 0;
}

/* The name of the template's parameter that starts at `tpl` ("{id}"). */
static const char *param_name(const char *tpl, char *buf, size_t len)
{
	const char *end = strchr(tpl, '}');
	size_t n = end ? (size_t)(end - tpl - 1) : 0;

	if (n >= len)
		n = len - 1;
	memcpy(buf, tpl + 1, n);
	buf[n] = '\0';
	return buf;
}

/* Fills m->params from the chosen template. */
static int extract_params(struct dxt_api_match *m, const struct seg *segs)
{
	static const char *const names[] = {"name", "id", "stream"};
	const char *tpl = m->route->path;
	size_t i = 0;

	m->nparams = 0;
	while (*tpl == '/') {
		const char *end;

		tpl++;
		end = strchr(tpl, '/');
		if (tpl[0] == '{') {
			char nb[16];
			const char *pname = param_name(tpl, nb, sizeof(nb));
			bool is_file = m->route->id == DXT_API_BUFFER_FILE &&
				       end == NULL;
			size_t k;

			/* bad_param must outlive this call: use a static
			 * spelling of the name. */
			for (k = 0; k < 3; k++)
				if (strcmp(names[k], pname) == 0)
					pname = names[k];
			if (check_param(m, pname, &segs[i], is_file) != 0)
				return 400;
			if (m->nparams < DXT_API_MAX_PARAMS)
				m->params[m->nparams++] = segs[i].s;
		}
		i++;
		tpl = end ? end : tpl + strlen(tpl);
	}
	return 0;
}

static bool parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Lists the route's query parameter names ("limit, offset"). */
static void query_names(const struct dxt_api_route *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nquery; i++) {
		int n = snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", r->query[i].name);

		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

static int check_qvalue(struct dxt_api_match *m, size_t k, const char *v)
{
	const struct dxt_api_qparam *q = &m->route->query[k];
	char tmp[160];

	switch (q->type) {
	case DXT_API_Q_STRING:
		if (*v == '\0')
			return set_bad(m, q->name,
				       "query parameter %s is empty%s", q->name,
				       "");
		break;
	case DXT_API_Q_ENUM: {
		size_t used = 0;

		for (size_t i = 0; q->values[i] != NULL; i++)
			if (strcmp(q->values[i], v) == 0)
				return 0;
		tmp[0] = '\0';
		for (size_t i = 0; q->values[i] != NULL; i++) {
			int n = snprintf(tmp + used, sizeof(tmp) - used, "%s%s",
					 i ? ", " : "", q->values[i]);

			if (n < 0 || (size_t)n >= sizeof(tmp) - used)
				break;
			used += (size_t)n;
		}
		return set_bad(m, q->name,
			       "query parameter %s must be one of %s", q->name,
			       tmp);
	}
	case DXT_API_Q_UINT:
		if (!parse_uint(v, &m->qnum[k]) || m->qnum[k] < q->min ||
		    m->qnum[k] > q->max) {
			if (q->max == UINT64_MAX)
				snprintf(tmp, sizeof(tmp),
					 "an integer >= %llu",
					 (unsigned long long)q->min);
			else
				snprintf(tmp, sizeof(tmp),
					 "an integer from %llu to %llu",
					 (unsigned long long)q->min,
					 (unsigned long long)q->max);
			return set_bad(m, q->name,
				       "query parameter %s must be %s", q->name,
				       tmp);
		}
		break;
	}
	return 0;
}

static int parse_query(struct dxt_api_match *m, const char *q, size_t qlen,
		       struct arena *a)
{
	const struct dxt_api_route *r = m->route;
	const char *end = q + qlen;
	size_t k;

	for (k = 0; k < r->nquery && k < DXT_API_MAX_QUERY; k++) {
		m->query[k] = NULL;
		m->qnum[k] = r->query[k].def;
	}
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(pe - q));
		const char *kend = eq ? eq : pe;
		char key[64], *val;
		long kn, vn;

		if (pe == q) {
			q = pe + 1;
			continue;
		}
		if ((size_t)(kend - q) >= sizeof(key)) {
			m->status = 400;
			m->bad_param = NULL;
			snprintf(m->message, sizeof(m->message),
				 "unknown query parameter \"%.*s...\"", 20, q);
			return 400;
		}
		kn = dxt_api_pct_decode(q, (size_t)(kend - q), key, true);
		if (kn < 0 || memchr(key, '\0', (size_t)kn) != NULL) {
			m->status = 400;
			m->bad_param = NULL;
			snprintf(m->message, sizeof(m->message),
				 "malformed query parameter name \"%.*s\"",
				 (int)(kend - q), q);
			return 400;
		}
		for (k = 0; k < r->nquery; k++)
			if (strcmp(r->query[k].name, key) == 0)
				break;
		if (k == r->nquery) {
			char names[96], *kcopy = arena_take(a, (size_t)kn + 1);

			query_names(r, names, sizeof(names));
			m->status = 400;
			if (kcopy != NULL)
				memcpy(kcopy, key, (size_t)kn + 1);
			m->bad_param = kcopy;
			if (r->nquery == 0)
				snprintf(m->message, sizeof(m->message),
					 "unknown query parameter \"%s\": %s "
					 "takes none",
					 key, r->path);
			else
				snprintf(m->message, sizeof(m->message),
					 "unknown query parameter \"%s\": %s "
					 "takes %s",
					 key, r->path, names);
			return 400;
		}
		if (m->query[k] != NULL)
			return set_bad(m, r->query[k].name,
				       "query parameter %s is given twice%s",
				       r->query[k].name, "");
		val = arena_take(a, eq ? (size_t)(pe - eq) : 1);
		if (val == NULL) {
			m->status = 414;
			return 414;
		}
		vn = eq ? dxt_api_pct_decode(eq + 1, (size_t)(pe - eq - 1), val,
					     true)
			: (val[0] = '\0', 0);
		if (vn < 0)
			return set_bad(m, r->query[k].name,
				       "query parameter %s has a malformed "
				       "percent-encoding%s",
				       r->query[k].name, "");
		if (memchr(val, '\0', (size_t)vn) != NULL)
			return set_bad(m, r->query[k].name,
				       "query parameter %s contains a NUL byte "
				       "(%%00)%s",
				       r->query[k].name, "");
		m->query[k] = val;
		if (check_qvalue(m, k, val) != 0)
			return 400;
		q = pe + 1;
	}
	return 0;
}

int dxt_api_route_request(const char *method, const char *uri, char *buf,
			  size_t buflen, struct dxt_api_match *m)
{
	struct arena a = {buf, 0, buflen};
	struct seg segs[MAX_SEGS];
	const char *path, *qmark, *p;
	size_t plen, qlen, nsegs = 0, i;
	unsigned meth = dxt_api_method_parse(method);
	const struct dxt_api_route *chosen = NULL;
	long best = -1;
	char *copy;

	memset(m, 0, sizeof(*m));
	m->path = "";
	if (uri == NULL || buf == NULL)
		return m->status = 404;
	if (buflen < 2 * strlen(uri) + 4)
		return m->status = 414;
	path = uri;
	/* An absolute-form target ("http://host/path") routes by its path. */
	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0) {
		path = strchr(path + (path[4] == 's' ? 8 : 7), '/');
		if (path == NULL)
			path = "/";
	}
	qmark = strchr(path, '?');
	plen = qmark ? (size_t)(qmark - path) : strlen(path);
	qlen = qmark ? strlen(qmark + 1) : 0;
	copy = arena_take(&a, plen + 1);
	memcpy(copy, path, plen);
	copy[plen] = '\0';
	m->path = copy;
	if (plen == 0 || path[0] != '/')
		return m->status = 404;

	/* Split on the raw '/' and decode each segment on its own. */
	for (p = path; p < path + plen;) {
		const char *s = p + 1, *e = s;
		char *d;
		long n;

		while (e < path + plen && *e != '/')
			e++;
		if (nsegs == MAX_SEGS)
			return m->status = 404;
		d = arena_take(&a, (size_t)(e - s) + 1);
		n = dxt_api_pct_decode(s, (size_t)(e - s), d, false);
		if (n < 0) {
			m->status = 400;
			snprintf(m->message, sizeof(m->message),
				 "malformed percent-encoding in the path "
				 "segment \"%.*s\"",
				 (int)(e - s > 64 ? 64 : e - s), s);
			return 400;
		}
		segs[nsegs].s = d;
		segs[nsegs].n = (size_t)n;
		nsegs++;
		p = e;
	}

	for (i = 0; i < DXT_API__NROUTES; i++) {
		long spec = template_match(dxt_api_routes[i].path, segs, nsegs);

		if (spec > best)
			best = spec;
	}
	if (best < 0)
		return m->status = 404;
	for (i = 0; i < DXT_API__NROUTES; i++) {
		const struct dxt_api_route *r = &dxt_api_routes[i];

		if (template_match(r->path, segs, nsegs) != best)
			continue;
		m->allow |= r->method;
		m->open = r->open;
		if (r->method == meth ||
		    (meth == DXT_API_HEAD && r->method == DXT_API_GET))
			chosen = r;
	}
	if (chosen == NULL)
		return m->status = 405;
	m->route = chosen;
	if (extract_params(m, segs) != 0)
		return m->status;
	if (parse_query(m, qmark ? qmark + 1 : "", qlen, &a) != 0)
		return m->status;
	return m->status = 0;
}
