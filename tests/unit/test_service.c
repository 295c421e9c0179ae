/*
 * test_service.c - the daemon's service without HTTP: a pipeline stored and
 * run on a real libuv loop with the built providers ($DXT_BUILD/providers),
 * its status, buffer and redacted document; retries from the buffer;
 * start-up recovery of interrupted runs; and the helpers that keep secrets
 * out of messages and paths out of requests.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "daemon/serve.h"
#include "daemon/spool.h"
#include "daemon/svc_internal.h"
#include "engine/iostream.h"

/* --- names and secrets --------------------------------------------------- */

START_TEST(spool_names)
{
	ck_assert(dxt_spool_name_ok("part-00000.csv.zst", false));
	ck_assert(dxt_spool_name_ok("files/a/b.csv", true));
	ck_assert(!dxt_spool_name_ok("files/a/b.csv", false));
	ck_assert(!dxt_spool_name_ok("", true));
	ck_assert(!dxt_spool_name_ok("..", true));
	ck_assert(!dxt_spool_name_ok("a/../b", true));
	ck_assert(!dxt_spool_name_ok("/etc/passwd", true));
	ck_assert(!dxt_spool_name_ok("a//b", true));
	ck_assert(!dxt_spool_name_ok("a/./b", true));
	ck_assert(!dxt_spool_name_ok("a\nb", true));
	ck_assert(dxt_spool_name_ok("..a", false));
}
END_TEST

