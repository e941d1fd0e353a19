#!/usr/bin/env bash
# R1 against its SimPy peer, in one sitting: completed requests per wall-clock second on
# one thread, for both, and their ratio. Run from anywhere; needs python3 and network
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
bench=$(cargo bench -p experiments --bench r1 -- --noplot 2>&1 | grep -A2 "^r1/600s_one_thread" | grep "thrpt:")
echo "faultline: $bench"
faultline=$(echo "$bench" | awk '{print $4, $5}')
python3 - "$best_simpy" "$faultline" <<'PY'
import sys
simpy = float(sys.argv[1])
value, unit = sys.argv[2].split()
scale = {"elem/s": 1, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9}[unit]
faultline = float(value) * scale
print(f"R1 completed requests per wall second: faultline {faultline:,.0f}, SimPy {simpy:,.0f} (best of 3), ratio {faultline / simpy:.1f}")
PY
