# Shared set-up of the relay benchmarks (sourced by relay_bench.sh and relay_load.sh): a temp
# dir with the test PKI, removed with every process listed in $pids on exit; a free loopback
# port; a bounded wait until a port listens. Needs $here (the bench/ directory).
dir=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
sh "$here/../tests/proxy/make_pki.sh" "$dir"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { i=0; until ss -Hltn "sport = :$1" | grep -q .; do i=$((i+1)); [ $i -lt 100 ] || { echo "port $1 never opened" >&2; exit 1; }; sleep 0.1; done; }
