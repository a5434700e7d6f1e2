#!/usr/bin/env bash
# Last-use tracking (issue 22 §3) and the scannable-secret pre-check, in one run on loopback.
# Per backend (SQLite, then a throw-away PostgreSQL cluster), the bench server
# (server/examples/bench_token_server.rs) runs twice per round with KEYWARD_TRACK_LAST_USE=false
# and =true, two rounds in the order off, on, on, off (so drift over the run falls on both
# sides); each run measures client_secret_basic and private_key_jwt (unique jti). Then, with
# tracking on, two floods of wrong secrets for the same client: a mistyped Keyward secret (one
# character changed: refused by the checksum pre-check, no lookup) and a wrong secret of another
# shape (looked up and verified). Both are throttled after 10 failures a minute per address and
# client, so what differs is the work before the throttle. autocannon, CONN connections,
# DURATION s each after a 5 s warm-up. One JSON line each.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${DURATION:-20}; CONN=${CONN:-32}; N=${N:-240000}
cd "$ROOT/bench"
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error >/dev/null
cargo build --release -p keyward-server --example bench_token_server 2>/dev/null
run() { # backend, tracking, round
  local SETUP; SETUP=$(mktemp --suffix=.json)
  KEYWARD_TRACK_LAST_USE=$2 "$ROOT/target/release/examples/bench_token_server" "$1" 3200 "$SETUP" 2>/dev/null & local SPID=$!
  for _ in $(seq 150); do [ -s "$SETUP" ] && curl -sf http://127.0.0.1:3200/health/ready >/dev/null && break; sleep 0.2; done
  tag() { sed "s/^{/{\"server\":\"keyward\",\"backend\":\"$1\",\"track_last_use\":$2,\"round\":$3,/"; }
  SETUP=$SETUP DURATION=5 CONN=$CONN node basic.mjs >/dev/null
  SETUP=$SETUP SERVER_PID=$SPID DURATION=$D CONN=$CONN node basic.mjs | tag "$1" "$2" "$3"
  SETUP=$SETUP SERVER_PID=$SPID DURATION=$D CONN=$CONN N=$N node pkjwt.mjs | tag "$1" "$2" "$3"
  if [ "$2" = true ] && [ "$3" = 1 ]; then
    local GOOD MISTYPED WRONG
    GOOD=$(node -p "require('$SETUP').basic_secret")
    MISTYPED=$(node -e "const s='$GOOD';const i=s.length-20;process.stdout.write(s.slice(0,i)+(s[i]==='a'?'b':'a')+s.slice(i+1))")
    WRONG=$(node -e "process.stdout.write('w'.repeat('$GOOD'.length))")
    SETUP=$SETUP SERVER_PID=$SPID SECRET=$MISTYPED MODE=flood_mistyped_kw DURATION=$D CONN=$CONN node basic.mjs | tag "$1" "$2" "$3"
    SETUP=$SETUP SERVER_PID=$SPID SECRET=$WRONG MODE=flood_wrong_other_shape DURATION=$D CONN=$CONN node basic.mjs | tag "$1" "$2" "$3"
  fi
  kill $SPID; wait $SPID 2>/dev/null || true
  rm -f "$SETUP"
}
for BACKEND in ${BACKENDS:-sqlite postgres}; do
  run "$BACKEND" false 1
  run "$BACKEND" true 1
  run "$BACKEND" true 2
  run "$BACKEND" false 2
done
