#!/bin/sh
# bench/log.sh - `make bench`, the sealed log: appending with batched sync
# against writing and fdatasyncing the same bytes with no crypto; verifying
# a log of N records against BLAKE2b-hashing the same bytes.  Each figure
# next to its baseline, measured in the same run, best of 3.
# LOG_RECORDS (default 1000000) sets N.
# SPDX-License-Identifier: MIT
set -eu
O=${1:?usage: log.sh path/to/oshirase path/to/sealbench}
SB=${2:?}
top=$(cd "$(dirname "$0")/../.." && pwd)
N=${LOG_RECORDS:-1000000}
BATCH=1000
B=${BENCH_DIR:-$top/build/bench}/log
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
mkdir -p "$B"
ta=999 tr=999
for _ in 1 2 3; do
	rm -rf "$B/l" "$B/raw"
	mkdir -p "$B/l"
	ta=$(min "$ta" "$("$SB" append "$B/l" "$N" $BATCH)")
	tr=$(min "$tr" "$("$SB" raw "$B/raw" "$N" $BATCH)")
done
echo "== the sealed log: $N records, fdatasync every $BATCH"
printf '  append (seal + Merkle + sync)  %7.3f s  %9.0f records/s (goal >= 100000)\n' "$ta" \
    "$(awk -v n="$N" -v t="$ta" 'BEGIN { print n / t }')"
printf '  write + fdatasync, no crypto   %7.3f s  (baseline)   ratio %s\n' "$tr" "$(ratio "$ta" "$tr")"
tv=999 th=999
for _ in 1 2 3; do
	t0=$(date +%s.%N)
	"$O" audit verify --log "$B/l" --pubkey "$B/l/pub" --k0 "$B/l/auditor/k0" >"$B/verify.out"
	t1=$(date +%s.%N)
	tv=$(min "$tv" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	th=$(min "$th" "$("$SB" hash "$B/l/log.bin")")
done
printf '  verify with K0 (every seal, checkpoints)  %7.3f s  (goal <= 2 s)\n' "$tv"
printf '  BLAKE2b over the same %s MiB             %7.3f s  (baseline)   ratio %s\n' \
    "$(($(stat -c %s "$B/l/log.bin") / 1048576))" "$th" "$(ratio "$tv" "$th")"
tail -1 "$B/verify.out" | cut -c1-100 | sed 's/^/  /'
