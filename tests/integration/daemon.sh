#!/bin/sh
# daemon.sh - oshirased's life cycle, as an operator running it under
# systemd relies on it: `-n` and the exit statuses; Type=notify (READY=1
# once ready, WATCHDOG=1 every half period, STOPPING=1); the day's match
# at [match] time, once a day; SIGHUP (a broken set refused whole, the
# daemon going on with the last good one; a good set taken); SIGTERM
# draining what is in flight.  On a small synthetic city whose contacts
# are all LINE, against the LINE emulator; the systemd end of sd_notify
# is notify_sink.py.  The daemon sends nothing itself: as the sender units
# would, the test starts an oshirase-sender beside each daemon, over
# ipc:// endpoints in $T.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

[ -x "$OSHIRASED" ] || { not_ok "$OSHIRASED is not built"; finish; }
[ -x "$PY" ] || skip_all "python3 is not installed"
command -v curl >/dev/null || skip_all "curl is not installed (tools/install-deps)"

D=2026-12-01
NPROG=$(program_count "$R")
line_city 300 7 db0 || { not_ok "import"; finish; }
NMSG=$(cut -f2 "$T/dry" | sort -u | wc -l)	# one digest per recipient
[ "$NMSG" -gt 20 ] || { not_ok "dry run: only $NMSG recipients"; finish; }

# A rule file that does not parse, for the rules dirs below.
sed 's/^id = mr-vaccine$/id = mr-vaccine-3/; s/(12 <= months < 24/(12 <= mnths < 24/' \
    "$R/mr-vaccine.ini" >"$T/mr-vaccine-3.ini"
BROKEN_LINE=$(grep -n mnths "$T/mr-vaccine-3.ini" | cut -d: -f1)
BROKEN_COL=$(awk '/mnths/ { print index($0, "mnths") }' "$T/mr-vaccine-3.ini")

