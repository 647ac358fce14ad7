#!/bin/sh
# bench/daemon.sh - `make bench`, the daemon's part (run.sh calls it):
# each figure next to a baseline measured in the same run, as a ratio.
# SPDX-License-Identifier: MIT
#
#   line:  oshirased --once sending the LINE messages of a city whose
#          contacts are all LINE (the `line` rows of its contacts.csv) to
#          `oshirase line-emulator` with LINE's limit of 2,000 pushes/s,
#          [line] rate 1900.  A first --once in quiet hours matches and
#          makes the messages (held); the timed run is a second --once in
#          the window (its own match run finds nothing new).
#          `bench-lineloop watch` samples the CPU time of the daemon and
#          of the sender processes it starts ([senders] workers of them,
#          over ipc://), and the emulator's counters, every 100 ms; the
#          rate and the CPU (user + system seconds per second, of them all
#          and of the queue alone) are taken between the first and the
#          last sample inside the sending phase; 429s are counted over the
#          whole run, and every message made must have been accepted once.
#          Baselines: a libcurl loop (bench-lineloop push) sending the same
#          requests (the bodies the emulator recorded) one after the other
#          on one keep-alive connection, (a) paced at 1,900/s to the same
#          emulator, (b) as fast as it can to a second emulator whose limit
#          is raised (the capacity of one connection on this machine).
#   match: oshirased --once in quiet hours (--wait 0) on a fresh copy of a
#          store of the same city with all its contacts: the match run,
#          queueing the new notices and making their messages, nothing
#          sent (best of 5; the copy is not timed); the number queued must
#          be the dry run's.  Baseline: `oshirase eligible --counts` on the
#          same store (best of 5).
# BENCH_DAEMON_RESIDENTS (default 130000: 99,248 notices, 21,101 LINE
# messages) sets the city, generated once into $BENCH_DIR; BENCH_LINE_RUNS
# (default 2) the rounds of the LINE benchmark (the best is summarised),
# BENCH_LINE_WORKERS (default 2) its [senders] workers (sender processes
# of one thread each), BENCH_LINE_BURST
# (default 20) its [line] burst; BENCH_PARTS (default "line match") the
# parts run.
set -eu
O=${1:?usage: daemon.sh path/to/oshirase}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$(dirname "$O")" && pwd)
OD=$bin/oshirased
LOOP=$bin/bench-lineloop
N=${BENCH_DAEMON_RESIDENTS:-130000}
RUNS=${BENCH_LINE_RUNS:-2}
WORKERS=${BENCH_LINE_WORKERS:-2}
BURST=${BENCH_LINE_BURST:-20}
PARTS=${BENCH_PARTS:-line match}
B=${BENCH_DIR:-$top/build/bench}
D=2026-11-23
R=$top/rules
W=$B/daemon
. "$top/tests/bench/lib.sh"
case " $PARTS " in *" line "* | *" match "*) ;; *) exit 0 ;; esac
for p in "$OD" "$LOOP"; do
	[ -x "$p" ] || { echo "bench: $p is not built"; exit 1; }
done
command -v curl >/dev/null || { echo "bench: curl is needed (tools/install-deps)"; exit 1; }

PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done' EXIT
trap 'exit 1' INT TERM
rm -rf "$W"
mkdir -p "$W"

city="$B/dcity-$N"
if [ ! -s "$city/residents.csv" ]; then
	mkdir -p "$city"
	"$bin/oshirase-gen" --residents "$N" --seed 42 --date $D --out "$city" 2>/dev/null
fi
{ head -1 "$city/contacts.csv"; grep '^[^,]*,line,' "$city/contacts.csv"; } >"$W/line.csv"
"$O" keygen --out "$W/key" -q
"$O" keygen --contacts --db "$W/db.all" -q
"$O" import residents "$city/residents.csv" --db "$W/db.all" --key "$W/key" \
    --rules "$R" --date $D -q
cp -r "$W/db.all" "$W/db.line"
"$O" import contacts "$city/contacts.csv" --db "$W/db.all" --key "$W/key" -q
"$O" import contacts "$W/line.csv" --db "$W/db.line" --key "$W/key" -q
echo "line-token-bench" >"$W/token"
chmod 600 "$W/token"

