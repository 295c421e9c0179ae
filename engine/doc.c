/*
 * doc.c - YAML and JSON documents as jansson trees with source positions.
 *
 * Both syntaxes feed one builder through the same four calls (start of a
 * container, end of it, scalar, alias), so interpolation, typing, duplicate
 * keys and positions behave the same whatever the input was.
 *
 * Positions live in a side table: one entry per mapping, sequence, string
 * and number (found by pointer through an open-addressing hash), each
 * container entry holding its members or items in document order with their
 * key and value positions. true, false and null are singletons in jansson,
 * so their positions are only reachable through their parent's slots.
 */
#include "doc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "batch.h"

/* Deeper documents are refused: no pipeline needs them, and the recursive
 * walks over the tree (redaction, validation) stay bounded. */
#define DOC_MAX_DEPTH 128
/* Aliases share nodes, so a small text can stand for a huge tree ("billion
 * laughs"); anything that copies the tree would expand it. */
#define DOC_MAX_NODES (1u << 20)
/* ${file:...} is meant for secrets and small snippets. */
#define DOC_MAX_FILE (1u << 20)
/* ${A:-${B:-${C}}} nests; this bounds the recursion. */
#define DOC_MAX_INTERP_DEPTH 8
#define DOC_PATH_MAX 512

#define TAG_PREFIX "tag:yaml.org,2002:"

/* --- diagnostics ---------------------------------------------------------- */

int dxt_diags_vadd(struct dxt_diags *d, const char *path, int line,
		   int column, const char *hint, const char *fmt, va_list ap)
{
	struct dxt_diag *items, *g;
	char msg[1024];

	if (d == NULL)
		return DXT_OK;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	items = realloc(d->items, (d->n + 1) * sizeof(*items));
	if (items == NULL)
		return DXT_ENOMEM;
	d->items = items;
	g = &items[d->n];
	memset(g, 0, sizeof(*g));
	g->path = strdup(path != NULL ? path : "");
	g->message = strdup(msg);
	g->hint = hint != NULL ? strdup(hint) : NULL;
	g->line = line;
	g->column = column;
	if (g->path == NULL || g->message == NULL ||
	    (hint != NULL && g->hint == NULL)) {
		free(g->path);
		free(g->message);
		free(g->hint);
		return DXT_ENOMEM;
	}
	d->n++;
	return DXT_OK;
}

int dxt_diags_add(struct dxt_diags *d, const char *path, int line,
		  int column, const char *hint, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = dxt_diags_vadd(d, path, line, column, hint, fmt, ap);
	va_end(ap);
	return rc;
}

/* --- paths ---------------------------------------------------------------- */