START_TEST(spool_human)
{
	char buf[32];

	dxt_spool_human(512, buf, sizeof(buf));
	ck_assert_str_eq(buf, "512 B");
	dxt_spool_human(10ull << 30, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0 GiB");
	dxt_spool_human((uint64_t)(10.2 * (1ull << 30)), buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.2 GiB");
}
END_TEST

START_TEST(secret_keys)
{
	ck_assert(dxt__svc_secret_key("password"));
	ck_assert(dxt__svc_secret_key("db_password"));
	ck_assert(dxt__svc_secret_key("Secret"));
	ck_assert(dxt__svc_secret_key("api_key"));
	ck_assert(dxt__svc_secret_key("apiKey"));
	ck_assert(dxt__svc_secret_key("key"));
	ck_assert(dxt__svc_secret_key("access_token"));
	ck_assert(dxt__svc_secret_key("credentials"));
	ck_assert(!dxt__svc_secret_key("upsert_keys"));
	ck_assert(!dxt__svc_secret_key("path"));
	ck_assert(!dxt__svc_secret_key("watermark_field"));
	ck_assert(!dxt__svc_secret_key("keyspace"));
}
END_TEST

START_TEST(scrub_messages)
{
	struct svc_secrets s = {0};
	static const char doc[] =
		"name: p\n"
		"target: {path: \"${DXT_T_PLAIN}\", password: \"${DXT_T_PW}\",\n"
		"         dsn: \"host=h password=${DXT_T_DB_PASSWORD}\",\n"
		"         user: literal-user, api_key: literal-key-123}\n";
	char msg[256];

	setenv("DXT_T_PLAIN", "plain/path.db", 1);
	setenv("DXT_T_PW", "hunter2hunter2", 1);
	setenv("DXT_T_DB_PASSWORD", "s3cr3t", 1);
	dxt__svc_secrets_collect(doc, sizeof(doc) - 1, DXT_DOC_YAML, NULL, &s);
	snprintf(msg, sizeof(msg),
		 "cannot open plain/path.db as hunter2hunter2 with "
		 "host=h password=s3cr3t or literal-key-123 (literal-user)");
	dxt__svc_scrub(&s, msg, sizeof(msg));
	/* The path is not a secret; the password, a DSN holding a secret
	 * variable and a value under a secret key are. */
	ck_assert_str_eq(msg, "cannot open plain/path.db as *** with *** or "
			      "*** (literal-user)");
	dxt__svc_secrets_free(&s);
}
END_TEST

/* --- the service on a loop ----------------------------------------------- */

static char tdir[256];
static char spool[320];
static struct dxt_store *store;
static struct dxt_resolver *resolver;
static struct dxt_service *svc;
static uv_loop_t loop;
static int stopped;

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void start_service(void)
{
	struct dxt_service_opts o = {0};
	struct dxt_error err = {0};
	char state[320];

	snprintf(state, sizeof(state), "%s/state", tdir);
	ck_assert_msg(dxt_store_open(state, &store, &err) == DXT_OK, "%s",
		      err.message);
	o.store = store;
	o.resolver = resolver;
	o.spool_dir = spool;
	o.base_dir = tdir;
	o.stream_parallelism = 2;
	ck_assert_int_eq(dxt_service_create(&o, &svc, &err), DXT_OK);
	ck_assert_msg(dxt_service_recover(svc, &err) == DXT_OK, "%s",
		      err.message);
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(dxt_service_attach(svc, &loop, &err), DXT_OK);
}

static void on_stopped(void *ctx)
{
	*(int *)ctx = 1;
}

static void stop_service(void)
{
	stopped = 0;
	dxt_service_stop(svc, 0, on_stopped, &stopped);
	for (int i = 0; i < 10000 && !stopped; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ck_assert(stopped);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	dxt_service_destroy(svc);
	dxt_store_close(store);
	svc = NULL;
	store = NULL;
}

static void setup(void)
{
	const char *build = getenv("DXT_BUILD");
	char prov[4096];
	const char *paths[1] = {prov};

	snprintf(prov, sizeof(prov), "%s/providers", build ? build : "build");
	ck_assert_int_eq(dxt_resolver_create(paths, 1, &resolver), DXT_OK);
	snprintf(tdir, sizeof(tdir), "/tmp/dxt-svc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	snprintf(spool, sizeof(spool), "%s/spool", tdir);
	write_file("in.csv", "id,name\n1,a\n2,b\n3,c\n");
}

static void teardown(void)
{
	dxt_remove_tree(tdir, NULL);
	dxt_resolver_destroy(resolver);
}

/* Runs the loop until the run ends; returns its status JSON. */
static json_t *wait_run(const char *id)
{
	struct dxt_error err = {0};
	json_t *st = NULL;

	for (int i = 0; i < 20000; i++) {
		const char *status;

		uv_run(&loop, UV_RUN_NOWAIT);
		json_decref(st);
		ck_assert_int_eq(dxt_svc_run_get(svc, id, &st, &err), DXT_OK);
		status = json_string_value(json_object_get(st, "status"));
		if (strcmp(status, "queued") != 0 &&
		    strcmp(status, "running") != 0)
			return st;
		usleep(1000);
	}
	ck_abort_msg("run %s did not end", id);
	return NULL;
}

static const char pipeline[] =
	"name: p\n"
	"source: {provider: local, path: .}\n"
	"target: {provider: sqlite, path: out.db, pragmas: {key: \"${DXT_T_KEY}\"}}\n"
	"buffer: {cleanup_on_success: false}\n"
	"streams:\n"
	"  - id: s\n"
	"    source: {type: file, file: in.csv}\n"
	"    target: t\n";

static void put_pipeline(const char *text)
{
	struct dxt_diags d = {0};
	struct dxt_error err = {0};
	json_t *out = NULL;
	bool created;

	setenv("DXT_T_KEY", "abcdef0123456789", 1);
	ck_assert_msg(dxt_svc_pipeline_put(svc, NULL, text, strlen(text),
					   DXT_DOC_YAML, &out, &created, &d,
					   &err) == DXT_OK,
		      "put: %s", err.message);
	ck_assert(created);
	json_decref(out);
	dxt_diags_free(&d);
}

static char *start_run(const char *pipeline_name)
{
	struct dxt_error err = {0};
	json_t *out = NULL;
	char *id;

	ck_assert_msg(dxt_svc_run_start(svc, pipeline_name, NULL, &out,
					&err) == DXT_OK,
		      "start: %s", err.message);
	id = strdup(json_string_value(json_object_get(out, "id")));
	json_decref(out);
	return id;
}

START_TEST(run_to_completion)
{
	struct dxt_error err = {0};
	json_t *st, *out = NULL;
	char *id;
	int fd = -1;
	uint64_t size = 0;

	start_service();
	put_pipeline(pipeline);
	ck_assert_int_eq(dxt_svc_pipeline_get(svc, "p", &out, &err), DXT_OK);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
				 json_object_get(json_object_get(out, "document"),
						 "target"),
				 "pragmas"),
				 "key")),
			 "***");
	json_decref(out);

	id = start_run("p");
	/* max_active_runs defaults to 1. */
	ck_assert_int_eq(dxt_svc_run_start(svc, "p", NULL, &out, &err),
			 DXT_EEXISTS);
	ck_assert_ptr_nonnull(strstr(err.message, "max_active_runs: 1"));
	st = wait_run(id);
	ck_assert_str_eq(json_string_value(json_object_get(st, "status")),
			 "succeeded");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(st, "stats"), "rows_loaded")),
			 3);
	json_decref(st);

	ck_assert_int_eq(dxt_svc_buffer_list(svc, id, &out, &err), DXT_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(json_object_get(out, "streams"), 0),
				 "rows")),
			 3);
	json_decref(out);
	ck_assert_int_eq(dxt_svc_buffer_records(svc, id, "s", 1, 2, &out, &err),
			 DXT_OK);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(out, "records"), 0),
				 "name")),
			 "c");
	json_decref(out);
	ck_assert_int_eq(dxt_svc_buffer_file(svc, id, "s", "../../state/dxtd.db",
					     &fd, &size, &err),
			 DXT_EINVAL);
	ck_assert_int_eq(dxt_svc_buffer_file(svc, id, "..", "manifest.json",
					     &fd, &size, &err),
			 DXT_EINVAL);
	ck_assert_int_eq(dxt_svc_buffer_file(svc, id, "s", "in.csv", &fd,
					     &size, &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_svc_buffer_file(svc, id, "s", "manifest.json",
					     &fd, &size, &err),
			 DXT_OK);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_gt(size, 0);
	close(fd);
	ck_assert_int_eq(dxt_svc_run_retry(svc, id, &out, &err), DXT_EEXISTS);
	free(id);
	stop_service();
}
END_TEST