# ---- helpers ---------------------------------------------------------------
# conf NAME: write $T/NAME.conf: the store $T/NAME, the rules $T/NAME.rules
# if that exists (else rules/), the emulator $EMU, quick retries and
# job_timeout 10 s, the senders' endpoints ipc://$T/NAME.jobs and
# .results; then the lines on standard input (more sections and keys; a
# key given again replaces the one above: ini_merge).
conf() {
	_rules=$R
	[ -d "$T/$1.rules" ] && _rules=$T/$1.rules
	{ cat <<EOC
[store]
db = $T/$1
[rules]
dir = $_rules
[dispatch]
retry_base = 1
retry_cap = 2
job_timeout = 10
[line]
api = $EMU
token_file = $T/line-token
timeout = 5
[senders]
jobs = ipc://$T/$1.jobs
results = ipc://$T/$1.results
EOC
	} >"$T/$1.base"
	cat >"$T/$1.extra"
	ini_merge "$T/$1.base" "$T/$1.extra" >"$T/$1.conf"
}
# fresh NAME: a copy of the imported store, never matched.
fresh() { rm -rf "$T/$1"; cp -r "$T/db0" "$T/$1"; }
# start NAME ARGS...: oshirased -c $T/NAME.conf ARGS in the background as
# systemd starts a Type=notify service with WatchdogSec=2: NOTIFY_SOCKET
# names a notify_sink.py (options in SINK_ARGS) writing $T/NAME.notify,
# WATCHDOG_USEC=2000000 and WATCHDOG_PID the daemon's pid; and beside it
# an oshirase-sender with the same config ([senders] workers threads,
# log in $T/NAME.sender).  Sets DPID (and SINK_PID and SENDER_PID, which
# reap stops).
SINK_ARGS=""
start() {
	_name=$1; shift
	rm -f "$T/$_name.sock" "$T/$_name.notify"
	"$PY" "$TOP/tests/integration/notify_sink.py" "$T/$_name.sock" \
	    "$T/$_name.notify" $SINK_ARGS &
	SINK_PID=$!
	PIDS="$PIDS $SINK_PID"
	until_ok 10 test -S "$T/$_name.sock"
	NOTIFY_SOCKET=$T/$_name.sock WATCHDOG_USEC=2000000 \
	    sh -c 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"' sh \
	    "$OSHIRASED" -c "$T/$_name.conf" "$@" >"$T/$_name.out" 2>"$T/$_name.err" &
	DPID=$!
	PIDS="$PIDS $DPID"
	"$OSHIRASE_SENDER" -c "$T/$_name.conf" >>"$T/$_name.sender" 2>&1 &
	SENDER_PID=$!
	PIDS="$PIDS $SENDER_PID"
}
# alive PID: the process runs (a zombie does not).
alive() { _s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null); [ -n "$_s" ] && [ "$_s" != Z ]; }
# reap SECONDS: wait for the daemon DPID to exit; RC its status (124: it
# did not within SECONDS and was killed), ELAPSED the seconds it took.
reap() {
	_t0=$(date +%s%N)
	until_ok "$1" eval '! alive $DPID' || kill -KILL "$DPID"
	ELAPSED=$(( ($(date +%s%N) - _t0) / 1000000 ))
	wait "$DPID"; RC=$?
	[ $RC -eq 137 ] && RC=124
	sleep 0.1; kill "$SINK_PID" "$SENDER_PID" 2>/dev/null
	wait "$SENDER_PID" 2>/dev/null
	ELAPSED=$((ELAPSED / 1000)).$(printf %03d $((ELAPSED % 1000)))
}
# notices NAME WHAT: how many datagrams the daemon NAME sent holding WHAT
# (READY=1, WATCHDOG=1, ...).
notices() { cut -f3 "$T/$1.notify" 2>/dev/null | tr '|' '\n' | grep -c "^$2"; }
# watchdogs NAME N: wait (10 s) until the daemon NAME has sent N WATCHDOG=1.
watchdogs() { until_ok 10 eval "[ \"\$(notices $1 WATCHDOG=1)\" -ge $2 ]"; }
# logged NAME RE: how many lines of the daemon's log match RE.
logged() { grep -c -- "$2" "$T/$1.err"; }
# st NAME FIELD: a count of `oshirase status` ("sent", "messages line").
st() { "$OSHIRASE" status --db "$T/$1" | awk -v f="$2" 'index($0, "  " f " ") == 1 { print $NF }'; }
# check_deliveries DESC [--partial] RECORD OUTCOMES: what the emulator
# accepted against the dry run and the outcome log (deliveries.py).
check_deliveries() {
	_desc=$1; shift
	_p=""; [ "$1" = --partial ] && { _p=--partial; shift; }
	if "$PY" "$TOP/tests/integration/deliveries.py" $_p "$T/dry" "$R" \
	    "$T/contacts.csv" "$T/pseudonyms" "$1" - "$2" >"$T/chk" 2>&1; then
		ok "$_desc: $(cat "$T/chk")"
	else
		not_ok "$_desc: $(tail -3 "$T/chk")"
	fi
}

line_token
emulator e0

# ---- 1. oshirased -n and the exit statuses ---------------------------------
fresh good
conf good </dev/null
"$OSHIRASED" -n -c "$T/good.conf" >"$T/n.out" 2>"$T/n.err"
rc=$?
[ $rc -eq 0 ] && grep -q "config and $NPROG rule files are good" "$T/n.out" &&
	ok "-n on a good config and rules: exit 0, \"$(cat "$T/n.out")\"" ||
	not_ok "-n good: exit $rc, $(cat "$T/n.out" "$T/n.err")"
