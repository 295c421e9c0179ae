# Local Parquet files: records written to Parquet and read back, globs of
# Parquet files, schema differences between files and against a declared
# schema, the target's Parquet options and their errors, passthrough copies.

# pq_magic FILE: the file starts and ends with "PAR1".
pq_magic() {
	[ "$(head -c 4 "$1")" = PAR1 ] && [ "$(tail -c 4 "$1")" = PAR1 ] ||
		fail "$1 is not a Parquet file (magic)"
}

# pq_message: the run's error message (out.json), or stderr when there is
# no JSON report, into msg.txt.
pq_message() {
	json out.json 'd["error"]["message"]' >msg.txt 2>/dev/null || cat err.txt out.json >msg.txt
}

t_local_parquet_csv_round_trip() {
	cat >in.csv <<'CSV'
id,name,amount,big,ratio,day,at,at_utc,flag,tag
1,alpha,12.50,9007199254740993,0.5,2024-01-31,2024-01-31 13:45:00.123456,2024-01-31 13:45:00.123456+00:00,true,123e4567-e89b-12d3-a456-426614174000
2,"comma, quoted",-0.01,-9223372036854775808,-1.25,1969-12-31,1969-12-31 23:59:59.999999,1970-01-01 00:00:00.000001+00:00,false,00000000-0000-0000-0000-000000000000
3,,,,,,,,,
4,naïve 日本 😀,99999999.99,9223372036854775807,1e+300,9999-12-31,2000-02-29 00:00:00.5,2000-02-29 12:00:00.25+00:00,true,ffffffff-ffff-ffff-ffff-ffffffffffff
CSV
	cat >to.yaml <<'YAML'
name: topq
source: {provider: local, path: .}
target: {provider: local, path: pq}
streams:
  - id: t
    source:
      type: file
      file: in.csv
      schema:
        - {name: id, type: int32, nullable: false}
        - {name: name, type: string}
        - {name: amount, type: "decimal(10,2)"}
        - {name: big, type: int64}
        - {name: ratio, type: float64}
        - {name: day, type: date}
        - {name: at, type: timestamp}
        - {name: at_utc, type: timestamptz}
        - {name: flag, type: bool}
        - {name: tag, type: uuid}
    target: {name: ., format: parquet, compression: snappy, row_group_rows: 2}
YAML
	run_dxtd out.json err.txt run to.yaml --spool-dir spool
	expect_eq "exit status (to parquet)" "$rc" 0
	pq_magic pq/t.parquet
	ls -a pq >files.txt
	expect_not_contains "no temporary file" files.txt ".tmp"
	cat >back.yaml <<'YAML'
name: frompq
source: {provider: local, path: pq}
target: {provider: local, path: back}
streams:
  - id: t
    source: {type: file, file: t.parquet}
    target: {name: .}
YAML
	run_dxtd out.json err.txt run back.yaml --spool-dir spool
	expect_eq "exit status (from parquet)" "$rc" 0
	diff in.csv back/t.csv >diff.txt || fail "values changed on the way through Parquet: $(cat diff.txt)"
}

# Three Parquet files written by dxt (one stream each), read back through a
# glob and through a directory source, in path order.
write_parts() {
	printf 'id,v\n1,a\n2,b\n' >p1.csv
	printf 'id,v\n3,c\n' >p2.csv
	printf 'id,v\n4,d\n5,e\n6,f\n' >p3.csv
	cat >w.yaml <<'YAML'
name: parts
source: {provider: local, path: .}
target: {provider: local, path: data}
streams:
  - {id: p1, source: {type: file, file: p1.csv, schema: {id: int64}}, target: {name: ., format: parquet, compression: none}}
  - {id: p2, source: {type: file, file: p2.csv, schema: {id: int64}}, target: {name: ., format: parquet, compression: gzip, dictionary: false}}
  - {id: p3, source: {type: file, file: p3.csv, schema: {id: int64}}, target: {name: ., format: parquet, page_version: 2, level: 9}}
YAML
	run_dxtd out.json err.txt run w.yaml --spool-dir spool
	expect_eq "exit status (parts)" "$rc" 0
}

