#!/bin/sh
# deliver.sh - the whole path: match, outbox, dispatcher, the sender
# processes that `oshirased --once` starts (or senders started apart, over
# ipc://), the LINE emulator and a real SMTP server (aiosmtpd), on a
# synthetic city.  What was delivered must be what `match --dry-run` said,
# once; nothing in quiet hours; a withdrawn contact gets nothing; each LINE
# fault class leads to its documented action; a sender process killed in a
# run costs a retry, not a message; senders that cannot start stop the run
# with a clear message.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"
# the private directories of --once runs' senders go in $T
TMPDIR=$T
export TMPDIR

[ -x "$OSHIRASED" ] || { not_ok "$OSHIRASED is not built"; finish; }
[ -x "$PY" ] && "$PY" -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed (tools/install-deps)"
command -v curl >/dev/null || skip_all "curl is not installed (tools/install-deps)"

D=2026-12-01
R="$TOP/rules"
gen_city 3000 7 && import_city db0 || { not_ok "import"; finish; }
tail -n +2 "$T/city/contacts.csv" | cut -d, -f1 | sort -u |
	"$OSHIRASE" pseudonym --key "$T/key" - >"$T/pseudonyms"
"$OSHIRASE" match --dry-run --db "$T/db0" --rules "$R" --date $D >"$T/dry"
[ "$(wc -l <"$T/dry")" -gt 1000 ] && ok "dry run: $(wc -l <"$T/dry") notices" ||
	not_ok "dry run: only $(wc -l <"$T/dry") notices"

smtp_sink "$T/mail0" || { not_ok "aiosmtpd did not start"; finish; }
line_token

# fresh DIR: a copy of the imported store and a config for it in DIR.conf
fresh() {
	rm -rf "$T/$1"
	cp -r "$T/db0" "$T/$1"
	cat >"$T/$1.conf" <<EOC
[store]
db = $T/$1
[rules]
dir = $R
[dispatch]
retry_base = 1
retry_cap = 2
job_timeout = 5
[line]
api = $EMU
token_file = $T/line-token
rate = 1900
burst = 20
timeout = 3
[email]
url = smtp://127.0.0.1:$SMTP_PORT
rate = 1000
burst = 50
EOC
}
# run DIR HH:MM [ARGS]: oshirased --once on D at that time in Japan
run() {
	_db=$1 _at=$2; shift 2
	"$OSHIRASED" -c "$T/$_db.conf" --once --date $D --now "${D}T$_at" --wait 10 "$@" \
		>"$T/$_db.out" 2>"$T/$_db.err"
}
# status DIR FIELD: a line of `oshirase status` (e.g. "sent", "messages line")
st() { "$OSHIRASE" status --db "$T/$1" | awk -v f="$2" 'index($0, "  " f " ") == 1 { print $NF }'; }
check_deliveries() {	# DESC DRY RECORD MAILDIR OUTCOMES
	if "$PY" "$TOP/tests/integration/deliveries.py" "$2" "$R" \
	    "$T/city/contacts.csv" "$T/pseudonyms" "$3" "$4" ${5:-} >"$T/chk" 2>&1; then
		ok "$1: $(cat "$T/chk")"
	else
		not_ok "$1: $(tail -3 "$T/chk")"
	fi
}

# --- quiet hours, then the window ----------------------------------------
emulator e1
fresh a
run a 21:30
[ $? -eq 0 ] && [ "$(emu_stat requests)" -eq 0 ] && [ "$(ls "$T/mail0" | grep -c eml)" -eq 0 ] &&
	[ "$(st a "messages line")" -gt 0 ] &&
	ok "21:30 Japan time: $(st a "messages line") LINE and $(st a "messages email") email messages held, none sent" ||
	not_ok "quiet hours: requests $(emu_stat requests), mails $(ls "$T/mail0" | wc -l)"
run a 07:59
[ "$(emu_stat requests)" -eq 0 ] && ok "07:59: still held" || not_ok "07:59: sent"
run a 08:00
[ $? -eq 0 ] && ok "08:00: the run exits 0" || { not_ok "08:00 run: $(tail -3 "$T/a.err")"; }
check_deliveries "08:00" "$T/dry" "$T/e1.record" "$T/mail0" "$T/a/log/log.bin"
[ "$(st a sent)" -eq "$(wc -l <"$T/dry")" ] && [ "$(st a "messages line")" -eq 0 ] &&
	ok "the ledger holds every notice as sent; the outbox is empty" ||
	not_ok "ledger sent $(st a sent), want $(wc -l <"$T/dry")"
n1=$(emu_stat accepted) m1=$(ls "$T/mail0" | grep -c eml)
run a 10:00
[ "$(emu_stat accepted)" -eq "$n1" ] && [ "$(ls "$T/mail0" | grep -c eml)" -eq "$m1" ] &&
	grep -q "^total .* 0 .* 0 " "$T/a.out" &&
	ok "a second run on the same date sends nothing ($n1 LINE, $m1 email before)" ||
	not_ok "second run: $(emu_stat accepted) LINE (was $n1), $(ls "$T/mail0" | grep -c eml) email (was $m1)"
