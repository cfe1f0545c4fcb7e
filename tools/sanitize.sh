#!/usr/bin/env bash
# The whole test suite again, built with -fsanitize=address,undefined (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DENABLE_SANITIZERS=ON -DCMAKE_BUILD_TYPE=Debug -DSIPTAP_WERROR=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
# Leak checks on; a UBSan report fails the test (-fno-sanitize-recover in CMakeLists.txt).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
ctest --test-dir build-asan --output-on-failure -j2 --timeout 600
