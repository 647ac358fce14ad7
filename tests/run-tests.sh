#!/bin/sh
# run-tests.sh - run the unit test binaries given as arguments and every
# tests/integration/*.sh script; count TAP lines ("ok" / "not ok") and end
# with the summary line "check: N passed, N failed, N skipped".
# SPDX-License-Identifier: MIT
#
# Unit tests use cmocka with TAP output.  Integration scripts print TAP lines
# through tests/integration/lib.sh and exit 0 (pass), 77 (skip) or other
# (fail, 99 by convention).  A script or binary that fails without printing
# a "not ok" line still counts as one failure.  Lines "# show: TEXT" are
# printed under the script's PASS or FAIL line.
#
# The integration scripts run TEST_JOBS at a time (default 2; most of
# their time is waiting on daemons, servers and clocks, not CPU), the
# longest first; each has its own temporary directory and free ports.
# Their results are reported in name order once all have ended.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export CMOCKA_MESSAGE_OUTPUT=TAP
export TOP="$top"
: "${OSHIRASE:=$top/build/oshirase}"
export OSHIRASE
# run_script NAME: one integration script, its output in $log/NAME.out,
# its exit status in $log/NAME.rc (xargs runs this file so, below)
run_script() {
	t0=$(date +%s)
	sh "$top/tests/integration/$1.sh" >"$log/$1.out" 2>&1
	rc=$?
	echo "# show: $1 took $(( $(date +%s) - t0 )) s" >>"$log/$1.out"
	echo $rc >"$log/$1.rc"
}
if [ "${1-}" = --run-script ]; then
	log=$2
	run_script "$3"
	exit 0
fi
log=$(mktemp -d "${TMPDIR:-/tmp}/oshirase-check.XXXXXX")
pass=0 fail=0 skip=0
failed_names=""

count() {	# $1 = name, $2 = exit status, $3 = output file
	p=$(grep -c '^ok ' "$3")
	f=$(grep -c '^not ok ' "$3")
	s=$(grep -c '^ok .*# [Ss][Kk][Ii][Pp]' "$3")
	p=$((p - s))
	if [ "$2" -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP $1"; return
	fi
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $1 ($p passed, $f failed)"
		grep -A20 '^not ok ' "$3" | head -60
		failed_names="$failed_names $1"
	else
		echo "PASS $1 ($p passed)"
	fi
	# figures a script wants seen in the summary
	sed -n 's/^# show: /     /p' "$3"
}

for bin in "$@"; do
	name=$(basename "$bin")
	out="$log/$name.out"
	(cd "$log" && "$bin") >"$out" 2>&1
	count "$name" $? "$out"
done
scripts=""
for script in "$top"/tests/integration/*.sh; do
	[ -e "$script" ] || continue
	case $(basename "$script") in lib.sh) continue ;; esac
	scripts="$scripts $(basename "$script" .sh)"
done
# the long ones first, so that the short ones fill in beside them
long="deliver crash daemon audit"
order=""
for n in $long; do
	case " $scripts " in *" $n "*) order="$order $n" ;; esac
done
for n in $scripts; do
	case " $long " in *" $n "*) ;; *) order="$order $n" ;; esac
done
# shellcheck disable=SC2086
printf '%s\n' $order | xargs -P "${TEST_JOBS:-2}" -n 1 \
    sh "$top/tests/run-tests.sh" --run-script "$log"
for name in $scripts; do
	count "$name" "$(cat "$log/$name.rc" 2>/dev/null || echo 99)" "$log/$name.out"
done
if [ -z "$failed_names" ]; then
	rm -rf "$log"
else
	echo "logs in $log"
	echo "failed:$failed_names"
fi
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
