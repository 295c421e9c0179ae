/*
 * test_local_provider.c - the local filesystem provider, loaded from
 * $DXT_BUILD/providers/local.so as the daemon loads it: CSV and JSON lines
 * into records, globs, folders, compressed files and archives, encodings,
 * schema inference and declared schemas, rejected rows, passthrough copies
 * and records written back to files.
 *
 * Read-only inputs live in $DXT_TEST_DATA/local; everything else is written
 * by the tests into a scratch folder (compressed files and archives with
 * libarchive's writer, so no command-line tool is needed).
 */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/buffer.h"
#include "engine/convert.h"
#include "engine/iostream.h"
#include "engine/operator.h"

static void *so;
static const struct dxt_provider *prov;
static const struct dxt_operator *lx, *lfx, *ll, *lfl, *lconn;
static char tmp[256];
static char data_dir[4096];

static const struct dxt_operator *sym(const char *name)
{
	const struct dxt_operator *op = dlsym(so, name);

	ck_assert_msg(op != NULL, "%s not exported: %s", name, dlerror());
	ck_assert_str_eq(op->name, name);
	ck_assert_int_eq(op->abi_version, DXT_ABI_VERSION);
	return op;
}

static void setup(void)
{
	const char *build = getenv("DXT_BUILD");
	const char *data = getenv("DXT_TEST_DATA");
	char path[4096];

	snprintf(path, sizeof(path), "%s/providers/local.so",
		 build ? build : "build");
	so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(so != NULL, "dlopen %s: %s", path, dlerror());
	prov = dlsym(so, "dxt_provider");
	ck_assert_ptr_nonnull(prov);
	lx = sym("LocalExtractor");
	lfx = sym("LocalFileExtractor");
	ll = sym("LocalLoader");
	lfl = sym("LocalFileLoader");
	lconn = sym("LocalConnector");
	snprintf(data_dir, sizeof(data_dir), "%s/local",
		 data ? data : "tests/data");
	snprintf(tmp, sizeof(tmp), "/tmp/dxt-local-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	dxt_remove_tree(tmp, NULL);
	dlclose(so);
}

/* --- helpers -------------------------------------------------------------- */

/* JSON written with single quotes, for readability. */
static json_t *J(const char *text)
{
	char buf[4096];
	json_error_t je;
	json_t *j;
	size_t i;

	for (i = 0; text[i] && i + 1 < sizeof(buf); i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	buf[i] = '\0';
	j = json_loads(buf, 0, &je);
	ck_assert_msg(j != NULL, "bad test JSON %s: %s", buf, je.text);
	return j;
}

/* Creates the folder that will hold tmp/rel; writes the full path. */
static void prepare(const char *rel, char *path, size_t len)
{
	char dir[4096];

	snprintf(path, len, "%s/%s", tmp, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	ck_assert_int_eq(dxt_mkdirs(dir, NULL), DXT_OK);
}

static void put(const char *rel, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	prepare(rel, path, sizeof(path));
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void puts_file(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	size_t n = 0;

	if (dxt_read_file(path, &data, &n, NULL) != DXT_OK)
		return NULL;
	if (len != NULL)
		*len = n;
	return data;
}

static bool exists(const char *rel)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	return stat(path, &st) == 0;
}

/* One compressed file written with libarchive's "raw" format. */
static void put_compressed(const char *rel, int (*filter)(struct archive *),
			   const char *text)
{
	char path[4096];
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	prepare(rel, path, sizeof(path));
	ck_assert_int_eq(filter(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)strlen(text));
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_data(a, text, strlen(text)),
			 (la_ssize_t)strlen(text));
	archive_entry_free(e);
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* An archive of members (name, text pairs, NULL-terminated). */
static void put_archive(const char *rel, bool zip, bool gzip,
			const char *const *members)
{
	char path[4096];
	struct archive *a = archive_write_new();

	prepare(rel, path, sizeof(path));
	if (zip)
		archive_write_set_format_zip(a);
	else
		archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; members[i] != NULL; i += 2) {
		struct archive_entry *e = archive_entry_new();
		size_t n = strlen(members[i + 1]);

		archive_entry_set_pathname(e, members[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)n);
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_data(a, members[i + 1], n),
				 (la_ssize_t)n);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

struct xres {
	int rc;
	struct dxt_error err;
	char schema[1024];   /* "id:int64,name:string" */
	char rows[8192];     /* "1|Ada\n2|NULL\n" */
	char rejects[4096];  /* rejects.jsonl, "" when absent */
	uint64_t progress_rows;
};

static void fmt_schema(const struct dxt_schema *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		char type[64];

		dxt_field_type_string(&s->fields[i], type, sizeof(type));
		used += (size_t)snprintf(buf + used, len - used, "%s%s:%s",
					 i ? "," : "", s->fields[i].name, type);
	}
}

static void fmt_rows(const struct dxt_batch *b, struct dxt_buf *out)
{
	for (size_t r = 0; r < b->nrows; r++) {
		for (size_t c = 0; c < b->ncols; c++) {
			if (c > 0)
				dxt_buf_putc(out, '|');
			if (!dxt_col_is_valid(&b->cols[c], r))
				dxt_buf_puts(out, "NULL");
			else
				dxt_value_format(&b->cols[c],
						 &b->schema->fields[c], r, out);
		}
		dxt_buf_putc(out, '\n');
	}
}

static void spool_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/spool/s", tmp);
}

/*
 * Runs an extractor with the connection at `base` over `source`, stages into
 * a fresh buffer of `format` ("csv" or "passthrough"), commits, and reads
 * the staged rows back into r.
 */
static void extract_with(const struct dxt_operator *op, const char *base,
			 json_t *source, const struct dxt_extract_opts *xo,
			 const char *format, atomic_int *cancel,
			 struct xres *r)
{
	struct dxt_extract_opts defaults = {0};
	struct dxt_op_progress progress = {0};
	struct dxt_buffer_opts bo;
	struct dxt_buffer_writer *w;
	struct dxt_error e;
	struct dxt_op_ctx ctx = {0};
	json_t *config = json_pack("{s:s}", "path", base);
	char dir[4096], path[4096];
	char *rej;

	memset(r, 0, sizeof(*r));
	spool_dir(dir, sizeof(dir));
	dxt_buffer_opts_default(&bo);
	snprintf(bo.format, sizeof(bo.format), "%s", format);
	bo.fsync = false;
	ck_assert_int_eq(dxt_buffer_writer_open(dir, "s", &bo, &w, &e), DXT_OK);
	ctx.pipeline = "p";
	ctx.stream = "s";
	ctx.run_id = "r1";
	ctx.config = config;
	ctx.source = source;
	ctx.extract = xo ? xo : &defaults;
	ctx.stream_dir = dir;
	ctx.base_dir = "/";
	ctx.progress = &progress;
	ctx.cancel = cancel;
	dxt_error_clear(&r->err);
	r->rc = op->extract(&ctx, w, &r->err);
	r->progress_rows = atomic_load(&progress.rows);
	if (r->rc == DXT_OK)
		ck_assert_int_eq(dxt_buffer_writer_commit(w, &e), DXT_OK);
	dxt_buffer_writer_destroy(w);
	json_decref(config);
	json_decref(source);
	snprintf(path, sizeof(path), "%s/rejects.jsonl", dir);
	rej = slurp(path, NULL);
	if (rej != NULL) {
		snprintf(r->rejects, sizeof(r->rejects), "%s", rej);
		free(rej);
	}
	if (r->rc != DXT_OK || strcmp(format, "passthrough") == 0)
		return;
	{
		struct dxt_buffer_reader *rd;
		struct dxt_batch *b;
		struct dxt_buf out = {0};
		int rc;

		ck_assert_int_eq(dxt_buffer_reader_open(dir, NULL, &rd, &e),
				 DXT_OK);
		fmt_schema(dxt_buffer_reader_manifest(rd)->schema, r->schema,
			   sizeof(r->schema));
		while ((rc = dxt_buffer_reader_next(rd, &b, &e)) == 1)
			fmt_rows(b, &out);
		ck_assert_int_eq(rc, 0);
		snprintf(r->rows, sizeof(r->rows), "%.*s", (int)out.len,
			 out.data ? (char *)out.data : "");
		dxt_buf_free(&out);
		dxt_buffer_reader_destroy(rd);
	}
}

/* LocalExtractor over the scratch folder. */
static void extract(const char *source, struct xres *r)
{
	extract_with(lx, tmp, J(source), NULL, "csv", NULL, r);
}

static void expect_ok(const struct xres *r)
{
	ck_assert_msg(r->rc == DXT_OK, "extract failed (%d): %s", r->rc,
		      r->err.message);
}

static void expect_msg(const struct xres *r, const char *part)
{
	ck_assert_msg(r->rc != DXT_OK, "extract succeeded; rows:\n%s",
		      r->rows);
	ck_assert_msg(strstr(r->err.message, part) != NULL,
		      "message \"%s\" lacks \"%s\"", r->err.message, part);
}

/* Runs a loader over the staged buffer. */
static int load_with(const struct dxt_operator *op, const char *base,
		     const char *target, enum dxt_load_mode mode,
		     struct dxt_load_result *res, struct dxt_error *err)
{
	struct dxt_load_opts lo = {0};
	struct dxt_batch_limits two = {.max_rows = 2};
	struct dxt_op_progress progress = {0};
	struct dxt_buffer_reader *rd;
	struct dxt_op_ctx ctx = {0};
	json_t *config = json_pack("{s:s}", "path", base);
	json_t *t = J(target);
	char dir[4096];
	int rc;

	spool_dir(dir, sizeof(dir));
	lo.mode = mode;
	ck_assert_int_eq(dxt_buffer_reader_open(dir, &two, &rd, err), DXT_OK);
	ctx.pipeline = "p";
	ctx.stream = "s";
	ctx.run_id = "r1";
	ctx.config = config;
	ctx.target = t;
	ctx.load = &lo;
	ctx.stream_dir = dir;
	ctx.base_dir = "/";
	ctx.progress = &progress;
	memset(res, 0, sizeof(*res));
	dxt_error_clear(err);
	rc = op->load(&ctx, rd, res, err);
	dxt_buffer_reader_destroy(rd);
	json_decref(config);
	json_decref(t);
	return rc;
}

/* --- descriptors ---------------------------------------------------------- */

START_TEST(descriptors)
{
	const struct dxt_operator *const *ops = prov->operators;
	size_t n = 0;

	ck_assert_str_eq(prov->name, "local");
	ck_assert_int_eq(prov->category, DXT_CAT_FILESTORE);
	ck_assert_str_eq(prov->default_extractor, "LocalExtractor");
	ck_assert_str_eq(prov->default_loader, "LocalLoader");
	while (ops[n] != NULL)
		n++;
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(lx->kind, DXT_KIND_EXTRACTOR);
	ck_assert_int_eq(lx->unit, DXT_UNIT_RECORDS);
	ck_assert_int_eq(lfx->unit, DXT_UNIT_FILES);
	ck_assert_int_eq(ll->kind, DXT_KIND_LOADER);
	ck_assert_int_eq(lfl->unit, DXT_UNIT_FILES);
	ck_assert_int_eq(lconn->kind, DXT_KIND_CONNECTOR);
	/* Only the descriptors are exported, not the helpers. */
	ck_assert_ptr_null(dlsym(so, "dxt_fs_glob_match"));
	ck_assert_ptr_null(dlsym(so, "dxt__local_extract"));
}
END_TEST

START_TEST(connector_check)
{
	struct dxt_op_ctx ctx = {0};
	struct dxt_error err;
	json_t *config = json_pack("{s:s}", "path", "nosuch");

	ctx.base_dir = tmp;
	ctx.config = config;
	ck_assert_int_eq(lconn->check(&ctx, &err), DXT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "nosuch"));
	json_decref(config);
	config = json_pack("{s:s}", "path", ".");
	ctx.config = config;
	ck_assert_int_eq(lconn->check(&ctx, &err), DXT_OK);
	json_decref(config);
	config = json_pack("{s:s}", "host", "x");
	ctx.config = config;
	ck_assert_int_eq(lconn->check(&ctx, &err), DXT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "unknown key \"host\""));
	json_decref(config);
}
END_TEST