static bool plain_key(const char *key)
{
	if (*key == '\0')
		return false;
	for (const char *p = key; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Puts `parent` at the start of buf (it may already be there) and returns
 * its length, cut to fit. */
static size_t path_base(char *buf, size_t size, const char *parent)
{
	size_t n = strlen(parent);

	if (n >= size)
		n = size - 1;
	if (parent != buf)
		memmove(buf, parent, n);
	buf[n] = '\0';
	return n;
}

static void path_put(char *buf, size_t size, size_t *len, const char *s,
		     size_t n)
{
	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

char *dxt_doc_path_key(char *buf, size_t size, const char *parent,
		       const char *key)
{
	size_t len;

	if (size == 0)
		return buf;
	len = path_base(buf, size, parent != NULL ? parent : "");
	if (plain_key(key)) {
		if (len > 0)
			path_put(buf, size, &len, ".", 1);
		path_put(buf, size, &len, key, strlen(key));
		return buf;
	}
	path_put(buf, size, &len, "[\"", 2);
	for (const char *p = key; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			path_put(buf, size, &len, "\\", 1);
		path_put(buf, size, &len, p, 1);
	}
	path_put(buf, size, &len, "\"]", 2);
	return buf;
}

char *dxt_doc_path_index(char *buf, size_t size, const char *parent,
			 size_t index)
{
	char seg[32];
	size_t len;
	int n;

	if (size == 0)
		return buf;
	len = path_base(buf, size, parent != NULL ? parent : "");
	n = snprintf(seg, sizeof(seg), "[%zu]", index);
	path_put(buf, size, &len, seg, (size_t)n);
	return buf;
}

/* --- the document and its side table --------------------------------------- */

struct doc_slot {
	char *key;          /* NULL for sequence items */
	json_t *value;      /* borrowed from the tree */
	struct dxt_doc_mark mark;
};

struct doc_entry {
	const json_t *node;
	struct dxt_doc_mark mark;
	struct doc_slot *slots; /* containers: members or items in order */
	size_t nslots, cap;
	size_t weight;          /* nodes in the expansion (aliases counted) */
};

struct dxt_doc {
	json_t *root;
	struct dxt_doc_mark root_mark;
	enum dxt_doc_format format;
	struct doc_entry *entries;
	size_t nentries, cap;
	size_t *table;      /* entry index + 1; 0 = empty */
	size_t tcap;        /* power of two */
	json_t *graveyard;  /* values of duplicate keys, kept alive so their
			       addresses are not reused while the table
			       still names them */
};

static bool is_singleton(const json_t *v)
{
	return json_is_true(v) || json_is_false(v) || json_is_null(v);
}

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static long entry_find(const struct dxt_doc *d, const json_t *node)
{
	size_t mask, i;

	if (d->tcap == 0 || node == NULL)
		return -1;
	mask = d->tcap - 1;
	for (i = ptr_hash(node) & mask; d->table[i] != 0; i = (i + 1) & mask)
		if (d->entries[d->table[i] - 1].node == node)
			return (long)(d->table[i] - 1);
	return -1;
}

static int table_grow(struct dxt_doc *d)
{
	size_t ncap = d->tcap ? d->tcap * 2 : 64;
	size_t *t = calloc(ncap, sizeof(*t));

	if (t == NULL)
		return DXT_ENOMEM;
	for (size_t e = 0; e < d->nentries; e++) {
		size_t i = ptr_hash(d->entries[e].node) & (ncap - 1);

		while (t[i] != 0)
			i = (i + 1) & (ncap - 1);
		t[i] = e + 1;
	}
	free(d->table);
	d->table = t;
	d->tcap = ncap;
	return DXT_OK;
}

/* Adds an entry for `node` and returns its index, or -1 when out of
 * memory. */
static long entry_add(struct dxt_doc *d, const json_t *node,
		      const struct dxt_doc_mark *mark)
{
	struct doc_entry *e;
	size_t i;

	if (d->nentries == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 64;

		e = realloc(d->entries, ncap * sizeof(*e));
		if (e == NULL)
			return -1;
		d->entries = e;
		d->cap = ncap;
	}
	e = &d->entries[d->nentries];
	memset(e, 0, sizeof(*e));
	e->node = node;
	e->mark = *mark;
	e->weight = 1;
	d->nentries++;
	/* Keep the table at most half full. */
	if (d->nentries * 2 > d->tcap) {
		if (table_grow(d) != DXT_OK) {
			d->nentries--;
			return -1;
		}
		return (long)(d->nentries - 1);
	}
	i = ptr_hash(node) & (d->tcap - 1);
	while (d->table[i] != 0)
		i = (i + 1) & (d->tcap - 1);
	d->table[i] = d->nentries;
	return (long)(d->nentries - 1);
}

static int slot_add(struct doc_entry *e, const char *key, size_t keylen,
		    json_t *value, const struct dxt_doc_mark *mark)
{
	struct doc_slot *s;

	if (e->nslots == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 8;

		s = realloc(e->slots, ncap * sizeof(*s));
		if (s == NULL)
			return DXT_ENOMEM;
		e->slots = s;
		e->cap = ncap;
	}
	s = &e->slots[e->nslots];
	s->key = NULL;
	if (key != NULL) {
		s->key = malloc(keylen + 1);
		if (s->key == NULL)
			return DXT_ENOMEM;
		memcpy(s->key, key, keylen);
		s->key[keylen] = '\0';
	}
	s->value = value;
	s->mark = *mark;
	e->nslots++;
	return DXT_OK;
}

void dxt_doc_destroy(struct dxt_doc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nentries; i++) {
		for (size_t j = 0; j < d->entries[i].nslots; j++)
			free(d->entries[i].slots[j].key);
		free(d->entries[i].slots);
	}
	free(d->entries);
	free(d->table);
	json_decref(d->root);
	json_decref(d->graveyard);
	free(d);
}

/* --- the builder ---------------------------------------------------------- */

struct frame {
	json_t *value;
	long entry;
	bool is_map;
	char *key;          /* map: the key whose value comes next */
	size_t keylen;
	int key_line, key_column;
	bool discard;       /* that key is a duplicate: drop its value */
	size_t path_len;    /* length of this container's path in b->path */
	char *anchor;
	struct dxt_doc_mark mark;
};

struct anchor {
	json_t *node;
	struct dxt_doc_mark mark;
	size_t weight;
};

struct builder {
	struct dxt_doc *doc;
	const struct dxt_doc_opts *opts;
	struct dxt_diags *diags;
	struct frame stack[DOC_MAX_DEPTH];
	size_t depth;
	bool root_set;
	char path[DOC_PATH_MAX];
	json_t *anchor_names;   /* name -> index into anchors */
	struct anchor *anchors;
	size_t nanchors, canchors;
	size_t nodes;           /* expanded node count */
	bool fatal;             /* stop: the document cannot be read on */
	int syntax_errors;      /* reasons for DXT_EPARSE */
	int value_errors;       /* reasons for DXT_ECONFIG */
	bool nomem;
};

static void b_diag(struct builder *b, const char *path, int line, int column,
		   const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void b_diag(struct builder *b, const char *path, int line, int column,
		   const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (dxt_diags_vadd(b->diags, path, line, column, hint, fmt, ap) !=
	    DXT_OK)
		b->nomem = true;
	va_end(ap);
}

static void b_oom(struct builder *b)
{
	b->nomem = true;
	b->fatal = true;
}

static struct frame *top(struct builder *b)
{
	return b->depth > 0 ? &b->stack[b->depth - 1] : NULL;
}

/* Writes the path of the node about to be attached into b->path. */
static void child_path(struct builder *b)
{
	struct frame *f = top(b);

	if (f == NULL) {
		b->path[0] = '\0';
		return;
	}
	b->path[f->path_len] = '\0';
	if (f->is_map)
		dxt_doc_path_key(b->path, sizeof(b->path), b->path,
				 f->key != NULL ? f->key : "");
	else
		dxt_doc_path_index(b->path, sizeof(b->path), b->path,
				   json_array_size(f->value));
}

static bool count_nodes(struct builder *b, size_t n, int line, int column)
{
	if (b->nodes + n < b->nodes || b->nodes + n > DOC_MAX_NODES) {
		child_path(b);
		b_diag(b, b->path, line, column,
		       "split the document or use fewer aliases",
		       "the document expands to more than %u nodes "
		       "(aliases counted)", DOC_MAX_NODES);
		b->syntax_errors++;
		b->fatal = true;
		return false;
	}
	b->nodes += n;
	return true;
}

/*
 * Attaches a finished value (a new reference, consumed) to the container on
 * top of the stack, or makes it the root, and records its slot.
 */
static void attach(struct builder *b, json_t *v,
		   const struct dxt_doc_mark *mark)
{
	struct frame *f = top(b);
	struct doc_entry *e;

	if (f == NULL) {
		b->doc->root = v;
		b->doc->root_mark = *mark;
		b->root_set = true;
		return;
	}
	e = &b->doc->entries[f->entry];
	if (f->is_map) {
		struct dxt_doc_mark m = *mark;

		m.key_line = f->key_line;
		m.key_column = f->key_column;
		if (f->discard) {
			if (json_array_append_new(b->doc->graveyard, v) != 0)
				b_oom(b);
		} else if (json_object_setn_new(f->value, f->key, f->keylen,
						v) != 0 ||
			   slot_add(e, f->key, f->keylen, v, &m) != DXT_OK) {
			b_oom(b);
		}
		free(f->key);
		f->key = NULL;
		f->discard = false;
		return;
	}
	if (json_array_append_new(f->value, v) != 0 ||
	    slot_add(e, NULL, 0, v, mark) != DXT_OK)
		b_oom(b);
}

static void anchor_add(struct builder *b, const char *name, json_t *node,
		       const struct dxt_doc_mark *mark, size_t weight)
{
	struct anchor *a;

	if (b->nanchors == b->canchors) {
		size_t ncap = b->canchors ? b->canchors * 2 : 8;

		a = realloc(b->anchors, ncap * sizeof(*a));
		if (a == NULL) {
			b_oom(b);
			return;
		}
		b->anchors = a;
		b->canchors = ncap;
	}
	a = &b->anchors[b->nanchors];
	a->node = node;
	a->mark = *mark;
	a->weight = weight;
	/* A later anchor of the same name replaces the earlier one, as YAML
	 * says; the old node stays alive in the tree. */
	if (json_object_set_new(b->anchor_names, name,
				json_integer((json_int_t)b->nanchors)) != 0) {
		b_oom(b);
		return;
	}
	b->nanchors++;
}

/* A key scalar: checked for duplicates and kept until its value comes. */
static void take_key(struct builder *b, struct frame *f, const char *text,
		     size_t len, int line, int column)
{
	const struct dxt_doc_mark *first;

	if (memchr(text, '\0', len) != NULL) {
		child_path(b);
		b_diag(b, b->path, line, column, NULL,
		       "a key cannot contain a NUL character");
		b->syntax_errors++;
		b->fatal = true;
		return;
	}
	f->key = malloc(len + 1);
	if (f->key == NULL) {
		b_oom(b);
		return;
	}
	memcpy(f->key, text, len);
	f->key[len] = '\0';
	f->keylen = len;
	f->key_line = line;
	f->key_column = column;
	f->discard = false;
	if (json_object_get(f->value, f->key) == NULL)
		return;
	first = dxt_doc_member(b->doc, f->value, f->key);
	child_path(b);
	if (first != NULL)
		b_diag(b, b->path, line, column,
		       "remove one of them: a key may appear once per mapping",
		       "duplicate key \"%s\" (first defined at line %d, "
		       "column %d)", f->key, first->key_line,
		       first->key_column);
	else
		b_diag(b, b->path, line, column,
		       "remove one of them: a key may appear once per mapping",
		       "duplicate key \"%s\"", f->key);
	b->syntax_errors++;
	f->discard = true;
}

/* --- scalars: interpolation and typing ----------------------------------- */

static bool has_placeholder(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '$')
			continue;
		if (s[i + 1] == '$')
			i++;
		else if (s[i + 1] == '{')
			return true;
	}
	return false;
}

static const char *lookup_var(const struct dxt_doc_opts *o, const char *name)
{
	if (o->getenv != NULL)
		return o->getenv(name, o->getenv_ctx);
	return getenv(name);
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

struct interp {
	struct builder *b;
	int line, column;  /* the scalar's position */
	int errors;
};

static int interp_run(struct interp *in, const char *s, size_t n,
		      struct dxt_buf *out, int depth);

static int read_file_into(struct interp *in, const char *path,
			  struct dxt_buf *out)
{
	const char *base = in->b->opts->base_dir;
	char full[4096];
	size_t start = out->len;
	FILE *fp;
	int rc = DXT_OK;

	if (path[0] != '/' && base != NULL && base[0] != '\0')
		snprintf(full, sizeof(full), "%s/%s", base, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	fp = fopen(full, "rb");
	if (fp == NULL) {
		b_diag(in->b, in->b->path, in->line, in->column,
		       "check the path; a relative path is taken from the "
		       "document's folder",
		       "cannot read ${file:%s} (%s): %s", path, full,
		       strerror(errno));
		in->errors++;
		return DXT_OK;
	}
	for (;;) {
		size_t got;

		if (dxt_buf_reserve(out, 4096) != DXT_OK) {
			rc = DXT_ENOMEM;
			break;
		}
		got = fread(out->data + out->len, 1, 4096, fp);
		out->len += got;
		if (out->len - start > DOC_MAX_FILE) {
			b_diag(in->b, in->b->path, in->line, in->column, NULL,
			       "${file:%s} (%s) is larger than %u bytes",
			       path, full, DOC_MAX_FILE);
			in->errors++;
			break;
		}
		if (got < 4096) {
			if (ferror(fp)) {
				b_diag(in->b, in->b->path, in->line,
				       in->column, NULL,
				       "cannot read ${file:%s} (%s): %s", path,
				       full, strerror(errno));
				in->errors++;
			}
			break;
		}
	}
	fclose(fp);
	/* One trailing newline is dropped: files written by editors and
	 * `echo` end with one, and a password does not. */
	if (out->len > start && out->data[out->len - 1] == '\n') {
		out->len--;
		if (out->len > start && out->data[out->len - 1] == '\r')
			out->len--;
	}
	return rc;
}

/* Handles the body of one ${...}. */
static int interp_one(struct interp *in, const char *body, size_t n,
		      struct dxt_buf *out, int depth)
{
	char name[256];
	const char *val;
	size_t k = 0;

	if (n >= 5 && memcmp(body, "file:", 5) == 0) {
		struct dxt_buf p = {0};
		int before = in->errors;
		int rc;

		rc = interp_run(in, body + 5, n - 5, &p, depth + 1);
		if (rc == DXT_OK)
			rc = dxt_buf_putc(&p, '\0');
		if (rc == DXT_OK && in->errors == before) {
			if (p.len <= 1) {
				b_diag(in->b, in->b->path, in->line,
				       in->column, "write ${file:PATH}",
				       "${file:} names no file");
				in->errors++;
			} else {
				rc = read_file_into(in, (const char *)p.data,
						    out);
			}
		}
		dxt_buf_free(&p);
		return rc;
	}
	while (k < n && (k == 0 ? name_start(body[k]) : name_char(body[k])))
		k++;
	if (k == 0 || k >= sizeof(name) ||
	    (k < n && (n - k < 2 || body[k] != ':' || body[k + 1] != '-'))) {
		b_diag(in->b, in->b->path, in->line, in->column,
		       "write ${NAME}, ${NAME:-default} or ${file:PATH}, and "
		       "$$ for a literal dollar sign",
		       "invalid placeholder \"${%.*s}\"", (int)(n > 200 ? 200 : n),
		       body);
		in->errors++;
		return DXT_OK;
	}
	memcpy(name, body, k);
	name[k] = '\0';
	val = lookup_var(in->b->opts, name);
	if (val != NULL && (val[0] != '\0' || k == n))
		return dxt_buf_puts(out, val);
	if (k < n)
		return interp_run(in, body + k + 2, n - k - 2, out, depth + 1);
	{
		char hint[600];

		snprintf(hint, sizeof(hint),
			 "set %s in the environment of dxtd, or give a "
			 "default: ${%s:-value}", name, name);
		b_diag(in->b, in->b->path, in->line, in->column, hint,
		       "variable %s is not set", name);
	}
	in->errors++;
	return DXT_OK;
}

static int interp_run(struct interp *in, const char *s, size_t n,
		      struct dxt_buf *out, int depth)
{
	size_t i = 0;
	int rc = DXT_OK;

	if (depth > DOC_MAX_INTERP_DEPTH) {
		b_diag(in->b, in->b->path, in->line, in->column, NULL,
		       "placeholders nested more than %d deep",
		       DOC_MAX_INTERP_DEPTH);
		in->errors++;
		return DXT_OK;
	}
	while (i < n && rc == DXT_OK) {
		size_t j, level;

		if (s[i] != '$' || i + 1 >= n ||
		    (s[i + 1] != '$' && s[i + 1] != '{')) {
			rc = dxt_buf_putc(out, s[i++]);
			continue;
		}
		if (s[i + 1] == '$') {
			rc = dxt_buf_putc(out, '$');
			i += 2;
			continue;
		}
		/* Find the brace that closes this ${, minding nested ones. */
		level = 1;
		for (j = i + 2; j < n; j++) {
			if (s[j] == '$' && j + 1 < n &&
			    (s[j + 1] == '$' || s[j + 1] == '{')) {
				if (s[j + 1] == '{')
					level++;
				j++;
			} else if (s[j] == '}' && --level == 0) {
				break;
			}
		}
		if (j >= n) {
			b_diag(in->b, in->b->path, in->line, in->column,
			       "close it with }, or write $$ for a literal "
			       "dollar sign",
			       "unterminated placeholder \"%.*s\"",
			       (int)(n - i > 200 ? 200 : n - i), s + i);
			in->errors++;
			return DXT_OK;
		}
		rc = interp_one(in, s + i + 2, j - i - 2, out, depth);
		i = j + 1;
	}
	return rc;
}

static bool all_digits(const char *s, int base)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		char c = *s;
		bool ok = base == 8    ? (c >= '0' && c <= '7')
			  : base == 10 ? (c >= '0' && c <= '9')
				       : ((c >= '0' && c <= '9') ||
					  (c >= 'a' && c <= 'f') ||
					  (c >= 'A' && c <= 'F'));
		if (!ok)
			return false;
	}
	return true;
}

static bool is_float_form(const char *s)
{
	const char *p = s;
	bool digits = false;

	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static bool is_special_float(const char *s)
{
	const char *p = s;

	if (strcmp(p, ".nan") == 0 || strcmp(p, ".NaN") == 0 ||
	    strcmp(p, ".NAN") == 0)
		return true;
	if (*p == '+' || *p == '-')
		p++;
	return strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 ||
	       strcmp(p, ".INF") == 0;
}

enum core_kind { CORE_STR, CORE_NULL, CORE_BOOL, CORE_INT, CORE_FLOAT };

/* Which core-schema type a plain scalar spells. */
static enum core_kind core_kind(const char *s)
{
	const char *d = s;

	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return CORE_NULL;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return CORE_BOOL;
	if (*d == '+' || *d == '-')
		d++;
	if (all_digits(d, 10))
		return CORE_INT;
	if ((strncmp(s, "0o", 2) == 0 && all_digits(s + 2, 8)) ||
	    (strncmp(s, "0x", 2) == 0 && all_digits(s + 2, 16)))
		return CORE_INT;
	if (is_float_form(s) || is_special_float(s))
		return CORE_FLOAT;
	return CORE_STR;
}

/*
 * Converts text of a known kind to a node. Returns NULL with *why set when
 * the value cannot be represented (it is reported by the caller).
 */
static json_t *core_value(const char *s, enum core_kind k, const char **why)
{
	*why = NULL;
	switch (k) {
	case CORE_NULL:
		return json_null();
	case CORE_BOOL:
		return json_boolean(s[0] == 't' || s[0] == 'T');
	case CORE_INT: {
		unsigned long long u;
		long long v;
		char *end;

		errno = 0;
		if (strncmp(s, "0o", 2) == 0 || strncmp(s, "0x", 2) == 0) {
			u = strtoull(s + 2, &end, s[1] == 'o' ? 8 : 16);
			if (errno == ERANGE || u > (unsigned long long)LLONG_MAX) {
				*why = "is out of the range of a 64-bit integer";
				return NULL;
			}
			return json_integer((json_int_t)u);
		}
		v = strtoll(s, &end, 10);
		if (errno == ERANGE) {
			*why = "is out of the range of a 64-bit integer";
			return NULL;
		}
		return json_integer((json_int_t)v);
	}
	case CORE_FLOAT: {
		double v;

		if (is_special_float(s)) {
			*why = "is not a finite number (infinity and NaN "
			       "cannot be represented)";
			return NULL;
		}
		errno = 0;
		v = strtod(s, NULL);
		if (errno == ERANGE && (v > 1.0 || v < -1.0)) {
			*why = "is out of the range of a double";
			return NULL;
		}
		return json_real(v);
	}
	case CORE_STR:
		break;
	}
	{
		json_t *v = json_string(s);

		if (v == NULL)
			*why = "is not valid UTF-8 text";
		return v;
	}
}

enum style { STYLE_PLAIN, STYLE_QUOTED };

/*
 * Turns a scalar as written into a node: interpolates, then types it by
 * its tag or (plain scalars) by the core schema. Problems are reported at
 * the scalar; the node is then the text as written and the mark says
 * `unresolved`. Returns NULL only when out of memory.
 */
static json_t *scalar_node(struct builder *b, const char *text, size_t len,
			   enum style style, const char *tag,
			   struct dxt_doc_mark *mark)
{
	struct dxt_buf buf = {0};
	const char *s = text;
	const char *why = NULL;
	size_t n = len;
	json_t *v = NULL;

	mark->placeholder = has_placeholder(text, len);
	if (b->opts->interpolate && memchr(text, '$', len) != NULL) {
		struct interp in = {b, mark->line, mark->column, 0};

		if (interp_run(&in, text, len, &buf, 0) != DXT_OK ||
		    dxt_buf_putc(&buf, '\0') != DXT_OK) {
			dxt_buf_free(&buf);
			return NULL;
		}
		if (in.errors > 0) {
			dxt_buf_free(&buf);
			mark->unresolved = true;
			b->value_errors++;
			return json_stringn(text, len);
		}
		s = (const char *)buf.data;
		n = buf.len - 1;
	}
	if (tag != NULL && strcmp(tag, "!") != 0 &&
	    strcmp(tag, TAG_PREFIX "str") != 0) {
		/* tag_ok() let only the core scalar tags through. */
		const char *t = tag + strlen(TAG_PREFIX);
		enum core_kind kind = core_kind(s);

		if (strcmp(t, "int") == 0 && kind != CORE_INT)
			why = "is not an integer (tagged !!int)";
		else if (strcmp(t, "float") == 0 && kind != CORE_INT &&
			 kind != CORE_FLOAT)
			why = "is not a number (tagged !!float)";
		else if (strcmp(t, "bool") == 0 && kind != CORE_BOOL)
			why = "is not true or false (tagged !!bool)";
		else if (strcmp(t, "null") == 0 && kind != CORE_NULL)
			why = "is not null (tagged !!null)";
		if (strcmp(t, "float") == 0 && kind == CORE_INT)
			kind = CORE_FLOAT;
		if (why == NULL)
			v = core_value(s, kind, &why);
	} else if (style == STYLE_PLAIN && tag == NULL) {
		v = core_value(s, core_kind(s), &why);
	} else {
		v = json_stringn(s, n);
		if (v == NULL)
			why = "is not valid UTF-8 text";
	}
	if (why != NULL) {
		b_diag(b, b->path, mark->line, mark->column, NULL,
		       "\"%.*s\" %s", (int)(n > 200 ? 200 : n), s, why);
		mark->unresolved = true;
		b->value_errors++;
		v = json_stringn(text, len);
		if (v == NULL)
			v = json_string("");
	}
	dxt_buf_free(&buf);
	return v;
}

/* --- builder events ------------------------------------------------------- */

static bool tag_ok(struct builder *b, const char *tag, const char *want,
		   int line, int column)
{
	if (tag == NULL || strcmp(tag, "!") == 0)
		return true;
	if (want != NULL && strcmp(tag, want) == 0)
		return true;
	if (want == NULL && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
		const char *t = tag + strlen(TAG_PREFIX);

		if (strcmp(t, "str") == 0 || strcmp(t, "int") == 0 ||
		    strcmp(t, "float") == 0 || strcmp(t, "bool") == 0 ||
		    strcmp(t, "null") == 0)
			return true;
	}
	child_path(b);
	b_diag(b, b->path, line, column,
	       "use no tag, or one of !!str, !!int, !!float, !!bool, !!null "
	       "(scalars), !!map, !!seq",
	       "unsupported tag \"%s\"", tag);
	b->syntax_errors++;
	return false;
}

static void ev_scalar(struct builder *b, const char *text, size_t len,
		      enum style style, const char *tag, const char *anchor,
		      int line, int column)
{
	struct frame *f = top(b);
	struct dxt_doc_mark mark = {0};
	json_t *v;

	if (f != NULL && f->is_map && f->key == NULL) {
		take_key(b, f, text, len, line, column);
		return;
	}
	if (!count_nodes(b, 1, line, column))
		return;
	mark.line = line;
	mark.column = column;
	child_path(b);
	if (!tag_ok(b, tag, NULL, line, column))
		tag = NULL;
	v = scalar_node(b, text, len, style, tag, &mark);
	if (v == NULL) {
		b_oom(b);
		return;
	}
	if (!is_singleton(v) && entry_find(b->doc, v) < 0 &&
	    entry_add(b->doc, v, &mark) < 0) {
		json_decref(v);
		b_oom(b);
		return;
	}
	if (anchor != NULL)
		anchor_add(b, anchor, v, &mark, 1);
	attach(b, v, &mark);
}

static void ev_start(struct builder *b, bool is_map, const char *tag,
		     const char *anchor, int line, int column)
{
	struct frame *f = top(b), *n;
	struct dxt_doc_mark mark = {0};
	json_t *v;
	long e;

	if (f != NULL && f->is_map && f->key == NULL) {
		b->path[f->path_len] = '\0';
		b_diag(b, b->path, line, column,
		       "write keys as plain or quoted scalars",
		       "a mapping key must be a scalar, not a %s",
		       is_map ? "mapping" : "sequence");
		b->syntax_errors++;
		b->fatal = true;
		return;
	}
	if (b->depth >= DOC_MAX_DEPTH) {
		child_path(b);
		b_diag(b, b->path, line, column, NULL,
		       "the document is nested more than %d levels deep",
		       DOC_MAX_DEPTH);
		b->syntax_errors++;
		b->fatal = true;
		return;
	}
	if (!count_nodes(b, 1, line, column))
		return;
	tag_ok(b, tag, is_map ? TAG_PREFIX "map" : TAG_PREFIX "seq", line,
	       column);
	mark.line = line;
	mark.column = column;
	if (f != NULL && f->is_map) {
		mark.key_line = f->key_line;
		mark.key_column = f->key_column;
	}
	v = is_map ? json_object() : json_array();
	if (v == NULL) {
		b_oom(b);
		return;
	}
	e = entry_add(b->doc, v, &mark);
	if (e < 0) {
		json_decref(v);
		b_oom(b);
		return;
	}
	child_path(b);
	n = &b->stack[b->depth];
	memset(n, 0, sizeof(*n));
	n->value = v;
	n->entry = e;
	n->is_map = is_map;
	n->path_len = strlen(b->path);
	n->mark = mark;
	if (anchor != NULL) {
		n->anchor = strdup(anchor);
		if (n->anchor == NULL) {
			json_decref(v);
			b_oom(b);
			return;
		}
	}
	/* The container goes into its parent now so that the parent's
	 * members keep document order; the reference stays valid because
	 * the parent holds it. */
	json_incref(v);
	attach(b, v, &mark);
	b->depth++;
}

static void ev_end(struct builder *b)
{
	struct frame *f = top(b);
	size_t weight;

	if (f == NULL)
		return;
	weight = b->doc->entries[f->entry].weight;
	for (size_t i = 0; i < b->doc->entries[f->entry].nslots; i++) {
		long e = entry_find(b->doc,
				    b->doc->entries[f->entry].slots[i].value);

		weight += e >= 0 ? b->doc->entries[e].weight : 1;
	}
	b->doc->entries[f->entry].weight = weight;
	if (f->anchor != NULL)
		anchor_add(b, f->anchor, f->value, &f->mark, weight);
	free(f->anchor);
	free(f->key);
	json_decref(f->value);
	b->depth--;
}

static void ev_alias(struct builder *b, const char *name, int line,
		     int column)
{
	struct frame *f = top(b);
	struct dxt_doc_mark mark;
	json_t *ix = json_object_get(b->anchor_names, name);
	struct anchor *a;

	child_path(b);
	if (f != NULL && f->is_map && f->key == NULL) {
		b_diag(b, b->path, line, column,
		       "write the key itself instead of an alias",
		       "an alias (*%s) cannot be a mapping key", name);
		b->syntax_errors++;
		b->fatal = true;
		return;
	}
	if (ix == NULL) {
		b_diag(b, b->path, line, column,
		       "define the anchor (&name) on a node before its aliases, "
		       "outside the node itself",
		       "alias *%s refers to no anchor defined before it", name);
		b->syntax_errors++;
		b->fatal = true;
		return;
	}
	a = &b->anchors[json_integer_value(ix)];
	if (!count_nodes(b, a->weight, line, column))
		return;
	mark = a->mark;
	mark.line = line;
	mark.column = column;
	mark.key_line = 0;
	mark.key_column = 0;
	attach(b, json_incref(a->node), &mark);
}

/* --- YAML ----------------------------------------------------------------- */

/* Line and column (1-based, in characters) of a byte offset. */
static void offset_pos(const char *text, size_t len, size_t off, int *line,
		       int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n') {
			(*line)++;
			*column = 1;
		} else if ((c & 0xC0) != 0x80) {
			(*column)++;
		}
	}
}

