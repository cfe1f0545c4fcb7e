// Per-connection TLS decryption state; see tls_decrypt.hpp.
#include "decoder/tls/tls_decrypt.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>

#include "decoder/base/openssl_ptr.hpp"
#include "decoder/tls/tls_decrypt_kdf.hpp"
#include "decoder/tls/tls_decrypt_record.hpp"
#include "decoder/tls/tls_handshake.hpp"
#include "decoder/tls/tls_keylog.hpp"
#include "decoder/tls/tls_names.hpp"

namespace decoder {

namespace {

constexpr std::size_t kMaxTranscript = 1u << 20;  // far above any real handshake up to the key exchange

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

// The PRF hash: TLS 1.2 names it per suite; TLS 1.0 and 1.1 use MD5 and SHA-1 together.
const char* prf_digest(std::uint16_t version, const tls::SuiteInfo& suite) {
    return version < 0x0303 ? "MD5-SHA1" : suite.prf;
}

std::optional<std::vector<std::byte>> digest(const char* name, std::span<const std::byte> data) {
    OpenSslPtr<EVP_MD, EVP_MD_free> md(EVP_MD_fetch(nullptr, name, nullptr));
    std::vector<std::byte> out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (!md || EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md.get(),
                          nullptr) <= 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    out.resize(len);
    return out;
}

std::string key_exchange_of(std::uint16_t suite) {
    const std::string name = tls::cipher_suite_name(suite);
    if (name.find("ECDHE") != std::string::npos) return "ECDHE";
    if (name.find("DHE") != std::string::npos) return "DHE";
    return "a non-RSA";
}

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

TlsDecryptor::TlsDecryptor(const KeyLog& keys) noexcept : keys_(keys), collecting_(!keys.rsa_keys().empty()) {}
TlsDecryptor::~TlsDecryptor() = default;

bool TlsDecryptor::usable() const noexcept {
    return suite_ != nullptr && (secrets_ != nullptr || !master_.empty());
}

void TlsDecryptor::on_handshake(std::uint8_t type, std::span<const std::byte> body) noexcept {
    if (!collecting_) return;
    if (transcript_.size() + body.size() + 4 > kMaxTranscript) {
        collecting_ = false;
        transcript_.clear();
        return;
    }
    try {
        const std::size_t n = body.size();
        const std::byte header[4] = {std::byte{type}, std::byte(n >> 16 & 0xff), std::byte(n >> 8 & 0xff),
                                     std::byte(n & 0xff)};
        transcript_.insert(transcript_.end(), header, header + 4);
        transcript_.insert(transcript_.end(), body.begin(), body.end());
    } catch (...) {
        collecting_ = false;
        transcript_.clear();
    }
}

void TlsDecryptor::on_client_hello(std::span<const std::byte> body) noexcept {
    auto keys = tls::client_hello_keys(body);
    if (!keys || keys->random.size() != client_random_.size()) return;
    try {
        std::copy(keys->random.begin(), keys->random.end(), client_random_.begin());
        client_session_id_.assign(keys->session_id.begin(), keys->session_id.end());
        client_ticket_.assign(keys->ticket.begin(), keys->ticket.end());
        have_client_random_ = true;
    } catch (...) {
    }
}

void TlsDecryptor::on_sslv2_client_hello(std::span<const std::byte> random,
                                         std::span<const std::byte> hello) noexcept {
    if (random.size() != client_random_.size()) return;
    std::copy(random.begin(), random.end(), client_random_.begin());
    have_client_random_ = true;
    client_session_id_.clear();
    client_ticket_.clear();
    // RFC 5246 E.2: the handshake hash covers the SSLv2 message without its record header.
    if (!collecting_) return;
    try {
        transcript_.assign(hello.begin(), hello.end());
    } catch (...) {
        collecting_ = false;
    }
}

std::optional<std::string> TlsDecryptor::on_server_hello(const tls::ServerHello& hello) noexcept {
    try {
        if (!have_client_random_) return "no ClientHello seen, so the key log cannot be searched; records stay encrypted";
        if (hello.random.size() == server_random_.size())
            std::copy(hello.random.begin(), hello.random.end(), server_random_.begin());
        version_ = hello.version;
        session_id_.assign(hello.session_id.begin(), hello.session_id.end());
        const bool tls13 = tls::version_rank(version_) == 0x0304;
        if (!tls13 && (version_ < 0x0301 || version_ > 0x0303))
            return "decrypting " + tls::version_name(version_) +
                   " is not supported (TLS 1.0 to 1.3 are); records stay encrypted";
        const auto* info = tls::find_suite(hello.cipher_code);
        if (!info || info->tls13 != tls13 || (version_ < 0x0303 && info->mac_length() > 20) ||
            (version_ < 0x0303 && info->kind != tls::CipherKind::Cbc && info->kind != tls::CipherKind::Stream))
            return "decrypting cipher suite " + tls::cipher_suite_name(hello.cipher_code) + " in " +
                   tls::version_name(version_) + " is not supported; records stay encrypted";
        suite_ = info;
        encrypt_then_mac_ = hello.encrypt_then_mac;
        extended_master_secret_ = hello.extended_master_secret;
        const std::string random = " (client random " + hex_prefix(client_random_, 8) + ")";
        if (!tls13) {
            auto problem = master_source(hello, random);
            if (!awaiting_rsa_) {
                collecting_ = false;
                transcript_.clear();
            }
            if (problem) suite_ = nullptr;
            return problem;
        }
        collecting_ = false;
        const auto* secrets = keys_.find(client_random_);
        if (!secrets) return "no key for this TLS session in the key log" + random + "; records stay encrypted";
        if (secrets->client_handshake.empty() || secrets->server_handshake.empty())
            return "the key log lacks the handshake traffic secrets of this TLS 1.3 session" + random +
                   "; records stay encrypted";
        secrets_ = secrets;
        if (auto problem = tls13_install(Dir::ServerToClient, secrets->server_handshake, "server handshake"))
            return problem;
        return tls13_install(Dir::ClientToServer, secrets->client_handshake, "client handshake");
    } catch (const std::exception& e) {
        return std::string("decryption set-up failed: ") + e.what();
    }
}

// TLS 1.0-1.2: the key log, a resumed session, or (later) the server's RSA key.
std::optional<std::string> TlsDecryptor::master_source(const tls::ServerHello& hello, const std::string& random) {
    const auto* secrets = keys_.find(client_random_);
    if (secrets && !secrets->master_secret.empty()) {
        master_ = secrets->master_secret;
        learnt_master();
        return std::nullopt;
    }
    const bool resumed = !session_id_.empty() && same(session_id_, client_session_id_);
    if (resumed) {
        const auto* known = keys_.resumed_session(session_id_);
        if (!known) known = keys_.resumed_ticket(client_ticket_);
        if (known) {
            master_ = *known;
            return std::nullopt;
        }
    }
    const bool have_rsa = !keys_.rsa_keys().empty();
    std::string text;
    if (keys_.sessions() > 0 || !have_rsa)
        text = secrets ? "the key log has no CLIENT_RANDOM master secret for this " + tls::version_name(version_) +
                             " session" + random
                       : "no key for this TLS session in the key log" + random;
    const std::string then = text.empty() ? "" : text + "; ";
    if (resumed)
        return then + "it resumes an earlier session (session id " + hex_prefix(session_id_, 8) +
               ") whose keys were not learnt in this capture; records stay encrypted";
    if (have_rsa && suite_->rsa_key_exchange()) {
        awaiting_rsa_ = true;
        return std::nullopt;
    }
    if (have_rsa)
        return then + "this session used " + key_exchange_of(hello.cipher_code) + " key exchange (" +
               tls::cipher_suite_name(hello.cipher_code) +
               "): a server's RSA key (--rsa-key) cannot decrypt it, a key log (--keylog) or siptap proxy "
               "can; records stay encrypted";
    return then + "records stay encrypted";
}

std::optional<std::string> TlsDecryptor::on_server_certificate(std::span<const std::byte> der) noexcept {
    if (!awaiting_rsa_ || rsa_key_) return std::nullopt;
    rsa_key_ = keys_.rsa_keys().find(der);
    if (rsa_key_) return std::nullopt;
    awaiting_rsa_ = false;
    collecting_ = false;
    transcript_.clear();
    return "none of the --rsa-key keys belongs to the server's certificate (its public key); records stay "
           "encrypted";
}

std::optional<std::string> TlsDecryptor::on_client_key_exchange(std::span<const std::byte> body) noexcept {
    if (!awaiting_rsa_) return std::nullopt;
    awaiting_rsa_ = false;
    collecting_ = false;
    try {
        if (!rsa_key_) return "RSA key exchange without a server certificate seen; records stay encrypted";
        // TLS 1.0+: EncryptedPreMasterSecret is an opaque vector with a 2-byte length.
        auto encrypted = body;
        if (body.size() >= 2 && (std::to_integer<std::size_t>(body[0]) << 8 | std::to_integer<std::size_t>(body[1])) ==
                                    body.size() - 2)
            encrypted = body.subspan(2);
        const auto& source = keys_.rsa_keys().source(*rsa_key_);
        auto premaster = keys_.rsa_keys().decrypt_premaster(*rsa_key_, encrypted);
        if (!premaster) return "the premaster secret does not decrypt with " + source + "; records stay encrypted";
        auto problem = derive_master(*premaster);
        transcript_.clear();
        transcript_.shrink_to_fit();
        return problem;
    } catch (const std::exception& e) {
        return std::string("decryption set-up failed: ") + e.what();
    }
}

std::optional<std::string> TlsDecryptor::derive_master(std::span<const std::byte> premaster) {
    const char* prf = prf_digest(version_, *suite_);
    std::optional<std::vector<std::byte>> master;
    if (extended_master_secret_) {  // RFC 7627: over the session hash
        if (transcript_.empty())
            return "the handshake transcript for the extended master secret is incomplete; records stay encrypted";
        auto hash = digest(prf, transcript_);
        if (hash) master = tls::tls12_prf(prf, premaster, "extended master secret", *hash, 48);
    } else {
        std::array<std::byte, 64> seed;  // client_random || server_random
        std::copy(client_random_.begin(), client_random_.end(), seed.begin());
        std::copy(server_random_.begin(), server_random_.end(), seed.begin() + 32);
        master = tls::tls12_prf(prf, premaster, "master secret", seed, 48);
    }
    if (!master) return "TLS1-PRF master secret derivation failed; records stay encrypted";
    master_ = std::move(*master);
    learnt_master();
    return std::nullopt;
}

// Only with server keys: a key log lists resumed sessions itself, and a long-running relay
// must not grow a cache it never needs.
void TlsDecryptor::learnt_master() {
    if (!keys_.rsa_keys().empty()) keys_.remember_session(session_id_, master_);
}

void TlsDecryptor::on_new_session_ticket(std::span<const std::byte> body) noexcept {
    // uint32 lifetime_hint; opaque ticket<0..2^16-1>
    if (master_.empty() || keys_.rsa_keys().empty() || body.size() < 6) return;
    const std::size_t n = std::to_integer<std::size_t>(body[4]) << 8 | std::to_integer<std::size_t>(body[5]);
    if (n + 6 != body.size()) return;
    try {
        keys_.remember_ticket(body.subspan(6), master_);
    } catch (...) {
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
    if (!usable() || suite_->tls13 || master_.empty() || disabled_[index(dir)]) return std::nullopt;
    try {
        const std::size_t mac = suite_->mac_length(), key = suite_->key_length, iv = suite_->fixed_iv_length();
        if (key_block_.empty()) {
            std::array<std::byte, 64> seed;  // server_random || client_random
            std::copy(server_random_.begin(), server_random_.end(), seed.begin());
            std::copy(client_random_.begin(), client_random_.end(), seed.begin() + 32);
            auto block = tls::tls12_prf(prf_digest(version_, *suite_), master_, "key expansion", seed,
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
        ciphers_[index(dir)] =
            tls::RecordCipher::tls12(*suite_, enc_key, fixed_iv, mac_key, encrypt_then_mac_, error, version_);
        if (ciphers_[index(dir)]) return std::nullopt;
        disabled_[index(dir)] = true;
        return "cannot set up the " + std::string(who(dir)) + "'s record keys: " + error;
    } catch (const std::exception& e) {
        return std::string("decryption set-up failed: ") + e.what();
    }
}

std::optional<std::string> TlsDecryptor::on_finished(Dir dir) noexcept {
    if (!usable() || !suite_->tls13 || !secrets_) return std::nullopt;
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