printf '[dispatch]\nretry_base = 1\nwindow_begin = 08:00\n' | conf badkey
"$OSHIRASED" -n -c "$T/badkey.conf" >"$T/n.out" 2>"$T/n.err"
rc=$?
line=$(grep -n window_begin "$T/badkey.conf" | cut -d: -f1)
[ $rc -eq 78 ] && grep -q "^oshirased: $T/badkey.conf:$line: unknown key 'window_begin'" "$T/n.err" &&
	ok "-n on an unknown key: exit 78, FILE:LINE: message" ||
	not_ok "-n unknown key: exit $rc, $(cat "$T/n.err")"
printf '[match]\ntime = 6:00\n' | conf badval
"$OSHIRASED" -n -c "$T/badval.conf" >"$T/n.out" 2>"$T/n.err"
rc=$?
line=$(grep -n '^time = 6:00' "$T/badval.conf" | cut -d: -f1)
[ $rc -eq 78 ] && grep -q "^oshirased: $T/badval.conf:$line: \[match\] time: '6:00' is not a time" "$T/n.err" &&
	ok "-n on a bad value: exit 78, FILE:LINE: message" ||
	not_ok "-n bad value: exit $rc, $(cat "$T/n.err")"
printf '[dispatch]\njob_timeout = 4\n' | conf badrange
"$OSHIRASED" -n -c "$T/badrange.conf" >"$T/n.out" 2>"$T/n.err"
rc=$?
line=$(grep -n '^job_timeout = 4' "$T/badrange.conf" | cut -d: -f1)
[ $rc -eq 78 ] && grep -q "^oshirased: $T/badrange.conf:$line: \[dispatch\] job_timeout: '4' is not an integer in 5\.\." "$T/n.err" &&
	ok "-n on a value out of range: exit 78, FILE:LINE: message" ||
	not_ok "-n out of range: exit $rc, $(cat "$T/n.err")"
for bad in "email url http://relay.example:25 does not start with smtp://" \
    "email from not-an-address is not an email address" \
    "log origin this-origin-is-far-too-long-for-a-checkpoint"; do
	set -- $bad
	printf '[%s]\n%s = %s\n' "$1" "$2" "$3" | conf badsend
	"$OSHIRASED" -n -c "$T/badsend.conf" >"$T/n.out" 2>"$T/n.err"
	rc=$?
	[ $rc -eq 78 ] && grep -q "^oshirased: $T/badsend.conf:[0-9]*: \[$1\] $2: " "$T/n.err" &&
		ok "-n on [$1] $2 that a sender or the log would refuse: exit 78" ||
		not_ok "-n [$1] $2: exit $rc, $(cat "$T/n.err")"
