#!/bin/sh
# config.sh - the config and the secrets as the programs check them.
# `oshirased -n` refuses what the start refuses, with the same exit status
# and message: each case is run both ways (-n, and a --once start in quiet
# hours with no senders).  Key files that group or others may read or
# write, FIFOs, symbolic links and missing ones are refused (78, the file
# and its mode named); a contact secret key that is not the public key's,
# or a pair made again after the import (it opens none of the store's
# contacts); a sealed log's key left open; endpoints the queue would not
# bind; a LINE API in clear off loopback; a send window by night without
# allow_night; a key set twice.  The pseudonymisation key for the CLI.
# And no process leaves a core or lets another process of its user read
# its memory: oshirased, oshirase-sender and oshirase, run as an
# unprivileged user, are not dumpable and have no core limit.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

[ -x "$OSHIRASED" ] && [ -x "$OSHIRASE_SENDER" ] || { not_ok "the programs are not built"; finish; }

D=2026-12-01
R="$TOP/rules"
line_city 200 3 db0 || { not_ok "import"; finish; }
line_token
"$OSHIRASE" keygen --contacts --db "$T/other" -q || not_ok "keygen --contacts other"

# conf NAME: $T/NAME.conf for a copy of the store at $T/NAME (fresh), no
# senders of its own, local endpoints in $T; the lines on standard input
# are added (their keys replace the ones here).
conf() {
	cat >"$T/$1.base" <<EOC
[store]
db = $T/$1
[rules]
dir = $R
[line]
token_file = $T/line-token
[senders]
workers = 0
jobs = ipc://$T/$1.jobs
results = ipc://$T/$1.results
EOC
	cat >"$T/$1.extra"
	ini_merge "$T/$1.base" "$T/$1.extra" >"$T/$1.conf"
}
fresh() { rm -rf "$T/$1"; cp -r "$T/db0" "$T/$1"; }
# both NAME WANT DESC GREP: oshirased -n and a --once start on NAME.conf
# both exit WANT, without hanging (10 s), their messages holding GREP
# (fixed string); the start's exit status and message must be -n's.
both() {
	timeout -s KILL 10 "$OSHIRASED" -n -c "$T/$1.conf" >"$T/$1.n.out" 2>"$T/$1.n.err"
	_bn=$?
	timeout -s KILL 20 "$OSHIRASED" -c "$T/$1.conf" --once --date $D \
	    --now ${D}T05:00 --wait 0 >"$T/$1.s.out" 2>"$T/$1.s.err"
	_bs=$?
	if [ $_bn -eq "$2" ] && [ $_bs -eq "$2" ] && grep -qF -- "$4" "$T/$1.n.err" &&
	    grep -qF -- "$4" "$T/$1.s.err"; then
		ok "$3: -n and the start both exit $2: $(head -1 "$T/$1.n.err")"
	else
		not_ok "$3: -n exit $_bn, start exit $_bs (want $2 and '$4')"
		sed 's/^/#   -n: /' "$T/$1.n.err" | head -3
		sed 's/^/#   start: /' "$T/$1.s.err" | head -3
	fi
}

# ---- the good case: both start ----------------------------------------------
fresh good; conf good </dev/null
expect_status 0 "-n on a good config and store" "$OSHIRASED" -n -c "$T/good.conf"
expect_status 0 "a --once start on it (which makes the sealed log)" \
	"$OSHIRASED" -c "$T/good.conf" --once --date $D --now ${D}T05:00 --wait 0
[ -s "$T/good/log/log.bin" ] && [ -s "$T/good/log/signing.key" ] ||
	not_ok "no sealed log after the start"

# ---- the contact key pair -------------------------------------------------------
fresh ksec; conf ksec </dev/null; chmod 640 "$T/ksec/contacts.sec"
both ksec 78 "contacts.sec readable by the group" "ksec/contacts.sec: readable or writable by group or others (mode 0640); chmod 600 it"
fresh kfifo; conf kfifo </dev/null; rm "$T/kfifo/contacts.sec"; mkfifo -m 600 "$T/kfifo/contacts.sec"
both kfifo 78 "contacts.sec a FIFO (no writer: opened blocking, it would hang)" "kfifo/contacts.sec: not a regular file"
fresh klink; conf klink </dev/null; mv "$T/klink/contacts.sec" "$T/klink.sec"; ln -s "$T/klink.sec" "$T/klink/contacts.sec"
both klink 78 "contacts.sec a symbolic link" "klink/contacts.sec: a symbolic link"
fresh knone; conf knone </dev/null; rm "$T/knone/contacts.sec"
both knone 78 "contacts.sec missing" "knone/contacts.sec: No such file"
fresh kother; conf kother </dev/null; cp "$T/other/contacts.sec" "$T/kother/contacts.sec"
both kother 78 "contacts.sec of another pair than contacts.pub" "kother/contacts.sec: not the secret key of $T/kother/contacts.pub"
fresh kanew; conf kanew </dev/null; cp "$T/other/contacts.sec" "$T/other/contacts.pub" "$T/kanew/"
both kanew 78 "a key pair made again after the import" "kanew/contacts.sec: opens none of the store's first"
conf kpub <<EOC
[contacts]
public_key = $T/no-such.pub
EOC
fresh kpub
both kpub 78 "[contacts] public_key missing" "$T/no-such.pub: No such file"

