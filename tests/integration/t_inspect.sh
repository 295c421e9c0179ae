# dxtd inspect: a Parquet file's footer, schema, statistics and rows, as
# text and as JSON, and the messages for files that are not Parquet.

# expect_line WHAT FILE REGEX: some line of FILE matches the extended REGEX.
expect_line() {
	grep -qE -- "$3" "$2" || fail "$1: no line matching [$3] in $2: $(head -c 3000 "$2")"
}

# inspect_part: runs a CSV -> SQLite pipeline whose buffer is Parquet and
# kept, and leaves the path of its one part in $part.
inspect_part() {
	cat >in.csv <<'CSV'
id,name,amount,day
1,alpha,12.50,2024-01-31
2,"with, comma",-0.01,
3,,99999999.99,1969-12-31
CSV
	cat >p.yaml <<'YAML'
name: insp
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
buffer: {format: parquet, cleanup_on_success: false}
streams:
  - id: s
    source:
      type: file
      file: in.csv
      schema:
        - {name: id, type: int64, nullable: false}
        - {name: name, type: string}
        - {name: amount, type: "decimal(10,2)"}
        - {name: day, type: date}
    target: t
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status (run)" "$rc" 0
	part=$(find spool -name '*.parquet' | head -n 1)
	[ -n "$part" ] || fail "no Parquet part under spool: $(find spool)"
}

# json_expect FILE SPEC: each line of SPEC is WHAT<tab>EXPR<tab>WANT, EXPR a
# Python expression on the JSON document d whose str() must equal WANT. One
# interpreter for the lot.
json_expect() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
for line in open(sys.argv[2]):
    what, expr, want = line.rstrip("\n").split("\t")
    got = str(eval(expr))
    if got != want:
        bad.append("%s: got [%s], want [%s]" % (what, got, want))
print("\n".join(bad))
sys.exit(1 if bad else 0)' "$1" "$2" >jx.txt 2>&1 || fail "$(cat jx.txt)"
}

t_inspect_text() {
	inspect_part
	run_dxtd out.txt err.txt inspect "$part"
	expect_eq "exit status" "$rc" 0
	expect_line "file" out.txt "^file +$part\$"
	expect_line "size" out.txt "^size +$(wc -c <"$part") bytes\$"
	expect_line "created_by" out.txt '^created_by +dxt version '
	expect_line "rows" out.txt '^rows +3$'
	expect_line "row groups" out.txt '^row groups +1$'
	expect_line "schema header" out.txt '^  column +type +physical +logical +repetition$'
	expect_line "schema id" out.txt '^  id +int64 +INT64 +INTEGER\(64,signed\) +REQUIRED$'
	expect_line "schema name" out.txt '^  name +string +BYTE_ARRAY +STRING +OPTIONAL$'
	expect_line "schema amount" out.txt '^  amount +decimal\(10,2\) +INT64 +DECIMAL\(10,2\) +OPTIONAL$'
	expect_line "schema day" out.txt '^  day +date +INT32 +DATE +OPTIONAL$'
	expect_line "row group" out.txt '^row group 0: 3 rows, [0-9]+ bytes'
	# Statistics shown in the column's type: numbers, decimals, dates.
	expect_line "id chunk" out.txt '^  id +ZSTD +[A-Z_,]+ +[0-9]+ +[0-9]+ +0 +1 +3$'
	expect_line "amount chunk" out.txt '^  amount +ZSTD +[A-Z_,]+ +[0-9]+ +[0-9]+ +0 +-0\.01 +99999999\.99$'
	expect_line "day chunk" out.txt '^  day +ZSTD +[A-Z_,]+ +[0-9]+ +[0-9]+ +1 +1969-12-31 +2024-01-31$'
	expect_line "rows header" out.txt '^rows \(first 10\)$'
	expect_line "row 1" out.txt '^  1 +alpha +12\.50 +2024-01-31$'
	expect_line "row 2" out.txt '^  2 +with, comma +-0\.01 +null$'
	expect_line "row 3" out.txt '^  3 +null +99999999\.99 +1969-12-31$'

	run_dxtd out1.txt err.txt inspect --rows 1 "$part"
	expect_eq "exit status (--rows 1)" "$rc" 0
	expect_line "row 1 (--rows 1)" out1.txt '^  1 +alpha'
	if grep -qE '^  2 +with' out1.txt; then fail "--rows 1 shows row 2: $(cat out1.txt)"; fi
}

