#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each one for SECONDS
# (default 20; CI uses a short run, give e.g. 3600 for a long one). New inputs that find
# new coverage go to a scratch folder; crashers are left in build-fuzz/ — commit each one
# under a descriptive name in tests/fuzz/corpus/<target>/ once it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
CXX=clang++ cmake -S . -B build-fuzz -DENABLE_FUZZING=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPTAP_WERROR=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_sip fuzz_tls fuzz_x509 fuzz_pcap fuzz_keylog
status=0
for target in sip tls x509 pcap keylog; do
  scratch="$(mktemp -d)"
  echo "fuzz_$target: ${seconds}s"
  if ! (cd build-fuzz && "./tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 \
         -print_final_stats=1 "$scratch" "../tests/fuzz/corpus/$target" 2>"fuzz_$target.log"); then
    echo "fuzz_$target FAILED: see build-fuzz/fuzz_$target.log"; tail -30 "build-fuzz/fuzz_$target.log"; status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/fuzz_$target.log" | tr '\n' ' '; echo
  fi
  rm -rf "$scratch"
done
exit $status
