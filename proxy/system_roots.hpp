// The system's trusted roots (for --forge-ca without --trust), read into a store at start-up.
// X509_STORE_set_default_paths reads the bundle file then, but the hashed directory only on
// demand: for every issuer not found in memory (every chain from an unknown CA) it looks in
// the directory again, per chain. Reading every certificate there up front keeps the verdict
// on a chain from depending on the directory's state at the time it is presented.
#pragma once

#include <openssl/x509_vfy.h>

namespace proxy {

// Adds the bundle ($SSL_CERT_FILE, else OpenSSL's default file) and each certificate in the
// hashed directory ($SSL_CERT_DIR, else OpenSSL's default directory; hash-named files only) to
// `store`. Missing files are no error: a system without roots trusts nothing. False only when
// the store cannot take a certificate it read.
bool load_system_roots(X509_STORE* store);

}  // namespace proxy
