#!/bin/sh
# audit.sh - the sealed log: a daemon run writes it, `oshirase audit verify`
# finds it clean, and every kind of tampering the log is built to reveal is detected with
# exit 1 and the first bad record named by number and byte offset; a torn
# last record is recovered with an alarm, not reported as tampering;
# inclusion proofs check out and forged ones do not; consent records are
# shown, and a notice sent after consent was withdrawn fails verify.
# `oshirase audit`
# runs the auditor's program, oshirase-audit, found beside it, and
# answers exactly as that program does; without it, it says so.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

[ -x "$PY" ] || skip_all "/usr/bin/python3 is needed"
command -v curl >/dev/null || skip_all "curl is not installed (tools/install-deps)"
D=2026-12-01
R="$TOP/rules"
TP="$TOP/tests/integration/tamper.py"
gen_city 400 3 && import_city db || { not_ok "import"; finish; }
line_token
emulator emu
smtp_sink "$T/mail" || { not_ok "aiosmtpd did not start"; finish; }
L="$T/log"
expect_status 0 "audit init" "$OSHIRASE" audit init --log "$L" --origin mihon-test \
    --pubkey-out "$T/pub" --k0-out "$T/k0"
expect_status 73 "audit init will not replace a log" "$OSHIRASE" audit init --log "$L" \
    --pubkey-out "$T/pub2" --k0-out "$T/k02"
[ "$(stat -c %a "$T/k0")" = 600 ] && [ "$(stat -c %a "$L/signing.key")" = 600 ] &&
	[ "$(stat -c %a "$L/state")" = 600 ] && ok "K0, the signing key and the state are 0600" ||
	not_ok "modes: k0 $(stat -c %a "$T/k0") signing $(stat -c %a "$L/signing.key")"
cat >"$T/o.conf" <<EOC
[store]
db = $T/db
[rules]
dir = $R
[line]
api = $EMU
token_file = $T/line-token
[email]
url = smtp://127.0.0.1:$SMTP_PORT
[log]
dir = $L
origin = mihon-test
checkpoint_records = 50
EOC
"$OSHIRASED" -c "$T/o.conf" --once --date $D --now ${D}T10:00 --wait 5 >"$T/d.out" 2>"$T/d.err" ||
	not_ok "the daemon run: $(tail -2 "$T/d.err")"
sent=$(awk '$1 == "messages:" { print $2 }' "$T/d.out")
V() { "$OSHIRASE" audit verify --log "$1" --pubkey "$T/pub" "$@"; }
verify() {	# DESC WANT_STATUS WANT_PREFIX LOGDIR [ARGS]
	_d=$1 _want=$2 _pre=$3 _log=$4; shift 4
	"$OSHIRASE" audit verify --log "$_log" --pubkey "$T/pub" "$@" >"$T/v.out" 2>"$T/v.err"
	_st=$?
	if [ $_st -eq "$_want" ] && grep -q "^$_pre" "$T/v.out"; then ok "$_d: $(head -1 "$T/v.out" | cut -c1-110)"
	else not_ok "$_d: exit $_st, want $_want and '$_pre': $(cat "$T/v.out" "$T/v.err" | head -3)"
	fi
}
n=$(( ($(stat -c %s "$L/log.bin") - 64) / 256 ))
verify "a clean log with K0" 0 "ok: $n records ($sent outcomes: $sent sent" "$L" --k0 "$T/k0"
verify "a clean log, public key only" 0 "ok: $n records" "$L"
[ "$(wc -l <"$L/checkpoints")" -ge 3 ] && ok "$(wc -l <"$L/checkpoints") signed checkpoints (start, every 50, stop)" ||
	not_ok "checkpoints: $(wc -l <"$L/checkpoints")"
grep -q '"recipient"' "$L/log.bin" && not_ok "text in the log" || ok "no JSON or text in the binary log"
leak=0
for a in $(tail -n +2 "$T/city/contacts.csv" | cut -d, -f3); do
	grep -qF "$a" "$L/log.bin" "$L/checkpoints" && { leak=1; break; }
done
[ $leak -eq 0 ] && ok "no contact address in the log files" || not_ok "an address in the log: $a"
cp "$L/checkpoints" "$T/held"	# the auditor's copy, taken off the host
# cpsize K: the size of the K-th checkpoint; above N: the first size > N
cpsize() { sed -n "${1}p" "$L/checkpoints" | cut -d' ' -f4; }
above() { cut -d' ' -f4 "$L/checkpoints" | awk -v n="$1" '$1 > n { print; exit }'; }

