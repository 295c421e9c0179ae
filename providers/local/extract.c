/*
 * extract.c - LocalExtractor: CSV and JSON lines files into records.
 *
 * Every file of the source is read in path order through a chain of read
 * layers: the file itself (decompressed by libarchive when needed), then the
 * character set conversion when the encoding is not UTF-8, then the CSV or
 * JSON lines reader of the engine, which converts each record into a row of
 * the current batch.
 *
 * The schema comes from the first file that has any: declared columns take
 * their declared type, the others are inferred from the first sample_rows
 * records. The buffer is a streaming sink that takes the schema before the
 * first row, so the first file is read through a replay layer: the records
 * sampled for inference are read again from memory by a fresh reader, which
 * converts them with the same line numbers as a single pass would. A later
 * value that does not fit an inferred type cannot widen the column (rows
 * already staged used the narrower type), so it is an error with a hint to
 * declare the column, or a rejected row under on_error: skip.
 *
 * Parquet files carry their own schema. Before anything is staged every
 * file's footer is read: the files must agree on names, types, precision and
 * scale (a column is nullable when it is in any file), declared columns must
 * match the files', and then the files are read through the engine's Parquet
 * reader straight into the stream's batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jsonl.h"
#include "engine/parquet.h"
#include "providers/local/local.h"

/* Bytes the replay layer keeps at most while sampling the first file. */
#define SAMPLE_CAP ((size_t)64 << 20)

struct xstate {
	const struct dxt_op_ctx *ctx;
	struct dxt_buffer_writer *out;
	struct dxt_error *err;
	struct dxt_fs_source src;
	char base[PATH_MAX];
	struct dxt_schema *schema;   /* the stream's, once known */
	char *schema_file;           /* the file the columns came from */
	struct dxt_batch batch;
	bool have_batch;
	struct dxt_batch_limits limits;
	bool skip;                   /* on_error: skip */
	bool parquet;                /* the files are Parquet files */
	uint64_t rows;               /* rows handed to the buffer */
	uint64_t seen;               /* data records read, rejects included */
};

/* --- schema --------------------------------------------------------------- */

static bool declared(const struct xstate *st, const char *name)
{
	return st->src.schema != NULL &&
	       dxt_schema_find(st->src.schema, name) >= 0;
}

/* Makes the inferred schema the stream's and hands it to the buffer. */
static int set_schema(struct xstate *st, const struct dxt_fs_infer *inf,
		      const char *file)
{
	struct dxt_schema *s;
	int rc;

	rc = dxt_fs_infer_schema(inf, st->src.schema, &s, st->err);
	if (rc != DXT_OK)
		return rc;
	if (s->n == 0) {
		dxt_schema_destroy(s);
		return DXT_OK;
	}
	st->schema = s;
	st->schema_file = strdup(file);
	if (st->schema_file == NULL)
		return dxt_error_set(st->err, DXT_ENOMEM, "out of memory");
	rc = dxt_batch_init(&st->batch, s);
	if (rc != DXT_OK)
		return dxt_error_set(st->err, rc, "out of memory");
	st->have_batch = true;
	return dxt_buffer_writer_schema(st->out, s, st->err);
}

