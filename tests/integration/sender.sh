#!/bin/sh
# sender.sh - the senders (daemon/sender/: the LINE and email backends and
# the loop) against real servers on loopback: an aiosmtpd sink
# (smtp_sink.py) for email and `oshirase-line-emulator` for LINE, driven
# through build/tests/sender_drive (see its header): one sender,
# sender_loop threads on inproc://, and the oshirase-sender program over
# ipc://, with its endpoints from the command line or from its config.
# Messages are checked with Python's email package (check_mail.py).  The
# program links nothing of the store (no LMDB).  tcp:// with CURVE:
# curve.sh.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

PY=/usr/bin/python3
HERE=$TOP/tests/integration
DRIVE=${BUILD:-$TOP/build}/tests/sender_drive
[ -x "$PY" ] && "$PY" -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed (tools/install-deps)"
if [ ! -x "$DRIVE" ]; then
	not_ok "$DRIVE is not built (make check builds it)"
finish
fi

PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

FROM=noreply@city.mihon.example.jp
SUBJ_JA="【みほん市】あなたが対象となる可能性のある制度のお知らせ：児童手当、子ども医療費助成、ひとり親家庭等医療費助成"
TEXT1="市民の皆さまへ
児童手当の対象となる可能性があります。"
TEXT1_ESC='市民の皆さまへ\n児童手当の対象となる可能性があります。'
TEXT2=".leading dot line
詳しくは https://www.city.mihon.example.jp/ をご覧ください。"
TEXT2_ESC='.leading dot line\n詳しくは https://www.city.mihon.example.jp/ をご覧ください。'
UNSUB=https://www.city.mihon.example.jp/oshirase/unsubscribe/tok123

# job CHANNEL LANG TO RETRY_KEY MESSAGE_ID UNSUBSCRIBE SUBJECT TEXT...:
# one line of driver input ("-" = empty, \n escapes).
job() {
	_l=$1; shift
	for _f in "$@"; do _l="$_l	$_f"; done
	printf '%s\n' "$_l"
}
# drive ARGS... < JOBS: run the driver; results in $T/out, stderr in $T/err.
drive() { "$DRIVE" "$@" >"$T/out" 2>"$T/err"; }
# res ID COLUMN: a column of the driver's result line for job ID
# (2 outcome, 3 status, 4 transport, 5 request id, 6 detail).
res() { awk -F'\t' -v id="$1" -v c="$2" '$1 == id { print $c }' "$T/out"; }
# expect ID OUTCOME STATUS DESC: job ID's outcome and status.
expect() {
	_o=$(res "$1" 2) _s=$(res "$1" 3)
	if [ "$_o" = "$2" ] && [ "$_s" = "$3" ]; then ok "$4: $2 ($3)"
	else
		not_ok "$4: got '$_o' ($_s), want $2 ($3)"
		sed 's/^/#   /' "$T/out" "$T/err" | head -20
	fi
}
# private WORD...: none of the words (addresses, texts) in out or err.
private() {
	for _w in "$@"; do
		if grep -qF -- "$_w" "$T/out" "$T/err"; then
			not_ok "'$_w' appears in the driver's output or log"
			return
		fi
	done
	ok "no address or text in the output and log"
}
# wait_file FILE: poll until FILE is not empty (5 s).
wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s "$1" ]
}
nmsgs() { ls "$1" 2>/dev/null | grep -c '\.eml$'; }
write_conf() {	# write_conf FILE SMTP_URL [EXTRA LINES]
	printf '[line]\napi = %s\ntoken_file = %s\ntimeout = 2\n[email]\nurl = %s\nfrom = %s\n%s\n' \
		"${LINE_API:-http://127.0.0.1:9}" "$T/line-token" "$2" "$FROM" "${3-}" >"$1"
}

# --- the SMTP sink ----------------------------------------------------------
SP=$("$PY" "$HERE/smtp_sink.py" --free-port)
mkdir "$T/mail"
PYTHONPATH=$HERE "$PY" -m aiosmtpd -n -l "127.0.0.1:$SP" -c smtp_sink.Sink \
	"$T/mail" >"$T/smtpd.log" 2>&1 &
PIDS="$PIDS $!"
if ! "$PY" "$HERE/smtp_sink.py" --wait 127.0.0.1 "$SP"; then
	not_ok "aiosmtpd did not start"; sed 's/^/#   /' "$T/smtpd.log";
finish
fi
write_conf "$T/c.conf" "smtp://127.0.0.1:$SP"

