#!/bin/sh
# import_bad.sh - every file in tests/data/bad/ has exactly one defect; its
# import must exit 65, report FILE:LINE: column: as tests/data/bad/MANIFEST
# says, report nothing else, and leave the store byte-for-byte unchanged
# (README, "File formats").
# SPDX-License-Identifier: MIT
. "$TOP/tests/integration/lib.sh"

command -v mdb_dump >/dev/null 2>&1 || skip_all "mdb_dump (lmdb-utils) not installed"
DATA=$TOP/tests/data
BAD=$DATA/bad
D=2026-11-23
DB=$T/db
K=$T/key

# Baseline: a key, a store with the small valid files.
expect_status 0 "keygen --out" "$OSHIRASE" keygen --out "$K"
expect_status 0 "baseline residents import" imp_res "$DATA/small-residents.csv" "$DB"
expect_status 0 "keygen --contacts" "$OSHIRASE" keygen --contacts --db "$DB"
expect_status 0 "baseline contacts import" imp_con "$DATA/small-contacts.csv" "$DB"
mdb_dump -a "$DB" >"$T/base.dump" 2>&1 || not_ok "mdb_dump of the baseline store"

nres=0 ncon=0
while IFS='	' read -r f line col; do
	case $f in '#'*|'') continue ;; esac
	path=$BAD/$f
	if [ ! -f "$path" ]; then not_ok "$f: listed in MANIFEST but missing"; continue; fi
	case $f in
	res-*) nres=$((nres + 1)); imp_res "$path" "$DB" >"$T/out" 2>"$T/err" ;;
	con-*) ncon=$((ncon + 1)); imp_con "$path" "$DB" >"$T/out" 2>"$T/err" ;;
	*) not_ok "$f: neither res-* nor con-*"; continue ;;
	esac
	rc=$?
	want="$path:$line: $col:"
	# Each file has one defect: exactly one FILE:LINE: line on stderr.
	nerr=$(grep -c "^$path:[0-9][0-9]*: " "$T/err")
	if [ "$rc" -eq 65 ] && grep -q -F -- "$want" "$T/err" && [ "$nerr" -eq 1 ]; then
		ok "$f: exit 65, reports $f:$line: $col"
	else
		not_ok "$f: want exit 65 and exactly one error line naming '$f:$line: $col:' (got exit $rc, $nerr error lines)"
		sed 's/^/#   /' "$T/err" | head -10
	fi
	mdb_dump -a "$DB" >"$T/after.dump" 2>&1
	if cmp -s "$T/base.dump" "$T/after.dump"; then
		ok "$f: store unchanged"
	else
		not_ok "$f: store changed by a refused import"
		diff "$T/base.dump" "$T/after.dump" | head -10 | sed 's/^/#   /'
	fi
done <"$BAD/MANIFEST"
[ "$nres" -ge 24 ] && ok "at least 24 bad resident files ($nres)" || not_ok "only $nres bad resident files"
[ "$ncon" -ge 6 ] && ok "at least 6 bad contact files ($ncon)" || not_ok "only $ncon bad contact files"

# Every file in bad/ is in the MANIFEST (a file not listed would go untested).
for p in "$BAD"/*.csv; do
	f=${p##*/}
	grep -q "^$f	" "$BAD/MANIFEST" || not_ok "$f: not listed in MANIFEST"
done

# FILE is the path as given on the command line, also a relative one.
(cd "$BAD" && imp_res res-feb29.csv "$DB") >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 65 ] && grep -q '^res-feb29.csv:3: birth_date:' "$T/err"; then
	ok "relative FILE is reported as given"
else
	not_ok "relative FILE is reported as given (exit $rc)"; sed 's/^/#   /' "$T/err" | head -5
fi
(cd "$DATA" && imp_con ./bad/con-lang-fr.csv "$DB") >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 65 ] && grep -q '^\./bad/con-lang-fr.csv:4: language:' "$T/err"; then
	ok "./relative FILE is reported as given"
else
	not_ok "./relative FILE is reported as given (exit $rc)"; sed 's/^/#   /' "$T/err" | head -5
fi

