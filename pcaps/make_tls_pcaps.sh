#!/usr/bin/env bash
# Regenerate the siptap TLS sample captures (pcaps/tls*.pcapng) from real TLS peers on
# loopback: Exchange-UM-like client on 127.0.0.2, Lync-like server on 127.0.0.3:5061.
#
#   bash pcaps/make_tls_pcaps.sh            (as root, or with dumpcap allowed to capture on lo)
#   bash pcaps/make_tls_pcaps.sh NAME...    only these scenarios, with the committed PKI
#
# 1. builds a throwaway PKI with the openssl CLI into pcaps/tls-pki/ (Contoso root CA, Contoso
#    issuing CA, an unrelated Fabrikam root, Lync and UM leaf certificates);
# 2. for every scenario: starts dumpcap on lo, runs pcaps/tls_peers.py (both peers), stops
#    dumpcap with SIGINT and keeps only that scenario's TCP connection in pcaps/NAME.pcapng;
#    the peers write pcaps/NAME.keys (NSS key log) and pcaps/NAME.sent.txt (plaintext sent);
# 3. checks every capture with tshark (tls_peers.py check) and prints the tshark views.
#
# Every wait is bounded; the script stops by itself; traffic only goes to 127.0.0.2/127.0.0.3.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKI="$HERE/tls-pki"
PEERS="$HERE/tls_peers.py"
WORK=$(mktemp -d /tmp/siptap-tls-pcaps.XXXXXX)

SCENARIOS=(
  tls-good
  tls-wildcard-incident
  tls-untrusted-ca
  tls-expired-cert
  tls-no-client-cert
  tls-reset-mid-dialog
  tls13-wildcard-incident
  tls12-chacha-good
  tls12-cbc-good
  tls10-rsa-aes128-sha
  tls11-rsa-aes256-sha
  tls11-ecdhe-aes256-sha
  tls12-rsa-resumed
  tls12-rsa-ticket-resumed
)

# shellcheck source=pcaps/dumpcap_capture.sh
source "$HERE/dumpcap_capture.sh"

require_tools openssl dumpcap tshark python3 timeout

# ------------------------------------------------------------------------------------ PKI
# Subject strings: "printable" configs give PrintableString, "utf8" configs UTF8String
# (AD CS issues both). Dates are fixed so the certificates say the same thing every time.
CA_START=20190101000000Z
CA_END=20440101000000Z
LEAF_START=20250101000000Z
LEAF_END=20350101000000Z
EXPIRED_START=20200101000000Z
EXPIRED_END=20210101000000Z

