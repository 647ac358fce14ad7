#!/bin/sh
# lineemu.sh - oshirase line-emulator answers push, multicast and the quota
# as LINE documents them (status, body, headers, record), and its faults
# and rate limit behave as tools/lineemu.c says.  Needs curl.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"

TOK="test-token-$$"
printf '%s\n' "$TOK" >"$T/emu-token"	# the token lib.sh's emulator uses
U1=U0123456789abcdef0123456789abcdef
U2=U11111111111111111111111111111111
U3=U22222222222222222222222222222222
UB=Ubbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb	# blocked
UX=Ueeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee	# not known
printf '# blocked users\n%s\n\n' "$UB" >"$T/blocked"
printf '%s\n%s\n%s\n' "$U1" "$U2" "$U3" >"$T/known"
K1=123e4567-e89b-12d3-a456-426614174000
K2=9b2f1c3e-5a4d-4e6f-8a7b-0c1d2e3f4a5b
K3=0f0e0d0c-0b0a-4909-8807-060504030201
K4=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee
UUID_RE='[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}'

# Emulators are started with lib.sh's `emulator NAME ARGS...` (its pid in
# $EMU_PID, its base URL in $EMU, what it accepted in $T/NAME.record).
# stop PID: SIGTERM, then its exit status in $?
stop() { kill -TERM "$1"; wait "$1"; }