t_inspect_json() {
	inspect_part
	run_dxtd out.json err.txt inspect --json --rows all "$part"
	expect_eq "exit status" "$rc" 0
	cat >spec.txt <<SPEC
file	d["file"]	$part
bytes	d["bytes"]	$(wc -c <"$part")
rows	d["rows"]	3
schema	[(f["name"], f["type"], f["nullable"], f["physical"], f["logical"], f["repetition"]) for f in d["schema"]]	[('id', 'int64', False, 'INT64', 'INTEGER(64,signed)', 'REQUIRED'), ('name', 'string', True, 'BYTE_ARRAY', 'STRING', 'OPTIONAL'), ('amount', 'decimal(10,2)', True, 'INT64', 'DECIMAL(10,2)', 'OPTIONAL'), ('day', 'date', True, 'INT32', 'DATE', 'OPTIONAL')]
row groups	[(g["rows"], len(g["columns"])) for g in d["row_groups"]]	[(3, 4)]
id chunk	[(c["path"], c["codec"], c["null_count"], c["min"], c["max"]) for c in d["row_groups"][0]["columns"]][0]	('id', 'ZSTD', 0, 1, 3)
day chunk	[(c["null_count"], c["min"], c["max"]) for c in d["row_groups"][0]["columns"]][3]	(1, '1969-12-31', '2024-01-31')
encodings are names	all(isinstance(e, str) and e.isupper() for c in d["row_groups"][0]["columns"] for e in c["encodings"])	True
row count	len(d["first_rows"])	3
row 2	d["first_rows"][1]	{'id': 2, 'name': 'with, comma', 'amount': -0.01, 'day': None}
SPEC
	json_expect out.json spec.txt
	# Decimals keep their digits, as in the JSON lines format.
	expect_contains "exact decimal" out.json '"amount":12.50,'
	expect_contains "exact decimal stat" out.json '"max":99999999.99}'

	run_dxtd out2.json err.txt inspect "$part" --json --rows=0
	expect_eq "exit status (--rows 0)" "$rc" 0
	expect_contains "no rows" out2.json '"first_rows":[]}'
}

t_inspect_errors() {
	printf 'id,name\n1,a\n' >not.parquet
	run_dxtd out.txt err.txt inspect not.parquet
	expect_eq "exit status (not parquet)" "$rc" 1
	expect_eq "message (not parquet)" "$(cat err.txt)" \
		'dxtd inspect: not.parquet: not a Parquet file (it does not begin with "PAR1")'

	run_dxtd out.txt err.txt inspect missing.parquet
	expect_eq "exit status (missing)" "$rc" 1
	expect_eq "message (missing)" "$(cat err.txt)" \
		"dxtd inspect: missing.parquet: No such file or directory"

	part="$ROOT/tests/data/inspect/duck_flat.parquet"
	head -c 100 "$part" >cut.parquet
	run_dxtd out.txt err.txt inspect cut.parquet
	expect_eq "exit status (cut)" "$rc" 1
	expect_contains "message (cut)" err.txt \
		'dxtd inspect: cut.parquet: the file begins like a Parquet file but does not end with "PAR1"'

	# A footer length pointing before the start of the file.
	python3 - "$part" bad.parquet <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-8:-4] = (len(b) * 2).to_bytes(4, "little")
open(sys.argv[2], "wb").write(b)
PY
	run_dxtd out.txt err.txt inspect bad.parquet
	expect_eq "exit status (bad footer length)" "$rc" 1
	expect_line "message (bad footer length)" err.txt '^dxtd inspect: bad\.parquet: .*footer'

	run_dxtd out.txt err.txt inspect
	expect_eq "exit status (no file)" "$rc" 2
	expect_contains "usage" err.txt "usage: dxtd inspect"
	run_dxtd out.txt err.txt inspect --rows many "$part"
	expect_eq "exit status (bad --rows)" "$rc" 2
	expect_contains "bad --rows" err.txt '--rows takes a number or "all", not "many"'
}