"$OSHIRASE" match --dry-run --db "$T/a" --rules "$R" --date $D >"$T/dry2"
[ ! -s "$T/dry2" ] && ok "after the run, the dry run lists nothing" || not_ok "dry run after: $(wc -l <"$T/dry2")"
grep -q "$(head -1 "$T/city/contacts.csv" >/dev/null; tail -n +2 "$T/city/contacts.csv" | head -1 | cut -d, -f3)" \
    "$T/a.out" "$T/a.err" && not_ok "an address in the daemon's output" || ok "no address in the daemon's output"

# --- a contact withdrawn after its notices were queued ---------------------
kill "$EMU_PID"; emulator e2
fresh b
run b 21:00		# queued and held
# a LINE-only recipient who is an adult subject of their own notices
# and another who lives alone (moves out: a removed resident)
set -- $("$PY" - "$T/city/contacts.csv" "$T/pseudonyms" "$T/dry" "$T/city/residents.csv" <<'EOP'
import csv, sys
from collections import Counter
rows = list(csv.DictReader(open(sys.argv[1])))
ps = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]))
chans = {}
for r in rows:
    if r["status"] == "active":
        chans.setdefault(r["resident_id"], set()).add(r["channel"])
told = {l.split("\t")[1] for l in open(sys.argv[3]) if l.rstrip().endswith("\tline")}
res = list(csv.DictReader(open(sys.argv[4])))
size = Counter(r["household_id"] for r in res)
alone = {r["resident_id"] for r in res if size[r["household_id"]] == 1}
picked = [rid for rid, ch in sorted(chans.items()) if ch == {"line"} and ps[rid] in told]
print(picked[0], [r for r in picked[1:] if r in alone][0])
EOP
)
rid=$1 mover=$2
addr=$(grep "^$rid,line," "$T/city/contacts.csv" | cut -d, -f3)
pw=$(grep "^$rid	" "$T/pseudonyms" | cut -f2)
{ echo resident_id,channel,address,language,consent,status
  echo "$rid,line,$addr,ja,health;child;welfare;tax,withdrawn"; } >"$T/withdraw.csv"
"$OSHIRASE" import contacts "$T/withdraw.csv" --db "$T/b" --key "$T/key" -q
pm=$(grep "^$mover	" "$T/pseudonyms" | cut -f2)
maddr=$(grep "^$mover,line," "$T/city/contacts.csv" | cut -d, -f3)
{ head -1 "$T/city/residents.csv"; grep "^$mover," "$T/city/residents.csv" | sed 's/,[a-z_]*$/,moved_out/'; } >"$T/moved.csv"
"$OSHIRASE" import residents "$T/moved.csv" --db "$T/b" --key "$T/key" --rules "$R" --date $D -q ||
	not_ok "import of a move-out"
# consent at hand-out: a LINE-only recipient told of health and other
# programs keeps only health; another keeps nothing (empty consent): the
# contact file rewrites their contacts between the match and the send
set -- $("$PY" - "$T/city/contacts.csv" "$T/pseudonyms" "$T/dry" "$R" "$rid" "$mover" <<'EOP'
import csv, glob, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ps = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]))
cat = {}
for f in glob.glob(sys.argv[4] + "/*.ini"):
    kv = dict(l.split(" = ", 1) for l in open(f).read().split("[eligible]")[0]
              .splitlines() if " = " in l)
    if "category" in kv:
        cat[kv["id"]] = (kv["category"], kv["tax"])
chans = {}
for r in rows:
    if r["status"] == "active":
        chans.setdefault(r["resident_id"], set()).add(r["channel"])
told = {}
for l in open(sys.argv[3]):
    p, rec, subj, ch = l.rstrip("\n").split("\t")
    if ch == "line":
        told.setdefault(rec, set()).add(p)
picked = [rid for rid, ch in sorted(chans.items()) if ch == {"line"} and
          ps[rid] in told and rid not in sys.argv[5:7]]
mixed = [rid for rid in picked if
         {cat[p][0] for p in told[ps[rid]]} - {"health"} and
         any(cat[p] == ("health", "no") for p in told[ps[rid]])]
none = [rid for rid in picked if rid != mixed[0]]
print(mixed[0], none[0])
EOP
)
rc=$1 rz=$2
pc=$(grep "^$rc	" "$T/pseudonyms" | cut -f2)
pz=$(grep "^$rz	" "$T/pseudonyms" | cut -f2)
zaddr=$(grep "^$rz,line," "$T/city/contacts.csv" | cut -d, -f3)
{ echo resident_id,channel,address,language,consent,status
  echo "$rc,line,$(grep "^$rc,line," "$T/city/contacts.csv" | cut -d, -f3),ja,health,active"
  echo "$rz,line,$zaddr,ja,,active"; } >"$T/consent.csv"
