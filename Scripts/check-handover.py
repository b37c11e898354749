#!/usr/bin/env python3
"""The hand-over package (CLR 2.0), checked by code we did not write.

For each example client: issue what they have earned (some badges as ob3-ldp, some as ob3-jwt, some in both,
one revoked), publish, make `merkisto handover` packages in both formats, then:
  * the ob3-ldp package validates against 1EdTech's CLR JSON Schema (../shared/reference/schemas, draft 4,
    less its VC 1.1 `issuanceDate`, which CLR 2.0 on VC 2.0 replaces by `validFrom`, and with the OB 3.0
    schema's open `CredentialStatus` for its VC 1.1 closed one: see clr_schema());
  * its proof verifies over pyld's canonical N-Quads (RDFC-1.0) with `cryptography`'s Ed25519 and the key in
    the published DID document: our canonical form and pyld's are the same bytes, or the signature would fail;
  * openbadgeslib's Data Integrity verification (with its own pinned CLR context) accepts the package where it
    is under that library's 256 KiB cap, and refuses it with a credential taken out;
  * every credential inside passes the peers (ob3_ldp_verify.py, ob3_verify.py) as it stands inside;
  * taking a credential out of the package, or changing one inside, breaks the package's proof;
  * the revoked credential is not inside, and nothing inside names the client's pseudonym;
  * the ob3-jwt package's signature verifies (cryptography, the published JWK) and its claims match.

Runs itself in the peers' ob3 environment (pyld, jsonschema, cryptography).

Usage: python3 Scripts/check-handover.py PATH/TO/merkisto PATH/TO/shared
"""
import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def peers_environment(shared):
    home = os.path.abspath(os.environ.get("PEERS_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "badge-peers"))
    venv = os.path.join(home, "ob3")
    if os.path.realpath(sys.prefix) != os.path.realpath(venv):
        python = os.path.join(venv, "bin", "python")
        if not os.path.exists(python):
            sys.exit(f"check-handover: run {shared}/tools/peers/setup.sh first")
        os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


if len(sys.argv) != 3:
    sys.exit(__doc__)
MERKISTO, SHARED = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
peers_environment(SHARED)

import jsonschema  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402
from importlib import resources  # noqa: E402
from pyld import jsonld  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from openbadgeslib.ob3 import bundled_clr_contexts  # noqa: E402
from openbadgeslib.ob3.ldp import verify_data_integrity_proof  # noqa: E402

PEERS = os.path.join(SHARED, "tools", "peers")
BASE = "https://badges.example.org/"
CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": os.path.join(PEERS, "contexts", "credentials-v2.jsonld"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": os.path.join(PEERS, "contexts", "ob-v3p0-context-3.0.3.json"),
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": os.path.join(SHARED, "reference", "contexts", "clr-v2p0-2.0.1.json"),
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": str(resources.files("openbadgeslib.ob3.contexts") / "ob-v3p0-extensions.json"),
}


def loader(url, options=None):
    if url not in CONTEXTS:
        raise jsonld.JsonLdError(f"context not available offline: {url}", "jsonld.LoadDocumentError", code="loading document failed")
    with open(CONTEXTS[url]) as f:
        return {"contextUrl": None, "documentUrl": url, "document": json.load(f)}


def canonical(document):
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader})


def multibase_key(value):
    """The Ed25519 public key of a `z6Mk…` Multikey (base58btc, multicodec 0xed01)."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number = 0
    for char in value[1:]:
        number = number * 58 + alphabet.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(value[1:]) - len(value[1:].lstrip("1"))) + raw
    assert raw[:2] == b"\xed\x01", "not an Ed25519 multikey"
    return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])


def base58_decode(value):
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number = 0
    for char in value:
        number = number * 58 + alphabet.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(value) - len(value.lstrip("1"))) + raw


def did_key(document, did_document):
    proofs = document.get("proof")
    proof = proofs[0] if isinstance(proofs, list) else proofs
    method = next(m for m in did_document["verificationMethod"] if m["id"] == proof["verificationMethod"])
    return multibase_key(method["publicKeyMultibase"])


def did_key_pem(document, did_document):
    return did_key(document, did_document).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def proof_holds(document, did_document):
    """eddsa-rdfc-2022 verification with pyld and cryptography only."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proofs = document.get("proof")
    proof = proofs[0] if isinstance(proofs, list) else proofs
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = document["@context"]
    key = did_key(document, did_document)
    data = hashlib.sha256(canonical(options).encode()).digest() + hashlib.sha256(canonical(unsecured).encode()).digest()
    try:
        key.verify(base58_decode(proof["proofValue"][1:]), data)
        return True
    except Exception:
        return False


