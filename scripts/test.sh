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

step "house rules: no function in core/src over 120 lines (scripts/function_lengths.py)"
python3 scripts/function_lengths.py

step "native build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"

step "GoogleTest suite (ctest)"
ctest --test-dir build --output-on-failure --verbose

step "GoogleTest suite again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLMSIZER_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --verbose

step "fuzzing: libFuzzer + ASan + UBSan, ${LLMSIZER_FUZZ_SECONDS:-30} s per target (build-fuzz/)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DLLMSIZER_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$JOBS"
for target in request config gguf json; do
  work="build-fuzz/corpus-$target"   # new inputs land here, never in the committed seeds
  mkdir -p "$work"
  log="build-fuzz/fuzz-$target.log"
  # Any crash, sanitizer report, hang (> 10 s per input) or OOM makes libFuzzer exit non-zero and write
  # the input to build-fuzz/<kind>-<hash>.
  seeds="tests/fuzz/seeds/$target"
  if ! "build-fuzz/tests/fuzz/llmsizer_fuzz_$target" -max_total_time="${LLMSIZER_FUZZ_SECONDS:-30}" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix=build-fuzz/ \
      "$work" "$seeds" >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz_$target found a problem (see $log and build-fuzz/crash-* / timeout-* / oom-*)" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" | sed "s/^/  $target: /"
done

step "WebAssembly build (build-wasm/): the module (no exceptions), the site, and the core once more with -fexceptions"
emcmake cmake -S . -B build-wasm -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-wasm -j "$JOBS"
# The module is built without exceptions (core/CMakeLists.txt says why); the core must still compile with them.
cmake --build build-wasm -j "$JOBS" --target llmsizer_core_exceptions

if compgen -G "tests/wasm/*.test.mjs" >/dev/null; then
  step "WASM module vs native CLI (node:test)"
  node --test tests/wasm/
fi

if compgen -G "tests/web/*.test.mjs" >/dev/null; then
  step "the page's modules: links, Hub requests, share URLs, GGUF reads, lists vs the core, GiB formatting (node:test)"
  node --test tests/web/
fi

if compgen -G "tests/browser/*.test.mjs" >/dev/null; then
  step "real-browser tests (chromium + playwright-core, Hub mocked)"
  node --test --test-concurrency=1 tests/browser/
fi

step "all tests passed"
