#!/bin/sh
# actions.sh - the queue's side of residents' own actions (the README,
# "Residents' own actions"): oshirased applies the action frames the
# gateway would send, here sent by tests/action_drive over the actions
# socket: a registration code links its resident once (used, expired and
# wrong codes link nothing); a redelivered event applies once; an
# unfollow withdraws the LINE contact and the next `match --dry-run`
# leaves that recipient out, even after a contacts import that says
# active; a one-click unsubscribe withdraws an email contact; a batch
# whose commit fails answers unavailable and applies nothing; consent
# changes are sealed in the log.  On a small synthetic city.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

DRIVE=${BUILD:-$TOP/build}/tests/action_drive
[ -x "$OSHIRASED" ] || { not_ok "$OSHIRASED is not built"; finish; }
[ -x "$DRIVE" ] || { not_ok "$DRIVE is not built"; finish; }

D=2026-12-01
EP=ipc://$T/actions
gen_city 300 7 && import_city db || { not_ok "import"; finish; }
DB=$T/db
dry() { "$OSHIRASE" match --dry-run --db "$DB" --rules "$R" --date "$D"; }
dry >"$T/dry0"

# A resident with no contact (to register), a LINE recipient of the dry
# run (to unfollow) and an email one (to unsubscribe), with their
# pseudonyms and addresses.
tail -n +2 "$T/city/contacts.csv" | cut -d, -f1 | sort -u >"$T/with"
tail -n +2 "$T/city/residents.csv" | cut -d, -f1 | sort -u >"$T/all"
# the one to register: an adult with no contact, the subject of a notice
"$OSHIRASE" eligible --date "$D" --db "$DB" --rules "$R" | cut -f2 | sort -u >"$T/elig"
comm -23 "$T/all" "$T/with" >"$T/without"
NEWRES="" NEWP=""
for id in $(awk -F, 'NR > 1 && $4 < "1990" { print $1 }' "$T/city/residents.csv" | sort | comm -12 - "$T/without"); do
	p=$(pseudonym_of "$id")
	grep -qx "$p" "$T/elig" && { NEWRES=$id NEWP=$p; break; }
done
OTHER=$(grep -vx "$NEWRES" "$T/without" | head -1)
OTHERP=$(pseudonym_of "$OTHER")
pick() {	# pick CHANNEL: "ID PSEUDO ADDRESS" of a recipient on CHANNEL
	grep ",$1," "$T/city/contacts.csv" | grep ',active$' | while IFS=, read -r id ch addr rest; do
		p=$(pseudonym_of "$id")
		if awk -F'\t' -v p="$p" -v c="$1" '$2 == p && $4 == c { f = 1 } END { exit !f }' "$T/dry0"; then
			echo "$id $p $addr"; break
		fi
	done
}
set -- $(pick line); LID=$1 LP=$2 LUSER=$3
set -- $(pick email); EID=$1 EP2=$2 EADDR=$3
[ -n "$NEWP" ] && [ -n "$LUSER" ] && [ -n "$EADDR" ] ||
	{ not_ok "no resident to test with ($NEWRES, $LID, $EID)"; finish; }

# Codes: one good, one for the other resident, one expired, one used.
CODE=7K3M-Q9XD-2HBW CODE2=ABCD-EFGH-JKMN EXPIRED=0123-4567-89AB
"$DRIVE" --put-code "$DB" $CODE "$NEWP" 2027-03-01 &&
"$DRIVE" --put-code "$DB" $CODE2 "$OTHERP" 2027-03-01 &&
"$DRIVE" --put-code "$DB" $EXPIRED "$OTHERP" 2026-11-30 ||
	{ not_ok "put codes"; finish; }

cat >"$T/q.conf" <<EOC
[store]
db = $DB
[rules]
dir = $R
[match]
time = 23:00
[senders]
jobs = ipc://$T/jobs
results = ipc://$T/results
[gateway]
actions = $EP
EOC
# The first batch's commit fails (a failpoint), as a full disk would.
OSHIRASE_FAILPOINT=actions-commit:1 "$OSHIRASED" -c "$T/q.conf" \
	--now ${D}T09:00 >"$T/q.out" 2>"$T/q.err" &
QPID=$!
PIDS="$PIDS $QPID"
until_ok 20 test -S "$T/actions" || { not_ok "the actions socket"; cat "$T/q.err"; finish; }
mode=$(stat -c %a "$T/actions")
[ "$mode" = 660 ] && ok "the actions socket is bound, mode 0660" ||
	not_ok "actions socket mode $mode"

