#!/usr/bin/env bash
# Everything CI checks, after tools/bootstrap.sh: the ctest suite, a short libFuzzer run of
# every parser (corpus replay included), and the suite again under ASan/UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
ctest --test-dir build --output-on-failure -j2 --timeout 300
tools/fuzz.sh "${SIPTAP_FUZZ_SECONDS:-15}"
tools/sanitize.sh
echo "test-all: ctest, fuzzing and sanitizers passed"
