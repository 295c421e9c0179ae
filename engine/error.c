/*
 * error.c - error records, code names and messages.
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

void dxt_error_clear(struct dxt_error *err)
{
	if (err == NULL)
		return;
	err->code = DXT_OK;
	err->cls = DXT_TERMINAL;
	err->origin = DXT_ORIGIN_NONE;
	err->message[0] = '\0';
}

static int error_vset(struct dxt_error *err, int code, const char *fmt,
		      va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int dxt_error_set(struct dxt_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL)
		err->cls = DXT_TERMINAL;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int dxt_error_vsetc(struct dxt_error *err, int code, enum dxt_err_class cls,
		    enum dxt_origin origin, const char *fmt, va_list ap)
{
	if (err != NULL) {
		err->cls = cls;
		err->origin = origin;
	}
	return error_vset(err, code, fmt, ap);
}

int dxt_error_setc(struct dxt_error *err, int code, enum dxt_err_class cls,
		   enum dxt_origin origin, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dxt_error_vsetc(err, code, cls, origin, fmt, ap);
	va_end(ap);
	return code;
}

int dxt_error_config(struct dxt_error *err, const char *fmt, ...)
{
	char msg[DXT_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL, DXT_ORIGIN_CONFIG,
			      "%s", msg);
}

void dxt_error_prefix(struct dxt_error *err, const char *fmt, ...)
{
	char prefix[256];
	size_t plen, mlen;
	va_list ap;
	int n;

	if (err == NULL || err->code == DXT_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	plen = strlen(prefix);
	if (plen >= sizeof(err->message))
		plen = sizeof(err->message) - 1;
	/* Shift the old message right, cutting its tail if it must. */
	mlen = strnlen(err->message, sizeof(err->message) - 1);
	if (plen + mlen >= sizeof(err->message))
		mlen = sizeof(err->message) - 1 - plen;
	memmove(err->message + plen, err->message, mlen);
	memcpy(err->message, prefix, plen);
	err->message[plen + mlen] = '\0';
}

int dxt_error_origin(struct dxt_error *err, enum dxt_origin origin)
{
	if (err == NULL)
		return DXT_OK;
	if (err->origin == DXT_ORIGIN_NONE)
		err->origin = origin;
	return err->code;
}

const char *dxt_strerror(int code)
{
	switch (code) {
	case DXT_OK:
		return "success";
#define DXT__ERR_MSG(name, msg)                                              \
	case DXT_E##name:                                                    \
		return msg;
		DXT_ERRNO_MAP(DXT__ERR_MSG)
#undef DXT__ERR_MSG
	default:
		return "unknown error";
	}
}

const char *dxt_err_name(int code)
{
	switch (code) {
	case DXT_OK:
		return "OK";
#define DXT__ERR_NAME(name, msg)                                             \
	case DXT_E##name:                                                    \
		return "E" #name;
		DXT_ERRNO_MAP(DXT__ERR_NAME)
#undef DXT__ERR_NAME
	default:
		return "EUNKNOWN";
	}
}

const char *dxt_err_class_name(enum dxt_err_class cls)
{
	return cls == DXT_TRANSIENT ? "transient" : "terminal";
}

const char *dxt_origin_name(enum dxt_origin origin)
{
	switch (origin) {
	case DXT_ORIGIN_SOURCE:
		return "source";
	case DXT_ORIGIN_TARGET:
		return "target";
	case DXT_ORIGIN_BUFFER:
		return "buffer";
	case DXT_ORIGIN_CONFIG:
		return "config";
	default:
		return NULL;
	}
}
