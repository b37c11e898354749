#!/usr/bin/env bash
# Every speed figure of DESIGN.md §7 in one run on this machine, each beside its baseline or peer from the
# same run, printed as one table (the README's performance table is this output):
#
# - `merkisto bench --format json`: issuing and verifying VC-JWTs beside bare P-256 signing and verifying,
#   bulk issuing beside bare signing, eddsa-rdfc-2022 issuing on one core, evaluations, the dry run;
# - openbadgeslib 4.6.3 and pyld (../shared/tools/peers) on the same credential as Merkisto: the unsigned
#   credential `merkisto issue --format ob3-ldp` makes for an example client (proof and status entry taken
#   off; benchmarks/peer_sign_verify.py): Data Integrity and VC-JWT signing and verifying, and the
#   canonical N-Quads alone (JSON-LD + RDFC-1.0). Merkisto issues with its per-badge template (the
#   `issue_ob3_ldp_per_s` figure); its generic path (JSON-LD to statements and RDFC-1.0 each time) is shown too;
# - `merkisto lint` beside `xmllint --noout --schema` on 2,000 badges (benchmarks/lint_set.py), wall and
#   CPU time, interleaved, best of 3;
# - `merkisto serve` beside nginx serving the published files (benchmarks/serve.sh), and the instructor's
#   client page with 50 signed-in sessions (benchmarks/pages.sh).
#
# Usage: bash benchmarks/compare.sh [SECONDS]   (default 4 per figure; needs ../shared/tools/peers; installs
# xmllint, nginx and wrk when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_FIGURE="${1:-4}"
PEERS="$(cd .. && pwd)/shared/tools/peers"
[ -d "$PEERS" ] || { echo "compare.sh: ../shared/tools/peers is missing" >&2; exit 2; }
bash "$PEERS/setup.sh" >/dev/null
command -v xmllint >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq libxml2-utils >/dev/null; }
PEER_PYTHON="${PEERS_HOME:-$HOME/.cache/badge-peers}/ob3/bin/python"

MERKISTO="$(bash benchmarks/release-binary.sh)"
WORK="$(mktemp -d /tmp/merkisto-compare-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

echo "compare.sh: merkisto bench" >&2
"$MERKISTO" bench --seconds "$SECONDS_PER_FIGURE" --format json >"$WORK/bench.json"

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

echo "compare.sh: openbadgeslib and pyld, and Merkisto, on the same credential" >&2
"$PEER_PYTHON" benchmarks/peer_sign_verify.py "$WORK/unsigned.json" "$WORK/payload.json" --seconds "$SECONDS_PER_FIGURE" >"$WORK/peer.json"
"$MERKISTO" bench --document "$WORK/unsigned.json" --payload "$WORK/payload.json" --seconds "$SECONDS_PER_FIGURE" --format json >"$WORK/ours.json"

echo "compare.sh: merkisto lint and xmllint --schema on 2,000 badges" >&2
python3 benchmarks/lint_set.py "$WORK/lint" --count 2000
python3 benchmarks/lint_time.py "$MERKISTO" "$WORK/lint" "$PWD/Schemas/xsd/badge.xsd" >"$WORK/lint.json"

echo "compare.sh: merkisto serve and nginx; the instructor's client page" >&2
SERVE_BENCH_JSON="$WORK/serve.json" bash benchmarks/serve.sh 10 >/dev/null
PAGES_BENCH_JSON="$WORK/pages.json" bash benchmarks/pages.sh 10 >/dev/null

python3 - "$WORK" "$BADGE" "${COMPARE_JSON:-}" <<'PY'
import json, sys
work, badge, out = sys.argv[1], sys.argv[2], sys.argv[3]
load = lambda name: json.load(open(f"{work}/{name}.json"))
bench, peer, ours, lint, serve, pages = load("bench"), load("peer"), load("ours"), load("lint"), load("serve"), load("pages")
# (figure, Merkisto, what it is compared with, that value, ratio, the bar as text, met)
rows = []
def row(figure, value, unit, against, base, bar, goal, lower_is_better=False):
    ratio = value / base if base else None
    if lower_is_better:
        met = ratio is not None and ratio <= goal if against else value <= goal
    else:
        met = (ratio >= goal) if against else value >= goal
    number = lambda x: f"{x:,.0f}" if x >= 10 else f"{x:,.2f}"
    rows.append((figure, f"{number(value)} {unit}".strip(), against, number(base) if against else "",
                 (f"{ratio:,.1f}" if ratio >= 10 else f"{ratio:,.2f}") if against else "", bar, ("yes" if met else "**no**") if bar else ""))