AUTH="Bearer $TOK" CT=application/json RK=""
# call METHOD PATH [BODY]: a request with $AUTH, $CT and $RK (each left out
# when empty); the status in $S ("000" if no answer), the body in $T/body,
# the headers in $T/hdr.
call() {
	_m=$1 _p=$2 _d=${3-}
	set -- -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$_m"
	[ -n "$AUTH" ] && set -- "$@" -H "Authorization: $AUTH"
	[ -n "$CT" ] && set -- "$@" -H "Content-Type: $CT"
	[ -n "$RK" ] && set -- "$@" -H "X-Line-Retry-Key: $RK"
	[ "$_m" = POST ] && set -- "$@" --data-binary "$_d"
	: >"$T/body"; : >"$T/hdr"
	S=$(curl "$@" "$EMU$_p")
}
push() { call POST /v2/bot/message/push "$1"; }
# msg TO TEXT...: a push body
msg() {
	_to=$1; shift
	_m=""
	for _t; do _m="$_m${_m:+,}{\"type\":\"text\",\"text\":\"$_t\"}"; done
	printf '{"to":"%s","messages":[%s]}' "$_to" "$_m"
}
hdr() { sed -n "s/^$1: *\\([^\\r]*\\)\\r*\$/\\1/Ip" "$T/hdr" | head -1; }
body() { cat "$T/body"; }
has() { grep -qF -- "$1" "$T/body"; }
num() { sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" "$T/body"; }
stats() { call GET /emulator/stats; num "$1"; }
faults() { call POST /emulator/faults "$1"; }
# COND; res DESC: ok if COND held (its status is $? on entry), else not ok
# with the last answer.
res() {
	if [ $? -eq 0 ]; then ok "$1"
	else not_ok "$1 (status $S: $(head -c 300 "$T/body"))"
	fi
}

# ---- the command line
expect_status 0 "--help exits 0" "$OSHIRASE_EMU" --help
grep -q -- '--token-file' "$T/.out" && ok "--help names --token-file" ||
	not_ok "--help: $(head -3 "$T/.out")"
expect_status 2 "an unknown option exits 2" timeout 5 "$OSHIRASE_EMU" \
	--token-file "$T/emu-token" --bogus
expect_status 2 "no --token-file exits 2" timeout 5 "$OSHIRASE_EMU" --port 0
expect_status 2 "--fail-rate 1.5 exits 2" timeout 5 "$OSHIRASE_EMU" \
	--token-file "$T/emu-token" --fail-rate 1.5
printf '%s\nUABC\n' "$U1" >"$T/badids"
expect_status 65 "a malformed id in --blocked exits 65" timeout 5 "$OSHIRASE_EMU" \
	 --token-file "$T/emu-token" --blocked "$T/badids"
grep -q 'badids:2:' "$T/.err" && ok "the error names the file and line 2" ||
	not_ok "error: $(cat "$T/.err")"
expect_status 66 "a missing token file exits 66" timeout 5 "$OSHIRASE_EMU" \
	--token-file "$T/nonexistent"

# ---- push
emulator main --blocked "$T/blocked"
MAIN=$EMU_PID
port=$(cat "$T/main.port")
grep -qx "line-emulator: listening on http://127.0.0.1:$port" "$T/main.out" &&
	[ "$port" -gt 0 ] && ok "stdout and --port-file give port $port" ||
	not_ok "start: port '$port', stdout: $(cat "$T/main.out") $(cat "$T/main.err")"

push "$(msg $U1 "こんにちは" "second")"
rid=$(hdr x-line-request-id)
ids=$(grep -o '"id":"[0-9]*"' "$T/body" | grep -c '"id":"[0-9]\{18\}"')
[ "$S" = 200 ] && [ "$ids" -eq 2 ] && [ "$(grep -o '"quoteToken":"[^"]' "$T/body" | wc -l)" -eq 2 ]
res "push: 200 with 2 sentMessages (18-digit ids, quoteToken)"
echo "$rid" | grep -qx "$UUID_RE" && ok "x-line-request-id is a UUID ($rid)" ||
	not_ok "x-line-request-id '$rid'"
[ "$(wc -l <"$T/main.record")" -eq 1 ] &&
	grep -qF "{\"v\":1,\"request_id\":\"$rid\",\"endpoint\":\"push\",\"retry_key\":null,\"to\":\"$U1\",\"messages\":[\"こんにちは\",\"second\"],\"delivered\":true}" "$T/main.record" &&
	ok "the record has the push as one line" || not_ok "record: $(cat "$T/main.record")"
push "$(msg $U1 x)"
rid2=$(hdr x-line-request-id)
[ -n "$rid2" ] && [ "$rid2" != "$rid" ] && ok "each response has a fresh request id" ||
	not_ok "request ids '$rid' '$rid2'"

# ---- retry keys
RK=$K1
push "$(msg $U2 retried)"
first=$(hdr x-line-request-id) sent=$(sed 's/.*"sentMessages":\(\[[^]]*\]\).*/\1/' "$T/body")
[ "$S" = 200 ]
res "push with a retry key: 200"
push "$(msg $U2 retried)"
[ "$S" = 409 ]
res "the same retry key again: 409"
[ "$(hdr x-line-accepted-request-id)" = "$first" ] &&
	[ "$(hdr x-line-request-id)" != "$first" ] &&
	ok "409 has x-line-accepted-request-id = the original's request id" ||
	not_ok "409 headers: $(tr -d '\r' <"$T/hdr" | tr '\n' ' ')"
has '"message":"The retry key is already accepted"' && has "\"sentMessages\":$sent" &&
	ok "409 body repeats the original sentMessages" || not_ok "409 body: $(body)"
push "$(msg $U3 "another body")"
[ "$S" = 409 ]
res "same key, another body: 409 anyway"
[ "$(grep -c "\"retry_key\":\"$K1\"" "$T/main.record")" -eq 1 ] &&
	ok "the retried push is recorded once" || not_ok "record: $(grep -c "$K1" "$T/main.record") lines"
RK=123E4567-E89B-12D3-A456-426614174000
push "$(msg $U1 x)"
[ "$S" = 400 ]
res "an uppercase retry key: 400"
RK=not-a-uuid
push "$(msg $U1 x)"
[ "$S" = 400 ]
res "a malformed retry key: 400"
RK=$K4
call GET /v2/bot/message/quota
[ "$S" = 400 ]
res "a retry key on the quota endpoint: 400"
RK=$K2
push '{"to":"U1","messages":[]}'
[ "$S" = 400 ]
res "a refused request (400) with key K2"
push "$(msg $U1 "after 400")"
[ "$S" = 200 ]
res "... does not use the key: 200 after it"
faults '{"status":500,"status_count":1}'
RK=$K3
push "$(msg $U1 "500 first")"
[ "$S" = 500 ] && has '"message":"Internal server error"'
res "an injected 500 with key K3"
push "$(msg $U1 "after 500")"
[ "$S" = 200 ]
res "... does not use the key: the retry gets 200"
RK=""

# ---- validation
push "$(msg U0123 x)"
[ "$S" = 400 ] && has '"message":"The request body has 1 error(s)"' && has '"property":"to"'
res "a bad 'to': 400, 1 error on property to"
push "$(msg $U1 1 2 3 4 5 6)"
[ "$S" = 400 ] && has '"property":"messages"' && has 'Size must be between 1 and 5'
res "6 messages: 400 on property messages"
push "{\"to\":\"$U1\",\"messages\":[]}"
[ "$S" = 400 ] && has '"property":"messages"'
res "no messages: 400"
push "$(msg $U1 1 2 3 4 5)"
[ "$S" = 200 ]
res "5 messages: 200"
push "{\"to\":\"$U1\",\"messages\":[{\"type\":\"text\",\"text\":\"\"},{\"type\":\"sticker\"}]}"
[ "$S" = 400 ] && has 'has 2 error(s)' && has '"property":"messages[0].text"' && has '"property":"messages[1].type"'
res "an empty text and a sticker: 2 errors"
a4998=$(head -c 4998 /dev/zero | tr '\0' a)
push "$(msg $U1 "$a4998😀")"
[ "$S" = 200 ]
res "4998 + a surrogate pair = 5000 UTF-16 units: 200"
push "$(msg $U1 "${a4998}a😀")"
[ "$S" = 400 ] && has '"property":"messages[0].text"'
res "4999 + a surrogate pair = 5001 units: 400 on messages[0].text"
kana=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "あ" }')
push "$(msg $U1 "$kana")"
[ "$S" = 200 ]
res "5000 kana (15000 bytes, 5000 units): 200"
push "$(msg $U1 "${kana}あ")"
[ "$S" = 400 ]
res "5001 kana: 400"
push "{\"to\":\"$U1\",
  \"messages\":[}"
[ "$S" = 400 ] && has 'could not be parsed as JSON (line: 2, column: '
res "broken JSON: 400 with line and column"

# ---- headers, size, routes
AUTH="Bearer wrong-$TOK"
push "$(msg $U1 x)"
[ "$S" = 401 ] && has '"message":"Authentication failed due to the following reason: '
res "a wrong token: 401"
AUTH=""
push "$(msg $U1 x)"
[ "$S" = 401 ]
res "no Authorization header: 401"
call GET /v2/bot/message/quota
[ "$S" = 401 ]
res "the quota needs the token too: 401"
AUTH="Bearer $TOK"
CT=text/plain
push "$(msg $U1 x)"
[ "$S" = 415 ] && has 'The content type, text/plain, is not supported'
res "Content-Type text/plain: 415"
CT="application/json; charset=UTF-8"
push "$(msg $U1 x)"
[ "$S" = 200 ]
res "application/json with a charset: 200"
CT=application/json
{ printf '{"to":"%s","messages":[{"type":"text","text":"' "$U1"
  head -c 2097152 /dev/zero | tr '\0' a; printf '"}]}'; } >"$T/big"
push "@$T/big"
[ "$S" = 413 ]
res "a body over 2 MiB: 413"
call GET /v2/bot/message/nothing
[ "$S" = 404 ] && [ -n "$(hdr x-line-request-id)" ]
res "an unknown path: 404"
call GET /v2/bot/message/push
[ "$S" = 405 ]
res "GET on push: 405"

# ---- blocked users, quota without a limit
n0=$(wc -l <"$T/main.record")
push "$(msg $UB "to a blocked user")"
[ "$S" = 200 ] && has '"sentMessages":[{"id":"'
res "push to a blocked user: 200 with sentMessages"
tail -1 "$T/main.record" | grep -q "\"to\":\"$UB\".*\"delivered\":false" &&
	[ "$(wc -l <"$T/main.record")" -eq $((n0 + 1)) ] &&
	ok "the record marks it not delivered" || not_ok "record tail: $(tail -1 "$T/main.record")"
call GET /v2/bot/message/quota
[ "$S" = 200 ] && [ "$(body)" = '{"type":"none"}' ]
res "no --quota: {\"type\":\"none\"}"
delivered=$(stats delivered) accepted=$(stats accepted)
call GET /v2/bot/message/quota/consumption
[ "$S" = 200 ] && [ "$(body)" = "{\"totalUsage\":$delivered}" ] && [ "$accepted" -eq $((delivered + 1)) ]
res "totalUsage counts delivered messages, not the blocked one ($delivered)"
[ "$(wc -l <"$T/main.record")" -eq "$accepted" ] &&
	ok "the record has one line per accepted push ($accepted)" ||
	not_ok "record $(wc -l <"$T/main.record") lines, accepted $accepted"

# ---- multicast
call POST /v2/bot/message/multicast "{\"to\":[\"$U1\",\"$UB\",\"$U2\"],\"messages\":[{\"type\":\"text\",\"text\":\"m\"}]}"
[ "$S" = 200 ] && [ "$(body)" = '{}' ]
res "multicast to 3 (one blocked): 200 {}"
[ "$(grep -c '"endpoint":"multicast"' "$T/main.record")" -eq 3 ] &&
	[ "$(grep '"endpoint":"multicast"' "$T/main.record" | grep -c '"delivered":false')" -eq 1 ] &&
	ok "multicast: one record line per recipient, the blocked one not delivered" ||
	not_ok "multicast record: $(grep multicast "$T/main.record")"
call GET /v2/bot/message/quota/consumption
[ "$(num totalUsage)" -eq $((delivered + 2)) ]
res "multicast counted 2 in totalUsage"
to=$(awk -v u="$U1" 'BEGIN { for (i = 0; i < 501; i++) printf "%s\"%s\"", i ? "," : "", u }')
call POST /v2/bot/message/multicast "{\"to\":[$to],\"messages\":[{\"type\":\"text\",\"text\":\"m\"}]}"
[ "$S" = 400 ] && has 'Size must be between 1 and 500'
res "multicast to 501: 400"
RK=$K1
call POST /v2/bot/message/multicast "{\"to\":[\"$U1\"],\"messages\":[{\"type\":\"text\",\"text\":\"m\"}]}"
[ "$S" = 409 ] && [ -n "$(hdr x-line-accepted-request-id)" ]
res "multicast with a key accepted on push: 409"
RK=""

# ---- faults
faults '{"status":401,"status_count":1}'
[ "$S" = 200 ] && has '"status":401' && has '"status_count":1'
res "POST /emulator/faults: 200 with the settings"
push "$(msg $U1 x)"
[ "$S" = 401 ] && has 'Authentication failed'
res "injected 401"
push "$(msg $U1 x)"
[ "$S" = 200 ]
res "after it, 200 again"
faults '{"status":403,"status_count":2}'
push "$(msg $U1 x)"; s1=$S
push "$(msg $U1 x)"
[ "$s1" = 403 ] && [ "$S" = 403 ] && has 'Access to this API is not available for your account'
res "injected 403 twice"
faults '{"status":429,"status_message":"You have reached your monthly limit.","status_count":1}'
push "$(msg $U1 x)"
[ "$S" = 429 ] && has '"message":"You have reached your monthly limit."'
res "injected 429 monthly"
faults '{"fail_rate":1}'
push "$(msg $U1 x)"
[ "$S" = 500 ] && has '"message":"Internal server error"' && [ -n "$(hdr x-line-request-id)" ]
res "fail_rate 1: 500 Internal server error"
faults '{"fail_rate":0}'
push "$(msg $U1 x)"
[ "$S" = 200 ]
res "fail_rate 0: 200"
[ "$(stats faults)" -eq 6 ] && ok "stats count 6 faults (1 500 + 401 + 2 403 + 429 + fail_rate)" ||
	not_ok "stats: $(body)"
faults '{"drop_rate":1}'
push "$(msg $U1 x)"
[ "$S" = 000 ]
res "drop_rate 1: the connection closes without an answer"
faults '{"drop_rate":0,"lost_response_rate":1}'
n0=$(wc -l <"$T/main.record")
RK=$K4
push "$(msg $U3 lost)"
[ "$S" = 000 ]
res "lost_response_rate 1: no answer"
[ "$(wc -l <"$T/main.record")" -eq $((n0 + 1)) ] && ok "... but the push was accepted and recorded" ||
	not_ok "record did not grow"
faults '{"lost_response_rate":0}'
push "$(msg $U3 lost)"
lostid=$(sed -n 's/.*"request_id":"\([^"]*\)".*"retry_key":"'$K4'".*/\1/p' "$T/main.record")
[ "$S" = 409 ] && [ "$(hdr x-line-accepted-request-id)" = "$lostid" ]
res "the retry gets 409 naming the lost answer's request id"
RK=""
faults '{"fail_rate":2}'
[ "$S" = 400 ]
res "faults: fail_rate 2 is refused (400)"
faults '{"nonsense":1}'
[ "$S" = 400 ]
res "faults: an unknown field is refused (400)"
[ "$(stats dropped)" -eq 1 ] && [ "$(num lost_responses)" -eq 1 ] &&
	[ "$(num duplicates_409)" -eq 4 ] && ok "stats: 1 dropped, 1 lost answer, 4 duplicates" ||
	not_ok "stats: $(body)"

# ---- latency: a suspended request holds no server thread
emulator slow --threads 1 --latency-ms 400
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOK" \
		"$EMU/v2/bot/message/quota" >"$T/lat.$i" &
done
wait_all=0
for i in 1 2 3 4 5 6 7 8; do
	while [ ! -s "$T/lat.$i" ] && [ $wait_all -lt 100 ]; do sleep 0.05; wait_all=$((wait_all + 1)); done
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(cat "$T"/lat.* | grep -c 200)" -eq 8 ] && [ "$ms" -ge 400 ] && [ "$ms" -lt 1600 ] &&
	ok "8 requests with 400 ms latency on one thread took $ms ms, not 3200" ||
	not_ok "latency: $ms ms, $(cat "$T"/lat.* | tr '\n' ' ')"
faults '{"latency_ms":5000}'
curl -s -o /dev/null -H "Authorization: Bearer $TOK" "$EMU/v2/bot/message/quota" &
sleep 0.3
t0=$(date +%s%N)
stop "$EMU_PID"
st=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $st -eq 0 ] && [ "$ms" -lt 2000 ]
res "SIGTERM with a request waiting out 5 s of latency: exit 0 in $ms ms"

