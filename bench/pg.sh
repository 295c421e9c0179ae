#!/bin/sh
# PostgreSQL -> PostgreSQL through dxt's default (Parquet) buffer, against
# the COPY pipe `psql -c "COPY src TO STDOUT" | psql -c "COPY dst FROM
# STDIN"` and pgloader, on one throwaway server (called by run.sh for each
# size).
#
#   sh bench/pg.sh BUILD_DIR DATA.csv ROWS
set -eu

O=$1
CSV=$2
N=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/bench/data
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/dxt-pgbench.XXXXXX")
export TMPROOT
PG_TLS=0 # figures for copying, not for ciphers
. "$ROOT/tests/integration/pgserver.sh"
trap 'pg_server_stop; rm -rf "$TMPROOT"' EXIT INT TERM
sh "$ROOT/scripts/deps.sh" pgloader postgresql-15 >/dev/null

pg_test_db bench
cols="id bigint, qty int, amount numeric(12,2), hash text, status text,
created_at timestamptz, active bool, ref uuid"
pg_q "CREATE TABLE src ($cols); CREATE TABLE pipe ($cols);
CREATE TABLE pgl ($cols); ALTER TABLE src SET (autovacuum_enabled = off);"
pg_q "\\copy src FROM '$CSV' WITH (FORMAT csv, HEADER true)"
pg_q "VACUUM ANALYZE src"

# measure OUTFILE CMD...: "seconds max_rss_kib" of CMD into OUTFILE.
measure() {
	out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>"$out.err" || {
		echo "bench: command failed: $*" >&2
		cat "$out.err" >&2
		exit 1
	}
}

measure "$DATA/pg.pipe" sh -c "psql '$PG_URL' -c 'COPY src TO STDOUT' | psql '$PG_URL' -c 'COPY pipe FROM STDIN'"

cat >"$DATA/pg.yaml" <<YAML
version: 1
name: bench_pg_pg
source: {provider: postgres, url: "$PG_URL"}
target: {provider: postgres, url: "$PG_URL"}
buffer: {location: $TMPROOT/spool}
streams:
  - id: orders
    source: {type: relation, relation: src}
    target: dst
    load: {mode: replace}
YAML
measure "$DATA/pg.dxt" "$ROOT/$O/dxtd" run "$DATA/pg.yaml"
got=$(pg_q "select count(*) from dst")
[ "$got" = "$N" ] || { echo "bench: dxt loaded $got rows, expected $N" >&2; exit 1; }

# pgloader copies src into a second database holding an empty src.
src_url=$PG_URL
pg_test_db bench_pgl
pg_q "CREATE TABLE src ($cols)"
cat >"$DATA/pg.load" <<LOAD
LOAD DATABASE
     FROM $src_url
     INTO $PG_URL
 WITH data only, truncate, prefetch rows = 10000, batch rows = 10000
 INCLUDING ONLY TABLE NAMES MATCHING 'src' IN SCHEMA 'public';
LOAD
pgl=yes
/usr/bin/time -f "%e %M" -o "$DATA/pg.pgl" pgloader --root-dir \
	"$TMPROOT/pgloader" "$DATA/pg.load" >"$DATA/pg.pgl.err" 2>&1 || pgl=no
pgl_rows=$(pg_q "select count(*) from src")

read -r pt prss <"$DATA/pg.pipe"
read -r dt drss <"$DATA/pg.dxt"
printf '%-34s %8.2fs %8.2fs %6sx %7d MiB\n' "pg->pg $N rows (vs COPY pipe)" \
	"$dt" "$pt" "$(awk -v a="$dt" -v b="$pt" 'BEGIN { printf "%.2f", a / b }')" \
	$((drss / 1024))
if [ "$pgl" = yes ] && [ "$pgl_rows" = "$N" ]; then
	read -r gt grss <"$DATA/pg.pgl"
	printf '%-34s %8.2fs %8.2fs %6sx %7d MiB (pgloader %d MiB)\n' \
		"pg->pg $N rows (vs pgloader)" "$dt" "$gt" \
		"$(awk -v a="$dt" -v b="$gt" 'BEGIN { printf "%.2f", a / b }')" \
		$((drss / 1024)) $((grss / 1024))
else
	echo "pg->pg $N rows (vs pgloader): pgloader loaded $pgl_rows rows; see $DATA/pg.pgl.err"
fi
