#!/bin/sh
# Load of `siptap proxy` (issue 7): PAIRS concurrent idle mutual-TLS connection pairs (client ->
# siptap -> upstream, one OPTIONS / 200 OK on each so every pair is up end to end). Prints
# siptap's RSS per pair (RSS with all pairs open minus RSS before, divided by pairs), the time
# to establish them all and siptap's CPU time. Peers: bench/relay_load.py (client and upstream
# in two processes, so each stays within its own descriptor limit).
# usage: bench/relay_load.sh [BUILD_DIR]   (default build); PAIRS=10000 CONCURRENCY=64
set -eu
here=$(cd "$(dirname "$0")" && pwd)
siptap=${1:-$here/../build}/siptap
PAIRS=${PAIRS:-10000}
ulimit -n "$(ulimit -H -n)"
limit=$(ulimit -n)
# siptap holds two descriptors per pair, plus its own (listener, epoll, timers, stdio).
max=$(( (limit - 40) / 2 ))
if [ "$PAIRS" -gt "$max" ]; then
  echo "note: the open-files limit (ulimit -n) is $limit and cannot be raised here; siptap needs 2 per pair," \
       "so at most $max pairs: running $max instead of $PAIRS" >&2
  PAIRS=$max
fi
. "$here/relay_common.sh"
upstream=$(port) relay=$(port)

python3 "$here/relay_load.py" upstream "$upstream" "$dir/lync.pem" "$dir/lync.key" "$dir/ca.pem" \
  > "$dir/upstream.out" 2>&1 & pids="$pids $!"
"$siptap" proxy --json --listen "127.0.0.1:$relay" --upstream "127.0.0.1:$upstream" \
  --cert "$dir/siptap.pem" --key "$dir/siptap.key" --upstream-cert "$dir/um.pem" --upstream-key "$dir/um.key" \
  --max-connections $((PAIRS + 16)) --idle-timeout 3600 --handshake-timeout 60 \
  > /dev/null 2> "$dir/siptap.err" & siptap_pid=$!; pids="$pids $siptap_pid"
wait_port "$upstream"; wait_port "$relay"

rss() { awk '/VmRSS/ {print $2}' "/proc/$siptap_pid/status"; }
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$siptap_pid/stat"; }  # utime+stime, clock ticks
before=$(rss) cpu_before=$(cpu)
fifo="$dir/hold"; mkfifo "$fifo"
python3 "$here/relay_load.py" clients "127.0.0.1:$relay" "$PAIRS" "$dir/um.pem" "$dir/um.key" \
  < "$fifo" > "$dir/clients.out" 2> "$dir/clients.err" & clients_pid=$!; pids="$pids $clients_pid"
exec 3> "$fifo"
i=0; until [ -s "$dir/clients.out" ]; do
  i=$((i+1)); [ $i -lt 6000 ] || { echo "clients gave no result in 600 s" >&2; exit 1; }
  kill -0 "$clients_pid" 2>/dev/null || { cat "$dir/clients.err" >&2; exit 1; }
  sleep 0.1
done
sleep 5  # the last pairs' events reach the (asynchronous) decoder
after=$(rss) cpu_after=$(cpu)
result=$(cat "$dir/clients.out")
established=$(echo "$result" | python3 -c 'import json,sys; print(json.load(sys.stdin)["established"])')
echo "clients: $result"
echo "siptap: $established idle pairs, RSS ${before} kB -> ${after} kB," \
     "$(( established > 0 ? (after - before) * 1024 / established : 0 )) bytes per pair;" \
     "CPU $(echo "$cpu_after $cpu_before" | awk '{printf "%.1f", $1 - $2}') s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec 3>&-
wait "$clients_pid" 2>/dev/null || true