done
mkdir -p "$T/badrules.rules"
cp "$R"/*.ini "$T/mr-vaccine-3.ini" "$T/badrules.rules/"
conf badrules </dev/null
"$OSHIRASED" -n -c "$T/badrules.conf" >"$T/n.out" 2>"$T/n.err"
rc=$?
[ $rc -eq 65 ] && [ ! -s "$T/n.out" ] &&
	grep -q "^$T/badrules.rules/mr-vaccine-3.ini:$BROKEN_LINE:$BROKEN_COL: unknown name 'mnths' (did you mean months?)" "$T/n.err" &&
	ok "-n on a broken rule file: exit 65, FILE:LINE:COLUMN and a suggestion" ||
	not_ok "-n broken rules: exit $rc, $(cat "$T/n.out" "$T/n.err")"
expect_status 66 "-n -c naming a missing file: exit 66" "$OSHIRASED" -n -c "$T/no-such.conf"
grep -q "no-such.conf" "$T/.err" && ok "the missing config file is named" ||
	not_ok "missing config: $(cat "$T/.err")"
expect_status 2 "an unknown option: exit 2" "$OSHIRASED" -c "$T/good.conf" --frobnicate
expect_status 2 "a bad --date: exit 2" "$OSHIRASED" -c "$T/good.conf" --once --date 2026-02-29
expect_status 2 "a bad --now: exit 2" "$OSHIRASED" -c "$T/good.conf" --now 2026-12-01T24:00
expect_status 2 "--now without the T: exit 2" "$OSHIRASED" -c "$T/good.conf" --now "2026-12-01 10:00"
"$OSHIRASED" --help >"$T/n.out" 2>"$T/n.err"
rc=$?
[ $rc -eq 0 ] && grep -q "^usage: oshirased" "$T/n.out" && [ ! -s "$T/n.err" ] &&
	ok "--help: usage on standard output, exit 0" || not_ok "--help: exit $rc"
"$OSHIRASED" --help-config >"$T/n.out" 2>"$T/n.err"
rc=$?
[ $rc -eq 0 ] && grep -q "^\[senders\] jobs (path, default 'ipc:///run/oshirase/jobs')" "$T/n.out" &&
	grep -q "^\[senders\] remote_jobs (path" "$T/n.out" && grep -q "^\[senders\] curve_clients (path" "$T/n.out" &&
	[ "$(grep -c '^\[' "$T/n.out")" -ge 40 ] &&
	ok "--help-config: every key with its default ($(grep -c '^\[' "$T/n.out") lines), the [senders] keys among them" ||
	not_ok "--help-config: exit $rc, $(head -3 "$T/n.out")"
"$OSHIRASED" --version >"$T/n.out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(cat "$T/n.out")" = "oshirased 0.1.0" ] &&
	ok "--version: \"oshirased 0.1.0\"" || not_ok "--version: exit $rc, $(cat "$T/n.out")"

# ---- 2. Type=notify: READY=1, WATCHDOG=1, STOPPING=1 -----------------------
# ---- 3. the day's match at [match] time, once a day -------------------------
# The daemon starts at 10:00 Japan time with [match] time 09:30 passed: it
# runs the day's match at once and sends.  WatchdogSec=2 asks for a ping
# every second: allowing for a slow turn of the loop, no gap may exceed
# 1.5 s.  0.9 s after the second ping the sink sends a SIGHUP: a reload
# late in a period must not put the next ping off by a whole wait of the
# loop (1 s), which would make the gap 1.9 s.
printf '[match]\ntime = 09:30\n' | conf nomatch
sed -i "s|^db = .*|db = $T/no-such-store|" "$T/nomatch.conf"
start nomatch --now ${D}T10:00
reap 10
[ $RC -eq 66 ] && [ "$(notices nomatch READY=1)" -eq 0 ] &&
	ok "no store: exit 66 without READY=1" ||
	not_ok "no store: exit $RC, READY=1 sent $(notices nomatch READY=1) times"

fresh s
printf '[match]\ntime = 09:30\n' | conf s
SINK_ARGS="--hup-after-watchdog 2 0.9"
start s --now ${D}T10:00
SINK_ARGS=""
until_ok 10 eval '[ "$(notices s READY=1)" -ge 1 ]'
first=$(head -1 "$T/s.notify")
[ "$(echo "$first" | cut -f2)" = "$DPID" ] && echo "$first" | cut -f3 | grep -q "^READY=1|STATUS=$NPROG programs" &&
	[ "$(notices s READY=1)" -eq 1 ] &&
	ok "READY=1 (with a STATUS=) is the first thing the daemon ($DPID) says, and said once" ||
	not_ok "first notification: '$first' (daemon $DPID)"
until_ok 10 eval '[ "$(emu_stat accepted)" -ge $NMSG ] && [ "$(st s "messages line")" -eq 0 ]'
watchdogs s 5
until_ok 5 eval '[ "$(logged s "reloaded: ")" -ge 1 ]'
gaps=$(awk -F'\t' '$3 ~ /(^|\|)(READY|WATCHDOG)=1/ { if (t) printf "%.3f\n", $1 - t; t = $1 }' "$T/s.notify")
maxgap=$(echo "$gaps" | sort -n | tail -1)
[ "$(logged s "reloaded: ")" -eq 1 ] && [ "$(echo "$gaps" | wc -l)" -ge 5 ] &&
	awk -v g="$maxgap" 'BEGIN { exit !(g <= 1.5) }' &&
	ok "WATCHDOG=1 about every second after READY=1, a reload included (gaps $(echo $gaps) s)" ||
	not_ok "watchdog: gaps $(echo $gaps), reloads $(logged s "reloaded: ")"
[ -z "$(ps -o pid= --ppid "$DPID")" ] && ! grep -q "sender processes started" "$T/s.err" &&
	grep -q "sender: 4 workers: jobs from ipc://$T/s.jobs, results to ipc://$T/s.results$" "$T/s.sender" &&
	ok "the service starts no sender of its own: an oshirase-sender of 4 threads beside it does the sending" ||
	not_ok "senders: children '$(ps -o pid= --ppid "$DPID")', $(tail -2 "$T/s.sender")"
[ "$(awk -F'\t' '$2 != '"$DPID"'' "$T/s.notify" | wc -l)" -eq 0 ] &&
	ok "every notification comes from the daemon's pid" ||
	not_ok "notifications from other pids: $(awk -F'\t' '$2 != '"$DPID"'' "$T/s.notify" | head -3)"
check_deliveries "the day's match ran at start and its messages went" "$T/e0.record" "$T/s/log/log.bin"
[ "$(logged s "match run .* for $D")" -eq 1 ] && [ "$(logged s "match run")" -eq 1 ] &&
	[ "$(st s sent)" -eq "$(wc -l <"$T/dry")" ] && [ "$(emu_stat accepted)" -eq "$NMSG" ] &&
	ok "one match run for $D in $(notices s WATCHDOG=1) watchdog periods and a reload; the ledger holds its $(st s sent) notices as sent" ||
	not_ok "match runs: $(logged s "match run"), sent $(st s sent), accepted $(emu_stat accepted)"
kill -TERM $DPID
reap 10
last=$(tail -1 "$T/s.notify" | cut -f3)
[ $RC -eq 0 ] && [ "$last" = STOPPING=1 ] && [ "$(notices s STOPPING=1)" -eq 1 ] &&
	ok "SIGTERM: STOPPING=1, exit 0 in $ELAPSED s" ||
	not_ok "SIGTERM: exit $RC, last notification '$last'"

# The same day, later: match.last says the day is done.
start s --now ${D}T11:00
until_ok 10 eval '[ "$(notices s READY=1)" -ge 1 ]'
watchdogs s 3
a=$(emu_stat accepted)
[ "$(logged s "match run")" -eq 0 ] && [ "$a" -eq "$NMSG" ] &&
	ok "restarted the same day: no second match run, nothing sent" ||
	not_ok "restart the same day: $(logged s "match run") match runs, accepted $a (was $NMSG)"
kill -TERM $DPID
reap 10
# The next day: the match runs again (so the one above did not just miss).
start s --now 2026-12-02T10:00
until_ok 10 eval '[ "$(logged s "match run")" -ge 1 ]'
[ "$(logged s "match run .* for 2026-12-02")" -eq 1 ] &&
	ok "the next day at [match] time: the match for 2026-12-02 runs" ||
	not_ok "the next day: $(grep "match run" "$T/s.err")"
kill -TERM $DPID
reap 10
[ $RC -eq 0 ] || not_ok "the next day's daemon: exit $RC"

# ---- 4a. SIGHUP with a broken rule file, while sending ---------------------
kill "$EMU_PID"; emulator e1
fresh h
mkdir -p "$T/h.rules"; cp "$R"/*.ini "$T/h.rules/"
printf '[match]\ntime = 06:00\n[line]\nrate = 15\nburst = 1\n' | conf h
start h --now ${D}T10:00
until_ok 10 eval '[ "$(emu_stat accepted)" -ge 5 ]'
cp "$T/mr-vaccine-3.ini" "$T/h.rules/"
kill -HUP $DPID
until_ok 5 eval '[ "$(logged h "reload failed")" -ge 1 ]'
a=$(emu_stat accepted)
grep -q "mr-vaccine-3.ini:$BROKEN_LINE:$BROKEN_COL: unknown name" "$T/h.err" &&
	[ "$(logged h "reload failed; keeping the rules and config in use")" -eq 1 ] &&
	ok "SIGHUP with a broken rule file: the error (FILE:LINE:COLUMN) and \"reload failed\" in the log" ||
	not_ok "broken reload: $(tail -3 "$T/h.err")"
until_ok 5 eval '[ "$(notices h STATUS=reload\ failed)" -ge 1 ]'
grep -q "STATUS=reload failed; running on the last good rules" "$T/h.notify" &&
	ok "the service status says the reload failed" ||
	not_ok "no STATUS= after the failed reload: $(cut -f3 "$T/h.notify" | grep -v WATCHDOG)"
until_ok 10 eval '[ "$(emu_stat accepted)" -ge $NMSG ] && [ "$(st h "messages line")" -eq 0 ]'
[ "$a" -lt "$NMSG" ] && [ "$(emu_stat accepted)" -eq "$NMSG" ] && alive $DPID &&
	ok "the daemon runs and went on sending after the failed reload ($a of $NMSG sent when it failed)" ||
	not_ok "after the failed reload: accepted $a then $(emu_stat accepted) of $NMSG, alive: $(alive $DPID && echo yes || echo no)"
check_deliveries "all of the day's messages, the failed reload notwithstanding" "$T/e1.record" "$T/h/log/log.bin"
kill -TERM $DPID
reap 10
[ $RC -eq 0 ] && ok "and stops with exit 0" || not_ok "after the failed reload: exit $RC"

# ---- 4b. SIGHUP with a good change ------------------------------------------
# New messages are made by a match run.  The daemon starts before [match]
# time (23:00) with the city 旧名市 / Old Town; a reload sets 新名市 / New
# Town and [match] time 06:00, so the day's first match runs right after
# the reload: its messages must carry the new name.  The same change
# together with a broken rule file is refused whole first: no match runs.
kill "$EMU_PID"; emulator e2
fresh g
mkdir -p "$T/g.rules"; cp "$R"/*.ini "$T/g.rules/"
city() {	# NAME_JA NAME_EN MATCH_TIME
	printf '[city]\nname_ja = %s\nname_en = %s\n[match]\ntime = %s\n' "$@" | conf g
}
city 旧名市 "Old Town" 23:00
start g --now ${D}T10:00
until_ok 10 eval '[ "$(notices g READY=1)" -ge 1 ]'
watchdogs g 3
[ "$(logged g "match run")" -eq 0 ] && [ "$(emu_stat requests)" -eq 0 ] &&
	ok "before [match] time (23:00 at 10:00) no match runs" ||
	not_ok "before [match] time: $(logged g "match run") match runs, $(emu_stat requests) requests"
city 新名市 "New Town" 06:00
cp "$T/mr-vaccine-3.ini" "$T/g.rules/"
kill -HUP $DPID
until_ok 5 eval '[ "$(logged g "reload failed")" -ge 1 ]'
w=$(notices g WATCHDOG=1)
watchdogs g $((w + 2))
[ "$(logged g "match run")" -eq 0 ] && [ "$(emu_stat requests)" -eq 0 ] && alive $DPID &&
	ok "a broken rule file refuses the whole reload: the new [match] time is not taken either" ||
	not_ok "half a reload: $(logged g "match run") match runs, $(emu_stat requests) requests"
rm "$T/g.rules/mr-vaccine-3.ini"
kill -HUP $DPID
until_ok 5 eval '[ "$(logged g "reloaded: ")" -ge 1 ]'
until_ok 10 eval '[ "$(emu_stat accepted)" -ge $NMSG ] && [ "$(st g "messages line")" -eq 0 ]'
[ "$(logged g "reloaded: $NPROG programs")" -eq 1 ] && [ "$(logged g "match run .* for $D")" -eq 1 ] &&
	ok "SIGHUP with a good set: \"reloaded\" in the log, and the match runs at the new [match] time" ||
	not_ok "good reload: $(grep -e reload -e "match run" "$T/g.err")"
until_ok 5 eval '[ "$(notices g STATUS=reloaded)" -ge 1 ]'
cut -f3 "$T/g.notify" | tr '|' '\n' | grep '^STATUS=' | tail -1 | grep -q "^STATUS=reloaded: $NPROG programs" &&
	ok "the service status says reloaded, no longer that the reload failed" ||
	not_ok "status after the good reload: $(cut -f3 "$T/g.notify" | tr '|' '\n' | grep STATUS= | tail -1)"
new=$(grep -c -e '【新名市】' -e '\[New Town\]' "$T/e2.record")
old=$(grep -c -e '旧名市' -e 'Old Town' "$T/e2.record")
[ "$new" -eq "$NMSG" ] && [ "$old" -eq 0 ] &&
	ok "the $NMSG messages made after the reload carry the new city name" ||
	not_ok "city names: $new new, $old old of $NMSG"
check_deliveries "the match after the reload" "$T/e2.record" "$T/g/log/log.bin"
kill -TERM $DPID
reap 10

# ---- 5. SIGTERM drains ------------------------------------------------------
# LINE answers after 1.5 s; the default [senders] and in_flight.  SIGTERM
# once the first answers are in: what was handed to senders is answered
# and recorded, nothing else goes, the daemon exits 0 within job_timeout.
kill "$EMU_PID"; emulator e3
emu_faults '{"latency_ms": 1500}'
fresh t
printf '[match]\ntime = 06:00\n' | conf t
start t --now ${D}T10:00
until_ok 10 eval '[ "$(emu_stat accepted)" -ge 1 ]'
before=$(emu_stat requests)
kill -TERM $DPID
reap 15
after=$(emu_stat requests)
inflight=$(sed -n 's/.*stopping: waiting for \([0-9]*\) jobs in flight.*/\1/p' "$T/t.err")
[ $RC -eq 0 ] && [ "$(notices t STOPPING=1)" -eq 1 ] &&
	awk -v e="$ELAPSED" 'BEGIN { exit !(e <= 10) }' &&
	ok "SIGTERM with ${inflight:-?} jobs in flight: STOPPING=1, exit 0 in $ELAPSED s (job_timeout 10)" ||
	not_ok "drain: exit $RC in $ELAPSED s, STOPPING=1 $(notices t STOPPING=1) times"
