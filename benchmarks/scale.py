"""The county-scale benchmark (issue 23): one SQLite database topped up to each size in turn with
`merkisto scale-fill` (generated clients with assessments, open pathway periods and their credentials),
then `merkisto serve` (release build) on it and wrk on what people wait for: the client list, a search,
a client's page, the API's client list, a hosted credential and a status list; with the fill speed, the
store's bytes per client and per credential, and serve's memory (after start, the first client page after
start, and after the measurements). Writes a JSON file with every figure, a Markdown table and an SVG
plot of p99 against the number of clients.

Usage: python3 benchmarks/scale.py MERKISTO [--sizes 10000,100000,1000000] [--seconds 10] [--work DIR]
           [--json FILE] [--svg FILE] [--table FILE]
"""
import argparse
import base64
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Scripts"))
import demo_server  # noqa: E402

ROOT = demo_server.ROOT
PORT = 8794
REQUESTS = [
    ("client list", "list", "/clients"),
    ("search", "search", None),
    ("client page", "client", None),
    ("API client list", "api", "/api/v1/clients"),
    ("hosted credential", "hosted", None),
    ("status list", "status", None),
]


def run(arguments, **kwargs):
    return subprocess.run(arguments, check=True, capture_output=True, text=True, **kwargs)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrk(url, headers, seconds, connections=8):
    """(requests per second, p99 in ms, non-2xx responses) from wrk on one URL."""
    arguments = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        arguments += ["-H", f"{name}: {value}"]
    output = run(arguments + [url]).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    match = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    value, unit = float(match.group(1)), match.group(2)
    p99 = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, p99, int(bad.group(1)) if bad else 0


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        body = response.read()
    return body, (time.perf_counter() - started) * 1000


