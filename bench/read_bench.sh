#!/usr/bin/env bash
# Read-throughput benchmark: siptap read --json against tshark and sngrep on one large
# plaintext SIP capture.  See bench/README.md.
#
#   bench/read_bench.sh [CAPTURE]            (default /tmp/siptap-bench/sip-300mb.pcap)
#
# Environment:
#   SIPTAP_BUILD_DIR  build directory holding siptap (default: build); configured as Release
#                     and built when $SIPTAP_BUILD_DIR/siptap is missing
#   SIZE_MB           size of the capture to generate when CAPTURE is missing (default 300)
#   SKIP_SNGREP=1     leave sngrep out
#   SIPTAP_BASELINE   another siptap binary (e.g. a build of main) timed the same way
#   SIPTAP_SOURCE_NOTE  label for the source when the build directory's source is not a git
#                     tree (e.g. "git archive of 55f5cd2")
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CAP=${1:-/tmp/siptap-bench/sip-300mb.pcap}
BUILD_DIR=${SIPTAP_BUILD_DIR:-build}
SIPTAP=$BUILD_DIR/siptap
SIZE_MB=${SIZE_MB:-300}
WORK=$(mktemp -d /tmp/siptap-bench-run.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

say() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- prerequisites
if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time (Debian package 'time')"
    apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi

if [[ ! -x $SIPTAP ]]; then
    say "building $SIPTAP (Release)"
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$BUILD_DIR" -j2 --target siptap
fi
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
case "$BUILD_TYPE" in
    Release|RelWithDebInfo) ;;
    *) say "WARNING: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build; figures are not representative" \
           "(use SIPTAP_BUILD_DIR=/some/new/dir for a Release build)";;
esac

if [[ ! -f $CAP ]]; then
    say "generating $CAP (${SIZE_MB} MB)"
    python3 bench/make_sip_capture.py "$CAP" --size-mb "$SIZE_MB"
fi

# Where the measured siptap was built from: a git tree (commit, dirty or not) or a plain snapshot.
SRC_DIR=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
if [[ -n $SRC_DIR ]] && git -C "$SRC_DIR" rev-parse --show-toplevel >/dev/null 2>&1; then
    SRC_DESC="$SRC_DIR at commit $(git -C "$SRC_DIR" rev-parse --short HEAD)"
    git -C "$SRC_DIR" diff --quiet HEAD -- capture decoder cli 2>/dev/null \
        || SRC_DESC+=" + uncommitted changes in capture/ decoder/ cli/"
else
    SRC_DESC="${SRC_DIR:-?} (${SIPTAP_SOURCE_NOTE:-not a git tree})"
fi

BYTES=$(stat -c %s "$CAP")
META=$CAP.meta.json
meta() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$META" "$1"; }
if [[ -f $META ]]; then
    PACKETS=$(meta packets); GEN_SIP=$(meta sip_messages); GEN_DIALOGS=$(meta dialogs)
    [[ $(meta bytes) == "$BYTES" ]] || { say "WARNING: $META does not describe $CAP (size differs)"; }
else
    PACKETS=$(capinfos -c -M "$CAP" | awk -F': *' '/Number of packets/{print $2}')
    GEN_SIP=?; GEN_DIALOGS=?
fi

