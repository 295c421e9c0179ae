/*
 * pipeline.c - the pipeline model: validation of a parsed document.
 *
 * The document (doc.h) gives a jansson tree with positions; this file walks
 * it once, filling struct dxt_pipeline and reporting every problem it finds
 * instead of stopping at the first: a user fixing a pipeline wants the
 * whole list. Each diagnostic names the path in the document, the line and
 * column, what is wrong and what to do about it. Identical diagnostics (a
 * bad pipeline-level default seen again by every stream) are reported once.
 *
 * Values that interpolation could not resolve were reported by the
 * document already and are not checked again. Without interpolation (a
 * document checked as stored, before the run's own parse fills the values
 * in) a placeholder is taken as it is by text settings (names, paths,
 * classes) and leaves typed settings (modes, sizes, flags) at their
 * defaults, unchecked.
 */
#include "pipeline.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zstd.h>

#include "csv.h"
#include "doc.h"
#include "format.h"
#include "hint.h"
#include "operator.h"
#include "resolve.h"
#include "units.h"

#define PPATH 256
/* A pipeline file larger than this is surely a mistake (a data file given
 * by accident). */
#define MAX_DOC_BYTES (16u << 20)

static const char *const top_keys[] = {
	"version", "name", "description", "tags", "schedule", "source",
	"target", "buffer", "extract", "load", "extractor", "loader",
	"streams", "max_active_runs", NULL};
static const char *const stream_keys[] = {
	"id", "source", "target", "tags", "extract", "load", "buffer",
	"extractor", "loader", NULL};
static const char *const extract_keys[] = {
	"mode", "batch_size", "watermark_field", "on_error", NULL};
static const char *const load_keys[] = {
	"mode", "batch_size", "upsert_keys", "schema_policy", "on_error",
	NULL};
static const char *const buffer_keys[] = {
	"format", "compression", "level", "part_rows", "part_bytes",
	"row_group_rows",
	"batch_rows", "batch_bytes", "csv", "cleanup_on_success",
	"retain_on_failure", "fsync", "location", NULL};
static const char *const op_keys[] = {"class", "provider", "config", NULL};

static const char *const extract_modes[] = {"full", "incremental", NULL};
static const char *const load_modes[] = {"append", "replace", "upsert",
					 NULL};
static const char *const on_errors[] = {"fail", "skip", NULL};
static const char *const policies[] = {"evolve", "freeze", "discard_row",
				       "discard_value", NULL};
static const char *const codecs[] = {"none", "zstd", "gzip", "snappy", NULL};
static const enum dxt_codec codec_values[] = {DXT_CODEC_NONE, DXT_CODEC_ZSTD,
					      DXT_CODEC_GZIP, DXT_CODEC_SNAPPY};

const char *dxt_extract_mode_name(enum dxt_extract_mode m)
{
	return (unsigned)m < 2 ? extract_modes[m] : "unknown";
}

const char *dxt_load_mode_name(enum dxt_load_mode m)
{
	return (unsigned)m < 3 ? load_modes[m] : "unknown";
}

/* --- diagnostics ---------------------------------------------------------- */

void dxt_diag_format(const struct dxt_diag *d, char *buf, size_t len)
{
	char pos[64] = "";
	int n;

	if (len == 0)
		return;
	if (d->line > 0 && d->column > 0)
		snprintf(pos, sizeof(pos), " (line %d, column %d)", d->line,
			 d->column);
	else if (d->line > 0)
		snprintf(pos, sizeof(pos), " (line %d)", d->line);
	n = snprintf(buf, len, "%s%s%s%s", d->path != NULL ? d->path : "",
		     d->path != NULL && d->path[0] != '\0' ? ": " : "",
		     d->message != NULL ? d->message : "", pos);
	if (n >= 0 && (size_t)n < len && d->hint != NULL)
		snprintf(buf + n, len - (size_t)n, "; hint: %s", d->hint);
}

void dxt_diags_free(struct dxt_diags *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].path);
		free(d->items[i].message);
		free(d->items[i].hint);
	}
	free(d->items);
	d->items = NULL;
	d->n = 0;
}

json_t *dxt_diags_to_json(const struct dxt_diags *d)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	for (size_t i = 0; d != NULL && i < d->n; i++) {
		const struct dxt_diag *g = &d->items[i];
		json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:o}",
				      "path", g->path != NULL ? g->path : "",
				      "line", g->line, "column", g->column,
				      "message",
				      g->message != NULL ? g->message : "",
				      "hint",
				      g->hint != NULL ? json_string(g->hint)
						      : json_null());

		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Orders diagnostics by position (those without one last), keeping the
 * order of discovery among equals. */
static int diag_cmp(const void *a, const void *b)
{
	const struct dxt_diag *x = a, *y = b;
	long lx = x->line > 0 ? x->line : INT_MAX;
	long ly = y->line > 0 ? y->line : INT_MAX;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return 0;
}

