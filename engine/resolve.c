/*
 * resolve.c - class paths to descriptors through dlopen/dlsym.
 */
#include "resolve.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BUILTIN_PREFIX "dxt.providers."

struct loaded {
	char *file;
	void *handle;
};

struct dxt_resolver {
	pthread_mutex_t lock;
	char **paths;
	size_t npaths;
	struct loaded *loaded;
	size_t nloaded;
};

int dxt_resolver_create(const char *const *paths, size_t npaths,
			struct dxt_resolver **out)
{
	struct dxt_resolver *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return DXT_ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	for (size_t i = 0; i < npaths; i++) {
		if (dxt_resolver_add_path(r, paths[i]) != DXT_OK) {
			dxt_resolver_destroy(r);
			return DXT_ENOMEM;
		}
	}
	*out = r;
	return DXT_OK;
}

int dxt_resolver_add_path(struct dxt_resolver *r, const char *path)
{
	char **p;
	char *copy;
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return DXT_OK;
	copy = strndup(path, n);
	if (copy == NULL)
		return DXT_ENOMEM;
	for (size_t i = 0; i < r->npaths; i++) {
		if (strcmp(r->paths[i], copy) == 0) {
			free(copy);
			return DXT_OK;
		}
	}
	p = realloc(r->paths, (r->npaths + 1) * sizeof(*p));
	if (p == NULL) {
		free(copy);
		return DXT_ENOMEM;
	}
	r->paths = p;
	r->paths[r->npaths++] = copy;
	return DXT_OK;
}

int dxt_resolver_add_path_list(struct dxt_resolver *r, const char *list)
{
	const char *s = list;

	while (s != NULL && *s != '\0') {
		const char *colon = strchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		char dir[4096];

		if (n > 0 && n < sizeof(dir)) {
			memcpy(dir, s, n);
			dir[n] = '\0';
			DXT_RETURN_NOT_OK(dxt_resolver_add_path(r, dir));
		}
		s = colon ? colon + 1 : NULL;
	}
	return DXT_OK;
}

size_t dxt_resolver_npaths(const struct dxt_resolver *r)
{
	return r->npaths;
}

const char *dxt_resolver_path(const struct dxt_resolver *r, size_t i)
{
	return i < r->npaths ? r->paths[i] : NULL;
}