# --- email: one message, checked by Python's email package -----------------
{
	job email ja taro@example.net - mid-0001 "$UNSUB" "$SUBJ_JA" "$TEXT1_ESC" "$TEXT2_ESC"
	job email en hanako@example.net - mid-0002 "$UNSUB" "Programs you may qualify for" "Dear resident,\nyou may qualify."
} >"$T/jobs1"
drive -c "$T/c.conf" <"$T/jobs1"
expect 1 sent 250 "email ja"
expect 2 sent 250 "email en"
if [ "$(nmsgs "$T/mail")" -eq 2 ] &&
	"$PY" "$HERE/check_mail.py" "$T/mail/msg-1.eml" --subject "$SUBJ_JA" \
	--from-name "みほん市" --from-addr "$FROM" --to taro@example.net \
	--message-id mid-0001 --unsubscribe "$UNSUB" --text "$TEXT1" --text "$TEXT2" >"$T/check" 2>&1
then ok "Japanese message: Subject, From, To, Message-ID, List-Unsubscribe, Date, body decode as sent"
else not_ok "Japanese message differs from what was sent"; cat "$T/check"
fi
if "$PY" "$HERE/check_mail.py" "$T/mail/msg-2.eml" --subject "Programs you may qualify for" \
	--from-name "Mihon City" --from-addr "$FROM" --to hanako@example.net \
	--message-id mid-0002 --unsubscribe "$UNSUB" --text "Dear resident,
you may qualify." >"$T/check" 2>&1
then ok "English message: From is the English city name"
else not_ok "English message differs from what was sent"; cat "$T/check"
fi
grep -q '^Subject: =?UTF-8?B?' "$T/mail/msg-1.eml" &&
	[ "$(grep -c '^ =?UTF-8?B?' "$T/mail/msg-1.eml")" -ge 2 ] &&
	ok "the long subject is folded into encoded-words" ||
	not_ok "the long subject is not folded"
grep -q '^from noreply@city.mihon.example.jp$' "$T/mail/msg-1.meta" &&
	grep -q '^to taro@example.net$' "$T/mail/msg-1.meta" &&
	ok "envelope: MAIL FROM and RCPT TO" || not_ok "envelope wrong"
private taro@example.net hanako@example.net "市民の皆さま" "児童手当"

# --- email: the session is kept across jobs ---------------------------------
s0=$(cat "$T/mail/sessions")
{
	job email ja a1@example.net - mid-0101 "$UNSUB" "件名" "本文一"
	job email ja a2@example.net - mid-0102 "$UNSUB" "件名" "本文二"
	job email ja a3@example.net - mid-0103 "$UNSUB" "件名" "本文三"
} >"$T/jobs2"
drive -c "$T/c.conf" <"$T/jobs2"
expect 3 sent 250 "third of three in a row"
set -- $(grep '^stats' "$T/out")
[ "${4-}" = 1 ] && ok "three messages, one SMTP connection (CURLINFO_NUM_CONNECTS)" ||
	not_ok "three messages took ${4-?} connections"
s1=$(cat "$T/mail/sessions")
[ "$((s1 - s0))" -eq 1 ] && ok "the sink saw one session for the three" ||
	not_ok "the sink saw $((s1 - s0)) sessions for three messages"

# --- email: an internationalised domain goes in its A-label form ----------
n0=$(nmsgs "$T/mail")
job email ja 'taro@\xe4\xbe\x8b\xe3\x81\x88.jp' - mid-0301 "$UNSUB" "件名" "本文" >"$T/jobs-idn"
drive -c "$T/c.conf" <"$T/jobs-idn"
expect 1 sent 250 "email to an internationalised domain"
m=$(nmsgs "$T/mail")
[ "$m" -eq $((n0 + 1)) ] && grep -q '^to taro@xn--r8jz45g.jp$' "$T/mail/msg-$m.meta" &&
	grep -q '^To: <taro@xn--r8jz45g.jp>' "$T/mail/msg-$m.eml" &&
	ok "RCPT TO and To: carry the domain's A-label (xn--r8jz45g.jp)" ||
	not_ok "internationalised domain: $(cat "$T/mail/msg-$m.meta" 2>/dev/null; grep '^To:' "$T/mail/msg-$m.eml" 2>/dev/null)"

