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
import urllib.request

import demo_server

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
    server = demo_server.start(args.merkisto, args.port, database, work)
    if server is None:
        print("check-api: the server did not start", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(base + "openapi.json", timeout=10) as response:
            served = response.read()
        if served != contract:
            print("check-api: /openapi.json is not the repository's openapi.json", file=sys.stderr)
            return 1
        print("ok   /openapi.json serves the document byte for byte")

        token = demo_server.token(args.merkisto, database, "demo-admin", "read", "record", "award", "admin")
        # As a module of this Python (a console script installed a moment ago may not be on PATH yet).
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", base + "openapi.json", "--header", "Authorization: Bearer " + token,
             "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
             "--max-examples", str(args.examples), "--seed", "20261202", "--workers", "1", "--phases", "examples,coverage,fuzzing",
             "--suppress-health-check", "all", "--no-color"],
            cwd=work, env={**os.environ, "SCHEMATHESIS_HOOKS": os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis_hooks.py")})
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
