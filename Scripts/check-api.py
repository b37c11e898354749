#!/usr/bin/env python3
"""Checks the JSON API from outside, with tools we did not write:

  * the OpenAPI document (Sources/Server/openapi.json, which the server's interface is generated from)
    validates with openapi-spec-validator, and `merkisto serve` serves exactly that file at /openapi.json;
  * a bounded, seeded schemathesis run against `merkisto serve --demo`, with the demo admin's API token,
    finds no 5xx answer and no answer that breaks the document (status, content type, schema).

Usage: python3 Scripts/check-api.py PATH/TO/merkisto [--port 8798] [--examples 25]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCUMENT = os.path.join(ROOT, "Sources", "Server", "openapi.json")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--examples", type=int, default=25)
    args = parser.parse_args()
    args.merkisto = os.path.abspath(args.merkisto)
    base = f"http://127.0.0.1:{args.port}/"

    from openapi_spec_validator import validate
    with open(DOCUMENT, "rb") as file:
        contract = file.read()
    validate(json.loads(contract))
    print("ok   openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator)")

    work = tempfile.mkdtemp(prefix="merkisto-api-")
    database = os.path.join(work, "merkisto.sqlite")
    server = subprocess.Popen(
        [args.merkisto, "serve", "--demo", "--port", str(args.port), "--db", database,
         "--definitions", os.path.join(ROOT, "BadgeDefinitions"), "--examples", os.path.join(ROOT, "examples", "clients")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                print(server.stdout.read() if server.poll() is not None else "(no answer in 120 s)")
                print("check-api: the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        with urllib.request.urlopen(base + "openapi.json", timeout=10) as response:
            served = response.read()
        if served != contract:
            print("check-api: /openapi.json is not the repository's openapi.json", file=sys.stderr)
            return 1
        print("ok   /openapi.json serves the document byte for byte")

        token = subprocess.run(
            [args.merkisto, "token", "create", "demo-admin", "--name", "schemathesis", "--scope", "read", "--scope", "record",
             "--scope", "award", "--scope", "admin", "--db", database, "--keys", os.path.join(work, "keys"),
             "--definitions", os.path.join(ROOT, "BadgeDefinitions")],
            capture_output=True, text=True)
        if token.returncode != 0:
            print(token.stderr, file=sys.stderr)
            return 1
        # As a module of this Python (a console script installed a moment ago may not be on PATH yet).
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", base + "openapi.json", "--header", "Authorization: Bearer " + token.stdout.strip(),
             "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
             "--max-examples", str(args.examples), "--seed", "20261202", "--workers", "1", "--phases", "examples,coverage,fuzzing",
             "--suppress-health-check", "all", "--no-color"],
            cwd=work)
        if run.returncode != 0:
            print("check-api: schemathesis found answers that break the document or fail", file=sys.stderr)
            return 1
        print("ok   schemathesis: no server error and no answer outside the document")
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("check-api: the API keeps its contract")
    return 0


if __name__ == "__main__":
    sys.exit(main())