static void diags_sort(struct dxt_diags *d)
{
	/* Insertion sort: stable, and a list of problems is short. */
	for (size_t i = 1; i < d->n; i++) {
		struct dxt_diag t = d->items[i];
		size_t j = i;

		while (j > 0 && diag_cmp(&d->items[j - 1], &t) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = t;
	}
}

/* --- validation context --------------------------------------------------- */

struct vctx {
	const struct dxt_doc *doc;
	const struct dxt_parse_opts *opts;
	struct dxt_diags *diags;
	bool nomem;
};

/* One member of a mapping, with where it is. */
struct mem {
	const json_t *val;
	const struct dxt_doc_mark *m;
	char path[PPATH];
};

static void vdiag(struct vctx *v, const char *path, int line, int column,
		  const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void vdiag(struct vctx *v, const char *path, int line, int column,
		  const char *hint, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < v->diags->n; i++) {
		const struct dxt_diag *g = &v->diags->items[i];

		if (g->line == line && g->column == column &&
		    strcmp(g->path, path) == 0 && strcmp(g->message, msg) == 0)
			return;
	}
	if (dxt_diags_add(v->diags, path, line, column, hint, "%s", msg) !=
	    DXT_OK)
		v->nomem = true;
}

#define AT_VALUE(m) ((m) != NULL ? (m)->line : 0), ((m) != NULL ? (m)->column : 0)
#define AT_KEY(m)                                                            \
	((m) != NULL ? ((m)->key_line > 0 ? (m)->key_line : (m)->line) : 0), \
		((m) != NULL ? ((m)->key_line > 0 ? (m)->key_column          \
						  : (m)->column)             \
			     : 0)

static bool member(struct vctx *v, const json_t *obj, const char *opath,
		   const char *key, struct mem *out)
{
	out->val = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	dxt_doc_path_key(out->path, sizeof(out->path), opath, key);
	out->m = out->val != NULL ? dxt_doc_member(v->doc, obj, key) : NULL;
	return out->val != NULL;
}

/* Whether interpolation failed for the value (already reported). */
static bool unresolved(const struct mem *mm)
{
	return mm->m != NULL && mm->m->unresolved;
}

/* Whether the value still holds a placeholder that no one replaced. */
static bool raw_placeholder(const struct vctx *v, const struct mem *mm)
{
	return mm->m != NULL && mm->m->placeholder && !v->opts->interpolate;
}

/*
 * Whether a typed value (number, word, flag) must be left alone: see the
 * comment at the top. Text settings take a raw placeholder as it is.
 */
static bool skip(const struct vctx *v, const struct mem *mm)
{
	return unresolved(mm) || raw_placeholder(v, mm);
}

/* How a value reads in a message: `the string "abc"`, `a list`. */
static const char *describe(const json_t *j, char *buf, size_t n)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		snprintf(buf, n, "the string \"%.60s\"", json_string_value(j));
		return buf;
	case JSON_INTEGER:
		snprintf(buf, n, "the number %" JSON_INTEGER_FORMAT,
			 json_integer_value(j));
		return buf;
	case JSON_REAL:
		snprintf(buf, n, "the number %g", json_real_value(j));
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null (an empty value)";
	}
	return "a value";
}

static void wrong_type(struct vctx *v, const struct mem *mm, const char *want,
		       const char *hint)
{
	char buf[128];

	vdiag(v, mm->path, AT_VALUE(mm->m), hint, "expected %s, found %s", want,
	      describe(mm->val, buf, sizeof(buf)));
}

static void join(char *buf, size_t n, const char *const *names)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] != NULL && len + 1 < n; i++) {
		int k = snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
				 names[i]);

		if (k < 0)
			break;
		len += (size_t)k;
	}
	if (len >= n)
		buf[n - 1] = '\0';
}

/* Reports every key of `obj` that is not in `known`. */
static void check_keys(struct vctx *v, const json_t *obj, const char *opath,
		       const char *const *known)
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)obj, key, val) {
		const struct dxt_doc_mark *m;
		const char *near;
		char path[PPATH], hint[512], list[400];
		bool ok = false;

		for (size_t i = 0; known[i] != NULL && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (ok)
			continue;
		m = dxt_doc_member(v->doc, obj, key);
		near = dxt_closest(key, known, 2);
		if (near != NULL) {
			snprintf(hint, sizeof(hint), "did you mean \"%s\"?",
				 near);
		} else {
			join(list, sizeof(list), known);
			snprintf(hint, sizeof(hint), "known keys here: %s",
				 list);
		}
		dxt_doc_path_key(path, sizeof(path), opath, key);
		vdiag(v, path, AT_KEY(m), hint, "unknown key \"%s\"", key);
	}
}

static void missing(struct vctx *v, const json_t *obj, const char *opath,
		    const char *key, const char *hint)
{
	const struct dxt_doc_mark *m = dxt_doc_node(v->doc, obj);
	char path[PPATH];

	dxt_doc_path_key(path, sizeof(path), opath, key);
	vdiag(v, path, AT_VALUE(m), hint, "missing required key \"%s\"", key);
}

/* --- typed values --------------------------------------------------------- */

static bool want_string(struct vctx *v, const struct mem *mm, char **dst)
{
	char *s;

	if (unresolved(mm))
		return false;
	if (!json_is_string(mm->val)) {
		wrong_type(v, mm, "a string", NULL);
		return false;
	}
	s = strdup(json_string_value(mm->val));
	if (s == NULL) {
		v->nomem = true;
		return false;
	}
	free(*dst);
	*dst = s;
	return true;
}

static bool is_ident(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

static bool want_ident(struct vctx *v, const struct mem *mm, char **dst,
		       const char *what)
{
	if (unresolved(mm))
		return false;
	if (raw_placeholder(v, mm))
		return want_string(v, mm, dst);
	if (!json_is_string(mm->val)) {
		wrong_type(v, mm, "a string",
			   json_is_number(mm->val) ? "quote it: \"...\""
						   : NULL);
		return false;
	}
	if (!is_ident(json_string_value(mm->val)) ||
	    strlen(json_string_value(mm->val)) > 128) {
		vdiag(v, mm->path, AT_VALUE(mm->m),
		      "use up to 128 letters, digits, '_', '.' and '-'",
		      "\"%.80s\" is not a valid %s", json_string_value(mm->val),
		      what);
		return false;
	}
	return want_string(v, mm, dst);
}

static bool want_enum(struct vctx *v, const struct mem *mm,
		      const char *const *names, int *dst)
{
	char list[256], hint[300];
	const char *s, *near;

	if (skip(v, mm))
		return false;
	join(list, sizeof(list), names);
	if (!json_is_string(mm->val)) {
		snprintf(hint, sizeof(hint), "one of %s", list);
		wrong_type(v, mm, hint, NULL);
		return false;
	}
	s = json_string_value(mm->val);
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*dst = i;
			return true;
		}
	}
	near = dxt_closest(s, names, 2);
	if (near != NULL)
		snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
	else
		snprintf(hint, sizeof(hint), "use one of %s", list);
	vdiag(v, mm->path, AT_VALUE(mm->m), hint, "\"%.80s\" is not one of %s",
	      s, list);
	return false;
}

static bool want_bool(struct vctx *v, const struct mem *mm, bool *dst)
{
	if (skip(v, mm))
		return false;
	if (!json_is_boolean(mm->val)) {
		wrong_type(v, mm, "true or false", NULL);
		return false;
	}
	*dst = json_is_true(mm->val);
	return true;
}

