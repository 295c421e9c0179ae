# SQLite as source and target: relation and sql sources, incremental
# extraction with a watermark, append mode, every DXT type through jsonl.

t_sqlite_incremental() {
	sqlite3 src.db "create table ev (id integer primary key, updated_at timestamp, v text);
		insert into ev values (1, '2024-01-01 00:00:00', 'a'), (2, '2024-01-02 00:00:00', 'b');"
	cat >p.yaml <<'YAML'
name: incr
source: {provider: sqlite, path: src.db}
target: {provider: sqlite, path: dst.db}
streams:
  - id: ev
    source: {type: relation, relation: ev}
    target: ev
    extract: {mode: incremental, watermark_field: updated_at}
    load: {mode: append}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "first run" "$rc" 0
	expect_eq "first rows" "$(q dst.db 'select count(*) from ev')" 2
	expect_eq "watermark to" "$(json out.json 'd["streams"][0]["watermark"]["to"]')" "2024-01-02 00:00:00"
	expect_contains "state file" spool/state.json '"updated_at"'
	sqlite3 src.db "insert into ev values (3, '2024-01-03 00:00:00', 'c');"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "second run" "$rc" 0
	expect_eq "only new rows" "$(json out.json 'd["stats"]["rows_extracted"]')" 1
	expect_eq "watermark from" "$(json out.json 'd["streams"][0]["watermark"]["from"]')" "2024-01-02 00:00:00"
	expect_eq "rows" "$(q dst.db 'select group_concat(v) from (select v from ev order by id)')" "a,b,c"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "third run" "$rc" 0
	expect_eq "nothing new" "$(json out.json 'd["stats"]["rows_extracted"]')" 0
	expect_eq "rows" "$(q dst.db 'select count(*) from ev')" 3
}

t_sqlite_watermark_waits_for_load() {
	sqlite3 src.db "create table ev (id integer primary key, updated_at timestamp);
		insert into ev values (1, '2024-01-01 00:00:00');"
	mkdir dst.db
	cat >p.yaml <<'YAML'
name: incr
source: {provider: sqlite, path: src.db}
target: {provider: sqlite, path: dst.db}
streams:
  - id: ev
    source: {type: relation, relation: ev}
    target: ev
    extract: {mode: incremental, watermark_field: updated_at}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "failed load" "$rc" 1
	# The load failed: the watermark must not have moved.
	if [ -f spool/state.json ]; then expect_not_contains "state" spool/state.json "2024-01-01"; fi
	rmdir dst.db
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "retry" "$rc" 0
	expect_eq "rows" "$(q dst.db 'select count(*) from ev')" 1
}

t_sqlite_sql_source_and_append() {
	sqlite3 src.db "create table o (id integer, amount decimal(10,2), status text);
		insert into o values (1, '10.50', 'paid'), (2, '3.00', 'new'), (3, '7.25', 'paid');"
	cat >p.yaml <<'YAML'
name: sqlsrc
streams:
  - id: paid
    extractor: {class: dxt.providers.sqlite.SQLiteExtractor, config: {path: src.db}}
    source: {type: sql, sql: "SELECT id, amount FROM o WHERE status = 'paid'"}
    loader: {class: dxt.providers.sqlite.SQLiteLoader, config: {path: dst.db}}
    target: {name: paid}
    load: {mode: append}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "first" "$rc" 0
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "second" "$rc" 0
	expect_eq "appended twice" "$(q dst.db 'select count(*) from paid')" 4
	expect_eq "sum" "$(q dst.db 'select sum(id) from paid')" 8
}

t_sqlite_to_jsonl_every_type() {
	sqlite3 src.db "create table t (i integer, s smallint, f real, d decimal(12,2), txt text, b blob,
		dt date, tm time, ts timestamp, tz timestamptz, u uuid, j json, ok boolean);
		insert into t values (-5, 7, 1.5, '12345.67', 'héllo', x'00ff', '2024-02-29', '13:45:00',
			'2024-02-29 13:45:00', '2024-02-29 13:45:00+00:00',
			'0b8f5c3e-9d4a-4b8e-8f1a-2c3d4e5f6a7b', '{\"a\":[1,2]}', 1);
		insert into t values (null, null, null, null, null, null, null, null, null, null, null, null, null);"
	cat >p.yaml <<'YAML'
name: types
source: {provider: sqlite, path: src.db}
target: {provider: local, path: out}
buffer: {format: jsonl, compression: gzip}
streams:
  - id: t
    source: {type: relation, relation: t}
    target: {name: t, format: jsonl}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	f=$(find out -type f | head -n 1)
	[ -n "$f" ] || fail "no output file under out/"
	python3 - "$f" <<'PY' || fail "values: $(cat "$f")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
a, b = rows
assert a["i"] == -5 and a["s"] == 7 and a["f"] == 1.5, a
assert str(a["d"]) == "12345.67", a["d"]
assert a["txt"] == "héllo", a
assert a["dt"] == "2024-02-29", a
assert a["tm"].startswith("13:45:00"), a
assert a["ts"].startswith("2024-02-29") and "13:45:00" in a["ts"], a
assert a["u"] == "0b8f5c3e-9d4a-4b8e-8f1a-2c3d4e5f6a7b", a
assert a["j"] == {"a": [1, 2]}, a
assert a["ok"] is True, a
assert all(v is None for v in b.values()), b
PY
}
