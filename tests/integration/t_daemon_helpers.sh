# Helpers for the daemon tests (t_daemon_*.sh): start `dxtd serve` on a
# free port with its state and spool under $T, talk to it over HTTP with
# curl, and make sure it is killed when the test ends, failed or not.
#
# Every response body is appended to $T/bodies and the daemon's log goes to
# $T/dxtd.log (appended across restarts), so a test can search all of them.

# dd_start [FLAGS...]: starts the daemon and waits for its "serving on"
# line; sets DD_PID and DD_URL.
dd_start() {
	# The log exists before the daemon's shell opens it, so that the
	# loop below never counts lines in a missing file (a race that
	# ended the wait at once).
	: >>"$T/dxtd.log"
	_n=$(grep -c "serving on http://" "$T/dxtd.log" || true)
	"$DXTD" serve --listen 127.0.0.1:0 --state-dir "$T/state" \
		--spool-dir "$T/spool" "$@" >>"$T/dxtd.log" 2>&1 &
	DD_PID=$!
	echo "$DD_PID" >>"$T/.dxtd.pids"
	trap dd_cleanup EXIT
	_i=0
	while [ "$(grep -c "serving on http://" "$T/dxtd.log" || true)" -le "${_n:-0}" ]; do
		if ! kill -0 "$DD_PID" 2>/dev/null; then
			fail "dxtd exited at start: $(tail -n 5 "$T/dxtd.log")"
			return 1
		fi
		_i=$((_i + 1))
		if [ $_i -ge 300 ]; then
			fail "dxtd did not start: $(tail -n 5 "$T/dxtd.log")"
			return 1
		fi
		sleep 0.05
	done
	DD_URL=$(grep -o "serving on http://[^ ]*" "$T/dxtd.log" | tail -n 1 | sed 's/^serving on //')
}

# Kills every daemon this test started (by pid).
dd_cleanup() {
	if [ -f "$T/.dxtd.pids" ]; then
		for _p in $(cat "$T/.dxtd.pids"); do
			kill -9 "$_p" 2>/dev/null || true
		done
		rm -f "$T/.dxtd.pids"
	fi
}

# dd_stop: SIGTERM, then waits; leaves the exit status in $DD_EXIT.
dd_stop() {
	kill -TERM "$DD_PID"
	set +e
	wait "$DD_PID"
	DD_EXIT=$?
	set -e
}

# dd_finish: stops the daemon and checks that it exited cleanly, with no
# sanitizer report (leaks, races) in its log.
dd_finish() {
	dd_stop
	expect_eq "dxtd exit status" "$DD_EXIT" 0
	expect_not_contains "sanitizer report" "$T/dxtd.log" "Sanitizer"
	expect_not_contains "runtime error" "$T/dxtd.log" "runtime error:"
}

# dd_req METHOD PATH [CURL ARGS...]: the body goes to $T/resp, the status
# to $DD_STATUS.
dd_req() {
	_m=$1
	_path=$2
	shift 2
	DD_STATUS=$(curl -s -o "$T/resp" -w '%{http_code}' -X "$_m" "$@" "$DD_URL$_path")
	cat "$T/resp" >>"$T/bodies"
	echo >>"$T/bodies"
}

# dd_expect WHAT STATUS METHOD PATH [CURL ARGS...]
dd_expect() {
	_what=$1
	_want=$2
	shift 2
	dd_req "$@"
	[ "$DD_STATUS" = "$_want" ] || fail "$_what: HTTP $DD_STATUS, want $_want: $(head -c 1500 "$T/resp")"
}

# dd_j EXPR: evaluates a python expression on the last body (`d`).
dd_j() {
	json "$T/resp" "$1"
}

# dd_create FILE [yaml|json]: POST /v1/pipelines, expecting 201.
dd_create() {
	_ct=application/yaml
	[ "${2:-yaml}" = json ] && _ct=application/json
	dd_expect "create $1" 201 POST /v1/pipelines -H "Content-Type: $_ct" --data-binary "@$1"
}

# dd_start_run PIPELINE [BODY]: POST .../runs expecting 202; sets DD_RUN.
dd_start_run() {
	if [ -n "${2:-}" ]; then
		dd_expect "start $1" 202 POST "/v1/pipelines/$1/runs" -H 'Content-Type: application/json' -d "$2"
	else
		dd_expect "start $1" 202 POST "/v1/pipelines/$1/runs"
	fi
	DD_RUN=$(dd_j 'd["id"]')
}

# dd_wait RUN [SECONDS]: polls the run until it ends; its status is left in
# $DD_RUN_STATUS and its JSON in $T/resp. (The polls read the compact JSON
# with grep: a python per poll would be slower than the runs.)
dd_wait() {
	_limit=$(( ${2:-30} * 20 ))
	_i=0
	while :; do
		dd_req GET "/v1/runs/$1"
		# The run's own status is the first "status" key of its JSON.
		DD_RUN_STATUS=$(grep -o '"status":"[a-z]*"' "$T/resp" | head -n 1 | cut -d'"' -f4)
		case $DD_RUN_STATUS in
		succeeded | failed | cancelled | interrupted) return 0 ;;
		esac
		_i=$((_i + 1))
		if [ $_i -ge $_limit ]; then
			fail "run $1 still $DD_RUN_STATUS after ${2:-30}s: $(head -c 1500 "$T/resp")"
			return 1
		fi
		sleep 0.05
	done
}

# dd_wait_for RUN REGEX [SECONDS]: polls the run until its JSON matches
# the extended regular expression (grep -E).
dd_wait_for() {
	_limit=$(( ${3:-30} * 50 ))
	_i=0
	while :; do
		dd_req GET "/v1/runs/$1"
		grep -qE -- "$2" "$T/resp" && return 0
		_i=$((_i + 1))
		if [ $_i -ge $_limit ]; then
			fail "run $1: [$2] never seen: $(head -c 1500 "$T/resp")"
			return 1
		fi
		sleep 0.02
	done
}

# A CSV -> SQLite pipeline named $1 over $2 into $3 (table t); extra YAML
# lines at the pipeline's top level come from $4, for the stream from $5.
dd_csv_pipeline() {
	cat <<YAML
name: $1
source: {provider: local, path: .}
target: {provider: sqlite, path: $3}
buffer: {format: csv, compression: zstd, cleanup_on_success: false}
${4:-}
streams:
  - id: s
    source: {type: file, file: $2}
    target: t
${5:-}
YAML
}
