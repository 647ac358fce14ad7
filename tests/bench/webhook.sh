#!/bin/sh
# bench/webhook.sh - `make bench`, residents' actions end to end (run.sh
# calls it after daemon.sh): LINE webhook events applied per second,
# signature check -> oshirase-gateway -> oshirased (one LMDB transaction
# per batch, consent records sealed and synced before its commit) ->
# the sealed log, next to the same number of LMDB writes alone.
# SPDX-License-Identifier: MIT
#
#   The city of daemon.sh (its contacts.csv has LINE contacts: the queue
#   indexes them at start, so postbacks from those user ids find their
#   contacts).  The queue runs as a service (--now in the morning, its
#   match run at 23:59, far away), with one oshirase-sender carrying the
#   replies to `oshirase-line-emulator` started without --webhook, which
#   takes any reply token: every reply is really made, queued, sent and
#   answered 200, and nothing warns (with --webhook the emulator takes only
#   the tokens it issued and would answer these 400).
#   `bench-webhook post` sends BENCH_WEBHOOK_EVENTS (default 10000) signed
#   webhooks, one postback `cat=D` event per body, each a real change of a
#   linked contact's categories, BENCH_WEBHOOK_CONCURRENCY (32) at a time,
#   and times them from the first request to the last answer; every one
#   must be answered 200, and the log must then hold one consent record
#   from LINE per event (`oshirase audit show`) and the emulator one reply
#   per event.
#   BENCH_WEBHOOK_THREADS (32, the default of [gateway] threads) sets the
#   gateway's threads, each waiting for the queue's answer to its request,
#   so that at most that many actions make a batch; BENCH_WEBHOOK_WORKERS
#   (8) the sender's workers, which carry the replies one at a time each.
#   BENCH_PARTS (as run.sh's) runs this part when it names `webhook`.
#   Baseline: `bench-webhook lmdb`, as many durable LMDB write
#   transactions committed one by one, each putting an event id and a
#   LINE contact's record (what one event puts), on the same disk.
set -eu
O=${1:?usage: webhook.sh path/to/oshirase}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$(dirname "$O")" && pwd)
WB=$bin/bench-webhook
N=${BENCH_DAEMON_RESIDENTS:-130000}
EV=${BENCH_WEBHOOK_EVENTS:-10000}
CONC=${BENCH_WEBHOOK_CONCURRENCY:-32}
WORKERS=${BENCH_WEBHOOK_WORKERS:-8}
GTHREADS=${BENCH_WEBHOOK_THREADS:-32}
PARTS=${BENCH_PARTS:-webhook}
B=${BENCH_DIR:-$top/build/bench}
D=2026-11-23
R=$top/rules
W=$B/webhook
. "$top/tests/bench/lib.sh"
case " $PARTS " in *" webhook "*) ;; *) exit 0 ;; esac
for p in "$bin/oshirased" "$bin/oshirase-sender" "$bin/oshirase-gateway" "$WB"; do
	[ -x "$p" ] || { echo "bench: $p is not built"; exit 1; }
done
command -v curl >/dev/null || { echo "bench: curl is needed (tools/install-deps)"; exit 1; }

PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done' EXIT
trap 'exit 1' INT TERM
rm -rf "$W"
mkdir -p "$W"
city="$B/dcity-$N"
if [ ! -s "$city/residents.csv" ]; then
	mkdir -p "$city"
	"$bin/oshirase-gen" --residents "$N" --seed 42 --date $D --out "$city" 2>/dev/null
fi
"$O" keygen --out "$W/key" -q
"$O" keygen --contacts --db "$W/db" -q
"$O" import residents "$city/residents.csv" --db "$W/db" --key "$W/key" \
    --rules "$R" --date $D -q
"$O" import contacts "$city/contacts.csv" --db "$W/db" --key "$W/key" --date $D -q
# the linked LINE users and the categories (health 1, child 2, welfare 4)
# their contacts hold
awk -F, '$2 == "line" && $6 == "active" {
	c = 0
	if ($5 ~ /health/) c += 1
	if ($5 ~ /child/) c += 2
	if ($5 ~ /welfare/) c += 4
	print $3, c }' "$city/contacts.csv" >"$W/users"
users=$(wc -l <"$W/users")
echo "line-token-bench" >"$W/token"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/secret"
echo >>"$W/secret"
chmod 600 "$W/token" "$W/secret"

