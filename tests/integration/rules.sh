#!/bin/sh
# rules.sh - the shipped rule files pass their tests, a wrong threshold or a
# broken file is caught, and eligible / explain behave as the README says.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

R=$RULES
expect_status 0 "rules check of the shipped rules" "$OSHIRASE" rules check "$R"
nprog=$(program_count "$R")
grep -q ": $nprog programs, [0-9]* clauses: ok$" "$T/.out" &&
	ok "rules check loads every rule file ($nprog programs)" ||
	not_ok "rules check: '$(cat "$T/.out")' for $nprog rule files"
# Each program's id is a benefit word, so that residents can say they
# receive it (rules/vocabulary.ini).
nobenefit=""
for id in $(program_ids "$R"); do
	sed -n '/^\[benefit\]/,/^\[/p' "$R/vocabulary.ini" | grep -q "^$id = " ||
		nobenefit="$nobenefit $id"
done
[ -z "$nobenefit" ] && ok "every program id is a benefit word of vocabulary.ini" ||
	not_ok "programs missing from [benefit] of vocabulary.ini:$nobenefit"
for id in $(program_ids "$R"); do
	"$OSHIRASE" rules test "$R" --program "$id" >"$T/out" 2>&1
	st=$?
	cnt=$(sed -n 's/^rules: \([0-9]*\) passed, 0 failed$/\1/p' "$T/out")
	if [ $st -eq 0 ] && [ -n "$cnt" ] && [ "$cnt" -ge 5 ]; then
		ok "$id: $cnt boundary tests hold"
	else
		not_ok "$id: exit $st, $(tail -1 "$T/out")"
	fi
done

# A threshold changed by one makes a test fail (exit 1, naming the test).
cp -r "$R" "$T/r1"
sed -i 's/^when = fyage >= 40 /when = fyage >= 41 /' "$T/r1/colorectal-cancer-screening.ini"
"$OSHIRASE" rules test "$T/r1" --program colorectal-cancer-screening >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q "colorectal-cancer-screening.ini:[0-9]*: test '.*' failed: expected" "$T/out" &&
	ok "fyage >= 41 instead of 40: a test fails, exit 1" ||
	not_ok "a changed threshold went unnoticed: $(tail -2 "$T/out")"
cp -r "$R" "$T/r2"
sed -i 's/1_920_000/1_920_001/' "$T/r2/child-rearing-allowance.ini"
"$OSHIRASE" rules test "$T/r2" --program child-rearing-allowance >/dev/null 2>&1
[ $? -eq 1 ] && ok "income limit one yen off: a test fails" || not_ok "income limit one yen off went unnoticed"

# A broken file: exit 65 with FILE:LINE:COLUMN and a suggestion.
cp -r "$R" "$T/r3"
sed -i 's/^when = fyage >= 40 /when = fyag >= 40 /' "$T/r3/colorectal-cancer-screening.ini"
line=$(grep -n '^when = fyag >= 40' "$T/r3/colorectal-cancer-screening.ini" | cut -d: -f1)
expect_status 65 "unknown name: rules check exits 65" "$OSHIRASE" rules check "$T/r3"
grep -q "colorectal-cancer-screening.ini:$line:8: unknown name 'fyag' (did you mean fyage?)" "$T/.err" &&
	ok "the error names file:$line:8 and suggests fyage" || not_ok "error: $(cat "$T/.err")"
expect_status 65 "rules test on a broken file exits 65" "$OSHIRASE" rules test "$T/r3"
cp -r "$R" "$T/r4"
sed -i 's/^when = insurance = nhi /when = insurance = 1 /' "$T/r4/specific-health-checkup.ini"
expect_status 65 "a type error: exit 65" "$OSHIRASE" rules check "$T/r4"
grep -q "specific-health-checkup.ini:[0-9]*:[0-9]*: cannot compare an insurance with an integer" "$T/.err" &&
	ok "the type error is named" || not_ok "type error: $(cat "$T/.err")"

# Messages: every program, both languages, to the subject and to a parent.
bad="" nmsg=0
for id in $(program_ids "$R"); do
	for lang in ja en; do
		for who in "" --child; do
			nmsg=$((nmsg + 1))
			"$OSHIRASE" rules message "$R" --program "$id" --lang $lang $who >"$T/msg" 2>&1 ||
				bad="$bad $id/$lang$who:exit"
			grep -q '[{}]' "$T/msg" && bad="$bad $id/$lang$who:placeholder"
			grep -q 'https://www.city.mihon.example.jp/' "$T/msg" || bad="$bad $id/$lang$who:url"
			if [ $lang = ja ]; then
				grep -q '可能性があります' "$T/msg" || bad="$bad $id/ja:may"
				if [ -n "$who" ]; then grep -q 'お子さま' "$T/msg" || bad="$bad $id:child"; fi
			else
				grep -qi 'may qualify' "$T/msg" || bad="$bad $id/en:may"
				grep -qi 'you qualify' "$T/msg" && bad="$bad $id/en:you-qualify"
				if [ -n "$who" ]; then grep -qi 'your child' "$T/msg" || bad="$bad $id:your-child"; fi
			fi
		done
	done
done
[ -z "$bad" ] && [ "$nmsg" -eq $((4 * nprog)) ] && ok "$nmsg messages: may qualify, the city's example site, no placeholder left, お子さま / your child" ||
	not_ok "messages:$bad"
