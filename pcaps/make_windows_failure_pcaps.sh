#!/usr/bin/env bash
# Regenerate the captures of pcaps/windows_failure_peers.py: Exchange-UM-like client on
# 127.0.0.2, Lync-like server on 127.0.0.3:5061, with the committed PKI in pcaps/tls-pki/.
#
#   bash pcaps/make_windows_failure_pcaps.sh [SCENARIO...]   (as root, or with dumpcap allowed on lo)
#
# For each scenario: dumpcap on lo, both peers, dumpcap stopped with SIGINT, only that
# scenario's TCP connection kept in pcaps/NAME.pcapng (with NAME.keys and NAME.sent.txt);
# then every capture is checked with tshark. Every wait is bounded; traffic stays on 127.0.0.x.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKI="$HERE/tls-pki"
PEERS="$HERE/windows_failure_peers.py"
WORK=$(mktemp -d /tmp/siptap-windows-pcaps.XXXXXX)
# shellcheck source=pcaps/dumpcap_capture.sh
source "$HERE/dumpcap_capture.sh"
require_tools dumpcap tshark python3 timeout
[[ -f "$PKI/um-good.chain.pem" ]] || die "$PKI has no PKI; run pcaps/make_tls_pcaps.sh first"

# The committed PKI plus what the certificate scenarios need, in a copy under $WORK, so
# tls-pki/ stays as make_tls_pcaps.sh made it. The leaves are issued by the Contoso issuing CA
# with openssl x509 -req (one call each); the 300 filler CAs share one EC P-256 key, since
# only their names reach the CertificateRequest and 300 RSA keys would take minutes.
make_extra_pki() {
  local x="$WORK/pki" i ext="$WORK/leaf.ext" ca=(-CA "$PKI/contoso-issuing-ca.pem" -CAkey "$PKI/contoso-issuing-ca.key")
  mkdir -p "$x" && cp "$PKI"/*.pem "$PKI"/*.key "$x/"
  printf '%s\n' 'basicConstraints = critical,CA:FALSE' 'keyUsage = critical,digitalSignature,keyEncipherment' \
    'subjectAltName = DNS:exch01.contoso.com' >"$ext"
  # leaf NAME BITS EKU [x509 -req options...]
  leaf() {
    local name=$1 bits=$2 eku=$3; shift 3
    openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "$x/$name.key" 2>/dev/null
    openssl req -new -key "$x/$name.key" -subj "/C=US/O=Contoso/CN=exch01.contoso.com" -out "$WORK/$name.csr"
    { cat "$ext"; echo "extendedKeyUsage = $eku"; } >"$WORK/$name.ext"
    openssl x509 -req -in "$WORK/$name.csr" "${ca[@]}" -set_serial "0x$(openssl rand -hex 8)" -days 3650 \
      -extfile "$WORK/$name.ext" "$@" -out "$x/$name.pem" 2>"$WORK/$name.x509.log" \
      || { cat "$WORK/$name.x509.log" >&2; die "could not issue $name"; }
    cat "$x/$name.pem" "$PKI/contoso-issuing-ca.pem" "$PKI/contoso-root-ca.pem" >"$x/$name.chain.pem"
  }
  leaf um-sha1-rsa1024 1024 serverAuth,clientAuth -sha1
  leaf um-pss 2048 serverAuth,clientAuth -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
  leaf um-serverauth-only 2048 serverAuth -sha256
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/filler.key" 2>/dev/null
  : >"$x/filler-cas-and-contoso-root.pem"
  for i in $(seq 1 300); do                       # names of ~165 bytes: 300 of them make ~50 KB
    openssl req -x509 -new -key "$WORK/filler.key" -days 3650 -sha256 \
      -subj "/C=US/O=Fabrikam Trusted Root Program/OU=Third-party root certificate $i of 300/CN=Fabrikam Filler Root Certification Authority $i" \
      >>"$x/filler-cas-and-contoso-root.pem"
  done
  cat "$PKI/contoso-root-ca.pem" >>"$x/filler-cas-and-contoso-root.pem"  # last: past the 16 KB
  PKI="$x"
}

capture() {
  local name=$1 raw="$WORK/$1.raw.pcapng" port
  record_scenario "$name" 'tcp port 5061 and host 127.0.0.2 and host 127.0.0.3' "$raw"
  port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_port"])' "$SUMMARY")
  tshark -r "$raw" -Y "tcp.port == $port" -F pcapng -w "$HERE/$name.pcapng" 2>/dev/null
  chmod 0644 "$HERE/$name.pcapng" "$HERE/$name.keys" "$HERE/$name.sent.txt"
}

make_extra_pki
select_scenarios "$@"
for s in "${SCENARIOS[@]}"; do
  capture "$s"
done
echo "== checks"
python3 "$PEERS" check --dir "$HERE" "${SCENARIOS[@]}"