# act DESC WANT ACTION...: the answers (one line each, "REQ STATUS
# CONTACT CONSENT LANG" without REQ) must be WANT (lines joined by '|').
act() {
	_d=$1 _w=$2; shift 2
	_got=$("$DRIVE" "$EP" "$@" 2>"$T/drive.err" | cut -d' ' -f2- | paste -sd'|')
	[ "$_got" = "$_w" ] && ok "$_d: $_got" ||
		{ not_ok "$_d: got '$_got', want '$_w'"; sed 's/^/#   /' "$T/drive.err"; }
}
U=Uaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1
act "a batch whose commit fails: every action answered unavailable" \
	"unavailable none 0 ja|unavailable none 0 ja" \
	"code event=ev1 user=$U reply=r1 code=$CODE" "follow event=ev0 user=$U reply=r0"
act "the same events again: applied now (nothing of the failed batch was)" \
	"ok active 0 ja|ok active 0 ja" \
	"code event=ev1 user=$U reply=r1 code=$(echo $CODE | tr A-Z a-z)" \
	"settings event=ev0b user=$U reply=r0b"
act "a redelivered event applies once" "duplicate none 0 ja" \
	"code event=ev1 user=$U reply=r1 code=$CODE"
act "a code used twice links nothing" "used none 0 ja" \
	"code event=ev2 user=Ubbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 reply=r2 code=$CODE"
act "an expired code links nothing" "expired none 0 ja" \
	"code event=ev3 user=Ubbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 reply=r3 code=$EXPIRED"
act "a wrong code links nothing" "bad-code none 0 ja|bad-code none 0 ja" \
	"code event=ev4 user=Ubbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 reply=r4 code=ZZZZ-ZZZZ-ZZZZ" \
	"code event=ev4b user=Ubbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 reply=r4 code=not-a-code"
act "a limited attempt checks nothing (the good code stays unused)" "bad-code none 0 ja" \
	"code event=ev4c user=Ubbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 reply=r4 code=$CODE2 flags=1"
act "... so the user those codes came from has no contact" "no-contact none 0 ja" \
	"settings event=ev5 user=Ubbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 reply=r5"
dry >"$T/dry1"
awk -F'\t' -v p="$NEWP" '$2 == p { f = 1 } END { exit f }' "$T/dry1" &&
	ok "linked with consent to nothing: nothing for them in the dry run" ||
	not_ok "linked, consent 0, yet in the dry run"
act "categories, then tax, then English, then English: the resident's choice" \
	"ok active 5 ja|ok active 13 ja|ok active 13 en" \
	"consent event=ev6 user=$U reply=r6 consent=5 mask=7" \
	"consent event=ev7 user=$U reply=r7 consent=8 mask=8" \
	"consent event=ev8 user=$U reply=r8 mask=0 flags=2 language=en"
act "stop: consent to nothing, the contact kept" "ok active 0 en" \
	"stop event=ev9 user=$U reply=r9"

# The registered resident is in the dry run once they consent.
act "consent to everything again" "ok active 15 en" \
	"consent event=ev10 user=$U reply=r10 consent=15 mask=15"
dry >"$T/dry1"
nnew=$(awk -F'\t' -v p="$NEWP" '$2 == p && $4 == "line"' "$T/dry1" | wc -l)
[ "$nnew" -ge 1 ] &&
	ok "the registered resident gets the notices they consented to ($nnew)" ||
	not_ok "registered resident: not in the dry run"

# Unfollow of an imported LINE contact: indexed at start (catch-up).
act "unfollow withdraws the imported LINE contact" "ok withdrawn 15 ja" \
	"unfollow event=ev11 user=$LUSER"
act "a redelivered unfollow: duplicate" "duplicate none 0 ja" \
	"unfollow event=ev11 user=$LUSER"
act "a follow after it: linked again (the index is the proof), consent to nothing" "ok active 0 ja" \
	"follow event=ev12 user=$LUSER reply=r12"
dry >"$T/dry2"
if awk -F'\t' -v p="$LP" '$2 == p && $4 == "line" { f = 1 } END { exit f }' "$T/dry2" &&
    [ "$(wc -l <"$T/dry2")" -lt "$(wc -l <"$T/dry0")" ]; then
	ok "unfollow: the next match --dry-run leaves that recipient out ($(wc -l <"$T/dry0") -> $(wc -l <"$T/dry2") notices)"
else
	not_ok "unfollow: the recipient is still in the dry run"
fi

