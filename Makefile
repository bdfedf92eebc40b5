# grouprm: build, test and demo. See README.md.
#
#   make            build bin/grouprm and bin/truto-mock
#   make demo       install what is missing, build, run grouprm on input/example.csv
#   make test       install what is missing, build, run every suite three times (plain,
#                   under AddressSanitizer + UBSan, under ThreadSanitizer); ends with
#                   "N passed, N failed"
#
# BUILD and BIN pick where objects and binaries go, so a sanitizer build can live
# beside the normal one (make SAN=1 BUILD=build/san BIN=build/san/bin; SAN=thread for
# ThreadSanitizer).

VERSION := 0.1.0
CC      ?= cc
BUILD   ?= build
BIN     ?= bin
PREFIX  ?= /usr/local

OPT      ?= -O2 -g
CFLAGS_W := -std=c11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror -D_GNU_SOURCE -DGROUPRM_VERSION='"$(VERSION)"'
ifeq ($(SAN),1)
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
endif
ifeq ($(SAN),thread)
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
endif
CFLAGS_ALL = $(CFLAGS_W) $(OPT) $(CFLAGS) -MMD -MP
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

PKG      = pkg-config
RUN_LIBS = $(shell $(PKG) --libs libuv libcurl libcjson libcrypto) -lcsv -lm
MOCK_LIBS = $(shell $(PKG) --libs libmicrohttpd libcjson) -lpthread -lm
TEST_LIBS = $(shell $(PKG) --libs cmocka)

