/*
 * filestore.c - shared pieces of the filestore category (see filestore.h).
 */
#include "providers/base/filestore.h"

#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/batch.h"
#include "engine/convert.h"

/* --- file listings -------------------------------------------------------- */

int dxt_fs_files_add(struct dxt_fs_files *l, const char *path, uint64_t size,
		     int64_t mtime_us)
{
	struct dxt_fs_file *f;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct dxt_fs_file *items = realloc(l->items,
						    cap * sizeof(*items));

		if (items == NULL)
			return DXT_ENOMEM;
		l->items = items;
		l->cap = cap;
	}
	f = &l->items[l->n];
	f->path = strdup(path);
	if (f->path == NULL)
		return DXT_ENOMEM;
	f->size = size;
	f->mtime_us = mtime_us;
	l->n++;
	return DXT_OK;
}

static int file_cmp(const void *a, const void *b)
{
	const struct dxt_fs_file *x = a, *y = b;

	return strcmp(x->path, y->path);
}

void dxt_fs_files_sort(struct dxt_fs_files *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), file_cmp);
}

void dxt_fs_files_free(struct dxt_fs_files *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].path);
	free(l->items);
	l->items = NULL;
	l->n = 0;
	l->cap = 0;
}

/* --- glob patterns -------------------------------------------------------- */

/*
 * Matches one bracket expression starting at p (just after '['), ending
 * before pe, against character c. Returns a pointer just past the closing
 * ']' and sets *hit, or NULL when the bracket is not closed (then '[' is a
 * literal character).
 */
static const char *class_match(const char *p, const char *pe, unsigned char c,
			       bool *hit)
{
	bool neg = false, found = false;
	const char *q = p;

	if (q < pe && (*q == '!' || *q == '^')) {
		neg = true;
		q++;
	}
	/* A ']' right after the opening (or its negation) is a member. */
	if (q < pe && *q == ']') {
		found = c == ']';
		q++;
	}
	while (q < pe && *q != ']') {
		unsigned char lo = (unsigned char)*q, hi;

		if (lo == '\\' && q + 1 < pe)
			lo = (unsigned char)*++q;
		hi = lo;
		if (q + 2 < pe && q[1] == '-' && q[2] != ']') {
			hi = (unsigned char)q[2];
			if (hi == '\\' && q + 3 < pe) {
				hi = (unsigned char)q[3];
				q++;
			}
			q += 2;
		}
		if (c >= lo && c <= hi)
			found = true;
		q++;
	}
	if (q >= pe)
		return NULL;
	*hit = found != neg;
	return q + 1;
}

