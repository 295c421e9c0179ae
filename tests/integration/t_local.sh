# Local files: globs, compressed inputs and archives, encodings,
# passthrough copies, records written to files, user providers.

t_glob_compressed_inputs() {
	mkdir -p data/2024/01 data/2024/02
	printf 'id,v\n1,a\n2,b\n' | gzip >data/2024/01/part.csv.gz
	printf 'id,v\n3,c\n' >data/2024/02/part.csv
	printf 'id,v\n4,d\n' | xz >data/2024/02/more.csv.xz
	printf 'not,this\n' >data/2024/ignored.txt
	cat >p.yaml <<'YAML'
name: globs
source: {provider: local, path: data}
target: {provider: sqlite, path: out.db}
streams:
  - id: parts
    source: {type: glob, pattern: "**/*.csv*"}
    target: parts
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	expect_eq "rows" "$(q out.db 'select group_concat(v) from (select v from parts order by id)')" "a,b,c,d"
}

t_archive_input() {
	mkdir m
	printf 'id,v\n1,x\n' >m/a.csv
	printf 'id,v\n2,y\n' >m/b.csv
	tar -czf in.tar.gz -C m a.csv b.csv
	cat >p.yaml <<'YAML'
name: tars
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
streams:
  - id: t
    source: {type: file, file: in.tar.gz, options: {format: csv}}
    target: t
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	expect_eq "rows" "$(q out.db 'select group_concat(v) from (select v from t order by id)')" "x,y"
}

t_latin1_input() {
	printf 'id,name\n1,Jos\351\n2,M\374ller\n' >in.csv
	cat >p.yaml <<'YAML'
name: latin
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
streams:
  - id: t
    source: {type: file, file: in.csv, options: {encoding: latin-1}}
    target: t
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	expect_eq "utf-8" "$(q out.db 'select group_concat(name) from (select name from t order by id)')" "José,Müller"
}

t_passthrough_copy() {
	mkdir -p src/a/b
	head -c 300000 /dev/urandom >src/a/b/blob.bin
	printf 'hello\n' >src/a/note.txt
	cat >p.yaml <<'YAML'
name: copy
buffer: {format: passthrough, compression: zstd}
streams:
  - id: files
    extractor: {class: dxt.providers.local.LocalFileExtractor, config: {path: src}}
    source: {type: glob, pattern: "**/*"}
    loader: {class: dxt.providers.local.LocalFileLoader, config: {path: dst}}
    target: {name: copied}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	f=$(find dst -name blob.bin)
	[ -n "$f" ] || fail "blob.bin not copied: $(find dst)"
	cmp src/a/b/blob.bin "$f" || fail "blob.bin differs"
	g=$(find dst -name note.txt)
	expect_eq "note" "$(cat "$g")" hello
}

t_records_to_csv_files() {
	printf 'id,name\n1,"a,b"\n2,\n' >in.csv
	cat >p.yaml <<'YAML'
name: tocsv
source: {provider: local, path: .}
target: {provider: local, path: out}
streams:
  - id: t
    source: {type: file, file: in.csv}
    target: {name: t}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool
	expect_eq "exit status" "$rc" 0
	f=$(find out -type f | head -n 1)
	[ -n "$f" ] || fail "no output"
	expect_contains "header" "$f" "id,name"
	expect_contains "quoted" "$f" '1,"a,b"'
}

t_user_provider_class_path() {
	cat >p.yaml <<'YAML'
name: crm
streams:
  - id: contacts
    extractor: {class: acme.crm.CrmExtractor}
    loader: {class: dxt.providers.sqlite.SQLiteLoader, config: {path: out.db}}
    target: contacts
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool --provider-path "$FIXTURES"
	expect_eq "exit status" "$rc" 0
	expect_eq "rows" "$(q out.db 'select group_concat(name) from (select name from contacts order by id)')" "alpha,beta,gamma"
}

t_parallel_streams() {
	for i in 1 2 3 4; do
		"$BUILD/tools/gen" 20000 "$i" >"in$i.csv"
	done
	cat >p.yaml <<'YAML'
name: par
source: {provider: local, path: .}
target: {provider: sqlite, path: out.db}
streams:
  - {id: s1, source: {type: file, file: in1.csv}, target: t1}
  - {id: s2, source: {type: file, file: in2.csv}, target: t2}
  - {id: s3, source: {type: file, file: in3.csv}, target: t3}
  - {id: s4, source: {type: file, file: in4.csv}, target: t4}
YAML
	run_dxtd out.json err.txt run p.yaml --spool-dir spool --workers 4
	expect_eq "exit status" "$rc" 0
	expect_eq "rows" "$(q out.db 'select (select count(*) from t1) + (select count(*) from t2) + (select count(*) from t3) + (select count(*) from t4)')" 80000
}