# Files written by DuckDB (tests/data/inspect): legacy converted types shown
# when there is no logical type, nested fields as json with their tree
# indented, statistics of nested leaves in their physical type.
t_inspect_foreign() {
	f="$ROOT/tests/data/inspect/duck_flat.parquet"
	run_dxtd out.txt err.txt inspect --rows 2 "$f"
	expect_eq "exit status (flat)" "$rc" 0
	expect_line "created_by" out.txt '^created_by +DuckDB version'
	expect_line "rows" out.txt '^rows +50$'
	expect_line "schema id" out.txt '^  id +int32 +INT32 +INT_32 +OPTIONAL$'
	expect_line "schema flag" out.txt '^  flag +bool +BOOLEAN +- +OPTIONAL$'
	expect_line "schema at" out.txt '^  at +timestamp +INT64 +TIMESTAMP\(MICROS,local\) +OPTIONAL$'
	expect_line "big chunk" out.txt '^  big +ZSTD +PLAIN +[0-9]+ +[0-9]+ +17 +1000000 +49000000$'
	expect_line "at chunk" out.txt '^  at +ZSTD +PLAIN +[0-9]+ +[0-9]+ +0 +2024-01-01 00:00:00 +2024-01-01 00:00:49$'
	expect_line "row 0" out.txt '^  0 +name 0 +0\.00 +2024-01-01 +null +true +0 +2024-01-01 00:00:00$'
	expect_line "row 1" out.txt '^  1 +name 1 +1\.25 +2024-01-02 +1000000 +false +0\.3333333333333333 +2024-01-01 00:00:01$'
	expect_not_contains "only 2 rows" out.txt "name 2 "

	run_dxtd out.json err.txt inspect --json --rows all "$f"
	expect_eq "exit status (flat, json)" "$rc" 0
	cat >spec.txt <<'SPEC'
rows (json)	len(d["first_rows"])	50
last row	d["first_rows"][49]	{'id': 49, 'name': 'name 49', 'amount': 61.25, 'day': '2024-02-19', 'big': 49000000, 'flag': False, 'ratio': 16.333333333333332, 'at': '2024-01-01 00:00:49'}
SPEC
	json_expect out.json spec.txt
	expect_contains "exact decimal stat" out.json '"min":0.00,"max":61.25}'

	f="$ROOT/tests/data/inspect/duck_nested.parquet"
	run_dxtd out.txt err.txt inspect --rows 1 "$f"
	expect_eq "exit status (nested)" "$rc" 0
	expect_line "list field" out.txt '^  l +json +group +LIST +OPTIONAL$'
	expect_line "list element" out.txt '^      element +INT64 +INT_64 +OPTIONAL$'
	expect_line "map key" out.txt '^      key +BYTE_ARRAY +UTF8 +REQUIRED$'
	expect_line "nested chunk" out.txt '^  m\.key_value\.key +SNAPPY +DELTA_LENGTH_BYTE_ARRAY +[0-9]+ +[0-9]+ +0 +k0 +k9$'
	expect_line "nested row" out.txt '^  0 +\[0,1\] +\{"a":0,"b":"x0"\} +\{"k0":0\}$'
	run_dxtd out.json err.txt inspect --json "$f"
	expect_eq "exit status (nested, json)" "$rc" 0
	cat >spec.txt <<'SPEC'
nested rows (json)	d["first_rows"][3]	{'id': 3, 'l': [3, 4], 's': {'a': 3, 'b': 'x3'}, 'm': {'k3': 3}}
nested schema (json)	[(f["name"], f["type"], f["physical"], f["logical"]) for f in d["schema"]]	[('id', 'int64', 'INT64', 'INT_64'), ('l', 'json', None, 'LIST'), ('s', 'json', None, None), ('m', 'json', None, 'MAP')]
default rows (json)	len(d["first_rows"])	10
SPEC
	json_expect out.json spec.txt
}
