# Makefile - oshirase (plain GNU make)
# SPDX-License-Identifier: MIT
#
#   make                  build the oshirase tool (and the daemon, when present)
#   make check            unit and integration tests; ends with "N passed, N failed"
#   make check SANITIZE=address,undefined
#   make bench            benchmarks (see README), printing ratios to baselines
#   make install          PREFIX=/usr/local DESTDIR=
#   make fuzz             libFuzzer targets (clang)
#   WERROR=1              turn warnings into errors (CI sets it)

comma := ,
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SHAREDIR ?= $(PREFIX)/share/oshirase
SYSCONFDIR ?= /etc/oshirase
DESTDIR ?=
PKG_CONFIG ?= pkg-config
CC ?= cc

PKGS := libzmq lmdb libcurl libsodium inih libmicrohttpd jansson
define pkg_check
$(if $(shell $(PKG_CONFIG) --exists $(1) && echo yes),,$(error $(1) not found by $(PKG_CONFIG); install its -dev package (tools/install-deps) or set $(2)_CFLAGS/$(2)_LIBS))
endef

# Each library can be given by hand where it ships no .pc file.
LMDB_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags lmdb 2>/dev/null)
LMDB_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs lmdb 2>/dev/null),$(call pkg_check,lmdb,LMDB))
ZMQ_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libzmq 2>/dev/null)
ZMQ_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs libzmq 2>/dev/null),$(call pkg_check,libzmq,ZMQ))
CURL_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null),$(call pkg_check,libcurl,CURL))
SODIUM_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libsodium 2>/dev/null)
SODIUM_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs libsodium 2>/dev/null),$(call pkg_check,libsodium,SODIUM))
INIH_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs inih 2>/dev/null),$(call pkg_check,inih,INIH))
SYSTEMD_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libsystemd 2>/dev/null)
SYSTEMD_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null),$(call pkg_check,libsystemd,SYSTEMD))
MHD_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null),$(call pkg_check,libmicrohttpd,MHD))
JANSSON_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null),$(call pkg_check,jansson,JANSSON))
# libcsv ships no .pc file in Debian.
CSV_CFLAGS ?=
CSV_LIBS ?= -lcsv
CMOCKA_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null),-lcmocka)

WARN := -std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wno-format-nonliteral
HARDEN := -D_FORTIFY_SOURCE=2 -fPIE -fstack-protector-strong
OPT ?= -O2 -g
CFLAGS ?=
LDFLAGS ?=
ifeq ($(WERROR),1)
WARN += -Werror
endif

BUILD := build
ifneq ($(SANITIZE),)
BUILD := build-san-$(subst $(comma),-,$(SANITIZE))
OPT := -O1 -g -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
HARDEN := -fPIE
LDFLAGS += -fsanitize=$(SANITIZE)
endif

ALL_CFLAGS := $(WARN) $(OPT) $(HARDEN) -I$(BUILD) -D_GNU_SOURCE -pthread -MMD -MP \
	-Idaemon -Itools $(LMDB_CFLAGS) $(ZMQ_CFLAGS) $(CURL_CFLAGS) \
	$(SODIUM_CFLAGS) $(INIH_CFLAGS) $(CSV_CFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS) \
	$(CFLAGS)
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack -pthread $(LDFLAGS)
LIBS := $(LMDB_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) $(CSV_LIBS) $(ZMQ_LIBS) $(CURL_LIBS) \
	$(MHD_LIBS) $(JANSSON_LIBS) -lm

