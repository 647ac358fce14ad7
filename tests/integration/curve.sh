#!/bin/sh
# curve.sh - senders on other hosts: the tcp:// link between oshirased and
# oshirase-sender is CURVE, on 127.0.0.1.  The queue is the CURVE server
# with its own key pair and lets in, through its ZAP handler, only the
# senders whose public keys [senders] curve_clients lists; a sender pins
# the queue's public key.  A rogue sender (a key not allowed) and a sender
# pinning another key than the queue's get no job: run alone they deliver
# nothing, and the queue logs the refusal of the rogue's key.  Then an
# allowed sender over tcp:// and a local one over ipc:// (the same queue
# sockets: NULL mechanism on ipc://, CURVE on tcp://) deliver everything.
# A tcp:// endpoint without keys is a config error (78) on both sides.
# `oshirase keygen --curve` makes the key files.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

[ -x "$OSHIRASED" ] && [ -x "$OSHIRASE_SENDER" ] || { not_ok "the programs are not built"; finish; }
[ -x "$PY" ] || skip_all "python3 is not installed"
command -v curl >/dev/null || skip_all "curl is not installed (tools/install-deps)"

D=2026-12-01
R="$TOP/rules"
line_city 400 5 db || { not_ok "import"; finish; }
NMSG=$(cut -f2 "$T/dry" | sort -u | wc -l)	# one LINE message per recipient
[ "$NMSG" -gt 20 ] || { not_ok "dry run: only $NMSG recipients"; finish; }
line_token
emulator e1

st() { "$OSHIRASE" status --db "$T/db" | awk -v f="$2" 'index($0, "  " f " ") == 1 { print $NF }'; }
# sender NAME CONF [ARGS]: an oshirase-sender in the background, -v (it
# logs each job it does); its pid in $NAME_PID (via SPID).
sender() {
	_sn=$1 _sc=$2; shift 2
	"$OSHIRASE_SENDER" -c "$T/$_sc.conf" -v "$@" >"$T/$_sn.out" 2>"$T/$_sn.err" &
	SPID=$!
	PIDS="$PIDS $SPID"
}
jobs_done() { grep -c 'sender_loop: job ' "$T/$1.err"; }

# ---- keys -------------------------------------------------------------------
for k in queue good rogue; do
	"$OSHIRASE" keygen --curve --out "$T/$k.key" -q || not_ok "keygen --curve $k"
done
[ "$(stat -c %a "$T/queue.key")" = 600 ] && [ "$(wc -l <"$T/queue.key.pub")" -eq 1 ] &&
	[ "$(tr -d '\n' <"$T/queue.key.pub" | wc -c)" -eq 40 ] &&
	grep -qxF "public $(cat "$T/queue.key.pub")" "$T/queue.key" &&
	[ "$(grep -c '^secret ' "$T/queue.key")" -eq 1 ] &&
	! grep -qF -e "$(sed -n 's/^secret //p' "$T/queue.key")" "$T/queue.key.pub" &&
	ok "keygen --curve: FILE (0600) holds both keys in Z85, FILE.pub the public key, one line" ||
	not_ok "keygen --curve files: $(ls -l "$T"/queue.key*)"
cp "$T/good.key.pub" "$T/good.pub.before"
expect_status 73 "keygen --curve never overwrites a key (73)" \
	"$OSHIRASE" keygen --curve --out "$T/good.key"
cmp -s "$T/good.key.pub" "$T/good.pub.before" && ok "and the key files are unchanged" ||
	not_ok "keygen --curve changed an existing key"
{ echo "# senders allowed to take jobs"; echo "$(cat "$T/good.key.pub")  # host good"; } >"$T/clients"

