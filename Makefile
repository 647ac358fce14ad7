# Makefile - oshirase (plain GNU make)
# SPDX-License-Identifier: MIT
#
#   make                  build every program into build/ (see "the programs" below)
#   make check            unit and integration tests; ends with "N passed, N failed"
#   make check SANITIZE=address,undefined
#   make bench            benchmarks (see README), printing ratios to baselines
#   make install          PREFIX=/usr/local DESTDIR=
#   make fuzz             libFuzzer targets (clang), briefly; make fuzz-long
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
IDN2_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libidn2 2>/dev/null)
IDN2_LIBS ?= $(or $(shell $(PKG_CONFIG) --libs libidn2 2>/dev/null),$(call pkg_check,libidn2,IDN2))
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
	-Idaemon/lib $(CFLAGS)
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack -pthread $(LDFLAGS)

# ---- the programs and what each links --------------------------------------
# Each program lists its objects (its role's folder plus the library modules
# it needs) and its libraries, so that no program links a module or a
# library it does not need; tests/integration/walls.sh proves it from the
# built programs' symbols.  A module in daemon/lib/ includes only headers of
# modules listed at or above its own line here.
lib = $(addprefix $(BUILD)/daemon/lib/,$(addsuffix .o,$(1)))

BASE_OBJS := $(call lib,util log dates inifile config)		# sodium, inih
MAIL_OBJS := $(call lib,mailaddr)				# libidn2: addresses on the wire
WIRE_OBJS := $(call lib,wire job action curve)				# the queue-sender messages and keys
SEAL_OBJS := $(call lib,merkle sealfmt)			# the sealed log's format
STORE_OBJS := $(call lib,store vocab addrbox notice token codes ckeys)		# lmdb
RULES_OBJS := $(call lib,rules_load rules_diag rules_lex rules_parse rules_compile \
	rules_facts rules_eval rules_test rules_explain matcher match)	# the rule engine, runs
RENDER_OBJS := $(call lib,render)				# messages: rules meet the config

