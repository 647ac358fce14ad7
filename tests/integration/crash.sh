#!/bin/sh
# crash.sh - kill -9 the daemon at random moments of a run of more than
# 20,000 notices to LINE and email, 50 times, restarting it each time.  At
# the end every notice was delivered (none lost); every LINE message was
# accepted by the emulator exactly once; an email was sent twice at most
# once per kill (one email in flight: [email] in_flight = 1, README "Crash
# safety"); and no sender process of a killed run outlived it.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"
# the private directories of --once runs' senders go in $T (a killed run
# cannot remove its own)
TMPDIR=$T
export TMPDIR

[ -x "$OSHIRASED" ] || { not_ok "$OSHIRASED is not built"; finish; }
[ -x "$PY" ] && "$PY" -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed (tools/install-deps)"
command -v curl >/dev/null || skip_all "curl is not installed (tools/install-deps)"
KILLS=${CRASH_KILLS:-50}
D=2026-12-01
R="$TOP/rules"
gen_city 28000 11 || { not_ok "gen"; finish; }
# One contact per resident, LINE where the city has one, else email (a
# quarter of those: one email in flight at a time is slow to sync).
"$PY" - "$T/city/contacts.csv" >"$T/contacts.csv" <<'EOP'
import csv, sys, zlib
rows = list(csv.DictReader(open(sys.argv[1])))
seen = set()
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["resident_id", "channel", "address", "language", "consent", "status"])
for r in sorted(rows, key=lambda r: (r["resident_id"], r["channel"] != "line")):
    if r["resident_id"] in seen:
        continue
    seen.add(r["resident_id"])
    if r["channel"] == "email" and zlib.crc32(r["resident_id"].encode()) % 4:
        continue
    w.writerow([r["resident_id"], r["channel"], r["address"], r["language"], r["consent"], r["status"]])
EOP
import_city db "$T/contacts.csv" || { not_ok "import"; finish; }
tail -n +2 "$T/contacts.csv" | cut -d, -f1 | "$OSHIRASE" pseudonym --key "$T/key" - >"$T/pseudonyms"
"$OSHIRASE" match --dry-run --db "$T/db" --rules "$R" --date $D >"$T/dry"
total=$(wc -l <"$T/dry")
[ "$total" -ge 15000 ] && ok "the run has $total notices (>= 15,000)" || not_ok "only $total notices"

line_token
# Answers lost now and then too: a retry of an accepted push must get 409.
emulator emu --lost-response-rate 0.01 --fault-seed 5
smtp_sink "$T/mail" || { not_ok "aiosmtpd did not start"; finish; }
nmail() { ls "$T/mail" | grep -c '\.eml$'; }
cat >"$T/o.conf" <<EOC
[store]
db = $T/db
[rules]
dir = $R
[match]
batch = 500
[dispatch]
retry_base = 1
retry_cap = 2
job_timeout = 5
[line]
api = $EMU
token_file = $T/line-token
rate = 200
burst = 10
[email]
url = smtp://127.0.0.1:$SMTP_PORT
rate = 200
burst = 10
in_flight = 1
EOC
# A run that dies between two batches of its match run resumes under the
# same run number: its notices still make one message per recipient.
OSHIRASE_FAILPOINT=match-batch:3 "$OSHIRASED" -c "$T/o.conf" --once --date $D \
    --now ${D}T10:00 --wait 10 >>"$T/daemon.out" 2>>"$T/daemon.err"
st=$?
q=$("$OSHIRASE" status --db "$T/db" | awk '/^outbox/ { print $2 }')
[ $st -eq 137 ] && [ "$q" -eq 1500 ] && [ "$(emu_stat requests)" -eq 0 ] && [ "$(nmail)" -eq 0 ] &&
	ok "a run died after 3 of its match batches (1,500 notices queued, nothing sent)" ||
	not_ok "failpoint: exit $st, outbox $q"
run_daemon() {
	"$OSHIRASED" -c "$T/o.conf" --once --date $D --now ${D}T10:00 --wait 10 \
	    >>"$T/daemon.out" 2>>"$T/daemon.err" &
	DPID=$!
}
kills=0 mid=0 last=-1
while [ $kills -lt "$KILLS" ]; do
	run_daemon
	if [ $((kills % 2)) -eq 0 ]; then
		# a random moment: 0.1 .. 0.7 s after the start (the match
		# run, the senders' start, or sending)
		sleep "$("$PY" -c 'import random; print(round(random.uniform(0.1, 0.7), 3))')"
	else
		# a random moment of sending: once this run has delivered
		# something (a slow start, as under the sanitizers, would
		# otherwise be all that the kills hit)
		n0=$(($(emu_stat accepted) + $(nmail)))
		until [ $(($(emu_stat accepted) + $(nmail))) -gt "$n0" ] ||
		    ! kill -0 "$DPID" 2>/dev/null; do
			sleep 0.05
		done
		sleep "$("$PY" -c 'import random; print(round(random.uniform(0, 0.3), 3))')"
	fi
	if kill -9 "$DPID" 2>/dev/null; then
		wait "$DPID" 2>/dev/null
		kills=$((kills + 1))
		acc=$(($(emu_stat accepted) + $(nmail)))
		[ "$acc" -gt "$last" ] && [ "$last" -ge 0 ] && mid=$((mid + 1))
		last=$acc
	else
		wait "$DPID"
		break	# it finished before the kill: nothing left to interrupt
	fi
