#!/bin/sh
# bench/run.sh - `make bench`: each benchmark prints its figure next to a
# baseline measured in the same run, as a ratio.
# SPDX-License-Identifier: MIT
#
#   import: oshirase import residents of an N-resident synthetic city into
#           an empty store, against SQLite's `.import` of the same CSV into
#           a table (sqlite3 CLI, default journal, one file on the same disk)
#   contacts: oshirase import contacts (pseudonymise + encrypt each address)
#           against SQLite's `.import` of the same CSV
#   eligibility: oshirase eligible --counts against hand-written C and
#           SQLite over the same data
#   line, match: the daemon's, in tests/bench/daemon.sh (see there)
#   webhook: residents' actions end to end, in tests/bench/webhook.sh
#           (`make bench` runs it last, after tests/bench/log.sh)
# BENCH_RESIDENTS (default 1000000) sets N.  Work files go to $BENCH_DIR
# (default build/bench), kept between runs: the cities are generated once.
# BENCH_PARTS (default "import line match webhook") picks the parts: import
# (the imports and the eligibility benchmark), line, match, webhook.
set -eu
O=${1:?usage: run.sh path/to/oshirase}
bin=$(dirname "$O")
top=$(cd "$(dirname "$0")/../.." && pwd)
case " ${BENCH_PARTS:-import} " in
*" import "*) ;;
*) exec sh "$top/tests/bench/daemon.sh" "$O" ;;
esac
N=${BENCH_RESIDENTS:-1000000}
B=${BENCH_DIR:-$top/build/bench}
mkdir -p "$B"
. "$top/tests/bench/lib.sh"
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is needed (tools/install-deps)"; exit 1; }

city="$B/city-$N"
if [ ! -s "$city/residents.csv" ]; then
	mkdir -p "$city"
	t0=$(now)
	"$bin/oshirase-gen" --residents "$N" --seed 42 --date 2026-11-23 --out "$city" 2>/dev/null
	echo "gen: $N residents in $(elapsed "$t0" "$(now)") s"
fi
rm -f "$B/key"
"$O" keygen --out "$B/key" -q
rm -rf "$B/db" "$B/sqlite.db"
"$O" keygen --contacts --db "$B/db" -q
rows=$(($(wc -l <"$city/residents.csv") - 1))
crows=$(($(wc -l <"$city/contacts.csv") - 1))
mb=$(du -m "$city/residents.csv" | cut -f1)

echo "== import of $rows residents ($mb MiB CSV), $(nproc) cores"
t0=$(now)
"$O" import residents "$city/residents.csv" --db "$B/db" --key "$B/key" \
    --rules "$top/rules" --date 2026-11-23 -q
t_osh=$(elapsed "$t0" "$(now)")
size=$(du -m "$B/db/data.mdb" | cut -f1)
t0=$(now)
sqlite3 "$B/sqlite.db" ".mode csv" ".import $city/residents.csv residents"
t_sql=$(elapsed "$t0" "$(now)")
sql_size=$(du -m "$B/sqlite.db" | cut -f1)
printf '  oshirase import   %7.3f s  %9.0f rows/s  store %s MiB\n' "$t_osh" \
    "$(awk -v n="$rows" -v t="$t_osh" 'BEGIN { print n / t }')" "$size"
printf '  sqlite3 .import   %7.3f s  %9.0f rows/s  file %s MiB (baseline)\n' "$t_sql" \
    "$(awk -v n="$rows" -v t="$t_sql" 'BEGIN { print n / t }')" "$sql_size"
echo "  ratio oshirase/sqlite time: $(ratio "$t_osh" "$t_sql") (below 1 = faster; goal: <= 5 s for 1M and < 1)"

echo "== import of $crows contacts"
t0=$(now)
"$O" import contacts "$city/contacts.csv" --db "$B/db" --key "$B/key" \
    --date 2026-11-23 -q
t_c=$(elapsed "$t0" "$(now)")
t0=$(now)
sqlite3 "$B/sqlite.db" ".mode csv" ".import $city/contacts.csv contacts"
t_csql=$(elapsed "$t0" "$(now)")
printf '  oshirase import   %7.3f s  %9.0f rows/s\n' "$t_c" \
    "$(awk -v n="$crows" -v t="$t_c" 'BEGIN { print n / t }')"
printf '  sqlite3 .import   %7.3f s  %9.0f rows/s (baseline)\n' "$t_csql" \
    "$(awk -v n="$crows" -v t="$t_csql" 'BEGIN { print n / t }')"
