#include "proxy/tls_identity.hpp"

#include <cstdio>
#include <cstdlib>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <stdexcept>
#include <string>

namespace proxy {

namespace {

struct FileClose { void operator()(std::FILE* f) const { std::fclose(f); } };
using FilePtr = std::unique_ptr<std::FILE, FileClose>;

FilePtr open_or_throw(const std::string& path) {
    FilePtr f(std::fopen(path.c_str(), "rb"));
    if (!f) throw std::runtime_error(path + ": cannot open");
    return f;
}

std::runtime_error load_error(const std::string& path, const char* what) {
    return std::runtime_error(path + ": " + what + " (" + drain_openssl_errors() + ")");
}

Identity load_pem(const IdentityFiles& files) {
    Identity id;
    auto f = open_or_throw(files.cert);
    id.cert.reset(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
    if (!id.cert) throw load_error(files.cert, "no PEM certificate");
    while (X509* extra = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) id.chain.emplace_back(extra);
    ERR_clear_error();  // the end of the file ends the loop with an error
    const std::string& key_path = files.key.empty() ? files.cert : files.key;
    auto k = open_or_throw(key_path);
    id.key.reset(PEM_read_PrivateKey(k.get(), nullptr, nullptr, nullptr));
    if (!id.key) throw load_error(key_path, "no PEM private key");
    if (X509_check_private_key(id.cert.get(), id.key.get()) != 1)
        throw load_error(key_path, "private key does not match the certificate");
    return id;
}

Identity load_p12(const std::string& path) {
    auto f = open_or_throw(path);
    decoder::OpenSslPtr<PKCS12, PKCS12_free> p12(d2i_PKCS12_fp(f.get(), nullptr));
    if (!p12) throw load_error(path, "not a PKCS#12 file");
    const char* env = std::getenv("SIPTAP_P12_PASSWORD");
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* ca = nullptr;
    if (PKCS12_parse(p12.get(), env ? env : "", &key, &cert, &ca) != 1)
        throw load_error(path, "cannot decrypt PKCS#12 (wrong SIPTAP_P12_PASSWORD?)");
    Identity id;
    id.cert.reset(cert);
    id.key.reset(key);
    for (int i = 0; ca && i < sk_X509_num(ca); ++i) id.chain.emplace_back(sk_X509_value(ca, i));
    sk_X509_free(ca);
    if (!id.cert || !id.key) throw load_error(path, "PKCS#12 holds no certificate with its key");
    return id;
}

}  // namespace

std::string drain_openssl_errors() {
    std::string text;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!text.empty()) text += "; ";
        text += buf;
    }
    return text.empty() ? "no OpenSSL detail" : text;
}

Identity load_identity(const IdentityFiles& files) {
    return files.p12.empty() ? load_pem(files) : load_p12(files.p12);
}

void use_identity(SSL_CTX* ctx, const Identity& id) {
    if (SSL_CTX_use_certificate(ctx, id.cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, id.key.get()) != 1)
        throw std::runtime_error("cannot use certificate: " + drain_openssl_errors());
    for (const auto& c : id.chain)
        if (SSL_CTX_add1_chain_cert(ctx, c.get()) != 1)
            throw std::runtime_error("cannot use chain certificate: " + drain_openssl_errors());
}

bool use_identity(SSL* ssl, const Identity& id, std::string* error) noexcept {
    bool ok = SSL_use_certificate(ssl, id.cert.get()) == 1 && SSL_use_PrivateKey(ssl, id.key.get()) == 1;
    for (std::size_t i = 0; ok && i < id.chain.size(); ++i) ok = SSL_add1_chain_cert(ssl, id.chain[i].get()) == 1;
    if (ok) return true;
    std::string why = drain_openssl_errors();  // emptied either way: the next SSL call must not see them
    if (error) *error = std::move(why);
    return false;
}

}  // namespace proxy