# ---- the sealed log's keys ---------------------------------------------------
rm -rf "$T/lkey"; cp -r "$T/good" "$T/lkey"; conf lkey </dev/null; chmod 644 "$T/lkey/log/signing.key"
both lkey 78 "the log's signing.key readable by others" "lkey/log/signing.key: readable or writable by group or others (mode 0644)"
rm -rf "$T/lgone"; cp -r "$T/good" "$T/lgone"; conf lgone </dev/null; rm "$T/lgone/log/digest.key"
both lgone 73 "the log's digest.key missing" "lgone/log/digest.key: No such file"

# ---- endpoints and CURVE keys --------------------------------------------------
fresh etcp; printf '[senders]\njobs = tcp://127.0.0.1:1\n' | conf etcp
both etcp 78 "[senders] jobs tcp://" "[senders] jobs 'tcp://127.0.0.1:1': the queue binds it with no security, so ipc:// only"
fresh edir; printf '[senders]\nresults = ipc://%s/no-such-dir/results\n' "$T" | conf edir
both edir 78 "[senders] results in a directory that does not exist" "no directory $T/no-such-dir"
"$OSHIRASE" keygen --curve --out "$T/queue.key" -q && "$OSHIRASE" keygen --curve --out "$T/s1.key" -q ||
	not_ok "keygen --curve"
cp "$T/s1.key.pub" "$T/clients"; chmod 604 "$T/queue.key"
fresh ecurve
printf '[senders]\nremote_jobs = tcp://127.0.0.1:1\nremote_results = tcp://127.0.0.1:2\ncurve_key = %s\ncurve_clients = %s\n' \
	"$T/queue.key" "$T/clients" | conf ecurve
both ecurve 78 "the queue's CURVE key pair readable by others" "queue.key: readable or writable by group or others (mode 0604)"

# ---- the store -------------------------------------------------------------
conf nostore </dev/null
both nostore 66 "no store" "$T/nostore"

# ---- keys that are refused by any program reading the config -------------------
for api in http://api.line.me http://10.1.2.3:8080 "http://127.0.0.1@api.line.me"; do
	fresh lapi; printf '[line]\napi = %s\n' "$api" | conf lapi
	line=$(grep -n "^api = " "$T/lapi.conf" | cut -d: -f1)
	both lapi 78 "[line] api = $api (the token in clear)" "$T/lapi.conf:$line: [line] api: '$api' would send the channel access token in clear"
	expect_status 78 "and oshirase-sender refuses it too" timeout -s KILL 10 "$OSHIRASE_SENDER" -c "$T/lapi.conf"
done
fresh lapi; printf '[line]\napi = http://127.0.0.1:9/\n' | conf lapi
expect_status 0 "[line] api on loopback in clear (an emulator): -n accepts it" "$OSHIRASED" -n -c "$T/lapi.conf"
for w in "20:00 08:00" "08:00 08:00" "07:00 20:00" "08:00 22:00"; do
	set -- $w
	fresh win; printf '[dispatch]\nwindow_start = %s\nwindow_end = %s\n' "$1" "$2" | conf win
	both win 78 "a send window $1-$2" "the send window $1-$2"
	grep -qF "allow_night = yes" "$T/win.n.err" || not_ok "the message does not name allow_night"
	printf '[dispatch]\nwindow_start = %s\nwindow_end = %s\nallow_night = yes\n' "$1" "$2" | conf win
	expect_status 0 "and with allow_night = yes: -n accepts $1-$2" "$OSHIRASED" -n -c "$T/win.conf"
