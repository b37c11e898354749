#!/usr/bin/env python3
"""Two `merkisto serve` on one PostgreSQL database behind nginx (an upstream of both, round robin).

Eight writers through nginx for 10 s — recording assessments, and issuing badges that replace the ones held,
so that writers at both servers race for the same awards — while one server is killed with SIGKILL and
started again. Then, read from the database itself:
  - every write answered 201 is there;
  - no client holds two valid credentials of one badge and format;
  - no status-list place is handed out twice;
  - the audit chain verifies (`merkisto audit verify`);
  - a revocation made through one server is in the other's status list within 1 s.

Usage: python3 Scripts/check-servers.py PATH/TO/merkisto postgres://USER@HOST:PORT/postgres?sslmode=disable
(the server address of a cluster the check may make a database on; Scripts/pg-cluster.sh starts one).
"""
import argparse
import base64
import datetime
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import demo_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFINITIONS = os.path.join(ROOT, "BadgeDefinitions")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def psql(server, database, sql):
    """Rows of a query, through psql (an independent client), each a list of text fields."""
    parts = urllib.parse.urlsplit(server)
    result = subprocess.run(
        ["psql", "-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username or "postgres", "-d", database, "-At", "-F", "\t", "-c", sql],
        capture_output=True, text=True, check=True)
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def database_url(server, database):
    parts = urllib.parse.urlsplit(server)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def wait_ready(port, process, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def bit_set(document, index):
    """Whether bit `index` of a Bitstring Status List credential's encodedList is set (MSB first)."""
    encoded = document["credentialSubject"]["encodedList"]
    data = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    return bool(data[index // 8] >> (7 - index % 8) & 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("server")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    merkisto = os.path.abspath(args.merkisto)
    work = tempfile.mkdtemp(prefix="merkisto-servers-")
    failures = []
    expect = demo_server.expecter(failures)
    name = "merkisto_servers_" + os.urandom(4).hex()
    psql(args.server, "postgres", f"CREATE DATABASE {name}")
    url = database_url(args.server, name)
    keys = os.path.join(work, "keys")
    front = free_port()
    base = f"http://127.0.0.1:{front}/"
    processes = {}
    nginx = None
    try:
        # The demo's clients, users and credentials, written once by a server that then stops.
        seed_port = free_port()
        seeding = subprocess.Popen(
            [merkisto, "serve", "--demo", "--db", url, "--keys", keys, "--port", str(seed_port), "--base-url", base,
             "--definitions", DEFINITIONS, "--examples", os.path.join(ROOT, "examples", "clients")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work)
        expect("the demo is written into the PostgreSQL database", wait_ready(seed_port, seeding, 120))
        demo_server.stop(seeding)
        token = subprocess.run(
            [merkisto, "token", "create", "demo-admin", "--name", "check", "--db", url, "--keys", keys, "--definitions", DEFINITIONS,
             "--scope", "read", "--scope", "record", "--scope", "award", "--scope", "admin"],
            capture_output=True, text=True, check=True, cwd=work).stdout.strip()
        ports = {"a": free_port(), "b": free_port()}

        def start(server):
            processes[server] = subprocess.Popen(
                [merkisto, "serve", "--db", url, "--keys", keys, "--port", str(ports[server]), "--base-url", base, "--definitions", DEFINITIONS,
                 "--behind-proxy"],
                stdout=open(os.path.join(work, f"server-{server}.log"), "a"), stderr=subprocess.STDOUT, cwd=work)
            return wait_ready(ports[server], processes[server])

        # Both at once: they migrate once, under the advisory lock, and both come up.
        started = [None, None]
        threads = [threading.Thread(target=lambda i=i, s=s: started.__setitem__(i, start(s))) for i, s in enumerate("ab")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expect("two servers start together on one database", all(started))

        os.makedirs(os.path.join(work, "nginx"), exist_ok=True)
        with open(os.path.join(work, "nginx.conf"), "w") as conf:
            conf.write(f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx;
    proxy_temp_path {work}/nginx;
    upstream merkisto {{
        server 127.0.0.1:{ports['a']} max_fails=1 fail_timeout=1s;
        server 127.0.0.1:{ports['b']} max_fails=1 fail_timeout=1s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{front};
        location / {{
            proxy_pass http://merkisto;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
""")
        nginx = subprocess.run(["nginx", "-c", os.path.join(work, "nginx.conf"), "-p", work], capture_output=True, text=True)
        expect("nginx starts in front of both", nginx.returncode == 0, nginx.stderr)

        def call(method, path, body=None, port=front):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1{path}", method=method, data=None if body is None else json.dumps(body).encode(),
                headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read() or b"null")

        clients = [c["id"] for c in call("GET", "/clients")[1]["clients"]]
        earned = []
        for client in clients:
            earned += [(client, b["id"]) for b in call("GET", f"/clients/{client}/evaluation")[1]["badges"] if b["earned"]]
        expect(f"the demo has clients with earned badges ({len(clients)} clients, {len(earned)} earned)", clients and earned)

        assessments, credentials, refused, failed = [], [], [0], [0]
        lock = threading.Lock()
        stop = threading.Event()

        def writer(number):
            count = 0
            while not stop.is_set():
                count += 1
                try:
                    if count % 2 == 0:
                        # Every writer goes round the same few awards: both servers replace the same ones at once.
                        client, badge = earned[(count // 2) % min(len(earned), 3)]
                        status, body = call("POST", f"/clients/{client}/credentials", {"badge": badge, "replace": True})
                        if status == 201:
                            with lock:
                                credentials.append(body["id"])
                    else:
                        client = clients[(number + count) % len(clients)]
                        ident = f"servers-{number}-{count}"
                        status, _ = call("POST", f"/clients/{client}/assessments", {
                            "id": ident, "assessedAt": "2026-04-16T10:00:00+03:00", "evidence": "observed",
                            "levels": [{"competence": "1.1", "level": 2}]})
                        if status == 201:
                            with lock:
                                assessments.append((client, ident))
                except urllib.error.HTTPError as error:
                    with lock:
                        if error.code == 409:
                            refused[0] += 1
                        else:
                            failed[0] += 1
                except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError, ValueError):
                    with lock:
                        failed[0] += 1

        writers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for thread in writers:
            thread.start()
        time.sleep(args.seconds * 0.3)
        processes["b"].send_signal(signal.SIGKILL)
        processes["b"].wait()
        time.sleep(args.seconds * 0.2)
        restarted = start("b")
        time.sleep(max(0, args.seconds * 0.5))
        stop.set()
        for thread in writers:
            thread.join()
        expect("the killed server starts again on the same database", restarted)
        expect(f"writes went on through nginx: {len(assessments)} assessments and {len(credentials)} credentials answered 201, "
               f"{refused[0]} refused as held (409), {failed[0]} not answered", len(assessments) > 20 and len(credentials) > 5)

        stored_assessments = {tuple(row) for row in psql(args.server, name, "SELECT client, id FROM assessment")}
        missing = [a for a in assessments if a not in stored_assessments]
        expect("every assessment answered 201 is in the database", not missing, missing[:5])
        stored_credentials = {row[0] for row in psql(args.server, name, "SELECT id FROM credential")}
        missing = [c for c in credentials if c not in stored_credentials]
        expect("every credential answered 201 is in the database", not missing, missing[:5])

        now = datetime.datetime.now(datetime.timezone.utc)
        held = {}
        for ident, client, badge, fmt, valid_until in psql(
                args.server, name,
                "SELECT k.id, k.client, k.badge, k.format, coalesce(k.valid_until, '') FROM credential k "
                "WHERE NOT EXISTS (SELECT 1 FROM revocation r WHERE r.credential_id = k.id)"):
            if valid_until and datetime.datetime.fromisoformat(valid_until.replace("Z", "+00:00")) <= now:
                continue
            held.setdefault((client, badge, fmt), []).append(ident)
        doubles = {key: ids for key, ids in held.items() if len(ids) > 1}
        expect("no client holds two valid credentials of one badge and format", not doubles, list(doubles.items())[:3])
        places = psql(args.server, name, "SELECT list, idx, count(*) FROM status_place GROUP BY list, idx HAVING count(*) > 1")
        bound = psql(args.server, name, "SELECT credential, count(*) FROM status_place WHERE credential IS NOT NULL GROUP BY credential HAVING count(*) > 1")
        expect("no status-list place is handed out twice, nor a credential given two", not places and not bound, (places + bound)[:3])
        verified = subprocess.run([merkisto, "audit", "verify", "--db", url], capture_output=True, text=True, cwd=work)
        expect("the audit chain verifies", verified.returncode == 0, verified.stdout + verified.stderr)

        # A backup while both servers run, restored into a new database: the same log to the same head.
        dump = os.path.join(work, "backup.dump")
        backup = subprocess.run([merkisto, "backup", "--db", url, "--out", dump], capture_output=True, text=True, cwd=work)
        expect("merkisto backup writes pg_dump's archive while the servers run", backup.returncode == 0 and os.path.exists(dump), backup.stderr)
        restored_name = name + "_restored"
        psql(args.server, "postgres", f"CREATE DATABASE {restored_name}")
        try:
            parts = urllib.parse.urlsplit(args.server)
            restore = subprocess.run(
                ["pg_restore", "-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username or "postgres", "-d", restored_name, dump],
                capture_output=True, text=True)
            again = subprocess.run([merkisto, "audit", "verify", "--db", database_url(args.server, restored_name)], capture_output=True, text=True, cwd=work)
            head = lambda text: text.strip().rsplit(" ", 1)[-1]
            expect("the backup restores with pg_restore into a database whose audit log verifies, to the head it had when backed up",
                   restore.returncode == 0 and again.returncode == 0 and head(again.stdout) == head(verified.stdout),
                   restore.stderr + again.stdout + again.stderr)
        finally:
            psql(args.server, "postgres", f"DROP DATABASE IF EXISTS {restored_name} WITH (FORCE)")

        # A revocation through server a, seen in server b's status list.
        ident = next(c for c in reversed(credentials) if c in stored_credentials
                     and psql(args.server, name, f"SELECT 1 FROM status_place WHERE credential = '{c}'")
                     and not psql(args.server, name, f"SELECT 1 FROM revocation WHERE credential_id = '{c}'"))
        list_number, index = (int(v) for v in psql(args.server, name, f"SELECT list, idx FROM status_place WHERE credential = '{ident}'")[0])
        path = f"status/revocation/{list_number}.json"

        def listed(port):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=5) as response:
                return bit_set(json.loads(response.read()), index)

        expect("before: the other server's list does not have the credential", not listed(ports["b"]))
        call("POST", "/revocations", {"credential": ident, "reason": "the two-server check"}, port=ports["a"])
        revoked = time.monotonic()
        seen = None
        while time.monotonic() - revoked < 3:
            if listed(ports["b"]):
                seen = time.monotonic() - revoked
                break
            time.sleep(0.02)
        expect(f"a revocation at one server is in the other's status list within 1 s (seen after {seen if seen is None else round(seen, 3)} s)",
               seen is not None and seen <= 1)
    finally:
        if nginx is not None and os.path.exists(os.path.join(work, "nginx.pid")):
            subprocess.run(["nginx", "-c", os.path.join(work, "nginx.conf"), "-p", work, "-s", "stop"], capture_output=True)
        for process in processes.values():
            if process.poll() is None:
                demo_server.stop(process)
        try:
            psql(args.server, "postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass
        if failures:
            for server in "ab":
                log = os.path.join(work, f"server-{server}.log")
                if os.path.exists(log):
                    print(f"--- server {server} (last lines)")
                    print("".join(open(log).readlines()[-20:]))
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} of the checks failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