# ---- quota, known users
emulator quota --quota 3 --month-usage 1 --blocked "$T/blocked" --known "$T/known"
QUOTA=$EMU_PID
call GET /v2/bot/message/quota
[ "$(body)" = '{"type":"limited","value":3}' ]
res "--quota 3: {\"type\":\"limited\",\"value\":3}"
call GET /v2/bot/message/quota/consumption
[ "$(body)" = '{"totalUsage":1}' ]
res "--month-usage 1: totalUsage 1"
push "$(msg $UX x)"
[ "$S" = 400 ] && [ "$(body)" = '{"message":"Failed to send messages"}' ]
res "a user not in --known: 400 Failed to send messages"
push "$(msg $U1 one two three)"
[ "$S" = 200 ]
res "push (3 messages, one recipient): 200"
push "$(msg $UB x)"
[ "$S" = 200 ]
res "a blocked user not in --known: 200"
push "$(msg $U2 x)"
[ "$S" = 200 ]
res "third delivery: 200"
call POST /v2/bot/message/multicast "{\"to\":[\"$U3\"],\"messages\":[{\"type\":\"text\",\"text\":\"m\"}]}"
[ "$S" = 429 ] && [ "$(body)" = '{"message":"You have reached your monthly limit."}' ]
res "multicast past the quota: 429 monthly"
push "$(msg $U3 x)"
[ "$S" = 429 ] && has 'monthly limit'
res "a fourth delivery: 429 monthly"
push "$(msg $UB x)"
[ "$S" = 200 ]
res "a blocked user still 200 (uses nothing)"
call GET /v2/bot/message/quota/consumption
[ "$(body)" = '{"totalUsage":3}' ]
res "totalUsage 3"
[ "$(grep -c '"delivered":true' "$T/quota.record")" -eq 2 ] &&
	[ "$(grep -c '"delivered":false' "$T/quota.record")" -eq 2 ] &&
	ok "the record: 2 delivered, 2 blocked, nothing refused" ||
	not_ok "quota record: $(cat "$T/quota.record")"
