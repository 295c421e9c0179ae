# dxt - top-level build.
#
#   make            build/dxtd and build/providers/*.so
#   make check      install missing packages, build, run every test, then
#                   the same suite built with ASan + UBSan
#   make run        build and run the example pipeline
#   make bench      benchmarks (bench/README.md)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Out-of-tree variants: `make O=build/asan SAN=1` builds the sanitized tree.

O       ?= build
SAN     ?=
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
SYSCONFDIR ?= /etc
PKG_CONFIG ?= pkg-config

MAKEFLAGS += --no-builtin-rules
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

ENGINE_PKGS := jansson yaml-0.1 libzstd zlib libarchive snappy liblz4 libbrotlidec
DAEMON_PKGS := libuv sqlite3
API_PKGS    := libmicrohttpd
TEST_PKGS   := check

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
DEFS    := -D_GNU_SOURCE -DDXT_LIBDIR='"$(LIBDIR)"'
ifneq ($(SAN),)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS  := -O1 -g
endif
ALL_CFLAGS = $(WARN) $(DEFS) $(CFLAGS) $(SANFLAGS) -fPIC -MMD -MP -I.

ENGINE_SRC := $(sort $(wildcard engine/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
API_SRC    := $(sort $(wildcard api/*.c))
BASE_SRC   := $(sort $(wildcard providers/base/*.c))
PROVIDERS  := $(sort $(filter-out base,$(notdir $(patsubst %/,%,$(wildcard providers/*/)))))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC   := $(sort $(wildcard bench/*.c))

ENGINE_OBJ := $(ENGINE_SRC:%.c=$(O)/obj/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(O)/obj/%.o)
API_OBJ    := $(API_SRC:%.c=$(O)/obj/%.o)
BASE_OBJ   := $(BASE_SRC:%.c=$(O)/obj/%.o)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(O)/obj/%.o) $(O)/obj/tests/unit/main.o

# Each provider folder MAY hold provider.mk setting <name>_PKGS (pkg-config
# names) and <name>_LIBS (extra linker flags).
-include $(wildcard providers/*/provider.mk)

PROVIDER_SO := $(PROVIDERS:%=$(O)/providers/%.so)

ENGINE_CFLAGS := $(call pc_cflags,$(ENGINE_PKGS))
ENGINE_LIBS   := $(call pc_libs,$(ENGINE_PKGS)) -ldl -lpthread -lm

.PHONY: all check check-plain check-san check-deps unit integration run bench install clean deps
all: $(O)/dxtd $(PROVIDER_SO)

deps:
	@sh scripts/deps.sh

# What `make check` needs beyond the build: a PostgreSQL 15 server for the
# postgres provider's tests (openssl makes its TLS certificate), Node.js and
# npm for the DuckDB interop tests.
check-deps:
	@DXT_DEPS_NODE=1 sh scripts/deps.sh postgresql-15 openssl

$(O)/obj/engine/%.o: engine/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ENGINE_CFLAGS) -c $< -o $@

$(O)/obj/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ENGINE_CFLAGS) $(call pc_cflags,$(DAEMON_PKGS)) -c $< -o $@

$(O)/obj/api/%.o: api/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ENGINE_CFLAGS) $(call pc_cflags,$(DAEMON_PKGS) $(API_PKGS)) -c $< -o $@

$(O)/obj/providers/%.o: providers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden $(ENGINE_CFLAGS) $(call pc_cflags,$($(word 1,$(subst /, ,$*))_PKGS)) -c $< -o $@

$(O)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ENGINE_CFLAGS) $(call pc_cflags,$(TEST_PKGS) $(DAEMON_PKGS) $(API_PKGS)) -I$(O)/gen -c $< -o $@

$(O)/obj/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ENGINE_CFLAGS) -c $< -o $@

# main.c compiles LIBDIR in (where installed providers live): rebuild it
# when LIBDIR changes, e.g. `make install PREFIX=/usr` after a plain `make`.
$(O)/libdir.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(LIBDIR)' | cmp -s - $@ || echo '$(LIBDIR)' >$@

$(O)/obj/daemon/main.o: $(O)/libdir.stamp

.PHONY: FORCE
FORCE:

