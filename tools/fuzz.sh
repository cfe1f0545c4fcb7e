#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/), built with clang in build-fuzz/ with the libraries
# instrumented (coverage, ASan, UBSan).
#
#   tools/fuzz.sh [SECONDS] [TARGET...]   CI: for each target, replay its committed corpus and
#       FAIL if the coverage it reaches is below the floor in tests/fuzz/coverage_floor.txt
#       (a floor the harness alone cannot reach: it proves the parsers are instrumented),
#       then fuzz SECONDS (default 20) from it. New inputs go to a scratch folder.
#   tools/fuzz.sh LONG [TARGET...]   long run, one target at a time, niced: up to
#       SIPTAP_FUZZ_RUNS executions (default 10000000) or SIPTAP_FUZZ_LONG_SECONDS (default
#       3600), whichever comes first; then the new inputs that add coverage are merged
#       (-merge=1) into tests/fuzz/corpus/<target>/ and the corpus is minimised again
#       (-set_cover_merge=1). Figures go to build-fuzz/long-<target>.log. Interrupting it
#       (Ctrl-C, or kill -INT the fuzz_<target> process) still merges what it found, then stops.
#   tools/fuzz.sh FLOOR [TARGET...]   measures each corpus's coverage and writes the floor
#       (90% of it, so a small change in a parser does not fail CI; losing the library
#       instrumentation loses far more than that).
# SIPTAP_FUZZ_BUILD (default build-fuzz) is the build folder; SIPTAP_FUZZ_CMAKE_ARGS adds
# configure options (-DSIPTAP_FUZZ_INSTRUMENT_LIBRARIES=OFF shows the floor failing).
# Crashers are left in the build folder (crash-*, leak-*, oom-*): fix the library, then commit
# each one under a descriptive name in tests/fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=short seconds=20
case "${1:-}" in
  LONG) mode=long; shift ;;
  FLOOR) mode=floor; shift ;;
  ''|*[!0-9]*) ;;
  *) seconds=$1; shift ;;
esac
all=(sip tls tls_decrypt tls_record x509 pcap netmon keylog filter hep relay_hello rsa_key)
targets=("${all[@]}")
[ $# -eq 0 ] || targets=("$@")
floors=tests/fuzz/coverage_floor.txt

root="$PWD" build="${SIPTAP_FUZZ_BUILD:-build-fuzz}"
# UBSan in the fuzz build only prints by default, and the run goes on: a signed overflow in
# the pcap path went unnoticed that way. halt_on_error makes it a crash, with its input saved.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# shellcheck disable=SC2086 # SIPTAP_FUZZ_CMAKE_ARGS is a list of options
CXX=clang++ cmake -S . -B "$build" -DENABLE_FUZZING=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPTAP_WERROR=OFF ${SIPTAP_FUZZ_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

# Coverage edges the committed corpus reaches (the last "cov:" libFuzzer prints).
corpus_coverage() {
  (cd "$build" && "./tests/fuzz/fuzz_$1" -runs=0 "$root/tests/fuzz/corpus/$1") 2>"$build/replay-$1.log" || return 1
  grep -o 'cov: [0-9]*' "$build/replay-$1.log" | tail -1 | cut -d' ' -f2
}

# -merge=1 only adds to a corpus; a set-cover merge into a fresh folder keeps the fewest inputs
# with the same features (a corpus shrinks by a third to a half). The inputs with names (seeds,
# crash regressions) are kept whatever they add; the others are named by their SHA-1.
minimise_corpus() {
  local dir="$root/tests/fuzz/corpus/$1" fresh
  fresh="$(mktemp -d)"
  find "$dir" -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' -exec cp {} "$fresh/" \;
  if (cd "$build" && nice -n 19 "./tests/fuzz/fuzz_$1" -set_cover_merge=1 "$fresh" "$dir") \
       2>"$build/minimise-$1.log"; then
    local before; before="$(find "$dir" -type f | wc -l)"
    find "$dir" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    cp -n "$fresh"/* "$dir/"
    echo "fuzz_$1: corpus minimised, $before -> $(find "$dir" -type f | wc -l) inputs"
  else
    echo "fuzz_$1: minimising the corpus failed (kept as merged): see $build/minimise-$1.log"
  fi
  rm -rf "$fresh"
}

floor_of() { awk -v t="$1" '$1 == t { print $2 }' "$floors"; }

status=0
for target in "${targets[@]}"; do
  if ! cov="$(corpus_coverage "$target")" || [ -z "$cov" ]; then
    echo "fuzz_$target FAILED replaying its corpus: see $build/replay-$target.log"
    tail -30 "$build/replay-$target.log"; status=1; continue
  fi
  if [ "$mode" = floor ]; then
    floor=$((cov * 9 / 10))
    { grep -v "^$target " "$floors" 2>/dev/null || true; echo "$target $floor"; } | sort >"$floors.new"
    mv "$floors.new" "$floors"
    echo "fuzz_$target: corpus coverage $cov edges, floor $floor"
    continue
  fi
  floor="$(floor_of "$target")"
  if [ -z "$floor" ]; then
    echo "fuzz_$target FAILED: no coverage floor in $floors"; status=1; continue
  fi
  if [ "$cov" -lt "$floor" ]; then
    echo "fuzz_$target FAILED: its corpus reaches $cov coverage edges, below the floor of $floor" \
         "($floors): are the libraries it links built with -fsanitize=fuzzer-no-link?"
    status=1; continue
  fi
  scratch="$(mktemp -d)"
  log="$build/fuzz_$target.log" nice=() limits=(-max_total_time="$seconds")
  if [ "$mode" = long ]; then
    log="$build/long-$target.log" nice=(nice -n 19)
    limits=(-max_total_time="${SIPTAP_FUZZ_LONG_SECONDS:-3600}" -runs="${SIPTAP_FUZZ_RUNS:-10000000}")
  fi
  echo "fuzz_$target: corpus coverage $cov edges (floor $floor); fuzzing ${limits[*]}"
  # -rss_limit_mb: libFuzzer purges ASan's allocator (quarantine included) once RSS passes half
  # of it; with the default 2048 that never happens and RSS sits at 400-600 MB (README.md).
  rc=0
  (cd "$build" && "${nice[@]}" "./tests/fuzz/fuzz_$target" "${limits[@]}" -max_len=65536 -rss_limit_mb=1024 \
     -print_final_stats=1 "$scratch" "$root/tests/fuzz/corpus/$target") 2>"$log" || rc=$?
  # libFuzzer exits 72 when it is interrupted (SIGINT, SIGTERM): in a long run that is someone
  # ending it early, and what it found so far is still merged; then no further target starts.
  interrupted=0
  if [ "$mode" = long ] && [ "$rc" -eq 72 ] && grep -q 'libFuzzer: run interrupted' "$log"; then
    interrupted=1 rc=0
    echo "fuzz_$target: interrupted; merging what it found"
  fi
  if [ "$rc" -ne 0 ]; then
    echo "fuzz_$target FAILED: see $log"; tail -30 "$log"; status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|DONE" "$log" | tr '\n' ' '; echo
    if [ "$mode" = long ]; then
      (cd "$build" && "./tests/fuzz/fuzz_$target" -merge=1 "$root/tests/fuzz/corpus/$target" "$scratch") \
        2>"$build/merge-$target.log"
      grep -E "MERGE-OUTER: [0-9]+ new files" "$build/merge-$target.log" || true
      minimise_corpus "$target"
    fi
  fi
  rm -rf "$scratch"
  [ "$interrupted" -eq 0 ] || break
done
exit $status