static bool want_int(struct vctx *v, const struct mem *mm, int *dst)
{
	if (skip(v, mm))
		return false;
	if (!json_is_integer(mm->val) || json_integer_value(mm->val) < INT_MIN ||
	    json_integer_value(mm->val) > INT_MAX) {
		wrong_type(v, mm, "an integer", NULL);
		return false;
	}
	*dst = (int)json_integer_value(mm->val);
	return true;
}

/*
 * A positive count (`bytes` false) or byte size (`bytes` true). Integers are
 * taken as they are; strings of digits too, because a placeholder in a JSON
 * document (always quoted) yields a string. Byte sizes also take units.
 */
static bool want_count(struct vctx *v, const struct mem *mm, uint64_t *dst,
		       bool bytes)
{
	const char *want = bytes ? "a positive size in bytes (64MiB, 1GB, "
				   "65536)"
				 : "a positive integer";
	uint64_t n = 0;

	if (skip(v, mm))
		return false;
	if (json_is_integer(mm->val)) {
		if (json_integer_value(mm->val) <= 0) {
			wrong_type(v, mm, want, NULL);
			return false;
		}
		*dst = (uint64_t)json_integer_value(mm->val);
		return true;
	}
	if (json_is_string(mm->val)) {
		const char *s = json_string_value(mm->val);
		bool ok = bytes ? dxt_parse_size(s, &n)
				: (dxt_parse_size(s, &n) &&
				   strspn(s, "0123456789") == strlen(s));

		if (ok && n > 0) {
			*dst = n;
			return true;
		}
	}
	wrong_type(v, mm, want, NULL);
	return false;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool want_strlist(struct vctx *v, const struct mem *mm, char ***dst,
			 size_t *ndst, bool nonempty)
{
	size_t n, i;
	char **out;
	bool ok = true;

	if (skip(v, mm))
		return false;
	if (!json_is_array(mm->val)) {
		wrong_type(v, mm, "a list of strings", "write [a, b]");
		return false;
	}
	n = json_array_size(mm->val);
	if (n == 0 && nonempty) {
		vdiag(v, mm->path, AT_VALUE(mm->m), "name at least one",
		      "expected a non-empty list of strings");
		return false;
	}
	for (i = 0; i < n; i++) {
		const json_t *it = json_array_get(mm->val, i);
		const struct dxt_doc_mark *m = dxt_doc_item(v->doc, mm->val, i);

		if (m != NULL && m->unresolved) {
			ok = false;
		} else if (!json_is_string(it)) {
			struct mem im = {it, m, ""};

			dxt_doc_path_index(im.path, sizeof(im.path), mm->path, i);
			wrong_type(v, &im, "a string", NULL);
			ok = false;
		}
	}
	if (!ok)
		return false;
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL) {
		v->nomem = true;
		return false;
	}
	for (i = 0; i < n; i++) {
		out[i] = strdup(json_string_value(json_array_get(mm->val, i)));
		if (out[i] == NULL) {
			free_strv(out, i);
			v->nomem = true;
			return false;
		}
	}
	free_strv(*dst, *ndst);
	*dst = out;
	*ndst = n;
	return true;
}

/* A block that must be a mapping when present. */
static bool want_object(struct vctx *v, const struct mem *mm)
{
	if (skip(v, mm))
		return false;
	if (!json_is_object(mm->val)) {
		wrong_type(v, mm, "a mapping", NULL);
		return false;
	}
	return true;
}

/* --- extract and load ----------------------------------------------------- */

static void extract_default(struct dxt_extract_opts *e)
{
	memset(e, 0, sizeof(*e));
	e->mode = DXT_EXTRACT_FULL;
	e->batch_size = DXT_BATCH_DEFAULT_ROWS;
	e->on_error = DXT_ON_ERROR_FAIL;
}

static void load_default(struct dxt_load_opts *l)
{
	memset(l, 0, sizeof(*l));
	l->mode = DXT_LOAD_APPEND;
	l->batch_size = DXT_BATCH_DEFAULT_ROWS;
	l->schema_policy = DXT_SCHEMA_EVOLVE;
	l->on_error = DXT_ON_ERROR_FAIL;
}

static void extract_free(struct dxt_extract_opts *e)
{
	free(e->watermark_field);
	e->watermark_field = NULL;
}

static void load_free(struct dxt_load_opts *l)
{
	free_strv(l->upsert_keys, l->n_upsert_keys);
	l->upsert_keys = NULL;
	l->n_upsert_keys = 0;
}

static bool extract_copy(struct dxt_extract_opts *dst,
			 const struct dxt_extract_opts *src)
{
	*dst = *src;
	dst->watermark_field = NULL;
	if (src->watermark_field != NULL) {
		dst->watermark_field = strdup(src->watermark_field);
		return dst->watermark_field != NULL;
	}
	return true;
}

static bool load_copy(struct dxt_load_opts *dst,
		      const struct dxt_load_opts *src)
{
	*dst = *src;
	dst->upsert_keys = NULL;
	dst->n_upsert_keys = 0;
	if (src->n_upsert_keys == 0)
		return true;
	dst->upsert_keys = calloc(src->n_upsert_keys + 1, sizeof(char *));
	if (dst->upsert_keys == NULL)
		return false;
	for (size_t i = 0; i < src->n_upsert_keys; i++) {
		dst->upsert_keys[i] = strdup(src->upsert_keys[i]);
		if (dst->upsert_keys[i] == NULL) {
			free_strv(dst->upsert_keys, i);
			dst->upsert_keys = NULL;
			return false;
		}
		dst->n_upsert_keys++;
	}
	return true;
}

/* Applies an `extract:` block (the member `mm`) over `e`. */
static void extract_apply(struct vctx *v, const struct mem *blk,
			  struct dxt_extract_opts *e)
{
	struct mem mm;
	uint64_t n;
	int k;

	if (!want_object(v, blk))
		return;
	check_keys(v, blk->val, blk->path, extract_keys);
	if (member(v, blk->val, blk->path, "mode", &mm) &&
	    want_enum(v, &mm, extract_modes, &k))
		e->mode = (enum dxt_extract_mode)k;
	if (member(v, blk->val, blk->path, "batch_size", &mm) &&
	    want_count(v, &mm, &n, false))
		e->batch_size = (size_t)n;
	if (member(v, blk->val, blk->path, "watermark_field", &mm))
		want_string(v, &mm, &e->watermark_field);
	if (member(v, blk->val, blk->path, "on_error", &mm) &&
	    want_enum(v, &mm, on_errors, &k))
		e->on_error = (enum dxt_on_error)k;
}

