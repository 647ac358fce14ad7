#!/bin/sh
# gateway.sh - oshirase-gateway alone (no queue): the command line, the
# secret file's rules, and each path's answer that needs no queue:
# signatures (missing, forged, over another body: 401), size (413),
# methods (405), paths (404), LINE's shape (400), a valid request with no
# queue to apply it (503 within queue_timeout), the pages and their
# security headers, the failed-code limit on the registration form (429).
# Needs curl.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
GW=$(dirname "$OSHIRASE")/oshirase-gateway
[ -x "$GW" ] || { not_ok "oshirase-gateway is not built"; finish; }

# the channel secret as LINE shows it, in a file with a newline
SECRET=8f2d6b0a4c1e3579bd2468ace0f13579
printf '%s\n' "$SECRET" >"$T/secret"
chmod 600 "$T/secret"
PORT=$("$PY" "$TOP/tests/integration/smtp_sink.py" --free-port)
cat >"$T/gw.conf" <<EOC
[gateway]
listen = 127.0.0.1:$PORT
actions = ipc://$T/actions
line_secret = $T/secret
queue_timeout = 1
max_body = 1024
attempts = 3
attempts_window = 600
threads = 2
EOC
U=http://127.0.0.1:$PORT

# sign BODY: the X-Line-Signature of BODY under the secret (not the file's
# newline), computed by Python's hmac
sign() { printf '%s' "$1" | "$PY" -c 'import sys, hmac, hashlib, base64
print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(),
    hashlib.sha256).digest()).decode())' "$SECRET"; }
# req METHOD PATH [BODY [HEADER...]]: status in $S, body $T/body, headers $T/hdr
req() {
	_m=$1 _p=$2; shift 2
	set -- -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$_m" "$@"
	: >"$T/body"; : >"$T/hdr"
	S=$(curl "$@" "$U$_p")
}
# post PATH BODY [HEADER...]
post() {
	_p=$1 _b=$2; shift 2
	_h=""
	for _x; do _h="$_h${_h:+
}$_x"; done
	if [ -n "$_h" ]; then
		_IFS=$IFS; IFS='
'
		# shellcheck disable=SC2086
		set -- $(printf '%s\n' "$_h" | sed 's/^/-H\n/')
		IFS=$_IFS
	fi
	req POST "$_p" --data-binary "$_b" "$@"
}
hdr() { sed -n "s/^$1: *\\([^\\r]*\\)\\r*\$/\\1/Ip" "$T/hdr" | head -1; }
res() {
	if [ $? -eq 0 ]; then ok "$1"
	else not_ok "$1 (status $S: $(head -c 200 "$T/body"))"
	fi
}

# ---- the command line and the secret's rules
expect_status 0 "--help exits 0" "$GW" --help
grep -q 'line/webhook' "$T/.out" && ok "--help names the webhook" ||
	not_ok "--help: $(head -3 "$T/.out")"
expect_status 0 "--version exits 0" "$GW" --version
expect_status 2 "an unknown option exits 2" "$GW" --bogus
expect_status 0 "-n: the config and the secret are good" "$GW" -c "$T/gw.conf" -n
chmod 644 "$T/secret"
expect_status 78 "-n: a secret others may read exits 78" "$GW" -c "$T/gw.conf" -n
grep -q 'secret' "$T/.err" && ok "the message names the secret" ||
	not_ok "message: $(cat "$T/.err")"
chmod 600 "$T/secret"
ln -s "$T/secret" "$T/secret-link"
sed "s|^line_secret = .*|line_secret = $T/secret-link|" "$T/gw.conf" >"$T/link.conf"
expect_status 78 "-n: a secret through a symbolic link exits 78" "$GW" -c "$T/link.conf" -n
sed "s|^line_secret = .*|line_secret = $T/none|" "$T/gw.conf" >"$T/none.conf"
expect_status 66 "-n: a missing secret exits 66" "$GW" -c "$T/none.conf" -n
: >"$T/empty"; chmod 600 "$T/empty"
sed "s|^line_secret = .*|line_secret = $T/empty|" "$T/gw.conf" >"$T/empty.conf"
expect_status 78 "-n: an empty secret exits 78" "$GW" -c "$T/empty.conf" -n
mkdir -p "$T/cred"; cp "$T/secret" "$T/cred/line-channel-secret"
sed "s|^line_secret = .*|line_secret = line-channel-secret|" "$T/gw.conf" >"$T/cred.conf"
expect_status 0 "-n: a relative secret is read from \$CREDENTIALS_DIRECTORY" \
	env CREDENTIALS_DIRECTORY="$T/cred" "$GW" -c "$T/cred.conf" -n