# tamper LOGNAME: a fresh copy of the clean log to damage
tamper() { rm -rf "$T/$1"; cp -r "$L" "$T/$1"; }
B() { echo $((64 + 256 * $1)); }
# each field of record 7 changed by one bit (seq and the version/type are
# named as such; every other field breaks the seal)
for f in "version 0" "type 1" "time 16" "notice 24" "message 32" "recipient 40" \
    "subject 72" "program 104" "channel 168" "outcome 169" "attempt 172" \
    "status 176" "ruleset 184" "digest 192" "tag 224" "seq 8"; do
	set -- $f
	tamper t1
	"$PY" "$TP" flip "$T/t1/log.bin" 7 "$2"
	verify "field $1 of record 7 changed" 1 "record 7 at byte $(B 7): " "$T/t1" --k0 "$T/k0"
done
tamper t2; "$PY" "$TP" flip "$T/t2/log.bin" 7 40
c=$(above 7)
verify "a changed field, public key only: the checkpoint above it" 1 "record $((c - 1)) at byte $(B $((c - 1))): records 0..$((c - 1)) do not match the checkpoint of size $c" "$T/t2"
tamper t3; "$PY" "$TP" delete "$T/t3/log.bin" 20
verify "a record deleted from the middle" 1 "record 20 at byte $(B 20): sequence number 21" "$T/t3" --k0 "$T/k0"
tamper t4; "$PY" "$TP" swap "$T/t4/log.bin" 30 31
verify "two records swapped" 1 "record 30 at byte $(B 30): sequence number 31" "$T/t4" --k0 "$T/k0"
tamper t5; "$PY" "$TP" cut "$T/t5/log.bin" 60; awk '$4 <= 60' "$L/checkpoints" >"$T/t5/checkpoints"
verify "the log cut below a held checkpoint" 1 "record 60 at byte $(B 60): the log ends here, below the held checkpoint" "$T/t5" --checkpoint "$T/held"
tamper t6; "$PY" "$TP" cut "$T/t6/log.bin" 60; awk '$4 <= 60' "$L/checkpoints" >"$T/t6/checkpoints"
"$PY" "$TP" append "$T/t6/log.bin" "$T/t6/state" $((n - 60))
verify "cut, then as many records appended with the host's key (CVE-2023-31438)" 1 \
    "record 60 at byte $(B 60): the seal does not verify" "$T/t6" --k0 "$T/k0"
c=$(above 60)
verify "the same, public key and the held checkpoints" 1 "record $((c - 1)) at byte $(B $((c - 1))): records 0..$((c - 1)) do not match the held checkpoint of size $c" \
    "$T/t6" --checkpoint "$T/held"
tamper t7; "$PY" "$TP" reseal "$T/t7/log.bin" "$T/t7/state" 12 104
verify "a record changed and re-sealed with a later key (CVE-2023-31439)" 1 \
    "record 12 at byte $(B 12): the seal does not verify" "$T/t7" --k0 "$T/k0"
tamper t8
"$PY" -c '
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
c = lines[1][-1]
lines[1] = lines[1][:-1] + ("1" if c == "0" else "0")   # one hex digit of the signature
open(p, "w").write("\n".join(lines))' "$T/t8/checkpoints"
c=$(cpsize 2)
verify "a checkpoint with a bad signature" 1 "record $((c - 1)) at byte $(B $((c - 1))): the checkpoint of size $c (line 2): the signature fails" "$T/t8"
"$OSHIRASE" audit init --log "$T/other" --pubkey-out "$T/opub" --k0-out "$T/ok0" >/dev/null
"$OSHIRASE" audit verify --log "$L" --pubkey "$T/opub" >"$T/v.out" 2>&1
[ $? -eq 1 ] && grep -q "signature fails: it does not verify with this public key" "$T/v.out" &&
	ok "another public key: the checkpoints do not verify" || not_ok "another key: $(head -1 "$T/v.out")"
# A held checkpoint copied by hand without its final newline is a
# checkpoint all the same: a cut below it is found.
last=$(tail -1 "$T/held" | cut -d' ' -f4)
printf '%s' "$(cat "$T/held")" >"$T/held-nonl"
tamper t12; "$PY" "$TP" cut "$T/t12/log.bin" $((last - 1))
awk -v n=$((last - 1)) '$4 <= n' "$L/checkpoints" >"$T/t12/checkpoints"
verify "the log cut below a held checkpoint whose line has no final newline" 1 \
    "record $((last - 1)) at byte $(B $((last - 1))): the log ends here, below the held checkpoint of size $last" \
    "$T/t12" --checkpoint "$T/held-nonl"