/* Writes a comma-separated list of names into buf. */
static void names_list(char *buf, size_t len, const char *const *names,
		       size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		int k = snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", names[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

static void schema_names(char *buf, size_t len, const struct dxt_schema *s)
{
	const char *names[64] = {0};
	size_t n = s->n < 64 ? s->n : 64;

	for (size_t i = 0; i < n; i++)
		names[i] = s->fields[i].name;
	names_list(buf, len, names, n);
}

/* --- errors and rejects --------------------------------------------------- */

/*
 * The column (0-based) a conversion error message from the CSV or JSON
 * lines reader names, or -1: they read "<file>: line N, column C (name):
 * ..." (CSV) or "<file>: line N, field <name>: ..." (JSON lines, where a
 * "column" is a character position in the line, not a field).
 */
static int error_column(const char *msg, const char *file,
			const struct dxt_schema *s, bool csv)
{
	size_t n = strlen(file);
	const char *p;
	int best = -1;
	size_t best_len = 0;

	if (strncmp(msg, file, n) != 0 || strncmp(msg + n, ": line ", 7) != 0)
		return -1;
	p = msg + n + 7;
	while (*p >= '0' && *p <= '9')
		p++;
	if (csv && strncmp(p, ", column ", 9) == 0) {
		long c = strtol(p + 9, NULL, 10);

		return c >= 1 && (size_t)c <= s->n ? (int)c - 1 : -1;
	}
	if (strncmp(p, ", field ", 8) != 0)
		return -1;
	p += 8;
	for (size_t i = 0; i < s->n; i++) {
		size_t k = strlen(s->fields[i].name);

		if (strncmp(p, s->fields[i].name, k) == 0 && p[k] == ':' &&
		    k >= best_len) {
			best = (int)i;
			best_len = k;
		}
	}
	return best;
}

/*
 * Handles a record the reader could not convert (`e` holds why): rejects it
 * under on_error: skip, else fails the stream with the reader's message and,
 * for a type error in an inferred column, what to do about it.
 */
static int bad_record(struct xstate *st, int rc, const struct dxt_error *e,
		      const char *file, bool csv, uint64_t line,
		      const char *raw, size_t raw_len)
{
	int col = error_column(e->message, file, st->schema, csv);

	if (st->skip && (rc == DXT_EPARSE || rc == DXT_ETYPE))
		return dxt_buffer_writer_reject(st->out, st->seen, file, line,
						col >= 0 ? (uint64_t)col + 1 : 0,
						e->message, raw, raw_len,
						st->err);
	if (rc == DXT_ETYPE && col >= 0 &&
	    !declared(st, st->schema->fields[col].name)) {
		const struct dxt_field *f = &st->schema->fields[col];
		char type[64];

		dxt_field_type_string(f, type, sizeof(type));
		return dxt_error_set(st->err, rc, "%s; the type %s of column "
				     "%s was inferred from the first %zu rows "
				     "of %s: declare the column under "
				     "source.schema (e.g. %s: string) or raise "
				     "source.sample_rows, or set on_error: skip",
				     e->message, type, f->name,
				     st->src.sample_rows, st->schema_file,
				     f->name);
	}
	*st->err = *e;
	return rc;
}

/* Hands the batch to the buffer and reports progress. */
static int flush(struct xstate *st)
{
	int rc;

	if (st->batch.nrows == 0)
		return dxt__local_cancelled(st->ctx, st->err);
	rc = dxt_buffer_writer_batch(st->out, &st->batch, st->err);
	if (rc != DXT_OK)
		return rc;
	st->rows += st->batch.nrows;
	dxt_batch_reset(&st->batch);
	dxt__local_progress(st->ctx, st->rows,
			    dxt_buffer_writer_bytes(st->out));
	return dxt__local_cancelled(st->ctx, st->err);
}

/* --- CSV ------------------------------------------------------------------ */

/* Reads the first records of a CSV file to name and type the columns. */
static int sample_csv(struct xstate *st, const char *file,
		      const struct dxt_csv_opts *opts,
		      struct dxt_fs_replay *rep)
{
	const struct dxt_schema *decl = st->src.schema;
	struct dxt_csv_reader *r = NULL;
	struct dxt_fs_infer *inf = dxt_fs_infer_create();
	struct dxt_csv_field *fields;
	size_t nf = 0, ncols, undeclared = 0;
	bool pending = false; /* the first record is data (no header) */
	int rc;

	if (inf == NULL)
		return dxt_error_set(st->err, DXT_ENOMEM, "out of memory");
	rc = dxt_csv_reader_create(opts, dxt_fs_replay_read, rep, file, &r,
				   st->err);
	if (rc != DXT_OK)
		goto out;
	rc = dxt_csv_read(r, &fields, &nf, st->err);
	if (rc <= 0) {
		/* An empty file names no columns; a capped read is retried
		 * by the streaming pass, which reports any error. */
		if (rc < 0 && dxt_fs_replay_capped(rep))
			rc = DXT_OK;
		goto out;
	}
	for (size_t i = 0; i < nf; i++) {
		char name[32];
		const char *p = name;
		size_t n;

		if (opts->header && fields[i].n > 0) {
			p = fields[i].p;
			n = fields[i].n;
		} else if (!opts->header && decl != NULL && i < decl->n) {
			p = decl->fields[i].name;
			n = strlen(p);
		} else {
			n = (size_t)snprintf(name, sizeof(name), "column_%zu",
					     i + 1);
		}
		if (dxt_fs_infer_find(inf, p, n) >= 0) {
			rc = dxt_error_set(st->err, DXT_ESCHEMA,
					   "%s: line 1: column \"%.*s\" appears "
					   "twice in the header; rename one",
					   file, (int)n, p);
			goto out;
		}
		rc = dxt_fs_infer_add(inf, p, n);
		if (rc < 0) {
			rc = dxt_error_set(st->err, rc, "out of memory");
			goto out;
		}
		rc = DXT_OK;
		if (!declared(st, dxt_fs_infer_name(inf, i)))
			undeclared++;
	}
	ncols = nf;
	for (size_t i = 0; decl != NULL && i < decl->n; i++) {
		const char *name = decl->fields[i].name;
		char cols[512];
		const char *names[64] = {0};
		size_t k = ncols < 64 ? ncols : 64;

		if (dxt_fs_infer_find(inf, name, strlen(name)) >= 0)
			continue;
		for (size_t j = 0; j < k; j++)
			names[j] = dxt_fs_infer_name(inf, j);
		names_list(cols, sizeof(cols), names, k);
		rc = dxt_error_setc(st->err, DXT_ECONFIG, DXT_TERMINAL,
				    DXT_ORIGIN_CONFIG,
				    opts->header
					    ? "source.schema: column \"%s\" is "
					      "not in the header of %s "
					      "(columns: %s)"
					    : "source.schema: column \"%s\" is "
					      "beyond the fields of %s "
					      "(columns: %s)",
				    name, file, cols);
		goto out;
	}
	pending = !opts->header;
	for (size_t k = 0; undeclared > 0 && k < st->src.sample_rows; k++) {
		if (!pending) {
			rc = dxt_csv_read(r, &fields, &nf, st->err);
			if (rc <= 0 || dxt_fs_replay_capped(rep)) {
				/* Errors show again, at the same line, when
				 * the records are converted. */
				rc = DXT_OK;
				break;
			}
		}
		pending = false;
		if (nf != ncols)
			continue;
		for (size_t i = 0; i < nf; i++) {
			if (dxt_csv_is_null(r, &fields[i]) ||
			    declared(st, dxt_fs_infer_name(inf, i)))
				continue;
			dxt_fs_infer_text(inf, i, fields[i].p, fields[i].n);
		}
	}
	rc = set_schema(st, inf, file);
out:
	dxt_csv_reader_destroy(r);
	dxt_fs_infer_destroy(inf);
	return rc;
}

/* Checks a later file's header against the stream's columns. */
static int check_header(struct xstate *st, const char *file,
			const struct dxt_csv_field *fields, size_t nf)
{
	bool same = nf == st->schema->n;
	char want[512], got[512];
	const char *names[64] = {0};
	char *copies[64] = {0};
	size_t k = nf < 64 ? nf : 64;

	for (size_t i = 0; same && i < nf; i++) {
		const char *name = st->schema->fields[i].name;
		char gen[32];
		const char *p = fields[i].p;
		size_t n = fields[i].n;

		if (n == 0) {
			n = (size_t)snprintf(gen, sizeof(gen), "column_%zu",
					     i + 1);
			p = gen;
		}
		same = strlen(name) == n && memcmp(name, p, n) == 0;
	}
	if (same)
		return DXT_OK;
	for (size_t i = 0; i < k; i++) {
		copies[i] = strndup(fields[i].p, fields[i].n);
		names[i] = copies[i] ? copies[i] : "?";
	}
	names_list(got, sizeof(got), names, k);
	for (size_t i = 0; i < k; i++)
		free(copies[i]);
	schema_names(want, sizeof(want), st->schema);
	return dxt_error_set(st->err, DXT_ESCHEMA,
			     "%s: line 1: the header (%s) differs from the "
			     "stream's columns (%s) taken from %s; every file "
			     "of a stream needs the same columns in the same "
			     "order",
			     file, got, want, st->schema_file);
}

static int stream_csv(struct xstate *st, const char *file,
		      const struct dxt_csv_opts *opts, dxt_read_fn read,
		      void *rctx)
{
	struct dxt_csv_reader *r = NULL;
	struct dxt_csv_field *fields;
	struct dxt_error e;
	size_t nf;
	int rc;

	rc = dxt_csv_reader_create(opts, read, rctx, file, &r, st->err);
	if (rc != DXT_OK)
		return rc;
	if (opts->header) {
		rc = dxt_csv_read(r, &fields, &nf, st->err);
		if (rc > 0)
			rc = check_header(st, file, fields, nf);
		if (rc != DXT_OK)
			goto out;
	}
	for (;;) {
		rc = dxt_csv_read(r, &fields, &nf, st->err);
		if (rc <= 0)
			break;
		st->seen++;
		dxt_error_clear(&e);
		rc = dxt_csv_append_record(r, fields, nf, &st->batch, &e);
		if (rc != DXT_OK) {
			size_t raw_len;
			const char *raw = dxt_csv_raw(r, &raw_len);

			if (rc == DXT_ENOMEM || rc == DXT_ELIMIT) {
				*st->err = e;
				break;
			}
			rc = bad_record(st, rc, &e, file, true, dxt_csv_line(r),
					raw, raw_len);
			if (rc != DXT_OK)
				break;
			continue;
		}
		if (dxt_batch_full(&st->batch, &st->limits)) {
			rc = flush(st);
			if (rc != DXT_OK)
				break;
		}
	}
out:
	dxt_csv_reader_destroy(r);
	return rc;
}

/* --- JSON lines ----------------------------------------------------------- */

/* Feeds one sampled object's members to the inference. */
static int infer_object(struct xstate *st, struct dxt_fs_infer *inf,
			json_t *obj, bool huge_ints)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		size_t n = strlen(key);
		int col = dxt_fs_infer_find(inf, key, n);

		if (col < 0) {
			col = dxt_fs_infer_add(inf, key, n);
			if (col < 0)
				return dxt_error_set(st->err, col,
						     "out of memory");
		}
		if (declared(st, key) || json_is_null(v))
			continue;
		if (huge_ints && json_is_real(v)) {
			/* The line held an integer too large for int64 and
			 * its numbers were read as doubles: keep them as
			 * JSON text, which loses no digit. */
			json_t *as_json = json_object();

			if (as_json == NULL)
				return dxt_error_set(st->err, DXT_ENOMEM,
						     "out of memory");
			dxt_fs_infer_json(inf, (size_t)col, as_json);
			json_decref(as_json);
			continue;
		}
		dxt_fs_infer_json(inf, (size_t)col, v);
	}
	return DXT_OK;
}

