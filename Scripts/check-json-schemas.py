#!/usr/bin/env python3
"""Checks Merkisto's JSON documents against the JSON Schemas in Schemas/json with the `jsonschema` package:
every example client record, and the evaluation result of each (in every language) from the real binary.

Usage: python3 Scripts/check-json-schemas.py PATH/TO/merkisto
"""
import glob
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError:  # a fresh machine without it: install for this user only
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--user", "jsonschema"], check=True)
    import site
    sys.path.append(site.getusersitepackages())
    import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(name):
    with open(os.path.join(ROOT, "Schemas", "json", name)) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    record_schema = load("client-record.schema.json")
    result_schema = load("evaluation-result.schema.json")
    failures = 0
    clients = sorted(glob.glob(os.path.join(ROOT, "examples", "clients", "*.json")))
    if not clients:
        print("check-json-schemas: no example clients found")
        return 1
    for path in clients:
        with open(path) as f:
            errors = list(record_schema.iter_errors(json.load(f)))
        for error in errors:
            print(f"{os.path.relpath(path, ROOT)}: {error.json_path}: {error.message}")
        failures += len(errors)
        for language in ("fi", "sv", "en"):
            run = subprocess.run(
                [binary, "evaluate", path, "--at", "2026-11-22T12:00:00+02:00", "--format", "json", "--lang", language],
                capture_output=True, cwd=ROOT)
            if run.returncode != 0:
                print(f"{os.path.relpath(path, ROOT)} ({language}): evaluate exited {run.returncode}: {run.stderr.decode()}")
                failures += 1
                continue
            errors = list(result_schema.iter_errors(json.loads(run.stdout)))
            for error in errors:
                print(f"result of {os.path.relpath(path, ROOT)} ({language}): {error.json_path}: {error.message}")
            failures += len(errors)
    # The schema must also refuse what the reader refuses: a timestamp without an offset.
    bad = {"client": "x", "assessments": [{"id": "a", "assessedAt": "2026-01-01T10:00:00", "assessor": "o",
                                            "evidence": "self", "levels": [{"competence": "1.1", "level": 1}]}]}
    if record_schema.is_valid(bad):
        print("client-record.schema.json accepts a timestamp without an offset")
        failures += 1
    if failures:
        print(f"check-json-schemas: {failures} problem(s)")
        return 1
    print(f"check-json-schemas: {len(clients)} client records and their results match the schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
