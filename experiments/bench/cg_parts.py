#!/usr/bin/env python3
"""Sums a cachegrind output file by part of the program.

    python3 experiments/bench/cg_parts.py cachegrind.out [lines]

A line of the project's own source counts in the part its file belongs to (code of the
queue inlined into a handler counts as the queue); a line of the standard library or of
glibc counts in the part of the function it was inlined into (a `VecDeque` read inside
a server handler counts as the servers). Prints instructions, first-level and last-level
read misses and write misses per part; with `lines`, also the servers' 40 lines with the
most last-level read misses.
"""
import collections
import sys


def part(file, function):
    for where in (file, function):
        if "engine/queue" in where or "engine::queue" in where:
            return "event queue"
        if "report/metrics" in where or "report::metrics" in where or "hdrhistogram" in where:
            return "metrics"
        if "model/server/" in where or "model::server::" in where:
            return "servers"
        if "model/client/" in where or "model::client::" in where or "route" in where:
            return "client"
        if any(s in where for s in ("engine/rng", "engine/dist", "engine::rng", "engine::dist", "rand", "libm")):
            return "random"
        if "detect" in where or "deadlines" in where:
            return "monitor"
        if where is file and ("sim-core/" in file or "strategies/" in file):
            return "rest"
    if "Simulation::run" in function:
        return "event loop"
    if "memcpy" in function or "memmove" in function:
        return "memcpy"
    if "malloc" in function or "free" in function or "realloc" in function:
        return "malloc"
    return "rest"


def main():
    path = sys.argv[1]
    lines = len(sys.argv) > 2 and sys.argv[2] == "lines"
    events, file, function = [], "?", "?"
    parts = collections.defaultdict(collections.Counter)
    server_lines = collections.defaultdict(collections.Counter)
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("fl="):
                file = line[3:].strip()
            elif line.startswith("fn="):
                function = line[3:].strip()
            elif line[:1].isdigit():
                fields = line.split()
                counts = dict(zip(events, map(int, fields[1:])))
                p = part(file, function)
                parts[p].update(counts)
                if lines and p == "servers":
                    where = "/".join(file.split("/")[-3:]) + ":" + fields[0]
                    server_lines[where].update(counts)
    columns = ["Ir", "D1mr", "DLmr", "D1mw", "DLmw"]
    print("%-12s" % "part" + "".join("%14s" % c for c in columns))
    total = collections.Counter()
    for p in sorted(parts, key=lambda p: -parts[p]["DLmr"]):
        total.update(parts[p])
        print("%-12s" % p + "".join("%14d" % parts[p][c] for c in columns))
    print("%-12s" % "total" + "".join("%14d" % total[c] for c in columns))
    if lines:
        print()
        for where in sorted(server_lines, key=lambda w: -server_lines[w]["DLmr"])[:40]:
            print("%-40s" % where + "".join("%12d" % server_lines[where][c] for c in columns))


main()
