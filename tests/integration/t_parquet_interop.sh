# Parquet interoperability with DuckDB: files dxt writes are read by DuckDB,
# files DuckDB writes are read by dxt, and damaged DuckDB files make dxt fail
# cleanly. DuckDB runs through Node.js (tests/interop: setup.sh installs the
# pinned package on first use, duck.mjs drives it, canon.py compares rows in
# one canonical form). Node.js and npm come with `make check-deps`; without
# them these tests fail and say so.

IOP="$ROOT/tests/interop"

# Installs DuckDB for Node.js when it is not there yet.
iop_setup() {
	sh "$IOP/setup.sh" >setup.log 2>&1 ||
		fail "DuckDB interop setup failed (node and npm are needed): $(cat setup.log)"
}

duck() {
	node "$IOP/duck.mjs" "$@"
}

# iop_compare EXPECTED ACTUAL ...: rows equal in canonical form.
iop_compare() {
	python3 "$IOP/canon.py" compare "$@" >cmp.txt 2>&1 ||
		fail "rows differ: $(grep -v '^ok ' cmp.txt | head -c 3000)"
}

# No crash and no sanitizer report in the run's output.
iop_no_crash() {
	[ "$rc" -lt 128 ] || fail "$1: dxtd died with status $rc: $(tail -c 2000 err.txt)"
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' err.txt; then
		fail "$1: sanitizer report: $(head -c 3000 err.txt)"
	fi
}

t_parquet_interop_dxt_writes_duckdb_reads() {
	iop_setup
	python3 "$IOP/gen_rows.py" 1500 gen
	schema=$(cat gen/schema.json)
	{
		printf 'name: pqwrite\nsource: {provider: local, path: gen}\n'
		printf 'target: {provider: local, path: out}\nstreams:\n'
		for c in none snappy gzip zstd; do
			for d in true false; do
				for v in 1 2; do
					printf '  - id: w_%s_%s_v%s\n' "$c" "$d" "$v"
					printf '    source: {type: file, file: rows.jsonl, schema: %s}\n' "$schema"
					# Pages v2 carry CRCs: DuckDB reads them too.
					crc=false
					[ "$v" = 2 ] && crc=true
					printf '    target: {name: ., format: parquet, compression: %s, dictionary: %s, page_version: %s, page_crc: %s, row_group_rows: 500}\n' "$c" "$d" "$v" "$crc"
				done
			done
		done
	} >p.yaml
	run_dxtd out.json err.txt run p.yaml --spool-dir spool --workers 2
	iop_no_crash "dxtd run"
	expect_eq "exit status" "$rc" 0
	for f in out/w_*.parquet; do
		n=$(basename "$f" .parquet)
		duck types "$f" >"$n.types" || fail "DuckDB cannot read $f: $(cat "$n.types")"
		diff gen/types.txt "$n.types" >"$n.tdiff" ||
			fail "$f: DuckDB reads other types: $(cat "$n.tdiff")"
		duck meta "$f" >"$n.meta"
		codec=$(echo "$n" | cut -d_ -f2 | tr a-z A-Z)
		[ "$codec" = NONE ] && codec=UNCOMPRESSED
		expect_eq "$n: codecs" "$(cut -f4 "$n.meta" | sort -u)" "$codec"
		expect_eq "$n: row groups" "$(cut -f1,2 "$n.meta" | sort -u | tr '\t\n' ': ')" "0:500 1:500 2:500 "
		case $n in
		*_true_*)
			grep -q DICTIONARY "$n.meta" || fail "$n: no dictionary-encoded column: $(cat "$n.meta")" ;;
		*)
			expect_not_contains "$n: no dictionary" "$n.meta" DICTIONARY ;;
		esac
	done
	expect_eq "files" "$(ls out | wc -l)" 16
	# The footer as DuckDB sees it: logical types for the types that need
	# them.
	duck schema out/w_zstd_true_v2.parquet >schema.txt
	expect_contains "decimal(30,5)" schema.txt "$(printf 'decimal30_5_n\tFIXED_LEN_BYTE_ARRAY\tDECIMAL')"
	expect_contains "decimal(30,5) precision" schema.txt "$(printf 'DecimalType(scale=5, precision=30)\t30\t5\tREQUIRED')"
	expect_contains "decimal(15,3) as int64" schema.txt "$(printf 'decimal15_3_s\tINT64\tDECIMAL')"
	expect_contains "decimal(5,2) as int32" schema.txt "$(printf 'decimal5_2_a\tINT32\tDECIMAL')"
	expect_contains "uuid" schema.txt "$(printf 'uuid_n\tFIXED_LEN_BYTE_ARRAY\t-\tUUIDType()')"
	expect_contains "timestamptz" schema.txt "$(printf 'timestamptz_s\tINT64\tTIMESTAMP_MICROS\tTimestampType(isAdjustedToUTC=1')"
	expect_contains "timestamp" schema.txt "$(printf 'timestamp_s\tINT64\t-\tTimestampType(isAdjustedToUTC=0')"
	expect_contains "json" schema.txt "$(printf 'json_s\tBYTE_ARRAY\tJSON')"
	expect_contains "int8" schema.txt "$(printf 'int8_n\tINT32\tINT_8')"
	expect_contains "optional" schema.txt "$(printf 'string_s\tBYTE_ARRAY\tUTF8\t')"
	# Every file's rows, as DuckDB reads them, are the source's rows.
	set --
	for f in out/w_*.parquet; do
		set -- "$@" "$f"
	done
	duck dump "$@" || fail "DuckDB dump failed"
	pairs=""
	for f in out/w_*.parquet; do
		pairs="$pairs gen/rows.jsonl $f.dump"
	done
	# shellcheck disable=SC2086
	iop_compare $pairs
	expect_eq "compared" "$(grep -c '^ok ' cmp.txt)" 16
}