"$OSHIRASE" import contacts "$T/consent.csv" --db "$T/b" --key "$T/key" -q ||
	not_ok "import of the consent changes"
health=$(grep -l "^category = health" "$R"/*.ini | xargs grep -l "^tax = no" |
	xargs sed -n 's/^id = //p' | sort)
rm -rf "$T/mail0"/*
run b 09:00
grep -v "	$pw	" "$T/dry" | grep -v "	$pm	" | grep -v "	$pz	" |
	awk -F'\t' -v pc="$pc" -v h="$(echo $health)" 'BEGIN { n = split(h, a, " ");
	    for (i = 1; i <= n; i++) ok[a[i]] = 1 }
	    $2 != pc || ok[$1]' >"$T/dry-b"
grep -v "	$pw	" "$T/dry" | grep -v "	$pm	" >"$T/dry-b0"
ncut=$(($(wc -l <"$T/dry-b0") - $(wc -l <"$T/dry-b")))
check_deliveries "withdrawn after queuing: everyone else" "$T/dry-b" "$T/e2.record" "$T/mail0" "$T/b/log/log.bin"
grep -q "\"$addr\"" "$T/e2.record" && not_ok "the withdrawn contact got a message" ||
	ok "the withdrawn contact got nothing ($(grep -c "	$pw	" "$T/dry") notices cancelled)"
grep -q "\"$zaddr\"" "$T/e2.record" && not_ok "a contact whose consent is now empty got a message" ||
	ok "a contact whose consent became empty after queuing got nothing"
# the sealed log: the notices the consent no longer covers are cancelled
if "$PY" - "$T/b/log/log.bin" "$T/dry-b0" "$T/dry-b" "$pc" "$pz" <<'EOP'
import sys
data = open(sys.argv[1], "rb").read()
cancelled = set()
for off in range(64, len(data) - 255, 256):
    rec = data[off:off + 256]
    if rec[1] == 1 and rec[169] == 3:
        cancelled.add((rec[104:168].rstrip(b"\0").decode(), rec[40:72].hex(),
                       rec[72:104].hex()))
before = {tuple(l.split("\t")[:3]) for l in open(sys.argv[2])}
after = {tuple(l.split("\t")[:3]) for l in open(sys.argv[3])}
cut = before - after
assert cut and all(t[1] in sys.argv[4:6] for t in cut), cut
assert {t[1] for t in cut} == set(sys.argv[4:6]), cut
assert cut <= cancelled, (len(cut - cancelled), len(cut))
EOP
then ok "consent changed after queuing: the $ncut notices it no longer covers are sealed as cancelled"
else not_ok "consent changed after queuing: the sealed log differs"
fi
grep -q "\"$maddr\"" "$T/e2.record" && not_ok "a resident who moved out got a message" ||
	ok "a resident who moved out after queuing got nothing ($(grep -c "	$pm	" "$T/dry") notices cancelled)"
"$OSHIRASE" match --dry-run --db "$T/b" --rules "$R" --date $D | grep -q "	$pw	" &&
	not_ok "the withdrawn contact would be told again" ||
	ok "a withdrawn contact is not queued again"

# --- the sender processes of --once ------------------------------------------
grep -q "^oshirased: 4 sender processes started$" "$T/a.err" &&
	[ "$(ls "$T" | grep -c "^oshirased\.")" -eq 0 ] &&
	ok "--once started its [senders] workers (4) sender processes, and removed their directory" ||
	not_ok "--once: $(grep sender "$T/a.err" | head -3), $(ls "$T" | grep "^oshirased\.")"
# one of them killed in the middle of a run: what it held is retried
kill "$EMU_PID"; emulator e13; rm -rf "$T/mail0"/*
fresh p
emu_faults '{"latency_ms": 20}'
"$OSHIRASED" -c "$T/p.conf" --once --date $D --now ${D}T10:00 --wait 10 >"$T/p.out" 2>"$T/p.err" &
DPID=$!
until_ok 10 eval '[ "$(emu_stat accepted)" -ge 20 ]'
kids=$(ps -o pid= --ppid "$DPID" | tr -d ' ')
victim=$(echo "$kids" | head -1)
kill -KILL "$victim"
wait "$DPID"
rc=$?
emu_faults '{"latency_ms": 0}'
lost=$(grep -c "no result in" "$T/p.err")
[ $rc -eq 0 ] && [ "$(echo "$kids" | wc -l)" -eq 4 ] && [ "$lost" -le 1 ] &&
	grep -q "oshirase-sender (pid $victim) was killed by signal 9; what it held is retried after \[dispatch\] job_timeout" "$T/p.err" &&
	ok "a sender process killed in the run: the $lost jobs it held (at most the one it asked for) retried, exit 0" ||
	not_ok "a killed sender: exit $rc, children '$(echo $kids)', $(grep -i sender "$T/p.err" | tail -3)"
check_deliveries "with a sender killed in the run" "$T/dry" "$T/e13.record" "$T/mail0" "$T/p/log/log.bin"
[ -z "$(ps -o pid= --ppid "$DPID" 2>/dev/null)" ] && ! kill -0 $kids 2>/dev/null &&
	ok "the run's other sender processes were stopped and reaped" ||
	not_ok "sender processes left: $kids"
# --- email across a crash: its start recorded, re-sent once ----------------
# One email in flight at a time ([email] in_flight = 1).  The daemon dies
# as the relay's 250 for its first email comes in, before it is settled:
# the email is in doubt.  The next run must not send it again at once
# (back-to-back restarts each did) but take the rest, and dies in turn at
# its 20th email; the last run sends each email in doubt again after
# job_timeout, once.  Emails in all: one per message, plus one per crash.
kill "$EMU_PID"; emulator e14; rm -rf "$T/mail0"/*
fresh m
sed -i 's/^url = smtp.*/&\nin_flight = 1/' "$T/m.conf"
msgid() { sed -n 's/^Message-I[Dd]: *//p' "$1" | tr -d '\r'; }
OSHIRASE_FAILPOINT=email-sent:1 run m 10:00
rc1=$?
# the sink numbers its files on from the earlier runs: the one there
m1=$(for f in "$T/mail0"/*.eml; do msgid "$f"; done)
OSHIRASE_FAILPOINT=email-sent:20 run m 10:00
rc2=$?
n1=$(grep -l "^Message-I[Dd]: $m1" "$T/mail0"/*.eml | wc -l)
[ $rc1 -eq 137 ] && [ $rc2 -eq 137 ] && [ -n "$m1" ] && [ "$n1" -eq 1 ] &&
	grep -q "1 emails were handed to senders before a restart" "$T/m.err" &&
	ok "a restart with an email in doubt took the others and did not send it again at once ($(ls "$T/mail0" | grep -c eml) emails so far)" ||
	not_ok "email in doubt: exits $rc1 $rc2, '$m1' sent $n1 times, $(grep -c "before a restart" "$T/m.err") notes"
run m 10:00
rc3=$?
for f in "$T/mail0"/*.eml; do msgid "$f"; done | sort | uniq -c | awk '$1 > 1' >"$T/m.dups"
ndup=$(awk '{ n += $1 - 1 } END { print n + 0 }' "$T/m.dups")
[ $rc3 -eq 0 ] && [ "$ndup" -eq 2 ] && [ "$(wc -l <"$T/m.dups")" -eq 2 ] &&
	grep -qF " $m1" "$T/m.dups" &&
	ok "after 2 crashes: 2 emails sent twice (each in doubt, re-sent once after job_timeout), every other once" ||
	not_ok "emails after 2 crashes: exit $rc3, $ndup duplicates: $(head -5 "$T/m.dups")"
mkdir -p "$T/m.uniq"
for f in "$T/mail0"/*.eml; do k=$(msgid "$f" | tr -c 'a-zA-Z0-9.\n' _); cp "$f" "$T/m.uniq/$k.eml"; done
check_deliveries "with 2 crashes, duplicates set aside" "$T/dry" "$T/e14.record" "$T/m.uniq" "$T/m/log/log.bin --repeats"
# --- a job waits in the outbox, not behind a busy sender --------------------
# LINE answering in 3 s, two sender processes, job_timeout 5 s: a job
# handed to a sender that was still busy with another would wait 3 s and
# take 3 more, and be sent again at 5 s.  A sender asks for a job only when
# it is free, so none is.
mkdir -p "$T/small"
"$OSHIRASE_GEN" --residents 40 --seed 7 --date $D --out "$T/small" 2>/dev/null
"$PY" - "$T/small/contacts.csv" >"$T/small/line.csv" <<'EOP'
import csv, hashlib, sys
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["resident_id", "channel", "address", "language", "consent", "status"])
for r in csv.DictReader(open(sys.argv[1])):
    a = r["address"] if r["channel"] == "line" else \
        "U" + hashlib.md5(r["address"].encode()).hexdigest()
    w.writerow([r["resident_id"], "line", a, r["language"], r["consent"], r["status"]])
EOP
"$OSHIRASE" keygen --contacts --db "$T/w" -q &&
	imp_res "$T/small/residents.csv" "$T/w" -q && imp_con "$T/small/line.csv" "$T/w" -q ||
	not_ok "the small city's import"
kill "$EMU_PID"; emulator e15
cat >"$T/w.conf" <<EOC
[store]
db = $T/w
[rules]
dir = $R
[dispatch]
job_timeout = 5
[line]
api = $EMU
token_file = $T/line-token
timeout = 10
[email]
url = smtp://127.0.0.1:$SMTP_PORT
[senders]
workers = 2
EOC
run w 21:00			# queued and held: how many messages
nw=$(st w "messages line")
cp -r "$T/w" "$T/w1"; cp -r "$T/w" "$T/w2"	# for the --once cases below
emu_faults '{"latency_ms": 3000}'
run w 10:00
rc=$?
emu_faults '{"latency_ms": 0}'
[ $rc -eq 0 ] && [ "$nw" -ge 4 ] && [ "$(emu_stat requests)" -eq "$nw" ] &&
	[ "$(emu_stat accepted)" -eq "$nw" ] && ! grep -q "no result in" "$T/w.err" &&
	ok "LINE answering in 3 s, job_timeout 5 s, 2 senders: the $nw messages sent with one request each, none timed out" ||
	not_ok "slow LINE: exit $rc, $nw messages, $(emu_stat requests) requests, $(grep -c "no result in" "$T/w.err") timeouts"
# --- --once that cannot make progress ends, and says why --------------------
# no sender at all: [senders] workers = 0 and none at the endpoint
cp "$T/w.conf" "$T/w1.conf"
sed -i "s|^db = .*|db = $T/w1|; s|^workers = 2|workers = 0\njobs = ipc://$T/w1.jobs\nresults = ipc://$T/w1.results|" "$T/w1.conf"
t0=$(date +%s)
# (timeout: without the rule the run would never end)
timeout 60 "$OSHIRASED" -c "$T/w1.conf" --once --date $D --now ${D}T10:00 --wait 30 \
	>"$T/w1.out" 2>"$T/w1.err"
rc=$? t1=$(date +%s)
[ $rc -eq 69 ] && grep -q "no sender has asked for a job in 5 s (\[dispatch\] job_timeout): is an oshirase-sender running at ipc://$T/w1.jobs?" "$T/w1.err" &&
	[ $((t1 - t0)) -lt 20 ] && [ "$(st w1 "messages line")" -eq "$nw" ] &&
	ok "--once with no sender: exit 69 after job_timeout ($((t1 - t0)) s), says so; the $nw messages stay queued" ||
	not_ok "no sender: exit $rc after $((t1 - t0)) s: $(tail -2 "$T/w1.err")"
# every attempt refused (nothing listens there), retry_cap 1: it would go on
# for as long as --wait lets a retry be due
port=$("$PY" "$TOP/tests/integration/smtp_sink.py" --free-port)
cp "$T/w.conf" "$T/w2.conf"
sed -i -e "s|^db = .*|db = $T/w2|" -e "s|^api = .*|api = http://127.0.0.1:$port|" \
	-e "s|^job_timeout = 5|&\nretry_base = 1\nretry_cap = 1|" "$T/w2.conf"
t0=$(date +%s)
timeout 60 "$OSHIRASED" -c "$T/w2.conf" --once --date $D --now ${D}T10:00 --wait 6 \
	>"$T/w2.out" 2>"$T/w2.err"
rc=$? t1=$(date +%s)
[ $rc -eq 75 ] && grep -q "every attempt failed temporarily for 6 s" "$T/w2.err" &&
	[ $((t1 - t0)) -lt 30 ] && [ "$(st w2 "messages line")" -eq "$nw" ] &&
	ok "--once with every attempt refused: exit 75 after --wait ($((t1 - t0)) s), says so; the messages stay queued" ||
	not_ok "refused: exit $rc after $((t1 - t0)) s: $(tail -2 "$T/w2.err")"
# ... and it stops as SIGTERM would, answering what is in flight first:
# with LINE refused and a relay that takes the connection and never
# answers (each email attempt in flight for [email] timeout, 3 s), the
# run that gives up leaves no email in doubt, so the next run has none
# to hold back (without the drain it would hold them job_timeout and
# could send them twice with no crash at all).
"$OSHIRASE" keygen --contacts --db "$T/w3" -q &&
	imp_res "$T/small/residents.csv" "$T/w3" -q && imp_con "$T/small/contacts.csv" "$T/w3" -q ||
	not_ok "the small city's import (both channels)"
hang=$("$PY" "$TOP/tests/integration/smtp_sink.py" --free-port)
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); time.sleep(300)' "$hang" &
HANG_PID=$!
cp "$T/w2.conf" "$T/w3.conf"
sed -i -e "s|^db = .*|db = $T/w3|" -e "s|^url = .*|url = smtp://127.0.0.1:$hang\ntimeout = 3|" "$T/w3.conf"
timeout 60 "$OSHIRASED" -c "$T/w3.conf" --once --date $D --now ${D}T10:00 --wait 6 \
	>"$T/w3.out" 2>"$T/w3.err"
rc=$?
ne=$(st w3 "messages email")
timeout 60 "$OSHIRASED" -c "$T/w3.conf" --once --date $D --now ${D}T10:00 --wait 6 \
	>"$T/w3b.out" 2>"$T/w3b.err"
rc2=$?
kill "$HANG_PID" 2>/dev/null
[ $rc -eq 75 ] && [ $rc2 -eq 75 ] && [ "$ne" -ge 1 ] &&
	grep -q "waiting for [0-9]* jobs in flight" "$T/w3.err" &&
	! grep -q "handed to senders before a restart" "$T/w3b.err" &&
	ok "--once that gives up (75) answers its $ne emails in flight first: the next run finds none in doubt" ||
	not_ok "a stuck run with emails in flight: exit $rc then $rc2, $ne emails: $(grep -h "in flight\|before a restart" "$T/w3.err" "$T/w3b.err" | head -3)"
# all of them killed: the run stops instead of waiting for nothing
fresh q
emu_faults '{"latency_ms": 50}'
"$OSHIRASED" -c "$T/q.conf" --once --date $D --now ${D}T10:00 --wait 10 >"$T/q.out" 2>"$T/q.err" &
DPID=$!
until_ok 10 grep -qs "sender processes started" "$T/q.err"
kill -KILL $(ps -o pid= --ppid "$DPID")
wait "$DPID"
rc=$?
emu_faults '{"latency_ms": 0}'
[ $rc -eq 69 ] && grep -q "senders: none of the 4 sender processes runs any more; the run stops" "$T/q.err" &&
	ok "every sender process killed: the run stops (69) and says so" ||
	not_ok "all senders killed: exit $rc, $(tail -2 "$T/q.err")"
# senders that cannot start: the run does not start either
fresh u
OSHIRASE_SENDER=$T/no-such-sender run u 10:00
rc=$?
[ $rc -eq 69 ] && grep -q "senders: cannot run $T/no-such-sender: No such file" "$T/u.err" &&
	[ "$(st u sent)" -eq 0 ] &&
	ok "no sender program: exit 69, the program named, nothing sent" ||
	not_ok "no sender program: exit $rc, $(tail -2 "$T/u.err")"
chmod 644 "$T/line-token"
run u 10:00
rc=$?
chmod 600 "$T/line-token"
[ $rc -eq 78 ] && grep -q "line-token: readable or writable by group or others (mode 0644); chmod 600 it" "$T/u.err" &&
	grep -q "senders: oshirase-sender exited with status 78 before it was ready" "$T/u.err" &&
	[ "$(st u sent)" -eq 0 ] &&
	ok "a token file others can read: the senders refuse to start, so does the run (78)" ||
	not_ok "unsafe token: exit $rc, $(tail -3 "$T/u.err")"

# --- senders started apart (as systemd units), over ipc:// ------------------
kill "$EMU_PID"; emulator e10; rm -rf "$T/mail0"/*
fresh r
cat >>"$T/r.conf" <<EOC
[senders]
workers = 0
jobs = ipc://$T/r.jobs
results = ipc://$T/r.results
EOC
"$OSHIRASE_SENDER" -c "$T/r.conf" --workers 3 >"$T/sender.out" 2>"$T/sender.err" &
SPID=$!
PIDS="$PIDS $SPID"
run r 10:00
check_deliveries "[senders] workers = 0: --once starts none, an oshirase-sender of 3 threads at [senders] jobs" "$T/dry" "$T/e10.record" "$T/mail0" "$T/r/log/log.bin"
[ "$(grep -c "sender processes started" "$T/r.err")" -eq 0 ] && ok "and --once started no sender of its own" ||
	not_ok "--once started senders with workers = 0"
kill "$SPID"; wait "$SPID"
[ $? -eq 0 ] && ok "oshirase-sender stops on SIGTERM, exit 0" || not_ok "sender exit status"

# --- the wrong contacts key: nothing is cancelled, the operator is told ---
# (the start refuses a secret key that is not contacts.pub's: precheck.h)
kill "$EMU_PID"; emulator e11; rm -rf "$T/mail0"/*
fresh k
"$OSHIRASE" keygen --contacts --db "$T/otherkeys" -q
cp "$T/k/contacts.sec" "$T/k.sec.good"
cp "$T/otherkeys/contacts.sec" "$T/k/contacts.sec"
run k 10:00
rc=$?
[ $rc -eq 78 ] && grep -q "k/contacts.sec: not the secret key of $T/k/contacts.pub" "$T/k.err" &&
	[ "$(emu_stat requests)" -eq 0 ] && [ "$(st k sent)" -eq 0 ] && [ "$(st k failed)" -eq 0 ] &&
	ok "the wrong contacts key: the start refuses it (78, the file named), nothing sent or given up" ||
	not_ok "wrong key: exit $rc, $(tail -1 "$T/k.err"), $(emu_stat requests) requests, sent $(st k sent), failed $(st k failed)"
cp "$T/k.sec.good" "$T/k/contacts.sec"
"$OSHIRASED" -c "$T/k.conf" --once --date $D --now ${D}T10:10 --wait 400 >"$T/k.out" 2>"$T/k.err"
[ "$(st k sent)" -eq "$(wc -l <"$T/dry")" ] && ok "the right key back: everything sent" ||
	not_ok "after the key: sent $(st k sent)"

# --- a LINE channel failing with 500 past line_max_age: given up ---------
kill "$EMU_PID"; emulator e12; rm -rf "$T/mail0"/*
fresh x
emu_faults '{"status": 500, "status_count": 1000000}'
run x 10:00 --wait 0
nline=$(grep -c "	line$" "$T/dry")
[ "$(st x failed)" -eq 0 ] && [ "$(st x "messages line")" -gt 0 ] &&
	ok "LINE answering 500: retried, nothing given up yet" || not_ok "500 at first: failed $(st x failed)"
"$OSHIRASED" -c "$T/x.conf" --once --date $D --now 2026-12-02T10:00 --wait 0 >"$T/x.out" 2>"$T/x.err"
[ "$(st x failed)" -eq "$nline" ] && [ "$(st x "messages line")" -eq 0 ] &&
	[ "$(grep -c . "$T/e12.record")" -eq 0 ] &&
	"$OSHIRASE" audit show --log "$T/x/log" | grep -q "outcome	expired	" &&
	ok "a day later, still 500: all $nline LINE notices given up (expired in the sealed log)" ||
	not_ok "after max age: failed $(st x failed) of $nline, left $(st x "messages line")"

# --- LINE faults: each class and its action ------------------------------
# 5xx: retried with the same key until accepted, once
kill "$EMU_PID"; emulator e3; rm -rf "$T/mail0"/*
fresh c
emu_faults '{"status": 500, "status_count": 40}'
run c 10:00
check_deliveries "40 answers of 500" "$T/dry" "$T/e3.record" "$T/mail0" "$T/c/log/log.bin"
[ "$(emu_stat faults)" -ge 40 ] && ok "the 500s were answered ($(emu_stat faults)) and retried" ||
	not_ok "faults $(emu_stat faults)"
# accepted, but the answer lost; and dropped connections: retried, 409, once
kill "$EMU_PID"; emulator e4 --lost-response-rate 0.1 --drop-rate 0.05 --fault-seed 3; rm -rf "$T/mail0"/*
fresh d
run d 10:00
check_deliveries "answers lost (10%) and connections dropped (5%)" "$T/dry" "$T/e4.record" "$T/mail0" "$T/d/log/log.bin"
[ "$(emu_stat duplicates_409)" -gt 0 ] &&
	ok "retries of accepted pushes were answered 409 ($(emu_stat duplicates_409)) and count as sent" ||
	not_ok "no 409 seen"
# rate-limit 429: a few are answered by waiting a little, no alert
kill "$EMU_PID"; emulator e5; rm -rf "$T/mail0"/*
fresh e
emu_faults '{"status": 429, "status_count": 5}'
run e 10:00 --wait 30
check_deliveries "5 rate-limit 429s" "$T/dry" "$T/e5.record" "$T/mail0" "$T/e/log/log.bin"
grep -q "ALERT: LINE" "$T/e.err" && not_ok "a rate-limit 429 raised an alert" || ok "rate limit: no alert, just slower"
# 429 for as long as it lasts: the channel waits, longer and longer (one
# request at a time), alerts past [dispatch] throttle_alert, and goes on
# when the 429s end
kill "$EMU_PID"; emulator e16; rm -rf "$T/mail0"/*
fresh v
sed -i 's/^job_timeout = 5$/&\nthrottle_alert = 3/' "$T/v.conf"
emu_faults '{"status": 429, "status_count": 1000000}'
"$OSHIRASED" -c "$T/v.conf" --once --date $D --now ${D}T10:00 --wait 40 >"$T/v.out" 2>"$T/v.err" &
DPID=$!
until_ok 30 grep -q "ALERT: LINE channel rate-limited (429) for [0-9]* s" "$T/v.err"
r1=$(emu_stat requests)
sleep 6		# a rate: requests over a time
r2=$(emu_stat requests)
emu_faults '{"status": 0}'
wait "$DPID"
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c "ALERT: LINE channel rate-limited" "$T/v.err")" -eq 1 ] &&
	[ $((r2 - r1)) -le 3 ] && [ "$r1" -le 40 ] &&
	grep -q "LINE channel no longer rate-limited" "$T/v.err" &&
	ok "LINE answering 429 on and on: one alert; $r1 requests up to it, $((r2 - r1)) in the next 6 s; it went on when the 429s ended" ||
	not_ok "429 on and on: exit $rc, $(grep -c ALERT "$T/v.err") alerts, requests $r1 then $r2"
echo "# show: deliver: LINE answering 429: $r1 requests until the alert (3 s), $((r2 - r1)) in the next 6 s"
check_deliveries "after $r2 answers of 429" "$T/dry" "$T/e16.record" "$T/mail0" "$T/v/log/log.bin"
# Retry-After: the channel waits as long as it says
kill "$EMU_PID"; emulator e17; rm -rf "$T/mail0"/*
fresh y
emu_faults '{"status": 429, "status_count": 1000000, "retry_after": 20}'
"$OSHIRASED" -c "$T/y.conf" --once --date $D --now ${D}T10:00 --wait 60 >"$T/y.out" 2>"$T/y.err" &
DPID=$!
until_ok 20 grep -q "LINE channel rate-limited (429): waits 20 s (Retry-After)" "$T/y.err"
until_ok 5 eval '[ "$(emu_stat requests)" -eq "$(emu_stat faults)" ]'
r1=$(emu_stat requests)
sleep 5		# nothing for 5 s
r2=$(emu_stat requests)
kill -TERM "$DPID"
wait "$DPID"
rc=$?
emu_faults '{"status": 0}'
[ $rc -eq 0 ] && [ "$r2" -eq "$r1" ] && [ "$r1" -le 10 ] &&
	ok "Retry-After: 20 honoured: $r1 requests, then none for 5 s" ||
	not_ok "Retry-After: exit $rc, requests $r1 then $r2, $(grep -c "waits 20 s" "$T/y.err")"
# 400: permanent for that message, not retried
kill "$EMU_PID"; emulator e6; rm -rf "$T/mail0"/*
fresh f
emu_faults '{"status": 400, "status_count": 3}'
run f 10:00
lm=$(grep -c . "$T/e6.record")
req=$(emu_stat requests)
[ "$(st f failed)" -gt 0 ] && [ "$req" -eq $((lm + 3)) ] &&
	ok "3 answers of 400: $(st f failed) notices failed for good, not retried ($req requests)" ||
	not_ok "400: failed $(st f failed), requests $req, accepted $lm"
# 401: the LINE channel pauses and the operator is alerted; email goes on
kill "$EMU_PID"; emulator e7; rm -rf "$T/mail0"/*
fresh g
emu_faults '{"status": 401, "status_count": 1000000}'
run g 10:00
[ "$(grep -c "ALERT: LINE channel paused" "$T/g.err")" -eq 1 ] && [ "$(emu_stat accepted)" -eq 0 ] &&
	[ "$(st g "messages line")" -gt 0 ] && [ "$(st g failed)" -eq 0 ] &&
	[ "$(st g "messages email")" -eq 0 ] &&
	ok "401: one alert, LINE paused with $(st g "messages line") messages kept, email all sent" ||
	not_ok "401: $(grep -c ALERT "$T/g.err") alerts, accepted $(emu_stat accepted), line left $(st g "messages line"), email left $(st g "messages email")"
emu_faults '{"status": 0}'
run g 10:30
[ "$(st g "messages line")" -eq 0 ] && [ "$(st g sent)" -eq "$(wc -l <"$T/dry")" ] &&
	ok "credentials fixed, restarted: the held LINE messages go" ||
	not_ok "after 401: $(st g "messages line") LINE messages left"
# 429 monthly limit: LINE waits for the month to turn, nothing fails
kill "$EMU_PID"; emulator e8 --quota 50; rm -rf "$T/mail0"/*
fresh h
run h 10:00
left=$(st h "messages line")
grep -q "ALERT: LINE channel paused until 2027-01-01 00:00 JST: the monthly" "$T/h.err" &&
	[ "$(grep -c . "$T/e8.record")" -eq 50 ] && [ "$left" -gt 0 ] && [ "$(st h failed)" -eq 0 ] &&
	ok "monthly limit after 50: alert, $left LINE messages wait for 2027-01-01, none failed" ||
	not_ok "quota: $(grep ALERT "$T/h.err" | head -1), record $(grep -c . "$T/e8.record"), left $left"
run h 23:30 --date $D
[ "$(st h "messages line")" -eq "$left" ] && ok "still parked later in the month" || not_ok "parked messages moved"
kill "$EMU_PID"; emulator e9	# the new month's quota
sed -i "s|^api = .*|api = $EMU|" "$T/h.conf"
emu_faults '{"status": 500, "status_count": 600}'	# weeks after the refusals
"$OSHIRASED" -c "$T/h.conf" --once --date $D --now 2027-01-04T10:00 --wait 10 >"$T/h.out" 2>"$T/h.err"
[ "$(st h "messages line")" -eq 0 ] && [ "$(grep -c . "$T/e9.record")" -eq "$left" ] &&
	[ "$(st h failed)" -eq 0 ] &&
	ok "the month turned: the $left parked messages went, 600 answers of 500 retried, none given up" ||
	not_ok "after the month: $(st h "messages line") left, $(grep -c . "$T/e9.record") sent, $(st h failed) failed"
finish