START_TEST(retry_loads_the_buffer)
{
	struct dxt_error err = {0};
	char db[400];
	json_t *st, *out = NULL;
	char *id, *rid;

	snprintf(db, sizeof(db), "%s/out.db", tdir);
	ck_assert_int_eq(mkdir(db, 0755), 0);
	start_service();
	put_pipeline(pipeline);
	id = start_run("p");
	st = wait_run(id);
	ck_assert_str_eq(json_string_value(json_object_get(st, "status")),
			 "failed");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(st, "error"), "origin")),
			 "target");
	json_decref(st);
	rmdir(db);
	/* What a re-extract would read differs from what is staged. */
	write_file("in.csv", "id,name\n9,z\n");
	ck_assert_msg(dxt_svc_run_retry(svc, id, &out, &err) == DXT_OK, "%s",
		      err.message);
	rid = strdup(json_string_value(json_object_get(out, "id")));
	ck_assert_int_eq(json_integer_value(json_object_get(out, "attempt")), 2);
	json_decref(out);
	st = wait_run(rid);
	ck_assert_str_eq(json_string_value(json_object_get(st, "status")),
			 "succeeded");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(st, "stats"), "rows_loaded")),
			 3);
	json_decref(st);
	free(rid);
	free(id);
	stop_service();
}
END_TEST

START_TEST(restart_interrupts_runs)
{
	struct dxt_store_run run;
	struct dxt_error err = {0};
	json_t *st = NULL;
	char orphan[400];

	start_service();
	put_pipeline(pipeline);
	stop_service();
	/* What a dxtd killed mid-run leaves: a running run, and a run
	 * folder the store does not know. */
	{
		char state[320];

		snprintf(state, sizeof(state), "%s/state", tdir);
		ck_assert_int_eq(dxt_store_open(state, &store, &err), DXT_OK);
	}
	memset(&run, 0, sizeof(run));
	run.id = "r1";
	run.pipeline = "p";
	run.version = 1;
	run.status = DXT_RUN_RUNNING;
	run.started_at = dxt_now_us();
	dxt_error_clear(&run.error);
	ck_assert_int_eq(dxt_store_run_insert(store, &run, &err), DXT_OK);
	dxt_store_close(store);
	store = NULL;
	snprintf(orphan, sizeof(orphan), "%s/runs/ghost/s", spool);
	ck_assert_int_eq(dxt_mkdirs(orphan, &err), DXT_OK);

	start_service();
	ck_assert_int_eq(dxt_svc_run_get(svc, "r1", &st, &err), DXT_OK);
	ck_assert_str_eq(json_string_value(json_object_get(st, "status")),
			 "interrupted");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(st, "error"), "class")),
			 "transient");
	json_decref(st);
	snprintf(orphan, sizeof(orphan), "%s/runs/ghost", spool);
	ck_assert_int_ne(access(orphan, F_OK), 0);
	stop_service();
}
END_TEST

Suite *dxt_test_service(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("helpers");
	TCase *loop_tc = tcase_create("loop");

	tcase_add_test(tc, spool_names);
	tcase_add_test(tc, spool_human);
	tcase_add_test(tc, secret_keys);
	tcase_add_test(tc, scrub_messages);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(loop_tc, setup, teardown);
	tcase_set_timeout(loop_tc, 60);
	tcase_add_test(loop_tc, run_to_completion);
	tcase_add_test(loop_tc, retry_loads_the_buffer);
	tcase_add_test(loop_tc, restart_interrupts_runs);
	suite_add_tcase(s, loop_tc);
	return s;
}
