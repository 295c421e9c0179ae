/*
 * resolve.h - class-path resolution: dotted names to exported descriptors.
 *
 * The provider path is a list of folders, searched in order. A class path
 * `a.b.c.Name` names the symbol `Name` in the shared object `a/b/c.so`;
 * built-in providers drop their `dxt.providers.` prefix, so
 * `dxt.providers.sqlite.SQLiteLoader` is `SQLiteLoader` in `sqlite.so`
 * (`dxt/providers/sqlite.so` is tried as well). A bare provider name
 * (`sqlite`) is `sqlite.so`, whose `dxt_provider` descriptor names its
 * default extractor and loader.
 *
 * A resolved operator is checked for ABI version and kind. Errors name every
 * file searched and the symbol that was missing.
 *
 * Shared objects stay loaded until the resolver is destroyed; descriptors
 * returned remain valid until then. A resolver is safe to use from several
 * threads (one internal mutex).
 */
#ifndef DXT_RESOLVE_H
#define DXT_RESOLVE_H

#include <stddef.h>

#include "error.h"
#include "operator.h"
#include "pipeline.h"

struct dxt_resolver;

/*
 * Creates a resolver over `paths` (copied; npaths MAY be 0). Use
 * dxt_resolver_add_path() for more.
 */
int dxt_resolver_create(const char *const *paths, size_t npaths,
			struct dxt_resolver **out);
/* Appends a folder to the search path. */
int dxt_resolver_add_path(struct dxt_resolver *r, const char *path);
/* Appends each folder of a colon-separated list (DXT_PROVIDER_PATH). */
int dxt_resolver_add_path_list(struct dxt_resolver *r, const char *list);
/* Number of folders and the i-th one. */
size_t dxt_resolver_npaths(const struct dxt_resolver *r);
const char *dxt_resolver_path(const struct dxt_resolver *r, size_t i);
/* Unloads everything. NULL is a no-op. */
void dxt_resolver_destroy(struct dxt_resolver *r);

/*
 * Resolves a class path to an operator of `kind`. Errors: DXT_ENOTFOUND
 * (no file, or no symbol; the message lists the files searched), DXT_EABI
 * (ABI version or kind mismatch, or not a descriptor).
 */
int dxt_resolver_operator(struct dxt_resolver *r, const char *class_path,
			  enum dxt_op_kind kind, const struct dxt_operator **op,
			  struct dxt_error *err);
/* Loads a provider's `dxt_provider` descriptor by provider name. */
int dxt_resolver_provider(struct dxt_resolver *r, const char *name,
			  const struct dxt_provider **prov,
			  struct dxt_error *err);
/*
 * Resolves a stream endpoint: its class when given, else the named
 * provider's default extractor or loader (by `kind`).
 */
int dxt_resolver_endpoint(struct dxt_resolver *r,
			  const struct dxt_endpoint *ep, enum dxt_op_kind kind,
			  const struct dxt_operator **op,
			  struct dxt_error *err);

/* One operator found by dxt_resolver_scan(). */
struct dxt_operator_info {
	char class_path[256];  /* "dxt.providers.sqlite.SQLiteLoader" */
	const char *provider;  /* provider name (descriptor's) */
	const struct dxt_operator *op;
	const char *file;      /* the shared object's full path */
};

/*
 * Scans every folder of the path (recursively, for user providers in
 * sub-folders) for shared objects with a valid `dxt_provider` descriptor
 * and calls `fn` once per operator, in path order then name order. Files
 * that are not providers are skipped; a provider with a wrong ABI version
 * is reported through `bad` (MAY be NULL) with a message.
 */
int dxt_resolver_scan(struct dxt_resolver *r,
		      void (*fn)(const struct dxt_operator_info *info,
				 void *ctx),
		      void (*bad)(const char *file, const char *message,
				  void *ctx),
		      void *ctx, struct dxt_error *err);

#endif /* DXT_RESOLVE_H */
