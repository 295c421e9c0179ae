/*
 * statefile.c - watermarks of one-shot runs in a small JSON file.
 */
#include "statefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/iostream.h"
#include "engine/run.h"

struct dxt_statefile {
	char path[4096];
	json_t *root;
};

int dxt_statefile_open(const char *spool_dir, struct dxt_statefile **out,
		       struct dxt_error *err)
{
	struct dxt_statefile *sf = calloc(1, sizeof(*sf));
	json_error_t jerr;

	*out = NULL;
	if (sf == NULL)
		return DXT_ENOMEM;
	snprintf(sf->path, sizeof(sf->path), "%s/state.json", spool_dir);
	if (access(sf->path, F_OK) != 0) {
		sf->root = json_pack("{s:i, s:{}}", "version", 1, "pipelines");
	} else {
		sf->root = json_load_file(sf->path, 0, &jerr);
		if (sf->root == NULL ||
		    !json_is_object(json_object_get(sf->root, "pipelines"))) {
			int rc = dxt_error_set(
				err, DXT_EPARSE,
				"state file %s is malformed (line %d, column "
				"%d: %s); fix or remove it (removing it resets "
				"every incremental watermark)",
				sf->path, jerr.line, jerr.column,
				sf->root ? "no \"pipelines\" object" : jerr.text);
			json_decref(sf->root);
			free(sf);
			return rc;
		}
	}
	*out = sf;
	return DXT_OK;
}

const json_t *dxt_statefile_get(struct dxt_statefile *sf,
				const char *pipeline, const char *stream,
				const char *field)
{
	json_t *p = json_object_get(json_object_get(sf->root, "pipelines"),
				    pipeline);
	json_t *s = json_object_get(p, stream);
	const char *f = json_string_value(json_object_get(s, "field"));

	if (s == NULL || f == NULL || field == NULL || strcmp(f, field) != 0)
		return NULL;
	return json_object_get(s, "value");
}

int dxt_statefile_set(struct dxt_statefile *sf, const char *pipeline,
		      const char *stream, const json_t *watermark,
		      struct dxt_error *err)
{
	json_t *pipes = json_object_get(sf->root, "pipelines");
	json_t *p = json_object_get(pipes, pipeline), *entry;
	char now[40], *text;
	int rc;

	if (p == NULL) {
		p = json_object();
		json_object_set_new(pipes, pipeline, p);
	}
	entry = json_deep_copy(watermark);
	if (entry == NULL)
		return DXT_ENOMEM;
	dxt_format_rfc3339(dxt_now_us(), now, sizeof(now));
	json_object_set_new(entry, "updated_at", json_string(now));
	json_object_set_new(p, stream, entry);
	text = json_dumps(sf->root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		return DXT_ENOMEM;
	rc = dxt_write_file_atomic(sf->path, text, strlen(text), err);
	free(text);
	return rc;
}

void dxt_statefile_close(struct dxt_statefile *sf)
{
	if (sf == NULL)
		return;
	json_decref(sf->root);
	free(sf);
}
