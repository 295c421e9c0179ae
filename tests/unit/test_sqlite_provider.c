/*
 * test_sqlite_provider.c - the sqlite provider, loaded from its shared
 * object like the daemon does, against real databases in a temp folder,
 * with data staged through the real buffer. The relational helpers and the
 * type mapper are compiled in as well, to test them one by one.
 */
#include <check.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "engine/buffer.h"
#include "engine/convert.h"
#include "engine/operator.h"

/* Private copies of the helpers (the shared object's are hidden). */
#include "providers/base/relational.c"
#include "providers/sqlite/typemap.c"

static void *so;
static const struct dxt_provider *provider;
static const struct dxt_operator *loader, *extractor, *connector;

static void so_open(void)
{
	const char *build = getenv("DXT_BUILD");
	char path[PATH_MAX], exe[PATH_MAX];
	ssize_t n;

	if (build != NULL) {
		snprintf(path, sizeof(path), "%s/providers/sqlite.so", build);
	} else {
		/* build/<O>/tests/unit -> build/<O>/providers/sqlite.so */
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		ck_assert_int_gt(n, 0);
		exe[n] = '\0';
		for (int up = 0; up < 2; up++)
			*strrchr(exe, '/') = '\0';
		snprintf(path, sizeof(path), "%s/providers/sqlite.so", exe);
	}
	so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (so == NULL)
		ck_abort_msg("dlopen %s: %s", path, dlerror());
	provider = dlsym(so, "dxt_provider");
	loader = dlsym(so, "SQLiteLoader");
	extractor = dlsym(so, "SQLiteExtractor");
	connector = dlsym(so, "SQLiteConnector");
}

static void so_close(void)
{
	if (so != NULL)
		dlclose(so);
	so = NULL;
}

/* --- a stream's surroundings ---------------------------------------------- */

struct env {
	char dir[64];
	char db[128];
	char stream_dir[128];
	int nstage;
	json_t *config, *source, *target;
	json_t *watermark;
	char *keys[4];
	struct dxt_extract_opts extract;
	struct dxt_load_opts load;
	atomic_int cancel;
	struct dxt_op_progress progress;
	struct dxt_op_ctx ctx;
	struct dxt_error err;
	sqlite3 *h;
	const char *load_id;
	char log[4096];         /* the operator's log lines */
};

static struct env E;

static void capture_log(void *log_ctx, enum dxt_log_level level,
			const char *msg)
{
	size_t n = strlen(E.log);

	(void)log_ctx;
	(void)level;
	snprintf(E.log + n, sizeof(E.log) - n, "%s\n", msg);
}

static void env_setup(void)
{
	memset(&E, 0, sizeof(E));
	snprintf(E.dir, sizeof(E.dir), "/tmp/dxt-sqlite-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(E.dir));
	snprintf(E.db, sizeof(E.db), "%s/t.db", E.dir);
	snprintf(E.stream_dir, sizeof(E.stream_dir), "%s/out", E.dir);
	E.config = json_pack("{s:s}", "path", "t.db");
	E.source = json_pack("{s:s}", "relation", "t");
	E.target = json_pack("{s:s}", "name", "t");
	E.extract.batch_size = 65536;
	E.load.batch_size = 65536;
	ck_assert_int_eq(sqlite3_open(E.db, &E.h), SQLITE_OK);
}

static void env_teardown(void)
{
	sqlite3_close(E.h);
	dxt_remove_tree(E.dir, NULL);
	json_decref(E.config);
	json_decref(E.source);
	json_decref(E.target);
	json_decref(E.watermark);
}

static struct dxt_op_ctx *ctx(void)
{
	struct dxt_op_ctx *c = &E.ctx;

	memset(c, 0, sizeof(*c));
	c->pipeline = "p";
	c->stream = "s";
	c->run_id = "r1";
	c->config = E.config;
	c->source = E.source;
	c->target = E.target;
	c->extract = &E.extract;
	c->load = &E.load;
	c->stream_dir = E.stream_dir;
	c->base_dir = E.dir;
	c->watermark = E.watermark;
	c->cancel = &E.cancel;
	c->progress = &E.progress;
	c->log = capture_log;
	c->load_id = E.load_id;
	dxt_error_clear(&E.err);
	return c;
}

static void sql(const char *text)
{
	char *msg = NULL;

	if (sqlite3_exec(E.h, text, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("%s: %s", text, msg);
}

/* The first column of the first row as text ("NULL" for null). */
static const char *query(const char *text)
{
	static char out[4096];
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(E.h, text, -1, &st, NULL) != SQLITE_OK)
		ck_abort_msg("%s: %s", text, sqlite3_errmsg(E.h));
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		snprintf(out, sizeof(out), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	else
		snprintf(out, sizeof(out), "NULL");
	sqlite3_finalize(st);
	return out;
}

/* "id:int64;amount:decimal(12,2)" -> schema (all nullable). */
static struct dxt_schema *schema_of(const char *spec)
{
	struct dxt_schema *s = dxt_schema_create();
	char *copy = strdup(spec), *p = copy;

	while (p != NULL && *p != '\0') {
		char *end = strchr(p, ';'), *colon;
		enum dxt_type type;
		int prec, scale;

		if (end != NULL)
			*end = '\0';
		colon = strchr(p, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_int_eq(dxt_type_parse(colon + 1, &type, &prec, &scale,
						NULL),
				 DXT_OK);
		ck_assert_int_eq(dxt_schema_add(s, p, type, prec, scale, true,
						NULL),
				 DXT_OK);
		p = end != NULL ? end + 1 : NULL;
	}
	free(copy);
	return s;
}

static void schema_string(const struct dxt_schema *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && o < len; i++) {
		char type[64];

		dxt_field_type_string(&s->fields[i], type, sizeof(type));
		o += (size_t)snprintf(buf + o, len - o, "%s%s:%s", i ? ";" : "",
				      s->fields[i].name, type);
	}
}

/*
 * Stages rows (cells row by row, NULL = null) into a fresh stream folder
 * and opens a reader on it, as the engine does before a load.
 */
static struct dxt_buffer_reader *stage(const char *spec,
				       const char *const *cells, size_t nrows)
{
	struct dxt_schema *s = schema_of(spec);
	struct dxt_buffer_opts opts;
	struct dxt_buffer_writer *w;
	struct dxt_buffer_reader *r;
	struct dxt_batch b;
	struct dxt_error err;
	char dir[160], why[200];

	snprintf(dir, sizeof(dir), "%s/stage%d", E.dir, E.nstage++);
	dxt_buffer_opts_default(&opts);
	opts.fsync = false;
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "s", &opts, &w, &err),
			 DXT_OK);
	ck_assert_int_eq(dxt_buffer_writer_schema(w, s, &err), DXT_OK);
	ck_assert_int_eq(dxt_batch_init(&b, s), DXT_OK);
	for (size_t r = 0; r < nrows; r++) {
		for (size_t c = 0; c < s->n; c++) {
			const char *v = cells[r * s->n + c];

			if (v == NULL) {
				ck_assert(dxt_col_append_null(&b.cols[c]) ==
					  DXT_OK);
				continue;
			}
			if (dxt_value_parse_append(&b.cols[c], &s->fields[c], v,
						   strlen(v), why,
						   sizeof(why)) != DXT_OK)
				ck_abort_msg("staging %s: %s", v, why);
		}
		dxt_batch_end_row(&b);
	}
	if (dxt_buffer_writer_batch(w, &b, &err) != DXT_OK ||
	    dxt_buffer_writer_commit(w, &err) != DXT_OK)
		ck_abort_msg("staging: %s", err.message);
	dxt_buffer_writer_destroy(w);
	dxt_batch_release(&b);
	dxt_schema_destroy(s);
	if (dxt_buffer_reader_open(dir, NULL, &r, &err) != DXT_OK)
		ck_abort_msg("reader: %s", err.message);
	return r;
}

static int load(struct dxt_buffer_reader *r, struct dxt_load_result *res)
{
	struct dxt_load_result ignored;
	int rc;

	memset(res ? res : &ignored, 0xff, sizeof(ignored));
	rc = loader->load(ctx(), r, res ? res : &ignored, &E.err);
	dxt_buffer_reader_destroy(r);
	return rc;
}

/* A new reader on the folder staged last: the same buffer loaded again. */
static struct dxt_buffer_reader *restage(void)
{
	struct dxt_buffer_reader *r;
	struct dxt_error err;
	char dir[160];

	snprintf(dir, sizeof(dir), "%s/stage%d", E.dir, E.nstage - 1);
	if (dxt_buffer_reader_open(dir, NULL, &r, &err) != DXT_OK)
		ck_abort_msg("reader: %s", err.message);
	return r;
}

static int load_rows(const char *spec, const char *const *cells,
		     size_t nrows, struct dxt_load_result *res)
{
	return load(stage(spec, cells, nrows), res);
}

static void set_source(const char *key, const char *value)
{
	json_decref(E.source);
	E.source = json_pack("{s:s}", key, value);
}

/* Runs the extractor into E.stream_dir; returns its code. */
static int extract(uint64_t *rejects)
{
	struct dxt_buffer_opts opts;
	struct dxt_buffer_writer *w;
	struct dxt_error err;
	int rc;

	dxt_buffer_opts_default(&opts);
	opts.fsync = false;
	ck_assert_int_eq(dxt_buffer_writer_open(E.stream_dir, "s", &opts, &w,
						&err),
			 DXT_OK);
	rc = extractor->extract(ctx(), w, &E.err);
	if (rc == DXT_OK && dxt_buffer_writer_commit(w, &err) != DXT_OK)
		ck_abort_msg("commit: %s", err.message);
	if (rejects != NULL)
		*rejects = dxt_buffer_writer_rejects(w);
	dxt_buffer_writer_destroy(w);
	return rc;
}

/*
 * Reads a staged stream back: rows as "a|b|c\n" in canonical text (NULL
 * for null); the schema and watermark when asked for.
 */
static char *read_rows(const char *dir, char *schema, size_t len,
		       json_t **watermark)
{
	struct dxt_buffer_reader *r;
	struct dxt_batch *b;
	struct dxt_buf out = {0};
	struct dxt_error err;
	const struct dxt_manifest *m;
	int rc;

	if (dxt_buffer_reader_open(dir, NULL, &r, &err) != DXT_OK)
		ck_abort_msg("reader: %s", err.message);
	m = dxt_buffer_reader_manifest(r);
	if (schema != NULL)
		schema_string(m->schema, schema, len);
	if (watermark != NULL)
		*watermark = m->watermark ? json_deep_copy(m->watermark) : NULL;
	while ((rc = dxt_buffer_reader_next(r, &b, &err)) == 1) {
		for (size_t i = 0; i < b->nrows; i++) {
			for (size_t c = 0; c < b->ncols; c++) {
				if (c > 0)
					dxt_buf_putc(&out, '|');
				if (!dxt_col_is_valid(&b->cols[c], i))
					dxt_buf_puts(&out, "NULL");
				else
					dxt_value_format(&b->cols[c],
							 &m->schema->fields[c],
							 i, &out);
			}
			dxt_buf_putc(&out, '\n');
		}
	}
	ck_assert_int_eq(rc, 0);
	dxt_buf_putc(&out, '\0');
	dxt_buffer_reader_destroy(r);
	return (char *)out.data;
}

static void assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		ck_abort_msg("expected \"%s\" in: %s", part, text);
}