[ -n "$inflight" ] && [ "$inflight" -gt 0 ] && [ $((after - before)) -le "$inflight" ] &&
	[ "$(emu_stat accepted)" -lt "$NMSG" ] &&
	ok "after SIGTERM only jobs in flight reached LINE ($((after - before)) of $inflight), $((NMSG - $(emu_stat accepted))) messages left queued" ||
	not_ok "after SIGTERM: $before requests, then $after; $inflight in flight; accepted $(emu_stat accepted) of $NMSG"
[ "$(logged t "no result in")" -eq 0 ] && ok "every job in flight got its answer" ||
	not_ok "jobs timed out: $(logged t "no result in")"
check_deliveries "every push LINE accepted is recorded sent, and nothing else" --partial "$T/e3.record" "$T/t/log/log.bin"
n=$(sed -n 's/.* carrying \([0-9]*\) notices.*/\1/p' "$T/chk")
[ -n "$n" ] && [ "$(st t sent)" -eq "$n" ] && [ "$(st t "messages line")" -eq $((NMSG - $(emu_stat accepted))) ] &&
	[ "$(st t "messages being retried")" -eq 0 ] &&
	ok "the ledger: $n notices sent; the outbox holds the $((NMSG - $(emu_stat accepted))) messages never tried" ||
	not_ok "ledger: sent $(st t sent) (want $n), line messages $(st t "messages line"), retried $(st t "messages being retried")"