printf '[city]\nsite = https://www.city.test.example/\n' >"$T/c.conf"
"$OSHIRASE" rules message "$R" -c "$T/c.conf" --program lung-cancer-screening >"$T/msg" 2>&1
grep -q 'https://www.city.test.example/' "$T/msg" && ok "the city's site comes from the config" ||
	not_ok "config site not used: $(cat "$T/msg")"
cp -r "$R" "$T/r5"
sed -i 's/^department = health-promotion/department = health-promo/' "$T/r5/lung-cancer-screening.ini"
expect_status 65 "a department the config does not know: exit 65" "$OSHIRASE" rules check "$T/r5"
grep -q "lung-cancer-screening.ini:[0-9]*: department 'health-promo' is not in the config" "$T/.err" &&
	ok "the unknown department is named with its line" || not_ok "department: $(cat "$T/.err")"
printf '[department health-promo]\nname_ja = 健康課\nname_en = Health\nphone = 000\n' >"$T/d.conf"
expect_status 0 "a department added in the config" "$OSHIRASE" rules check "$T/r5" -c "$T/d.conf"

# eligible and explain on the small city of tests/data.
printf '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n' >"$T/key"
chmod 600 "$T/key"
D=2026-11-23
imp_res "$TOP/tests/data/small-residents.csv" "$T/db" -q || not_ok "import"
el() { "$OSHIRASE" eligible --db "$T/db" --rules "$R" "$@"; }
expect_status 0 "eligible --date 2026-11-23" el --date 2026-11-23
cp "$T/.out" "$T/el"
[ ! -s "$T/.err" ] && ok "eligible writes nothing to stderr" || not_ok "eligible stderr: $(cat "$T/.err")"
if [ ! -s "$T/el" ] || grep -qv "$(printf '^[a-z0-9-]*\t[0-9a-f]\\{64\\}$')" "$T/el"; then
	not_ok "a line is not program_id<TAB>pseudonym"
else
	ok "every line is program_id<TAB>pseudonym ($(wc -l <"$T/el") lines)"
fi
LC_ALL=C sort -c "$T/el" 2>/dev/null && ok "lines in byte order" || not_ok "not in byte order"
el --date 2026-11-23 --threads 1 | cmp -s - "$T/el" && ok "one thread gives the same lines" ||
	not_ok "threads change the output"
# R1000005: born 1940, late_elderly, institutional_care, ppsv23 in 2010
p5=$(pseudonym_of R1000005)
grep -q "$(printf 'lung-cancer-screening\t%s' "$p5")" "$T/el" && ok "R1000005 eligible for lung cancer screening" ||
	not_ok "R1000005 not listed for lung cancer screening"
grep -q "$(printf 'elderly-health-checkup\t%s' "$p5")" "$T/el" && not_ok "institutional care listed for the elderly checkup" ||
	ok "institutional care: not eligible for the elderly checkup"
grep -q "$(printf 'pneumococcal-vaccine\t%s' "$p5")" "$T/el" && not_ok "ppsv23 done, still listed" ||
	ok "ppsv23 in history: not eligible for the pneumococcal vaccine"
# R1000004 born 2025-12-01: on 2025-11-30 not a person yet
p4=$(pseudonym_of R1000004)
grep -q "$p4" "$T/el" && ok "a baby is listed on 2026-11-23" || not_ok "the baby is not listed"
el --date 2025-11-30 >"$T/old"
grep -q "$p4" "$T/old" && not_ok "a resident listed before their birth" ||
	ok "before their birth a resident is no one's subject"
expect_status 0 "eligible --counts" el --date 2026-11-23 --counts
[ "$(tail -n +2 "$T/.out" | wc -l)" -eq "$nprog" ] && ok "--counts: a row per program ($nprog)" ||
	not_ok "--counts rows: $(tail -n +2 "$T/.out" | wc -l), want $nprog"
sub=$(awk '$1 == "lung-cancer-screening" { print $2 }' "$T/.out")
[ "$sub" = "$(grep -c '^lung-cancer-screening	' "$T/el")" ] && ok "--counts agrees with the listing ($sub)" ||
	not_ok "--counts $sub differs from the listing"
expect_status 2 "a bad --date: exit 2" el --date 2026-02-30

expect_status 0 "explain: eligible exits 0" "$OSHIRASE" explain --db "$T/db" --rules "$R" \
    --date 2026-11-23 --program lung-cancer-screening --subject "$p5"
grep -q "when fyage >= 40" "$T/.out" && grep -q "fyage = 87" "$T/.out" && grep -q "result: eligible" "$T/.out" &&
	ok "explain shows the clause, the field it read and the result" || not_ok "explain: $(cat "$T/.out")"
expect_status 1 "explain: not eligible exits 1" "$OSHIRASE" explain --db "$T/db" --rules "$R" \
    --date 2026-11-23 --program elderly-health-checkup --subject "$p5"
grep -q "flag(institutional_care) = true" "$T/.out" && ok "explain names the flag that failed" ||
	not_ok "explain: $(cat "$T/.out")"
expect_status 66 "explain: an unknown pseudonym exits 66" "$OSHIRASE" explain --db "$T/db" \
    --rules "$R" --date 2026-11-23 --program elderly-health-checkup --subject "$(pseudonym_of nobody)"
finish
