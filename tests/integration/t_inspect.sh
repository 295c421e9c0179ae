# dxtd inspect: a Parquet file's footer, schema, statistics and rows, as
# text and as JSON, and the messages for files that are not Parquet.

# expect_line WHAT FILE REGEX: some line of FILE matches the extended REGEX.
expect_line() {
	grep -qE -- "$3" "$2" || fail "$1: no line matching [$3] in $2: $(head -c 3000 "$2")"
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
	expect_eq "rows (json)" "$(json out.json 'len(d["first_rows"])')" 50
	expect_eq "last row" "$(json out.json 'd["first_rows"][49]')" \
		"{'id': 49, 'name': 'name 49', 'amount': 61.25, 'day': '2024-02-19', 'big': 49000000, 'flag': False, 'ratio': 16.333333333333332, 'at': '2024-01-01 00:00:49'}"
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
	expect_eq "nested rows (json)" "$(json out.json 'd["first_rows"][3]')" \
		"{'id': 3, 'l': [3, 4], 's': {'a': 3, 'b': 'x3'}, 'm': {'k3': 3}}"
	expect_eq "nested schema (json)" "$(json out.json '[(f["name"], f["type"], f["physical"], f["logical"]) for f in d["schema"]]')" \
		"[('id', 'int64', 'INT64', 'INT_64'), ('l', 'json', None, 'LIST'), ('s', 'json', None, None), ('m', 'json', None, 'MAP')]"
	expect_eq "default rows (json)" "$(json out.json 'len(d["first_rows"])')" 10
}
