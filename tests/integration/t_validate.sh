# dxtd validate and pipeline errors: every problem, with path, line, column.

t_validate_ok() {
	run_dxtd out.txt err.txt validate "$EXAMPLES/csv_to_sqlite.yaml"
	expect_eq "exit status" "$rc" 0
	expect_contains "ok line" out.txt "ok: pipeline csv_to_sqlite, 2 stream(s)"
}

t_validate_reports_every_problem() {
	cat >p.yaml <<'YAML'
version: 1
name: broken
source:
  provider: local
  path: .
target:
  provider: sqlite
  path: out.db
streams:
  - id: a
    source: {type: file, file: a.csv}
    target: a
  - id: b
    load:
      mode: merge
    source: {type: file, file: b.csv}
    target: b
    extarct: {mode: full}
  - source: {type: file, file: c.csv}
    target: c
YAML
	run_dxtd out.txt err.txt validate p.yaml
	expect_eq "exit status" "$rc" 1
	expect_contains "mode" out.txt 'streams[1].load.mode: "merge" is not one of append, replace, upsert (line 15, column 13)'
	expect_contains "unknown key" out.txt 'streams[1].extarct'
	expect_contains "hint" out.txt 'extract'
	expect_contains "missing id" out.txt 'streams[2]'
	expect_contains "missing id" out.txt 'id'
}

t_validate_malformed_yaml() {
	printf 'name: x\nstreams:\n  - id: a\n    source: {type: file\n' >p.yaml
	run_dxtd out.txt err.txt validate p.yaml
	expect_eq "exit status" "$rc" 1
	expect_contains "line" out.txt "line 5"
}

t_validate_malformed_json() {
	printf '{"name": "x",\n "streams": [\n  {"id": "a",}\n ]}\n' >p.json
	run_dxtd out.txt err.txt validate p.json
	expect_eq "exit status" "$rc" 1
	expect_contains "line" out.txt "line 3"
}

t_unknown_class_names_files_and_symbol() {
	cat >p.yaml <<'YAML'
name: unknown_class
streams:
  - id: a
    extractor: {class: dxt.providers.sqlite.SQLiteExtracter, config: {path: in.db}}
    source: {type: relation, relation: t}
    loader: {class: dxt.providers.nosuch.NoLoader}
    target: t
YAML
	run_dxtd out.txt err.txt validate p.yaml
	expect_eq "exit status" "$rc" 1
	expect_contains "symbol" out.txt 'no symbol "SQLiteExtracter"'
	expect_contains "files searched" out.txt "$BUILD/providers/nosuch.so"
	expect_contains "position" out.txt "line 4"
	run_dxtd out.json err.txt run p.yaml
	expect_eq "run refuses" "$rc" 2
	expect_contains "run message" err.txt 'no symbol "SQLiteExtracter"'
}

t_unset_variable_is_reported() {
	cat >p.yaml <<'YAML'
name: envs
source: {provider: local, path: .}
target: {provider: sqlite, path: "${DXT_TEST_SURELY_UNSET}"}
streams:
  - id: a
    source: {type: file, file: a.csv}
    target: a
YAML
	run_dxtd out.txt err.txt validate p.yaml
	expect_eq "exit status" "$rc" 1
	expect_contains "variable" out.txt "DXT_TEST_SURELY_UNSET"
	expect_contains "position" out.txt "line 3"
}

t_operators_lists_providers() {
	run_dxtd out.txt err.txt operators
	expect_eq "exit status" "$rc" 0
	for c in dxt.providers.sqlite.SQLiteExtractor dxt.providers.sqlite.SQLiteLoader \
		dxt.providers.local.LocalExtractor dxt.providers.local.LocalLoader \
		dxt.providers.local.LocalFileExtractor dxt.providers.local.LocalFileLoader; do
		expect_contains "$c" out.txt "$c"
	done
	grep -E '^dxt.providers.sqlite.SQLiteLoader +loader +relational +records' out.txt >/dev/null ||
		fail "SQLiteLoader row: $(cat out.txt)"
	run_dxtd out.json err.txt operators --json --provider-path "$FIXTURES"
	expect_contains "user provider" out.json '"class": "acme.crm.CrmExtractor"'
	expect_contains "old abi skipped" err.txt "oldabi.so"
}
