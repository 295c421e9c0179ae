#!/bin/sh
# Benchmarks: prints one table row per scenario (scenario, dxt, baseline,
# ratio, peak RSS). Timings are wall-clock seconds from /usr/bin/time.
#
#   sh bench/run.sh [BUILD_DIR]      (make bench)
#   DXT_BENCH_ROWS="1000000 5000000" chooses the sizes.
set -eu

O=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/bench/data
ROWS=${DXT_BENCH_ROWS:-"1000000 5000000"}
mkdir -p "$DATA"
sh "$ROOT/scripts/deps.sh" time wrk >/dev/null

# measure OUTFILE CMD...: runs CMD, leaves "seconds max_rss_kib" in OUTFILE.
measure() {
	out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>"$out.err" || {
		echo "bench: command failed: $*" >&2
		cat "$out.err" >&2
		exit 1
	}
}

printf '%-34s %9s %9s %7s %10s\n' scenario dxt baseline ratio "peak RSS"
for n in $ROWS; do
	csv=$DATA/orders-$n.csv
	[ -s "$csv" ] || "$ROOT/$O/tools/gen" "$n" >"$csv"

	rm -f "$DATA/import.db"
	measure "$DATA/base.t" sqlite3 "$DATA/import.db" ".import --csv $csv orders"

	rm -f "$DATA/dxt.db"
	cat >"$DATA/bench.yaml" <<YAML
version: 1
name: bench_csv_sqlite
source:
  provider: local
  path: $DATA
target:
  provider: sqlite
  path: $DATA/dxt.db
buffer:
  format: csv
  compression: zstd
  location: $DATA/spool
streams:
  - id: orders
    source:
      type: file
      file: orders-$n.csv
      schema:
        - {name: id, type: int64}
        - {name: qty, type: int32}
        - {name: amount, type: "decimal(12,2)"}
        - {name: hash, type: string}
        - {name: status, type: string}
        - {name: created_at, type: timestamptz}
        - {name: active, type: bool}
        - {name: ref, type: uuid}
    target: orders
    load:
      mode: replace
YAML
	measure "$DATA/dxt.t" "$ROOT/$O/dxtd" run "$DATA/bench.yaml"
	got=$(sqlite3 "$DATA/dxt.db" "select count(*) from orders")
	[ "$got" = "$n" ] || { echo "bench: dxt loaded $got rows, expected $n" >&2; exit 1; }

	read -r bt brss <"$DATA/base.t"
	read -r dt drss <"$DATA/dxt.t"
	ratio=$(awk -v a="$dt" -v b="$bt" 'BEGIN { printf "%.2f", a / b }')
	printf '%-34s %8.2fs %8.2fs %6sx %7d MiB\n' \
		"csv->sqlite $n rows (zstd csv)" "$dt" "$bt" "$ratio" $((drss / 1024))
	rm -f "$DATA/import.db" "$DATA/dxt.db"
	sh "$ROOT/bench/parquet.sh" "$O" "$csv" "$n"
	sh "$ROOT/bench/pg.sh" "$O" "$csv" "$n"
	if [ "$n" = 1000000 ]; then
		sh "$ROOT/bench/api.sh" "$O" "$csv" "$n"
	fi
done
