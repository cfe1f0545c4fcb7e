// Minting keys and X.509 certificates: the one place that builds a certificate from a
// description. The relay's forgeries and throwaway CA (cert_forge), the demo's PKI
// (cli/demo_tls) and the decoder tests' fixtures all go through it, so a fix to serials,
// validity or extension contexts is made once. Failures return null and leave OpenSSL's
// reasons in its error queue for the caller to report its own way (throw, or a message).
#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "proxy/tls_identity.hpp"

namespace proxy {

using X509NamePtr = decoder::OpenSslPtr<X509_NAME, X509_NAME_free>;

struct KeyType {
    enum Algorithm { Ec, Rsa } algorithm = Ec;
    unsigned rsa_bits = 2048;
    std::string ec_curve = "P-256";
};

// The type and size of an existing key (RSA bits, EC curve); EC P-256 for anything else.
KeyType key_type_of(const EVP_PKEY* key);
PkeyPtr make_key(const KeyType& type);

struct NameEntry {
    std::string field, value;  // "CN", "lync01.contoso.com"
    int type = MBSTRING_UTF8;  // V_ASN1_PRINTABLESTRING etc. force a string type
};
// Entries in DER order (the last one prints first in RFC 2253 order).
X509NamePtr make_name(const std::vector<NameEntry>& entries);

// One extension in OpenSSL's configuration syntax ("critical,CA:TRUE", "keyid:always"), built
// with the issuer as context, so "hash" and "keyid" refer to the right keys.
struct Extension {
    int nid;
    std::string value;
};

struct CertDescription {
    const X509_NAME* subject = nullptr;       // copied
    EVP_PKEY* key = nullptr;                  // the subject's key (its public half goes in)
    const X509* issuer = nullptr;             // null: self-signed by `key`
    EVP_PKEY* issuer_key = nullptr;           // with `issuer`
    std::string serial_hex;                   // empty: a random 127-bit serial
    long not_before = -86400, not_after = 365L * 86400;  // seconds from now, unless...
    const X509* validity_of = nullptr;        // ...non-null: this certificate's validity, as is
    std::vector<const X509_EXTENSION*> copied;  // added first, as they are
    std::vector<Extension> extensions;          // then these, in order
    const EVP_MD* digest = nullptr;           // null: SHA-256
};

// An X.509 v3 certificate as described, signed. Null on failure (reasons in OpenSSL's queue).
X509Ptr mint_certificate(const CertDescription& description);

}  // namespace proxy
