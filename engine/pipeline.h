/*
 * pipeline.h - the pipeline model, parsed from YAML or JSON and validated.
 *
 * Both YAML styles of the origin design are accepted:
 *
 *   source: {provider: sqlite, path: in.db}      # shorthand, pipeline level
 *   streams:
 *     - id: users
 *       source: {type: relation, relation: users}
 *       target: users                          # string = {"name": "users"}
 *
 *   streams:
 *     - id: users
 *       extractor: {class: dxt.providers.sqlite.SQLiteExtractor,
 *                   config: {path: in.db}}
 *       loader: {class: dxt.providers.local.LocalLoader, config: {...}}
 *
 * Pipeline-level `buffer`, `extract` and `load` are defaults that a stream's
 * own blocks override key by key. `${VAR}`, `${VAR:-default}` and
 * `${file:PATH}` are replaced in every scalar when interpolation is on.
 *
 * A parsed pipeline is immutable and MAY be shared between threads.
 */
#ifndef DXT_PIPELINE_H
#define DXT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buffer.h"
#include "error.h"

struct dxt_resolver;

enum dxt_extract_mode { DXT_EXTRACT_FULL = 0, DXT_EXTRACT_INCREMENTAL };
enum dxt_load_mode { DXT_LOAD_APPEND = 0, DXT_LOAD_REPLACE, DXT_LOAD_UPSERT };
enum dxt_on_error { DXT_ON_ERROR_FAIL = 0, DXT_ON_ERROR_SKIP };
enum dxt_schema_policy {
	DXT_SCHEMA_EVOLVE = 0,
	DXT_SCHEMA_FREEZE,
	DXT_SCHEMA_DISCARD_ROW,
	DXT_SCHEMA_DISCARD_VALUE
};

const char *dxt_extract_mode_name(enum dxt_extract_mode m); /* full ... */
const char *dxt_load_mode_name(enum dxt_load_mode m);       /* append ... */

struct dxt_extract_opts {
	enum dxt_extract_mode mode;   /* default full */
	size_t batch_size;            /* rows per batch; default 65536 */
	char *watermark_field;        /* required when incremental */
	enum dxt_on_error on_error;   /* default fail */
};

struct dxt_load_opts {
	enum dxt_load_mode mode;      /* default append */
	size_t batch_size;            /* rows per insert batch; default 65536 */
	char **upsert_keys;           /* required (non-empty) for upsert */
	size_t n_upsert_keys;
	enum dxt_schema_policy schema_policy; /* default evolve */
	enum dxt_on_error on_error;   /* default fail */
};

/* Which operator runs a side of a stream, and with which connection. */
struct dxt_endpoint {
	char *provider;   /* shorthand name ("sqlite"), or NULL */
	char *class_path; /* explicit class, or NULL when only a provider is
			     named: the resolver picks the provider's default */
	json_t *config;   /* connection config: the pipeline's source/target
			     block without "provider" merged with the
			     explicit config; never NULL (empty object) */
};

struct dxt_stream {
	char *id;
	json_t *source;  /* the stream's source block; empty object if none */
	json_t *target;  /* the stream's target block; a string is normalised
			    to {"name": "..."}; empty object if none */
	char **tags;
	size_t ntags;
	struct dxt_endpoint extractor;
	struct dxt_endpoint loader;
	struct dxt_extract_opts extract;
	struct dxt_load_opts load;
	struct dxt_buffer_opts buffer;
	int line;        /* where the stream starts in the document */
};

struct dxt_pipeline {
	char *name;
	char *description;  /* MAY be NULL */
	int version;        /* document's `version:`, default 1 */
	char **tags;
	size_t ntags;
	json_t *schedule;   /* `schedule:` as given, or NULL (daemon issue) */
	char *buffer_location; /* `buffer.location`, or NULL for the default */
	size_t nstreams;
	struct dxt_stream *streams;
	/* `max_active_runs:` (the daemon's limit of runs of this pipeline
	 * active at once), 1..DXT_MAX_ACTIVE_RUNS; 1 when not given. */
	int max_active_runs;
};

#define DXT_MAX_ACTIVE_RUNS 1000

/* One problem found in a document. */
struct dxt_diag {
	char *path;     /* "streams[1].load.mode"; "" for the whole document */
	int line;       /* 1-based; 0 when unknown */
	int column;     /* 1-based; 0 when unknown */
	char *message;  /* "\"merge\" is not one of append, replace, upsert" */
	char *hint;     /* MAY be NULL: what to do about it */
};

struct dxt_diags {
	size_t n;
	struct dxt_diag *items;
};

/* Formats a diagnostic as one line:
 * `streams[1].load.mode: "merge" is not one of append, replace, upsert
 * (line 14, column 13); hint: ...` into buf. */
void dxt_diag_format(const struct dxt_diag *d, char *buf, size_t len);
/* Frees every diagnostic. Safe on an empty set. */
void dxt_diags_free(struct dxt_diags *d);
/* The diagnostics as a JSON array of {path, line, column, message, hint}. */
json_t *dxt_diags_to_json(const struct dxt_diags *d);

enum dxt_doc_format {
	DXT_DOC_AUTO = 0, /* JSON when the first non-space byte is '{' */
	DXT_DOC_YAML,
	DXT_DOC_JSON
};

struct dxt_parse_opts {
	enum dxt_doc_format format;
	bool interpolate;     /* replace ${...} (else placeholders stay) */
	/* Looks up a variable; NULL = getenv. MUST be thread-safe. */
	const char *(*getenv)(const char *name, void *ctx);
	void *getenv_ctx;
	const char *base_dir; /* relative ${file:...} paths; NULL = cwd */
	const char *name;     /* document name for messages ("p.yaml") */
	/* When set, every stream's extractor and loader class is resolved and
	 * a failure becomes a diagnostic at the class or provider key. */
	struct dxt_resolver *resolver;
};

/*
 * Parses and validates a pipeline document. On success returns DXT_OK with
 * *out set (free with dxt_pipeline_destroy). On failure returns DXT_ECONFIG
 * (or DXT_EPARSE for malformed YAML/JSON) with *out NULL and every problem
 * found in `diags` (the caller frees it), each with path, line and column.
 * Syntax errors give one diagnostic at the position of the error.
 */
int dxt_pipeline_parse(const char *text, size_t len,
		       const struct dxt_parse_opts *opts,
		       struct dxt_pipeline **out, struct dxt_diags *diags);
/* Reads a file and parses it (opts->name and base_dir default to the file's
 * name and folder). A missing file is one diagnostic. */
int dxt_pipeline_parse_file(const char *path,
			    const struct dxt_parse_opts *opts,
			    struct dxt_pipeline **out,
			    struct dxt_diags *diags);
/* Frees a pipeline. NULL is a no-op. */
void dxt_pipeline_destroy(struct dxt_pipeline *p);
/* The stream with that id, or NULL. */
const struct dxt_stream *dxt_pipeline_stream(const struct dxt_pipeline *p,
					     const char *id);

#endif /* DXT_PIPELINE_H */