have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- timed runs
# timed NAME CMD...: runs CMD under /usr/bin/time -v; stdout to $WORK/NAME.out unless the
# command redirects itself; records wall seconds, user+sys seconds and peak RSS.
timed() {
    local name=$1; shift
    local rc=0
    /usr/bin/time -v -o "$WORK/$name.time" "$@" 2>"$WORK/$name.err" || rc=$?
    # siptap exits 1 when it reports error findings (expected here: 486, RSTs); 2 is a failure.
    if (( rc > 1 )) || { (( rc == 1 )) && [[ $name != siptap* ]]; }; then echo "exit $rc" >"$WORK/$name.rc"; fi
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
        /User time/ { u = $2 } /System time/ { sy = $2 }
        /Maximum resident set size/ { rss = $2 }
        END { printf "%.2f %.2f %.1f\n", wall, u + sy, rss / 1024 }' "$WORK/$name.time" >"$WORK/$name.fig"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "capture: $CAP ($((BYTES / 1000000)) MB, $PACKETS packets)"
say "warming the page cache"
cat "$CAP" >/dev/null

say "siptap read --json"
timed siptap sh -c 'exec "$0" read --json "$1" >/dev/null' "$SIPTAP" "$CAP"
say "siptap read (text)"
timed siptap_text sh -c 'exec "$0" read --no-color "$1" >/dev/null' "$SIPTAP" "$CAP"
say "siptap read --json --threads 2"
timed siptap_t2 sh -c 'exec "$0" read --json --threads 2 "$1" >/dev/null' "$SIPTAP" "$CAP"
if [[ -n ${SIPTAP_BASELINE:-} ]]; then
    say "baseline $SIPTAP_BASELINE read --json"
    timed siptap_base sh -c 'exec "$0" read --json "$1" >/dev/null' "$SIPTAP_BASELINE" "$CAP"
fi

if have tshark; then
    say "tshark -Y sip -T fields -e sip.Method -e sip.Status-Code"
    # Fields go to a file (a few MB), not /dev/null, so the messages can be counted.
    timed tshark sh -c 'exec tshark -r "$0" -Y sip -T fields -e sip.Method -e sip.Status-Code >"$1"' \
        "$CAP" "$WORK/tshark.out"
fi

if have sngrep && [[ -z ${SKIP_SNGREP:-} ]]; then
    # -N: no interface (works without a terminal and exits at the end of the file).
    # -l: sngrep stops parsing new dialogs past capture.limit (20000 by default); raise it so
    #     it does the same work as the others.  It keeps every dialog in memory by design.
    LIMIT=$(( ${GEN_DIALOGS/\?/0} > 0 ? GEN_DIALOGS * 2 : 10000000 ))
    say "sngrep -N -l $LIMIT -I"
    timed sngrep sh -c 'exec sngrep -N -l "$2" -I "$0" >"$1" </dev/null' "$CAP" "$WORK/sngrep.out" "$LIMIT"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- counts (untimed)
say "counting siptap's events (second, untimed run)"
read -r SIPTAP_SIP SIPTAP_DIALOGS < <("$SIPTAP" read --json "$CAP" 2>/dev/null | awk '
    /"event":"sip"/ { n++; if (match($0, /"call_id":"[^"]*"/)) { k = substr($0, RSTART, RLENGTH); if (!(k in c)) { c[k] = 1; d++ } } }
    END { print n + 0, d + 0 }')
SIPTAP_PACKETS=$(sed -n 's/^siptap:.* \([0-9][0-9]*\) packets.*/\1/p' "$WORK/siptap.err" | tail -1)
if [[ -f $WORK/tshark.out ]]; then
    # One line per frame that carries SIP; a frame with several messages lists them comma-separated.
    read -r TSHARK_LINES TSHARK_SIP < <(awk -F'\t' '
        { if ($1 != "") m += split($1, a, ","); if ($2 != "") m += split($2, b, ",") }
        END { print NR, m + 0 }' "$WORK/tshark.out")
fi
if [[ -f $WORK/sngrep.out ]]; then
    SNGREP_DIALOGS=$(tr '\r' '\n' <"$WORK/sngrep.out" | sed -n 's/^Dialog count: //p' | tail -1)
fi

# ---------------------------------------------------------------- report
fig() { cat "$WORK/$1.fig" 2>/dev/null || echo "- - -"; }
read -r S_WALL S_CPU S_RSS < <(fig siptap)
read -r X_WALL X_CPU X_RSS < <(fig siptap_text)
read -r P_WALL P_CPU P_RSS < <(fig siptap_t2)
read -r B_WALL B_CPU B_RSS < <(fig siptap_base)
read -r T_WALL T_CPU T_RSS < <(fig tshark)
read -r N_WALL N_CPU N_RSS < <(fig sngrep)

row() {  # tool wall cpu rss count
    local tool=$1 wall=$2 cpu=$3 rss=$4 count=$5
    if [[ $wall == - ]]; then printf '| %-18s | %8s | %8s | %8s | %11s | %8s | %s |\n' "$tool" - - - - - "not run"; return; fi
    awk -v t="$tool" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$BYTES" -v p="$PACKETS" -v n="$count" 'BEGIN {
        ws = (w > 0 ? w : 0.01)
        printf "| %-18s | %8.2f | %8.2f | %8.1f | %11.0f | %8.1f | %s |\n", t, w, c, b / 1e6 / ws, p / ws, r, n }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a <= 0) print "-"; else printf "%.1fx", b / a }'; }

{
    echo "siptap read benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/{printf "%.0f GB RAM", $2/1048576}' /proc/meminfo)"
    echo "siptap: $SIPTAP (${BUILD_TYPE:-?} build) from $SRC_DESC"
    echo "capture: $CAP, $(awk -v b="$BYTES" 'BEGIN{printf "%.1f MB", b/1e6}'), $PACKETS packets, $GEN_SIP SIP messages, $GEN_DIALOGS dialogs (generator)"
    echo "load average before/after: $LOAD_BEFORE / $LOAD_AFTER -- shared machine, other engineers compiling; wall times are noisy, CPU (user+sys) less so"
    echo
    echo "| tool               |   wall s |    cpu s |     MB/s |   packets/s |  RSS MB | reported |"
    echo "|--------------------|---------:|---------:|---------:|------------:|--------:|----------|"
    row siptap "$S_WALL" "$S_CPU" "$S_RSS" "${SIPTAP_SIP:-?} SIP messages, ${SIPTAP_DIALOGS:-?} Call-IDs, ${SIPTAP_PACKETS:-?} packets"
    row "siptap text" "$X_WALL" "$X_CPU" "$X_RSS" "read --no-color"
    row "siptap --threads 2" "$P_WALL" "$P_CPU" "$P_RSS" "read --json --threads 2"
    [[ $B_WALL == - ]] || row "baseline" "$B_WALL" "$B_CPU" "$B_RSS" "$SIPTAP_BASELINE"
    row tshark "$T_WALL" "$T_CPU" "$T_RSS" "${TSHARK_SIP:-?} SIP messages in ${TSHARK_LINES:-?} frames"
    row sngrep "$N_WALL" "$N_CPU" "$N_RSS" "${SNGREP_DIALOGS:-?} dialogs"
    echo
    echo "MB/s and packets/s from wall time.  Ratios (siptap faster by):"
    echo "  vs tshark: wall $(ratio "$S_WALL" "$T_WALL"), cpu $(ratio "$S_CPU" "$T_CPU")    vs sngrep: wall $(ratio "$S_WALL" "$N_WALL"), cpu $(ratio "$S_CPU" "$N_CPU")"
    awk -v sw="$S_WALL" -v tw="$T_WALL" -v p="$PACKETS" -v r="$S_RSS" -v sip="${SIPTAP_SIP:-0}" -v gen="$GEN_SIP" 'BEGIN {
        if (tw != "-") printf "  siptap / tshark (wall): %.1fx (issue 18 asks about 40x)\n", tw / sw
        printf "  target >= 1,000,000 packets/s, read --json, one thread (wall): %s\n", (p / sw >= 1e6 ? "met" : "NOT met")
        printf "  target < 100 MB peak RSS: %s\n", (r < 100 ? "met" : "NOT met")
        if (gen != "?") printf "  siptap SIP messages = generator: %s\n", (sip == gen ? "yes" : "NO (" sip " vs " gen ")")
    }'
    for t in siptap siptap_text siptap_t2 siptap_base tshark sngrep; do
        [[ -f $WORK/$t.rc ]] && echo "  $t: $(cat "$WORK/$t.rc"): $(tail -2 "$WORK/$t.err" | tr '\n' ' ')"
    done
    true
} | tee "${CAP%.pcap}.results.txt"
