/*
 * openapi.c - the OpenAPI document, walked out of the route table.
 */
#include "openapi.h"

#include <stdio.h>
#include <string.h>

#include "router.h"

/*
 * Component schemas. The run status follows DESIGN.md ("fields may grow,
 * never change meaning"), so objects stay open to new properties.
 */
static const char schemas_json[] =
	"{"
	"\"Error\": {\"type\": \"object\", \"required\": [\"error\"],"
	" \"properties\": {\"error\": {\"type\": \"object\","
	"  \"required\": [\"code\", \"message\", \"details\"],"
	"  \"properties\": {"
	"   \"code\": {\"type\": \"string\", \"enum\": [\"invalid_pipeline\","
	"    \"malformed_body\", \"missing_body\", \"invalid_argument\","
	"    \"invalid_parameter\", \"unauthorized\", \"not_found\","
	"    \"method_not_allowed\", \"conflict\", \"payload_too_large\","
	"    \"uri_too_long\", \"unsupported_media_type\", \"internal_error\","
	"    \"insufficient_storage\"]},"
	"   \"message\": {\"type\": \"string\"},"
	"   \"details\": {\"type\": \"array\", \"items\": {\"oneOf\": ["
	"    {\"$ref\": \"#/components/schemas/Diagnostic\"},"
	"    {\"$ref\": \"#/components/schemas/ParameterProblem\"}]}}}}}},"
	"\"Diagnostic\": {\"type\": \"object\","
	" \"description\": \"One problem in a pipeline document.\","
	" \"properties\": {\"path\": {\"type\": \"string\"},"
	"  \"line\": {\"type\": \"integer\"}, \"column\": {\"type\": \"integer\"},"
	"  \"message\": {\"type\": \"string\"},"
	"  \"hint\": {\"type\": [\"string\", \"null\"]}}},"
	"\"ParameterProblem\": {\"type\": \"object\","
	" \"properties\": {\"parameter\": {\"type\": \"string\"},"
	"  \"message\": {\"type\": \"string\"}}},"
	"\"Object\": {\"type\": \"object\"},"
	"\"Health\": {\"type\": \"object\","
	" \"properties\": {\"status\": {\"const\": \"ok\"}}},"
	"\"Readiness\": {\"type\": \"object\","
	" \"properties\": {\"status\": {\"enum\": [\"ready\", \"not ready\"]},"
	"  \"checks\": {\"type\": \"object\"}}},"
	"\"OperatorList\": {\"type\": \"object\", \"properties\": {"
	" \"operators\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
	"  \"properties\": {\"class\": {\"type\": \"string\"},"
	"   \"provider\": {\"type\": \"string\"}, \"kind\": {\"type\": \"string\"},"
	"   \"category\": {\"type\": \"string\"}, \"unit\": {\"type\": \"string\"},"
	"   \"summary\": {\"type\": \"string\"}}}}}},"
	"\"PipelineDocument\": {\"type\": \"object\","
	" \"description\": \"A pipeline document (see the README).\"},"
	"\"Pipeline\": {\"type\": \"object\", \"properties\": {"
	" \"name\": {\"type\": \"string\"}, \"version\": {\"type\": \"integer\"},"
	" \"paused\": {\"type\": \"boolean\"}, \"schedule\": {},"
	" \"streams\": {\"type\": \"array\"},"
	" \"created_at\": {\"type\": \"string\"},"
	" \"updated_at\": {\"type\": \"string\"},"
	" \"next_run_at\": {\"type\": [\"string\", \"null\"]},"
	" \"document\": {\"type\": \"object\","
	"  \"description\": \"As stored, secrets replaced by ***.\"},"
	" \"versions\": {\"type\": \"array\"}}},"
	"\"PipelineList\": {\"type\": \"object\", \"properties\": {"
	" \"pipelines\": {\"type\": \"array\","
	"  \"items\": {\"$ref\": \"#/components/schemas/Pipeline\"}}}},"
	"\"Validation\": {\"type\": \"object\", \"properties\": {"
	" \"valid\": {\"type\": \"boolean\"}, \"name\": {\"type\": \"string\"},"
	" \"streams\": {\"type\": \"array\"}}},"
	"\"RunRequest\": {\"type\": \"object\", \"properties\": {"
	" \"streams\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
	" \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}},"
	"\"StreamStatus\": {\"type\": \"object\", \"properties\": {"
	" \"id\": {\"type\": \"string\"},"
	" \"phase\": {\"enum\": [\"pending\", \"extracting\", \"staged\","
	"  \"loading\", \"loaded\", \"failed\", \"skipped\"]},"
	" \"extract_mode\": {\"type\": \"string\"},"
	" \"load_mode\": {\"type\": \"string\"},"
	" \"watermark\": {\"type\": [\"object\", \"null\"]},"
	" \"rows_extracted\": {\"type\": \"integer\"},"
	" \"rows_loaded\": {\"type\": \"integer\"},"
	" \"bytes_staged\": {\"type\": \"integer\"},"
	" \"error\": {\"type\": [\"object\", \"string\", \"null\"]}}},"
	"\"RunStatus\": {\"type\": \"object\", \"properties\": {"
	" \"id\": {\"type\": \"string\"}, \"pipeline\": {\"type\": \"string\"},"
	" \"version\": {\"type\": \"integer\"},"
	" \"trigger\": {\"enum\": [\"api\", \"schedule\", \"retry\"]},"
	" \"status\": {\"enum\": [\"queued\", \"running\", \"succeeded\","
	"  \"failed\", \"cancelled\", \"interrupted\"]},"
	" \"attempt\": {\"type\": \"integer\"},"
	" \"created_at\": {\"type\": \"string\"},"
	" \"started_at\": {\"type\": [\"string\", \"null\"]},"
	" \"ended_at\": {\"type\": [\"string\", \"null\"]},"
	" \"stats\": {\"type\": \"object\"},"
	" \"streams\": {\"type\": \"array\","
	"  \"items\": {\"$ref\": \"#/components/schemas/StreamStatus\"}},"
	" \"error\": {\"type\": [\"object\", \"null\"], \"properties\": {"
	"  \"class\": {\"enum\": [\"transient\", \"terminal\"]},"
	"  \"origin\": {\"enum\": [\"source\", \"target\", \"buffer\","
	"   \"config\"]},"
	"  \"stream\": {\"type\": [\"string\", \"null\"]},"
	"  \"message\": {\"type\": \"string\"}}}}},"
	"\"RunList\": {\"type\": \"object\", \"properties\": {"
	" \"runs\": {\"type\": \"array\","
	"  \"items\": {\"$ref\": \"#/components/schemas/RunStatus\"}},"
	" \"next\": {\"type\": [\"string\", \"null\"]}}},"
	"\"State\": {\"type\": \"object\", \"properties\": {"
	" \"pipeline\": {\"type\": \"string\"},"
	" \"streams\": {\"type\": \"object\", \"additionalProperties\": {"
	"  \"type\": \"object\", \"properties\": {"
	"   \"field\": {\"type\": \"string\"}, \"value\": {},"
	"   \"updated_at\": {\"type\": \"string\"}}}}}},"
	"\"Events\": {\"type\": \"object\", \"properties\": {"
	" \"events\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
	"  \"properties\": {\"time\": {\"type\": \"string\"},"
	"   \"level\": {\"type\": \"string\"},"
	"   \"stream\": {\"type\": [\"string\", \"null\"]},"
	"   \"message\": {\"type\": \"string\"}}}}}},"
	"\"Buffer\": {\"type\": \"object\", \"properties\": {"
	" \"run\": {\"type\": \"string\"},"
	" \"streams\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
	"  \"properties\": {\"id\": {\"type\": \"string\"},"
	"   \"format\": {\"type\": \"string\"},"
	"   \"compression\": {\"type\": \"string\"},"
	"   \"rows\": {\"type\": \"integer\"}, \"bytes\": {\"type\": \"integer\"},"
	"   \"schema\": {}, \"complete\": {\"type\": \"boolean\"},"
	"   \"files\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
	"    \"properties\": {\"name\": {\"type\": \"string\"},"
	"     \"rows\": {\"type\": \"integer\"},"
	"     \"bytes\": {\"type\": \"integer\"}}}}}}}}},"
	"\"Records\": {\"type\": \"object\", \"properties\": {"
	" \"stream\": {\"type\": \"string\"}, \"schema\": {},"
	" \"offset\": {\"type\": \"integer\"}, \"limit\": {\"type\": \"integer\"},"
	" \"records\": {\"type\": \"array\", \"items\": {\"type\": \"object\"}}}}"
	"}";

