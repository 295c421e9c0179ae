/*
 * log.h - dxtd's log lines on stderr, as text or JSON lines.
 *
 * Every line has a time, a level and a message; run lines also carry the run
 * id and stream. Thread-safe: a line is written with one write(2).
 */
#ifndef DXT_DAEMON_LOG_H
#define DXT_DAEMON_LOG_H

#include <stdbool.h>

#include "engine/operator.h"

enum dxt_log_format { DXT_LOG_TEXT = 0, DXT_LOG_JSON };

/* Sets the process-wide format and the lowest level written. */
void dxt_log_setup(enum dxt_log_format format, enum dxt_log_level min);
/* Parses "text"/"json"; -1 when unknown. */
int dxt_log_format_parse(const char *name);
/* Parses "debug"/"info"/"warn"/"error"; -1 when unknown. */
int dxt_log_level_parse(const char *name);

/* Writes one line; run_id and stream MAY be NULL. */
void dxt_log(enum dxt_log_level level, const char *run_id, const char *stream,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Context for operator log callbacks (struct dxt_op_ctx's log). */
struct dxt_log_ctx {
	const char *run_id;
	const char *stream;
};

/* An operator log callback writing through dxt_log(); ctx is a
 * struct dxt_log_ctx. */
void dxt_log_op(void *ctx, enum dxt_log_level level, const char *msg);

#endif /* DXT_DAEMON_LOG_H */
