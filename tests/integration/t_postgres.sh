# PostgreSQL as source and target, on the throwaway server of pgserver.sh:
# every mapped type both ways, the crossings (postgres -> postgres, sqlite,
# local parquet; sqlite and csv -> postgres), incremental extraction with a
# bound watermark, the load modes, the schema policy, bad data and a lost
# connection.

# pg_pipeline NAME SOURCE_BLOCK TARGET_BLOCK STREAM_LINES: a pipeline file.
pg_pipeline() {
	cat <<YAML
name: $1
source: $2
target: $3
streams:
$4
YAML
}

t_pg_every_type_to_sqlite_and_back() {
	pg_test_db pg_types
	pg_q "CREATE TYPE mood AS ENUM ('ok', 'sad');
	CREATE TYPE pair AS (a int, b text);
	CREATE TABLE src (id int8 PRIMARY KEY, b bool, i2 int2, i4 int4,
	  f4 float4, f8 float8, n numeric(12,2), nu numeric, t text,
	  vc varchar(5), bp char(3), by bytea, d date, tm time,
	  ts timestamp, tz timestamptz, u uuid, j json, jb jsonb,
	  arr int[], comp pair, en mood, ip inet, iv interval);
	INSERT INTO src VALUES
	  (1, true, -32768, 2147483647, 1.5, -2.25, 1234567890.12, 3.14159,
	   'zażółć \"q\"', 'abc', 'xy', '\\x00ff', '1999-12-31', '23:59:59.5',
	   '1969-07-20 20:17:40', '2024-01-31 13:45:00.123456+00',
	   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": [1, 2]}',
	   '{\"b\": 1, \"a\": null}', '{1,2,3}', ROW(7, 'x'), 'sad',
	   '10.0.0.1/8', '1 day 2 hours'),
	  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	   NULL, NULL);"
	pg_pipeline types "{provider: postgres, url: \"$PG_URL\"}" \
		"{provider: sqlite, path: out.db}" \
		"  - {id: s, source: {type: relation, relation: src}, target: dst}" >p.yaml
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "run" "$rc" 0
	expect_eq "rows" "$(q out.db 'select count(*) from dst')" 2
	expect_eq "row 1" "$(q out.db "select b, i2, i4, f4, f8, n, nu, t, vc, bp, hex(by), d, tm, ts, tz, u from dst where id = 1")" \
		"1|-32768|2147483647|1.5|-2.25|1234567890.12|3.1415900000|zażółć \"q\"|abc|xy |00FF|1999-12-31|23:59:59.5|1969-07-20 20:17:40|2024-01-31 13:45:00.123456+00:00|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	expect_eq "json" "$(q out.db "select j, jb, arr, comp, en, ip, iv from dst where id = 1")" \
		'{"k": [1, 2]}|{"a": null, "b": 1}|[1,2,3]|{"a":7,"b":"x"}|sad|10.0.0.1/8|1 day 02:00:00'
	expect_eq "nulls" "$(q out.db "select count(*) from dst where id = 2 and b is null and n is null and tz is null and arr is null")" 1

	# The other types that map to their text.
	pg_q "CREATE TABLE more (nm name, ci cidr, mac macaddr, ttz timetz, ivn interval);
	INSERT INTO more VALUES ('pg_class', '192.168.0.0/16', '08:00:2b:01:02:03', '04:05:06.789-08', '-1 year 2 mons');"
	pg_pipeline more "{provider: postgres, url: \"$PG_URL\"}" \
		"{provider: sqlite, path: out.db}" \
		"  - {id: m, source: {type: relation, relation: more}, target: more}" >m.yaml
	run_dxtd out.json err.txt run m.yaml --spool-dir spool
	expect_eq "more types" "$rc" 0
	expect_eq "as text" "$(q out.db "select nm, ci, mac, ttz, ivn, typeof(mac) from more")" \
		"pg_class|192.168.0.0/16|08:00:2b:01:02:03|04:05:06.789-08|-10 mons|text"

	# And back: sqlite -> postgres, every value the same.
	pg_pipeline back "{provider: sqlite, path: out.db}" \
		"{provider: postgres, url: \"$PG_URL\"}" \
		"  - {id: s, source: {type: relation, relation: dst}, target: back}" >b.yaml
	run_dxtd out.json err.txt run b.yaml --spool-dir spool
	expect_eq "back" "$rc" 0
	expect_eq "back rows" "$(pg_q "select count(*) from back")" 2
	expect_eq "back values" "$(pg_q "select i4, n, tz, u, d from back where id = 1")" \
		"2147483647|1234567890.12|2024-01-31 13:45:00.123456+00|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|1999-12-31"
}

