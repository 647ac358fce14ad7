# lib.sh - helpers for integration scripts (sourced, POSIX sh)
# SPDX-License-Identifier: MIT
#
# Each script: . "$TOP/tests/integration/lib.sh", then calls ok/not_ok (or
# check CMD...) once per case, and ends with `finish`, which exits 0 when
# every case passed and 99 otherwise.  Every script gets its own temporary
# directory $T, removed at exit.
#
# RULES is the rules directory the scripts test with (default rules/); a
# script that needs the shipped rule set reads it there, so that a copy
# with a program more or less runs the same tests (newprogram.sh).
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OSHIRASE:=$TOP/build/oshirase}"
: "${RULES:=$TOP/rules}"
# The other programs, built beside it: the queue, the sender, and the test
# programs (a synthetic city, the LINE emulator).
_bin=$(dirname "$OSHIRASE")
: "${OSHIRASED:=$_bin/oshirased}"
: "${OSHIRASE_SENDER:=$_bin/oshirase-sender}"
: "${OSHIRASE_GEN:=$_bin/oshirase-gen}"
: "${OSHIRASE_EMU:=$_bin/oshirase-line-emulator}"
T=$(mktemp -d "${TMPDIR:-/tmp}/oshirase-it.XXXXXX")
_n=0 _failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
# expect_status WANT DESC CMD... : run CMD, compare its exit status.
expect_status() {
	_want=$1 _desc=$2; shift 2
	"$@" >"$T/.out" 2>"$T/.err"
	_got=$?
	if [ "$_got" -eq "$_want" ]; then ok "$_desc"
	else not_ok "$_desc (exit $_got, want $_want)"; sed 's/^/#   /' "$T/.err" | head -20
	fi
}
# program_ids DIR: the programs of a rules directory, one id a line (the
# names of its rule files, vocabulary.ini aside); program_count DIR: how many.
program_ids() {
	for _f in "$1"/*.ini; do
		_f=${_f##*/}
		[ "$_f" = vocabulary.ini ] || echo "${_f%.ini}"
	done
}
program_count() { program_ids "$1" | wc -l; }
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
finish() { echo "1..$_n"; [ "$_failed" -eq 0 ] && exit 0; exit 99; }

