// EVP_KDF wrappers for the TLS 1.2 PRF and TLS 1.3 HKDF-Expand-Label; see tls_decrypt_kdf.hpp.
#include "decoder/base/openssl_ptr.hpp"
#include "decoder/tls/tls_decrypt_kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

namespace decoder::tls {

namespace {


// Fetched once per process (the fetch is the slow part); never freed.
EVP_KDF* fetched(const char* name) noexcept {
    if (std::string_view(name) == "TLS1-PRF") {
        static EVP_KDF* prf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
        return prf;
    }
    static EVP_KDF* hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    return hkdf;
}

void* mutable_ptr(const void* p) { return const_cast<void*>(p); }

std::optional<std::vector<std::byte>> derive(const char* kdf, OSSL_PARAM* params, std::size_t length) {
    EVP_KDF* k = fetched(kdf);
    if (!k) return std::nullopt;
    OpenSslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free> ctx(EVP_KDF_CTX_new(k));
    std::vector<std::byte> out(length);
    if (!ctx || EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), length, params) <= 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    return out;
}

}  // namespace

std::optional<std::vector<std::byte>> tls12_prf(const char* digest, SecretView secret, std::string_view label,
                                                SecretView seed, std::size_t length) noexcept {
    try {
        // The PRF's seed is label || seed; OpenSSL concatenates repeated seed parameters.
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, mutable_ptr(secret.data()), secret.size()),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, mutable_ptr(label.data()), label.size()),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, mutable_ptr(seed.data()), seed.size()),
            OSSL_PARAM_construct_end()};
        return derive("TLS1-PRF", params, length);
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<std::vector<std::byte>> hkdf_expand_label(const char* digest, SecretView secret,
                                                        std::string_view label, SecretView context,
                                                        std::size_t length) noexcept {
    try {
        const std::string full = "tls13 " + std::string(label);
        if (full.size() > 255 || context.size() > 255 || length > 0xffff) return std::nullopt;
        // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel
        std::vector<unsigned char> info;
        info.push_back(static_cast<unsigned char>(length >> 8));
        info.push_back(static_cast<unsigned char>(length));
        info.push_back(static_cast<unsigned char>(full.size()));
        info.insert(info.end(), full.begin(), full.end());
        info.push_back(static_cast<unsigned char>(context.size()));
        for (std::byte b : context) info.push_back(std::to_integer<unsigned char>(b));
        int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
            OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mutable_ptr(secret.data()), secret.size()),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
            OSSL_PARAM_construct_end()};
        return derive("HKDF", params, length);
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace decoder::tls