void dxt_resolver_destroy(struct dxt_resolver *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nloaded; i++) {
		dlclose(r->loaded[i].handle);
		free(r->loaded[i].file);
	}
	free(r->loaded);
	for (size_t i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	free(r->paths);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* dlopen()s a file once; later calls return the same handle. Called with
 * the lock held. NULL with `why` filled when the file cannot be loaded. */
static void *load_file(struct dxt_resolver *r, const char *file, char *why,
		       size_t whylen)
{
	struct loaded *l;
	void *h;

	for (size_t i = 0; i < r->nloaded; i++)
		if (strcmp(r->loaded[i].file, file) == 0)
			return r->loaded[i].handle;
	h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(why, whylen, "%s", e ? e : "dlopen failed");
		return NULL;
	}
	l = realloc(r->loaded, (r->nloaded + 1) * sizeof(*l));
	if (l == NULL || (file = strdup(file)) == NULL) {
		if (l != NULL)
			r->loaded = l;
		dlclose(h);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	r->loaded = l;
	r->loaded[r->nloaded].file = (char *)file;
	r->loaded[r->nloaded].handle = h;
	r->nloaded++;
	return h;
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Appends "a/b.so" for module "a.b" to out. */
static void module_to_file(const char *mod, size_t n, char *out, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 4 < len; i++)
		out[j++] = mod[i] == '.' ? '/' : mod[i];
	out[j] = '\0';
	if (j + 4 <= len)
		memcpy(out + j, ".so", 4);
}

/*
 * Finds the shared object for a module name (the class path minus its last
 * component), loading it. `tried` collects every file searched.
 */
static void *find_module(struct dxt_resolver *r, const char *mod, size_t n,
			 char *tried, size_t triedlen, char *why,
			 size_t whylen)
{
	char rel[2][512];
	int nrel = 0;
	size_t tl = 0;

	if (n > strlen(BUILTIN_PREFIX) &&
	    strncmp(mod, BUILTIN_PREFIX, strlen(BUILTIN_PREFIX)) == 0) {
		size_t skip = strlen(BUILTIN_PREFIX);
		module_to_file(mod + skip, n - skip, rel[nrel++], sizeof(rel[0]));
	}
	module_to_file(mod, n, rel[nrel++], sizeof(rel[0]));

	tried[0] = '\0';
	why[0] = '\0';
	for (size_t p = 0; p < r->npaths; p++) {
		for (int k = 0; k < nrel; k++) {
			char file[4096];
			int w;

			snprintf(file, sizeof(file), "%s/%s", r->paths[p],
				 rel[k]);
			w = snprintf(tried + tl, triedlen - tl, "%s%s",
				     tl ? ", " : "", file);
			if (w > 0 && (size_t)w < triedlen - tl)
				tl += (size_t)w;
			if (!is_file(file))
				continue;
			void *h = load_file(r, file, why, whylen);
			if (h != NULL)
				return h;
		}
	}
	return NULL;
}

static int check_operator(const struct dxt_operator *op, const char *path,
			  enum dxt_op_kind kind, struct dxt_error *err)
{
	if (op->abi_version != DXT_ABI_VERSION)
		return dxt_error_setc(
			err, DXT_EABI, DXT_TERMINAL, DXT_ORIGIN_CONFIG,
			"%s: built for operator ABI %u, this dxtd speaks ABI "
			"%u; rebuild the provider against this version",
			path, op->abi_version, DXT_ABI_VERSION);
	if (op->kind != kind)
		return dxt_error_setc(err, DXT_EABI, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "%s is of kind %s, not %s", path,
				      dxt_kind_name(op->kind),
				      dxt_kind_name(kind));
	if ((kind == DXT_KIND_EXTRACTOR && op->extract == NULL) ||
	    (kind == DXT_KIND_LOADER && op->load == NULL))
		return dxt_error_setc(err, DXT_EABI, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "%s has no %s callback", path,
				      kind == DXT_KIND_EXTRACTOR ? "extract"
								 : "load");
	return DXT_OK;
}

int dxt_resolver_operator(struct dxt_resolver *r, const char *class_path,
			  enum dxt_op_kind kind, const struct dxt_operator **op,
			  struct dxt_error *err)
{
	const char *dot = strrchr(class_path, '.');
	char tried[2048], why[512];
	void *h;
	const struct dxt_operator *d;
	int rc;

	*op = NULL;
	if (dot == NULL || dot == class_path || dot[1] == '\0')
		return dxt_error_setc(
			err, DXT_ENOTFOUND, DXT_TERMINAL, DXT_ORIGIN_CONFIG,
			"\"%s\" is not a class path; write module.Class, e.g. "
			"dxt.providers.sqlite.SQLiteLoader",
			class_path);
	pthread_mutex_lock(&r->lock);
	h = find_module(r, class_path, (size_t)(dot - class_path), tried,
			sizeof(tried), why, sizeof(why));
	if (h == NULL) {
		if (why[0] != '\0')
			rc = dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
					    DXT_ORIGIN_CONFIG,
					    "cannot load the module of %s: %s",
					    class_path, why);
		else
			rc = dxt_error_setc(
				err, DXT_ENOTFOUND, DXT_TERMINAL,
				DXT_ORIGIN_CONFIG,
				"no module for class %s; searched %s%s",
				class_path, r->npaths ? tried : "nothing",
				r->npaths ? "" : " (the provider path is empty)");
		goto out;
	}
	dlerror();
	d = dlsym(h, dot + 1);
	if (d == NULL) {
		rc = dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG,
				    "class %s: the module was found (%s) but "
				    "exports no symbol \"%s\"",
				    class_path, tried, dot + 1);
		goto out;
	}
	rc = check_operator(d, class_path, kind, err);
	if (rc == DXT_OK)
		*op = d;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int dxt_resolver_provider(struct dxt_resolver *r, const char *name,
			  const struct dxt_provider **prov,
			  struct dxt_error *err)
{
	char tried[2048], why[512];
	const struct dxt_provider *p;
	void *h;
	int rc = DXT_OK;

	*prov = NULL;
	for (const char *c = name; *c; c++) {
		if (*c == '/' || *c == '.') {
			return dxt_error_setc(
				err, DXT_ENOTFOUND, DXT_TERMINAL,
				DXT_ORIGIN_CONFIG,
				"\"%s\" is not a provider name (use class: for "
				"a class path)",
				name);
		}
	}
	pthread_mutex_lock(&r->lock);
	h = find_module(r, name, strlen(name), tried, sizeof(tried), why,
			sizeof(why));
	if (h == NULL) {
		rc = dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG,
				    "unknown provider \"%s\": %s%s%s", name,
				    why[0] ? why : "searched ",
				    why[0] ? "" : (r->npaths ? tried : "nothing"),
				    "; `dxtd operators` lists what is installed");
		goto out;
	}
	p = dlsym(h, "dxt_provider");
	if (p == NULL) {
		rc = dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG,
				    "%s exports no symbol \"dxt_provider\"",
				    tried);
		goto out;
	}
	if (p->abi_version != DXT_ABI_VERSION) {
		rc = dxt_error_setc(err, DXT_EABI, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG,
				    "provider %s was built for ABI %u, this "
				    "dxtd speaks ABI %u",
				    name, p->abi_version, DXT_ABI_VERSION);
		goto out;
	}
	*prov = p;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int dxt_resolver_endpoint(struct dxt_resolver *r,
			  const struct dxt_endpoint *ep, enum dxt_op_kind kind,
			  const struct dxt_operator **op,
			  struct dxt_error *err)
{
	const struct dxt_provider *p;
	const char *def;
	char path[512];

