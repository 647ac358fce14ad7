#!/bin/sh
# newprogram.sh - a new program is its rule file and one line of
# vocabulary.ini, nothing else: a copy of the rule set with a made-up
# program more passes `rules check` and `rules test`, the daemon's -n
# accepts it, `eligible` and `match --dry-run` on a synthetic city find
# exactly whom the new rule names (computed here from the CSV files), the
# other programs' results do not change, and the scripts and unit tests
# that test the shipped rule set pass on the copy too (none counts
# programs).
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

D=2026-11-23
ID=hearing-aid-subsidy
R=$T/rules
cp -r "$RULES" "$R"
n0=$(program_count "$RULES")
[ ! -e "$R/$ID.ini" ] || { not_ok "$ID is a program of $RULES already"; finish; }

# 高齢者補聴器購入費助成: a made-up program in the style of rules/, with
# its boundary tests.
cat >"$R/$ID.ini" <<'EOI'
; hearing-aid-subsidy.ini - 高齢者補聴器購入費助成
[program]
id = hearing-aid-subsidy
name_ja = 高齢者補聴器購入費助成
name_en = hearing aid subsidy for older adults
department = welfare
category = welfare
subject = person
cycle = once
tax = yes
page = fukushi/koreisha/hochoki.html

[eligible]
when = age >= 65                          ; 65歳以上
when = tax_exempt                         ; 住民税非課税
when = not has(hearing-aid-subsidy)       ; まだ助成を受けていない

[message]
ja = {name}：{who}は{name}の対象となる可能性があります。
  申請の方法は市ホームページをご覧ください。{url}（{department}）
en = {name}: {Who} may qualify for the {name}.
  See {url} for how to apply ({department}).

[test: 65 on the date, not the day before]
date = 2026-11-23
a = head 1961-11-23 tax_exempt=1            ; 65 today
b = spouse 1961-11-24 sex=2 tax_exempt=1    ; 64, 65 tomorrow
c = parent 1930-05-01 sex=2 tax_exempt=1    ; 96
expect = a c

[test: age on the date, not the fiscal year]
date = 2027-03-31
a = head 1962-04-01 tax_exempt=1            ; 64 (fyage 65)
b = spouse 1962-03-31 sex=2 tax_exempt=1    ; 65 today
expect = b

[test: Feb 29 birth still 64 on Feb 28 of a common year]
date = 2025-02-28
a = head 1960-02-29 tax_exempt=1            ; 64
b = spouse 1960-02-28 sex=2 tax_exempt=1    ; 65 today
expect = b

[test: Feb 29 birth turns 65 on Mar 1]
date = 2025-03-01
a = head 1960-02-29 tax_exempt=1            ; 65 today
expect = a

[test: only a resident exempt from resident tax]
date = 2026-11-23
a = head 1950-01-01 tax_exempt=1 income=0
b = spouse 1950-01-01 sex=2 income=0        ; taxed
c = parent 1930-01-01 sex=2                 ; taxed, income unknown
expect = a

[test: a subsidy received once is not offered again]
date = 2026-11-23
a = head 1950-01-01 tax_exempt=1 benefits=hearing-aid-subsidy
b = spouse 1950-01-01 sex=2 tax_exempt=1 benefits=pneumococcal-vaccine
expect = b

[test: a household with no one aged 65]
date = 2026-11-23
a = head 1980-01-01 tax_exempt=1
b = child 2010-01-01 tax_exempt=1
expect = none

[test: a member born after the date is no member]
date = 2026-11-23
a = head 1950-01-01 tax_exempt=1
b = child 2026-11-24 tax_exempt=1
expect = a
EOI
ntests=$(grep -c '^\[test:' "$R/$ID.ini")

# The rule names its own benefit word: without the vocabulary line the
# file is refused, with it the set is good.
expect_status 65 "without its vocabulary line the rule file is refused" \
    "$OSHIRASE" rules check "$R"
grep -q "$ID.ini:[0-9]*:[0-9]*: unknown benefit word '$ID'" "$T/.err" &&
	ok "the error names the missing word" || not_ok "error: $(cat "$T/.err")"
