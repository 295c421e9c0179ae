/*
 * test_store.c - the daemon's state store: schema and migrations, WAL,
 * pipelines and versions, runs and their paging, interrupted runs, stream
 * runs, watermarks (with the pending/commit protocol), events, counts,
 * reopening, two threads at once, and files that are not a dxtd database.
 */
#include <check.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/store.h"

/* --- helpers ------------------------------------------------------------- */

static char tdir[256];
static char tstate[300];

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void t_setup(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/dxt-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	/* A state directory that does not exist yet: open creates it. */
	snprintf(tstate, sizeof(tstate), "%s/state", tdir);
}

static void t_teardown(void)
{
	nftw(tdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct dxt_store *t_open(void)
{
	struct dxt_error err = {0};
	struct dxt_store *st = NULL;
	int rc = dxt_store_open(tstate, &st, &err);

	ck_assert_msg(rc == DXT_OK, "open: %s", err.message);
	ck_assert_ptr_nonnull(st);
	return st;
}

/* Opens the database file with a separate raw connection. */
static sqlite3 *t_raw(void)
{
	char path[400];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/dxtd.db", tstate);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static char *t_raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	char *out = NULL;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK,
		      "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static void t_raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
		      "%s: %s", sql, msg ? msg : "");
}

static void t_put(struct dxt_store *st, const char *name, const char *doc,
		  int want_version)
{
	struct dxt_error err = {0};
	int version = 0;

	ck_assert_msg(dxt_store_pipeline_put(st, name, doc, strlen(doc),
					     DXT_DOC_YAML, false, &version,
					     NULL, &err) == DXT_OK,
		      "put: %s", err.message);
	ck_assert_int_eq(version, want_version);
}

static void t_run(struct dxt_store *st, const char *id, const char *pipeline,
		  enum dxt_run_status status, int64_t created_at)
{
	struct dxt_store_run run = {0};
	struct dxt_error err = {0};

	run.id = (char *)id;
	run.pipeline = (char *)pipeline;
	run.version = 1;
	run.status = status;
	run.created_at = created_at;
	ck_assert_msg(dxt_store_run_insert(st, &run, &err) == DXT_OK,
		      "insert %s: %s", id, err.message);
}

static const char *doc_a = "name: a\nstreams:\n  - id: s1\n";

/* --- open, schema, foreign files ----------------------------------------- */

START_TEST(test_open_wal_and_schema)
{
	struct dxt_store *st = t_open();
	struct dxt_error err = {0};
	sqlite3 *db;
	char *mode, *appid, *rows;

	ck_assert_int_eq(dxt_store_schema_version(st), 1);
	ck_assert_ptr_nonnull(strstr(dxt_store_path(st), "/state/dxtd.db"));
	ck_assert_int_eq(dxt_store_ping(st, &err), DXT_OK);

	db = t_raw();
	mode = t_raw_text(db, "PRAGMA journal_mode");
	appid = t_raw_text(db, "PRAGMA application_id");
	rows = t_raw_text(db, "SELECT group_concat(version) FROM dxt_schema");
	ck_assert_str_eq(mode, "wal");
	ck_assert_int_eq(atoll(appid), 0x64787464);
	ck_assert_str_eq(rows, "1");
	free(mode);
	free(appid);
	free(rows);
	sqlite3_close(db);
	dxt_store_close(st);
	dxt_store_close(NULL);
}
END_TEST

START_TEST(test_migrations_idempotent)
{
	struct dxt_store *st = t_open();
	sqlite3 *db;
	char *rows, *tables;

	t_put(st, "a", doc_a, 1);
	dxt_store_close(st);
	st = t_open();
	dxt_store_close(st);
	st = t_open();
	ck_assert_int_eq(dxt_store_schema_version(st), 1);
	dxt_store_close(st);

	db = t_raw();
	rows = t_raw_text(db, "SELECT count(*) FROM dxt_schema");
	tables = t_raw_text(db, "SELECT group_concat(name) FROM (SELECT name "
				"FROM sqlite_master WHERE type = 'table' "
				"ORDER BY name)");
	ck_assert_str_eq(rows, "1");
	ck_assert_str_eq(tables, "dxt_schema,events,pending_watermarks,"
				 "pipeline_versions,pipelines,runs,"
				 "stream_runs,watermarks");
	free(rows);
	free(tables);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	struct dxt_store *st = t_open();
	struct dxt_error err = {0};
	sqlite3 *db;

	dxt_store_close(st);
	db = t_raw();
	t_raw_exec(db, "INSERT INTO dxt_schema VALUES (99, 0)");
	sqlite3_close(db);
	st = (struct dxt_store *)1;
	ck_assert_int_eq(dxt_store_open(tstate, &st, &err), DXT_EIO);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err.message, "dxtd.db"));
	ck_assert_ptr_nonnull(strstr(err.message, "schema version 99"));
}
END_TEST

START_TEST(test_foreign_database)
{
	struct dxt_error err = {0};
	struct dxt_store *st = NULL;
	sqlite3 *db;

	ck_assert_int_eq(mkdir(tstate, 0700), 0);
	db = t_raw();
	t_raw_exec(db, "CREATE TABLE customers (id INTEGER); "
		       "CREATE TABLE orders (id INTEGER)");
	sqlite3_close(db);
	ck_assert_int_eq(dxt_store_open(tstate, &st, &err), DXT_EIO);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.message, "not a dxtd state database") &&
			      strstr(err.message, "customers, orders") &&
			      strstr(err.message, "/state/dxtd.db"),
		      "%s", err.message);

	/* Nothing was added to the other program's database. */
	db = t_raw();
	{
		char *n = t_raw_text(db, "SELECT count(*) FROM sqlite_master");

		ck_assert_str_eq(n, "2");
		free(n);
	}
	/* Another program's application_id is refused too, even empty. */
	t_raw_exec(db, "DROP TABLE customers; DROP TABLE orders; "
		       "PRAGMA application_id = 42");
	sqlite3_close(db);
	ck_assert_int_eq(dxt_store_open(tstate, &st, &err), DXT_EIO);
	ck_assert_msg(strstr(err.message, "another application") &&
			      strstr(err.message, "0x0000002a"),
		      "%s", err.message);
}
END_TEST

START_TEST(test_malformed_file)
{
	struct dxt_error err = {0};
	struct dxt_store *st = NULL;
	char path[400];
	FILE *f;

	ck_assert_int_eq(mkdir(tstate, 0700), 0);
	snprintf(path, sizeof(path), "%s/dxtd.db", tstate);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 100; i++)
		fputs("this is a text file, not a database\n", f);
	fclose(f);
	ck_assert_int_eq(dxt_store_open(tstate, &st, &err), DXT_EIO);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.message, "not an SQLite database") &&
			      strstr(err.message, path) &&
			      strstr(err.message, "move the file away"),
		      "%s", err.message);
}
END_TEST

