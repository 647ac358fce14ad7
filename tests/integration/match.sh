#!/bin/sh
# match.sh - who is notified (README, "Who is told"): recipients, contacts, consent,
# and `oshirase match --dry-run`'s output, on a hand-made city with two
# test programs whose conditions are trivial, so that what is tested is the
# step after eligibility.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

D=2026-12-01
R="$T/rules"
mkdir -p "$R"
cp "$RULES/vocabulary.ini" "$R/"
# everyone: every resident, category child, not a tax program
# adult-tax: residents aged 18 or over, category welfare, uses tax data
test_program "$R" everyone child no "age >= 0"
test_program "$R" adult-tax welfare yes "age >= 18"

H=resident_id,household_id,relationship,birth_date,sex,ward,insurance,tax_exempt,income,dependents,single_parent,disability_physical,disability_intellectual,disability_mental,benefits,history,flags,status
row() { echo "$1,$2,$3,$4,1,,nhi,0,,0,0,0,0,0,,,,"; }
{
	echo "$H"
	row a h1 head 1980-01-01      # adult
	row b h1 spouse 2008-12-01    # 18 on D: adult, a guardian
	row c h1 child 2010-05-05     # 16: told through a and b
	row k h1 child 2008-12-02     # 17 on D (18 the day after): through a, b
	row p h1 parent 1950-01-01    # adult; a parent is no guardian
	row e h2 head 2009-06-01      # 17, head of a household with no adult
	row f h2 child 2025-01-01     # no adult guardian: no one to tell
	row g h3 head 1970-01-01      # LINE withdrawn, email active
	row x h4 head 1975-01-01      # LINE active without consent, email with
	row n h5 head 1990-01-01      # born: fine; 'z' below is born after 11-01
	row z h5 child 2026-11-15
} >"$T/res.csv"
{
	echo resident_id,channel,address,language,consent,status
	echo "a,line,U00000000000000000000000000000001,ja,child;welfare,active"
	echo "b,email,b@example.net,en,child;welfare;tax,active"
	echo "g,line,U00000000000000000000000000000002,ja,child;welfare;tax,withdrawn"
	echo "g,email,g@example.net,ja,child,active"
	echo "x,line,U00000000000000000000000000000003,ja,health,active"
	echo "x,email,x@example.net,ja,child;welfare;tax,active"
	echo "n,line,U00000000000000000000000000000004,ja,child,active"
} >"$T/con.csv"
"$OSHIRASE" keygen --out "$T/key" -q
"$OSHIRASE" keygen --contacts --db "$T/db" -q
imp_res "$T/res.csv" "$T/db" -q && imp_con "$T/con.csv" "$T/db" -q ||
	{ not_ok "import of the test city"; finish; }
for id in a b c k p e f g x n z; do eval "P_$id=$(pseudonym_of $id)"; done

# The expected notices, by hand from the rules of who is told.
{
	printf 'everyone\t%s\t%s\tline\n' "$P_a" "$P_a"
	printf 'everyone\t%s\t%s\tline\n' "$P_a" "$P_c"
	printf 'everyone\t%s\t%s\tline\n' "$P_a" "$P_k"
	printf 'everyone\t%s\t%s\temail\n' "$P_b" "$P_b"
	printf 'everyone\t%s\t%s\temail\n' "$P_b" "$P_c"
	printf 'everyone\t%s\t%s\temail\n' "$P_b" "$P_k"
	printf 'everyone\t%s\t%s\temail\n' "$P_g" "$P_g"
	printf 'everyone\t%s\t%s\tline\n' "$P_n" "$P_n"
	printf 'everyone\t%s\t%s\tline\n' "$P_n" "$P_z"
	printf 'adult-tax\t%s\t%s\temail\n' "$P_b" "$P_b"
} | LC_ALL=C sort >"$T/want"
"$OSHIRASE" match --dry-run --db "$T/db" --rules "$R" --date $D >"$T/got" 2>"$T/err"
st=$?
if [ $st -eq 0 ] && cmp -s "$T/want" "$T/got"; then
	ok "dry run lists exactly the notices the rules of who is told imply (10)"
else
	not_ok "dry run (exit $st) differs from the hand-made list"
	diff "$T/want" "$T/got" | sed 's/^/#   /' | head -20
fi
[ ! -s "$T/err" ] && ok "nothing on standard error" || not_ok "stderr: $(head -3 "$T/err")"
LC_ALL=C sort -c "$T/got" 2>/dev/null && ok "lines in byte order" || not_ok "not in byte order"
grep -q "$P_p" "$T/got" && not_ok "a parent (no contact) got a notice" || ok "no contact: nothing"
grep -q "$P_f" "$T/got" && not_ok "a child with no adult guardian was listed" ||
	ok "a child without an adult head or spouse: no recipient"
grep -q "^[^	]*	$P_e" "$T/got" && not_ok "a 17-year-old head is a recipient" ||
	ok "a 17-year-old head is no guardian"
grep -q "$P_x" "$T/got" && not_ok "the LINE contact lacks consent, yet x is told" ||
	ok "the consent of the contact used counts (LINE, not email)"

# On an earlier date z is not born: no subject, no member.
"$OSHIRASE" match --dry-run --db "$T/db" --rules "$R" --date 2026-11-01 >"$T/got2"
grep -q "$P_z" "$T/got2" && not_ok "someone born after D was listed" ||
	ok "born after D: no one's subject"
# On D-1, k is 17 and b is 17: b is then a child told through a only.
"$OSHIRASE" match --dry-run --db "$T/db" --rules "$R" --date 2026-11-30 >"$T/got3"
if grep -q "^everyone	$P_a	$P_b	line$" "$T/got3" && ! cut -f2 "$T/got3" | grep -qx "$P_b"; then
	ok "the day before the 18th birthday: told through the guardian"
else
	not_ok "b on the day before turning 18"
fi
grep -q "adult-tax	$P_b" "$T/got3" && not_ok "adult-tax for a 17-year-old" ||
	ok "adult-tax: not the day before the 18th birthday"

# --counts: the suppressions per program.
"$OSHIRASE" match --dry-run --counts --db "$T/db" --rules "$R" --date $D >"$T/counts"
if awk '$1 == "everyone" && $2 == 11 && $3 == 9 && $5 == 1 && $6 == 1 && $7 == 2 { f = 1 } END { exit !f }' "$T/counts"; then
	ok "counts: everyone 11 eligible, 9 queued, 1 no contact, 1 no consent, 2 no adult"
else
	not_ok "counts: $(grep everyone "$T/counts")"
fi
expect_status 2 "match without --dry-run is a usage error" \
    "$OSHIRASE" match --db "$T/db" --rules "$R" --date $D
expect_status 2 "a bad --date is a usage error" \
    "$OSHIRASE" match --dry-run --db "$T/db" --rules "$R" --date 2026-02-30
expect_status 66 "a missing store: exit 66" \
    "$OSHIRASE" match --dry-run --db "$T/nodb" --rules "$R" --date $D
finish
