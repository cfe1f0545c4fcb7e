// See demo_tls.hpp.
#include "cli/demo/demo_tls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <strings.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include "decoder/base/private_file.hpp"
#include "proxy/cert_mint.hpp"

namespace cli::demo {

namespace {

using proxy::CertDescription;
using Key = proxy::PkeyPtr;
using Cert = proxy::X509Ptr;

std::runtime_error ssl_error(const std::string& what) {
    unsigned long code = ERR_get_error();
    char buf[256] = "";
    if (code) ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return std::runtime_error("demo: " + what + (code ? std::string(": ") + buf : std::string()));
}

Key new_key() {
    Key k = proxy::make_key(proxy::KeyType{});
    if (!k) throw ssl_error("cannot generate an EC P-256 key");
    return k;
}

// issuer == nullptr: self-signed CA. Validity in seconds relative to now.
Cert make_cert(const std::string& cn, const std::vector<std::string>& sans, EVP_PKEY* key, X509* issuer,
               EVP_PKEY* issuer_key, long from_s, long to_s) {
    const proxy::X509NamePtr name = proxy::make_name({{"CN", cn}});
    CertDescription d;
    d.subject = name.get();
    d.key = key;
    d.issuer = issuer;
    d.issuer_key = issuer_key;
    d.not_before = from_s;
    d.not_after = to_s;
    d.extensions = {{NID_subject_key_identifier, "hash"}};
    if (!issuer) {
        d.extensions.push_back({NID_basic_constraints, "critical,CA:TRUE"});
        d.extensions.push_back({NID_key_usage, "critical,keyCertSign,cRLSign"});
    } else {
        d.extensions.push_back({NID_authority_key_identifier, "keyid:always"});
        d.extensions.push_back({NID_basic_constraints, "critical,CA:FALSE"});
        d.extensions.push_back({NID_key_usage, "critical,digitalSignature,keyEncipherment"});
        d.extensions.push_back({NID_ext_key_usage, "serverAuth,clientAuth"});
        std::string san;
        for (const auto& s : sans) san += (san.empty() ? "DNS:" : ",DNS:") + s;
        if (!san.empty()) d.extensions.push_back({NID_subject_alt_name, san});
    }
    Cert cert = proxy::mint_certificate(d);
    if (!cert) throw ssl_error("cannot make the certificate of " + cn);
    return cert;
}

void write_pem(const std::string& path, const std::vector<X509*>& certs, EVP_PKEY* key) {
    const int fd = decoder::open_private_file(path, decoder::PrivateFileMode::Truncate);
    BIO* bio = fd < 0 ? nullptr : BIO_new_fd(fd, BIO_CLOSE);
    if (!bio) {
        if (fd >= 0) ::close(fd);
        throw ssl_error("cannot write " + path);
    }
    bool ok = true;
    for (X509* c : certs) ok = ok && PEM_write_bio_X509(bio, c);
    if (key) ok = ok && PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    BIO_free(bio);
    if (!ok) throw ssl_error("cannot write " + path);
}

constexpr long kDay = 86400;

void set_timeouts(int fd, int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string header_value(const std::string& msg, const std::string& name) {
    // case-insensitive header lookup, first occurrence
    std::size_t pos = msg.find("\r\n");
    while (pos != std::string::npos && pos + 2 < msg.size()) {
        const std::size_t start = pos + 2;
        const std::size_t end = msg.find("\r\n", start);
        if (end == std::string::npos || end == start) break;
        const std::string line = msg.substr(start, end - start);
        const std::size_t colon = line.find(':');
        if (colon != std::string::npos && colon == name.size() &&
            strncasecmp(line.c_str(), name.c_str(), name.size()) == 0) {
            std::size_t v = colon + 1;
            while (v < line.size() && line[v] == ' ') ++v;
            return line.substr(v);
        }
        pos = end;
    }
    return {};
}

std::string random_hex(int bytes) {
    std::vector<unsigned char> b(static_cast<std::size_t>(bytes));
    RAND_bytes(b.data(), bytes);
    std::string out;
    char buf[3];
    for (unsigned char c : b) {
        std::snprintf(buf, sizeof buf, "%02x", c);
        out += buf;
    }
    return out;
}

}  // namespace

Pki::Pki(const std::string& um_cert) {
    char tmpl[] = "/tmp/siptap-demo-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("demo: cannot create a temporary directory");
    dir = tmpl;
    ::chmod(dir.c_str(), 0700);
    try {
        Key ca_k = new_key();
        Cert ca = make_cert("Contoso Root CA", {}, ca_k.get(), nullptr, nullptr, -kDay, 3650 * kDay);
        Key lync_k = new_key();
        Cert lync = make_cert(kLyncFqdn, {kLyncFqdn}, lync_k.get(), ca.get(), ca_k.get(), -kDay, 365 * kDay);
        ca_cert = dir + "/contoso-root.pem";
        ca_key = dir + "/contoso-root.key";
        lync_chain = dir + "/lync.pem";
        lync_key = dir + "/lync.key";
        um_chain = dir + "/um.pem";
        um_key = dir + "/um.key";
        write_pem(ca_cert, {ca.get()}, nullptr);
        write_pem(ca_key, {}, ca_k.get());
        write_pem(lync_chain, {lync.get(), ca.get()}, nullptr);
        write_pem(lync_key, {}, lync_k.get());

        Key um_k = new_key();
        Cert um;
        Cert other_root;
        Key other_k;
        if (um_cert == "good") {
            um = make_cert(kUmFqdn, {kUmFqdn}, um_k.get(), ca.get(), ca_k.get(), -kDay, 365 * kDay);
        } else if (um_cert == "wildcard") {
            um = make_cert("*.contoso.com", {"*.contoso.com", kUmFqdn}, um_k.get(), ca.get(), ca_k.get(), -kDay,
                           365 * kDay);
        } else if (um_cert == "san-only") {
            um = make_cert("Exchange UM", {kUmFqdn}, um_k.get(), ca.get(), ca_k.get(), -kDay, 365 * kDay);
        } else if (um_cert == "expired") {
            um = make_cert(kUmFqdn, {kUmFqdn}, um_k.get(), ca.get(), ca_k.get(), -400 * kDay, -30 * kDay);
        } else if (um_cert == "untrusted") {
            other_k = new_key();
            other_root = make_cert("Fabrikam Root CA", {}, other_k.get(), nullptr, nullptr, -kDay, 3650 * kDay);
            um = make_cert(kUmFqdn, {kUmFqdn}, um_k.get(), other_root.get(), other_k.get(), -kDay, 365 * kDay);
        } else {
            throw std::runtime_error("demo: unknown --um-cert " + um_cert);
        }
        write_pem(um_chain, {um.get(), other_root ? other_root.get() : ca.get()}, nullptr);
        write_pem(um_key, {}, um_k.get());
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        throw;
    }
}

Pki::~Pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

// ---------------------------------------------------------------- Lync endpoint

LyncEndpoint::LyncEndpoint(const Pki& pki) : pki_(pki) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("demo: socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 4) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(listen_fd_);
        throw std::runtime_error("demo: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
}

LyncEndpoint::~LyncEndpoint() {
    join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void LyncEndpoint::start() { thread_ = std::thread([this] { serve(); }); }

void LyncEndpoint::join() {
    if (thread_.joinable()) thread_.join();
}

void LyncEndpoint::serve() {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 8000) <= 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    set_timeouts(fd, 4000);
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL* ssl = nullptr;
    auto bare_close = [&] {
        // Lync's way: no close_notify, just a FIN; then wait (bounded) for the peer's close.
        ::shutdown(fd, SHUT_WR);
        set_timeouts(fd, 1500);
        char buf[512];
        while (::recv(fd, buf, sizeof buf, 0) > 0) {
        }
    };
    if (ctx && SSL_CTX_use_certificate_chain_file(ctx, pki_.lync_chain.c_str()) == 1 &&
        SSL_CTX_use_PrivateKey_file(ctx, pki_.lync_key.c_str(), SSL_FILETYPE_PEM) == 1 &&
        SSL_CTX_load_verify_locations(ctx, pki_.ca_cert.c_str(), nullptr) == 1) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(pki_.ca_cert.c_str()));
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_num_tickets(ctx, 0);
        // Like Lync Server 2010/2013 with Exchange 2010 UM: TLS 1.2, so the whole handshake,
        // CertificateRequest included, is visible on the wire.
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            std::string request;
            char buf[4096];
            while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
                const int n = SSL_read(ssl, buf, sizeof buf);
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
            }
            std::string cn;
            if (X509* peer = SSL_get1_peer_certificate(ssl)) {
                char name[256] = "";
                X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
                cn = name;
                X509_free(peer);
            }
            const bool complete = request.find("\r\n\r\n") != std::string::npos;
            if (complete && cn == kUmFqdn) {
                std::string to = header_value(request, "To");
                if (to.find("tag=") == std::string::npos) to += ";tag=" + random_hex(8);
                std::string resp = "SIP/2.0 200 OK\r\n";
                for (const char* h : {"Via", "From"}) resp += std::string(h) + ": " + header_value(request, h) + "\r\n";
                resp += "To: " + to + "\r\n";
                for (const char* h : {"Call-ID", "CSeq"}) resp += std::string(h) + ": " + header_value(request, h) + "\r\n";
                resp += "Server: RTC/6.0\r\nContent-Length: 0\r\n\r\n";
                SSL_write(ssl, resp.data(), static_cast<int>(resp.size()));
                // Wait (bounded) for UM to close, then answer its close_notify.
                while (SSL_read(ssl, buf, sizeof buf) > 0) {
                }
                SSL_shutdown(ssl);
            } else {
                // "The peer is not a configured server on this network interface": close, no answer.
                bare_close();
            }
        } else {
            // OpenSSL has already sent its fatal alert (certificate_expired, unknown_ca, ...).
            ERR_clear_error();
            bare_close();
        }
    }
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    ::close(fd);
}

