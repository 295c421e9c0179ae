# dxtd serve over HTTP: pipelines from YAML and JSON, runs polled to the
# end, the buffer (listing, records, files), events, state, metrics and the
# spool quota. Helpers: t_daemon_helpers.sh.

t_daemon_submit_run_and_buffer() {
	printf 'id,name,amount\n1,a,1.50\n2,b,2.25\n3,c,3.00\n' >in.csv
	cat >p.yaml <<'YAML'
name: csvs
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
buffer: {cleanup_on_success: false}
streams:
  - id: s
    source:
      type: file
      file: in.csv
      schema:
        - {name: id, type: int64}
        - {name: name, type: string}
        - {name: amount, type: "decimal(10,2)"}
    target: t
YAML
	cat >p.json <<'JSON'
{"name": "jsonp", "source": {"provider": "local", "path": "."},
 "target": {"provider": "sqlite", "path": "out2.db"},
 "streams": [{"id": "s", "source": {"type": "file", "file": "in.csv"},
              "target": "t"}]}
JSON
	dd_start
	dd_create p.yaml
	expect_eq "name" "$(dd_j 'd["name"]')" csvs
	expect_eq "streams" "$(dd_j 'd["streams"]')" "['s']"
	dd_create p.json json
	expect_eq "json version" "$(dd_j 'd["version"]')" 1
	dd_expect "create twice" 409 POST /v1/pipelines -H 'Content-Type: application/yaml' --data-binary @p.yaml
	expect_contains "409 says PUT" "$T/resp" "PUT /v1/pipelines/csvs"
	dd_expect "list" 200 GET /v1/pipelines
	expect_eq "listed" "$(dd_j 'sorted(p["name"] for p in d["pipelines"])')" "['csvs', 'jsonp']"

	dd_start_run csvs
	expect_eq "queued or running" "$(dd_j 'd["status"] in ("queued", "running")')" True
	expect_eq "trigger" "$(dd_j 'd["trigger"]')" api
	run=$DD_RUN
	expect_eq "url" "$(dd_j 'd["url"]')" "/v1/runs/$run"
	dd_wait "$run"
	expect_eq "status" "$DD_RUN_STATUS" succeeded
	expect_eq "rows loaded" "$(dd_j 'd["stats"]["rows_loaded"]')" 3
	expect_eq "stream phase" "$(dd_j 'd["streams"][0]["phase"]')" loaded
	expect_eq "ended_at" "$(dd_j 'd["ended_at"] is not None')" True
	expect_eq "error" "$(dd_j 'd["error"]')" None
	expect_eq "target rows" "$(q out.db 'select group_concat(name) from (select name from t order by id)')" "a,b,c"

	dd_start_run jsonp
	dd_wait "$DD_RUN"
	expect_eq "json pipeline run" "$DD_RUN_STATUS" succeeded
	expect_eq "json target" "$(q out2.db 'select count(*) from t')" 3

	dd_expect "buffer" 200 GET "/v1/runs/$run/buffer"
	expect_eq "buffer rows" "$(dd_j 'd["streams"][0]["rows"]')" 3
	expect_eq "buffer format" "$(dd_j 'd["streams"][0]["format"]')" parquet
	expect_eq "buffer codec" "$(dd_j 'd["streams"][0]["compression"]')" zstd
	expect_eq "buffer complete" "$(dd_j 'd["streams"][0]["complete"]')" True
	expect_eq "schema" "$(dd_j '[f["type"] for f in d["streams"][0]["schema"]]')" "['int64', 'string', 'decimal(10,2)']"
	part=$(dd_j 'd["streams"][0]["files"][0]["name"]')
	bytes=$(dd_j 'd["streams"][0]["files"][0]["bytes"]')

	dd_expect "records" 200 GET "/v1/runs/$run/buffer/s/records?limit=2&offset=1"
	expect_eq "records" "$(dd_j '[(r["id"], r["name"], r["amount"]) for r in d["records"]]')" "[(2, 'b', '2.25'), (3, 'c', '3.00')]"
	expect_eq "total" "$(dd_j 'd["total"]')" 3
	dd_expect "records past the end" 200 GET "/v1/runs/$run/buffer/s/records?offset=10"
	expect_eq "no records" "$(dd_j 'd["records"]')" "[]"
	dd_expect "records of a stream the run lacks" 404 GET "/v1/runs/$run/buffer/nope/records"

	curl -s -o part.bin "$DD_URL/v1/runs/$run/buffer/s/files/$part"
	expect_eq "file bytes" "$(wc -c <part.bin | tr -d ' ')" "$bytes"
	dd_expect "manifest file" 200 GET "/v1/runs/$run/buffer/s/files/manifest.json"
	expect_contains "manifest" "$T/resp" '"complete"'
	dd_expect "unlisted file" 404 GET "/v1/runs/$run/buffer/s/files/part-00099.csv.zst"

	dd_expect "events" 200 GET "/v1/runs/$run/events"
	expect_contains "events" "$T/resp" "run succeeded"
	expect_contains "stream events" "$T/resp" "staged 3 rows"
	dd_expect "runs list" 200 GET "/v1/runs?pipeline=csvs"
	expect_eq "one run of csvs" "$(dd_j 'len(d["runs"])')" 1
	dd_expect "runs by status" 200 GET "/v1/runs?status=succeeded&limit=1"
	expect_eq "page" "$(dd_j 'len(d["runs"])')" 1
	expect_eq "next" "$(dd_j 'd["next"] is not None')" True
	dd_expect "unknown status" 400 GET "/v1/runs?status=bogus"
	dd_expect "unknown run" 404 GET "/v1/runs/nope"

	# A new version; the runs' history keeps naming version 1.
	sed 's/out.db/out3.db/' p.yaml >p2.yaml
	dd_expect "put" 200 PUT /v1/pipelines/csvs -H 'Content-Type: application/yaml' --data-binary @p2.yaml
	expect_eq "version 2" "$(dd_j 'd["version"]')" 2
	expect_eq "versions" "$(dd_j 'len(d["versions"])')" 2
	dd_expect "put under another name" 400 PUT /v1/pipelines/other -H 'Content-Type: application/yaml' --data-binary @p2.yaml
	expect_contains "name mismatch" "$T/resp" 'the request'"'"'s path \"other\"'
	dd_expect "run still version 1" 200 GET "/v1/runs/$run"
	expect_eq "version" "$(dd_j 'd["version"]')" 1

	printf 'name: bad\nstreams:\n  - id: s\n    load: {mode: merge}\n' >bad.yaml
	dd_expect "validate" 400 POST /v1/pipelines/validate -H 'Content-Type: application/yaml' --data-binary @bad.yaml
	expect_contains "problem path" "$T/resp" "streams[0].load.mode"
	dd_expect "validate ok" 200 POST /v1/pipelines/validate -H 'Content-Type: application/yaml' --data-binary @p.yaml
	expect_eq "valid" "$(dd_j 'd["valid"]')" True
	printf 'name: badsched\nschedule: "61 * * * *"\nsource: {provider: local, path: .}\ntarget: {provider: sqlite, path: x.db}\nstreams:\n  - id: s\n    source: {type: file, file: in.csv}\n    target: t\n' >sched.yaml
	dd_expect "bad schedule" 400 POST /v1/pipelines -H 'Content-Type: application/yaml' --data-binary @sched.yaml
	expect_contains "schedule problem" "$T/resp" '"path":"schedule"'

	dd_expect "readyz" 200 GET /readyz
	dd_expect "operators" 200 GET /v1/operators
	expect_contains "operators" "$T/resp" "dxt.providers.sqlite.SQLiteLoader"
	dd_expect "metrics" 200 GET /metrics
	expect_contains "runs by status" "$T/resp" 'dxtd_runs_total{status="succeeded"} 2'
	expect_contains "rows loaded" "$T/resp" "dxtd_rows_loaded_total 6"
	expect_contains "histogram" "$T/resp" 'dxtd_run_duration_seconds_bucket{le="+Inf"} 2'
	expect_contains "spool" "$T/resp" "dxtd_spool_bytes"

	dd_expect "delete" 204 DELETE /v1/pipelines/jsonp
	dd_expect "gone" 404 GET /v1/pipelines/jsonp
	dd_expect "start a deleted pipeline" 404 POST /v1/pipelines/jsonp/runs
	dd_finish
	expect_contains "log names the run" "$T/dxtd.log" "run=$run stream=s"
}