# The rows DuckDB writes: every type it shares with dxt, unsigned and
# millisecond / nanosecond variants dxt maps, NaN and infinities, nulls,
# and nested values (LIST, STRUCT, MAP, list of struct, list of list).
# 32-bit columns keep their deltas within 32 bits here: the wider case has
# its own test below.
DUCK_ROWS="SELECT i::BIGINT AS id,
 CASE WHEN i % 7 = 3 THEN NULL ELSE i % 2 = 0 END AS b,
 ((i * 37) % 256 - 128)::TINYINT AS i8,
 CASE WHEN i % 7 = 3 THEN NULL ELSE ((i * 7919) % 65536 - 32768)::SMALLINT END AS i16,
 ((i * 1000003) % 2147483648 - 1073741824)::INTEGER AS i32,
 CASE WHEN i % 7 = 3 THEN NULL ELSE i * 123456789012345 - 9223372036854775807 END AS i64,
 (i % 256)::UTINYINT AS u8,
 ((i * 65521) % 65536)::USMALLINT AS u16,
 ((i * 2654435761) % 2147483648)::UINTEGER AS u32,
 (18446744073709551615 - i)::UBIGINT AS u64,
 (i * 0.5 - 100)::FLOAT AS f32,
 CASE i % 11 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE WHEN 3 THEN NULL ELSE i / 7 END AS f64,
 ((i % 100000 - 50000) / 100)::DECIMAL(5,2) AS d5,
 CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 1000003 + (i % 1000) / 1000)::DECIMAL(15,3) END AS d15,
 ((CASE WHEN i % 2 = 1 THEN '-' ELSE '' END) || '1' || lpad(i::VARCHAR, 10, '0') || '12345678901234.' || lpad((i % 100000)::VARCHAR, 5, '0'))::DECIMAL(30,5) AS d30,
 (i % 100)::DECIMAL(38,10) AS d38,
 CASE i % 5 WHEN 0 THEN '' WHEN 1 THEN 'naïve café ' || i WHEN 2 THEN '日本語 😀' WHEN 3 THEN NULL ELSE 'q\"\\' || i END AS s,
 'rep' || (i % 4) AS s_rep,
 CASE WHEN i % 7 = 3 THEN NULL ELSE unhex(printf('%08x00ff', i)) END AS bin,
 DATE '1900-01-01' + (i * 37 % 80000)::INTEGER AS dt,
 TIME '00:00:00' + INTERVAL (i * 1000003 % 86400000000) MICROSECONDS AS tm,
 TIMESTAMP '1960-01-01 00:00:00' + INTERVAL (i * 987654321123) MICROSECONDS AS ts,
 (TIMESTAMP '1960-01-01 00:00:00' + INTERVAL (i * 987654321123) MICROSECONDS)::TIMESTAMPTZ AS tz,
 (TIMESTAMP '2000-01-01 00:00:00' + INTERVAL (i * 1234567) MILLISECONDS)::TIMESTAMP_MS AS ts_ms,
 make_timestamp_ns(946684800000000000 + i * 1234567891) AS ts_ns,
 ('00000000-0000-4000-8000-' || lpad(printf('%x', i), 12, '0'))::UUID AS u,
 md5(i::VARCHAR)::UUID AS u2,
 ('{\"i\":' || i || ',\"a\":[1,\"x\",null,true],\"o\":{\"k\":' || (i / 4) || '}}')::JSON AS j,
 NULL::INTEGER AS n_all,
 [i, i + 1, NULL] AS l,
 CASE WHEN i % 7 = 3 THEN NULL ELSE {'a': i, 's': 'x' || i, 'f': i / 4, 'z': NULL::VARCHAR} END AS st,
 MAP {'k' || (i % 3): i, 'z': NULL} AS m,
 MAP {i: 'v' || i} AS mi,
 [{'a': i, 'b': 'y'}, NULL, {'a': NULL, 'b': 'w'}] AS ls,
 [[i], [], NULL] AS ll,
 CASE WHEN i % 5 = 0 THEN [] ELSE ['s' || i] END AS le