def b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_holds(token, jwk):
    header, payload, signature = token.split(".")
    signed = f"{header}.{payload}".encode()
    raw = b64(signature)
    try:
        if jwk["kty"] == "OKP":
            ed25519.Ed25519PublicKey.from_public_bytes(b64(jwk["x"])).verify(raw, signed)
        else:
            numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(b64(jwk["x"]), "big"), int.from_bytes(b64(jwk["y"]), "big"), ec.SECP256R1())
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            numbers.public_key().verify(der, signed, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False


def clr_schema():
    """1EdTech's draft-4 CLR schema without the two VC 1.1 rules it was written with: the `issuanceDate` it
    asks for everywhere (VC 2.0 has `validFrom`), and a `CredentialStatus` closed to `id` and `type` (a VC 2.0
    status entry such as BitstringStatusListEntry has `statusPurpose`, `statusListIndex` and
    `statusListCredential`). The second takes the definition of 1EdTech's OB 3.0 schema in the same folder,
    which is the same class left open."""
    with open(os.path.join(SHARED, "reference", "schemas", "clr_v2p0_clrcredential_schema_draft4.json")) as f:
        schema = json.load(f)
    with open(os.path.join(SHARED, "reference", "schemas", "ob_v3p0_achievementcredential_schema.json")) as f:
        ob3 = json.load(f)
    schema["$defs"]["CredentialStatus"] = ob3["$defs"]["CredentialStatus"]

    def strip(node):
        if isinstance(node, dict):
            if isinstance(node.get("required"), list):
                node["required"] = [name for name in node["required"] if name != "issuanceDate"]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)
    strip(schema)
    return schema


