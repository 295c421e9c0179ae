/*
 * error.h - error codes and the error record every fallible call fills in.
 *
 * A fallible engine call returns an int: DXT_OK (0) on success, otherwise one
 * of the negative codes below, and (when the caller passed one) fills a
 * struct dxt_error with the class, origin and a message that names what went
 * wrong and where (file, line, column, row, stream). Callers that only add
 * context use dxt_error_prefix().
 *
 * The code list is append-only: codes are reported in run status and logs.
 */
#ifndef DXT_ERROR_H
#define DXT_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define DXT_ERRNO_MAP(X)                                                     \
	X(NOMEM, "out of memory")                                            \
	X(INVAL, "invalid argument")                                         \
	X(IO, "input/output error")                                          \
	X(PARSE, "malformed input")                                          \
	X(TYPE, "value does not fit its type")                               \
	X(NOTFOUND, "not found")                                             \
	X(ABI, "operator ABI mismatch")                                      \
	X(CHECKSUM, "checksum mismatch")                                     \
	X(CANCELLED, "cancelled")                                            \
	X(UNSUPPORTED, "not supported")                                      \
	X(CONFIG, "invalid configuration")                                   \
	X(SOURCE, "source system error")                                     \
	X(TARGET, "target system error")                                     \
	X(SCHEMA, "schema mismatch")                                         \
	X(EXISTS, "already exists")                                          \
	X(LIMIT, "limit exceeded")

enum dxt_errno {
	DXT_OK = 0,
#define DXT__ERR_ENUM(name, msg) DXT_E##name,
	DXT__ERR_FIRST = -1000,
	DXT_ERRNO_MAP(DXT__ERR_ENUM)
#undef DXT__ERR_ENUM
	DXT__ERR_LAST
};

/* Whether retrying the same work may succeed. */
enum dxt_err_class {
	DXT_TERMINAL = 0, /* bad config, type error, permission: fix first */
	DXT_TRANSIENT = 1 /* connection lost, timeout, lock conflict */
};

/* Which side of the pipeline the failure belongs to. */
enum dxt_origin {
	DXT_ORIGIN_NONE = 0,
	DXT_ORIGIN_SOURCE,
	DXT_ORIGIN_TARGET,
	DXT_ORIGIN_BUFFER,
	DXT_ORIGIN_CONFIG
};

#define DXT_ERROR_MSG_MAX 1024

struct dxt_error {
	int code;                      /* DXT_OK or a DXT_E* code */
	enum dxt_err_class cls;
	enum dxt_origin origin;
	char message[DXT_ERROR_MSG_MAX];
};

/* Resets an error record to "no error". */
void dxt_error_clear(struct dxt_error *err);

/*
 * Records an error and returns `code`, so a caller can write
 * `return dxt_error_set(err, DXT_EPARSE, "%s: line %zu: ...", ...)`.
 * `err` MAY be NULL (the code is still returned). Class is DXT_TERMINAL and
 * origin is left as it was; use dxt_error_setc() to set them too.
 */
int dxt_error_set(struct dxt_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like dxt_error_set(), with class and origin. */
int dxt_error_setc(struct dxt_error *err, int code, enum dxt_err_class cls,
		   enum dxt_origin origin, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Like dxt_error_setc(), taking the arguments as a va_list. */
int dxt_error_vsetc(struct dxt_error *err, int code, enum dxt_err_class cls,
		    enum dxt_origin origin, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/*
 * A configuration problem the user must fix: like dxt_error_setc() with
 * DXT_ECONFIG, DXT_TERMINAL and DXT_ORIGIN_CONFIG. Returns DXT_ECONFIG.
 * The message is formatted before it is stored, so an argument MAY point
 * into err->message.
 */
int dxt_error_config(struct dxt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Puts context in front of the message already recorded ("stream orders: "
 * + message). Keeps code, class and origin. No-op when err is NULL or holds
 * no error.
 */
void dxt_error_prefix(struct dxt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets the origin when the error has none yet. Returns err->code. */
int dxt_error_origin(struct dxt_error *err, enum dxt_origin origin);

/* Static text for a code ("malformed input"); never NULL. */
const char *dxt_strerror(int code);
/* Static name for a code ("EPARSE"); never NULL. */
const char *dxt_err_name(int code);
/* "transient" or "terminal". */
const char *dxt_err_class_name(enum dxt_err_class cls);
/* "source", "target", "buffer", "config" or NULL for none. */
const char *dxt_origin_name(enum dxt_origin origin);

/* Returns early from the enclosing function when `expr` is not DXT_OK. */
#define DXT_RETURN_NOT_OK(expr)                                              \
	do {                                                                 \
		int dxt__rc = (expr);                                        \
		if (dxt__rc != DXT_OK)                                       \
			return dxt__rc;                                      \
	} while (0)

#endif /* DXT_ERROR_H */
