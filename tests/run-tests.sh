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
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export CMOCKA_MESSAGE_OUTPUT=TAP
export TOP="$top"
: "${OSHIRASE:=$top/build/oshirase}"
export OSHIRASE
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
for script in "$top"/tests/integration/*.sh; do
	[ -e "$script" ] || continue
	case $(basename "$script") in lib.sh) continue ;; esac
	name=$(basename "$script" .sh)
	out="$log/$name.out"
	t0=$(date +%s)
	sh "$script" >"$out" 2>&1
	rc=$?
	echo "# show: $name took $(( $(date +%s) - t0 )) s" >>"$out"
	count "$name" $rc "$out"
done
if [ -z "$failed_names" ]; then
	rm -rf "$log"
else
	echo "logs in $log"
	echo "failed:$failed_names"
fi
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
