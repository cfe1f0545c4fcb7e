// What fuzz_rsa_key.cpp feeds a key it loaded, shared with the gcc build's check that the
// committed seeds load and decrypt (tests/decoder/fuzz_corpus_replay.test.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace fuzz_rsa_key {

// The seeds' password (tests/fuzz/make_rsa_key_seeds.sh, pcaps/README.md).
inline constexpr char kPassword[] = "siptap-test";

struct Fixed {
    std::vector<std::byte> certificate;     // DER of pcaps/tls-pki/lync01.pem
    std::array<std::byte, 48> premaster{};  // a TLS 1.2 premaster secret
    std::vector<std::byte> encrypted;       // it, RSAES-PKCS1-v1_5 to the certificate's key
};

// Built once from pcaps/ (SIPTAP_PCAP_DIR); aborts when it cannot be.
const Fixed& fixed();

}  // namespace fuzz_rsa_key