static int sample_jsonl(struct xstate *st, const char *file,
			struct dxt_fs_replay *rep)
{
	struct dxt_jsonl_reader *r = NULL;
	struct dxt_fs_infer *inf = dxt_fs_infer_create();
	int rc;

	if (inf == NULL)
		return dxt_error_set(st->err, DXT_ENOMEM, "out of memory");
	rc = dxt_jsonl_reader_create(dxt_fs_replay_read, rep, file, &r,
				     st->err);
	/* Every declared column is known even if no line names it. */
	for (size_t k = 0; rc == DXT_OK && k < st->src.sample_rows; k++) {
		const char *line;
		size_t len;
		json_error_t je;
		json_t *obj;
		bool huge = false;

		rc = dxt_jsonl_read_line(r, &line, &len, st->err);
		if (rc <= 0 || dxt_fs_replay_capped(rep)) {
			rc = DXT_OK;
			break;
		}
		rc = DXT_OK;
		obj = json_loadb(line, len, JSON_ALLOW_NUL, &je);
		if (obj == NULL) {
			obj = json_loadb(line, len,
					 JSON_ALLOW_NUL |
						 JSON_DECODE_INT_AS_REAL,
					 &je);
			huge = true;
		}
		/* Lines that are not objects fail again, with their line
		 * number, when the rows are converted. */
		if (obj == NULL)
			continue;
		if (json_is_object(obj))
			rc = infer_object(st, inf, obj, huge);
		json_decref(obj);
	}
	if (rc == DXT_OK)
		rc = set_schema(st, inf, file);
	dxt_jsonl_reader_destroy(r);
	dxt_fs_infer_destroy(inf);
	return rc;
}