/* Matches one pattern segment [p, pe) against one name [s, se). */
static bool seg_match(const char *p, const char *pe, const char *s,
		      const char *se)
{
	const char *star_p = NULL, *star_s = NULL;

	/* A wildcard never matches the leading dot of a hidden name. */
	if (s < se && *s == '.' && p < pe &&
	    (*p == '*' || *p == '?' || *p == '['))
		return false;
	while (s < se) {
		if (p < pe) {
			const char *next;
			bool hit = false;

			switch (*p) {
			case '*':
				star_p = ++p;
				star_s = s;
				continue;
			case '?':
				p++;
				s++;
				continue;
			case '[':
				next = class_match(p + 1, pe, (unsigned char)*s,
						   &hit);
				if (next == NULL) {
					if (*s != '[')
						break;
					p++;
					s++;
					continue;
				}
				if (!hit)
					break;
				p = next;
				s++;
				continue;
			case '\\':
				if (p + 1 < pe) {
					if (p[1] != *s)
						break;
					p += 2;
					s++;
					continue;
				}
				/* A trailing backslash is itself. */
				/* fall through */
			default:
				if (*p != *s)
					break;
				p++;
				s++;
				continue;
			}
		}
		/* Mismatch: let the last star swallow one more character. */
		if (star_p == NULL)
			return false;
		p = star_p;
		s = ++star_s;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

static const char *seg_end(const char *s)
{
	const char *e = strchr(s, '/');

	return e ? e : s + strlen(s);
}

static bool is_globstar(const char *p, const char *pe)
{
	return pe - p == 2 && p[0] == '*' && p[1] == '*';
}

static bool match_from(const char *p, const char *s)
{
	for (;;) {
		const char *pe = seg_end(p), *se;

		if (is_globstar(p, pe)) {
			const char *rest = *pe ? pe + 1 : pe;

			/* `**` at the end: everything below, hidden folders
			 * and files excepted. */
			if (*rest == '\0') {
				for (const char *q = s; *q;) {
					if (*q == '.')
						return false;
					q = seg_end(q);
					if (*q)
						q++;
				}
				return *s != '\0';
			}
			/* Zero folders, then one more at a time. */
			for (const char *q = s;;) {
				if (match_from(rest, q))
					return true;
				if (*q == '.' || *q == '\0')
					return false;
				q = seg_end(q);
				if (*q == '\0')
					return false;
				q++;
			}
		}
		se = seg_end(s);
		if (*s == '\0' || !seg_match(p, pe, s, se))
			return false;
		if (*pe == '\0')
			return *se == '\0';
		if (*se == '\0')
			return false;
		p = pe + 1;
		s = se + 1;
	}
}

bool dxt_fs_glob_match(const char *pattern, const char *path)
{
	return match_from(pattern, path);
}

bool dxt_fs_glob_has_magic(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

size_t dxt_fs_glob_root(const char *pattern, char *buf, size_t len)
{
	size_t n = 0;

	/* The last segment names files: only folders before it count. */
	for (const char *p = pattern;;) {
		const char *pe = seg_end(p);
		bool magic = false;

		if (*pe == '\0')
			break;
		for (const char *q = p; q < pe; q++)
			if (strchr("*?[\\", *q) != NULL)
				magic = true;
		if (magic)
			break;
		n = (size_t)(pe - pattern);
		p = pe + 1;
	}
	if (n >= len)
		return (size_t)-1;
	memcpy(buf, pattern, n);
	buf[n] = '\0';
	return n;
}

/* --- formats by name ------------------------------------------------------ */

/* True when the name [0, *n) ends with `suffix` (case-insensitive); strips
 * it from *n then. */
static bool strip_suffix(const char *name, size_t *n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (*n <= k || strncasecmp(name + *n - k, suffix, k) != 0)
		return false;
	*n -= k;
	return true;
}

void dxt_fs_detect(const char *name, struct dxt_fs_kind *k)
{
	static const struct {
		const char *suffix;
		enum dxt_fs_compression comp;
	} comps[] = {
		{".gz", DXT_FS_COMP_GZIP},   {".gzip", DXT_FS_COMP_GZIP},
		{".zst", DXT_FS_COMP_ZSTD},  {".zstd", DXT_FS_COMP_ZSTD},
		{".bz2", DXT_FS_COMP_BZIP2}, {".xz", DXT_FS_COMP_XZ},
	};
	static const struct {
		const char *suffix;
		enum dxt_fs_compression comp;
	} tars[] = {
		{".tgz", DXT_FS_COMP_GZIP},  {".tbz2", DXT_FS_COMP_BZIP2},
		{".tbz", DXT_FS_COMP_BZIP2}, {".txz", DXT_FS_COMP_XZ},
		{".tzst", DXT_FS_COMP_ZSTD},
	};
	const char *base = strrchr(name, '/');
	size_t n;

	memset(k, 0, sizeof(*k));
	base = base ? base + 1 : name;
	n = strlen(base);
	for (size_t i = 0; i < sizeof(tars) / sizeof(tars[0]); i++) {
		if (strip_suffix(base, &n, tars[i].suffix)) {
			k->archive = DXT_FS_ARCHIVE_TAR;
			k->compression = tars[i].comp;
			return;
		}
	}
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++) {
		if (strip_suffix(base, &n, comps[i].suffix)) {
			k->compression = comps[i].comp;
			break;
		}
	}
	if (strip_suffix(base, &n, ".tar")) {
		k->archive = DXT_FS_ARCHIVE_TAR;
	} else if (strip_suffix(base, &n, ".zip")) {
		k->archive = DXT_FS_ARCHIVE_ZIP;
	} else if (strip_suffix(base, &n, ".csv")) {
		memcpy(k->format, "csv", 4);
	} else if (strip_suffix(base, &n, ".tsv") ||
		   strip_suffix(base, &n, ".tab")) {
		memcpy(k->format, "csv", 4);
		k->delimiter = '\t';
	} else if (strip_suffix(base, &n, ".jsonl") ||
		   strip_suffix(base, &n, ".ndjson")) {
		memcpy(k->format, "jsonl", 6);
	} else if (strip_suffix(base, &n, ".parquet")) {
		memcpy(k->format, "parquet", 8);
	}
}

const char *dxt_fs_compression_name(enum dxt_fs_compression c)
{
	switch (c) {
	case DXT_FS_COMP_NONE:
		return "none";
	case DXT_FS_COMP_GZIP:
		return "gzip";
	case DXT_FS_COMP_ZSTD:
		return "zstd";
	case DXT_FS_COMP_BZIP2:
		return "bzip2";
	case DXT_FS_COMP_XZ:
		return "xz";
	}
	return "none";
}

bool dxt_fs_format_known(const char *format)
{
	return strcmp(format, "csv") == 0 || strcmp(format, "jsonl") == 0 ||
	       strcmp(format, "parquet") == 0;
}

/* --- the source block ----------------------------------------------------- */

const char *dxt_fs_source_type_name(enum dxt_fs_source_type t)
{
	switch (t) {
	case DXT_FS_SOURCE_FILE:
		return "file";
	case DXT_FS_SOURCE_GLOB:
		return "glob";
	case DXT_FS_SOURCE_DIRECTORY:
		return "directory";
	}
	return "file";
}

static const char *const csv_keys[] = {
	"delimiter", "quotechar", "escapechar", "doublequote",
	"lineterminator", "header", "encoding", "null_value", NULL
};

static const char *const own_option_keys[] = {
	"format", "schema", "sample_rows", "member", NULL
};

static bool in_list(const char *const *list, const char *key)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

bool dxt_fs_is_csv_key(const char *key)
{
	return in_list(csv_keys, key);
}

static bool is_option_key(const char *key)
{
	return in_list(csv_keys, key) || in_list(own_option_keys, key);
}

int dxt_fs_csv_opts_pick(struct dxt_csv_opts *opts, const json_t *obj,
			 const char *where, bool *delimiter_set,
			 struct dxt_error *err)
{
	const char *key;
	json_t *v, *sub = json_object();
	int rc;

	if (sub == NULL)
		return DXT_ENOMEM;
	json_object_foreach((json_t *)obj, key, v) {
		if (dxt_fs_is_csv_key(key))
			json_object_set(sub, key, v);
	}
	if (delimiter_set != NULL && json_object_get(sub, "delimiter") != NULL)
		*delimiter_set = true;
	rc = dxt_csv_opts_from_json(opts, sub, where, err);
	json_decref(sub);
	if (rc != DXT_OK)
		dxt_error_origin(err, DXT_ORIGIN_CONFIG);
	return rc;
}

/* Removes "./" prefixes and trailing slashes in place. */
static void tidy_path(char *p)
{
	size_t n;

	while (p[0] == '.' && p[1] == '/') {
		size_t k = 2;

		while (p[k] == '/')
			k++;
		memmove(p, p + k, strlen(p + k) + 1);
	}
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if (strcmp(p, ".") == 0)
		p[0] = '\0';
}

static int parse_schema_field(struct dxt_schema *s, const char *name,
			      const json_t *type, const json_t *nullable,
			      const char *where, struct dxt_error *err)
{
	enum dxt_type t;
	int prec = 0, scale = 0, rc;

	if (name[0] == '\0')
		return dxt_error_config(err, "%s.name: a column needs a name",
					where);
	if (dxt_schema_find(s, name) >= 0)
		return dxt_error_config(
			err, "%s: column \"%s\" is declared twice",
			where, name);
	if (!json_is_string(type))
		return dxt_error_config(
			err, "%s.type: expected a type name such as int64, "
			     "string or \"decimal(12,2)\"",
			where);
	if (nullable != NULL && !json_is_boolean(nullable))
		return dxt_error_config(
			err, "%s.nullable: expected true or false",
			where);
	rc = dxt_type_parse(json_string_value(type), &t, &prec, &scale, err);
	if (rc != DXT_OK) {
		dxt_error_prefix(err, "%s.type: ", where);
		err->code = DXT_ECONFIG;
		dxt_error_origin(err, DXT_ORIGIN_CONFIG);
		return DXT_ECONFIG;
	}
	if (dxt_schema_add(s, name, t, prec, scale,
			   nullable == NULL || json_is_true(nullable),
			   NULL) != DXT_OK)
		return DXT_ENOMEM;
	return DXT_OK;
}

static int parse_schema(const json_t *j, struct dxt_schema **out,
			struct dxt_error *err)
{
	struct dxt_schema *s = dxt_schema_create();
	char where[64];
	int rc = DXT_OK;

	if (s == NULL)
		return DXT_ENOMEM;
	if (json_is_array(j)) {
		size_t i;
		json_t *item;

		json_array_foreach(j, i, item) {
			const char *key;
			json_t *v;

			snprintf(where, sizeof(where), "source.schema[%zu]", i);
			if (!json_is_object(item) ||
			    !json_is_string(json_object_get(item, "name"))) {
				rc = dxt_error_config(
					err, "%s: expected {name: ..., type: "
					     "...}",
					where);
				break;
			}
			json_object_foreach(item, key, v) {
				if (strcmp(key, "name") != 0 &&
				    strcmp(key, "type") != 0 &&
				    strcmp(key, "nullable") != 0) {
					rc = dxt_error_config(
						err, "%s.%s: unknown key "
						     "(allowed: name, type, "
						     "nullable)",
						where, key);
					break;
				}
			}
			if (rc != DXT_OK)
				break;
			rc = parse_schema_field(
				s, json_string_value(json_object_get(item,
								     "name")),
				json_object_get(item, "type"),
				json_object_get(item, "nullable"), where, err);
			if (rc != DXT_OK)
				break;
		}
	} else if (json_is_object(j)) {
		const char *key;
		json_t *v;

		json_object_foreach((json_t *)j, key, v) {
			snprintf(where, sizeof(where), "source.schema.%s", key);
			rc = parse_schema_field(s, key, v, NULL, where, err);
			if (rc != DXT_OK)
				break;
		}
	} else {
		rc = dxt_error_config(
			err, "source.schema: expected a list of {name, type} "
			     "or a mapping of column names to types");
	}
	if (rc == DXT_OK && s->n == 0)
		rc = dxt_error_config(err, "source.schema: declares no column");
	if (rc != DXT_OK) {
		dxt_schema_destroy(s);
		return rc;
	}
	*out = s;
	return DXT_OK;
}

static const char *const path_keys[] = {"file", "pattern", "directory", NULL};

static int parse_type(const json_t *source, struct dxt_fs_source *out,
		      const char **key, struct dxt_error *err)
{
	const json_t *t = json_object_get(source, "type");
	const char *found = NULL;

	if (t != NULL) {
		const char *name = json_string_value(t);

		if (name == NULL)
			return dxt_error_config(
				err, "source.type: expected one of file, glob, "
				     "directory");
		if (strcmp(name, "file") == 0) {
			out->type = DXT_FS_SOURCE_FILE;
			*key = "file";
		} else if (strcmp(name, "glob") == 0) {
			out->type = DXT_FS_SOURCE_GLOB;
			*key = "pattern";
		} else if (strcmp(name, "directory") == 0) {
			out->type = DXT_FS_SOURCE_DIRECTORY;
			*key = "directory";
		} else {
			return dxt_error_config(
				err, "source.type: \"%s\" is not one of file, "
				     "glob, directory",
				name);
		}
		for (size_t i = 0; path_keys[i] != NULL; i++) {
			if (strcmp(path_keys[i], *key) != 0 &&
			    json_object_get(source, path_keys[i]) != NULL)
				return dxt_error_config(
					err, "source.%s does not belong to a "
					     "%s source (it takes %s)",
					path_keys[i], name, *key);
		}
		return DXT_OK;
	}
	for (size_t i = 0; path_keys[i] != NULL; i++) {
		if (json_object_get(source, path_keys[i]) == NULL)
			continue;
		if (found != NULL)
			return dxt_error_config(
				err, "source: both %s and %s are given; set "
				     "type: file, glob or directory and keep "
				     "its key",
				found, path_keys[i]);
		found = path_keys[i];
	}
	if (found == NULL)
		return dxt_error_config(
			err, "source: name the input with file:, pattern: "
			     "(type: glob) or directory:");
	*key = found;
	out->type = strcmp(found, "file") == 0      ? DXT_FS_SOURCE_FILE
		    : strcmp(found, "pattern") == 0 ? DXT_FS_SOURCE_GLOB
						    : DXT_FS_SOURCE_DIRECTORY;
	return DXT_OK;
}

/* Copies the option keys of the block and of its `options` object into one
 * object (options win) after checking every key. */
static int merge_options(const json_t *source, json_t **out,
			 struct dxt_error *err)
{
	const json_t *opts = json_object_get(source, "options");
	json_t *m = json_object(), *v;
	const char *key;

	if (m == NULL)
		return DXT_ENOMEM;
	json_object_foreach((json_t *)source, key, v) {
		if (strcmp(key, "type") == 0 || strcmp(key, "options") == 0 ||
		    in_list(path_keys, key))
			continue;
		if (!is_option_key(key)) {
			json_decref(m);
			return dxt_error_config(
				err, "source.%s: unknown key (allowed: type, "
				     "file, pattern, directory, options, "
				     "format, encoding, schema, sample_rows, "
				     "member and the CSV options delimiter, "
				     "quotechar, escapechar, doublequote, "
				     "header, null_value)",
				key);
		}
		json_object_set(m, key, v);
	}
	if (opts != NULL && !json_is_object(opts)) {
		json_decref(m);
		return dxt_error_config(
			err, "source.options: expected a mapping of option "
			     "names to values");
	}
	if (opts != NULL) {
		json_object_foreach((json_t *)opts, key, v) {
			if (!is_option_key(key)) {
				json_decref(m);
				return dxt_error_config(
					err, "source.options.%s: unknown "
					"option (allowed: format, encoding, "
					"schema, sample_rows, member, "
					"delimiter, quotechar, escapechar, "
					"doublequote, header, null_value, "
					"lineterminator)", key);
			}
			json_object_set(m, key, v);
		}
	}
	*out = m;
	return DXT_OK;
}

static int parse_options(const json_t *m, struct dxt_fs_source *out,
			 struct dxt_error *err)
{
	const json_t *v;
	int rc;

	rc = dxt_fs_csv_opts_pick(&out->csv, m, "source", &out->delimiter_set,
				  err);
	if (rc != DXT_OK)
		return rc;
	v = json_object_get(m, "format");
	if (v != NULL) {
		const char *f = json_string_value(v);

		if (f != NULL && strcmp(f, "ndjson") == 0)
			f = "jsonl";
		if (f == NULL || !dxt_fs_format_known(f))
			return dxt_error_config(
				err, "source.format: expected csv, jsonl or "
				     "parquet");
		snprintf(out->format, sizeof(out->format), "%s", f);
	}
	v = json_object_get(m, "sample_rows");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return dxt_error_config(
				err, "source.sample_rows: expected a whole "
				     "number of rows (0 or more)");
		out->sample_rows = (size_t)json_integer_value(v);
	}
	v = json_object_get(m, "member");
	if (v != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return dxt_error_config(
				err, "source.member: expected a glob pattern "
				     "of archive members");
		out->member = strdup(json_string_value(v));
		if (out->member == NULL)
			return DXT_ENOMEM;
	}
	v = json_object_get(m, "schema");
	if (v != NULL) {
		rc = parse_schema(v, &out->schema, err);
		if (rc != DXT_OK)
			return rc;
	}
	return DXT_OK;
}

int dxt_fs_source_parse(const json_t *source, struct dxt_fs_source *out,
			struct dxt_error *err)
{
	const char *key = NULL, *path;
	json_t *merged = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	dxt_csv_opts_default(&out->csv);
	out->sample_rows = DXT_FS_SAMPLE_ROWS_DEFAULT;
	if (source == NULL || !json_is_object(source))
		return dxt_error_config(
			err, "source: expected a mapping such as {type: file, "
			     "file: data.csv}");
	rc = parse_type(source, out, &key, err);
	if (rc != DXT_OK)
		return rc;
	path = json_string_value(json_object_get(source, key));
	if (path == NULL || (path[0] == '\0' &&
			     out->type != DXT_FS_SOURCE_DIRECTORY)) {
		rc = dxt_error_config(
			err, "source.%s: expected a %s relative to the "
			     "connection's path",
			key,
			out->type == DXT_FS_SOURCE_GLOB ? "non-empty glob pattern"
							: "non-empty path");
		goto fail;
	}
	out->path = strdup(path);
	if (out->path == NULL) {
		rc = DXT_ENOMEM;
		goto fail;
	}
	tidy_path(out->path);
	if (out->path[0] == '\0' && out->type == DXT_FS_SOURCE_FILE) {
		rc = dxt_error_config(
			err, "source.file: \"%s\" names a folder; use "
			     "directory: instead",
			path);
		goto fail;
	}
	rc = merge_options(source, &merged, err);
	if (rc != DXT_OK)
		goto fail;
	rc = parse_options(merged, out, err);
	json_decref(merged);
	if (rc != DXT_OK)
		goto fail;
	return DXT_OK;
fail:
	dxt_fs_source_free(out);
	return rc;
}

void dxt_fs_source_free(struct dxt_fs_source *s)
{
	free(s->path);
	free(s->member);
	dxt_schema_destroy(s->schema);
	s->path = NULL;
	s->member = NULL;
	s->schema = NULL;
}

static bool has_hidden_segment(const char *p)
{
	for (const char *q = p; *q;) {
		if (*q == '.')
			return true;
		q = seg_end(q);
		if (*q)
			q++;
	}
	return false;
}

bool dxt_fs_source_match(const struct dxt_fs_source *s, const char *path)
{
	size_t n;

	switch (s->type) {
	case DXT_FS_SOURCE_FILE:
		return strcmp(s->path, path) == 0;
	case DXT_FS_SOURCE_GLOB:
		return dxt_fs_glob_match(s->path, path);
	case DXT_FS_SOURCE_DIRECTORY:
		n = strlen(s->path);
		if (n == 0)
			return !has_hidden_segment(path);
		return strncmp(path, s->path, n) == 0 && path[n] == '/' &&
		       !has_hidden_segment(path + n + 1);
	}
	return false;
}

int dxt_fs_source_root(const struct dxt_fs_source *s, char *buf, size_t len,
		       int *depth)
{
	size_t n;
	const char *rest;

	switch (s->type) {
	case DXT_FS_SOURCE_FILE:
	case DXT_FS_SOURCE_DIRECTORY:
		n = strlen(s->path);
		if (n >= len)
			return DXT_ELIMIT;
		memcpy(buf, s->path, n + 1);
		*depth = s->type == DXT_FS_SOURCE_FILE ? 0 : -1;
		return DXT_OK;
	case DXT_FS_SOURCE_GLOB:
		n = dxt_fs_glob_root(s->path, buf, len);
		if (n == (size_t)-1)
			return DXT_ELIMIT;
		rest = s->path + n + (n > 0 ? 1 : 0);
		*depth = 1;
		for (const char *p = rest;;) {
			const char *pe = seg_end(p);

			if (is_globstar(p, pe)) {
				*depth = -1;
				break;
			}
			if (*pe == '\0')
				break;
			(*depth)++;
			p = pe + 1;
		}
		return DXT_OK;
	}
	return DXT_EINVAL;
}

/* --- schema inference ----------------------------------------------------- */

#define T_INT 0x01u
#define T_FLOAT 0x02u
#define T_BOOL 0x04u
#define T_DATE 0x08u
#define T_TS 0x10u
#define T_TSTZ 0x20u
#define T_JSON 0x40u
#define T_ALL 0x7fu

struct infer_col {
	char *name;
	unsigned mask;      /* candidate types still possible */
	uint64_t values;    /* non-null values seen */
	bool all_strings;   /* JSON: every value was a string */
};

struct dxt_fs_infer {
	size_t n, cap;
	struct infer_col *cols;
};

struct dxt_fs_infer *dxt_fs_infer_create(void)
{
	return calloc(1, sizeof(struct dxt_fs_infer));
}

void dxt_fs_infer_destroy(struct dxt_fs_infer *inf)
{
	if (inf == NULL)
		return;
	for (size_t i = 0; i < inf->n; i++)
		free(inf->cols[i].name);
	free(inf->cols);
	free(inf);
}

int dxt_fs_infer_add(struct dxt_fs_infer *inf, const char *name, size_t n)
{
	struct infer_col *c;

	if (inf->n == inf->cap) {
		size_t cap = inf->cap ? inf->cap * 2 : 16;
		struct infer_col *cols = realloc(inf->cols,
						 cap * sizeof(*cols));

		if (cols == NULL)
			return DXT_ENOMEM;
		inf->cols = cols;
		inf->cap = cap;
	}
	c = &inf->cols[inf->n];
	c->name = strndup(name, n);
	if (c->name == NULL)
		return DXT_ENOMEM;
	c->mask = T_ALL;
	c->values = 0;
	c->all_strings = true;
	return (int)inf->n++;
}

int dxt_fs_infer_find(const struct dxt_fs_infer *inf, const char *name,
		      size_t n)
{
	for (size_t i = 0; i < inf->n; i++)
		if (strncmp(inf->cols[i].name, name, n) == 0 &&
		    inf->cols[i].name[n] == '\0')
			return (int)i;
	return -1;
}

size_t dxt_fs_infer_ncols(const struct dxt_fs_infer *inf)
{
	return inf->n;
}

const char *dxt_fs_infer_name(const struct dxt_fs_infer *inf, size_t i)
{
	return inf->cols[i].name;
}

/* True for [sign] digits with a leading zero ("007", "-01"): identifiers
 * such as postal codes, which a number would silently change. */
static bool leading_zero(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == ' ')
		i++;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	return i + 1 < n && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9';
}

