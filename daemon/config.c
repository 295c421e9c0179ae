/*
 * config.c - the daemon's configuration file, table-driven.
 *
 * Each key is one row of `options` below (name, kind, where it goes), so a
 * new setting is one line and unknown keys are refused in one place.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/doc.h"
#include "engine/iostream.h"
#include "engine/units.h"

enum opt_kind { OPT_STR, OPT_INT, OPT_SIZE, OPT_DURATION, OPT_LISTEN,
		OPT_PATHS, OPT_LOGLEVEL, OPT_LOGFORMAT };

struct option_def {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	size_t size;   /* OPT_STR: buffer size */
	int min, max;  /* OPT_INT */
};

#define STR(f) OPT_STR, offsetof(struct dxt_config, f), \
	sizeof(((struct dxt_config *)0)->f), 0, 0
#define OFF(f) offsetof(struct dxt_config, f), 0

static const struct option_def options[] = {
	{"listen", OPT_LISTEN, 0, 0, 0, 0},
	{"state_dir", STR(state_dir)},
	{"spool_dir", STR(spool_dir)},
	{"workers", OPT_INT, OFF(workers), 1, 256},
	{"stream_parallelism", OPT_INT, OFF(stream_parallelism), 1, 256},
	{"provider_path", OPT_PATHS, 0, 0, 0, 0},
	{"token_file", STR(token_file)},
	{"body_limit", OPT_SIZE, OFF(body_limit), 0, 0},
	{"log_level", OPT_LOGLEVEL, 0, 0, 0, 0},
	{"log_format", OPT_LOGFORMAT, 0, 0, 0, 0},
	{"shutdown_timeout", OPT_DURATION, OFF(shutdown_timeout_us), 0, 0},
	{"spool_quota", OPT_SIZE, OFF(spool_quota), 0, 0},
	{"spool_retention", OPT_DURATION, OFF(spool_retention_us), 0, 0},
	{NULL, 0, 0, 0, 0, 0},
};

void dxt_config_default(struct dxt_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 8710;
	snprintf(c->state_dir, sizeof(c->state_dir), ".dxt/state");
	snprintf(c->spool_dir, sizeof(c->spool_dir), ".dxt/spool");
	c->workers = 4;
	c->stream_parallelism = 4;
	c->body_limit = 1u << 20;
	c->log_level = DXT_LOG_INFO;
	c->log_format = DXT_LOG_TEXT;
	c->shutdown_timeout_us = 30 * 1000000LL;
	c->spool_retention_us = 7 * 86400 * 1000000LL;
}

void dxt_config_release(struct dxt_config *c)
{
	for (size_t i = 0; i < c->nprovider_path; i++)
		free(c->provider_path[i]);
	c->nprovider_path = 0;
	free(c->token);
	c->token = NULL;
}

int dxt_config_set_listen(struct dxt_config *c, const char *text,
			  struct dxt_error *err)
{
	const char *colon, *host = text;
	size_t hlen;
	char *end;
	long port;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		host = text + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			goto bad;
		hlen = (size_t)(colon - text);
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535 ||
	    hlen >= sizeof(c->listen_host))
		goto bad;
	if (hlen == 0)
		snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	else
		snprintf(c->listen_host, sizeof(c->listen_host), "%.*s",
			 (int)hlen, host);
	c->listen_port = (int)port;
	return DXT_OK;
bad:
	return dxt_error_set(err, DXT_ECONFIG,
			     "listen: \"%s\" is not HOST:PORT (e.g. "
			     "127.0.0.1:8710 or [::1]:8710)",
			     text);
}

int dxt_config_add_provider_path(struct dxt_config *c, const char *dir,
				 struct dxt_error *err)
{
	if (c->nprovider_path >= DXT_CONFIG_MAX_PATHS)
		return dxt_error_set(err, DXT_ELIMIT,
				     "provider_path: at most %d folders",
				     DXT_CONFIG_MAX_PATHS);
	c->provider_path[c->nprovider_path] = strdup(dir);
	if (c->provider_path[c->nprovider_path] == NULL)
		return DXT_ENOMEM;
	c->nprovider_path++;
	return DXT_OK;
}

int dxt_config_read_token(struct dxt_config *c, struct dxt_error *err)
{
	char *data;
	size_t len;
	int rc;

	if (c->token_file[0] == '\0')
		return DXT_OK;
	rc = dxt_read_file(c->token_file, &data, &len, err);
	if (rc != DXT_OK) {
		dxt_error_prefix(err, "token_file: ");
		return rc;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
			   data[len - 1] == ' '))
		data[--len] = '\0';
	if (len == 0) {
		free(data);
		return dxt_error_set(err, DXT_ECONFIG,
				     "token_file %s is empty; put the API "
				     "token in it or remove token_file",
				     c->token_file);
	}
	free(c->token);
	c->token = data;
	return DXT_OK;
}

