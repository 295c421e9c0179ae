/*
 * log.c - log lines on stderr.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/batch.h"
#include "engine/convert.h"
#include "engine/run.h"

static enum dxt_log_format log_format = DXT_LOG_TEXT;
static enum dxt_log_level log_min = DXT_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void dxt_log_setup(enum dxt_log_format format, enum dxt_log_level min)
{
	log_format = format;
	log_min = min;
}

int dxt_log_format_parse(const char *name)
{
	if (strcmp(name, "text") == 0)
		return DXT_LOG_TEXT;
	if (strcmp(name, "json") == 0)
		return DXT_LOG_JSON;
	return -1;
}

int dxt_log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static void kv_json(struct dxt_buf *b, const char *key, const char *val)
{
	dxt_buf_puts(b, ",\"");
	dxt_buf_puts(b, key);
	dxt_buf_puts(b, "\":");
	dxt_json_quote(b, val, strlen(val));
}

void dxt_log(enum dxt_log_level level, const char *run_id, const char *stream,
	     const char *fmt, ...)
{
	struct dxt_buf b = {0};
	char msg[2048], ts[40];
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dxt_format_rfc3339(dxt_now_us(), ts, sizeof(ts));
	if (log_format == DXT_LOG_JSON) {
		dxt_buf_puts(&b, "{\"time\":\"");
		dxt_buf_puts(&b, ts);
		dxt_buf_puts(&b, "\"");
		kv_json(&b, "level", level_names[level]);
		if (run_id)
			kv_json(&b, "run", run_id);
		if (stream)
			kv_json(&b, "stream", stream);
		kv_json(&b, "msg", msg);
		dxt_buf_puts(&b, "}\n");
	} else {
		dxt_buf_puts(&b, ts);
		dxt_buf_putc(&b, ' ');
		dxt_buf_puts(&b, level_names[level]);
		if (run_id) {
			dxt_buf_puts(&b, " run=");
			dxt_buf_puts(&b, run_id);
		}
		if (stream) {
			dxt_buf_puts(&b, " stream=");
			dxt_buf_puts(&b, stream);
		}
		dxt_buf_puts(&b, ": ");
		dxt_buf_puts(&b, msg);
		dxt_buf_putc(&b, '\n');
	}
	if (b.data != NULL && write(STDERR_FILENO, b.data, b.len) < 0) {
		/* Nowhere left to report a failing stderr. */
	}
	dxt_buf_free(&b);
}

void dxt_log_op(void *ctx, enum dxt_log_level level, const char *msg)
{
	const struct dxt_log_ctx *lc = ctx;

	dxt_log(level, lc ? lc->run_id : NULL, lc ? lc->stream : NULL, "%s",
		msg);
}