/* --- descriptors and configuration ---------------------------------------- */

START_TEST(descriptors)
{
	size_t n = 0;

	ck_assert_ptr_nonnull(provider);
	ck_assert_uint_eq(provider->abi_version, DXT_ABI_VERSION);
	ck_assert_str_eq(provider->name, "sqlite");
	ck_assert_int_eq(provider->category, DXT_CAT_RELATIONAL);
	ck_assert_str_eq(provider->default_extractor, "SQLiteExtractor");
	ck_assert_str_eq(provider->default_loader, "SQLiteLoader");
	for (; provider->operators[n] != NULL; n++)
		ck_assert_uint_eq(provider->operators[n]->abi_version,
				  DXT_ABI_VERSION);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(loader->kind, DXT_KIND_LOADER);
	ck_assert_int_eq(loader->unit, DXT_UNIT_RECORDS);
	ck_assert_ptr_nonnull(loader->load);
	ck_assert_int_eq(extractor->kind, DXT_KIND_EXTRACTOR);
	ck_assert_ptr_nonnull(extractor->extract);
	ck_assert_int_eq(connector->kind, DXT_KIND_CONNECTOR);
	ck_assert_ptr_nonnull(connector->check);
	ck_assert_str_eq(connector->name, "SQLiteConnector");
	/* Nothing but the descriptors is visible. */
	ck_assert_ptr_null(dlsym(so, "dxt_rel_name_parse"));
}
END_TEST

START_TEST(config_errors)
{
	json_decref(E.config);
	E.config = json_pack("{s:s, s:i}", "path", "t.db", "paht", 1);
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_ECONFIG);
	assert_contains(E.err.message, "unknown key \"paht\"");
	ck_assert_int_eq(E.err.origin, DXT_ORIGIN_CONFIG);

	json_decref(E.config);
	E.config = json_pack("{s:s, s:s}", "path", "a.db", "url",
			     "sqlite:///b.db");
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_ECONFIG);
	assert_contains(E.err.message, "either");

	json_decref(E.config);
	E.config = json_pack("{s:s}", "url", "postgres://x/y");
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_ECONFIG);
	assert_contains(E.err.message, "postgres://x/y");

	json_decref(E.config);
	E.config = json_pack("{s:s, s:s}", "path", "t.db", "busy_timeout_ms",
			     "soon");
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_ECONFIG);
	assert_contains(E.err.message, "busy_timeout_ms");

	json_decref(E.config);
	E.config = json_pack("{s:s, s:{s:i}}", "path", "t.db", "pragmas",
			     "user_version; DROP", 1);
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_ECONFIG);
	assert_contains(E.err.message, "user_version; DROP");

	json_decref(E.config);
	E.config = json_pack("{s:s}", "url", "sqlite://t.db");
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_OK);
}
END_TEST

START_TEST(connector_check)
{
	FILE *f;
	char path[160];

	/* The fixture created t.db: an empty database is a database. */
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_OK);

	snprintf(path, sizeof(path), "%s/junk.db", E.dir);
	f = fopen(path, "w");
	fputs("this is not a database, just some text that is long enough "
	      "to have a header\n",
	      f);
	fclose(f);
	json_decref(E.config);
	E.config = json_pack("{s:s}", "path", "junk.db");
	ck_assert_int_ne(connector->check(ctx(), &E.err), DXT_OK);
	assert_contains(E.err.message, "junk.db");
	assert_contains(E.err.message, "not a database");

	json_decref(E.config);
	E.config = json_pack("{s:s}", "path", "no/such/dir/x.db");
	ck_assert_int_eq(connector->check(ctx(), &E.err), DXT_ENOTFOUND);
	assert_contains(E.err.message, "no/such/dir/x.db");

	/* The operators check their own side too. */
	json_decref(E.config);
	E.config = json_pack("{s:s}", "path", "t.db");
	sql("CREATE TABLE t (id INTEGER); CREATE VIEW v AS SELECT * FROM t;");
	ck_assert_int_eq(extractor->check(ctx(), &E.err), DXT_OK);
	set_source("relation", "nosuch");
	ck_assert_int_eq(extractor->check(ctx(), &E.err), DXT_ESOURCE);
	assert_contains(E.err.message, "no such table: nosuch");
	set_source("sql", "SELECT id FROM t WHERE AND");
	ck_assert_int_eq(extractor->check(ctx(), &E.err), DXT_ESOURCE);
	assert_contains(E.err.message, "syntax error");
	ck_assert_int_eq(loader->check(ctx(), &E.err), DXT_OK);
	json_decref(E.target);
	E.target = json_pack("{s:s}", "name", "v");
	ck_assert_int_eq(loader->check(ctx(), &E.err), DXT_ESCHEMA);
	assert_contains(E.err.message, "table \"v\" is a view");
	json_decref(E.target);
	E.target = json_pack("{s:s, s:b}", "name", "new", "create", 0);
	ck_assert_int_eq(loader->check(ctx(), &E.err), DXT_ENOTFOUND);
	json_decref(E.config);
	E.config = json_pack("{s:s}", "path", "fresh.db");
	ck_assert_int_eq(loader->check(ctx(), &E.err), DXT_ENOTFOUND);
	json_decref(E.target);
	E.target = json_pack("{s:s}", "name", "new");
	ck_assert_int_eq(loader->check(ctx(), &E.err), DXT_OK);

	/* The extractor insists on an existing file. */
	json_decref(E.config);
	E.config = json_pack("{s:s}", "path", "missing.db");
	ck_assert_int_eq(extract(NULL), DXT_ENOTFOUND);
	assert_contains(E.err.message, "missing.db");
}
END_TEST

