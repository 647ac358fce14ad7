#!/bin/sh
# rules_limits.sh - a rule file cannot crash or exhaust what loads it
# (`oshirase rules check`, `oshirased -n`, a running oshirased on SIGHUP):
# deep nesting, long chains and large files get an error naming the file
# and line, quickly and in bounded memory; a condition that holds for no
# one (`age in 74..40`) is an error too.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

# lim CMD...: CMD in at most 100 MB of address space and 20 s (a sanitizer
# build reserves terabytes of shadow: time only).
if ldd "$OSHIRASE" 2>/dev/null | grep -q 'lib[at]san'; then
	lim() { timeout 20 "$@"; }
else
	lim() { (ulimit -v 102400 && exec timeout 20 "$@"); }
fi
# rule_dir NAME: a rules directory $T/NAME holding the vocabulary and the
# program $T/NAME/p.ini, whose [eligible] section is standard input.
rule_dir() {
	mkdir -p "$T/$1"
	cp "$R/vocabulary.ini" "$T/$1/"
	{
		printf '[program]\nid = p\nname_ja = x\nname_en = x\ndepartment = welfare\n'
		printf 'category = health\nsubject = person\ncycle = fy\ntax = no\n'
		printf 'page = x.html\n[eligible]\n'
		cat
		printf '[message]\nja = {name}：{who}は対象となる可能性があります。\n'
		printf 'en = {name}: {Who} may qualify.\n'
	} >"$T/$1/p.ini"
}
# clause N FIRST EACH LAST: `when = FIRST`, N times EACH (%d its number)
# over continuation lines of about 100 bytes, then LAST.
clause() {
	awk -v n="$1" -v first="$2" -v each="$3" -v last="$4" 'BEGIN {
		line = "when = " first
		for (i = 1; i <= n; i++) {
			if (length(line) > 100) { print line; line = " " }
			line = line sprintf(each, i)
		}
		print line last
	}'
}
# at NAME RE: the first line of $T/NAME/p.ini matching RE.
at() { grep -n -- "$2" "$T/$1/p.ini" | head -1 | cut -d: -f1; }
# quick DESC NAME WANT: `rules check` of $T/NAME exits 65 within the
# limits, its error matching WANT; the time it took in $MS.
quick() {
	_t0=$(date +%s%N)
	expect_status 65 "$1: rules check exits 65 within 100 MB and 20 s" \
	    lim "$OSHIRASE" rules check "$T/$2"
	MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
	grep -q -- "$3" "$T/.err" && ok "$1: the error names the file and line (${MS} ms)" ||
		not_ok "$1: wanted '$3' in: $(head -3 "$T/.err")"
}

# ---- 1. nesting, terms and size ---------------------------------------------
# 70,000 nested `not` crashed every program that loaded them (stack
# overflow); the file is past the size limit, and 33 are nested too deep.
clause 70000 "" " not" " age > 3" | rule_dir deep
size=$(wc -c <"$T/deep/p.ini")
quick "70,000 nested not ($size bytes)" deep \
    "^$T/deep/p.ini:[0-9]*: the file is $size bytes and goes past 65536 here"
clause 33 "" " not" " age > 3" | rule_dir not33
quick "33 nested not" not33 "^$T/not33/p.ini:$(at not33 '^ .*not age'):[0-9]*: nested more than 32 deep"
clause 40 "" " (" "age > 3" | sed '$s/$/))))))))))))))))))))))))))))))))))))))))/' | rule_dir paren40
quick "40 nested parentheses" paren40 "^$T/paren40/p.ini:[0-9]*:[0-9]*: nested more than 32 deep"
# An or of 10,000 terms took 3 GB (of 30,000, the OOM killer); 3,000
# still fit a file, but not the terms a file may hold.
clause 10000 "age = 0" " or age = %d" "" | rule_dir or10000
quick "an or of 10,000 terms" or10000 "^$T/or10000/p.ini:[0-9]*: the file is [0-9]* bytes and goes past 65536"
clause 3000 "age = 0" " or age = %d" "" | rule_dir or3000
quick "an or of 3,000 terms" or3000 \
    "^$T/or3000/p.ini:[0-9]*:[0-9]*: more than 1024 terms in the \`when\` clauses of this file"