# A household error names the same line whatever the key: pseudonyms (and
# so the store's order of residents) change with the key, the file does not.
i=0
for kx in 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
    ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100 \
    a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5 \
    3141592653589793238462643383279502884197169399375105820974944592; do
	i=$((i + 1))
	printf '%s\n' "$kx" >"$T/k$i"
	chmod 600 "$T/k$i"
	for f in res-no-head.csv res-two-heads.csv; do
		want=$(awk -F'\t' -v f="$f" '$1 == f { print $2 ": " $3 ":" }' "$BAD/MANIFEST")
		"$OSHIRASE" import residents "$BAD/$f" --db "$T/hk$i" --key "$T/k$i" \
		    --rules "$RULES" --date "$D" >"$T/out" 2>"$T/err"
		rc=$?
		if [ "$rc" -eq 65 ] && grep -q -F "$BAD/$f:$want" "$T/err"; then
			ok "$f with key $i: names $f:$want"
		else
			not_ok "$f with key $i: want exit 65 naming $f:$want (got exit $rc)"
			sed 's/^/#   /' "$T/err" | head -3
		fi
	done
done

# A refused import into a store that does not exist yet leaves no data.mdb.
i=0
for f in res-unknown-column.csv res-feb29.csv res-unterminated-quote.csv \
    res-no-head.csv res-dup-id.csv; do
	i=$((i + 1))
	expect_status 65 "$f into a new store: exit 65" imp_res "$BAD/$f" "$T/new$i"
	if [ -e "$T/new$i/data.mdb" ]; then
		not_ok "$f into a new store: data.mdb left behind"
	else
		ok "$f into a new store: no data.mdb left behind"
	fi
done

# Messages about bad rows name the line and the column, never the personal
# value: no birth date, event date, income or id is echoed.
HDR=$(head -1 "$TOP/tests/data/small-residents.csv")
printf '%s\n%s\n%s\n%s\n%s\n' "$HDR" \
    'X9000001,HX-1,head,2027-01-15,1,,nhi,0,5,0,0,0,0,0,,,,' \
    'X9000002,HX-2,head,1971/02/03,1,,nhi,0,5,0,0,0,0,0,,,,' \
    'X9000003,HX-3,head,1972-03-04,1,,nhi,0,98765x,0,0,0,0,0,,,,' \
    'X9000004,HX-4,head,1973-04-05,1,,nhi,0,5,0,0,0,0,0,,mr@1960-06-07;dt@2099-08-09,,' \
    >"$T/personal.csv"
expect_status 65 "bad personal values: exit 65" imp_res "$T/personal.csv" "$T/db"
leak=""
for v in 2027-01-15 1971/02/03 98765x 1960-06-07 2099-08-09 X900000 1973-04-05; do
	grep -q -F "$v" "$T/.err" && leak="$leak $v"
done
[ "$(grep -c ':[2-5]: ' "$T/.err")" -ge 4 ] && [ -z "$leak" ] &&
	ok "four bad rows named, no personal value echoed" ||
	not_ok "messages echo:$leak"
# A rules directory without a vocabulary (66) or with a broken one (65):
# named, and the store as it was.
mkdir -p "$T/novocab" "$T/badvocab"
printf '[benefit\n' >"$T/badvocab/vocabulary.ini"
expect_status 66 "no vocabulary.ini in --rules: exit 66" "$OSHIRASE" import residents \
	"$DATA/small-residents.csv" --db "$DB" --key "$K" --rules "$T/novocab" --date $D -q
grep -q "novocab/vocabulary.ini" "$T/.err" && ok "the missing vocabulary named" ||
	not_ok "the missing vocabulary not named: $(cat "$T/.err")"
expect_status 65 "a broken vocabulary.ini: exit 65" "$OSHIRASE" import residents \
	"$DATA/small-residents.csv" --db "$DB" --key "$K" --rules "$T/badvocab" --date $D -q
grep -q "badvocab/vocabulary.ini:1:" "$T/.err" && ok "the broken vocabulary named at its line" ||
	not_ok "the broken vocabulary not named: $(cat "$T/.err")"
mdb_dump -a "$DB" >"$T/after.dump" 2>&1
cmp -s "$T/base.dump" "$T/after.dump" && ok "store unchanged after the refused vocabularies" ||
	not_ok "the store changed"
finish