JP=$("$PY" "$TOP/tests/integration/smtp_sink.py" --free-pair)
RP=$((JP + 1))
# conf NAME: the queue's config: local senders at ipc:// in $T, remote
# ones at tcp:// with CURVE; then the lines on standard input.
conf() {
	{ cat <<EOC
[store]
db = $T/db
[rules]
dir = $R
[match]
time = 06:00
[dispatch]
retry_base = 1
retry_cap = 2
job_timeout = 5
[line]
api = $EMU
token_file = $T/line-token
timeout = 5
[senders]
workers = 0
jobs = ipc://$T/jobs
results = ipc://$T/results
remote_jobs = tcp://127.0.0.1:$JP
remote_results = tcp://127.0.0.1:$RP
curve_key = $T/queue.key
curve_clients = $T/clients
EOC
	} >"$T/$1.base"
	cat >"$T/$1.extra"
	ini_merge "$T/$1.base" "$T/$1.extra" >"$T/$1.conf"
}
# sconf NAME KEY SERVER_KEY: a remote sender's config: the queue's tcp
# endpoints, its own key pair and the key it pins.
sconf() {
	cat >"$T/$1.conf" <<EOC
[line]
api = $EMU
token_file = $T/line-token
timeout = 5
[senders]
jobs = tcp://127.0.0.1:$JP
results = tcp://127.0.0.1:$RP
curve_key = $T/$2.key
server_key = $T/$3
EOC
}
conf q </dev/null
sconf good good queue.key.pub
sconf rogue rogue queue.key.pub
sconf pin good rogue.key.pub		# an allowed key, but it pins another queue
# the local sender: the queue's ipc:// endpoints, no keys
printf '[line]\napi = %s\ntoken_file = %s\n[senders]\njobs = ipc://%s/jobs\nresults = ipc://%s/results\n' \
	"$EMU" "$T/line-token" "$T" "$T" >"$T/local.conf"

# ---- config errors: a tcp:// endpoint needs its keys (78) ---------------------
sed '/^curve_key/d' "$T/q.conf" >"$T/nokey.conf"
expect_status 78 "the queue: remote_jobs without curve_key is refused by -n (78)" \
	"$OSHIRASED" -n -c "$T/nokey.conf"
grep -q "remote_jobs is tcp:// with CURVE: it needs curve_key" "$T/.err" &&
	ok "and the message names what is missing" || not_ok "message: $(cat "$T/.err")"
expect_status 78 "the queue: the same at start (78)" \
	"$OSHIRASED" -c "$T/nokey.conf" --once --date $D --now ${D}T10:00 --wait 0
sed '/^curve_clients/d' "$T/q.conf" >"$T/noclients.conf"
expect_status 78 "the queue: remote_jobs without curve_clients (78)" \
	"$OSHIRASED" -n -c "$T/noclients.conf"
sed '/^remote_results/d' "$T/q.conf" >"$T/half.conf"
expect_status 78 "the queue: remote_jobs without remote_results (78)" \
	"$OSHIRASED" -n -c "$T/half.conf"
sed "s|^jobs = .*|jobs = tcp://127.0.0.1:$JP|; /^remote_/d" "$T/q.conf" >"$T/tcplocal.conf"
expect_status 78 "the queue: a tcp:// [senders] jobs, which it would bind without CURVE (78)" \
	"$OSHIRASED" -c "$T/tcplocal.conf" --once --date $D --now ${D}T10:00 --wait 0
grep -q "ipc:// only" "$T/.err" && ok "and it says ipc:// only, tcp:// in remote_jobs" ||
	not_ok "message: $(cat "$T/.err")"
{ cat "$T/clients"; echo "not-a-key"; } >"$T/badclients"
sed "s|^curve_clients = .*|curve_clients = $T/badclients|" "$T/q.conf" >"$T/badclients.conf"
expect_status 78 "the queue: a bad line in curve_clients (78)" \
	"$OSHIRASED" -c "$T/badclients.conf" --once --date $D --now ${D}T10:00 --wait 0
grep -q "badclients:3: not a public key" "$T/.err" && ok "the bad line is named FILE:LINE" ||
	not_ok "message: $(cat "$T/.err")"