awk -v line="$ID = 高齢者補聴器購入費助成" \
    '{ print } /^\[benefit\]$/ { print line }' "$RULES/vocabulary.ini" >"$R/vocabulary.ini"
[ "$(diff "$RULES/vocabulary.ini" "$R/vocabulary.ini" | grep -c '^[<>]')" -eq 1 ] &&
	ok "vocabulary.ini: one line added" || not_ok "vocabulary.ini: $(diff "$RULES/vocabulary.ini" "$R/vocabulary.ini")"
n=$((n0 + 1))
[ "$(program_count "$R")" -eq "$n" ] && ok "the copy has $n programs" || not_ok "program files in the copy"

expect_status 0 "rules check with the new program" "$OSHIRASE" rules check "$R"
grep -q ": $n programs, " "$T/.out" && ok "rules check counts $n programs" ||
	not_ok "rules check: $(cat "$T/.out")"
expect_status 0 "rules test --program $ID" "$OSHIRASE" rules test "$R" --program "$ID"
grep -qx "rules: $ntests passed, 0 failed" "$T/.out" && ok "its $ntests tests hold" ||
	not_ok "rules test: $(cat "$T/.out")"
expect_status 0 "rules test of the whole set" "$OSHIRASE" rules test "$R"
expect_status 0 "rules message --program $ID --lang en --child" \
    "$OSHIRASE" rules message "$R" --program "$ID" --lang en --child
grep -q 'may qualify for the hearing aid subsidy' "$T/.out" && ok "its message reads as written" ||
	not_ok "message: $(cat "$T/.out")"

# A small synthetic city, imported with the new vocabulary.
gen_city 2000 12 && import_city db || { not_ok "city"; finish; }
ok "a city of 2000 residents imported with the copy's vocabulary"
# -n checks the store the daemon would start on (its words, its contact key)
printf '[senders]\njobs = ipc://%s/jobs\nresults = ipc://%s/results\n' "$T" "$T" >"$T/n.conf"
expect_status 0 "oshirased -n accepts the set" "$OSHIRASED" -n -c "$T/n.conf" --rules "$R" --db "$T/db"
grep -q " $n rule files are good" "$T/.out" && ok "oshirased -n: $n rule files" ||
	not_ok "oshirased -n: $(cat "$T/.out")"
cut -d, -f1 "$T/city/residents.csv" | tail -n +2 |
	"$OSHIRASE" pseudonym --key "$T/key" - >"$T/pseudonyms"

# Whom the rule names, from the CSV: aged 65 or over on D (born on or
# before the same day 65 years earlier; D is not in February), exempt
# from resident tax, not already receiving it, active.
awk -F, -v id="$ID" -v cut="$(($(echo $D | cut -c1-4) - 65))${D#????}" '
NR > 1 && $4 <= cut && $8 == 1 && ($18 == "" || $18 == "active") {
	nb = split($15, b, ";"); has = 0
	for (i = 1; i <= nb; i++) has = has || b[i] == id
	if (!has) print $1, $2
}' "$T/city/residents.csv" >"$T/want.ids"
subjects=$(wc -l <"$T/want.ids")
households=$(cut -d' ' -f2 "$T/want.ids" | sort -u | wc -l)
[ "$subjects" -gt 0 ] && ok "the city has $subjects residents the rule names, in $households households" ||
	not_ok "no one in the city for the new rule: make the city larger"

"$OSHIRASE" eligible --db "$T/db" --rules "$R" --date $D --counts >"$T/counts" 2>"$T/err" ||
	not_ok "eligible --counts: $(cat "$T/err")"
[ "$(tail -n +2 "$T/counts" | wc -l)" -eq "$n" ] && ok "eligible --counts: $n rows" ||
	not_ok "eligible --counts rows: $(tail -n +2 "$T/counts" | wc -l)"
