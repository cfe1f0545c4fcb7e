#!/usr/bin/env bash
# Byte-for-byte comparison of `siptap read` between two builds, for speed work that must not
# change a single output byte: every capture in pcaps/ and pcaps/bad/ (with its key log when
# one lies next to it) plus any extra captures given, in each output mode below. Prints one
# line per difference and a count; exits 1 if anything differs.
#
#   bench/compare_read_outputs.sh OLD_SIPTAP NEW_SIPTAP [EXTRA_CAPTURE...]
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 OLD_SIPTAP NEW_SIPTAP [EXTRA_CAPTURE...]" >&2
    exit 2
fi
old=$1 new=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

modes=(
    "--json"
    "--no-color"
    "--ladder --no-color"
    "--json --threads 2"
    "--no-color --threads 2"
    "--json --max-sip-bytes 1024 --max-sip-headers 8"
    "html"
)

# run BINARY OUT_PREFIX CAPTURE MODE: stdout, stderr and exit status (and the HTML report) in files.
run() {
    local bin=$1 out=$2 capture=$3 mode=$4 keys=()
    [ -f "${capture%.*}.keys" ] && keys=(--keylog "${capture%.*}.keys")
    if [ "$mode" = html ]; then
        "$bin" read --no-color "${keys[@]}" --html "$out.html" "$capture" >"$out.stdout" 2>"$out.stderr"
    else
        # shellcheck disable=SC2086  # the mode is a list of options
        "$bin" read $mode "${keys[@]}" "$capture" >"$out.stdout" 2>"$out.stderr"
    fi
    echo $? >"$out.status"
}

captures=()
for f in "$here"/pcaps/*.pcap "$here"/pcaps/*.pcapng "$here"/pcaps/*.cap "$here"/pcaps/bad/*.pcap; do
    [ -f "$f" ] && captures+=("$f")
done
captures+=("$@")

runs=0 differ=0
for capture in "${captures[@]}"; do
    for mode in "${modes[@]}"; do
        run "$old" "$work/old" "$capture" "$mode"
        run "$new" "$work/new" "$capture" "$mode"
        runs=$((runs + 1))
        for part in stdout stderr status html; do
            [ -e "$work/old.$part" ] || [ -e "$work/new.$part" ] || continue
            if ! cmp -s "$work/old.$part" "$work/new.$part"; then
                echo "DIFFERS: $(basename "$capture") [$mode] $part"
                differ=$((differ + 1))
            fi
        done
        rm -f "$work"/old.* "$work"/new.*
    done
done
echo "$runs runs (${#captures[@]} captures x ${#modes[@]} modes), $differ differences"
[ "$differ" -eq 0 ]