t_pg_csv_to_pg_to_pg_and_parquet() {
	pg_test_db pg_cross
	"$BUILD/tools/gen" 20000 >in.csv
	cat >c.yaml <<YAML
name: csv_pg
source: {provider: local, path: .}
target: {provider: postgres, url: "$PG_URL"}
streams:
  - id: orders
    source:
      type: file
      file: in.csv
      schema:
        - {name: id, type: int64, nullable: false}
        - {name: qty, type: int32}
        - {name: amount, type: "decimal(12,2)"}
        - {name: hash, type: string}
        - {name: status, type: string}
        - {name: created_at, type: timestamptz}
        - {name: active, type: bool}
        - {name: ref, type: uuid}
    target: orders
    load: {mode: replace}
YAML
	run_dxtd out.json err.txt run c.yaml --spool-dir spool
	expect_eq "csv -> pg" "$rc" 0
	expect_eq "types" "$(pg_q "select string_agg(format_type(atttypid, atttypmod), ',' order by attnum) from pg_attribute where attrelid = 'orders'::regclass and attnum > 0")" \
		"bigint,integer,numeric(12,2),text,text,timestamp with time zone,boolean,uuid"
	expect_eq "second row" "$(pg_q "select * from orders where id = 2")" \
		"2|3040|14566449.25|60bd08c3af1344ed71ac19d2be0255fc|returned|2022-01-12 04:54:10+00|f|d5d67354-c176-9e73-4af2-e9e9ee536fcc"

	pg_pipeline pgpg "{provider: postgres, url: \"$PG_URL\"}" \
		"{provider: postgres, url: \"$PG_URL\"}" \
		"  - {id: o, source: {type: sql, sql: \"SELECT * FROM orders WHERE qty > 0\"}, target: public.copy}" >p.yaml
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "pg -> pg" "$rc" 0
	expect_eq "same rows" "$(pg_q "select count(*) from (select * from orders where qty > 0 except all select * from copy) d")" 0
	expect_eq "count" "$(pg_q "select count(*) from copy")" "$(pg_q "select count(*) from orders where qty > 0")"

	cat >f.yaml <<YAML
name: pg_parquet
source: {provider: postgres, url: "$PG_URL"}
target: {provider: local, path: out}
streams:
  - id: series
    source: {type: function, function: "generate_series(1, 5)"}
    target: {name: ., format: parquet}
YAML
	mkdir out
	run_dxtd out.json err.txt run f.yaml --spool-dir spool
	expect_eq "pg -> parquet" "$rc" 0
	"$DXTD" inspect --json --rows all out/series.parquet >i.json
	expect_eq "parquet rows" "$(json i.json 'd["rows"]')" 5
	expect_eq "parquet values" "$(json i.json '[r["generate_series"] for r in d["first_rows"]]')" "[1, 2, 3, 4, 5]"
}

t_pg_incremental_binds_the_watermark() {
	pg_test_db pg_incr
	pg_q "CREATE TABLE ev (id int PRIMARY KEY, k text, v text);
	INSERT INTO ev VALUES (1, 'a', 'x'), (2, 'b''q', 'y');"
	pg_pipeline incr "{provider: postgres, url: \"$PG_URL\"}" \
		"{provider: sqlite, path: dst.db}" \
		"  - {id: ev, source: {type: relation, relation: ev}, target: ev, extract: {mode: incremental, watermark_field: k}, load: {mode: append}}" >p.yaml
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "first" "$rc" 0
	expect_eq "watermark" "$(json out.json 'd["streams"][0]["watermark"]["to"]')" "b'q"
	pg_q "INSERT INTO ev VALUES (3, 'c', 'z'), (4, 'a0', 'old');"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "second" "$rc" 0
	expect_eq "only rows after b'q" "$(json out.json 'd["stats"]["rows_extracted"]')" 1
	expect_eq "rows" "$(q dst.db 'select group_concat(id) from (select id from ev order by id)')" "1,2,3"
}

