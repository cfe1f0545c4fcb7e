// Real TLS bytes for decoder tests; see tls_fixture_support.hpp.
#include "decoder/tls_fixture_support.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "proxy/cert_mint.hpp"

namespace fixture {
namespace {

void check(bool ok, const char* what) {
    if (ok) return;
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    throw std::runtime_error(std::string(what) + ": " + buf);
}

std::string join(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& s : items) out += (out.size() > 1 ? "," : "") + s;
    return out + "]";
}

}  // namespace

// The fixtures' profile (which extensions, in which order) on top of the one minting helper.
Issued make_certificate(const CertSpec& spec, const Issued* issuer) {
    Issued out;
    proxy::KeyType type;
    if (spec.rsa) type.algorithm = proxy::KeyType::Rsa;  // 2048 bits
    out.key = proxy::make_key(type);
    check(out.key != nullptr, "keygen");
    std::vector<proxy::NameEntry> entries;
    for (const auto& [field, value] : spec.subject)
        entries.push_back({field, value, field == "C" ? V_ASN1_PRINTABLESTRING : spec.string_type});
    const proxy::X509NamePtr name = proxy::make_name(entries);
    check(name != nullptr, "subject");
    proxy::CertDescription d;
    d.subject = name.get();
    d.key = out.key.get();
    if (issuer) {
        d.issuer = issuer->cert.get();
        d.issuer_key = issuer->key.get();
    }
    d.serial_hex = spec.serial_hex;
    d.not_before = spec.not_before;
    d.not_after = spec.not_after;
    d.extensions = {
        {NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE"},
        {NID_key_usage, spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"}};
    if (!spec.ca) d.extensions.push_back({NID_ext_key_usage, "serverAuth,clientAuth"});
    if (!spec.san.empty()) d.extensions.push_back({NID_subject_alt_name, spec.san});
    out.cert = proxy::mint_certificate(d);
    check(out.cert != nullptr, "mint_certificate");
    return out;
}

ByteVec der_of(const X509* cert) {
    unsigned char* buf = nullptr;
    const int len = i2d_X509(cert, &buf);
    check(len > 0, "i2d_X509");
    ByteVec out(reinterpret_cast<std::byte*>(buf), reinterpret_cast<std::byte*>(buf) + len);
    OPENSSL_free(buf);
    return out;
}

const Pki& pki() {
    static const Pki instance = [] {
        Pki p;
        CertSpec ca;
        ca.subject = {{"C", "US"}, {"O", "Contoso"}, {"CN", "Contoso Test Root CA"}};
        ca.string_type = V_ASN1_PRINTABLESTRING;
        ca.ca = true;
        ca.serial_hex = "5A17C0FFEE";
        p.ca = make_certificate(ca, nullptr);
        CertSpec lync;
        lync.subject = {{"C", "US"}, {"O", "Contoso"}, {"CN", "lync01.contoso.com"}};
        lync.string_type = V_ASN1_PRINTABLESTRING;
        lync.rsa = true;
        lync.san = "DNS:lync01.contoso.com,DNS:sip.contoso.com,IP:10.0.0.5,IP:2001:db8::5";
        lync.serial_hex = "1A2B3C4D5E6F";
        p.lync = make_certificate(lync, &p.ca);
        CertSpec um;
        um.subject = {{"C", "US"}, {"O", "Contoso"}, {"OU", "Exchange UM Zürich"}, {"CN", "*.contoso.com"}};
        um.string_type = V_ASN1_UTF8STRING;
        um.san = "DNS:*.contoso.com,DNS:exch01.contoso.com";
        um.serial_hex = "0BADF00D";
        p.wildcard = make_certificate(um, &p.ca);
        CertSpec old;
        old.subject = {{"C", "US"}, {"O", "Contoso"}, {"CN", "expired.contoso.com"}};
        old.not_before = -2L * 365 * 24 * 3600;
        old.not_after = -365L * 24 * 3600;
        old.san = "DNS:expired.contoso.com";
        p.expired = make_certificate(old, &p.ca);
        return p;
    }();
    return instance;
}

namespace {

using CtxPtr = OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = OpenSslPtr<SSL, SSL_free>;

int accept_all(int, X509_STORE_CTX*) { return 1; }

int reject_all(int, X509_STORE_CTX* ctx) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    return 0;
}

struct MessageLog {
    Transcript* transcript;
    Dir dir;
};

void on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*,
                void* arg) {
    if (!write_p || content_type < 20 || content_type > 22) return;
    auto* log = static_cast<MessageLog*>(arg);
    const auto* p = static_cast<const std::byte*>(buf);
    log->transcript->plain.push_back({log->dir, content_type, ByteVec(p, p + len)});
}

CtxPtr make_ctx(bool server, const HandshakeOptions& o) {
    CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
    check(ctx != nullptr, "SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx.get(), o.version);
    SSL_CTX_set_max_proto_version(ctx.get(), o.version);
    if (o.version == TLS1_2_VERSION)
        check(SSL_CTX_set_cipher_list(ctx.get(), "ECDHE-RSA-AES256-GCM-SHA384") == 1, "ciphers");
    const Pki& p = pki();
    const Issued* own = server ? &p.lync : o.client_cert ? &p.wildcard : nullptr;
    if (own) {
        check(SSL_CTX_use_certificate(ctx.get(), own->cert.get()) == 1, "use_certificate");
        check(SSL_CTX_use_PrivateKey(ctx.get(), own->key.get()) == 1, "use_PrivateKey");
        check(SSL_CTX_add1_chain_cert(ctx.get(), p.ca.cert.get()) == 1, "add1_chain_cert");
    }
    if (server) {
        check(SSL_CTX_add_client_CA(ctx.get(), p.ca.cert.get()) == 1, "add_client_CA");
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           o.server_rejects ? reject_all : accept_all);
    } else {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    }
    return ctx;
}

// Moves what `from` wrote to the peer's input; records it as one chunk (one flight).
bool pump(BIO* from, BIO* to, Dir dir, Transcript& t) {
    ByteVec data;
    std::byte buf[4096];
    for (int n; (n = BIO_read(from, buf, sizeof buf)) > 0;) data.insert(data.end(), buf, buf + n);
    if (data.empty()) return false;
    BIO_write(to, data.data(), static_cast<int>(data.size()));
    t.chunks.push_back({dir, std::move(data)});
    return true;
}

}  // namespace

Transcript run_handshake(const HandshakeOptions& o) {
    Transcript t;
    CtxPtr cctx = make_ctx(false, o), sctx = make_ctx(true, o);
    SslPtr c(SSL_new(cctx.get())), s(SSL_new(sctx.get()));
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    SSL_set_bio(c.get(), c_in, c_out);
    SSL_set_bio(s.get(), s_in, s_out);
    MessageLog client_log{&t, Dir::ClientToServer}, server_log{&t, Dir::ServerToClient};
    SSL_set_msg_callback(c.get(), on_message);
    SSL_set_msg_callback_arg(c.get(), &client_log);
    SSL_set_msg_callback(s.get(), on_message);
    SSL_set_msg_callback_arg(s.get(), &server_log);
    SSL_set_connect_state(c.get());
    SSL_set_accept_state(s.get());
    SSL_set_tlsext_host_name(c.get(), "lync01.contoso.com");
    SSL_set_alpn_protos(c.get(), reinterpret_cast<const unsigned char*>("\x03sip"), 4);
    for (int round = 0; round < 20; ++round) {
        if (!t.client_done) t.client_done = SSL_do_handshake(c.get()) == 1;
        bool moved = pump(c_out, s_in, Dir::ClientToServer, t);
        if (!t.server_done) t.server_done = SSL_do_handshake(s.get()) == 1;
        moved = pump(s_out, c_in, Dir::ServerToClient, t) || moved;
        if (!moved) break;
    }
    char sink[4096];
    if (!o.request.empty() && t.client_done) {
        SSL_write(c.get(), o.request.data(), static_cast<int>(o.request.size()));
        pump(c_out, s_in, Dir::ClientToServer, t);
        if (t.server_done) SSL_read(s.get(), sink, sizeof sink);
    }
    if (o.server_renegotiates && t.client_done && t.server_done) {
        // HelloRequest; then both sides go on with the new handshake inside SSL_read. The
        // client offers its session again: the server needs an id context to look it up.
        SSL_set_session_id_context(s.get(), reinterpret_cast<const unsigned char*>("fixture"), 7);
        SSL_renegotiate(s.get());
        SSL_do_handshake(s.get());
        for (int round = 0; round < 20; ++round) {
            bool moved = pump(s_out, c_in, Dir::ServerToClient, t);
            SSL_read(c.get(), sink, sizeof sink);
            moved = pump(c_out, s_in, Dir::ClientToServer, t) || moved;
            SSL_read(s.get(), sink, sizeof sink);
            if (!moved) break;
        }
    }
    if (!o.response.empty() && t.server_done) {
        SSL_write(s.get(), o.response.data(), static_cast<int>(o.response.size()));
        pump(s_out, c_in, Dir::ServerToClient, t);
        SSL_read(c.get(), sink, sizeof sink);
    }
    if (o.client_shutdown && t.client_done) {
        SSL_shutdown(c.get());
        pump(c_out, s_in, Dir::ClientToServer, t);
    }
    ERR_clear_error();
    return t;
}

std::size_t Transcript::total_bytes() const {
    return std::accumulate(chunks.begin(), chunks.end(), std::size_t{0},
                           [](std::size_t n, const Chunk& c) { return n + c.bytes.size(); });
}

std::vector<std::string> Decoded::lines() const {
    std::vector<std::string> out;
    for (const auto& [dir, p] : payloads)
        out.push_back(std::string(dir == Dir::ClientToServer ? "C> " : "S> ") + describe(p));
    out.push_back("complete=" + std::to_string(complete) + " records=" +
                  std::to_string(client_records) + "/" + std::to_string(server_records));
    return out;
}

std::vector<decoder::Notice> Decoded::notices() const {
    std::vector<decoder::Notice> out;
    for (const auto& [dir, p] : payloads)
        if (const auto* n = std::get_if<decoder::Notice>(&p)) out.push_back(*n);
    return out;
}

std::vector<std::string> Decoded::kinds(Dir dir) const {
    std::vector<std::string> out;
    for (const auto& [d, p] : payloads)
        if (d == dir) out.push_back(kind(p));
    return out;
}

struct Feeder {
    decoder::TlsSession session;
    Decoded result;

    void feed(Dir dir, std::span<const std::byte> data) {
        std::vector<decoder::Payload> out;
        session.feed(dir, data, out);
        for (auto& p : out) result.payloads.emplace_back(dir, std::move(p));
    }
    Decoded finish() {
        result.complete = session.handshake_complete();
        result.client_records = session.application_records(Dir::ClientToServer);
        result.server_records = session.application_records(Dir::ServerToClient);
        return std::move(result);
    }
};

Decoded decode(const std::vector<Chunk>& chunks, FeedMode mode) {
    Feeder f;
    for (const auto& c : chunks) {
        const std::span<const std::byte> all(c.bytes);
        const std::size_t step = mode == FeedMode::AtOnce ? all.size() : 1;
        for (std::size_t i = 0; i < all.size(); i += step) f.feed(c.dir, all.subspan(i, step));
    }
    return f.finish();
}

Decoded decode_split(const std::vector<Chunk>& chunks, std::size_t offset) {
    Feeder f;
    std::size_t start = 0;
    for (const auto& c : chunks) {
        const std::span<const std::byte> all(c.bytes);
        if (offset > start && offset < start + all.size()) {
            f.feed(c.dir, all.first(offset - start));
            f.feed(c.dir, all.subspan(offset - start));
        } else {
            f.feed(c.dir, all);
        }
        start += all.size();
    }
    return f.finish();
}

ByteVec bytes_of(const std::string& text) {
    const auto* p = reinterpret_cast<const std::byte*>(text.data());
    return ByteVec(p, p + text.size());
}

ByteVec raw(std::initializer_list<int> values) {
    ByteVec out;
    for (int v : values) out.push_back(std::byte(v));
    return out;
}

ByteVec cat(std::initializer_list<ByteVec> parts) {
    ByteVec out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

ByteVec u16_vec(const ByteVec& body) {
    return cat({raw({int(body.size() >> 8), int(body.size() & 0xff)}), body});
}

ByteVec u24_vec(const ByteVec& body) {
    const int n = static_cast<int>(body.size());
    return cat({raw({n >> 16, n >> 8 & 0xff, n & 0xff}), body});
}

ByteVec hs_record(int type, const ByteVec& body) { return record(22, handshake_message(type, body)); }

ByteVec server_hello_record(int version, int cipher, const ByteVec& extensions, bool retry) {
    ByteVec random(32);
    if (retry)  // SHA-256("HelloRetryRequest"), RFC 8446 4.1.3
        random = raw({0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                      0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                      0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C});
    ByteVec body = cat({raw({version >> 8, version & 0xff}), random,
                        raw({0, cipher >> 8, cipher & 0xff, 0})});
    if (!extensions.empty()) body = cat({body, u16_vec(extensions)});
    return hs_record(2, body);
}

std::string sha256_fingerprint(const X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(cert, EVP_sha256(), md, &n);
    char* hex = OPENSSL_buf2hexstr(md, n);  // "AB:CD:...", an oracle apart from the decoder's
    std::string out = hex ? hex : "";
    OPENSSL_free(hex);
    return out;
}

// One buffer of the final size: GCC 12 -O3 reports a false array-bounds error on insert().
ByteVec prefixed(std::initializer_list<std::size_t> header, const ByteVec& body) {
    ByteVec out(header.size() + body.size());
    const auto end = std::transform(header.begin(), header.end(), out.begin(), [](auto b) { return std::byte(b & 0xff); });
    std::copy(body.begin(), body.end(), end);
    return out;
}

ByteVec record(int content_type, const ByteVec& fragment, int version) {
    const auto v = static_cast<std::size_t>(version), n = fragment.size();
    return prefixed({static_cast<std::size_t>(content_type), v >> 8, v, n >> 8, n}, fragment);
}

ByteVec handshake_message(int type, const ByteVec& body) {
    return prefixed({static_cast<std::size_t>(type), body.size() >> 16, body.size() >> 8, body.size()}, body);
}

std::vector<Chunk> as_records(const std::vector<PlainMessage>& plain) {
    std::vector<Chunk> out;
    for (const auto& m : plain) out.push_back({m.dir, record(m.content_type, m.bytes)});
    return out;
}

std::string kind(const decoder::Payload& payload) {
    if (const auto* m = std::get_if<decoder::TlsMessage>(&payload)) return m->type;
    if (const auto* c = std::get_if<decoder::Certificate>(&payload)) return "cert:" + c->subject_cn;
    if (const auto* a = std::get_if<decoder::TlsAlert>(&payload))
        return "alert:" + a->level + "/" + a->description;
    if (std::get_if<decoder::Notice>(&payload)) return "notice";
    return "other";
}

std::string describe(const decoder::Payload& payload) {
    if (const auto* m = std::get_if<decoder::TlsMessage>(&payload)) {
        return "tls " + m->type + " v=" + m->version + " sni=" + m->sni.value_or("-") +
               " cipher=" + m->cipher.value_or("-") + " alpn=" + m->alpn.value_or("-") +
               " ca=" + join(m->ca_names) + " sv=" + join(m->supported_versions) +
               " sig=" + join(m->signature_algorithms) + " ciphers=" + join(m->ciphers) +
               " count=" + (m->certificate_count ? std::to_string(*m->certificate_count) : "-") +
               " len=" + (m->length ? std::to_string(*m->length) : "-") +
               " enc=" + std::to_string(m->encrypted);
    }
    if (const auto* c = std::get_if<decoder::Certificate>(&payload)) {
        return "cert " + std::string(decoder::to_string(c->side)) + "#" + std::to_string(c->index) +
               " " + c->subject + " cn=" + c->subject_cn + " issuer=" + c->issuer + " san=" +
               join(c->san) + join(c->san_ip) + " " + std::to_string(c->not_before) + ".." +
               std::to_string(c->not_after) + " serial=" + c->serial + " sha256=" + c->sha256 +
               " key=" + c->key + " wild=" + std::to_string(c->wildcard_cn) +
               " self=" + std::to_string(c->self_signed) + " der=" + std::to_string(c->der.size());
    }
    if (const auto* a = std::get_if<decoder::TlsAlert>(&payload))
        return "alert " + a->level + " " + a->description + " enc=" + std::to_string(a->encrypted);
    if (const auto* n = std::get_if<decoder::Notice>(&payload)) return "notice " + n->what + ": " + n->message;
    return "other";
}

}  // namespace fixture
