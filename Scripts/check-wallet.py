#!/usr/bin/env python3
"""Wallet delivery (VC-API / VCALM, issue side), checked by a wallet we did not write.

An imitation of the Learner Credential Wallet's side of the exchange (wallet-exchange.md §2, §7), built only
from PyPI parts: pyld (JSON-LD, URDNA2015), cryptography (Ed25519) and base58 (did:key). It runs against
`merkisto serve --demo`, signed in as the demo client:

  * the client opens an exchange from a badge's page and gets an interaction URL (`…?iuv=1`);
  * GET with `Accept: application/json` → `{"protocols": {"vcapi": …}}`; with `Accept: text/html` → a page;
  * POST {} → a DIDAuthentication request with a challenge and the server's domain;
  * POST {"verifiablePresentation": VP} signed Ed25519Signature2020 by a did:key → a credential issued to
    the holder's DID with a status entry, which the peers (ob3_ldp_verify.py) accept; a bare VP signed
    eddsa-rdfc-2022 works too;
  * refused, with nothing issued: a wrong challenge, a wrong domain, a replay, an expired exchange, a tampered
    presentation, a holder that is not the signer.

The imitation runs in its own virtual environment (made on first use, pinned versions from PyPI).

Usage: python3 Scripts/check-wallet.py PATH/TO/merkisto PATH/TO/shared [--port 8793]
"""
import argparse
import copy
import datetime
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.environ.get("MERKISTO_WALLET_VENV") or os.path.join(os.path.expanduser("~"), ".cache", "merkisto-wallet")
PINS = ["pyld==3.3.0", "cryptography==46.0.3", "base58==2.1.1"]