[ "$(stats quota_exceeded)" -eq 2 ] && ok "stats: 2 over quota" || not_ok "stats: $(body)"
qport=$(cat "$T/quota.port")
expect_status 69 "a second emulator on the same port exits 69" timeout 5 "$OSHIRASE_EMU" \
	 --token-file "$T/emu-token" --port "$qport"

# ---- retry keys expire
emulator ttl --retry-key-ttl 1
TTL=$EMU_PID
RK=$K1
push "$(msg $U1 x)"; s1=$S
push "$(msg $U1 x)"; s2=$S
sleep 1.2
push "$(msg $U1 x)"
[ "$s1" = 200 ] && [ "$s2" = 409 ] && [ "$S" = 200 ]
res "--retry-key-ttl 1: 200, 409, and 200 again after 1.2 s"
RK=""

# ---- rate limit
emulator rate --rate 50
RATE=$EMU_PID
codes=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	push "$(msg $U1 slow)"
	codes="$codes$S "
	sleep 0.08
done
[ "$(echo "$codes" | grep -o 200 | wc -l)" -eq 10 ]
res "10 pushes at about 10/s under --rate 50: no 429 ($codes)"
sleep 0.2
mkdir "$T/burst"
curl -s --parallel --parallel-immediate --parallel-max 100 -o "$T/burst/#1" \
	-w '%{http_code}\n' -H "Authorization: Bearer $TOK" -H "Content-Type: application/json" \
	--data-binary "$(msg $U1 burst)" "$EMU/v2/bot/message/push?[1-100]" >"$T/burst.codes" 2>/dev/null
