# shellcheck shell=bash
# Sourced by the pcaps/make_*_pcaps.sh scripts after they set HERE (pcaps/), PKI, PEERS (the
# peers' Python script) and WORK (a scratch folder): dumpcap on lo started and stopped, bounded,
# one scenario recorded around its peers, and the scenario list. The EXIT trap set here stops
# dumpcap and removes WORK, so that no dumpcap outlives the script.

DUMPCAP_PID=""
die() { echo "$(basename "$0"): $*" >&2; exit 1; }
trap 'stop_dumpcap; rm -rf "$WORK"' EXIT

# require_tools TOOL...: each must be installed.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
  done
}

# start_dumpcap FILTER RAW LOG: capture lo with the BPF FILTER into RAW (pcapng), dumpcap's
# messages into LOG; returns once dumpcap is writing (up to 10 s) and the filter has settled.
start_dumpcap() {
  local filter=$1 raw=$2 log=$3 _
  dumpcap -q -i lo -f "$filter" -w "$raw" >"$log" 2>&1 &
  DUMPCAP_PID=$!
  for _ in $(seq 1 100); do                       # up to 10 s for dumpcap to start
    [[ -s "$raw" ]] && break
    kill -0 "$DUMPCAP_PID" 2>/dev/null || { cat "$log" >&2; DUMPCAP_PID=""; die "dumpcap exited"; }
    sleep 0.1
  done
  [[ -s "$raw" ]] || { stop_dumpcap; die "dumpcap did not start capturing"; }
  sleep 1                                         # the filter is attached; let it settle
}

# stop_dumpcap: SIGINT (dumpcap then writes its last blocks), up to 5 s, then SIGKILL.
stop_dumpcap() {
  [[ -n "$DUMPCAP_PID" ]] || return 0
  kill -INT "$DUMPCAP_PID" 2>/dev/null || true
  local _
  for _ in $(seq 1 50); do                        # up to 5 s
    kill -0 "$DUMPCAP_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$DUMPCAP_PID" 2>/dev/null; then
    echo "dumpcap did not stop on SIGINT; killing it" >&2
    kill -KILL "$DUMPCAP_PID" 2>/dev/null || true
  fi
  wait "$DUMPCAP_PID" 2>/dev/null || true
  DUMPCAP_PID=""
}

# record_scenario NAME FILTER RAW: dumpcap with FILTER into RAW around one run of
# `$PEERS run NAME --pki $PKI --out $HERE` (up to 60 s); prints the peers' log and sets SUMMARY
# to their one-line JSON result.
record_scenario() {
  local name=$1 filter=$2 raw=$3
  echo "== $name"
  rm -f "$HERE/$name.pcapng" "$HERE/$name.keys" "$HERE/$name.sent.txt"
  start_dumpcap "$filter" "$raw" "$WORK/$name.dumpcap.log"
  SUMMARY=$(timeout 60 python3 "$PEERS" run "$name" --pki "$PKI" --out "$HERE" 2>"$WORK/$name.peers.log") \
    || { cat "$WORK/$name.peers.log" >&2; die "peers failed in $name"; }
  sed 's/^/  /' "$WORK/$name.peers.log"
  echo "  result: $SUMMARY"
  sleep 1                                         # let the last segments reach the capture
  stop_dumpcap
}

# SCENARIOS: the ones named on the command line, else every one `$PEERS list` offers.
# shellcheck disable=SC2034  # SCENARIOS is read by the sourcing script
select_scenarios() {
  SCENARIOS=("$@")
  [[ $# -gt 0 ]] || mapfile -t SCENARIOS < <(python3 "$PEERS" list)
}