// ---------------------------------------------------------------- Exchange UM client

UmResult run_um_client(const Pki& pki, std::uint16_t port, int wait_ms) {
    UmResult r;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r.outcome = "UM could not create a socket";
        return r;
    }
    set_timeouts(fd, wait_ms);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        r.outcome = "UM could not connect";
        return r;
    }
    r.connected = true;
    sockaddr_in local{};
    socklen_t len = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    const unsigned local_port = ntohs(local.sin_port);

    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = nullptr;
    if (ctx && SSL_CTX_use_certificate_chain_file(ctx, pki.um_chain.c_str()) == 1 &&
        SSL_CTX_use_PrivateKey_file(ctx, pki.um_key.c_str(), SSL_FILETYPE_PEM) == 1 &&
        SSL_CTX_load_verify_locations(ctx, pki.ca_cert.c_str(), nullptr) == 1) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, kLyncFqdn);
        if (SSL_connect(ssl) == 1) {
            r.handshake = true;
            const std::string branch = "z9hG4bK" + random_hex(8);
            const std::string req = std::string("OPTIONS sip:") + kLyncFqdn + ":5061;transport=Tls SIP/2.0\r\n" +
                                    "VIA: SIP/2.0/TLS 127.0.0.1:" + std::to_string(local_port) +
                                    ";branch=" + branch + "\r\n" + "FROM: <sip:" + kUmFqdn +
                                    ">;tag=" + random_hex(6) + "\r\n" + "TO: <sip:" + kLyncFqdn + ">\r\n" +
                                    "CSEQ: 1 OPTIONS\r\n" + "CALL-ID: " + random_hex(16) + "\r\n" +
                                    "MAX-FORWARDS: 70\r\n" + "CONTACT: <sip:" + kUmFqdn +
                                    ":5061;transport=Tls;maddr=" + kUmFqdn + ">\r\n" +
                                    "USER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\n" + "CONTENT-LENGTH: 0\r\n\r\n";
            if (SSL_write(ssl, req.data(), static_cast<int>(req.size())) > 0) r.sent = true;
            std::string got;
            char buf[4096];
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
            int last = 0;
            while (got.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
                last = SSL_read(ssl, buf, sizeof buf);
                if (last <= 0) break;
                got.append(buf, static_cast<std::size_t>(last));
            }
            if (!got.empty()) {
                r.response_line = got.substr(0, got.find("\r\n"));
                r.outcome = "UM received \"" + r.response_line + "\" and closes the connection cleanly";
                SSL_shutdown(ssl);
                // wait (bounded) for Lync's close_notify
                while (SSL_read(ssl, buf, sizeof buf) > 0) {
                }
            } else if (last <= 0) {
                const int err = SSL_get_error(ssl, last);
                const unsigned long code = ERR_peek_error();
                char text[256] = "";
                if (code) ERR_error_string_n(code, text, sizeof text);
                if (err == SSL_ERROR_ZERO_RETURN)
                    r.outcome = "UM got no answer: the connection was closed";
                else if (code && ERR_GET_REASON(code) != SSL_R_UNEXPECTED_EOF_WHILE_READING)
                    r.outcome = std::string("UM got no answer: ") + text;
                else if (err == SSL_ERROR_SYSCALL && errno == EAGAIN)
                    r.outcome = "UM got no answer within " + std::to_string(wait_ms) + " ms";
                else
                    r.outcome = "UM got no answer: the connection was closed";
            } else {
                r.outcome = "UM got no answer within " + std::to_string(wait_ms) + " ms";
            }
        } else {
            const unsigned long code = ERR_peek_error();
            char text[256] = "";
            if (code) ERR_error_string_n(code, text, sizeof text);
            r.outcome = std::string("UM's TLS handshake failed: ") + (code ? text : "connection closed");
        }
        ERR_clear_error();
    } else {
        r.outcome = "UM could not load its certificate";
        ERR_clear_error();
    }
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    ::close(fd);
    return r;
}

}  // namespace cli::demo
