#!/usr/bin/env bash
# Builds the WebAssembly module and the static site into build-wasm/site/ (never into web/) and serves it on
# http://127.0.0.1:8000 (loopback only). Installs what is missing first (scripts/setup.sh).
# Usage: scripts/serve.sh [PORT]     (Ctrl-C stops the server)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
JOBS=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh
echo "serve: building build-wasm/ (the core under em++, the module, the site)"
emcmake cmake -S . -B build-wasm -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-wasm -j "$JOBS" --target llmsizer_site
test -f build-wasm/site/index.html || { echo "serve: build-wasm/site/index.html missing after the build" >&2; exit 1; }

echo
echo "llmsizer: http://127.0.0.1:${PORT}/"
echo
exec python3 -m http.server --bind 127.0.0.1 -d build-wasm/site "$PORT"
