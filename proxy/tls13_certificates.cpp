#include "proxy/tls13_certificates.hpp"

#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "decoder/tls/x509_summary.hpp"

namespace proxy {

namespace {

// Summarising a certificate costs OpenSSL 3 about a third of a relayed handshake's CPU (its
// public key decoders), and a relay sees the same few certificates over and over (its own,
// the upstream's, the clients'): summaries are kept per DER, for all connections.
class SummaryCache {
public:
    struct Entry {
        std::optional<decoder::Certificate> summary;
        std::string error;
    };

    Entry get(const std::string& der, decoder::Side side, int index) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = entries_.find(der); it != entries_.end()) return with_position(it->second, side, index);
        }
        Entry e;
        e.summary = decoder::summarize_certificate(
            {reinterpret_cast<const std::byte*>(der.data()), der.size()}, side, index, &e.error);
        std::lock_guard lock(mutex_);
        if (entries_.size() >= kMaxEntries) entries_.clear();  // a fresh start beats bookkeeping here
        entries_.emplace(der, e);
        return e;
    }

private:
    static constexpr std::size_t kMaxEntries = 1024;

    static Entry with_position(Entry e, decoder::Side side, int index) {
        if (e.summary) {
            e.summary->side = side;
            e.summary->index = index;
        }
        return e;
    }

    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

SummaryCache& summaries() {
    static SummaryCache cache;
    return cache;
}

}  // namespace

void record_chain(const std::vector<X509*>& chain, LegRecorder& leg, decoder::Dir dir) noexcept {
    int index = 0;
    for (X509* cert : chain) {
        unsigned char* der = nullptr;
        const int len = i2d_X509(cert, &der);
        if (len <= 0) continue;
        std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
        OPENSSL_free(der);
        try {
            auto entry = summaries().get(bytes, decoder::sender_side(dir), index++);
            if (entry.summary) leg.payload(dir, std::move(*entry.summary));
            else leg.payload(dir, decoder::Notice{"tls-error", "certificate: " + entry.error});
        } catch (const std::bad_alloc&) {  // this certificate goes unreported; the relay goes on
        }
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
