#!/usr/bin/env python3
"""Summarises Java Flight Recorder files of a bench run (./kvs bench --jfr DIR).

    python3 bench/jfr-summary.py DIR/tree/*.jfr

For each file: CPU seconds the JVM used (jdk.CPULoad, one event a second, as a share of all
cores), how many Java and native samples were taken, the threads sampled, the top frames where
Java code was running (self time) and the innermost kvs frame on those stacks, and where native
samples sat (mostly waiting: epoll, pipe reads). Needs `jfr` (from the JDK) on the PATH.
"""
import collections
import json
import os
import subprocess
import sys


def events(path, names):
    out = subprocess.run(["jfr", "print", "--json", "--events", ",".join(names), path],
                         capture_output=True, check=True).stdout
    return json.loads(out)["recording"]["events"]


def frame(f):
    m = f["method"]
    return m["type"]["name"].replace("/", ".") + "." + m["name"]


def main(paths):
    cores = os.cpu_count()
    total_cpu = 0.0
    for path in paths:
        by = collections.defaultdict(list)
        for e in events(path, ["jdk.ExecutionSample", "jdk.NativeMethodSample", "jdk.CPULoad"]):
            by[e["type"]].append(e)
        load = by["jdk.CPULoad"]
        cpu_s = sum(e["values"]["jvmUser"] + e["values"]["jvmSystem"] for e in load) * cores
        busy = sum(e["values"]["machineTotal"] for e in load) / max(1, len(load))
        total_cpu += cpu_s
        print(f"== {os.path.basename(path)}: {len(load)} s recorded, {cpu_s:.2f} CPU s used,"
              f" machine busy {busy * 100:.0f}% on average;"
              f" {len(by['jdk.ExecutionSample'])} Java samples,"
              f" {len(by['jdk.NativeMethodSample'])} native samples")
        for kind, top in (("jdk.ExecutionSample", 12), ("jdk.NativeMethodSample", 5)):
            own = collections.Counter()
            kvs = collections.Counter()
            threads = collections.Counter()
            n = 0
            for e in by[kind]:
                st = e["values"].get("stackTrace")
                frames = st["frames"] if st else []
                if not frames:
                    continue
                n += 1
                own[frame(frames[0])] += 1
                threads[e["values"]["sampledThread"]["javaName"]] += 1
                for f in frames:
                    if frame(f).startswith("kvs."):
                        kvs[frame(f)] += 1
                        break
            if not n:
                continue
            label = "Java" if kind == "jdk.ExecutionSample" else "native"
            print(f"  {label} samples by thread: "
                  + ", ".join(f"{t} {c * 100 // n}%" for t, c in threads.most_common(4)))
            print(f"  {label} samples, top frames (self):")
            for name, c in own.most_common(top):
                print(f"    {c * 100 / n:5.1f}% {name}")
            if kind == "jdk.ExecutionSample" and kvs:
                print("  Java samples, innermost kvs frame:")
                for name, c in kvs.most_common(8):
                    print(f"    {c * 100 / n:5.1f}% {name}")
    print(f"total: {total_cpu:.2f} CPU s in {len(paths)} JVMs")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
