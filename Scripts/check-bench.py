#!/usr/bin/env python3
"""Runs `merkisto bench --format json` on a release binary and guards the speed figures of DESIGN.md §7
against regressions. Figures are ratios or rates measured in the same run on the same machine.

Each bar has a goal (what `merkisto bench` and the README show) and a CI floor 25 % below it (or, for a
goal not met yet, a floor under today's figure that catches regressions). CI fails only when a figure
falls under its floor in two whole runs in a row, so that noise on a shared 2-core machine never blocks a
landing; a figure between the floor and the goal is reported, not failed.

Usage: python3 Scripts/check-bench.py PATH/TO/release/merkisto
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# CI fails only this far under a goal.
MARGIN = 0.75
ATTEMPTS = 2


def rate(name, goal, floor=None):
    return (name, lambda f: f[name], goal, floor, f"{name} >= {goal:,.0f}")


def ratio(name, base, goal, floor=None):
    return (name, lambda f: f[name] / f[base], goal, floor, f"{name} / {base} >= {goal} (same run)")


BARS = [
    rate("evaluations_per_s", 10_000_000),
    ratio("issue_ob3_jwt_per_s", "raw_p256_sign_per_s", 0.8),
    ratio("verify_ob3_jwt_per_s", "raw_p256_verify_per_s", 0.75),
    rate("durable_issue_per_s", 1),
    # Commits on a second thread (fsync): see the note on the two below.
    ratio("bulk_issue_per_s", "raw_p256_sign_per_s", 0.7, floor=0.4),
    # No goal in DESIGN.md: `issue --all-earned` from end to end (reading and evaluating stored clients
    # too); ours, 0.66-0.74 on the CI kind of machine.
    # These read or write SQLite and use both cores, so they vary more between hosts of this kind than the one-core
    # figures: on 2026-12-02 a host gave evaluations_per_s 10.9-11.9 M (15.2 M before) and the dry run
    # 32-37 k with unchanged code (57.5 k before). Their floors sit at half the goal: they still catch a
    # regression that halves them, not a slower host.
    # Since issue 19 every OB 3.0 credential has a place in the status lists (the key folder always has the
    # Ed25519 key they are signed with), reserved durably per chunk before signing; the benchmark's key
    # folder used to have none, so it issued without. With places it is bound by the disk: 0.13-0.23 in
    # four runs on 2026-12-04 (0.66-0.74 without; durable_issue_per_s varied 1,000-3,300 in the same runs).
    # The floor sits under the lowest until that cost is brought down (issue 23).
    ratio("issue_all_earned_per_s", "raw_p256_sign_per_s", 0.6, floor=0.08),
    rate("dry_run_clients_per_s", 50_000, floor=25_000),
    # eddsa-rdfc-2022 on one core: goal 5,000 (DESIGN.md §7); about 8,300 on this kind of machine.
    rate("issue_ob3_ldp_per_s", 5_000),
]


def check(figures):
    """Returns (below the CI floor, below the goal only) as lists of messages."""
    failed, short = [], []
    for name, measure, goal, floor, text in BARS:
        value = measure(figures)
        floor = goal * MARGIN if floor is None else floor
        if value < floor:
            failed.append(f"{text}: measured {value:,.3f}, under the CI floor {floor:,.3f}")
        elif value < goal:
            short.append(f"{text}: measured {value:,.3f} (above the CI floor {floor:,.3f})")
    return failed, short


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    failed, short, missing = [], [], []
    for attempt in range(1, ATTEMPTS + 1):
        run = subprocess.run([sys.argv[1], "bench", "--seconds", "2", "--format", "json"], capture_output=True, cwd=ROOT)
        if run.returncode != 0:
            print(run.stderr.decode(), file=sys.stderr)
            return 1
        figures = json.loads(run.stdout)
        print(json.dumps(figures, indent=2))
        if figures.get("build") != "release":
            print("check-bench: the binary is a debug build; figures would not be meaningful")
            return 1
        missing = [name for name, *_ in BARS if name not in figures]
        if missing:
            break
        failed, short = check(figures)
        if not failed:
            break
        print(f"check-bench: run {attempt} fell under a floor: {'; '.join(failed)}")
    for text in short:
        print(f"check-bench: below the goal in this run (noise or a slow machine; not a failure): {text}")
    for text in failed:
        print(f"check-bench: FAIL {text}")
    for name in missing:
        print(f"check-bench: FAIL {name} is missing from the output")
    if failed or missing:
        return 1
    print("check-bench: every figure is above its CI floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
