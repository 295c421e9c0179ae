# dxtd serve: cancelling, retrying from the buffer, surviving kill -9 and
# SIGTERM, the scheduler, the concurrency limits, the spool's orphans and
# retention, and secrets. Helpers: t_daemon_helpers.sh.

t_daemon_cancel_mid_run() {
	"$BUILD/tools/gen" 1000000 >in.csv
	sqlite3 out.db "create table t (id integer); insert into t values (42);"
	dd_csv_pipeline cancel in.csv out.db "" "    load: {mode: replace}" >p.yaml
	dd_start
	dd_create p.yaml
	dd_start_run cancel
	run=$DD_RUN
	dd_wait_for "$run" '"rows_extracted":[1-9]|"phase":"loading"'
	t0=$(date +%s.%N)
	dd_expect "cancel" 200 POST "/v1/runs/$run/cancel"
	cp "$T/resp" cancel.json
	dd_wait "$run" 5
	# From the request to the run's end as the daemon recorded it.
	secs=$(dd_j "round(__import__('datetime').datetime.strptime(d['ended_at'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=__import__('datetime').timezone.utc).timestamp() - $t0, 3)")
	echo "cancelled in $secs s"
	expect_eq "status" "$DD_RUN_STATUS" cancelled
	expect_eq "within 2 s" "$(awk -v s="$secs" 'BEGIN { print (s < 2.0) ? "yes" : "no" }')" yes
	expect_eq "cancel requested" "$(json cancel.json 'd.get("cancel_requested")')" True
	expect_contains "reason" "$T/resp" "cancelled on request"
	expect_eq "target kept" "$(q out.db 'select group_concat(id) from t')" 42
	expect_eq "no temp tables" "$(q out.db "select count(*) from sqlite_master where name <> 't'")" 0
	dd_expect "cancel again" 200 POST "/v1/runs/$run/cancel"
	expect_eq "still cancelled" "$(dd_j 'd["status"]')" cancelled
	dd_expect "events" 200 GET "/v1/runs/$run/events"
	expect_contains "event" "$T/resp" "cancelling the run"
	dd_finish
}

t_daemon_retry_after_load_failure() {
	printf 'id,name\n1,a\n2,b\n3,c\n4,d\n5,e\n' >in.csv
	dd_csv_pipeline retry in.csv out.db >p.yaml
	# The target path is a folder: the load fails, the buffer stays.
	mkdir out.db
	dd_start
	dd_create p.yaml
	dd_start_run retry
	first=$DD_RUN
	dd_wait "$first"
	expect_eq "status" "$DD_RUN_STATUS" failed
	expect_eq "origin" "$(dd_j 'd["error"]["origin"]')" target
	expect_eq "stream" "$(dd_j 'd["error"]["stream"]')" s
	expect_eq "phase" "$(dd_j 'd["streams"][0]["phase"]')" failed
	expect_eq "staged" "$(dd_j 'd["streams"][0]["rows_extracted"]')" 5
	dd_expect "buffer kept" 200 GET "/v1/runs/$first/buffer"
	expect_eq "buffer rows" "$(dd_j 'd["streams"][0]["rows"]')" 5
	# The source changes: a retry must load what was staged, not this.
	printf '6,f\n7,g\n' >>in.csv
	rmdir out.db
	dd_expect "retry" 202 POST "/v1/runs/$first/retry"
	retry=$(dd_j 'd["id"]')
	expect_eq "attempt" "$(dd_j 'd["attempt"]')" 2
	expect_eq "parent" "$(dd_j 'd["parent"]')" "$first"
	expect_eq "trigger" "$(dd_j 'd["trigger"]')" retry
	dd_wait "$retry"
	expect_eq "retry status" "$DD_RUN_STATUS" succeeded
	expect_eq "loaded the staged rows" "$(dd_j 'd["stats"]["rows_loaded"]')" 5
	expect_eq "target" "$(q out.db 'select count(*) from t')" 5
	dd_expect "retry events" 200 GET "/v1/runs/$retry/events"
	expect_contains "from the buffer" "$T/resp" "loading 5 staged rows from the buffer of an earlier attempt"
	expect_not_contains "no extract" "$T/resp" '"message":"extracting"'
	dd_expect "retry a success" 409 POST "/v1/runs/$retry/retry"
	dd_expect "retry unknown" 404 POST /v1/runs/nope/retry
	dd_finish
}