static void load_apply(struct vctx *v, const struct mem *blk,
		       struct dxt_load_opts *l)
{
	struct mem mm;
	uint64_t n;
	int k;

	if (!want_object(v, blk))
		return;
	check_keys(v, blk->val, blk->path, load_keys);
	if (member(v, blk->val, blk->path, "mode", &mm) &&
	    want_enum(v, &mm, load_modes, &k))
		l->mode = (enum dxt_load_mode)k;
	if (member(v, blk->val, blk->path, "batch_size", &mm) &&
	    want_count(v, &mm, &n, false))
		l->batch_size = (size_t)n;
	if (member(v, blk->val, blk->path, "upsert_keys", &mm))
		want_strlist(v, &mm, &l->upsert_keys, &l->n_upsert_keys, true);
	if (member(v, blk->val, blk->path, "schema_policy", &mm) &&
	    want_enum(v, &mm, policies, &k))
		l->schema_policy = (enum dxt_schema_policy)k;
	if (member(v, blk->val, blk->path, "on_error", &mm) &&
	    want_enum(v, &mm, on_errors, &k))
		l->on_error = (enum dxt_on_error)k;
}

/* --- buffer --------------------------------------------------------------- */

/* Where the buffer's codec level was last set, to report a level that does
 * not suit the codec a stream ends up with. */
struct level_src {
	bool set;
	char path[PPATH];
	int line, column;
};

static void format_names(char *buf, size_t n)
{
	const struct dxt_format *const *l = dxt_format_list();
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; l != NULL && l[i] != NULL; i++) {
		int k = snprintf(buf + len, n - len, "%s, ", l[i]->name);

		if (k < 0 || (size_t)k >= n - len)
			return;
		len += (size_t)k;
	}
	snprintf(buf + len, n - len, "%s", DXT_BUFFER_PASSTHROUGH);
}

static void buffer_format(struct vctx *v, const struct mem *mm,
			  struct dxt_buffer_opts *b)
{
	char names[256];
	const char *s;

	if (skip(v, mm))
		return;
	format_names(names, sizeof(names));
	if (!json_is_string(mm->val)) {
		char hint[300];

		snprintf(hint, sizeof(hint), "use one of %s", names);
		wrong_type(v, mm, "a format name", hint);
		return;
	}
	s = json_string_value(mm->val);
	if ((strcmp(s, DXT_BUFFER_PASSTHROUGH) != 0 &&
	     dxt_format_find(s) == NULL) ||
	    strlen(s) >= sizeof(b->format)) {
		vdiag(v, mm->path, AT_VALUE(mm->m), NULL,
		      "\"%.80s\" is not one of %s", s, names);
		return;
	}
	memcpy(b->format, s, strlen(s) + 1);
}

/*
 * The csv options, one key at a time through csv.h's own parser, so that a
 * bad option is reported at its own line and column.
 */
static void buffer_csv(struct vctx *v, const struct mem *blk,
		       struct dxt_csv_opts *csv)
{
	const char *key;
	json_t *val;

	if (!want_object(v, blk))
		return;
	json_object_foreach((json_t *)blk->val, key, val) {
		struct dxt_error err;
		struct mem mm;
		json_t *one;
		const char *msg;
		size_t plen = strlen(blk->path);

		member(v, blk->val, blk->path, key, &mm);
		if (skip(v, &mm))
			continue;
		one = json_pack("{sO}", key, val);
		if (one == NULL) {
			v->nomem = true;
			return;
		}
		dxt_error_clear(&err);
		if (dxt_csv_opts_from_json(csv, one, blk->path, &err) !=
		    DXT_OK) {
			/* The message may start with the path we give the
			 * diagnostic anyway. */
			msg = err.message;
			if (strncmp(msg, blk->path, plen) == 0) {
				const char *colon = strstr(msg + plen, ": ");

				if (colon != NULL && colon - (msg + plen) < 64)
					msg = colon + 2;
			}
			vdiag(v, mm.path, AT_VALUE(mm.m), NULL, "%s", msg);
		}
		json_decref(one);
	}
}

static void buffer_apply(struct vctx *v, const struct mem *blk,
			 struct dxt_buffer_opts *b, bool top_level,
			 char **location, struct level_src *lvl)
{
	struct mem mm;
	uint64_t n;
	int k;

	if (!want_object(v, blk))
		return;
	check_keys(v, blk->val, blk->path, buffer_keys);
	if (member(v, blk->val, blk->path, "format", &mm))
		buffer_format(v, &mm, b);
	if (member(v, blk->val, blk->path, "compression", &mm) &&
	    want_enum(v, &mm, codecs, &k))
		b->codec = codec_values[k];
	if (member(v, blk->val, blk->path, "level", &mm) &&
	    want_int(v, &mm, &b->level)) {
		lvl->set = true;
		snprintf(lvl->path, sizeof(lvl->path), "%s", mm.path);
		lvl->line = mm.m != NULL ? mm.m->line : 0;
		lvl->column = mm.m != NULL ? mm.m->column : 0;
	}
	if (member(v, blk->val, blk->path, "part_rows", &mm) &&
	    want_count(v, &mm, &n, false))
		b->part_rows = n;
	if (member(v, blk->val, blk->path, "part_bytes", &mm) &&
	    want_count(v, &mm, &n, true))
		b->part_bytes = n;
	if (member(v, blk->val, blk->path, "row_group_rows", &mm) &&
	    want_count(v, &mm, &n, false))
		b->row_group_rows = n;
	if (member(v, blk->val, blk->path, "batch_rows", &mm) &&
	    want_count(v, &mm, &n, false))
		b->batch.max_rows = (size_t)n;
	if (member(v, blk->val, blk->path, "batch_bytes", &mm) &&
	    want_count(v, &mm, &n, true))
		b->batch.max_bytes = (size_t)n;
	if (member(v, blk->val, blk->path, "csv", &mm))
		buffer_csv(v, &mm, &b->csv);
	if (member(v, blk->val, blk->path, "cleanup_on_success", &mm))
		want_bool(v, &mm, &b->cleanup_on_success);
	if (member(v, blk->val, blk->path, "retain_on_failure", &mm))
		want_bool(v, &mm, &b->retain_on_failure);
	if (member(v, blk->val, blk->path, "fsync", &mm))
		want_bool(v, &mm, &b->fsync);
	if (member(v, blk->val, blk->path, "location", &mm)) {
		if (top_level)
			want_string(v, &mm, location);
		else
			vdiag(v, mm.path, AT_KEY(mm.m),
			      "move it to the pipeline's buffer block",
			      "location can only be set for the whole "
			      "pipeline");
	}
}