n200=$(grep -c '^200$' "$T/burst.codes") n429=$(grep -c '^429$' "$T/burst.codes")
[ "$n200" -ge 5 ] && [ "$n200" -le 30 ] && [ $((n200 + n429)) -eq 100 ]
res "a burst of 100 under --rate 50: $n200 accepted, $n429 answered 429"
[ "$(grep -lx '{"message":"The API rate limit has been exceeded. Try again later."}' "$T"/burst/* | wc -l)" -eq "$n429" ]
res "each 429 says the API rate limit was exceeded"
[ "$(stats rate_limited)" -eq "$n429" ]
res "stats count the $n429 429s"

# ---- residents: signed webhook events, reply tokens, unfollowed users
SECRET=0123456789abcdef0123456789abcdef
printf '%s\n' "$SECRET" >"$T/secret"
chmod 600 "$T/secret"
expect_status 2 "--webhook without --channel-secret exits 2" timeout 5 "$OSHIRASE_EMU" \
	--token-file "$T/emu-token" --webhook http://127.0.0.1:1/
expect_status 2 "--webhook ftp://... exits 2" timeout 5 "$OSHIRASE_EMU" \
	--token-file "$T/emu-token" --webhook ftp://127.0.0.1/ --channel-secret "$T/secret"
expect_status 66 "a missing --channel-secret file exits 66" timeout 5 "$OSHIRASE_EMU" \
	--token-file "$T/emu-token" --webhook http://127.0.0.1:1/ --channel-secret "$T/nonexistent"
# the receiver: checks each signature itself, records the bodies in $T/hook
"$PY" "$TOP/tests/integration/webhook_sink.py" "$T/secret" "$T/hook" "$T/hook.port" \
	>"$T/hook.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$T/hook.port" || echo "# webhook_sink did not start: $(cat "$T/hook.log")"
touch "$T/hook"
HOOK="http://127.0.0.1:$(cat "$T/hook.port")/line/webhook"
emulator res --webhook "$HOOK" --channel-secret "$T/secret"
RES=$EMU_PID
R1=U3333333333333333333333333333333a
R2=U4444444444444444444444444444444b
# act VERB JSON: make a resident act (the control call's answer in $T/body)
act() { AUTH="" CT=application/json; call POST "/emulator/$1" "$2"; AUTH="Bearer $TOK"; }
# hook_check EXPR [ARG...]: EXPR (Python, over ev = the first event of the
# webhook's last body, b = that body, h = its line, the ARGs in
# sys.argv[3:]) holds
hook_check() {
	"$PY" -c 'import json, re, sys, time
h = json.loads(open(sys.argv[1]).read().splitlines()[-1])
b = json.loads(h["body"]); ev = (b["events"] or [None])[0]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$T/hook" "$@"
}
# ans FIELD: a string field of the control call's answer
ans() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$T/body"; }
nhook() { wc -l <"$T/hook"; }
# reply TOKEN [MESSAGES]: POST /v2/bot/message/reply
reply() { call POST /v2/bot/message/reply "{\"replyToken\":\"$1\",\"messages\":${2:-[{\"type\":\"text\",\"text\":\"hi\"\}]}}"; }

