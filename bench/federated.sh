#!/usr/bin/env bash
# Federated client authentication (issue 21) beside private_key_jwt, in one run on loopback: the
# bench server (server/examples/bench_token_server.rs) also serves an OIDC issuer and a
# Kubernetes-shaped issuer (discovery + JWKS, ES256) that its realm trusts, with one
# federated-jwt client bound to each. Per backend (SQLite, then a throw-away PostgreSQL
# cluster): private_key_jwt (unique jti per request), federated_jwt with a CI-style token (unique
# jti, replay-checked), and federated_jwt with one Kubernetes token reused on every request.
# autocannon, CONN connections, DURATION s each after a 5 s warm-up. One JSON line each.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${DURATION:-15}; CONN=${CONN:-32}; N=${N:-240000}
cd "$ROOT/bench"
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error >/dev/null
cargo build --release -p keyward-server --example bench_token_server 2>/dev/null
for BACKEND in sqlite postgres; do
  SETUP=$(mktemp --suffix=.json)
  "$ROOT/target/release/examples/bench_token_server" "$BACKEND" 3200 "$SETUP" 2>/dev/null & SPID=$!
  for _ in $(seq 100); do [ -s "$SETUP" ] && curl -sf http://127.0.0.1:3200/health/ready >/dev/null && break; sleep 0.2; done
  tag() { sed "s/^{/{\"server\":\"keyward\",\"backend\":\"$BACKEND\",\"rss_kb\":$(ps -o rss= -p $SPID | tr -d ' '),/"; }
  SETUP=$SETUP MODE=kubernetes DURATION=5 CONN=$CONN node federated.mjs >/dev/null
  SETUP=$SETUP DURATION=$D CONN=$CONN N=$N node pkjwt.mjs | tag
  SETUP=$SETUP MODE=oidc DURATION=$D CONN=$CONN N=$N node federated.mjs | tag
  SETUP=$SETUP MODE=kubernetes DURATION=$D CONN=$CONN node federated.mjs | tag
  kill $SPID; wait $SPID 2>/dev/null || true
  rm -f "$SETUP"
done
