# bench/lib.sh - helpers for the bench scripts (sourced, POSIX sh)
# SPDX-License-Identifier: MIT
now() { date +%s.%N; }
# best of N wall-clock runs of a command (output discarded): this machine
# is shared, and the best run is the one least disturbed
best() {
	n=$1; shift
	b=999999
	for _ in $(seq "$n"); do
		t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
		b=$(awk -v a="$b" -v x="$t0" -v y="$t1" 'BEGIN { d = y - x; print (d < a ? d : a) }')
	done
	printf '%.3f' "$b"
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