t_daemon_kill9_restart() {
	sqlite3 src.db "create table ev (id integer primary key, updated_at timestamp);
		insert into ev values (1, '2024-01-01 00:00:00'), (2, '2024-01-02 00:00:00');"
	cat >incr.yaml <<'YAML'
name: incr
source: {provider: sqlite, path: src.db}
target: {provider: sqlite, path: dst.db}
streams:
  - id: ev
    source: {type: relation, relation: ev}
    target: ev
    extract: {mode: incremental, watermark_field: updated_at}
YAML
	"$BUILD/tools/gen" 1000000 >big.csv
	dd_csv_pipeline big big.csv big.db >big.yaml
	dd_start
	dd_create incr.yaml
	dd_create big.yaml
	dd_start_run incr
	dd_wait "$DD_RUN"
	expect_eq "incremental run" "$DD_RUN_STATUS" succeeded
	dd_start_run big
	run=$DD_RUN
	dd_wait_for "$run" '"phase":"loading"'
	kill -9 "$DD_PID"
	wait "$DD_PID" 2>/dev/null || true

	dd_start
	dd_expect "pipelines kept" 200 GET /v1/pipelines
	expect_eq "pipelines" "$(dd_j 'sorted(p["name"] for p in d["pipelines"])')" "['big', 'incr']"
	dd_expect "state kept" 200 GET /v1/pipelines/incr/state
	expect_eq "watermark" "$(dd_j 'd["streams"]["ev"]["value"]')" "2024-01-02 00:00:00"
	dd_expect "run kept" 200 GET "/v1/runs/$run"
	expect_eq "interrupted" "$(dd_j 'd["status"]')" interrupted
	expect_contains "why" "$T/resp" "dxtd stopped"
	expect_eq "class" "$(dd_j 'd["error"]["class"]')" transient
	dd_expect "events" 200 GET "/v1/runs/$run/events"
	expect_contains "interrupted event" "$T/resp" "interrupted: dxtd stopped during it"
	dd_expect "buffer listed" 200 GET "/v1/runs/$run/buffer"
	expect_eq "staged" "$(dd_j 'd["streams"][0]["rows"]')" 1000000
	expect_eq "complete" "$(dd_j 'd["streams"][0]["complete"]')" True
	dd_expect "retry" 202 POST "/v1/runs/$run/retry"
	retry=$(dd_j 'd["id"]')
	dd_wait "$retry" 60
	expect_eq "retry" "$DD_RUN_STATUS" succeeded
	expect_eq "exactly the staged rows" "$(q big.db 'select count(*) from t')" 1000000
	expect_eq "rows loaded" "$(dd_j 'd["stats"]["rows_loaded"]')" 1000000
	dd_expect "retry events" 200 GET "/v1/runs/$retry/events"
	expect_contains "from the buffer" "$T/resp" "from the buffer of an earlier attempt"
	# The incremental pipeline goes on from its watermark.
	sqlite3 src.db "insert into ev values (3, '2024-01-03 00:00:00');"
	dd_start_run incr
	dd_wait "$DD_RUN"
	expect_eq "only new rows" "$(dd_j 'd["stats"]["rows_extracted"]')" 1
	dd_finish
}