act follow "{\"user\":\"$R1\"}"
ftok=$(ans replyToken) feid=$(ans webhookEventId)
[ "$S" = 200 ] && has '"status":200' && [ "$(nhook)" -eq 1 ]
res "follow: the webhook got one event and answered 200, which the control call gives back"
hook_check 'h["valid"]' && ok "... signed: the receiver's own HMAC-SHA256 with the secret matches X-Line-Signature" ||
	not_ok "signature: $(tail -1 "$T/hook")"
hook_check 're.fullmatch(r"U[0-9a-f]{32}", b["destination"]) and len(b["events"]) == 1 and
	ev["type"] == "follow" and ev["mode"] == "active" and
	ev["source"] == {"type": "user", "userId": sys.argv[3]} and
	abs(ev["timestamp"] - time.time() * 1000) < 60000 and
	re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", ev["webhookEventId"]) and
	ev["deliveryContext"] == {"isRedelivery": False} and
	re.fullmatch(r"[0-9a-f]{32}", ev["replyToken"]) and
	ev["follow"] == {"isUnblocked": False}' "$R1" &&
	hook_check "ev['replyToken'] == '$ftok' and ev['webhookEventId'] == '$feid'" &&
	ok "follow event as LINE documents it (destination, type, mode, timestamp ms, source, ULID webhookEventId, deliveryContext, replyToken, follow.isUnblocked)" ||
	not_ok "follow event: $(tail -1 "$T/hook")"
act text "{\"user\":\"$R1\",\"text\":\"ABCD-EFGH-JKMN\"}"
ttok=$(ans replyToken) teid=$(ans webhookEventId)
[ "$S" = 200 ] && hook_check 'h["valid"] and ev["type"] == "message" and
	re.fullmatch(r"[0-9]{18}", ev["message"]["id"]) and ev["message"]["type"] == "text" and
	ev["message"]["text"] == "ABCD-EFGH-JKMN" and len(ev["message"]["quoteToken"]) > 20 and
	ev["replyToken"] == sys.argv[3] and ev["webhookEventId"] != sys.argv[4]' "$ttok" "$feid"
res "text: a signed message event (id, type text, text, quoteToken) with a new replyToken and webhookEventId"
cp "$T/hook" "$T/hook.before"
act redeliver "{\"user\":\"$R1\"}"
[ "$S" = 200 ] && [ "$(ans webhookEventId)" = "$teid" ] && hook_check 'h["valid"] and
	ev["deliveryContext"] == {"isRedelivery": True} and ev["webhookEventId"] == sys.argv[3] and
	{k: v for k, v in ev.items() if k != "deliveryContext"} ==
	{k: v for k, v in json.loads(json.loads(open(sys.argv[4]).read().splitlines()[-1])["body"])["events"][0].items()
	 if k != "deliveryContext"}' "$teid" "$T/hook.before"
res "redeliver: the same event, same webhookEventId, deliveryContext.isRedelivery true"
act postback "{\"user\":\"$R1\",\"data\":\"cat=7\"}"
ptok=$(ans replyToken)
[ "$S" = 200 ] && hook_check 'h["valid"] and ev["type"] == "postback" and ev["postback"] == {"data": "cat=7"} and "replyToken" in ev'
res "postback: a signed postback event with data and a replyToken"
act text '{"user":"Ubad","text":"x"}'
[ "$S" = 400 ]
res "a malformed user id: 400"
act redeliver "{\"user\":\"$R2\"}"
[ "$S" = 404 ]
res "redeliver for a user with no event: 404"

# raw bodies with a chosen signature; the receiver's answer comes back
raw() { AUTH="" CT=application/json; call POST "/emulator/raw$1" "$2"; AUTH="Bearer $TOK"; }
n0=$(nhook)
raw "" '{"destination":"U0","events":[]}'
s_valid=$S
raw "?signature=forged" '{"destination":"U0","events":[]}'
s_forged=$S
raw "?signature=none" '{"destination":"U0","events":[]}'
s_none=$S
raw "?signature=other-body" '{"destination":"U0","events":[]}'
s_other=$S
raw "?signature=bm90LWEtc2lnbmF0dXJl" '{"destination":"U0","events":[]}'
[ "$s_valid" = 200 ] && [ "$s_forged" = 401 ] && [ "$s_none" = 401 ] && [ "$s_other" = 401 ] &&
	[ "$S" = 401 ] && [ "$(nhook)" -eq $((n0 + 5)) ] &&
	[ "$(tail -5 "$T/hook" | grep -c '"valid": false')" -eq 4 ] &&
	hook_check 'h["signature"] == "bm90LWEtc2lnbmF0dXJl"' &&
	[ "$(tail -3 "$T/hook" | head -1 | grep -c '"signature": null')" -eq 1 ]