[ "$MS" -lt 5000 ] && ok "the 3,000 terms are refused in ${MS} ms" || not_ok "3,000 terms: ${MS} ms"
# A good program padded with comments past 64 KiB.
{ echo 'when = age > 3'; awk 'BEGIN { for (i = 0; i < 20000; i++) print "; padding padding padding" }'; } |
	rule_dir big
quick "a rule file of $(wc -c <"$T/big/p.ini") bytes" big \
    "^$T/big/p.ini:$(($(awk '{ n += length($0) + 1; if (n > 65536) { print NR; exit } }' "$T/big/p.ini"))): the file is"
# 250 terms in one or are within the limits, and load.
clause 250 "age = 0" " or age = %d" "" | rule_dir or250
expect_status 0 "an or of 250 terms loads" lim "$OSHIRASE" rules check "$T/or250"

# ---- 2. conditions that hold for no one --------------------------------------
echo 'when = age in 74..40' | rule_dir range
quick "age in 74..40" range "^$T/range/p.ini:$(at range 'in 74'):15: the range 74..40 is empty"
printf 'when = age >= 75\nwhen = sex = 2 and age < 40\n' | rule_dir contra
quick "age >= 75 and, on the next line, age < 40" contra \
    "^$T/contra/p.ini:$(at contra 'age < 40'):[0-9]*: age >= 75 (line $(at contra 'age >= 75')) and age < 40 (line $(at contra 'age < 40')) never both hold"

# ---- 3. the daemon: oshirased -n, and a reload on SIGHUP ---------------------
printf '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n' >"$T/key"
chmod 600 "$T/key"
D=2026-11-23
"$OSHIRASE" keygen --contacts --db "$T/db" -q &&
	imp_res "$TOP/tests/data/small-residents.csv" "$T/db" -q || not_ok "import"
mkdir -p "$T/live"
cp "$R"/*.ini "$T/live/"
conf() {	# NAME RULES: $T/NAME.conf on the store $T/db
	printf '[store]\ndb = %s\n[rules]\ndir = %s\n[senders]\nworkers = 0\n' "$T/db" "$2" >"$T/$1.conf"
	printf 'jobs = ipc://%s/j\nresults = ipc://%s/r\n' "$T" "$T" >>"$T/$1.conf"
}
conf deep "$T/deep"
expect_status 65 "oshirased -n on the 70,000 nested not: exit 65" lim "$OSHIRASED" -n -c "$T/deep.conf"
grep -q "^$T/deep/p.ini:[0-9]*: the file is" "$T/.err" && ok "oshirased -n names the file and line" ||
	not_ok "oshirased -n: $(head -3 "$T/.err")"
conf or3000 "$T/or3000"
expect_status 65 "oshirased -n on the or of 3,000 terms: exit 65" lim "$OSHIRASED" -n -c "$T/or3000.conf"
conf live "$T/live"
"$OSHIRASED" -c "$T/live.conf" >"$T/live.out" 2>"$T/live.err" &
DPID=$!
PIDS="$PIDS $DPID"
until_ok 20 grep -q "messages made" "$T/live.err" || not_ok "the daemon did not start: $(cat "$T/live.err")"
nrel=0
for case in "deep:goes past 65536" "not33:nested more than 32" "or3000:more than 1024 terms"; do
	bad=${case%%:*}
	cp "$T/$bad/p.ini" "$T/live/p.ini"
	nrel=$((nrel + 1))
	kill -HUP $DPID
	until_ok 20 eval '[ "$(grep -c "reload failed" "$T/live.err")" -ge $nrel ]'
	kill -0 $DPID 2>/dev/null && grep -q "^$T/live/p.ini:[0-9:]* .*${case#*:}" "$T/live.err" &&
		ok "SIGHUP with the $bad rule file: the daemon runs on, \"reload failed\" and the error logged" ||
		not_ok "SIGHUP with $bad: $(tail -3 "$T/live.err")"
done
kill -TERM $DPID
until_ok 20 eval '! kill -0 $DPID 2>/dev/null'
wait $DPID
rc=$?
[ $rc -eq 0 ] && ok "and stops with exit 0" || not_ok "the daemon exited $rc"
finish
