#!/usr/bin/env bash
# Fuzz smoke run of the key parsers: seeds each corpus with the key fixtures, runs every target
# for SECONDS_PER_TARGET (default 60) and prints executions and crashes per target.
# Needs: nightly toolchain, cargo-fuzz (cargo install cargo-fuzz --locked).
set -uo pipefail
cd "$(dirname "$0")"
SECS=${SECONDS_PER_TARGET:-60}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/fuzz-target}
FIX=../credentials/tests/fixtures/keys
mkdir -p corpus
for t in pem jwk jwks jks pkcs12 import-autodetect; do mkdir -p "corpus/$t"; done
cp $FIX/*.pem corpus/pem/
cp $FIX/*.jwk corpus/jwk/
cp $FIX/*.jwks corpus/jwks/
cp $FIX/rsa2048.jks corpus/jks/
cp $FIX/*.p12 corpus/pkcs12/
cp $FIX/*.pem $FIX/*.jwk $FIX/*.jwks $FIX/*.jks $FIX/*.p12 corpus/import-autodetect/
cargo +nightly fuzz build -O || exit 1
for t in pem jwk jwks jks pkcs12 import-autodetect; do
  log=$(mktemp)
  cargo +nightly fuzz run -O "$t" -- -max_total_time="$SECS" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
  crashes=$(ls "artifacts/$t" 2>/dev/null | grep -c '^crash-\|^leak-\|^timeout-\|^oom-')
  echo "$t: executions=${execs:-?} crashes=$crashes exit=$rc"
  [ $rc -ne 0 ] && tail -40 "$log"
  rm -f "$log"
done