/* Whether lines first..last (0-based) of text hold "${". */
static bool line_has_placeholder(const char *text, size_t len, size_t first,
				 size_t last)
{
	size_t line = 0;

	for (size_t i = 0; i + 1 < len && line <= last; i++) {
		if (text[i] == '\n')
			line++;
		else if (line >= first && text[i] == '$' && text[i + 1] == '{')
			return true;
	}
	return false;
}

static void yaml_error(struct builder *b, yaml_parser_t *p, const char *text,
		       size_t len)
{
	const char *hint = "fix the YAML syntax at this position "
			   "(indentation, a missing ':' or an unclosed quote "
			   "are the usual causes)";
	const char *name = b->opts->name;
	char ctx[256] = "";
	int line, column;

	if (p->error == YAML_MEMORY_ERROR) {
		b_oom(b);
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		offset_pos(text, len, p->problem_offset, &line, &column);
	} else {
		line = (int)p->problem_mark.line + 1;
		column = (int)p->problem_mark.column + 1;
	}
	if (p->context != NULL)
		snprintf(ctx, sizeof(ctx), " (%s at line %d, column %d)",
			 p->context, (int)p->context_mark.line + 1,
			 (int)p->context_mark.column + 1);
	/* Inside {...} or [...] the braces of an unquoted ${VAR} end the
	 * collection: the most common way to trip over flow syntax here. */
	if (p->context != NULL && strstr(p->context, "flow") != NULL &&
	    line_has_placeholder(text, len, p->context_mark.line,
				 p->problem_mark.line))
		hint = "quote placeholders inside {...} and [...]: "
		       "key: \"${VAR}\"";
	b_diag(b, "", line, column, hint,
	       "%s%sYAML syntax error: %s%s", name != NULL ? name : "",
	       name != NULL ? ": " : "",
	       p->problem != NULL ? p->problem : "malformed YAML", ctx);
	b->syntax_errors++;
	b->fatal = true;
}