START_TEST(test_state_dir_unusable)
{
	struct dxt_error err = {0};
	struct dxt_store *st = NULL;
	char dir[400];

	snprintf(dir, sizeof(dir), "%s/missing/state", tdir);
	ck_assert_int_eq(dxt_store_open(dir, &st, &err), DXT_EIO);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.message, "cannot create state directory") &&
			      strstr(err.message, dir),
		      "%s", err.message);
}
END_TEST

/* --- pipelines ----------------------------------------------------------- */

START_TEST(test_pipelines)
{
	struct dxt_store *st = t_open();
	struct dxt_store_pipeline p = {0};
	struct dxt_store_pipeline_list pl = {0};
	struct dxt_store_version_list vl = {0};
	struct dxt_error err = {0};
	const char *json = "  {\"name\": \"a\", \"streams\": []}";
	int version = 0;
	bool created = false;
	int64_t updated;

	ck_assert_int_eq(dxt_store_pipeline_put(st, "a", doc_a, strlen(doc_a),
						DXT_DOC_YAML, true, &version,
						&created, &err),
			 DXT_OK);
	ck_assert_int_eq(version, 1);
	ck_assert(created);
	/* Create-only on an existing name. */
	ck_assert_int_eq(dxt_store_pipeline_put(st, "a", doc_a, strlen(doc_a),
						DXT_DOC_YAML, true, &version,
						&created, &err),
			 DXT_EEXISTS);
	ck_assert_msg(strstr(err.message, "pipeline named a exists") &&
			      strstr(err.message, "dxtd.db"),
		      "%s", err.message);
	/* A new version, format detected from the text. */
	ck_assert_int_eq(dxt_store_pipeline_put(st, "a", json, strlen(json),
						DXT_DOC_AUTO, false, &version,
						&created, &err),
			 DXT_OK);
	ck_assert_int_eq(version, 2);
	ck_assert(!created);
	t_put(st, "b", "name: b\n", 1);

	ck_assert_int_eq(dxt_store_pipeline_get(st, "a", 0, &p, &err), DXT_OK);
	ck_assert_str_eq(p.name, "a");
	ck_assert_int_eq(p.version, 2);
	ck_assert_int_eq(p.latest_version, 2);
	ck_assert_int_eq(p.format, DXT_DOC_JSON);
	ck_assert_str_eq(p.document, json);
	ck_assert_uint_eq(p.document_len, strlen(json));
	ck_assert(!p.paused);
	ck_assert(p.created_at > 0 && p.updated_at >= p.created_at);
	ck_assert(p.version_created_at >= p.created_at);
	dxt_store_pipeline_release(&p);

	ck_assert_int_eq(dxt_store_pipeline_get(st, "a", 1, &p, &err), DXT_OK);
	ck_assert_int_eq(p.version, 1);
	ck_assert_int_eq(p.latest_version, 2);
	ck_assert_int_eq(p.format, DXT_DOC_YAML);
	ck_assert_str_eq(p.document, doc_a);
	dxt_store_pipeline_release(&p);

	ck_assert_int_eq(dxt_store_pipeline_get(st, "a", 3, &p, &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message,
				     "pipeline a has no version 3"));
	ck_assert_ptr_null(p.name);
	ck_assert_int_eq(dxt_store_pipeline_get(st, "zz", 0, &p, &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "no pipeline named zz"));

	ck_assert_int_eq(dxt_store_pipeline_list(st, &pl, &err), DXT_OK);
	ck_assert_uint_eq(pl.n, 2);
	ck_assert_str_eq(pl.items[0].name, "a");
	ck_assert_int_eq(pl.items[0].version, 2);
	ck_assert_str_eq(pl.items[0].document, json);
	ck_assert_str_eq(pl.items[1].name, "b");
	dxt_store_pipeline_list_free(&pl);
	ck_assert_ptr_null(pl.items);

	ck_assert_int_eq(dxt_store_pipeline_versions(st, "a", &vl, &err),
			 DXT_OK);
	ck_assert_uint_eq(vl.n, 2);
	ck_assert_int_eq(vl.items[0].version, 1);
	ck_assert_int_eq(vl.items[0].format, DXT_DOC_YAML);
	ck_assert_uint_eq(vl.items[0].document_len, strlen(doc_a));
	ck_assert_int_eq(vl.items[1].version, 2);
	ck_assert_int_eq(vl.items[1].format, DXT_DOC_JSON);
	dxt_store_version_list_free(&vl);

	/* Pause, resume. */
	ck_assert_int_eq(dxt_store_pipeline_get(st, "b", 0, &p, &err), DXT_OK);
	updated = p.updated_at;
	dxt_store_pipeline_release(&p);
	usleep(2000);
	ck_assert_int_eq(dxt_store_pipeline_set_paused(st, "b", true, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_pipeline_get(st, "b", 0, &p, &err), DXT_OK);
	ck_assert(p.paused);
	ck_assert(p.updated_at > updated);
	dxt_store_pipeline_release(&p);
	ck_assert_int_eq(dxt_store_pipeline_set_paused(st, "b", false, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_pipeline_get(st, "b", 0, &p, &err), DXT_OK);
	ck_assert(!p.paused);
	dxt_store_pipeline_release(&p);
	ck_assert_int_eq(dxt_store_pipeline_set_paused(st, "zz", true, &err),
			 DXT_ENOTFOUND);

	/* Delete is soft: the name is free, versions keep counting. */
	ck_assert_int_eq(dxt_store_pipeline_set_paused(st, "a", true, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_pipeline_delete(st, "a", &err), DXT_OK);
	ck_assert_int_eq(dxt_store_pipeline_get(st, "a", 0, &p, &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_pipeline_versions(st, "a", &vl, &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_pipeline_delete(st, "a", &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "delete pipeline a"));
	ck_assert_int_eq(dxt_store_pipeline_list(st, &pl, &err), DXT_OK);
	ck_assert_uint_eq(pl.n, 1);
	ck_assert_str_eq(pl.items[0].name, "b");
	dxt_store_pipeline_list_free(&pl);
	ck_assert_int_eq(dxt_store_pipeline_put(st, "a", doc_a, strlen(doc_a),
						DXT_DOC_YAML, true, &version,
						&created, &err),
			 DXT_OK);
	ck_assert_int_eq(version, 3);
	ck_assert(created);
	ck_assert_int_eq(dxt_store_pipeline_get(st, "a", 0, &p, &err), DXT_OK);
	ck_assert(!p.paused);
	dxt_store_pipeline_release(&p);
	ck_assert_int_eq(dxt_store_pipeline_versions(st, "a", &vl, &err),
			 DXT_OK);
	ck_assert_uint_eq(vl.n, 3);
	dxt_store_version_list_free(&vl);
	dxt_store_close(st);
}
END_TEST

START_TEST(test_values_are_bound)
{
	struct dxt_store *st = t_open();
	struct dxt_store_pipeline p = {0};
	struct dxt_error err = {0};
	const char *evil = "x'); DROP TABLE runs; --";

	t_put(st, evil, "name: \"it's\"\n", 1);
	ck_assert_int_eq(dxt_store_pipeline_get(st, evil, 0, &p, &err), DXT_OK);
	ck_assert_str_eq(p.name, evil);
	ck_assert_str_eq(p.document, "name: \"it's\"\n");
	dxt_store_pipeline_release(&p);
	/* A document is kept byte for byte, even with a NUL inside. */
	{
		static const char nul_doc[] = "name: n\0tail";
		int v = 0;

		ck_assert_int_eq(dxt_store_pipeline_put(st, "n", nul_doc,
							sizeof(nul_doc) - 1,
							DXT_DOC_YAML, false, &v,
							NULL, &err),
				 DXT_OK);
		ck_assert_int_eq(dxt_store_pipeline_get(st, "n", 0, &p, &err),
				 DXT_OK);
		ck_assert_uint_eq(p.document_len, sizeof(nul_doc) - 1);
		ck_assert_int_eq(memcmp(p.document, nul_doc, sizeof(nul_doc)),
				 0);
		dxt_store_pipeline_release(&p);
		ck_assert_int_eq(dxt_store_pipeline_put(st, NULL, "x", 1,
							DXT_DOC_YAML, false, &v,
							NULL, &err),
				 DXT_EINVAL);
	}
	t_run(st, "r'1", evil, DXT_RUN_QUEUED, 0);
	{
		struct dxt_store_run run = {0};

		ck_assert_int_eq(dxt_store_run_get(st, "r'1", &run, &err),
				 DXT_OK);
		ck_assert_str_eq(run.pipeline, evil);
		dxt_store_run_release(&run);
	}
	dxt_store_close(st);
}
END_TEST

/* --- runs ---------------------------------------------------------------- */

START_TEST(test_run_insert_get_update)
{
	struct dxt_store *st = t_open();
	struct dxt_store_run run = {0}, got = {0};
	struct dxt_error err = {0};

	t_put(st, "p", doc_a, 1);
	run.id = "r1";
	run.pipeline = "p";
	run.version = 1;
	run.trigger = DXT_TRIGGER_SCHEDULE;
	run.status = DXT_RUN_QUEUED;
	run.created_at = 1700000000000000;
	run.spool_dir = "/spool/runs/r1";
	run.options = json_pack("{s:[s], s:[s]}", "streams", "s1", "tags",
				"nightly");
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_OK);
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_EEXISTS);
	ck_assert_msg(strstr(err.message, "run with id r1 exists") &&
			      strstr(err.message, "insert run r1"),
		      "%s", err.message);
	json_decref(run.options);

	ck_assert_int_eq(dxt_store_run_get(st, "r1", &got, &err), DXT_OK);
	ck_assert_str_eq(got.id, "r1");
	ck_assert_str_eq(got.pipeline, "p");
	ck_assert_int_eq(got.version, 1);
	ck_assert_int_eq(got.trigger, DXT_TRIGGER_SCHEDULE);
	ck_assert_int_eq(got.status, DXT_RUN_QUEUED);
	ck_assert_int_eq(got.attempt, 1);
	ck_assert_ptr_null(got.parent_id);
	ck_assert(got.created_at == 1700000000000000);
	ck_assert(got.started_at == 0 && got.ended_at == 0);
	ck_assert_int_eq(got.error.code, DXT_OK);
	ck_assert_ptr_null(got.error_stream);
	ck_assert_str_eq(got.spool_dir, "/spool/runs/r1");
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(got.options, "tags"), 0)),
			 "nightly");
	dxt_store_run_release(&got);

	/* Update: running, then failed with stats and an error. */
	run.options = NULL;
	run.status = DXT_RUN_FAILED;
	run.started_at = 1700000001000000;
	run.ended_at = 1700000002500000;
	run.stats.rows_extracted = 1000;
	run.stats.rows_loaded = 990;
	run.stats.rows_rejected = 10;
	run.stats.bytes_staged = 123456789012;
	dxt_error_setc(&run.error, DXT_ETARGET, DXT_TRANSIENT,
		       DXT_ORIGIN_TARGET, "connection reset by peer");
	run.error_stream = "s1";
	ck_assert_int_eq(dxt_store_run_update(st, &run, &err), DXT_OK);
	ck_assert_int_eq(dxt_store_run_get(st, "r1", &got, &err), DXT_OK);
	ck_assert_int_eq(got.status, DXT_RUN_FAILED);
	ck_assert(got.started_at == 1700000001000000);
	ck_assert(got.ended_at == 1700000002500000);
	ck_assert(got.stats.rows_extracted == 1000);
	ck_assert(got.stats.rows_loaded == 990);
	ck_assert(got.stats.rows_rejected == 10);
	ck_assert(got.stats.bytes_staged == 123456789012);
	ck_assert_int_eq(got.error.code, DXT_ETARGET);
	ck_assert_int_eq(got.error.cls, DXT_TRANSIENT);
	ck_assert_int_eq(got.error.origin, DXT_ORIGIN_TARGET);
	ck_assert_str_eq(got.error.message, "connection reset by peer");
	ck_assert_str_eq(got.error_stream, "s1");
	/* Options are not rewritten by an update. */
	ck_assert_ptr_nonnull(got.options);
	dxt_store_run_release(&got);

	/* Retry: child of r1. */
	memset(&run, 0, sizeof(run));
	run.id = "r2";
	run.pipeline = "p";
	run.version = 1;
	run.trigger = DXT_TRIGGER_RETRY;
	run.attempt = 2;
	run.parent_id = "r1";
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_OK);
	ck_assert_int_eq(dxt_store_run_get(st, "r2", &got, &err), DXT_OK);
	ck_assert_str_eq(got.parent_id, "r1");
	ck_assert_int_eq(got.attempt, 2);
	ck_assert_int_eq(got.trigger, DXT_TRIGGER_RETRY);
	ck_assert(got.created_at > 0);
	dxt_store_run_release(&got);

	/* What does not exist. */
	run.id = "r3";
	run.parent_id = "nope";
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "no run with id nope"));
	run.parent_id = NULL;
	run.version = 7;
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message,
				     "pipeline p has no version 7"));
	run.pipeline = "q";
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "no pipeline named q"));
	ck_assert_int_eq(dxt_store_run_get(st, "r3", &got, &err),
			 DXT_ENOTFOUND);
	ck_assert_msg(strstr(err.message, "get run r3") &&
			      strstr(err.message, "dxtd.db"),
		      "%s", err.message);
	ck_assert_ptr_null(got.id);
	ck_assert_int_eq(dxt_store_run_update(st, &run, &err), DXT_ENOTFOUND);
	dxt_store_close(st);
}
END_TEST

