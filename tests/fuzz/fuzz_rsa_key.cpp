// Arbitrary bytes as a `--rsa-key` file (PEM, DER, encrypted PEM, PKCS#12, as OpenSSL reads
// them): RsaKeys::add must never crash, leak or read out of bounds, whatever it is given, and
// a key it adds is then used as a TLS session uses it: looked up by the server certificate of
// pcaps/tls-pki/lync01.pem (the real key's seeds match it), asked to decrypt a premaster
// secret encrypted to that certificate and a block out of the input, and reported unmatched
// when the certificate is not its own. Loaded as the CLI loads a file without
// SIPTAP_KEY_PASSWORD (cli/rsa_key_files.cpp): with no password, then, when the problem is
// about a password, with the one typed at the prompt (the seeds', make_rsa_key_seeds.sh).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "decoder/base/openssl_ptr.hpp"
#include "decoder/tls/tls_rsa_keys.hpp"
#include "fuzz_rsa_key.hpp"

namespace fuzz_rsa_key {

const Fixed& fixed() {
    static const Fixed f = [] {
        Fixed out;
        for (std::size_t i = 0; i < out.premaster.size(); ++i) out.premaster[i] = static_cast<std::byte>(i * 7 + 3);
        out.premaster[0] = std::byte{0x03};  // client_version TLS 1.2, as a ClientKeyExchange has it
        out.premaster[1] = std::byte{0x03};
        decoder::OpenSslPtr<BIO, BIO_free> bio(BIO_new_file(SIPTAP_PCAP_DIR "/tls-pki/lync01.pem", "r"));
        decoder::OpenSslPtr<X509, X509_free> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                                      : nullptr);
        if (!cert) std::abort();  // nothing would be tested
        const int der_len = i2d_X509(cert.get(), nullptr);
        out.certificate.resize(static_cast<std::size_t>(der_len));
        auto* p = reinterpret_cast<unsigned char*>(out.certificate.data());
        i2d_X509(cert.get(), &p);
        // RSAES-PKCS1-v1_5 to the certificate's key, as the client of an RSA key exchange does.
        decoder::OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(
            EVP_PKEY_CTX_new_from_pkey(nullptr, X509_get0_pubkey(cert.get()), nullptr));
        std::size_t len = 0;
        const auto* in = reinterpret_cast<const unsigned char*>(out.premaster.data());
        if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_encrypt(ctx.get(), nullptr, &len, in, out.premaster.size()) <= 0)
            std::abort();
        out.encrypted.resize(len);
        if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.encrypted.data()), &len, in,
                             out.premaster.size()) <= 0)
            std::abort();
        out.encrypted.resize(len);
        return out;
    }();
    return f;
}

}  // namespace fuzz_rsa_key

namespace {

void load_and_use(std::span<const std::byte> input) {
    decoder::RsaKeys keys;
    auto problem = keys.add(input, "fuzz.key", "");
    if (problem && problem->find("password") != std::string::npos)
        problem = keys.add(input, "fuzz.key", fuzz_rsa_key::kPassword);
    if (problem.has_value() != keys.empty()) std::abort();  // a key is added exactly when no problem is told
    if (problem) return;
    const auto& f = fuzz_rsa_key::fixed();
    const auto index = keys.find(f.certificate);
    if (index && *index != 0) std::abort();  // one key added: it is key 0 or none
    if (index) {
        const auto premaster = keys.decrypt_premaster(*index, f.encrypted);
        if (premaster && premaster->size() != 48) std::abort();
    }
    // A block of the input's last bytes (up to a 4096-bit modulus): mostly a failed decryption.
    const auto block = input.last(std::min<std::size_t>(input.size(), 512));
    const auto decrypted = keys.decrypt_premaster(0, block);
    if (decrypted && decrypted->size() != 48) std::abort();
    if (keys.decrypt_premaster(1, f.encrypted)) std::abort();  // no such key
    if (keys.certificates_seen() != 1 || keys.source(0) != "fuzz.key") std::abort();
    if (keys.unmatched().size() != (index ? 0u : 1u)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    load_and_use(input);
    return 0;
}