t_pg_load_modes_and_schema_policy() {
	pg_test_db pg_modes
	pg_q "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v);
	INSERT INTO t VALUES (1, 'old'), (9, 'keep');"
	printf 'id,v\n1,new\n2,two\n' >a.csv
	mk() {
		cat >"$1.yaml" <<YAML
name: m
source: {provider: local, path: .}
target: {provider: postgres, url: "$PG_URL"}
streams:
  - id: s
    source: {type: file, file: $2, schema: [{name: id, type: int32}, {name: v, type: string}$4]}
    target: t
    load: $3
YAML
	}
	mk up a.csv "{mode: upsert, upsert_keys: [id]}" ""
	run_dxtd out.json err.txt run up.yaml --spool-dir spool
	expect_eq "upsert" "$rc" 0
	expect_eq "upserted" "$(pg_q "select string_agg(id || v, ',' order by id) from t")" "1new,2two,9keep"

	mk bad a.csv "{mode: upsert, upsert_keys: [v]}" ""
	run_dxtd out.json err.txt run bad.yaml --spool-dir spool
	expect_eq "upsert without an index" "$rc" 1
	expect_contains "names the index" out.json 'CREATE UNIQUE INDEX ON \"t\" (\"v\")'

	mk rep a.csv "{mode: replace}" ""
	run_dxtd out.json err.txt run rep.yaml --spool-dir spool
	expect_eq "replace" "$rc" 0
	expect_eq "replaced" "$(pg_q "select string_agg(id || v, ',' order by id) from t")" "1new,2two"
	expect_eq "index kept" "$(pg_q "select count(*) from pg_indexes where tablename = 't'")" 2

	printf 'id,v,extra\n3,three,x\n' >b.csv
	mk frz b.csv "{mode: append, schema_policy: freeze}" ", {name: extra, type: string}"
	run_dxtd out.json err.txt run frz.yaml --spool-dir spool
	expect_eq "freeze" "$rc" 1
	expect_contains "freeze lists" out.json 'column \"extra\" (string) is not in the table'
	expect_eq "nothing loaded" "$(pg_q "select count(*) from t")" 2

	printf 'id,v,more\n4,four,\n5,five,x\n' >c.csv
	mk drop c.csv "{mode: append, schema_policy: discard_row}" ", {name: more, type: string}"
	run_dxtd out.json err.txt run drop.yaml --spool-dir spool
	expect_eq "discard_row" "$rc" 0
	expect_eq "loaded" "$(json out.json 'd["stats"]["rows_loaded"]')" 1
	expect_eq "rejected" "$(json out.json 'd["stats"]["rows_rejected"]')" 1
	expect_eq "row 4 only" "$(pg_q "select string_agg(id::text, ',' order by id) from t where id > 2")" 4
	pg_q "DELETE FROM t WHERE id = 4"

	mk evo b.csv "{mode: append}" ", {name: extra, type: string}"
	run_dxtd out.json err.txt run evo.yaml --spool-dir spool
	expect_eq "evolve" "$rc" 0
	expect_eq "column added" "$(pg_q "select extra from t where id = 3")" x
}

