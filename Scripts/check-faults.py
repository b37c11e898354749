#!/usr/bin/env python3
"""Fault injection: what Merkisto does when the disk fills, when the database is read-only, and when the
server is killed under a write load through the API.

1. Disk full: the database and keys on a small tmpfs, filled up to the last few kilobytes, then
   assessments recorded and credentials issued until they fail. Each failure must be a clear error (exit
   1, "full"), and nothing half-written: with space again, `PRAGMA integrity_check` is ok, the audit chain
   verifies, everything acknowledged is there, and the next write works.
2. Read-only: the same tmpfs remounted read-only; recording and issuing fail with a clear error (exit 1,
   "read-only"); remounted read-write, the database is as it was.
3. SIGKILL under load: `merkisto serve` with four clients posting assessments and issuing credentials
   through the API, killed with SIGKILL after a few seconds; after a restart, every write that was
   answered 201 is present, the audit chain verifies, and `PRAGMA integrity_check` is ok.

Needs root (to mount the tmpfs). Usage: python3 Scripts/check-faults.py PATH/TO/merkisto [--port 8794]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import demo_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFINITIONS = os.path.join(ROOT, "BadgeDefinitions")


def checked_database(path, expect, what):
    """integrity_check and the audit chain of the database at `path`."""
    database = sqlite3.connect(path)
    integrity = database.execute("PRAGMA integrity_check").fetchone()[0]
    expect(f"{what}: PRAGMA integrity_check is ok", integrity == "ok", integrity)
    assessments = set(database.execute("SELECT client, id FROM assessment").fetchall())
    credentials = {row[0] for row in database.execute("SELECT id FROM credential")}
    database.close()
    return assessments, credentials


def audit_verifies(merkisto, database, cwd):
    run = subprocess.run([merkisto, "audit", "verify", "--db", database], capture_output=True, text=True, cwd=cwd)
    return run.returncode == 0, run.stdout + run.stderr


def disk_faults(merkisto, work, expect):
    mount = os.path.join(work, "small-disk")
    os.makedirs(mount)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount], capture_output=True, text=True)
    if mounted.returncode != 0:
        expect("an 8 MB tmpfs can be mounted (the check needs root)", False, mounted.stderr)
        return
    try:
        database = os.path.join(mount, "merkisto.sqlite")
        keys = os.path.join(mount, "keys")
        common = ["--db", database, "--definitions", DEFINITIONS, "--keys", keys]

        def run(*arguments):
            return subprocess.run([merkisto, *arguments], capture_output=True, text=True, cwd=work)

        for step in (["keys", "generate", "--dir", keys], ["import", os.path.join(ROOT, "examples", "clients"), *common]):
            result = run(*step)
            if result.returncode != 0:
                expect(f"set-up: merkisto {step[0]}", False, result.stderr)
                return
        client = json.load(open(os.path.join(ROOT, "examples", "clients", "edistyja.json")))["client"]
        evaluation = json.loads(run("evaluate", client, "--format", "json", *common[:4]).stdout)
        badge = next(b["id"] for b in evaluation["badges"] if b["earned"])

        # Fill the disk up to its last 256 KB.
        statistics = os.statvfs(mount)
        free = statistics.f_bavail * statistics.f_frsize
        with open(os.path.join(mount, "filler"), "wb") as filler:
            filler.write(b"\0" * max(0, free - 256 * 1024))
        recorded, issued, failure = [], [], None
        for number in range(400):
            if number % 2 == 0:
                ident = f"full-{number}"
                result = run("assess", client, "--level", "1.1=2", "--evidence", "self", "--id", ident, *common)
                if result.returncode == 0 and f"recorded assessment {ident}" in result.stdout:
                    recorded.append((client, ident))
            else:
                out = os.path.join(work, f"full-{number}.jwt")
                result = run("issue", client, "--badge", badge, "--replace", "--out", out, *common)
                if result.returncode == 0:
                    issued.append(open(out, "rb").read())
            if result.returncode != 0:
                failure = result
                break
        expect(f"disk full: writing stops with a clear error after {len(recorded)} assessments and {len(issued)} credentials "
               f"(exit 1, says the disk is full)",
               failure is not None and failure.returncode == 1 and "disk is full" in (failure.stderr + failure.stdout).lower()
               and len(recorded) + len(issued) > 0,
               (failure.stderr + failure.stdout) if failure else "no write failed")
        # The other kind of write fails as clearly on the full disk — full now to the last byte. A write may still
        # fit into space the write-ahead log already holds (the frames of the write that failed): those are
        # acknowledged and kept like the others, and the next ones must fail clearly.
        try:
            with open(os.path.join(mount, "filler"), "ab") as filler:
                while True:
                    filler.write(b"\0" * 4096)
                    filler.flush()
        except OSError:
            pass
        other_kind = "issue" if failure and failure.args[1] == "assess" else "assess"
        other, fitted = None, 0
        for number in range(50):
            if other_kind == "issue":
                out = os.path.join(work, f"full-other-{number}.jwt")
                result = run("issue", client, "--badge", badge, "--replace", "--out", out, *common)
                if result.returncode == 0:
                    issued.append(open(out, "rb").read())
            else:
                ident = f"full-other-{number}"
                result = run("assess", client, "--level", "1.1=2", "--evidence", "self", "--id", ident, *common)
                if result.returncode == 0 and f"recorded assessment {ident}" in result.stdout:
                    recorded.append((client, ident))
            if result.returncode != 0:
                other = result
                break
            fitted += 1
        expect(f"disk full: {other_kind} fails as clearly (exit 1, says the disk is full; {fitted} fitted into the log's space first)",
               other is not None and other.returncode == 1 and "disk is full" in (other.stderr + other.stdout).lower(),
               (other.stderr + other.stdout) if other else f"no {other_kind} failed")
        failed_issue = failure if failure and failure.args[1] == "issue" else other
        if failed_issue is not None:
            expect("disk full: the credential that could not be recorded was not handed out (no --out file)",
                   not os.path.exists(failed_issue.args[failed_issue.args.index("--out") + 1]))
        os.remove(os.path.join(mount, "filler"))
        assessments, credentials = checked_database(database, expect, "disk full")
        expect("disk full: every acknowledged assessment is stored", all(entry in assessments for entry in recorded))
        expect("disk full: nothing half-written (no assessment or credential beyond what was acknowledged, but for the failing one)",
               len(assessments) - len([a for a in assessments if not a[1].startswith("full-")]) <= len(recorded) + 1)
        ok, said = audit_verifies(merkisto, database, work)
        expect("disk full: the audit chain verifies", ok, said)
        after = run("assess", client, "--level", "1.1=2", "--evidence", "self", "--id", "after-full", *common)
        expect("disk full: with space again, the next write works", after.returncode == 0, after.stderr)

        # Read-only.
        before = checked_database(database, expect, "before read-only")
        remount = subprocess.run(["mount", "-o", "remount,ro", mount], capture_output=True, text=True)
        expect("read-only: the tmpfs is remounted read-only", remount.returncode == 0, remount.stderr)
        assess = run("assess", client, "--level", "1.1=3", "--evidence", "self", "--id", "read-only", *common)
        issue = run("issue", client, "--badge", badge, "--replace", "--out", os.path.join(work, "read-only.jwt"), *common)
        for name, result in (("recording", assess), ("issuing", issue)):
            said = (result.stderr + result.stdout).lower()
            expect(f"read-only: {name} fails with a clear error (exit 1, says read-only)", result.returncode == 1 and "read-only" in said, said)
            print("     " + said.strip()[:300])
        subprocess.run(["mount", "-o", "remount,rw", mount], check=True)
        expect("read-only: afterwards the database is as it was", checked_database(database, expect, "after read-only") == before)
    finally:
        subprocess.run(["umount", "-l", mount])


def kill_under_load(merkisto, work, port, expect):
    database = os.path.join(work, "served.sqlite")
    server = demo_server.start(merkisto, port, database, work)
    if server is None:
        expect("the server starts", False)
        return
    base = f"http://127.0.0.1:{port}/api/v1"
    token = demo_server.token(merkisto, database, "demo-admin", "read", "record", "award", "admin")

    def call(method, path, body=None):
        request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")

    clients = [c["id"] for c in call("GET", "/clients")[1]["clients"]]
    earned = []
    for client in clients:
        evaluation = call("GET", f"/clients/{client}/evaluation")[1]
        earned += [(client, b["id"]) for b in evaluation["badges"] if b["earned"]]
    acknowledged_assessments, acknowledged_credentials = [], []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(number):
        count = 0
        while not stop.is_set():
            count += 1
            try:
                if count % 2 == 0 and earned:
                    client, badge = earned[(number + count) % len(earned)]
                    # Replacing the one held (a client holds one valid credential per badge and format); two
                    # writers on the same badge at once: the later one is refused (409) and not counted.
                    status, body = call("POST", f"/clients/{client}/credentials", {"badge": badge, "replace": True})
                    if status == 201:
                        with lock:
                            acknowledged_credentials.append(body["id"])
                else:
                    client = clients[(number + count) % len(clients)]
                    ident = f"load-{number}-{count}"
                    status, body = call("POST", f"/clients/{client}/assessments", {
                        "id": ident, "assessedAt": "2026-04-16T10:00:00+03:00", "evidence": "observed",
                        "levels": [{"competence": "1.1", "level": 2}]})
                    if status == 201:
                        with lock:
                            acknowledged_assessments.append((client, ident))
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError, ValueError):
                if server.poll() is not None:
                    return
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(4)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    for thread in threads:
        thread.join()
    expect(f"SIGKILL under load: {len(acknowledged_assessments)} assessments and {len(acknowledged_credentials)} credentials were answered 201 first",
           len(acknowledged_assessments) > 10 and len(acknowledged_credentials) > 10)
    # A restart on the same database (no demo now): it opens, and answers.
    restarted = subprocess.Popen(
        [merkisto, "serve", "--port", str(port), "--db", database, "--keys", os.path.join(work, "keys"), "--definitions", DEFINITIONS,
         "--base-url", f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work)
    try:
        answered = False
        for _ in range(100):
            try:
                answered = call("GET", "/clients")[0] == 200
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        expect("SIGKILL under load: the server starts again on the same database and answers", answered)
    finally:
        demo_server.stop(restarted)
    assessments, credentials = checked_database(database, expect, "SIGKILL under load")
    missing_assessments = [a for a in acknowledged_assessments if a not in assessments]
    missing_credentials = [c for c in acknowledged_credentials if c not in credentials]
    expect("SIGKILL under load: every assessment answered 201 is stored", not missing_assessments, missing_assessments[:5])
    expect("SIGKILL under load: every credential answered 201 is stored", not missing_credentials, missing_credentials[:5])
    ok, said = audit_verifies(merkisto, database, work)
    expect("SIGKILL under load: the audit chain verifies", ok, said)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("--port", type=int, default=8794)
    args = parser.parse_args()
    merkisto = os.path.abspath(args.merkisto)
    work = tempfile.mkdtemp(prefix="merkisto-faults-")
    failures = []
    expect = demo_server.expecter(failures)
    disk_faults(merkisto, work, expect)
    kill_under_load(merkisto, work, args.port, expect)
    if failures:
        print(f"check-faults: {len(failures)} failed; kept {work}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("check-faults: disk full, read-only and SIGKILL under load: nothing acknowledged lost, nothing half-written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