cp "$T/queue.key" "$T/open.key"; chmod 644 "$T/open.key"
sed "s|^curve_key = .*|curve_key = $T/open.key|" "$T/q.conf" >"$T/openkey.conf"
expect_status 78 "the queue: a key pair readable by others (78)" \
	"$OSHIRASED" -c "$T/openkey.conf" --once --date $D --now ${D}T10:00 --wait 0
grep -q "chmod 600" "$T/.err" && ! grep -qF -e "$(sed -n 's/^secret //p' "$T/queue.key")" "$T/.err" &&
	ok "it says chmod 600, and shows no secret" || not_ok "message: $(cat "$T/.err")"
sed '/^server_key/d' "$T/good.conf" >"$T/nopin.conf"
expect_status 78 "a sender: a tcp:// jobs endpoint without server_key (78)" \
	"$OSHIRASE_SENDER" -c "$T/nopin.conf"
grep -q "server_key (the queue's public key) and curve_key" "$T/.err" &&
	ok "and the message names both keys" || not_ok "message: $(cat "$T/.err")"
expect_status 78 "a sender: --connect tcp:// with a config without keys (78)" \
	"$OSHIRASE_SENDER" -c "$T/local.conf" --connect "tcp://127.0.0.1:$JP"
cp "$T/queue.key" "$T/pin-is-pair"
sed "s|^server_key = .*|server_key = $T/pin-is-pair|" "$T/good.conf" >"$T/pinpair.conf"
expect_status 78 "a sender: a server_key file that is not one public key (78)" \
	"$OSHIRASE_SENDER" -c "$T/pinpair.conf"
n=$(grep -c . "$T/e1.record")
[ "$n" -eq 0 ] && ok "nothing was sent by any of these" || not_ok "$n messages sent"

# ---- the queue, with a rogue sender and one pinning another key -------------
"$OSHIRASED" -c "$T/q.conf" --now ${D}T10:00 >"$T/q.out" 2>"$T/q.err" &
QPID=$!
PIDS="$PIDS $QPID"
until_ok 20 grep -q "messages made" "$T/q.err" || not_ok "the queue did not start: $(tail -3 "$T/q.err")"
grep -q "link: senders on other hosts: jobs at tcp://127.0.0.1:$JP, results at tcp://127.0.0.1:$RP (CURVE)" "$T/q.err" &&
	ok "the queue binds its tcp:// endpoints with CURVE" || not_ok "no CURVE bind in the log"
sender rogue rogue; ROGUE=$SPID
sender pin pin; PIN=$SPID
rp=$(cut -c1-8 "$T/rogue.key.pub")
until_ok 10 grep -qF "zap: refused a sender from 127.0.0.1 with key $rp" "$T/q.err"
sleep 2		# the rogue keeps reconnecting
line=$(grep "zap: refused" "$T/q.err" | head -1)
case $line in *"with key $rp...: not in [senders] curve_clients") true ;; *) false ;; esac &&
	! grep -qF -e "$(cut -c9-40 "$T/rogue.key.pub")" "$T/q.err" &&
	ok "the queue logs the refusal with the key's first 8 characters only: ${line#*: }" ||
	not_ok "refusal log: '$line'"
[ "$(grep -cF -e "with key $rp" "$T/q.err")" -eq 1 ] &&
	ok "one message for the rogue's many tries (no flood)" ||
	not_ok "$(grep -c "zap: refused" "$T/q.err") refusal messages"
[ "$(emu_stat requests)" -eq 0 ] && [ "$(jobs_done rogue)" -eq 0 ] && [ "$(jobs_done pin)" -eq 0 ] &&
	[ "$(st db sent)" -eq 0 ] && [ "$(st db "messages line")" -eq "$NMSG" ] &&
	ok "the rogue sender and the one pinning another key got no job in 2 s: nothing sent, $NMSG messages wait" ||
	not_ok "with the rogue alone: $(emu_stat requests) requests, jobs $(jobs_done rogue) and $(jobs_done pin)"
