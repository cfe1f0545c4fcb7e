#!/bin/sh
# usage: pki.sh DIR — CA + leaf certificates for the proxy tests
set -e
cd "$1"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=Test Root CA"
leaf() { # name cn san
  q openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj "/CN=$2"
  printf "subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n" "$3" > $1.ext
  q openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $1.pem -days 3650 -extfile $1.ext
}
leaf lync lync01.contoso.com lync01.contoso.com
leaf um um01.contoso.com um01.contoso.com
leaf umwild '*.contoso.com' um01.contoso.com
leaf siptap siptap.test siptap.test
