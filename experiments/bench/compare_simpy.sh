#!/usr/bin/env bash
# R1 against its SimPy peer, in one sitting: completed requests per wall-clock second on
# one thread, for both, and their ratio; and, in the same sitting, the hard-coded floor
# under R1 (experiments/benches/r1_floor.rs). Run from anywhere; needs python3 and network
# access to PyPI the first time (SimPy 4.1.2 goes into target/simpy-venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv=target/simpy-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet simpy==4.1.2
fi
best_simpy=0
for i in 1 2 3; do
    out=$("$venv/bin/python" experiments/bench/simpy_r1.py 600 1)
    echo "simpy: $out"
    rate=$(echo "$out" | sed -E 's/.*req_per_wall_s=([0-9]+).*/\1/')
    [ "$rate" -gt "$best_simpy" ] && best_simpy=$rate
done
benches=$(cargo bench -p experiments --bench r1 --bench r1_floor -- --noplot 2>&1)
bench=$(echo "$benches" | grep -A2 "^r1/600s_one_thread" | grep "thrpt:" | head -1)
floor=$(echo "$benches" | grep -A2 "^r1/floor_600s_one_thread" | grep "thrpt:" | head -1)
echo "faultline: $bench"
echo "floor:     $floor"
python3 - "$best_simpy" "$(echo "$bench" | awk '{print $4, $5}')" "$(echo "$floor" | awk '{print $4, $5}')" <<'PY'
import sys
scale = {"elem/s": 1, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9}
def rate(text):
    value, unit = text.split()
    return float(value) * scale[unit]
simpy = float(sys.argv[1])
faultline, floor = rate(sys.argv[2]), rate(sys.argv[3])
print(f"R1 completed requests per wall second: faultline {faultline:,.0f}, SimPy {simpy:,.0f} (best of 3), ratio {faultline / simpy:.1f}")
print(f"the hard-coded floor on the same queue, streams and histogram: {floor:,.0f} ({floor / simpy:.1f} times SimPy); faultline runs at {faultline / floor:.0%} of it")
PY