t_daemon_stream_selection_and_tags() {
	printf 'id\n1\n' >a.csv
	printf 'id\n2\n' >b.csv
	cat >p.yaml <<'YAML'
name: two
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
streams:
  - {id: a, source: {type: file, file: a.csv}, target: a}
  - {id: b, source: {type: file, file: b.csv}, target: b}
YAML
	dd_start
	dd_create p.yaml
	dd_expect "unknown stream" 400 POST /v1/pipelines/two/runs -H 'Content-Type: application/json' -d '{"streams": ["c"]}'
	expect_contains "lists streams" "$T/resp" "streams: a, b"
	dd_expect "unknown key" 400 POST /v1/pipelines/two/runs -H 'Content-Type: application/json' -d '{"stream": ["a"]}'
	dd_start_run two '{"streams": ["b"], "tags": ["nightly"]}'
	dd_wait "$DD_RUN"
	expect_eq "status" "$DD_RUN_STATUS" succeeded
	expect_eq "only b" "$(dd_j '[s["id"] for s in d["streams"]]')" "['b']"
	expect_eq "tags" "$(dd_j 'd["tags"]')" "['nightly']"
	expect_eq "b loaded" "$(q out.db 'select count(*) from b')" 1
	expect_eq "a untouched" "$(q out.db "select count(*) from sqlite_master where name = 'a'")" 0
	dd_finish
}

