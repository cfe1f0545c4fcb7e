// OpenSSL 3 keeps what Windows peers of the Exchange 2010 era still use (RC4, single DES,
// the RC2-40 of old .pfx files) in its legacy provider. It is loaded here only, once, and
// unloaded at exit (LeakSanitizer reports a provider still loaded when OpenSSL cleans up).
#pragma once

namespace decoder {

// Loads the legacy provider into OpenSSL's default library context, with the default
// provider beside it (loading any provider explicitly stops the default one loading by
// itself). Once per process; false when the legacy provider is not installed. The default
// context, because PKCS12_parse and the relay's SSL_CTX cannot be given another.
bool load_legacy_provider();

}  // namespace decoder
