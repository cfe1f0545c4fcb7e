// TlsSession's handshake messages: hellos, certificates, CertificateRequest/Verify, and what
// each tells the decryptor. The record layer around them is in tls_session.cpp.
#include <string>
#include <utility>

#include "decoder/tls/tls_names.hpp"
#include "decoder/tls/tls_session_impl.hpp"
#include "decoder/tls/x509_summary.hpp"

namespace decoder {

void TlsSession::Impl::on_handshake(Dir dir, const HandshakeMessage& msg,
                                    std::uint16_t record_version, std::vector<Payload>& out) {
    const char* name = handshake_type_name(msg.type);
    if (!name) return fail(dir, "unknown handshake message type " + std::to_string(msg.type), out);
    const std::uint16_t version = negotiated ? negotiated : record_version;
    if (!tls13 && (msg.is(HandshakeType::hello_request) || msg.is(HandshakeType::client_hello)) && first_handshake_done()) renegotiating = true;
    TlsDecryptor* const first_keys = keys();
    if (first_keys) first_keys->on_handshake(msg.type, msg.body);
    switch (static_cast<HandshakeType>(msg.type)) {
    case HandshakeType::client_hello: {
        auto r = decode_client_hello(msg.body);
        if (!accept(dir, r, out)) return;
        if (first_keys) first_keys->on_client_hello(msg.body);
        out.emplace_back(std::move(r.value));
        return;
    }
    case HandshakeType::server_hello: return on_server_hello(dir, msg.body, out);
    case HandshakeType::certificate: return on_certificate(dir, msg.body, version, out);
    case HandshakeType::certificate_request: {
        auto r = decode_certificate_request(msg.body, version);
        if (!accept(dir, r, out)) return;
        r.value.version = version_name(version);
        out.emplace_back(std::move(r.value));
        return;
    }
    case HandshakeType::certificate_verify: {
        auto r = decode_certificate_verify(msg.body, version);
        if (!accept(dir, r, out)) return;
        r.value.version = version_name(version);
        out.emplace_back(std::move(r.value));
        return;
    }
    default: {
        TlsMessage m;
        m.type = name;
        m.version = version_name(version);
        out.emplace_back(std::move(m));
        if (first_keys && !tls13 && msg.is(HandshakeType::client_key_exchange)) decrypt_notice(first_keys->on_client_key_exchange(msg.body), out);
        if (first_keys && !tls13 && msg.is(HandshakeType::new_session_ticket)) first_keys->on_new_session_ticket(msg.body);
        return after_decrypted_handshake(dir, msg, out);
    }
    }
}

void TlsSession::Impl::on_server_hello(Dir dir, Bytes body, std::vector<Payload>& out) {
    TlsDecryptor* const first_keys = keys();
    auto r = decode_server_hello(body);
    if (!accept(dir, r, out)) return;
    if (!r.value.hello_retry) {
        negotiated = r.value.version;
        tls13 = version_rank(negotiated) == 0x0304;
        // TLS 1.3: everything after the ServerHello is protected, from both sides.
        if (tls13) dirs[0].sealed = dirs[1].sealed = true;
    }
    out.emplace_back(std::move(r.value.message));
    if (first_keys && !r.value.hello_retry) decrypt_notice(first_keys->on_server_hello(r.value), out);
}

void TlsSession::Impl::on_certificate(Dir dir, Bytes body, std::uint16_t version,
                                      std::vector<Payload>& out) {
    auto r = decode_certificate_list(body, version);
    if (!accept(dir, r, out)) return;
    TlsMessage m;
    m.type = "certificate";
    m.version = version_name(version);
    m.certificate_count = static_cast<int>(r.value.size());
    out.emplace_back(std::move(m));
    const Side side = sender_side(dir);
    TlsDecryptor* const first_keys = keys();
    if (first_keys && side == Side::Server && !r.value.empty())
        decrypt_notice(first_keys->on_server_certificate(r.value[0]), out);
    for (std::size_t i = 0; i < r.value.size(); ++i) {
        std::string error;
        if (auto cert = summarize_certificate(r.value[i], side, static_cast<int>(i), &error)) {
            out.emplace_back(std::move(*cert));
            continue;
        }
        const char* whose = side == Side::Client ? "client" : "server";
        out.emplace_back(Notice{"tls-error", std::string("TLS ") + dir_text(dir) + ": " + whose +
                                                 " certificate " + std::to_string(i) + ": " + error});
    }
}

}  // namespace decoder