/* --- loading -------------------------------------------------------------- */

START_TEST(append_creates_then_appends)
{
	static const char *rows[] = {"1", "a", "1.50", "2", NULL, "-2.25"};
	static const char *more[] = {"3", "c", "0.01"};
	struct dxt_load_result res;

	ck_assert_int_eq(load_rows("id:int64;name:string;amount:decimal(12,2)",
				   rows, 2, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_uint_eq(res.rows_rejected, 0);
	ck_assert_uint_eq(atomic_load(&E.progress.rows), 2);
	ck_assert_str_eq(query("SELECT group_concat(name || ' ' || type, ', ') "
			       "FROM pragma_table_info('t')"),
			 "id BIGINT, name TEXT, amount DECIMAL(12,2)");
	ck_assert_str_eq(query("SELECT group_concat(id || '/' || "
			       "coalesce(name, '-') || '/' || amount || '/' || "
			       "typeof(amount), ' ') FROM t"),
			 "1/a/1.5/real 2/-/-2.25/real");

	ck_assert_int_eq(load_rows("id:int64;name:string;amount:decimal(12,2)",
				   more, 1, &res),
			 DXT_OK);
	ck_assert_str_eq(query("SELECT count(*) || ' ' || sum(amount) FROM t"),
			 "3 -0.74");
}
END_TEST

#define ALL_TYPES                                                            \
	"b:bool;i8:int8;i16:int16;i32:int32;i64:int64;f32:float32;"         \
	"f64:float64;d:decimal(12,2);dw:decimal(30,10);s:string;"           \
	"bin:binary;dt:date;tm:time;ts:timestamp;tz:timestamptz;u:uuid;"     \
	"j:json"

START_TEST(round_trip_every_type)
{
	static const char *rows[] = {
		"true", "-128", "32767", "-2147483648", "9223372036854775807",
		"1.5", "0.1", "12345678.90",
		"12345678901234567890.0123456789", "h\xc3\xa9llo, \"w\"",
		"\\x00ff10", "2024-02-29", "13:45:00.123456",
		"2024-01-31 13:45:00.5", "2024-01-31 13:45:00+00:00",
		"123e4567-e89b-12d3-a456-426614174000", "{\"a\": [1, 2]}",

		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL,

		"false", "0", "0", "0", "-1", "-0.25", "1e300", "-0.01",
		"-0.0000000001", "", "\\x", "1970-01-01", "00:00:00",
		"1969-12-31 23:59:59.999999", "2000-01-01 00:00:00+00:00",
		"00000000-0000-0000-0000-000000000000", "[]",
	};
	struct dxt_buffer_reader *r = stage(ALL_TYPES, rows, 3);
	char staged_dir[160], schema[1024];
	char *expected, *got;

	snprintf(staged_dir, sizeof(staged_dir), "%s/stage0", E.dir);
	expected = read_rows(staged_dir, NULL, 0, NULL);
	ck_assert_int_eq(load(r, NULL), DXT_OK);
	ck_assert_str_eq(query("SELECT group_concat(type, ' ') FROM "
			       "pragma_table_info('t')"),
			 "BOOLEAN TINYINT SMALLINT INT4 BIGINT FLOAT4 REAL "
			 "DECIMAL(12,2) DECIMAL_TEXT(30,10) TEXT BLOB DATE "
			 "TIME TIMESTAMP TIMESTAMPTZ UUID JSON");
	/* Storage: numbers as numbers, the wide decimal as its exact text. */
	ck_assert_str_eq(query("SELECT typeof(b) || typeof(d) || typeof(dw) || "
			       "dw || typeof(bin) || tz FROM t LIMIT 1"),
			 "integerrealtext12345678901234567890.0123456789blob"
			 "2024-01-31 13:45:00+00:00");

	ck_assert_int_eq(extract(NULL), DXT_OK);
	got = read_rows(E.stream_dir, schema, sizeof(schema), NULL);
	ck_assert_str_eq(schema, ALL_TYPES);
	ck_assert_str_eq(got, expected);
	free(got);
	free(expected);
}
END_TEST

START_TEST(replace_swaps_and_keeps_indexes)
{
	static const char *rows[] = {"10", "new", "11", "new2"};
	struct dxt_load_result res;

	sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	    "CREATE INDEX t_name ON t (name);"
	    "CREATE VIEW v AS SELECT id FROM t;"
	    "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN SELECT 1; END;"
	    "INSERT INTO t VALUES (1, 'old'), (2, 'old2');");
	E.load.mode = DXT_LOAD_REPLACE;
	ck_assert_int_eq(load_rows("id:int64;name:string", rows, 2, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM t"),
			 "10new,11new2");
	ck_assert_str_eq(query("SELECT count(*) FROM v"), "2");
	ck_assert_str_eq(query("SELECT group_concat(type || ':' || name, ' ') "
			       "FROM (SELECT * FROM sqlite_master ORDER BY "
			       "name)"),
			 "table:t trigger:t_ins index:t_name view:v");
	/* The table's own definition survived the swap. */
	assert_contains(query("SELECT sql FROM sqlite_master WHERE name = 't'"),
			"NOT NULL");
}
END_TEST

START_TEST(replace_failure_leaves_old_table)
{
	static const char *rows[] = {"10", "x", "11", NULL, "12", "z"};

	sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	    "CREATE INDEX t_name ON t (name);"
	    "INSERT INTO t VALUES (1, 'old'), (2, 'old2');");
	E.load.mode = DXT_LOAD_REPLACE;
	ck_assert_int_eq(load_rows("id:int64;name:string", rows, 3, NULL),
			 DXT_ETARGET);
	assert_contains(E.err.message, "table \"t\"");
	assert_contains(E.err.message, "row 2");
	assert_contains(E.err.message, "NOT NULL");
	ck_assert_int_eq(E.err.origin, DXT_ORIGIN_TARGET);
	ck_assert_int_eq(E.err.cls, DXT_TERMINAL);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM t"),
			 "1old,2old2");
	ck_assert_str_eq(query("SELECT group_concat(name, ' ') FROM (SELECT "
			       "name FROM sqlite_master ORDER BY name)"),
			 "t t_name");
}
END_TEST

START_TEST(replace_creates_missing_table)
{
	static const char *rows[] = {"1", "a"};

	E.load.mode = DXT_LOAD_REPLACE;
	ck_assert_int_eq(load_rows("id:int64;name:string", rows, 1, NULL),
			 DXT_OK);
	ck_assert_str_eq(query("SELECT group_concat(name, ' ') FROM "
			       "sqlite_master"),
			 "t");
	ck_assert_str_eq(query("SELECT id || name FROM t"), "1a");
}
END_TEST

START_TEST(upsert_updates_and_inserts)
{
	static const char *first[] = {"1", "a", "2", "b"};
	static const char *second[] = {"2", "B", "3", "c"};
	static char *keys[] = {"id"};
	struct dxt_load_result res;

	E.load.mode = DXT_LOAD_UPSERT;
	E.load.upsert_keys = keys;
	E.load.n_upsert_keys = 1;
	ck_assert_int_eq(load_rows("id:int64;name:string", first, 2, NULL),
			 DXT_OK);
	assert_contains(query("SELECT sql FROM sqlite_master WHERE name = 't'"),
			"PRIMARY KEY (\"id\")");
	ck_assert_int_eq(load_rows("id:int64;name:string", second, 2, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM "
			       "(SELECT * FROM t ORDER BY id)"),
			 "1a,2B,3c");
}
END_TEST