# --- email: refusals ----------------------------------------------------------
n0=$(nmsgs "$T/mail")
{
	job email ja tempfail1@example.net - mid-0201 "$UNSUB" "s" "t"
	job email ja reject1@example.net - mid-0202 "$UNSUB" "s" "t"
	job email ja refuse1@example.net - mid-0203 "$UNSUB" "s" "t"
	job email ja taro@example.net - mid-0204 "$UNSUB" 's\r\nBcc: victim@example.org' "t"
	job email ja 'taro@example.net\r\nBcc: victim@example.org' - mid-0205 "$UNSUB" "s" "t"
	job email ja 'taro@example.net> NOTIFY=NEVER' - mid-0206 "$UNSUB" "s" "t"
	job email ja taro@example.net - mid-0207 "$UNSUB" "s" 'not UTF-8 \xff'
	job email ja ok@example.net - mid-0208 "$UNSUB" "s" "t"
} >"$T/jobs3"
drive -c "$T/c.conf" <"$T/jobs3"
expect 1 retry 451 "RCPT 451"
expect 2 permanent 550 "RCPT 550"
expect 3 permanent 554 "554 after DATA"
expect 4 permanent 0 "CR LF in the subject"
expect 5 permanent 0 "CR LF in the address"
expect 6 permanent 0 "an address that would extend the SMTP path"
expect 7 permanent 0 "a text that is not UTF-8"
expect 8 sent 250 "a good message after the refusals"
case $(res 4 6) in *"header injection"*) ok "the detail names header injection" ;;
	*) not_ok "detail for CR LF in the subject: '$(res 4 6)'" ;; esac
case $(res 2 6) in "SMTP 550: "*) ok "the detail is 'SMTP 550: ...'" ;;
	*) not_ok "detail for 550: '$(res 2 6)'" ;; esac
[ "$(nmsgs "$T/mail")" -eq $((n0 + 1)) ] && ok "only the good message arrived" ||
	not_ok "$(( $(nmsgs "$T/mail") - n0 )) messages arrived, want 1"
grep -rqi 'bcc' "$T/mail" && not_ok "an injected Bcc reached the sink" ||
	ok "no injected header reached the sink"
private tempfail1@ reject1@ refuse1@ victim@

# --- email: no relay ---------------------------------------------------------
DEAD=$("$PY" "$HERE/smtp_sink.py" --free-port)
write_conf "$T/dead.conf" "smtp://127.0.0.1:$DEAD"
job email ja taro@example.net - mid-0301 "$UNSUB" "s" "t" | drive -c "$T/dead.conf"
expect 1 retry 0 "no relay listening"
[ "$(res 1 4)" = 7 ] && ok "transport is CURLE_COULDNT_CONNECT" || not_ok "transport $(res 1 4)"

# --- secrets files -----------------------------------------------------------
printf 'tok\n' >"$T/line-token"
chmod 644 "$T/line-token"
job email ja taro@example.net - mid-0401 "$UNSUB" "s" "t" | drive -c "$T/c.conf"
rc=$?
[ $rc -eq 78 ] && grep -q 'chmod 600' "$T/err" && ! grep -q 'tok' "$T/out" &&
	ok "a LINE token file readable by others is refused (78)" ||
	not_ok "a 0644 token file: exit $rc"
rm -f "$T/line-token"
job line ja U0123456789abcdef0123456789abcdef 123e4567-e89b-12d3-a456-426614174000 - - - "hi" |
	drive -c "$T/c.conf"
expect 1 auth 0 "a LINE job without a token file"
case $(res 1 6) in *"token file is missing"*) ok "the detail says the token file is missing" ;;
	*) not_ok "detail: '$(res 1 6)'" ;; esac

# --- SMTP AUTH ---------------------------------------------------------------
AP=$("$PY" "$HERE/smtp_sink.py" --free-port)
mkdir "$T/authmail"
"$PY" "$HERE/smtp_sink.py" --auth-server 127.0.0.1 "$AP" "$T/authmail" city 's3cret pass' \
	>"$T/auth.log" 2>&1 &
PIDS="$PIDS $!"
if "$PY" "$HERE/smtp_sink.py" --wait 127.0.0.1 "$AP"; then
	printf 's3cret pass\n' >"$T/smtp-pass"
	chmod 600 "$T/smtp-pass"
	write_conf "$T/auth.conf" "smtp://127.0.0.1:$AP" "username = city