# daemon/ holds the modules; daemon/main.c (oshirased) is the only program there.
CORE_SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
TOOL_SRCS := $(filter-out tools/oshirase.c,$(wildcard tools/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

PROGS := $(BUILD)/oshirase
ifneq ($(wildcard daemon/main.c),)
PROGS += $(BUILD)/oshirased
endif

.PHONY: all check bench install clean fuzz unit demo
all: $(PROGS)
	@ln -sf $(BUILD)/oshirase oshirase

$(BUILD)/%.o: %.c | $(BUILD)/paths.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The install paths compiled in, rewritten only when they change, so that
# `make install PREFIX=...` rebuilds what uses them.
$(BUILD)/paths.h: FORCE
	@mkdir -p $(BUILD)
	@printf '#define OSHIRASE_RULES_DIR "%s"\n#define OSHIRASE_SYSCONFDIR "%s"\n' \
		'$(SHAREDIR)/rules' '$(SYSCONFDIR)' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
.PHONY: FORCE

$(BUILD)/liboshirase.a: $(CORE_OBJS) $(TOOL_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/oshirase: $(BUILD)/tools/oshirase.o $(BUILD)/liboshirase.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/oshirased: $(BUILD)/daemon/main.o $(BUILD)/liboshirase.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(SYSTEMD_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/liboshirase.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
		$(BUILD)/liboshirase.a $(LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BINS)

# Programs the integration scripts drive (not unit tests themselves).
TEST_HELPERS := $(BUILD)/tests/sender_drive
$(BUILD)/tests/sender_drive: tests/integration/sender_drive.c $(BUILD)/liboshirase.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/liboshirase.a $(LIBS)

check: $(PROGS) $(UNIT_BINS) $(TEST_HELPERS)
	@OSHIRASE=$(CURDIR)/$(BUILD)/oshirase BUILD=$(CURDIR)/$(BUILD) \
		sh tests/run-tests.sh $(abspath $(UNIT_BINS))

demo: all
	@sh tools/demo.sh $(RESIDENTS)

$(BUILD)/bench-handwritten: tests/bench/handwritten.c $(BUILD)/liboshirase.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/liboshirase.a $(LIBS)

$(BUILD)/bench-cutoffs: tests/bench/cutoffs.c $(BUILD)/liboshirase.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/liboshirase.a $(LIBS)

$(BUILD)/bench-seal: tests/bench/sealbench.c $(BUILD)/liboshirase.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/liboshirase.a $(LIBS)

$(BUILD)/bench-lineloop: tests/bench/lineloop.c
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

bench: all $(BUILD)/bench-handwritten $(BUILD)/bench-cutoffs $(BUILD)/bench-seal $(BUILD)/bench-lineloop
	@sh tests/bench/run.sh $(CURDIR)/$(BUILD)/oshirase
	@sh tests/bench/log.sh $(CURDIR)/$(BUILD)/oshirase $(CURDIR)/$(BUILD)/bench-seal

# libFuzzer targets (clang): make fuzz [FUZZ_SECONDS=60]
FUZZ_SECONDS ?= 30
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -pthread -I$(BUILD) \
	-Idaemon -Itools $(LMDB_CFLAGS) $(SODIUM_CFLAGS) $(INIH_CFLAGS) $(MHD_CFLAGS) \
	$(JANSSON_CFLAGS)
fuzz: $(BUILD)/paths.h
	@mkdir -p build-fuzz
	@for src in $(FUZZ_SRCS); do \
		name=$$(basename $$src .c); \
		clang $(FUZZ_CFLAGS) -o build-fuzz/$$name $$src $(CORE_SRCS) \
			$(TOOL_SRCS) $(LIBS) || exit 1; \
		mkdir -p build-fuzz/corpus-$$name; \
		echo "== $$name for $(FUZZ_SECONDS) s"; \
		OSHIRASE_VOCAB=rules/vocabulary.ini \
		./build-fuzz/$$name -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			build-fuzz/corpus-$$name $$(ls -d tests/fuzz/corpus-$${name#fuzz_} 2>/dev/null || echo tests/data/bad) \
			>/dev/null 2>build-fuzz/$$name.log \
			|| { tail -40 build-fuzz/$$name.log; exit 1; }; \
		tail -1 build-fuzz/$$name.log; \
	done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/rules
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -m 0644 rules/*.ini $(DESTDIR)$(SHAREDIR)/rules/
	@echo "installed; the default config path is $(SYSCONFDIR)/oshirase.conf"


clean:
	rm -rf build build-san* build-fuzz oshirase

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