static void parse_yaml(struct builder *b, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int docs = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p)) {
		b_oom(b);
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && !b->fatal) {
		int line, column;
		const char *anchor, *tag;

		if (!yaml_parser_parse(&p, &ev)) {
			yaml_error(b, &p, text, len);
			break;
		}
		line = (int)ev.start_mark.line + 1;
		column = (int)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0) {
				b_diag(b, "", line, column,
				       "keep one document per file (remove "
				       "the second '---' and what follows)",
				       "a second YAML document starts here; "
				       "only one is read");
				b->syntax_errors++;
				b->fatal = true;
			}
			break;
		case YAML_SCALAR_EVENT:
			anchor = (const char *)ev.data.scalar.anchor;
			tag = (const char *)ev.data.scalar.tag;
			ev_scalar(b, (const char *)ev.data.scalar.value,
				  ev.data.scalar.length,
				  ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE
					  ? STYLE_PLAIN
					  : STYLE_QUOTED,
				  tag, anchor, line, column);
			break;
		case YAML_SEQUENCE_START_EVENT:
			ev_start(b, false,
				 (const char *)ev.data.sequence_start.tag,
				 (const char *)ev.data.sequence_start.anchor,
				 line, column);
			break;
		case YAML_MAPPING_START_EVENT:
			ev_start(b, true,
				 (const char *)ev.data.mapping_start.tag,
				 (const char *)ev.data.mapping_start.anchor,
				 line, column);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			ev_end(b);
			break;
		case YAML_ALIAS_EVENT:
			ev_alias(b, (const char *)ev.data.alias.anchor, line,
				 column);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

