#!/usr/bin/env bash
# Hosted documents from `merkisto serve` side by side with nginx serving the `merkisto publish` output of
# the same database, in one run, on loopback: wrk with 64 connections against a hosted OB 2.0 assertion
# (the route a verifier fetches for every hosted badge) on each server in turn.
#
# Goal (DESIGN.md §7, raised by issue 23): merkisto serve >= 0.7 x nginx's requests per second, with p99 < 5 ms.
#
# Usage: bash benchmarks/serve.sh [SECONDS]   (default 30; installs nginx and wrk from Debian when missing)
#        SERVE_BENCH_FLOOR=R fails (exit 1) when merkisto / nginx < R; SERVE_BENCH_JSON=FILE writes the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-30}"
OURS=8781
NGINX=8782

missing=()
for package in nginx wrk; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

MERKISTO="$(bash benchmarks/release-binary.sh)"
WORK="$(mktemp -d /tmp/merkisto-bench-serve-XXXXXX)"
cleanup() {
    [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"$MERKISTO" serve --demo --port "$OURS" --db "$WORK/merkisto.sqlite" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$OURS/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$OURS/healthz" >/dev/null

# The same documents as files, served by nginx (the base URL stays the server's: the paths are the same).
"$MERKISTO" publish --db "$WORK/merkisto.sqlite" --keys "$WORK/keys" --base-url "http://127.0.0.1:$OURS/" --out "$WORK/site" >/dev/null
# nginx's workers run as another user: let them read the published files (only those).
chmod 755 "$WORK"
chmod -R a+rX "$WORK/site"
cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    types { application/json json; image/png png; image/svg+xml svg; }
    server {
        listen 127.0.0.1:$NGINX;
        root $WORK/site;
        etag on;
    }
}
CONF
nginx -c "$WORK/nginx.conf"

ASSERTION="$(cd "$WORK/site" && ls ob2/assertions/*.json | head -1)"
cmp <(curl -fsS "http://127.0.0.1:$OURS/$ASSERTION") <(curl -fsS "http://127.0.0.1:$NGINX/$ASSERTION")

measure() {  # URL -> "requests_per_second p99_ms"
    wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency "$1" | awk '
        /Requests\/sec/ { rps = $2 }
        $1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; p99 = v }
        END { printf "%.0f %.2f\n", rps, p99 }'
}
read -r NGINX_RPS NGINX_P99 < <(measure "http://127.0.0.1:$NGINX/$ASSERTION")
read -r OUR_RPS OUR_P99 < <(measure "http://127.0.0.1:$OURS/$ASSERTION")
RATIO=$(awk -v a="$OUR_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.2f", a / b }')

echo "hosted OB 2.0 assertion, wrk -t2 -c64 -d${SECONDS_PER_RUN}s on loopback (2 cores shared by wrk and the server):"
printf "  %-16s %10s req/s   p99 %6s ms\n" "nginx" "$NGINX_RPS" "$NGINX_P99" "merkisto serve" "$OUR_RPS" "$OUR_P99"
echo "  ratio merkisto / nginx: $RATIO (goal >= 0.7, p99 < 5 ms)"
# SERVE_BENCH_FLOOR=RATIO (e.g. 0.525, 25 % under the goal) fails the run clearly below the goal only.
if [ -n "${SERVE_BENCH_FLOOR:-}" ] && awk -v r="$RATIO" -v f="$SERVE_BENCH_FLOOR" 'BEGIN { exit !(r < f) }'; then
    echo "serve.sh: ratio $RATIO is under the CI floor $SERVE_BENCH_FLOOR" >&2
    exit 1
fi
echo "{\"nginx_rps\": $NGINX_RPS, \"nginx_p99_ms\": $NGINX_P99, \"merkisto_rps\": $OUR_RPS, \"merkisto_p99_ms\": $OUR_P99, \"ratio\": $RATIO}" >"${SERVE_BENCH_JSON:-/dev/null}"
