# Bad input: clear errors naming stream, file, line, column; nothing lost,
# no half-loaded target.

# A small CSV -> SQLite pipeline over in.csv into out.db (table t); extra
# YAML lines for the stream come from $1.
write_pipeline() {
	cat >p.yaml <<YAML
name: errs
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
buffer: {format: csv, compression: zstd}
streams:
  - id: s
    source:
      type: file
      file: in.csv
$1
    target: t
YAML
}

t_bad_row_fails_stream_and_keeps_target() {
	sqlite3 out.db "create table t (id integer, name text); insert into t values (1, 'old');"
	printf 'id,name\n1,a\n2,b\n3\n4,d\n' >in.csv
	write_pipeline "    load: {mode: replace}"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 1
	expect_eq "status" "$(json out.json 'd["status"]')" failed
	msg=$(json out.json 'd["error"]["message"]')
	echo "$msg" >msg.txt
	expect_contains "stream" msg.txt "stream s"
	expect_contains "file" msg.txt "in.csv"
	expect_contains "line" msg.txt "line 4"
	expect_eq "origin" "$(json out.json 'd["error"]["origin"]')" source
	# The replace target still holds what it held.
	expect_eq "target kept" "$(q out.db 'select group_concat(name) from t')" old
}

t_unclosed_quote() {
	printf 'id,name\n1,"a\n2,b\n' >in.csv
	write_pipeline ""
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 1
	json out.json 'd["error"]["message"]' >msg.txt
	expect_contains "quote" msg.txt "quote"
	expect_contains "line" msg.txt "line 2"
	expect_eq "no table" "$(q out.db "select count(*) from sqlite_master where name = 't'")" 0
}

t_value_does_not_convert() {
	printf 'id,amount\n1,1.50\n2,abc\n' >in.csv
	write_pipeline "      schema: [{name: id, type: int64}, {name: amount, type: \"decimal(10,2)\"}]"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 1
	json out.json 'd["error"]["message"]' >msg.txt
	expect_contains "line" msg.txt "line 3"
	expect_contains "column" msg.txt "column 2"
	expect_contains "field" msg.txt "amount"
	expect_contains "value" msg.txt "abc"
}

t_on_error_skip_writes_rejects() {
	printf 'id,amount\n1,1.50\n2,abc\n3,3.25\n4\n' >in.csv
	write_pipeline "      schema: [{name: id, type: int64}, {name: amount, type: \"decimal(10,2)\"}]
    extract: {on_error: skip}
    buffer: {cleanup_on_success: false}"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	expect_eq "loaded" "$(q out.db 'select group_concat(id) from t')" "1,3"
	expect_eq "rejected" "$(json out.json 'd["stats"]["rows_rejected"]')" 2
	rej=$(find spool -name rejects.jsonl)
	[ -n "$rej" ] || fail "no rejects.jsonl under spool"
	expect_eq "reject lines" "$(wc -l <"$rej")" 2
	expect_contains "reason" "$rej" "abc"
	expect_eq "line" "$(head -n 1 "$rej" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print(r["line"], r["file"])')" "3 in.csv"
}

t_missing_input_file() {
	write_pipeline ""
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 1
	json out.json 'd["error"]["message"]' >msg.txt
	expect_contains "file" msg.txt "in.csv"
}

t_upsert_without_unique_index() {
	sqlite3 out.db "create table t (id integer, name text); insert into t values (1, 'old');"
	printf 'id,name\n1,new\n2,b\n' >in.csv
	write_pipeline "    load: {mode: upsert, upsert_keys: [id]}"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 1
	json out.json 'd["error"]["message"]' >msg.txt
	expect_contains "unique" msg.txt "UNIQUE index"
	expect_eq "target kept" "$(q out.db 'select group_concat(name) from t')" old
	sqlite3 out.db "create unique index t_id on t (id)"
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "with index" "$rc" 0
	expect_eq "upserted" "$(q out.db 'select group_concat(id || name) from (select * from t order by id)')" "1new,2b"
}

t_failed_load_keeps_buffer() {
	printf 'id,name\n1,a\n' >in.csv
	# The target path is a folder: the load fails, the buffer stays.
	mkdir out.db
	write_pipeline ""
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 1
	expect_eq "origin" "$(json out.json 'd["error"]["origin"]')" target
	expect_eq "phase" "$(json out.json 'd["streams"][0]["phase"]')" failed
	m=$(find spool -name manifest.json)
	[ -n "$m" ] || fail "buffer not retained"
	expect_eq "staged rows" "$(json "$m" 'd["rows"]')" 1
}

# interrupt_run PATTERN [DELAY]: runs p.yaml, sends SIGINT DELAY seconds
# (default 0) after a progress line matches PATTERN, and waits; $rc is the
# exit status and $secs how long the exit took after the signal.
interrupt_run() {
	"$DXTD" run p.yaml --spool-dir spool --progress-ms 50 >out.json 2>err.txt &
	pid=$!
	i=0
	while ! grep -qE "$1" err.txt; do
		i=$((i + 1))
		[ $i -lt 400 ] || { kill $pid; fail "no progress line: $(cat err.txt)"; }
		sleep 0.05
	done
	sleep "${2:-0}"
	t0=$(date +%s.%N)
	kill -INT $pid
	set +e
	wait $pid
	rc=$?
	set -e
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}

t_sigint_cancels_and_keeps_target() {
	"$BUILD/tools/gen" 400000 >in.csv
	sqlite3 out.db "create table t (id integer); insert into t values (42);"
	write_pipeline "    load: {mode: replace}"
	# Interrupt once a progress line shows rows moving.
	interrupt_run "(extracting|loading): [1-9]"
	expect_eq "exit status" "$rc" 1
	expect_eq "status" "$(json out.json 'd["status"]')" cancelled
	expect_contains "log" err.txt "cancelling the run"
	expect_eq "target kept" "$(q out.db 'select group_concat(id) from t')" 42
	expect_eq "no temp tables" "$(q out.db "select count(*) from sqlite_master where name <> 't'")" 0
}

t_sigint_lands_inside_slow_compression() {
	# zstd level 19 compresses a batch's CSV for seconds: the write
	# checks for the cancellation between chunks instead of finishing.
	"$BUILD/tools/gen" 1000000 >in.csv
	write_pipeline ""
	sed -i 's/compression: zstd}/compression: zstd, level: 19}/' p.yaml
	grep -q 'level: 19' p.yaml || fail "the pipeline did not take level 19"
	interrupt_run "extracting" 1.5
	echo "exited $secs s after SIGINT"
	expect_eq "exit status" "$rc" 1
	expect_eq "status" "$(json out.json 'd["status"]')" cancelled
	expect_eq "message" "$(json out.json 'd["error"]["message"]')" "stream s: cancelled"
	expect_eq "quick" "$(awk -v s="$secs" 'BEGIN { print (s < 2.0) ? "yes" : "no" }')" yes
}
