/*
 * fake_service.h - a stand-in for daemon/service.c, so the HTTP server can
 * be tested end to end without a state store, scheduler or spool.
 *
 * Every dxt_svc_* function records that it was called (name and the
 * arguments that matter) and answers from fixed rules keyed on its
 * arguments: the name or id "missing" is DXT_ENOTFOUND, "busy" is
 * DXT_EEXISTS, "full" is DXT_ELIMIT, "boom" is DXT_EIO and "slow" sleeps
 * 300 ms first; a pipeline body containing "invalid" is DXT_ECONFIG with
 * two diagnostics and one containing "malformed" is DXT_EPARSE.
 */
#ifndef DXT_TEST_FAKE_SERVICE_H
#define DXT_TEST_FAKE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/service.h"

struct dxt_service *fake_service_create(void);
void fake_service_destroy(struct dxt_service *svc);

/* Readiness answer for /readyz. */
void fake_service_set_ready(struct dxt_service *svc, bool ready);
/* The file dxt_svc_buffer_file() opens, whatever name it is asked for. */
void fake_service_set_file(struct dxt_service *svc, const char *path);

/* Calls since the last reset, and the last call's name and arguments as
 * one line ("run_get id=abc"). */
int fake_service_calls(struct dxt_service *svc);
void fake_service_last(struct dxt_service *svc, char *buf, size_t len);
void fake_service_reset(struct dxt_service *svc);

#endif /* DXT_TEST_FAKE_SERVICE_H */
