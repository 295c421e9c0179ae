/*
 * pqbench.c - times the Parquet writer and reader on the benchmark data.
 *
 *   pqbench write DATA.csv OUT.parquet [CODEC [LEVEL [crc]]]   (crc: page CRCs)
 *   pqbench read FILE.parquet
 *
 * `write` parses the CSV written by `gen` into batches held in memory
 * first (untimed), then times writing them to OUT with the writer alone,
 * as DuckDB's COPY ... TO is timed on a table already in memory. `read`
 * times reading every row of a file back into batches. Both print
 * "<seconds> <rows> <bytes>" on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/csv.h"
#include "engine/iostream.h"
#include "engine/parquet.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long file_read(void *ctx, void *p, size_t n, struct dxt_error *err)
{
	size_t r = fread(p, 1, n, ctx);

	if (r == 0 && ferror(ctx))
		return dxt_error_set(err, DXT_EIO, "read error");
	return (long)r;
}

static int file_write(void *ctx, const void *p, size_t n,
		      struct dxt_error *err)
{
	if (fwrite(p, 1, n, ctx) != n)
		return dxt_error_set(err, DXT_EIO, "write error");
	return DXT_OK;
}

static struct dxt_schema *bench_schema(void)
{
	struct dxt_schema *s = dxt_schema_create();

	dxt_schema_add(s, "id", DXT_TYPE_INT64, 0, 0, true, NULL);
	dxt_schema_add(s, "qty", DXT_TYPE_INT32, 0, 0, true, NULL);
	dxt_schema_add(s, "amount", DXT_TYPE_DECIMAL, 12, 2, true, NULL);
	dxt_schema_add(s, "hash", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "status", DXT_TYPE_STRING, 0, 0, true, NULL);
	dxt_schema_add(s, "created_at", DXT_TYPE_TIMESTAMPTZ, 0, 0, true, NULL);
	dxt_schema_add(s, "active", DXT_TYPE_BOOL, 0, 0, true, NULL);
	dxt_schema_add(s, "ref", DXT_TYPE_UUID, 0, 0, true, NULL);
	return s;
}

static int do_write(int argc, char **argv, struct dxt_error *err)
{
	struct dxt_schema *s = bench_schema();
	struct dxt_csv_opts co;
	struct dxt_csv_reader *r;
	struct dxt_csv_field *f;
	struct dxt_batch *bs = NULL;
	size_t nb = 0, nf;
	struct dxt_batch_limits lim = {0};
	struct dxt_pq_write_opts o;
	struct dxt_pq_writer *w;
	FILE *in = fopen(argv[2], "rb"), *out;
	int rc;
	double t0;
	uint64_t rows = 0;

	if (in == NULL)
		return dxt_error_set(err, DXT_ENOTFOUND, "%s: cannot open",
				     argv[2]);
	dxt_csv_opts_default(&co);
	rc = dxt_csv_reader_create(&co, file_read, in, argv[2], &r, err);
	if (rc == DXT_OK)
		rc = dxt_csv_read(r, &f, &nf, err) < 0 ? DXT_EPARSE : DXT_OK;
	while (rc == DXT_OK) {
		int got = dxt_csv_read(r, &f, &nf, err);

		if (got <= 0) {
			rc = got;
			break;
		}
		if (nb == 0 || dxt_batch_full(&bs[nb - 1], &lim)) {
			bs = realloc(bs, (nb + 1) * sizeof(*bs));
			dxt_batch_init(&bs[nb++], s);
		}
		rc = dxt_csv_append_record(r, f, nf, &bs[nb - 1], err);
		rows++;
	}
	dxt_csv_reader_destroy(r);
	fclose(in);
	if (rc != DXT_OK)
		return rc;
	dxt_pq_write_opts_default(&o);
	if (argc > 4)
		o.codec = strcmp(argv[4], "snappy") == 0 ? DXT_PQ_SNAPPY
			: strcmp(argv[4], "gzip") == 0 ? DXT_PQ_GZIP
			: strcmp(argv[4], "none") == 0 ? DXT_PQ_UNCOMPRESSED
			: DXT_PQ_ZSTD;
	if (argc > 5)
		o.level = atoi(argv[5]);
	o.page_crc = argc > 6 && strcmp(argv[6], "crc") == 0;
	out = fopen(argv[3], "wb");
	if (out == NULL)
		return dxt_error_set(err, DXT_EIO, "%s: cannot create", argv[3]);
	t0 = now();
	rc = dxt_pq_writer_open(s, &o, file_write, out, &w, err);
	for (size_t i = 0; rc == DXT_OK && i < nb; i++)
		rc = dxt_pq_writer_write(w, &bs[i], err);
	if (rc == DXT_OK) {
		uint64_t bytes;

		rc = dxt_pq_writer_close(w, err);
		fflush(out);
		bytes = (uint64_t)ftell(out);
		if (rc == DXT_OK)
			printf("%.3f %llu %llu\n", now() - t0,
			       (unsigned long long)rows,
			       (unsigned long long)bytes);
	} else if (w != NULL) {
		dxt_pq_writer_abort(w);
	}
	fclose(out);
	for (size_t i = 0; i < nb; i++)
		dxt_batch_release(&bs[i]);
	free(bs);
	dxt_schema_destroy(s);
	return rc;
}

static int do_read(char **argv, struct dxt_error *err)
{
	struct dxt_pq_reader *r;
	struct dxt_batch b;
	struct dxt_batch_limits lim = {0};
	double t0 = now();
	uint64_t rows = 0;
	long got;
	int rc = dxt_pq_reader_open(argv[2], NULL, &r, err);

	if (rc != DXT_OK)
		return rc;
	dxt_batch_init(&b, dxt_pq_reader_schema(r));
	while ((got = dxt_pq_reader_read(r, &b, &lim, err)) > 0) {
		rows += (uint64_t)got;
		dxt_batch_reset(&b);
	}
	if (got == 0)
		printf("%.3f %llu 0\n", now() - t0, (unsigned long long)rows);
	dxt_batch_release(&b);
	dxt_pq_reader_close(r);
	return got < 0 ? (int)got : DXT_OK;
}

int main(int argc, char **argv)
{
	struct dxt_error err = {0};
	int rc;

	if (argc >= 4 && strcmp(argv[1], "write") == 0) {
		rc = do_write(argc, argv, &err);
	} else if (argc == 3 && strcmp(argv[1], "read") == 0) {
		rc = do_read(argv, &err);
	} else {
		fprintf(stderr, "usage: pqbench write DATA.csv OUT.parquet "
				"[CODEC [LEVEL [crc]]]\n       pqbench read "
				"FILE.parquet\n");
		return 2;
	}
	if (rc != DXT_OK) {
		fprintf(stderr, "pqbench: %s\n", err.message);
		return 1;
	}
	return 0;
}