static bool all_digits(const char *s, size_t n)
{
	size_t i = 0, d = 0;

	while (i < n && s[i] == ' ')
		i++;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	while (i < n && s[i] == ' ')
		i++;
	return d > 0 && i == n;
}

static bool is_bool_word(const char *s, size_t n)
{
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	return (n == 4 && strncasecmp(s, "true", 4) == 0) ||
	       (n == 5 && strncasecmp(s, "false", 5) == 0);
}

/* The candidate types a text value fits, restricted to `want`. */
static unsigned text_types(const char *s, size_t n, unsigned want)
{
	unsigned t = 0;
	int64_t i64;
	double d;
	int32_t days;
	bool zone;

	if (want & (T_INT | T_FLOAT)) {
		if (leading_zero(s, n)) {
			/* Neither: keeps the digits as written. */
		} else if (dxt_parse_int64(s, n, &i64)) {
			t |= T_INT | T_FLOAT;
		} else if (!all_digits(s, n) && dxt_parse_double(s, n, &d)) {
			/* An integer too large for int64 is not made a
			 * float: that would lose digits. */
			t |= T_FLOAT;
		}
	}
	if ((want & T_BOOL) && is_bool_word(s, n))
		t |= T_BOOL;
	if ((want & T_DATE) && dxt_parse_date(s, n, &days))
		t |= T_DATE;
	if ((want & (T_TS | T_TSTZ)) &&
	    dxt_parse_timestamp(s, n, &i64, &zone))
		t |= zone ? T_TSTZ : T_TS;
	return t & want;
}

