// Per-connection TLS decryption state; see tls_decrypt.hpp.
#include "decoder/tls_decrypt.hpp"

#include <algorithm>

#include "decoder/tls_decrypt_kdf.hpp"
#include "decoder/tls_decrypt_record.hpp"
#include "decoder/tls_keylog.hpp"
#include "decoder/tls_names.hpp"

namespace decoder {

namespace {

std::size_t index(Dir d) { return d == Dir::ClientToServer ? 0 : 1; }

std::string hex_prefix(std::span<const std::byte> bytes, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < std::min(n, bytes.size()); ++i) {
        out += digits[std::to_integer<unsigned>(bytes[i]) >> 4];
        out += digits[std::to_integer<unsigned>(bytes[i]) & 0xf];
    }
    return out + (bytes.size() > n ? "..." : "");
}

const char* who(Dir d) { return d == Dir::ClientToServer ? "client" : "server"; }

}  // namespace

TlsDecryptor::TlsDecryptor(const KeyLog& keys) noexcept : keys_(keys) {}
TlsDecryptor::~TlsDecryptor() = default;

void TlsDecryptor::on_client_hello(std::span<const std::byte> client_random) noexcept {
    if (client_random.size() != client_random_.size()) return;
    std::copy(client_random.begin(), client_random.end(), client_random_.begin());
    have_client_random_ = true;
}

std::optional<std::string> TlsDecryptor::on_server_hello(std::span<const std::byte> server_random,
                                                         std::uint16_t version, std::uint16_t suite,
                                                         bool encrypt_then_mac) noexcept {
    try {
        if (!have_client_random_) return "no ClientHello seen, so the key log cannot be searched; records stay encrypted";
        if (server_random.size() == server_random_.size())
            std::copy(server_random.begin(), server_random.end(), server_random_.begin());
        const bool tls13 = tls::version_rank(version) == 0x0304;
        if (!tls13 && version != 0x0303)
            return "decrypting " + tls::version_name(version) + " is not supported (TLS 1.2 and 1.3 are); records stay encrypted";
        const auto* info = tls::find_suite(suite);
        if (!info || info->tls13 != tls13)
            return "decrypting cipher suite " + tls::cipher_suite_name(suite) + " is not supported; records stay encrypted";
        const auto* secrets = keys_.find(client_random_);
        const std::string random = " (client random " + hex_prefix(client_random_, 8) + ")";
        if (!secrets) return "no key for this TLS session in the key log" + random + "; records stay encrypted";
        if (!tls13 && secrets->master_secret.empty())
            return "the key log has no CLIENT_RANDOM master secret for this TLS 1.2 session" + random +
                   "; records stay encrypted";
        if (tls13 && (secrets->client_handshake.empty() || secrets->server_handshake.empty()))
            return "the key log lacks the handshake traffic secrets of this TLS 1.3 session" + random +
                   "; records stay encrypted";
        secrets_ = secrets;
        suite_ = info;
        encrypt_then_mac_ = encrypt_then_mac;
        if (!tls13) return std::nullopt;
        if (auto problem = tls13_install(Dir::ServerToClient, secrets->server_handshake, "server handshake"))
            return problem;
        return tls13_install(Dir::ClientToServer, secrets->client_handshake, "client handshake");
    } catch (const std::exception& e) {
        return std::string("decryption set-up failed: ") + e.what();
    }
}

std::optional<std::string> TlsDecryptor::tls13_install(Dir dir, const std::vector<std::byte>& secret,
                                                       const char* label) noexcept {
    const auto i = index(dir);
    if (disabled_[i]) return std::nullopt;
    if (secret.empty()) {
        disabled_[i] = true;
        ciphers_[i].reset();
        return std::string("the key log has no ") + label + " traffic secret for this session; the " + who(dir) +
               "'s records are no longer decrypted";
    }
    std::string error;
    ciphers_[i] = tls::RecordCipher::tls13(*suite_, secret, error);
    if (ciphers_[i]) return std::nullopt;
    disabled_[i] = true;
    return std::string("cannot derive the ") + label + " keys: " + error;
}

std::optional<std::string> TlsDecryptor::on_change_cipher_spec(Dir dir) noexcept {
    if (!usable() || suite_->tls13 || disabled_[index(dir)]) return std::nullopt;
    try {
        const std::size_t mac = suite_->mac_length(), key = suite_->key_length, iv = suite_->fixed_iv_length();
        if (key_block_.empty()) {
            std::array<std::byte, 64> seed;  // server_random || client_random
            std::copy(server_random_.begin(), server_random_.end(), seed.begin());
            std::copy(client_random_.begin(), client_random_.end(), seed.begin() + 32);
            auto block = tls::tls12_prf(suite_->prf, secrets_->master_secret, "key expansion", seed,
                                        2 * (mac + key + iv));
            if (!block) return "TLS1-PRF key expansion failed; records stay encrypted";
            key_block_ = std::move(*block);
        }
        // client MAC key, server MAC key, client key, server key, client IV, server IV
        const bool client = dir == Dir::ClientToServer;
        const std::span<const std::byte> kb(key_block_);
        const auto mac_key = kb.subspan(client ? 0 : mac, mac);
        const auto enc_key = kb.subspan(2 * mac + (client ? 0 : key), key);
        const auto fixed_iv = kb.subspan(2 * mac + 2 * key + (client ? 0 : iv), iv);
        std::string error;
        ciphers_[index(dir)] = tls::RecordCipher::tls12(*suite_, enc_key, fixed_iv, mac_key, encrypt_then_mac_, error);
        if (ciphers_[index(dir)]) return std::nullopt;
        disabled_[index(dir)] = true;
        return "cannot set up the " + std::string(who(dir)) + "'s record keys: " + error;
    } catch (const std::exception& e) {
        return std::string("decryption set-up failed: ") + e.what();
    }
}

std::optional<std::string> TlsDecryptor::on_finished(Dir dir) noexcept {
    if (!usable() || !suite_->tls13) return std::nullopt;
    const bool client = dir == Dir::ClientToServer;
    return tls13_install(dir, client ? secrets_->client_traffic_0 : secrets_->server_traffic_0,
                         client ? "client application" : "server application");
}

std::optional<std::string> TlsDecryptor::on_key_update(Dir dir) noexcept {
    auto* c = cipher(dir);
    if (!c || !suite_->tls13) return std::nullopt;
    std::string error;
    if (c->update_key(error)) return std::nullopt;
    disable(dir);
    return "KeyUpdate from the " + std::string(who(dir)) + ": " + error;
}

tls::RecordCipher* TlsDecryptor::cipher(Dir dir) noexcept {
    return disabled_[index(dir)] ? nullptr : ciphers_[index(dir)].get();
}

void TlsDecryptor::disable(Dir dir) noexcept {
    disabled_[index(dir)] = true;
    ciphers_[index(dir)].reset();
}

}  // namespace decoder
