#!/usr/bin/env bash
# The county-scale benchmark (README, Performance): a release build, then benchmarks/scale.py on stores of
# 10,000, 100,000 and 1,000,000 generated clients (or the sizes given), wrk on what people wait for.
# Writes benchmarks/scale.json, benchmarks/scale.md and benchmarks/scale.svg. The 1,000,000-client store
# takes about 40 GB of disk in /tmp/merkisto-scale; the whole run took a quarter of an hour in stop 33.
#
# Usage: bash benchmarks/scale.sh [SIZES] [SECONDS]   e.g. bash benchmarks/scale.sh 10000,100000 10
set -euo pipefail
cd "$(dirname "$0")/.."
dpkg -s wrk >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
python3 benchmarks/scale.py "$(bash benchmarks/release-binary.sh)" --sizes "${1:-10000,100000,1000000}" --seconds "${2:-10}" \
    --json benchmarks/scale.json --table benchmarks/scale.md --svg benchmarks/scale.svg