/* --- JSON ----------------------------------------------------------------- */

struct jscan {
	struct builder *b;
	const char *s;
	size_t n, i;
	int line, column;
	struct dxt_buf str;
};

static void js_adv(struct jscan *j)
{
	unsigned char c = (unsigned char)j->s[j->i++];

	if (c == '\n') {
		j->line++;
		j->column = 1;
	} else if ((c & 0xC0) != 0x80) {
		j->column++;
	}
}

static void js_ws(struct jscan *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
			       j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		js_adv(j);
}

static unsigned js_hex4(const char *p)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
	}
	return v;
}

static int js_utf8(struct dxt_buf *o, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return dxt_buf_append(o, u, n);
}

/*
 * Decodes the string at j->i (its opening quote) into j->str, NUL
 * terminated. jansson has accepted the text already, so every escape is
 * well formed; the bounds are still checked.
 */
static int js_string(struct jscan *j)
{
	int rc = DXT_OK;

	j->str.len = 0;
	js_adv(j);
	while (j->i < j->n && j->s[j->i] != '"' && rc == DXT_OK) {
		char c = j->s[j->i];
		unsigned cp;

		if (c != '\\') {
			rc = dxt_buf_putc(&j->str, c);
			js_adv(j);
			continue;
		}
		if (j->i + 1 >= j->n)
			break;
		c = j->s[j->i + 1];
		js_adv(j);
		js_adv(j);
		switch (c) {
		case 'b': rc = dxt_buf_putc(&j->str, '\b'); break;
		case 'f': rc = dxt_buf_putc(&j->str, '\f'); break;
		case 'n': rc = dxt_buf_putc(&j->str, '\n'); break;
		case 'r': rc = dxt_buf_putc(&j->str, '\r'); break;
		case 't': rc = dxt_buf_putc(&j->str, '\t'); break;
		case 'u':
			if (j->i + 4 > j->n)
				return DXT_EPARSE;
			cp = js_hex4(j->s + j->i);
			for (int k = 0; k < 4; k++)
				js_adv(j);
			if (cp >= 0xD800 && cp < 0xDC00 && j->i + 6 <= j->n &&
			    j->s[j->i] == '\\' && j->s[j->i + 1] == 'u') {
				unsigned lo = js_hex4(j->s + j->i + 2);

				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) +
					     (lo - 0xDC00);
					for (int k = 0; k < 6; k++)
						js_adv(j);
				}
			}
			rc = js_utf8(&j->str, cp);
			break;
		default: rc = dxt_buf_putc(&j->str, c); break;
		}
	}
	if (j->i < j->n)
		js_adv(j);
	if (rc == DXT_OK)
		rc = dxt_buf_putc(&j->str, '\0');
	return rc;
}