res "raw bodies: valid 200; forged, none, over another body, a chosen value: the receiver's 401"
echo 503 >"$T/hook.status"
act postback "{\"user\":\"$R1\",\"data\":\"cat=1\"}"
[ "$S" = 503 ] && has '"status":503'
res "the webhook answering 503: the control call answers 503"
rm -f "$T/hook.status"

# replies
QR='{"type":"action","action":{"type":"postback","label":"すべて","data":"cat=7","displayText":"すべて"}}'
reply "$ftok" "[{\"type\":\"text\",\"text\":\"ようこそ\",\"quickReply\":{\"items\":[$QR,{\"type\":\"action\",\"action\":{\"type\":\"postback\",\"label\":\"受け取らない\",\"data\":\"cat=0\"}}]}}]"
[ "$S" = 200 ] && has '"sentMessages":[{"id":"' && [ -n "$(hdr x-line-request-id)" ]
res "reply with the follow's token: 200 with sentMessages"
"$PY" -c 'import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
sys.exit(0 if r["endpoint"] == "reply" and r["reply_token"] == sys.argv[2] and
	r["to"] == sys.argv[3] and r["messages"] == ["ようこそ"] and r["delivered"] and
	r["quick_reply"] == [{"label": "すべて", "data": "cat=7", "text": "すべて"},
	                     {"label": "受け取らない", "data": "cat=0", "text": None}] else 1)' \
	"$T/res.record" "$ftok" "$R1" && ok "... recorded: endpoint reply, its token, the user, texts, quick reply items" ||
	not_ok "reply record: $(tail -1 "$T/res.record")"
reply "$ftok"
[ "$S" = 400 ] && [ "$(body)" = '{"message":"Invalid reply token"}' ]
res "the same token again: 400 Invalid reply token"
reply "0123456789abcdef0123456789abcdef"
[ "$S" = 400 ] && [ "$(body)" = '{"message":"Invalid reply token"}' ]
res "a token the emulator never issued: 400 Invalid reply token"
reply "not-a-token"
[ "$S" = 400 ] && [ "$(body)" = '{"message":"Invalid reply token"}' ]
res "a malformed token: 400 Invalid reply token"
items=$(awk -v q="$QR" 'BEGIN { for (i = 0; i < 14; i++) printf "%s%s", i ? "," : "", q }')
reply "$ttok" "[{\"type\":\"text\",\"text\":\"x\",\"quickReply\":{\"items\":[$items]}}]"
[ "$S" = 400 ] && has '"property":"messages[0].quickReply.items"'
res "14 quick reply items: 400 on messages[0].quickReply.items"
long=$(head -c 301 /dev/zero | tr '\0' d)
reply "$ttok" "[{\"type\":\"text\",\"text\":\"x\",\"quickReply\":{\"items\":[{\"type\":\"action\",\"action\":{\"type\":\"postback\",\"label\":\"123456789012345678901\",\"data\":\"$long\"}}]}}]"
[ "$S" = 400 ] && has 'has 2 error(s)' && has '"property":"messages[0].quickReply.items[0].action.label"' &&
	has '"property":"messages[0].quickReply.items[0].action.data"'
res "a 21-character label and 301 bytes of data: 400 on both"
reply "$ttok" '[{"type":"text","text":"1"},{"type":"text","text":"2"},{"type":"text","text":"3"},{"type":"text","text":"4"},{"type":"text","text":"5"},{"type":"text","text":"6"}]'
[ "$S" = 400 ] && has '"property":"messages"'
res "6 messages: 400"
push "$(msg $U1 "$items")" >/dev/null
items13=$(awk -v q="$QR" 'BEGIN { for (i = 0; i < 13; i++) printf "%s%s", i ? "," : "", q }')
push "{\"to\":\"$U1\",\"messages\":[{\"type\":\"text\",\"text\":\"x\",\"quickReply\":{\"items\":[$items,$QR]}}]}"
s15=$S
push "{\"to\":\"$U1\",\"messages\":[{\"type\":\"text\",\"text\":\"x\",\"quickReply\":{\"items\":[$items13]}}]}"
[ "$s15" = 400 ] && [ "$S" = 200 ]
res "push too: 15 quick reply items 400, 13 accepted"
RK=$K1
reply "$ttok"
[ "$S" = 400 ] && has 'not supported for this endpoint'
res "a retry key on reply: 400"
RK=""
AUTH=""
reply "$ttok"
[ "$S" = 401 ]
res "reply without the channel token: 401"
AUTH="Bearer $TOK"
faults '{"status":500,"status_count":1}'
reply "$ttok"
s500=$S
reply "$ttok" "[{\"type\":\"text\",\"text\":\"コードを確認しました\",\"quickReply\":{\"items\":[$QR]}}]"
[ "$s500" = 500 ] && [ "$S" = 200 ]
res "an injected 500 on reply, then the token (not used by refused requests) is accepted"
reply "$ptok"
[ "$S" = 200 ]
res "the postback's token: 200"
call GET "/emulator/replies?user=$R1"
[ "$S" = 200 ] && "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = d["replies"]
sys.exit(0 if d["user"] == sys.argv[2] and len(r) == 3 and
	r[0]["texts"] == ["ようこそ"] and [i["data"] for i in r[0]["quickReply"]] == ["cat=7", "cat=0"] and
	r[0]["quickReply"][0]["label"] == "すべて" and r[0]["replyToken"] == sys.argv[3] and
	r[1]["texts"] == ["コードを確認しました"] and r[2]["texts"] == ["hi"] and
	all(x["delivered"] for x in r) else 1)' "$T/body" "$R1" "$ftok"
