/*
 * operator.c - names for operator enums and the operator log helper.
 */
#include "operator.h"

#include <stdio.h>

const char *dxt_kind_name(enum dxt_op_kind k)
{
	switch (k) {
	case DXT_KIND_CONNECTOR:
		return "connector";
	case DXT_KIND_EXTRACTOR:
		return "extractor";
	case DXT_KIND_LOADER:
		return "loader";
	}
	return "unknown";
}

const char *dxt_category_name(enum dxt_category c)
{
	switch (c) {
	case DXT_CAT_RELATIONAL:
		return "relational";
	case DXT_CAT_DOCUMENT:
		return "document";
	case DXT_CAT_FILESTORE:
		return "filestore";
	case DXT_CAT_WEBAPI:
		return "webapi";
	case DXT_CAT_KEYVALUE:
		return "keyvalue";
	case DXT_CAT_GRAPH:
		return "graph";
	}
	return "unknown";
}

const char *dxt_unit_name(enum dxt_unit u)
{
	switch (u) {
	case DXT_UNIT_RECORDS:
		return "records";
	case DXT_UNIT_FILES:
		return "files";
	default:
		return "-";
	}
}

void dxt_op_log(const struct dxt_op_ctx *ctx, enum dxt_log_level level,
		const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (ctx == NULL || ctx->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log(ctx->log_ctx, level, msg);
}
