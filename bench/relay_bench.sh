#!/bin/sh
# Speed of `siptap proxy` (issue 5): added latency per SIP request/response (p50, p99) and
# transactions per second through the relay, against a direct TLS connection and against
# sslsplit (if installed) on the same loopback setup, and RSS per idle connection pair.
# The Lync side is Kamailio (TLS, client certificate required, 200 OK to OPTIONS).
# usage: bench/relay_bench.sh [BUILD_DIR]   (default build-proxy); N=2000 BURST=5000 IDLE=200
set -eu
here=$(cd "$(dirname "$0")" && pwd)
siptap=${1:-$here/../build-proxy}/siptap
N=${N:-2000} BURST=${BURST:-5000} IDLE=${IDLE:-200}
dir=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
sh "$here/../tests/proxy/make_pki.sh" "$dir"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { i=0; until ss -Hltn "sport = :$1" | grep -q .; do i=$((i+1)); [ $i -lt 100 ] || { echo "port $1 never opened" >&2; exit 1; }; sleep 0.1; done; }

lync=$(port) relay=$(port) split=$(port)
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
kamailio -DD -E -f "$dir/kamailio.cfg" -Y "$dir" > "$dir/kamailio.log" 2>&1 & pids="$pids $!"
"$siptap" proxy --json --listen "127.0.0.1:$relay" --upstream "127.0.0.1:$lync" \
  --cert "$dir/siptap.pem" --key "$dir/siptap.key" --upstream-cert "$dir/um.pem" --upstream-key "$dir/um.key" \
  > /dev/null 2> "$dir/siptap.err" & siptap_pid=$!; pids="$pids $siptap_pid"
wait_port "$lync"; wait_port "$relay"
targets="direct:$lync siptap:$relay"
if command -v sslsplit > /dev/null; then
  sslsplit -u root -k "$dir/ca.key" -c "$dir/ca.pem" -a "$dir/um.pem" -b "$dir/um.key" \
    ssl 127.0.0.1 "$split" 127.0.0.1 "$lync" > "$dir/sslsplit.log" 2>&1 & pids="$pids $!"
  sleep 1
  if ss -Hltn "sport = :$split" | grep -q .; then targets="$targets sslsplit:$split"; fi
fi

client() { python3 "$here/relay_bench.py" "127.0.0.1:$1" "$2" "$3" "$dir/um.pem" "$dir/um.key"; }
for t in $targets; do
  name=${t%%:*} p=${t#*:}
  echo "$name latency: $(client "$p" latency "$N")"
  echo "$name burst:   $(client "$p" burst "$BURST")"
done

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