static int stream_jsonl(struct xstate *st, const char *file, dxt_read_fn read,
			void *rctx)
{
	struct dxt_jsonl_reader *r = NULL;
	struct dxt_error e;
	int rc;

	rc = dxt_jsonl_reader_create(read, rctx, file, &r, st->err);
	while (rc == DXT_OK) {
		dxt_error_clear(&e);
		rc = dxt_jsonl_read_row(r, &st->batch, &e);
		if (rc == 0)
			break;
		if (rc == 1) {
			st->seen++;
			rc = DXT_OK;
			if (dxt_batch_full(&st->batch, &st->limits))
				rc = flush(st);
			continue;
		}
		if (rc == DXT_EPARSE || rc == DXT_ETYPE) {
			size_t raw_len;
			const char *raw = dxt_jsonl_raw(r, &raw_len);

			st->seen++;
			rc = bad_record(st, rc, &e, file, false,
					dxt_jsonl_line(r), raw, raw_len);
			continue;
		}
		*st->err = e;
	}
	dxt_jsonl_reader_destroy(r);
	return rc;
}

/* --- Parquet ------------------------------------------------------------- */

/*
 * The path to open a listed file with: the base folder and the file, without
 * the leading "./" a pipeline folder of "." gives, since the reader's
 * messages name the file by it.
 */