/* A level that the stream's codec cannot use. */
static void buffer_check(struct vctx *v, const struct dxt_buffer_opts *b,
			 const struct level_src *lvl, const char *spath)
{
	int lo = 0, hi = 0;
	const char *name = NULL;

	if (b->codec == DXT_CODEC_SNAPPY &&
	    strcmp(b->format, dxt_format_parquet.name) != 0) {
		vdiag(v, spath, 0, 0,
		      "use zstd, gzip or none, or format: parquet",
		      "compression snappy applies to the parquet format only, "
		      "not to %s", b->format);
		return;
	}
	if (!lvl->set || b->level == 0)
		return;
	if (b->codec == DXT_CODEC_ZSTD) {
		lo = ZSTD_minCLevel();
		hi = ZSTD_maxCLevel();
		name = "zstd";
	} else if (b->codec == DXT_CODEC_GZIP) {
		lo = 1;
		hi = 9;
		name = "gzip";
	} else {
		return;
	}
	if (b->level >= lo && b->level <= hi)
		return;
	{
		char hint[128];

		snprintf(hint, sizeof(hint),
			 "use %d to %d for %s, or 0 for its default",
			 name[0] == 'z' ? 1 : lo, hi, name);
		vdiag(v, lvl->path, lvl->line, lvl->column, hint,
		      "level %d is out of range for %s", b->level, name);
	}
}

/* --- endpoints ------------------------------------------------------------ */

/* What one block says about an operator: each part is optional. */
struct opref {
	bool given;             /* a class or provider key was written, even
				   if its value was refused */
	const char *cls;
	struct mem cls_at;
	const char *provider;
	struct mem provider_at;
	const json_t *config;   /* explicit config, or NULL */
};

static bool is_class_path(const char *s)
{
	const char *seg = s;
	int dots = 0;

	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == seg)
				return false;
			if (*p == '\0')
				break;
			dots++;
			seg = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return dots > 0;
}

static void want_class(struct vctx *v, const struct mem *mm,
		       struct opref *r)
{
	r->given = true;
	if (unresolved(mm))
		return;
	if (!json_is_string(mm->val)) {
		wrong_type(v, mm, "a class path",
			   "write a dotted name such as "
			   "dxt.providers.sqlite.SQLiteExtractor");
		return;
	}
	if (!raw_placeholder(v, mm) &&
	    !is_class_path(json_string_value(mm->val))) {
		vdiag(v, mm->path, AT_VALUE(mm->m),
		      "write a dotted name such as "
		      "dxt.providers.sqlite.SQLiteExtractor",
		      "\"%.80s\" is not a class path",
		      json_string_value(mm->val));
		return;
	}
	r->cls = json_string_value(mm->val);
	r->cls_at = *mm;
}

static void want_provider(struct vctx *v, const struct mem *mm,
			  struct opref *r)
{
	const char *s;

	r->given = true;
	if (unresolved(mm))
		return;
	if (!json_is_string(mm->val)) {
		wrong_type(v, mm, "a provider name", "for example sqlite");
		return;
	}
	s = json_string_value(mm->val);
	if (!raw_placeholder(v, mm) && (!is_ident(s) || strchr(s, '.') != NULL)) {
		vdiag(v, mm->path, AT_VALUE(mm->m),
		      "name a provider such as sqlite or local, or give a "
		      "class",
		      "\"%.80s\" is not a provider name", s);
		return;
	}
	r->provider = s;
	r->provider_at = *mm;
}

/* `extractor:` / `loader:` as a class path or {class, provider, config}. */
static void opblock(struct vctx *v, const struct mem *blk, struct opref *r)
{
	struct mem mm;

	if (json_is_string(blk->val)) {
		want_class(v, blk, r);
		return;
	}
	if (unresolved(blk))
		return;
	if (!json_is_object(blk->val)) {
		wrong_type(v, blk, "a class path or a mapping",
			   "write {class: ..., config: {...}}");
		return;
	}
	check_keys(v, blk->val, blk->path, op_keys);
	if (member(v, blk->val, blk->path, "class", &mm))
		want_class(v, &mm, r);
	if (member(v, blk->val, blk->path, "provider", &mm))
		want_provider(v, &mm, r);
	if (member(v, blk->val, blk->path, "config", &mm) &&
	    want_object(v, &mm))
		r->config = mm.val;
}

/*
 * The pipeline's `source:` or `target:` connection block: `provider:` plus
 * the provider's own settings; `extractor:` (source) or `loader:` (target)
 * MAY name a class instead, as the origin design allows.
 */
static void connblock(struct vctx *v, const struct mem *blk,
		      const char *class_key, struct opref *r)
{
	struct mem mm;

	if (!want_object(v, blk))
		return;
	if (member(v, blk->val, blk->path, "provider", &mm))
		want_provider(v, &mm, r);
	if (member(v, blk->val, blk->path, class_key, &mm))
		want_class(v, &mm, r);
}