verify "a clean log and the held checkpoints with no final newline" 0 "ok: $n records.*checkpoints verified (the held one too)" \
    "$L" --checkpoint "$T/held-nonl"
# ...and one whose signature fails is reported as such, not as a cut below it
"$PY" -c '
import sys
t = open(sys.argv[1]).read().rstrip("\n")
open(sys.argv[2], "w").write(t[:-1] + ("1" if t[-1] == "0" else "0") + "\n")' "$T/held" "$T/held-badsig"
hl=$(wc -l <"$T/held-badsig")
verify "the log cut below a held checkpoint whose signature fails" 1 \
    "record $((last - 1)) at byte $(B $((last - 1))): the held checkpoint of size $last (line $hl): the signature fails" \
    "$T/t12" --checkpoint "$T/held-badsig"
# Every byte of the header is checked: each one changed in turn, verify fails.
tamper th; missed=""
for off in $(seq 0 63); do
	cp "$L/log.bin" "$T/th/log.bin"
	"$PY" "$TP" hflip "$T/th/log.bin" "$off"
	"$OSHIRASE" audit verify --log "$T/th" --pubkey "$T/pub" >"$T/v.out" 2>&1
	[ $? -eq 1 ] && grep -q "^record 0 at byte 0: " "$T/v.out" || missed="$missed $off"
done
[ -z "$missed" ] && ok "each of the 64 header bytes changed: verify fails at record 0, byte 0" ||
	not_ok "header bytes changed and not found:$missed"

# A torn last record: not tampering; the daemon cuts it and says so.
tamper t9
head -c 100 /dev/urandom >>"$T/t9/log.bin"
verify "a torn last record" 0 "note: a torn last record (100 bytes)" "$T/t9" --k0 "$T/k0"
sed -i "s|^dir = $L|dir = $T/t9|" "$T/o.conf"
"$OSHIRASED" -c "$T/o.conf" --once --date $D --now ${D}T10:00 --wait 1 >/dev/null 2>"$T/d9.err"
grep -q "ALERT: .*a torn last record (100 bytes) was cut" "$T/d9.err" &&
	ok "the daemon cut the torn record and alerted" || not_ok "no alert: $(tail -2 "$T/d9.err")"
"$OSHIRASE" audit verify --log "$T/t9" --pubkey "$T/pub" --k0 "$T/k0" >"$T/v.out" 2>&1
[ $? -eq 0 ] && grep -q "1 alarms" "$T/v.out" && ! grep -q torn "$T/v.out" &&
	ok "after recovery: clean, with one alarm record" || not_ok "after recovery: $(cat "$T/v.out" | head -2)"
"$OSHIRASE" audit show --log "$T/t9" | grep -q "alarm	a torn last record was cut (100)" &&
	ok "audit show lists the alarm" || not_ok "no alarm in audit show"

# No checkpoint at all: nothing can be verified with the public key.
tamper t10; rm "$T/t10/checkpoints"; "$PY" "$TP" flip "$T/t10/log.bin" 9 40
verify "the checkpoints file removed (and a record changed)" 1 "record 0 at byte 64: no signed checkpoint covers the log" "$T/t10"
# A torn last checkpoint line: a crash, not tampering.
tamper t11
sz=$(stat -c %s "$T/t11/checkpoints")
truncate -s $((sz - 40)) "$T/t11/checkpoints"
verify "a torn last checkpoint line" 0 "note: .*a torn last line" "$T/t11" --k0 "$T/k0"
sed -i "s|^dir = .*/t9$|dir = $T/t11|" "$T/o.conf"
"$OSHIRASED" -c "$T/o.conf" --once --date $D --now ${D}T10:00 --wait 1 >/dev/null 2>"$T/d11.err"
grep -q "ALERT: .*checkpoints: a torn last line" "$T/d11.err" &&
	"$OSHIRASE" audit verify --log "$T/t11" --pubkey "$T/pub" --k0 "$T/k0" >"$T/v.out" 2>&1 &&
	grep -q "1 alarms" "$T/v.out" && ! grep -q torn "$T/v.out" &&
	ok "the daemon cut the torn checkpoint line; the log verifies with one alarm" ||
	not_ok "torn checkpoint line: $(tail -1 "$T/d11.err"); $(head -1 "$T/v.out")"

