#!/bin/sh
# engine.sh - the batch engine that `eligible` uses gives exactly what the
# plain interpreter gives (`eligible --reference`), for the shipped rules
# and for extra programs built from the constructs the engine treats
# specially, on a synthetic city and several dates.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

"$OSHIRASE_GEN" --residents 20000 --seed 11 --date 2028-03-31 --out "$T" 2>/dev/null ||
	{ not_ok "gen"; finish; }
"$OSHIRASE" keygen --out "$T/key" -q
"$OSHIRASE" import residents "$T/residents.csv" --db "$T/db" --key "$T/key" \
    --rules "$RULES" --date 2028-03-31 -q || { not_ok "import"; finish; }
cp -r "$RULES" "$T/r"
prog() {	# id, then the [eligible] lines
	id=$1; shift
	{
		printf '[program]\nid = %s\nname_ja = 試験\nname_en = test\n' "$id"
		printf 'department = welfare\ncategory = welfare\nsubject = person\n'
		printf 'cycle = fy\ntax = no\npage = x.html\n[eligible]\n'
		for w in "$@"; do printf '%s\n' "$w"; done
		printf '[message]\nja = {name}の対象となる可能性があります。\n'
		printf 'en = {Who} may qualify for {name}.\n'
	} >"$T/r/$id.ini"
}
prog x-trees 'when = (age < 10 or age > 80) and (sex = 2 or known(income))' \
    'when = not (insurance = welfare) or months in 0..5'
prog x-members 'when = all members (tax_exempt or income < 2_000_000)' \
    'when = no children (age < 3 and not has(infant-health-checkup))'
prog x-income 'when = income >= 1_000_000 or dependents in {0, 2}' \
    'when = income % 7 = 3 or head.income > 4_000_000'
prog x-counts 'when = count members (sex = 2) >= 2 or count children (known(income)) = 0' \
    'when = events(lung-screening in FY-2..FY) + events(mr) < 3'
expect_status 0 "rules with the extra programs check" "$OSHIRASE" rules check "$T/r"
for d in 2028-03-31 2027-04-01 2024-02-29 2025-03-01 2000-01-01; do
	"$OSHIRASE" eligible --db "$T/db" --rules "$T/r" --date $d >"$T/batch" 2>"$T/e1"
	"$OSHIRASE" eligible --db "$T/db" --rules "$T/r" --date $d --reference >"$T/ref" 2>"$T/e2"
	n=$(wc -l <"$T/ref")
	if cmp -s "$T/batch" "$T/ref" && [ "$n" -gt 0 ]; then
		ok "$d: batch engine = interpreter ($n pairs)"
	else
		not_ok "$d: batch engine differs from the interpreter"
		diff "$T/batch" "$T/ref" | head -5 | sed 's/^/#   /'
	fi
done
"$OSHIRASE" eligible --db "$T/db" --rules "$T/r" --date 2028-03-31 --counts >"$T/c"
ne=$(awk '$1 ~ /^x-/ && $2 > 0' "$T/c" | wc -l)
[ "$ne" -eq 4 ] && ok "each extra program finds someone" || not_ok "extra programs with subjects: $ne of 4"
finish
