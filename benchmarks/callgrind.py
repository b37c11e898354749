"""Guards the hot paths by instruction counts, which noise cannot move: each fixed workload of
`merkisto-workload` (issue, issue-ldp, verify, evaluate, canonicalize, lint, the client page) runs under
`valgrind --tool=callgrind` twice — with COUNT operations and with none (only the setting up) — and the
difference, divided by COUNT, is the instructions one operation takes. The same binary and input give the
same count whatever else the machine does (the workloads run on one task; Swift's hashing is made
deterministic). Each count is compared with the committed baseline (benchmarks/callgrind-baseline.json):
more than 10 % over fails.

Valgrind 3.19 cannot read the DWARF 5 debug information Swift writes, so a copy of the binary without it is
run (instructions do not depend on debug information).

Usage: python3 benchmarks/callgrind.py WORKLOAD-BINARY [--definitions DIR] [--margin 0.10] [--update]
           [--only NAME,…] [--baseline FILE]
  --update writes the counts measured as the new baseline (after a deliberate change, with its reason in
  the commit message).
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# How many operations each workload runs: enough that the setting up is a small part, few enough that
# valgrind (about 50 times slower) takes seconds.
WORKLOADS = {"evaluate": 400, "issue": 100, "issue-ldp": 50, "verify": 100, "canonicalize": 8, "lint": 10, "client-page": 40}


def instructions(binary, name, count, definitions, scratch):
    """Instructions the whole run of one workload executed (valgrind's `Collected` total)."""
    out = os.path.join(scratch, f"callgrind.{name}.{count}.out")
    environment = dict(os.environ, SWIFT_DETERMINISTIC_HASHING="1")
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, name, str(count), definitions],
        capture_output=True, text=True, env=environment, timeout=1800)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not match:
        sys.exit(f"callgrind: {name} {count} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr[-3000:]}")
    return int(match.group(1)), result.stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--definitions", default=os.path.join(ROOT, "BadgeDefinitions"))
    parser.add_argument("--baseline", default=os.path.join(ROOT, "benchmarks", "callgrind-baseline.json"))
    parser.add_argument("--margin", type=float, default=0.10)
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("callgrind: valgrind is not installed (apt-get install valgrind)")
    names = [n for n in WORKLOADS if not args.only or n in args.only.split(",")]
    scratch = tempfile.mkdtemp(prefix="merkisto-callgrind-")
    try:
        binary = os.path.join(scratch, "merkisto-workload")
        shutil.copy(args.binary, binary)
        subprocess.run(["strip", "--strip-debug", binary], check=True)
        measured = {}
        for name in names:
            count = WORKLOADS[name]
            full, printed = instructions(binary, name, count, args.definitions, scratch)
            setup, _ = instructions(binary, name, 0, args.definitions, scratch)
            measured[name] = {"count": count, "per_operation": round((full - setup) / count), "setup": setup, "printed": printed}
            print(f"  {name:<13} {measured[name]['per_operation']:>14,} instructions per operation  ({count} operations; setting up {setup:,})", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    if args.update:
        baseline = {}
        if os.path.exists(args.baseline):
            with open(args.baseline) as existing:
                baseline = json.load(existing)
        baseline.setdefault("workloads", {})
        for name, figures in measured.items():
            baseline["workloads"][name] = {"count": figures["count"], "per_operation": figures["per_operation"]}
        baseline["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
        baseline["note"] = ("instructions per operation of each merkisto-workload workload, the debug build CI makes (decision 0012), valgrind --tool=callgrind; "
                            "written by benchmarks/callgrind.py --update")
        with open(args.baseline, "w") as out:
            json.dump(baseline, out, indent=2, sort_keys=True)
            out.write("\n")
        print(f"callgrind: baseline written to {args.baseline}")
        return

    with open(args.baseline) as existing:
        baseline = json.load(existing)["workloads"]
    failures = []
    for name, figures in measured.items():
        if name not in baseline:
            failures.append(f"{name}: no baseline (run with --update)")
            continue
        if baseline[name]["count"] != figures["count"]:
            failures.append(f"{name}: the baseline was measured over {baseline[name]['count']} operations, not {figures['count']} (run with --update)")
            continue
        before, now = baseline[name]["per_operation"], figures["per_operation"]
        ratio = now / before
        verdict = "ok" if ratio <= 1 + args.margin else "OVER"
        print(f"  {name:<13} {ratio:6.3f} × the baseline ({now:,} against {before:,})  {verdict}")
        if ratio > 1 + args.margin:
            failures.append(f"{name}: {now:,} instructions per operation, {ratio:.2f} × the baseline's {before:,} (more than {args.margin:.0%} over)")
    if failures:
        print("callgrind: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"callgrind: every workload within {args.margin:.0%} of its baseline")


if __name__ == "__main__":
    main()