res "GET /emulator/replies: the 3 accepted replies in order, texts and quick reply data"
call GET "/emulator/replies?user=$R2"
[ "$S" = 200 ] && has '"replies":[]'
res "replies of a user with none: []"
[ "$(stats replies)" -eq 3 ] && [ "$(num reply_invalid)" -eq 3 ]
res "stats: 3 replies, 3 invalid tokens"

# unfollow: pushes answered 200, not delivered, counted as dropped
act follow "{\"user\":\"$R2\"}"
push "$(msg $R2 "before unfollow")"
tail -1 "$T/res.record" | grep -q "\"to\":\"$R2\".*\"delivered\":true"
res "push to a following user: delivered"
n0=$(nhook)
act unfollow "{\"user\":\"$R2\"}"
[ "$S" = 200 ] && [ -z "$(ans replyToken)" ] && hook_check 'h["valid"] and ev["type"] == "unfollow" and
	"replyToken" not in ev and ev["source"]["userId"] == sys.argv[3]' "$R2"
res "unfollow: a signed unfollow event without a replyToken"
d0=$(stats delivered)
push "$(msg $R2 "after unfollow")"
[ "$S" = 200 ] && has '"sentMessages":[{"id":"'
res "push to the unfollowed user: 200 with sentMessages"
tail -1 "$T/res.record" | grep -q "\"to\":\"$R2\".*\"delivered\":false" &&
	[ "$(stats delivered)" -eq "$d0" ] && [ "$(num unfollowed_dropped)" -eq 1 ]
res "... not delivered (record, stats delivered $d0) and counted in unfollowed_dropped"
call POST /v2/bot/message/multicast "{\"to\":[\"$R1\",\"$R2\"],\"messages\":[{\"type\":\"text\",\"text\":\"m\"}]}"
[ "$S" = 200 ] && [ "$(stats unfollowed_dropped)" -eq 2 ] && [ "$(num delivered)" -eq $((d0 + 1)) ]
res "multicast to a follower and the unfollowed user: one delivered, one dropped"
act text "{\"user\":\"$R2\",\"text\":\"hello\"}"
[ "$S" = 409 ] && [ "$(nhook)" -eq $((n0 + 1)) ]
res "text from a user who unfollowed: 409, nothing sent to the webhook"
act follow "{\"user\":\"$R2\"}"
[ "$S" = 200 ] && hook_check 'ev["type"] == "follow" and ev["follow"] == {"isUnblocked": True}'
res "follow again: follow.isUnblocked true"
push "$(msg $R2 "after follow")"
tail -1 "$T/res.record" | grep -q "\"to\":\"$R2\".*\"delivered\":true" && [ "$(stats unfollowed_dropped)" -eq 2 ]
res "... and pushes are delivered again"
EMU_RES=$EMU
EMU=http://127.0.0.1:$(cat "$T/main.port")
act follow "{\"user\":\"$R1\"}"
[ "$S" = 503 ]
res "an emulator without --webhook: control calls 503"
reply rt-0001
s1=$S
reply rt-0001
[ "$s1" = 200 ] && [ "$S" = 200 ] && [ "$(grep -c '"reply_token":"rt-0001"' "$T/main.record")" -eq 2 ]
res "without --webhook (no tokens issued) any replyToken is taken and recorded (the senders' tests)"

# reply tokens expire
emulator rttl --webhook "$HOOK" --channel-secret "$T/secret" --reply-token-ttl 1
RTTL=$EMU_PID
act follow "{\"user\":\"$R1\"}"
etok=$(ans replyToken)
sleep 1.2
reply "$etok"
[ "$S" = 400 ] && [ "$(body)" = '{"message":"Invalid reply token"}' ]
res "--reply-token-ttl 1: the token 1.2 s later: 400 Invalid reply token"

# ---- stop: each exits 0 (under the sanitizers: no leak, no error)
for name in main quota ttl rate res rttl; do
	case $name in
	main) pid=$MAIN ;; quota) pid=$QUOTA ;; ttl) pid=$TTL ;; rate) pid=$RATE ;;
	res) pid=$RES ;; rttl) pid=$RTTL ;;
	esac
	stop "$pid"
	st=$?
	if [ $st -eq 0 ] && grep -q 'line-emulator: stopped: ' "$T/$name.err"; then
		ok "SIGTERM: emulator '$name' exits 0 and reports what it did"
	else
		not_ok "SIGTERM: emulator '$name' exit $st"; tail -30 "$T/$name.err" | sed 's/^/#   /'
	fi
done
finish