class Check:
    def __init__(self, work):
        self.work, self.failures, self.count = work, [], 0

    def run(self, *args, check=True):
        result = subprocess.run(list(args), capture_output=True, text=True, cwd=self.work)
        if check and result.returncode != 0:
            sys.exit(f"check-handover: {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def m(self, *args, check=True):
        extra = ["--definitions", os.path.join(ROOT, "BadgeDefinitions"), "--base-url", BASE] if args[0] in ("issue", "publish", "handover", "import") else []
        return self.run(MERKISTO, *args, *extra, check=check)

    def expect(self, name, ok, detail=""):
        self.count += 1
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
        if not ok:
            self.failures.append(name)
            if detail:
                print("     " + str(detail).strip().replace("\n", "\n     ")[:1500])

    def peer(self, script, *args):
        return self.run(sys.executable, os.path.join(PEERS, script), *args, check=False)


def main():
    with tempfile.TemporaryDirectory(prefix="merkisto-handover-") as work:
        c = Check(work)
        c.m("import", os.path.join(ROOT, "examples", "clients"))
        c.m("keys", "generate", "--alg", "EdDSA")
        c.m("keys", "generate", "--alg", "ES256")
        # The example clients, by their ids in the files.
        clients = []
        for name in sorted(os.listdir(os.path.join(ROOT, "examples", "clients"))):
            with open(os.path.join(ROOT, "examples", "clients", name)) as f:
                clients.append(json.load(f)["client"])
        revoked = None
        held = {}
        for number, client in enumerate(clients):
            earned = [b["id"] for b in json.loads(c.run(MERKISTO, "evaluate", client, "--format", "json", "--definitions",
                                                         os.path.join(ROOT, "BadgeDefinitions")).stdout)["badges"] if b["earned"]]
            held[client] = {"ldp": [], "jwt": []}
            for index, badge in enumerate(earned[:8]):
                formats = ["ob3-ldp"] if index % 3 == 0 else ["ob3-jwt"] if index % 3 == 1 else ["ob3-ldp", "ob3-jwt"]
                for fmt in formats:
                    out = c.m("issue", client, "--badge", badge, "--format", fmt).stdout
                    held[client]["ldp" if fmt == "ob3-ldp" else "jwt"].append(out)
            if revoked is None and len(held[client]["ldp"]) > 1:
                revoked = json.loads(held[client]["ldp"].pop(0))["id"]
                c.m("revoke", revoked, "--reason", "annettu väärälle")
        c.m("publish", "--out", "pub")
        did_path = os.path.join(work, "pub", "issuers", "esimerkkialue", "did.json")
        with open(did_path) as f:
            did_document = json.load(f)
        with open(os.path.join(work, "pub", "keys", "jwks.json")) as f:
            jwks = {key["kid"]: key for key in json.load(f)["keys"]}
        schema = clr_schema()
        validator = jsonschema.Draft4Validator(schema)
        small_checked = False

        for client in clients:
            c.m("handover", client, "--out", f"{client}.json")
            with open(os.path.join(work, f"{client}.json")) as f:
                text = f.read()
            package = json.loads(text)
            subject = package["credentialSubject"]
            inside = subject["verifiableCredential"]
            ids = [credential["id"] for credential in inside]
            expected = [json.loads(body)["id"] for body in held[client]["ldp"]]
            c.expect(f"{client}: the ldp package carries each valid ob3-ldp credential", all(i in ids for i in expected), (expected, ids))
            c.expect(f"{client}: the revoked credential is not inside", revoked not in ids)
            c.expect(f"{client}: the package does not name the client", client not in text)
            c.expect(f"{client}: contexts VC 2.0, CLR 2.0.1, OB 3.0.3", package["@context"] == [
                "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"])
            errors = sorted(validator.iter_errors(package), key=lambda e: list(e.absolute_path))
            c.expect(f"{client}: the CLR JSON Schema (less its VC 1.1 rules) accepts the package", not errors,
                     "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:10]))
            c.expect(f"{client}: the package's proof verifies over pyld's canonical form (cryptography Ed25519, did:web key)",
                     proof_holds(package, did_document))
            if len(json.dumps(package, separators=(",", ":"), ensure_ascii=False).encode()) <= 262144:
                # openbadgeslib's CLR verification (its hash-pinned CLR context), for packages under its 256 KiB cap.
                small_checked = True
                try:
                    verify_data_integrity_proof(package, did_key_pem(package, did_document), extra_contexts=bundled_clr_contexts())
                    error = None
                except Exception as exc:  # noqa: BLE001 - the peer's refusal, shown
                    error = exc
                c.expect(f"{client}: openbadgeslib verifies the package's Data Integrity proof (its CLR context)", error is None, error)
                taken = copy.deepcopy(package)
                taken["credentialSubject"]["verifiableCredential"] = inside[1:]
                try:
                    verify_data_integrity_proof(taken, did_key_pem(package, did_document), extra_contexts=bundled_clr_contexts())
                    refused = False
                except Exception:  # noqa: BLE001
                    refused = True
                c.expect(f"{client}: openbadgeslib refuses the package with a credential taken out", refused)
            progress = [credential for credential in inside if "AchievementCredential" in credential["type"]]
            c.expect(f"{client}: progress towards every baseline, with results", len(progress) >= 1 and all(
                credential["credentialSubject"].get("result") for credential in progress))
            statuses = {result["status"] for credential in progress for result in credential["credentialSubject"]["result"]}
            c.expect(f"{client}: result statuses are Completed / InProgress", statuses <= {"Completed", "InProgress"} and statuses, statuses)
            for number, credential in enumerate(inside):
                path = os.path.join(work, f"{client}-inside-{number}.json")
                with open(path, "w") as f:
                    json.dump(credential, f)
                result = c.peer("ob3_ldp_verify.py", path, "--did-doc", did_path)
                c.expect(f"{client}: peer ob3_ldp_verify.py accepts {credential['name']!r} as it stands inside", result.returncode == 0, result.stdout + result.stderr)
            if len(inside) > 1:
                taken = copy.deepcopy(package)
                taken["credentialSubject"]["verifiableCredential"] = inside[1:]
                c.expect(f"{client}: taking a credential out breaks the package's proof", not proof_holds(taken, did_document))
                changed = copy.deepcopy(package)
                changed["credentialSubject"]["verifiableCredential"][0]["name"] += "!"
                c.expect(f"{client}: changing a credential inside breaks the package's proof", not proof_holds(changed, did_document))

            c.m("handover", client, "--format", "ob3-jwt", "--out", f"{client}.jwt")
            with open(os.path.join(work, f"{client}.jwt")) as f:
                token = f.read().strip()
            header = json.loads(b64(token.split(".")[0]))
            payload = json.loads(b64(token.split(".")[1]))
            jwk = jwks.get(header["kid"].rsplit("/", 1)[1].removesuffix(".json"))
            c.expect(f"{client}: the VC-JWT package's signature verifies with the published JWK", jwk is not None and jwt_holds(token, jwk), header)
            c.expect(f"{client}: its claims: iss, jti = id, sub = the subject, ClrCredential",
                     payload["jti"] == payload["id"] and payload["sub"] == payload["credentialSubject"]["id"]
                     and "ClrCredential" in payload["type"] and payload["iss"].startswith(BASE))
            carried = payload["credentialSubject"]["verifiableCredential"]
            strings = [entry for entry in carried if isinstance(entry, str)]
            expected_jwt = [body.strip() for body in held[client]["jwt"]]
            c.expect(f"{client}: the VC-JWT package carries each valid ob3-jwt credential as issued", all(token in strings for token in expected_jwt))
            for number, entry in enumerate(carried):
                if isinstance(entry, str):
                    kid = json.loads(b64(entry.split(".")[0]))["kid"].rsplit("/", 1)[1]
                    result = c.peer("ob3_verify.py", entry, "--key", os.path.join(work, "pub", "keys", kid))
                else:
                    path = os.path.join(work, f"{client}-jwt-inside-{number}.json")
                    with open(path, "w") as f:
                        json.dump(entry, f)
                    result = c.peer("ob3_ldp_verify.py", path, "--did-doc", did_path)
                c.expect(f"{client}: a peer accepts VC-JWT package entry {number}", result.returncode == 0, result.stdout + result.stderr)

        c.expect("a package small enough for openbadgeslib's verification was checked by it", small_checked)
        print(f"check-handover: {c.count - len(c.failures)} of {c.count} checks passed")
        if c.failures:
            sys.exit(1)


if __name__ == "__main__":
    main()