FROM range(2500) t(i)"

t_parquet_interop_duckdb_writes_dxt_reads() {
	iop_setup
	mkdir in
	duck matrix in d "$DUCK_ROWS" 2048 || fail "DuckDB could not write the files"
	expect_eq "files" "$(ls in | wc -l)" 24
	{
		printf 'name: pqread\nsource: {provider: local, path: in}\n'
		printf 'target: {provider: local, path: out}\nstreams:\n'
		for f in in/*.parquet; do
			n=$(basename "$f" .parquet)
			printf '  - {id: %s, source: {type: file, file: %s.parquet}, target: {name: ., format: jsonl}}\n' "$n" "$n"
		done
	} >p.yaml
	run_dxtd out.json err.txt run p.yaml --spool-dir spool --workers 2
	iop_no_crash "dxtd run"
	expect_eq "exit status" "$rc" 0
	# DuckDB reads every one of its files alike: one dump serves as the
	# expected rows of all 24.
	duck dump in/d_uncompressed_false_v1.parquet >expected.dump ||
		fail "DuckDB dump failed"
	pairs=""
	for f in in/*.parquet; do
		n=$(basename "$f" .parquet)
		[ -f "out/$n.jsonl" ] || fail "no output for $n: $(ls out)"
		pairs="$pairs expected.dump out/$n.jsonl"
	done
	# shellcheck disable=SC2086
	iop_compare $pairs
	expect_eq "compared" "$(grep -c '^ok ' cmp.txt)" 24
}

# DuckDB's v2 pages encode 32-bit integers with DELTA_BINARY_PACKED computed
# in 64 bits, so values that jump across most of the 32-bit range give
# miniblocks 33 bits wide. Decoded with wrapping 32-bit arithmetic they are
# still the right values, and DuckDB reads them back.
t_parquet_interop_duckdb_int32_wide_deltas() {
	iop_setup
	mkdir in
	duck write in/w.parquet "SELECT i::BIGINT AS id, ((i * 1000003) % 4294967296 - 2147483648)::INTEGER AS i32, ((i * 2654435761) % 4294967296)::UINTEGER AS u32, (CASE WHEN i % 2 = 0 THEN -2147483648 ELSE 2147483647 END)::INTEGER AS flip FROM range(3000) t(i)" zstd false v2 1024 ||
		fail "DuckDB could not write"
	duck meta in/w.parquet >meta.txt
	expect_contains "delta encoding" meta.txt DELTA_BINARY_PACKED
	cat >p.yaml <<'YAML'
name: wide
source: {provider: local, path: in}
target: {provider: local, path: out}
streams:
  - {id: w, source: {type: file, file: w.parquet}, target: {name: ., format: jsonl}}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	iop_no_crash "dxtd run"
	expect_eq "exit status" "$rc" 0
	duck dump in/w.parquet >w.dump || fail "DuckDB dump failed"
	iop_compare w.dump out/w.jsonl
}

# read_damaged FILE: dxt reads FILE (a damaged Parquet file) into JSON lines.
read_damaged() {
	rm -rf out
	cat >p.yaml <<YAML
name: damaged
source: {provider: local, path: bad}
target: {provider: local, path: out}
streams:
  - {id: s, source: {type: file, file: $1}, target: {name: ., format: jsonl}}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	iop_no_crash "$1"
}

t_parquet_interop_damaged_files() {
	iop_setup
	mkdir in bad
	duck write in/good.parquet "$DUCK_ROWS" zstd true v2 2048 || fail "DuckDB could not write"
	duck write in/plain.parquet "$DUCK_ROWS" snappy false v1 2048 || fail "DuckDB could not write"
	# Truncations: empty, inside the magic, the footer length, the footer,
	# and the middle of the data pages; every one must fail naming the file.
	size=$(wc -c <in/good.parquet)
	cuts="good:0 good:1 good:4 good:7 good:8 good:12 good:100
good:$((size / 3)) good:$((size / 2)) good:$((size - 2000))
good:$((size - 200)) good:$((size - 9)) good:$((size - 8))
good:$((size - 5)) good:$((size - 1))"
	size=$(wc -c <in/plain.parquet)
	cuts="$cuts plain:8 plain:$((size / 2)) plain:$((size - 700))
plain:$((size - 100)) plain:$((size - 9)) plain:$((size - 1))"
	for cut in $cuts; do
		src=${cut%:*}
		len=${cut#*:}
		name=${src}_cut_$len.parquet
		head -c "$len" in/$src.parquet >bad/$name
		read_damaged "$name"
		expect_eq "$name: exit status" "$rc" 1
		json out.json 'd["error"]["message"]' >msg.txt 2>/dev/null || cat err.txt >msg.txt
		expect_contains "$name: message names the file" msg.txt "$name"
		rm -f bad/$name
	done
	# Bit flips across the file, denser in the footer: each either reads
	# (a flipped value byte) or fails naming the file; never a crash.
	for src in good:12:20 plain:6:10; do
		python3 - "in/${src%%:*}.parquet" bad "$src" <<'PY'
import random, sys
data = open(sys.argv[1], "rb").read()
name, spread, footer = sys.argv[3].split(":")
rnd = random.Random(20240229)
n = len(data)
spots = [rnd.randrange(n) for _ in range(int(spread))]
spots += [n - 1 - rnd.randrange(min(n, 1500)) for _ in range(int(footer))]
for k, pos in enumerate(spots):
    b = bytearray(data)
    b[pos] ^= 1 << rnd.randrange(8)
    open(f"{sys.argv[2]}/{name}_flip_{k:02d}_{pos}.parquet", "wb").write(b)
PY
	done
	failed=0
	for f in bad/*_flip_*.parquet; do
		name=$(basename "$f")
		read_damaged "$name"
		case $rc in
		0)
			# What was read is still valid: every line a JSON
			# object (json columns hold JSON, strings UTF-8).
			python3 -c 'import json, sys
for n, line in enumerate(open(sys.argv[1], "rb")):
    try:
        ok = isinstance(json.loads(line.decode("utf-8")), dict)
    except ValueError as e:
        ok = False
    if not ok:
        sys.exit("line %d: %s" % (n + 1, line[:300]))' out/s.jsonl >valid.txt 2>&1 ||
				fail "$name: read without error but the output is not valid JSON lines: $(tail -c 600 valid.txt)" ;;
		1)
			failed=$((failed + 1))
			json out.json 'd["error"]["message"]' >msg.txt 2>/dev/null || cat err.txt >msg.txt
			expect_contains "$name: message names the file" msg.txt "$name" ;;
		*)
			fail "$name: exit status $rc: $(tail -c 2000 err.txt)" ;;
		esac
		rm -f "$f"
	done
	[ "$failed" -gt 0 ] || fail "no bit flip was detected at all"
}
