# lib.sh - helpers for the integration tests (sourced by run.sh).
#
# Each test is a shell function named t_<name>. It runs in its own scratch
# folder ($T) with `dxtd` on the PATH-less absolute $DXTD, and fails by
# calling `fail MESSAGE` (or by any command failing under `set -e`).

fail() {
	echo "$*" >"$T/.failure"
	return 1
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"
}

# expect_contains WHAT FILE TEXT: FILE contains TEXT (fixed string).
expect_contains() {
	grep -qF -- "$3" "$2" || fail "$1: [$3] not in $2: $(head -c 2000 "$2")"
}

expect_not_contains() {
	if grep -qF -- "$3" "$2"; then fail "$1: [$3] unexpectedly in $2"; fi
}

# q DB SQL: one value from sqlite.
q() {
	sqlite3 -batch -noheader "$1" "$2"
}

# run_dxtd OUT ERR ARGS...: runs dxtd, leaves its exit status in $rc.
run_dxtd() {
	out=$1
	err=$2
	shift 2
	set +e
	"$DXTD" "$@" >"$out" 2>"$err"
	rc=$?
	set -e
}

# json FILE EXPR: evaluates a python expression on the JSON document `d`.
json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
