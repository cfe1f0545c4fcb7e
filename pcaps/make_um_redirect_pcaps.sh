#!/usr/bin/env bash
# Regenerate the captures of pcaps/um_redirect_peers.py: a Lync-like client on 127.0.0.2, the
# Exchange UM call router on 127.0.0.3:5061 answering INVITE with 302 to the UM worker on port
# 5065, with the committed PKI in pcaps/tls-pki/.
#
#   bash pcaps/make_um_redirect_pcaps.sh [SCENARIO...]   (as root, or with dumpcap allowed on lo)
#
# For each scenario: dumpcap on lo (ports 5061 and 5065 of 127.0.0.2's connections), the peers,
# dumpcap stopped with SIGINT; only that scenario's connections are kept, and its key log is
# embedded (editcap --inject-secrets), so `siptap read NAME.pcapng` alone shows the SIP and the
# redirect. NAME.keys and NAME.sent.txt are kept beside it. Every wait is bounded.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKI="$HERE/tls-pki"
PEERS="$HERE/um_redirect_peers.py"
WORK=$(mktemp -d /tmp/siptap-redirect-pcaps.XXXXXX)
# shellcheck source=pcaps/dumpcap_capture.sh
source "$HERE/dumpcap_capture.sh"
require_tools dumpcap tshark editcap python3 timeout
[[ -f "$PKI/um-good.chain.pem" && -f "$PKI/lync01.chain.pem" ]] || die "$PKI has no PKI; run pcaps/make_tls_pcaps.sh first"

capture() {
  local name=$1 raw="$WORK/$1.raw.pcapng" kept="$WORK/$1.kept.pcapng" filter
  record_scenario "$name" 'host 127.0.0.2 and (tcp port 5061 or tcp port 5065)' "$raw"
  # The scenario's connections: the router's by its client port, and whatever went to 5065
  # (the refused attempt's client port is not known to the peers).
  filter=$(python3 -c 'import json,sys; print(" || ".join(["tcp.port == %d" % p for p in
                       json.loads(sys.argv[1])["client_ports"]] + ["tcp.port == 5065"]))' "$SUMMARY")
  tshark -r "$raw" -Y "$filter" -F pcapng -w "$kept" 2>/dev/null
  editcap --inject-secrets "tls,$HERE/$name.keys" "$kept" "$HERE/$name.pcapng"
  chmod 0644 "$HERE/$name.pcapng" "$HERE/$name.keys" "$HERE/$name.sent.txt"
  echo "  tshark, with the embedded keys:"
  tshark -r "$HERE/$name.pcapng" -d tls.port==5065,sip -Y 'sip or tcp.flags.reset == 1' -T fields -e frame.number -e ip.src \
    -e tcp.srcport -e ip.dst -e tcp.dstport -e sip.Request-Line -e sip.Status-Line -e tcp.flags.reset \
    2>/dev/null | sed 's/^/    /'
}

select_scenarios "$@"
for s in "${SCENARIOS[@]}"; do
  capture "$s"
done
