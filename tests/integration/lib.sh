# lib.sh - helpers for integration scripts (sourced, POSIX sh)
# SPDX-License-Identifier: MIT
#
# Each script: . "$TOP/tests/integration/lib.sh", then calls ok/not_ok (or
# check CMD...) once per case, and ends with `finish`, which exits 0 when
# every case passed and 99 otherwise.  Every script gets its own temporary
# directory $T, removed at exit.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OSHIRASE:=$TOP/build/oshirase}"
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
# import_city DB [CONTACTS]: a store $T/DB with its contact keys, the city's
# residents and contacts (default $T/city/contacts.csv) imported; rules $R.
import_city() {
	"$OSHIRASE" keygen --contacts --db "$T/$1" -q &&
	"$OSHIRASE" import residents "$T/city/residents.csv" --db "$T/$1" --key "$T/key" \
	    --rules "$R" --date "$D" -q &&
	"$OSHIRASE" import contacts "${2:-$T/city/contacts.csv}" --db "$T/$1" --key "$T/key" -q
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
# line_token: the channel access token for the daemon ($T/line-token, 0600)
# and the emulator ($T/emu-token).
line_token() {
	echo "line-token-$$" >"$T/line-token"
	chmod 600 "$T/line-token"
	cp "$T/line-token" "$T/emu-token"
}
