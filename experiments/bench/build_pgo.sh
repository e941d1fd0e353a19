#!/usr/bin/env bash
# Builds faultline with profile-guided optimisation into target/pgo/release/faultline.
#
# 1. builds an instrumented faultline (target/pgo/instrumented);
# 2. trains it on every config in experiments/configs, two replications each on one
#    thread, so that the profile covers every strategy family rather than one scenario;
# 3. merges the profile and builds faultline again with it (target/pgo/release).
#
# The optimised binary runs the same code and gives byte-identical results: profiles only
# steer inlining, block layout and branch direction. Needs llvm-profdata of the same LLVM
# as rustc (the rustup component llvm-tools, added on first use). Takes about 2 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

host="$(rustc -vV | sed -n 's/^host: //p')"
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
    echo "build_pgo: adding the rustup component llvm-tools (for llvm-profdata)" >&2
    if ! rustup component add llvm-tools >&2 || [ ! -x "$profdata" ]; then
        echo "build_pgo: llvm-profdata not found at $profdata; install it with" \
            "'rustup component add llvm-tools'" >&2
        exit 2
    fi
fi

work="$root/target/pgo"
profiles="$work/profiles"
rm -rf "$profiles" "$work/training"
mkdir -p "$profiles"

echo "build_pgo: building the instrumented binary" >&2
RUSTFLAGS="-Cprofile-generate=$profiles" \
    cargo build --release --bin faultline --target-dir "$work/instrumented" --quiet

echo "build_pgo: training on experiments/configs" >&2
for config in experiments/configs/*.toml; do
    status=0
    "$work/instrumented/release/faultline" run "$config" --replications 2 --threads 1 \
        --no-plots --out "$work/training/$(basename "$config" .toml)" >/dev/null || status=$?
    # 1 only says that some [checks] failed, which two replications may well do.
    if [ "$status" -gt 1 ]; then
        echo "build_pgo: training on $config failed with exit code $status" >&2
        exit "$status"
    fi
done

"$profdata" merge -o "$work/merged.profdata" "$profiles"

echo "build_pgo: building the optimised binary" >&2
RUSTFLAGS="-Cprofile-use=$work/merged.profdata" \
    cargo build --release --bin faultline --target-dir "$work" --quiet
echo "$work/release/faultline"
