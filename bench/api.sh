#!/bin/sh
# API under load: while a CSV -> SQLite run of N rows executes, wrk polls
# GET /v1/runs/{id} on loopback; also the time from the run's creation to
# its first extract call. Prints rows for bench/run.sh's table.
#
#   sh bench/api.sh BUILD_DIR CSV_FILE ROWS
set -eu

O=$1
CSV=$2
N=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/dxt-bench-api.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$PORT

"$ROOT/$O/dxtd" serve --listen "127.0.0.1:$PORT" --state-dir "$W/state" \
	--spool-dir "$W/spool" --log-level warn 2>"$W/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$W"' EXIT INT TERM
i=0
until curl -fsS "$U/healthz" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$W/log" >&2; exit 1; }
	sleep 0.05
done

cat >"$W/p.yaml" <<YAML
name: bench_api
source: {provider: local, path: $(dirname "$CSV")}
target: {provider: sqlite, path: $W/out.db}
buffer: {format: csv, compression: zstd}
streams:
  - id: orders
    source:
      type: file
      file: $(basename "$CSV")
      schema:
        - {name: id, type: int64}
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
curl -fsS -X POST -H 'Content-Type: application/yaml' --data-binary @"$W/p.yaml" \
	"$U/v1/pipelines" >/dev/null
id=$(curl -fsS -X POST "$U/v1/pipelines/bench_api/runs" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
wrk -t2 -c16 -d4s --latency "$U/v1/runs/$id" >"$W/wrk.txt"
rps=$(awk '/^Requests\/sec/ { print $2 }' "$W/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$W/wrk.txt")
# Was the run still going while wrk polled? Wait for it, then read the
# first extract start against the run's creation.
i=0
while :; do
	curl -fsS "$U/v1/runs/$id" >"$W/run.json"
	st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$W/run.json")
	case $st in succeeded|failed|cancelled) break ;; esac
	i=$((i + 1)); [ $i -lt 600 ] || break
	sleep 0.1
done
first=$(python3 - "$W/run.json" <<'PY'
import json, sys
from datetime import datetime
d = json.load(open(sys.argv[1]))
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
print("%.1f" % ((t(d["streams"][0]["started_at"]) - t(d["created_at"])) * 1000))
PY
)
printf '%-34s %9s %9s %7s %10s\n' "GET /v1/runs/{id} during $N-row run" "$rps/s" ">=5000/s" "p99" "$p99"
printf '%-34s %8sms %8sms %7s %10s\n' "POST runs -> first extract" "$first" "50" "-" "$st"
