#!/bin/sh
# residents.sh - residents in the loop, end to end, every role real: the
# LINE emulator plays residents (signed webhooks), oshirase-gateway checks
# and passes their actions, oshirased applies them and seals them, an
# oshirase-sender carries the replies back to the emulator and the
# confirmation mail to aiosmtpd.  A code from `oshirase letters` links its
# resident once; forged, missing and misplaced signatures get 401 and
# change nothing; a redelivered event applies once; failed codes are
# limited per LINE user; the categories chosen decide the dry run; the
# run's message reaches the resident and ends with how to stop; an
# unfollow cancels what was queued; one-click unsubscribe withdraws and
# its GET does not; registration by email is double opt-in; the log
# verifies.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
GW=$(dirname "$OSHIRASE")/oshirase-gateway
[ -x "$GW" ] || { not_ok "oshirase-gateway is not built"; finish; }

D=2026-12-01
D2=2026-12-02
gen_city 400 11 && import_city db || { not_ok "import"; finish; }
DB=$T/db
line_token
SECRET=0123456789abcdef0123456789abcdef
printf '%s\n' "$SECRET" >"$T/secret"
chmod 600 "$T/secret"
GPORT=$("$PY" "$TOP/tests/integration/smtp_sink.py" --free-port)
GURL=http://127.0.0.1:$GPORT
smtp_sink "$T/mail"
emulator emu --webhook "$GURL/line/webhook" --channel-secret "$T/secret"
cat >"$T/o.conf" <<EOC
[store]
db = $DB
[rules]
dir = $R
[match]
time = 23:59
[dispatch]
retry_base = 1
retry_cap = 2
job_timeout = 5
[line]
api = $EMU
token_file = $T/line-token
[email]
url = smtp://127.0.0.1:$SMTP_PORT
unsubscribe = $GURL/unsubscribe/
[senders]
workers = 1
jobs = ipc://$T/jobs
results = ipc://$T/results
[gateway]
listen = 127.0.0.1:$GPORT
actions = ipc://$T/actions
line_secret = $T/secret
public_url = $GURL/
queue_timeout = 5
EOC

