#!/bin/sh
# Parquet writer and reader against DuckDB, one thread each, on the
# benchmark data (called by run.sh for each size).
#
#   sh bench/parquet.sh BUILD_DIR DATA.csv ROWS
#
# dxt: `pqbench write` parses the CSV into batches in memory, then times the
# writer alone (zstd level 1); `pqbench read` times reading every row back.
# DuckDB: duck_copy.mjs loads the CSV into an in-memory table, then times
# COPY ... TO (FORMAT parquet, COMPRESSION zstd) with threads = 1.
set -eu

O=$1
CSV=$2
N=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/bench/data
sh "$ROOT/tests/interop/setup.sh"

"$ROOT/$O/tools/pqbench" write "$CSV" "$DATA/dxt.parquet" >"$DATA/pq.w"
/usr/bin/time -f "%M" -o "$DATA/pq.rss" \
	"$ROOT/$O/tools/pqbench" read "$DATA/dxt.parquet" >"$DATA/pq.r"
node "$ROOT/bench/duck_copy.mjs" "$CSV" "$DATA/duck.parquet" >"$DATA/pq.d"

read -r wt rows dbytes <"$DATA/pq.w"
read -r rt rrows _ <"$DATA/pq.r"
read -r duckw _ <"$DATA/pq.d"
read -r rss <"$DATA/pq.rss"
[ "$rows" = "$N" ] && [ "$rrows" = "$N" ] || {
	echo "bench: parquet wrote $rows and read $rrows rows, expected $N" >&2
	exit 1
}
kbytes=$(stat -c %s "$DATA/duck.parquet")
printf '%-34s %8.2fs %8.2fs %6sx %10s\n' \
	"parquet write $N rows (zstd)" "$wt" "$duckw" \
	"$(awk -v a="$wt" -v b="$duckw" 'BEGIN { printf "%.2f", a / b }')" "-"
printf '%-34s %8.2fs %8.2fs %6sx %7d MiB\n' \
	"parquet read $N rows (vs write)" "$rt" "$wt" \
	"$(awk -v a="$rt" -v b="$wt" 'BEGIN { printf "%.2f", a / b }')" \
	$((rss / 1024))
printf '%-34s %8.1fM %8.1fM %6sx\n' "parquet file size $N rows" \
	"$(awk -v a="$dbytes" 'BEGIN { print a / 1048576 }')" \
	"$(awk -v a="$kbytes" 'BEGIN { print a / 1048576 }')" \
	"$(awk -v a="$dbytes" -v b="$kbytes" 'BEGIN { printf "%.2f", a / b }')"
rm -f "$DATA/dxt.parquet" "$DATA/duck.parquet"