/* Builds an endpoint: stream block over pipeline block over connection. */
static int endpoint_build(struct dxt_endpoint *ep, const json_t *conn,
			  const char *class_key, const struct opref *c,
			  const struct opref *p, const struct opref *s)
{
	const char *cls = s->cls ? s->cls : p->cls ? p->cls : c->cls;
	const char *prov = s->provider	 ? s->provider
			   : p->provider ? p->provider
					 : c->provider;

	ep->config = json_object();
	if (ep->config == NULL)
		return DXT_ENOMEM;
	if (json_is_object(conn)) {
		if (json_object_update(ep->config, (json_t *)conn) != 0)
			return DXT_ENOMEM;
		json_object_del(ep->config, "provider");
		json_object_del(ep->config, class_key);
	}
	if (p->config != NULL &&
	    json_object_update(ep->config, (json_t *)p->config) != 0)
		return DXT_ENOMEM;
	if (s->config != NULL &&
	    json_object_update(ep->config, (json_t *)s->config) != 0)
		return DXT_ENOMEM;
	/* The tree belongs to the document: the pipeline keeps its own. */
	{
		json_t *copy = json_deep_copy(ep->config);

		json_decref(ep->config);
		ep->config = copy;
		if (copy == NULL)
			return DXT_ENOMEM;
	}
	if (cls != NULL && (ep->class_path = strdup(cls)) == NULL)
		return DXT_ENOMEM;
	if (prov != NULL && (ep->provider = strdup(prov)) == NULL)
		return DXT_ENOMEM;
	return DXT_OK;
}

/* Where a failed resolution is reported: the key that chose the operator. */
static const struct mem *endpoint_origin(const struct opref *c,
					 const struct opref *p,
					 const struct opref *s)
{
	if (s->cls)
		return &s->cls_at;
	if (p->cls)
		return &p->cls_at;
	if (c->cls)
		return &c->cls_at;
	if (s->provider)
		return &s->provider_at;
	if (p->provider)
		return &p->provider_at;
	return &c->provider_at;
}

static void endpoint_free(struct dxt_endpoint *ep)
{
	free(ep->provider);
	free(ep->class_path);
	json_decref(ep->config);
	memset(ep, 0, sizeof(*ep));
}

/* --- the pipeline --------------------------------------------------------- */

static void stream_free(struct dxt_stream *s)
{
	free(s->id);
	json_decref(s->source);
	json_decref(s->target);
	free_strv(s->tags, s->ntags);
	endpoint_free(&s->extractor);
	endpoint_free(&s->loader);
	extract_free(&s->extract);
	load_free(&s->load);
}

void dxt_pipeline_destroy(struct dxt_pipeline *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->description);
	free_strv(p->tags, p->ntags);
	json_decref(p->schedule);
	free(p->buffer_location);
	for (size_t i = 0; i < p->nstreams; i++)
		stream_free(&p->streams[i]);
	free(p->streams);
	free(p);
}

const struct dxt_stream *dxt_pipeline_stream(const struct dxt_pipeline *p,
					     const char *id)
{
	for (size_t i = 0; p != NULL && id != NULL && i < p->nstreams; i++)
		if (strcmp(p->streams[i].id, id) == 0)
			return &p->streams[i];
	return NULL;
}

/* Pipeline-level settings every stream starts from. */
struct defaults {
	struct dxt_extract_opts extract;
	struct dxt_load_opts load;
	struct dxt_buffer_opts buffer;
	struct level_src level;
	struct mem extract_at, load_at; /* val NULL when absent */
	const json_t *source_conn, *target_conn;
	struct opref source_c, target_c; /* from source:/target: */
	struct opref extractor, loader;  /* from extractor:/loader: */
};

/* The block a cross-check reports at: the stream's, else the pipeline's,
 * else the stream itself. */
static void requirement(struct vctx *v, const struct mem *sblk,
			const struct mem *pblk, const char *spath,
			const struct dxt_doc_mark *sm, const char *key,
			const char *hint, const char *msg)
{
	char path[PPATH];
	const struct mem *b = sblk->val != NULL ? sblk
			      : pblk->val != NULL ? pblk
						  : NULL;

	if (b != NULL) {
		const struct dxt_doc_mark *m = json_is_object(b->val)
						       ? dxt_doc_node(v->doc,
								      b->val)
						       : b->m;

		dxt_doc_path_key(path, sizeof(path), b->path, key);
		vdiag(v, path, AT_VALUE(m), hint, "%s", msg);
		return;
	}
	dxt_doc_path_key(path, sizeof(path), spath, key);
	vdiag(v, path, AT_VALUE(sm), hint, "%s", msg);
}

static void resolve_side(struct vctx *v, const struct dxt_endpoint *ep,
			 enum dxt_op_kind kind, const struct mem *origin)
{
	const struct dxt_operator *op = NULL;
	struct dxt_error err;

	dxt_error_clear(&err);
	if (dxt_resolver_endpoint(v->opts->resolver, ep, kind, &op, &err) ==
	    DXT_OK)
		return;
	vdiag(v, origin->path, AT_KEY(origin->m),
	      "check the name, and that the provider's .so is in the "
	      "provider path (--provider-path, DXT_PROVIDER_PATH)",
	      "%s", err.message[0] != '\0' ? err.message
					   : "cannot resolve the operator");
}

static void stream_parse(struct vctx *v, const struct defaults *d,
			 const json_t *streams, size_t i,
			 struct dxt_stream *s)
{
	const json_t *item = json_array_get(streams, i);
	const struct dxt_doc_mark *im = dxt_doc_item(v->doc, streams, i);
	struct mem mm, ext_at = {0}, load_at = {0}, buf_at;
	struct opref sx = {0}, sl = {0};
	struct level_src lvl = d->level;
	char spath[PPATH];

	dxt_doc_path_index(spath, sizeof(spath), "streams", i);
	s->line = im != NULL ? im->line : 0;
	if (!extract_copy(&s->extract, &d->extract) ||
	    !load_copy(&s->load, &d->load))
		v->nomem = true;
	s->buffer = d->buffer;
	if (!json_is_object(item)) {
		struct mem self = {item, im, ""};

		snprintf(self.path, sizeof(self.path), "%s", spath);
		if (!unresolved(&self))
			wrong_type(v, &self, "a mapping (a stream)",
				   "write `- id: name` and the stream's keys");
		return;
	}
	check_keys(v, item, spath, stream_keys);
	if (member(v, item, spath, "id", &mm))
		want_ident(v, &mm, &s->id, "stream id");
	else
		missing(v, item, spath, "id",
			"give every stream a unique id: `- id: orders`");
	if (member(v, item, spath, "tags", &mm))
		want_strlist(v, &mm, &s->tags, &s->ntags, false);

