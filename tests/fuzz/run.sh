#!/bin/sh
# run.sh SECONDS TARGET... - run each libFuzzer target (build-fuzz/fuzz_*)
# for SECONDS (or until $FUZZ_RUNS inputs, if set, whichever comes
# first) on its seeds, one after the other, and print a line per
# target: executions, executions per second, edges covered (libFuzzer's
# cov), corpus size.  Exits 1 if a target crashed, leaked, timed out or
# ran out of memory (its log's end is printed, the input that did it is
# build-fuzz/NAME-crash-*, -leak-*, -timeout-* or -oom-*).
# SPDX-License-Identifier: MIT
#
# The corpus each target grows is build-fuzz/corpus-NAME (kept between
# runs); its seeds are read from the directories below, never written.
set -u
cd "$(dirname "$0")/../.."
secs=$1
shift
fail=0
# the targets' files on a tmpfs where there is one
tmp=$(mktemp -d /dev/shm/oshirase-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"
printf '%-14s %12s %9s %7s %7s  %s\n' target execs exec/s edges corpus limit
for bin; do
	name=$(basename "$bin")
	opts=""
	case $name in
	# rules: libFuzzer's entropic schedule spent three quarters of the
	# time counting this target's many features; the plain one runs
	# 3.5 times as many inputs
	fuzz_rules) seeds="tests/fuzz/corpus-rules rules" maxlen=8192 opts=-entropic=0 ;;
	fuzz_config) seeds="tests/fuzz/corpus-config" maxlen=8192 ;;
	fuzz_job) seeds="tests/fuzz/corpus-job" maxlen=4096 ;;
	fuzz_csvin) seeds="tests/data" maxlen=4096 ;;
	fuzz_records) seeds="rules" maxlen=4096 ;;
	*) seeds="tests/fuzz/corpus-${name#fuzz_}" maxlen=4096 ;;
	esac
	corpus=build-fuzz/corpus-$name
	log=build-fuzz/$name.log
	mkdir -p "$corpus"
	# -close_fd_mask=3: the targets' own messages (bad rows, bad rule
	# files) are not written; libFuzzer's and the sanitizers' still are
	# shellcheck disable=SC2086
	OSHIRASE_VOCAB=rules/vocabulary.ini "$bin" -max_total_time="$secs" \
	    -max_len=$maxlen -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
	    -print_final_stats=1 -artifact_prefix="build-fuzz/$name-" $opts \
	    ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
	    "$corpus" $seeds >"$log" 2>&1
	st=$?
	# the rule seeds must load, or the evaluators are never reached
	if [ "$name" = fuzz_rules ] && [ $st -eq 0 ]; then
		FUZZ_RULES_LOADED=$tmp/loaded OSHIRASE_VOCAB=rules/vocabulary.ini \
		    "$bin" -runs=0 -max_len=$maxlen -close_fd_mask=3 $seeds >/dev/null 2>&1
		read -r nl nr <"$tmp/loaded" || nl=0
		echo "fuzz_rules: $nl of ${nr:-?} seed files load as programs"
		[ "${nl:-0}" -gt 0 ] || { echo "fuzz_rules: no seed loads"; st=1; }
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	units=$(grep -ao 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	printf '%-14s %12s %9s %7s %7s  %s\n' "$name" "${execs:-?}" "${rate:-?}" \
	    "${cov:-?}" "${units:-?}" "${secs}s${FUZZ_RUNS:+/$FUZZ_RUNS}"
	if [ $st -ne 0 ]; then
		echo "$name: exit $st; the end of $log:"
		tail -40 "$log"
		fail=1
	fi
done
exit $fail