# One-click unsubscribe of an email contact, with its manage token.
TOK=$("$DRIVE" --manage-token "$DB" "$EP2" 2 "$EADDR" 1900000000)
BADTOK=$("$DRIVE" --manage-token "$DB" "$EP2" 2 "x$EADDR" 1900000000)
OLDTOK=$("$DRIVE" --manage-token "$DB" "$EP2" 2 "$EADDR" 1000000000)
act "manage-check (a GET) changes nothing" "ok active 15 ja" "manage-check token=$TOK"
act "tokens for another address, expired, or forged" \
	"no-contact none 0 ja|expired none 0 ja|bad-token none 0 ja" \
	"manage-check token=$BADTOK" "unsubscribe token=$OLDTOK" \
	"unsubscribe token=${TOK%?}A"
act "one-click unsubscribe withdraws; again, still withdrawn" \
	"ok withdrawn 15 ja|ok withdrawn 15 ja" "unsubscribe token=$TOK" \
	"unsubscribe token=$TOK"
dry >"$T/dry3"
awk -F'\t' -v p="$EP2" '$2 == p && $4 == "email" { f = 1 } END { exit f }' "$T/dry3" &&
	ok "unsubscribe: the next match --dry-run leaves that recipient out" ||
	not_ok "unsubscribe: still in the dry run"

# A re-import that says active does not undo the residents' withdrawals
# (import contacts keeps what a resident set).
imp_con "$T/city/contacts.csv" "$DB" -q 2>"$T/imp.err"
st=$("$DRIVE" "$EP" "settings event=ev13 user=$LUSER reply=r13" | cut -d' ' -f2-)
[ "$st" = "ok active 0 ja" ] &&
	ok "after a re-import, the contact the user set again (nothing chosen) is theirs still" ||
	not_ok "after a re-import, the unfollowed user: $st"
dry >"$T/dry4"
if awk -F'\t' -v p="$LP" '$2 == p && $4 == "line" { f = 1 } END { exit f }' "$T/dry4" &&
    awk -F'\t' -v p="$EP2" '$2 == p && $4 == "email" { f = 1 } END { exit f }' "$T/dry4"; then
	ok "a resident-withdrawn contact stays withdrawn after an import that says active"
else
	not_ok "a contacts import undid a resident's withdrawal"
fi
act "the registered resident's LINE contact survives the re-import" "ok active 15 en" \
	"settings event=ev14 user=$U reply=r14"

kill "$QPID"; wait "$QPID"; rc=$?
[ $rc -eq 0 ] && ok "oshirased stops: exit 0" || not_ok "oshirased exit $rc: $(tail -3 "$T/q.err")"
grep -q "actions-commit\|answered unavailable" "$T/q.err" &&
	ok "the failed batch is logged" || not_ok "no log line of the failed batch"
if grep -qi "$LUSER\|$EADDR\|$CODE\|$TOK" "$T/q.err"; then
	not_ok "the daemon's log names a user id, an address, a code or a token"
else
	ok "the daemon's log names no user id, address, code or token"
fi

# Consent records in the sealed log: the registered resident's five
# changes (linked with nothing, 5, 13, stop, 15: a language change is not
# one), the unfollow and the unsubscribe, each with its source; the
# imported contacts' own records, sealed by the catch-up at start.
"$OSHIRASE" audit show --log "$DB/log" >"$T/show" 2>"$T/show.err"
mine=$(awk -F'\t' -v p="$NEWP" '$3 == "consent" && $7 == p && $8 == "source line" { print $4 "/" $5 }' "$T/show" | paste -sd' ')
unf=$(awk -F'\t' -v p="$LP" '$3 == "consent" && $7 == p && $6 == "line" { print $4 "/" $8 }' "$T/show" | paste -sd' ')
uns=$(awk -F'\t' -v p="$EP2" '$3 == "consent" && $7 == p && $6 == "email" { print $4 "/" $8 }' "$T/show" | paste -sd' ')
ncon=$(tail -n +2 "$T/city/contacts.csv" | wc -l)
nimp=$(awk -F'\t' '$3 == "consent" && $8 == "source import"' "$T/show" | wc -l)
[ "$mine" = "active/none active/health,welfare active/health,welfare,tax active/none active/health,child,welfare,tax" ] &&
	ok "the resident's consent changes are sealed, source line: $mine" ||
	not_ok "the resident's consent records: '$mine'"
case "$unf" in
*"active/source import withdrawn/source line active/source line") ok "unfollow and follow again sealed: $unf" ;;
*) not_ok "unfollow's consent records: '$unf'" ;;
esac
case "$uns" in
*"active/source import withdrawn/source unsubscribe") ok "unsubscribe sealed: $uns" ;;
*) not_ok "unsubscribe's consent records: '$uns'" ;;
esac
[ "$nimp" -ge "$ncon" ] && ok "the imported contacts' consent sealed at start: $nimp records for $ncon contacts" ||
	not_ok "import consent records: $nimp for $ncon contacts"
finish
