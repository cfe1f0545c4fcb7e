#!/bin/sh
# usage: make_legacy_pki.sh DIR — RSA certificates as AD CS issued them for Exchange UM and
# Lync (SHA-1 signatures, RSA-1024 keys) for the relay fidelity tests, a forge CA for siptap,
# and trust.pem (the legacy root and the forge CA: the peers trust both, as a lab would).
set -e
cd "$1"
q() { "$@" >/dev/null 2>&1; }
ca() { # name cn
  q openssl req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -days 3650 -sha256 -subj "/CN=$2"
}
leaf() { # name bits digest cn eku
  q openssl req -newkey rsa:$2 -nodes -keyout $1.key -out $1.csr -subj "/O=Contoso/CN=$4"
  printf "subjectAltName=DNS:%s\nextendedKeyUsage=%s\nkeyUsage=digitalSignature,keyEncipherment\n" "$4" "$5" > $1.ext
  q openssl x509 -req -in $1.csr -CA root.pem -CAkey root.key -CAcreateserial -out $1.pem -days 3650 -$3 \
    -extfile $1.ext
}
ca root "Legacy Root CA"
ca forge "siptap Forge CA"
leaf srv 2048 sha256 lync01.contoso.com serverAuth,clientAuth
leaf srvsha1 2048 sha1 lync01.contoso.com serverAuth,clientAuth
leaf srv1024 1024 sha1 lync01.contoso.com serverAuth,clientAuth
leaf cli 2048 sha256 um01.contoso.com serverAuth,clientAuth
leaf clisha1 2048 sha1 um01.contoso.com serverAuth,clientAuth
leaf cli1024 1024 sha256 um01.contoso.com serverAuth,clientAuth
leaf clinoauth 2048 sha256 um01.contoso.com serverAuth
cat root.pem forge.pem > trust.pem