CORE_SRC := $(filter-out runner/main.c,$(wildcard runner/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/runner/main.o
CORE_LIB := $(BUILD)/libgrouprm.a
# Pure modules: no network, no event loop, no clock of their own (csvin reads
# the file it is handed, config the argv and environment values). Integration
# test programs link only these; unit tests link the whole core library, so the
# scheduler's parts can be driven in-process.
PURE     := ratelimit hints sfv httpdate rfc3339 backoff outcome buf request sha256 csvin config \
            pairset progress
PURE_OBJ := $(patsubst %,$(BUILD)/runner/%.o,$(filter $(PURE),$(basename $(notdir $(CORE_SRC)))))
PURE_LIB := $(BUILD)/libgrouprm-pure.a

MOCK_SRC := $(wildcard tests/mock/*.c)
MOCK_OBJ := $(MOCK_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
IT_HELP  := $(BUILD)/tests/integration/ithelp.o
IT_SRC   := $(wildcard tests/integration/it_*.c)
.SECONDARY:
IT_BIN   := $(IT_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)

.PHONY: all tests test demo deps deps-test clean install fuzz deb
all: $(BIN)/grouprm $(BIN)/truto-mock

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(PURE_LIB): $(PURE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/grouprm: $(MAIN_OBJ) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $^ $(RUN_LIBS) -o $@

$(BIN)/truto-mock: $(MOCK_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $^ $(MOCK_LIBS) -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Irunner $< $(CORE_LIB) $(TEST_LIBS) $(RUN_LIBS) -o $@
$(BUILD)/tests/unit/test_config: private CFLAGS_ALL += -DGROUPRM_SRCDIR='"$(CURDIR)"'  # reads grouprm.1, completion/

$(BUILD)/tests/integration/%.o: tests/integration/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Irunner -Itests/integration -c $< -o $@

$(BUILD)/tests/integration/%: $(BUILD)/tests/integration/%.o $(IT_HELP) $(PURE_LIB)
	$(CC) $(LDFLAGS_ALL) $^ $(TEST_LIBS) $(RUN_LIBS) -o $@

tests: all $(UNIT_BIN) $(IT_BIN)

deps:
	@scripts/setup-deps

deps-test:
	@scripts/setup-deps --test

# The plain build and the sanitizer builds are separate make runs so each gets
# its own flags; scripts/run-tests runs all three, then one scenario of the
# plain build under valgrind, then the ecosystem's checkers (tests/checks/), and
# prints the closing line.
test: deps-test
	@$(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/san BIN=build/san/bin tests
	@$(MAKE) --no-print-directory SAN=thread BUILD=build/tsan BIN=build/tsan/bin tests
	@scripts/run-tests build:bin build/san:build/san/bin build/tsan:build/tsan/bin valgrind:bin \
	    checks:bin

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

# libFuzzer targets (clang) over the CSV reader and the header parsers. New
# inputs go to build/fuzz/corpus-*; the seeds in tests/fuzz/corpus/ stay as
# they are. FUZZ_SECONDS is per target.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Irunner
build/fuzz/fuzz_csvin: tests/fuzz/fuzz_csvin.c tests/fuzz/fuzzcheck.h runner/csvin.c runner/sha256.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(filter %.c,$^) -lcsv -lcjson -lcrypto -o $@
build/fuzz/fuzz_headers: tests/fuzz/fuzz_headers.c tests/fuzz/fuzzcheck.h runner/hints.c runner/sfv.c \
                         runner/httpdate.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(filter %.c,$^) -lm -o $@
fuzz: deps-test build/fuzz/fuzz_csvin build/fuzz/fuzz_headers
	@for t in csvin headers; do \
	    mkdir -p build/fuzz/corpus-$$t; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        build/fuzz/corpus-$$t tests/fuzz/corpus/$$t 2>&1 | tail -n 12 || exit 1; \
	done

# make install: grouprm, its manual page, the bash completion, the systemd units
# (grouprm@.service, grouprm@.timer) with the job runner they start, and the
# example job file. SYSTEMD_UNIT_DIR and LIBEXEC_DIR pick where the units and the
# runner go; the installed units and runner name the installed paths.
install: SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
install: LIBEXEC_DIR ?= $(PREFIX)/libexec/grouprm
install: $(BIN)/grouprm
	@test -f completion/grouprm || \
	    { echo "make install: completion/grouprm (the bash completion) is missing" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(LIBEXEC_DIR) \
	    $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(PREFIX)/share/doc/grouprm/examples
	install -m 0755 $(BIN)/grouprm $(DESTDIR)$(PREFIX)/bin/grouprm
	install -m 0644 runner/grouprm.1 $(DESTDIR)$(PREFIX)/share/man/man1/grouprm.1
	install -m 0644 completion/grouprm \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/grouprm
	sed 's|/usr/bin/grouprm|$(PREFIX)/bin/grouprm|g' systemd/grouprm-job \
	    >$(DESTDIR)$(LIBEXEC_DIR)/grouprm-job
	chmod 0755 $(DESTDIR)$(LIBEXEC_DIR)/grouprm-job
	sed 's|/usr/libexec/grouprm/|$(LIBEXEC_DIR)/|g' systemd/grouprm@.service \
	    >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/grouprm@.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/grouprm@.service
	install -m 0644 systemd/grouprm@.timer $(DESTDIR)$(SYSTEMD_UNIT_DIR)/grouprm@.timer
	install -m 0644 systemd/example.conf \
	    $(DESTDIR)$(PREFIX)/share/doc/grouprm/examples/example.conf

# make deb: the Debian package (debian/), built by dpkg-buildpackage in a copy of
# the tree under build/deb/src (the tracked and the untracked files, not the
# ignored ones), so that nothing is written outside the repository and the tree's
# own build/ and bin/ are neither packaged nor removed. Leaves
# build/deb/grouprm_VERSION_ARCH.deb (and the -dbgsym one), .changes and .buildinfo.
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
	    { echo "make deb: needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper)" >&2; exit 1; }
	@test -f completion/grouprm || \
	    { echo "make deb: completion/grouprm (the bash completion) is missing" >&2; exit 1; }
	@v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$(VERSION)" ] || \
	    { echo "make deb: debian/changelog is at $$v, the Makefile at $(VERSION)" >&2; exit 1; }
	rm -rf build/deb
	mkdir -p build/deb/src/grouprm-$(VERSION)
	@if [ -e .git ]; then \
	    git ls-files -z --cached --others --exclude-standard | \
	        tar --null -T - --ignore-failed-read -cf - 2>/dev/null; \
	else \
	    tar --exclude=./build --exclude=./bin --exclude=./.git -cf - .; \
	fi | tar -xf - -C build/deb/src/grouprm-$(VERSION)
	cd build/deb/src/grouprm-$(VERSION) && \
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b -Jauto
	mv build/deb/src/*.deb build/deb/src/*.changes build/deb/src/*.buildinfo build/deb/
	rm -rf build/deb/src
	@ls build/deb

clean:
	rm -rf build bin/grouprm bin/truto-mock

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
