#!/usr/bin/env python3
"""openbadgeslib signing and verifying one given OB 3.0 credential: the peer side of benchmarks/compare.sh.

Runs in the peers' `ob3` environment (made by ../shared/tools/peers/setup.sh). Measures, on one core, with
a new Ed25519 key: an eddsa-rdfc-2022 proof made for the document (add_data_integrity_proof) and checked
(verify_data_integrity_proof), a VC-JWT (EdDSA) of the payload signed (OB3Signer.sign_payload) and verified
(OB3Verifier.verify), the document's canonical N-Quads by pyld alone (to RDF, URDNA2015, SHA-256), and bare
Ed25519 signatures over 64 bytes (cryptography). Prints JSON.

Usage: PEER_PYTHON benchmarks/peer_sign_verify.py UNSIGNED.json PAYLOAD.json [--seconds S]
"""
import argparse
import hashlib
import json
import time
from datetime import datetime, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from openbadgeslib.ob3 import OB3Signer, OB3Verifier
from openbadgeslib.ob3.contexts import document_loader
from openbadgeslib.ob3.ldp import add_data_integrity_proof, verify_data_integrity_proof
from pyld import jsonld


def rate(body, seconds):
    """Operations per second of `body`, after one call outside the measured time."""
    body()
    count, start = 0, time.perf_counter()
    while True:
        body()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("document")
    parser.add_argument("payload")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    with open(args.document) as f:
        document = json.load(f)
    with open(args.payload) as f:
        payload = json.load(f)
    document.pop("proof", None)
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    method = "did:example:compare#key-1"
    created = datetime.now(timezone.utc).replace(microsecond=0)
    signed = add_data_integrity_proof(document, private_pem, method, created=created)
    verify_data_integrity_proof(signed, public_pem)  # raises when it does not verify
    signer, verifier = OB3Signer(private_pem, algorithm="EdDSA"), OB3Verifier(public_pem)
    token = signer.sign_payload(payload)
    verifier.verify(token)
    message = bytes(range(64))
    loader = document_loader()
    figures = {}
    # Twice in turn, each one's best, as `merkisto bench` measures its side.
    for _ in range(2):
        for name, body in (
            ("raw_ed25519_sign_per_s", lambda: key.sign(message)),
            ("sign_ldp_per_s", lambda: add_data_integrity_proof(document, private_pem, method, created=created)),
            ("verify_ldp_per_s", lambda: verify_data_integrity_proof(signed, public_pem)),
            ("sign_jwt_per_s", lambda: signer.sign_payload(payload)),
            ("verify_jwt_per_s", lambda: verifier.verify(token)),
            # pyld alone: the document to RDF and its canonical N-Quads (URDNA2015 = RDFC-1.0), hashed.
            ("canonize_per_s", lambda: hashlib.sha256(jsonld.normalize(document, {
                "algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}).encode()).digest()),
        ):
            figures[name] = max(figures.get(name, 0.0), rate(body, args.seconds / 2))
    print(json.dumps({name: round(value) for name, value in figures.items()}))


if __name__ == "__main__":
    main()