static int pq_path(const struct xstate *st, const char *name, char *buf,
		   size_t len)
{
	int rc = dxt__local_join(buf, len, st->base, name, st->err);
	size_t skip = 0;

	while (rc == DXT_OK && buf[skip] == '.' && buf[skip + 1] == '/' &&
	       buf[skip + 2] != '\0')
		skip += 2;
	memmove(buf, buf + skip, strlen(buf + skip) + 1);
	return rc;
}

/* The format a listed file is read as: source.format, else its name's. */
static const char *file_format(const struct xstate *st, const char *path,
			       struct dxt_fs_kind *kind)
{
	dxt_fs_detect(path, kind);
	return st->src.format[0] ? st->src.format : kind->format;
}

/*
 * Describes the first difference between the columns of Parquet files a
 * (schema sa) and b (schema sb) into buf, or returns false when they agree
 * on names, types, precision and scale.
 */
static bool schema_difference(const struct dxt_schema *sa, const char *a,
			      const struct dxt_schema *sb, const char *b,
			      char *buf, size_t len)
{
	for (size_t i = 0; i < sa->n && i < sb->n; i++) {
		const struct dxt_field *x = &sa->fields[i], *y = &sb->fields[i];
		char tx[64], ty[64];

		if (strcmp(x->name, y->name) != 0) {
			snprintf(buf, len, "column %zu is \"%s\" in %s but "
				 "\"%s\" in %s", i + 1, x->name, a, y->name, b);
			return true;
		}
		dxt_field_type_string(x, tx, sizeof(tx));
		dxt_field_type_string(y, ty, sizeof(ty));
		if (strcmp(tx, ty) != 0) {
			snprintf(buf, len, "column \"%s\" is %s in %s but %s "
				 "in %s", x->name, tx, a, ty, b);
			return true;
		}
	}
	if (sa->n != sb->n) {
		char na[512], nb[512];

		schema_names(na, sizeof(na), sa);
		schema_names(nb, sizeof(nb), sb);
		snprintf(buf, len, "%s has %zu columns (%s) but %s has %zu "
			 "(%s)", a, sa->n, na, b, sb->n, nb);
		return true;
	}
	return false;
}

/* Checks the declared columns (source.schema) against a file's. */
static int check_declared(struct xstate *st, const struct dxt_schema *fs,
			  const char *file)
{
	const struct dxt_schema *decl = st->src.schema;

	for (size_t i = 0; decl != NULL && i < decl->n; i++) {
		const struct dxt_field *d = &decl->fields[i];
		int k = dxt_schema_find(fs, d->name);
		char td[64], tf[64], cols[512];

		if (k < 0) {
			schema_names(cols, sizeof(cols), fs);
			return dxt_error_setc(st->err, DXT_ESCHEMA,
					      DXT_TERMINAL, DXT_ORIGIN_CONFIG,
					      "source.schema: column \"%s\" is "
					      "not in %s (columns: %s)",
					      d->name, file, cols);
		}
		dxt_field_type_string(d, td, sizeof(td));
		dxt_field_type_string(&fs->fields[k], tf, sizeof(tf));
		if (strcmp(td, tf) != 0)
			return dxt_error_setc(st->err, DXT_ESCHEMA,
					      DXT_TERMINAL, DXT_ORIGIN_CONFIG,
					      "source.schema: column \"%s\" is "
					      "declared %s but %s holds %s; a "
					      "Parquet file brings its own "
					      "types: declare %s or drop the "
					      "declaration", d->name, td, file,
					      tf, tf);
	}
	return DXT_OK;
}