static void js_value(struct jscan *j);

static void js_container(struct jscan *j, bool is_map)
{
	char close = is_map ? '}' : ']';

	ev_start(j->b, is_map, NULL, NULL, j->line, j->column);
	js_adv(j);
	js_ws(j);
	while (!j->b->fatal && j->i < j->n && j->s[j->i] != close) {
		if (is_map) {
			int line = j->line, column = j->column;

			if (js_string(j) != DXT_OK) {
				b_oom(j->b);
				return;
			}
			ev_scalar(j->b, (const char *)j->str.data,
				  j->str.len - 1, STYLE_QUOTED, NULL, NULL,
				  line, column);
			js_ws(j);
			if (j->i < j->n && j->s[j->i] == ':')
				js_adv(j);
			js_ws(j);
		}
		js_value(j);
		js_ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			js_adv(j);
			js_ws(j);
		}
	}
	if (j->i < j->n)
		js_adv(j);
	if (!j->b->fatal)
		ev_end(j->b);
}

static void js_value(struct jscan *j)
{
	int line = j->line, column = j->column;
	size_t start;
	char c;

	if (j->i >= j->n)
		return;
	c = j->s[j->i];
	if (c == '{' || c == '[') {
		js_container(j, c == '{');
		return;
	}
	if (c == '"') {
		if (js_string(j) != DXT_OK) {
			b_oom(j->b);
			return;
		}
		ev_scalar(j->b, (const char *)j->str.data, j->str.len - 1,
			  STYLE_QUOTED, NULL, NULL, line, column);
		return;
	}
	/* true, false, null or a number: plain scalars of the core schema
	 * spell them the same way. */
	start = j->i;
	while (j->i < j->n && j->s[j->i] != ',' && j->s[j->i] != '}' &&
	       j->s[j->i] != ']' && j->s[j->i] != ' ' && j->s[j->i] != '\t' &&
	       j->s[j->i] != '\n' && j->s[j->i] != '\r')
		js_adv(j);
	j->str.len = 0;
	if (dxt_buf_append(&j->str, j->s + start, j->i - start) != DXT_OK ||
	    dxt_buf_putc(&j->str, '\0') != DXT_OK) {
		b_oom(j->b);
		return;
	}
	ev_scalar(j->b, (const char *)j->str.data, j->str.len - 1, STYLE_PLAIN,
		  NULL, NULL, line, column);
}

