#!/bin/sh
# engine.sh - the batch engine that `eligible` uses gives exactly what the
# plain interpreter gives (`eligible --reference`), for the shipped rules
# and for extra programs built from the constructs the engine treats
# specially, on a synthetic city and several dates.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

D=2028-03-31
gen_city 20000 11 && imp_res "$T/city/residents.csv" "$T/db" -q || { not_ok "import"; finish; }
R=$T/r
cp -r "$RULES" "$R"
test_program "$R" x-trees welfare no '(age < 10 or age > 80) and (sex = 2 or known(income))' \
    'not (insurance = welfare) or months in 0..5'
test_program "$R" x-members welfare no 'all members (tax_exempt or income < 2_000_000)' \
    'no children (age < 3 and not has(infant-health-checkup))'
test_program "$R" x-income welfare no 'income >= 1_000_000 or dependents in {0, 2}' \
    'income % 7 = 3 or head.income > 4_000_000'
test_program "$R" x-counts welfare no 'count members (sex = 2) >= 2 or count children (known(income)) = 0' \
    'events(lung-screening in FY-2..FY) + events(mr) < 3'
expect_status 0 "rules with the extra programs check" "$OSHIRASE" rules check "$R"
for d in 2028-03-31 2027-04-01 2024-02-29 2025-03-01 2000-01-01; do
	"$OSHIRASE" eligible --db "$T/db" --rules "$R" --date $d >"$T/batch" 2>"$T/e1"
	"$OSHIRASE" eligible --db "$T/db" --rules "$R" --date $d --reference >"$T/ref" 2>"$T/e2"
	n=$(wc -l <"$T/ref")
	if cmp -s "$T/batch" "$T/ref" && [ "$n" -gt 0 ]; then
		ok "$d: batch engine = interpreter ($n pairs)"
	else
		not_ok "$d: batch engine differs from the interpreter"
		diff "$T/batch" "$T/ref" | head -5 | sed 's/^/#   /'
	fi
done
"$OSHIRASE" eligible --db "$T/db" --rules "$R" --date 2028-03-31 --counts >"$T/c"
ne=$(awk '$1 ~ /^x-/ && $2 > 0' "$T/c" | wc -l)
[ "$ne" -eq 4 ] && ok "each extra program finds someone" || not_ok "extra programs with subjects: $ne of 4"
finish
