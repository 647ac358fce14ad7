#!/bin/sh
# demo.sh - the main job on an embedded default: a synthetic city, imported
# into a fresh store under demo/, matched against the programs of rules/ and told
# through the LINE emulator and a local SMTP server (aiosmtpd), all on
# loopback; then a table per program of eligible / notified / suppressed.
# The roles run as separate processes: the queue (oshirased --once) and
# the oshirase-sender processes it starts ([senders] workers = 4), which
# alone hold the LINE token and talk to LINE and SMTP, over ipc://.
# SPDX-License-Identifier: MIT
#   sh tools/demo.sh [RESIDENTS]     (default 100000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
O="$top/build/oshirase"
N=${1:-100000}
D="$top/demo"
rm -rf "$D"
mkdir -p "$D"
echo "== a synthetic city of $N residents (seed 1)"
"$top/build/oshirase-gen" --residents "$N" --seed 1 --out "$D"
echo "== keys: pseudonymisation key, contact key pair"
"$O" keygen --out "$D/pseudonym.key"
"$O" keygen --contacts --db "$D/db"
echo "== import"
"$O" import residents "$D/residents.csv" --db "$D/db" --key "$D/pseudonym.key" --rules "$top/rules"
"$O" import contacts "$D/contacts.csv" --db "$D/db" --key "$D/pseudonym.key"
echo "== what the store holds"
"$O" status --db "$D/db"
echo "== who may qualify for what today ($(ls "$top"/rules/*.ini | grep -vc '/vocabulary\.ini$') programs of rules/)"
"$O" eligible --db "$D/db" --rules "$top/rules" --counts
echo "== why: the first resident of the extract and the lung cancer screening"
sub=$("$O" pseudonym --key "$D/pseudonym.key" "$(sed -n 2p "$D/residents.csv" | cut -d, -f1)" | cut -f2)
"$O" explain --db "$D/db" --rules "$top/rules" --program lung-cancer-screening --subject "$sub" || true
echo "== the store holds no resident id: first resident id of the file in a dump?"
rid=$(sed -n 2p "$D/residents.csv" | cut -d, -f1)
if mdb_dump -a -p "$D/db" | grep -q "$rid"; then echo "FOUND (bug)"; exit 1; else echo "not found (as it should be)"; fi

echo "== delivery: the LINE emulator and an SMTP server (aiosmtpd) on 127.0.0.1"
PY=/usr/bin/python3
PIDS=""
trap 'rc=$?; for p in $PIDS; do kill "$p" 2>/dev/null || true; done; exit $rc' EXIT
echo "demo-channel-token" >"$D/line-token"
chmod 600 "$D/line-token"
# the channel secret signs the residents' webhooks (emulator -> gateway)
echo "0123456789abcdef0123456789abcdef" >"$D/line-secret"
chmod 600 "$D/line-secret"
GW_PORT=$("$PY" "$top/tests/integration/smtp_sink.py" --free-port)
"$top/build/oshirase-line-emulator" --token-file "$D/line-token" --port-file "$D/emu.port" \
    --record "$D/line-deliveries.jsonl" \
    --webhook "http://127.0.0.1:$GW_PORT/line/webhook" --channel-secret "$D/line-secret" \
    >"$D/emulator.log" 2>&1 &
PIDS="$PIDS $!"
SMTP_PORT=$("$PY" "$top/tests/integration/smtp_sink.py" --free-port)
mkdir -p "$D/mail"
PYTHONPATH="$top/tests/integration" "$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
    -c smtp_sink.Sink "$D/mail" >"$D/smtp.log" 2>&1 &