sed "s|^actions = .*|actions = tcp://127.0.0.1:9|" "$T/gw.conf" >"$T/tcp.conf"
expect_status 78 "-n: actions over tcp:// exits 78 (ipc:// only)" "$GW" -c "$T/tcp.conf" -n

# ---- serving, with no queue
"$GW" -c "$T/gw.conf" -v >"$T/gw.out" 2>"$T/gw.err" &
GPID=$!
PIDS="$PIDS $GPID"
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" = 200 ]; }
until_ok 10 healthy && ok "the gateway answers /healthz" ||
	{ not_ok "the gateway did not start: $(cat "$T/gw.err")"; finish; }

EV='{"type":"follow","mode":"active","timestamp":1700000000000,"source":{"type":"user","userId":"U0123456789abcdef0123456789abcdef"},"webhookEventId":"01HF0000000000000000000001","deliveryContext":{"isRedelivery":false},"replyToken":"nHuyWiB7yP5Zw52FIkcQobQuGDXCTA","follow":{"isUnblocked":false}}'
BODY="{\"destination\":\"U00000000000000000000000000000000\",\"events\":[$EV]}"
OTHER=$(printf '%s' "$BODY" | sed 's/follow/unfollow/')
CT="Content-Type: application/json"

post /line/webhook "$BODY" "$CT"
[ "$S" = 401 ]; res "a missing signature: 401"
post /line/webhook "$BODY" "$CT" "X-Line-Signature: $(sign "$BODY" | tr 'A-Za-z' 'B-ZAb-za')"
[ "$S" = 401 ]; res "a forged signature: 401"
post /line/webhook "$BODY" "$CT" "X-Line-Signature: $(printf '%s' "$BODY" | "$PY" -c 'import sys, hmac, hashlib, base64
print(base64.b64encode(hmac.new((sys.argv[1] + "\n").encode(), sys.stdin.buffer.read(),
    hashlib.sha256).digest()).decode())' "$SECRET")"
[ "$S" = 401 ]; res "a signature keyed with the file's newline: 401"
post /line/webhook "$OTHER" "$CT" "X-Line-Signature: $(sign "$BODY")"
[ "$S" = 401 ]; res "a signature over another body: 401"
grep -q 'no signature: 401' "$T/gw.err" && grep -q 'a wrong signature: 401' "$T/gw.err" &&
	ok "the log says why (no signature, a wrong one)" || not_ok "log: $(tail -5 "$T/gw.err")"

BIG=$("$PY" -c 'print("{\"events\":[],\"pad\":\"" + "x" * 1100 + "\"}")')
post /line/webhook "$BIG" "$CT" "X-Line-Signature: $(sign "$BIG")"
[ "$S" = 413 ]; res "a body over max_body (1024), signed: 413"
# the same without Content-Length (chunked): read up to the limit, then 413
printf '%s' "$BIG" >"$T/big"
req POST /line/webhook -H "$CT" -H "X-Line-Signature: $(sign "$BIG")" \
	-H "Transfer-Encoding: chunked" --data-binary @"$T/big"
[ "$S" = 413 ]; res "a chunked body over max_body: 413"

req GET /line/webhook
[ "$S" = 405 ] && [ "$(hdr Allow)" = POST ]; res "GET on the webhook: 405, Allow: POST"
req GET /nothing-here
[ "$S" = 404 ]; res "an unknown path: 404"
req POST /healthz --data-binary x
[ "$S" = 405 ]; res "POST /healthz: 405"

NJ='{"events":[{"type":"follow"'
post /line/webhook "$NJ" "$CT" "X-Line-Signature: $(sign "$NJ")"
[ "$S" = 400 ]; res "a valid signature over a body that is not JSON: 400"
NS='{"events":{}}'
post /line/webhook "$NS" "$CT" "X-Line-Signature: $(sign "$NS")"
[ "$S" = 400 ]; res "a valid signature over JSON not of LINE's shape: 400"
EMPTY='{"destination":"U00000000000000000000000000000000","events":[]}'
post /line/webhook "$EMPTY" "$CT" "X-Line-Signature: $(sign "$EMPTY")"
[ "$S" = 200 ]; res "LINE's connectivity check (no events), signed: 200 without the queue"
GROUP='{"events":[{"type":"message","timestamp":1,"webhookEventId":"G1","source":{"type":"group","groupId":"C1"},"replyToken":"r","message":{"type":"text","text":"stop"}}]}'
post /line/webhook "$GROUP" "$CT" "X-Line-Signature: $(sign "$GROUP")"
[ "$S" = 200 ]; res "a group's message only (ignored): 200 without the queue"