password_file = $T/smtp-pass"
	job email ja taro@example.net - mid-0501 "$UNSUB" "s" "t" | drive -c "$T/auth.conf"
	expect 1 sent 250 "SMTP AUTH with the password file"
	printf 'wrong\n' >"$T/smtp-pass"
	job email ja taro@example.net - mid-0502 "$UNSUB" "s" "t" | drive -c "$T/auth.conf"
	expect 1 auth 535 "SMTP AUTH refused"
	grep -q 's3cret\|wrong' "$T/out" "$T/err" && not_ok "the password shows in the output" ||
		ok "no password in the output"
	chmod 640 "$T/smtp-pass"
	job email ja taro@example.net - mid-0503 "$UNSUB" "s" "t" | drive -c "$T/auth.conf"
	[ $? -eq 78 ] && ok "a password file readable by the group is refused (78)" ||
		not_ok "a 0640 password file was accepted"
	job email ja taro@example.net - mid-0504 "$UNSUB" "s" "t" | drive -c "$TOP/nonexistent.conf"
	[ $? -eq 78 ] && ok "a missing config file: 78" || not_ok "a missing config file: not 78"
else
	not_ok "the AUTH sink did not start"; sed 's/^/#   /' "$T/auth.log"
fi

# --- TLS: STARTTLS required off loopback, implicit TLS, the CA ----------------
# 127.0.0.2 is loopback to the kernel but not to the sender's rule
# (127.0.0.1, ::1, localhost), so smtp://127.0.0.2 must use STARTTLS.
if command -v openssl >/dev/null 2>&1 &&
	"$PY" -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null; then
	(
		cd "$T" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-days 2 -subj /CN=oshirase-test-ca -keyout ca.key -out ca.pem \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-subj /CN=127.0.0.2 -keyout srv.key -out srv.csr &&
		printf 'subjectAltName=IP:127.0.0.2\nbasicConstraints=CA:FALSE\n' >srv.ext &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile srv.ext -out srv.pem &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-days 2 -subj /CN=another-ca -keyout other.key -out other.pem \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign
	) >"$T/openssl.log" 2>&1 || { not_ok "openssl could not make a test CA"; cat "$T/openssl.log"; }
	# plain: no STARTTLS offered
	P2=$("$PY" "$HERE/smtp_sink.py" --free-port)
	mkdir "$T/m2" "$T/m3" "$T/m4"
	PYTHONPATH=$HERE "$PY" -m aiosmtpd -n -l "127.0.0.2:$P2" -c smtp_sink.Sink "$T/m2" \
		>"$T/s2.log" 2>&1 &
	PIDS="$PIDS $!"
	P3=$("$PY" "$HERE/smtp_sink.py" --free-port)
	PYTHONPATH=$HERE "$PY" -m aiosmtpd -n -l "127.0.0.2:$P3" -c smtp_sink.Sink "$T/m3" \
		--tlscert "$T/srv.pem" --tlskey "$T/srv.key" >"$T/s3.log" 2>&1 &
	PIDS="$PIDS $!"
	P4=$("$PY" "$HERE/smtp_sink.py" --free-port)
	PYTHONPATH=$HERE "$PY" -m aiosmtpd -n -l "127.0.0.2:$P4" -c smtp_sink.Sink "$T/m4" \
		--smtpscert "$T/srv.pem" --smtpskey "$T/srv.key" >"$T/s4.log" 2>&1 &
	PIDS="$PIDS $!"
	"$PY" "$HERE/smtp_sink.py" --wait 127.0.0.2 "$P2" &&
		"$PY" "$HERE/smtp_sink.py" --wait 127.0.0.2 "$P3" &&
		"$PY" "$HERE/smtp_sink.py" --wait 127.0.0.2 "$P4" || not_ok "TLS sinks did not start"
	job email ja taro@example.net - mid-0601 "$UNSUB" "s" "t" >"$T/jobtls"
	write_conf "$T/t2.conf" "smtp://127.0.0.2:$P2" "cafile = $T/ca.pem"
	drive -c "$T/t2.conf" <"$T/jobtls"
	expect 1 auth 250 "smtp:// off loopback to a relay without STARTTLS"
	[ "$(nmsgs "$T/m2")" -eq 0 ] && ok "nothing sent in clear" || not_ok "a message went in clear"
	write_conf "$T/t3.conf" "smtp://127.0.0.2:$P3" "cafile = $T/ca.pem"
	drive -c "$T/t3.conf" <"$T/jobtls"
	expect 1 sent 250 "smtp:// with STARTTLS and the test CA"
	write_conf "$T/t4.conf" "smtps://127.0.0.2:$P4" "cafile = $T/ca.pem"
	drive -c "$T/t4.conf" <"$T/jobtls"
	expect 1 sent 250 "smtps:// (implicit TLS) with the test CA"
	write_conf "$T/t5.conf" "smtps://127.0.0.2:$P4" "cafile = $T/other.pem"
	drive -c "$T/t5.conf" <"$T/jobtls"
	expect 1 retry 0 "smtps:// with a CA that did not sign the relay's certificate"
	[ "$(nmsgs "$T/m3")" -eq 1 ] && [ "$(nmsgs "$T/m4")" -eq 1 ] &&
		ok "one message through each TLS relay" || not_ok "TLS relays got $(nmsgs "$T/m3") and $(nmsgs "$T/m4")"