/* Shared error responses, by status. */
static const struct {
	unsigned bit; /* DXT_API_ERR_* or 0 for "every route" */
	const char *status;
	const char *name;
	const char *description;
} errors[] = {
	{0, "400", "BadRequest",
	 "Malformed body, invalid pipeline (every problem in details), or a "
	 "bad path or query parameter (named in the message)."},
	{0, "401", "Unauthorized",
	 "A token is configured and the request lacks Authorization: Bearer "
	 "<token>, or the token is wrong."},
	{DXT_API_ERR_404, "404", "NotFound", "No such pipeline, run, stream or "
					     "file."},
	{DXT_API_ERR_409, "409", "Conflict",
	 "The name exists, or a run is active, or too many runs are."},
	{DXT_API_ERR_413, "413", "PayloadTooLarge",
	 "The body is larger than the configured body_limit."},
	{DXT_API_ERR_415, "415", "UnsupportedMediaType",
	 "The Content-Type is not one the route takes."},
	{DXT_API_ERR_507, "507", "InsufficientStorage",
	 "The spool quota is used up."},
	{0, "500", "InternalError", "The daemon failed; the message says why."},
};

static const char *method_key(enum dxt_api_method m)
{
	switch (m) {
	case DXT_API_GET:
		return "get";
	case DXT_API_PUT:
		return "put";
	case DXT_API_POST:
		return "post";
	case DXT_API_DELETE:
		return "delete";
	default:
		return "head";
	}
}