# start AT / stop: the queue as a service (clock at D AT), a sender, the
# gateway; stop ends them (SIGTERM) and waits.
start() {
	"$OSHIRASED" -c "$T/o.conf" --now "$1" >>"$T/q.out" 2>>"$T/q.err" &
	QPID=$!
	until_ok 20 test -S "$T/actions" || { not_ok "the queue's actions socket"; tail "$T/q.err"; finish; }
	"$OSHIRASE_SENDER" -c "$T/o.conf" --workers 1 >>"$T/s.out" 2>>"$T/s.err" &
	SPID=$!
	"$GW" -c "$T/o.conf" >>"$T/g.out" 2>>"$T/g.err" &
	GPID=$!
	PIDS="$PIDS $QPID $SPID $GPID"
	until_ok 20 curl -sf -o /dev/null "$GURL/healthz" || { not_ok "the gateway"; tail "$T/g.err"; finish; }
}
stop() {
	kill -TERM "$GPID" "$SPID" "$QPID" 2>/dev/null
	wait "$GPID" "$SPID" "$QPID" 2>/dev/null
	rm -f "$T/actions"
}
# act VERB USER [FIELD VALUE]: the resident acts through the emulator; the
# gateway's HTTP status in $S
act() {
	if [ $# -eq 4 ]; then _j="{\"user\":\"$2\",\"$3\":\"$4\"}"; else _j="{\"user\":\"$2\"}"; fi
	S=$(curl -s -o "$T/act.json" -w '%{http_code}' -d "$_j" "$EMU/emulator/$1")
}
# replies USER: how many replies the user has had; reply USER N: the Nth
# (texts, then each quick-reply item's data), once it has come
replies() { curl -s "$EMU/emulator/replies?user=$1" |
	"$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["replies"]))'; }
has_replies() { [ "$(replies "$1")" -ge "$2" ]; }
reply() {
	until_ok 10 has_replies "$1" "$2" || { echo "(no reply $2)"; return; }
	curl -s "$EMU/emulator/replies?user=$1" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["replies"][int(sys.argv[1]) - 1]
print("\n".join(r["texts"]))
print(" ".join(q["data"] for q in (r.get("quickReply") or [])))' "$2"
}
# consents P: the consent records the log holds for pseudonym P
consents() { "$OSHIRASE" audit show --log "$DB/log" --pseudonym "$1" 2>/dev/null | grep -c consent; }
dry() { "$OSHIRASE" match --dry-run --db "$DB" --rules "$R" --date "${1:-$D}"; }
in_dry() { dry "${2:-$D}" | awk -F'\t' -v p="$1" '$2 == p { f = 1 } END { exit !f }'; }

# ---- letters: codes for three recipients with no contact
"$OSHIRASE" letters --db "$DB" --rules "$R" --residents "$T/city/residents.csv" \
    --key "$T/key" --date "$D" --out "$T/letters.csv" 2>"$T/letters.err" ||
	{ not_ok "letters: $(cat "$T/letters.err")"; finish; }
[ "$(wc -l <"$T/letters.csv")" -ge 6 ] || { not_ok "fewer than 3 letters"; finish; }
row() { sed -n "$(($1 + 1))p" "$T/letters.csv"; }
ID1=$(row 1 | cut -d, -f1) CODE1=$(row 1 | cut -d, -f2)
ID2=$(row 2 | cut -d, -f1) CODE2=$(row 2 | cut -d, -f2)
ID3=$(row 3 | cut -d, -f1) CODE3=$(row 3 | cut -d, -f2)
ID4=$(row 4 | cut -d, -f1) CODE4=$(row 4 | cut -d, -f2)
ID5=$(row 5 | cut -d, -f1) CODE5=$(row 5 | cut -d, -f2)
P1=$(pseudonym_of "$ID1") P2=$(pseudonym_of "$ID2") P3=$(pseudonym_of "$ID3")
P4=$(pseudonym_of "$ID4") P5=$(pseudonym_of "$ID5")
U1=Ua1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1
U2=Ub2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2
U3=Uc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3
U4=Ud4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4
U5=Ue5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5

start "${D}T10:00"
dry >"$T/dry0"

# ---- follow: a greeting that asks for the code
act follow "$U1"
[ "$S" = 200 ] && reply "$U1" 1 >"$T/r1" && grep -q . "$T/r1" &&
	ok "follow: 200 and a greeting ($(head -1 "$T/r1" | cut -c1-40)...)" ||
	not_ok "follow: status $S, reply: $(cat "$T/r1")"

# ---- signatures: forged, missing, over another body: 401, nothing applied
ev=$(printf '{"destination":"Uffffffffffffffffffffffffffffffff","events":[{"type":"message","mode":"active","timestamp":1764547200000,"source":{"type":"user","userId":"%s"},"webhookEventId":"01JFORGEDFORGEDFORGEDFORGE","deliveryContext":{"isRedelivery":false},"replyToken":"0000000000000000000000000000000f","message":{"id":"1","type":"text","text":"%s","quoteToken":"q"}}]}' "$U2" "$CODE1")
bad=""
for how in forged none other-body; do
	s=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "$ev" "$EMU/emulator/raw?signature=$how")
	[ "$s" = 401 ] || bad="$bad $how:$s"
done
s=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "$ev" -H 'Content-Type: application/json' \
    -H 'X-Line-Signature: AAAA' "$GURL/line/webhook")
[ "$s" = 401 ] || bad="$bad direct:$s"
[ -z "$bad" ] && [ "$(consents "$P1")" = 0 ] &&
	ok "a forged, a missing and a misplaced signature (and a wrong one sent directly): 401, the code not used" ||
	not_ok "signatures:$bad; consent records of the code's resident: $(consents "$P1")"

