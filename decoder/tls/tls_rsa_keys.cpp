// RSA private keys for RSA key exchange; see tls_rsa_keys.hpp.
#include "decoder/tls/tls_rsa_keys.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "decoder/tls/openssl_legacy.hpp"
#include "decoder/base/openssl_ptr.hpp"

namespace decoder {

namespace {

using PkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free>;

const unsigned char* u8(std::span<const std::byte> s) { return reinterpret_cast<const unsigned char*>(s.data()); }

int pem_password(char* buf, int size, int, void* user) {
    const auto* password = static_cast<const std::string*>(user);
    const int n = static_cast<int>(std::min<std::size_t>(password->size(), static_cast<std::size_t>(size)));
    std::copy(password->data(), password->data() + n, buf);
    return n;
}

PkeyPtr read_pem_or_der(std::span<const std::byte> bytes, const std::string& password) {
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) return nullptr;
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, pem_password, const_cast<std::string*>(&password)));
    if (key) return key;
    const unsigned char* p = u8(bytes);
    return PkeyPtr(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(bytes.size())));
}

// PKCS#12 as Windows exports it. Older exports protect the certificates with RC2-40, which
// OpenSSL 3 keeps in its legacy provider: when the default providers cannot open the file,
// the legacy provider is loaded (with the default one, which loading a provider otherwise
// displaces) and the file is tried once more. Startup only; `read` and `live` use no TLS.
PkeyPtr read_pkcs12(std::span<const std::byte> bytes, const std::string& password, bool& is_pkcs12,
                    bool& password_ok) {
    const unsigned char* p = u8(bytes);
    OpenSslPtr<PKCS12, PKCS12_free> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
    is_pkcs12 = p12 != nullptr;
    if (!p12) return nullptr;
    password_ok = PKCS12_verify_mac(p12.get(), password.c_str(), static_cast<int>(password.size())) == 1 ||
                  (password.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1);
    if (!password_ok) return nullptr;
    for (int attempt = 0; attempt < 2; ++attempt) {
        EVP_PKEY* key = nullptr;
        X509* cert = nullptr;
        STACK_OF(X509)* ca = nullptr;
        const int ok = PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca);
        X509_free(cert);
        sk_X509_pop_free(ca, X509_free);
        if (ok == 1 && key) return PkeyPtr(key);
        EVP_PKEY_free(key);
        ERR_clear_error();
        if (!load_legacy_provider()) break;
    }
    return nullptr;
}

}  // namespace

struct RsaKeys::Entry {
    std::string source;
    PkeyPtr key;
    mutable std::size_t matches = 0;
};

RsaKeys::RsaKeys() = default;
RsaKeys::~RsaKeys() = default;
RsaKeys::RsaKeys(RsaKeys&&) noexcept = default;
RsaKeys& RsaKeys::operator=(RsaKeys&&) noexcept = default;

std::optional<std::string> RsaKeys::add(std::span<const std::byte> bytes, const std::string& source,
                                        const std::string& password) {
    if (bytes.empty()) return "the file is empty, not a key";
    bool is_pkcs12 = false, password_ok = false;
    PkeyPtr key = read_pkcs12(bytes, password, is_pkcs12, password_ok);
    if (is_pkcs12 && !password_ok)
        return password.empty() ? "PKCS#12 file needs a password (SIPTAP_KEY_PASSWORD), or it is damaged"
                                : "wrong password for the PKCS#12 file (SIPTAP_KEY_PASSWORD), or it is damaged";
    if (is_pkcs12 && !key) return "the PKCS#12 file holds no private key siptap can read";
    if (!key) key = read_pem_or_der(bytes, password);
    ERR_clear_error();
    if (!key) return "not a PEM or DER private key, nor a PKCS#12 file (or an encrypted key with a wrong password)";
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
        return "not an RSA key (only RSA key exchange can be decrypted with a server key)";
    keys_.push_back(Entry{source, std::move(key)});
    return std::nullopt;
}

bool RsaKeys::empty() const noexcept { return keys_.empty(); }

std::optional<std::size_t> RsaKeys::find(std::span<const std::byte> certificate_der) const noexcept {
    ++certificates_seen_;
    const unsigned char* p = u8(certificate_der);
    OpenSslPtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(certificate_der.size())));
    EVP_PKEY* pub = cert ? X509_get0_pubkey(cert.get()) : nullptr;
    std::optional<std::size_t> found;
    for (std::size_t i = 0; pub && i < keys_.size() && !found; ++i)
        if (EVP_PKEY_eq(pub, keys_[i].key.get()) == 1) found = i;
    ERR_clear_error();
    if (found) ++keys_[*found].matches;
    return found;
}

const std::string& RsaKeys::source(std::size_t index) const { return keys_.at(index).source; }

std::optional<std::vector<std::byte>> RsaKeys::decrypt_premaster(std::size_t index,
                                                                 std::span<const std::byte> encrypted) const noexcept {
    if (index >= keys_.size()) return std::nullopt;
    OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, keys_[index].key.get(), nullptr));
    std::size_t len = 0;
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_decrypt(ctx.get(), nullptr, &len, u8(encrypted), encrypted.size()) <= 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    try {
        std::vector<std::byte> out(len);
        if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u8(encrypted),
                             encrypted.size()) <= 0 || len != 48) {
            ERR_clear_error();
            return std::nullopt;
        }
        out.resize(len);
        return out;
    } catch (...) {
        return std::nullopt;
    }
}

std::vector<std::string> RsaKeys::unmatched() const {
    std::vector<std::string> out;
    for (const auto& k : keys_)
        if (k.matches == 0) out.push_back(k.source);
    return out;
}

}  // namespace decoder