t_daemon_incremental_state() {
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
YAML
	dd_start
	dd_create p.yaml
	dd_start_run incr
	dd_wait "$DD_RUN"
	expect_eq "first run" "$DD_RUN_STATUS" succeeded
	expect_eq "watermark to" "$(dd_j 'd["streams"][0]["watermark"]["to"]')" "2024-01-02 00:00:00"
	dd_expect "state" 200 GET /v1/pipelines/incr/state
	expect_eq "state value" "$(dd_j 'd["streams"]["ev"]["value"]')" "2024-01-02 00:00:00"
	expect_eq "nothing pending" "$(dd_j 'd["pending"]')" "{}"
	sqlite3 src.db "insert into ev values (3, '2024-01-03 00:00:00', 'c');"
	dd_start_run incr
	dd_wait "$DD_RUN"
	expect_eq "second run" "$(dd_j 'd["stats"]["rows_extracted"]')" 1
	expect_eq "from" "$(dd_j 'd["streams"][0]["watermark"]["from"]')" "2024-01-02 00:00:00"
	# Moving the watermark back re-extracts what follows it.
	dd_expect "set state" 200 PUT /v1/pipelines/incr/state -H 'Content-Type: application/json' \
		-d '{"streams": {"ev": {"value": "2024-01-01 00:00:00"}}}'
	expect_eq "state set" "$(dd_j 'd["streams"]["ev"]["value"]')" "2024-01-01 00:00:00"
	expect_eq "field from the pipeline" "$(dd_j 'd["streams"]["ev"]["field"]')" updated_at
	dd_expect "set unknown stream" 400 PUT /v1/pipelines/incr/state -H 'Content-Type: application/json' \
		-d '{"streams": {"nope": {"value": 1}}}'
	dd_start_run incr
	dd_wait "$DD_RUN"
	expect_eq "after set" "$(dd_j 'd["stats"]["rows_extracted"]')" 2
	dd_expect "reset" 200 DELETE /v1/pipelines/incr/state
	expect_eq "reset state" "$(dd_j 'd["streams"]')" "{}"
	dd_start_run incr
	dd_wait "$DD_RUN"
	expect_eq "after reset" "$(dd_j 'd["stats"]["rows_extracted"]')" 3
	expect_eq "rows" "$(q dst.db 'select count(*) from ev')" 8
	dd_finish
}

t_daemon_spool_quota() {
	printf 'id\n1\n2\n' >in.csv
	dd_csv_pipeline quota in.csv out.db >p.yaml
	printf 'spool_quota: 1\n' >dxtd.yaml
	dd_start --config dxtd.yaml
	dd_create p.yaml
	dd_start_run quota
	dd_wait "$DD_RUN"
	expect_eq "first run" "$DD_RUN_STATUS" succeeded
	# The buffer stays (cleanup_on_success: false): the quota is reached.
	dd_expect "refused" 507 POST /v1/pipelines/quota/runs
	expect_contains "quota message" "$T/resp" "spool quota of 1 B reached ("
	expect_contains "what to do" "$T/resp" "free space or raise spool_quota"
	dd_expect "metrics" 200 GET /metrics
	expect_contains "quota metric" "$T/resp" "dxtd_spool_quota_bytes 1"
	dd_finish
}

t_daemon_config_errors() {
	printf 'listen: 127.0.0.1:0\nworkerz: 4\n' >bad.yaml
	run_dxtd out.txt err.txt serve --config bad.yaml --state-dir state --spool-dir spool
	expect_eq "exit status" "$rc" 2
	expect_contains "unknown key" err.txt 'unknown setting "workerz"'
	expect_contains "line" err.txt "line 2"
	run_dxtd out.txt err.txt --listen nonsense --state-dir state
	expect_eq "bad listen" "$rc" 2
	expect_contains "listen" err.txt "is not HOST:PORT"
}

t_daemon_stream_parallelism() {
	for n in 1 2 3; do
		"$BUILD/tools/gen" 100000 >in$n.csv
	done
	cat >p.yaml <<'YAML'
name: three
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
streams:
  - {id: a, source: {type: file, file: in1.csv}, target: a}
  - {id: b, source: {type: file, file: in2.csv}, target: b}
  - {id: c, source: {type: file, file: in3.csv}, target: c}
YAML
	printf 'stream_parallelism: 1\nworkers: 4\n' >dxtd.yaml
	dd_start --config dxtd.yaml
	dd_create p.yaml
	dd_start_run three
	dd_wait "$DD_RUN" 60
	expect_eq "status" "$DD_RUN_STATUS" succeeded
	# One stream at a time: each starts once the one before it ended.
	expect_eq "one at a time" "$(dd_j 'all(d["streams"][i]["started_at"] >= d["streams"][i - 1]["ended_at"] for i in (1, 2))')" True
	expect_eq "rows" "$(dd_j 'd["stats"]["rows_loaded"]')" 300000
	dd_finish
}

t_daemon_token() {
	printf 'id\n1\n' >in.csv
	printf 's3kr1t-token-value\n' >token
	dd_start --token-file token
	dd_expect "no token" 401 GET /v1/pipelines
	dd_expect "wrong token" 401 GET /v1/pipelines -H 'Authorization: Bearer nope'
	dd_expect "token" 200 GET /v1/pipelines -H 'Authorization: Bearer s3kr1t-token-value'
	dd_expect "health needs none" 200 GET /healthz
	dd_finish
	expect_not_contains "token in the log" "$T/dxtd.log" "s3kr1t-token-value"
}