# ---- a wrong code, then the right one; its redelivery applies once
act text "$U1" text "ZZZZ-ZZZZ-ZZZZ"
[ "$S" = 200 ] && reply "$U1" 2 >"$T/r2" && grep -q . "$T/r2" && [ "$(consents "$P1")" = 0 ] &&
	ok "a wrong code: 200, a reply, nothing linked" || not_ok "wrong code: $S $(cat "$T/r2")"
act text "$U1" text "$(echo "$CODE1" | tr A-Z a-z)"
reply "$U1" 3 >"$T/r3"
[ "$S" = 200 ] && grep -q 'cat=7' "$T/r3" && grep -q 'cat=0' "$T/r3" && [ "$(consents "$P1")" = 1 ] &&
	ok "the letter's code (typed in lower case): linked, a consent record, the categories offered ($(tail -1 "$T/r3"))" ||
	not_ok "code: status $S, records $(consents "$P1"), reply: $(cat "$T/r3")"
in_dry "$P1" && not_ok "linked with no categories chosen, yet in the dry run" ||
	ok "nothing is sent before the resident chooses"
act redeliver "$U1"
sleep 0.5
[ "$S" = 200 ] && [ "$(consents "$P1")" = 1 ] && [ "$(replies "$U1")" = 3 ] &&
	ok "the code's event redelivered (same webhookEventId): 200, applied once, no second reply" ||
	not_ok "redelivery: status $S, records $(consents "$P1"), replies $(replies "$U1")"
act text "$U2" text "$CODE1"
reply "$U2" 1 >/dev/null
[ "$S" = 200 ] && [ "$(consents "$P1")" = 1 ] &&
	ok "the same code from another LINE user links nothing" ||
	not_ok "a used code: status $S, records $(consents "$P1")"

# ---- the resident chooses; the dry run follows
act postback "$U1" data "cat=7"
reply "$U1" 4 >"$T/r4"
act postback "$U1" data "tax=1"
reply "$U1" 5 >/dev/null
[ "$(consents "$P1")" = 3 ] && in_dry "$P1" &&
	[ "$(dry | awk -F'\t' -v p="$P1" '$2 == p { print $4 }' | sort -u)" = line ] &&
	ok "all categories and tax chosen by postback: the resident is in the dry run, on LINE ($(dry | awk -F'\t' -v p="$P1" '$2 == p' | wc -l) notices)" ||
	not_ok "after choosing: records $(consents "$P1"), dry: $(dry | grep -c "$P1")"

# ---- failed codes are limited per LINE user ([gateway] attempts, 5)
for i in 1 2 3 4 5; do act text "$U3" text "ZZZZ-ZZZZ-ZZZ$i"; done
act text "$U3" text "$CODE2"
reply "$U3" 6 >"$T/r36"
[ "$(consents "$P2")" = 0 ] && ok "after 5 wrong codes the 6th, a good one, is not even checked: $(head -1 "$T/r36" | cut -c1-60)" ||
	not_ok "brute force: the good code linked after 5 failures"
act text "$U4" text "$CODE2"
reply "$U4" 1 >/dev/null
act postback "$U4" data "cat=7"
act postback "$U4" data "tax=1"
reply "$U4" 3 >/dev/null
[ "$(consents "$P2")" = 3 ] && in_dry "$P2" &&
	ok "... and the same code from another user links (it was good)" ||
	not_ok "code 2 from another user: records $(consents "$P2")"

# ... nor can they in one request: 6 wrong codes and then a good one in
# one signed webhook link nothing
evs=""
for i in 0 1 2 3 4 5 6; do
	c=ZZZZ-ZZZZ-ZZZ$i
	[ $i = 6 ] && c=$CODE5
	evs="$evs${evs:+,}$(printf '{"type":"message","mode":"active","timestamp":1764547200000,"source":{"type":"user","userId":"Uf6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6"},"webhookEventId":"01JBATCH0000000000000000%02d","deliveryContext":{"isRedelivery":false},"replyToken":"00000000000000000000000000000b%02d","message":{"id":"%d","type":"text","text":"%s","quoteToken":"q"}}' $i $i $i "$c")"
