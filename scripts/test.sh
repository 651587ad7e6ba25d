#!/usr/bin/env bash
# Runs every test from a fresh clone: installs what is missing, builds natively and to WebAssembly,
# then runs the GoogleTest suite, the WASM node:test suite and the real-browser tests.
# Usage: scripts/test.sh        (.ci/run calls exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==== %s ====\n' "$*"; }

step "setup"
scripts/setup.sh

step "native build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"

step "GoogleTest suite (ctest)"
ctest --test-dir build --output-on-failure -j "$JOBS"

step "WebAssembly build (build-wasm/): the core under em++ -fexceptions, the module and the site"
emcmake cmake -S . -B build-wasm -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-wasm -j "$JOBS"

if compgen -G "tests/wasm/*.test.mjs" >/dev/null; then
  step "WASM module vs native CLI (node:test)"
  node --test tests/wasm/
fi

if compgen -G "tests/web/*.test.mjs" >/dev/null; then
  step "the page's modules: link parsing, share URLs, GiB formatting (node:test)"
  node --test tests/web/
fi

if compgen -G "tests/browser/*.test.mjs" >/dev/null; then
  step "real-browser tests (chromium + playwright-core, Hub mocked)"
  node --test --test-concurrency=1 tests/browser/
fi

step "all tests passed"