grep -q "CURVE handshake with tcp://127.0.0.1:$JP failed: the queue refused this sender's key" "$T/rogue.err" &&
	ok "the rogue is told that the queue refused its key" ||
	not_ok "rogue's log: $(tail -3 "$T/rogue.err")"
grep -q "CURVE handshake with tcp://127.0.0.1:$JP failed: is \[senders\] server_key the queue's public key?" "$T/pin.err" &&
	! grep -qF -e "with key $(cut -c1-8 "$T/good.key.pub")" "$T/q.err" &&
	ok "the sender pinning another key fails its handshake before the queue's ZAP is asked" ||
	not_ok "pin's log: $(tail -3 "$T/pin.err")"

# ---- then an allowed sender over tcp:// and a local one over ipc:// --------
# LINE answers in 50 ms, so that the two share the work whatever their
# start
emu_faults '{"latency_ms": 50}'
# and a local process gone bad answers "failed" (LINE 400) for every message id and
# attempt, all the while, with tokens of its own: the queue must take only
# the results of the senders that took the jobs (were it to take these,
# messages LINE accepted would be recorded failed, and the check of the
# deliveries below would fail)
"${BUILD:-$TOP/build}/tests/sender_drive" --forge "ipc://$T/results" 8 $((NMSG + 50)) \
	>"$T/forge.out" 2>"$T/forge.err" &
FORGE=$!
PIDS="$PIDS $FORGE"
sender good good; GOOD=$SPID
until_ok 10 grep -q "CURVE handshake with the queue at tcp://127.0.0.1:$JP done" "$T/good.err"
sender local local; LOCAL=$SPID
until_ok 30 eval '[ "$(emu_stat accepted)" -ge $NMSG ] && [ "$(st db "messages line")" -eq 0 ]'
wait $FORGE
forged=$(sed -n 's/^forged\t//p' "$T/forge.out")
[ "${forged:-0}" -gt 0 ] && grep -q "a result with another attempt's token ignored" "$T/q.err" &&
	ok "$forged forged results pushed while the senders worked, and ignored" ||
	not_ok "forged: '${forged}', $(cat "$T/forge.err"); queue: $(grep -c token "$T/q.err") token lines"
if "$PY" "$TOP/tests/integration/deliveries.py" "$T/dry" "$R" "$T/contacts.csv" \
    "$T/pseudonyms" "$T/e1.record" - "$T/db/log/log.bin" >"$T/chk" 2>&1; then
	ok "an allowed sender delivers everything: $(cat "$T/chk")"
else
	not_ok "deliveries: $(tail -3 "$T/chk")"
fi
g=$(jobs_done good) l=$(jobs_done local)
[ "$g" -gt 0 ] && [ "$l" -gt 0 ] && [ $((g + l)) -eq "$NMSG" ] &&
	grep -q "CURVE handshake with the queue at tcp://127.0.0.1:$JP done" "$T/good.err" &&
	ok "both sockets serve NULL on ipc:// and CURVE on tcp://: $g jobs over tcp://, $l over ipc://" ||
	not_ok "jobs: $g over tcp://, $l over ipc://, of $NMSG"
[ "$(jobs_done rogue)" -eq 0 ] && [ "$(jobs_done pin)" -eq 0 ] &&
	ok "the rogue and the mispinned sender still got nothing" ||
	not_ok "rogue $(jobs_done rogue), pin $(jobs_done pin) jobs"
kill -TERM "$QPID"; wait "$QPID"; rc=$?
[ $rc -eq 0 ] && ok "the queue stops on SIGTERM (exit 0)" || not_ok "queue exit $rc"
for p in $GOOD $LOCAL $ROGUE $PIN; do kill -TERM "$p"; done
rcs=""; for p in $GOOD $LOCAL $ROGUE $PIN; do wait "$p"; rcs="$rcs $?"; done
[ "$rcs" = " 0 0 0 0" ] && ok "every sender stops on SIGTERM (exit 0)" || not_ok "sender exits:$rcs"
finish
