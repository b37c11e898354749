#!/usr/bin/env python3
"""Hostile input on every interface (hostile/cases.json): JSON, images and HTTP, on the real binary and a
running `merkisto serve --demo`. Each case must get its clear error (exit status or HTTP status, and the
words the case names), within 5 seconds; no request may get a 5xx or take the server down; no path
escapes what a route serves.

Usage: python3 Scripts/check-hostile-input.py PATH/TO/merkisto [--port 8795]
"""
import argparse
import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import demo_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "hostile")
LIMIT_SECONDS = 5.0
SECRET = "MERKISTO-HOSTILE-SECRET-5d21"


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(*chunks):
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 6, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(chunks) + chunk(b"IEND", b"")


def generated(name, folder):
    """The path of a generated input (made once)."""
    path = os.path.join(folder, name)
    if os.path.exists(path):
        return path
    with open(path, "wb") as file:
        if name == "deep-object":
            file.write(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
        elif name == "100mb-json":
            file.write(b'{"x": "')
            block = b"a" * (1 << 20)
            for _ in range(100):
                file.write(block)
            file.write(b'"}')
        elif name == "idat-bomb":
            file.write(png(chunk(b"IDAT", zlib.compress(b"\0" * (200 << 20), 9))))
        elif name == "itxt-bomb":
            text = b"openbadges\0\x01\x00\0\0" + zlib.compress(b"\0" * (200 << 20), 9)
            file.write(png(chunk(b"iTXt", text), chunk(b"IDAT", zlib.compress(b"\0" * 68))))
        else:
            raise ValueError(name)
    return path


def input_path(case, folder):
    return os.path.join(CORPUS, case["file"]) if "file" in case else generated(case["generate"], folder)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def raw(port, head, body=b"", chunks=None, timeout=LIMIT_SECONDS):
    """Sends a request as bytes (the head as given: paths are not normalised) and reads the answer; the
    body is sent as given or chunk by chunk, and sending stops early when the server answers or closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        try:
            connection.sendall(head)
            if chunks is not None:
                for piece in chunks:
                    connection.sendall(piece)
            elif body:
                connection.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, _ = read_answer(connection)
    return parse_response(data)


def read_answer(connection):
    """The bytes of an answer, read until its length is complete or the connection ends, and the time
    (time.time()) its first byte came (None when none came)."""
    data, first = b"", None
    try:
        while True:
            piece = connection.recv(65536)
            if not piece:
                break
            if first is None:
                first = time.time()
            data += piece
            if answer_complete(data):
                break
    except (ConnectionResetError, socket.timeout):
        pass
    return data, first


def answer_complete(data):
    """Whether `data` holds a whole answer whose length its head gives."""
    if b"\r\n\r\n" not in data:
        return False
    head_end = data.index(b"\r\n\r\n")
    lines = data[:head_end].decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    return "content-length" in fields and len(data) >= head_end + 4 + int(fields["content-length"])


def parse_response(data):
    """An answer read as bytes; None when it is not an HTTP/1.1 answer."""
    if not data.startswith(b"HTTP/1.1 "):
        return None
    head_end = data.find(b"\r\n\r\n")
    lines = data[:head_end].decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    return Response(int(lines[0].split()[1]), headers, data[head_end + 4:])


def request_head(method, path, headers):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("--port", type=int, default=8795)
    args = parser.parse_args()
    merkisto = os.path.abspath(args.merkisto)
    with open(os.path.join(CORPUS, "cases.json")) as file:
        cases = json.load(file)
    failures = []
    expect = demo_server.expecter(failures)
    work = tempfile.mkdtemp(prefix="merkisto-hostile-")
    jwks = os.path.join(work, "jwks.json")
    with open(jwks, "w") as file:
        file.write('{"keys": []}')

    # The command line.
    for case in cases["cli"]:
        path = input_path(case, work)
        arguments = [merkisto, case["command"], path]
        arguments += ["--jwks", jwks] if case["command"] == "verify" else ["--definitions", os.path.join(ROOT, "BadgeDefinitions")]
        start = time.time()
        run = subprocess.run(arguments, capture_output=True, timeout=60, cwd=work)
        elapsed = time.time() - start
        said = (run.stdout + run.stderr).decode("utf-8", "replace")
        expect(f"cli {case['command']}: {case['name']}: exit {case['exit']}, says “{case['says']}”, {elapsed:.2f} s",
               run.returncode == case["exit"] and case["says"] in said and elapsed < LIMIT_SECONDS, said[-600:])

    # The server.
    with open(os.path.join(work, "secret.txt"), "w") as file:
        file.write(SECRET)
    database = os.path.join(work, "merkisto.sqlite")
    server = demo_server.start(merkisto, args.port, database, work, extra=["--idle-timeout", "2", "--behind-proxy"])
    if server is None:
        print("check-hostile-input: the server did not start", file=sys.stderr)
        return 1
    port = args.port
    try:
        token = demo_server.token(merkisto, database, "demo-admin", "read", "record", "award", "admin")
        keys = os.path.join(work, "keys")
        password = "hostile-check-password"
        subprocess.run([merkisto, "user", "password", "demo-ohjaaja", "--db", database, "--keys", keys,
                        "--definitions", os.path.join(ROOT, "BadgeDefinitions")], input=password + "\n", text=True, check=True, capture_output=True)
        sessions = []
        for _ in range(2):
            body = json.dumps({"user": "demo-ohjaaja", "password": password}).encode()
            answer = raw(port, request_head("POST", "/api/v1/session", [("Content-Type", "application/json"), ("Content-Length", len(body))]), body)
            cookie = answer.headers.get("set-cookie", "").split(";")[0]
            sessions.append((cookie, json.loads(answer.body)["csrfToken"]))
        bearer = ("Authorization", "Bearer " + token)

        def api(body, extra=()):
            return request_head("POST", "/api/v1/clients", [bearer, ("Content-Type", "application/json"), ("Content-Length", len(body)), *extra]), body

        def upload(path):
            with open(path, "rb") as file:
                image = file.read()
            body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"badge.png\"\r\nContent-Type: image/png\r\n\r\n"
                    + image + b"\r\n--XyZ--\r\n")
            return request_head("POST", "/verify", [("Content-Type", "multipart/form-data; boundary=XyZ"), ("Content-Length", len(body))]), body

        def big_chunks():
            block = b"a" * (1 << 20)
            for _ in range(100):
                yield b"%x\r\n" % len(block) + block + b"\r\n"
            yield b"0\r\n\r\n"

        memory_before = resident_megabytes(server.pid)
        floods(port, merkisto, database, password, expect)
        grown = resident_megabytes(server.pid) - memory_before
        expect(f"the server's memory grew by {grown:.0f} MB over the sign-in and verification floods (under 64 MB)", grown < 64)

        requests = {
            "api-big-declared": lambda: raw(port, request_head("POST", "/api/v1/clients", [bearer, ("Content-Type", "application/json"), ("Content-Length", 100 << 20)]),
                                            chunks=(b" " * (1 << 20) for _ in range(100))),
            "api-big-chunked": lambda: raw(port, request_head("POST", "/api/v1/clients", [bearer, ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]),
                                           chunks=big_chunks()),
            "api-deep": lambda: raw(port, *api(b"[" * 100_000 + b"]" * 100_000)),
            "api-huge-number": lambda: raw(port, *api(b'{"id": "x", "unit": 1e400}')),
            "api-wrong-type": lambda: raw(port, *api(b'{"id": 7}')),
            "api-invalid-utf8": lambda: raw(port, *api(b'{"id": "\xc3\x28\xff"}')),
            "big-header": lambda: raw(port, request_head("GET", "/healthz", [("X-Big", "x" * 100_000)])),
            "many-headers": lambda: raw(port, request_head("GET", "/healthz", [(f"X-H{i}", "v" * 8) for i in range(10_000)])),
            "bad-cookies": lambda: raw(port, request_head("GET", "/clients", [("Cookie", 'merkisto_session=%%%; ;;=; merkisto_lang=zz; ="; merkisto_session=' + "\u00e4".encode().decode("latin-1"))])),
            "bad-cookies-api": lambda: raw(port, request_head("GET", "/api/v1/me", [("Cookie", "merkisto_session=;;;merkisto_session==%00")])),
            "bad-accept-language": lambda: raw(port, request_head("GET", "/signin", [("Accept-Language", ";q=abc,*;q=-1,fi;q=NaN,,,;;,sv;q=1e999,en-")])),
            "csrf-other-session-api": lambda: raw(port, request_head("POST", "/api/v1/clients", [
                ("Cookie", sessions[0][0]), ("X-CSRF-Token", sessions[1][1]), ("Content-Type", "application/json"), ("Content-Length", 13)]), b'{"id":"csrf"}'),
            "csrf-other-session-page": lambda: raw(port, request_head("POST", "/signout", [
                ("Cookie", sessions[0][0]), ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", len("csrf=" + sessions[1][1]))]),
                ("csrf=" + sessions[1][1]).encode()),
        }
        for case in cases["http"]:
            name = case["request"]
            if name == "slow-client":
                slow_client(port, expect)
                continue
            start = time.time()
            if name.startswith("verify-upload:"):
                what = name.split(":", 1)[1]
                path = os.path.join(CORPUS, what) if "/" in what else generated(what, work)
                answer = raw(port, *upload(path))
            else:
                answer = requests[name]()
            elapsed = time.time() - start
            said = answer.body.decode("utf-8", "replace") if answer else ""
            ok = answer is not None and answer.status == case["status"] and case.get("says", "") in said and elapsed < LIMIT_SECONDS
            expect(f"http {case['name']}: {case['status']}{', says “' + case['says'] + '”' if 'says' in case else ''}, {elapsed:.2f} s", ok,
                   f"{answer.status if answer else 'no answer'}: {said[:600]}")
        # The CSRF-refused changes changed nothing: the instructor is still signed in.
        answer = raw(port, request_head("GET", "/api/v1/me", [("Cookie", sessions[0][0])]))
        expect("the refused sign-out left the session signed in", answer is not None and answer.status == 200)

        # Path traversal on every route that serves files.
        leaks, statuses = [], set()
        escapes = cases["traversal"]["escapes"] + ["..%2fsecret.txt", "../secret.txt", "%2e%2e%2fsecret.txt", "..%252fsecret.txt"]
        for route in cases["traversal"]["routes"]:
            for escape in escapes:
                answer = raw(port, request_head("GET", route + escape, []))
                if answer is None or answer.status >= 500:
                    leaks.append(f"{route}{escape}: {answer.status if answer else 'no answer'}")
                    continue
                statuses.add(answer.status)
                if b"root:" in answer.body or SECRET.encode() in answer.body or (answer.status == 200 and escape.endswith("openapi.json")):
                    leaks.append(f"{route}{escape}: {answer.status}")
        count = len(cases["traversal"]["routes"]) * len(escapes)
        expect(f"path traversal: {count} escapes on {len(cases['traversal']['routes'])} routes answered {sorted(statuses)}, nothing outside served",
               not leaks and statuses <= {301, 302, 303, 400, 404}, leaks)

        expect("the server is still running and answering", server.poll() is None and raw(port, request_head("GET", "/healthz", [])).status == 200)
    finally:
        demo_server.stop(server)
    if failures:
        print(f"check-hostile-input: {len(failures)} failed", file=sys.stderr)
        return 1
    print("check-hostile-input: every hostile input got its clear error")
    return 0


def resident_megabytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


FAST = 0.1  # a request refused before any work is answered within 100 ms


def floods(port, merkisto, database, password, expect):
    """Issue 19: sign-in and verification cannot be flooded, locked or guessed. Each request refused before
    any work is answered within 100 ms; a wrong password costs one bcrypt check (on its own pool), no more."""
    def timed(head, body=b"", chunks=None):
        """The answer and the seconds until its first byte came: the body is sent only while the server
        has not answered (a server that refuses a body unread stops reading it)."""
        start = time.time()
        with socket.create_connection(("127.0.0.1", port), timeout=LIMIT_SECONDS) as connection:
            pieces = iter([body] if body else []) if chunks is None else chunks
            try:
                connection.sendall(head)
                for piece in pieces:
                    readable, _, _ = select.select([connection], [], [], 0)
                    if readable:
                        break
                    connection.settimeout(0.05)
                    try:
                        connection.sendall(piece)
                    except socket.timeout:
                        break  # the server reads no more of it: it has answered, or is about to
            except (BrokenPipeError, ConnectionResetError):
                pass
            connection.settimeout(LIMIT_SECONDS)
            data, first = read_answer(connection)
            answered = None if first is None else first - start
        answer = parse_response(data)
        return answer, answered if answer is not None else time.time() - start

    def huge(prefix, suffix, size=8 << 20):
        yield prefix
        block = b"a" * (1 << 20)
        for _ in range(size >> 20):
            yield block
        yield suffix

    # 20 sign-ins with 8 MB names from 20 addresses: refused unread, nothing kept.
    slow = []
    for index in range(20):
        length = (8 << 20) + 40
        head = request_head("POST", "/api/v1/session", [("Content-Type", "application/json"), ("Content-Length", length), ("X-Forwarded-For", f"10.19.0.{index}")])
        answer, elapsed = timed(head, chunks=huge(b'{"user":"', b'","password":"x"}'))
        if answer is None or answer.status != 413 or elapsed > FAST:
            slow.append((index, answer.status if answer else None, round(elapsed, 3)))
    expect("20 sign-ins with 8 MB names from 20 addresses: each refused (413) within 100 ms", not slow, slow)
    # The same through the sign-in page's form.
    head = request_head("POST", "/signin", [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", (8 << 20) + 5), ("X-Forwarded-For", "10.19.1.1")])
    answer, elapsed = timed(head, chunks=huge(b"user=", b""))
    expect(f"a sign-in form with an 8 MB name: 413 within 100 ms ({elapsed * 1000:.0f} ms)", answer is not None and answer.status == 413 and elapsed < FAST)

    # An 8 MB form to /verify, and five of them at once.
    def verify_flood():
        head = request_head("POST", "/verify", [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", (8 << 20) + 11)])
        return timed(head, chunks=huge(b"credential=", b""))
    answer, elapsed = verify_flood()
    expect(f"an 8 MB form to /verify: 413 within 100 ms ({elapsed * 1000:.0f} ms)", answer is not None and answer.status == 413 and elapsed < FAST)
    results = [None] * 5
    def worker(slot):
        results[slot] = verify_flood()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expect("five 8 MB forms to /verify at once: each 413 within 100 ms",
           all(r and r[0] is not None and r[0].status == 413 and r[1] < FAST for r in results), [(r[0].status if r and r[0] else None, round(r[1], 3) if r else None) for r in results])

    # Six wrong passwords from one address, then the right one from another: no lockout.
    def sign_in(secret, address):
        body = json.dumps({"user": "demo-ohjaaja", "password": secret}).encode()
        return timed(request_head("POST", "/api/v1/session", [("Content-Type", "application/json"), ("Content-Length", len(body)), ("X-Forwarded-For", address)]), body)
    wrong = [sign_in("wrong-password", "203.0.113.50") for _ in range(6)]
    expect("six wrong passwords from one address: refused (401, then 429 at once)",
           all(a is not None and a.status in (401, 429) for a, _ in wrong) and wrong[-1][0].status == 429 and wrong[-1][1] < FAST,
           [(a.status if a else None, round(t, 3)) for a, t in wrong])
    right, elapsed = sign_in(password, "198.51.100.50")
    expect(f"then the right password from another address signs in ({elapsed * 1000:.0f} ms)", right is not None and right.status == 201, right.body[:300] if right else None)

    # An old one-time code after a new one: the new one cancels it.
    if right is not None and right.status == 201:
        cookie = right.headers.get("set-cookie", "").split(";")[0]
        csrf = json.loads(right.body)["csrfToken"]
        codes = []
        for _ in range(2):
            made = raw(port, request_head("POST", "/api/v1/users/demo-asiakas/signin-codes", [("Cookie", cookie), ("X-CSRF-Token", csrf), ("Content-Length", 0)]))
            codes.append(json.loads(made.body)["code"] if made is not None and made.status == 201 else None)
        def with_code(code):
            body = json.dumps({"code": code}).encode()
            return timed(request_head("POST", "/api/v1/session/code", [("Content-Type", "application/json"), ("Content-Length", len(body)), ("X-Forwarded-For", "192.0.2.77")]), body)
        old, elapsed = with_code(codes[0] or "")
        expect(f"an old one-time code after a new one: refused within 100 ms ({elapsed * 1000:.0f} ms)", old is not None and old.status == 401 and elapsed < FAST)
        new, _ = with_code(codes[1] or "")
        expect("the new one-time code signs in", new is not None and new.status == 201)


def slow_client(port, expect):
    """50 connections that send half a request and then nothing: others are served meanwhile, and each is
    closed after the server's idle timeout (2 s here)."""
    slow = []
    for _ in range(50):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow.append(connection)
    start = time.time()
    answer = raw(port, request_head("GET", "/healthz", []))
    served = time.time() - start
    expect(f"slow clients: another request is served meanwhile ({served * 1000:.0f} ms)", answer is not None and answer.status == 200 and served < 1.0)
    closed = 0
    deadline = time.time() + 8
    for connection in slow:
        connection.settimeout(max(0.1, deadline - time.time()))
        try:
            closed += connection.recv(1) == b""
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
        connection.close()
    expect(f"slow clients: {closed} of 50 half-sent requests closed by the server's idle timeout", closed == 50)


if __name__ == "__main__":
    sys.exit(main())