done
fresh dup; printf '[line]\ntimeout = 7\n[dispatch]\nretry_base = 3\n[line]\ntimeout = 9\n' | conf dup
line=$(grep -n "^timeout = 9" "$T/dup.conf" | cut -d: -f1)
first=$(grep -n "^timeout = 7" "$T/dup.conf" | cut -d: -f1)
both dup 78 "a key set twice" "$T/dup.conf:$line: [line] timeout: set again (first on line $first)"

# ---- the pseudonymisation key (the CLI) ---------------------------------------
cp "$T/key" "$T/key644"; chmod 644 "$T/key644"
expect_status 78 "oshirase pseudonym with a key readable by others: 78" "$OSHIRASE" pseudonym --key "$T/key644" X1
grep -qF "key644: readable or writable by group or others (mode 0644); chmod 600 it" "$T/.err" && [ ! -s "$T/.out" ] &&
	ok "the key file and its mode are named, no pseudonym printed" || not_ok "message: $(cat "$T/.err")"
tail -n +2 "$T/city/residents.csv" | head -3 >"$T/res3"
expect_status 78 "import residents with that key: 78" \
	"$OSHIRASE" import residents "$T/city/residents.csv" --db "$T/imp" --key "$T/key644" --rules "$R" --date $D
[ ! -e "$T/imp/data.mdb" ] && ok "and no store is made" || not_ok "a store was made with a refused key"
mkfifo -m 600 "$T/keyfifo"
expect_status 78 "a FIFO as the key: 78, without waiting for a writer" \
	timeout -s KILL 10 "$OSHIRASE" pseudonym --key "$T/keyfifo" X1
grep -qF "keyfifo: not a regular file" "$T/.err" && ok "it says not a regular file" || not_ok "message: $(cat "$T/.err")"

# ---- no core: not dumpable, core limit 0 ---------------------------------------
# A process of the same user may read a dumpable process's environ, not a
# non-dumpable one's; root may read all, so the programs run as nobody
# when the tests run as root.
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || skip_all "no setpriv to run as an unprivileged user"
	RUNAS="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	RUNAS=""
fi
U=$T/u
mkdir -p "$U"; chmod 711 "$T"
cp -r "$T/db0" "$U/db"; cp "$T/line-token" "$T/key" "$U/"
cat >"$U/u.conf" <<EOC
[store]
db = $U/db
[rules]
dir = $R
[match]
time = 23:00
[line]
api = http://127.0.0.1:9
token_file = $U/line-token
[senders]
jobs = ipc://$U/jobs
results = ipc://$U/results
EOC
[ -n "$RUNAS" ] && chown -R 65534:65534 "$U"
# readable_as_user PID: its environ reads for a process of its user
readable_as_user() { $RUNAS cat "/proc/$1/environ" >/dev/null 2>&1; }
nocore() { grep -Eq '^Max core file size +0 +0 ' "/proc/$1/limits"; }
$RUNAS sleep 60 &
SLEEP_PID=$!; PIDS="$PIDS $SLEEP_PID"
$RUNAS "$OSHIRASED" -c "$U/u.conf" --now ${D}T10:00 >"$T/u.out" 2>"$T/u.err" &
QPID=$!; PIDS="$PIDS $QPID"
$RUNAS "$OSHIRASE_SENDER" -c "$U/u.conf" >"$T/us.out" 2>"$T/us.err" &
SPID=$!; PIDS="$PIDS $SPID"
sleep 60 | $RUNAS "$OSHIRASE" pseudonym --key "$U/key" - >"$T/up.out" 2>"$T/up.err" &
CPID=$!; PIDS="$PIDS $CPID"
until_ok 10 test -S "$U/jobs" || not_ok "oshirased did not bind: $(cat "$T/u.err")"
until_ok 10 grep -q "workers: jobs from" "$T/us.err" || not_ok "oshirase-sender did not start: $(cat "$T/us.err")"
until_ok 5 eval 'readable_as_user $SLEEP_PID' &&
	ok "the check can tell: a dumpable process's environ reads for its user" ||
	not_ok "the environ of a dumpable process of the same user does not read"
for p in "oshirased $QPID" "oshirase-sender $SPID" "oshirase $CPID"; do
	set -- $p
	if ! readable_as_user "$2" && nocore "$2" && kill -0 "$2" 2>/dev/null; then
		ok "$1 runs not dumpable, core limit 0"
	else
		not_ok "$1 (pid $2): environ $(readable_as_user "$2" && echo readable || echo unreadable), $(grep 'core file' "/proc/$2/limits" 2>/dev/null)"
	fi
done
kill $QPID $SPID $CPID $SLEEP_PID 2>/dev/null
finish