done
[ $kills -ge "$KILLS" ] && [ $mid -ge $((KILLS / 3)) ] &&
	ok "killed with SIGKILL $kills times ($mid times while it was sending, at least $((KILLS / 3)))" ||
	not_ok "$kills kills before the run was over, $mid of them while it was sending (want $KILLS, and $((KILLS / 3)) while sending): make the run longer"
# a sender gets SIGTERM when its daemon dies and finishes the push in
# hand: one whose answer the emulator lost waits out [line] timeout (30 s)
orphans() { ps -eo args= | grep -c "^[^ ]*oshirase-sender .*--connect ipc://$T/oshirased\."; }
until_ok 40 eval '[ "$(orphans)" -eq 0 ]'
[ "$(orphans)" -eq 0 ] && ok "no sender process outlived its killed daemon by more than its job in hand (PR_SET_PDEATHSIG)" ||
	not_ok "$(orphans) sender processes of killed runs still run"
t0=$(date +%s)
run_daemon
wait "$DPID"
st=$? t1=$(date +%s)
echo "# the last run: $((t1 - t0)) s"
[ $st -eq 0 ] && ok "the last run finished (exit 0)" || not_ok "last run exit $st: $(tail -3 "$T/daemon.err")"
sent=$("$OSHIRASE" status --db "$T/db" | awk '$1 == "sent" { print $2 }')
left=$("$OSHIRASE" status --db "$T/db" | awk '/^outbox/ { print $2 }')
[ "$sent" -eq "$total" ] && [ "$left" -eq 0 ] &&
	ok "the ledger holds all $total notices as sent; the outbox is empty" ||
	not_ok "ledger sent $sent of $total, outbox $left"
# the emails sent twice: by Message-ID (one per message, the same on every
# attempt); the deliveries are checked on one copy of each
mkdir -p "$T/mail1"
for f in "$T/mail"/*.eml; do
	id=$(sed -n 's/^Message-I[Dd]: *<\([^>]*\)>.*/\1/p' "$f" | head -1)
	[ -n "$id" ] && cp "$f" "$T/mail1/$id.eml"
done
emails=$(nmail) uniq=$(ls "$T/mail1" | grep -c '\.eml$')
dups=$((emails - uniq))
if "$PY" "$TOP/tests/integration/deliveries.py" --repeats "$T/dry" "$R" "$T/contacts.csv" \
    "$T/pseudonyms" "$T/emu.record" "$T/mail1" "$T/db/log/log.bin" >"$T/chk" 2>&1; then
	ok "none lost: every notice delivered, in one digest per recipient: $(cat "$T/chk")"
else
	not_ok "$(cat "$T/chk")"
fi
[ "$uniq" -gt 0 ] && [ "$dups" -le "$kills" ] &&
	ok "$uniq emails, $dups of them sent twice: at most one per kill ($kills)" ||
	not_ok "$uniq emails, $dups sent twice, more than one per kill ($kills)"
acc=$(emu_stat accepted) recs=$(grep -c . "$T/emu.record")
keys=$(sed 's/.*"retry_key":"\([^"]*\)".*/\1/' "$T/emu.record" | sort -u | wc -l)
[ "$acc" -eq "$recs" ] && [ "$keys" -eq "$recs" ] &&
	ok "the emulator accepted $acc pushes with $keys distinct retry keys; $(emu_stat duplicates_409) retries answered 409" ||
	not_ok "accepted $acc, records $recs, distinct keys $keys"
echo "# show: crash: $kills kills ($mid while sending): 0 lost; LINE $acc pushes, $((recs - keys)) twice; email $uniq, $dups sent twice (at most 1 per kill: $kills)"
L="$T/db/log"
if "$OSHIRASE" audit verify --log "$L" --pubkey "$L/auditor/pubkey" --k0 "$L/auditor/k0" >"$T/v" 2>&1; then
	ok "the sealed log survived $kills kills: $(tail -1 "$T/v" | cut -c1-120)"
else
	not_ok "sealed log after the kills: $(head -2 "$T/v")"
fi
finish