done
s=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "{\"destination\":\"Uffffffffffffffffffffffffffffffff\",\"events\":[$evs]}" "$EMU/emulator/raw?signature=valid")
[ "$s" = 200 ] && [ "$(consents "$P5")" = 0 ] &&
	ok "6 wrong codes and a good one in one webhook: 200, nothing linked (the attempts are taken before the queue is asked)" ||
	not_ok "a batch of codes: status $s, records of the good code's resident $(consents "$P5")"

# ---- unfollow: an imported LINE contact's recipient leaves the dry run
set -- $(grep ',line,' "$T/city/contacts.csv" | grep ',active$' | while IFS=, read -r id ch addr rest; do
	p=$(pseudonym_of "$id")
	awk -F'\t' -v p="$p" '$2 == p && $4 == "line" { f = 1 } END { exit !f }' "$T/dry0" &&
		{ echo "$p $addr"; break; }
done)
LP=$1 LU=$2
act follow "$LU"
act unfollow "$LU"
[ "$S" = 200 ] && ! in_dry "$LP" && in_dry "$P1" &&
	"$OSHIRASE" audit show --log "$DB/log" --pseudonym "$LP" | grep consent | tail -1 | grep -q withdrawn &&
	ok "unfollow of an imported LINE contact: 200, withdrawn (sealed), out of the next dry run" ||
	not_ok "unfollow $LU: status $S"

# ---- email: registration (double opt-in), then one-click unsubscribe
s=$(curl -s -o "$T/reg.html" -w '%{http_code}' "$GURL/register")
s2=$(curl -s -o "$T/reg2.html" -w '%{http_code}' --data-urlencode "code=$CODE3" \
    --data-urlencode "email=resident3@example.jp" --data-urlencode "lang=en" "$GURL/register")