	if (member(v, item, spath, "source", &mm) && want_object(v, &mm))
		s->source = json_deep_copy(mm.val);
	else
		s->source = json_object();
	if (member(v, item, spath, "target", &mm) && !unresolved(&mm) &&
	    json_is_string(mm.val)) {
		s->target = json_pack("{ss}", "name", json_string_value(mm.val));
	} else if (mm.val != NULL && json_is_object(mm.val)) {
		s->target = json_deep_copy(mm.val);
	} else {
		if (mm.val != NULL && !unresolved(&mm))
			wrong_type(v, &mm, "a string or a mapping",
				   "write `target: table_name` or "
				   "`target: {name: ...}`");
		s->target = json_object();
	}
	if (s->source == NULL || s->target == NULL)
		v->nomem = true;

	if (member(v, item, spath, "extract", &ext_at))
		extract_apply(v, &ext_at, &s->extract);
	if (member(v, item, spath, "load", &load_at))
		load_apply(v, &load_at, &s->load);
	if (member(v, item, spath, "buffer", &buf_at))
		buffer_apply(v, &buf_at, &s->buffer, false, NULL, &lvl);
	buffer_check(v, &s->buffer, &lvl, spath);

	if (s->extract.mode == DXT_EXTRACT_INCREMENTAL &&
	    s->extract.watermark_field == NULL)
		requirement(v, &ext_at, &d->extract_at, spath, im,
			    "watermark_field",
			    "name the field that grows with every change: "
			    "watermark_field: updated_at",
			    "watermark_field is required when mode is "
			    "incremental");
	if (s->load.mode == DXT_LOAD_UPSERT && s->load.n_upsert_keys == 0)
		requirement(v, &load_at, &d->load_at, spath, im,
			    "upsert_keys",
			    "list the key fields: upsert_keys: [id]",
			    "upsert_keys is required when mode is upsert");

	if (member(v, item, spath, "extractor", &mm))
		opblock(v, &mm, &sx);
	if (member(v, item, spath, "loader", &mm))
		opblock(v, &mm, &sl);
	if (endpoint_build(&s->extractor, d->source_conn, "extractor",
			   &d->source_c, &d->extractor, &sx) != DXT_OK ||
	    endpoint_build(&s->loader, d->target_conn, "loader", &d->target_c,
			   &d->loader, &sl) != DXT_OK) {
		v->nomem = true;
		return;
	}
	/* A stream whose operator was named but refused has had its
	 * diagnostic; "no extractor" would only repeat it. */
	if (s->extractor.class_path == NULL && s->extractor.provider == NULL &&
	    !d->source_c.given && !d->extractor.given && !sx.given)
		vdiag(v, spath, AT_VALUE(im),
		      "add `source: {provider: ...}` at the top of the "
		      "pipeline, or `extractor: {class: ..., config: {...}}` "
		      "to the stream",
		      "the stream has no extractor: no source provider and "
		      "no extractor class");
	else if (v->opts->resolver != NULL &&
		 (s->extractor.class_path != NULL ||
		  s->extractor.provider != NULL))
		resolve_side(v, &s->extractor, DXT_KIND_EXTRACTOR,
			     endpoint_origin(&d->source_c, &d->extractor,
					     &sx));
	if (s->loader.class_path == NULL && s->loader.provider == NULL &&
	    !d->target_c.given && !d->loader.given && !sl.given)
		vdiag(v, spath, AT_VALUE(im),
		      "add `target: {provider: ...}` at the top of the "
		      "pipeline, or `loader: {class: ..., config: {...}}` to "
		      "the stream",
		      "the stream has no loader: no target provider and no "
		      "loader class");
	else if (v->opts->resolver != NULL &&
		 (s->loader.class_path != NULL || s->loader.provider != NULL))
		resolve_side(v, &s->loader, DXT_KIND_LOADER,
			     endpoint_origin(&d->target_c, &d->loader, &sl));
}

static void streams_parse(struct vctx *v, const struct defaults *d,
			  const json_t *root, struct dxt_pipeline *p)
{
	struct mem mm;
	size_t n;

	if (!member(v, root, "", "streams", &mm)) {
		missing(v, root, "", "streams",
			"list the streams: `streams: [{id: ..., source: ..., "
			"target: ...}]`");
		return;
	}
	if (unresolved(&mm))
		return;
	if (!json_is_array(mm.val)) {
		wrong_type(v, &mm, "a list of streams",
			   "write each stream as `- id: name`");
		return;
	}
	n = json_array_size(mm.val);
	if (n == 0) {
		vdiag(v, mm.path, AT_VALUE(mm.m), "add at least one stream",
		      "expected at least one stream");
		return;
	}
	p->streams = calloc(n, sizeof(*p->streams));
	if (p->streams == NULL) {
		v->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		p->nstreams = i + 1;
		stream_parse(v, d, mm.val, i, &p->streams[i]);
		if (v->nomem)
			return;
		if (p->streams[i].id == NULL)
			continue;
		for (size_t j = 0; j < i; j++) {
			const json_t *it;
			const struct dxt_doc_mark *m, *first;
			char path[PPATH], hint[128];

			if (p->streams[j].id == NULL ||
			    strcmp(p->streams[j].id, p->streams[i].id) != 0)
				continue;
			it = json_array_get(mm.val, i);
			m = dxt_doc_member(v->doc, it, "id");
			first = dxt_doc_member(
				v->doc, json_array_get(mm.val, j), "id");
			dxt_doc_path_index(path, sizeof(path), "streams", i);
			dxt_doc_path_key(path, sizeof(path), path, "id");
			snprintf(hint, sizeof(hint),
				 "rename one of them; the first is "
				 "streams[%zu] at line %d",
				 j, first != NULL ? first->line : 0);
			vdiag(v, path, AT_VALUE(m), hint,
			      "duplicate stream id \"%s\"", p->streams[i].id);
			break;
		}
	}
}