# The writer refuses a log it cannot verify, cutting nothing (exit 65),
# and says what to check.  wrun LOGDIR DB [FAILPOINT]: a --once run of
# the daemon on that log and store; its status in $ws, stderr in $T/w.err.
wconf() {
	cat >"$T/w.conf" <<EOC
[store]
db = $2
[rules]
dir = $R
[line]
api = $EMU
token_file = $T/line-token
[email]
url = smtp://127.0.0.1:$SMTP_PORT
[dispatch]
job_timeout = 5
[log]
dir = $1
origin = mihon-test
checkpoint_records = 50
[senders]
jobs = ipc://$T/w.jobs
results = ipc://$T/w.results
EOC
}
wrun() {
	wconf "$1" "$2"
	env ${3:+OSHIRASE_FAILPOINT=$3} "$OSHIRASED" -c "$T/w.conf" --once --date $D \
	    --now ${D}T10:00 --wait 5 >"$T/w.out" 2>"$T/w.err"
	ws=$?
}
# refused DESC LOGDIR STATUS RE: the run on LOGDIR exits STATUS, says RE,
# and log.bin and checkpoints are as they were.
# oshirased -n refuses it first, with the same status and message.
refused() {
	cp "$2/log.bin" "$T/before.bin"; cp "$2/checkpoints" "$T/before.cp"
	wconf "$2" "$T/db"
	"$OSHIRASED" -c "$T/w.conf" -n >"$T/n.out" 2>"$T/n.err"
	ns=$?
	wrun "$2" "$T/db"
	if [ $ws -eq "$3" ] && grep -q "$4" "$T/w.err" && cmp -s "$2/log.bin" "$T/before.bin" &&
	    cmp -s "$2/checkpoints" "$T/before.cp" && [ $ns -eq "$3" ] && grep -q "$4" "$T/n.err"; then
		ok "$1: exit $3 (and from -n), nothing cut or appended: $(grep -o "$4.\{0,60\}" "$T/w.err" | head -1)"
	else
		not_ok "$1: exit $ws (-n: $ns), want $3 and '$4': $(grep -v '^oshirase-sender' "$T/w.err" | head -3); -n: $(head -2 "$T/n.err")"
	fi
}
"$OSHIRASE" audit init --log "$T/o2" --origin mihon-test --pubkey-out "$T/o2pub" --k0-out "$T/o2k0" >/dev/null
tamper w1; cp "$T/o2/state" "$T/w1/state"
refused "the state of another log of the same origin (a restore gone wrong)" "$T/w1" 65 \
    "log.bin: record 0 does not verify with the writer's saved state ($T/w1/state, 0 records; log.bin holds $n).*Check that log.bin, state and checkpoints"
tamper w2; "$PY" -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[16] ^= 1      # the chain head
open(sys.argv[1], "wb").write(b)' "$T/w2/state"
refused "a state whose chain head is not the log's, at the last checkpoint's size" "$T/w2" 65 \
    "state: the writer's state does not agree with the last checkpoint ($n records: the chain head differs)"
tamper w3; sed -i '$d' "$T/w3/checkpoints"; "$PY" -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[132] ^= 1     # the first Merkle frontier hash
open(sys.argv[1], "wb").write(b)' "$T/w3/state"
refused "a state whose Merkle tree is not the log's, above the last checkpoint" "$T/w3" 65 \
    "state: the writer's state does not agree with the $n records of log.bin (the Merkle root"
tamper w4; sed -i '$d' "$T/w4/checkpoints"
wrun "$T/w4" "$T/db"
[ $ws -eq 0 ] && "$OSHIRASE" audit verify --log "$T/w4" --pubkey "$T/pub" --k0 "$T/k0" >"$T/v.out" 2>&1 &&
	ok "the last checkpoint lost in a crash: the log hashed again, and it starts: $(head -1 "$T/v.out" | cut -c1-60)" ||
	not_ok "a crash before the last checkpoint: exit $ws: $(grep -v '^oshirase-sender' "$T/w.err" | head -2)"
tamper w12; truncate -s -1 "$T/w12/checkpoints"	# the last line's newline only
wrun "$T/w12" "$T/db"
[ $ws -eq 0 ] && grep -q "checkpoints: the last checkpoint line had no newline; one was added" "$T/w.err" &&
	! grep -q ALERT "$T/w.err" &&
	"$OSHIRASE" audit verify --log "$T/w12" --pubkey "$T/pub" --k0 "$T/k0" >"$T/v.out" 2>&1 &&
	grep -q " 0 alarms" "$T/v.out" && [ "$(wc -l <"$T/w12/checkpoints")" -eq "$(($(wc -l <"$L/checkpoints") + 2))" ] &&
	ok "a last checkpoint line without its newline: kept and finished, not cut" ||
	not_ok "a checkpoint line without its newline: exit $ws: $(grep -v '^oshirase-sender' "$T/w.err" | head -2); $(head -1 "$T/v.out")"