# Servers on loopback for the delivery tests.  Each started one is killed
# at exit (PIDS).
PIDS=""
trap 'for _p in $PIDS; do kill "$_p" 2>/dev/null; done; rm -rf "$T"' EXIT
PY=/usr/bin/python3
# wait_for FILE: poll until FILE is not empty (10 s); 1 if it never is.
wait_for() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s "$1" ]
}
# until_ok SECONDS CMD...: run CMD every 50 ms until it succeeds; 1 if it
# never does within SECONDS.
until_ok() {
	_w=$(($1 * 20)); shift
	until "$@"; do
		[ $_w -gt 0 ] || return 1
		_w=$((_w - 1)); sleep 0.05
	done
}
# emulator NAME ARGS...: `oshirase-line-emulator` with token $T/emu-token,
# recording to $T/NAME.record; sets EMU (base URL) and EMU_PID.
emulator() {
	_name=$1; shift
	[ -s "$T/emu-token" ] || { echo "test-token-$$" >"$T/emu-token"; }
	rm -f "$T/$_name.port"
	"$OSHIRASE_EMU" --token-file "$T/emu-token" \
		--port-file "$T/$_name.port" --record "$T/$_name.record" "$@" \
		>"$T/$_name.out" 2>"$T/$_name.err" &
	EMU_PID=$!
	PIDS="$PIDS $EMU_PID"
	wait_for "$T/$_name.port" || { echo "# emulator $_name did not start"; cat "$T/$_name.err"; }
	EMU="http://127.0.0.1:$(cat "$T/$_name.port")"
	touch "$T/$_name.record"
}
# emu_faults JSON: change the emulator's faults; emu_stat NAME: a counter.
emu_faults() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$EMU/emulator/faults" >/dev/null; }
emu_stat() { curl -sf "$EMU/emulator/stats" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
# smtp_sink DIR: aiosmtpd saving messages to DIR; sets SMTP_PORT.
smtp_sink() {
	mkdir -p "$1"
	SMTP_PORT=$("$PY" "$TOP/tests/integration/smtp_sink.py" --free-port)
	PYTHONPATH=$TOP/tests/integration "$PY" -m aiosmtpd -n \
		-l "127.0.0.1:$SMTP_PORT" -c smtp_sink.Sink "$1" >"$1.log" 2>&1 &
	PIDS="$PIDS $!"
	"$PY" "$TOP/tests/integration/smtp_sink.py" --wait 127.0.0.1 "$SMTP_PORT"
}
# gen_city N SEED: a synthetic city of N residents in $T/city (date $D) and
# a pseudonymisation key in $T/key.
gen_city() {
	mkdir -p "$T/city"
	"$OSHIRASE_GEN" --residents "$1" --seed "$2" --date "$D" --out "$T/city" 2>/dev/null &&
	"$OSHIRASE" keygen --out "$T/key" -q
}
# R: the rules directory the imports below read the vocabulary from; $RULES
# unless the script sets its own.
R=$RULES
# imp_res FILE DB [ARGS...] / imp_con FILE DB [ARGS...]: import residents
# (with the vocabulary of $R) or contacts into the store DB, with the key
# $T/key and the date $D.
imp_res() {
	_f=$1 _db=$2; shift 2
	"$OSHIRASE" import residents "$_f" --db "$_db" --key "$T/key" --rules "$R" --date "$D" "$@"
}
imp_con() {
	_f=$1 _db=$2; shift 2
	"$OSHIRASE" import contacts "$_f" --db "$_db" --key "$T/key" --date "$D" "$@"
}
# import_city DB [CONTACTS]: a store $T/DB with its contact keys, the city's
# residents and contacts (default $T/city/contacts.csv) imported; rules $R.
import_city() {
	"$OSHIRASE" keygen --contacts --db "$T/$1" -q &&
	imp_res "$T/city/residents.csv" "$T/$1" -q &&
	imp_con "${2:-$T/city/contacts.csv}" "$T/$1" -q
}
# pseudonym_of ID: the pseudonym of a resident or household id under $T/key.
pseudonym_of() { "$OSHIRASE" pseudonym --key "$T/key" "$1" | cut -f2; }
# test_program DIR ID CATEGORY TAX CONDITION...: a rule file DIR/ID.ini for
# everyone of whom every CONDITION (a `when` line each) holds: a `person`
# program of the cycle `fy`, with a message and no test cases.
test_program() {
	_dir=$1 _id=$2 _cat=$3 _tax=$4; shift 4
	{
		printf '[program]\nid = %s\nname_ja = テスト%s\nname_en = test %s\n' "$_id" "$_id" "$_id"
		printf 'department = welfare\ncategory = %s\nsubject = person\n' "$_cat"
		printf 'cycle = fy\ntax = %s\npage = test/%s.html\n[eligible]\n' "$_tax" "$_id"
		for _w; do printf 'when = %s\n' "$_w"; done
		printf '[message]\nja = {name}：{who}は対象となる可能性があります。{url}（{department}）\n'
		printf 'en = {name}: {Who} may qualify. {url} ({department})\n'
	} >"$_dir/$_id.ini"
}
# line_city N SEED DB: a city of N residents (gen_city) whose contacts are
# its LINE rows only ($T/contacts.csv), imported into $T/DB; the pseudonyms
# of those contacts' residents in $T/pseudonyms, what a run on $D would
# send (`match --dry-run`, rules $R) in $T/dry.
line_city() {
	gen_city "$1" "$2" &&
	grep -v ',email,' "$T/city/contacts.csv" >"$T/contacts.csv" &&
	import_city "$3" "$T/contacts.csv" &&
	tail -n +2 "$T/contacts.csv" | cut -d, -f1 | sort -u |
		"$OSHIRASE" pseudonym --key "$T/key" - >"$T/pseudonyms" &&
	"$OSHIRASE" match --dry-run --db "$T/$3" --rules "$R" --date "$D" >"$T/dry"
}
# ini_merge BASE EXTRA: the config BASE with the keys EXTRA sets taken
# out, then EXTRA: a key EXTRA gives again replaces BASE's (a config sets
# each key once).
ini_merge() {
	awk 'function sec(l) { s = l; sub(/^[ \t]*\[/, "", s); sub(/\].*/, "", s); return s }
	     function key(l) { k = l; sub(/[ \t]*=.*/, "", k); return k }
	     /^[ \t]*\[/ { cur = sec($0) }
	     FILENAME == ARGV[1] { if ($0 ~ /^[A-Za-z_]+[ \t]*=/) set[cur SUBSEP key($0)] = 1; next }
	     $0 ~ /^[A-Za-z_]+[ \t]*=/ && ((cur SUBSEP key($0)) in set) { next }
	     { print }' "$2" "$1"
	cat "$2"
}
# line_token: the channel access token for the daemon ($T/line-token, 0600)
# and the emulator ($T/emu-token).
line_token() {
	echo "line-token-$$" >"$T/line-token"
	chmod 600 "$T/line-token"
	cp "$T/line-token" "$T/emu-token"
}