PIDS="$PIDS $!"
"$PY" "$top/tests/integration/smtp_sink.py" --wait 127.0.0.1 "$SMTP_PORT"
i=0
while [ ! -s "$D/emu.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat >"$D/oshirase.conf" <<EOC
[store]
db = $D/db
[rules]
dir = $top/rules
[line]
api = http://127.0.0.1:$(cat "$D/emu.port")
token_file = $D/line-token
rate = 1900
[email]
url = smtp://127.0.0.1:$SMTP_PORT
rate = 500
burst = 50
# emails handed out and not yet answered: what a crash may send twice;
# each batch of them costs a commit before it goes (default 4)
in_flight = 32
[senders]
workers = 4
# the daemon's senders (oshirased without --once) meet it here
jobs = ipc://$D/jobs
results = ipc://$D/results
[gateway]
listen = 127.0.0.1:$GW_PORT
actions = ipc://$D/actions
line_secret = $D/line-secret
EOC
today=$(TZ=Asia/Tokyo date +%F)
echo "== what a run today would send (oshirase match --dry-run --counts)"
"$O" match --dry-run --counts --db "$D/db" --rules "$top/rules" | sed -n '1p;$p'
echo "== the run: oshirased --once, as if at 10:00 in Japan (inside the send window)"
t0=$(date +%s)
"$top/build/oshirased" -c "$D/oshirase.conf" --once --now "${today}T10:00" 2>"$D/oshirased.log"
grep -e 'match run' -e 'messages made' "$D/oshirased.log"
n=$(sed -n 's/^oshirased: \([0-9]*\) sender processes started$/\1/p' "$D/oshirased.log")
echo "   roles: the queue (oshirased: the store, the outbox, the sealed log; it reaches no server)"
echo "   and ${n:-?} oshirase-sender processes (the LINE token, libcurl; no store) over ipc://,"
echo "   $(grep -c '^oshirase-sender: sender: 1 workers: jobs from ipc://' "$D/oshirased.log") of them logged their start"
echo "   ($(($(date +%s) - t0)) s.  eligible: (program, subject) pairs; queued: new notices;"
echo "   notified: notices delivered; already: in the dedup ledger; suppressed:"
echo "   nocontact, noconsent, noadult (a child with no adult head or spouse);"
echo "   eligible counts (program, subject) pairs, the others count notices,"
echo "   one per recipient: a child's two parents are two)"
echo "== what arrived"
echo "LINE emulator: $(grep -c . "$D/line-deliveries.jsonl") pushes accepted (one digest per recipient)"
echo "SMTP server:   $(ls "$D/mail" | grep -c '\.eml$') messages"
echo "-- a LINE message as the resident reads it:"
head -1 "$D/line-deliveries.jsonl" |
	"$PY" -c 'import json, sys; print(json.loads(sys.stdin.read())["messages"][0])'
echo "-- an email, decoded:"
"$PY" -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for h in ("From", "Subject", "List-Unsubscribe"):
    print("%s: %s" % (h, m[h]))
print()
print(m.get_body().get_content())' "$D/mail/msg-1.eml"
echo "== a second run on the same day sends nothing (the dedup ledger)"
"$top/build/oshirased" -c "$D/oshirase.conf" --once --now "${today}T10:05" 2>>"$D/oshirased.log" | tail -2
"$O" status --db "$D/db" | tail -8

# ---- a resident registers through LINE, hears the run's message, stops.
# The emulator plays the resident: each
# act is a signed webhook to the gateway, which passes it to the queue
# (oshirased, here as a daemon with one oshirase-sender); the queue's
# replies come back to the emulator's reply endpoint.
EMU="http://127.0.0.1:$(cat "$D/emu.port")"
RU=Uc17c17c17c17c17c17c17c17c17c17c1	# the resident's LINE user id
# act VERB JSON: the resident acts; prints the gateway's status
act() { curl -s -o /dev/null -w '%{http_code}' -d "$2" "$EMU/emulator/$1"; }
# replies: how many replies the resident got; show_reply: wait for reply
# number $1, print its texts and buttons
replies() { curl -s "$EMU/emulator/replies?user=$RU" |
	"$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["replies"]))'; }
show_reply() {
	i=0
	while [ "$(replies)" -lt "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	curl -s "$EMU/emulator/replies?user=$RU" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["replies"]
if len(r) < int(sys.argv[1]):
    print("   (no reply)"); sys.exit()
for t in r[int(sys.argv[1]) - 1]["texts"]:
    print("   < " + t.replace("\n", "\n     "))
b = r[int(sys.argv[1]) - 1]["quickReply"]
if b:
    print("   [" + "] [".join(q["label"] + " = " + q["data"] for q in b) + "]")' "$1"
}
# start_actions / stop_actions: the queue as a daemon, a sender, the gateway
start_actions() {
	"$top/build/oshirased" -c "$D/oshirase.conf" --now "${today}T10:20" 2>>"$D/oshirased.log" &
	QPID=$!
	"$top/build/oshirase-sender" -c "$D/oshirase.conf" --workers 1 2>>"$D/sender.log" &
	SPID=$!
	"$top/build/oshirase-gateway" -c "$D/oshirase.conf" 2>>"$D/gateway.log" &
	GPID=$!
	PIDS="$PIDS $QPID $SPID $GPID"
	i=0
	until curl -sf "http://127.0.0.1:$GW_PORT/healthz" >/dev/null; do
		[ $i -lt 100 ] || { echo "gateway did not start"; tail "$D/gateway.log"; exit 1; }
		sleep 0.1; i=$((i + 1))
	done
}
stop_actions() {
	kill -TERM "$GPID" "$SPID" "$QPID"
	wait "$GPID" "$SPID" "$QPID" || true
}
resident_scene() {
	echo "== letters for those with no contact (oshirase letters)"
	"$O" letters --db "$D/db" --rules "$top/rules" --residents "$D/residents.csv" \
	    --key "$D/pseudonym.key" --date "$today" --out "$D/letters.csv"
	echo "   $(($(wc -l <"$D/letters.csv") - 1)) letters, each with a single-use code"
	row=$(sed -n 2p "$D/letters.csv")
	rid=$(echo "$row" | cut -d, -f1) code=$(echo "$row" | cut -d, -f2)
	echo "   the first: programs $(echo "$row" | cut -d, -f4), code $code, expires $(echo "$row" | cut -d, -f3)"
	echo "== the resident adds the city's account, sends the code, chooses"
	start_actions
	n=0
	echo "   > (follows the account): $(act follow "{\"user\":\"$RU\"}")"
	n=$((n + 1)); show_reply $n
	echo "   > $code: $(act text "{\"user\":\"$RU\",\"text\":\"$code\"}")"
	n=$((n + 1)); show_reply $n
	echo "   > (taps すべて): $(act postback "{\"user\":\"$RU\",\"data\":\"cat=7\"}")"
	n=$((n + 1)); show_reply $n
	echo "   > (taps はい): $(act postback "{\"user\":\"$RU\",\"data\":\"tax=1\"}")"
	n=$((n + 1)); show_reply $n
	stop_actions
	echo "== the next run: the resident gets the run's message"
	"$top/build/oshirased" -c "$D/oshirase.conf" --once --now "${today}T10:30" 2>>"$D/oshirased.log" | tail -2
	grep "\"endpoint\":\"push\".*\"to\":\"$RU\"" "$D/line-deliveries.jsonl" | tail -1 |
		"$PY" -c 'import json, sys; print(json.loads(sys.stdin.read())["messages"][0])'
	echo "== the resident sends 配信停止"
	start_actions
	echo "   > 配信停止: $(act text "{\"user\":\"$RU\",\"text\":\"配信停止\"}")"
	n=$((n + 1)); show_reply $n
	stop_actions
	p=$("$O" pseudonym --key "$D/pseudonym.key" "$rid" | cut -f2)
	echo "   what the sealed log holds of them (oshirase audit show --pseudonym):"
	"$O" audit show --log "$D/db/log" --pseudonym "$p" | awk -F'\t' '
	    $3 == "consent" { print "     " $2 "  consent " $4 ", categories " $5 ", " $8 }
	    $3 == "outcome" { print "     " $2 "  notice " $4 ": " $5 " on " $6 }'
}
resident_scene
echo "== the sealed notification log, as an auditor checks it"
"$O" audit verify --log "$D/db/log" --pubkey "$D/db/log/auditor/pubkey" --k0 "$D/db/log/auditor/k0"
