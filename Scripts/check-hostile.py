#!/usr/bin/env python3
"""Runs `merkisto lint` on hostile XML and checks the promises of DESIGN.md §3 and §7 on the real binary.

For each input: exit status 1, exactly one error diagnostic with the expected code, under 1 second of
wall time, under 200 MB of peak memory (resident set), nothing from the secret file in any output, and
no request reaching the loopback HTTP server the hostile files point at.

Usage: python3 Scripts/check-hostile.py PATH/TO/merkisto
"""
import http.server
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

SECRET = "MERKISTO-HOSTILE-SECRET-41c7"
NS = 'xmlns="urn:merkisto:definitions:1"'
LIMIT_SECONDS = 1.0
LIMIT_BYTES = 200 * 1024 * 1024


class Recorder(http.server.SimpleHTTPRequestHandler):
    requests = []

    def do_GET(self):  # noqa: N802 (http.server API)
        Recorder.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


def hostile_files(directory, port):
    secret_path = os.path.join(directory, "secret.txt")
    with open(secret_path, "w") as f:
        f.write(SECRET)
    url = f"http://127.0.0.1:{port}/secret.txt"
    bomb = '<!ENTITY lol0 "lollollollollollollollollollol">\n' + "".join(
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">\n' for i in range(1, 13))
    cases = {
        "xxe-local-file": ("doctype-forbidden",
                           f'<?xml version="1.0"?>\n<!DOCTYPE badge [<!ENTITY x SYSTEM "file://{secret_path}">]>\n'
                           f'<badge {NS} id="x"><name xml:lang="fi">&x;</name></badge>\n'),
        "xxe-http": ("doctype-forbidden",
                     f'<?xml version="1.0"?>\n<!DOCTYPE badge [<!ENTITY x SYSTEM "{url}">]>\n<badge {NS}>&x;</badge>\n'),
        "external-dtd-http": ("doctype-forbidden",
                              f'<?xml version="1.0"?>\n<!DOCTYPE badge SYSTEM "{url}">\n<badge {NS}/>\n'),
        "parameter-entity-http": ("doctype-forbidden",
                                  f'<?xml version="1.0"?>\n<!DOCTYPE badge [<!ENTITY % p SYSTEM "{url}"> %p;]>\n<badge {NS}/>\n'),
        "entity-bomb": ("doctype-forbidden",
                        f'<?xml version="1.0"?>\n<!DOCTYPE badge [\n{bomb}]>\n<badge {NS}>&lol12;</badge>\n'),
        "nested-10000": ("too-deep", f"<badge {NS}>" + "<all-of>" * 10000 + "</all-of>" * 10000 + "</badge>"),
        "invalid-utf8": ("bad-encoding", f'<badge {NS}><name xml:lang="fi">'.encode() + b"\xc3\x28\xff" + b"</name></badge>"),
        "not-xml": ("not-well-formed", "This is a shopping list, not XML.\n- milk\n- bread\n"),
    }
    paths = {}
    for name, (code, content) in cases.items():
        path = os.path.join(directory, name + ".xml")
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        paths[name] = (path, code)
    huge = os.path.join(directory, "huge-50mb.xml")
    with open(huge, "wb") as f:
        f.write(f"<badge {NS}>".encode())
        chunk = b"<!-- " + b"x" * 1000 + b" -->\n"
        for _ in range(50 * 1024):
            f.write(chunk)
        f.write(b"</badge>")
    paths["huge-50mb"] = (huge, "file-too-large")
    return paths


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    failures = []
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            for name, (path, code) in hostile_files(directory, server.server_address[1]).items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                start = time.monotonic()
                run = subprocess.run([binary, "lint", "--format", "json", path], capture_output=True, timeout=30)
                elapsed = time.monotonic() - start
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
                output = run.stdout.decode(errors="replace") + run.stderr.decode(errors="replace")
                problems = []
                if run.returncode != 1:
                    problems.append(f"exit status {run.returncode}, expected 1")
                try:
                    errors = [d for d in json.loads(run.stdout) if d["severity"] == "error"]
                    if [d["code"] for d in errors] != [code]:
                        problems.append(f"diagnostics {[d['code'] for d in errors]}, expected [{code}]")
                except (ValueError, KeyError, TypeError) as error:
                    problems.append(f"output is not the JSON diagnostics array ({error})")
                if elapsed >= LIMIT_SECONDS:
                    problems.append(f"took {elapsed:.2f} s")
                if peak >= LIMIT_BYTES and peak > before * 1024:
                    problems.append(f"peak memory {peak / 1048576:.0f} MB")
                if SECRET in output or "lollol" in output:
                    problems.append("referenced content leaked into the output")
                status = "ok" if not problems else "FAIL: " + "; ".join(problems)
                print(f"{name:24} {code:18} {elapsed * 1000:6.0f} ms  {peak / 1048576:5.0f} MB peak  {status}")
                if problems:
                    failures.append(name)
        finally:
            server.shutdown()
    if Recorder.requests:
        print(f"FAIL: the loopback server received requests: {Recorder.requests}")
        failures.append("network")
    if failures:
        print(f"check-hostile: {len(failures)} failure(s): {', '.join(failures)}")
        return 1
    print("check-hostile: every hostile input was rejected safely")
    return 0


if __name__ == "__main__":
    sys.exit(main())