t0=$(date +%s)
post /line/webhook "$BODY" "$CT" "X-Line-Signature: $(sign "$BODY")"
t1=$(date +%s)
[ "$S" = 503 ]; res "a valid signed event with no queue: 503 (LINE redelivers)"
[ $((t1 - t0)) -le 5 ] && ok "503 within queue_timeout (1 s): took $((t1 - t0)) s" ||
	not_ok "503 took $((t1 - t0)) s"
grep -q 'the queue answered 0 of 1' "$T/gw.err" && ok "the log says the queue did not answer" ||
	not_ok "log: $(tail -3 "$T/gw.err")"

# ---- pages
secure() {
	_csp=$(hdr Content-Security-Policy)
	case $_csp in *"default-src 'none'"*"form-action 'self'"*"frame-ancestors 'none'"*) ;;
		*) echo "# CSP: $_csp"; return 1 ;; esac
	[ "$(hdr Cache-Control)" = no-store ] && [ "$(hdr X-Content-Type-Options)" = nosniff ] &&
	[ "$(hdr X-Frame-Options)" = DENY ] && [ "$(hdr Referrer-Policy)" = no-referrer ]
}
req GET /register
[ "$S" = 200 ] && secure && grep -q '<form method="post">' "$T/body" &&
	grep -q 'lang="en"' "$T/body" && ! grep -qi '<script' "$T/body"
res "GET /register: 200, a form in Japanese and English, no script, the security headers"
case $(hdr Content-Type) in text/html*) ok "GET /register is text/html" ;;
	*) not_ok "Content-Type: $(hdr Content-Type)" ;; esac
TOK=AAAAbbbbCCCCdddd_-_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP
req GET "/unsubscribe/$TOK"
[ "$S" = 503 ] && secure && [ -n "$(hdr Retry-After)" ] && grep -q '<html' "$T/body"
res "GET /unsubscribe/TOKEN with no queue: 503, a page with the security headers"
req GET "/unsubscribe/not.a.token"
[ "$S" = 404 ] && secure; res "a token that is not base64url: 404 without asking the queue"
req GET "/confirm/$TOK"
[ "$S" = 503 ] && secure; res "GET /confirm/TOKEN with no queue: 503"
req PUT "/register" --data-binary x
[ "$S" = 405 ] && secure; res "PUT /register: 405 with the headers"

# the registration form: a malformed code fails locally, and after
# `attempts` (3) failures this client is limited (429) before the queue
FORM="Content-Type: application/x-www-form-urlencoded"
post /register "code=7K3M-Q9XD-2HBW&email=bad&lang=ja" "$FORM"
[ "$S" = 400 ] && grep -q 'メールアドレス' "$T/body"; res "a bad address: 400, the form again"
post /register "code=%zz" "$FORM"
[ "$S" = 400 ]; res "a bad escape in the form: 400"
post /register "code=7K3M" "Content-Type: text/plain"
[ "$S" = 415 ]; res "a form of another type: 415"
post /register "code=7K3M-Q9XD-2HBW&email=taro%40example.jp&lang=en" "$FORM"
[ "$S" = 503 ]; res "a well-formed registration with no queue: 503"
n=0
for i in 1 2 3; do
	post /register "code=NOT-A-CODE-$i&email=taro%40example.jp" "$FORM"
	[ "$S" = 400 ] && n=$((n + 1))
done
[ $n = 3 ] && ok "3 malformed codes: 400 each" || not_ok "malformed codes: $n of 3 answered 400"
post /register "code=7K3M-Q9XD-2HBW&email=taro%40example.jp" "$FORM"
[ "$S" = 429 ] && [ "$(hdr Retry-After)" = 600 ]
res "the 4th attempt from that address: 429, Retry-After the window (600 s)"
echo "# show: gateway: the registration form limits a client to 3 failed codes per 600 s"

kill -TERM "$GPID"
wait "$GPID"
st=$?
[ $st = 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit $st"
grep -q 'stopping' "$T/gw.err" && ok "it logs its stop" || not_ok "log: $(tail -2 "$T/gw.err")"
grep -q -e "$SECRET" -e U0123456789abcdef0123456789abcdef -e "$TOK" "$T/gw.err" &&
	not_ok "the log holds the secret, a user id or a token" ||
	ok "the log holds no secret, user id or token"
finish
