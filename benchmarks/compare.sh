#!/usr/bin/env bash
# One unsigned Merkisto credential signed and verified by openbadgeslib (the peers' Data Integrity and
# VC-JWT code, ../shared/tools/peers) and by Merkisto, in one run on this machine, with the ratios.
#
# The credential is what `merkisto issue --format ob3-ldp` makes for an example client, its proof (and
# status entry: no lists are published here) taken off; the VC-JWT payload is that credential with its JWT claims (iss, jti, sub, nbf, exp). Both sides
# use a new Ed25519 key, measure each operation on one core, twice in turn, and keep the best run:
# - Data Integrity: an eddsa-rdfc-2022 proof made for the document and checked, JSON-LD and RDFC-1.0 each
#   time (Merkisto's generic path, not its per-badge issuing template: see `merkisto bench`).
# - VC-JWT (EdDSA): the payload signed, and the token verified (Merkisto: signature, claims, dates;
#   openbadgeslib: signature, dates, structure).
#
# Usage: bash benchmarks/compare.sh [SECONDS]   (default 4 per figure; needs ../shared/tools/peers)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_FIGURE="${1:-4}"
PEERS="$(cd .. && pwd)/shared/tools/peers"
[ -d "$PEERS" ] || { echo "compare.sh: ../shared/tools/peers is missing" >&2; exit 2; }
bash "$PEERS/setup.sh" >/dev/null
PEER_PYTHON="${PEERS_HOME:-$HOME/.cache/badge-peers}/ob3/bin/python"

swift build -c release --product merkisto >/dev/null 2>&1
MERKISTO="$(swift build -c release --show-bin-path)/merkisto"
WORK="$(mktemp -d /tmp/merkisto-compare-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# One earned badge of an example client, issued with a Data Integrity proof.
CLIENT="examples/clients/edistyja.json"
BADGE="$("$MERKISTO" evaluate "$CLIENT" --format json | python3 -c 'import json,sys; print(next(b["id"] for b in json.load(sys.stdin)["badges"] if b["earned"]))')"
"$MERKISTO" keys generate --alg EdDSA --dir "$WORK/keys" >/dev/null
"$MERKISTO" issue "$CLIENT" --badge "$BADGE" --format ob3-ldp --recipient-email asiakas@example.org \
    --base-url https://badges.example.org/ --db "$WORK/ledger.sqlite" --keys "$WORK/keys" --out "$WORK/issued.json" >/dev/null 2>&1
python3 - "$WORK" <<'PY'
import json, sys
from datetime import datetime
work = sys.argv[1]
with open(work + "/issued.json") as f:
    document = json.load(f)
document.pop("proof")
# Its status entry too: no status lists are published here for the verifiers to read.
document.pop("credentialStatus", None)
with open(work + "/unsigned.json", "w") as f:
    json.dump(document, f)
def seconds(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
payload = dict(document, iss=document["issuer"]["id"], jti=document["id"], sub=document["credentialSubject"]["id"],
               nbf=seconds(document["validFrom"]))
if "validUntil" in document:
    payload["exp"] = seconds(document["validUntil"])
with open(work + "/payload.json", "w") as f:
    json.dump(payload, f)
PY

"$PEER_PYTHON" benchmarks/peer_sign_verify.py "$WORK/unsigned.json" "$WORK/payload.json" --seconds "$SECONDS_PER_FIGURE" >"$WORK/peer.json"
"$MERKISTO" bench --document "$WORK/unsigned.json" --payload "$WORK/payload.json" --seconds "$SECONDS_PER_FIGURE" --format json >"$WORK/ours.json"

python3 - "$WORK" "$BADGE" "$(wc -c <"$WORK/unsigned.json")" "${COMPARE_JSON:-}" <<'PY'
import json, sys
work, badge, size, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
peer = json.load(open(work + "/peer.json"))
ours = json.load(open(work + "/ours.json"))
rows = [
    ("Data Integrity eddsa-rdfc-2022: sign", "sign_ldp_per_s"),
    ("Data Integrity eddsa-rdfc-2022: verify", "verify_ldp_per_s"),
    ("VC-JWT EdDSA: sign", "sign_jwt_per_s"),
    ("VC-JWT EdDSA: verify", "verify_jwt_per_s"),
    ("bare Ed25519 signature, 64 bytes", "raw_ed25519_sign_per_s"),
]
print(f"one OB 3.0 credential ({badge}, {size:,} bytes unsigned), one core, operations per second:")
print(f"| operation | openbadgeslib 4.6.3 | Merkisto | Merkisto ÷ openbadgeslib |")
print(f"|---|---|---|---|")
result = {}
for label, key in rows:
    ratio = ours[key] / peer[key]
    result[key] = {"openbadgeslib": peer[key], "merkisto": ours[key], "ratio": round(ratio, 1)}
    print(f"| {label} | {peer[key]:,.0f} | {ours[key]:,.0f} | {ratio:,.1f} |")
if out:
    json.dump(result, open(out, "w"), indent=2)
PY