until_ok 10 sh -c "grep -l 'resident3@example.jp' '$T/mail'/*.eml" >/dev/null 2>&1
link=$(grep -l 'resident3@example.jp' "$T/mail"/*.eml 2>/dev/null | head -1 | xargs -r "$PY" -c '
import email, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_maintype() == "text":
        t = p.get_payload(decode=True).decode()
        x = re.search(r"http\S+/confirm/\S+", t)
        if x: print(x.group(0)); break')
[ "$s" = 200 ] && [ "$s2" = 200 ] && [ -n "$link" ] && [ "$(consents "$P3")" = 0 ] &&
	ok "the registration form, then a confirmation mail with a link; nothing linked yet" ||
	not_ok "register: GET $s, POST $s2, link '$link', records $(consents "$P3")"
s=$(curl -s -o "$T/conf.html" -w '%{http_code}' "$link")
[ "$s" = 200 ] && [ "$(consents "$P3")" = 0 ] && ok "the confirmation page (GET) changes nothing" ||
	not_ok "confirm GET: $s, records $(consents "$P3")"
s=$(curl -s -o "$T/conf2.html" -w '%{http_code}' -d action=confirm -d consent=health \
    -d consent=child -d consent=welfare -d consent=tax "$link")
[ "$s" = 200 ] && [ "$(consents "$P3")" = 1 ] && in_dry "$P3" &&
	[ "$(dry | awk -F'\t' -v p="$P3" '$2 == p { print $4 }' | sort -u)" = email ] &&
	ok "confirmed with categories: an email contact, in the dry run" ||
	not_ok "confirm POST: $s, records $(consents "$P3")"
s=$(curl -s -o /dev/null -w '%{http_code}' -d action=confirm -d consent=health "$link")
[ "$(consents "$P3")" = 1 ] && ok "the link used again changes nothing (status $s)" ||
	not_ok "confirm twice: records $(consents "$P3")"
# a code is no licence to mail the world: registrations asked with one
# code, or from one address, are limited ([gateway] attempts, 5 a window)
n429=0
for i in 1 2 3 4 5 6 7; do
	s=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "code=$CODE5" \
	    --data-urlencode "email=flood$i@example.org" "$GURL/register")
	[ "$s" = 429 ] && n429=$((n429 + 1))
done
until_ok 5 sh -c "[ \$(grep -l 'flood[0-9]@example.org' '$T/mail'/*.eml 2>/dev/null | wc -l) -ge 1 ]"
sleep 1
nflood=$(grep -l 'flood[0-9]@example.org' "$T/mail"/*.eml 2>/dev/null | wc -l)
[ "$n429" -ge 2 ] && [ "$nflood" -le 5 ] && [ "$nflood" = $((7 - n429)) ] &&
	ok "7 registrations with one code: $nflood confirmation mails, then 429 ($n429)" ||
	not_ok "registration flood: $nflood mails, $n429 refused"
stop

# ---- the run: the residents' messages, each ending with how to stop
"$OSHIRASED" -c "$T/o.conf" --once --date "$D" --now "${D}T10:30" --wait 10 >"$T/run.out" 2>"$T/run.err" ||
	not_ok "the run: $(tail -3 "$T/run.err")"
last=$(grep "\"endpoint\":\"push\"" "$T/emu.record" | grep "\"to\":\"$U1\"" | tail -1 |
	"$PY" -c 'import json, sys
m = json.loads(sys.stdin.read())["messages"][-1]
print(m if isinstance(m, str) else m["text"])' 2>/dev/null)
echo "$last" | grep -q '配信停止' &&
	ok "the run's message reached the registered resident on LINE, ending with how to stop" ||
	not_ok "the run's LINE message: '$last'"

# ---- an email's List-Unsubscribe: GET changes nothing, one-click POST withdraws
f=$(grep -l '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' "$T/mail"/*.eml | head -1)
url=$(sed -n 's/^List-Unsubscribe: <\(.*\)>\r*$/\1/p' "$f" | head -1)
to=$(sed -n 's/^To: *\(.*\)\r*$/\1/p' "$f" | head -1 | tr -d '\r<>')
UP=$(grep ",email,$to," "$T/city/contacts.csv" | cut -d, -f1 | head -1)
[ -z "$UP" ] && [ "$to" = resident3@example.jp ] && UP=$ID3
UP=$(pseudonym_of "$UP")
# every notice email carries its manage link twice: the header and the
# body's last paragraph
nomark=0 nmail=0
for m in $(grep -l '^List-Unsubscribe-Post:' "$T/mail"/*.eml); do
	nmail=$((nmail + 1))
	"$PY" -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
u = m["List-Unsubscribe"].strip("<>")
b = [p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() == "text/plain"][0]
sys.exit(0 if b.rstrip().endswith(u) else 1)' "$m" || nomark=$((nomark + 1))
done
[ "$nmail" -gt 0 ] && [ "$nomark" = 0 ] &&
	ok "each of the run's $nmail emails ends with its manage link, the List-Unsubscribe URL" ||
	not_ok "$nomark of $nmail emails do not end with their List-Unsubscribe URL"
start "${D}T10:40"
n0=$(consents "$UP")
s=$(curl -s -o "$T/u.html" -w '%{http_code}' "$url")
n1=$(consents "$UP")
s2=$(curl -s -o /dev/null -w '%{http_code}' -d 'List-Unsubscribe=One-Click' "$url")
n2=$(consents "$UP")
[ -n "$url" ] && [ "$s" = 200 ] && [ "$n1" = "$n0" ] && [ "$s2" = 200 ] && [ "$n2" = $((n0 + 1)) ] &&
	"$OSHIRASE" audit show --log "$DB/log" --pseudonym "$UP" | grep consent | tail -1 | grep -q withdrawn &&
	ok "List-Unsubscribe: GET shows a page and changes nothing, the one-click POST withdraws (sealed)" ||
	not_ok "unsubscribe '$url': GET $s ($n0 -> $n1), POST $s2 (-> $n2)"

# ---- unfollow cancels what is queued: a resident registers after the
# run, a run in quiet hours queues their notices and holds them, they
# unfollow, and the next day's run sends them nothing
act text "$U5" text "$CODE4"
act postback "$U5" data "cat=7"
act postback "$U5" data "tax=1"
reply "$U5" 3 >/dev/null
stop
"$OSHIRASED" -c "$T/o.conf" --once --date "$D" --now "${D}T21:30" --wait 1 >/dev/null 2>>"$T/run.err"
queued=$("$OSHIRASE" status --db "$DB" 2>/dev/null | awk '$1 == "queued" { print $NF; exit }')
start "${D}T21:40"
act unfollow "$U5"
sleep 0.5
stop
"$OSHIRASED" -c "$T/o.conf" --once --date "$D2" --now "${D2}T10:00" --wait 10 >/dev/null 2>>"$T/run.err"
pushes=$(grep "\"endpoint\":\"push\"" "$T/emu.record" | grep -c "\"to\":\"$U5\"")
cancelled=$("$OSHIRASE" audit show --log "$DB/log" --pseudonym "$P4" | grep -c cancelled)
[ "$S" = 200 ] && [ "$pushes" = 0 ] && [ "$cancelled" -ge 1 ] &&
	ok "unfollow after a run queued for them: the $cancelled notices queued cancelled (sealed), none pushed" ||
	not_ok "unfollow with notices queued ($queued): status $S, pushes $pushes, cancelled $cancelled"

# a follow again links again (the code was single use; the link it made
# is the proof), with consent to nothing until they choose
n0=$(consents "$P4") r0=$(replies "$U5")
start "${D2}T10:10"
act follow "$U5"
reply "$U5" $((r0 + 1)) >"$T/rf"
stop
[ "$S" = 200 ] && grep -q 'cat=7' "$T/rf" && [ "$(consents "$P4")" = $((n0 + 1)) ] &&
	"$OSHIRASE" audit show --log "$DB/log" --pseudonym "$P4" | awk -F'\t' '$3 == "consent" { l = $4 "/" $5 } END { print l }' | grep -qx 'active/none' &&
	! in_dry "$P4" "$D2" &&
	ok "a follow after the unfollow: linked again with nothing chosen, the categories asked" ||
	not_ok "follow again: status $S, records $n0 -> $(consents "$P4"), reply $(cat "$T/rf")"

# the rule set behind every notice: audit show's digits are `rules
# version`'s, and a changed rule file is another version
v=$("$OSHIRASE" rules version "$R")
sets=$("$OSHIRASE" audit show --log "$DB/log" | awk -F'\t' '$3 == "outcome" { print $NF }' | sort -u)
cp -r "$R" "$T/rules2"
sed -i 's/^name_en = .*/&, changed/' "$T/rules2/$(ls "$R" | grep '\.ini$' | grep -v vocabulary | head -1)"
v2=$("$OSHIRASE" rules version "$T/rules2")
echo "$v" | grep -qx '[0-9a-f]\{16\}' && [ "$sets" = "ruleset $v" ] && [ "$v2" != "$v" ] &&
	ok "every notice's record names the rule set rules version prints ($v); a changed file is another ($v2)" ||
	not_ok "rules version '$v' ('$v2' changed), the log's: $sets"

"$OSHIRASE" audit verify --log "$DB/log" --pubkey "$DB/log/auditor/pubkey" \
    --k0 "$DB/log/auditor/k0" >"$T/verify" 2>&1 &&
	ok "the sealed log verifies with the consent records in it: $(tail -1 "$T/verify")" ||
	not_ok "audit verify: $(cat "$T/verify")"
grep -qE "$U1|$U4|$U5|$CODE1|$CODE2|resident3@" "$T/q.err" "$T/g.err" "$T/s.err" "$T/run.err" &&
	not_ok "a user id, code or address in a journal" ||
	ok "no user id, code or address in the queue's, the gateway's or the sender's journal"
[ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"
finish