/* The expected order: created_at descending, then id descending. */
static const struct {
	const char *id;
	int64_t at;
	const char *pipeline;
	enum dxt_run_status status;
} page_runs[] = {
	{"r01", 100, "p", DXT_RUN_SUCCEEDED},
	{"r02", 100, "q", DXT_RUN_FAILED},
	{"r03", 100, "p", DXT_RUN_FAILED},
	{"r04", 200, "p", DXT_RUN_SUCCEEDED},
	{"r05", 300, "q", DXT_RUN_SUCCEEDED},
	{"r06", 300, "p", DXT_RUN_FAILED},
	{"r07", 300, "p", DXT_RUN_SUCCEEDED},
	{"r08", 300, "q", DXT_RUN_FAILED},
	{"r09", 400, "p", DXT_RUN_SUCCEEDED},
	{"r10", 500, "p", DXT_RUN_FAILED},
	{"r11", 500, "q", DXT_RUN_SUCCEEDED},
	{"r12", 600, "p", DXT_RUN_RUNNING},
	{"r13", 50, "p", DXT_RUN_SUCCEEDED},
};
#define N_PAGE_RUNS (sizeof(page_runs) / sizeof(page_runs[0]))

static int cmp_expected(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (page_runs[i].at != page_runs[j].at)
		return page_runs[i].at > page_runs[j].at ? -1 : 1;
	return -strcmp(page_runs[i].id, page_runs[j].id);
}

