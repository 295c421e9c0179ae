/*
 * pq_read_fuzz.c - fuzz target for the Parquet reader (engine/parquet.h)
 * and the footer decoder (engine/parquet_meta.h).
 *
 * The input is one whole file. It is handed to the reader through an
 * anonymous memory file (memfd), opened by its /proc/self/fd path, so the
 * reader runs exactly as on a file on disk: both magics, the footer, the
 * schema mapping and every row group, page and value. The input is also
 * decoded as a bare footer. Any outcome but a crash, a sanitizer report or
 * a leak is a pass: damaged input must fail with an error code.
 *
 * Built with `clang -fsanitize=fuzzer,address,undefined` for libFuzzer, or
 * with tests/fuzz/driver.c, which runs a corpus through the same function.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/batch.h"
#include "engine/parquet.h"
#include "engine/parquet_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every row of the file at path, in small batches so batch
 * boundaries inside pages are exercised too. */
static void read_all(const char *path)
{
	struct dxt_batch_limits lim = { .max_rows = 700, .max_bytes = 1 << 20 };
	struct dxt_pq_reader *r = NULL;
	struct dxt_error err;
	struct dxt_batch b;
	long got;

	if (dxt_pq_reader_open(path, NULL, &r, &err) != DXT_OK)
		return;
	if (dxt_batch_init(&b, dxt_pq_reader_schema(r)) == DXT_OK) {
		do {
			dxt_batch_reset(&b);
			got = dxt_pq_reader_read(r, &b, &lim, &err);
		} while (got > 0);
		dxt_batch_release(&b);
	}
	dxt_pq_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dxt_pq_file_meta fm;
	struct dxt_error err;
	char path[64];
	size_t done = 0;
	int fd;

	if (dxt_pq_file_meta_read(data, size, "fuzz", &fm, &err) == DXT_OK)
		dxt_pq_file_meta_free(&fm);

	fd = memfd_create("pq_read_fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return 0;
		}
		done += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	read_all(path);
	close(fd);
	return 0;
}