static json_t *ref(const char *kind, const char *name)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "#/components/%s/%s", kind, name);
	return json_pack("{s:s}", "$ref", buf);
}

static const char *param_description(const struct dxt_api_route *r,
				     const char *name)
{
	if (strcmp(name, "id") == 0)
		return "Run id.";
	if (strcmp(name, "stream") == 0)
		return "Stream id.";
	if (r->id == DXT_API_BUFFER_FILE)
		return "Staged file name from the buffer listing; a "
		       "passthrough file is files%2F<name>. Must not contain "
		       "\"..\" or another '/'.";
	return "Pipeline name.";
}

/* The path item's parameters: one per {name} in the template. */
static json_t *path_params(const struct dxt_api_route *r)
{
	json_t *arr = json_array();
	const char *p = r->path;

	while ((p = strchr(p, '{')) != NULL) {
		const char *e = strchr(p, '}');
		char name[32];
		size_t n = e ? (size_t)(e - p - 1) : 0;

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p + 1, n);
		name[n] = '\0';
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:i}}",
				       "name", name, "in", "path", "required",
				       1, "description",
				       param_description(r, name), "schema",
				       "type", "string", "minLength", 1));
		p = e ? e + 1 : p + 1;
	}
	return arr;
}

static json_t *query_params(const struct dxt_api_route *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < r->nquery; i++) {
		const struct dxt_api_qparam *q = &r->query[i];
		json_t *schema;

		switch (q->type) {
		case DXT_API_Q_UINT:
			schema = json_pack("{s:s, s:I, s:I}", "type",
					   "integer", "minimum",
					   (json_int_t)q->min, "default",
					   (json_int_t)q->def);
			if (q->max != UINT64_MAX)
				json_object_set_new(
					schema, "maximum",
					json_integer((json_int_t)q->max));
			break;
		case DXT_API_Q_ENUM:
			schema = json_pack("{s:s, s:[]}", "type", "string",
					   "enum");
			for (size_t k = 0; q->values[k] != NULL; k++)
				json_array_append_new(
					json_object_get(schema, "enum"),
					json_string(q->values[k]));
			break;
		default:
			schema = json_pack("{s:s, s:i}", "type", "string",
					   "minLength", 1);
			break;
		}
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:b, s:s, s:o}", "name",
				       q->name, "in", "query", "required", 0,
				       "description", q->description, "schema",
				       schema));
	}
	return arr;
}

static json_t *request_body(const struct dxt_api_route *r)
{
	switch (r->body) {
	case DXT_API_BODY_PIPELINE: {
		json_t *text = json_pack("{s:s}", "type", "string");
		json_t *body = json_pack(
			"{s:b, s:s, s:{s:{s:o}, s:{s:O}, s:{s:O}, s:{s:O}}}",
			"required", 1, "description",
			"The pipeline document, YAML or JSON.", "content",
			"application/json", "schema",
			ref("schemas", "PipelineDocument"), "application/yaml",
			"schema", text, "application/x-yaml", "schema", text,
			"text/yaml", "schema", text);

		json_decref(text);
		return body;
	}
	case DXT_API_BODY_JSON:
		return json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content",
				 "application/json", "schema",
				 ref("schemas", r->schema));
	case DXT_API_BODY_JSON_OPTIONAL:
		return json_pack("{s:b, s:{s:{s:o}}}", "required", 0, "content",
				 "application/json", "schema",
				 ref("schemas", r->id == DXT_API_RUN_START
							? "RunRequest"
							: "Object"));
	default:
		return NULL;
	}
}