/* Pages through with `f` and checks the concatenation against the runs
 * that match, in the expected order. */
static void t_page_all(struct dxt_store *st, struct dxt_store_run_filter f,
		       const char *pipeline, const enum dxt_run_status *status)
{
	size_t order[N_PAGE_RUNS], n = 0, seen = 0;
	char after[64] = "";
	struct dxt_error err = {0};
	int pages = 0;

	for (size_t i = 0; i < N_PAGE_RUNS; i++)
		if ((!pipeline ||
		     strcmp(page_runs[i].pipeline, pipeline) == 0) &&
		    (!status || page_runs[i].status == *status))
			order[n++] = i;
	qsort(order, n, sizeof(order[0]), cmp_expected);
	for (;;) {
		struct dxt_store_run_list l = {0};

		f.after = after[0] ? after : NULL;
		ck_assert_msg(dxt_store_run_list(st, &f, &l, &err) == DXT_OK,
			      "%s", err.message);
		ck_assert(l.n <= (size_t)f.limit);
		for (size_t i = 0; i < l.n; i++, seen++) {
			ck_assert(seen < n);
			ck_assert_str_eq(l.items[i].id,
					 page_runs[order[seen]].id);
		}
		pages++;
		if (l.next == NULL) {
			dxt_store_run_list_free(&l);
			break;
		}
		ck_assert_uint_eq(l.n, (size_t)f.limit);
		ck_assert_str_eq(l.next, l.items[l.n - 1].id);
		snprintf(after, sizeof(after), "%s", l.next);
		dxt_store_run_list_free(&l);
		ck_assert(pages < 100);
	}
	ck_assert_uint_eq(seen, n);
}

START_TEST(test_run_list_paging)
{
	struct dxt_store *st = t_open();
	struct dxt_store_run_filter f = {0};
	struct dxt_store_run_list l = {0};
	struct dxt_error err = {0};
	enum dxt_run_status failed = DXT_RUN_FAILED;

	t_put(st, "p", doc_a, 1);
	t_put(st, "q", "name: q\n", 1);
	for (size_t i = 0; i < N_PAGE_RUNS; i++)
		t_run(st, page_runs[i].id, page_runs[i].pipeline,
		      page_runs[i].status, page_runs[i].at);

	for (int limit = 1; limit <= 14; limit++) {
		f = (struct dxt_store_run_filter){0};
		f.limit = limit;
		t_page_all(st, f, NULL, NULL);
		f.pipeline = "p";
		t_page_all(st, f, "p", NULL);
		f.pipeline = NULL;
		f.has_status = true;
		f.status = DXT_RUN_FAILED;
		t_page_all(st, f, NULL, &failed);
		f.pipeline = "q";
		t_page_all(st, f, "q", &failed);
	}

	/* Default limit; first page holds all 13 and no next. */
	f = (struct dxt_store_run_filter){0};
	ck_assert_int_eq(dxt_store_run_list(st, NULL, &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, N_PAGE_RUNS);
	ck_assert_ptr_null(l.next);
	ck_assert_str_eq(l.items[0].id, "r12");
	ck_assert_str_eq(l.items[N_PAGE_RUNS - 1].id, "r13");
	dxt_store_run_list_free(&l);

	/* A run inserted between pages does not shift the next page. */
	f.limit = 4;
	ck_assert_int_eq(dxt_store_run_list(st, &f, &l, &err), DXT_OK);
	ck_assert_str_eq(l.next, "r09");
	t_run(st, "r99", "p", DXT_RUN_QUEUED, 700);
	f.after = "r09";
	dxt_store_run_list_free(&l);
	ck_assert_int_eq(dxt_store_run_list(st, &f, &l, &err), DXT_OK);
	ck_assert_str_eq(l.items[0].id, "r08");
	dxt_store_run_list_free(&l);

	/* Bad arguments. */
	f.after = "nope";
	ck_assert_int_eq(dxt_store_run_list(st, &f, &l, &err), DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "names run nope"));
	f.after = NULL;
	f.limit = DXT_STORE_LIST_MAX + 1;
	ck_assert_int_eq(dxt_store_run_list(st, &f, &l, &err), DXT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "limit 1001"));
	f.limit = -1;
	ck_assert_int_eq(dxt_store_run_list(st, &f, &l, &err), DXT_EINVAL);
	ck_assert_ptr_null(l.items);

	/* Unknown pipeline: an empty page. */
	f.limit = 0;
	f.pipeline = "zz";
	ck_assert_int_eq(dxt_store_run_list(st, &f, &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.next);
	dxt_store_run_list_free(&l);
	dxt_store_close(st);
}
END_TEST

