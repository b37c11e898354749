#!/usr/bin/env bash
# Serving through nginx with one and with two `merkisto serve` on one PostgreSQL database, in one run on
# loopback (release build, a throwaway PostgreSQL cluster): wrk with 64 connections against a hosted OB 2.0
# assertion through an nginx upstream of one server, then of both; and the instructor's client page with 50
# signed-in sessions (paced, every 100 ms each) through the upstream of both — each session signed in once,
# its requests answered by either server (sessions are in the database).
#
# On a machine of two cores the servers, nginx, PostgreSQL and wrk share the cores: two servers show that
# the load is shared and nothing is lost, not that they are twice as fast.
#
# Usage: bash benchmarks/servers.sh [SECONDS]   (default 20; SERVERS_BENCH_JSON=FILE writes the figures)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"
SESSIONS=50

missing=()
for package in nginx wrk postgresql; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

MERKISTO="$(bash benchmarks/release-binary.sh)"
WORK="$(mktemp -d /tmp/merkisto-bench-servers-XXXXXX)"
PG_DIR="/tmp/merkisto-bench-pg-$$"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
A=$(free_port); B=$(free_port); ONE=$(free_port); TWO=$(free_port); SEED=$(free_port)
cleanup() {
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    for pid in ${SERVER_A:-} ${SERVER_B:-}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    bash Scripts/pg-cluster.sh stop "$PG_DIR"
    rm -rf "$WORK"
}
trap cleanup EXIT

SERVER_URL="$(bash Scripts/pg-cluster.sh start "$PG_DIR")"
PORT_PG="$(echo "$SERVER_URL" | sed 's/.*:\([0-9]*\)\/.*/\1/')"
psql -h 127.0.0.1 -p "$PORT_PG" -U postgres -qc "CREATE DATABASE bench"
DB="postgres://postgres@127.0.0.1:$PORT_PG/bench?sslmode=disable"
BASE="http://127.0.0.1:$TWO/"

ready() { for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }
"$MERKISTO" serve --demo --db "$DB" --keys "$WORK/keys" --port "$SEED" --base-url "$BASE" >"$WORK/seed.log" 2>&1 &
SEEDER=$!
ready "$SEED"
kill "$SEEDER"; wait "$SEEDER" 2>/dev/null || true
PASSWORD="$(sed -n 's/^  demo-ohjaaja (instructor), password //p' "$WORK/seed.log")"

"$MERKISTO" serve --db "$DB" --keys "$WORK/keys" --port "$A" --base-url "$BASE" --behind-proxy >"$WORK/a.log" 2>&1 &
SERVER_A=$!
"$MERKISTO" serve --db "$DB" --keys "$WORK/keys" --port "$B" --base-url "$BASE" --behind-proxy >"$WORK/b.log" 2>&1 &
SERVER_B=$!
ready "$A"; ready "$B"

cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    upstream one { server 127.0.0.1:$A; keepalive 64; }
    upstream two { server 127.0.0.1:$A; server 127.0.0.1:$B; keepalive 64; }
    server {
        listen 127.0.0.1:$ONE;
        location / { proxy_pass http://one; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$http_host;
                     proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; }
    }
    server {
        listen 127.0.0.1:$TWO;
        location / { proxy_pass http://two; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$http_host;
                     proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; }
    }
}
CONF
nginx -c "$WORK/nginx.conf"

ASSERTION="$(psql -h 127.0.0.1 -p "$PORT_PG" -U postgres -d bench -Atc "SELECT id FROM credential WHERE format = 'ob2-hosted' LIMIT 1" | sed "s|^$BASE||")"
curl -fsS -o /dev/null "http://127.0.0.1:$ONE/$ASSERTION"
curl -fsS -o /dev/null "http://127.0.0.1:$TWO/$ASSERTION"