/*
 * Decides whether the stream reads Parquet files and, if so, reads every
 * file's footer first: the files must have the same columns, and the
 * stream's schema (handed to the buffer here, before any row) is the first
 * file's with a column nullable when any file has it nullable. A mix of
 * Parquet and other files is refused.
 */
static int plan_parquet(struct xstate *st, const struct dxt_fs_files *files)
{
	const char *pq = NULL, *other = NULL;
	struct dxt_fs_kind kind;
	int rc = DXT_OK;

	for (size_t i = 0; i < files->n; i++) {
		const char *fmt = file_format(st, files->items[i].path, &kind);

		if (strcmp(fmt, "parquet") == 0) {
			if (kind.compression != DXT_FS_COMP_NONE ||
			    kind.archive != DXT_FS_ARCHIVE_NONE)
				return dxt_error_set(
					st->err, DXT_EUNSUPPORTED,
					"%s: a Parquet file is read as it is "
					"(it compresses its pages itself), not "
					"from inside an archive or a "
					"compressed file; unpack it first",
					files->items[i].path);
			pq = pq ? pq : files->items[i].path;
		} else if (other == NULL) {
			other = files->items[i].path;
		}
	}
	if (pq == NULL)
		return DXT_OK;
	if (other != NULL)
		return dxt_error_setc(st->err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "the source matches Parquet files (%s) "
				      "and other files (%s); a stream reads "
				      "one format: narrow the pattern or set "
				      "source.format", pq, other);
	st->parquet = true;
	for (size_t i = 0; rc == DXT_OK && i < files->n; i++) {
		const char *name = files->items[i].path;
		char path[PATH_MAX], diff[1400];
		struct dxt_pq_reader *r = NULL;
		const struct dxt_schema *fs;

		rc = pq_path(st, name, path, sizeof(path));
		if (rc == DXT_OK)
			rc = dxt_pq_reader_open(path, NULL, &r, st->err);
		if (rc != DXT_OK)
			break;
		fs = dxt_pq_reader_schema(r);
		if (st->schema == NULL) {
			rc = check_declared(st, fs, name);
			if (rc == DXT_OK) {
				st->schema = dxt_schema_copy(fs);
				st->schema_file = strdup(name);
				if (st->schema == NULL ||
				    st->schema_file == NULL)
					rc = dxt_error_set(st->err, DXT_ENOMEM,
							   "out of memory");
			}
		} else if (schema_difference(st->schema, st->schema_file, fs,
					     name, diff, sizeof(diff))) {
			rc = dxt_error_set(st->err, DXT_ESCHEMA,
					   "%s: its columns differ from %s's: "
					   "%s; every file of a stream needs "
					   "the same columns", name,
					   st->schema_file, diff);
		} else {
			for (size_t k = 0; k < fs->n; k++)
				if (fs->fields[k].nullable)
					st->schema->fields[k].nullable = true;
		}
		dxt_pq_reader_close(r);
	}
	if (rc != DXT_OK)
		return rc;
	rc = dxt_batch_init(&st->batch, st->schema);
	if (rc != DXT_OK)
		return dxt_error_set(st->err, rc, "out of memory");
	st->have_batch = true;
	return dxt_buffer_writer_schema(st->out, st->schema, st->err);
}

/* Reads one Parquet file (as listed) into the stream's batches. */
static int read_parquet(struct xstate *st, const char *name)
{
	struct dxt_pq_reader *r = NULL;
	char path[PATH_MAX];
	int rc;

	rc = pq_path(st, name, path, sizeof(path));
	if (rc == DXT_OK)
		rc = dxt_pq_reader_open(path, st->schema, &r, st->err);
	while (rc == DXT_OK) {
		long n = dxt_pq_reader_read(r, &st->batch, &st->limits,
					    st->err);

		if (n <= 0) {
			rc = (int)n;
			break;
		}
		st->seen += (uint64_t)n;
		if (dxt_batch_full(&st->batch, &st->limits))
			rc = flush(st);
	}
	dxt_pq_reader_close(r);
	return rc;
}