START_TEST(test_run_interrupt_all)
{
	struct dxt_store *st = t_open();
	struct dxt_store_run_list l = {0};
	struct dxt_store_stream_run_list sl = {0};
	struct dxt_store_stream_run sr = {0};
	struct dxt_error err = {0};

	t_put(st, "p", doc_a, 1);
	t_run(st, "done", "p", DXT_RUN_SUCCEEDED, 10);
	t_run(st, "busy", "p", DXT_RUN_RUNNING, 20);
	t_run(st, "waiting", "p", DXT_RUN_QUEUED, 30);
	t_run(st, "busy2", "p", DXT_RUN_RUNNING, 15);

	sr.run_id = "busy";
	sr.stream = "extracting";
	sr.phase = DXT_PHASE_EXTRACTING;
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err), DXT_OK);
	sr.stream = "loading";
	sr.phase = DXT_PHASE_LOADING;
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err), DXT_OK);
	sr.stream = "loaded";
	sr.phase = DXT_PHASE_LOADED;
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err), DXT_OK);
	sr.run_id = "done";
	sr.stream = "x";
	sr.phase = DXT_PHASE_LOADING; /* inconsistent on purpose: untouched */
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err), DXT_OK);

	ck_assert_int_eq(dxt_store_run_list_status(st, DXT_RUN_RUNNING, &l,
						   &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0].id, "busy2");
	ck_assert_str_eq(l.items[1].id, "busy");
	ck_assert_ptr_null(l.next);
	dxt_store_run_list_free(&l);

	ck_assert_int_eq(dxt_store_run_interrupt_all(st, &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.items[0].id, "busy2");
	ck_assert_str_eq(l.items[1].id, "busy");
	ck_assert_str_eq(l.items[2].id, "waiting");
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_int_eq(l.items[i].status, DXT_RUN_INTERRUPTED);
		ck_assert(l.items[i].ended_at > 0);
		ck_assert_int_eq(l.items[i].error.code, DXT_ECANCELLED);
		ck_assert_int_eq(l.items[i].error.cls, DXT_TRANSIENT);
		ck_assert_ptr_nonnull(strstr(l.items[i].error.message,
					     "interrupted: dxtd stopped"));
	}
	ck_assert_ptr_nonnull(strstr(l.items[2].error.message,
				     "before the run started"));
	ck_assert_ptr_nonnull(strstr(l.items[1].error.message,
				     "/v1/runs/busy/retry"));
	dxt_store_run_list_free(&l);

	ck_assert_int_eq(dxt_store_stream_run_list(st, "busy", &sl, &err),
			 DXT_OK);
	ck_assert_uint_eq(sl.n, 3);
	ck_assert_int_eq(sl.items[0].phase, DXT_PHASE_FAILED);
	ck_assert_ptr_nonnull(strstr(sl.items[0].error.message,
				     "while the stream was extracting"));
	ck_assert_int_eq(sl.items[1].phase, DXT_PHASE_FAILED);
	ck_assert_ptr_nonnull(strstr(sl.items[1].error.message,
				     "while the stream was loading"));
	ck_assert(sl.items[1].ended_at > 0);
	ck_assert_int_eq(sl.items[2].phase, DXT_PHASE_LOADED);
	ck_assert_int_eq(sl.items[2].error.code, DXT_OK);
	dxt_store_stream_run_list_free(&sl);
	ck_assert_int_eq(dxt_store_stream_run_list(st, "done", &sl, &err),
			 DXT_OK);
	ck_assert_int_eq(sl.items[0].phase, DXT_PHASE_LOADING);
	dxt_store_stream_run_list_free(&sl);

	ck_assert_int_eq(dxt_store_run_list_status(st, DXT_RUN_INTERRUPTED, &l,
						   &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 3);
	dxt_store_run_list_free(&l);
	ck_assert_int_eq(dxt_store_run_list_status(st, DXT_RUN_SUCCEEDED, &l,
						   &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 1);
	dxt_store_run_list_free(&l);

	/* Nothing left in flight; a NULL out is allowed. */
	ck_assert_int_eq(dxt_store_run_interrupt_all(st, &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, 0);
	dxt_store_run_list_free(&l);
	ck_assert_int_eq(dxt_store_run_interrupt_all(st, NULL, &err), DXT_OK);
	dxt_store_close(st);
}
END_TEST

START_TEST(test_status_names)
{
	enum dxt_run_status s;

	for (int i = 0; i < DXT_RUN_STATUS_COUNT; i++) {
		ck_assert(dxt_run_status_parse(
			dxt_run_status_name((enum dxt_run_status)i), &s));
		ck_assert_int_eq(s, i);
	}
	ck_assert_str_eq(dxt_run_status_name(DXT_RUN_INTERRUPTED),
			 "interrupted");
	ck_assert(!dxt_run_status_parse("done", &s));
	ck_assert(!dxt_run_status_parse(NULL, &s));
	ck_assert(dxt_run_status_is_final(DXT_RUN_CANCELLED));
	ck_assert(!dxt_run_status_is_final(DXT_RUN_RUNNING));
	ck_assert_str_eq(dxt_run_trigger_name(DXT_TRIGGER_SCHEDULE),
			 "schedule");
	ck_assert_ptr_null(dxt_run_trigger_name((enum dxt_run_trigger)9));
}
END_TEST

/* --- stream runs --------------------------------------------------------- */

START_TEST(test_stream_runs)
{
	struct dxt_store *st = t_open();
	struct dxt_store_stream_run sr = {0};
	struct dxt_store_stream_run_list l = {0};
	struct dxt_error err = {0};

	t_put(st, "p", doc_a, 1);
	t_run(st, "r1", "p", DXT_RUN_RUNNING, 0);

	sr.run_id = "r1";
	sr.stream = "orders";
	sr.phase = DXT_PHASE_EXTRACTING;
	sr.extract_mode = DXT_EXTRACT_INCREMENTAL;
	sr.load_mode = DXT_LOAD_UPSERT;
	sr.started_at = 1000;
	sr.watermark_field = "updated_at";
	sr.watermark_from = json_string("2024-01-01 00:00:00");
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err), DXT_OK);
	sr.stream = "customers";
	sr.extract_mode = DXT_EXTRACT_FULL;
	sr.load_mode = DXT_LOAD_REPLACE;
	json_decref(sr.watermark_from);
	sr.watermark_from = NULL;
	sr.watermark_field = NULL;
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err), DXT_OK);

	/* The first stream moves on: staged, then failed. */
	sr.stream = "orders";
	sr.phase = DXT_PHASE_FAILED;
	sr.extract_mode = DXT_EXTRACT_INCREMENTAL;
	sr.load_mode = DXT_LOAD_UPSERT;
	sr.stats.rows_extracted = 42;
	sr.stats.bytes_staged = 4096;
	sr.stats.rows_rejected = 2;
	sr.ended_at = 2000;
	sr.watermark_field = "updated_at";
	sr.watermark_from = json_string("2024-01-01 00:00:00");
	sr.watermark_to = json_integer(17);
	dxt_error_setc(&sr.error, DXT_ETYPE, DXT_TERMINAL, DXT_ORIGIN_TARGET,
		       "row 7, column total: \"abc\" is not a decimal");
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err), DXT_OK);
	json_decref(sr.watermark_from);
	json_decref(sr.watermark_to);

	ck_assert_int_eq(dxt_store_stream_run_list(st, "r1", &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0].stream, "orders");
	ck_assert_str_eq(l.items[0].run_id, "r1");
	ck_assert_int_eq(l.items[0].phase, DXT_PHASE_FAILED);
	ck_assert_int_eq(l.items[0].extract_mode, DXT_EXTRACT_INCREMENTAL);
	ck_assert_int_eq(l.items[0].load_mode, DXT_LOAD_UPSERT);
	ck_assert(l.items[0].stats.rows_extracted == 42);
	ck_assert(l.items[0].stats.rows_rejected == 2);
	ck_assert(l.items[0].stats.bytes_staged == 4096);
	ck_assert(l.items[0].stats.rows_loaded == 0);
	ck_assert(l.items[0].started_at == 1000 && l.items[0].ended_at == 2000);
	ck_assert_str_eq(l.items[0].watermark_field, "updated_at");
	ck_assert_str_eq(json_string_value(l.items[0].watermark_from),
			 "2024-01-01 00:00:00");
	ck_assert_int_eq(json_integer_value(l.items[0].watermark_to), 17);
	ck_assert_int_eq(l.items[0].error.code, DXT_ETYPE);
	ck_assert_int_eq(l.items[0].error.origin, DXT_ORIGIN_TARGET);
	ck_assert_str_eq(l.items[0].error.message,
			 "row 7, column total: \"abc\" is not a decimal");
	ck_assert_str_eq(l.items[1].stream, "customers");
	ck_assert_int_eq(l.items[1].load_mode, DXT_LOAD_REPLACE);
	ck_assert_ptr_null(l.items[1].watermark_field);
	ck_assert_ptr_null(l.items[1].watermark_from);
	ck_assert_int_eq(l.items[1].error.code, DXT_OK);
	dxt_store_stream_run_list_free(&l);

	sr.run_id = "nope";
	ck_assert_int_eq(dxt_store_stream_run_upsert(st, &sr, &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_stream_run_list(st, "nope", &l, &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "no run with id nope"));
	dxt_store_close(st);
}
END_TEST

