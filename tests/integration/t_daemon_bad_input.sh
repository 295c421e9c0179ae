# Bad requests against the real daemon: each gets the JSON error with the
# right status, the daemon keeps serving, and nothing is stored.

# expect_error_json: the last response is {"error": {"code", "message"}}.
expect_error_json() {
	python3 - "$T/resp" <<'PY' || fail "not an error document: $(head -c 500 "$T/resp")"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert isinstance(e["code"], str) and e["code"], e
assert isinstance(e["message"], str) and e["message"], e
PY
}

t_daemon_bad_input() {
	dd_start
	cat >good.yaml <<'YAML'
name: good
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
streams:
  - {id: s, source: {type: file, file: in.csv}, target: t}
YAML
	# Malformed body.
	printf 'name: [unclosed\n' >bad.yaml
	dd_expect "malformed yaml" 400 POST /v1/pipelines -H 'Content-Type: application/yaml' --data-binary @bad.yaml
	expect_error_json
	dd_expect "malformed json" 400 POST /v1/pipelines -H 'Content-Type: application/json' --data-binary '{"name": '
	expect_error_json
	# Invalid pipeline: 400 listing every problem with path, line, column.
	sed 's/streams:/streams:\n  - {id: s, load: {mode: merge}}/' good.yaml >invalid.yaml
	dd_expect "invalid" 400 POST /v1/pipelines -H 'Content-Type: application/yaml' --data-binary @invalid.yaml
	expect_error_json
	python3 - "$T/resp" <<'PY' || fail "details: $(cat "$T/resp")"
import json, sys
d = json.load(open(sys.argv[1]))["error"]["details"]
assert len(d) >= 2, d
m = [x for x in d if x["path"] == "streams[0].load.mode"]
assert m and m[0]["line"] == 5 and m[0]["column"] > 0, d
assert any(x["path"].startswith("streams[1]") or "duplicate" in x["message"] for x in d), d
PY
	# Oversized body.
	head -c 3000000 /dev/zero | tr '\0' 'x' >big.yaml
	dd_expect "oversized" 413 POST /v1/pipelines -H 'Content-Type: application/yaml' --data-binary @big.yaml
	expect_error_json
	# Wrong content type.
	dd_expect "content type" 415 POST /v1/pipelines -H 'Content-Type: text/csv' --data-binary @good.yaml
	expect_error_json
	# Unknown route, wrong method (with Allow).
	dd_expect "unknown route" 404 GET /v1/nothing
	expect_error_json
	curl -s -D headers -o "$T/resp" -X PATCH "$DD_URL/v1/pipelines" >/dev/null
	grep -qi '^allow: .*GET' headers || fail "no Allow header: $(cat headers)"
	grep -q ' 405' headers || fail "not 405: $(head -n 1 headers)"
	expect_error_json
	# Unknown run, bad buffer file names.
	dd_expect "unknown run" 404 GET /v1/runs/20990101T000000Z-000000
	expect_error_json
	dd_expect "dot-dot" 400 GET "/v1/runs/x/buffer/s/files/..%2F..%2Fetc%2Fpasswd"
	expect_error_json
	dd_expect "dot-dot plain" 400 GET "/v1/runs/x/buffer/s/files/.." --path-as-is
	dd_expect "nul" 400 GET "/v1/runs/x/buffer/s/files/a%00b"
	# Nothing was stored by any of these, and the daemon still serves.
	dd_expect "list" 200 GET /v1/pipelines
	expect_eq "no pipelines" "$(json "$T/resp" 'len(d["pipelines"])')" 0
	dd_expect "good" 201 POST /v1/pipelines -H 'Content-Type: application/yaml' --data-binary @good.yaml
	dd_expect "duplicate name" 409 POST /v1/pipelines -H 'Content-Type: application/yaml' --data-binary @good.yaml
	expect_error_json
	dd_expect "health" 200 GET /healthz
	dd_finish
}

t_daemon_corrupt_part_reported() {
	printf 'id,name\n1,a\n2,b\n' >in.csv
	dd_csv_pipeline corrupt in.csv out.db >p.yaml
	mkdir out.db
	dd_start
	dd_create p.yaml
	dd_start_run corrupt
	first=$DD_RUN
	dd_wait "$first"
	expect_eq "status" "$DD_RUN_STATUS" failed
	dd_expect "ready before" 200 GET /readyz
	expect_eq "buffers ok" "$(dd_j 'd["checks"]["buffers"]')" ok
	# Flip one byte of the staged part, then retry the load.
	part=$(find "$T/spool/runs/$first" -name 'part-*' | head -n 1)
	[ -n "$part" ] || fail "no staged part under $T/spool/runs/$first"
	python3 - "$part" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(bytes(b))
PY
	rmdir out.db
	dd_expect "retry" 202 POST "/v1/runs/$first/retry"
	retry=$(dd_j 'd["id"]')
	dd_wait "$retry"
	expect_eq "retry fails" "$DD_RUN_STATUS" failed
	dd_j 'd["error"]["message"]' >msg.txt
	expect_contains "checksum" msg.txt "checksum"
	expect_contains "part named" msg.txt "$(basename "$part")"
	# Nothing was loaded from the corrupt part.
	expect_eq "no table" "$(q out.db "select count(*) from sqlite_master where name = 't'")" 0
	dd_expect "ready says so" 200 GET /readyz
	expect_eq "corrupt stream" "$(dd_j 'd["checks"]["buffers"]["corrupt_parts"][0]["stream"]')" s
	expect_eq "corrupt run" "$(dd_j 'd["checks"]["buffers"]["corrupt_parts"][0]["run"]')" "$retry"
	dd_finish
}
