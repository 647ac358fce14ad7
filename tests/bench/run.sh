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
# BENCH_RESIDENTS (default 1000000) sets N.  Work files go to $BENCH_DIR
# (default build/bench), kept between runs: the city is generated once.
set -eu
O=${1:?usage: run.sh path/to/oshirase}
top=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_RESIDENTS:-1000000}
B=${BENCH_DIR:-$top/build/bench}
mkdir -p "$B"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is needed (tools/install-deps)"; exit 1; }

city="$B/city-$N"
if [ ! -s "$city/residents.csv" ]; then
	mkdir -p "$city"
	t0=$(now)
	"$O" gen --residents "$N" --seed 42 --date 2026-11-23 --out "$city" 2>/dev/null
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
