#!/bin/sh
# Integration tests: run the real build/dxtd on pipelines and check what
# arrives in the targets. Prints one line per test and "N passed, M failed".
#
#   DXT_BUILD=/abs/build sh tests/integration/run.sh [TEST...]
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${DXT_BUILD:-$ROOT/build}
export DXTD="$BUILD/dxtd"
export ROOT BUILD
export EXAMPLES="$ROOT/conf/examples"
export FIXTURES="$BUILD/tests/fixtures"
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/dxt-it.XXXXXX")
export TMPROOT
. "$ROOT/tests/integration/pgserver.sh"
trap 'pg_server_stop; rm -rf "$TMPROOT"' EXIT INT TERM

. "$ROOT/tests/integration/lib.sh"
for f in "$ROOT"/tests/integration/t_*.sh; do
	. "$f"
done

tests=$(grep -ho '^t_[a-z0-9_]*()' "$ROOT"/tests/integration/t_*.sh | tr -d '()')
if [ $# -gt 0 ]; then
	tests="$*"
fi

passed=0
failed=0
for t in $tests; do
	T="$TMPROOT/$t"
	mkdir -p "$T"
	export T
	start=$(date +%s.%N)
	(
		cd "$T" || exit 1
		set -e
		"$t"
	) >"$T/.log" 2>&1
	status=$?
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if [ $status -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok     $t (${secs}s)"
	else
		failed=$((failed + 1))
		echo "FAILED $t (${secs}s)"
		[ -f "$T/.failure" ] && sed 's/^/       /' "$T/.failure"
		tail -n 20 "$T/.log" | sed 's/^/       | /'
	fi
done
echo "integration: $passed passed, $failed failed"
[ $failed -eq 0 ]