tamper w5; "$PY" "$TP" cut "$T/w5/log.bin" $((n - 5))
refused "log.bin shorter than its state" "$T/w5" 65 "log.bin holds $((n - 5)) records, but $n were written"
tamper w6; "$PY" "$TP" hflip "$T/w6/log.bin" 50
refused "a header byte changed" "$T/w6" 65 "log.bin: not an oshirase log, or its header was changed"
# Planted symbolic links are refused, not followed; so are other users' files.
tamper w8; echo "not the log's" >"$T/victim"; rm "$T/w8/checkpoints"; ln -s "$T/victim" "$T/w8/checkpoints"
wrun "$T/w8" "$T/db"
[ $ws -eq 73 ] && grep -q "$T/w8/checkpoints: a symbolic link; refused" "$T/w.err" &&
	[ "$(cat "$T/victim")" = "not the log's" ] &&
	ok "checkpoints a planted symbolic link: refused (exit 73), its target untouched" ||
	not_ok "a symbolic link as checkpoints: exit $ws: $(grep -v '^oshirase-sender' "$T/w.err" | head -2)"
tamper w9; rm "$T/w9/log.bin"; ln -s "$L/log.bin" "$T/w9/log.bin"; cp "$L/log.bin" "$T/before.bin"
wrun "$T/w9" "$T/db"
[ $ws -eq 73 ] && grep -q "$T/w9/log.bin: a symbolic link; refused" "$T/w.err" && cmp -s "$L/log.bin" "$T/before.bin" &&
	ok "log.bin a symbolic link to another log: refused, the other log untouched" ||
	not_ok "a symbolic link as log.bin: exit $ws: $(grep -v '^oshirase-sender' "$T/w.err" | head -2)"
tamper w10; echo "keep me" >"$T/victim2"; ln -s "$T/victim2" "$T/w10/state.tmp"
refused "state.tmp a planted symbolic link" "$T/w10" 73 "$T/w10/state.tmp: a symbolic link; refused"
[ "$(cat "$T/victim2")" = "keep me" ] && ok "the link's target is not truncated" || not_ok "state.tmp's target was written"
if [ "$(id -u)" -eq 0 ]; then
	tamper w11; chown 65534 "$T/w11/state"
	refused "a state file of another user" "$T/w11" 73 "$T/w11/state: owned by uid 65534, not by the user that runs oshirased"
else
	ok "# SKIP a file of another user: not root, cannot chown"
fi

# After a failed store transaction or a full disk, the log and the store
# agree: agree LOGDIR DB: no notice twice sent in the log, as many sent as
# the ledger holds, none left queued.
agree() {
	"$OSHIRASE" audit show --log "$1" --json | grep '"outcome":"sent"' |
		sed 's/.*"notice":\([0-9]*\).*/\1/' >"$T/sent"
	_dup=$(sort "$T/sent" | uniq -d | wc -l)
	_led=$("$OSHIRASE" status --db "$2" | awk 'index($0, "  sent ") == 1 { print $NF }')
	_q=$("$OSHIRASE" status --db "$2" | awk 'index($0, "  queued ") == 1 { print $NF }')
	[ "$_dup" -eq 0 ] && [ "$(wc -l <"$T/sent")" -eq "$_led" ] && [ "$_q" -eq 0 ]
}
import_city db6 || not_ok "import db6"
"$OSHIRASE" audit init --log "$T/fp" --origin mihon-test --pubkey-out "$T/fppub" --k0-out "$T/fpk0" >/dev/null
wrun "$T/fp" "$T/db6" settle-commit:1
[ $ws -eq 74 ] && grep -q "ALERT: $T/fp/log.bin: [0-9]* records of a store transaction that failed were taken back" "$T/w.err" &&
	grep -q "db6: settling [0-9]* messages: Input/output error" "$T/w.err" &&
	ok "a settle commit that fails (failpoint): exit 74, its records taken back from the log" ||
	not_ok "a failed settle commit: exit $ws: $(grep -v '^oshirase-sender' "$T/w.err" | tail -3)"
wrun "$T/fp" "$T/db6"
if [ $ws -eq 0 ] && agree "$T/fp" "$T/db6" &&
    "$OSHIRASE" audit verify --log "$T/fp" --pubkey "$T/fppub" --k0 "$T/fpk0" >"$T/v.out" 2>&1 &&
    grep -q "1 alarms" "$T/v.out"; then
	ok "after the retry: each notice logged once as sent, as many as the ledger holds ($_led); the log verifies, with one alarm"