static void pipeline_parse(struct vctx *v, struct dxt_pipeline *p)
{
	const json_t *root = dxt_doc_root(v->doc);
	struct defaults d;
	struct mem mm;

	memset(&d, 0, sizeof(d));
	extract_default(&d.extract);
	load_default(&d.load);
	dxt_buffer_opts_default(&d.buffer);
	p->version = 1;
	if (!json_is_object(root)) {
		struct mem self = {root, dxt_doc_node(v->doc, root), ""};

		if (!unresolved(&self))
			wrong_type(v, &self, "a mapping with name and streams",
				   "start the document with `name: ...` and "
				   "`streams:`");
		goto out;
	}
	check_keys(v, root, "", top_keys);
	if (member(v, root, "", "version", &mm) &&
	    want_int(v, &mm, &p->version) && p->version != 1)
		vdiag(v, mm.path, AT_VALUE(mm.m),
		      "write version: 1 (the only version this dxtd reads)",
		      "version %d is not supported", p->version);
	if (member(v, root, "", "name", &mm))
		want_ident(v, &mm, &p->name, "pipeline name");
	else
		missing(v, root, "", "name",
			"name the pipeline: `name: my_pipeline`");
	if (member(v, root, "", "description", &mm))
		want_string(v, &mm, &p->description);
	if (member(v, root, "", "tags", &mm))
		want_strlist(v, &mm, &p->tags, &p->ntags, false);
	p->max_active_runs = 1;
	if (member(v, root, "", "max_active_runs", &mm)) {
		uint64_t n;

		if (want_count(v, &mm, &n, false)) {
			if (n > DXT_MAX_ACTIVE_RUNS)
				vdiag(v, mm.path, AT_VALUE(mm.m), NULL,
				      "max_active_runs is %llu; at most %d "
				      "runs of a pipeline can be active",
				      (unsigned long long)n,
				      DXT_MAX_ACTIVE_RUNS);
			else
				p->max_active_runs = (int)n;
		}
	}
	if (member(v, root, "", "schedule", &mm) && !json_is_null(mm.val)) {
		p->schedule = json_deep_copy(mm.val);
		if (p->schedule == NULL)
			v->nomem = true;
	}
	if (member(v, root, "", "buffer", &mm))
		buffer_apply(v, &mm, &d.buffer, true, &p->buffer_location,
			     &d.level);
	if (member(v, root, "", "extract", &d.extract_at))
		extract_apply(v, &d.extract_at, &d.extract);
	if (member(v, root, "", "load", &d.load_at))
		load_apply(v, &d.load_at, &d.load);
	if (member(v, root, "", "source", &mm)) {
		connblock(v, &mm, "extractor", &d.source_c);
		d.source_conn = json_is_object(mm.val) ? mm.val : NULL;
	}
	if (member(v, root, "", "target", &mm)) {
		connblock(v, &mm, "loader", &d.target_c);
		d.target_conn = json_is_object(mm.val) ? mm.val : NULL;
	}
	if (member(v, root, "", "extractor", &mm))
		opblock(v, &mm, &d.extractor);
	if (member(v, root, "", "loader", &mm))
		opblock(v, &mm, &d.loader);
	streams_parse(v, &d, root, p);
out:
	extract_free(&d.extract);
	load_free(&d.load);
}

int dxt_pipeline_parse(const char *text, size_t len,
		       const struct dxt_parse_opts *opts,
		       struct dxt_pipeline **out, struct dxt_diags *diags)
{
	static const struct dxt_parse_opts no_opts;
	struct dxt_doc_opts dopts;
	struct dxt_doc *doc = NULL;
	struct dxt_pipeline *p;
	struct vctx v;
	int rc;

	*out = NULL;
	diags->n = 0;
	diags->items = NULL;
	if (opts == NULL)
		opts = &no_opts;
	memset(&dopts, 0, sizeof(dopts));
	dopts.format = opts->format;
	dopts.interpolate = opts->interpolate;
	dopts.getenv = opts->getenv;
	dopts.getenv_ctx = opts->getenv_ctx;
	dopts.base_dir = opts->base_dir;
	dopts.name = opts->name;
	rc = dxt_doc_parse(text, len, &dopts, &doc, diags);
	if (rc == DXT_EPARSE || rc == DXT_ENOMEM) {
		diags_sort(diags);
		return rc;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		dxt_doc_destroy(doc);
		return DXT_ENOMEM;
	}
	v.doc = doc;
	v.opts = opts;
	v.diags = diags;
	v.nomem = false;
	pipeline_parse(&v, p);
	dxt_doc_destroy(doc);
	diags_sort(diags);
	if (v.nomem) {
		dxt_pipeline_destroy(p);
		return DXT_ENOMEM;
	}
	if (diags->n > 0 || rc != DXT_OK) {
		dxt_pipeline_destroy(p);
		return DXT_ECONFIG;
	}
	*out = p;
	return DXT_OK;
}

int dxt_pipeline_parse_file(const char *path,
			    const struct dxt_parse_opts *opts,
			    struct dxt_pipeline **out,
			    struct dxt_diags *diags)
{
	struct dxt_parse_opts o;
	char dir[4096];
	const char *slash;
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *fp;
	int rc;

	*out = NULL;
	diags->n = 0;
	diags->items = NULL;
	if (opts != NULL)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	fp = fopen(path, "rb");
	if (fp == NULL) {
		int e = errno;

		dxt_diags_add(diags, "", 0, 0,
			      "check the file name and its permissions",
			      "cannot open %s: %s", path, strerror(e));
		return e == ENOENT ? DXT_ENOTFOUND : DXT_EIO;
	}
	for (;;) {
		size_t got;

		if (cap - len < 65536) {
			char *t = realloc(text, cap + 65536);

			if (t == NULL) {
				fclose(fp);
				free(text);
				return DXT_ENOMEM;
			}
			text = t;
			cap += 65536;
		}
		got = fread(text + len, 1, cap - len, fp);
		len += got;
		if (len > MAX_DOC_BYTES) {
			fclose(fp);
			free(text);
			dxt_diags_add(diags, "", 0, 0,
				      "a pipeline document is a few kilobytes; "
				      "is this the right file?",
				      "%s is larger than %u bytes", path,
				      MAX_DOC_BYTES);
			return DXT_ELIMIT;
		}
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		int e = errno;

		fclose(fp);
		free(text);
		dxt_diags_add(diags, "", 0, 0, NULL, "cannot read %s: %s",
			      path, strerror(e));
		return DXT_EIO;
	}
	fclose(fp);
	if (o.name == NULL)
		o.name = path;
	slash = strrchr(path, '/');
	if (o.base_dir == NULL) {
		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s",
				 (int)(slash - path), path);
		o.base_dir = dir;
	}
	rc = dxt_pipeline_parse(text, len, &o, out, diags);
	free(text);
	return rc;
}