t_pg_bad_data_and_errors() {
	pg_test_db pg_bad
	pg_q "CREATE TABLE t (id int NOT NULL, v varchar(3));"
	printf 'id,v\n1,abc\n2,toolong\n' >a.csv
	cat >p.yaml <<YAML
name: bad
source: {provider: local, path: .}
target: {provider: postgres, url: "$PG_URL"}
streams:
  - {id: s, source: {type: file, file: a.csv, schema: [{name: id, type: int32}, {name: v, type: string}]}, target: t, load: {mode: append}}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "too long" "$rc" 1
	expect_contains "names the value" out.json "value too long for type character varying(3)"
	expect_contains "names the row" out.json "line 2"
	expect_contains "names the stream row" out.json "(row 2 of the stream)"
	expect_eq "nothing loaded" "$(pg_q "select count(*) from t")" 0

	# Rows discard_row leaves out do not shift the row named.
	printf 'id,v,x\n1,abc,\n2,ab,skip me\n3,toolong,\n' >s.csv
	sed "s|file: a.csv|file: s.csv|; s|{name: v, type: string}|{name: v, type: string}, {name: x, type: string}|; s|mode: append|mode: append, schema_policy: discard_row|" p.yaml >s.yaml
	run_dxtd out.json err.txt run s.yaml --spool-dir spool
	expect_eq "too long after a discard" "$rc" 1
	expect_contains "COPY's line" out.json "line 2, column v"
	expect_contains "stream row" out.json "(row 3 of the stream)"
	expect_eq "still nothing loaded" "$(pg_q "select count(*) from t")" 0

	# Through the staging table (text data into an integer column, and
	# upserts): the error names the first row that fails, with its values,
	# counting rows that discard_row skipped.
	pg_q "CREATE TABLE n (id int PRIMARY KEY, q int CHECK (q < 100), v varchar(3));"
	printf 'id,q,v,x\n1,5,a,\n2,6,b,skip me\n3,7,c,\n4,oops,d,\n5,8,e,\n' >n.csv
	sed "s|file: s.csv|file: n.csv|; s|{name: id, type: int32}, |&{name: q, type: string}, |; s|target: t,|target: n,|" s.yaml >n.yaml
	# stage_fails YAML WHAT MESSAGE ROW: the run fails naming MESSAGE and
	# ROW, and table n stays empty.
	stage_fails() {
		run_dxtd out.json err.txt run "$1" --spool-dir spool
		expect_eq "$2: fails" "$rc" 1
		expect_contains "$2: message" out.json "$3"
		expect_contains "$2: row" out.json "$4"
		expect_eq "$2: nothing loaded" "$(pg_q "select count(*) from n")" 0
	}
	stage_fails n.yaml "cast" 'invalid input syntax for type integer: \"oops\"' \
		'row 4 of the stream: {\"id\":4,\"q\":\"oops\",\"v\":\"d\"}'

	printf 'id,q,v\n1,5,a\n2,6,b\n3,700,c\n' >c.csv
	sed "s|file: n.csv|file: c.csv|; s|, {name: x, type: string}||; s|mode: append, schema_policy: discard_row|mode: upsert, upsert_keys: [id]|" n.yaml >c.yaml
	stage_fails c.yaml "check constraint" 'violates check constraint \"n_q_check\"' \
		'row 3 of the stream: {\"id\":3,\"q\":\"700\",\"v\":\"c\"}'

	printf 'id,q,v\n1,5,a\n2,6,b\n1,7,c\n' >d.csv
	sed "s|file: c.csv|file: d.csv|" c.yaml >d.yaml
	stage_fails d.yaml "key repeated" "cannot affect row a second time" \
		'row 3 of the stream: {\"id\":1,'

	# Text into integer, date and inet columns parses as COPY would.
	pg_q "ALTER TABLE n ADD COLUMN d date, ADD COLUMN ip inet;"
	printf 'id,q,v,d,ip\n1,5,a,2024-02-29,10.1.2.3\n2,-6,bc,1999-01-01,::1\n' >g.csv
	sed "s|file: c.csv|file: g.csv|; s|{name: v, type: string}|{name: v, type: string}, {name: d, type: string}, {name: ip, type: string}|" c.yaml >g.yaml
	run_dxtd out.json err.txt run g.yaml --spool-dir spool
	expect_eq "text parsed into typed columns" "$rc" 0
	expect_eq "values" "$(pg_q "select string_agg(id || ' ' || q || ' ' || v || ' ' || d || ' ' || ip, ',' order by id) from n")" \
		"1 5 a 2024-02-29 10.1.2.3/32,2 -6 bc 1999-01-01 ::1/128"

	sed "s|dxt-pw|wrong-secret|" p.yaml >w.yaml
	run_dxtd out.json err.txt run w.yaml --spool-dir spool
	expect_eq "bad password" "$rc" 1
	expect_contains "auth" out.json "password authentication failed"
	expect_not_contains "no password" out.json "wrong-secret"
	expect_not_contains "no password in logs" err.txt "wrong-secret"

	pg_pipeline miss "{provider: postgres, url: \"$PG_URL\"}" \
		"{provider: sqlite, path: x.db}" \
		"  - {id: s, source: {type: relation, relation: nope}, target: t}" >m.yaml
	run_dxtd out.json err.txt run m.yaml --spool-dir spool
	expect_eq "missing table" "$rc" 1
	expect_contains "names it" out.json 'relation \"nope\" does not exist'
}

