#!/usr/bin/env python3
"""Independent status check of one Merkisto OB 3.0 credential with openbadgeslib (run with the `ob3`
Python environment of ../shared/tools/peers/setup.sh): the credential is verified with its key pinned and
check_status=True, its status list fetched from the publish folder (no network) and decoded by
openbadgeslib (gzip, base64url, MSB-first bits). Prints VALID, or REVOKED/SUSPENDED/INVALID with the reason.
Also prints the indexes set in each list named.

Usage: status_check.py CREDENTIAL PUBLISH_DIR BASE_URL KEY(JWK or PEM)
"""
import json
import sys

from jwcrypto import jwk
from openbadgeslib.ob3 import OB3LdpVerifier, OB3Verifier
from openbadgeslib.ob3.status import decode_encoded_list, set_indices
from openbadgeslib.ob3.verifier import OB3VerificationError


def main():
    credential, published, base, key = sys.argv[1:5]
    with open(key, "rb") as f:
        data = f.read()
    pem = jwk.JWK.from_json(data.decode()).export_to_pem(private_key=False, password=None) if data.lstrip().startswith(b"{") else data

    def download(url, *args, **kwargs):
        if not url.startswith(base):
            raise RuntimeError("offline: not a published document: %s" % url)
        with open(published + "/" + url[len(base):], "rb") as f:
            return f.read()

    text = open(credential, encoding="utf-8").read().strip()
    if text.startswith("{"):
        document = json.loads(text)
    else:
        import base64
        document = json.loads(base64.urlsafe_b64decode(text.split(".")[1] + "=="))
    status = document.get("credentialStatus")
    try:
        if text.startswith("{"):
            OB3LdpVerifier(pubkey_pem=pem).verify(document, check_status=True, verify_status_list=False, download=download)
        else:
            OB3Verifier(pubkey_pem=pem).verify(text, check_status=True, verify_status_list=False, download=download)
        verdict = "VALID"
    except OB3VerificationError as error:
        message = str(error)
        verdict = ("REVOKED: " if "'revocation' is set" in message else "SUSPENDED: " if "'suspension' is set" in message else "INVALID: ") + message
    print(verdict)
    if isinstance(status, dict) and status.get("statusListCredential", "").startswith(base):
        for purpose in ("revocation", "suspension"):
            url = status["statusListCredential"].replace("/status/revocation/", "/status/%s/" % purpose)
            listed = json.loads(download(url))
            bits = decode_encoded_list(listed["credentialSubject"]["encodedList"])
            print("%s list: %d entries, set: %s" % (purpose, len(bits) * 8, sorted(set_indices(bits))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
