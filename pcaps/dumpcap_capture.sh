# Sourced by the pcaps/make_*_pcaps.sh scripts: start dumpcap on lo and stop it, bounded.
# The sourcing script defines die() and sets DUMPCAP_PID="" before calling these; its EXIT
# trap calls stop_dumpcap so that no dumpcap outlives it.

# start_dumpcap FILTER RAW LOG: capture lo with the BPF FILTER into RAW (pcapng), dumpcap's
# messages into LOG; returns once dumpcap is writing (up to 10 s) and the filter has settled.
start_dumpcap() {
  local filter=$1 raw=$2 log=$3 i
  dumpcap -q -i lo -f "$filter" -w "$raw" >"$log" 2>&1 &
  DUMPCAP_PID=$!
  for i in $(seq 1 100); do                       # up to 10 s for dumpcap to start
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
  local i
  for i in $(seq 1 50); do
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
