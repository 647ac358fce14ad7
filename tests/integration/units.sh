#!/bin/sh
# units.sh - the systemd units: one per role, each as tight as its role
# allows.  Prints `systemd-analyze security --offline=true` exposure of
# every unit in systemd/ (at most 2.0 each) and checks the walls the units
# put around each role: the queue has no network, the senders and the
# gateway cannot see the store, each role runs as its own user, none leaves
# a core dump.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

command -v systemd-analyze >/dev/null 2>&1 || skip_all "no systemd-analyze"
systemd-analyze security --help 2>&1 | grep -q -- '--offline' ||
	skip_all "systemd-analyze without --offline (systemd < 252)"

U=$TOP/systemd
# key UNIT KEY: the values of KEY= in UNIT, one a line
key() { sed -n "s/^$2=//p" "$U/$1"; }

units=$(cd "$U" && ls *.service)
[ -n "$units" ] && ok "units: $(echo $units)" || not_ok "no unit in systemd/"
for u in $units; do
	# offline analysis reads the file as it is; a template needs an instance
	f=$u
	case $u in *@.service) f=$(echo "$u" | sed 's/@\.service$/@1.service/');
		cp "$U/$u" "$T/$f" && f=$T/$f ;; *) f=$U/$u ;; esac
	systemd-analyze security --offline=true "$f" >"$T/sec.out" 2>"$T/sec.err"
	lvl=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/sec.out")
	echo "# show: $u: systemd-analyze security exposure $lvl"
	if [ -n "$lvl" ] && awk -v l="$lvl" 'BEGIN { exit !(l <= 2.0) }'; then
		ok "$u: exposure $lvl <= 2.0"
	else
		not_ok "$u: exposure '$lvl' > 2.0"; grep '✗' "$T/sec.out" | sed 's/^/#   /'
		sed 's/^/#   /' "$T/sec.err" | head -5
	fi
	# the same verdict from systemd-analyze's own threshold (tenths)
	expect_status 0 "$u: systemd-analyze --threshold=20 agrees" \
		systemd-analyze security --offline=true --threshold=20 "$f"
done

# no role leaves a core dump: it would hold keys, tokens and addresses
for u in $units; do
	[ "$(key "$u" LimitCORE)" = 0 ] && ok "$u: LimitCORE=0" ||
		not_ok "$u: LimitCORE is '$(key "$u" LimitCORE)', not 0"
done

# the queue is not restarted into a refusal only the operator can mend
# (the sealed log disagreeing with its state, a bad config or key file)
rp=" $(key oshirased.service RestartPreventExitStatus) "
case $rp in *" 65 "*) case $rp in *" 73 "*) case $rp in *" 78 "*) rp=ok ;; esac ;; esac ;; esac
[ "$rp" = ok ] && ok "oshirased.service: no restart after exit 65, 73 or 78" ||
	not_ok "oshirased.service: RestartPreventExitStatus is '$(key oshirased.service RestartPreventExitStatus)'"
case " $(key oshirase-sender@.service RestartPreventExitStatus) " in
*" 78 "*) ok "oshirase-sender@.service: no restart after exit 78 (a bad or unsafe secret file)" ;;
*) not_ok "oshirase-sender@.service: RestartPreventExitStatus is '$(key oshirase-sender@.service RestartPreventExitStatus)'" ;;
esac

# the queue: no network at all; its sockets for the senders in /run/oshirase
[ "$(key oshirased.service PrivateNetwork)" = yes ] &&
	ok "oshirased.service: PrivateNetwork=yes" ||
	not_ok "oshirased.service: PrivateNetwork is not yes"
[ "$(key oshirased.service RestrictAddressFamilies)" = AF_UNIX ] &&
	ok "oshirased.service: AF_UNIX sockets only" ||
	not_ok "oshirased.service: RestrictAddressFamilies allows more than AF_UNIX"
[ "$(key oshirased.service RuntimeDirectory)" = oshirase ] &&
	ok "oshirased.service: RuntimeDirectory=oshirase (/run/oshirase)" ||
	not_ok "oshirased.service: no RuntimeDirectory=oshirase"
key oshirased.service LoadCredential | grep -q -e '^line-token:' -e '^smtp-password:' &&
	not_ok "oshirased.service loads a channel credential" ||
	ok "oshirased.service holds no channel credential"

# the senders: the channel credentials, never the store
for u in $(cd "$U" && ls oshirase-sender*.service); do
	key "$u" InaccessiblePaths | grep -q '/var/lib/oshirase' &&
		ok "$u: /var/lib/oshirase inaccessible" ||
		not_ok "$u: can read /var/lib/oshirase"
	key "$u" LoadCredential | grep -q '^line-token:' &&
		ok "$u: the LINE token by LoadCredential=" ||
		not_ok "$u: no LoadCredential=line-token"
	key "$u" StateDirectory | grep -q . &&
		not_ok "$u: has a StateDirectory" || ok "$u: no StateDirectory"
	qu=$(key oshirased.service User) su=$(key "$u" User)
	[ -n "$su" ] && [ "$su" != "$qu" ] && [ "$su" != root ] &&
		ok "$u: runs as $su, not as the queue's user $qu" ||
		not_ok "$u: User=$su (the queue's is $qu)"
done
# the gateway: the network and the LINE channel secret, never the store
G=oshirase-gateway.service
if [ -f "$U/$G" ]; then
	key $G InaccessiblePaths | grep -q '/var/lib/oshirase' &&
		ok "$G: /var/lib/oshirase inaccessible" || not_ok "$G: can read /var/lib/oshirase"
	key $G LoadCredential | grep -q '^line-channel-secret:' &&
		ok "$G: the channel secret by LoadCredential=" ||
		not_ok "$G: no LoadCredential=line-channel-secret"
	key $G LoadCredential | grep -q -e '^line-token:' -e '^smtp-password:' -e 'curve' &&
		not_ok "$G loads a credential that is not its own" ||
		ok "$G holds no sender or queue credential"
	key $G StateDirectory | grep -q . && not_ok "$G: has a StateDirectory" ||
		ok "$G: no StateDirectory"
	[ "$(key $G RestrictAddressFamilies | tr ' ' '\n' | sort | tr '\n' ' ')" = \
	    "AF_INET AF_INET6 AF_UNIX " ] && ok "$G: AF_INET, AF_INET6 and AF_UNIX only" ||
		not_ok "$G: RestrictAddressFamilies is '$(key $G RestrictAddressFamilies)'"
	gu=$(key $G User) qu=$(key oshirased.service User)
	[ -n "$gu" ] && [ "$gu" != "$qu" ] && [ "$gu" != root ] &&
		ok "$G: runs as $gu, not as the queue's user $qu" ||
		not_ok "$G: User=$gu (the queue's is $qu)"
	[ "$(key $G SupplementaryGroups)" = oshirase ] &&
		ok "$G: group oshirase (the queue's actions socket)" ||
		not_ok "$G: SupplementaryGroups is '$(key $G SupplementaryGroups)'"
	[ "$(key $G Type)" = notify ] && ok "$G: Type=notify" || not_ok "$G: not Type=notify"
	case " $(key $G RestartPreventExitStatus) " in
	*" 78 "*) ok "$G: no restart after exit 78 (a bad or unsafe secret file)" ;;
	*) not_ok "$G: RestartPreventExitStatus is '$(key $G RestartPreventExitStatus)'" ;;
	esac
else
	not_ok "no $G in systemd/"
fi
finish
