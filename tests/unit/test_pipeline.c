/*
 * test_pipeline.c - pipeline documents: both YAML styles, JSON, defaults
 * and overrides, interpolation, and every kind of diagnostic with its exact
 * path, line and column.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pipeline.h"
#include "engine/resolve.h"

static const char *fake_env(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "PGUSER") == 0)
		return "etl";
	if (strcmp(name, "BATCH") == 0)
		return "250";
	if (strcmp(name, "LOAD_MODE") == 0)
		return "replace";
	return NULL;
}

static const char *data_path(const char *name)
{
	static char buf[1024];
	const char *dir = getenv("DXT_TEST_DATA");

	snprintf(buf, sizeof(buf), "%s/pipeline/%s",
		 dir != NULL ? dir : "tests/data", name);
	return buf;
}

struct result {
	int rc;
	struct dxt_pipeline *p;
	struct dxt_diags diags;
};

static struct result parse_with(const char *text,
				const struct dxt_parse_opts *o)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	r.rc = dxt_pipeline_parse(text, strlen(text), o, &r.p, &r.diags);
	return r;
}

static struct result parse(const char *text)
{
	struct dxt_parse_opts o = {0};

	o.interpolate = true;
	o.getenv = fake_env;
	return parse_with(text, &o);
}

static struct result parse_file(const char *name)
{
	struct dxt_parse_opts o = {0};
	struct result r;

	o.interpolate = true;
	o.getenv = fake_env;
	memset(&r, 0, sizeof(r));
	r.rc = dxt_pipeline_parse_file(data_path(name), &o, &r.p, &r.diags);
	return r;
}

static void done(struct result *r)
{
	dxt_pipeline_destroy(r->p);
	dxt_diags_free(&r->diags);
}

static void dump_diags(const struct result *r, char *all, size_t n)
{
	size_t len = 0;

	all[0] = '\0';
	for (size_t i = 0; i < r->diags.n && len < n; i++) {
		char line[600];

		dxt_diag_format(&r->diags.items[i], line, sizeof(line));
		len += (size_t)snprintf(all + len, n - len, "\n  %s", line);
	}
}

/* Asserts a diagnostic at exactly path, line and column whose message
 * holds `needle` (and whose hint holds `hint`, when given). */
static void expect(const struct result *r, const char *path, int line,
		   int column, const char *needle, const char *hint)
{
	char all[8192];

	for (size_t i = 0; i < r->diags.n; i++) {
		const struct dxt_diag *d = &r->diags.items[i];

		if (strcmp(d->path, path) == 0 && d->line == line &&
		    d->column == column && strstr(d->message, needle) != NULL &&
		    (hint == NULL ||
		     (d->hint != NULL && strstr(d->hint, hint) != NULL)))
			return;
	}
	dump_diags(r, all, sizeof(all));
	ck_abort_msg("no diagnostic %s (line %d, column %d) \"%s\"; have:%s",
		     path, line, column, needle, all);
}

static void expect_ok(const struct result *r)
{
	char all[8192];

	if (r->rc == DXT_OK && r->p != NULL && r->diags.n == 0)
		return;
	dump_diags(r, all, sizeof(all));
	ck_abort_msg("expected success, got %d:%s", r->rc, all);
}

static const char *cfg_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

