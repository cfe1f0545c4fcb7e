#include "decoder/tls/trust_store.hpp"

#include <openssl/err.h>

#include <stdexcept>

namespace decoder {

TrustStore::TrustStore(const std::string& ca_file) : file_(ca_file), store_(X509_STORE_new()) {
    if (!store_ || X509_STORE_load_file(store_.get(), ca_file.c_str()) != 1) {
        const char* why = ERR_reason_error_string(ERR_peek_last_error());
        const std::string reason = why ? std::string(" (") + why + ")" : std::string();
        ERR_clear_error();
        throw std::runtime_error("--ca-file " + ca_file + ": cannot read trusted roots" + reason);
    }
}

}  // namespace decoder