t_pg_connection_lost_mid_load() {
	pg_test_db pg_lost
	"$BUILD/tools/gen" 1000000 >big.csv
	cat >p.yaml <<YAML
name: lost
source: {provider: local, path: .}
target: {provider: postgres, url: "$PG_URL"}
streams:
  - id: s
    source:
      type: file
      file: big.csv
      schema: [{name: id, type: int64}, {name: qty, type: int32}, {name: amount, type: "decimal(12,2)"}, {name: hash, type: string}, {name: status, type: string}, {name: created_at, type: timestamptz}, {name: active, type: bool}, {name: ref, type: uuid}]
    target: t
    load: {mode: append}
YAML
	dd_start
	dd_create p.yaml
	dd_start_run lost
	first=$DD_RUN
	killed=0
	for _ in $(seq 1 400); do
		n=$(pg_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'dxtd' AND query LIKE 'COPY%'")
		if [ "$n" -gt 0 ]; then killed=1; break; fi
		sleep 0.05
	done
	expect_eq "a backend was killed" "$killed" 1
	dd_wait "$first"
	expect_eq "failed" "$DD_RUN_STATUS" failed
	expect_eq "transient" "$(dd_j 'd["error"]["class"]')" transient
	# The load's transaction, table creation included, rolled back.
	expect_eq "nothing half-loaded" "$(pg_q "select count(*) from pg_tables where tablename = 't'")" 0
	# A retry loads the staged rows from the buffer, exactly once.
	dd_expect "retry" 202 POST "/v1/runs/$first/retry"
	retry=$(dd_j 'd["id"]')
	dd_wait "$retry"
	expect_eq "retry status" "$DD_RUN_STATUS" succeeded
	expect_eq "rows once" "$(pg_q "select count(*), count(distinct id) from t")" "1000000|1000000"
	dd_finish
}

t_pg_numeric_and_time_edges() {
	pg_test_db pg_edges
	pg_q "CREATE TABLE src (id int, n numeric(38,12), small numeric(5,4), d date, ts timestamptz);
	INSERT INTO src VALUES
	  (1, 0, 0, '2000-01-01', '2000-01-01 00:00:00+00'),
	  (2, -0.000000000001, -9.9999, '1999-12-31', '1999-12-31 23:59:59.999999+00'),
	  (3, 99999999999999999999999999.999999999999, 1.0001, '0001-01-01', '1900-06-15 12:00:00+00'),
	  (4, -12345678901234567890.5, 0.5, '2262-04-11', '2262-04-11 23:47:16.854775+00'),
	  (5, 10000, -0.0001, '1970-01-01', '1970-01-01 00:00:00+00');
	CREATE TABLE bad (id int, n numeric); INSERT INTO bad VALUES (1, 1.5), (2, 'NaN');"
	pg_pipeline edges "{provider: postgres, url: \"$PG_URL\"}" \
		"{provider: postgres, url: \"$PG_URL\"}" \
		"  - {id: s, source: {type: relation, relation: src}, target: dst}" >p.yaml
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "run" "$rc" 0
	expect_eq "same values" "$(pg_q "select count(*) from (select * from src except all select * from dst) d")" 0
	expect_eq "rows" "$(pg_q "select count(*) from dst")" 5
	pg_pipeline nan "{provider: postgres, url: \"$PG_URL\"}" \
		"{provider: postgres, url: \"$PG_URL\"}" \
		"  - {id: s, source: {type: relation, relation: bad}, target: bad2}" >n.yaml
	run_dxtd out.json err.txt run n.yaml --spool-dir spool
	expect_eq "NaN fails" "$rc" 1
	expect_contains "names row and column" out.json 'row 2, column \"n\": numeric NaN has no decimal value'
	expect_eq "nothing loaded" "$(pg_q "select count(*) from pg_tables where tablename = 'bad2'")" 0
}

t_pg_tls_modes_and_certificates() {
	pg_test_db pg_tls
	pg_q "CREATE TABLE src (id int, v text); INSERT INTO src VALUES (1, 'a'), (2, 'b');"
	tls_url="postgresql://dxt_tls:dxt-pw@127.0.0.1:$PG_PORT/$PG_DB"
	# tls_pipeline FILE EXTRA: pg -> pg as dxt_tls, which pg_hba.conf
	# admits over TLS only, with EXTRA connection fields.
	tls_pipeline() {
		pg_pipeline tls "{provider: postgres, url: \"$tls_url\", $2}" \
			"{provider: postgres, url: \"$tls_url\", $2}" \
			"  - {id: s, source: {type: relation, relation: src}, target: dst}" >"$1"
	}
	tls_pipeline ok.yaml "sslmode: verify-full, sslrootcert: $PG_DIR/tls/ca.crt"
	run_dxtd out.json err.txt run ok.yaml --spool-dir spool
	expect_eq "verify-full with the right CA" "$rc" 0
	expect_eq "rows over TLS" "$(pg_q "select string_agg(v, ',' order by id) from dst")" "a,b"

	tls_pipeline off.yaml "sslmode: disable"
	run_dxtd out.json err.txt run off.yaml --spool-dir spool
	expect_eq "plain connection refused" "$rc" 1
	expect_contains "hba says no encryption" out.json "no encryption"
	expect_contains "terminal" out.json '"class": "terminal"'

	tls_pipeline wrong.yaml "sslmode: verify-ca, sslrootcert: $PG_DIR/tls/other-ca.crt"
	run_dxtd out.json err.txt run wrong.yaml --spool-dir spool
	expect_eq "unknown CA refused" "$rc" 1
	expect_contains "certificate named" out.json "certificate verify failed"
	expect_contains "not retried as transient" out.json '"class": "terminal"'

	sed "s|127.0.0.1:|localhost:|g" ok.yaml >host.yaml
	run_dxtd out.json err.txt run host.yaml --spool-dir spool
	expect_eq "host name mismatch refused" "$rc" 1
	expect_contains "mismatch named" out.json 'does not match host name \"localhost\"'

	tls_pipeline nofile.yaml "sslmode: verify-full, sslrootcert: $PWD/missing.crt"
	run_dxtd out.json err.txt run nofile.yaml --spool-dir spool
	expect_eq "missing CA file" "$rc" 1
	expect_contains "file named" out.json "missing.crt"

	tls_pipeline bad.yaml "sslmode: sometimes"
	run_dxtd out.json err.txt run bad.yaml --spool-dir spool
	expect_eq "unknown sslmode" "$rc" 1
	expect_contains "modes listed" out.json 'sslmode \"sometimes\" is not one of disable, allow, prefer, require, verify-ca, verify-full'
	expect_eq "the target stays as it was" "$(pg_q "select count(*) from dst")" 2
}

t_pg_timeouts() {
	pg_test_db pg_timeouts
	# timed_run YAML: runs it; $took is how long that took (s).
	timed_run() {
		start=$(date +%s)
		run_dxtd out.json err.txt run "$1" --spool-dir spool
		took=$(($(date +%s) - start))
	}
	pg_pipeline slow "{provider: postgres, url: \"$PG_URL\", statement_timeout: 300}" \
		"{provider: sqlite, path: out.db}" \
		"  - {id: s, source: {type: sql, sql: \"SELECT pg_sleep(5) AS x\"}, target: t}" >s.yaml
	timed_run s.yaml
	expect_eq "statement timeout" "$rc" 1
	expect_contains "says why" out.json "canceling statement due to statement timeout"
	[ "$took" -lt 4 ] || fail "statement_timeout 300 ms took $took s"

	# A server that accepts the connection and never answers.
	python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(30)' >port.txt &
	mute=$!
	for _ in $(seq 1 50); do [ -s port.txt ] && break; sleep 0.1; done
	pg_pipeline mute "{provider: postgres, host: 127.0.0.1, port: $(cat port.txt), database: x, user: dxt, password: dxt-pw, connect_timeout: 2}" \
		"{provider: sqlite, path: out.db}" \
		"  - {id: s, source: {type: relation, relation: t}, target: t}" >m.yaml
	timed_run m.yaml
	kill "$mute" 2>/dev/null
	expect_eq "connect timeout" "$rc" 1
	expect_contains "says why" out.json "timeout expired"
	expect_contains "transient" out.json '"class": "transient"'
	[ "$took" -lt 8 ] || fail "connect_timeout 2 s took $took s"
}
