#!/bin/sh
# Speed of `siptap proxy` (issue 5): added latency per SIP request/response (p50, p99) and
# transactions per second through the relay, against a direct TLS connection and against
# sslsplit (if installed) on the same loopback setup, and RSS per idle connection pair.
# The Lync side is Kamailio (TLS, client certificate required, 200 OK to OPTIONS).
# The three targets are measured in the same run, interleaved, REPS times; the table shows
# medians, with the range over repetitions in brackets where it matters; "added" is the
# target's p50 (p99) minus direct's p50 (p99) of the same repetition. CPU columns: CPU time
# of the relay process (siptap, sslsplit) per transaction
# (request + response) during the bursts, and for siptap that of its event and output threads
# (decoding, JSON) alone; they are steadier than wall-clock figures when the cores are shared. During
# the sequential (latency) run: the relay's CPU per request, which shows what busy polling
# costs, and how often the event and output threads went to sleep per request (each sleep needs
# a wake-up).
# BASELINE=/path/to/another/siptap adds it as a fourth target (e.g. the build before a change).
# RT=1 runs Kamailio, the relays and the clients under SCHED_FIFO (chrt), so that other work on
# shared cores does not sit in the measured path (needs CAP_SYS_NICE; the kernel still keeps
# 5 % of each second for the rest).
# usage: bench/relay_bench.sh [BUILD_DIR]   (default build); N=2000 BURST=5000 IDLE=200 REPS=5
set -eu
here=$(cd "$(dirname "$0")" && pwd)
siptap=${1:-$here/../build}/siptap
N=${N:-2000} BURST=${BURST:-5000} IDLE=${IDLE:-200} REPS=${REPS:-5}
rt=""; [ "${RT:-0}" = 1 ] && rt="chrt -f 50"
. "$here/relay_common.sh"

