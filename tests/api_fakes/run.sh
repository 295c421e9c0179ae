#!/bin/sh
# Builds and runs the control API's HTTP tests against a fake service
# (tests/api_fakes/fake_service.c stands in for daemon/service.c).
#
#   sh tests/api_fakes/run.sh              # into build/
#   O=build/asan SAN=1 sh tests/api_fakes/run.sh
#
# The API, engine and log objects come from the normal build; the test
# binary links the fake service instead of the daemon archive.
set -eu
O=${O:-build}
SAN=${SAN:-}
CC=${CC:-cc}

make O="$O" SAN="$SAN" "$O/libdxtapi.a" "$O/libdxtengine.a" \
	"$O/obj/daemon/log.o" >/dev/null

flags="-std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I. -g"
if [ -n "$SAN" ]; then
	flags="$flags -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
else
	flags="$flags -O2"
fi
pkgs="libmicrohttpd jansson yaml-0.1 libzstd zlib libarchive check"
mkdir -p "$O/tests"
# shellcheck disable=SC2046,SC2086
$CC $flags $(pkg-config --cflags $pkgs) -o "$O/tests/api_server" \
	tests/api_fakes/fake_service.c tests/api_fakes/test_api_server.c \
	"$O/obj/daemon/log.o" "$O/libdxtapi.a" "$O/libdxtengine.a" \
	$(pkg-config --libs $pkgs) -ldl -lpthread -lm
exec "$O/tests/api_server"