$(O)/libdxtengine.a: $(ENGINE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# daemon/ and api/ go into archives so that a binary takes only the modules
# it references (the unit tests link them too).
DAEMON_LIB_OBJ := $(filter-out $(O)/obj/daemon/main.o,$(DAEMON_OBJ))

$(O)/libdxtdaemon.a: $(DAEMON_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/libdxtapi.a: $(API_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

APP_LIBS = $(O)/libdxtapi.a $(O)/libdxtdaemon.a \
	-Wl,--whole-archive $(O)/libdxtengine.a -Wl,--no-whole-archive \
	$(call pc_libs,$(API_PKGS) $(DAEMON_PKGS)) $(ENGINE_LIBS)

# The engine is linked whole and its symbols exported (-rdynamic): providers
# are loaded with dlopen and call back into it.
$(O)/dxtd: $(O)/obj/daemon/main.o $(O)/libdxtapi.a $(O)/libdxtdaemon.a $(O)/libdxtengine.a
	$(CC) $(SANFLAGS) -rdynamic -o $@ $(O)/obj/daemon/main.o $(APP_LIBS)

.SECONDEXPANSION:
provider_objs = $(patsubst providers/%.c,$(O)/obj/providers/%.o,$(sort $(wildcard providers/$(1)/*.c)))

$(O)/providers/%.so: $$(call provider_objs,$$*) $(BASE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -shared -o $@ $^ $(call pc_libs,$($*_PKGS)) $($*_LIBS)

# Unit tests: every tests/unit/test_*.c defines `Suite *dxt_test_<name>(void)`;
# the list of suites is generated so a new file needs no other edit.
$(O)/gen/suites.h: $(UNIT_SRC)
	@mkdir -p $(@D)
	@grep -ho 'Suite \*dxt_test_[a-z0-9_]*(void)$$' $(UNIT_SRC) /dev/null | \
		sed 's/Suite \*\(dxt_test_[a-z0-9_]*\)(void)/DXT_SUITE(\1)/' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(O)/obj/tests/unit/main.o: $(O)/gen/suites.h

$(O)/tests/unit: $(UNIT_OBJ) $(O)/libdxtapi.a $(O)/libdxtdaemon.a $(O)/libdxtengine.a
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -rdynamic -o $@ $(UNIT_OBJ) $(APP_LIBS) \
		$(call pc_libs,$(TEST_PKGS))

# The control API's HTTP tests run the real server against a stand-in for
# daemon/service.c, so they cover routing, limits and auth on their own.
API_TEST_SRC := $(sort $(wildcard tests/api_fakes/*.c))
API_TEST_OBJ := $(API_TEST_SRC:%.c=$(O)/obj/%.o)

$(O)/tests/api_server: $(API_TEST_OBJ) $(O)/obj/daemon/log.o $(O)/libdxtapi.a $(O)/libdxtengine.a
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $(API_TEST_OBJ) $(O)/obj/daemon/log.o $(O)/libdxtapi.a \
		$(O)/libdxtengine.a $(call pc_libs,$(API_PKGS) $(TEST_PKGS)) $(ENGINE_LIBS)

$(O)/tools/%: $(O)/obj/bench/%.o $(O)/libdxtengine.a
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $< $(O)/libdxtengine.a $(ENGINE_LIBS)

TOOLS := $(TOOL_SRC:bench/%.c=$(O)/tools/%)

# Test fixtures: providers built like a third party's, outside providers/.
FIXTURE_SRC := $(shell find tests/fixtures -name '*.c' 2>/dev/null | sort)
FIXTURES    := $(FIXTURE_SRC:tests/fixtures/%.c=$(O)/tests/fixtures/%.so)

$(O)/tests/fixtures/%.so: tests/fixtures/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden $(ENGINE_CFLAGS) -shared -o $@ $<

# The Parquet reader's fuzz target, replayed over its seed corpus by a plain
# driver (tests/fuzz/README.md has the libFuzzer build).
$(O)/obj/tests/fuzz/driver.o $(O)/obj/tests/fuzz/pq_read_fuzz.o: | $(O)/gen/suites.h

$(O)/tests/fuzz_pq_read: $(O)/obj/tests/fuzz/driver.o $(O)/obj/tests/fuzz/pq_read_fuzz.o $(O)/libdxtengine.a
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $(filter %.o,$^) $(O)/libdxtengine.a $(ENGINE_LIBS)

unit: all $(O)/tests/unit $(O)/tests/api_server $(O)/tests/fuzz_pq_read $(FIXTURES)
	DXT_TEST_DATA=$(CURDIR)/tests/data DXT_BUILD=$(CURDIR)/$(O) $(O)/tests/unit
	$(O)/tests/api_server
	$(O)/tests/fuzz_pq_read tests/fuzz/corpus/pq_read tests/data/parquet

integration: all $(TOOLS) $(FIXTURES)
	DXT_BUILD=$(CURDIR)/$(O) sh tests/integration/run.sh

check: check-deps
	$(MAKE) check-plain
	$(MAKE) check-san

check-plain:
	$(MAKE) O=build unit integration

check-san:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		$(MAKE) O=build/asan SAN=1 unit integration

run: deps
	$(MAKE) all
	sh scripts/run-daemon.sh $(O)

bench: deps
	$(MAKE) all $(TOOLS)
	sh bench/run.sh $(O)

UNITDIR    ?= $(LIBDIR)/systemd/system
SYSUSERSDIR ?= $(LIBDIR)/sysusers.d

# The unit and config name /usr/local paths; install rewrites them for PREFIX.
# An existing dxtd.yaml is left alone.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/dxt/providers \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/dxtd
	install -m 0755 $(O)/dxtd $(DESTDIR)$(BINDIR)/dxtd
	install -m 0644 $(PROVIDER_SO) $(DESTDIR)$(LIBDIR)/dxt/providers/
	sed -e 's|/usr/local/bin|$(BINDIR)|g' -e 's|/etc/dxtd|$(SYSCONFDIR)/dxtd|g' \
		systemd/dxtd.service >$(DESTDIR)$(UNITDIR)/dxtd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dxtd.service
	install -m 0644 systemd/dxtd.sysusers $(DESTDIR)$(SYSUSERSDIR)/dxtd.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/dxtd/dxtd.yaml ] || \
		sed -e 's|/usr/local/lib|$(LIBDIR)|g' conf/dxtd.yaml \
		>$(DESTDIR)$(SYSCONFDIR)/dxtd/dxtd.yaml

clean:
	rm -rf build

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
