/*
 * gen.c - writes the benchmark data set as CSV on stdout.
 *
 *   gen ROWS [SEED]
 *
 * Eight columns, as the benchmarks describe: id (bigint), qty (int),
 * amount (decimal(12,2)), hash (32-char string), status (short string),
 * created_at (timestamp with zone), active (bool), ref (uuid). The output
 * is deterministic for a seed, so dxt and the baselines see the same bytes.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint64_t next(void)
{
	/* splitmix64: fast, good enough, reproducible. */
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char hex[] = "0123456789abcdef";
static const char *const statuses[] = {"new", "paid", "shipped", "returned",
				       "cancelled"};

int main(int argc, char **argv)
{
	static char out[1 << 20];
	size_t len = 0;
	long long rows;

	if (argc < 2) {
		fprintf(stderr, "usage: gen ROWS [SEED]\n");
		return 2;
	}
	rows = atoll(argv[1]);
	state = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
	len = (size_t)snprintf(out, sizeof(out),
			       "id,qty,amount,hash,status,created_at,active,ref\n");
	for (long long i = 1; i <= rows; i++) {
		uint64_t r1 = next(), r2 = next(), r3 = next(), r4 = next();
		char hash[33], uuid[37];
		int64_t secs = 1600000000 + (int64_t)(r1 % 100000000);
		int64_t day = secs / 86400, sod = secs % 86400;
		int y, m, d;
		/* Civil date from days since the epoch (H. Hinnant). */
		int64_t z = day + 719468, era = z / 146097;
		unsigned doe = (unsigned)(z - era * 146097);
		unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		unsigned mp = (5 * doy + 2) / 153;

		d = (int)(doy - (153 * mp + 2) / 5 + 1);
		m = (int)(mp < 10 ? mp + 3 : mp - 9);
		y = (int)(yoe + era * 400 + (m <= 2));
		for (int k = 0; k < 32; k++)
			hash[k] = hex[((r2 >> ((k % 16) * 4)) & 15) ^ (unsigned)(k >> 4)];
		hash[32] = '\0';
		for (int k = 0, o = 0; k < 36; k++) {
			if (k == 8 || k == 13 || k == 18 || k == 23) {
				uuid[k] = '-';
				continue;
			}
			uuid[k] = hex[((o < 16 ? r3 : r4) >> ((o % 16) * 4)) & 15];
			o++;
		}
		uuid[36] = '\0';
		len += (size_t)snprintf(
			out + len, sizeof(out) - len,
			"%lld,%d,%" PRId64 ".%02d,%s,%s,%04d-%02d-%02dT%02d:%02d:%02d+00:00,%s,%s\n",
			i, (int)(r1 >> 40) % 10000 - 5000,
			(int64_t)(r2 >> 40) % 100000000, (int)(r3 % 100), hash,
			statuses[r4 % 5], y, m, d, (int)(sod / 3600),
			(int)(sod / 60 % 60), (int)(sod % 60),
			(r1 & 1) ? "true" : "false", uuid);
		if (len > sizeof(out) - 512) {
			fwrite(out, 1, len, stdout);
			len = 0;
		}
	}
	fwrite(out, 1, len, stdout);
	return 0;
}