lync=$(port) relay=$(port) split=$(port) base=$(port)
cat > "$dir/tls.cfg" <<CFG
[server:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
certificate = $dir/lync.pem
private_key = $dir/lync.key
ca_list = $dir/ca.pem
CFG
cat > "$dir/kamailio.cfg" <<CFG
#!KAMAILIO
debug=1
log_stderror=yes
children=2
tcp_children=2
enable_tls=yes
auto_aliases=no
listen=tls:127.0.0.1:$lync
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tls.so"
loadmodule "sl.so"
modparam("tls", "config", "$dir/tls.cfg")
request_route { sl_send_reply("200", "OK"); }
CFG
$rt kamailio -DD -E -f "$dir/kamailio.cfg" -Y "$dir" > "$dir/kamailio.log" 2>&1 & pids="$pids $!"
$rt "$siptap" proxy --json --listen "127.0.0.1:$relay" --upstream "127.0.0.1:$lync" \
  --cert "$dir/siptap.pem" --key "$dir/siptap.key" --upstream-cert "$dir/um.pem" --upstream-key "$dir/um.key" \
  > /dev/null 2> "$dir/siptap.err" & siptap_pid=$!; pids="$pids $siptap_pid"
wait_port "$lync"; wait_port "$relay"
targets="direct:$lync:0 siptap:$relay:$siptap_pid"
if [ -n "${BASELINE:-}" ]; then
  $rt "$BASELINE" proxy --json --listen "127.0.0.1:$base" --upstream "127.0.0.1:$lync" \
    --cert "$dir/siptap.pem" --key "$dir/siptap.key" --upstream-cert "$dir/um.pem" --upstream-key "$dir/um.key" \
    > /dev/null 2> "$dir/baseline.err" & base_pid=$!; pids="$pids $base_pid"
  wait_port "$base"
  targets="$targets baseline:$base:$base_pid"
fi
if command -v sslsplit > /dev/null; then
  $rt sslsplit -u root -k "$dir/ca.key" -c "$dir/ca.pem" -a "$dir/um.pem" -b "$dir/um.key" \
    ssl 127.0.0.1 "$split" 127.0.0.1 "$lync" > "$dir/sslsplit.log" 2>&1 & split_pid=$!; pids="$pids $split_pid"
  sleep 1
  if ss -Hltn "sport = :$split" | grep -q .; then targets="$targets sslsplit:$split:$split_pid"; fi
fi

# CPU seconds (utime + stime) of a process and its children (sslsplit forks), or of its
# threads whose name matches the regular expression $2.
cpu() {
  [ "$1" = 0 ] && { echo 0; return; }
  if [ -n "${2:-}" ]; then
    cat /proc/"$1"/task/*/stat | awk -v n="^[(]($2)[)]$" '$2 ~ n {t += $14 + $15} END {printf "%.3f", t / 100}'
  else
    for p in "$1" $(ps -o pid= --ppid "$1"); do cat "/proc/$p/stat"; done |
      awk '{t += $14 + $15} END {printf "%.3f", t / 100}'
  fi
}
# The threads behind the relay: decoding (siptap-events) and, since the output got a thread of
# its own, writing the output (siptap-output). Their CPU and sleeps are counted together, so the
# figures compare with builds from before that split.
event_threads='siptap-events|siptap-output'
# Times the event threads went to sleep (voluntary context switches): how often the relay path
# has to wake them.
sleeps() {
  [ "$1" = 0 ] && { echo 0; return; }
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm")" in siptap-events | siptap-output) awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status" ;; esac
  done | awk '{n += $1} END {print n + 0}'
}
client() { $rt python3 "$here/relay_bench.py" "127.0.0.1:$1" "$2" "$3" "$dir/um.pem" "$dir/um.key"; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rep=1
while [ $rep -le "$REPS" ]; do
  for t in $targets; do
    name=${t%%:*} rest=${t#*:}; p=${rest%%:*} pid=${rest#*:}
    s0=$(sleeps "$pid") c0=$(cpu "$pid")
    lat=$(client "$p" latency "$N")
    c1=$(cpu "$pid")
    echo "$rep $name latency $lat {\"event_sleeps\": $(( $(sleeps "$pid") - s0 )), \"cpu_s\": $(echo "$c1 $c0" | awk '{print $1 - $2}')}" >> "$dir/results"
    c0=$(cpu "$pid") e0=$(cpu "$pid" "$event_threads")
    burst=$(client "$p" burst "$BURST")
    c1=$(cpu "$pid") e1=$(cpu "$pid" "$event_threads")
    echo "$rep $name burst $burst {\"cpu_s\": $(echo "$c1 $c0" | awk '{print $1 - $2}'), \"events_cpu_s\": $(echo "$e1 $e0" | awk '{print $1 - $2}')}" >> "$dir/results"
  done
  rep=$((rep + 1))
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$dir/results" "$BURST" "$N" <<'PY'
import json, statistics, sys
rows, burst, n = {}, int(sys.argv[2]), int(sys.argv[3])
for line in open(sys.argv[1]):
    rep, name, mode, rest = line.split(" ", 3)
    objs = [json.loads(x) for x in rest.replace("} {", "}\n{").splitlines()]
    merged = {k: v for o in objs for k, v in o.items()}
    rows.setdefault(name, {}).setdefault(mode, []).append(merged)
med = lambda xs: statistics.median(xs) if xs else float("nan")
spread = lambda xs, f: f"{f(med(xs))} ({f(min(xs))}-{f(max(xs))})" if xs else "-"
direct = {m: [r for r in rows.get("direct", {}).get(m, [])] for m in ("latency", "burst")}
print(f"| target | p50 us | p99 us | added p50 us | added p99 us | transactions/s | CPU us per transaction | event thread us | event wake-ups per request | CPU us per sequential request |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, modes in rows.items():
    lat, bur = modes["latency"], modes["burst"]
    p50 = med([r["p50_us"] for r in lat])
    added = med([r["p50_us"] - d["p50_us"] for r, d in zip(lat, direct["latency"])])
    added99 = spread([r["p99_us"] - d["p99_us"] for r, d in zip(lat, direct["latency"])], lambda x: f"{x:.0f}")
    cpu = spread([r.get("cpu_s", 0) * 1e6 / burst for r in bur], lambda x: f"{x:.1f}")
    ev = med([r.get("events_cpu_s", 0) * 1e6 / burst for r in bur])
    wakes = med([r.get("event_sleeps", 0) / n for r in lat])
    lat_cpu = med([r.get("cpu_s", 0) * 1e6 / n for r in lat])
    print(f"| {name} | {p50:.0f} | {med([r['p99_us'] for r in lat]):.0f} | "
          f"{'-' if name == 'direct' else f'{added:.0f}'} | {'-' if name == 'direct' else added99} | {med([r['transactions_per_s'] for r in bur]):.0f} | "
          f"{'-' if name == 'direct' else cpu} | {f'{ev:.1f}' if ev else '-'} | {f'{wakes:.2f}' if ev else '-'} | {'-' if name == 'direct' else f'{lat_cpu:.0f}'} |")
PY
echo "medians of $REPS interleaved repetitions (latency: $N sequential OPTIONS each, burst: $BURST pipelined)${rt:+, under $rt};" \
     "load average at start $load_start, at end $load_end"

rss() { awk '/VmRSS/ {print $2}' "/proc/$siptap_pid/status"; }
before=$(rss)
fifo="$dir/idle"; mkfifo "$fifo"
client "$relay" idle "$IDLE" < "$fifo" > "$dir/idle.out" & idle_pid=$!; pids="$pids $idle_pid"
exec 3> "$fifo"
i=0; until grep -q open "$dir/idle.out" 2>/dev/null; do i=$((i+1)); [ $i -lt 600 ] || break; sleep 0.1; done
after=$(rss)
echo "siptap idle: $IDLE connection pairs, RSS ${before} kB -> ${after} kB, $(( (after - before) * 1024 / IDLE )) bytes per pair"
exec 3>&-
wait "$idle_pid" 2>/dev/null || true