START_TEST(shorthand_style)
{
	struct result r = parse_file("shorthand.yaml");
	const struct dxt_stream *s;
	const struct dxt_pipeline *p;

	expect_ok(&r);
	p = r.p;
	ck_assert_str_eq(p->name, "pg_to_sqlite");
	ck_assert_int_eq(p->version, 1);
	ck_assert_str_eq(p->description, "Orders and users, nightly");
	ck_assert_int_eq(p->ntags, 2);
	ck_assert_str_eq(p->tags[1], "sales");
	ck_assert_str_eq(cfg_str(p->schedule, "cron"), "0 3 * * *");
	ck_assert_str_eq(p->buffer_location, "/var/spool/dxt");
	ck_assert_int_eq(p->nstreams, 2);

	s = dxt_pipeline_stream(p, "users");
	ck_assert_ptr_eq(s, &p->streams[0]);
	ck_assert_int_eq(s->line, 29);
	ck_assert_str_eq(s->extractor.provider, "postgres");
	ck_assert_ptr_null(s->extractor.class_path);
	ck_assert_str_eq(cfg_str(s->extractor.config, "url"),
			 "postgresql://db/sales");
	ck_assert_int_eq(json_integer_value(
				 json_object_get(s->extractor.config, "pool_size")),
			 4);
	ck_assert_ptr_null(json_object_get(s->extractor.config, "provider"));
	ck_assert_str_eq(s->loader.provider, "sqlite");
	ck_assert_str_eq(cfg_str(s->loader.config, "path"), "out.db");
	ck_assert_int_eq(json_object_size(s->loader.config), 1);
	ck_assert_str_eq(cfg_str(s->source, "relation"), "public.users");
	/* A string target is {"name": ...}. */
	ck_assert_str_eq(cfg_str(s->target, "name"), "users");
	ck_assert_int_eq(json_object_size(s->target), 1);
	/* Pipeline-level defaults. */
	ck_assert_int_eq(s->extract.mode, DXT_EXTRACT_FULL);
	ck_assert_uint_eq(s->extract.batch_size, 10000);
	ck_assert_int_eq(s->load.mode, DXT_LOAD_REPLACE);
	ck_assert_uint_eq(s->load.batch_size, 5000);
	ck_assert_str_eq(s->buffer.format, "jsonl");
	ck_assert_int_eq(s->buffer.codec, DXT_CODEC_GZIP);
	ck_assert_int_eq(s->buffer.level, 6);
	ck_assert_uint_eq(s->buffer.part_bytes, 64ull << 20);
	ck_assert_uint_eq(s->buffer.batch.max_bytes, 1000000000ull);
	ck_assert_int_eq(s->buffer.csv.delimiter, ';');
	ck_assert(s->buffer.csv.header);
	ck_assert(s->buffer.fsync);

	s = dxt_pipeline_stream(p, "orders");
	ck_assert_int_eq(s->line, 34);
	ck_assert_int_eq(s->ntags, 1);
	ck_assert_str_eq(s->tags[0], "big");
	ck_assert_str_eq(cfg_str(s->target, "schema"), "main");
	ck_assert_str_eq(cfg_str(s->source, "sql"), "SELECT * FROM orders");
	/* Stream-level blocks override key by key. */
	ck_assert_int_eq(s->extract.mode, DXT_EXTRACT_INCREMENTAL);
	ck_assert_str_eq(s->extract.watermark_field, "updated_at");
	ck_assert_uint_eq(s->extract.batch_size, 10000);
	ck_assert_int_eq(s->load.mode, DXT_LOAD_UPSERT);
	ck_assert_int_eq(s->load.n_upsert_keys, 2);
	ck_assert_str_eq(s->load.upsert_keys[1], "region");
	ck_assert_uint_eq(s->load.batch_size, 5000);
	ck_assert_int_eq(s->load.schema_policy, DXT_SCHEMA_DISCARD_ROW);
	ck_assert_int_eq(s->load.on_error, DXT_ON_ERROR_SKIP);
	ck_assert_str_eq(s->buffer.format, "csv");
	ck_assert_int_eq(s->buffer.codec, DXT_CODEC_GZIP);
	ck_assert_uint_eq(s->buffer.part_rows, 5000);
	ck_assert_uint_eq(s->buffer.part_bytes, 64ull << 20);
	ck_assert(!s->buffer.fsync);
	ck_assert_int_eq(s->buffer.csv.delimiter, ';');
	ck_assert(!s->buffer.csv.header);
	ck_assert_ptr_null(dxt_pipeline_stream(p, "nope"));
	done(&r);
}
END_TEST