emu_faults '{"latency_ms": 0}'
start t --now ${D}T10:05
until_ok 10 eval '[ "$(st t "messages line")" -eq 0 ]'
kill -TERM $DPID
reap 10
[ $RC -eq 0 ] && [ "$(logged t "match run")" -eq 0 ] && [ "$(emu_stat duplicates_409)" -eq 0 ] &&
	ok "restarted: the rest went, no match run again, no push repeated (0 answers 409)" ||
	not_ok "restart: exit $RC, $(logged t "match run") match runs, $(emu_stat duplicates_409) answers 409"
check_deliveries "both runs together: each recipient one message, each retry key accepted once" "$T/e3.record" "$T/t/log/log.bin"

# ---- 6. one daemon per store --------------------------------------------
# A second oshirased on the store of a running one, as a service or as a
# cron-style --once beside it, is refused at once (exit 75, the store and
# the holder's pid named) before it writes anything; the first goes on
# and sends every message once, and its sealed log verifies.
kill "$EMU_PID"; emulator e4
emu_faults '{"latency_ms": 300}'
fresh x
printf '[match]\ntime = 06:00\n' | conf x
start x --now ${D}T10:00
until_ok 10 eval '[ "$(emu_stat accepted)" -ge 1 ]'
for how in service --once; do
	args="--now ${D}T10:00"; [ $how = --once ] && args="--once --date $D --wait 0"
	timeout 15 "$OSHIRASED" -c "$T/x.conf" $args >"$T/x2.out" 2>"$T/x2.err"
	rc=$?
	[ $rc -eq 75 ] &&
		grep -q "^oshirased: $T/x: another oshirased (pid $DPID) runs on this store" "$T/x2.err" &&
		! grep -q "match run" "$T/x2.err" && alive $DPID &&
		ok "a second daemon ($how) on a running one's store: exit 75, the store and pid $DPID named, nothing done" ||
		not_ok "second daemon ($how): exit $rc, $(cat "$T/x2.err" | head -3)"