/* --- reading records ------------------------------------------------------ */

START_TEST(csv_file)
{
	struct xres r;

	extract_with(lx, data_dir, J("{'type':'file','file':'orders.csv'}"),
		     NULL, "csv", NULL, &r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "id:int64,customer:string,amount:float64,"
				   "paid:bool,ordered_on:date,note:string");
	ck_assert_str_eq(r.rows, "1|Ada|19.99|true|2024-01-03|first order\n"
				 "2|Grace|5|false|2024-01-03|NULL\n"
				 "3|Ada|120.5|true|2024-01-04|gift wrap, please\n"
				 "4|Linus|42|true|2024-01-05|said \"thanks\"\n");
	ck_assert_uint_eq(r.progress_rows, 4);
}
END_TEST

START_TEST(jsonl_file)
{
	struct xres r;

	extract_with(lx, data_dir, J("{'file':'events.jsonl'}"), NULL, "csv",
		     NULL, &r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "id:int64,kind:string,score:float64,"
				   "ok:bool,at:timestamptz,tags:json");
	ck_assert_str_eq(r.rows,
			 "1|click|0.5|true|2024-01-03 10:15:00+00:00|[\"a\",\"b\"]\n"
			 "2|view|2|false|2024-01-03 11:00:00+00:00|NULL\n"
			 "3|NULL|1.25|NULL|2024-01-04 07:00:00+00:00|{\"x\":1}\n");
}
END_TEST

