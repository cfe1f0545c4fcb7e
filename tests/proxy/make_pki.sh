#!/bin/sh
# usage: make_pki.sh DIR — CAs and leaf certificates for the proxy tests (P-256 keys: fast)
set -e
cd "$1"
q() { "$@" >/dev/null 2>&1; }
newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
ca() { # name cn
  q openssl req -x509 $newkey -keyout $1.key -out $1.pem -days 3650 -subj "/CN=$2"
}
leaf() { # name cn san [days [ca [extra extension lines]]]
  q openssl req $newkey -keyout $1.key -out $1.csr -subj "/CN=$2"
  printf "subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n%b" "$3" "${6:-}" > $1.ext
  q openssl x509 -req -in $1.csr -CA ${5:-ca}.pem -CAkey ${5:-ca}.key -CAcreateserial -out $1.pem \
    -days ${4:-3650} -extfile $1.ext
}
ca ca "Test Root CA"
ca rogueca "Rogue CA"
ca forgeca "siptap Forge CA"
leaf lync lync01.contoso.com lync01.contoso.com
leaf um um01.contoso.com um01.contoso.com
leaf umwild '*.contoso.com' um01.contoso.com
leaf siptap siptap.test siptap.test
leaf umexpired um01.contoso.com um01.contoso.com -1   # notAfter a day before notBefore (now)
leaf umrogue um01.contoso.com um01.contoso.com 3650 rogueca
leaf lynccdp lync01.contoso.com lync01.contoso.com 3650 ca \
  "crlDistributionPoints=URI:http://pki.contoso.com/ca.crl\nauthorityInfoAccess=caIssuers;URI:http://pki.contoso.com/ca.crt\n"