void dxt_fs_infer_text(struct dxt_fs_infer *inf, size_t col, const char *s,
		       size_t n)
{
	struct infer_col *c = &inf->cols[col];

	c->values++;
	c->mask = text_types(s, n, c->mask & ~T_JSON);
}

void dxt_fs_infer_json(struct dxt_fs_infer *inf, size_t col, const json_t *v)
{
	struct infer_col *c = &inf->cols[col];
	unsigned t;

	switch (json_typeof(v)) {
	case JSON_NULL:
		return;
	case JSON_INTEGER:
		t = T_INT | T_FLOAT | T_JSON;
		break;
	case JSON_REAL:
		t = T_FLOAT | T_JSON;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		t = T_BOOL | T_JSON;
		break;
	case JSON_STRING:
		t = T_JSON | text_types(json_string_value(v),
					json_string_length(v),
					c->mask & (T_DATE | T_TS | T_TSTZ));
		break;
	default:
		t = T_JSON;
		break;
	}
	if (!json_is_string(v))
		c->all_strings = false;
	c->values++;
	c->mask &= t;
}

enum dxt_type dxt_fs_infer_type(const struct dxt_fs_infer *inf, size_t i)
{
	const struct infer_col *c = &inf->cols[i];

	if (c->values == 0)
		return DXT_TYPE_STRING;
	if (c->mask & T_INT)
		return DXT_TYPE_INT64;
	if (c->mask & T_FLOAT)
		return DXT_TYPE_FLOAT64;
	if (c->mask & T_BOOL)
		return DXT_TYPE_BOOL;
	if (c->mask & T_DATE)
		return DXT_TYPE_DATE;
	if (c->mask & T_TS)
		return DXT_TYPE_TIMESTAMP;
	if (c->mask & T_TSTZ)
		return DXT_TYPE_TIMESTAMPTZ;
	if ((c->mask & T_JSON) && !c->all_strings)
		return DXT_TYPE_JSON;
	return DXT_TYPE_STRING;
}