static json_t *success_content(const struct dxt_api_route *r)
{
	switch (r->content) {
	case DXT_API_CONTENT_NONE:
		return NULL;
	case DXT_API_CONTENT_METRICS:
		return json_pack("{s:{s:{s:s}}}", "text/plain; version=0.0.4",
				 "schema", "type", "string");
	case DXT_API_CONTENT_BYTES:
		return json_pack("{s:{s:{s:s, s:s}}}",
				 "application/octet-stream", "schema", "type",
				 "string", "contentMediaType",
				 "application/octet-stream");
	default:
		return json_pack("{s:{s:o}}", "application/json", "schema",
				 ref("schemas", r->schema ? r->schema
							  : "Object"));
	}
}

static json_t *location_header(void)
{
	return json_pack("{s:{s:s, s:{s:s}}}", "Location", "description",
			 "Where the new resource is.", "schema", "type",
			 "string");
}

static void add_status(json_t *responses, int status, const char *desc,
		       const struct dxt_api_route *r, bool location)
{
	char code[8];
	json_t *resp = json_pack("{s:s}", "description", desc);
	json_t *content = success_content(r);

	if (content != NULL)
		json_object_set_new(resp, "content", content);
	if (location)
		json_object_set_new(resp, "headers", location_header());
	snprintf(code, sizeof(code), "%d", status);
	json_object_set_new(responses, code, resp);
}

static json_t *responses(const struct dxt_api_route *r)
{
	json_t *out = json_object();
	bool created = r->status == 201 || r->status == 202;

	add_status(out, r->status, r->summary, r, created);
	/* PUT answers 201 when it created the pipeline. */
	if (r->id == DXT_API_PIPELINE_PUT)
		add_status(out, 201, "Created a new pipeline.", r, true);
	if (r->id == DXT_API_READYZ)
		add_status(out, 503, "Not ready; the body says which check "
				     "failed.",
			   r, false);
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		if (errors[i].bit != 0 && !(r->errors & errors[i].bit))
			continue;
		if (r->open && strcmp(errors[i].status, "401") == 0)
			continue;
		json_object_set_new(out, errors[i].status,
				    ref("responses", errors[i].name));
	}
	return out;
}

static json_t *operation(const struct dxt_api_route *r)
{
	json_t *op = json_pack("{s:s, s:s, s:s}", "operationId",
			       r->operation_id, "summary", r->summary,
			       "description", r->description);
	json_t *body = request_body(r);

	if (r->nquery > 0)
		json_object_set_new(op, "parameters", query_params(r));
	if (body != NULL)
		json_object_set_new(op, "requestBody", body);
	json_object_set_new(op, "responses", responses(r));
	if (r->open)
		json_object_set_new(op, "security", json_array());
	return op;
}

static json_t *components(void)
{
	json_error_t jerr;
	json_t *schemas = json_loads(schemas_json, 0, &jerr);
	json_t *resps = json_object();

	if (schemas == NULL) {
		json_decref(resps);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		json_object_set_new(
			resps, errors[i].name,
			json_pack("{s:s, s:{s:{s:o}}}", "description",
				  errors[i].description, "content",
				  "application/json", "schema",
				  ref("schemas", "Error")));
	return json_pack("{s:o, s:o, s:{s:{s:s, s:s}}}", "schemas", schemas,
			 "responses", resps, "securitySchemes", "bearer",
			 "type", "http", "scheme", "bearer");
}

json_t *dxt_api_openapi(void)
{
	json_t *doc, *paths = json_object();

	for (size_t i = 0; i < DXT_API__NROUTES; i++) {
		const struct dxt_api_route *r = &dxt_api_routes[i];
		json_t *item = json_object_get(paths, r->path);

		if (item == NULL) {
			json_t *pp = path_params(r);

			item = json_object();
			if (json_array_size(pp) > 0)
				json_object_set_new(item, "parameters", pp);
			else
				json_decref(pp);
			json_object_set_new(paths, r->path, item);
		}
		json_object_set_new(item, method_key(r->method), operation(r));
	}
	doc = json_pack(
		"{s:s, s:{s:s, s:s, s:s}, s:[{s:[]}], s:o, s:o}", "openapi",
		"3.1.0", "info", "title", "dxtd control API", "version", "1",
		"description",
		"Control API of dxtd, the data-movement daemon. Every error "
		"answer is {\"error\": {\"code\", \"message\", \"details\"}}. "
		"When a token is configured, every route but /healthz and "
		"/readyz needs Authorization: Bearer <token>. A method a path "
		"does not take is answered 405 with an Allow header; a path "
		"that is not here, 404. Unknown query parameters are 400.",
		"security", "bearer", "paths", paths, "components",
		components());
	return doc;
}