START_TEST(explicit_style)
{
	struct result r = parse_file("explicit.yaml");
	const struct dxt_stream *s;

	expect_ok(&r);
	s = &r.p->streams[0];
	ck_assert_str_eq(s->extractor.class_path,
			 "dxt.providers.sqlite.SQLiteExtractor");
	ck_assert_ptr_null(s->extractor.provider);
	ck_assert_str_eq(cfg_str(s->extractor.config, "path"), "in.db");
	ck_assert_str_eq(s->loader.class_path, "dxt.providers.local.LocalLoader");
	ck_assert_str_eq(cfg_str(s->loader.config, "path"), "out/");
	s = &r.p->streams[1];
	ck_assert_str_eq(s->extractor.class_path, "acme.crm.CrmExtractor");
	/* The stream's config is merged over the pipeline's. */
	ck_assert_str_eq(cfg_str(s->extractor.config, "path"), "in.db");
	ck_assert_int_eq(json_integer_value(
				 json_object_get(s->extractor.config, "timeout")),
			 30);
	/* `loader: class.path` is the class alone, with an empty config. */
	ck_assert_str_eq(s->loader.class_path, "dxt.providers.local.LocalLoader");
	ck_assert(json_is_object(s->loader.config));
	ck_assert_int_eq(json_object_size(s->loader.config), 0);
	ck_assert(json_is_object(s->source));
	ck_assert_int_eq(json_object_size(s->source), 0);
	done(&r);
}
END_TEST

START_TEST(mixed_styles_merge_configs)
{
	struct result r = parse("name: mixed\n"
				"source: {provider: sqlite, path: a.db, x: 1}\n"
				"target:\n"
				"  provider: local\n"
				"  loader: dxt.providers.local.LocalFileLoader\n"
				"  path: out\n"
				"streams:\n"
				"  - id: s1\n"
				"    extractor: {config: {path: b.db}}\n"
				"  - id: s2\n"
				"    extractor: {provider: csvkit}\n");
	const struct dxt_stream *s;

	expect_ok(&r);
	s = &r.p->streams[0];
	ck_assert_str_eq(s->extractor.provider, "sqlite");
	ck_assert_ptr_null(s->extractor.class_path);
	ck_assert_str_eq(cfg_str(s->extractor.config, "path"), "b.db");
	ck_assert_int_eq(json_integer_value(
				 json_object_get(s->extractor.config, "x")),
			 1);
	/* `loader:` inside the target block names the class. */
	ck_assert_str_eq(s->loader.provider, "local");
	ck_assert_str_eq(s->loader.class_path,
			 "dxt.providers.local.LocalFileLoader");
	ck_assert_ptr_null(json_object_get(s->loader.config, "loader"));
	ck_assert_str_eq(cfg_str(s->loader.config, "path"), "out");
	s = &r.p->streams[1];
	ck_assert_str_eq(s->extractor.provider, "csvkit");
	ck_assert_str_eq(cfg_str(s->extractor.config, "path"), "a.db");
	done(&r);
}
END_TEST

START_TEST(json_input)
{
	struct result r = parse_file("shorthand.json");
	const struct dxt_stream *s;

	expect_ok(&r);
	ck_assert_str_eq(r.p->name, "pg_to_sqlite");
	s = dxt_pipeline_stream(r.p, "orders");
	ck_assert_int_eq(s->extract.mode, DXT_EXTRACT_INCREMENTAL);
	ck_assert_str_eq(s->extract.watermark_field, "updated_at");
	/* A placeholder in a JSON string gives a string; counts take it. */
	ck_assert_uint_eq(s->extract.batch_size, 250);
	ck_assert_int_eq(s->load.mode, DXT_LOAD_REPLACE);
	ck_assert_str_eq(cfg_str(s->target, "name"), "orders");
	ck_assert_int_eq(s->line, 10);
	done(&r);

	/* Diagnostics in JSON documents carry lines and columns too. */
	r = parse("{\"name\": \"j\",\n"
		  " \"target\": {\"provider\": \"sqlite\"},\n"
		  " \"source\": {\"provider\": \"sqlite\"},\n"
		  " \"streams\": [{\"id\": \"a\",\n"
		  "   \"load\": {\"mode\": \"merge\"}}]}\n");
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	ck_assert_ptr_null(r.p);
	expect(&r, "streams[0].load.mode", 5, 21,
	       "\"merge\" is not one of append, replace, upsert", NULL);
	done(&r);
}
END_TEST

