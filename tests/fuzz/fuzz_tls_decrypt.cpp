// A TLS connection as a capture carries it, decrypted with fixed keys, twice: with the key
// logs of the committed TLS captures (TLS 1.0-1.2 CBC, GCM and ChaCha20-Poly1305, TLS 1.3),
// and with only the server's RSA private key, as `--rsa-key` gives it (RSA key exchange, the
// first choice of Windows Server 2008 R2: the premaster secret comes out of the
// ClientKeyExchange, the handshake transcript is kept for the extended master secret). The
// seeds (those captures' segments, tests/fuzz/make_corpus.py) decrypt either way, so mutated
// records reach the record ciphers, the KDFs and the plaintext SIP stream instead of stopping
// at the handshake decoder. Input: chunks of [2 bytes big-endian: bit 15 = server->client,
// low 15 bits = length][that many bytes], in wire order; a short last chunk takes what is left.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "decoder/sip/sip_stream.hpp"
#include "decoder/tls/tls_keylog.hpp"
#include "decoder/tls/tls_session.hpp"

namespace {

const decoder::KeyLog& fixed_keys() {
    static const decoder::KeyLog keys = [] {
        decoder::KeyLog k;
        std::vector<std::string> problems;
        for (const auto& entry : std::filesystem::directory_iterator(SIPTAP_PCAP_DIR))
            if (entry.path().extension() == ".keys") k.add_file(entry.path().string(), problems);
        return k;
    }();
    return keys;
}

// The Lync-like server's private key: the RSA key exchange captures' server certificate.
const decoder::KeyLog& fixed_rsa_key() {
    static const decoder::KeyLog keys = [] {
        decoder::KeyLog k;
        const std::string path = SIPTAP_PCAP_DIR "/tls-pki/lync01.key";
        std::ifstream in(path, std::ios::binary);
        const std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (k.rsa_keys().add(std::as_bytes(std::span(pem)), path, "")) std::abort();  // nothing would be tested
        return k;
    }();
    return keys;
}

void decrypt(const std::uint8_t* data, std::size_t size, const decoder::KeyLog& keys) {
    decoder::TlsSession session(&keys);
    decoder::SipStream sip[2];
    session.set_plaintext_handler([&sip](decoder::Dir d, std::span<const std::byte> bytes,
                                         std::vector<decoder::Payload>& out) {
        sip[d == decoder::Dir::ClientToServer ? 0 : 1].feed(bytes, out);
    });
    std::vector<decoder::Payload> out;
    std::size_t at = 0;
    while (at + 2 <= size) {
        const unsigned header = (data[at] << 8) | data[at + 1];
        const auto dir = header & 0x8000 ? decoder::Dir::ServerToClient : decoder::Dir::ClientToServer;
        const std::size_t n = std::min<std::size_t>(header & 0x7fff, size - at - 2);
        session.feed(dir, {reinterpret_cast<const std::byte*>(data + at + 2), n}, out);
        at += 2 + n;
        if (out.size() > 4096) out.clear();  // bounded memory on long inputs
    }
    for (auto& s : sip) s.finish(out);
    (void)session.handshake_complete();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    decrypt(data, size, fixed_keys());
    decrypt(data, size, fixed_rsa_key());
    return 0;
}