START_TEST(upsert_composite_unique_index)
{
	static const char *rows[] = {"eu", "1", "x", "us", "1", "y"};
	static char *keys[] = {"region", "id"};

	sql("CREATE TABLE t (id BIGINT, region TEXT, v TEXT);"
	    "CREATE UNIQUE INDEX t_key ON t (id, region);"
	    "INSERT INTO t VALUES (1, 'eu', 'old');");
	E.load.mode = DXT_LOAD_UPSERT;
	E.load.upsert_keys = keys;
	E.load.n_upsert_keys = 2;
	ck_assert_int_eq(load_rows("region:string;id:int64;v:string", rows, 2,
				   NULL),
			 DXT_OK);
	ck_assert_str_eq(query("SELECT group_concat(region || v) FROM "
			       "(SELECT * FROM t ORDER BY region)"),
			 "eux,usy");
}
END_TEST

START_TEST(upsert_needs_unique_index)
{
	static const char *rows[] = {"1", "a"};
	static char *keys[] = {"id"};

	sql("CREATE TABLE t (id INTEGER, name TEXT);"
	    "CREATE UNIQUE INDEX t_pair ON t (id, name);");
	E.load.mode = DXT_LOAD_UPSERT;
	E.load.upsert_keys = keys;
	E.load.n_upsert_keys = 1;
	ck_assert_int_eq(load_rows("id:int64;name:string", rows, 1, NULL),
			 DXT_ESCHEMA);
	assert_contains(E.err.message, "table \"t\"");
	assert_contains(E.err.message, "(\"id\")");
	assert_contains(E.err.message, "CREATE UNIQUE INDEX");
	ck_assert_str_eq(query("SELECT count(*) FROM t"), "0");

	/* A key that is not in the data is a configuration error. */
	keys[0] = "nope";
	ck_assert_int_eq(load_rows("id:int64;name:string", rows, 1, NULL),
			 DXT_ECONFIG);
	assert_contains(E.err.message, "\"nope\"");
	keys[0] = "id";
}
END_TEST

START_TEST(schema_policies)
{
	static const char *rows[] = {"1", "a", "5", "2", "b", NULL};
	const char *spec = "id:int64;name:string;extra:int32";
	struct dxt_load_result res;

	sql("CREATE TABLE t (id BIGINT, name TEXT, note TEXT)");
	E.load.schema_policy = DXT_SCHEMA_FREEZE;
	ck_assert_int_eq(load_rows(spec, rows, 2, NULL), DXT_ESCHEMA);
	assert_contains(E.err.message, "column \"extra\" (int32) is not in "
				       "the table");
	assert_contains(E.err.message, "column \"note\" (string (TEXT)) is "
				       "not in the data");

	E.load.schema_policy = DXT_SCHEMA_DISCARD_VALUE;
	ck_assert_int_eq(load_rows(spec, rows, 2, &res), DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);

	E.load.schema_policy = DXT_SCHEMA_DISCARD_ROW;
	ck_assert_int_eq(load_rows(spec, rows, 2, &res), DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 1);
	ck_assert_uint_eq(res.rows_rejected, 1);
	ck_assert_str_eq(query("SELECT group_concat(id) FROM t"), "1,2,2");

	E.load.schema_policy = DXT_SCHEMA_EVOLVE;
	ck_assert_int_eq(load_rows(spec, rows, 2, &res), DXT_OK);
	ck_assert_str_eq(query("SELECT group_concat(name || ' ' || type, ', ') "
			       "FROM pragma_table_info('t')"),
			 "id BIGINT, name TEXT, note TEXT, extra INT4");
	ck_assert_str_eq(query("SELECT group_concat(coalesce(extra, '-')) FROM "
			       "t"),
			 "-,-,-,5,-");
}
END_TEST

START_TEST(target_errors)
{
	static const char *rows[] = {"1"};

	sql("CREATE TABLE base (id INTEGER); CREATE VIEW t AS SELECT * FROM "
	    "base;");
	ck_assert_int_eq(load_rows("id:int64", rows, 1, NULL), DXT_ESCHEMA);
	assert_contains(E.err.message, "is a view");

	json_decref(E.target);
	E.target = json_pack("{s:s, s:b}", "name", "absent", "create", 0);
	ck_assert_int_eq(load_rows("id:int64", rows, 1, NULL), DXT_ENOTFOUND);
	assert_contains(E.err.message, "table \"absent\" does not exist");

	json_decref(E.target);
	E.target = json_pack("{s:s, s:s}", "name", "t", "mode", "x");
	ck_assert_int_eq(load_rows("id:int64", rows, 1, NULL), DXT_ECONFIG);
	assert_contains(E.err.message, "unknown key \"mode\"");

	/* Quoting by the rules: a name with quotes and dots is one table. */
	json_decref(E.target);
	E.target = json_pack("{s:s}", "table", "\"we\"\"ird.name\"");
	ck_assert_int_eq(load_rows("id:int64", rows, 1, NULL), DXT_OK);
	ck_assert_str_eq(query("SELECT count(*) FROM \"we\"\"ird.name\""),
			 "1");
}
END_TEST

START_TEST(load_value_errors)
{
	static const char *rows[] = {"1", "1.5", "2", "nan", "3", "2.5"};
	static const char *names[] = {"1", "a", "2", NULL, "3", "c"};
	struct dxt_load_result res;

	ck_assert_int_eq(load_rows("id:int64;f:float64", rows, 3, NULL),
			 DXT_ETYPE);
	assert_contains(E.err.message, "table \"t\": row 2, column \"f\"");
	assert_contains(E.err.message, "NaN");
	ck_assert_str_eq(query("SELECT count(*) FROM sqlite_master"), "0");

	E.load.on_error = DXT_ON_ERROR_SKIP;
	ck_assert_int_eq(load_rows("id:int64;f:float64", rows, 3, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_uint_eq(res.rows_rejected, 1);

	sql("CREATE TABLE n (id INTEGER, name TEXT NOT NULL)");
	json_decref(E.target);
	E.target = json_pack("{s:s}", "name", "n");
	ck_assert_int_eq(load_rows("id:int64;name:string", names, 3, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_uint_eq(res.rows_rejected, 1);
	ck_assert_str_eq(query("SELECT group_concat(id) FROM n"), "1,3");
}
END_TEST

/* The line of rejects.jsonl in the folder staged last that holds `part`. */
static json_t *reject_line(const char *part)
{
	char path[200], line[2048];
	json_error_t jerr;
	json_t *j = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stage%d/rejects.jsonl", E.dir,
		 E.nstage - 1);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no %s", path);
	while (j == NULL && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, part) != NULL)
			j = json_loads(line, 0, &jerr);
	fclose(f);
	ck_assert_msg(j != NULL, "no line with %s in %s", part, path);
	return j;
}

START_TEST(skipped_rows_go_to_rejects)
{
	static const char *names[] = {"1", "a", "2", NULL, "3", "c"};
	static const char *floats[] = {"7", "nan"};
	struct dxt_load_result res;
	json_t *j;

	sql("CREATE TABLE t (id INTEGER, name TEXT NOT NULL)");
	E.load.on_error = DXT_ON_ERROR_SKIP;
	ck_assert_int_eq(load_rows("id:int64;name:string", names, 3, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_rejected, 1);
	j = reject_line("NOT NULL");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "row")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(j, "reason")),
			 "NOT NULL constraint failed: t.name");
	ck_assert_str_eq(json_string_value(json_object_get(j, "raw")),
			 "{\"id\":2,\"name\":null}");
	ck_assert_str_eq(json_string_value(json_object_get(j, "stage")),
			 "load");
	json_decref(j);

	/* A value SQLite cannot hold names its column. */
	json_decref(E.target);
	E.target = json_pack("{s:s}", "name", "f");
	ck_assert_int_eq(load_rows("id:int64;f:float64", floats, 1, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 0);
	ck_assert_uint_eq(res.rows_rejected, 1);
	j = reject_line("NaN");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "row")), 1);
	assert_contains(json_string_value(json_object_get(j, "reason")),
			"column \"f\": NaN");
	assert_contains(json_string_value(json_object_get(j, "raw")),
			"{\"id\":7,\"f\":");
	json_decref(j);
}
END_TEST