echo "  ratio oshirase/sqlite time: $(ratio "$t_c" "$t_csql")"

# ---------------------------------------------------------------------------
# eligible --counts against (a) hand-written C over the same store with the
# same threads and (b) SQLite running the programs of rules/ as SQL with
# the date cutoffs computed once (tests/bench/programs.sql); all three must
# agree on every program the baselines implement.  A program added to rules/
# since has no baseline: it is evaluated, timed with the others and named.
D=2026-11-23
threads=$(nproc)
sq="$B/sqlite-rules"
rm -rf "$sq"
mkdir -p "$sq"
: >"$sq/ben.csv"; : >"$sq/flag.csv"; : >"$sq/hist.csv"
awk -v out="$sq" -f "$top/tests/bench/flatten.awk" "$city/residents.csv"
(cd "$sq" && sqlite3 s.db <"$top/tests/bench/sqlite-load.sql" &&
    "$bin/bench-cutoffs" $D | sqlite3 s.db)

echo "== eligibility of $rows residents for the rule set, D $D, $threads threads"
"$O" eligible --db "$B/db" --rules "$top/rules" --date $D --counts >/dev/null	# warm the cache
"$O" eligible --db "$B/db" --rules "$top/rules" --date $D --counts >"$B/counts.osh"
"$bin/bench-handwritten" "$B/db" $D "$threads" >"$B/counts.hw"
t_el=$(best 5 "$O" eligible --db "$B/db" --rules "$top/rules" --date $D --counts)
t_hw=$(best 5 "$bin/bench-handwritten" "$B/db" $D "$threads")
t_el1=$(best 3 "$O" eligible --db "$B/db" --rules "$top/rules" --date $D --counts --threads 1)
t_hw1=$(best 3 "$bin/bench-handwritten" "$B/db" $D 1)
t0=$(now)
(cd "$sq" && sqlite3 s.db <"$top/tests/bench/programs.sql") | tr '|' ' ' >"$B/counts.sql"
t_sql=$(elapsed "$t0" "$(now)")
"$O" eligible --db "$B/db" --rules "$top/rules" --date $D | wc -l >"$B/pairs.n"
t_list=$(best 3 "$O" eligible --db "$B/db" --rules "$top/rules" --date $D)
tail -n +2 "$B/counts.osh" | awk '{ print $1, $2, $3 }' >"$B/counts.osh3"
nprog=$(wc -l <"$B/counts.osh3")
nbase=$(wc -l <"$B/counts.hw")
# the rule set's counts of the programs the baselines implement
awk 'NR == FNR { base[$1] = 1; next } $1 in base' "$B/counts.hw" "$B/counts.osh3" >"$B/counts.oshb"
if cmp -s "$B/counts.oshb" "$B/counts.hw" && cmp -s "$B/counts.hw" "$B/counts.sql"; then
	echo "  all three agree on subjects and households for the $nbase programs of the baselines"
	[ "$nprog" -eq "$nbase" ] || echo "  ($nprog programs in the rule set; without a baseline:$(awk 'NR == FNR { base[$1] = 1; next } !($1 in base) { printf " %s", $1 }' "$B/counts.hw" "$B/counts.osh3"))"
else
	echo "  MISMATCH between the three counts ($nprog programs in the rule set, $nbase in the baselines):"
	paste -d' ' "$B/counts.oshb" "$B/counts.hw" "$B/counts.sql" | awk '$1 != $4 || $1 != $7 || $2 != $5 || $2 != $8 || $3 != $6 || $3 != $9'
	mismatch=1
fi
echo "  (best of 5 runs each; SQLite once)"
printf '  oshirase eligible --counts  %7.3f s\n' "$t_el"
printf '  (a) hand-written C          %7.3f s   ratio %s (goal <= 1.5)\n' "$t_hw" "$(ratio "$t_el" "$t_hw")"
printf '      the same on 1 thread:   %7.3f s against %.3f s, ratio %s\n' "$t_el1" "$t_hw1" "$(ratio "$t_el1" "$t_hw1")"
printf '  (b) SQLite, %s queries      %7.3f s   ratio %s (goal <= 0.1)\n' "$(wc -l <"$B/counts.sql")" "$t_sql" "$(ratio "$t_el" "$t_sql")"
printf '  oshirase eligible (listing %s pairs) %7.3f s\n' "$(cat "$B/pairs.n")" "$t_list"
[ -z "${mismatch:-}" ] || { echo "bench: the three implementations disagree"; exit 1; }
sh "$top/tests/bench/daemon.sh" "$O"