"$bin/oshirase-line-emulator" --token-file "$W/token" --port-file "$W/emu.port" \
    >"$W/emu.out" 2>"$W/emu.err" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$W/emu.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$W/emu.port" ] || { echo "bench: the emulator did not start"; cat "$W/emu.err"; exit 1; }
EMU=http://127.0.0.1:$(cat "$W/emu.port")
GPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
GURL=http://127.0.0.1:$GPORT
cat >"$W/o.conf" <<EOC
[store]
db = $W/db
[rules]
dir = $R
[match]
time = 23:59
[line]
api = $EMU
token_file = $W/token
rate = 1900
burst = 50
[senders]
workers = $WORKERS
jobs = ipc://$W/jobs
results = ipc://$W/results
[gateway]
listen = 127.0.0.1:$GPORT
actions = ipc://$W/actions
line_secret = $W/secret
public_url = $GURL/
threads = $GTHREADS
EOC
emu_stat() { curl -sf "$EMU/emulator/stats" | sed "s/.*\"$1\":\([0-9]*\).*/\1/"; }
# until N CMD...: CMD until it succeeds, at most N seconds
until_ok() {
	_n=$(($1 * 20)); shift
	while ! "$@" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.05
	done
}
consents() { "$O" audit show --log "$W/db/log" 2>/dev/null | grep consent | grep -c "$1" || :; }

"$bin/oshirased" -c "$W/o.conf" --now ${D}T10:00 >"$W/q.out" 2>"$W/q.err" &
PIDS="$PIDS $!"
until_ok 60 grep -q 'actions: contact imports up to' "$W/q.err" ||
	{ echo "bench: the queue did not catch up with the contacts"; tail -5 "$W/q.err"; exit 1; }
"$bin/oshirase-sender" -c "$W/o.conf" --workers "$WORKERS" >"$W/s.out" 2>"$W/s.err" &
PIDS="$PIDS $!"
"$bin/oshirase-gateway" -c "$W/o.conf" >"$W/g.out" 2>"$W/g.err" &
PIDS="$PIDS $!"
until_ok 20 curl -sf -o /dev/null "$GURL/healthz" ||
	{ echo "bench: the gateway did not start"; tail -5 "$W/g.err"; exit 1; }
before=$(consents 'source line')

t0=$(now)
set -- $("$WB" post "$GURL/line/webhook" "$W/secret" "$W/users" "$EV" "$CONC" | tee "$W/post.out" |
    tr ' ' '\n' | cut -d= -f2)
t_wh=$2 rate=$3 ok=$4 other=$5
[ "$ok" -eq "$EV" ] || { echo "bench: $ok of $EV webhooks answered 200 ($other not)"; tail -5 "$W/g.err" "$W/q.err"; exit 1; }
echo "  (webhooks: $(cat "$W/post.out"))"
replies_in() { [ "$(emu_stat accepted)" -ge "$EV" ]; }
until_ok 60 replies_in ||
	{ echo "bench: $(emu_stat accepted) replies of $EV reached the emulator ($(grep -c 'could not be queued' "$W/q.err") dropped by the queue: too many waited for the senders; $(grep -c 'not sent after' "$W/q.err") given up)"; exit 1; }
t_rep=$(elapsed "$t0" "$(now)")
replies=$(emu_stat accepted)
for p in $PIDS; do kill "$p" 2>/dev/null || :; done
wait 2>/dev/null || :
PIDS=""
after=$(consents 'source line')
[ $((after - before)) -eq "$EV" ] ||
	{ echo "bench: $((after - before)) consent records from LINE sealed for $EV events"; exit 1; }

rm -rf "$W/lmdb"
t_db=$("$WB" lmdb "$W/lmdb" "$EV" "$users")
echo "== residents' actions: LINE webhooks, one postback event each, $CONC at a time, $users linked users, $(nproc) cores"
printf '  webhook events: %s in %s s = %s/s (goal 2,000/s); all 200, %s consent records sealed; the %s replies all sent by %s s\n' \
    "$EV" "$t_wh" "$rate" "$((after - before))" "$replies" "$t_rep"
printf '  LMDB writes alone: %s durable transactions one by one (an event id + a contact record each) in %s s = %s/s (baseline)\n' \
    "$EV" "$t_db" "$(awk -v n="$EV" -v t="$t_db" 'BEGIN { printf "%.0f", n / t }')"
echo "  ratio webhook/LMDB time: $(ratio "$t_wh" "$t_db") (below 1 = faster)"