/* --- watermarks ---------------------------------------------------------- */

START_TEST(test_watermarks)
{
	struct dxt_store *st = t_open();
	struct dxt_store_watermark w = {0};
	struct dxt_store_watermark_list l = {0};
	struct dxt_error err = {0};
	json_t *v1 = json_string("2024-05-01T00:00:00Z");
	json_t *v2 = json_pack("{s:i, s:s}", "id", 7, "ts", "x");

	t_put(st, "p", doc_a, 1);
	t_run(st, "r1", "p", DXT_RUN_SUCCEEDED, 0);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "orders", &w, &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message,
				     "watermark of pipeline p stream orders"));
	ck_assert_int_eq(dxt_store_watermark_list(st, "p", &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, 0);

	ck_assert_int_eq(dxt_store_watermark_set(st, "p", "orders",
						 "updated_at", v1, "r1", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_set(st, "p", "customers", "id",
						 v2, NULL, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "orders", &w, &err),
			 DXT_OK);
	ck_assert_str_eq(w.pipeline, "p");
	ck_assert_str_eq(w.stream, "orders");
	ck_assert_str_eq(w.field, "updated_at");
	ck_assert(json_equal(w.value, v1));
	ck_assert_str_eq(w.run_id, "r1");
	ck_assert(w.updated_at > 0);
	dxt_store_watermark_release(&w);

	ck_assert_int_eq(dxt_store_watermark_list(st, "p", &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0].stream, "customers");
	ck_assert(json_equal(l.items[0].value, v2));
	ck_assert_ptr_null(l.items[0].run_id);
	ck_assert_str_eq(l.items[1].stream, "orders");
	dxt_store_watermark_list_free(&l);

	/* Set replaces. */
	ck_assert_int_eq(dxt_store_watermark_set(st, "p", "orders", "id", v2,
						 NULL, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "orders", &w, &err),
			 DXT_OK);
	ck_assert_str_eq(w.field, "id");
	ck_assert(json_equal(w.value, v2));
	ck_assert_ptr_null(w.run_id);
	dxt_store_watermark_release(&w);

	/* Unknown pipeline, unknown run. */
	ck_assert_int_eq(dxt_store_watermark_set(st, "zz", "s", "f", v1, NULL,
						 &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "no pipeline named zz"));
	ck_assert_int_eq(dxt_store_watermark_set(st, "p", "s", "f", v1, "r9",
						 &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_watermark_list(st, "zz", &l, &err),
			 DXT_ENOTFOUND);

	/* Reset one stream, then all. */
	ck_assert_int_eq(dxt_store_watermark_reset(st, "p", "orders", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "orders", &w, &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "customers", &w,
						 &err),
			 DXT_OK);
	dxt_store_watermark_release(&w);
	ck_assert_int_eq(dxt_store_watermark_reset(st, "p", NULL, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_list(st, "p", &l, &err), DXT_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(dxt_store_watermark_reset(st, "zz", NULL, &err),
			 DXT_ENOTFOUND);

	/* Deleting the pipeline drops its watermarks; re-creating starts
	 * without any. */
	ck_assert_int_eq(dxt_store_watermark_set(st, "p", "orders", "id", v2,
						 NULL, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_pipeline_delete(st, "p", &err), DXT_OK);
	t_put(st, "p", doc_a, 2);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "orders", &w, &err),
			 DXT_ENOTFOUND);
	json_decref(v1);
	json_decref(v2);
	dxt_store_close(st);
}
END_TEST

START_TEST(test_pending_watermarks)
{
	struct dxt_store *st = t_open();
	struct dxt_store_watermark w = {0};
	struct dxt_store_watermark_list l = {0};
	struct dxt_store_run run = {0};
	struct dxt_error err = {0};
	json_t *old = json_integer(100), *next = json_integer(250);
	json_t *later = json_integer(400);

	t_put(st, "p", doc_a, 1);
	t_run(st, "r1", "p", DXT_RUN_SUCCEEDED, 0);
	t_run(st, "r2", "p", DXT_RUN_RUNNING, 0);
	t_run(st, "r3", "p", DXT_RUN_QUEUED, 0);
	ck_assert_int_eq(dxt_store_watermark_set(st, "p", "s1", "id", old, "r1",
						 &err),
			 DXT_OK);

	/* Step 1: recorded before the load; committed value unchanged. */
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r2", "id",
						     next, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "s1", &w, &err),
			 DXT_OK);
	ck_assert(json_equal(w.value, old));
	dxt_store_watermark_release(&w);
	ck_assert_int_eq(dxt_store_watermark_pending(st, NULL, &l, &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].pipeline, "p");
	ck_assert_str_eq(l.items[0].stream, "s1");
	ck_assert_str_eq(l.items[0].run_id, "r2");
	ck_assert_str_eq(l.items[0].field, "id");
	ck_assert(json_equal(l.items[0].value, next));
	dxt_store_watermark_list_free(&l);

	/* Another run cannot take the stream while r2's value is pending. */
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r3", "id",
						     later, &err),
			 DXT_EEXISTS);
	ck_assert_ptr_nonnull(strstr(err.message, "run r2 holds a pending"));
	/* The same run may record again (a load attempt repeated). */
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r2", "id",
						     next, &err),
			 DXT_OK);

	/* Commit: the pending value becomes the watermark, once. */
	ck_assert_int_eq(dxt_store_watermark_commit(st, "p", "s1", "r3", &err),
			 DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message,
				     "run r3 has no pending watermark"));
	ck_assert_int_eq(dxt_store_watermark_commit(st, "p", "s1", "r2", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "s1", &w, &err),
			 DXT_OK);
	ck_assert(json_equal(w.value, next));
	ck_assert_str_eq(w.run_id, "r2");
	dxt_store_watermark_release(&w);
	ck_assert_int_eq(dxt_store_watermark_commit(st, "p", "s1", "r2", &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_watermark_pending(st, "p", &l, &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 0);

	/* Abort: the load rolled back, the watermark stays. */
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r3", "id",
						     later, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_abort(st, "p", "s1", "r3", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "s1", &w, &err),
			 DXT_OK);
	ck_assert(json_equal(w.value, next));
	dxt_store_watermark_release(&w);
	ck_assert_int_eq(dxt_store_watermark_abort(st, "p", "s1", "r3", &err),
			 DXT_ENOTFOUND);

	/* A retry (and a retry of it) takes over its ancestor's value. */
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r3", "id",
						     later, &err),
			 DXT_OK);
	run.id = "r3b";
	run.pipeline = "p";
	run.version = 1;
	run.trigger = DXT_TRIGGER_RETRY;
	run.status = DXT_RUN_FAILED;
	run.attempt = 2;
	run.parent_id = "r3";
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_OK);
	run.id = "r3c";
	run.attempt = 3;
	run.parent_id = "r3b";
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r3c",
						     "id", later, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_pending(st, "p", &l, &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].run_id, "r3c");
	dxt_store_watermark_list_free(&l);
	/* r1 is no ancestor of r3c: refused. */
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r1", "id",
						     later, &err),
			 DXT_EEXISTS);

	/* Reset clears pending values too. */
	ck_assert_int_eq(dxt_store_watermark_reset(st, "p", NULL, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_watermark_pending(st, NULL, &l, &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 0);

	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "nope",
						     "id", later, &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "zz", "s1", "r1",
						     "id", later, &err),
			 DXT_ENOTFOUND);
	json_decref(old);
	json_decref(next);
	json_decref(later);
	dxt_store_close(st);
}
END_TEST