static void parse_json(struct builder *b, const char *text, size_t len)
{
	struct jscan j = {b, text, len, 0, 1, 1, {0}};
	json_error_t jerr;
	json_t *check;

	/* jansson refuses a UTF-8 byte order mark, which editors on some
	 * systems write; it carries no meaning, so it is skipped. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
		j.s = text;
		j.n = len;
	}
	check = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			   &jerr);
	if (check == NULL) {
		const char *name = b->opts->name;

		b_diag(b, "", jerr.line > 0 ? jerr.line : 0,
		       jerr.column > 0 ? jerr.column : 0,
		       "fix the JSON syntax at this position",
		       "%s%sJSON syntax error: %s", name != NULL ? name : "",
		       name != NULL ? ": " : "", jerr.text);
		b->syntax_errors++;
		b->fatal = true;
		return;
	}
	json_decref(check);
	js_ws(&j);
	js_value(&j);
	dxt_buf_free(&j.str);
}

/* --- entry points --------------------------------------------------------- */

static enum dxt_doc_format detect(const char *text, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (text[i] == ' ' || text[i] == '\t' ||
			   text[i] == '\n' || text[i] == '\r'))
		i++;
	return i < len && text[i] == '{' ? DXT_DOC_JSON : DXT_DOC_YAML;
}