t_local_parquet_glob_and_directory() {
	write_parts
	for p in p1 p2 p3; do pq_magic data/$p.parquet; done
	mkdir dir
	cp data/*.parquet dir/
	printf 'not parquet\n' >data/notes.txt
	cat >g.yaml <<'YAML'
name: globpq
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
streams:
  - id: g
    source: {type: glob, pattern: "data/*.parquet"}
    target: g
  - id: d
    source: {type: directory, directory: dir, format: parquet}
    target: d
YAML
	run_dxtd out.json err.txt run g.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	expect_eq "glob rows" "$(q out.db 'select group_concat(id || v, " ") from g')" "1a 2b 3c 4d 5e 6f"
	expect_eq "directory rows" "$(q out.db 'select group_concat(id || v, " ") from d')" "1a 2b 3c 4d 5e 6f"
	expect_eq "types kept" "$(q out.db "select type from pragma_table_info('g') where name = 'id'")" BIGINT
}

t_local_parquet_schema_mismatch() {
	write_parts
	# p2 gets a column type that differs from the others'.
	printf 'id,v\n3,c\n' >p2.csv
	cat >w2.yaml <<'YAML'
name: other
source: {provider: local, path: .}
target: {provider: local, path: data}
streams:
  - {id: p2, source: {type: file, file: p2.csv, schema: {id: int32}}, target: {name: ., format: parquet}, load: {mode: replace}}
YAML
	run_dxtd out.json err.txt run w2.yaml --spool-dir spool
	expect_eq "exit status (rewrite)" "$rc" 0
	cat >g.yaml <<'YAML'
name: mismatch
source: {provider: local, path: data}
target: {provider: local, path: out}
streams:
  - id: g
    source: {type: glob, pattern: "*.parquet"}
    target: {name: .}
YAML
	run_dxtd out.json err.txt run g.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 1
	pq_message
	expect_contains "first file" msg.txt "p1.parquet"
	expect_contains "second file" msg.txt "p2.parquet"
	expect_contains "column" msg.txt '"id"'
	expect_contains "types" msg.txt "int64"
	expect_contains "types" msg.txt "int32"
	[ ! -e out/g.csv ] || fail "a file was written despite the error"

	# A declared schema that differs from the file's.
	cat >d.yaml <<'YAML'
name: declared
source: {provider: local, path: data}
target: {provider: local, path: out}
streams:
  - id: d
    source: {type: file, file: p3.parquet, schema: {id: int64, v: "decimal(10,2)"}}
    target: {name: .}
YAML
	run_dxtd out.json err.txt run d.yaml --spool-dir spool
	expect_eq "exit status (declared)" "$rc" 1
	pq_message
	expect_contains "key" msg.txt "source.schema"
	expect_contains "column" msg.txt '"v"'
	expect_contains "declared type" msg.txt "decimal(10,2)"
	expect_contains "file type" msg.txt "string"
	expect_contains "file" msg.txt "p3.parquet"

	# A declared column the file does not have.
	sed 's/v: "decimal(10,2)"/w: string/' d.yaml >d2.yaml
	run_dxtd out.json err.txt run d2.yaml --spool-dir spool
	expect_eq "exit status (missing)" "$rc" 1
	pq_message
	expect_contains "missing column" msg.txt '"w" is not in p3.parquet'

	# Matching declarations are fine.
	sed 's/v: "decimal(10,2)"/v: string/' d.yaml >d3.yaml
	run_dxtd out.json err.txt run d3.yaml --spool-dir spool
	expect_eq "exit status (matching)" "$rc" 0
	expect_contains "rows" out/d.csv "6,f"
}

t_local_parquet_target_option_errors() {
	printf 'id\n1\n' >in.csv
	# target_with OPTIONS: a pipeline writing in.csv with the target options.
	target_with() {
		cat >p.yaml <<YAML
name: opts
source: {provider: local, path: .}
target: {provider: local, path: out}
streams:
  - id: t
    source: {type: file, file: in.csv}
    target: {name: ., $1}
YAML
		run_dxtd out.json err.txt run p.yaml --spool-dir spool
		cat out.json err.txt >msg.txt
	}
	target_with "format: parquet, compression: lz4"
	[ "$rc" -ne 0 ] || fail "compression lz4 accepted"
	expect_contains "key" msg.txt "target.compression"
	expect_contains "value" msg.txt '\"lz4\"'
	expect_contains "allowed" msg.txt "none, snappy, gzip, zstd"

	target_with "format: parquet, options: {compression: brotli}"
	[ "$rc" -ne 0 ] || fail "compression brotli accepted"
	expect_contains "key" msg.txt "target.compression"
	expect_contains "allowed" msg.txt "none, snappy, gzip, zstd"

	target_with "format: parquet, page_version: 3"
	[ "$rc" -ne 0 ] || fail "page_version 3 accepted"
	expect_contains "key" msg.txt "target.page_version"
	expect_contains "allowed" msg.txt "1 or 2"

	target_with "format: parquet, page_crc: 3"
	[ "$rc" -ne 0 ] || fail "page_crc 3 accepted"
	expect_contains "page_crc" msg.txt "target.page_crc: expected true or false"

	target_with "format: parquet, dictionary: maybe"
	[ "$rc" -ne 0 ] || fail "dictionary: maybe accepted"
	expect_contains "key" msg.txt "target.dictionary"

	target_with "format: parquet, row_group_rows: 0"
	[ "$rc" -ne 0 ] || fail "row_group_rows 0 accepted"
	expect_contains "key" msg.txt "target.row_group_rows"

	target_with "format: csv, row_group_rows: 10"
	[ "$rc" -ne 0 ] || fail "row_group_rows accepted for csv"
	expect_contains "parquet only" msg.txt "target.row_group_rows: a Parquet option"

	target_with "format: parquet, options: {compression: zstd, level: 5, row_group_rows: 1, dictionary: false, page_version: 2}"
	expect_eq "exit status (good options)" "$rc" 0
	pq_magic out/t.parquet
	[ ! -e out/t.csv ] || fail "csv written for a parquet target"
}

t_local_parquet_passthrough() {
	write_parts
	cat >c.yaml <<'YAML'
name: copypq
buffer: {format: passthrough}
streams:
  - id: files
    extractor: {class: dxt.providers.local.LocalFileExtractor, config: {path: data}}
    source: {type: glob, pattern: "*.parquet"}
    loader: {class: dxt.providers.local.LocalFileLoader, config: {path: copy}}
    target: {name: .}
YAML
	run_dxtd out.json err.txt run c.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	for p in p1 p2 p3; do
		f=$(find copy -name "$p.parquet")
		[ -n "$f" ] || fail "$p.parquet not copied: $(find copy)"
		cmp "data/$p.parquet" "$f" || fail "$p.parquet differs"
	done
}

t_local_parquet_rows_per_file_and_replace() {
	# Files are cut between batches: enough rows for several.
	awk 'BEGIN { print "id,v"; for (i = 1; i <= 200000; i++) print i "," (i % 7) }' >in.csv
	cat >p.yaml <<'YAML'
name: split
source: {provider: local, path: .}
target: {provider: local, path: out}
streams:
  - id: t
    source: {type: file, file: in.csv, schema: {id: int64, v: int32}}
    target: {name: ., format: parquet, rows_per_file: 50000}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	n=$(ls out | grep -c '^t-0000[0-9].parquet$')
	[ "$n" -ge 2 ] || fail "expected numbered files: $(ls out)"
	for f in out/*.parquet; do pq_magic "$f"; done
	# Read back in path order: every row once, in order.
	cat >back.yaml <<'YAML'
name: back
source: {provider: local, path: out}
target: {provider: local, path: back}
streams:
  - id: b
    source: {type: glob, pattern: "t-*.parquet"}
    target: {name: .}
YAML
	run_dxtd out.json err.txt run back.yaml --spool-dir spool
	expect_eq "exit status (back)" "$rc" 0
	cmp in.csv back/b.csv || fail "rows differ after the split files"
	# Mode replace: one new file, the numbered ones gone.
	sed -e 's/, rows_per_file: 50000}/}/' p.yaml >r.yaml
	printf '    load: {mode: replace}\n' >>r.yaml
	run_dxtd out.json err.txt run r.yaml --spool-dir spool
	expect_eq "exit status (replace)" "$rc" 0
	expect_eq "files after replace" "$(ls -A out | tr '\n' ' ')" "t.parquet "
}

# A column NOT NULL in one file and nullable in another is nullable in the
# stream: both files read.
t_local_parquet_nullability_across_files() {
	printf 'id,v\n1,a\n' >a.csv
	printf 'id,v\n,b\n' >b.csv
	cat >w.yaml <<'YAML'
name: w
source: {provider: local, path: .}
target: {provider: local, path: d}
streams:
  - {id: a, source: {type: file, file: a.csv, schema: [{name: id, type: int64, nullable: false}]}, target: {name: ., format: parquet}}
  - {id: b, source: {type: file, file: b.csv, schema: [{name: id, type: int64}]}, target: {name: ., format: parquet}}
YAML
	run_dxtd out.json err.txt run w.yaml --spool-dir spool
	expect_eq "exit status (write)" "$rc" 0
	cat >r.yaml <<'YAML'
name: r
source: {provider: local, path: d}
target: {provider: sqlite, path: out.db}
streams:
  - {id: g, source: {type: glob, pattern: "*.parquet"}, target: g}
YAML
	run_dxtd out.json err.txt run r.yaml --spool-dir spool
	expect_eq "exit status (read)" "$rc" 0
	expect_eq "rows" "$(q out.db "select group_concat(coalesce(id, 'null') || v, ' ') from g")" "1a nullb"
}