row=$(awk -v id="$ID" '$1 == id { print $2, $3 }' "$T/counts")
[ "$row" = "$subjects $households" ] && ok "eligible --counts: $ID $row, as the rule says" ||
	not_ok "eligible --counts: $ID '$row', want '$subjects $households'"

"$OSHIRASE" eligible --db "$T/db" --rules "$R" --date $D >"$T/el"
awk 'NR == FNR { p[$1] = $2; next } { print p[$1] }' "$T/pseudonyms" "$T/want.ids" |
	LC_ALL=C sort >"$T/want.el"
grep "^$ID	" "$T/el" | cut -f2 | LC_ALL=C sort | cmp -s - "$T/want.el" &&
	ok "eligible lists exactly those residents for $ID" ||
	not_ok "eligible's subjects of $ID differ from the CSV's"
"$OSHIRASE" eligible --db "$T/db" --rules "$RULES" --date $D >"$T/el0"
grep -v "^$ID	" "$T/el" | cmp -s - "$T/el0" && ok "the other programs' pairs are unchanged" ||
	not_ok "adding $ID changed other programs' pairs"

# match --dry-run: each is an adult, told themself, through their active
# LINE contact if any, else their active email one, if that contact
# consents to welfare and tax (a tax program).
awk -F, -v id="$ID" '
FILENAME == ARGV[1] { split($0, f, "\t"); p[f[1]] = f[2]; next }
FILENAME == ARGV[2] {
	if (FNR > 1 && $6 == "active") c[$1, $2] = $5
	next
}
{
	r = $0; sub(/ .*/, "", r)	# want.ids: resident id, household id
	ch = (r, "line") in c ? "line" : (r, "email") in c ? "email" : ""
	if (ch == "") next
	n = split(c[r, ch], w, ";"); welfare = tax = 0
	for (i = 1; i <= n; i++) { welfare = welfare || w[i] == "welfare"; tax = tax || w[i] == "tax" }
	if (welfare && tax) printf "%s\t%s\t%s\t%s\n", id, p[r], p[r], ch
}' "$T/pseudonyms" "$T/city/contacts.csv" "$T/want.ids" | LC_ALL=C sort >"$T/want.dry"
"$OSHIRASE" match --dry-run --db "$T/db" --rules "$R" --date $D >"$T/dry" 2>"$T/err" ||
	not_ok "match --dry-run: $(cat "$T/err")"
ndry=$(wc -l <"$T/want.dry")
grep "^$ID	" "$T/dry" | cmp -s - "$T/want.dry" && [ "$ndry" -gt 0 ] &&
	ok "match --dry-run lists the $ndry notices of $ID the contacts allow" ||
	not_ok "match --dry-run for $ID: $(grep -c "^$ID	" "$T/dry") lines, want $ndry"
"$OSHIRASE" match --dry-run --counts --db "$T/db" --rules "$R" --date $D >"$T/mc"
[ "$(awk -v id="$ID" '$1 == id { print $2, $3 }' "$T/mc")" = "$subjects $ndry" ] &&
	ok "match --counts: $ID $subjects eligible, $ndry queued" ||
	not_ok "match --counts: $(grep "^$ID " "$T/mc")"

# The scripts and unit tests that test the shipped rule set, on the copy.
for s in rules match engine; do
	RULES=$R sh "$TOP/tests/integration/$s.sh" >"$T/$s.out" 2>&1 &&
		ok "$s.sh passes with $n programs ($(grep -c '^ok ' "$T/$s.out") cases)" || {
		not_ok "$s.sh with $n programs"
		grep '^not ok' "$T/$s.out" | head -10 | sed 's/^/#   /'
	}
done
for u in test_vocab test_rules; do
	bin=$(dirname "$OSHIRASE")/tests/$u
	[ -x "$bin" ] || { ok "$u # SKIP not built"; continue; }
	(cd "$T" && RULES=$R "$bin") >"$T/$u.out" 2>&1 && ok "$u passes with $n programs" || {
		not_ok "$u with $n programs"
		grep -i 'fail\|error' "$T/$u.out" | head -10 | sed 's/^/#   /'
	}
done
finish
