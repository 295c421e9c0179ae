/*
 * doc.h - YAML and JSON documents as jansson trees with source positions.
 *
 * A document is parsed into one representation whatever its syntax: a
 * jansson json_t tree, plus a side table that remembers where every node was
 * written (line and column, 1-based, counted in characters) and whether its
 * scalar held a `${...}` placeholder.
 *
 * YAML is read with libyaml's event API. Plain scalars resolve by the YAML
 * 1.2 core schema (null, ~, true, false, integers in decimal, 0o octal and
 * 0x hex, floats); quoted and block scalars stay strings; the core tags
 * !!str, !!int, !!float, !!bool and !!null force a type. Anchors and
 * aliases work (an alias shares the anchored node); duplicate keys, keys
 * that are not scalars, unknown tags and streams of several documents are
 * refused with the position of the offending node.
 *
 * JSON is checked by jansson (JSON_REJECT_DUPLICATES), whose line and column
 * a syntax error carries; the accepted text is then scanned once more for
 * positions. JSON strings are quoted scalars: they stay strings.
 *
 * Interpolation (when asked for) rewrites every scalar value before its type
 * is resolved:
 *
 *   ${VAR}            the variable's value; unset is a diagnostic
 *   ${VAR:-default}   the default when VAR is unset or empty (the default
 *                     may itself hold placeholders)
 *   ${file:PATH}      the file's contents less one trailing newline; a
 *                     relative PATH is taken from base_dir
 *   $$                one dollar sign
 *
 * A `$` followed by anything else is kept as it is. Mapping keys are never
 * interpolated: a key names a setting, and which settings exist must not
 * depend on the environment. An interpolated plain scalar is resolved again,
 * so `batch_size: ${N:-1000}` is the integer 1000.
 *
 * Paths name nodes in messages: `streams[1].load.mode`; a key that is not
 * a plain identifier is written `source["my key"]`.
 *
 * A document is immutable once parsed; the query functions MAY be called
 * from several threads at once.
 */
#ifndef DXT_DOC_H
#define DXT_DOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "pipeline.h"

struct dxt_doc;

/* Where one node was written, and what interpolation did to it. */
struct dxt_doc_mark {
	int line;        /* where the value starts; 1-based */
	int column;      /* 1-based, in characters */
	int key_line;    /* where its mapping key starts; 0 for sequence
			    items and the root */
	int key_column;
	bool placeholder; /* the scalar as written held ${...}: a value that
			     may be a secret, to redact when shown */
	bool unresolved;  /* interpolation or typing of this scalar failed: a
			     diagnostic was reported and the value is the
			     text as written; checks SHOULD skip it */
};

struct dxt_doc_opts {
	enum dxt_doc_format format; /* AUTO: JSON when the first byte that is
				       not white space (or a BOM) is '{' */
	bool interpolate;           /* else placeholders stay as written */
	/* Looks a variable up; NULL = getenv(). MUST be thread-safe. */
	const char *(*getenv)(const char *name, void *ctx);
	void *getenv_ctx;
	const char *base_dir;       /* for relative ${file:...}; NULL = cwd */
	const char *name;           /* document name for syntax errors
				       ("p.yaml"); MAY be NULL */
};

/*
 * Parses `len` bytes of `text` (need not be NUL-terminated). Appends every
 * problem found to `diags` (each with path, line and column). Returns:
 *
 *   DXT_OK        *out is the document; no diagnostic was added.
 *   DXT_EPARSE    malformed YAML or JSON, a duplicate key, a non-scalar
 *                 key, an unknown tag, several documents in one stream:
 *                 *out is NULL. A syntax error is one diagnostic at the
 *                 position where the parser stopped.
 *   DXT_ECONFIG   the syntax is fine but some scalars could not be
 *                 resolved (unset variable, unreadable ${file:...},
 *                 `!!int abc`, an integer out of range, .inf or .nan):
 *                 *out IS set so that the caller can go on checking the
 *                 rest; the failed scalars keep the text as written and
 *                 their marks say `unresolved`.
 *   DXT_ENOMEM    out of memory; *out is NULL.
 *
 * The caller destroys *out whenever it is set. Any thread; `opts` MAY be
 * NULL (YAML or JSON by the first byte, no interpolation).
 */
int dxt_doc_parse(const char *text, size_t len,
		  const struct dxt_doc_opts *opts, struct dxt_doc **out,
		  struct dxt_diags *diags);
/* Frees the document and its tree (nodes the caller took a reference to
 * stay valid). NULL is a no-op. */
void dxt_doc_destroy(struct dxt_doc *d);

/* The root node, borrowed from the document. Never NULL (an empty YAML
 * document is json null). */
json_t *dxt_doc_root(const struct dxt_doc *d);
/* The syntax the document was read as: DXT_DOC_YAML or DXT_DOC_JSON. */
enum dxt_doc_format dxt_doc_format_of(const struct dxt_doc *d);

/*
 * Marks. Each returns a pointer owned by the document, or NULL when the
 * node is not part of it.
 *
 * dxt_doc_member(): the member `key` of mapping `object` (its key and value
 * positions). dxt_doc_item(): item `index` of sequence `array`. These two
 * work for every node, including true, false and null, which jansson
 * shares between all documents. dxt_doc_node(): the root, or any mapping,
 * sequence, string or number of the tree (not true/false/null: look those
 * up through their parent). A node reached through an alias has the marks
 * of its anchor; the member or item holding the alias has the alias's.
 */
const struct dxt_doc_mark *dxt_doc_member(const struct dxt_doc *d,
					  const json_t *object,
					  const char *key);
const struct dxt_doc_mark *dxt_doc_item(const struct dxt_doc *d,
					const json_t *array, size_t index);
const struct dxt_doc_mark *dxt_doc_node(const struct dxt_doc *d,
					const json_t *node);
/* The mark of the node at `path` ("streams[1].load.mode", "" for the root),
 * or NULL when there is no such node. */
const struct dxt_doc_mark *dxt_doc_find(const struct dxt_doc *d,
					const char *path);

/* True when the member or item's scalar held a placeholder as written (see
 * struct dxt_doc_mark). `key` is used for mappings, `index` for
 * sequences. */
bool dxt_doc_has_placeholder(const struct dxt_doc *d, const json_t *parent,
			     const char *key, size_t index);
/*
 * A deep copy of `node` (a node of the document, e.g. its root) in which
 * every scalar that held a placeholder is replaced by the string `mask`
 * ("***"), for showing configuration without its secrets. New reference;
 * NULL when out of memory.
 */
json_t *dxt_doc_redacted(const struct dxt_doc *d, const json_t *node,
			 const char *mask);

/*
 * Path building for messages. Each writes `parent` followed by the key
 * (".key", or "key" when parent is empty; `["odd key"]` for keys that are
 * not [A-Za-z0-9_-]+) or the index ("[3]") into buf, truncating to size - 1
 * bytes, and returns buf. `parent` MAY alias buf.
 */
char *dxt_doc_path_key(char *buf, size_t size, const char *parent,
		       const char *key);
char *dxt_doc_path_index(char *buf, size_t size, const char *parent,
			 size_t index);

/*
 * Appends one diagnostic to `d` (path and hint copied; hint MAY be NULL).
 * Returns DXT_OK or DXT_ENOMEM (the diagnostic is then lost). Not
 * thread-safe for one `d`.
 */
int dxt_diags_add(struct dxt_diags *d, const char *path, int line,
		  int column, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int dxt_diags_vadd(struct dxt_diags *d, const char *path, int line,
		   int column, const char *hint, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

#endif /* DXT_DOC_H */
