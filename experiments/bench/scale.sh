#!/usr/bin/env bash
# Cost per event as the cluster grows, at a fixed number of events: R1
# (experiments/configs/r1.toml) with N servers, 80 requests/s per server and a duration of
# 48,000 server-seconds over N (6000 s at 8 servers, 11.72 s at 4096), so that every size
# processes about 16.3 million events and sees the same number of crashes. One run on one
# thread per size; prints, per size and binary, the events, the median over REPEAT runs
# of user time per event in nanoseconds, and the peak resident memory (max RSS).
#
#   experiments/bench/scale.sh                      # target/release/faultline, N = 8 64 512 4096
#   SIZES="8 4096" REPEAT=5 experiments/bench/scale.sh A/faultline B/faultline
#
# With several binaries, each size runs them in turn (A B A B ...), so that their ratio is
# taken in one sitting; the runs.csv of every binary must agree at each size, on every
# column that both write (a later version may add columns).
# Run from anywhere; builds target/release/faultline when no binary is given.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sizes=${SIZES:-8 64 512 4096}
repeat=${REPEAT:-3}
for value in $sizes "$repeat"; do
    if ! [[ $value =~ ^[1-9][0-9]{0,6}$ ]]; then
        echo "scale.sh: SIZES and REPEAT take positive integers (at most 7 digits), not '$value'" >&2
        exit 2
    fi
done
if [ $# -eq 0 ]; then
    cargo build --release --bin faultline --quiet
    set -- target/release/faultline
fi
for bin in "$@"; do
    if [ ! -x "$bin" ]; then
        echo "scale.sh: $bin is not an executable faultline binary" >&2
        exit 2
    fi
done
work=target/bench-scale
mkdir -p "$work"
printf '%-8s %-40s %12s %14s %12s %10s\n' servers binary events ns_per_event user_s max_rss_mb
for n in $sizes; do
    # 48,000 server-seconds in microseconds over n (exact for every power of two to 2^15)
    duration_us=$((48000000000 / n))
    args=(run experiments/configs/r1.toml --replications 1 --threads 1 --no-plots
        --set "cluster.servers=$n" --set "workload.arrivals.rate=$((80 * n)).0"
        --set "experiment.duration=${duration_us}us")
    for ((b = 1; b <= $#; b++)); do : >"$work/$n-$b.times"; done
    for ((r = 0; r < repeat; r++)); do
        for ((b = 1; b <= $#; b++)); do
            bin=${!b}
            out="$work/$n-$b"
            /usr/bin/time -f '%U %M' -o "$work/time.txt" "$bin" "${args[@]}" --out "$out" >/dev/null
            cat "$work/time.txt" >>"$work/$n-$b.times"
        done
    done
    for ((b = 1; b <= $#; b++)); do
        if [ "$b" -gt 1 ] && ! python3 - "$work/$n-1/runs.csv" "$work/$n-$b/runs.csv" <<'PY'
import csv, sys
# The columns both binaries write must agree (a later version may add columns).
a, b = (list(csv.DictReader(open(path))) for path in sys.argv[1:])
common = [k for k in a[0] if k in b[0]]
sys.exit(0 if [[r[k] for k in common] for r in a] == [[r[k] for k in common] for r in b] else 1)
PY
        then
            echo "scale.sh: ${!b} and $1 wrote different runs.csv at $n servers" >&2
            exit 1
        fi
        python3 - "$n" "${!b}" "$work/$n-$b" <<'PY'
import csv, statistics, sys
n, binary, out = sys.argv[1:]
events = int(next(csv.DictReader(open(out + "/runs.csv")))["events"])
times = [line.split() for line in open(out + ".times")]
user = statistics.median(float(t[0]) for t in times)
rss = max(int(t[1]) for t in times) / 1024
print(f"{n:<8} {binary[-40:]:<40} {events:>12} {user * 1e9 / events:>14.1f} {user:>12.2f} {rss:>10.1f}")
PY
    done
done
