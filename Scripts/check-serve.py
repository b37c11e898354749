#!/usr/bin/env python3
"""Checks `merkisto serve` from outside, as a verifier meets it: the real binary on 127.0.0.1, checked by the
public reference validators in ../shared/tools/peers (code we did not write).

  * `merkisto serve --demo` starts on a fresh database and answers /healthz;
  * ob2_verify.py (1EdTech openbadges-validator-core) verifies a hosted and a signed OB 2.0 assertion whose
    issuer, badge class, image, key and revocation list it fetches from the server;
  * ob3_verify.py (openbadgeslib + the OB 3.0 JSON Schema) verifies an OB 3.0 credential fetched from the
    server by its id, with the JWK from the server's JWKS;
  * after both OB 2.0 assertions are revoked (by `merkisto revoke` on the same database while the server
    runs), the server answers 410 Gone for the hosted one and ob2_verify.py fails both;
  * a one-time sign-in code made through the API: zbarimg reads its QR code as its link, and it signs the
    client in once;
  * SIGTERM in the middle of a write load (credentials issued through the API by eight clients at once)
    stops the server with exit status 0; every credential the API acknowledged is in the database and the
    audit chain is intact.

Usage: python3 Scripts/check-serve.py PATH/TO/merkisto PATH/TO/shared/tools/peers [--port 8797]
"""
import argparse
import base64
import json
import os
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