wrk_figures() {  # wrk arguments -> "requests_per_second p99_ms"
    wrk "$@" | awk '
        /Requests\/sec/ { rps = $2 }
        $1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; p99 = v }
        END { printf "%.0f %.2f\n", rps, p99 }'
}
read -r ONE_RPS ONE_P99 < <(wrk_figures -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$ONE/$ASSERTION")
read -r TWO_RPS TWO_P99 < <(wrk_figures -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$TWO/$ASSERTION")

# 50 instructor sessions signed in through nginx (either server), the clients to rotate over.
COOKIES=()
for index in $(seq 1 "$SESSIONS"); do
    TOKEN="$(curl -fsS -c "$WORK/form-$index" "http://127.0.0.1:$TWO/signin" | sed -n 's/.*name="form_token" value="\([0-9a-f]*\)".*/\1/p')"
    COOKIE="$(curl -fsS -b "$WORK/form-$index" -o /dev/null -D - --data-urlencode "form_token=$TOKEN" --data-urlencode "user=demo-ohjaaja" \
        --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$TWO/signin" | sed -n 's/^Set-Cookie: \(merkisto_session=[0-9a-f]*\).*/\1/p')"
    COOKIES+=("$COOKIE")
done
CLIENTS=($(curl -fsS -H "Cookie: ${COOKIES[0]}" "http://127.0.0.1:$TWO/clients" | grep -o 'href="/clients/[a-z0-9-]*"' | sed 's/href="\/clients\///;s/"//' | sort -u))
[ "${#CLIENTS[@]}" -gt 0 ] && [ "${#COOKIES[@]}" -eq "$SESSIONS" ]
{
    echo "local cookies = {"; for c in "${COOKIES[@]}"; do echo "  \"$c\","; done; echo "}"
    echo "local clients = {"; for c in "${CLIENTS[@]}"; do echo "  \"$c\","; done; echo "}"
    cat <<'LUA'
local connections = 0
function setup(thread) thread:set("offset", connections); connections = connections + 25 end
function init(args) count = 0 end
function request()
  count = count + 1
  return wrk.format("GET", "/clients/" .. clients[(count % #clients) + 1], { ["Cookie"] = cookies[((offset + count) % #cookies) + 1] })
end
function delay() return 100 end
LUA
} >"$WORK/sessions.lua"
read -r PAGE_RPS PAGE_P99 < <(wrk_figures -t2 -c"$SESSIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/sessions.lua" "http://127.0.0.1:$TWO/")
ANSWERED_A="$(curl -fsS "http://127.0.0.1:$A/metrics" | awk '/^merkisto_http_requests_total\{group="pages",status="2xx"\}/ { print $2 }')"
ANSWERED_B="$(curl -fsS "http://127.0.0.1:$B/metrics" | awk '/^merkisto_http_requests_total\{group="pages",status="2xx"\}/ { print $2 }')"

echo "| through nginx (PostgreSQL) | requests/s | p99 |"
echo "|---|---|---|"
echo "| hosted assertion, one server, 64 connections | $ONE_RPS | $ONE_P99 ms |"
echo "| hosted assertion, two servers, 64 connections | $TWO_RPS | $TWO_P99 ms |"
echo "| instructor's client page, two servers, 50 sessions every 100 ms | $PAGE_RPS | $PAGE_P99 ms |"
echo "(pages answered by server a: ${ANSWERED_A:-0}, by server b: ${ANSWERED_B:-0})"
if [ -n "${SERVERS_BENCH_JSON:-}" ]; then
    printf '{"one_server_rps": %s, "one_server_p99_ms": %s, "two_servers_rps": %s, "two_servers_p99_ms": %s, "page_two_servers_rps": %s, "page_two_servers_p99_ms": %s}\n' \
        "$ONE_RPS" "$ONE_P99" "$TWO_RPS" "$TWO_P99" "$PAGE_RPS" "$PAGE_P99" >"$SERVERS_BENCH_JSON"
fi
