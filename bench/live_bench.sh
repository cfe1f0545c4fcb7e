#!/usr/bin/env bash
# Live capture benchmark (issue 18, "no regression elsewhere"): replays bench/'s SIP capture
# onto the loopback interface with tcpreplay at rising packet rates while `siptap live -i lo`
# decodes it, and prints, per rate, how many packets siptap saw and how many the kernel dropped.
# The highest rate with no drop is the figure to compare between builds (BASELINE=...).
#
# Nothing leaves the machine: the replay goes to lo only, and the capture's 10.0.0.0/8
# addresses are first rewritten into 127.0.0.0/8. The frames keep their (non-zero) Ethernet
# addresses, so the kernel's IP layer drops them as "for another host" and never answers them,
# while packet sockets, and so siptap, still see every frame. The BPF filter keeps only those
# frames (loopback's own traffic has all-zero MACs), so tests running beside it do not count.
#
#   bench/live_bench.sh [CAPTURE]          # default /tmp/siptap-bench/sip-300mb.pcap
# Environment: SIPTAP (binary, default build/siptap), BASELINE (a second binary, same rates),
# RATES (packets/s, default "50000 100000 200000 400000 topspeed"), PACKETS (per rate, 200000).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
capture=${1:-/tmp/siptap-bench/sip-300mb.pcap}
siptap=${SIPTAP:-$here/../build/siptap}
rates=${RATES:-50000 100000 200000 400000 topspeed}
packets=${PACKETS:-200000}

die() { echo "live_bench: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root (tcpreplay and live capture on lo)"
for tool in tcpreplay tcprewrite; do
    command -v "$tool" >/dev/null || die "$tool is missing: apt-get install tcpreplay"
done
[[ -x $siptap ]] || die "no siptap binary at $siptap (build it, or set SIPTAP)"
[[ -z ${BASELINE:-} || -x $BASELINE ]] || die "BASELINE=$BASELINE is not an executable"
if [[ ! -f $capture ]]; then
    echo "live_bench: generating $capture" >&2
    python3 "$here/make_sip_capture.py" "$capture"
fi

# The loopback copy is made once per capture and kept beside it.
lo_capture=${capture%.pcap}.lo.pcap
if [[ ! -f $lo_capture || $lo_capture -ot $capture ]]; then
    tcprewrite --infile="$capture" --outfile="$lo_capture" --pnat=10.0.0.0/8:127.0.0.0/8
fi
replay_filter='ether[0:4] != 0 or ether[4:2] != 0'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One replay at one rate: prints "sent achieved_pps captured dropped cpu_s".
measure() {
    local binary=$1 rate=$2
    local rate_flag=(--pps="$rate")
    [[ $rate == topspeed ]] && rate_flag=(--topspeed)
    : >"$work/err"
    "$binary" live -i lo --json "$replay_filter" >/dev/null 2>"$work/err" &
    local pid=$!
    local i
    for ((i = 0; i < 100; i++)); do  # up to 10 s for the capture to open
        grep -q 'capturing on' "$work/err" && break
        sleep 0.1
    done
    grep -q 'capturing on' "$work/err" || { kill "$pid"; die "siptap did not start: $(cat "$work/err")"; }
    tcpreplay -i lo "${rate_flag[@]}" --limit="$packets" "$lo_capture" >"$work/replay" 2>&1
    sleep 1  # let siptap drain what the socket still holds
    # CPU (user + system) so far, from /proc: fields 14 and 15, in clock ticks.
    local ticks
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill -INT "$pid"
    wait "$pid" || true
    local sent achieved captured dropped cpu
    sent=$(awk '/Successful packets:/ {print $3}' "$work/replay")
    achieved=$(awk '/Rated:/ {for (i = 1; i <= NF; i++) if ($i ~ /pps/) {print int($(i-1)); exit}}' "$work/replay")
    captured=$(sed -n 's/.*: \([0-9]*\) packets captured on lo.*/\1/p' "$work/err")
    dropped=$(sed -n 's/.*, \([0-9]*\) dropped by the kernel.*/\1/p' "$work/err")
    cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}')
    echo "${sent:-?} ${achieved:-?} ${captured:-?} ${dropped:-0} $cpu"
}

printf '%s, %s packets per rate, %s\n' "$capture" "$packets" "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| build | rate asked | rate reached pkt/s | sent | seen by siptap | dropped by the kernel | siptap CPU s |\n'
printf '|---|---:|---:|---:|---:|---:|---:|\n'
builds=("siptap=$siptap")
[[ -n ${BASELINE:-} ]] && builds+=("baseline=$BASELINE")
for rate in $rates; do
    for entry in "${builds[@]}"; do
        read -r sent achieved captured dropped cpu < <(measure "${entry#*=}" "$rate")
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${entry%%=*}" "$rate" "$achieved" "$sent" "$captured" "$dropped" "$cpu"
    done
done