# emulator NAME ARGS...: start one; sets EMU (its base URL)
emulator() {
	_n=$1; shift
	"$bin/oshirase-line-emulator" --token-file "$W/token" --port-file "$W/$_n.port" \
	    --record "$W/$_n.record" "$@" >"$W/$_n.out" 2>"$W/$_n.err" &
	PIDS="$PIDS $!"
	_i=0
	while [ ! -s "$W/$_n.port" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s "$W/$_n.port" ] || { echo "bench: the emulator did not start"; cat "$W/$_n.err"; exit 1; }
	EMU=http://127.0.0.1:$(cat "$W/$_n.port")
}
# emu_stat URL NAME: a counter of the emulator's
emu_stat() { curl -sf "$1/emulator/stats" | sed "s/.*\"$2\":\([0-9]*\).*/\1/"; }
# fresh NAME FROM: a copy of store FROM and a config for it in NAME.conf
fresh() {
	rm -rf "$W/$1"
	cp -r "$W/$2" "$W/$1"
	cat >"$W/$1.conf" <<EOC
[store]
db = $W/$1
[rules]
dir = $R
[line]
api = ${EMU:-http://127.0.0.1:9}
token_file = $W/token
rate = 1900
burst = $BURST
[senders]
workers = $WORKERS
EOC
}
# a field of the daemon's log: "... N messages made" etc.
logged() { sed -n "s/^oshirased: $1.*/\\1/p" "$2" | tail -1; }

case " $PARTS " in *" line "*)
emulator lim			# LINE's limit, 2,000/s
lim=$EMU
emulator raw --rate 1000000	# the capacity of one connection
raw=$EMU
best_d=0 best_a=0 best_b=0
for run in $(seq "$RUNS"); do
	EMU=$lim
	fresh r db.line
	"$OD" -c "$W/r.conf" --once --date $D --now ${D}T21:30 --wait 0 \
	    >"$W/r.out1" 2>"$W/r.err1"
	msgs=$(logged '\([0-9]*\) messages made' "$W/r.err1")
	notices=$(logged 'match run.*: \([0-9]*\) new notices' "$W/r.err1")
	a0=$(emu_stat "$lim" accepted) l0=$(emu_stat "$lim" rate_limited)
	t0=$(now)
	"$OD" -c "$W/r.conf" --once --date $D --now ${D}T10:00 --wait 10 \
	    >"$W/r.out2" 2>"$W/r.err2" &
	pid=$!
	"$LOOP" watch "$lim" "$pid" >"$W/samples.$run"
	wait "$pid" || { echo "bench: oshirased failed"; tail -5 "$W/r.err2"; exit 1; }
	t_all=$(elapsed "$t0" "$(now)")
	a1=$(emu_stat "$lim" accepted) l1=$(emu_stat "$lim" rate_limited)
	sent=$((a1 - a0)) r429=$((l1 - l0))
	[ "$sent" -eq "$msgs" ] || { echo "bench: $sent LINE messages accepted, $msgs made"; exit 1; }
	# the sending phase: from the first sample with a message accepted to
	# the last one before the last message; and the slowest 0.1 s in it
	set -- $(awk -v a0="$a0" -v a1="$a1" '
	    $3 > a0 && $3 < a1 {
		if (n++) { r = ($3 - A) / ($1 - T); if (n == 2 || r < lo) lo = r }
		else { t = $1; c = $2; a = $3; q = $5 }
		T = $1; C = $2; A = $3; Q = $5 }
	    END { if (n < 2) print 0, 0, 0, 0, 0
		else printf "%.0f %.2f %.2f %.0f %.2f\n", (A - a) / (T - t), (C - c) / (T - t), T - t, lo, (Q - q) / (T - t) }' \
	    "$W/samples.$run")
	d_rate=$1 d_cpu=$2 d_span=$3 d_low=$4 d_qcpu=$5
	tail -n "$msgs" "$W/lim.record" >"$W/bodies"
	set -- $("$LOOP" push "$lim" "$W/token" "$W/bodies" "$msgs" 1900 | tr ' ' '\n' | cut -d= -f2)
	a_rate=$3 a_429=$5 a_cpu=$(awk -v c="$7" -v t="$2" 'BEGIN { printf "%.2f", c / t }')
	set -- $("$LOOP" push "$raw" "$W/token" "$W/bodies" "$msgs" | tr ' ' '\n' | cut -d= -f2)
	b_rate=$3 b_cpu=$(awk -v c="$7" -v t="$2" 'BEGIN { printf "%.2f", c / t }')
	[ "$run" -eq 1 ] && {
		echo "== LINE delivery: $msgs messages ($notices notices) to the emulator (limit 2,000/s), [line] rate 1900 burst $BURST, $WORKERS sender processes, $(nproc) cores"
		echo "  (rates over the sending phase; CPU = user+sys seconds per second, of the queue and its senders; $RUNS runs)"
	}
	printf '  run %s: oshirased %s msg/s over %s s (slowest 0.1 s: %s/s; whole run %s s), 429s %s, CPU %s (the queue %s)\n' \
	    "$run" "$d_rate" "$d_span" "$d_low" "$t_all" "$r429" "$d_cpu" "$d_qcpu"
	printf '         loop (a) paced %s/s, 429s %s, CPU %s; (b) unpaced %s/s, CPU %s\n' \
	    "$a_rate" "$a_429" "$a_cpu" "$b_rate" "$b_cpu"
	if [ "$d_rate" -gt "$best_d" ]; then
		best_d=$d_rate best_429=$r429 best_cpu=$d_cpu best_qcpu=$d_qcpu
	fi
	[ "$a_rate" -gt "$best_a" ] && best_a=$a_rate best_acpu=$a_cpu
	[ "$b_rate" -gt "$best_b" ] && best_b=$b_rate
done
echo "  best run:"
printf '  oshirased --once          %5s messages/s, %s 429s, CPU %s cores, the queue %s (goal >= 1800/s, 0, < 1.0)\n' \
    "$best_d" "$best_429" "$best_cpu" "$best_qcpu"
printf '  (a) libcurl loop, paced   %5s requests/s, CPU %s cores   ratio %s, CPU ratio %s\n' \
    "$best_a" "$best_acpu" "$(ratio "$best_d" "$best_a")" "$(ratio "$best_cpu" "$best_acpu")"
printf '  (b) libcurl loop, unpaced %5s requests/s (emulator limit raised)   ratio %s\n' \
    "$best_b" "$(ratio "$best_d" "$best_b")"
;; esac

case " $PARTS " in *" match "*)
unset EMU
"$O" match --dry-run --db "$W/db.all" --rules "$R" --date $D | wc -l >"$W/dry.n"
bd=999999 bm=999999
for _ in 1 2 3 4 5; do
	fresh m db.all
	t0=$(now)
	"$OD" -c "$W/m.conf" --once --date $D --now ${D}T21:30 --wait 0 >"$W/m.out" 2>"$W/m.err" ||
		{ echo "bench: oshirased failed"; tail -5 "$W/m.err"; exit 1; }
	t=$(elapsed "$t0" "$(now)")
	bd=$(awk -v a="$bd" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
	tm=$(logged 'match run.* notices in \([0-9.]*\) s' "$W/m.err")
	bm=$(awk -v a="$bm" -v b="$tm" 'BEGIN { print (b < a ? b : a) }')
done
queued=$(logged 'match run.*: \([0-9]*\) new notices' "$W/m.err")
made=$(logged '\([0-9]*\) messages made' "$W/m.err")
[ "$queued" -eq "$(cat "$W/dry.n")" ] ||
	{ echo "bench: $queued notices queued, the dry run said $(cat "$W/dry.n")"; exit 1; }
t_el=$(best 5 "$O" eligible --db "$W/db.all" --rules "$R" --date $D --counts)
echo "== match and queue: oshirased --once in quiet hours on a fresh store of $N residents (best of 5)"
printf '  oshirased --once    %7.3f s   %s notices queued, %s messages made (goal <= 1 s)\n' "$bd" "$queued" "$made"
printf '      its match run   %7.3f s   (its log: eligibility, recipients, queueing)\n' "$bm"
printf '  eligible --counts   %7.3f s   ratio %s\n' "$t_el" "$(ratio "$bd" "$t_el")"
;; esac