f = bench
row("OB 3.0 VC-JWT issued (build + sign), ES256", f["issue_ob3_jwt_per_s"], "/s", "bare P-256 signing", f["raw_p256_sign_per_s"], "≥ 0.8×", 0.8)
row("OB 3.0 VC-JWT verified, from scratch", f["verify_ob3_jwt_per_s"], "/s", "bare P-256 verifying", f["raw_p256_verify_per_s"], "≥ 0.85×", 0.85)
row("bulk issuing, durable group commits", f["bulk_issue_per_s"], "/s", "bare P-256 signing", f["raw_p256_sign_per_s"], "≥ 0.7×", 0.7)
row("eddsa-rdfc-2022 issued, one core", f["issue_ob3_ldp_per_s"], "/s", "bare Ed25519 signing", f["raw_ed25519_sign_per_s"], "≥ 0.3×", 0.3)
row("eddsa-rdfc-2022 verified, one core (statements, RDFC-1.0, Ed25519 each time)", f["verify_ob3_ldp_per_s"], "/s", "", 0, "≥ 2,000/s", 2000)
row("eddsa-rdfc-2022 issued, same credential (template)", f["issue_ob3_ldp_per_s"], "/s", "openbadgeslib add_data_integrity_proof", peer["sign_ldp_per_s"], "≥ 100×", 100)
row("eddsa-rdfc-2022 signed, same credential (generic path: statements and RDFC-1.0 each time)", ours["sign_ldp_per_s"], "/s", "openbadgeslib add_data_integrity_proof", peer["sign_ldp_per_s"], "", 0)
row("eddsa-rdfc-2022 verified, same credential", ours["verify_ldp_per_s"], "/s", "openbadgeslib verify_data_integrity_proof", peer["verify_ldp_per_s"], "", 0)
row("canonical N-Quads (JSON-LD + RDFC-1.0 + SHA-256), same credential", ours["canonize_per_s"], "/s", "pyld normalize (URDNA2015)", peer["canonize_per_s"], "", 0)
row("VC-JWT EdDSA signed, same payload", ours["sign_jwt_per_s"], "/s", "openbadgeslib OB3Signer", peer["sign_jwt_per_s"], "", 0)
row("VC-JWT EdDSA verified, same token", ours["verify_jwt_per_s"], "/s", "openbadgeslib OB3Verifier", peer["verify_jwt_per_s"], "", 0)
row("badge evaluations, one core, no explanations", f["evaluations_per_s"], "/s", "", 0, "≥ 10,000,000/s", 10_000_000)
row("dry run over 100,000 stored clients, two cores", f["dry_run_clients_per_s"], "clients/s", "", 0, "≥ 100,000/s", 100_000)
row(f"lint {lint['badges']:,} badges: wall time", lint["merkisto"]["wall"], "s", "xmllint --noout --schema", lint["xmllint"]["wall"], "≤ 1.2×", 1.2, lower_is_better=True)
row(f"lint {lint['badges']:,} badges: CPU time", lint["merkisto"]["cpu"], "s", "xmllint --noout --schema", lint["xmllint"]["cpu"], "≤ 1.2×", 1.2, lower_is_better=True)
row("hosted OB 2.0 assertion, 64 connections", serve["merkisto_rps"], "req/s", "nginx, the published file", serve["nginx_rps"], "≥ 0.7×", 0.7)
row("hosted OB 2.0 assertion: p99", serve["merkisto_p99_ms"], "ms", "", 0, "< 5 ms", 5, lower_is_better=True)
row("the instructor's client page, 50 sessions: p99", pages["paced_p99_ms"], "ms", "", 0, "< 10 ms", 10, lower_is_better=True)
print(f"One run on this machine ({badge} for the same-credential rows); rates per second, times in seconds or ms:")
print()
print("| figure | Merkisto | compared with | its figure | ratio | bar | met |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
if out:
    json.dump({"bench": bench, "peer": peer, "ours": ours, "lint": lint, "serve": serve, "pages": pages}, open(out, "w"), indent=2)
PY