START_TEST(many_rows_error_names_the_row)
{
	enum { N = 1000, BAD = 517 };
	const char **cells = calloc(2 * N, sizeof(*cells));
	char (*ids)[16] = calloc(N, sizeof(*ids));
	struct dxt_load_result res;

	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%d", i + 1);
		cells[2 * i] = ids[i];
		cells[2 * i + 1] = i + 1 == BAD ? NULL : "v";
	}
	sql("CREATE TABLE t (id INTEGER, v TEXT NOT NULL)");
	ck_assert_int_eq(load_rows("id:int64;v:string", cells, N, NULL),
			 DXT_ETARGET);
	assert_contains(E.err.message, "row 517:");
	assert_contains(E.err.message, "NOT NULL constraint failed: t.v");
	ck_assert_str_eq(query("SELECT count(*) FROM t"), "0");

	cells[2 * (BAD - 1) + 1] = "v";
	ck_assert_int_eq(load_rows("id:int64;v:string", cells, N, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, N);
	ck_assert_str_eq(query("SELECT count(*) || ' ' || sum(id) FROM t"),
			 "1000 500500");
	free(cells);
	free(ids);
}
END_TEST

START_TEST(load_cancelled_rolls_back)
{
	static const char *rows[] = {"1", "a"};

	atomic_store(&E.cancel, 1);
	ck_assert_int_eq(load_rows("id:int64;name:string", rows, 1, NULL),
			 DXT_ECANCELLED);
	ck_assert_str_eq(query("SELECT count(*) FROM sqlite_master"), "0");

	sql("CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);");
	ck_assert_int_eq(extract(NULL), DXT_ECANCELLED);
	/* A long statement is interrupted, not waited for. */
	set_source("sql", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT "
			  "x + 1 FROM c WHERE x < 1000000000) SELECT max(x) "
			  "FROM c");
	ck_assert_int_eq(extract(NULL), DXT_ECANCELLED);
	assert_contains(E.err.message, "cancelled");
}
END_TEST

/* --- idempotent loads ----------------------------------------------------- */

#define LOADS "SELECT group_concat(load_id || ' ' || target || ' ' || rows, " \
	      "', ') FROM (SELECT * FROM _dxt_loads ORDER BY load_id)"

START_TEST(load_id_append_loads_once)
{
	static const char *rows[] = {"1", "a", "2", "b"};
	const char *spec = "id:int64;name:string";
	struct dxt_load_result res;

	/* Without a load id nothing is recorded. */
	ck_assert_int_eq(load_rows(spec, rows, 2, &res), DXT_OK);
	ck_assert_str_eq(query("SELECT count(*) FROM sqlite_master WHERE "
			       "name = '_dxt_loads'"),
			 "0");

	E.load_id = "r1/s";
	ck_assert_int_eq(load(restage(), &res), DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_str_eq(query("SELECT count(*) FROM t"), "4");
	ck_assert_str_eq(query(LOADS), "r1/s t 2");
	ck_assert_str_eq(query("SELECT count(*) FROM _dxt_loads WHERE "
			       "committed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9]"
			       "[0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9]"
			       "[0-9]Z'"),
			 "1");

	/* The same load again: nothing loads, the recorded rows count. */
	E.log[0] = '\0';
	ck_assert_int_eq(load(restage(), &res), DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_uint_eq(res.rows_rejected, 0);
	ck_assert_str_eq(query("SELECT count(*) FROM t"), "4");
	assert_contains(E.log, "load r1/s already committed at 20");
	assert_contains(E.log, "; nothing to do");

	/* Another load of the same buffer appends again. */
	E.load_id = "r2/s";
	ck_assert_int_eq(load(restage(), &res), DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_str_eq(query("SELECT count(*) FROM t"), "6");
	ck_assert_str_eq(query(LOADS), "r1/s t 2, r2/s t 2");
}
END_TEST

START_TEST(load_id_replace_keeps_the_record)
{
	static const char *rows[] = {"10", "new"};
	struct dxt_load_result res;

	sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	    "INSERT INTO t VALUES (1, 'old');");
	E.load.mode = DXT_LOAD_REPLACE;
	E.load_id = "r1/s";
	ck_assert_int_eq(load_rows("id:int64;name:string", rows, 1, &res),
			 DXT_OK);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM t"),
			 "10new");
	ck_assert_str_eq(query(LOADS), "r1/s t 1");

	/* A row added since shows that the retry replaced nothing. */
	sql("INSERT INTO t VALUES (99, 'mine')");
	ck_assert_int_eq(load(restage(), &res), DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 1);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM t"),
			 "10new,99mine");

	E.load_id = "r2/s";
	ck_assert_int_eq(load(restage(), &res), DXT_OK);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM t"),
			 "10new");
	ck_assert_str_eq(query(LOADS), "r1/s t 1, r2/s t 1");
}
END_TEST

START_TEST(load_id_upsert_loads_once)
{
	static const char *first[] = {"1", "a"};
	static const char *second[] = {"1", "b", "2", "c"};
	static char *keys[] = {"id"};
	struct dxt_load_result res;

	E.load.mode = DXT_LOAD_UPSERT;
	E.load.upsert_keys = keys;
	E.load.n_upsert_keys = 1;
	E.load_id = "r1/s";
	ck_assert_int_eq(load_rows("id:int64;name:string", first, 1, &res),
			 DXT_OK);
	/* Other data under the same id: the load counts as done. */
	ck_assert_int_eq(load_rows("id:int64;name:string", second, 2, &res),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 1);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM t"), "1a");

	E.load_id = "r2/s";
	ck_assert_int_eq(load(restage(), &res), DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 2);
	ck_assert_str_eq(query("SELECT group_concat(id || name) FROM "
			       "(SELECT * FROM t ORDER BY id)"),
			 "1b,2c");
	ck_assert_str_eq(query(LOADS), "r1/s t 1, r2/s t 2");
}
END_TEST