START_TEST(defaults)
{
	struct result r = parse("name: minimal\n"
				"source: {provider: a}\n"
				"target: {provider: b}\n"
				"streams: [{id: s}]\n");
	struct dxt_buffer_opts bd;
	const struct dxt_stream *s;

	expect_ok(&r);
	dxt_buffer_opts_default(&bd);
	s = &r.p->streams[0];
	ck_assert_int_eq(r.p->version, 1);
	ck_assert_ptr_null(r.p->description);
	ck_assert_ptr_null(r.p->schedule);
	ck_assert_ptr_null(r.p->buffer_location);
	ck_assert_int_eq(r.p->ntags, 0);
	ck_assert_int_eq(s->extract.mode, DXT_EXTRACT_FULL);
	ck_assert_uint_eq(s->extract.batch_size, 65536);
	ck_assert_ptr_null(s->extract.watermark_field);
	ck_assert_int_eq(s->extract.on_error, DXT_ON_ERROR_FAIL);
	ck_assert_int_eq(s->load.mode, DXT_LOAD_APPEND);
	ck_assert_uint_eq(s->load.batch_size, 65536);
	ck_assert_int_eq(s->load.n_upsert_keys, 0);
	ck_assert_int_eq(s->load.schema_policy, DXT_SCHEMA_EVOLVE);
	ck_assert_str_eq(s->buffer.format, bd.format);
	ck_assert_int_eq(s->buffer.codec, bd.codec);
	ck_assert_uint_eq(s->buffer.part_rows, bd.part_rows);
	ck_assert_uint_eq(s->buffer.part_bytes, bd.part_bytes);
	ck_assert_int_eq(s->buffer.csv.delimiter, bd.csv.delimiter);
	ck_assert(s->buffer.cleanup_on_success == bd.cleanup_on_success);
	ck_assert_int_eq(json_object_size(s->target), 0);
	ck_assert_int_eq(json_object_size(s->extractor.config), 0);
	ck_assert_str_eq(dxt_extract_mode_name(DXT_EXTRACT_INCREMENTAL),
			 "incremental");
	ck_assert_str_eq(dxt_load_mode_name(DXT_LOAD_UPSERT), "upsert");
	ck_assert_str_eq(dxt_load_mode_name(DXT_LOAD_APPEND), "append");
	done(&r);
}
END_TEST

START_TEST(sizes_and_counts)
{
	struct result r = parse("name: sizes\n"
				"source: {provider: a}\n"
				"target: {provider: b}\n"
				"buffer: {part_bytes: 2GiB, batch_bytes: 512 KB,"
				" part_rows: 10, batch_rows: \"300\"}\n"
				"streams:\n"
				"  - id: s\n"
				"    buffer: {part_bytes: 1000}\n");
	const struct dxt_stream *s;

	expect_ok(&r);
	s = &r.p->streams[0];
	ck_assert_uint_eq(s->buffer.part_bytes, 1000);
	ck_assert_uint_eq(s->buffer.batch.max_bytes, 512000);
	ck_assert_uint_eq(s->buffer.part_rows, 10);
	ck_assert_uint_eq(s->buffer.batch.max_rows, 300);
	done(&r);

	r = parse("name: sizes\n"
		  "source: {provider: a}\n"
		  "target: {provider: b}\n"
		  "buffer:\n"
		  "  part_bytes: 12 parsecs\n"
		  "  part_rows: 1k\n"
		  "  batch_rows: 0\n"
		  "  batch_bytes: -5\n"
		  "extract: {batch_size: 1.5}\n"
		  "streams: [{id: s}]\n");
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect(&r, "buffer.part_bytes", 5, 15,
	       "expected a positive size in bytes", NULL);
	expect(&r, "buffer.part_rows", 6, 14,
	       "expected a positive integer, found the string \"1k\"", NULL);
	expect(&r, "buffer.batch_rows", 7, 15,
	       "expected a positive integer, found the number 0", NULL);
	expect(&r, "buffer.batch_bytes", 8, 16, "expected a positive size",
	       NULL);
	expect(&r, "extract.batch_size", 9, 23,
	       "expected a positive integer, found the number 1.5", NULL);
	ck_assert_int_eq(r.diags.n, 5);
	done(&r);
}
END_TEST

START_TEST(interpolation)
{
	struct result r = parse_file("interp.yaml");
	const struct dxt_stream *s;

	expect_ok(&r);
	ck_assert_str_eq(r.p->name, "interp");
	s = &r.p->streams[0];
	ck_assert_str_eq(cfg_str(s->extractor.config, "url"),
			 "postgresql://etl@localhost/db");
	/* ${file:...} is relative to the document's folder; one newline
	 * is dropped. */
	ck_assert_str_eq(cfg_str(s->extractor.config, "password"), "hunter2");
	ck_assert_uint_eq(s->extract.batch_size, 250);
	ck_assert_int_eq(s->load.mode, DXT_LOAD_REPLACE);
	done(&r);
}
END_TEST

