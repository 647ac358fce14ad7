#!/bin/sh
# letters.sh - `oshirase letters` (README, "Letters"): one row per
# recipient a run would tell who has no active contact, with the programs
# the run would tell them of (the guardian rule as match --dry-run
# resolves it: a minor's programs go to the household's adult head and
# spouse), a fresh registration code each, stored only as a keyed hash;
# an existing output file is refused with 73 and nothing stored.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

command -v mdb_dump >/dev/null 2>&1 || skip_all "mdb_dump (lmdb-utils) not installed"
D=2026-12-01
EXP=$(date -u -d "$D + 90 days" +%Y-%m-%d)
CODE_RE='^[0-9A-HJKMNP-TV-Z]\{4\}-[0-9A-HJKMNP-TV-Z]\{4\}-[0-9A-HJKMNP-TV-Z]\{4\}$'
letters() {	# DB OUT [ARGS]
	_db=$1 _out=$2; shift 2
	"$OSHIRASE" letters --db "$T/$_db" --rules "$R" --key "$T/key" --date "$D" --out "$_out" "$@"
}
# codes DB: the code records of the store, "KEYHEX VALUEHEX" a line
codes() { mdb_dump -s codes "$T/$1" | awk '/^HEADER=END/ { h = 1; next } /^DATA=END/ { exit } h { sub(/^ /, ""); if (k == "") k = $0; else { print k, $0; k = "" } }'; }

# ---- a hand-made city: who gets a letter, and for what ----------------
R="$T/rules"
mkdir -p "$R"
cp "$RULES/vocabulary.ini" "$R/"
test_program "$R" everyone child no "age >= 0"
test_program "$R" adult-tax welfare yes "age >= 18"
test_program "$R" kids child no "age < 18"
H=resident_id,household_id,relationship,birth_date,sex,ward,insurance,tax_exempt,income,dependents,single_parent,disability_physical,disability_intellectual,disability_mental,benefits,history,flags,status
row() { echo "$1,$2,$3,$4,1,,nhi,0,,0,0,0,0,0,,,,"; }
{
	echo "$H"
	row a h1 head 1980-01-01      # no contact: a letter, with the children's
	row b h1 spouse 2008-12-01    # 18 on D: a guardian too
	row c h1 child 2010-05-05     # 16: told through a and b, no letter
	row p h1 parent 1950-01-01    # an adult, not a guardian: own programs
	row e h2 head 2009-06-01      # 17, no adult in the household: no one
	row f h2 child 2025-01-01
	row g h3 head 1970-01-01      # LINE withdrawn, email active: no letter
	row w h4 head 1985-01-01      # LINE withdrawn only: a letter
	row n h5 head 1990-01-01      # LINE active: no letter, nor for z
	row z h5 child 2026-11-15
	row 'q,x' h6 head 1991-01-01  # an id that needs quoting in a CSV
} >"$T/res.csv"
{
	echo resident_id,channel,address,language,consent,status
	echo "g,line,U00000000000000000000000000000002,ja,child;welfare;tax,withdrawn"
	echo "g,email,g@example.net,ja,child,active"
	echo "w,line,U00000000000000000000000000000003,ja,child;welfare;tax,withdrawn"
	echo "n,line,U00000000000000000000000000000004,ja,child,active"
} >"$T/con.csv"
sed -i 's/^q,x,/"q,x",/' "$T/res.csv"
"$OSHIRASE" keygen --out "$T/key" -q
"$OSHIRASE" keygen --contacts --db "$T/db" -q
imp_res "$T/res.csv" "$T/db" -q && imp_con "$T/con.csv" "$T/db" -q ||
	{ not_ok "import of the test city"; finish; }
expect_status 0 "letters on the hand-made city" letters db "$T/l.csv" --residents "$T/res.csv"
sed 's/^"q,x"/qx/' "$T/l.csv" | cut -d, -f1,4 >"$T/l.short"
cat >"$T/l.want" <<EOW
resident_id,programs
a,adult-tax;everyone;kids
b,adult-tax;everyone;kids
p,adult-tax;everyone
qx,adult-tax;everyone
w,adult-tax;everyone
EOW
if cmp -s "$T/l.short" "$T/l.want"; then
	ok "rows: the guardians a and b with their children's program, not c; p, w (withdrawn only) and \"q,x\"; not e, f, g, n, z"
else
	not_ok "rows: $(cat "$T/l.short" | tr '\n' ' ') want $(cat "$T/l.want" | tr '\n' ' ')"
fi
awk -F, -v e="$EXP" 'NR > 1 && $(NF - 1) != e { bad = 1 } END { exit bad }' "$T/l.csv" &&
	ok "every code expires on D + 90 days ($EXP)" || not_ok "expiry: $(cut -d, -f3 "$T/l.csv" | sort -u | tr '\n' ' ')"
grep -q '^"q,x",' "$T/l.csv" && ok "an id with a comma is quoted" || not_ok "quoting: $(grep q "$T/l.csv")"
# the store's records: one per row, for that row's resident
codes db | while read -r k v; do echo "$v" | cut -c5-68; done | sort >"$T/c.res"
for id in a b p q,x w; do pseudonym_of "$id"; done | sort >"$T/want.res"
cmp -s "$T/c.res" "$T/want.res" && ok "one code record per row, each for that row's resident" ||
	not_ok "code records: $(wc -l <"$T/c.res"), residents $(cat "$T/c.res" | tr '\n' ' ')"