else
	ok "# SKIP TLS cases: no openssl or no 127.0.0.2"
fi

# --- sender_loop threads on inproc:// ----------------------------------------
n0=$(nmsgs "$T/mail")
{
	for i in 1 2 3 4 5 6; do
		job email ja "loop$i@example.net" - "mid-07$i" "$UNSUB" "件名 $i" "本文 $i"
	done
	job email ja reject-loop@example.net - mid-0799 "$UNSUB" "s" "t"
} >"$T/jobs7"
drive -c "$T/c.conf" --loop 3 --garbage -v <"$T/jobs7"
rc=$?
[ $rc -eq 0 ] && ok "3 sender_loop threads answered every job" || not_ok "loop driver exit $rc"
expect 6 sent 250 "sixth job through the loops"
expect 7 permanent 550 "a refusal through the loops"
grep -q 'does not decode; dropped' "$T/err" && ok "a garbage frame is dropped with a warning" ||
	not_ok "no warning for the garbage frame"
grep -q "$(printf '^loops\t3\treturned 0$')" "$T/out" &&
	ok "every loop returned 0 when the context was shut down" ||
	not_ok "a loop did not return 0 at shutdown"
[ "$(nmsgs "$T/mail")" -eq $((n0 + 6)) ] && ok "six messages arrived" ||
	not_ok "$(( $(nmsgs "$T/mail") - n0 )) messages arrived, want 6"
grep -q 'job 0000000000000007 attempt 1: permanent' "$T/err" &&
	ok "the debug log names job ids and outcomes" || not_ok "no job id in the debug log"
private loop1@ reject-loop@ "本文"

# --- oshirase-sender over ipc:// -----------------------------------------------
JE=ipc://$T/sj RE=ipc://$T/sr
timeout -s KILL 60 "$OSHIRASE_SENDER" --connect "$JE" --results "$RE" -c "$T/c.conf" \
	--workers 2 >"$T/remote.out" 2>"$T/remote.err" &
RPID=$!
PIDS="$PIDS $RPID"
{
	job email ja remote1@example.net - mid-0801 "$UNSUB" "件名" "本文"
	job email ja remote2@example.net - mid-0802 "$UNSUB" "件名" "本文"
	job email ja tempfail-remote@example.net - mid-0803 "$UNSUB" "件名" "本文"
} | drive -c "$T/c.conf" --bind --garbage --timeout 20 "$JE" "$RE"
rc=$?
[ $rc -eq 0 ] && ok "oshirase-sender answered every job over ipc://" || not_ok "bind driver exit $rc"
expect 2 sent 250 "a job through oshirase-sender"
expect 3 retry 451 "a 451 through oshirase-sender"
kill -TERM "$RPID"
wait "$RPID"
rc=$?
[ $rc -eq 0 ] && ok "oshirase-sender exits 0 on SIGTERM" || not_ok "oshirase-sender exit $rc on SIGTERM"
grep -q 'does not decode; dropped' "$T/remote.err" && ok "oshirase-sender drops a garbage frame" ||
	not_ok "oshirase-sender: no warning for the garbage frame"
grep -q 'remote\|本文' "$T/remote.out" "$T/remote.err" &&
	not_ok "oshirase-sender printed an address or text" || ok "oshirase-sender logs no address or text"

# without --connect: [senders] jobs and results of its config
write_conf "$T/ep.conf" "smtp://127.0.0.1:$SP" "[senders]
jobs = ipc://$T/cj
results = ipc://$T/cr
workers = 3"
timeout -s KILL 60 "$OSHIRASE_SENDER" -c "$T/ep.conf" >"$T/ep.out" 2>"$T/ep.err" &
RPID=$!
PIDS="$PIDS $RPID"
job email ja conf1@example.net - mid-0851 "$UNSUB" "件名" "本文" |
	drive -c "$T/c.conf" --bind --timeout 20 "ipc://$T/cj" "ipc://$T/cr"
