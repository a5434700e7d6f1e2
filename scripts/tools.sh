#!/usr/bin/env bash
# Puts every build tool Keyward needs on PATH, installing what is missing from the package
# registries only (cargo-leptos would otherwise try to download them from GitHub).
# Source it: `source scripts/tools.sh`.
set -euo pipefail
KEYWARD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export KEYWARD_ROOT
# npm's binaryen (wasm-opt 132) must come first: Debian's wasm-opt 108 breaks hydration.
export PATH="$KEYWARD_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# Both tools are built unoptimised (`--debug`): they only drive cargo, wasm-bindgen and wasm-opt
# and do little work of their own (measured: the same output, within a second per build), and
# an optimised build of each takes three to four times as long to compile (BENCHMARKS.md).
# `no_downloads`: a missing tool is an error naming it, never a download from GitHub.
if ! command -v cargo-leptos >/dev/null 2>&1; then
  say "installing cargo-leptos 0.3.11 (takes ~5 minutes, once)"
  cargo install cargo-leptos --version 0.3.11 --locked --ignore-rust-version --debug --features no_downloads
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q ' 0\.2\.130'; then
  say "installing wasm-bindgen-cli 0.2.130 (takes ~1 minute, once)"
  cargo install wasm-bindgen-cli --version 0.2.130 --force --debug
fi
if [ ! -x "$KEYWARD_ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ ! -x "$KEYWARD_ROOT/end2end/node_modules/.bin/playwright" ] \
  || [ ! -f "$KEYWARD_ROOT/end2end/node_modules/openid-client/package.json" ] \
  || [ ! -f "$KEYWARD_ROOT/end2end/node_modules/@keycloak/keycloak-admin-client/package.json" ] \
  || [ ! -f "$KEYWARD_ROOT/end2end/node_modules/@axe-core/playwright/package.json" ] \
  || [ ! -f "$KEYWARD_ROOT/end2end/node_modules/oidc-provider/package.json" ]; then
  say "installing npm packages (binaryen, Playwright, openid-client, oidc-provider, @keycloak/keycloak-admin-client, @axe-core/playwright) in end2end/"
  (cd "$KEYWARD_ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
# Authlib (PyPI) for the token-endpoint interop test, in a venv of its own.
if ! "$KEYWARD_ROOT/end2end/.venv/bin/python" -c 'import authlib, requests, keycloak, detect_secrets' >/dev/null 2>&1; then
  say "installing Authlib, python-keycloak and detect-secrets in end2end/.venv (interop and scanner tests)"
  python3 -m venv "$KEYWARD_ROOT/end2end/.venv"
  "$KEYWARD_ROOT/end2end/.venv/bin/pip" install -q -r "$KEYWARD_ROOT/end2end/interop/requirements.txt"
fi