grep -v '^p,' "$T/res.csv" >"$T/res-p.csv"
letters db "$T/l3.csv" --residents "$T/res-p.csv" >"$T/out" 2>"$T/err"
[ $? -eq 0 ] && ! grep -q '^p,' "$T/l3.csv" && [ "$(wc -l <"$T/l3.csv")" -eq 5 ] &&
	grep -q "warning: 1 recipients with no contact are not in $T/res-p.csv" "$T/err" &&
	ok "a recipient not in the extract: no row, and a warning" || not_ok "not in the extract: $(cat "$T/err")"

# ---- a synthetic city: the rows against match --dry-run ----------------
R=$RULES
rm -f "$T/key"	# gen_city makes its own
gen_city 600 11 && import_city big || { not_ok "the synthetic city"; finish; }
letters big "$T/big.csv" --residents "$T/city/residents.csv" >"$T/out" 2>"$T/err" ||
	not_ok "letters on the synthetic city: $(cat "$T/err")"
rows=$(($(wc -l <"$T/big.csv") - 1))
# the same city with an active LINE contact, every consent, for everyone:
# the would-be set of match --dry-run without contacts standing in the way
tail -n +2 "$T/city/residents.csv" | cut -d, -f1 | awk '
	BEGIN { print "resident_id,channel,address,language,consent,status" }
	{ printf "%s,line,U%032x,ja,health;child;welfare;tax,active\n", $1, NR }' >"$T/all.csv"
import_city all "$T/all.csv" 2>/dev/null || not_ok "the city with everyone's contact"
"$OSHIRASE" match --dry-run --db "$T/all" --rules "$R" --date "$D" >"$T/dry-all"
# the residents with an active contact in the real city
awk -F, 'NR > 1 && $6 == "active" { print $1 }' "$T/city/contacts.csv" | sort -u |
	"$OSHIRASE" pseudonym --key "$T/key" - | cut -f2 | sort >"$T/contacted"
# want: recipient<TAB>programs for every would-be recipient with no contact
cut -f1,2 "$T/dry-all" | LC_ALL=C sort -t "$(printf '\t')" -k2,2 -k1,1 -u |
	awk -F '\t' 'NR == FNR { c[$1] = 1; next } !($2 in c) {
		if ($2 != r) { if (r != "") print r "\t" p; r = $2; p = $1 } else p = p ";" $1 }
		END { if (r != "") print r "\t" p }' "$T/contacted" - | LC_ALL=C sort >"$T/want"
# got: the letters' rows with their ids made pseudonyms
tail -n +2 "$T/big.csv" | cut -d, -f1 | "$OSHIRASE" pseudonym --key "$T/key" - | cut -f2 >"$T/ps"
tail -n +2 "$T/big.csv" | cut -d, -f4 | paste "$T/ps" - | LC_ALL=C sort >"$T/got"
if [ "$rows" -gt 20 ] && cmp -s "$T/got" "$T/want"; then
	ok "$rows letters: exactly the would-be recipients (match --dry-run, everyone contacted) with no active contact, with their programs"
else
	not_ok "letters against the dry run: $rows rows; $(diff "$T/got" "$T/want" | head -4)"
fi
echo "# show: letters: $rows rows of 600 residents; $(wc -l <"$T/contacted") with an active contact"
n_active=$(grep -c -F -f "$T/contacted" "$T/ps")
[ "$n_active" -eq 0 ] && ok "no resident with an active contact gets a letter" ||
	not_ok "$n_active letters to residents with an active contact"
tail -n +2 "$T/big.csv" | cut -d, -f1 | LC_ALL=C sort -c 2>/dev/null &&
	ok "rows sorted by resident_id" || not_ok "rows not sorted"
tail -n +2 "$T/big.csv" | cut -d, -f2 >"$T/codes"
[ "$(grep -c "$CODE_RE" "$T/codes")" -eq "$rows" ] && [ "$(sort -u "$T/codes" | wc -l)" -eq "$rows" ] &&
	ok "codes: 12 Crockford base32 symbols in three groups, all distinct" ||
	not_ok "codes: $(grep -v "$CODE_RE" "$T/codes" | head -2)"
[ "$(codes big | wc -l)" -eq "$rows" ] && [ "$(codes big | cut -d' ' -f1 | sort -u | wc -l)" -eq "$rows" ] &&
	ok "the store holds one code record per row" || not_ok "code records: $(codes big | wc -l), rows $rows"
leak=0
while read -r code; do
	for form in "$code" "$(echo "$code" | tr -d -)"; do
		grep -qF "$form" "$T/big/data.mdb" && leak=1
	done
done <"$T/codes"
[ $leak -eq 0 ] && ok "no code's text in data.mdb (only keyed hashes)" || not_ok "a code in data.mdb"
[ "$(stat -c %a "$T/big/codes.key")" = 600 ] && [ "$(stat -c %a "$T/big.csv")" = 600 ] &&
	ok "codes.key made 0600, the letters file 0600" ||
	not_ok "modes: codes.key $(stat -c %a "$T/big/codes.key"), letters $(stat -c %a "$T/big.csv")"
before=$(codes big | wc -l)
cp "$T/big.csv" "$T/big.copy"
expect_status 73 "an existing --out is refused" letters big "$T/big.csv" --residents "$T/city/residents.csv"
[ "$(codes big | wc -l)" -eq "$before" ] && cmp -s "$T/big.csv" "$T/big.copy" &&
	ok "refused: the file as it was, no code stored" || not_ok "refused, yet: $(codes big | wc -l) records"
letters big "$T/again.csv" --residents "$T/city/residents.csv" -q 2>/dev/null &&
	[ "$(tail -n +2 "$T/again.csv" | cut -d, -f2 | sort -u | sort - "$T/codes" | uniq -d | wc -l)" -eq 0 ] &&
	[ "$(codes big | wc -l)" -eq $((2 * rows)) ] &&
	ok "a second run: fresh codes, stored beside the first" || not_ok "second run"
finish