START_TEST(interpolation_missing_variable)
{
	struct result r = parse("name: envs\n"
				"source: {provider: local, path: .}\n"
				"target: {provider: sqlite, path: \"${NO_SUCH_VAR}\"}\n"
				"extract:\n"
				"  batch_size: ${NO_BATCH}\n"
				"streams:\n"
				"  - id: a\n"
				"    load: {mode: mergee}\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	ck_assert_ptr_null(r.p);
	expect(&r, "target.path", 3, 34, "variable NO_SUCH_VAR is not set",
	       "${NO_SUCH_VAR:-value}");
	expect(&r, "extract.batch_size", 5, 15, "variable NO_BATCH is not set",
	       NULL);
	/* The rest of the document is still checked... */
	expect(&r, "streams[0].load.mode", 8, 18, "\"mergee\" is not one of",
	       "use one of append, replace, upsert");
	/* ...but an unresolved value is not reported twice. */
	ck_assert_int_eq(r.diags.n, 3);
	done(&r);
}
END_TEST

START_TEST(interpolation_off_accepts_placeholders)
{
	struct dxt_parse_opts o = {0};
	struct result r;

	r = parse_with("name: ${NAME:-stored}\n"
		       "source: {provider: pg, password: \"${PGPASS}\"}\n"
		       "target: {provider: sqlite}\n"
		       "extract: {batch_size: \"${N:-10}\", mode: \"${M}\"}\n"
		       "streams:\n"
		       "  - id: ${ID}\n"
		       "    loader: ${LOADER_CLASS}\n",
		       &o);
	expect_ok(&r);
	ck_assert_str_eq(r.p->name, "${NAME:-stored}");
	ck_assert_str_eq(r.p->streams[0].id, "${ID}");
	ck_assert_str_eq(r.p->streams[0].loader.class_path, "${LOADER_CLASS}");
	ck_assert_str_eq(cfg_str(r.p->streams[0].extractor.config, "password"),
			 "${PGPASS}");
	ck_assert_uint_eq(r.p->streams[0].extract.batch_size, 65536);
	ck_assert_int_eq(r.p->streams[0].extract.mode, DXT_EXTRACT_FULL);
	done(&r);

	/* A stream must still be a mapping. */
	r = parse_with("name: s\nstreams: [\"${S}\"]\n", &o);
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect(&r, "streams[0]", 2, 11, "expected a mapping", NULL);
	done(&r);
}
END_TEST

/* The example of the design: every problem at once, in document order. */
START_TEST(every_problem_at_once)
{
	struct result r = parse("version: 1\n"
				"name: broken\n"
				"source:\n"
				"  provider: local\n"
				"  path: .\n"
				"target:\n"
				"  provider: sqlite\n"
				"  path: out.db\n"
				"streams:\n"
				"  - id: a\n"
				"    source: {type: file, file: a.csv}\n"
				"    target: a\n"
				"  - id: b\n"
				"    load:\n"
				"      mode: merge\n"
				"    source: {type: file, file: b.csv}\n"
				"    target: b\n"
				"    extarct: {mode: full}\n"
				"  - source: {type: file, file: c.csv}\n"
				"    target: c\n");
	char line[512];

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	ck_assert_ptr_null(r.p);
	ck_assert_int_eq(r.diags.n, 3);
	dxt_diag_format(&r.diags.items[0], line, sizeof(line));
	ck_assert_str_eq(line, "streams[1].load.mode: \"merge\" is not one of "
			       "append, replace, upsert (line 15, column 13); "
			       "hint: use one of append, replace, upsert");
	expect(&r, "streams[1].extarct", 18, 5, "unknown key \"extarct\"",
	       "did you mean \"extract\"?");
	expect(&r, "streams[2].id", 19, 5, "missing required key \"id\"", NULL);
	/* Sorted by position. */
	ck_assert_int_eq(r.diags.items[1].line, 18);
	ck_assert_int_eq(r.diags.items[2].line, 19);
	done(&r);
}
END_TEST

START_TEST(wrong_types)
{
	struct result r = parse("name: [not, a, name]\n"
				"tags: nightly\n"
				"description: 12\n"
				"version: 2\n"
				"source: {provider: 3}\n"
				"target: sqlite\n"
				"buffer: {fsync: yes, level: high, csv: tab}\n"
				"streams:\n"
				"  - id: 7\n"
				"    source: users\n"
				"    target: [t]\n"
				"    tags: [ok, {no: 1}]\n"
				"    load: {upsert_keys: [], mode: 3}\n"
				"    extract: full\n"
				"  - just a string\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect(&r, "name", 1, 7, "expected a string, found a list", NULL);
	expect(&r, "tags", 2, 7,
	       "expected a list of strings, found the string \"nightly\"",
	       NULL);
	expect(&r, "description", 3, 14, "expected a string, found the number 12",
	       NULL);
	expect(&r, "version", 4, 10, "version 2 is not supported", NULL);
	expect(&r, "source.provider", 5, 20, "expected a provider name", NULL);
	expect(&r, "target", 6, 9, "expected a mapping, found the string", NULL);
	expect(&r, "buffer.fsync", 7, 17,
	       "expected true or false, found the string \"yes\"", NULL);
	expect(&r, "buffer.level", 7, 29, "expected an integer", NULL);
	expect(&r, "buffer.csv", 7, 40, "expected a mapping", NULL);
	expect(&r, "streams[0].id", 9, 9, "expected a string, found the number 7",
	       "quote it");
	expect(&r, "streams[0].source", 10, 13, "expected a mapping", NULL);
	expect(&r, "streams[0].target", 11, 13,
	       "expected a string or a mapping, found a list", NULL);
	expect(&r, "streams[0].tags[1]", 12, 16, "expected a string", NULL);
	expect(&r, "streams[0].load.upsert_keys", 13, 25,
	       "expected a non-empty list", NULL);
	expect(&r, "streams[0].load.mode", 13, 35,
	       "expected one of append, replace, upsert, found the number 3",
	       NULL);
	expect(&r, "streams[0].extract", 14, 14, "expected a mapping", NULL);
	expect(&r, "streams[1]", 15, 5, "expected a mapping (a stream)", NULL);
	done(&r);
}
END_TEST

START_TEST(missing_required_keys)
{
	struct result r = parse("description: nothing else\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect(&r, "name", 1, 1, "missing required key \"name\"", NULL);
	expect(&r, "streams", 1, 1, "missing required key \"streams\"", NULL);
	ck_assert_int_eq(r.diags.n, 2);
	done(&r);

	r = parse("name: x\nstreams: []\n");
	expect(&r, "streams", 2, 10, "expected at least one stream", NULL);
	done(&r);

	r = parse("name: x\nstreams: 5\n");
	expect(&r, "streams", 2, 10, "expected a list of streams", NULL);
	done(&r);

	r = parse("- a\n- b\n");
	expect(&r, "", 1, 1, "expected a mapping with name and streams", NULL);
	done(&r);

	r = parse("name: bad name!\nstreams: [{id: \"a b\"}]\n"
		  "source: {provider: p}\ntarget: {provider: q}\n");
	expect(&r, "name", 1, 7, "\"bad name!\" is not a valid pipeline name",
	       NULL);
	expect(&r, "streams[0].id", 2, 16, "\"a b\" is not a valid stream id",
	       NULL);
	done(&r);
}
END_TEST

START_TEST(duplicate_stream_ids)
{
	struct result r = parse("name: dup\n"
				"source: {provider: a}\n"
				"target: {provider: b}\n"
				"streams:\n"
				"  - id: users\n"
				"  - id: orders\n"
				"  - id: users\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	ck_assert_int_eq(r.diags.n, 1);
	expect(&r, "streams[2].id", 7, 9, "duplicate stream id \"users\"",
	       "streams[0] at line 5");
	done(&r);
}
END_TEST

START_TEST(unknown_keys_with_hints)
{
	struct result r = parse("name: u\n"
				"stream: []\n"
				"source: {provider: a}\n"
				"target: {provider: b}\n"
				"colour: blue\n"
				"buffer: {formatt: csv, compresion: zstd}\n"
				"streams:\n"
				"  - id: s\n"
				"    load: {mode: append, upsert_key: [id]}\n"
				"    loader: {class: a.B, cfg: {}}\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect(&r, "stream", 2, 1, "unknown key \"stream\"",
	       "did you mean \"streams\"?");
	expect(&r, "colour", 5, 1, "unknown key \"colour\"",
	       "known keys here: version, name, description");
	expect(&r, "buffer.formatt", 6, 10, "unknown key", "\"format\"");
	expect(&r, "buffer.compresion", 6, 24, "unknown key",
	       "\"compression\"");
	expect(&r, "streams[0].load.upsert_key", 9, 26, "unknown key",
	       "\"upsert_keys\"");
	expect(&r, "streams[0].loader.cfg", 10, 26, "unknown key",
	       "known keys here: class, provider, config");
	ck_assert_int_eq(r.diags.n, 6);
	done(&r);
}
END_TEST

START_TEST(cross_checks)
{
	struct result r = parse("name: cc\n"
				"source: {provider: a}\n"
				"target: {provider: b}\n"
				"extract: {mode: incremental}\n"
				"streams:\n"
				"  - id: s1\n"
				"    extract: {watermark_field: ts}\n"
				"  - id: s2\n"
				"  - id: s3\n"
				"    load:\n"
				"      mode: upsert\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	/* s1 names its watermark; s2 and s3 inherit the mode without one
	 * and are reported at the pipeline's block, once. */
	expect(&r, "extract.watermark_field", 4, 10,
	       "watermark_field is required when mode is incremental", NULL);
	expect(&r, "streams[2].load.upsert_keys", 11, 7,
	       "upsert_keys is required when mode is upsert", "[id]");
	ck_assert_int_eq(r.diags.n, 2);
	done(&r);
}
END_TEST

START_TEST(buffer_problems)
{
	struct result r = parse("name: b\n"
				"source: {provider: a}\n"
				"target: {provider: b}\n"
				"buffer:\n"
				"  format: parquet\n"
				"  compression: lz4\n"
				"  csv: {delimiter: ab, header: true}\n"
				"streams:\n"
				"  - id: s\n"
				"    buffer: {format: xml, location: /tmp}\n"
				"  - id: t\n"
				"    buffer: {compression: zstd, level: 99}\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	if (dxt_format_find("parquet") == NULL)
		expect(&r, "buffer.format", 5, 11, "parquet is not available",
		       "csv or jsonl");
	expect(&r, "buffer.compression", 6, 16,
	       "\"lz4\" is not one of none, zstd, gzip", NULL);
	expect(&r, "buffer.csv.delimiter", 7, 20, "delimiter", NULL);
	expect(&r, "streams[0].buffer.format", 10, 22,
	       "\"xml\" is not one of csv, jsonl", NULL);
	expect(&r, "streams[0].buffer.location", 10, 27,
	       "location can only be set for the whole pipeline", NULL);
	expect(&r, "streams[1].buffer.level", 12, 40,
	       "level 99 is out of range for zstd", NULL);
	done(&r);
}
END_TEST

START_TEST(operators_required_and_well_formed)
{
	struct result r = parse("name: ops\n"
				"streams:\n"
				"  - id: none\n"
				"  - id: bad\n"
				"    extractor: not/a/class\n"
				"    loader: {provider: \"no.dots\"}\n");

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect(&r, "streams[0]", 3, 5, "the stream has no extractor",
	       "provider");
	expect(&r, "streams[0]", 3, 5, "the stream has no loader", NULL);
	expect(&r, "streams[1].extractor", 5, 16,
	       "\"not/a/class\" is not a class path", NULL);
	expect(&r, "streams[1].loader.provider", 6, 24,
	       "\"no.dots\" is not a provider name", NULL);
	/* The refused operators are not reported missing as well. */
	ck_assert_int_eq(r.diags.n, 4);
	done(&r);
}
END_TEST

START_TEST(resolver_failures_at_the_class_key)
{
	struct dxt_parse_opts o = {0};
	struct dxt_resolver *res = NULL;
	struct result r;

	ck_assert_int_eq(dxt_resolver_create(NULL, 0, &res), DXT_OK);
	o.resolver = res;
	r = parse_with("name: unknown_class\n"
		       "target: {provider: nosuchprovider}\n"
		       "streams:\n"
		       "  - id: a\n"
		       "    extractor: {class: dxt.providers.sqlite.Nope, "
		       "config: {path: in.db}}\n"
		       "  - id: b\n"
		       "    extractor: acme.crm.CrmExtractor\n",
		       &o);
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect(&r, "streams[0].extractor.class", 5, 17,
	       "dxt.providers.sqlite.Nope", "provider path");
	expect(&r, "streams[1].extractor", 7, 5, "acme.crm.CrmExtractor",
	       NULL);
	/* The pipeline-level provider fails once, not once per stream. */
	expect(&r, "target.provider", 2, 10, "nosuchprovider", NULL);
	ck_assert_int_eq(r.diags.n, 3);
	done(&r);
	dxt_resolver_destroy(res);
}
END_TEST

START_TEST(malformed_documents)
{
	struct result r = parse("name: x\nstreams:\n  - id: a\n"
				"    source: {type: file\n");

	ck_assert_int_eq(r.rc, DXT_EPARSE);
	ck_assert_ptr_null(r.p);
	ck_assert_int_eq(r.diags.n, 1);
	ck_assert_int_eq(r.diags.items[0].line, 5);
	done(&r);

	r = parse("{\"name\": \"x\",\n \"streams\": [\n  {\"id\": \"a\",}\n ]}\n");
	ck_assert_int_eq(r.rc, DXT_EPARSE);
	ck_assert_int_eq(r.diags.n, 1);
	ck_assert_int_eq(r.diags.items[0].line, 3);
	ck_assert_ptr_nonnull(strstr(r.diags.items[0].message, "JSON"));
	done(&r);

	r = parse("name: x\nname: y\nstreams: [{id: a}]\n");
	ck_assert_int_eq(r.rc, DXT_EPARSE);
	expect(&r, "name", 2, 1, "duplicate key \"name\"", NULL);
	done(&r);
}
END_TEST

START_TEST(missing_file)
{
	struct dxt_diags d = {0};
	struct dxt_pipeline *p = (struct dxt_pipeline *)&d;

	ck_assert_int_eq(dxt_pipeline_parse_file("/nonexistent/dxt/p.yaml",
						 NULL, &p, &d),
			 DXT_ENOTFOUND);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.items[0].message,
				     "/nonexistent/dxt/p.yaml"));
	ck_assert_ptr_nonnull(strstr(d.items[0].message,
				     "No such file or directory"));
	dxt_diags_free(&d);
}
END_TEST

START_TEST(diags_as_json)
{
	struct result r = parse("name: j\nstreams: [{id: a, load: {mode: x}}]\n"
				"source: {provider: a}\ntarget: {provider: b}\n");
	json_t *j, *d0;

	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	j = dxt_diags_to_json(&r.diags);
	ck_assert_int_eq(json_array_size(j), 1);
	d0 = json_array_get(j, 0);
	ck_assert_str_eq(cfg_str(d0, "path"), "streams[0].load.mode");
	ck_assert_int_eq(json_integer_value(json_object_get(d0, "line")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(d0, "column")), 32);
	ck_assert_ptr_nonnull(strstr(cfg_str(d0, "message"), "\"x\""));
	ck_assert_ptr_nonnull(cfg_str(d0, "hint"));
	json_decref(j);
	done(&r);
}
END_TEST

Suite *dxt_test_pipeline(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("pipeline");

	tcase_add_test(tc, shorthand_style);
	tcase_add_test(tc, explicit_style);
	tcase_add_test(tc, mixed_styles_merge_configs);
	tcase_add_test(tc, json_input);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, sizes_and_counts);
	tcase_add_test(tc, interpolation);
	tcase_add_test(tc, interpolation_missing_variable);
	tcase_add_test(tc, interpolation_off_accepts_placeholders);
	tcase_add_test(tc, every_problem_at_once);
	tcase_add_test(tc, wrong_types);
	tcase_add_test(tc, missing_required_keys);
	tcase_add_test(tc, duplicate_stream_ids);
	tcase_add_test(tc, unknown_keys_with_hints);
	tcase_add_test(tc, cross_checks);
	tcase_add_test(tc, buffer_problems);
	tcase_add_test(tc, operators_required_and_well_formed);
	tcase_add_test(tc, resolver_failures_at_the_class_key);
	tcase_add_test(tc, malformed_documents);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, diags_as_json);
	suite_add_tcase(s, tc);
	return s;
}
