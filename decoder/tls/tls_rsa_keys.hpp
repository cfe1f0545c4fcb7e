// Server RSA private keys (`--rsa-key`) for TLS sessions that used RSA key exchange: the
// client encrypts the premaster secret to the server certificate's public key, so the
// server's private key recovers it, and with it the master secret. A key is used for the
// sessions whose server certificate carries its public key (EVP_PKEY_eq), whatever file it
// came from. Keys come in as bytes (the decoder knows nothing of files): PEM or DER private
// keys, or PKCS#12 (.pfx, as Windows exports a certificate with its private key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace decoder {

class RsaKeys {
public:
    RsaKeys();
    ~RsaKeys();
    RsaKeys(RsaKeys&&) noexcept;
    RsaKeys& operator=(RsaKeys&&) noexcept;

    // Adds the private key in `bytes`, named `source` in messages. `password` opens a PKCS#12
    // file (and an encrypted PEM key). Returns the problem ("wrong password or damaged PKCS#12
    // file", "not an RSA private key") or nothing when the key was added.
    std::optional<std::string> add(std::span<const std::byte> bytes, const std::string& source,
                                   const std::string& password);

    bool empty() const noexcept;

    // The index of the key whose public half is in the certificate (DER), or nothing. Counts
    // the certificate (certificates_seen) and the match (so unmatched() leaves the key out).
    std::optional<std::size_t> find(std::span<const std::byte> certificate_der) const noexcept;
    const std::string& source(std::size_t index) const;

    // RSAES-PKCS1-v1_5 decryption of a ClientKeyExchange's premaster secret: 48 bytes, or
    // nothing when it does not decrypt (wrong key, damaged record).
    std::optional<std::vector<std::byte>> decrypt_premaster(std::size_t index,
                                                            std::span<const std::byte> encrypted) const noexcept;

    // Sources of the keys no certificate passed to find() matched so far.
    std::vector<std::string> unmatched() const;
    std::size_t certificates_seen() const noexcept { return certificates_seen_; }

private:
    struct Entry;
    std::vector<Entry> keys_;
    mutable std::size_t certificates_seen_ = 0;
};

}  // namespace decoder
