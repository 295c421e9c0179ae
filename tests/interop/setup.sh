#!/bin/sh
# Installs the pinned npm packages the Parquet interoperability tests need
# (DuckDB's Node.js API, package.json beside this script) into
# tests/interop/node_modules, which git ignores. Does nothing when the pinned
# version is already there, so every test may call it.
#
#   sh tests/interop/setup.sh        exit 0: ready; 1: npm missing or failed
set -eu

DIR=$(cd "$(dirname "$0")" && pwd)
PKG="@duckdb/node-api"
# The pinned version is package.json's, so the two cannot drift apart.
VERSION=$(sed -n 's|.*"@duckdb/node-api": *"\([^"]*\)".*|\1|p' "$DIR/package.json")
if [ -z "$VERSION" ]; then
	echo "interop setup: $DIR/package.json pins no version of $PKG" >&2
	exit 1
fi
STAMP="$DIR/node_modules/.dxt-installed-$VERSION"

[ -f "$STAMP" ] && exit 0

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "interop setup: node and npm are needed for the DuckDB tests;" \
	     "install the Debian packages nodejs and npm (make check-deps does)" >&2
	exit 1
fi

# Two test processes may start the install at once: the second waits for
# the first behind a lock folder (mkdir is atomic) instead of racing it.
LOCK="$DIR/.setup.lock"
tries=0
while ! mkdir "$LOCK" 2>/dev/null; do
	tries=$((tries + 1))
	if [ $tries -gt 600 ]; then
		echo "interop setup: $LOCK held for 10 minutes; remove it if" \
		     "no install is running" >&2
		exit 1
	fi
	sleep 1
	[ -f "$STAMP" ] && exit 0
done
trap 'rmdir "$LOCK" 2>/dev/null || true' EXIT INT TERM

[ -f "$STAMP" ] && exit 0
echo "interop setup: installing $PKG@$VERSION into $DIR/node_modules" >&2
if ! (cd "$DIR" && npm install --no-save --no-audit --no-fund \
	--loglevel=error "$PKG@$VERSION") >"$DIR/.setup.log" 2>&1; then
	echo "interop setup: npm install $PKG@$VERSION failed:" >&2
	tail -n 20 "$DIR/.setup.log" >&2
	exit 1
fi
if ! (cd "$DIR" && node -e "import('$PKG').then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); })"); then
	echo "interop setup: $PKG installed but does not load" >&2
	exit 1
fi
touch "$STAMP"