expect 1 sent 250 "without --connect it takes jobs at the config's [senders] jobs"
grep -q "sender: 3 workers: jobs from ipc://$T/cj, results to ipc://$T/cr$" "$T/ep.err" &&
	ok "with [senders] workers threads" || not_ok "its log: $(cat "$T/ep.err")"
kill -TERM "$RPID"
wait "$RPID"

timeout -s KILL 60 "$OSHIRASE_SENDER" --connect "$JE" --results "$RE" -c "$T/c.conf" \
	>"$T/remote2.out" 2>"$T/remote2.err" &
RPID=$!
PIDS="$PIDS $RPID"
wait_file "$T/remote2.err"	# it logs once its workers run
kill -INT "$RPID"
wait "$RPID"
rc=$?
[ $rc -eq 0 ] && ok "oshirase-sender exits 0 on SIGINT" || not_ok "oshirase-sender exit $rc on SIGINT"

expect_status 2 "oshirase-sender an operand: 2" "$OSHIRASE_SENDER" -c "$T/c.conf" extra
expect_status 2 "oshirase-sender --bogus: 2" "$OSHIRASE_SENDER" --bogus --connect tcp://127.0.0.1:9
expect_status 2 "oshirase-sender --workers 0: 2" "$OSHIRASE_SENDER" --connect tcp://127.0.0.1:9 --workers 0
expect_status 2 "ipc:// without --results: 2" "$OSHIRASE_SENDER" --connect ipc:///tmp/x -c "$T/c.conf"
expect_status 2 "an endpoint neither ipc:// nor tcp://: 2" "$OSHIRASE_SENDER" --connect inproc://x \
	--results inproc://y -c "$T/c.conf"
printf '[email]\nbogus = 1\n' >"$T/bad.conf"
expect_status 78 "oshirase-sender with a bad config: 78" "$OSHIRASE_SENDER" --connect "$JE" --results "$RE" -c "$T/bad.conf"
write_conf "$T/badurl.conf" "http://127.0.0.1:$SP"
expect_status 78 "oshirase-sender with an http:// mail url: 78" "$OSHIRASE_SENDER" --connect "$JE" --results "$RE" -c "$T/badurl.conf"
expect_status 0 "oshirase-sender --help: 0" "$OSHIRASE_SENDER" --help
grep -q '^usage: oshirase-sender' "$T/.out" && ok "--help prints the usage on stdout" || not_ok "--help: no usage"
expect_status 0 "oshirase-sender --help-config: 0" "$OSHIRASE_SENDER" --help-config
grep -q '^\[senders\] server_key (path' "$T/.out" && ok "--help-config lists the config keys" ||
	not_ok "--help-config: $(head -3 "$T/.out")"

# --- the wall: a sender links nothing of the store ----------------------------
n=$(nm "$OSHIRASE_SENDER" 2>/dev/null | grep -c -e ' mdb_' -e ' store_' -e ' rules_' -e ' pseudo_' -e ' match_')
ldd "$OSHIRASE_SENDER" | grep -q liblmdb && n=$((n + 1))
[ "$n" -eq 0 ] && nm "$OSHIRASE_SENDER" | grep -q ' sender_loop$' &&
	ok "oshirase-sender has no LMDB, store, rules or pseudonym code (nm, ldd)" ||
	not_ok "oshirase-sender: $n symbols or libraries of the store"
n=$(nm "$OSHIRASED" 2>/dev/null | grep -c -e ' curl_' -e ' sender_')
ldd "$OSHIRASED" | grep -q libcurl && n=$((n + 1))
[ "$n" -eq 0 ] && ok "oshirased has no sender and no libcurl" || not_ok "oshirased: $n sender symbols or libcurl"

# --- LINE against oshirase line-emulator (tools/lineemu.c) --------------------
# start_emu NAME ARGS...: an emulator with the token in $T/emu-token; its
# base URL in $LINE_API.
start_emu() {
	_name=$1; shift
	"$OSHIRASE_EMU" --token-file "$T/emu-token" --port-file "$T/$_name.port" \
		--record "$T/$_name.record" "$@" >"$T/$_name.out" 2>"$T/$_name.err" &
	PIDS="$PIDS $!"
	wait_file "$T/$_name.port" || { not_ok "line-emulator $_name did not start"; cat "$T/$_name.err"; }
	LINE_API=http://127.0.0.1:$(cat "$T/$_name.port" 2>/dev/null)
}
# fault JSON: POST /emulator/faults (the next push requests' answers).
fault() {
	"$PY" -c 'import sys, urllib.request as u
u.urlopen(u.Request(sys.argv[1] + "/emulator/faults", data=sys.argv[2].encode(),
    method="POST", headers={"Content-Type": "application/json"})).read()' \
		"$LINE_API" "$1" || not_ok "POST /emulator/faults $1"
}
# line1 KEY TO TEXT...: drive one LINE job with $T/l.conf.
line1() { _k=$1 _to=$2; shift 2; job line ja "$_to" "$_k" - - - "$@" | drive -c "$T/l.conf"; }