/* --- files ---------------------------------------------------------------- */

/* Reads one file (or archive member) into the stream. */
static int read_one(struct xstate *st, const char *name,
		    const struct dxt_fs_kind *kind, struct dxt__local_input *in)
{
	struct dxt_csv_opts csv = st->src.csv;
	const char *format = st->src.format[0] ? st->src.format : kind->format;
	dxt_read_fn read = dxt__local_input_read;
	void *rctx = in;
	struct dxt_fs_decoder *dec = NULL;
	struct dxt_fs_replay *rep = NULL;
	bool is_csv;
	int rc = DXT_OK;

	if (format[0] == '\0')
		return dxt_error_set(st->err, DXT_ECONFIG, "%s: the name does "
				     "not tell the format (.csv, .tsv, .jsonl, "
				     ".ndjson, optionally compressed); set "
				     "source.format to csv or jsonl", name);
	if (strcmp(format, "parquet") == 0)
		return dxt_error_set(st->err, DXT_EUNSUPPORTED, "%s: Parquet "
				     "files are read from the folder, not from "
				     "inside an archive or a compressed file: "
				     "the reader needs the file itself; unpack "
				     "it first", name);
	is_csv = strcmp(format, "csv") == 0;
	if (kind->delimiter != '\0' && !st->src.delimiter_set)
		csv.delimiter = kind->delimiter;
	if (!dxt_fs_encoding_is_utf8(csv.encoding)) {
		rc = dxt_fs_decoder_create(csv.encoding, read, rctx, name, &dec,
					   st->err);
		if (rc != DXT_OK)
			return rc;
		read = dxt_fs_decoder_read;
		rctx = dec;
	}
	if (st->schema == NULL) {
		rc = dxt_fs_replay_create(read, rctx, SAMPLE_CAP, &rep,
					  st->err);
		if (rc != DXT_OK)
			goto out;
		read = dxt_fs_replay_read;
		rctx = rep;
		rc = is_csv ? sample_csv(st, name, &csv, rep)
			    : sample_jsonl(st, name, rep);
		dxt_fs_replay_rewind(rep);
		/* A file with nothing in it leaves the schema to the next. */
		if (rc != DXT_OK || st->schema == NULL)
			goto out;
	}
	rc = is_csv ? stream_csv(st, name, &csv, read, rctx)
		    : stream_jsonl(st, name, read, rctx);
out:
	dxt_fs_replay_destroy(rep);
	dxt_fs_decoder_destroy(dec);
	return rc;
}

/* Reads every file of an input: itself, or the chosen archive members. */
static int read_input(struct xstate *st, const struct dxt_fs_file *f)
{
	char path[PATH_MAX], name[PATH_MAX + 256];
	struct dxt__local_input *in = NULL;
	struct dxt_fs_kind kind;
	const char *member;
	int rc, used = 0;

	if (st->parquet)
		return read_parquet(st, f->path);
	dxt_fs_detect(f->path, &kind);
	rc = dxt__local_join(path, sizeof(path), st->base, f->path, st->err);
	if (rc == DXT_OK)
		rc = dxt__local_input_open(path, f->path, &kind, &in, st->err);
	while (rc == DXT_OK) {
		struct dxt_fs_kind mk = kind;

		rc = dxt__local_input_next(in, &member, st->err);
		if (rc <= 0)
			break;
		rc = DXT_OK;
		if (member == NULL) {
			rc = read_one(st, f->path, &kind, in);
		} else {
			dxt_fs_detect(member, &mk);
			/* Parquet members are only taken when asked for, to
			 * be refused by read_one with the reason. */
			if (st->src.member != NULL
				    ? !dxt_fs_glob_match(st->src.member, member)
				    : !dxt_fs_format_known(mk.format) ||
					      (strcmp(mk.format, "parquet") ==
						       0 &&
					       !st->src.format[0]) ||
					      (st->src.format[0] &&
					       strcmp(mk.format,
						      st->src.format) != 0))
				continue;
			if (mk.archive != DXT_FS_ARCHIVE_NONE ||
			    mk.compression != DXT_FS_COMP_NONE) {
				rc = dxt_error_set(st->err, DXT_EUNSUPPORTED,
						   "%s:%s: archives and "
						   "compressed files inside an "
						   "archive are not read; "
						   "narrow source.member",
						   f->path, member);
				break;
			}
			snprintf(name, sizeof(name), "%s:%s", f->path, member);
			rc = read_one(st, name, &mk, in);
		}
		used++;
	}
	if (rc == DXT_OK && used == 0 && kind.archive != DXT_FS_ARCHIVE_NONE)
		rc = dxt_error_set(st->err, DXT_ENOTFOUND,
				   "%s: no member of the archive is a %s file%s",
				   f->path,
				   st->src.format[0] ? st->src.format
						     : "CSV or JSON lines",
				   st->src.member ? " matching source.member"
						  : "; name them with "
						    "source.member");
	dxt__local_input_close(in);
	return rc;
}

