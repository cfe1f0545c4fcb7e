// Handshake message body decoders; see tls_handshake.hpp.
#include "decoder/tls/tls_handshake.hpp"

#include <algorithm>
#include <array>

#include "decoder/tls/tls_names.hpp"
#include "decoder/tls/x509_summary.hpp"

namespace decoder::tls {
namespace {

enum Extension : std::uint16_t {
    ext_server_name = 0,
    ext_signature_algorithms = 13,
    ext_alpn = 16,
    ext_encrypt_then_mac = 22,
    ext_extended_master_secret = 23,
    ext_session_ticket = 35,
    ext_supported_versions = 43,
    ext_certificate_authorities = 47,
};

// SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3).
constexpr std::array<unsigned char, 32> hello_retry_random = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

template <class T>
ParseResult<T> malformed(const char* message, const char* field) {
    return ParseResult<T>::failure(std::string("malformed ") + message + ": " + field);
}

template <class T>
ParseResult<T> complete(T value, std::size_t size) {
    ParseResult<T> r;
    r.status = ParseStatus::Complete;
    r.consumed = size;
    r.value = std::move(value);
    return r;
}

std::string text(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

bool is_tls13(std::uint16_t version) { return version_rank(version) == 0x0304; }

// Calls f(type, data) per extension of a block; false when the block or f says malformed.
template <class F>
bool for_each_extension(Bytes block, F&& f) {
    ByteReader r(block);
    while (!r.empty()) {
        std::uint16_t type = 0;
        Bytes data;
        if (!r.u16(type) || !r.vec16(data) || !f(type, data)) return false;
    }
    return true;
}

// A list of 16-bit codes (cipher suites, versions, schemes) named by `name`, GREASE left out.
template <class Name>
bool read_codes(Bytes list, std::vector<std::string>& out, Name name) {
    if (list.size() % 2) return false;
    ByteReader r(list);
    std::uint16_t code = 0;
    while (r.u16(code))
        if (!is_grease(code)) out.push_back(name(code));
    return true;
}

bool read_server_name(Bytes data, TlsMessage& m) {
    ByteReader outer(data);
    Bytes list;
    if (!outer.vec16(list) || !outer.empty()) return false;
    ByteReader r(list);
    while (!r.empty()) {
        std::uint8_t type = 0;
        Bytes name;
        if (!r.u8(type) || !r.vec16(name)) return false;
        if (type == 0 && !m.sni) m.sni = text(name);
    }
    return true;
}

bool read_alpn(Bytes data, TlsMessage& m) {
    ByteReader outer(data);
    Bytes list;
    if (!outer.vec16(list) || !outer.empty()) return false;
    ByteReader r(list);
    std::string joined;
    while (!r.empty()) {
        Bytes proto;
        if (!r.vec8(proto)) return false;
        if (!joined.empty()) joined += ',';
        joined += text(proto);
    }
    if (!joined.empty()) m.alpn = joined;
    return true;
}

bool read_signature_algorithms(Bytes data, TlsMessage& m) {
    ByteReader r(data);
    Bytes list;
    return r.vec16(list) && r.empty() && read_codes(list, m.signature_algorithms, signature_scheme_name);
}

// A list of DER Names (each with a 16-bit length) as one-line DN strings.
bool read_ca_names(Bytes list, TlsMessage& m) {
    m.ca_names_bytes = list.size();  // what Schannel's 16 KB limit counts
    ByteReader r(list);
    while (!r.empty()) {
        Bytes der;
        if (!r.vec16(der)) return false;
        auto dn = distinguished_name_text(der);
        if (!dn) {  // keep it visible: RFC 4514 hex form of the undecodable value
            static constexpr char digits[] = "0123456789ABCDEF";
            dn = "#";
            for (std::byte b : der) {
                *dn += digits[std::to_integer<unsigned>(b) >> 4];
                *dn += digits[std::to_integer<unsigned>(b) & 0xf];
            }
        }
        m.ca_names.push_back(std::move(*dn));
        // The names wholly inside Schannel's cut, counted from the list's start.
        if (list.size() > kSchannelCaListLimit && list.size() - r.remaining() <= kSchannelCaListLimit)
            m.ca_names_within_limit = m.ca_names.size();
    }
    if (list.size() > kSchannelCaListLimit && !m.ca_names_within_limit) m.ca_names_within_limit = 0;
    return true;
}

bool client_hello_extension(std::uint16_t type, Bytes data, TlsMessage& m, std::uint16_t& best) {
    switch (type) {
    case ext_server_name: return read_server_name(data, m);
    case ext_alpn: return read_alpn(data, m);
    case ext_signature_algorithms: return read_signature_algorithms(data, m);
    case ext_supported_versions: {
        ByteReader r(data);
        Bytes list;
        if (!r.vec8(list) || !r.empty() || !read_codes(list, m.supported_versions, version_name))
            return false;
        ByteReader v(list);
        for (std::uint16_t code = 0; v.u16(code);) best = std::max(best, version_rank(code));
        return true;
    }
    default: return true;
    }
}

}  // namespace

ParseResult<TlsMessage> decode_client_hello(Bytes body) noexcept {
    using T = TlsMessage;
    static constexpr const char* what = "client_hello";
    TlsMessage m;
    m.type = "client_hello";
    ByteReader r(body);
    std::uint16_t legacy = 0;
    Bytes random, session, suites, compression, extensions;
    if (!r.u16(legacy) || !r.bytes(32, random)) return malformed<T>(what, "version/random");
    if (!r.vec8(session) || session.size() > 32) return malformed<T>(what, "session_id");
    if (!r.vec16(suites) || suites.empty() || !read_codes(suites, m.ciphers, cipher_suite_name))
        return malformed<T>(what, "cipher_suites");
    if (!r.vec8(compression) || compression.empty()) return malformed<T>(what, "compression_methods");
    std::uint16_t best = version_rank(legacy);
    if (!r.empty()) {
        if (!r.vec16(extensions) || !r.empty()) return malformed<T>(what, "extensions length");
        const bool ok = for_each_extension(extensions, [&](std::uint16_t type, Bytes data) {
            return client_hello_extension(type, data, m, best);
        });
        if (!ok) return malformed<T>(what, "extension");
    }
    m.version = version_name(best ? best : legacy);
    return complete(std::move(m), body.size());
}

std::optional<ClientHelloKeys> client_hello_keys(Bytes body) noexcept {
    ClientHelloKeys keys;
    ByteReader r(body);
    std::uint16_t legacy = 0;
    Bytes suites, compression, extensions;
    if (!r.u16(legacy) || !r.bytes(32, keys.random) || !r.vec8(keys.session_id) || !r.vec16(suites) ||
        !r.vec8(compression))
        return std::nullopt;
    if (r.empty()) return keys;
    if (!r.vec16(extensions)) return std::nullopt;
    const bool ok = for_each_extension(extensions, [&](std::uint16_t type, Bytes data) {
        if (type == ext_session_ticket) keys.ticket = data;
        return true;
    });
    if (!ok) return std::nullopt;
    return keys;
}

ParseResult<ServerHello> decode_server_hello(Bytes body) noexcept {
    using T = ServerHello;
    static constexpr const char* what = "server_hello";
    ServerHello hello;
    ByteReader r(body);
    std::uint16_t cipher = 0;
    std::uint8_t compression = 0;
    Bytes random, session, extensions;
    if (!r.u16(hello.version) || !r.bytes(32, random)) return malformed<T>(what, "version/random");
    if (!r.vec8(session) || session.size() > 32) return malformed<T>(what, "session_id");
    if (!r.u16(cipher) || !r.u8(compression)) return malformed<T>(what, "cipher_suite");
    hello.hello_retry = std::equal(hello_retry_random.begin(), hello_retry_random.end(),
                                   random.begin(), [](unsigned char a, std::byte b) {
                                       return a == std::to_integer<unsigned char>(b);
                                   });
    if (!r.empty()) {
        if (!r.vec16(extensions) || !r.empty()) return malformed<T>(what, "extensions length");
        const bool ok = for_each_extension(extensions, [&](std::uint16_t type, Bytes data) {
            ByteReader e(data);
            if (type == ext_supported_versions) return e.u16(hello.version) && e.empty();
            if (type == ext_alpn) return read_alpn(data, hello.message);
            if (type == ext_encrypt_then_mac) hello.encrypt_then_mac = true;
            if (type == ext_extended_master_secret) hello.extended_master_secret = true;
            return true;
        });
        if (!ok) return malformed<T>(what, "extension");
    }
    hello.random = random;
    hello.session_id = session;
    hello.cipher_code = cipher;
    hello.message.type = hello.hello_retry ? "hello_retry_request" : "server_hello";
    hello.message.version = version_name(hello.version);
    hello.message.cipher = cipher_suite_name(cipher);
    return complete(std::move(hello), body.size());
}

ParseResult<TlsMessage> decode_certificate_request(Bytes body, std::uint16_t version) noexcept {
    using T = TlsMessage;
    static constexpr const char* what = "certificate_request";
    TlsMessage m;
    m.type = "certificate_request";
    ByteReader r(body);
    if (is_tls13(version)) {
        Bytes context, extensions;
        if (!r.vec8(context) || !r.vec16(extensions) || !r.empty())
            return malformed<T>(what, "context/extensions length");
        const bool ok = for_each_extension(extensions, [&](std::uint16_t type, Bytes data) {
            if (type == ext_signature_algorithms) return read_signature_algorithms(data, m);
            if (type != ext_certificate_authorities) return true;
            ByteReader e(data);
            Bytes list;
            return e.vec16(list) && e.empty() && read_ca_names(list, m);
        });
        if (!ok) return malformed<T>(what, "extension");
        return complete(std::move(m), body.size());
    }
    Bytes types, schemes, authorities;
    if (!r.vec8(types)) return malformed<T>(what, "certificate_types");
    if (version_rank(version) >= 0x0303 &&
        (!r.vec16(schemes) || !read_codes(schemes, m.signature_algorithms, signature_scheme_name)))
        return malformed<T>(what, "signature_algorithms");
    if (!r.vec16(authorities) || !r.empty() || !read_ca_names(authorities, m))
        return malformed<T>(what, "certificate_authorities");
    return complete(std::move(m), body.size());
}

ParseResult<std::vector<Bytes>> decode_certificate_list(Bytes body, std::uint16_t version) noexcept {
    using T = std::vector<Bytes>;
    static constexpr const char* what = "certificate";
    const bool tls13 = is_tls13(version);
    ByteReader r(body);
    Bytes context, list;
    if (tls13 && !r.vec8(context)) return malformed<T>(what, "request context");
    if (!r.vec24(list) || !r.empty()) return malformed<T>(what, "certificate_list length");
    std::vector<Bytes> ders;
    ByteReader entries(list);
    while (!entries.empty()) {
        Bytes der, extensions;
        if (!entries.vec24(der) || der.empty())
            return malformed<T>(what, "certificate entry truncated");
        if (tls13 && !entries.vec16(extensions))
            return malformed<T>(what, "certificate entry extensions truncated");
        ders.push_back(der);
    }
    return complete(std::move(ders), body.size());
}

ParseResult<TlsMessage> decode_certificate_verify(Bytes body, std::uint16_t version) noexcept {
    using T = TlsMessage;
    TlsMessage m;
    m.type = "certificate_verify";
    ByteReader r(body);
    std::uint16_t scheme = 0;
    Bytes signature;
    if (version_rank(version) >= 0x0303) {
        if (!r.u16(scheme)) return malformed<T>("certificate_verify", "signature scheme");
        m.signature_algorithms.push_back(signature_scheme_name(scheme));
    }
    if (!r.vec16(signature) || !r.empty()) return malformed<T>("certificate_verify", "signature");
    return complete(std::move(m), body.size());
}

}  // namespace decoder::tls