def sign_in(port, user, password):
    """A session cookie through the sign-in form (as a person signs in)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    form = opener.open(f"http://127.0.0.1:{port}/signin", timeout=60).read().decode()
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', form).group(1)
    data = urllib.parse.urlencode({"form_token": token, "user": user, "password": password}).encode()
    opener.open(urllib.request.Request(f"http://127.0.0.1:{port}/signin", data=data), timeout=60).read()
    jar = next(handler.cookiejar for handler in opener.handlers if isinstance(handler, urllib.request.HTTPCookieProcessor))
    session = next(cookie for cookie in jar if cookie.name == "merkisto_session")
    return f"merkisto_session={session.value}"


def measure(merkisto, work, size, seconds, common):
    database = os.path.join(work, "merkisto.sqlite")
    started = time.perf_counter()
    fill = run([merkisto, "scale-fill", "--clients", str(size), "--db", database, *common]).stdout.strip()
    fill_seconds = time.perf_counter() - started
    figures = {"clients": size, "fill": fill, "fill_seconds": round(fill_seconds, 1)}
    match = re.search(r"clients (\d+) in ([\d.]+) s, credentials (\d+) in ([\d.]+) s", fill)
    added, import_s, credentials, issue_s = int(match.group(1)), float(match.group(2)), int(match.group(3)), float(match.group(4))
    if added:
        figures["import_clients_per_s"] = round(added / import_s)
        figures["issue_credentials_per_s"] = round(credentials / issue_s) if credentials else 0
    # The database on disk, its write-ahead log copied in.
    run(["python3", "-c", f"import sqlite3; c = sqlite3.connect({database!r}); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()"])
    database_bytes = os.path.getsize(database)
    counts = run(["python3", "-c", f"import sqlite3; c = sqlite3.connect({database!r}); "
                  "print(c.execute('SELECT count(*) FROM client').fetchone()[0], c.execute('SELECT count(*) FROM credential').fetchone()[0], "
                  "c.execute(\"SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'credential%' OR name LIKE 'sqlite_autoindex_credential%' OR name = 'statusPlace'\").fetchone()[0] or 0)"]).stdout.split()
    clients, credentials_total, credential_bytes = int(counts[0]), int(counts[1]), int(counts[2])
    figures.update({"credentials": credentials_total, "database_mb": round(database_bytes / 1e6, 1),
                    "bytes_per_client": round((database_bytes - credential_bytes) / clients),
                    "bytes_per_credential": round(credential_bytes / max(1, credentials_total))})

    # An admin to sign in as, an API token.
    password = "scale-" + os.urandom(6).hex()
    subprocess.run([merkisto, "user", "add", "scale-admin", "--role", "admin", "--db", database, *common], capture_output=True, text=True)
    run([merkisto, "user", "password", "scale-admin", "--db", database, *common], input=password)
    token = run([merkisto, "token", "create", "scale-admin", "--name", f"scale-{size}", "--scope", "read", "--db", database, *common]).stdout.strip()

    server = subprocess.Popen([merkisto, "serve", "--db", database, "--port", str(PORT), *common],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 600
        while True:
            try:
                fetch(f"http://127.0.0.1:{PORT}/healthz")
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit(f"serve did not start at {size} clients")
                time.sleep(0.2)
        figures["serve_rss_mb_started"] = round(rss_kib(server.pid) / 1024)
        cookie = sign_in(PORT, "scale-admin", password)
        page_headers = {"Cookie": cookie}
        middle = "sk-%07d" % (size // 2)
        # The first client page after start (nothing read before it but the sign-in).
        _, figures["first_client_page_ms"] = fetch(f"http://127.0.0.1:{PORT}/clients/{middle}", page_headers)
        figures["first_client_page_ms"] = round(figures["first_client_page_ms"], 1)
        # A hosted OB 2.0 assertion and an OB 3.0 VC-JWT (for its status list) of clients near the middle.
        found = {}
        number = size // 2
        while len(found) < 2 and number < size:
            detail = json.loads(fetch(f"http://127.0.0.1:{PORT}/api/v1/clients/sk-%07d" % number, {"Authorization": "Bearer " + token})[0])
            for credential in detail["credentials"]:
                if credential["format"] in ("ob2-hosted", "ob3-jwt"):
                    found.setdefault(credential["format"], credential)
            number += 1
        hosted, jwt = found["ob2-hosted"]["url"], found["ob3-jwt"]
        token_text = fetch(jwt["url"])[0].decode()
        payload = token_text.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        status = claims.get("credentialStatus") or claims.get("vc", {}).get("credentialStatus")
        status = status[0] if isinstance(status, list) else status
        urls = {
            "list": (f"http://127.0.0.1:{PORT}/clients", page_headers),
            "search": (f"http://127.0.0.1:{PORT}/clients?q=sk-%05d" % (size // 200), page_headers),
            "client": (f"http://127.0.0.1:{PORT}/clients/{middle}", page_headers),
            "api": (f"http://127.0.0.1:{PORT}/api/v1/clients", {"Authorization": "Bearer " + token}),
            "hosted": (hosted, {}),
            "status": (status["statusListCredential"], {}),
        }
        for name, key, _ in REQUESTS:
            url, headers = urls[key]
            body, _ = fetch(url, headers)
            rps, p99, bad = wrk(url, headers, seconds)
            figures[key] = {"rps": round(rps), "p99_ms": round(p99, 2), "bytes": len(body), "non_2xx": bad}
            print(f"  {size:>9,} {name:<18} {rps:>9,.0f} req/s  p99 {p99:8.2f} ms  {len(body):>9,} bytes", flush=True)
        figures["serve_rss_mb_after"] = round(rss_kib(server.pid) / 1024)
    finally:
        demo_server.stop(server)
    return figures


def svg(results, path):
    """p99 against the number of clients (log scale), one line per request."""
    width, height, left, bottom, top, right = 720, 420, 70, 60, 30, 190
    sizes = [r["clients"] for r in results]
    xs = {s: left + (math.log10(s) - math.log10(sizes[0])) / max(1e-9, math.log10(sizes[-1]) - math.log10(sizes[0])) * (width - left - right)
          if len(sizes) > 1 else left for s in sizes}
    highest = max([25.0] + [r[key]["p99_ms"] for r in results for _, key, _ in REQUESTS])
    ceiling = next(c for c in (50, 100, 250, 500, 1000, 2500, 5000, 10000, highest) if c >= highest)
    def y(value):
        return top + (1 - min(value, ceiling) / ceiling) * (height - top - bottom)
    colours = ["#0b5394", "#b45f06", "#38761d", "#741b47", "#444444", "#a61c00"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="t">',
             '<title id="t">p99 latency against the number of clients</title>',
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="#000"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0)}" stroke="#000"/>']
    for tick in [0, ceiling / 4, ceiling / 2, 3 * ceiling / 4, ceiling]:
        parts.append(f'<text x="{left - 8}" y="{y(tick) + 4}" font-family="sans-serif" font-size="12" text-anchor="end">{tick:g}</text>')
        parts.append(f'<line x1="{left}" y1="{y(tick)}" x2="{width - right}" y2="{y(tick)}" stroke="#ddd"/>')
    parts.append(f'<line x1="{left}" y1="{y(25)}" x2="{width - right}" y2="{y(25)}" stroke="#a61c00" stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{width - right + 4}" y="{y(25) + 4}" font-family="sans-serif" font-size="12" fill="#a61c00">goal 25 ms</text>')
    for s in sizes:
        parts.append(f'<text x="{xs[s]}" y="{y(0) + 18}" font-family="sans-serif" font-size="12" text-anchor="middle">{s:,}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 15}" font-family="sans-serif" font-size="13" text-anchor="middle">clients (log scale)</text>')
    parts.append(f'<text x="18" y="{(top + y(0)) / 2}" font-family="sans-serif" font-size="13" text-anchor="middle" transform="rotate(-90 18 {(top + y(0)) / 2})">p99 (ms)</text>')
    for index, (name, key, _) in enumerate(REQUESTS):
        colour = colours[index % len(colours)]
        points = " ".join(f"{xs[r['clients']]:.1f},{y(r[key]['p99_ms']):.1f}" for r in results)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for r in results:
            parts.append(f'<circle cx="{xs[r["clients"]]:.1f}" cy="{y(r[key]["p99_ms"]):.1f}" r="3" fill="{colour}"/>')
        parts.append(f'<text x="{width - right + 4}" y="{top + 20 + index * 18}" font-family="sans-serif" font-size="12" fill="{colour}">{name}</text>')
    parts.append("</svg>")
    with open(path, "w") as out:
        out.write("\n".join(parts) + "\n")


def table(results):
    header = "| figure | " + " | ".join(f"{r['clients']:,} clients" for r in results) + " |"
    lines = [header, "|---|" + "---|" * len(results)]
    for name, key, _ in REQUESTS:
        lines.append(f"| {name}: p99 / req/s / bytes | " + " | ".join(
            f"{r[key]['p99_ms']:.1f} ms / {r[key]['rps']:,} / {r[key]['bytes']:,}" for r in results) + " |")
    for label, key, unit in [("first client page after start", "first_client_page_ms", "ms"), ("import (fill), clients/s", "import_clients_per_s", ""),
                             ("issuing (fill), credentials/s", "issue_credentials_per_s", ""), ("credentials", "credentials", ""),
                             ("database", "database_mb", "MB"), ("bytes per client (without credentials)", "bytes_per_client", ""),
                             ("bytes per credential", "bytes_per_credential", ""), ("serve memory after start", "serve_rss_mb_started", "MB"),
                             ("serve memory after the measurements", "serve_rss_mb_after", "MB")]:
        lines.append(f"| {label} | " + " | ".join(f"{r.get(key, '–'):,} {unit}".strip() if isinstance(r.get(key), (int, float)) else "–" for r in results) + " |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--work", default="/tmp/merkisto-scale")
    parser.add_argument("--json", default=None)
    parser.add_argument("--svg", default=None)
    parser.add_argument("--table", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database of an earlier run and top it up")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if not args.keep and os.path.exists(args.work):
        shutil.rmtree(args.work)
    os.makedirs(args.work, exist_ok=True)
    keys = os.path.join(args.work, "keys")
    # The credentials' ids and the server's documents under the one base URL the server answers at.
    common = ["--keys", keys, "--definitions", os.path.join(ROOT, "BadgeDefinitions"), "--base-url", f"http://127.0.0.1:{PORT}/"]
    if not os.path.isdir(keys):
        for algorithm in ("ES256", "EdDSA"):
            run([args.merkisto, "keys", "generate", "--alg", algorithm, "--dir", keys])
    results = []
    for size in sizes:
        print(f"filling to {size:,} clients and measuring", flush=True)
        results.append(measure(args.merkisto, args.work, size, args.seconds, common))
        if args.json:
            with open(args.json, "w") as out:
                json.dump(results, out, indent=2)
    text = table(results)
    print(text)
    if args.table:
        with open(args.table, "w") as out:
            out.write(text)
    if args.svg:
        svg(results, args.svg)


if __name__ == "__main__":
    main()