static int xstate_init(struct xstate *st, const struct dxt_op_ctx *ctx,
		       struct dxt_buffer_writer *out, struct dxt_error *err)
{
	memset(st, 0, sizeof(*st));
	st->ctx = ctx;
	st->out = out;
	st->err = err;
	if (ctx->extract != NULL) {
		st->limits.max_rows = ctx->extract->batch_size;
		st->skip = ctx->extract->on_error == DXT_ON_ERROR_SKIP;
		if (ctx->extract->mode == DXT_EXTRACT_INCREMENTAL)
			return dxt_error_setc(
				err, DXT_EUNSUPPORTED, DXT_TERMINAL,
				DXT_ORIGIN_CONFIG,
				"extract.mode: LocalExtractor reads whole files "
				"(mode: full); select new files with the source "
				"pattern instead");
	}
	return DXT_OK;
}

static void xstate_release(struct xstate *st)
{
	if (st->have_batch)
		dxt_batch_release(&st->batch);
	dxt_schema_destroy(st->schema);
	free(st->schema_file);
	dxt_fs_source_free(&st->src);
}

int dxt__local_extract(const struct dxt_op_ctx *ctx,
		       struct dxt_buffer_writer *out, struct dxt_error *err)
{
	struct dxt_fs_files files = {0};
	struct xstate st;
	int rc;

	rc = xstate_init(&st, ctx, out, err);
	if (rc == DXT_OK)
		rc = dxt__local_source_files(ctx, &st.src, st.base,
					     sizeof(st.base), &files, err);
	if (rc == DXT_OK)
		rc = plan_parquet(&st, &files);
	for (size_t i = 0; rc == DXT_OK && i < files.n; i++) {
		rc = dxt__local_cancelled(ctx, err);
		if (rc == DXT_OK)
			rc = read_input(&st, &files.items[i]);
	}
	if (rc == DXT_OK && st.schema == NULL) {
		/* Nothing named a column: only declared ones can be staged. */
		struct dxt_fs_infer *inf = dxt_fs_infer_create();

		if (inf == NULL)
			rc = dxt_error_set(err, DXT_ENOMEM, "out of memory");
		else if (st.src.schema == NULL)
			rc = dxt_error_set(err, DXT_EPARSE,
					   "%s: the input is empty: no header "
					   "and no records to take the columns "
					   "from; declare them under "
					   "source.schema",
					   files.n ? files.items[0].path
						   : st.src.path);
		else
			rc = set_schema(&st, inf,
					files.n ? files.items[0].path : "");
		dxt_fs_infer_destroy(inf);
	}
	if (rc == DXT_OK && st.have_batch)
		rc = flush(&st);
	if (rc == DXT_OK)
		dxt__local_progress(ctx, st.rows, dxt_buffer_writer_bytes(out));
	dxt_fs_files_free(&files);
	xstate_release(&st);
	return rc;
}

int dxt__local_extract_check(const struct dxt_op_ctx *ctx,
			     struct dxt_error *err)
{
	struct dxt_fs_files files = {0};
	struct dxt_fs_source src;
	char base[PATH_MAX];
	int rc;

	rc = dxt__local_source_files(ctx, &src, base, sizeof(base), &files,
				     err);
	dxt_fs_files_free(&files);
	dxt_fs_source_free(&src);
	return rc;
}
