#!/usr/bin/env python3
"""Our JSON-LD processing and RDFC-1.0 against pyld's, on generated OB 3.0 credentials.

Generates N varied OpenBadgeCredentials (seeded): achievements with alignments, result descriptions and
rubric levels, results, evidence, creators, Unicode text (Finnish, Swedish, emoji, combining marks,
tabs, newlines, quotes, backslashes), values with language tags, numbers and booleans; writes them as JSON lines; gets
canonical N-Quads for each from pyld (../shared/tools/peers/jsonld_canon.py --jsonl) and from ours (the
`jsonldDifferential` test, JSONLD_DIFF_INPUT/OUTPUT); and fails on any difference.

Usage: python3 Scripts/check-jsonld.py PEERS [--count 1000] [--seed 20261202]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
TEXTS = ["Asiointi verkossa", "Ärenden på nätet", "Handling your affairs online", "Tietoturvan perusteet 🔐", "e\u0301 combining",
         "line\nbreak", "tab\tand \"quotes\" and \\", "ünïcödé ∞ ⁰", "控制", "", "  spaces  ", "Åsa's <b>tag</b>"]
# No C0 control characters but tab, newline and carriage return: RDFC-1.0 writes them as \uXXXX (the W3C
# suite's test060, which ours passes), pyld 3.3 writes them raw, so they cannot be compared here.


def text(rng):
    value = rng.choice(TEXTS) + ("" if rng.random() < 0.5 else f" {rng.randint(0, 999)}")
    if rng.random() < 0.2:
        return {"@value": value, "@language": rng.choice(["fi", "sv", "en", "fi-FI", "sv-FI"])}
    return value


def credential(rng, index):
    base = "https://badges.example.org/"
    achievement = {
        "id": f"{base}achievements/badge-{rng.randint(0, 40)}.json",
        "type": ["Achievement"],
        "name": text(rng),
        "description": text(rng),
        "criteria": {"narrative": text(rng)},
        "achievementType": rng.choice(["Badge", "Competency", "Certificate"]),
    }
    if rng.random() < 0.7:
        achievement["alignment"] = [
            {"type": ["Alignment"], "targetName": text(rng), "targetUrl": f"https://example.org/digcomp/{a}",
             "targetFramework": "DigComp 2.2", "targetCode": f"{rng.randint(1, 5)}.{rng.randint(1, 4)}"}
            for a in range(rng.randint(1, 4))]
    if rng.random() < 0.5:
        achievement["resultDescription"] = [{
            "id": f"{base}achievements/badge-{index}.json#result-{r}", "type": ["ResultDescription"], "name": text(rng),
            "resultType": rng.choice(["RubricCriterionLevel", "ScaledScore", "Status"]),
            "rubricCriterionLevel": [
                {"id": f"{base}achievements/badge-{index}.json#level-{r}-{l}", "type": ["RubricCriterionLevel"], "name": text(rng), "level": str(l)}
                for l in range(rng.randint(1, 3))],
        } for r in range(rng.randint(1, 2))]
    if rng.random() < 0.3:
        achievement["creator"] = {"id": f"{base}issuers/creator-{rng.randint(0, 3)}.json", "type": ["Profile"], "name": text(rng)}
    if rng.random() < 0.3:
        achievement["creditsAvailable"] = rng.choice([1, 2.5, 0.1, 10])
    subject = {"type": ["AchievementSubject"], "achievement": achievement}
    if rng.random() < 0.6:
        subject["id"] = f"urn:uuid:{rng.getrandbits(128):032x}"
    if rng.random() < 0.4:
        subject["result"] = [{"type": ["Result"], "value": str(rng.randint(0, 100)), "status": rng.choice(["Completed", "Enrolled"])}]
    document = {
        "@context": CONTEXTS,
        "id": f"urn:uuid:{rng.getrandbits(128):032x}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": f"{base}issuers/esimerkkialue.json", "type": ["Profile"], "name": text(rng)},
        "validFrom": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
        "name": text(rng),
        "credentialSubject": subject,
    }
    if rng.random() < 0.5:
        document["validUntil"] = "2029-01-01T00:00:00+02:00"
    if rng.random() < 0.5:
        document["evidence"] = [{"type": ["Evidence"], "name": text(rng), "narrative": text(rng)} for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:
        document["description"] = text(rng)
    return document


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("peers")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="merkisto-jsonld-")
    documents = os.path.join(work, "documents.jsonl")
    with open(documents, "w") as file:
        for index in range(args.count):
            file.write(json.dumps(credential(rng, index), ensure_ascii=False) + "\n")
    with open(documents) as source, open(os.path.join(work, "pyld.jsonl"), "w") as out:
        subprocess.run([sys.executable, os.path.join(os.path.abspath(args.peers), "jsonld_canon.py"), "--jsonl"], stdin=source, stdout=out, check=True)
    ours = os.path.join(work, "ours.jsonl")
    environment = dict(os.environ, JSONLD_DIFF_INPUT=documents, JSONLD_DIFF_OUTPUT=ours)
    result = subprocess.run(["swift", "test", "--filter", "jsonldDifferential"], cwd=ROOT, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:])
        return 1
    peer = [json.loads(line) for line in open(os.path.join(work, "pyld.jsonl"))]
    mine = [json.loads(line) for line in open(ours)]
    differences = [index for index, (a, b) in enumerate(zip(mine, peer)) if a != b]
    if len(mine) != len(peer) or differences:
        for index in differences[:3]:
            a, b = mine[index], peer[index]
            print(f"document {index}:", json.dumps(a)[:600], "\n  pyld:", json.dumps(b)[:600])
        print(f"check-jsonld: {len(differences)} of {len(peer)} documents differ from pyld ({documents})", file=sys.stderr)
        return 1
    print(f"check-jsonld: all {len(peer)} generated credentials give pyld's canonical N-Quads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
