# SPDX-License-Identifier: ISC
# impass: GNU make + pkg-config. O= builds into another directory
# (make check uses O=build/asan/ for the sanitizer build).

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SHAREDIR   ?= $(PREFIX)/share/impass
SYSCONFDIR ?= /etc
SPOOLDIR   ?= /var/spool/impass
O          ?=

CC      ?= cc
CFLAGS  ?= -O2 -g
SAN     ?=
PKGS     = libxml-2.0 gpgme libarchive libgcrypt sqlite3 libcrypto
# recursive (=) so that a sub-make run after `make deps` sees the new packages
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lcsv -lgpg-error -lm
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
DEFS     = -D_GNU_SOURCE -DIMP_TRUST_DEFAULT='"$(SYSCONFDIR)/impass/trust"' \
	   -DIMP_SPOOL_DEFAULT='"$(SPOOLDIR)"'
ALL_CFLAGS = -std=c11 $(WARN) $(DEFS) $(CFLAGS) $(SAN) -Ilib $(PKG_CFLAGS)

# every bin/NAME.c is a program (bin/NAME, with its manual page bin/NAME.1);
# bin/*.5 are the formats (impass-csv, impass-stream, impass-trust, impass-spool)
PROGS    = $(sort $(basename $(notdir $(wildcard bin/*.c))))
MAN5     = $(wildcard bin/*.5)
LIBSRC   = $(wildcard lib/*.c)
LIBOBJ   = $(LIBSRC:%.c=$(O)%.o) $(O)gen/schema.o $(O)gen/names.o
LIB      = $(O)lib/libimpass.a
BINS     = $(PROGS:%=$(O)bin/%)
TESTBINS = $(O)tests/unit $(O)tests/passthru $(O)tests/maxrss
GEN      = tests/gen-fixtures
# the operators' scripts, installed under SHAREDIR/pipelines (crontab.example)
PIPELINES = pipelines/nightly pipelines/courier pipelines/migrate-citizenship pipelines/report
PIPEDATA  = pipelines/common.sh pipelines/offices.csv pipelines/couriers.csv pipelines/actions.tsv \
	    pipelines/impass.conf.example pipelines/crontab.example

DEB_PKGS = gcc libc6-dev make pkg-config libxml2-dev libxml2-utils libcsv-dev libgpgme-dev \
	   libgcrypt20-dev libarchive-dev libarchive-tools libsqlite3-dev gnupg bats \
	   bats-assert bats-support passwd util-linux mandoc chromium libssl-dev openssl strace \
	   libcurl4-openssl-dev libmicrohttpd-dev kannel kannel-extras python3 cmark sqlite3

.PHONY: all deps check check-build demo bench bench-national install uninstall clean fuzz
.SUFFIXES:

all: $(BINS) $(TESTBINS) $(GEN)

$(O)lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# data compiled into the library as byte arrays: the record schema and the
# name variants
$(O)gen/schema.c: schemas/impass.xsd
	@mkdir -p $(@D)
	tests/embed imp_schema_xsd $< > $@
$(O)gen/names.c: lib/names.txt
	@mkdir -p $(@D)
	tests/embed imp_names_txt $< > $@
$(O)gen/%.o: $(O)gen/%.c
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

# the compiled-in paths live in config.c: rebuild it when they change
$(O)lib/config.o: $(O)paths.cfg
$(O)paths.cfg: FORCE
	@mkdir -p $(@D)
	@echo '$(DEFS)' | cmp -s - $@ || echo '$(DEFS)' > $@
FORCE:

$(LIB): $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

# notify alone talks HTTP (to the SMS gateway, and from it the delivery
# reports): only it links libcurl and libmicrohttpd
$(O)bin/notify: PKG_LIBS += $(shell pkg-config --libs libcurl libmicrohttpd)
$(O)bin/notify: ALL_CFLAGS += $(shell pkg-config --cflags libcurl libmicrohttpd)

# screen-pcl's index of the lists (--index) holds keys made by these
# sources: their hash, PCL_RULES, in its header refuses an index that
# another build of them made
PCL_RULES_SRC = lib/names.c lib/match.c lib/names.txt bin/screen-pcl.c
$(O)bin/screen-pcl: ALL_CFLAGS += -DPCL_RULES='"$(shell cat $(PCL_RULES_SRC) | sha256sum | cut -c1-32)"'

$(O)bin/%: bin/%.c $(LIB) $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(O)tests/%: tests/%.c $(LIB) $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# the generator has no dependencies and is always built optimised
tests/gen-fixtures: tests/gen-fixtures.c
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -O2 -o $@ $<

deps:
	@missing=; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make deps: missing Debian packages:$$missing" >&2; \
	  echo "make deps: run 'make deps' as root, or: apt-get install$$missing" >&2; exit 1; \
	fi; \
	echo "make deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y --no-install-recommends $$missing || \
	  { apt-get update && apt-get install -y --no-install-recommends $$missing; }

# the whole suite, on the normal build and on the sanitizer build
check: deps
	$(MAKE) -j$$(nproc) all
	$(MAKE) -j$$(nproc) O=build/asan/ CFLAGS='-O1 -g -fno-omit-frame-pointer' \
	  SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' all
	tests/run bin tests build/asan/bin build/asan/tests

demo: deps
	$(MAKE) all
	tests/demo

bench: deps
	$(MAKE) all
	tests/bench

# the history and the NADRA register at national size (tests/bench-national:
# 72 M passports, 120 M citizens; about 35 GB of disk and an hour); not in check
bench-national: deps
	$(MAKE) all
	nice tests/bench-national

# libFuzzer harnesses (tests/fuzz/README): `make fuzz FUZZ_SECONDS=N` runs
# each for N seconds, one after the other; FUZZ_TARGETS=stream picks some.
# Needs clang and its fuzzer runtime (Debian: clang libclang-rt-14-dev);
# not in DEB_PKGS: make check does not fuzz, it replays tests/fuzz/run-regress.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_ARGS    ?=
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -O1 -g -fno-omit-frame-pointer

fuzz:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	  { echo "make fuzz: $(FUZZ_CC) not found; install it: apt-get install clang libclang-rt-14-dev" >&2; exit 69; }
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' | \
	  $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null || \
	  { echo "make fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer; install the runtime: apt-get install libclang-rt-14-dev (apt-cache search libclang-rt)" >&2; exit 69; }
	$(MAKE) O=build/fuzz/ CC='$(FUZZ_CC)' CFLAGS='$(FUZZ_CFLAGS)' \
	  SAN='$(FUZZ_SAN) -fsanitize=fuzzer-no-link' build/fuzz/lib/libimpass.a
	@mkdir -p build/fuzz/tests/fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "$(FUZZ_CC) ... -o build/fuzz/tests/fuzz/fuzz-$$t tests/fuzz/fuzz-$$t.c"; \
	  $(FUZZ_CC) -std=c11 $(WARN) $(DEFS) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -Ilib \
	    $(PKG_CFLAGS) -o build/fuzz/tests/fuzz/fuzz-$$t tests/fuzz/fuzz-$$t.c \
	    build/fuzz/lib/libimpass.a $(PKG_LIBS); \
	done
	@rc=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t build/fuzz/crash/$$t tests/fuzz/corpus/$$t tests/fuzz/regress/$$t; \
	  echo "make fuzz: $$t for $(FUZZ_SECONDS) s (new inputs in build/fuzz/corpus/$$t, crashes in build/fuzz/crash/$$t)"; \
	  build/fuzz/tests/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/crash/$$t/ -dict=tests/fuzz/$$t.dict $(FUZZ_ARGS) \
	    build/fuzz/corpus/$$t tests/fuzz/corpus/$$t tests/fuzz/regress/$$t || rc=1; \
	done; exit $$rc

install: $(BINS)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7
	for p in $(PROGS); do \
	  install -m 755 bin/$$p $(DESTDIR)$(BINDIR)/$$p; \
	  install -m 644 bin/$$p.1 $(DESTDIR)$(MANDIR)/man1/$$p.1; \
	done
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 bin/impass.7 $(DESTDIR)$(MANDIR)/man7/impass.7
	mkdir -p $(DESTDIR)$(SHAREDIR)/pipelines
	install -m 755 $(PIPELINES) $(DESTDIR)$(SHAREDIR)/pipelines/
	install -m 644 $(PIPEDATA) $(DESTDIR)$(SHAREDIR)/pipelines/

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(MANDIR)/man1/$$p.1; done
	rm -f $(DESTDIR)$(MANDIR)/man7/impass.7 $(MAN5:bin/%=$(DESTDIR)$(MANDIR)/man5/%)
	rm -rf $(DESTDIR)$(SHAREDIR)/pipelines

clean:
	rm -rf build gen paths.cfg lib/*.o lib/*.a $(PROGS:%=bin/%) $(TESTBINS) $(GEN)
