#!/usr/bin/env bash
# Seeds of the rsa_key fuzz target (tests/fuzz/corpus/rsa_key/): the Lync server's RSA key of
# pcaps/tls-pki in every form `--rsa-key` takes, and what it must refuse. The password is the
# test password of pcaps/README.md, the one fuzz_rsa_key.cpp passes. Run from anywhere; it
# overwrites the seed-* files (the EC key is a fresh one each time).
set -euo pipefail
cd "$(dirname "$0")/../.."
pki=pcaps/tls-pki out=tests/fuzz/corpus/rsa_key pw=siptap-test
mkdir -p "$out"
key="$pki/lync01.key" cert="$pki/lync01.pem"

cp "$key" "$out/seed-pkcs8.pem"                                        # PRIVATE KEY (PKCS#8)
openssl rsa -in "$key" -traditional -out "$out/seed-pkcs1.pem"          # RSA PRIVATE KEY
openssl rsa -in "$key" -traditional -outform DER -out "$out/seed-pkcs1.der"
openssl pkcs8 -topk8 -nocrypt -in "$key" -outform DER -out "$out/seed-pkcs8.der"
# ENCRYPTED PRIVATE KEY (PKCS#8, PBES2: PBKDF2 + AES-256-CBC), and the older PEM encryption
# (Proc-Type / DEK-Info headers on an RSA PRIVATE KEY).
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$key" -passout "pass:$pw" -out "$out/seed-pkcs8-encrypted.pem"
openssl rsa -in "$key" -traditional -aes128 -passout "pass:$pw" -out "$out/seed-pkcs1-encrypted.pem"
# PKCS#12 as Windows exports it (key and certificate; no CA, to keep the seeds small): OpenSSL
# 3's default (AES-256-CBC, PBKDF2, HMAC-SHA256), the legacy one of older Windows exports
# (3DES for the key, RC2-40 for the certificate, SHA-1 MAC; needs the legacy provider), one
# with an empty password, and one with the certificate only (no key to find).
openssl pkcs12 -export -in "$cert" -inkey "$key" -name lync01 -passout "pass:$pw" -out "$out/seed-aes.pfx"
openssl pkcs12 -export -legacy -in "$cert" -inkey "$key" -name lync01 -passout "pass:$pw" \
  -out "$out/seed-legacy.pfx"
openssl pkcs12 -export -in "$cert" -inkey "$key" -name lync01 -passout pass: -out "$out/seed-nopassword.pfx"
openssl pkcs12 -export -nokeys -in "$cert" -name lync01 -passout "pass:$pw" -out "$out/seed-certonly.pfx"
# Refused: an EC key (no RSA key exchange with it), a PEM cut in half, a DER cut short.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/seed-ec.pem"
head -c 850 "$key" >"$out/seed-truncated.pem"
head -c 600 "$out/seed-pkcs1.der" >"$out/seed-truncated.der"
chmod 0644 "$out"/seed-*
