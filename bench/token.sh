#!/usr/bin/env bash
# Token-endpoint load test, side by side with the node-oidc-provider peer, in one run: the same
# load generator (autocannon 8.0.0), connections (32) and duration (20 s) on loopback.
#   1. the peer (../shared/peers/oidc-provider/run-all.sh, ES256 JWT access tokens);
#   2. Keyward on SQLite, then on PostgreSQL (a throw-away cluster): client_secret_basic and
#      private_key_jwt with a unique jti per request, ES256 access tokens;
#   3. ES256 sign + verify of the crypto alone (credentials/examples/bench_token.rs).
# Prints one JSON line per measurement. Env: DURATION, CONN, N, PEER (path to the peer folder).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${DURATION:-20}; CONN=${CONN:-32}; N=${N:-120000}
PEER=${PEER:-$ROOT/../shared/peers/oidc-provider}
cd "$ROOT/bench"
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error >/dev/null
cargo build --release -p keyward-server --example bench_token_server 2>/dev/null
cargo build --release -p keyward-credentials --features crypto --example bench_token 2>/dev/null

if [ -x "$PEER/run-all.sh" ]; then
  FORMATS=jwt PORT=3100 DURATION=$D CONN=$CONN N=$N "$PEER/run-all.sh" 2>/dev/null | sed 's/^/peer: /'
else
  echo "peer: not found at $PEER" >&2
fi

for BACKEND in sqlite postgres; do
  SETUP=$(mktemp --suffix=.json)
  "$ROOT/target/release/examples/bench_token_server" "$BACKEND" 3200 "$SETUP" 2>/dev/null & SPID=$!
  for _ in $(seq 100); do [ -s "$SETUP" ] && curl -sf http://127.0.0.1:3200/health/ready >/dev/null && break; sleep 0.2; done
  SECRET=$(node -p "require('$SETUP').basic_secret")
  TE=$(node -p "require('$SETUP').token_endpoint")
  AUTH="authorization=Basic $(printf 'cc-basic:%s' "$SECRET" | base64 -w0)"
  ./node_modules/.bin/autocannon -c "$CONN" -d 5 -m POST -H "$AUTH" \
    -H "content-type=application/x-www-form-urlencoded" -b "grant_type=client_credentials" "$TE" >/dev/null 2>&1
  ./node_modules/.bin/autocannon -j -c "$CONN" -d "$D" -m POST -H "$AUTH" \
    -H "content-type=application/x-www-form-urlencoded" -b "grant_type=client_credentials" \
    "$TE" > "${SETUP%.json}-basic.json" 2>/dev/null
  RSS=$(ps -o rss= -p $SPID | tr -d ' ')
  node -e "const r=require('${SETUP%.json}-basic.json');console.log(JSON.stringify({server:'keyward',backend:'$BACKEND',mode:'client_secret_basic',rps:r.requests.average,p50:r.latency.p50,p99:r.latency.p99,ok:r['2xx'],non2xx:r.non2xx,errors:r.errors,rss_kb:$RSS}))"
  SETUP=$SETUP DURATION=$D CONN=$CONN N=$N node pkjwt.mjs | sed "s/^{/{\"server\":\"keyward\",\"backend\":\"$BACKEND\",\"rss_kb\":$(ps -o rss= -p $SPID | tr -d ' '),/"
  kill $SPID; wait $SPID 2>/dev/null || true
  rm -f "$SETUP" "${SETUP%.json}-basic.json"
done

"$ROOT/target/release/examples/bench_token" | sed 's/^/crypto: /'