int dxt_fs_infer_schema(const struct dxt_fs_infer *inf,
			const struct dxt_schema *declared,
			struct dxt_schema **out, struct dxt_error *err)
{
	struct dxt_schema *s = dxt_schema_create();
	int rc = DXT_OK;

	if (s == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == DXT_OK && i < inf->n; i++) {
		const char *name = inf->cols[i].name;
		int d = declared ? dxt_schema_find(declared, name) : -1;

		if (d >= 0) {
			const struct dxt_field *f = &declared->fields[d];

			rc = dxt_schema_add(s, name, f->type, f->precision,
					    f->scale, f->nullable, NULL);
		} else {
			rc = dxt_schema_add(s, name, dxt_fs_infer_type(inf, i),
					    0, 0, true, NULL);
		}
	}
	for (size_t i = 0; rc == DXT_OK && declared && i < declared->n; i++) {
		const struct dxt_field *f = &declared->fields[i];

		if (dxt_fs_infer_find(inf, f->name, strlen(f->name)) >= 0)
			continue;
		rc = dxt_schema_add(s, f->name, f->type, f->precision,
				    f->scale, f->nullable, NULL);
	}
	if (rc != DXT_OK) {
		dxt_schema_destroy(s);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	*out = s;
	return DXT_OK;
}

/* --- character set conversion --------------------------------------------- */

#define DECODER_IN 65536

struct dxt_fs_decoder {
	iconv_t cd;
	dxt_read_fn read;
	void *read_ctx;
	char *name;
	char encoding[64];
	bool eof;
	uint64_t offset;      /* input offset of in[0] */
	size_t in_len;
	char pend[16];        /* one converted character that did not fit */
	size_t pend_off, pend_len;
	char in[DECODER_IN];
};

/* Lower-cases and drops '-', '_' and spaces: "ISO_8859-1" -> "iso88591". */
static void fold_name(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++) {
		char c = *s;

		if (c == '-' || c == '_' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf[n++] = c;
	}
	buf[n] = '\0';
}

bool dxt_fs_encoding_is_utf8(const char *encoding)
{
	char f[64];

	fold_name(encoding, f, sizeof(f));
	return f[0] == '\0' || strcmp(f, "utf8") == 0 ||
	       strcmp(f, "utf8sig") == 0 || strcmp(f, "ascii") == 0 ||
	       strcmp(f, "usascii") == 0;
}

/* The iconv name for the aliases users write. */
static const char *iconv_name(const char *encoding)
{
	static const struct {
		const char *alias;
		const char *name;
	} map[] = {
		{"latin1", "ISO-8859-1"},   {"iso88591", "ISO-8859-1"},
		{"l1", "ISO-8859-1"},       {"latin9", "ISO-8859-15"},
		{"iso885915", "ISO-8859-15"}, {"cp1252", "WINDOWS-1252"},
		{"windows1252", "WINDOWS-1252"}, {"utf16", "UTF-16"},
		{"utf16le", "UTF-16LE"},    {"utf16be", "UTF-16BE"},
	};
	char f[64];

	fold_name(encoding, f, sizeof(f));
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(f, map[i].alias) == 0)
			return map[i].name;
	return encoding;
}