	*op = NULL;
	if (ep->class_path != NULL)
		return dxt_resolver_operator(r, ep->class_path, kind, op, err);
	if (ep->provider == NULL)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "no %s: give a provider or a class",
				      dxt_kind_name(kind));
	DXT_RETURN_NOT_OK(dxt_resolver_provider(r, ep->provider, &p, err));
	def = kind == DXT_KIND_EXTRACTOR ? p->default_extractor
					 : p->default_loader;
	if (def == NULL)
		return dxt_error_setc(err, DXT_ENOTFOUND, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "provider %s has no default %s; name a "
				      "class instead",
				      ep->provider, dxt_kind_name(kind));
	snprintf(path, sizeof(path), BUILTIN_PREFIX "%s.%s", ep->provider,
		 def);
	return dxt_resolver_operator(r, path, kind, op, err);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a folder's entries sorted; the caller frees names and array. */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cnt = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		char **grown;
		if (e->d_name[0] == '.')
			continue;
		grown = realloc(names, (cnt + 1) * sizeof(*names));
		if (grown == NULL)
			break;
		names = grown;
		if ((names[cnt] = strdup(e->d_name)) == NULL)
			break;
		cnt++;
	}
	closedir(d);
	if (cnt > 0)
		qsort(names, cnt, sizeof(*names), name_cmp);
	*n = cnt;
	return names;
}

struct scan {
	struct dxt_resolver *r;
	void (*fn)(const struct dxt_operator_info *, void *);
	void (*bad)(const char *, const char *, void *);
	void *ctx;
};

static void scan_dir(struct scan *s, const char *dir, const char *prefix,
		     int depth)
{
	size_t n;
	char **names = list_dir(dir, &n);

	for (size_t i = 0; i < n; i++) {
		char full[4096], why[512];
		size_t len = strlen(names[i]);
		struct stat st;

		snprintf(full, sizeof(full), "%s/%s", dir, names[i]);
		if (stat(full, &st) != 0)
			goto next;
		if (S_ISDIR(st.st_mode) && depth < 4) {
			char sub[512];
			snprintf(sub, sizeof(sub), "%s%s.", prefix, names[i]);
			scan_dir(s, full, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) && len > 3 &&
			   strcmp(names[i] + len - 3, ".so") == 0) {
			const struct dxt_provider *p;
			void *h;

			pthread_mutex_lock(&s->r->lock);
			h = load_file(s->r, full, why, sizeof(why));
			pthread_mutex_unlock(&s->r->lock);
			if (h == NULL) {
				if (s->bad)
					s->bad(full, why, s->ctx);
				goto next;
			}
			p = dlsym(h, "dxt_provider");
			if (p == NULL)
				goto next;
			if (p->abi_version != DXT_ABI_VERSION) {
				if (s->bad) {
					snprintf(why, sizeof(why),
						 "built for ABI %u, expected %u",
						 p->abi_version,
						 DXT_ABI_VERSION);
					s->bad(full, why, s->ctx);
				}
				goto next;
			}
			for (size_t k = 0; p->operators && p->operators[k]; k++) {
				struct dxt_operator_info info;
				const struct dxt_operator *op = p->operators[k];

				snprintf(info.class_path,
					 sizeof(info.class_path), "%s%.*s.%s",
					 prefix[0] ? prefix : BUILTIN_PREFIX,
					 (int)(len - 3), names[i], op->name);
				info.provider = p->name;
				info.op = op;
				info.file = full;
				s->fn(&info, s->ctx);
			}
		}
next:
		free(names[i]);
	}
	free(names);
}

int dxt_resolver_scan(struct dxt_resolver *r,
		      void (*fn)(const struct dxt_operator_info *info,
				 void *ctx),
		      void (*bad)(const char *file, const char *message,
				  void *ctx),
		      void *ctx, struct dxt_error *err)
{
	struct scan s = {r, fn, bad, ctx};

	for (size_t i = 0; i < r->npaths; i++)
		scan_dir(&s, r->paths[i], "", 0);
	return DXT_OK;
}