def own_environment():
    """Re-runs this script in a virtual environment with exactly the pinned packages."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    python = os.path.join(VENV, "bin", "python")
    marker = os.path.join(VENV, ".pins")
    if not (os.path.exists(python) and os.path.exists(marker) and open(marker).read() == " ".join(PINS)):
        subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *PINS], check=True)
        with open(marker, "w") as f:
            f.write(" ".join(PINS))
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


own_environment()

import base58  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from pyld import jsonld  # noqa: E402

sys.path.insert(0, HERE)
import demo_server  # noqa: E402


def loader_for(shared):
    files = {
        "https://www.w3.org/ns/credentials/v2": os.path.join(shared, "tools", "peers", "contexts", "credentials-v2.jsonld"),
        "https://w3id.org/security/suites/ed25519-2020/v1": os.path.join(shared, "reference", "contexts", "security-suites-ed25519-2020-v1.jsonld"),
    }

    def loader(url, options=None):
        if url not in files:
            raise jsonld.JsonLdError(f"context not available offline: {url}", "jsonld.LoadDocumentError", code="loading document failed")
        with open(files[url]) as f:
            return {"contextUrl": None, "documentUrl": url, "document": json.load(f)}
    return loader


class Wallet:
    """One wallet profile: an Ed25519 key and its did:key."""

    def __init__(self, loader):
        self.key = ed25519.Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.fingerprint = "z" + base58.b58encode(b"\xed\x01" + raw).decode()
        self.did = "did:key:" + self.fingerprint
        self.loader = loader

    def canonical(self, document):
        return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": self.loader}).encode()

    def presentation(self, challenge, domain, suite="Ed25519Signature2020", holder=None, expires=None):
        """A DID authentication presentation, signed as jsonld-signatures signs it (wallet-exchange.md §7)."""
        contexts = ["https://www.w3.org/ns/credentials/v2"]
        if suite == "Ed25519Signature2020":
            contexts.append("https://w3id.org/security/suites/ed25519-2020/v1")
        vp = {"@context": contexts, "type": ["VerifiablePresentation"], "holder": holder or self.did}
        proof = {"type": suite, "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "verificationMethod": f"{self.did}#{self.fingerprint}", "proofPurpose": "authentication",
                 "challenge": challenge, "domain": domain}
        if suite == "DataIntegrityProof":
            proof["cryptosuite"] = "eddsa-rdfc-2022"
        if expires:
            proof["expires"] = expires
        options = dict(proof, **{"@context": contexts})
        data = hashlib.sha256(self.canonical(options)).digest() + hashlib.sha256(self.canonical(vp)).digest()
        proof["proofValue"] = "z" + base58.b58encode(self.key.sign(data)).decode()
        vp["proof"] = proof
        return vp


def request(url, method="GET", body=None, headers=None, cookie=None):
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    req = urllib.request.Request(url, data=data, method=method)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    if body is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("shared")
    parser.add_argument("--port", type=int, default=8793)
    args = parser.parse_args()
    shared = os.path.abspath(args.shared)
    base = f"http://127.0.0.1:{args.port}"
    failures = []
    expect = demo_server.expecter(failures, limit=2000)
    loader = loader_for(shared)
    lifetime = 10
    with tempfile.TemporaryDirectory(prefix="merkisto-wallet-") as work:
        server = demo_server.start(os.path.abspath(args.merkisto), args.port, os.path.join(work, "merkisto.sqlite"), work,
                                   extra=["--wallet-exchange-seconds", str(lifetime)])
        if server is None:
            print("check-wallet: the server did not start", file=sys.stderr)
            return 1
        try:
            printed = demo_server.printed(server)
            account = demo_server.account(printed, "client")
            expect("the demo printed the client's password", account is not None, printed)
            status, headers, body = request(base + "/api/v1/session", "POST", {"user": account[0], "password": account[1]})
            cookie = headers.get("Set-Cookie", "").split(";")[0]
            expect("the client signs in", status == 201 and cookie.startswith("merkisto_session="), body[:300])
            status, _, body = request(base + "/api/v1/clients", cookie=cookie)
            listed = json.loads(body) if status == 200 else {}
            listed = listed.get("clients", listed) if isinstance(listed, dict) else listed
            client = listed[0]["id"] if listed and isinstance(listed[0], dict) and "id" in listed[0] else None
            expect("the client's own record is listed for them", client is not None, body[:300])

            status, _, page = request(base + "/my", cookie=cookie)
            badges = re.findall(r'href="(/my/badges/[0-9a-f-]+)"', page.decode())
            expect("the client's page lists badges", status == 200 and badges, page[:300])
            badge_page = badges[0]

            def count_credentials():
                status, _, body = request(base + f"/api/v1/clients/{client}", cookie=cookie)
                return len(json.loads(body).get("credentials", [])) if status == 200 else -1

            def open_exchange():
                status, _, page = request(base + badge_page, cookie=cookie)
                text = page.decode()
                csrf = re.search(r'action="([^"]+/wallet)"><input type="hidden" name="csrf" value="([0-9a-f]+)"', text)
                expect("the badge page offers to add the badge to a wallet", status == 200 and csrf is not None, text[:400])
                status, _, offer = request(base + csrf.group(1), "POST", f"csrf={csrf.group(2)}".encode(),
                                           {"Content-Type": "application/x-www-form-urlencoded"}, cookie)
                offer = offer.decode()
                url = re.search(r'id="wallet-url" type="text" class="wide" readonly value="([^"]+)"', offer)
                expect("the wallet page shows the interaction URL, a QR code and the interaction: link",
                       status == 200 and url is not None and "<svg" in offer and 'href="interaction:' in offer, offer[:600])
                return html.unescape(url.group(1))

            def start(interaction):
                status, _, body = request(interaction, headers={"Accept": "application/json"})
                vcapi = json.loads(body)["protocols"]["vcapi"] if status == 200 else None
                status, _, body = request(vcapi, "POST", {})
                vpr = json.loads(body).get("verifiablePresentationRequest", {}) if status == 200 else {}
                return vcapi, vpr

            # The happy path: as LCW does it.
            interaction = open_exchange()
            expect("the interaction URL is https-or-http …/wallet/<secret>?iuv=1", re.fullmatch(re.escape(base) + r"/wallet/[0-9a-f]{32}\?iuv=1", interaction), interaction)
            status, headers, body = request(interaction, headers={"Accept": "application/json"})
            protocols = json.loads(body) if status == 200 else {}
            expect("GET with Accept: application/json gives protocols.vcapi", "vcapi" in protocols.get("protocols", {}), body[:300])
            status, headers, body = request(interaction, headers={"Accept": "text/html"})
            expect("GET with Accept: text/html gives a page for a person", status == 200 and headers.get("Content-Type", "").startswith("text/html")
                   and b"wallet" in body.lower() or b"lompakko" in body.lower(), headers)
            vcapi, vpr = start(interaction)
            query = vpr.get("query")
            query = query if isinstance(query, list) else [query]
            expect("POST {} gives one DIDAuthentication query, a challenge and the server's domain",
                   [q.get("type") for q in query] == ["DIDAuthentication"] and vpr.get("challenge") and vpr.get("domain") == base, vpr)
            before = count_credentials()
            wallet = Wallet(loader)
            vp = wallet.presentation(vpr["challenge"], vpr["domain"])
            status, _, body = request(vcapi, "POST", {"verifiablePresentation": vp})
            answer = json.loads(body) if status == 200 else {}
            credentials = answer.get("verifiablePresentation", {}).get("verifiableCredential", [])
            credentials = credentials if isinstance(credentials, list) else [credentials]
            expect("the signed presentation gets a presentation with one credential", status == 200 and len(credentials) == 1, body[:500])
            credential = credentials[0] if credentials else {}
            expect("the credential is issued to the holder's DID", credential.get("credentialSubject", {}).get("id") == wallet.did,
                   credential.get("credentialSubject", {}).get("id"))
            expect("the credential has a status entry and a Data Integrity proof", credential.get("credentialStatus", {}).get("type") == "BitstringStatusListEntry"
                   and credential.get("proof", [{}])[0].get("cryptosuite") == "eddsa-rdfc-2022", credential.get("credentialStatus"))
            expect("one credential more for the client", count_credentials() == before + 1, (before, count_credentials()))
            issuer = credential.get("issuer", {}).get("id", "")
            did_path = os.path.join(work, "did.json")
            with open(did_path, "wb") as f:
                f.write(request(base + "/" + "/".join(issuer.split(":")[3:]) + "/did.json")[2])
            with open(os.path.join(work, "delivered.json"), "w") as f:
                json.dump(credential, f)
            result = subprocess.run([sys.executable, os.path.join(shared, "tools", "peers", "ob3_ldp_verify.py"),
                                     os.path.join(work, "delivered.json"), "--did-doc", did_path, "--expected-recipient", wallet.did],
                                    capture_output=True, text=True)
            expect("ob3_ldp_verify.py accepts the delivered credential (bound to the holder's DID)", result.returncode == 0, result.stdout + result.stderr)
            # A replay of the same presentation: the exchange is used.
            status, _, body = request(vcapi, "POST", {"verifiablePresentation": vp})
            expect("a replay is refused (409), nothing issued", status == 409 and count_credentials() == before + 1, (status, body[:300]))
            status, _, body = request(vcapi, "POST", {})
            expect("a used exchange asks for nothing more", status == 409, (status, body[:200]))

            # A bare presentation signed eddsa-rdfc-2022 (other wallets).
            vcapi, vpr = start(open_exchange())
            before = count_credentials()
            status, _, body = request(vcapi, "POST", Wallet(loader).presentation(vpr["challenge"], vpr["domain"], suite="DataIntegrityProof"))
            expect("a bare VP signed eddsa-rdfc-2022 gets its credential", status == 200 and count_credentials() == before + 1, (status, body[:300]))

            # Each wrong step: refused with a problem document, nothing issued, the exchange still open.
            vcapi, vpr = start(open_exchange())
            before = count_credentials()
            holder = Wallet(loader)
            tampered = holder.presentation(vpr["challenge"], vpr["domain"])
            tampered["holder"] = holder.did
            tampered["type"] = ["VerifiablePresentation", "Extra"]
            swapped = holder.presentation(vpr["challenge"], vpr["domain"], holder=Wallet(loader).did)
            wrong = [
                ("a wrong challenge", holder.presentation("not-the-challenge", vpr["domain"]), 401),
                ("a wrong domain", holder.presentation(vpr["challenge"], "https://elsewhere.example"), 401),
                ("a tampered presentation", tampered, 401),
                ("a holder that is not the signer", swapped, 401),
                ("an expired proof", holder.presentation(vpr["challenge"], vpr["domain"], expires="2020-01-01T00:00:00Z"), 401),
                ("a message that is neither {} nor a presentation", {"hello": "world"}, 400),
            ]
            for name, message, expected in wrong:
                status, headers, body = request(vcapi, "POST", {"verifiablePresentation": message} if "proof" in message else message)
                detail = json.loads(body).get("detail", "") if body else ""
                expect(f"{name} is refused ({expected}) with a problem document that says why",
                       status == expected and headers.get("Content-Type") == "application/problem+json" and detail, (status, body[:300]))
            expect("nothing was issued for the wrong steps", count_credentials() == before, (before, count_credentials()))
            status, _, body = request(vcapi, "POST", {"verifiablePresentation": holder.presentation(vpr["challenge"], vpr["domain"])})
            expect("after the refusals the exchange still works for the right presentation", status == 200, body[:300])

            # An expired exchange (this server's exchanges live 10 s).
            vcapi, vpr = start(open_exchange())
            before = count_credentials()
            time.sleep(lifetime + 1)
            status, _, body = request(vcapi, "POST", {"verifiablePresentation": Wallet(loader).presentation(vpr["challenge"], vpr["domain"])},
                                      headers={"Accept-Language": "en"})
            expect("an expired exchange is refused (409), nothing issued", status == 409 and b"expired" in body and count_credentials() == before,
                   (status, body[:300]))
            status, _, body = request(base + "/wallet/" + "0" * 32, headers={"Accept": "application/json"})
            expect("an unknown exchange is not found", status == 404, status)
        except Exception as error:  # noqa: BLE001 - a broken step is a failure, with where it broke
            import traceback
            expect(f"the wallet imitation went through ({type(error).__name__})", False, traceback.format_exc()[-1500:])
        finally:
            demo_server.stop(server)
    print(f"check-wallet: {'all checks passed' if not failures else str(len(failures)) + ' check(s) failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
