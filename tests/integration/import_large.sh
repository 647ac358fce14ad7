#!/bin/sh
# import_large.sh - a file large enough to be read in parallel chunks:
# the result is the same as reading it with one thread, quoted line breaks
# near the cut are honoured, and errors in every chunk are reported with
# their true lines, in file order.
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

N=80000		# about 10 MB: two chunks on two CPUs
D=2026-11-23
gen_city $N 7 || { not_ok "gen"; finish; }
for d in db1 db2 db3; do "$OSHIRASE" keygen --contacts --db "$T/$d" -q; done

# Quoted wards with a line break and a comma around the middle of the file,
# where the reader cuts it.
cat >"$T/quote.awk" <<'AWK'
BEGIN { FS = ","; OFS = ","; q = "\"" }
NR > 1 && NR % 7 == 0 && NR > n / 2 - 300 && NR < n / 2 + 300 {
	$6 = q $6 "\nA," q q "B" q q q
}
{ print }
AWK
awk -v n=$N -f "$T/quote.awk" "$T/city/residents.csv" >"$T/r.csv"
lines=$(wc -l <"$T/r.csv")
[ "$lines" -gt $((N + 50)) ] && ok "test file has quoted line breaks ($lines lines for $N rows)" ||
	not_ok "test file has quoted line breaks ($lines lines)"

expect_status 0 "import with one thread" imp_res "$T/r.csv" "$T/db1" -q --threads 1
expect_status 0 "import with two threads" imp_res "$T/r.csv" "$T/db2" -q --threads 2
for db in residents resident_hh vocab; do
	mdb_dump -s $db "$T/db1" >"$T/d1"
	mdb_dump -s $db "$T/db2" >"$T/d2"
	if cmp -s "$T/d1" "$T/d2" && [ "$(wc -l <"$T/d1")" -gt 10 ]; then
		ok "one thread and two threads store the same '$db'"
	else
		not_ok "one thread and two threads differ in '$db'"
	fi
done
"$OSHIRASE" status --db "$T/db2" >"$T/st"
grep -q "^residents $N in" "$T/st" && ok "all $N residents imported" ||
	not_ok "residents: $(grep '^residents' "$T/st")"
mdb_dump -p -s residents "$T/db2" | grep -q 'A,\\22B\\22' 2>/dev/null ||
	mdb_dump -p -s residents "$T/db2" | grep -q 'A,"B"' &&
	ok "quoted ward with a line break, comma and quotes stored whole" ||
	not_ok "quoted ward not stored whole"

# One bad row early, two late (in the second chunk): all reported, in file
# order, with the line on which each record starts.
awk 'NR == 101 || NR == 70001 || NR == 75001 { sub(/,(nhi|employee|late_elderly|welfare|none),/, ",nhx,") } { print }' \
    "$T/r.csv" >"$T/bad.csv"
want=$(grep -n ',nhx,' "$T/bad.csv" | cut -d: -f1 | tr '\n' ' ')
[ "$(echo $want | wc -w)" -eq 3 ] && ok "three rows made bad (lines $want)" || not_ok "bad rows: $want"
imp_res "$T/bad.csv" "$T/db3" --threads 2 2>"$T/err"
[ $? -eq 65 ] && ok "bad large file: exit 65" || not_ok "bad large file: exit status"
got=$(grep -o '^[^:]*:[0-9]*: insurance' "$T/err" | cut -d: -f2 | tr '\n' ' ')
[ "$got" = "$want" ] && ok "errors reported in file order at lines $got" ||
	not_ok "errors at lines '$got', want '$want'"
[ ! -e "$T/db3/data.mdb" ] && ok "failed first import leaves no store" ||
	not_ok "failed first import left a store"
finish