if ! "$OSHIRASE_EMU" --help >/dev/null 2>&1; then
	ok "# SKIP LINE cases: this oshirase has no line-emulator"
else
	TOK="test-channel-token-$$"
	printf '%s\n' "$TOK" >"$T/emu-token"
	printf '%s\n' "$TOK" >"$T/line-token"
	chmod 600 "$T/line-token"
	U1=U0123456789abcdef0123456789abcdef
	U2=U11111111111111111111111111111111
	UX=Ueeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee	# not known to the emulator
	printf '%s\n%s\n' "$U1" "$U2" >"$T/known"
	K1=123e4567-e89b-12d3-a456-426614174000
	K2=9b2f1c3e-5a4d-4e6f-8a7b-0c1d2e3f4a5b
	start_emu emu --known "$T/known"
	write_conf "$T/l.conf" "smtp://127.0.0.1:$SP"

	# 200, 200, then the first key again: 409 with the first request's id
	{
		job line ja "$U1" "$K1" - - - "$TEXT1_ESC" "second text"
		job line en "$U2" "$K2" - - - "hello"
		job line ja "$U1" "$K1" - - - "$TEXT1_ESC" "second text"
	} | drive -c "$T/l.conf"
	expect 1 sent 200 "LINE push"
	expect 2 sent 200 "LINE push, another key"
	expect 3 sent 409 "LINE push again with the same retry key"
	id1=$(res 1 5) id3=$(res 3 5)
	[ -n "$id1" ] && [ "$id1" != - ] && [ "$id1" = "$id3" ] &&
		ok "409 gives the accepted request's id (x-line-accepted-request-id)" ||
		not_ok "request ids: first '$id1', after 409 '$id3'"
	set -- $(grep '^stats' "$T/out")
	[ "${3-}" = 1 ] && ok "three pushes, one HTTP connection (keep-alive)" ||
		not_ok "three pushes took ${3-?} connections"
	if "$PY" - "$T/emu.record" "$K1" "$TEXT1" <<-'EOF'
		import json, sys
		recs = [json.loads(l) for l in open(sys.argv[1])]
		mine = [r for r in recs if r["retry_key"] == sys.argv[2]]
		assert len(recs) == 2, recs
		assert len(mine) == 1 and mine[0]["messages"] == [sys.argv[3], "second text"], mine
		EOF
	then ok "the emulator recorded each text once, as sent"
	else not_ok "the emulator's record differs"
	fi
	private "$U1" "$U2" "$TOK" "市民の皆さま" "second text"

	# the answers LINE documents, injected for the next request
	K=0
	for c in "400 permanent" "413 permanent" "415 permanent" "401 auth" "403 auth" \
		"429 rate" "500 retry" "503 retry"; do
		set -- $c
		K=$((K + 1))
		fault "{\"status\": $1, \"status_count\": 1}"
		line1 "00000000-0000-4000-8000-00000000000$K" "$U1" "t"
		expect 1 "$2" "$1" "LINE $1 (injected)"
	done
	fault '{"status": 429, "status_message": "You have reached your monthly limit."}'
	line1 00000000-0000-4000-8000-000000000101 "$U1" "t"
	expect 1 quota 429 "LINE 429 monthly limit (injected)"
	[ "$(res 1 6)" = "You have reached your monthly limit." ] &&
		ok "the detail is LINE's message" || not_ok "detail: '$(res 1 6)'"
	line1 00000000-0000-4000-8000-000000000102 "$U1" "t"
	expect 1 sent 200 "the fault was for one request only"

	# the emulator's own refusals
	line1 00000000-0000-4000-8000-000000000103 "$UX" "t"
	expect 1 permanent 400 "LINE push to a user id that does not exist"
	[ "$(res 1 6)" = "Failed to send messages" ] && ok "detail: Failed to send messages" ||
		not_ok "detail: '$(res 1 6)'"
	printf 'not-the-token\n' >"$T/line-token"
	line1 00000000-0000-4000-8000-000000000104 "$U1" "t"
	expect 1 auth 401 "LINE with a wrong token"
	grep -q 'not-the-token' "$T/out" "$T/err" && not_ok "the token shows in the output" ||
		ok "no token in the output"
	printf '%s\n' "$TOK" >"$T/line-token"

	# the limit of 5,000 UTF-16 units: 2,500 emoji pass, 2,501 do not
	E2500=$("$PY" -c 'print("\U0001F600" * 2500)')
	line1 00000000-0000-4000-8000-000000000105 "$U1" "$E2500"
	expect 1 sent 200 "a text of 5,000 UTF-16 units (2,500 emoji)"
	line1 00000000-0000-4000-8000-000000000106 "$U1" "${E2500}x"
	expect 1 permanent 0 "a text of 5,001 UTF-16 units, refused before sending"
	line1 123E4567-E89B-12D3-A456-426614174000 "$U1" "t"
	expect 1 permanent 0 "a retry key that is not a lowercase UUID"

	# an answer lost after LINE accepted: retry, then 409 = sent once
	K5=5b5b5b5b-5b5b-4b5b-8b5b-5b5b5b5b5b5b
	fault '{"lost_response_rate": 1}'
	line1 "$K5" "$U1" "lost answer"
	expect 1 retry 0 "LINE accepted but the answer was lost"
	fault '{"lost_response_rate": 0}'
	line1 "$K5" "$U1" "lost answer"
	expect 1 sent 409 "the retry of it is answered 409"
	[ "$(grep -c "$K5" "$T/emu.record")" -eq 1 ] && ok "and the resident got it once" ||
		not_ok "the lost-answer push was recorded $(grep -c "$K5" "$T/emu.record") times"

	# a timeout ([line] timeout = 2 s)
	fault '{"latency_ms": 4000}'
	line1 00000000-0000-4000-8000-000000000107 "$U1" "t"
	expect 1 retry 0 "LINE timeout"
	[ "$(res 1 4)" = 28 ] && ok "transport is CURLE_OPERATION_TIMEDOUT" || not_ok "transport $(res 1 4)"
	fault '{"latency_ms": 0}'

	# a reply (JOB_REPLY): POST /v2/bot/message/reply, the reply token as
	# replyToken, no retry key, the items as the last text's quick reply
	job reply en rt-0001 - - - - "Which ones?" "Choose:" "qr:All|cat=7|All" \
		"qr:健康・検診|cat=1|健康・検診" | drive -c "$T/l.conf"
	expect 1 sent 200 "a LINE reply with quick-reply items"
	if "$PY" - "$T/emu.record" <<-'EOF'
		import json, sys
		r = [json.loads(l) for l in open(sys.argv[1])][-1]
		assert r["endpoint"] == "reply" and r["reply_token"] == "rt-0001", r
		assert r["messages"] == ["Which ones?", "Choose:"], r
		assert r["quick_reply"] == [
		    {"label": "All", "data": "cat=7", "text": "All"},
		    {"label": "健康・検診", "data": "cat=1", "text": "健康・検診"}], r
		assert "retry_key" not in r, r
		EOF
	then ok "the emulator got the reply token, the texts and the postback items"
	else not_ok "the emulator's record of the reply differs"
	fi
	job reply ja rt-0002 - - - - "one" "qr:123456789012345678901|x|y" | drive -c "$T/l.conf"
	expect 1 permanent 400 "a quick-reply label over 20 characters: LINE's 400"

	# the monthly quota for real: --quota 1
	start_emu quota --quota 1
	write_conf "$T/l.conf" "smtp://127.0.0.1:$SP"
	{
		job line ja "$U1" 00000000-0000-4000-8000-000000000201 - - - "one"
		job line ja "$U1" 00000000-0000-4000-8000-000000000202 - - - "two"
	} | drive -c "$T/l.conf"
	expect 1 sent 200 "the month's only message"
	expect 2 quota 429 "the next one: monthly limit"
	job reply ja rt-0003 - - - - "still" | drive -c "$T/l.conf"
	expect 1 sent 200 "a reply is free of the monthly quota"

	# LINE and email jobs through the same loops
	{
		job line ja "$U1" 00000000-0000-4000-8000-000000000301 - - - "via loop"
		job email ja mixed@example.net - mid-0901 "$UNSUB" "s" "t"
	} | drive -c "$T/l.conf" --loop 2
	expect 1 quota 429 "LINE through sender_loop"
	expect 2 sent 250 "email through sender_loop beside it"
fi

finish
