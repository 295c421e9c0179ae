#!/bin/sh
# make run: starts dxtd on its embedded defaults (SQLite state store, local
# spool, loopback) with everything under scratch/, submits the example
# pipeline and prints the curl commands that drive it. Ctrl-C stops dxtd.
set -eu

O=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=$ROOT/scratch
PORT=${DXT_PORT:-8710}
URL=http://127.0.0.1:$PORT
mkdir -p "$SCRATCH"
# The example's relative paths (data/, the database) resolve against the
# daemon's working folder; the database goes to scratch/.
export DXT_EXAMPLE_DB="$SCRATCH/example.db"

cd "$ROOT/conf/examples"
"$ROOT/$O/dxtd" serve --listen "127.0.0.1:$PORT" \
	--state-dir "$SCRATCH/state" --spool-dir "$SCRATCH/spool" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' INT TERM

i=0
until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "dxtd did not start (is port $PORT free? DXT_PORT=... picks another)" >&2
		exit 1
	fi
	sleep 0.1
done

curl -fsS -X PUT -H 'Content-Type: application/yaml' \
	--data-binary @csv_to_sqlite.yaml "$URL/v1/pipelines/csv_to_sqlite" >/dev/null

cat <<TXT

dxtd is serving on $URL (state and spool under scratch/); the example
pipeline csv_to_sqlite is submitted. In another terminal:

  # start a run; the answer holds its id
  curl -s -X POST $URL/v1/pipelines/csv_to_sqlite/runs

  # poll it until "status" is succeeded, failed or cancelled
  curl -s $URL/v1/runs/RUN_ID

  # what was staged, and the staged rows
  curl -s $URL/v1/runs/RUN_ID/buffer
  curl -s "$URL/v1/runs/RUN_ID/buffer/orders/records?limit=5"

  # the rows that arrived
  sqlite3 scratch/example.db 'select * from orders'

  curl -s $URL/v1/pipelines        # pipelines
  curl -s $URL/v1/runs             # runs, newest first
  curl -s $URL/metrics             # Prometheus metrics

Ctrl-C stops dxtd.
TXT
wait $pid
