# pgserver.sh - a throwaway PostgreSQL 15 server for the postgres tests and
# benchmarks (sourced by run.sh and bench/pg.sh).
#
# pg_server_start starts one server per integration run, the first time a
# test asks for it: a cluster initialised into a temporary folder as the
# `postgres` user, listening on 127.0.0.1 on a free port and on a Unix
# socket in that folder, without fsync (the data is thrown away). Later
# calls, from any test's subshell, find it through $PG_STATE. Every test
# then takes a database of its own with pg_test_db. pg_server_stop (run.sh's
# exit trap) stops the server and removes the folder.
#
# The server also speaks TLS with a throwaway self-signed certificate for
# 127.0.0.1 ($PG_DIR/tls/ca.crt); the role dxt_tls may log in over TLS only
# (pg_hba.conf rejects it without), so a test can tell TLS was used.
# PG_TLS=0 leaves TLS off (the benchmarks: clients of a TLS server encrypt
# by default, and the figures measure copying, not ciphers).
#
# Needs the Debian packages postgresql-15 and openssl (`make check` installs it) and
# root, since the server must run as `postgres`.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# The state file: "<folder> <port>" of the running server.
PG_STATE=${PG_STATE:-${TMPROOT:-/tmp}/pgserver.state}
export PG_STATE

pg_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_server_start() {
	if [ -s "$PG_STATE" ]; then
		read -r PG_DIR PG_PORT <"$PG_STATE"
		export PG_DIR PG_PORT
		return 0
	fi
	[ -x "$PG_BIN/initdb" ] || {
		echo "pgserver: $PG_BIN/initdb is missing; install postgresql-15 (make check-deps)" >&2
		return 1
	}
	# The socket path must stay under 107 bytes: a short folder in /tmp.
	PG_DIR=$(mktemp -d /tmp/dxtpg.XXXXXX)
	chown postgres:postgres "$PG_DIR"
	chmod 755 "$PG_DIR"
	PG_PORT=$(pg_free_port)
	# The postgres user cannot enter the test's folder: run from /.
	(cd / && runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
		-A trust --auth-host=scram-sha-256 -E UTF8 --no-locale \
		>"$PG_DIR/initdb.log" 2>&1) || { cat "$PG_DIR/initdb.log" >&2; return 1; }
	pg_tls_opts=""
	if [ "${PG_TLS:-1}" = 1 ]; then
		pg_tls_setup || return 1
		pg_tls_opts="-c ssl=on -c ssl_cert_file=$PG_DIR/tls/server.crt \
-c ssl_key_file=$PG_DIR/tls/server.key"
	fi
	(cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" \
		-l "$PG_DIR/server.log" -w -t 30 -o "-p $PG_PORT -k $PG_DIR \
-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200 $pg_tls_opts" start >/dev/null) ||
		{ cat "$PG_DIR/server.log" >&2; return 1; }
	pg_admin -c "CREATE ROLE dxt LOGIN SUPERUSER PASSWORD 'dxt-pw'" \
		-c "CREATE ROLE dxt_tls LOGIN SUPERUSER PASSWORD 'dxt-pw'" >/dev/null
	echo "$PG_DIR $PG_PORT" >"$PG_STATE"
	export PG_DIR PG_PORT
}

# pg_tls_setup: the server's key and self-signed certificate (also its own
# CA, ca.crt), another certificate no server uses (other-ca.crt), and the
# pg_hba.conf line that keeps dxt_tls off plain connections.
pg_tls_setup() {
	local t=$PG_DIR/tls
	mkdir -p "$t"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$t/server.key" -out "$t/server.crt" 2>"$t/openssl.log" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -days 2 -subj /CN=elsewhere \
			-keyout "$t/other.key" -out "$t/other-ca.crt" 2>>"$t/openssl.log" ||
		{ cat "$t/openssl.log" >&2; return 1; }
	cp "$t/server.crt" "$t/ca.crt"
	chown -R postgres:postgres "$t"
	chmod 600 "$t/server.key"
	{
		echo "hostnossl all dxt_tls 127.0.0.1/32 reject"
		cat "$PG_DIR/data/pg_hba.conf"
	} >"$t/hba" && cat "$t/hba" >"$PG_DIR/data/pg_hba.conf"
}

pg_server_stop() {
	[ -s "$PG_STATE" ] || return 0
	read -r dir port <"$PG_STATE"
	[ -f "$dir/data/postmaster.pid" ] &&
		(cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1)
	rm -rf "$dir" "$PG_STATE"
}

# pg_admin ARGS...: psql as the superuser over the socket.
pg_admin() {
	PGOPTIONS="-c client_min_messages=warning" psql -h "$PG_DIR" -p "$PG_PORT" -U postgres -d "${PG_ADMIN_DB:-postgres}" \
		-v ON_ERROR_STOP=1 -q -X "$@"
}

# pg_test_db NAME: starts the server if needed, creates database NAME and
# sets PG_URL (TCP, password auth) and PG_DB.
pg_test_db() {
	pg_server_start
	pg_admin -c "DROP DATABASE IF EXISTS \"$1\"" -c "CREATE DATABASE \"$1\" OWNER dxt" >/dev/null
	PG_DB=$1
	PG_URL="postgresql://dxt:dxt-pw@127.0.0.1:$PG_PORT/$1"
	export PG_DB PG_URL
}

# pg_q SQL: the rows of a query in database $PG_DB, unaligned, '|' between
# columns.
pg_q() {
	PG_ADMIN_DB=$PG_DB pg_admin -A -t -c "$1"
}