START_TEST(csv_options_and_tsv)
{
	struct xres r;

	puts_file("semi.txt", "id;name\n1;|a;b|\n2;NA\n");
	extract("{'file':'semi.txt','options':{'format':'csv','delimiter':';',"
		"'quotechar':'|','null_value':'NA'}}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "1|a;b\n2|NULL\n");
	/* .tsv means tab-separated; no header: columns are numbered. */
	puts_file("t.tsv", "1\tx\n2\ty\n");
	extract("{'file':'t.tsv','header':false}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "column_1:int64,column_2:string");
	ck_assert_str_eq(r.rows, "1|x\n2|y\n");
	/* A name that says nothing needs a format. */
	extract("{'file':'semi.txt'}", &r);
	expect_msg(&r, "semi.txt");
	expect_msg(&r, "source.format");
	extract("{'file':'semi.txt','colour':'red'}", &r);
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect_msg(&r, "source.colour");
}
END_TEST

START_TEST(glob_spans_folders)
{
	struct xres r;

	puts_file("data/2024/02/b.csv", "id,v\n3,c\n");
	puts_file("data/2024/01/a.csv", "id,v\n1,a\n2,b\n");
	puts_file("data/top.csv", "id,v\n0,z\n");
	puts_file("data/2024/notes.txt", "not,this\n");
	puts_file("data/.hidden/x.csv", "id,v\n9,h\n");
	extract("{'type':'glob','pattern':'data/**/*.csv'}", &r);
	expect_ok(&r);
	/* Sorted by path; `**` matches no folder too; hidden ones are
	 * skipped. */
	ck_assert_str_eq(r.rows, "1|a\n2|b\n3|c\n0|z\n");
	extract("{'type':'glob','pattern':'data/*/a.csv'}", &r);
	ck_assert_int_eq(r.rc, DXT_ENOTFOUND);
	expect_msg(&r, "no file matches \"data/*/a.csv\"");
	extract("{'type':'glob','pattern':'data/2024/0[2-9]/*.csv'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "3|c\n");
}
END_TEST

START_TEST(directory_recursive)
{
	struct xres r;

	puts_file("d/z.csv", "id\n3\n");
	puts_file("d/sub/a.csv", "id\n2\n");
	puts_file("d/b.csv", "id\n1\n");
	puts_file("d/.tmp.csv", "id\n99\n");
	extract("{'type':'directory','directory':'d/'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "1\n2\n3\n");
	extract("{'type':'directory','directory':'nope'}", &r);
	ck_assert_int_eq(r.rc, DXT_ENOTFOUND);
	expect_msg(&r, "nope");
	extract("{'type':'file','file':'d/missing.csv'}", &r);
	ck_assert_int_eq(r.rc, DXT_ENOTFOUND);
	expect_msg(&r, "d/missing.csv");
}
END_TEST

START_TEST(headers_must_agree)
{
	struct xres r;

	puts_file("h/a.csv", "id,v\n1,a\n");
	puts_file("h/b.csv", "id,w\n2,b\n");
	extract("{'directory':'h'}", &r);
	ck_assert_int_eq(r.rc, DXT_ESCHEMA);
	expect_msg(&r, "h/b.csv");
	expect_msg(&r, "(id, w) differs from the stream's columns (id, v) "
		       "taken from h/a.csv");
}
END_TEST

START_TEST(compressed_inputs)
{
	struct xres r;

	put_compressed("c/1.csv.gz", archive_write_add_filter_gzip,
		       "id,v\n1,gz\n");
	put_compressed("c/2.csv.zst", archive_write_add_filter_zstd,
		       "id,v\n2,zst\n");
	put_compressed("c/3.csv.bz2", archive_write_add_filter_bzip2,
		       "id,v\n3,bz2\n");
	put_compressed("c/4.csv.xz", archive_write_add_filter_xz,
		       "id,v\n4,xz\n");
	put_compressed("c/5.jsonl.gz", archive_write_add_filter_gzip,
		       "{\"id\": 5, \"v\": \"jsonl\"}\n");
	extract("{'type':'glob','pattern':'c/*'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "1|gz\n2|zst\n3|bz2\n4|xz\n5|jsonl\n");
	/* A gzip header over garbage: the message names the file. */
	put("c/6.csv.gz", "\x1f\x8b\x08\x00garbage garbage garbage", 27);
	extract("{'file':'c/6.csv.gz'}", &r);
	ck_assert_int_ne(r.rc, DXT_OK);
	expect_msg(&r, "c/6.csv.gz");
}
END_TEST

START_TEST(archives)
{
	static const char *const tar_members[] = {
		"b.csv", "id,v\n2,b\n",
		"README", "not data\n",
		"sub/a.csv", "id,v\n1,a\n",
		NULL
	};
	struct xres r;

	put_archive("in.tar", false, false, tar_members);
	put_archive("in.tar.gz", false, true, tar_members);
	put_archive("in.zip", true, false, tar_members);
	/* Members in archive order; README is not a CSV file. */
	extract("{'file':'in.tar'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "2|b\n1|a\n");
	extract("{'file':'in.tar.gz','format':'csv'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "2|b\n1|a\n");
	extract("{'file':'in.zip','member':'sub/*.csv'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "1|a\n");
	extract("{'file':'in.zip','member':'nothing*'}", &r);
	ck_assert_int_eq(r.rc, DXT_ENOTFOUND);
	expect_msg(&r, "in.zip: no member");
}
END_TEST

START_TEST(archive_member_errors_name_the_member)
{
	static const char *const members[] = {
		"ok.csv", "id\n1\n",
		"bad.csv", "id\n2\nx\n",
		NULL
	};
	struct xres r;

	put_archive("m.tar", false, false, members);
	extract("{'file':'m.tar','schema':{'id':'int64'}}", &r);
	ck_assert_int_eq(r.rc, DXT_ETYPE);
	expect_msg(&r, "m.tar:bad.csv: line 3, column 1 (id)");
}
END_TEST

START_TEST(encodings)
{
	static const char utf16[] = "\xff\xfei\0d\0,\0n\0\n\0001\0,\0\xe9\0\n\0";
	struct xres r;

	extract_with(lx, data_dir,
		     J("{'file':'latin1.csv','options':{'encoding':'latin-1'}}"),
		     NULL, "csv", NULL, &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "1|Jos\xc3\xa9\n2|M\xc3\xbcller\n");
	put("u16.csv", utf16, sizeof(utf16) - 1);
	extract("{'file':'u16.csv','encoding':'utf-16'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "id:int64,n:string");
	ck_assert_str_eq(r.rows, "1|\xc3\xa9\n");
	extract("{'file':'u16.csv','encoding':'klingon'}", &r);
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect_msg(&r, "unknown encoding \"klingon\"");
	/* A lone surrogate is not UTF-16: the message says where. */
	put("bad16.csv", "i\0d\0\n\0\0\xd8" "1\0\n\0", 10);
	extract("{'file':'bad16.csv','encoding':'utf-16le'}", &r);
	ck_assert_int_eq(r.rc, DXT_EPARSE);
	expect_msg(&r, "bad16.csv: byte offset 6: not valid utf-16le text");
}
END_TEST

/* --- schemas -------------------------------------------------------------- */

START_TEST(inference_types)
{
	struct xres r;

	extract_with(lx, data_dir, J("{'file':'types.csv'}"), NULL, "csv",
		     NULL, &r);
	expect_ok(&r);
	/* z keeps its leading zeros; n never has a value. */
	ck_assert_str_eq(r.schema, "i:int64,f:float64,b:bool,d:date,"
				   "ts:timestamp,tz:timestamptz,s:string,"
				   "z:string,n:string");
	ck_assert_str_eq(r.rows,
			 "1|1.5|true|2024-01-31|2024-01-31 13:45:00|"
			 "2024-01-31 13:45:00+00:00|abc|007|NULL\n"
			 "-2|2|false|2023-12-01|2024-02-01 00:00:00.5|"
			 "2024-01-31 22:00:00+00:00|12|010|NULL\n"
			 "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
			 "3|1000|true|2020-02-29|2024-03-01 10:00:00|"
			 "2024-03-01 15:00:00+00:00|x y|7|NULL\n");
}
END_TEST

START_TEST(inference_failure_names_line_and_column)
{
	struct xres r;
	struct dxt_extract_opts skip = {.on_error = DXT_ON_ERROR_SKIP};

	puts_file("late.csv", "name,n\na,1\nb,2\nc,x\nd,4\n");
	extract("{'file':'late.csv','sample_rows':2}", &r);
	ck_assert_int_eq(r.rc, DXT_ETYPE);
	expect_msg(&r, "late.csv: line 4, column 2 (n)");
	expect_msg(&r, "\"x\"");
	expect_msg(&r, "int64");
	expect_msg(&r, "inferred from the first 2 rows of late.csv");
	expect_msg(&r, "source.sample_rows");
	/* With the default sample the column is a string from the start. */
	extract("{'file':'late.csv'}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "name:string,n:string");
	/* Or the row is rejected. */
	extract_with(lx, tmp, J("{'file':'late.csv','sample_rows':2}"), &skip,
		     "csv", NULL, &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "a|1\nb|2\nd|4\n");
	ck_assert_ptr_nonnull(strstr(r.rejects, "\"line\":4,\"column\":2"));
}
END_TEST

START_TEST(declared_schema)
{
	struct xres r;

	puts_file("dec.csv", "id,amount,code\n1,1.50,7\n2,,8\n");
	/* Partly declared: code stays inferred. */
	extract("{'file':'dec.csv','schema':{'amount':'decimal(10,2)'}}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "id:int64,amount:decimal(10,2),code:int64");
	ck_assert_str_eq(r.rows, "1|1.50|7\n2|NULL|8\n");
	extract("{'file':'dec.csv','schema':[{'name':'id','type':'string'},"
		"{'name':'amount','type':'float64','nullable':true},"
		"{'name':'code','type':'int16'}]}", &r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "id:string,amount:float64,code:int16");
	/* A non-nullable declared column refuses the empty value. */
	extract("{'file':'dec.csv','schema':[{'name':'amount','type':"
		"'decimal(10,2)','nullable':false}]}", &r);
	ck_assert_int_eq(r.rc, DXT_ETYPE);
	expect_msg(&r, "line 3, column 2 (amount)");
	extract("{'file':'dec.csv','schema':{'price':'int64'}}", &r);
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect_msg(&r, "column \"price\" is not in the header of dec.csv "
		       "(columns: id, amount, code)");
	extract("{'file':'dec.csv','schema':{'id':'integr'}}", &r);
	ck_assert_int_eq(r.rc, DXT_ECONFIG);
	expect_msg(&r, "source.schema.id.type");
	/* A file with nothing at all takes its columns from the schema. */
	puts_file("empty.csv", "");
	extract("{'file':'empty.csv','schema':[{'name':'id','type':'int32'}]}",
		&r);
	expect_ok(&r);
	ck_assert_str_eq(r.schema, "id:int32");
	ck_assert_str_eq(r.rows, "");
	extract("{'file':'empty.csv'}", &r);
	ck_assert_int_ne(r.rc, DXT_OK);
	expect_msg(&r, "declare them under source.schema");
}
END_TEST

/* --- bad rows ------------------------------------------------------------- */

START_TEST(bad_rows_fail_or_are_rejected)
{
	struct dxt_extract_opts skip = {.on_error = DXT_ON_ERROR_SKIP};
	struct xres r;
	const char *src = "{'file':'in.csv','schema':[{'name':'id','type':"
			  "'int64'},{'name':'amount','type':'decimal(10,2)'}]}";

	puts_file("in.csv", "id,amount\n1,1.50\n2,abc\n3,3.25\n4\n");
	extract(src, &r);
	ck_assert_int_eq(r.rc, DXT_ETYPE);
	expect_msg(&r, "in.csv: line 3, column 2 (amount)");
	expect_msg(&r, "abc");
	extract_with(lx, tmp, J(src), &skip, "csv", NULL, &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "1|1.50\n3|3.25\n");
	ck_assert_ptr_nonnull(strstr(r.rejects, "{\"row\":2,\"file\":"
						"\"in.csv\",\"line\":3,"
						"\"column\":2,"));
	ck_assert_ptr_nonnull(strstr(r.rejects, "\"raw\":\"2,abc\""));
	ck_assert_ptr_nonnull(strstr(r.rejects, "{\"row\":4,\"file\":"
						"\"in.csv\",\"line\":5,"
						"\"column\":null"));
	ck_assert_ptr_nonnull(strstr(r.rejects, "expected 2 fields, found 1"));
	/* A quote that never closes stays fatal. */
	puts_file("q.csv", "id,name\n1,\"a\n2,b\n");
	extract_with(lx, tmp, J("{'file':'q.csv'}"), &skip, "csv", NULL, &r);
	ck_assert_int_eq(r.rc, DXT_EPARSE);
	expect_msg(&r, "q.csv: line 2");
	expect_msg(&r, "quote");
}
END_TEST

START_TEST(jsonl_bad_lines)
{
	struct dxt_extract_opts skip = {.on_error = DXT_ON_ERROR_SKIP};
	struct xres r;

	puts_file("e.jsonl", "{\"id\": 1}\n{\"id\": \"x\"}\n[1]\n{\"id\": 4}\n");
	extract("{'file':'e.jsonl','schema':{'id':'int64'}}", &r);
	ck_assert_int_eq(r.rc, DXT_ETYPE);
	expect_msg(&r, "e.jsonl: line 2");
	extract_with(lx, tmp, J("{'file':'e.jsonl','schema':{'id':'int64'}}"),
		     &skip, "csv", NULL, &r);
	expect_ok(&r);
	ck_assert_str_eq(r.rows, "1\n4\n");
	ck_assert_ptr_nonnull(strstr(r.rejects, "\"line\":2,\"column\":1,"));
	/* Not an object: no field to name. */
	ck_assert_ptr_nonnull(strstr(r.rejects, "\"line\":3,\"column\":null"));
}
END_TEST

START_TEST(cancel_between_batches)
{
	struct dxt_extract_opts small = {.batch_size = 1};
	atomic_int cancel = 1;
	struct xres r;

	puts_file("c.csv", "id\n1\n2\n3\n");
	extract_with(lx, tmp, J("{'file':'c.csv'}"), &small, "csv", &cancel,
		     &r);
	ck_assert_int_eq(r.rc, DXT_ECANCELLED);
}
END_TEST

/* --- files as they are ---------------------------------------------------- */

START_TEST(passthrough_round_trip)
{
	struct dxt_load_result res;
	struct dxt_error err;
	struct xres r;
	size_t n = 3u << 20, len;
	unsigned char *blob = malloc(n);
	char path[4096], *back;
	uint32_t x = 12345;

	ck_assert_ptr_nonnull(blob);
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		blob[i] = (unsigned char)(x >> 16);
	}
	put("src/a/b/blob.bin", blob, n);
	puts_file("src/a/note.txt", "hello\n");
	snprintf(path, sizeof(path), "%s/src", tmp);
	extract_with(lfx, path, J("{'type':'glob','pattern':'**/*'}"), NULL,
		     "passthrough", NULL, &r);
	expect_ok(&r);
	snprintf(path, sizeof(path), "%s/dst", tmp);
	ck_assert_int_eq(load_with(lfl, path, "{'name':'copied'}",
				   DXT_LOAD_APPEND, &res, &err),
			 DXT_OK);
	ck_assert_uint_eq(res.files_loaded, 2);
	snprintf(path, sizeof(path), "%s/dst/copied/a/b/blob.bin", tmp);
	back = slurp(path, &len);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(back, blob, n) == 0);
	free(back);
	snprintf(path, sizeof(path), "%s/dst/copied/a/note.txt", tmp);
	back = slurp(path, NULL);
	ck_assert_str_eq(back, "hello\n");
	free(back);
	/* Append never overwrites; replace does. */
	snprintf(path, sizeof(path), "%s/dst", tmp);
	ck_assert_int_eq(load_with(lfl, path, "{'name':'copied'}",
				   DXT_LOAD_APPEND, &res, &err),
			 DXT_EEXISTS);
	ck_assert_ptr_nonnull(strstr(err.message, "already exists"));
	ck_assert_int_eq(load_with(lfl, path, "{'name':'copied'}",
				   DXT_LOAD_REPLACE, &res, &err),
			 DXT_OK);
	/* No temporary file is left behind. */
	ck_assert(!exists("dst/copied/a/.note.txt.r1.1.tmp"));
	free(blob);
}
END_TEST

/* --- records into files --------------------------------------------------- */

START_TEST(records_to_files)
{
	struct dxt_load_result res;
	struct dxt_error err;
	struct xres r;
	char out[4096], path[4096], *text;

	extract_with(lx, data_dir, J("{'file':'orders.csv'}"), NULL, "csv",
		     NULL, &r);
	expect_ok(&r);
	snprintf(out, sizeof(out), "%s/out", tmp);
	ck_assert_int_eq(load_with(ll, out, "{'name':'t'}", DXT_LOAD_REPLACE,
				   &res, &err),
			 DXT_OK);
	ck_assert_uint_eq(res.rows_loaded, 4);
	snprintf(path, sizeof(path), "%s/t/s.csv", out);
	text = slurp(path, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "id,customer,amount,paid,ordered_on,note\n"
			       "1,Ada,19.99,true,2024-01-03,first order\n"
			       "2,Grace,5,false,2024-01-03,\n"
			       "3,Ada,120.5,true,2024-01-04,\"gift wrap, please\"\n"
			       "4,Linus,42,true,2024-01-05,\"said \"\"thanks\"\"\"\n");
	free(text);
	/* Append adds a numbered file; replace removes it again. */
	ck_assert_int_eq(load_with(ll, out, "{'name':'t'}", DXT_LOAD_APPEND,
				   &res, &err),
			 DXT_OK);
	ck_assert(exists("out/t/s.csv"));
	ck_assert(exists("out/t/s-00001.csv"));
	ck_assert_int_eq(load_with(ll, out, "{'name':'t'}", DXT_LOAD_APPEND,
				   &res, &err),
			 DXT_OK);
	ck_assert(exists("out/t/s-00002.csv"));
	puts_file("out/t/other.csv", "keep me\n");
	ck_assert_int_eq(load_with(ll, out, "{'name':'t'}", DXT_LOAD_REPLACE,
				   &res, &err),
			 DXT_OK);
	ck_assert(exists("out/t/s.csv"));
	ck_assert(!exists("out/t/s-00001.csv"));
	ck_assert(!exists("out/t/s-00002.csv"));
	ck_assert(exists("out/t/other.csv"));
	/* JSON lines, gzip-compressed, under a pattern. */
	ck_assert_int_eq(load_with(ll, out, "{'path':'j','options':{'format':"
					    "'jsonl','compression':'gzip',"
					    "'file_name':'{stream}-{run_id}."
					    "jsonl.gz'}}",
				   DXT_LOAD_REPLACE, &res, &err),
			 DXT_OK);
	{
		struct dxt_istream *is;
		char buf[4096];
		long n;

		snprintf(path, sizeof(path), "%s/j/s-r1.jsonl.gz", out);
		ck_assert_int_eq(dxt_istream_open(path, DXT_CODEC_GZIP, &is,
						  &err),
				 DXT_OK);
		n = dxt_istream_read(is, buf, sizeof(buf) - 1, &err);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_msg(strstr(buf, "\"customer\":\"Ada\"") != NULL ||
				      strstr(buf, "\"customer\": \"Ada\"") != NULL,
			      "%s", buf);
		ck_assert_ptr_nonnull(strstr(buf, "said \\\"thanks\\\""));
		dxt_istream_close(is);
	}
	/* Several files when rows_per_file asks for them (the buffer hands
	 * out batches of two rows here). */
	ck_assert_int_eq(load_with(ll, out, "{'name':'p','rows_per_file':1}",
				   DXT_LOAD_REPLACE, &res, &err),
			 DXT_OK);
	ck_assert_uint_eq(res.files_loaded, 2);
	ck_assert(exists("out/p/s-00001.csv"));
	ck_assert(exists("out/p/s-00002.csv"));
	ck_assert(!exists("out/p/s.csv"));
	/* Bad options are named. */
	ck_assert_int_eq(load_with(ll, out, "{'name':'t','format':'xml'}",
				   DXT_LOAD_REPLACE, &res, &err),
			 DXT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "target.format"));
	ck_assert_int_eq(load_with(ll, out, "{'name':'t'}", DXT_LOAD_UPSERT,
				   &res, &err),
			 DXT_EUNSUPPORTED);
}
END_TEST

Suite *dxt_test_local_provider(void)
{
	Suite *s = suite_create("local_provider");
	TCase *tc = tcase_create("local_provider");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, descriptors);
	tcase_add_test(tc, connector_check);
	tcase_add_test(tc, csv_file);
	tcase_add_test(tc, jsonl_file);
	tcase_add_test(tc, csv_options_and_tsv);
	tcase_add_test(tc, glob_spans_folders);
	tcase_add_test(tc, directory_recursive);
	tcase_add_test(tc, headers_must_agree);
	tcase_add_test(tc, compressed_inputs);
	tcase_add_test(tc, archives);
	tcase_add_test(tc, archive_member_errors_name_the_member);
	tcase_add_test(tc, encodings);
	tcase_add_test(tc, inference_types);
	tcase_add_test(tc, inference_failure_names_line_and_column);
	tcase_add_test(tc, declared_schema);
	tcase_add_test(tc, bad_rows_fail_or_are_rejected);
	tcase_add_test(tc, jsonl_bad_lines);
	tcase_add_test(tc, cancel_between_batches);
	tcase_add_test(tc, passthrough_round_trip);
	tcase_add_test(tc, records_to_files);
	suite_add_tcase(s, tc);
	return s;
}