cat >"$WORK/req-printable.cnf" <<'EOF'
[req]
distinguished_name = dn
string_mask = nombstr
prompt = no
[dn]
EOF
cat >"$WORK/req-utf8.cnf" <<'EOF'
[req]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[dn]
EOF
cat >"$WORK/ca.cnf" <<'EOF'
[ca]
default_ca = CA_default
[CA_default]
dir = $ENV::CADIR
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
preserve = yes
email_in_dn = no
copy_extensions = none
[policy_any]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[root_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[issuing_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,digitalSignature,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = $ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
EOF

# csr NAME STRINGS(printable|utf8) SUBJECT
csr() {
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/$1.key" 2>/dev/null
  openssl req -new -config "$WORK/req-$2.cnf" -key "$PKI/$1.key" -subj "$3" \
    -out "$WORK/$1.csr"
}

# sign NAME ISSUER(self|CA-NAME) EXTENSION START END [SAN]
sign() {
  local name=$1 issuer=$2 ext=$3 start=$4 end=$5
  local cadir="$WORK/db-$issuer"
  [[ "$issuer" == self ]] && cadir="$WORK/db-$name"
  mkdir -p "$cadir/newcerts"
  touch "$cadir/index.txt"
  [[ -f "$cadir/serial" ]] || openssl rand -hex 16 >"$cadir/serial"
  local signer=(-cert "$PKI/$issuer.pem" -keyfile "$PKI/$issuer.key")
  [[ "$issuer" == self ]] && signer=(-selfsign -keyfile "$PKI/$name.key")
  CADIR="$cadir" SAN="${6:-DNS:unused.invalid}" openssl ca -batch -notext -rand_serial \
    -config "$WORK/ca.cnf" "${signer[@]}" -extensions "$ext" \
    -startdate "$start" -enddate "$end" \
    -in "$WORK/$name.csr" -out "$PKI/$name.pem" 2>"$WORK/ca-$name.log" \
    || { cat "$WORK/ca-$name.log" >&2; die "openssl ca failed for $name"; }
}

make_pki() {
  rm -rf "$PKI"
  mkdir -p "$PKI"
  echo "== PKI in $PKI"

  csr contoso-root-ca printable "/C=US/O=Contoso/CN=Contoso Root CA"
  sign contoso-root-ca self root_ca "$CA_START" "$CA_END"
  csr contoso-issuing-ca utf8 "/C=US/O=Contoso/CN=Contoso Issuing CA 1"
  sign contoso-issuing-ca contoso-root-ca issuing_ca "$CA_START" "$CA_END"
  csr fabrikam-untrusted-ca printable "/C=US/O=Fabrikam/CN=Fabrikam Untrusted CA"
  sign fabrikam-untrusted-ca self root_ca "$CA_START" "$CA_END"

  csr lync01 utf8 "/C=US/ST=Washington/L=Redmond/O=Contoso/CN=lync01.contoso.com"
  sign lync01 contoso-issuing-ca leaf "$LEAF_START" "$LEAF_END" \
    "DNS:lync01.contoso.com,DNS:sip.contoso.com"
  csr um-good printable "/C=US/O=Contoso/CN=exch01.contoso.com"
  sign um-good contoso-issuing-ca leaf "$LEAF_START" "$LEAF_END" "DNS:exch01.contoso.com"
  csr um-wildcard utf8 "/C=US/O=Contoso/CN=*.contoso.com"
  sign um-wildcard contoso-issuing-ca leaf "$LEAF_START" "$LEAF_END" \
    "DNS:*.contoso.com,DNS:exch01.contoso.com"
  csr um-expired printable "/C=US/O=Contoso/CN=exch01.contoso.com"
  sign um-expired contoso-issuing-ca leaf "$EXPIRED_START" "$EXPIRED_END" \
    "DNS:exch01.contoso.com"
  csr um-untrusted utf8 "/CN=exch01.contoso.com"
  sign um-untrusted fabrikam-untrusted-ca leaf "$LEAF_START" "$LEAF_END" \
    "DNS:exch01.contoso.com"

  # chains as the peers send them: Lync leaf + issuing CA; UM leaf + issuing CA + root
  cat "$PKI/lync01.pem" "$PKI/contoso-issuing-ca.pem" >"$PKI/lync01.chain.pem"
  for um in um-good um-wildcard um-expired; do
    cat "$PKI/$um.pem" "$PKI/contoso-issuing-ca.pem" "$PKI/contoso-root-ca.pem" \
      >"$PKI/$um.chain.pem"
  done
  cat "$PKI/um-untrusted.pem" "$PKI/fabrikam-untrusted-ca.pem" >"$PKI/um-untrusted.chain.pem"
  chmod 0644 "$PKI"/*.pem
  chmod 0600 "$PKI"/*.key

  for c in contoso-root-ca contoso-issuing-ca fabrikam-untrusted-ca lync01 um-good \
           um-wildcard um-expired um-untrusted; do
    printf '  %-22s %s | %s\n' "$c" \
      "$(openssl x509 -in "$PKI/$c.pem" -noout -subject -nameopt RFC2253,show_type | sed 's/^subject=//')" \
      "$(openssl x509 -in "$PKI/$c.pem" -noout -enddate)"
  done
  openssl verify -CAfile "$PKI/contoso-root-ca.pem" -untrusted "$PKI/contoso-issuing-ca.pem" \
    "$PKI/lync01.pem" "$PKI/um-good.pem" "$PKI/um-wildcard.pem" >/dev/null \
    || die "PKI does not verify"
}

# ------------------------------------------------------------------------------- capture
capture() {
  local name=$1 raw="$WORK/$1.raw.pcapng" filter
  record_scenario "$name" 'tcp port 5061 and host 127.0.0.2 and host 127.0.0.3' "$raw"

  filter=$(python3 -c 'import json,sys; print(" || ".join("tcp.port == %d" % p for p in
                       json.loads(sys.argv[1])["client_ports"]))' "$SUMMARY")
  # keep only this scenario's connections; tshark writes pcapng
  tshark -r "$raw" -Y "$filter" -F pcapng -w "$HERE/$name.pcapng" 2>/dev/null
  chmod 0644 "$HERE/$name.pcapng" "$HERE/$name.keys" "$HERE/$name.sent.txt"
}

# The Lync server's certificate and key as Windows exports them (.pfx with the private key),
# for `siptap read --rsa-key`: one with OpenSSL 3's default protection (AES-256, PBKDF2) and
# one with the older RC2/3DES protection of Windows Server 2008 R2-2016 exports. The
# password is a test password, recorded in pcaps/README.md.
make_pfx() {
  local pw=siptap-test
  [[ -f "$PKI/lync01.pfx" ]] || openssl pkcs12 -export -in "$PKI/lync01.pem" -inkey "$PKI/lync01.key" \
    -certfile "$PKI/contoso-issuing-ca.pem" -name lync01 -passout "pass:$pw" -out "$PKI/lync01.pfx"
  [[ -f "$PKI/lync01-legacy.pfx" ]] || openssl pkcs12 -export -legacy -in "$PKI/lync01.pem" \
    -inkey "$PKI/lync01.key" -certfile "$PKI/contoso-issuing-ca.pem" -name lync01 -passout "pass:$pw" \
    -out "$PKI/lync01-legacy.pfx"
  chmod 0600 "$PKI"/*.pfx
}

if (($#)); then
  [[ -f "$PKI/lync01.key" ]] || die "no PKI in $PKI: run without arguments first"
  SCENARIOS=("$@")
else
  make_pki
fi
make_pfx
for s in "${SCENARIOS[@]}"; do
  capture "$s"
done

echo "== tshark views"
for s in "${SCENARIOS[@]}"; do
  f="$HERE/$s.pcapng"
  echo "-- $s.pcapng: handshake (frame, src, types, UTF8String, PrintableString, alert)"
  tshark -r "$f" -Y tls.handshake -T fields -e frame.number -e ip.src -e tls.handshake.type \
    -e x509sat.uTF8String -e x509sat.printableString -e tls.alert_message.desc 2>/dev/null | sed 's/^/   /'
  echo "-- $s.pcapng: plaintext alerts / decrypted SIP (frame, src, alert, method, status)"
  tshark -r "$f" -Y 'tls.alert_message.desc' -T fields -e frame.number -e ip.src \
    -e tls.alert_message.desc 2>/dev/null | sed 's/^/   alert /'
  tshark -r "$f" -o "tls.keylog_file:$HERE/$s.keys" -Y sip -T fields -e frame.number -e ip.src \
    -e sip.Method -e sip.Status-Code 2>/dev/null | sed 's/^/   sip /'
done

echo "== checks"
python3 "$PEERS" check --dir "$HERE" "${SCENARIOS[@]}"
echo "== done: $(cd "$HERE" && ls tls*.pcapng | tr '\n' ' ')"