done
emu_faults '{"latency_ms": 0}'
until_ok 20 eval '[ "$(emu_stat accepted)" -ge $NMSG ] && [ "$(st x "messages line")" -eq 0 ]'
[ "$(emu_stat accepted)" -eq "$NMSG" ] && [ "$(emu_stat duplicates_409)" -eq 0 ] &&
	[ "$(logged x "match run")" -eq 1 ] && alive $DPID &&
	ok "the first daemon went on: $NMSG messages, each once, one match run" ||
	not_ok "first daemon: accepted $(emu_stat accepted) of $NMSG, $(emu_stat duplicates_409) answers 409, $(logged x "match run") match runs"
check_deliveries "the first daemon's deliveries and outcome log" "$T/e4.record" "$T/x/log/log.bin"
"$OSHIRASE" audit verify --log "$T/x/log" --pubkey "$T/x/log/auditor/pubkey" \
    --k0 "$T/x/log/auditor/k0" >"$T/v.out" 2>&1 &&
	ok "its sealed log verifies" || not_ok "sealed log: $(tail -2 "$T/v.out")"
kill -TERM $DPID
reap 10
timeout 60 "$OSHIRASED" -c "$T/x.conf" --once --date $D --wait 0 >"$T/x2.out" 2>"$T/x2.err"
rc=$?
[ $RC -eq 0 ] && [ $rc -eq 0 ] &&
	ok "once the first has stopped, a --once run takes the store (exit 0)" ||
	not_ok "after the first stopped: exit $RC, then --once exit $rc, $(tail -2 "$T/x2.err")"
finish