# oshirased, the queue: the only writer of the store (installed)
# It starts oshirase-sender processes for --once runs, and has no sender
# inside: no libcurl, no channel credentials.
QUEUE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard daemon/queue/*.c)) \
	$(BASE_OBJS) $(WIRE_OBJS) $(SEAL_OBJS) $(STORE_OBJS) $(RULES_OBJS) $(RENDER_OBJS)
QUEUE_LIBS := $(LMDB_LIBS) $(ZMQ_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) $(SYSTEMD_LIBS) -lm
QUEUE_CFLAGS := $(LMDB_CFLAGS) $(ZMQ_CFLAGS) $(SYSTEMD_CFLAGS)

# oshirase-sender: LINE and email over libcurl, jobs over ZeroMQ (installed);
# nothing of the store, the rules or the pseudonyms, and no LMDB
SENDER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard daemon/sender/*.c)) \
	$(BASE_OBJS) $(MAIL_OBJS) $(WIRE_OBJS)
SENDER_LIBS := $(ZMQ_LIBS) $(CURL_LIBS) $(JANSSON_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) $(IDN2_LIBS) -lm
SENDER_CFLAGS := $(ZMQ_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)

# oshirase-gateway: the only process that hears residents (installed):
# LINE's webhook and the pages over libmicrohttpd, actions to the queue
# over ZeroMQ; it holds the LINE channel secret and nothing of the store:
# no LMDB, no contacts key, no tokens' keys.  codes.o only reads what a
# resident typed (code_normalize); mailaddr.o checks an address can go.
GATEWAY_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard daemon/gateway/*.c)) \
	$(BASE_OBJS) $(MAIL_OBJS) $(WIRE_OBJS) $(call lib,codes)
GATEWAY_LIBS := $(MHD_LIBS) $(JANSSON_LIBS) $(ZMQ_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) \
	$(IDN2_LIBS) -lm
GATEWAY_CFLAGS := $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(ZMQ_CFLAGS)

# oshirase, the operator's tool (installed)
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/oshirase/*.c)) \
	$(BUILD)/daemon/queue/outlog.o $(BUILD)/daemon/queue/outlog_open.o \
	$(BASE_OBJS) $(MAIL_OBJS) $(call lib,curve) $(SEAL_OBJS) $(STORE_OBJS) $(RULES_OBJS) $(RENDER_OBJS)
CLI_LIBS := $(LMDB_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) $(CSV_LIBS) $(IDN2_LIBS) -lm
CLI_CFLAGS := $(LMDB_CFLAGS) $(CSV_CFLAGS) -Itools/oshirase -Idaemon/queue

# oshirase-audit, the auditor's program: the log's format, the Merkle code,
# small utilities; no writer, store, network, config or pseudonym key
# (installed; `oshirase audit` runs it)
AUDIT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/audit/*.c)) \
	$(call lib,util log dates) $(SEAL_OBJS)
AUDIT_LIBS := $(SODIUM_LIBS)
AUDIT_CFLAGS := $(SODIUM_CFLAGS)

# test and demo programs: built beside the others, never installed
# oshirase-gen: gen_main.c is its main, the rest gen_main() (tests call it)
GEN_CORE_OBJS := $(addprefix $(BUILD)/tests/tools/,gen.o gen_household.o gen_attrs.o gen_rows.o)
GEN_OBJS := $(BUILD)/tests/tools/gen_main.o $(GEN_CORE_OBJS) $(BASE_OBJS)
GEN_LIBS := $(SODIUM_LIBS) $(INIH_LIBS)
EMU_OBJS := $(addprefix $(BUILD)/tests/tools/,lineemu.o lineemu_http.o lineemu_api.o \
	lineemu_state.o lineemu_residents.o) $(BASE_OBJS)
EMU_LIBS := $(MHD_LIBS) $(JANSSON_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) $(CURL_LIBS)
EMU_CFLAGS := $(MHD_CFLAGS) $(JANSSON_CFLAGS)
DRIVE_OBJS := $(BUILD)/tests/tools/sender_drive.o \
	$(filter-out $(BUILD)/daemon/sender/main.o,$(SENDER_OBJS))
DRIVE_LIBS := $(SENDER_LIBS)
ACTDRIVE_OBJS := $(BUILD)/tests/tools/action_drive.o $(BASE_OBJS) $(WIRE_OBJS) \
	$(STORE_OBJS)
ACTDRIVE_LIBS := $(ZMQ_LIBS) $(LMDB_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) -lm

# what the unit tests link: every library module and the objects of the
# programs whose insides they test
TEST_OBJS := $(sort $(BASE_OBJS) $(MAIL_OBJS) $(WIRE_OBJS) $(SEAL_OBJS) $(STORE_OBJS) \
	$(RULES_OBJS) $(RENDER_OBJS) $(GEN_CORE_OBJS) \
	$(filter-out %/main.o %/oshirase.o,$(QUEUE_OBJS) $(SENDER_OBJS) $(CLI_OBJS) \
	$(GATEWAY_OBJS)))
TEST_LIBS := $(LMDB_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) $(CSV_LIBS) $(ZMQ_LIBS) \
	$(CURL_LIBS) $(JANSSON_LIBS) $(MHD_LIBS) $(SYSTEMD_LIBS) $(IDN2_LIBS) $(CMOCKA_LIBS) -lm
TEST_CFLAGS := $(CMOCKA_CFLAGS) -Idaemon/queue -Idaemon/sender -Itools/oshirase \
	-Itests/tools -Idaemon/gateway

IPROGS := $(BUILD)/oshirased $(BUILD)/oshirase-sender $(BUILD)/oshirase \
	$(BUILD)/oshirase-audit $(BUILD)/oshirase-gateway
TPROGS := $(BUILD)/oshirase-gen $(BUILD)/oshirase-line-emulator
PROGS := $(IPROGS) $(TPROGS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check bench install clean fuzz unit demo
all: $(PROGS)
	@ln -sf $(BUILD)/oshirase oshirase

# per-folder compile flags: each role's folder sees its own libraries
$(BUILD)/daemon/queue/%.o: XFLAGS = $(QUEUE_CFLAGS)
$(BUILD)/daemon/sender/%.o: XFLAGS = $(SENDER_CFLAGS)
$(BUILD)/daemon/gateway/%.o: XFLAGS = $(GATEWAY_CFLAGS)
$(BUILD)/daemon/lib/%.o: XFLAGS = $(LMDB_CFLAGS) $(ZMQ_CFLAGS) $(SODIUM_CFLAGS) $(INIH_CFLAGS) $(IDN2_CFLAGS)
$(BUILD)/tools/%.o: XFLAGS = $(CLI_CFLAGS)
$(BUILD)/tools/audit/%.o: XFLAGS = $(AUDIT_CFLAGS)
$(BUILD)/tests/tools/%.o: XFLAGS = $(EMU_CFLAGS) $(ZMQ_CFLAGS) $(CURL_CFLAGS) -Idaemon/sender
$(BUILD)/%.o: %.c | $(BUILD)/paths.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(XFLAGS) -c -o $@ $<

# The install paths compiled in, rewritten only when they change, so that
# `make install PREFIX=...` rebuilds what uses them.
$(BUILD)/paths.h: FORCE
	@mkdir -p $(BUILD)
	@printf '#define OSHIRASE_RULES_DIR "%s"\n#define OSHIRASE_SYSCONFDIR "%s"\n' \
		'$(SHAREDIR)/rules' '$(SYSCONFDIR)' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
.PHONY: FORCE

$(BUILD)/oshirased: $(QUEUE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(QUEUE_LIBS)
$(BUILD)/oshirase-sender: $(SENDER_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SENDER_LIBS)
$(BUILD)/oshirase-gateway: $(GATEWAY_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(GATEWAY_LIBS)
$(BUILD)/oshirase: $(CLI_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CLI_LIBS)
$(BUILD)/oshirase-audit: $(AUDIT_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(AUDIT_LIBS)
$(BUILD)/oshirase-gen: $(GEN_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(GEN_LIBS)
$(BUILD)/oshirase-line-emulator: $(EMU_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EMU_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TEST_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(TEST_OBJS) $(TEST_LIBS)

unit: $(UNIT_BINS)

# Programs the integration scripts drive (not unit tests themselves).
TEST_HELPERS := $(BUILD)/tests/sender_drive $(BUILD)/tests/seal_drive \
	$(BUILD)/tests/action_drive
$(BUILD)/tests/sender_drive: $(DRIVE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DRIVE_LIBS)
$(BUILD)/tests/action_drive: $(ACTDRIVE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ACTDRIVE_LIBS)
# seal_drive: records appended to a sealed log, for the auditor's tests
SEAL_DRIVE_OBJS := $(BUILD)/tests/tools/seal_drive.o $(BUILD)/daemon/queue/outlog.o \
	$(BUILD)/daemon/queue/outlog_open.o $(BASE_OBJS) $(SEAL_OBJS)
$(BUILD)/tests/tools/seal_drive.o: XFLAGS = $(LMDB_CFLAGS) -Idaemon/queue
$(BUILD)/tests/seal_drive: $(SEAL_DRIVE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LMDB_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) -lm

check: $(PROGS) $(UNIT_BINS) $(TEST_HELPERS)
	@OSHIRASE=$(CURDIR)/$(BUILD)/oshirase BUILD=$(CURDIR)/$(BUILD) \
		sh tests/run-tests.sh $(abspath $(UNIT_BINS))

demo: all
	@sh tools/demo.sh $(RESIDENTS)

BENCH_OBJS := $(BASE_OBJS) $(SEAL_OBJS) $(STORE_OBJS) $(BUILD)/daemon/queue/outlog.o \
	$(BUILD)/daemon/queue/outlog_open.o
BENCH_LIBS := $(LMDB_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) -lm
$(BUILD)/bench-handwritten: tests/bench/handwritten.c $(BENCH_OBJS)
	$(CC) $(ALL_CFLAGS) $(LMDB_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(BENCH_LIBS)

$(BUILD)/bench-cutoffs: tests/bench/cutoffs.c $(BENCH_OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(BENCH_LIBS)

$(BUILD)/bench-seal: tests/bench/sealbench.c $(BENCH_OBJS)
	$(CC) $(ALL_CFLAGS) -Idaemon/queue $(ALL_LDFLAGS) -o $@ $^ $(BENCH_LIBS)

$(BUILD)/bench-lineloop: tests/bench/lineloop.c
	$(CC) $(ALL_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(CURL_LIBS) \
		$(JANSSON_LIBS) $(SODIUM_LIBS)

$(BUILD)/bench-webhook: tests/bench/webhookbench.c $(BENCH_OBJS)
	$(CC) $(ALL_CFLAGS) $(LMDB_CFLAGS) $(CURL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(BENCH_LIBS) \
		$(CURL_LIBS)

bench: all $(BUILD)/bench-handwritten $(BUILD)/bench-cutoffs $(BUILD)/bench-seal $(BUILD)/bench-lineloop \
	$(BUILD)/bench-webhook
	@sh tests/bench/run.sh $(CURDIR)/$(BUILD)/oshirase
	@sh tests/bench/log.sh $(CURDIR)/$(BUILD)/oshirase $(CURDIR)/$(BUILD)/bench-seal
	@sh tests/bench/webhook.sh $(CURDIR)/$(BUILD)/oshirase

# libFuzzer targets (clang; tests/fuzz/README.md):
#   make fuzz [FUZZ_SECONDS=20]             each target for a short time (CI)
#   make fuzz-long [FUZZ_LONG_SECONDS=3600] [FUZZ_RUNS=10000000]
#                                         each for longer, or until so many
#                                         inputs, whichever comes first
# Each prints its executions, executions per second and edges covered;
# either fails on a crash, a leak, a timeout or running out of memory.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_LONG_SECONDS ?= 3600
FUZZ_RUNS ?=
FUZZ_BUILD := build-fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -pthread -I$(BUILD) \
	-Idaemon/lib -Itools/oshirase -Idaemon/gateway $(LMDB_CFLAGS) $(SODIUM_CFLAGS) \
	$(INIH_CFLAGS) $(CSV_CFLAGS) $(ZMQ_CFLAGS) $(JANSSON_CFLAGS)
FUZZ_SAN := address,undefined
FUZZ_LIBS := $(LMDB_LIBS) $(SODIUM_LIBS) $(INIH_LIBS) $(CSV_LIBS) $(ZMQ_LIBS) $(IDN2_LIBS) \
	$(JANSSON_LIBS) -lm
# the gateway's pure parsers (webhook.c, forms.c) beside the library
FUZZ_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(wildcard daemon/lib/*.c) \
	tools/oshirase/csvin.c daemon/gateway/webhook.c daemon/gateway/forms.c)
# the modules, instrumented once for every target
$(FUZZ_BUILD)/obj/%.o: %.c | $(BUILD)/paths.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c -o $@ $<
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_OBJS) $(FUZZ_LIBS)
.SECONDARY: $(FUZZ_OBJS)
.PHONY: fuzz-build fuzz-long
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)
fuzz-long: fuzz-build
	@FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/run.sh $(FUZZ_LONG_SECONDS) $(FUZZ_BINS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/rules
	install -m 0755 $(IPROGS) $(DESTDIR)$(BINDIR)/
	install -m 0644 rules/*.ini $(DESTDIR)$(SHAREDIR)/rules/
	@echo "installed; the default config path is $(SYSCONFDIR)/oshirase.conf"


clean:
	rm -rf build build-san* build-fuzz oshirase

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
