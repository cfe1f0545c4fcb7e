#include "decoder/tls/openssl_legacy.hpp"

#include <openssl/err.h>
#include <openssl/provider.h>

#include <cstdlib>

namespace decoder {
namespace {

OSSL_PROVIDER* legacy = nullptr;
OSSL_PROVIDER* fallback = nullptr;

// Registered after OpenSSL's own atexit handler, so it runs first (handlers run in reverse
// order), while OpenSSL can still unload.
void unload_at_exit() {
    if (legacy) OSSL_PROVIDER_unload(legacy);
    if (fallback) OSSL_PROVIDER_unload(fallback);
}

}  // namespace

bool load_legacy_provider() {
    static const bool loaded = [] {
        fallback = OSSL_PROVIDER_load(nullptr, "default");
        legacy = OSSL_PROVIDER_load(nullptr, "legacy");
        ERR_clear_error();
        std::atexit(unload_at_exit);
        return legacy != nullptr;
    }();
    return loaded;
}

}  // namespace decoder