else
	not_ok "after the failed commit and a retry: exit $ws, $_dup notices twice sent, $(wc -l <"$T/sent") sent in the log, $_led in the ledger, $_q queued; $(head -1 "$T/v.out")"
fi
"$OSHIRASE" audit show --log "$T/fp" | grep -q "alarm	outcome records the store did not commit were taken back" &&
	ok "audit show lists the alarm of the records taken back" || not_ok "no alarm of records taken back"
# A full disk under the log: the cause named, with the file (a small tmpfs).
mkdir -p "$T/full"
if mount -t tmpfs -o size=80k tmpfs "$T/full" 2>"$T/mount.err"; then
	trap 'umount "$T/full" 2>/dev/null; for _p in $PIDS; do kill "$_p" 2>/dev/null; done; rm -rf "$T"' EXIT
	import_city db5 || not_ok "import db5"
	"$OSHIRASE" audit init --log "$T/full/log" --origin mihon-test --pubkey-out "$T/fpub" --k0-out "$T/fk0" >/dev/null
	wrun "$T/full/log" "$T/db5"
	[ $ws -eq 74 ] && grep -Eq "^oshirased: $T/full/log/[a-z.]+: [a-z]+: No space left on device" "$T/w.err" &&
		ok "a full disk under the log: exit 74, $(grep -m1 -o "full/log/[a-z.]*: [a-z]*: No space left on device" "$T/w.err")" ||
		not_ok "a full disk: exit $ws: $(grep -v '^oshirase-sender' "$T/w.err" | tail -3)"
	mount -o remount,size=4m "$T/full"
	wrun "$T/full/log" "$T/db5"
	if [ $ws -eq 0 ] && agree "$T/full/log" "$T/db5" &&
	    "$OSHIRASE" audit verify --log "$T/full/log" --pubkey "$T/fpub" --k0 "$T/fk0" >"$T/v.out" 2>&1; then
		ok "room made, the run again: the log verifies and agrees with the store ($_led sent)"
	else
		not_ok "after the full disk: exit $ws, $_dup notices twice sent, $(wc -l <"$T/sent") sent in the log, $_led in the ledger, $_q queued; $(head -1 "$T/v.out")"
	fi
	umount "$T/full"
else
	ok "# SKIP a full disk: cannot mount a tmpfs here ($(head -1 "$T/mount.err"))"
fi

# Proofs of inclusion
nid=$("$OSHIRASE" audit show --log "$L" --json | grep -m1 '"outcome":"sent"' | sed 's/.*"notice":\([0-9]*\).*/\1/')
"$OSHIRASE" audit prove --log "$L" --notice "$nid" >"$T/proof"
expect_status 0 "audit prove + check-proof: notice $nid is in the log" \
    "$OSHIRASE" audit check-proof --pubkey "$T/pub" "$T/proof"
"$PY" -c '
import sys
out = []
for l in open(sys.argv[1]):
    if l.startswith("path "):
        c = l[6]                 # the second hex digit of the first hash
        l = l[:6] + ("1" if c == "0" else "0") + l[7:]
    out.append(l)
open(sys.argv[2], "w").write("".join(out))' "$T/proof" "$T/proof2"
expect_status 1 "a proof with a changed path hash is refused" \
    "$OSHIRASE" audit check-proof --pubkey "$T/pub" "$T/proof2"
expect_status 1 "a proof checked with another public key is refused" \
    "$OSHIRASE" audit check-proof --pubkey "$T/opub" "$T/proof"
"$PY" -c '
import sys
out = []
for l in open(sys.argv[1]):
    if l.startswith("record "):
        h = list(l)
        i = 7 + 2 * 24          # the notice number: byte 24 of the record
        h[i] = "0" if h[i] != "0" else "1"
        l = "".join(h)
    out.append(l)
open(sys.argv[2], "w").write("".join(out))' "$T/proof" "$T/proof3"
expect_status 1 "a proof of an altered record is refused" \
    "$OSHIRASE" audit check-proof --pubkey "$T/pub" "$T/proof3"

# One resident's notices, by resident id, for an auditor with the key
rid=$(tail -n +2 "$T/city/contacts.csv" | head -1 | cut -d, -f1)
pr=$("$OSHIRASE" pseudonym --key "$T/key" "$rid" | cut -f2)
"$OSHIRASE" audit show --log "$L" --key "$T/key" --resident "$rid" >"$T/mine"
want=$("$OSHIRASE" audit show --log "$L" | grep -c "$pr")
got=$(grep -c . "$T/mine")
[ "$got" -eq "$want" ] && ! grep -qv "$pr" "$T/mine" &&
	ok "audit show --resident: the $got records about that resident, no others" ||
	not_ok "show --resident: $got lines, want $want"
