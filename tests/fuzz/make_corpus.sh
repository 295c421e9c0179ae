#!/bin/sh
# make_corpus.sh - rebuilds the seed corpus of the Parquet reader fuzz target
# (tests/fuzz/corpus/pq_read/).
#
#   sh tests/fuzz/make_corpus.sh [BUILD]
#
# Seeds are small valid files:
#   duck_*.parquet  written by DuckDB through tests/interop/duck.mjs (skipped
#                   when its node modules are not installed: run
#                   tests/interop/setup.sh): every codec, page versions 1
#                   and 2, dictionaries, nested LIST/STRUCT/MAP, unsigned,
#                   UUID, JSON, time zones, wide decimals, an all-null column
#   dxt_*.parquet   written by dxt (BUILD/dxtd, default build/): the Parquet
#                   buffer part of a CSV -> SQLite run (zstd, dictionaries,
#                   page version 1), and a local Parquet target with gzip,
#                   no dictionary, page version 2, page CRCs and row groups
#                   of 2 rows
# and each seed gets three damaged variants, the inputs the reader must
# refuse cleanly: cut in half (*.half), one byte flipped in the middle of
# the pages (*.page) and one in the middle of the footer (*.footer). One
# more file has a footer length past the start of the file (*.footlen).
# Inputs a fuzzing run found the reader failing on stay as regress_*.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
OUT="$ROOT/tests/fuzz/corpus/pq_read"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dxt-corpus.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$OUT"
# regress_* files are inputs fuzzing once broke the reader with: kept.
rm -f "$OUT"/duck_* "$OUT"/dxt_*

duck() {
	node "$ROOT/tests/interop/duck.mjs" write "$OUT/duck_$1.parquet" "$2" "$3" "$4" "$5"
}

if [ -d "$ROOT/tests/interop/node_modules/@duckdb" ]; then
	duck flat_zstd_v1 "SELECT i::INTEGER AS id, 'name ' || i AS name, (i * 1.25)::DECIMAL(10,2) AS amount, DATE '2024-01-01' + i::INTEGER AS day, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1000000 END::BIGINT AS big, i % 2 = 0 AS flag, (i / 3.0)::DOUBLE AS ratio, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND AS at FROM range(50) t(i)" zstd true v1
	duck nested_snappy_v2 "SELECT i AS id, [i, i+1] AS l, {'a': i, 'b': 'x' || i} AS s, MAP {'k' || i: i} AS m FROM range(20) t(i)" snappy false v2
	duck lz4 "SELECT 'v' || i AS s, md5(i::VARCHAR)::UUID AS u FROM range(10) t(i)" lz4 true v1
	duck brotli_v2 "SELECT i::SMALLINT AS small, i::UTINYINT AS ut, i::UBIGINT AS ub, '{\"a\":1}'::JSON AS j, TIME '12:00:00' AS t, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS tz, 'x'::BLOB AS bl FROM range(10) t(i)" brotli true v2
	duck gzip "SELECT i AS id FROM range(100) t(i)" gzip false v1
	duck uncompressed "SELECT NULL AS n, i::FLOAT AS f, (i * 12345.678)::DECIMAL(38,3) AS wide FROM range(5) t(i)" uncompressed true v1
else
	echo "make_corpus: no DuckDB (run tests/interop/setup.sh); DuckDB seeds skipped" >&2
fi

# dxt's own files: a run whose buffer is Parquet and is kept.
if [ -x "$BUILD/dxtd" ]; then
	(
		cd "$TMP"
		cat >in.csv <<'CSV'
id,name,amount,day,at,flag,ratio,tag
1,alpha,12.50,2024-01-31,2024-01-31 13:45:00.123456,true,0.5,123e4567-e89b-12d3-a456-426614174000
2,"comma, quoted",-0.01,1969-12-31,1969-12-31 23:59:59.999999,false,-1.25,00000000-0000-0000-0000-000000000000
3,,,,,,,
4,naïve 日本,99999999.99,9999-12-31,2000-02-29 00:00:00.5,true,1e+300,ffffffff-ffff-ffff-ffff-ffffffffffff
5,alpha,0.00,2024-01-31,2024-01-31 13:45:00,false,0,123e4567-e89b-12d3-a456-426614174000
CSV
		cat >p.yaml <<'YAML'
name: corpus
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
buffer: {format: parquet, cleanup_on_success: false}
streams:
  - id: s
    source:
      type: file
      file: in.csv
      schema:
        - {name: id, type: int32, nullable: false}
        - {name: name, type: string}
        - {name: amount, type: "decimal(10,2)"}
        - {name: day, type: date}
        - {name: at, type: timestamp}
        - {name: flag, type: bool}
        - {name: ratio, type: float64}
        - {name: tag, type: uuid}
    target: t
YAML
		"$BUILD/dxtd" run p.yaml --spool-dir spool >run.json
		sed -e 's/^target: .*/target: {provider: local, path: pq}/' \
		    -e 's/^buffer: .*//' \
		    -e 's/^    target: t$/    target: {name: ., format: parquet, compression: gzip, dictionary: false, page_version: 2, page_crc: true, row_group_rows: 2}/' \
		    p.yaml >local.yaml
		"$BUILD/dxtd" run local.yaml --spool-dir spool2 >run2.json
	)
	part=$(find "$TMP/spool" -name '*.parquet' | head -n 1)
	if [ -n "$part" ]; then
		cp "$part" "$OUT/dxt_types.parquet"
	else
		echo "make_corpus: the run left no Parquet part; dxt seeds skipped" >&2
	fi
	if [ -f "$TMP/pq/s.parquet" ]; then
		cp "$TMP/pq/s.parquet" "$OUT/dxt_gzip_v2.parquet"
	else
		echo "make_corpus: no local Parquet target file; its seed skipped" >&2
	fi
else
	echo "make_corpus: no $BUILD/dxtd; dxt seeds skipped" >&2
fi

python3 - "$OUT" <<'PY'
import glob, os, sys

out = sys.argv[1]
seeds = sorted(glob.glob(os.path.join(out, "*.parquet")))
for i, path in enumerate(seeds):
    b = open(path, "rb").read()
    n = len(b)
    footer = int.from_bytes(b[-8:-4], "little")
    start = n - 8 - footer
    base = path[:-len(".parquet")]
    open(base + ".half", "wb").write(b[: n // 2])
    page = bytearray(b)
    page[4 + (start - 4) // 2] ^= 0x10
    open(base + ".page", "wb").write(page)
    foot = bytearray(b)
    foot[start + footer // 2] ^= 0x04
    open(base + ".footer", "wb").write(foot)
    if i == 0:
        bad = bytearray(b)
        bad[-8:-4] = (n * 2).to_bytes(4, "little")
        open(base + ".footlen", "wb").write(bad)
PY
ls "$OUT" | wc -l | sed 's/$/ corpus files/'
