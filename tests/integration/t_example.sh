# The example pipeline, CSV -> SQLite, as `make run` runs it.

t_example_csv_to_sqlite() {
	export DXT_EXAMPLE_DB="$T/example.db"
	run_dxtd out.json err.txt run "$EXAMPLES/csv_to_sqlite.yaml" --spool-dir "$T/spool"
	expect_eq "exit status" "$rc" 0
	expect_eq "status" "$(json out.json 'd["status"]')" succeeded
	expect_eq "rows loaded" "$(json out.json 'd["stats"]["rows_loaded"]')" 16
	expect_eq "orders" "$(q example.db 'select count(*) from orders')" 10
	expect_eq "customers" "$(q example.db 'select count(*) from customers')" 6
	# Quoted values with delimiters, doubled quotes and newlines survive.
	expect_eq "comma" "$(q example.db 'select note from orders where id = 3')" "gift wrap, please"
	expect_eq "quotes" "$(q example.db 'select note from orders where id = 4')" 'said "thanks"'
	expect_eq "newline" "$(q example.db "select replace(note, char(10), '|') from orders where id = 6")" "two|lines"
	# Empty unquoted fields are nulls.
	expect_eq "null" "$(q example.db 'select count(*) from orders where note is null')" 4
	expect_eq "amount" "$(q example.db 'select amount from orders where id = 3')" "120.5"
	expect_eq "utf-8" "$(q example.db 'select name from customers where id = 101')" "José Martínez"
	expect_eq "date" "$(q example.db 'select since from customers where id = 103')" "2021-01-09"
	# Progress lines name the run and the stream.
	expect_contains "progress" err.txt "stream=orders"
	expect_contains "progress" err.txt "loaded 10 rows"
	# cleanup_on_success removed the buffer; the run folder is gone too.
	expect_eq "spool" "$(ls "$T/spool/runs" | wc -l)" 0
}

t_example_rerun_is_idempotent() {
	export DXT_EXAMPLE_DB="$T/example.db"
	run_dxtd out.json err.txt run "$EXAMPLES/csv_to_sqlite.yaml" --spool-dir "$T/spool"
	expect_eq "first run" "$rc" 0
	run_dxtd out.json err.txt run "$EXAMPLES/csv_to_sqlite.yaml" --spool-dir "$T/spool"
	expect_eq "second run" "$rc" 0
	# replace and upsert: the same rows, not twice as many.
	expect_eq "orders" "$(q example.db 'select count(*) from orders')" 10
	expect_eq "customers" "$(q example.db 'select count(*) from customers')" 6
}

t_stream_selection() {
	export DXT_EXAMPLE_DB="$T/example.db"
	run_dxtd out.json err.txt run "$EXAMPLES/csv_to_sqlite.yaml" --spool-dir "$T/spool" --stream customers --workers 1
	expect_eq "exit status" "$rc" 0
	expect_eq "streams" "$(json out.json 'len(d["streams"])')" 1
	expect_eq "customers" "$(q example.db 'select count(*) from customers')" 6
	expect_eq "no orders" "$(q example.db "select count(*) from sqlite_master where name = 'orders'")" 0
	run_dxtd out.json err.txt run "$EXAMPLES/csv_to_sqlite.yaml" --stream nosuch
	expect_eq "unknown stream" "$rc" 2
	expect_contains "message" err.txt 'no stream "nosuch" (streams: orders, customers)'
}
