/*
 * serve.c - `dxtd serve`: start-up, the loop, signals and shutdown (the
 * order is described in serve.h).
 *
 * Threads: this file runs on the main thread, which becomes the libuv loop
 * thread once uv_run() starts. The signal callbacks run there too, so the
 * shutdown steps (dxt_api_stop, dxt_service_stop) are called from the loop
 * thread, as the service requires.
 */
#include "serve.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sdnotify.h"
#include "service.h"

struct serve {
	const struct dxt_config *cfg;
	const struct dxt_serve_http *http;
	uv_loop_t loop;
	uv_signal_t sigint, sigterm;
	struct dxt_service *svc;
	void *api;
	int signals;
};

static void on_stopped(void *ctx)
{
	struct serve *s = ctx;

	uv_close((uv_handle_t *)&s->sigint, NULL);
	uv_close((uv_handle_t *)&s->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct serve *s = h->data;

	if (s->signals++ > 0) {
		dxt_log(DXT_LOG_WARN, NULL, NULL,
			"signal %d again: stopping the runs now", signum);
		dxt_service_stop(s->svc, 0, on_stopped, s);
		return;
	}
	dxt_log(DXT_LOG_INFO, NULL, NULL,
		"signal %d: shutting down (no new requests; runs may finish "
		"for up to %.0f s)",
		signum, (double)s->cfg->shutdown_timeout_us / 1e6);
	dxt_sd_notify("STOPPING=1");
	s->http->stop(s->api);
	s->api = NULL;
	dxt_service_stop(s->svc, s->cfg->shutdown_timeout_us, on_stopped, s);
}

int dxt_serve(const struct dxt_config *cfg, struct dxt_resolver *resolver,
	      const struct dxt_serve_http *http)
{
	struct dxt_service_opts so = {0};
	struct dxt_store *store = NULL;
	struct dxt_error err;
	struct serve s;
	char threads[16], addr[320];
	const char *host = cfg->listen_host;
	int rc, status = 1, port = 0;
	bool loop_open = false;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.http = http;
	/* A client that hangs up must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	rc = dxt_store_open(cfg->state_dir, &store, &err);
	if (rc != DXT_OK) {
		dxt_log(DXT_LOG_ERROR, NULL, NULL, "state store: %s",
			err.message);
		return 1;
	}
	so.store = store;
	so.resolver = resolver;
	so.spool_dir = cfg->spool_dir;
	so.stream_parallelism = cfg->stream_parallelism;
	so.spool_quota = cfg->spool_quota;
	so.spool_retention_us = cfg->spool_retention_us;
	rc = dxt_service_create(&so, &s.svc, &err);
	if (rc == DXT_OK)
		rc = dxt_service_recover(s.svc, &err);
	if (rc != DXT_OK) {
		dxt_log(DXT_LOG_ERROR, NULL, NULL, "start-up: %s", err.message);
		goto out;
	}

	/* libuv sizes its worker pool from the environment when the pool is
	 * first used, which is after this. */
	snprintf(threads, sizeof(threads), "%d", cfg->workers);
	setenv("UV_THREADPOOL_SIZE", threads, 1);
	rc = uv_loop_init(&s.loop);
	if (rc != 0) {
		dxt_log(DXT_LOG_ERROR, NULL, NULL, "libuv: %s", uv_strerror(rc));
		goto out;
	}
	loop_open = true;
	rc = dxt_service_attach(s.svc, &s.loop, &err);
	if (rc != DXT_OK) {
		dxt_log(DXT_LOG_ERROR, NULL, NULL, "start-up: %s", err.message);
		goto out;
	}
	uv_signal_init(&s.loop, &s.sigint);
	uv_signal_init(&s.loop, &s.sigterm);
	s.sigint.data = s.sigterm.data = &s;
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);

	rc = http->start(s.svc, cfg, &s.api, &port, &err);
	if (rc != DXT_OK) {
		dxt_log(DXT_LOG_ERROR, NULL, NULL, "listen: %s", err.message);
		/* Nothing started yet: stop at once, then let the loop close
		 * the handles. */
		s.signals = 1;
		dxt_service_stop(s.svc, 0, on_stopped, &s);
		uv_run(&s.loop, UV_RUN_DEFAULT);
		goto out;
	}
	if (host[0] == '\0')
		host = "127.0.0.1";
	snprintf(addr, sizeof(addr), strchr(host, ':') ? "[%s]:%d" : "%s:%d",
		 host, port);
	dxt_log(DXT_LOG_INFO, NULL, NULL,
		"serving on http://%s (state %s, spool %s, %d worker%s, "
		"authentication %s)",
		addr, dxt_store_path(store), cfg->spool_dir, cfg->workers,
		cfg->workers == 1 ? "" : "s",
		cfg->token != NULL ? "by bearer token" : "off");
	dxt_service_set_listen(s.svc, addr);
	dxt_sd_notify("READY=1");

	uv_run(&s.loop, UV_RUN_DEFAULT);
	status = 0;
	dxt_log(DXT_LOG_INFO, NULL, NULL, "stopped");
out:
	http->stop(s.api);
	if (loop_open) {
		/* Handles closed by the stop path; run once more so their
		 * close callbacks complete before the loop is freed. */
		uv_run(&s.loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&s.loop) != 0)
			dxt_log(DXT_LOG_WARN, NULL, NULL,
				"libuv loop closed with handles open");
	}
	dxt_service_destroy(s.svc);
	dxt_store_close(store);
	return status;
}
