#!/usr/bin/env python3
"""Times `merkisto lint FOLDER` beside `xmllint --noout --schema badge.xsd` on the same badge files
(FOLDER/badges/*.xml, made by benchmarks/lint_set.py), interleaved, and prints the best wall and CPU time
of each as JSON. With --ceiling, exits 1 when Merkisto's wall or CPU time is more than that many times
xmllint's (CI passes 1.875: the goal of DESIGN.md §7, 1.5, with 25 % for noise).

Usage: python3 benchmarks/lint_time.py MERKISTO FOLDER SCHEMA [--runs 3] [--ceiling RATIO]
"""
import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("folder")
    parser.add_argument("schema")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ceiling", type=float)
    args = parser.parse_args()
    badges = sorted(glob.glob(os.path.join(args.folder, "badges", "*.xml")))
    commands = {
        "merkisto": [args.merkisto, "lint", args.folder],
        "xmllint": ["xmllint", "--noout", "--schema", args.schema, *badges],
    }
    best = {name: {"wall": float("inf"), "cpu": float("inf")} for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # Lint's set has warnings but no errors; xmllint must find every badge valid.
            if run.returncode != 0:
                sys.exit(f"{name} failed (exit {run.returncode}): {run.stderr.decode()[-500:]}")
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best[name] = {"wall": min(best[name]["wall"], wall), "cpu": min(best[name]["cpu"], cpu)}
    print(json.dumps({"badges": len(badges), **best}))
    if args.ceiling is not None:
        ratios = {kind: best["merkisto"][kind] / best["xmllint"][kind] for kind in ("wall", "cpu")}
        summary = ", ".join(f"{kind} {ratio:.2f}× xmllint's" for kind, ratio in ratios.items())
        if max(ratios.values()) > args.ceiling:
            print(f"lint_time: {len(badges):,} badges: {summary}; more than {args.ceiling}×", file=sys.stderr)
            sys.exit(1)
        print(f"lint_time: {len(badges):,} badges: {summary} (ceiling {args.ceiling}×)", file=sys.stderr)


if __name__ == "__main__":
    main()