t_daemon_sigterm_interrupts_after_timeout() {
	"$BUILD/tools/gen" 1000000 >in.csv
	# gzip level 9 makes staging take seconds on any machine (the run is
	# still going when the 1 s shutdown timeout ends), and compresses
	# inline, a batch at a time, so the cancellation lands quickly.
	dd_csv_pipeline slow in.csv out.db |
		sed 's/compression: zstd,/compression: gzip, level: 9,/' >p.yaml
	grep -q 'level: 9' p.yaml || fail "the pipeline did not take level 9"
	printf 'shutdown_timeout: 1s\n' >dxtd.yaml
	# systemd's notification socket, played by a small listener.
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a") as f:
    while True:
        try:
            m = s.recv(4096)
        except OSError:
            break
        f.write(m.decode() + "\n")
        f.flush()
        if b"STOPPING=1" in m:
            break
' "$T/notify.sock" "$T/notify.txt" &
	npid=$!
	echo "$npid" >>"$T/.dxtd.pids"
	i=0
	while [ ! -S "$T/notify.sock" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
	NOTIFY_SOCKET="$T/notify.sock" dd_start --config dxtd.yaml
	expect_contains "ready" notify.txt "READY=1"
	expect_contains "status" notify.txt "STATUS=serving on 127.0.0.1:"
	dd_create p.yaml
	dd_start_run slow
	run=$DD_RUN
	dd_wait_for "$run" '"rows_extracted":[1-9]'
	t0=$(date +%s.%N)
	dd_stop
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	echo "stopped in $secs s"
	expect_eq "exit status" "$DD_EXIT" 0
	expect_eq "timeout honoured" "$(awk -v s="$secs" 'BEGIN { print (s < 4.0) ? "yes" : "no" }')" yes
	wait "$npid" 2>/dev/null || true
	expect_contains "stopping" notify.txt "STOPPING=1"
	expect_contains "log" "$T/dxtd.log" "shutdown timeout: stopping 1 run"
	dd_start
	dd_expect "run" 200 GET "/v1/runs/$run"
	expect_eq "interrupted" "$(dd_j 'd["status"]')" interrupted
	expect_contains "reason" "$T/resp" "dxtd stopped while the run was running"
	dd_finish
}

t_daemon_scheduler() {
	printf 'id\n1\n' >in.csv
	dd_csv_pipeline sched in.csv out.db 'schedule: "@every 1s"' >p.yaml
	sed -i 's/cleanup_on_success: false/cleanup_on_success: true/' p.yaml
	dd_start
	dd_create p.yaml
	expect_eq "schedule" "$(dd_j 'd["schedule"]')" "@every 1s"
	expect_eq "next run" "$(dd_j 'd["next_run_at"] is not None')" True
	sleep 3.5
	dd_expect "runs" 200 GET "/v1/runs?pipeline=sched"
	n=$(dd_j 'len([r for r in d["runs"] if r["trigger"] == "schedule"])')
	echo "scheduled runs: $n"
	expect_eq "fired" "$(dd_j 'len([r for r in d["runs"] if r["trigger"] == "schedule"]) >= 2')" True
	expect_eq "all scheduled" "$(dd_j 'all(r["trigger"] == "schedule" for r in d["runs"])')" True
	dd_expect "pause" 200 POST /v1/pipelines/sched/pause
	expect_eq "paused" "$(dd_j 'd["paused"]')" True
	expect_eq "no next run" "$(dd_j 'd["next_run_at"]')" None
	sleep 0.5
	dd_expect "runs" 200 GET "/v1/runs?pipeline=sched"
	n1=$(dd_j 'len(d["runs"])')
	sleep 2.2
	dd_expect "runs" 200 GET "/v1/runs?pipeline=sched"
	expect_eq "no run while paused" "$(dd_j 'len(d["runs"])')" "$n1"
	dd_expect "resume" 200 POST /v1/pipelines/sched/resume
	expect_eq "resumed" "$(dd_j 'd["paused"]')" False
	sleep 2.5
	dd_expect "runs" 200 GET "/v1/runs?pipeline=sched"
	expect_eq "fires again" "$(dd_j "len(d['runs']) > $n1")" True
	dd_expect "pause" 200 POST /v1/pipelines/sched/pause
	# A scheduled run may still be loading: wait for the lock.
	expect_eq "rows" "$(sqlite3 -cmd '.timeout 10000' out.db "select count(*) >= $n1 + 1 from t")" 1
	dd_finish
}

t_daemon_max_active_runs() {
	"$BUILD/tools/gen" 1000000 >in.csv
	dd_csv_pipeline one in.csv one.db >one.yaml
	dd_csv_pipeline two in.csv two.db "max_active_runs: 2" >two.yaml
	dd_csv_pipeline ticking in.csv tick.db 'schedule: "@every 1s"' >tick.yaml
	dd_start --workers 4
	dd_create one.yaml
	dd_create two.yaml
	dd_start_run one
	a=$DD_RUN
	dd_expect "second run of one" 409 POST /v1/pipelines/one/runs
	expect_contains "names the limit" "$T/resp" "max_active_runs: 1"
	expect_contains "names the run" "$T/resp" "$a"
	dd_expect "cancel" 200 POST "/v1/runs/$a/cancel"
	dd_wait "$a"
	dd_start_run two
	b1=$DD_RUN
	dd_start_run two
	b2=$DD_RUN
	dd_expect "third run of two" 409 POST /v1/pipelines/two/runs
	expect_contains "names the limit" "$T/resp" "max_active_runs: 2"
	dd_expect "cancel" 200 POST "/v1/runs/$b1/cancel"
	dd_expect "cancel" 200 POST "/v1/runs/$b2/cancel"
	dd_wait "$b1"
	dd_wait "$b2"
	# A scheduled run that would overlap the active one is skipped, and the
	# active run's events say so.
	dd_create tick.yaml
	i=0
	while :; do
		dd_req GET "/v1/runs?pipeline=ticking"
		[ "$(dd_j 'len(d["runs"])')" -ge 1 ] && break
		i=$((i + 1))
		[ $i -lt 100 ] || fail "no scheduled run"
		sleep 0.05
	done
	t=$(dd_j 'd["runs"][-1]["id"]')
	sleep 2.5
	dd_expect "events" 200 GET "/v1/runs/$t/events"
	expect_contains "skip recorded" "$T/resp" "still active"
	expect_contains "skip names the run" "$T/resp" "run $t still active"
	dd_expect "pause" 200 POST /v1/pipelines/ticking/pause
	dd_expect "cancel" 200 POST "/v1/runs/$t/cancel"
	dd_wait "$t"
	dd_finish
}

t_daemon_spool_orphans_and_retention() {
	printf 'id\n1\n' >in.csv
	dd_csv_pipeline keep in.csv out.db >p.yaml
	mkdir -p spool/runs/20200101T000000Z-abcdef/s
	printf 'junk' >spool/runs/20200101T000000Z-abcdef/s/part-00000.csv
	mkdir out.db
	printf 'spool_retention: 1s\n' >dxtd.yaml
	dd_start --config dxtd.yaml
	expect_contains "orphan logged" "$T/dxtd.log" "removed orphan folder"
	[ ! -e spool/runs/20200101T000000Z-abcdef ] || fail "orphan kept"
	dd_create p.yaml
	dd_start_run keep
	run=$DD_RUN
	dd_wait "$run"
	expect_eq "failed" "$DD_RUN_STATUS" failed
	[ -d "spool/runs/$run/s" ] || fail "failed run's buffer not kept"
	dd_stop
	sleep 1.2
	dd_start --config dxtd.yaml
	expect_contains "retention logged" "$T/dxtd.log" "spool retention: removed the buffers of a failed run"
	[ ! -e "spool/runs/$run" ] || fail "buffer kept past the retention"
	dd_expect "run history kept" 200 GET "/v1/runs/$run"
	dd_expect "buffer gone" 200 GET "/v1/runs/$run/buffer"
	expect_eq "nothing staged" "$(dd_j 'd["streams"]')" "[]"
	dd_finish
}

t_daemon_secrets_never_shown() {
	printf 'id\n1\n' >in.csv
	export DD_TEST_DB_PASSWORD='pw4f7c1b9ehunter2'
	export DD_TEST_OUT_TOKEN="$T/tok-8d2e77aa-missing/out.db"
	cat >sec.yaml <<'YAML'
name: sec
source: {provider: local, path: .}
target:
  provider: sqlite
  path: ok.db
  pragmas: {key: "${DD_TEST_DB_PASSWORD}"}
streams:
  - id: s
    source: {type: file, file: in.csv}
    target: t
YAML
	cat >sec2.yaml <<'YAML'
name: sec2
source: {provider: local, path: .}
target: {provider: sqlite, path: "${DD_TEST_OUT_TOKEN}"}
streams:
  - id: s
    source: {type: file, file: in.csv}
    target: t
YAML
	dd_start --log-level debug
	dd_expect "validate" 200 POST /v1/pipelines/validate -H 'Content-Type: application/yaml' --data-binary @sec.yaml
	dd_create sec.yaml
	expect_eq "redacted" "$(dd_j 'd["document"]["target"]["pragmas"]["key"]')" "***"
	dd_create sec2.yaml
	expect_eq "placeholder redacted" "$(dd_j 'd["document"]["target"]["path"]')" "***"
	dd_expect "get" 200 GET /v1/pipelines/sec
	dd_expect "list" 200 GET /v1/pipelines
	dd_start_run sec
	dd_wait "$DD_RUN"
	r1=$DD_RUN
	dd_start_run sec2
	dd_wait "$DD_RUN"
	r2=$DD_RUN
	expect_eq "sec2 fails" "$DD_RUN_STATUS" failed
	expect_contains "scrubbed message" "$T/resp" "***"
	for r in "$r1" "$r2"; do
		dd_req GET "/v1/runs/$r/events"
		dd_req GET "/v1/runs/$r/buffer"
		dd_req GET "/v1/runs/$r/buffer/s/records"
	done
	dd_req GET /v1/runs
	dd_req GET /v1/pipelines/sec/state
	dd_req GET /metrics
	# The same document with a bad value: the problems are shown, not the
	# secret.
	cat >sec3.yaml <<'YAML'
name: sec3
source: {provider: local, path: .}
target: {provider: sqlite, path: ok.db}
streams:
  - id: s
    source: {type: file, file: in.csv}
    target: t
    extract: {batch_size: "${DD_TEST_DB_PASSWORD}"}
YAML
	dd_expect "invalid" 400 POST /v1/pipelines/validate -H 'Content-Type: application/yaml' --data-binary @sec3.yaml
	expect_contains "problem shown" "$T/resp" "batch_size"
	dd_finish
	expect_not_contains "password in a response" "$T/bodies" "$DD_TEST_DB_PASSWORD"
	expect_not_contains "token path in a response" "$T/bodies" "tok-8d2e77aa"
	expect_not_contains "password in the log" "$T/dxtd.log" "$DD_TEST_DB_PASSWORD"
	expect_not_contains "token path in the log" "$T/dxtd.log" "tok-8d2e77aa"
	for f in state/*; do
		if grep -qaF "$DD_TEST_DB_PASSWORD" "$f" || grep -qaF "tok-8d2e77aa" "$f"; then
			fail "a secret reached the state store ($f)"
		fi
	done
}

# An incremental SQLite stream into the ledger test loader
# (tests/fixtures/ledger.c), which kills dxtd once at the moment named by
# $1: crash_after_commit or crash_before_commit.
dd_ledger_pipeline() {
	sqlite3 src.db "create table ev (id integer primary key, updated_at timestamp);
		insert into ev values (1, '2024-01-01 00:00:00'), (2, '2024-01-02 00:00:00'),
		(3, '2024-01-03 00:00:00');"
	cat >p.yaml <<YAML
name: ledger
source: {provider: sqlite, path: src.db}
streams:
  - id: ev
    source: {type: relation, relation: ev}
    extract: {mode: incremental, watermark_field: updated_at}
    loader:
      class: ledger.LedgerLoader
      config: {path: ledger.txt, $1: crash.once}
YAML
}

# The ids the ledger holds, in order, space separated.
dd_ledger_ids() {
	cut -f3 ledger.txt | tr ',' '\n' | grep -v '^$' | sort -n | tr '\n' ' '
}

t_daemon_crash_after_target_commit() {
	dd_ledger_pipeline crash_after_commit
	dd_start --provider-path "$FIXTURES"
	dd_create p.yaml
	dd_start_run ledger
	run=$DD_RUN
	# The target commits, then dxtd dies before its state store knows.
	set +e
	wait "$DD_PID"
	set -e
	expect_eq "committed once" "$(wc -l <ledger.txt | tr -d ' ')" 1
	dd_start --provider-path "$FIXTURES"
	dd_expect "run" 200 GET "/v1/runs/$run"
	expect_eq "interrupted" "$(dd_j 'd["status"]')" interrupted
	expect_eq "the load is known to have committed" "$(dd_j 'd["streams"][0]["phase"]')" loaded
	expect_eq "rows" "$(dd_j 'd["streams"][0]["rows_loaded"]')" 3
	dd_expect "events" 200 GET "/v1/runs/$run/events"
	expect_contains "resolution" "$T/resp" "the load had committed before dxtd stopped (3 rows)"
	dd_expect "state" 200 GET /v1/pipelines/ledger/state
	expect_eq "watermark advanced" "$(dd_j 'd["streams"]["ev"]["value"]')" "2024-01-03 00:00:00"
	expect_eq "nothing pending" "$(dd_j 'd["pending"]')" "{}"
	dd_expect "nothing to retry" 409 POST "/v1/runs/$run/retry"
	sqlite3 src.db "insert into ev values (4, '2024-01-04 00:00:00'), (5, '2024-01-05 00:00:00');"
	dd_start_run ledger
	dd_wait "$DD_RUN"
	expect_eq "next run" "$DD_RUN_STATUS" succeeded
	expect_eq "only new rows" "$(dd_j 'd["stats"]["rows_extracted"]')" 2
	expect_eq "neither skipped nor repeated" "$(dd_ledger_ids)" "1 2 3 4 5 "
	dd_finish
}

t_daemon_crash_before_target_commit() {
	dd_ledger_pipeline crash_before_commit
	dd_start --provider-path "$FIXTURES"
	dd_create p.yaml
	dd_start_run ledger
	run=$DD_RUN
	set +e
	wait "$DD_PID"
	set -e
	[ ! -s ledger.txt ] || fail "the ledger has a load: $(cat ledger.txt)"
	dd_start --provider-path "$FIXTURES"
	dd_expect "run" 200 GET "/v1/runs/$run"
	expect_eq "interrupted" "$(dd_j 'd["status"]')" interrupted
	expect_eq "stream" "$(dd_j 'd["streams"][0]["phase"]')" failed
	dd_expect "events" 200 GET "/v1/runs/$run/events"
	expect_contains "resolution" "$T/resp" "the load had not committed when dxtd stopped"
	dd_expect "state" 200 GET /v1/pipelines/ledger/state
	expect_eq "no watermark" "$(dd_j 'd["streams"]')" "{}"
	expect_eq "nothing pending" "$(dd_j 'd["pending"]')" "{}"
	dd_expect "retry" 202 POST "/v1/runs/$run/retry"
	dd_wait "$(dd_j 'd["id"]')"
	expect_eq "retry" "$DD_RUN_STATUS" succeeded
	expect_eq "staged rows loaded" "$(dd_j 'd["stats"]["rows_loaded"]')" 3
	dd_expect "state" 200 GET /v1/pipelines/ledger/state
	expect_eq "watermark" "$(dd_j 'd["streams"]["ev"]["value"]')" "2024-01-03 00:00:00"
	dd_start_run ledger
	dd_wait "$DD_RUN"
	expect_eq "nothing new" "$(dd_j 'd["stats"]["rows_extracted"]')" 0
	expect_eq "neither skipped nor repeated" "$(dd_ledger_ids)" "1 2 3 "
	dd_finish
}