expect_status 2 "audit verify without --pubkey is a usage error" "$OSHIRASE" audit verify --log "$L"
expect_status 66 "audit verify of a missing log: exit 66" "$OSHIRASE" audit verify --log "$T/none" --pubkey "$T/pub"

# The auditor's program is oshirase-audit; `oshirase audit` runs the one
# beside it and answers as it does.
AUD=$(dirname "$OSHIRASE")/oshirase-audit
same() {	# DESC WANT_STATUS LOGDIR [ARGS]
	_d=$1 _want=$2 _log=$3; shift 3
	"$OSHIRASE" audit verify --log "$_log" --pubkey "$T/pub" "$@" >"$T/s1.out" 2>/dev/null
	_s1=$?
	"$AUD" verify --log "$_log" --pubkey "$T/pub" "$@" >"$T/s2.out" 2>/dev/null
	_s2=$?
	if [ $_s1 -eq "$_want" ] && [ $_s2 -eq "$_want" ] && [ -s "$T/s1.out" ] &&
	    cmp -s "$T/s1.out" "$T/s2.out"; then
		ok "$_d: both exit $_want, the same output"
	else
		not_ok "$_d: exit $_s1 and $_s2, want $_want: $(diff "$T/s1.out" "$T/s2.out" | head -3)"
	fi
}
same "oshirase audit verify and oshirase-audit verify, a clean log" 0 "$L" --k0 "$T/k0"
same "the same, a clean log and the held checkpoints" 0 "$L" --checkpoint "$T/held"
same "the same, a re-sealed record" 1 "$T/t7" --k0 "$T/k0"
same "the same, a changed field, public key only" 1 "$T/t2"
"$AUD" show --log "$L" --pseudonym "$pr" >"$T/mine2" && cmp -s "$T/mine" "$T/mine2" &&
	ok "oshirase-audit show --pseudonym: the records oshirase audit show --resident finds" ||
	not_ok "show --pseudonym: $(wc -l <"$T/mine2") lines, want $(wc -l <"$T/mine")"
expect_status 2 "oshirase-audit never reads the pseudonymisation key (--key, --resident)" \
    "$AUD" show --log "$L" --key "$T/key" --resident "$rid"
expect_status 2 "oshirase-audit does not make a log's keys (init)" \
    "$AUD" init --log "$T/init2" --pubkey-out "$T/pub3" --k0-out "$T/k03"
[ ! -e "$T/init2" ] && ok "nothing made by oshirase-audit init" || not_ok "oshirase-audit init made $T/init2"
# Found through the executable's own directory, not argv[0] or PATH...
NOPATH=/usr/bin:/bin
mkdir -p "$T/link" "$T/alone"
ln -s "$OSHIRASE" "$T/link/oshirase"
PATH=$NOPATH "$T/link/oshirase" audit verify --log "$L" --pubkey "$T/pub" >"$T/s3.out" 2>&1 &&
	grep -q "^ok: $n records" "$T/s3.out" &&
	ok "oshirase run through a link finds oshirase-audit beside the executable" ||
	not_ok "through a link: $(head -2 "$T/s3.out")"
# ...and with none beside it nor on PATH, a clear refusal.
cp "$OSHIRASE" "$T/alone/oshirase"
if PATH=$NOPATH command -v oshirase-audit >/dev/null; then
	ok "# SKIP oshirase-audit is installed in $NOPATH"
else
	PATH=$NOPATH "$T/alone/oshirase" audit verify --log "$L" --pubkey "$T/pub" >"$T/s4.out" 2>"$T/s4.err"
	st=$?
	[ $st -eq 69 ] && [ ! -s "$T/s4.out" ] &&
		grep -q "oshirase-audit is neither beside this executable ($T/alone) nor on PATH" "$T/s4.err" &&
		ok "oshirase audit without oshirase-audit: exit 69, $(cut -c1-80 "$T/s4.err")" ||
		not_ok "without oshirase-audit: exit $st: $(cat "$T/s4.out" "$T/s4.err" | head -3)"
fi
# Consent records (sealfmt.h), written through outlog_consent by
# tests/seal_drive: `show` lists them with no address; `verify` fails a
# notice sent after its contact's latest consent record withdrew consent
# (withdrawn, removed, or no category) unless its message id is at most
# that record's last message (it may have been in flight); a notice on
# another channel, or after consent was given again, is no breach.
SEAL=${BUILD:-$TOP/build}/tests/seal_drive
CL=$T/clog
PA=$(printf 'a%.0s' $(seq 64)) PB=$(printf 'b%.0s' $(seq 64)) PC=$(printf 'c%.0s' $(seq 64))
"$OSHIRASE" audit init --log "$CL" --origin consent-test --pubkey-out "$T/cpub" \
    --k0-out "$T/ck0" >/dev/null 2>&1 || not_ok "audit init for the consent log"