int dxt_doc_parse(const char *text, size_t len,
		  const struct dxt_doc_opts *opts, struct dxt_doc **out,
		  struct dxt_diags *diags)
{
	static const struct dxt_doc_opts no_opts;
	struct builder *b;
	struct dxt_doc *d;
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &no_opts;
	b = calloc(1, sizeof(*b));
	d = calloc(1, sizeof(*d));
	if (b == NULL || d == NULL)
		goto nomem;
	b->doc = d;
	b->opts = opts;
	b->diags = diags;
	b->anchor_names = json_object();
	d->graveyard = json_array();
	if (b->anchor_names == NULL || d->graveyard == NULL)
		goto nomem;
	d->format = opts->format != DXT_DOC_AUTO ? opts->format
						 : detect(text, len);
	if (d->format == DXT_DOC_JSON)
		parse_json(b, text, len);
	else
		parse_yaml(b, text, len);
	while (b->depth > 0) {
		struct frame *f = top(b);

		free(f->anchor);
		free(f->key);
		json_decref(f->value);
		b->depth--;
	}
	if (b->nomem) {
		rc = DXT_ENOMEM;
		dxt_doc_destroy(d);
	} else if (b->syntax_errors > 0 || b->fatal) {
		rc = DXT_EPARSE;
		dxt_doc_destroy(d);
	} else {
		if (!b->root_set) {
			/* An empty stream is an empty document: null. */
			d->root = json_null();
			d->root_mark.line = 1;
			d->root_mark.column = 1;
		}
		rc = b->value_errors > 0 ? DXT_ECONFIG : DXT_OK;
		*out = d;
	}
	json_decref(b->anchor_names);
	free(b->anchors);
	free(b);
	return rc;

nomem:
	if (b != NULL)
		json_decref(b->anchor_names);
	free(b);
	dxt_doc_destroy(d);
	return DXT_ENOMEM;
}

/* --- queries -------------------------------------------------------------- */

json_t *dxt_doc_root(const struct dxt_doc *d)
{
	return d->root;
}

enum dxt_doc_format dxt_doc_format_of(const struct dxt_doc *d)
{
	return d->format;
}

const struct dxt_doc_mark *dxt_doc_member(const struct dxt_doc *d,
					  const json_t *object,
					  const char *key)
{
	long e;

	if (!json_is_object(object) || key == NULL)
		return NULL;
	e = entry_find(d, object);
	if (e < 0)
		return NULL;
	for (size_t i = 0; i < d->entries[e].nslots; i++)
		if (strcmp(d->entries[e].slots[i].key, key) == 0)
			return &d->entries[e].slots[i].mark;
	return NULL;
}

const struct dxt_doc_mark *dxt_doc_item(const struct dxt_doc *d,
					const json_t *array, size_t index)
{
	long e;

	if (!json_is_array(array))
		return NULL;
	e = entry_find(d, array);
	if (e < 0 || index >= d->entries[e].nslots)
		return NULL;
	return &d->entries[e].slots[index].mark;
}

const struct dxt_doc_mark *dxt_doc_node(const struct dxt_doc *d,
					const json_t *node)
{
	long e;

	if (node == d->root)
		return &d->root_mark;
	e = entry_find(d, node);
	return e >= 0 ? &d->entries[e].mark : NULL;
}

const struct dxt_doc_mark *dxt_doc_find(const struct dxt_doc *d,
					const char *path)
{
	const struct dxt_doc_mark *m = &d->root_mark;
	const json_t *cur = d->root;
	const char *p = path;
	char key[256];

	while (*p != '\0') {
		size_t k = 0;

		if (*p == '[' && p[1] == '"') {
			p += 2;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (k + 1 < sizeof(key))
					key[k++] = *p;
				p++;
			}
			if (p[0] != '"' || p[1] != ']')
				return NULL;
			p += 2;
		} else if (*p == '[') {
			char *end;
			unsigned long long ix = strtoull(p + 1, &end, 10);

			if (end == p + 1 || *end != ']')
				return NULL;
			m = dxt_doc_item(d, cur, (size_t)ix);
			if (m == NULL)
				return NULL;
			cur = json_array_get(cur, (size_t)ix);
			p = end + 1;
			continue;
		} else {
			if (*p == '.')
				p++;
			while (*p != '\0' && *p != '.' && *p != '[') {
				if (k + 1 < sizeof(key))
					key[k++] = *p;
				p++;
			}
		}
		key[k] = '\0';
		m = dxt_doc_member(d, cur, key);
		if (m == NULL)
			return NULL;
		cur = json_object_get(cur, key);
	}
	return m;
}

bool dxt_doc_has_placeholder(const struct dxt_doc *d, const json_t *parent,
			     const char *key, size_t index)
{
	const struct dxt_doc_mark *m = json_is_object(parent)
					       ? dxt_doc_member(d, parent, key)
					       : dxt_doc_item(d, parent, index);

	return m != NULL && m->placeholder;
}

static json_t *redact(const struct dxt_doc *d, const json_t *node,
		      const char *mask, int depth)
{
	json_t *out, *c;
	const char *key;
	json_t *v;
	size_t i;

	if (depth > DOC_MAX_DEPTH)
		return NULL;
	if (json_is_object(node)) {
		out = json_object();
		if (out == NULL)
			return NULL;
		json_object_foreach((json_t *)node, key, v) {
			const struct dxt_doc_mark *m =
				dxt_doc_member(d, node, key);

			c = m != NULL && m->placeholder
				    ? json_string(mask)
				    : redact(d, v, mask, depth + 1);
			if (c == NULL || json_object_set_new(out, key, c) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (json_is_array(node)) {
		out = json_array();
		if (out == NULL)
			return NULL;
		json_array_foreach((json_t *)node, i, v) {
			const struct dxt_doc_mark *m = dxt_doc_item(d, node, i);

			c = m != NULL && m->placeholder
				    ? json_string(mask)
				    : redact(d, v, mask, depth + 1);
			if (c == NULL || json_array_append_new(out, c) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (node == d->root && d->root_mark.placeholder)
		return json_string(mask);
	return json_deep_copy(node);
}

json_t *dxt_doc_redacted(const struct dxt_doc *d, const json_t *node,
			 const char *mask)
{
	return redact(d, node, mask, 0);
}