def fetch(url):
    """(status, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def credentials(database):
    """{id: (format, bytes)} of every stored credential (a shared prefix, when there is one, joined back)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT credential.id, credential.format, credentialPrefix.bytes, credential.bytes FROM credential "
            "LEFT JOIN credentialPrefix ON credentialPrefix.id = credential.prefix").fetchall()
    return {ident: (kind, bytes(prefix or b"") + bytes(rest)) for ident, kind, prefix, rest in rows}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("peers")
    parser.add_argument("--port", type=int, default=8797)
    args = parser.parse_args()
    # The peers run in a temporary folder: name them (and the binary) by absolute paths.
    args.peers = os.path.abspath(args.peers)
    args.merkisto = os.path.abspath(args.merkisto)
    base = f"http://127.0.0.1:{args.port}/"
    work = tempfile.mkdtemp(prefix="merkisto-serve-")
    database = os.path.join(work, "merkisto.sqlite")
    failures = []
    expect = demo_server.expecter(failures)

    def peer(script, *more):
        return subprocess.run([sys.executable, os.path.join(args.peers, script), *more], capture_output=True, text=True, cwd=work)

    # From a folder with nothing in it: the demo uses the definitions and examples the program carries.
    server = demo_server.start(args.merkisto, args.port, database, work, carried=True)
    if server is None:
        print("check-serve: the server did not start", file=sys.stderr)
        return 1
    try:
        expect("merkisto serve --demo starts in an empty folder (the program carries the definitions and examples) and answers /healthz",
               not os.path.exists(os.path.join(work, "BadgeDefinitions")))

        stored = credentials(database)
        hosted = next(ident for ident, (kind, _) in stored.items() if kind == "ob2-hosted")
        signed = next(body.decode() for kind, body in stored.values() if kind == "ob2-signed")
        signed_id = next(ident for ident, (kind, _) in stored.items() if kind == "ob2-signed")
        token_id = next(ident for ident, (kind, _) in stored.items() if kind == "ob3-jwt")

        result = peer("ob2_verify.py", hosted)
        expect("ob2_verify.py verifies the hosted OB 2.0 assertion served by merkisto serve", result.returncode == 0, result.stdout + result.stderr)
        result = peer("ob2_verify.py", signed)
        expect("ob2_verify.py verifies the signed OB 2.0 assertion against the served issuer and key", result.returncode == 0, result.stdout + result.stderr)

        status, token = fetch(base + "credentials/" + token_id[len("urn:uuid:"):])
        expect("the OB 3.0 credential is served by its id", status == 200 and token == stored[token_id][1], status)
        header = json.loads(base64.urlsafe_b64decode(token.split(b".")[0] + b"=" * (-len(token.split(b".")[0]) % 4)))
        status, jwks = fetch(base + "keys/jwks.json")
        jwk = next((key for key in json.loads(jwks)["keys"] if header["kid"].endswith("/" + key["kid"] + ".json")), None)
        expect("the server's JWKS has the credential's key", status == 200 and jwk is not None, header)
        if jwk is not None:
            with open(os.path.join(work, "jwk.json"), "w") as file:
                json.dump(jwk, file)
            result = peer("ob3_verify.py", token.decode(), "--key", os.path.join(work, "jwk.json"))
            expect("ob3_verify.py verifies the OB 3.0 credential fetched from the server", result.returncode == 0, result.stdout + result.stderr)

        for ident in (hosted, signed_id):
            result = subprocess.run([args.merkisto, "revoke", ident, "--reason", "issued by mistake", "--db", database], capture_output=True, text=True)
            expect(f"merkisto revoke {ident[:40]}…", result.returncode == 0, result.stderr)
        # The server reads new revocations by other processes at most every 0.2 s.
        deadline = time.time() + 5
        while True:
            status, body = fetch(hosted)
            if status == 410 or time.time() > deadline:
                break
            time.sleep(0.05)
        expect("the revoked hosted assertion answers 410 Gone, revoked, without the reason", status == 410 and b'"revoked": true' in body and b"issued by mistake" not in body, (status, body[:200]))
        result = peer("ob2_verify.py", hosted)
        # validator-core reads neither the status nor `revoked`: it fails the URL because what it now answers is
        # no longer a whole assertion (no recipient, badge or verification).
        expect("ob2_verify.py fails the revoked hosted assertion", result.returncode == 1, result.stdout + result.stderr)
        result = peer("ob2_verify.py", signed)
        expect("ob2_verify.py fails the revoked signed assertion (the served revocation list names it)",
               result.returncode == 1 and "revoked" in (result.stdout + result.stderr).lower(), result.stdout + result.stderr)

        # A client's one-time sign-in code, made through the API by the instructor signed in (a token makes
        # none): its QR code, read by zbar (not by us), is the link; the code signs in once.
        staff = demo_server.staff_session(args.merkisto, database, args.port, "demo-ohjaaja")
        request = urllib.request.Request(f"{base}api/v1/users/demo-asiakas/signin-codes", method="POST", headers=staff)
        with urllib.request.urlopen(request, timeout=30) as response:
            made = json.loads(response.read())
        with open(os.path.join(work, "qr.svg"), "w") as file:
            file.write(made["qrSvg"])
        subprocess.run(["rsvg-convert", os.path.join(work, "qr.svg"), "-o", os.path.join(work, "qr.png")], check=True)
        read = subprocess.run(["zbarimg", "-q", "--raw", os.path.join(work, "qr.png")], capture_output=True, text=True)
        expect("zbarimg reads the one-time code's QR code as its link", read.stdout.strip() == made["link"], (read.stdout, made["link"]))

        def sign_in_with_code():
            attempt = urllib.request.Request(f"{base}api/v1/session/code", data=json.dumps({"code": made["code"]}).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(attempt, timeout=30) as response:
                    return response.status, response.headers.get("Set-Cookie", "")
            except urllib.error.HTTPError as error:
                return error.code, ""
        first, second = sign_in_with_code(), sign_in_with_code()
        expect("the code signs the client in once (an HttpOnly cookie), and not again",
               first[0] == 201 and "HttpOnly" in first[1] and second[0] == 401, (first, second))

        # SIGTERM in the middle of a write load: every credential the API acknowledged (201) is in the
        # database afterwards, requests in flight finish, and the audit chain is intact.
        token = demo_server.token(args.merkisto, database, "demo-admin", "read", "award")
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            pairs = db.execute("SELECT DISTINCT client, badge FROM credential WHERE format = 'ob3-jwt' ORDER BY client, badge").fetchall()
        acknowledged, answers, stop = [], [], threading.Event()

        # Each worker on a (client, badge) of its own, replacing the credential the client holds each time
        # (a client holds one valid credential per badge and format).
        def load(number):
            client, badge = pairs[number % len(pairs)]
            while not stop.is_set():
                request = urllib.request.Request(
                    f"{base}api/v1/clients/{client}/credentials", data=json.dumps({"badge": badge, "replace": True}).encode(), method="POST",
                    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        answers.append(response.status)
                        if response.status == 201:
                            acknowledged.append(json.loads(response.read())["id"])
                except urllib.error.HTTPError as error:
                    answers.append(error.code)
                except OSError:
                    return  # the server has stopped taking connections

        workers = [threading.Thread(target=load, args=(number,)) for number in range(min(8, len(pairs)))]
        for worker in workers:
            worker.start()
        deadline = time.time() + 30
        while len(acknowledged) < 50 and time.time() < deadline:
            time.sleep(0.05)
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        expect("SIGTERM during a write load stops the server with exit status 0", code == 0,
               server.stdout.read() if code is not None else "still running after 30 s")
        expect("the load was issuing credentials when SIGTERM came", len(acknowledged) >= 50 and all(status == 201 for status in answers),
               f"{len(acknowledged)} acknowledged; answers {sorted(set(answers))}")
        after = credentials(database)
        missing = [ident for ident in acknowledged if ident not in after]
        expect(f"every one of the {len(acknowledged)} acknowledged credentials is in the database", not missing, missing[:5])
        result = subprocess.run([args.merkisto, "audit", "verify", "--db", database], capture_output=True, text=True)
        expect("the audit chain is intact afterwards", result.returncode == 0, result.stdout + result.stderr)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    if failures:
        print(f"check-serve: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("check-serve: the served documents pass the reference validators")
    return 0


if __name__ == "__main__":
    sys.exit(main())
