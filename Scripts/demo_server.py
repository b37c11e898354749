"""Starts `merkisto serve --demo` on a fresh database for the checks that need a running server
(check-serve.py, check-api.py), and makes API tokens for it."""
import os
import re
import socket
import subprocess
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(merkisto, port, database, cwd, extra=(), carried=False):
    """The server process once it answers /healthz; None (having printed why) when it does not start in 120 s.
    `extra`: more arguments for `merkisto serve`. `carried`: name no definitions or examples, so that the
    demo uses the copies the program carries (`cwd` being a folder without them)."""
    # Another server on the port would answer for ours.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            print(f"port {port} is already in use")
            return None
    server = subprocess.Popen(
        [merkisto, "serve", "--demo", "--port", str(port), "--db", database,
         *([] if carried else ["--definitions", os.path.join(ROOT, "BadgeDefinitions"), "--examples", os.path.join(ROOT, "examples", "clients")]), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd)
    deadline = time.time() + 120
    while True:
        # Our process must be the one answering (another server on the port would answer too).
        if server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    if response.status == 200 and server.poll() is None:
                        return server
            except OSError:
                pass
        if server.poll() is not None or time.time() > deadline:
            if server.poll() is None:
                server.kill()
                print("(no answer in 120 s)")
            print(server.stdout.read())
            return None
        time.sleep(0.2)


def printed(server):
    """What the demo printed before it served (its first lines: the users and their passwords)."""
    lines = []
    while True:
        line = server.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "is serving on" in line or "Server started" in line:
            break
    return "".join(lines)


def account(printed_text, role):
    """The (user, password) of the demo's user in `role` from what it printed, or None."""
    match = re.search(r"\s(\S+) \(" + role + r"\), password (\S+)", printed_text)
    return (match.group(1), match.group(2)) if match else None


def stop(server, timeout=20):
    """Ends a server with SIGTERM (it lets requests in flight finish), or SIGKILL after `timeout` seconds."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()


def token(merkisto, database, user, *scopes):
    """A new API token for a user of the demo database (made by the CLI while the server runs)."""
    arguments = [merkisto, "token", "create", user, "--name", "check", "--db", database,
                 "--keys", os.path.join(os.path.dirname(database), "keys"), "--definitions", os.path.join(ROOT, "BadgeDefinitions")]
    for scope in scopes:
        arguments += ["--scope", scope]
    result = subprocess.run(arguments, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def staff_session(merkisto, database, port, user):
    """Headers of a session of `user` signed in through the API (a new password set for them by the CLI):
    what staff have when they act themselves, as one-time codes need."""
    import json
    password = "check-" + os.urandom(8).hex()
    subprocess.run([merkisto, "user", "password", user, "--db", database, "--keys", os.path.join(os.path.dirname(database), "keys"),
                    "--definitions", os.path.join(ROOT, "BadgeDefinitions")], input=password, text=True, capture_output=True, check=True)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/session", data=json.dumps({"user": user, "password": password}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
        cookie = response.headers["Set-Cookie"].split(";")[0]
    return {"Cookie": cookie, "X-CSRF-Token": body["csrfToken"]}


def expecter(failures, limit=2000):
    """A check reporter for the scripts: prints ok/FAIL with the detail of a failure, and keeps the names
    of failed checks in `failures`."""
    def expect(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
        if not ok:
            failures.append(name)
            if detail:
                print("     " + str(detail).strip().replace("\n", "\n     ")[:limit])
    return expect
