#!/bin/sh
# walls.sh - each program links only what its role needs: proved from the
# built programs' symbols (nm) and their shared libraries (readelf -d).
#   oshirase-sender  nothing of the store, rules, pseudonyms or the log;
#                    no LMDB
#   oshirased        no pseudonym-key code; no libcurl (the queue has no
#                    network: the senders are other processes)
#   oshirase-audit   the log format, the Merkle code and small utilities:
#                    no LMDB, ZeroMQ, libcurl, libmicrohttpd, no writer code
#   oshirase-gateway the only one that hears residents: libmicrohttpd,
#                    but nothing of the store, the contacts key (addrbox),
#                    the tokens' keys, the rules or the log; no LMDB, no
#                    libcurl
#   every other installed program: nothing from libmicrohttpd
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

command -v nm >/dev/null 2>&1 && command -v readelf >/dev/null 2>&1 ||
	skip_all "no nm/readelf (binutils)"
B=$(dirname "$OSHIRASE")
INSTALLED="oshirased oshirase-sender oshirase oshirase-audit oshirase-gateway"

# syms PROG: every symbol name the program defines or imports, one a line
syms() {
	{ nm "$B/$1"; nm -D "$B/$1"; } 2>/dev/null | awk '{ print $NF }' |
		sed 's/@.*//' | sort -u
}
# needs PROG: its DT_NEEDED libraries
needs() { readelf -d "$B/$1" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }

# none PROG WHAT REGEX: no symbol of PROG matches REGEX
none() {
	[ -x "$B/$1" ] || { not_ok "$1 is not built: cannot check for $2"; return; }
	_hits=$(syms "$1" | grep -E "$3" | head -5)
	if [ -z "$_hits" ]; then ok "$1: no $2"
	else not_ok "$1: $2: $(echo $_hits)"
	fi
}
# nolib PROG LIB...: PROG needs none of these libraries
nolib() {
	_p=$1; shift
	[ -x "$B/$_p" ] || { not_ok "$_p is not built: cannot check its libraries"; return; }
	for _l in "$@"; do
		if needs "$_p" | grep -q "^$_l"; then not_ok "$_p needs $_l"
		else ok "$_p does not need $_l"
		fi
	done
}

for p in $INSTALLED; do
	[ -x "$B/$p" ] && ok "$p is built" || not_ok "$p is not built in $B"
done
# the checks are only worth something if nm sees symbols at all
syms oshirase-sender | grep -q '^sender_' && syms oshirased | grep -q '^dispatch_' &&
	ok "nm reads the programs' symbols" || not_ok "nm shows no module symbols"

STORE='^(mdb_|store_|notice_|vocab_|addrbox_|matcher_|match_|rules_|render_)'
none oshirase-sender "store, contacts, rules or match code" "$STORE"
none oshirase-sender "sealed-log code" '^(outlog_|sealfmt_|merkle_)'
nolib oshirase-sender liblmdb libmicrohttpd

PSEUDO='^pseudo_'
for p in oshirased oshirase-sender oshirase-audit; do
	none "$p" "pseudonym-key code" "$PSEUDO"
done
syms oshirase | grep -q "$PSEUDO" && ok "oshirase holds the pseudonym-key code" ||
	not_ok "oshirase has no pseudo_ symbol (the check above proves nothing)"

none oshirased "libcurl" '^curl_'
nolib oshirased libcurl

none oshirase-audit "LMDB, ZeroMQ, libcurl or libmicrohttpd" '^(mdb_|zmq_|curl_|MHD_)'
none oshirase-audit "store, contacts or writer code" "$STORE|^outlog_|^pseudo_"
nolib oshirase-audit liblmdb libzmq libcurl libmicrohttpd

# the gateway: the channel secret, HTTP and the action frames; it can
# neither open the store nor decrypt a contact nor open or make a token
none oshirase-gateway "store, contacts, rules or match code" "$STORE"
none oshirase-gateway "contacts-key, token or pseudonym code" \
	'^(addrbox_|token_|pseudo_|crypto_box_seal_open|crypto_kdf_)'
none oshirase-gateway "sealed-log code" '^(outlog_|sealfmt_|merkle_)'
none oshirase-gateway "libcurl" '^curl_'
nolib oshirase-gateway liblmdb libcurl
syms oshirase-gateway | grep -q '^MHD_start_daemon$' &&
	syms oshirase-gateway | grep -q '^webhook_verify$' &&
	ok "oshirase-gateway holds libmicrohttpd and the webhook code" ||
	not_ok "oshirase-gateway: no MHD_start_daemon or webhook_verify (the checks above prove nothing)"
for p in $INSTALLED; do
	[ "$p" = oshirase-gateway ] && continue
	none "$p" "libmicrohttpd" '^MHD_'
	nolib "$p" libmicrohttpd
done
# the test programs are built beside them and never installed: what
# `make install` would install, as make itself expands it
ip=$(make -s -n -C "$TOP" install DESTDIR="$T/inst" 2>/dev/null | grep 'install -m 0755')
n=0
for p in $INSTALLED; do case " $ip " in *"/$p "*) n=$((n + 1)) ;; esac; done
case $ip in *gen*|*emulator*|*drive*) not_ok "make install installs a test program: $ip" ;;
	*) [ $n -eq 5 ] && ok "make install installs the 5 programs and no test program" ||
		not_ok "make install installs: '$ip'" ;; esac
finish
