#!/usr/bin/env bash
# R1 against its SimPy peer and its simcore 0.1 peer (experiments/bench/simcore_r1, a Rust
# project of its own), in one sitting: completed requests per wall-clock second on one
# thread, for each, and their ratios; and, in the same sitting, the hard-coded floor
# under R1 (experiments/benches/r1_floor.rs) and the faultline binary as users run it,
# built plainly (cargo build --release) and with profile-guided optimisation
# (experiments/bench/build_pgo.sh). Run from anywhere; needs python3 and network access to
# PyPI and crates.io the first time (SimPy 4.1.2 goes into target/simpy-venv, the simcore
# peer into target/simcore-r1). About 9 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv=target/simpy-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet simpy==4.1.2
fi
# Runs a command that prints one rate three times and prints the best of them.
best_of_3() {
    local best=0 rate
    for _ in 1 2 3; do
        rate=$("$@")
        if [ "$rate" -gt "$best" ]; then best=$rate; fi
    done
    echo "$best"
}
simpy_rate() {
    local out
    out=$("$venv/bin/python" experiments/bench/simpy_r1.py 600 1)
    echo "simpy: $out" >&2
    echo "$out" | sed -E 's/.*req_per_wall_s=([0-9]+).*/\1/'
}
best_simpy=$(best_of_3 simpy_rate)
cargo build --release --quiet --manifest-path experiments/bench/simcore_r1/Cargo.toml \
    --target-dir target/simcore-r1
simcore_rate() {
    local out
    out=$(target/simcore-r1/release/simcore_r1 600 1)
    echo "simcore: $out" >&2
    echo "$out" | sed -E 's/.*req_per_wall_s=([0-9]+).*/\1/'
}
best_simcore=$(best_of_3 simcore_rate)
benches=$(cargo bench -p experiments --bench r1 --bench r1_floor -- --noplot 2>&1)
bench=$(echo "$benches" | grep -A2 "^r1/600s_one_thread" | grep "thrpt:" | head -1)
floor=$(echo "$benches" | grep -A2 "^r1/floor_600s_one_thread" | grep "thrpt:" | head -1)
echo "faultline: $bench"
echo "floor:     $floor"
python3 - "$best_simpy" "$best_simcore" "$(echo "$bench" | awk '{print $4, $5}')" "$(echo "$floor" | awk '{print $4, $5}')" <<'PY'
import sys
scale = {"elem/s": 1, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9}
def rate(text):
    value, unit = text.split()
    return float(value) * scale[unit]
simpy, simcore = float(sys.argv[1]), float(sys.argv[2])
faultline, floor = rate(sys.argv[3]), rate(sys.argv[4])
print(f"R1 completed requests per wall second: faultline {faultline:,.0f}, SimPy {simpy:,.0f} (best of 3), ratio {faultline / simpy:.1f}")
print(f"the simcore 0.1 peer: {simcore:,.0f} (best of 3); faultline {faultline / simcore:.2f} times it")
print(f"the hard-coded floor on the same queue, streams and histogram: {floor:,.0f} ({floor / simpy:.1f} times SimPy); faultline runs at {faultline / floor:.0%} of it")
PY

# The binary as users run it: `faultline run` on R1, 20 replications on one thread, best
# of 3; completed requests (runs.csv's ok) over the run's wall time (timing.csv).
cargo build --release --bin faultline --quiet
pgo=$(experiments/bench/build_pgo.sh)
cli_rate() {
    local out="target/bench-cli/$1"
    "$2" run experiments/configs/r1.toml --replications 20 --threads 1 --no-plots \
        --out "$out" >/dev/null
    python3 -c '
import csv, sys
out = sys.argv[1]
ok = sum(int(row["ok"]) for row in csv.DictReader(open(out + "/runs.csv")))
wall = float(next(csv.DictReader(open(out + "/timing.csv")))["wall_seconds"])
print(round(ok / wall))' "$out"
}
plain_rate=$(best_of_3 cli_rate plain target/release/faultline)
pgo_rate=$(best_of_3 cli_rate pgo "$pgo")
if ! cmp -s target/bench-cli/plain/runs.csv target/bench-cli/pgo/runs.csv; then
    echo "the plain and the profile-guided builds wrote different runs.csv" >&2
    exit 1
fi
python3 -c '
import sys
simpy, simcore, plain, pgo = (float(a) for a in sys.argv[1:])
print(f"faultline run, plain release build: {plain:,.0f} ({plain / simpy:.1f} times SimPy,"
      f" {plain / simcore:.2f} times simcore)")
print(f"faultline run, profile-guided build: {pgo:,.0f} ({pgo / simpy:.1f} times SimPy,"
      f" {pgo / simcore:.2f} times simcore,"
      f" {pgo / plain:.2f} times the plain build); runs.csv identical")' \
    "$best_simpy" "$best_simcore" "$plain_rate" "$pgo_rate"