static int apply(struct dxt_config *c, const struct option_def *o,
		 const json_t *v, char *why, size_t whylen)
{
	char *base = (char *)c;
	const char *s = json_string_value(v);
	struct dxt_error err;
	uint64_t size;
	int64_t dur;
	int lv;

	switch (o->kind) {
	case OPT_STR:
		if (s == NULL)
			goto want_string;
		if (strlen(s) >= o->size) {
			snprintf(why, whylen, "is too long");
			return -1;
		}
		snprintf(base + o->offset, o->size, "%s", s);
		return 0;
	case OPT_INT:
		if (!json_is_integer(v) || json_integer_value(v) < o->min ||
		    json_integer_value(v) > o->max) {
			snprintf(why, whylen, "expected an integer from %d to %d",
				 o->min, o->max);
			return -1;
		}
		*(int *)(base + o->offset) = (int)json_integer_value(v);
		return 0;
	case OPT_SIZE:
		if (json_is_integer(v) && json_integer_value(v) >= 0) {
			*(uint64_t *)(base + o->offset) =
				(uint64_t)json_integer_value(v);
			return 0;
		}
		if (s == NULL || !dxt_parse_size(s, &size)) {
			snprintf(why, whylen, "expected a size (64MiB, 10GB, 0)");
			return -1;
		}
		*(uint64_t *)(base + o->offset) = size;
		return 0;
	case OPT_DURATION:
		if (json_is_integer(v) && json_integer_value(v) >= 0) {
			*(int64_t *)(base + o->offset) =
				json_integer_value(v) * 1000000LL;
			return 0;
		}
		if (s == NULL || !dxt_parse_duration(s, &dur)) {
			snprintf(why, whylen, "expected a duration (30s, 15m, 7d)");
			return -1;
		}
		*(int64_t *)(base + o->offset) = dur;
		return 0;
	case OPT_LISTEN:
		if (s == NULL)
			goto want_string;
		if (dxt_config_set_listen(c, s, &err) != DXT_OK) {
			snprintf(why, whylen, "\"%s\" is not HOST:PORT", s);
			return -1;
		}
		return 0;
	case OPT_PATHS:
		if (s != NULL)
			return dxt_config_add_provider_path(c, s, NULL) ? -1 : 0;
		if (json_is_array(v)) {
			size_t i;
			json_t *item;
			json_array_foreach(v, i, item) {
				if (!json_is_string(item) ||
				    dxt_config_add_provider_path(
					    c, json_string_value(item), NULL)) {
					snprintf(why, whylen,
						 "expected a list of folders");
					return -1;
				}
			}
			return 0;
		}
		snprintf(why, whylen, "expected a folder or a list of folders");
		return -1;
	case OPT_LOGLEVEL:
		if (s == NULL || (lv = dxt_log_level_parse(s)) < 0) {
			snprintf(why, whylen,
				 "expected one of debug, info, warn, error");
			return -1;
		}
		c->log_level = (enum dxt_log_level)lv;
		return 0;
	case OPT_LOGFORMAT:
		if (s == NULL || (lv = dxt_log_format_parse(s)) < 0) {
			snprintf(why, whylen, "expected text or json");
			return -1;
		}
		c->log_format = (enum dxt_log_format)lv;
		return 0;
	}
want_string:
	snprintf(why, whylen, "expected a string");
	return -1;
}

int dxt_config_load(struct dxt_config *c, const char *path,
		    struct dxt_diags *diags, struct dxt_error *err)
{
	struct dxt_doc_opts dopts = {.format = DXT_DOC_YAML,
				     .interpolate = true, .name = path};
	struct dxt_doc *doc = NULL;
	const char *key;
	json_t *root, *v;
	char *text;
	size_t len;
	int rc;

	rc = dxt_read_file(path, &text, &len, err);
	if (rc != DXT_OK)
		return rc;
	rc = dxt_doc_parse(text, len, &dopts, &doc, diags);
	free(text);
	if (rc != DXT_OK)
		goto out;
	root = dxt_doc_root(doc);
	if (json_is_null(root))
		goto out; /* an empty file keeps the defaults */
	if (!json_is_object(root)) {
		dxt_diags_add(diags, "", 1, 1, NULL,
			      "expected a mapping of settings");
		rc = DXT_ECONFIG;
		goto out;
	}
	json_object_foreach(root, key, v) {
		const struct dxt_doc_mark *m = dxt_doc_member(doc, root, key);
		const struct option_def *o = options;
		char why[256];

		while (o->name != NULL && strcmp(o->name, key) != 0)
			o++;
		if (o->name == NULL) {
			dxt_diags_add(diags, key, m ? m->key_line : 0,
				      m ? m->key_column : 0,
				      "see the settings listed in "
				      "conf/dxtd.yaml",
				      "unknown setting \"%s\"", key);
			rc = DXT_ECONFIG;
			continue;
		}
		if (apply(c, o, v, why, sizeof(why)) != 0) {
			dxt_diags_add(diags, key, m ? m->line : 0,
				      m ? m->column : 0, NULL, "%s", why);
			rc = DXT_ECONFIG;
		}
	}
out:
	dxt_doc_destroy(doc);
	return rc;
}