/* --- events and counts --------------------------------------------------- */

START_TEST(test_events)
{
	struct dxt_store *st = t_open();
	struct dxt_store_event_list l = {0};
	struct dxt_error err = {0};
	int64_t before = dxt_now_us();

	t_put(st, "p", doc_a, 1);
	t_run(st, "r1", "p", DXT_RUN_RUNNING, 0);
	t_run(st, "r2", "p", DXT_RUN_RUNNING, 0);
	ck_assert_int_eq(dxt_store_event_append(st, "r1", 5, DXT_LOG_INFO, NULL,
						"run started", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_event_append(st, "r2", 6, DXT_LOG_INFO, NULL,
						"other run", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_event_append(st, "r1", 0, DXT_LOG_WARN,
						"orders", "3 rows rejected",
						&err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_event_append(st, "r1", 9, DXT_LOG_ERROR,
						"orders", "load failed", &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_store_event_append(st, "nope", 0, DXT_LOG_INFO,
						NULL, "x", &err),
			 DXT_ENOTFOUND);

	ck_assert_int_eq(dxt_store_event_list(st, "r1", 0, 0, &l, &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 3);
	ck_assert(l.items[0].time == 5);
	ck_assert_int_eq(l.items[0].level, DXT_LOG_INFO);
	ck_assert_ptr_null(l.items[0].stream);
	ck_assert_str_eq(l.items[0].message, "run started");
	ck_assert(l.items[1].time >= before);
	ck_assert_int_eq(l.items[1].level, DXT_LOG_WARN);
	ck_assert_str_eq(l.items[1].stream, "orders");
	ck_assert_int_eq(l.items[2].level, DXT_LOG_ERROR);
	ck_assert(l.items[0].seq < l.items[1].seq &&
		  l.items[1].seq < l.items[2].seq);
	{
		int64_t first = l.items[0].seq;

		dxt_store_event_list_free(&l);
		ck_assert_int_eq(dxt_store_event_list(st, "r1", first, 1, &l,
						      &err),
				 DXT_OK);
	}
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].message, "3 rows rejected");
	dxt_store_event_list_free(&l);
	ck_assert_int_eq(dxt_store_event_list(st, "nope", 0, 0, &l, &err),
			 DXT_ENOTFOUND);
	ck_assert_int_eq(dxt_store_event_list(st, "r1", 0, -1, &l, &err),
			 DXT_EINVAL);
	dxt_store_close(st);
}
END_TEST

START_TEST(test_counts)
{
	struct dxt_store *st = t_open();
	struct dxt_store_counts c;
	struct dxt_store_run run = {0};
	struct dxt_error err = {0};

	ck_assert_int_eq(dxt_store_counts(st, &c, &err), DXT_OK);
	ck_assert(c.pipelines == 0 && c.runs[DXT_RUN_QUEUED] == 0);
	t_put(st, "p", doc_a, 1);
	t_put(st, "q", doc_a, 1);
	t_put(st, "gone", doc_a, 1);
	ck_assert_int_eq(dxt_store_pipeline_delete(st, "gone", &err), DXT_OK);
	t_run(st, "a", "p", DXT_RUN_QUEUED, 0);
	t_run(st, "b", "p", DXT_RUN_QUEUED, 0);
	t_run(st, "c", "q", DXT_RUN_FAILED, 0);
	run.id = "d";
	run.pipeline = "q";
	run.version = 1;
	run.status = DXT_RUN_SUCCEEDED;
	run.stats = (struct dxt_run_stats){100, 90, 10, 5000};
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_OK);
	run.id = "e";
	run.stats = (struct dxt_run_stats){1, 1, 0, 7};
	ck_assert_int_eq(dxt_store_run_insert(st, &run, &err), DXT_OK);

	ck_assert_int_eq(dxt_store_counts(st, &c, &err), DXT_OK);
	ck_assert(c.pipelines == 2);
	ck_assert(c.runs[DXT_RUN_QUEUED] == 2);
	ck_assert(c.runs[DXT_RUN_RUNNING] == 0);
	ck_assert(c.runs[DXT_RUN_FAILED] == 1);
	ck_assert(c.runs[DXT_RUN_SUCCEEDED] == 2);
	ck_assert(c.totals.rows_extracted == 101);
	ck_assert(c.totals.rows_loaded == 91);
	ck_assert(c.totals.rows_rejected == 10);
	ck_assert(c.totals.bytes_staged == 5007);
	dxt_store_close(st);
}
END_TEST

/* --- durability and threads ---------------------------------------------- */

START_TEST(test_reopen_keeps_data)
{
	struct dxt_store *st = t_open();
	struct dxt_store_pipeline p = {0};
	struct dxt_store_run run = {0};
	struct dxt_store_watermark w = {0};
	struct dxt_store_watermark_list l = {0};
	struct dxt_error err = {0};
	json_t *v = json_string("2024-06-01");

	t_put(st, "p", doc_a, 1);
	t_put(st, "p", "name: p\n", 2);
	ck_assert_int_eq(dxt_store_pipeline_set_paused(st, "p", true, &err),
			 DXT_OK);
	t_run(st, "r1", "p", DXT_RUN_SUCCEEDED, 0);
	t_run(st, "r2", "p", DXT_RUN_RUNNING, 0);
	ck_assert_int_eq(dxt_store_watermark_set(st, "p", "s1", "d", v, "r1",
						 &err),
			 DXT_OK);
	/* A pending value survives a restart: recovery must see it. */
	ck_assert_int_eq(dxt_store_watermark_prepare(st, "p", "s1", "r2", "d",
						     v, &err),
			 DXT_OK);
	dxt_store_close(st);

	st = t_open();
	ck_assert_int_eq(dxt_store_pipeline_get(st, "p", 0, &p, &err), DXT_OK);
	ck_assert_int_eq(p.version, 2);
	ck_assert(p.paused);
	ck_assert_str_eq(p.document, "name: p\n");
	dxt_store_pipeline_release(&p);
	ck_assert_int_eq(dxt_store_run_get(st, "r1", &run, &err), DXT_OK);
	ck_assert_int_eq(run.status, DXT_RUN_SUCCEEDED);
	dxt_store_run_release(&run);
	ck_assert_int_eq(dxt_store_watermark_get(st, "p", "s1", &w, &err),
			 DXT_OK);
	ck_assert(json_equal(w.value, v));
	dxt_store_watermark_release(&w);
	ck_assert_int_eq(dxt_store_watermark_pending(st, NULL, &l, &err),
			 DXT_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].run_id, "r2");
	dxt_store_watermark_list_free(&l);
	ck_assert_int_eq(dxt_store_watermark_commit(st, "p", "s1", "r2", &err),
			 DXT_OK);
	json_decref(v);
	dxt_store_close(st);
}
END_TEST

#define THREAD_RUNS 60

struct worker {
	struct dxt_store *st;
	const char *prefix;
	int failures;
	char message[DXT_ERROR_MSG_MAX];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct dxt_error err = {0};

	for (int i = 0; i < THREAD_RUNS; i++) {
		struct dxt_store_run run = {0};
		struct dxt_store_run_list l = {0};
		struct dxt_store_event_list el = {0};
		char id[32];
		int rc;

		snprintf(id, sizeof(id), "%s-%03d", w->prefix, i);
		run.id = id;
		run.pipeline = "p";
		run.version = 1;
		run.status = DXT_RUN_RUNNING;
		rc = dxt_store_run_insert(w->st, &run, &err);
		if (rc == DXT_OK)
			rc = dxt_store_event_append(w->st, id, 0, DXT_LOG_INFO,
						    NULL, "started", &err);
		if (rc == DXT_OK) {
			run.status = DXT_RUN_SUCCEEDED;
			run.stats.rows_loaded = 1;
			rc = dxt_store_run_update(w->st, &run, &err);
		}
		if (rc == DXT_OK)
			rc = dxt_store_run_list(w->st, NULL, &l, &err);
		if (rc == DXT_OK)
			rc = dxt_store_event_list(w->st, id, 0, 0, &el, &err);
		if (rc == DXT_OK && el.n != 1)
			rc = DXT_EIO;
		dxt_store_run_list_free(&l);
		dxt_store_event_list_free(&el);
		if (rc != DXT_OK) {
			w->failures++;
			snprintf(w->message, sizeof(w->message), "%s",
				 err.message);
		}
	}
	return NULL;
}

START_TEST(test_two_threads)
{
	struct dxt_store *st = t_open();
	struct worker a = {st, "a", 0, ""}, b = {st, "b", 0, ""};
	struct dxt_store_counts c;
	struct dxt_error err = {0};
	pthread_t ta, tb;

	t_put(st, "p", doc_a, 1);
	ck_assert_int_eq(pthread_create(&ta, NULL, worker_main, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, worker_main, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_msg(a.failures == 0, "%d failures: %s", a.failures,
		      a.message);
	ck_assert_msg(b.failures == 0, "%d failures: %s", b.failures,
		      b.message);
	ck_assert_int_eq(dxt_store_counts(st, &c, &err), DXT_OK);
	ck_assert(c.runs[DXT_RUN_SUCCEEDED] == 2 * THREAD_RUNS);
	ck_assert(c.runs[DXT_RUN_RUNNING] == 0);
	ck_assert(c.totals.rows_loaded == 2 * THREAD_RUNS);
	dxt_store_close(st);
}
END_TEST

Suite *dxt_test_store(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	/* Every commit is fsynced (synchronous=FULL); give slow disks room. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_open_wal_and_schema);
	tcase_add_test(tc, test_migrations_idempotent);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_foreign_database);
	tcase_add_test(tc, test_malformed_file);
	tcase_add_test(tc, test_state_dir_unusable);
	tcase_add_test(tc, test_pipelines);
	tcase_add_test(tc, test_values_are_bound);
	tcase_add_test(tc, test_run_insert_get_update);
	tcase_add_test(tc, test_run_list_paging);
	tcase_add_test(tc, test_run_interrupt_all);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_stream_runs);
	tcase_add_test(tc, test_watermarks);
	tcase_add_test(tc, test_pending_watermarks);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_reopen_keeps_data);
	tcase_add_test(tc, test_two_threads);
	suite_add_tcase(s, tc);
	return s;
}