"$SEAL" "$CL" >"$T/seal.out" 2>&1 <<EOR || not_ok "seal_drive: $(cat "$T/seal.out")"
sent $PA 1 1
consent $PA 1 1 1 2 1
sent $PA 1 2
consent $PA 1 2 1 2 3
sent $PA 1 3
sent $PA 2 4
consent $PB 2 1 0 3 4
sent $PB 2 4
consent $PC 1 1 9 1 4
sent $PC 1 5
EOR
CV() { "$OSHIRASE" audit verify --log "$CL" --pubkey "$T/cpub" --k0 "$T/ck0"; }
CV >"$T/cv.out" 2>&1 && grep -q "^ok: .* 4 consent records)" "$T/cv.out" &&
	ok "consent records verify; in-flight and other-channel sends are no breach: $(cut -c1-100 "$T/cv.out")" ||
	not_ok "the clean consent log: $(head -3 "$T/cv.out")"
"$OSHIRASE" audit show --log "$CL" >"$T/cs.out"
grep -q "	consent	withdrawn	health	line	$PA	source line	message 3$" "$T/cs.out" &&
	grep -q "	consent	active	none	email	$PB	source web	message 4$" "$T/cs.out" &&
	grep -q "	consent	active	health,tax	line	$PC	source import	message 4$" "$T/cs.out" &&
	[ "$(grep -c '	consent	' "$T/cs.out")" -eq 4 ] &&
	ok "audit show lists the consent records: state, categories, channel, pseudonym, source" ||
	not_ok "audit show: $(grep consent "$T/cs.out" | head -3)"
"$OSHIRASE" audit show --log "$CL" --json | grep '"type":"consent"' >"$T/cj.out"
grep -q "\"recipient\":\"$PA\",\"channel\":\"line\",\"consent\":\"withdrawn\",\"categories\":\"health\",\"source\":\"line\",\"message\":3" "$T/cj.out" &&
	! grep -q '@\|address' "$T/cj.out" "$T/cs.out" &&
	ok "audit show --json: the consent records' fields, no address" ||
	not_ok "show --json: $(head -2 "$T/cj.out")"
"$OSHIRASE" audit show --log "$CL" --pseudonym "$PB" >"$T/cp.out"
[ "$(grep -c '	consent	' "$T/cp.out")" -eq 1 ] && [ "$(grep -c '	outcome	' "$T/cp.out")" -eq 1 ] &&
	ok "audit show --pseudonym: that resident's consent record and outcome" ||
	not_ok "show --pseudonym: $(cat "$T/cp.out")"
# rec KIND PSEUDONYM WORD: the number of the record that show lists so
recno() { grep "	$1	.*$2.*$3" "$T/cs2.out" | cut -f1 | head -1; }
"$SEAL" "$CL" >"$T/seal.out" 2>&1 <<EOR || not_ok "seal_drive: $(cat "$T/seal.out")"
sent $PA 1 5
sent $PB 2 6
consent $PA 1 1 2 2 6
sent $PA 1 7
consent $PC 1 3 0 1 7
sent $PC 1 8
EOR
"$OSHIRASE" audit show --log "$CL" >"$T/cs2.out"
nA=$(recno outcome "line	$PA" "notice 5") mA=$(recno consent withdrawn "$PA")
nB=$(recno outcome "email	$PB" "notice 6") mB=$(recno consent "active	none" "$PB")
nC=$(recno outcome "line	$PC" "notice 8") mC=$(recno consent removed "$PC")
CV >"$T/cv.out" 2>&1
st=$?
cat >"$T/cv.want" <<EOW
record $nA at byte $((64 + 256 * nA)): sent after the resident withdrew consent (record $mA)
record $nB at byte $((64 + 256 * nB)): sent after the resident withdrew consent (record $mB)
record $nC at byte $((64 + 256 * nC)): sent after the resident withdrew consent (record $mC)
EOW
[ $st -eq 1 ] && cmp -s "$T/cv.out" "$T/cv.want" &&
	ok "verify: exit 1, a send after withdrawn, no-category and removed consent each named, not the one after consent came back" ||
	not_ok "verify of breaches: exit $st: $(head -4 "$T/cv.out") want $(head -1 "$T/cv.want")"
finish
