#include "proxy/tls13_certificates.hpp"

#include <string>
#include <vector>

#include "decoder/x509_summary.hpp"

namespace proxy {

void record_chain(const std::vector<X509*>& chain, LegRecorder& leg, decoder::Dir dir) noexcept {
    int index = 0;
    for (X509* cert : chain) {
        unsigned char* der = nullptr;
        const int len = i2d_X509(cert, &der);
        if (len <= 0) continue;
        std::string error;
        auto summary = decoder::summarize_certificate(
            {reinterpret_cast<const std::byte*>(der), static_cast<std::size_t>(len)},
            decoder::sender_side(dir), index++, &error);
        OPENSSL_free(der);
        if (summary) leg.payload(dir, std::move(*summary));
        else leg.payload(dir, decoder::Notice{"tls-error", "certificate: " + error});
    }
}

void record_tls13_certificates(SSL* ssl, LegRecorder& leg, decoder::Dir peer_dir) noexcept {
    if (SSL_version(ssl) != TLS1_3_VERSION) return;
    const bool we_are_server = SSL_is_server(ssl) == 1;
    std::vector<X509*> ours, theirs;
    if (X509* own = SSL_get_certificate(ssl)) {
        ours.push_back(own);
        STACK_OF(X509)* extra = nullptr;
        SSL_get0_chain_certs(ssl, &extra);
        for (int i = 0; extra && i < sk_X509_num(extra); ++i) ours.push_back(sk_X509_value(extra, i));
    }
    STACK_OF(X509)* peer_chain = SSL_get_peer_cert_chain(ssl);
    if (X509* peer = SSL_get0_peer_certificate(ssl)) {
        theirs.push_back(peer);
        for (int i = 0; peer_chain && i < sk_X509_num(peer_chain); ++i) {
            X509* c = sk_X509_value(peer_chain, i);
            if (X509_cmp(c, peer) != 0) theirs.push_back(c);  // the client side list has the leaf
        }
    }
    // In handshake order: the server's Certificate comes first.
    const decoder::Dir our_dir = decoder::reverse(peer_dir);
    if (we_are_server) {
        record_chain(ours, leg, our_dir);
        record_chain(theirs, leg, peer_dir);
    } else {
        record_chain(theirs, leg, peer_dir);
        record_chain(ours, leg, our_dir);
    }
}

}  // namespace proxy
