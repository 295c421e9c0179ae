#!/bin/sh
# Installs the Debian packages that building and testing dxtd need, and
# nothing when they are all present. Runs apt-get as root or through sudo.
set -eu

PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev libyaml-dev \
libuv1-dev libpq-dev libsqlite3-dev libzstd-dev zlib1g-dev libarchive-dev \
libsnappy-dev liblz4-dev libbrotli-dev libcurl4-openssl-dev check libsubunit-dev sqlite3 curl \
python3 xz-utils gzip tar tzdata"

# Extra packages named on the command line (bench tools, servers).
[ $# -gt 0 ] && PKGS="$PKGS $*"

missing=""
# Node.js and npm (DuckDB interop tests) count as present when the commands
# exist, whichever package provides them.
if [ "${DXT_DEPS_NODE:-0}" = 1 ]; then
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: missing packages:$missing (run as root or install sudo)" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
