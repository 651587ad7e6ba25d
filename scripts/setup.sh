#!/usr/bin/env bash
# Installs what llmsizer needs on a fresh Debian (bookworm) machine. Idempotent and fast when present:
# apt runs only when a package is missing; npm ci only when node_modules is missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build: cmake, ninja, g++, GoogleTest, nlohmann/json; WASM: emscripten (Debian's, 3.1.6);
# browser tests: chromium (driven by playwright-core from npm); fuzzing: clang + its runtime.
# openssl: the browser tests' mocked Hub is a local HTTPS server with a certificate made per run.
PACKAGES=(cmake ninja-build g++ libgtest-dev nlohmann-json3-dev emscripten chromium clang libclang-rt-14-dev
          python3 ca-certificates openssl)

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  # --no-install-recommends: chromium would otherwise pull 100+ packages. Never touch nodejs/npm:
  # the image's Node 20 + npm come from elsewhere and Debian's npm conflicts with them.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js (>= 18) is required for the WASM and browser tests" >&2
  exit 1
fi

# npm packages (playwright-core only; it never downloads a browser: tests use /usr/bin/chromium).
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