int dxt_fs_decoder_create(const char *encoding, dxt_read_fn read,
			  void *read_ctx, const char *name,
			  struct dxt_fs_decoder **out, struct dxt_error *err)
{
	struct dxt_fs_decoder *d = malloc(sizeof(*d));

	if (d == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	memset(d, 0, offsetof(struct dxt_fs_decoder, in));
	d->cd = iconv_open("UTF-8", iconv_name(encoding));
	if (d->cd == (iconv_t)-1) {
		free(d);
		return dxt_error_config(
			err, "%s: unknown encoding \"%s\"; use utf-8, latin-1, "
			     "windows-1252, utf-16 or another name iconv knows",
			name, encoding);
	}
	d->name = strdup(name);
	if (d->name == NULL) {
		iconv_close(d->cd);
		free(d);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	snprintf(d->encoding, sizeof(d->encoding), "%s", encoding);
	d->read = read;
	d->read_ctx = read_ctx;
	*out = d;
	return DXT_OK;
}

/*
 * Converts what `in` holds into [*op, *op + *ol). Returns DXT_OK (input used
 * up, or output full, or an incomplete sequence waiting for more input) or
 * DXT_EPARSE for an invalid sequence.
 */
static int decode_some(struct dxt_fs_decoder *d, char **op, size_t *ol,
		       bool *full, struct dxt_error *err)
{
	char *ip = d->in;
	size_t il = d->in_len;
	size_t r = iconv(d->cd, &ip, &il, op, ol);
	int e = errno;
	size_t used = (size_t)(ip - d->in);

	*full = r == (size_t)-1 && e == E2BIG;
	if (r == (size_t)-1 && e == EILSEQ)
		return dxt_error_set(err, DXT_EPARSE, "%s: byte offset %llu: "
				     "not valid %s text; check the encoding "
				     "option", d->name,
				     (unsigned long long)(d->offset + used),
				     d->encoding);
	memmove(d->in, d->in + used, il);
	d->in_len = il;
	d->offset += used;
	return DXT_OK;
}

long dxt_fs_decoder_read(void *ctx, void *p, size_t n, struct dxt_error *err)
{
	struct dxt_fs_decoder *d = ctx;
	char *op = p;
	size_t ol = n;
	int rc;

	if (d->pend_off < d->pend_len) {
		size_t k = d->pend_len - d->pend_off;

		if (k > n)
			k = n;
		memcpy(p, d->pend + d->pend_off, k);
		d->pend_off += k;
		return (long)k;
	}
	for (;;) {
		if (d->in_len > 0) {
			bool full;

			rc = decode_some(d, &op, &ol, &full, err);
			if (rc != DXT_OK)
				return rc;
			if (op == (char *)p && full) {
				/* Not even one character fits: convert one
				 * into pend and hand it out piecewise. */
				char *pp = d->pend;
				size_t pl = sizeof(d->pend);

				rc = decode_some(d, &pp, &pl, &full, err);
				if (rc != DXT_OK)
					return rc;
				d->pend_len = (size_t)(pp - d->pend);
				d->pend_off = 0;
				return dxt_fs_decoder_read(ctx, p, n, err);
			}
			if (op > (char *)p)
				return (long)(op - (char *)p);
		}
		if (d->eof) {
			if (d->in_len > 0)
				return dxt_error_set(
					err, DXT_EPARSE, "%s: the file ends "
					"inside a %s character; check the "
					"encoding option", d->name,
					d->encoding);
			/* Lets a stateful encoding write its final shift
			 * sequence. */
			iconv(d->cd, NULL, NULL, &op, &ol);
			return (long)(op - (char *)p);
		}
		{
			long got = d->read(d->read_ctx, d->in + d->in_len,
					   sizeof(d->in) - d->in_len, err);

			if (got < 0)
				return got;
			if (got == 0)
				d->eof = true;
			d->in_len += (size_t)got;
		}
	}
}

void dxt_fs_decoder_destroy(struct dxt_fs_decoder *d)
{
	if (d == NULL)
		return;
	iconv_close(d->cd);
	free(d->name);
	free(d);
}

/* --- replay --------------------------------------------------------------- */

struct dxt_fs_replay {
	dxt_read_fn read;
	void *read_ctx;
	struct dxt_buf rec;
	size_t cap;
	size_t pos;
	bool recording;
	bool capped;
};

int dxt_fs_replay_create(dxt_read_fn read, void *read_ctx, size_t cap,
			 struct dxt_fs_replay **out, struct dxt_error *err)
{
	struct dxt_fs_replay *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	r->read = read;
	r->read_ctx = read_ctx;
	r->cap = cap;
	r->recording = true;
	*out = r;
	return DXT_OK;
}

long dxt_fs_replay_read(void *ctx, void *p, size_t n, struct dxt_error *err)
{
	struct dxt_fs_replay *r = ctx;
	long got;

	if (r->recording) {
		if (r->rec.len >= r->cap) {
			r->capped = true;
			return 0;
		}
		got = r->read(r->read_ctx, p, n, err);
		if (got > 0 && dxt_buf_append(&r->rec, p, (size_t)got) != DXT_OK)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		return got;
	}
	if (r->pos < r->rec.len) {
		size_t k = r->rec.len - r->pos;

		if (k > n)
			k = n;
		memcpy(p, r->rec.data + r->pos, k);
		r->pos += k;
		if (r->pos == r->rec.len) {
			/* Replayed: the recording is no longer needed. */
			dxt_buf_free(&r->rec);
			r->pos = 0;
		}
		return (long)k;
	}
	return r->read(r->read_ctx, p, n, err);
}

void dxt_fs_replay_rewind(struct dxt_fs_replay *r)
{
	r->recording = false;
	r->pos = 0;
}

bool dxt_fs_replay_capped(const struct dxt_fs_replay *r)
{
	return r->capped;
}

void dxt_fs_replay_destroy(struct dxt_fs_replay *r)
{
	if (r == NULL)
		return;
	dxt_buf_free(&r->rec);
	free(r);
}
