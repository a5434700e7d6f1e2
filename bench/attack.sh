#!/usr/bin/env bash
# Token endpoint under attack (issue 17 §5), in one run, Keyward on SQLite
# (server/examples/bench_token_server.rs), loopback, CONN (32) connections for DURATION (20) s:
#   1. client_secret_basic load alone (autocannon with token.sh's options: bench/basic.mjs);
#   2. the same while bench/attacker.mjs sends, from the same address (127.0.0.1) and for the same
#      client ids, a FIXED RATE (2,000) of requests per second: half wrong secrets for the basic
#      client, half replays of one captured, once-valid assertion of the private_key_jwt client;
#   3. the attacker alone (what the attack costs the server);
#   4. private_key_jwt load alone (bench/pkjwt.mjs as in token.sh: N pre-signed ES256
#      assertions, a unique jti each);
#   5. the same with the attacker;
#   6. the "same work" rule (bench/samework.mjs): wrong secrets for a known vs. an unknown client
#      id, one at a time, each from a source address of its own in 127.0.0.0/8 (so every answer
#      is the 401 path, never the throttle's 429): SAME_N of each back to back, SAME_PACED of each
#      at 40 requests/s (every failure written as an event), SAME_COLD cache misses of each.
# Each of 1-5 runs on a fresh server (empty SQLite file, caches and sets) warmed up by 5 s of
# client_secret_basic. The attacker starts 2 s before the load (its pairs are then past their 10
# free failures a minute: an attack's steady state) and stops after it; the load generator marks
# the measured window (bench/window.mjs), over which the server's CPU (utime + stime from
# /proc/<pid>/stat, % of one core) and the attacker's answers are counted.
# PIN=1 (default) pins the server to core 0 and every generator to core 1 (taskset; the server
# then runs one tokio worker); PIN=0 lets them share both cores.
# Prints one JSON line per measurement. Env: DURATION, CONN, N, RATE, PIN, SAME_N, SAME_PACED,
# SAME_COLD, PORT, BUILD=0 (use the example as last built).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${DURATION:-20}; CONN=${CONN:-32}; N=${N:-160000}; RATE=${RATE:-2000}; PIN=${PIN:-1}
SAME_N=${SAME_N:-2000}; SAME_PACED=${SAME_PACED:-150}; SAME_COLD=${SAME_COLD:-20}; PORT=${PORT:-3210}
export CLK_TCK=$(getconf CLK_TCK)
cd "$ROOT/bench"
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error >/dev/null
[ "${BUILD:-1}" = 0 ] || cargo build --release -p keyward-server --example bench_token_server 2>/dev/null

if [ "$PIN" = 1 ]; then SRV=(taskset -c 0); GEN=(taskset -c 1); else SRV=(); GEN=(); fi
TMP=$(mktemp -d)
SETUP=$TMP/setup.json
cleanup() {
  [ -n "${APID:-}" ] && kill "$APID" 2>/dev/null || true
  [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# A fresh server (empty SQLite file, caches and sets) for each measurement, warmed up by 5 s of
# client_secret_basic as in token.sh: one measurement's accepted assertion ids must not weigh on
# the next (see BENCHMARKS.md: the in-memory set of used ids is bounded at 200,000).
start_server() {
  rm -f "$SETUP"
  "${SRV[@]}" "$ROOT/target/release/examples/bench_token_server" sqlite "$PORT" "$SETUP" 2>"$TMP/server.log" & SPID=$!
  for _ in $(seq 150); do [ -s "$SETUP" ] && curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
  [ -s "$SETUP" ] || { echo "bench_token_server did not start" >&2; cat "$TMP/server.log" >&2; exit 1; }
  DURATION=5 SERVER_PID= "${GEN[@]}" node basic.mjs >/dev/null
}
stop_server() {
  RSS=$(ps -o rss= -p "$SPID" | tr -d ' ')
  kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
}
export SETUP DURATION=$D CONN=$CONN N=$N

start_attacker() {
  rm -f "$TMP/ready"
  RATE=$RATE READY=$TMP/ready "${GEN[@]}" node attacker.mjs >"$TMP/attacker.json" & APID=$!
  for _ in $(seq 100); do [ -e "$TMP/ready" ] && break; kill -0 "$APID" || exit 1; sleep 0.1; done
  sleep 2
}
stop_attacker() {
  kill -TERM "$APID"; wait "$APID" || true; APID=
}
# One JSON line: the load generator's result ($1), the attacker's counts ($2, or none), the
# server's RSS at the end.
line() {
  node -e "
    const fs = require('fs');
    const legit = JSON.parse(fs.readFileSync('$1', 'utf8'));
    const a = '$2' ? JSON.parse(fs.readFileSync('$2', 'utf8')).attacker : null;
    const codes = (k) => a.window[k].codes;
    if (legit.used > $N) console.error('pkjwt.mjs ran out of its ' + $N + ' assertions (raise N): ' +
      'the rest were replays of its own, refused as they must be');
    console.log(JSON.stringify({ server: 'keyward', backend: 'sqlite', pinned: $PIN === 1,
      attack_rate: a ? $RATE : 0, ...legit, rss_kb: $RSS,
      ...(a ? { attacker: { sent: a.window.sent, rate: a.window.rate, dropped: a.total.dropped,
        wrong_secret: codes('wrong_secret'), replay: codes('replay'), capture: a.capture_status,
        whole_run: { seconds: a.total.seconds, sent: a.total.sent, wrong_secret: a.total.wrong_secret.codes,
          replay: a.total.replay.codes } } } : {}) }));"
}

# One measurement on a fresh server: $1 = basic, pkjwt or none (the attacker alone), $2 = 1 with
# the attacker.
measure() {
  start_server
  [ "$2" = 1 ] && start_attacker
  if [ "$1" = none ]; then
    C0=$(awk '{print $14+$15}' "/proc/$SPID/stat"); T0=$(date +%s.%N)
    kill -USR1 "$APID"; sleep "$D"; kill -USR2 "$APID"
    C1=$(awk '{print $14+$15}' "/proc/$SPID/stat"); T1=$(date +%s.%N)
    awk -v c="$((C1 - C0))" -v hz="$CLK_TCK" -v t0="$T0" -v t1="$T1" 'BEGIN {
      printf "{\"mode\":\"attacker alone\",\"window_s\":%.2f,\"server_cpu_pct\":%.0f}\n", t1 - t0, c * 100 / hz / (t1 - t0) }' >"$TMP/legit.json"
  else
    SERVER_PID=$SPID ATTACKER_PID=${APID:-} "${GEN[@]}" node "$1.mjs" >"$TMP/legit.json"
  fi
  [ "$2" = 1 ] && stop_attacker
  stop_server
  line "$TMP/legit.json" "$([ "$2" = 1 ] && echo "$TMP/attacker.json")"
}

measure basic 0
measure basic 1
measure none 1
measure pkjwt 0
measure pkjwt 1

start_server
N=$SAME_N RATE=0 "${GEN[@]}" node samework.mjs
N=$SAME_PACED RATE=40 "${GEN[@]}" node samework.mjs
COLD=$SAME_COLD "${GEN[@]}" node samework.mjs
stop_server