START_TEST(load_id_failed_load_leaves_no_record)
{
	static const char *bad[] = {"1", "a", "2", NULL};
	static const char *good[] = {"3", "c"};
	const char *spec = "id:int64;name:string";
	bool done = true;
	uint64_t rows = 7;

	sql("CREATE TABLE t (id INTEGER, name TEXT NOT NULL)");
	E.load_id = "r1/s";
	ck_assert_int_eq(load_rows(spec, bad, 2, NULL), DXT_ETARGET);
	/* The table was to be created in the failed transaction. */
	ck_assert_str_eq(query("SELECT count(*) FROM sqlite_master WHERE "
			       "name = '_dxt_loads'"),
			 "0");
	ck_assert_int_eq(loader->committed(ctx(), &done, &rows, &E.err),
			 DXT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(rows, 0);

	E.load_id = "r0/s";
	ck_assert_int_eq(load_rows(spec, good, 1, NULL), DXT_OK);
	E.load_id = "r1/s";
	ck_assert_int_eq(load_rows(spec, bad, 2, NULL), DXT_ETARGET);
	ck_assert_str_eq(query(LOADS), "r0/s t 1");
	ck_assert_str_eq(query("SELECT group_concat(id) FROM t"), "3");

	/* Its retry, once the data is right, loads. */
	ck_assert_int_eq(load_rows(spec, good, 1, NULL), DXT_OK);
	ck_assert_str_eq(query(LOADS), "r0/s t 1, r1/s t 1");
}
END_TEST

START_TEST(load_id_committed)
{
	static const char *rows[] = {"1", "2", "3"};
	bool done = true;
	uint64_t n = 7;
	char absent[200];

	ck_assert_ptr_nonnull(loader->committed);
	E.load_id = "r1/s";

	/* No database file: nothing committed. */
	json_decref(E.config);
	E.config = json_pack("{s:s}", "path", "absent.db");
	ck_assert_int_eq(loader->committed(ctx(), &done, &n, &E.err), DXT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(n, 0);
	snprintf(absent, sizeof(absent), "%s/absent.db", E.dir);
	ck_assert_int_eq(access(absent, F_OK), -1);
	json_decref(E.config);
	E.config = json_pack("{s:s}", "path", "t.db");

	/* A database without the table: nothing committed. */
	sql("CREATE TABLE other (a)");
	done = true;
	ck_assert_int_eq(loader->committed(ctx(), &done, &n, &E.err), DXT_OK);
	ck_assert(!done);

	ck_assert_int_eq(load_rows("id:int64", rows, 3, NULL), DXT_OK);
	ck_assert_int_eq(loader->committed(ctx(), &done, &n, &E.err), DXT_OK);
	ck_assert(done);
	ck_assert_uint_eq(n, 3);

	E.load_id = "r9/s";
	ck_assert_int_eq(loader->committed(ctx(), &done, &n, &E.err), DXT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(n, 0);

	/* A load id is required, and the table's name is dxt's. */
	E.load_id = NULL;
	ck_assert_int_eq(loader->committed(ctx(), &done, &n, &E.err),
			 DXT_EINVAL);
	E.load_id = "r1/s";
	json_decref(E.target);
	E.target = json_pack("{s:s}", "name", "_DXT_loads");
	ck_assert_int_eq(load_rows("id:int64", rows, 3, NULL), DXT_ECONFIG);
	assert_contains(E.err.message, "_dxt_loads is the table where dxt "
				       "records committed loads");
}
END_TEST

START_TEST(pragmas_and_url)
{
	static const char *rows[] = {"1"};
	char url[200];

	snprintf(url, sizeof(url), "sqlite://%s/other.db", E.dir);
	json_decref(E.config);
	/* sqlite:// + an absolute path is sqlite:///abs. */
	E.config = json_pack("{s:s, s:i, s:{s:i}}", "url", url,
			     "busy_timeout_ms", 100, "pragmas", "user_version",
			     42);
	ck_assert_int_eq(load_rows("id:int64", rows, 1, NULL), DXT_OK);
	snprintf(url, sizeof(url), "ATTACH DATABASE '%s/other.db' AS o",
		 E.dir);
	sql(url);
	ck_assert_str_eq(query("PRAGMA o.user_version"), "42");
}
END_TEST

START_TEST(pragma_strings_are_literals_or_numbers)
{
	static const char *rows[] = {"1"};

	/* A negative number goes bare; a string with a dash is a quoted
	 * literal (SQLite ignores an unknown journal mode), never SQL. */
	json_decref(E.config);
	E.config = json_pack("{s:s, s:{s:s, s:s}}", "path", "t.db", "pragmas",
			     "cache_size", "-2000", "journal_mode",
			     "not-a-mode");
	ck_assert_int_eq(load_rows("id:int64", rows, 1, NULL), DXT_OK);
	ck_assert_str_eq(query("SELECT count(*) FROM t"), "1");
}
END_TEST

START_TEST(busy_is_transient)
{
	static const char *rows[] = {"1"};
	sqlite3 *other;

	json_decref(E.config);
	E.config = json_pack("{s:s, s:i}", "path", "t.db", "busy_timeout_ms",
			     50);
	ck_assert_int_eq(sqlite3_open(E.db, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	ck_assert_int_eq(load_rows("id:int64", rows, 1, NULL), DXT_ETARGET);
	ck_assert_int_eq(E.err.cls, DXT_TRANSIENT);
	assert_contains(E.err.message, "locked");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
}
END_TEST

/* --- extracting ----------------------------------------------------------- */

START_TEST(extract_types_from_declarations)
{
	char schema[512], *rows;

	sql("CREATE TABLE t (id INTEGER NOT NULL, name VARCHAR(20), "
	    "price NUMERIC(10,2), at DATETIME, flag BOOLEAN, raw BLOB, x, "
	    "small SMALLINT, n NUMERIC);"
	    "INSERT INTO t VALUES (1, 'a', '12.30', '2024-01-02 03:04:05', 1, "
	    "x'00ff', 7, 5, 2.5);"
	    "INSERT INTO t VALUES (2, NULL, 3, NULL, 0, NULL, 8, NULL, 3);");
	ck_assert_int_eq(extract(NULL), DXT_OK);
	rows = read_rows(E.stream_dir, schema, sizeof(schema), NULL);
	ck_assert_str_eq(schema, "id:int64;name:string;price:decimal(10,2);"
				 "at:timestamp;flag:bool;raw:binary;x:int64;"
				 "small:int16;n:float64");
	ck_assert_str_eq(rows, "1|a|12.30|2024-01-02 03:04:05|true|\\x00ff|7|5|"
			       "2.5\n"
			       "2|NULL|3.00|NULL|false|NULL|8|NULL|3\n");
	free(rows);
	ck_assert_uint_eq(atomic_load(&E.progress.rows), 2);
}
END_TEST

START_TEST(extract_query_and_function)
{
	char schema[512], *rows;

	sql("CREATE TABLE t (id INTEGER, name TEXT);"
	    "INSERT INTO t VALUES (1, 'a'), (2, 'b');");
	set_source("sql", "SELECT id, id * 2 AS twice, 'k' || id AS label, "
			  "1.5 AS half, NULL AS nada FROM t ORDER BY id "
			  "DESC;\n");
	ck_assert_msg(extract(NULL) == DXT_OK, "%s", E.err.message);
	rows = read_rows(E.stream_dir, schema, sizeof(schema), NULL);
	ck_assert_str_eq(schema, "id:int64;twice:int64;label:string;"
				 "half:float64;nada:string");
	ck_assert_str_eq(rows, "2|4|k2|1.5|NULL\n1|2|k1|1.5|NULL\n");
	free(rows);

	json_decref(E.source);
	E.source = json_pack("{s:s, s:s}", "type", "function", "function",
			     "json_each('[10, 20]')");
	ck_assert_msg(extract(NULL) == DXT_OK, "%s", E.err.message);
	rows = read_rows(E.stream_dir, schema, sizeof(schema), NULL);
	assert_contains(schema, "key:int64;value:int64");
	free(rows);

	/* Names of the result must be unique, and a source only reads. */
	set_source("sql", "SELECT id, id FROM t");
	ck_assert_int_eq(extract(NULL), DXT_ESCHEMA);
	assert_contains(E.err.message, "both named \"id\"");
	set_source("sql", "DELETE FROM t");
	ck_assert_int_ne(extract(NULL), DXT_OK);
	set_source("sql", "SELECT 1; SELECT 2");
	ck_assert_int_eq(extract(NULL), DXT_ECONFIG);
	assert_contains(E.err.message, "more than one statement");
	set_source("relation", "nosuch");
	ck_assert_int_eq(extract(NULL), DXT_ESOURCE);
	assert_contains(E.err.message, "no such table: nosuch");
	ck_assert_int_eq(E.err.origin, DXT_ORIGIN_SOURCE);
}
END_TEST

START_TEST(extract_bad_values)
{
	uint64_t rejects = 0;
	char *rows;

	sql("CREATE TABLE t (id INTEGER, n INTEGER, s SMALLINT);"
	    "INSERT INTO t VALUES (1, 5, 1), (2, 'abc', 2), (3, 7, 100000);");
	ck_assert_int_eq(extract(NULL), DXT_ETYPE);
	assert_contains(E.err.message, "relation \"t\": row 2, column \"n\" "
				       "(INTEGER)");
	assert_contains(E.err.message, "abc");

	E.extract.on_error = DXT_ON_ERROR_SKIP;
	ck_assert_int_eq(extract(&rejects), DXT_OK);
	ck_assert_uint_eq(rejects, 2);
	rows = read_rows(E.stream_dir, NULL, 0, NULL);
	ck_assert_str_eq(rows, "1|5|1\n");
	free(rows);

	E.extract.on_error = DXT_ON_ERROR_FAIL;
	set_source("sql", "SELECT s FROM t WHERE id = 3");
	ck_assert_int_eq(extract(NULL), DXT_ETYPE);
	assert_contains(E.err.message, "row 1, column \"s\" (SMALLINT)");
	assert_contains(E.err.message, "100000 does not fit int16");
}
END_TEST

START_TEST(extract_incremental)
{
	char *rows;
	json_t *wm;

	sql("CREATE TABLE t (id INTEGER, updated_at TEXT);"
	    "INSERT INTO t VALUES (1, '2024-01-03'), (2, '2024-01-01'), "
	    "(3, '2024-01-02'), (4, NULL);");
	E.extract.mode = DXT_EXTRACT_INCREMENTAL;
	E.extract.watermark_field = "updated_at";

	/* First run: everything, in watermark order. */
	ck_assert_int_eq(extract(NULL), DXT_OK);
	rows = read_rows(E.stream_dir, NULL, 0, &wm);
	ck_assert_str_eq(rows, "4|NULL\n2|2024-01-01\n3|2024-01-02\n"
			       "1|2024-01-03\n");
	ck_assert_str_eq(json_string_value(json_object_get(wm, "field")),
			 "updated_at");
	ck_assert_str_eq(json_string_value(json_object_get(wm, "value")),
			 "2024-01-03");
	free(rows);
	json_decref(wm);

	/* Next run: only what is newer. */
	E.watermark = json_string("2024-01-02");
	sql("INSERT INTO t VALUES (5, '2024-01-04')");
	ck_assert_int_eq(extract(NULL), DXT_OK);
	rows = read_rows(E.stream_dir, NULL, 0, &wm);
	ck_assert_str_eq(rows, "1|2024-01-03\n5|2024-01-04\n");
	ck_assert_str_eq(json_string_value(json_object_get(wm, "value")),
			 "2024-01-04");
	free(rows);
	json_decref(wm);

	/* Nothing new keeps the watermark; a value is bound, never SQL. */
	json_decref(E.watermark);
	E.watermark = json_string("x' OR '1'='1");
	ck_assert_int_eq(extract(NULL), DXT_OK);
	rows = read_rows(E.stream_dir, NULL, 0, &wm);
	ck_assert_str_eq(rows, "");
	ck_assert_str_eq(json_string_value(json_object_get(wm, "value")),
			 "x' OR '1'='1");
	free(rows);
	json_decref(wm);

	/* Integer watermarks stay integers. */
	json_decref(E.watermark);
	E.watermark = json_integer(3);
	E.extract.watermark_field = "id";
	set_source("sql", "SELECT id FROM t");
	ck_assert_int_eq(extract(NULL), DXT_OK);
	rows = read_rows(E.stream_dir, NULL, 0, &wm);
	ck_assert_str_eq(rows, "4\n5\n");
	ck_assert_int_eq(json_integer_value(json_object_get(wm, "value")), 5);
	free(rows);
	json_decref(wm);

	E.extract.watermark_field = "nope";
	ck_assert_int_ne(extract(NULL), DXT_OK);
	assert_contains(E.err.message, "nope");
}
END_TEST

START_TEST(extract_batches_bounded)
{
	char *rows;

	sql("CREATE TABLE t (id INTEGER);"
	    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
	    "WHERE x < 2500) INSERT INTO t SELECT x FROM c;");
	E.extract.batch_size = 1000;
	ck_assert_int_eq(extract(NULL), DXT_OK);
	rows = read_rows(E.stream_dir, NULL, 0, NULL);
	ck_assert_uint_eq(strlen(rows), 9 * 2 + 90 * 3 + 900 * 4 + 1501 * 5);
	free(rows);
	ck_assert_uint_eq(atomic_load(&E.progress.rows), 2500);
}
END_TEST

/* --- helpers, one by one -------------------------------------------------- */

START_TEST(relational_names)
{
	struct dxt_rel_name n;
	struct dxt_buf b = {0};
	struct dxt_error err;

	ck_assert_int_eq(dxt_rel_name_parse("main.t", &n, &err), DXT_OK);
	ck_assert_uint_eq(n.n, 2);
	ck_assert_int_eq(dxt_rel_quote_name(&b, &n, "__x"), DXT_OK);
	ck_assert_str_eq((char *)b.data, "\"main\".\"t__x\"");
	dxt_rel_name_free(&n);

	b.len = 0;
	ck_assert_int_eq(dxt_rel_name_parse("\"a\"\"b.c\".t", &n, &err),
			 DXT_OK);
	ck_assert_str_eq(n.parts[0], "a\"b.c");
	ck_assert_int_eq(dxt_rel_quote_name(&b, &n, NULL), DXT_OK);
	ck_assert_str_eq((char *)b.data, "\"a\"\"b.c\".\"t\"");
	dxt_rel_name_free(&n);

	ck_assert_int_eq(dxt_rel_name_parse("a..b", &n, &err), DXT_ECONFIG);
	assert_contains(err.message, "empty part");
	ck_assert_int_eq(dxt_rel_name_parse("\"abc", &n, &err), DXT_ECONFIG);
	assert_contains(err.message, "unterminated");
	ck_assert_int_eq(dxt_rel_name_parse("a.b.c.d", &n, &err), DXT_ECONFIG);

	b.len = 0;
	ck_assert_int_eq(dxt_rel_quote_literal(&b, "it's"), DXT_OK);
	ck_assert_str_eq((char *)b.data, "'it''s'");
	dxt_buf_free(&b);
}
END_TEST

START_TEST(relational_statements)
{
	static const char *const cols[] = {"a", "b"};
	static const char *const keys[] = {"a"};
	char st_text[] = "s.t", t_text[] = "t";
	struct dxt_rel_source src = {DXT_REL_RELATION, st_text};
	struct dxt_rel_name n = {1, {t_text}};
	struct dxt_buf b = {0};
	struct dxt_error err;

	ck_assert_int_eq(dxt_rel_insert_sql(&b, &n, NULL, cols, 2, 2,
					    DXT_REL_PARAM_QMARK, keys, 1, &err),
			 DXT_OK);
	ck_assert_str_eq((char *)b.data,
			 "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?, ?), "
			 "(?, ?) ON CONFLICT (\"a\") DO UPDATE SET \"b\" = "
			 "excluded.\"b\"");
	b.len = 0;
	ck_assert_int_eq(dxt_rel_insert_sql(&b, &n, NULL, cols, 1, 2,
					    DXT_REL_PARAM_DOLLAR, keys, 1,
					    &err),
			 DXT_OK);
	ck_assert_str_eq((char *)b.data,
			 "INSERT INTO \"t\" (\"a\") VALUES ($1), ($2) ON "
			 "CONFLICT (\"a\") DO NOTHING");
	b.len = 0;
	ck_assert_int_eq(dxt_rel_select_sql(&b, &src, "up\"d", true,
					    DXT_REL_PARAM_DOLLAR, &err),
			 DXT_OK);
	ck_assert_str_eq((char *)b.data,
			 "SELECT * FROM (SELECT * FROM \"s\".\"t\"\n) AS "
			 "\"dxt_src\" WHERE \"up\"\"d\" > $1 ORDER BY "
			 "\"up\"\"d\"");
	b.len = 0;
	ck_assert_int_eq(dxt_rel_select_sql(&b, &src, NULL, false,
					    DXT_REL_PARAM_QMARK, &err),
			 DXT_OK);
	ck_assert_str_eq((char *)b.data, "SELECT * FROM \"s\".\"t\"");
	dxt_buf_free(&b);
}
END_TEST

START_TEST(relational_blocks)
{
	struct dxt_rel_source s;
	struct dxt_rel_target t;
	struct dxt_error err;
	json_t *j;

	j = json_pack("{s:s, s:s}", "type", "sql", "sql", "SELECT 1 ;; \n");
	ck_assert_int_eq(dxt_rel_source_parse(j, &s, &err), DXT_OK);
	ck_assert_int_eq(s.type, DXT_REL_SQL);
	ck_assert_str_eq(s.text, "SELECT 1");
	dxt_rel_source_free(&s);
	json_decref(j);

	j = json_pack("{s:s}", "table", "users");
	ck_assert_int_eq(dxt_rel_source_parse(j, &s, &err), DXT_OK);
	ck_assert_int_eq(s.type, DXT_REL_RELATION);
	dxt_rel_source_free(&s);
	json_decref(j);

	j = json_pack("{s:s}", "function", "f");
	ck_assert_int_eq(dxt_rel_source_parse(j, &s, &err), DXT_OK);
	ck_assert_str_eq(s.text, "f()");
	dxt_rel_source_free(&s);
	json_decref(j);

	j = json_pack("{s:s, s:s}", "relation", "t", "sql", "SELECT 1");
	ck_assert_int_eq(dxt_rel_source_parse(j, &s, &err), DXT_ECONFIG);
	json_decref(j);
	j = json_pack("{s:s, s:i}", "relation", "t", "colour", 1);
	ck_assert_int_eq(dxt_rel_source_parse(j, &s, &err), DXT_ECONFIG);
	assert_contains(err.message, "\"colour\"");
	json_decref(j);
	j = json_pack("{s:s}", "type", "sql");
	ck_assert_int_eq(dxt_rel_source_parse(j, &s, &err), DXT_ECONFIG);
	assert_contains(err.message, "needs the key \"sql\"");
	json_decref(j);

	j = json_pack("{s:s}", "name", "t");
	ck_assert_int_eq(dxt_rel_target_parse(j, &t, &err), DXT_OK);
	ck_assert(t.create);
	dxt_rel_target_free(&t);
	json_decref(j);
}
END_TEST

START_TEST(relational_widening)
{
	struct dxt_field i32 = {.type = DXT_TYPE_INT32};
	struct dxt_field i64 = {.type = DXT_TYPE_INT64};
	struct dxt_field f64 = {.type = DXT_TYPE_FLOAT64};
	struct dxt_field d10_2 = {.type = DXT_TYPE_DECIMAL, .precision = 10,
				  .scale = 2};
	struct dxt_field d12_2 = {.type = DXT_TYPE_DECIMAL, .precision = 12,
				  .scale = 2};
	struct dxt_field d12_4 = {.type = DXT_TYPE_DECIMAL, .precision = 12,
				  .scale = 4};
	struct dxt_field untyped = {.type = DXT_TYPE_NULL};

	ck_assert(dxt_rel_type_widens(&i32, &i64));
	ck_assert(!dxt_rel_type_widens(&i64, &i32));
	ck_assert(dxt_rel_type_widens(&i32, &f64));
	ck_assert(!dxt_rel_type_widens(&i64, &f64));
	ck_assert(dxt_rel_type_widens(&d10_2, &d12_2));
	ck_assert(!dxt_rel_type_widens(&d12_4, &d12_2));
	ck_assert(!dxt_rel_type_widens(&d12_2, &d12_4));
	ck_assert(dxt_rel_type_widens(&i32, &d12_2));
	ck_assert(dxt_rel_type_widens(&f64, &untyped));
}
END_TEST

START_TEST(type_mapper)
{
	static const struct {
		const char *decl;
		const char *type;
	} cases[] = {
		{"INTEGER", "int64"},      {"int", "int64"},
		{"BIGINT", "int64"},       {"UNSIGNED BIG INT", "int64"},
		{"smallint", "int16"},     {"TINYINT(1)", "int8"},
		{"INT4", "int32"},         {"REAL", "float64"},
		{"double precision", "float64"}, {"FLOAT4", "float32"},
		{"DECIMAL(12, 2)", "decimal(12,2)"},
		{"numeric(10)", "decimal(10,0)"}, {"NUMERIC", "float64"},
		{"DECIMAL(50,2)", "float64"},
		{"DECIMAL_TEXT(30,10)", "decimal(30,10)"},
		{"VARCHAR(255)", "string"}, {"NCHAR(3)", "string"},
		{"TEXT", "string"},        {"BLOB", "binary"},
		{"BOOLEAN", "bool"},       {"DATE", "date"},
		{"TIME", "time"},          {"DATETIME", "timestamp"},
		{"timestamp", "timestamp"},
		{"TIMESTAMP WITH  TIME ZONE", "timestamptz"},
		{"TIMESTAMPTZ", "timestamptz"}, {"UUID", "uuid"},
		{"JSON", "json"},          {"MONEY", "string"},
		{"POINTS", "int64"},       {"FLOATY", "float64"},
	};
	enum dxt_type type;
	int p, s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dxt_field f = {.name = "c"};
		char got[64];

		ck_assert_msg(dxt__sqlite_type_from_decl(cases[i].decl, &type,
							 &p, &s),
			      "%s", cases[i].decl);
		f.type = type;
		f.precision = p;
		f.scale = s;
		dxt_field_type_string(&f, got, sizeof(got));
		ck_assert_msg(strcmp(got, cases[i].type) == 0,
			      "%s: got %s, expected %s", cases[i].decl, got,
			      cases[i].type);
	}
	ck_assert(!dxt__sqlite_type_from_decl("", &type, &p, &s));
	ck_assert(!dxt__sqlite_type_from_decl("  ", &type, &p, &s));
	ck_assert_int_eq(dxt__sqlite_affinity("DECIMAL_TEXT(30,2)"),
			 DXT__SQLITE_AFF_TEXT);
	ck_assert_int_eq(dxt__sqlite_affinity("DECIMAL(12,2)"),
			 DXT__SQLITE_AFF_NUMERIC);
	ck_assert_int_eq(dxt__sqlite_affinity(""), DXT__SQLITE_AFF_BLOB);
}
END_TEST

Suite *dxt_test_sqlite_provider(void)
{
	Suite *s = suite_create("sqlite_provider");
	TCase *ops = tcase_create("operators");
	TCase *helpers = tcase_create("helpers");

	tcase_add_unchecked_fixture(ops, so_open, so_close);
	tcase_add_checked_fixture(ops, env_setup, env_teardown);
	tcase_set_timeout(ops, 60);
	tcase_add_test(ops, descriptors);
	tcase_add_test(ops, config_errors);
	tcase_add_test(ops, connector_check);
	tcase_add_test(ops, append_creates_then_appends);
	tcase_add_test(ops, round_trip_every_type);
	tcase_add_test(ops, replace_swaps_and_keeps_indexes);
	tcase_add_test(ops, replace_failure_leaves_old_table);
	tcase_add_test(ops, replace_creates_missing_table);
	tcase_add_test(ops, upsert_updates_and_inserts);
	tcase_add_test(ops, upsert_composite_unique_index);
	tcase_add_test(ops, upsert_needs_unique_index);
	tcase_add_test(ops, schema_policies);
	tcase_add_test(ops, target_errors);
	tcase_add_test(ops, load_value_errors);
	tcase_add_test(ops, skipped_rows_go_to_rejects);
	tcase_add_test(ops, many_rows_error_names_the_row);
	tcase_add_test(ops, load_cancelled_rolls_back);
	tcase_add_test(ops, load_id_append_loads_once);
	tcase_add_test(ops, load_id_replace_keeps_the_record);
	tcase_add_test(ops, load_id_upsert_loads_once);
	tcase_add_test(ops, load_id_failed_load_leaves_no_record);
	tcase_add_test(ops, load_id_committed);
	tcase_add_test(ops, pragmas_and_url);
	tcase_add_test(ops, pragma_strings_are_literals_or_numbers);
	tcase_add_test(ops, busy_is_transient);
	tcase_add_test(ops, extract_types_from_declarations);
	tcase_add_test(ops, extract_query_and_function);
	tcase_add_test(ops, extract_bad_values);
	tcase_add_test(ops, extract_incremental);
	tcase_add_test(ops, extract_batches_bounded);
	suite_add_tcase(s, ops);

	tcase_add_test(helpers, relational_names);
	tcase_add_test(helpers, relational_statements);
	tcase_add_test(helpers, relational_blocks);
	tcase_add_test(helpers, relational_widening);
	tcase_add_test(helpers, type_mapper);
	suite_add_tcase(s, helpers);
	return s;
}
