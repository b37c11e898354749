#!/usr/bin/env python3
"""Kills `merkisto` with SIGKILL at random moments while it records assessments and issues credentials,
then checks that nothing acknowledged was lost and nothing is corrupt:

- `PRAGMA integrity_check` answers ok;
- every assessment the CLI reported recorded, and every credential it reported issued, is in the database
  (the credential with exactly the bytes it handed out);
- `merkisto audit verify` finds the hash chain intact;
- no credential id appears twice, in the database or among the credentials handed out.

Usage: python3 Scripts/check-crash.py PATH/TO/merkisto [--operations N] [--seed S]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("--operations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    merkisto = os.path.abspath(args.merkisto)
    work = tempfile.mkdtemp(prefix="merkisto-crash-")
    definitions = os.path.join(ROOT, "BadgeDefinitions")
    common = ["--db", os.path.join(work, "merkisto.sqlite"), "--definitions", definitions, "--keys", os.path.join(work, "keys")]

    def run(*arguments, check=True):
        result = subprocess.run([merkisto, *arguments], capture_output=True, text=True, cwd=work)
        if check and result.returncode != 0:
            sys.exit(f"check-crash: set-up step {arguments[0]} failed: {result.stderr}")
        return result

    run("keys", "generate", "--dir", os.path.join(work, "keys"))
    run("import", os.path.join(ROOT, "examples", "clients"), *common)
    clients, earned = [], {}
    for name in sorted(os.listdir(os.path.join(ROOT, "examples", "clients"))):
        path = os.path.join(ROOT, "examples", "clients", name)
        client = json.load(open(path))["client"]
        clients.append(client)
        result = json.loads(run("evaluate", client, "--format", "json", *common[:4]).stdout)
        earned[client] = [badge["id"] for badge in result["badges"] if badge["earned"]]
    issuers = [client for client in clients if earned[client]]

    # How long an operation takes, so the kills fall across the whole run of a command.
    started = time.monotonic()
    run("assess", clients[0], "--level", "1.1=1", "--evidence", "self", "--id", "timing", *common)
    typical = time.monotonic() - started

    recorded, issued, handed_out = [], {}, []
    kills = 0
    for number in range(args.operations):
        if rng.random() < 0.5:
            client = rng.choice(clients)
            ident = f"crash-{number}"
            command = ["assess", client, "--level", f"{rng.choice(['1.1', '2.1', '4.2', '5.1'])}={rng.randint(0, 3)}",
                       "--evidence", rng.choice(["self", "test", "observed"]), "--id", ident, *common]
        else:
            client = rng.choice(issuers)
            out = os.path.join(work, f"credential-{number}.jwt")
            command = ["issue", client, "--badge", rng.choice(earned[client]), "--replace", "--out", out, *common]
        process = subprocess.Popen([merkisto, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
        kill = rng.random() < 0.7
        if kill:
            time.sleep(rng.uniform(0, typical * 1.3))
            process.send_signal(signal.SIGKILL)
        stdout, stderr = process.communicate()
        if process.returncode == -signal.SIGKILL:
            kills += 1
        if process.returncode != 0:
            continue
        # Only what the CLI reported done counts as acknowledged.
        if command[0] == "assess":
            if f"recorded assessment {ident} for {client}" in stdout:
                recorded.append((client, ident))
        else:
            match = re.search(r"(urn:uuid:[0-9a-f-]{36})", stderr)
            if match and os.path.exists(out):
                issued[match.group(1)] = open(out, "rb").read()
                handed_out.append(match.group(1))

    failures = []
    database = sqlite3.connect(os.path.join(work, "merkisto.sqlite"))
    integrity = database.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        failures.append(f"integrity_check: {integrity}")
    stored_assessments = set(database.execute("SELECT client, id FROM assessment").fetchall())
    for entry in recorded:
        if entry not in stored_assessments:
            failures.append(f"assessment {entry} was reported recorded but is missing")
    stored = {}
    # A credential's bytes: its group's shared prefix (when it has one) followed by what the row keeps.
    rows = database.execute(
        "SELECT credential.id, credentialPrefix.bytes, credential.bytes FROM credential "
        "LEFT JOIN credentialPrefix ON credentialPrefix.id = credential.prefix")
    for ident, prefix, rest in rows:
        if ident in stored:
            failures.append(f"credential {ident} appears twice")
        stored[ident] = bytes(prefix or b"") + bytes(rest)
    for ident, data in issued.items():
        if ident not in stored:
            failures.append(f"credential {ident} was handed out but is missing")
        elif stored[ident] != data:
            failures.append(f"credential {ident} was handed out with other bytes than stored")
    if len(handed_out) != len(set(handed_out)):
        failures.append("a credential id was handed out twice")
    # And as the CLI gives them back.
    for ident in list(issued)[:20]:
        exported = subprocess.run([merkisto, "export", ident, "--db", os.path.join(work, "merkisto.sqlite")], capture_output=True, cwd=work)
        if exported.returncode != 0 or exported.stdout.rstrip(b"\n") != issued[ident].rstrip(b"\n"):
            failures.append(f"merkisto export {ident} does not give back the bytes handed out")
    database.close()
    audit = run("audit", "verify", "--db", os.path.join(work, "merkisto.sqlite"), check=False)
    if audit.returncode != 0:
        failures.append(f"audit verify: {audit.stderr.strip()}")

    print(f"check-crash: seed {args.seed}: {args.operations} operations, {kills} killed with SIGKILL, "
          f"{len(recorded)} assessments and {len(issued)} credentials acknowledged, all checked")
    for failure in failures:
        print(f"check-crash: FAIL {failure}")
    if failures:
        print(f"check-crash: the database is kept in {work}")
        return 1
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
