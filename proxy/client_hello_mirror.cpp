#include "proxy/client_hello_mirror.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <openssl/err.h>
#include <span>

namespace proxy {

namespace {

using Bytes = std::span<const unsigned char>;

constexpr unsigned kExtServerName = 0, kExtGroups = 10, kExtSigalgs = 13, kExtAlpn = 16, kExtVersions = 43;

struct Named {
    std::uint16_t code;
    const char* name;
};

// TLS code points and the names SSL_set1_sigalgs_list / SSL_set1_groups_list accept.
// (OpenSSL 3.0 knows the pre-1.3 ones only in its "ALG+HASH" form.)
constexpr Named kSigalgs[] = {
    {0x0201, "RSA+SHA1"},               {0x0203, "ECDSA+SHA1"},           {0x0202, "DSA+SHA1"},
    {0x0301, "RSA+SHA224"},             {0x0303, "ECDSA+SHA224"},         {0x0302, "DSA+SHA224"},
    {0x0401, "rsa_pkcs1_sha256"},       {0x0403, "ecdsa_secp256r1_sha256"}, {0x0402, "DSA+SHA256"},
    {0x0501, "rsa_pkcs1_sha384"},       {0x0503, "ecdsa_secp384r1_sha384"}, {0x0502, "DSA+SHA384"},
    {0x0601, "rsa_pkcs1_sha512"},       {0x0603, "ecdsa_secp521r1_sha512"}, {0x0602, "DSA+SHA512"},
    {0x0804, "rsa_pss_rsae_sha256"},    {0x0805, "rsa_pss_rsae_sha384"},  {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},                {0x0808, "ed448"},                {0x0809, "rsa_pss_pss_sha256"},
    {0x080a, "rsa_pss_pss_sha384"},     {0x080b, "rsa_pss_pss_sha512"},
};
constexpr Named kGroups[] = {
    {0x0013, "prime192v1"}, {0x0015, "secp224r1"}, {0x0016, "secp256k1"}, {0x0017, "secp256r1"},
    {0x0018, "secp384r1"},  {0x0019, "secp521r1"}, {0x001a, "brainpoolP256r1"}, {0x001b, "brainpoolP384r1"},
    {0x001c, "brainpoolP512r1"}, {0x001d, "x25519"}, {0x001e, "x448"}, {0x0100, "ffdhe2048"},
    {0x0101, "ffdhe3072"}, {0x0102, "ffdhe4096"}, {0x0103, "ffdhe6144"}, {0x0104, "ffdhe8192"},
};

bool grease(std::uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

std::uint16_t u16(Bytes b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }

std::string hex(std::uint16_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", v);
    return buf;
}

Bytes extension(SSL* ssl, unsigned type) {
    const unsigned char* p = nullptr;
    std::size_t n = 0;
    if (SSL_client_hello_get0_ext(ssl, type, &p, &n) != 1) return {};
    return {p, n};
}

// A list of 16-bit codes after a length prefix of `prefix` bytes (malformed: empty).
std::vector<std::uint16_t> code_list(Bytes ext, std::size_t prefix) {
    std::vector<std::uint16_t> out;
    if (ext.size() < prefix) return out;
    const std::size_t len = prefix == 1 ? ext[0] : u16(ext, 0);
    if (len + prefix > ext.size() || len % 2) return out;
    for (std::size_t i = prefix; i + 1 < prefix + len; i += 2)
        if (!grease(u16(ext, i))) out.push_back(u16(ext, i));
    return out;
}

std::vector<std::string> names_of(const std::vector<std::uint16_t>& codes, std::span<const Named> table,
                                  const char* what, std::vector<std::string>& not_mirrored) {
    std::vector<std::string> out;
    for (const std::uint16_t c : codes) {
        auto it = std::find_if(table.begin(), table.end(), [c](const Named& n) { return n.code == c; });
        if (it != table.end()) out.push_back(it->name);
        else not_mirrored.push_back(std::string(what) + " " + hex(c));
    }
    return out;
}

// server_name: list length, then entries of type (0 = host name), length, name.
std::string host_name(Bytes ext) {
    if (ext.size() < 5 || ext[2] != 0) return {};
    const std::size_t len = u16(ext, 3);
    if (5 + len > ext.size()) return {};
    return std::string(reinterpret_cast<const char*>(ext.data() + 5), len);
}

void read_versions(SSL* ssl, MirroredHello& h) {
    const auto versions = code_list(extension(ssl, kExtVersions), 1);
    if (versions.empty()) {  // before TLS 1.3: the legacy version is the highest
        h.max_version = std::min<int>(static_cast<int>(SSL_client_hello_get0_legacy_version(ssl)), TLS1_2_VERSION);
        h.min_version = std::min(h.max_version, TLS1_VERSION);
        return;
    }
    h.min_version = *std::min_element(versions.begin(), versions.end());
    h.max_version = *std::max_element(versions.begin(), versions.end());
    if (static_cast<int>(versions.size()) != (h.max_version - h.min_version) + 1)
        h.not_mirrored.push_back("a version list with gaps (OpenSSL offers a range)");
}

void read_ciphers(SSL* ssl, MirroredHello& h) {
    const unsigned char* p = nullptr;
    const std::size_t n = SSL_client_hello_get0_ciphers(ssl, &p);
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        const std::uint16_t id = static_cast<std::uint16_t>(p[i] << 8 | p[i + 1]);
        if (id == 0x5600) h.fallback_scsv = true;
        if (grease(id) || id == 0x00ff || id == 0x5600) continue;  // OpenSSL sends its own signals
        if (const SSL_CIPHER* c = SSL_CIPHER_find(ssl, p + i)) h.ciphers.emplace_back(SSL_CIPHER_get_name(c));
        else h.not_mirrored.push_back("cipher suite " + hex(id));
    }
}

bool is_tls13_suite(const std::string& name) { return name.rfind("TLS_", 0) == 0; }

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ":") + n;
    return out;
}

// Sets the cipher lists and names the ciphers this OpenSSL cannot use.
void offer_ciphers(SSL* up, const MirroredHello& h, std::vector<std::string>& notes) {
    std::vector<std::string> tls12, tls13;
    for (const auto& c : h.ciphers) (is_tls13_suite(c) ? tls13 : tls12).push_back(c);
    if (h.max_version >= TLS1_3_VERSION && SSL_set_ciphersuites(up, joined(tls13).c_str()) != 1)
        notes.push_back("cannot offer the client's TLS 1.3 suites: " + joined(tls13));
    if (h.min_version < TLS1_3_VERSION && SSL_set_cipher_list(up, joined(tls12).c_str()) != 1)
        notes.push_back("cannot offer the client's cipher suites: " + joined(tls12));
    STACK_OF(SSL_CIPHER)* have = SSL_get_ciphers(up);
    for (const auto& c : h.ciphers) {
        bool found = false;
        for (int i = 0; have && i < sk_SSL_CIPHER_num(have) && !found; ++i)
            found = c == SSL_CIPHER_get_name(sk_SSL_CIPHER_value(have, i));
        if (!found) notes.push_back("cipher suite " + c + " (not available in this OpenSSL)");
    }
}

// Sets the names this OpenSSL knows, in order, and names the others.
void offer_list(SSL* up, const std::vector<std::string>& names, int (*set)(SSL*, const char*), const char* what,
                std::vector<std::string>& notes) {
    std::vector<std::string> usable;
    for (const auto& n : names) {
        if (set(up, n.c_str()) == 1) usable.push_back(n);
        else notes.push_back(std::string(what) + " " + n);
    }
    if (!usable.empty()) set(up, joined(usable).c_str());
}

int set_sigalgs(SSL* ssl, const char* list) { return static_cast<int>(SSL_set1_sigalgs_list(ssl, list)); }
int set_groups(SSL* ssl, const char* list) { return static_cast<int>(SSL_set1_groups_list(ssl, list)); }

void offer_sni(SSL* up, const MirroredHello& h, std::vector<std::string>&) {
    // OpenSSL's macro casts the name to void*; a null name clears it.
    SSL_ctrl(up, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             h.sni.empty() ? nullptr : const_cast<char*>(h.sni.c_str()));
}

void offer_versions(SSL* up, const MirroredHello& h, std::vector<std::string>& notes) {
    if (SSL_set_min_proto_version(up, h.min_version) != 1 || SSL_set_max_proto_version(up, h.max_version) != 1)
        notes.push_back("the client's versions " + hex(static_cast<std::uint16_t>(h.min_version)) + "-" +
                        hex(static_cast<std::uint16_t>(h.max_version)));
}

void offer_sigalgs(SSL* up, const MirroredHello& h, std::vector<std::string>& notes) {
    offer_list(up, h.sigalgs, set_sigalgs, "signature algorithm", notes);
}

void offer_groups(SSL* up, const MirroredHello& h, std::vector<std::string>& notes) {
    offer_list(up, h.groups, set_groups, "group", notes);
}

void offer_alpn(SSL* up, const MirroredHello& h, std::vector<std::string>&) {
    if (!h.alpn.empty()) SSL_set_alpn_protos(up, h.alpn.data(), static_cast<unsigned>(h.alpn.size()));
}

void offer_fallback(SSL* up, const MirroredHello& h, std::vector<std::string>&) {
    if (h.fallback_scsv) SSL_set_mode(up, SSL_MODE_SEND_FALLBACK_SCSV);
}

// In the order they are applied: the versions before the cipher lists, which depend on them.
constexpr MirroredField kMirroredFields[] = {
    {"SNI", "the client's server name, or none when it sent none", offer_sni},
    {"versions", "the client's lowest and highest TLS version (OpenSSL offers the range between)", offer_versions},
    {"cipher suites", "the client's suites in its order, TLS 1.3 ones too", offer_ciphers},
    {"signature algorithms", "the client's list in its order", offer_sigalgs},
    {"groups", "the client's supported groups in its order", offer_groups},
    {"ALPN", "the client's protocol list", offer_alpn},
    {"TLS_FALLBACK_SCSV", "sent when the client sent it (a client retrying with a lower version)", offer_fallback},
};

}  // namespace

MirroredHello read_client_hello(SSL* ssl) noexcept {
    MirroredHello h;
    h.sni = host_name(extension(ssl, kExtServerName));
    read_versions(ssl, h);
    read_ciphers(ssl, h);
    h.sigalgs = names_of(code_list(extension(ssl, kExtSigalgs), 2), kSigalgs, "signature algorithm", h.not_mirrored);
    h.groups = names_of(code_list(extension(ssl, kExtGroups), 2), kGroups, "group", h.not_mirrored);
    const Bytes alpn = extension(ssl, kExtAlpn);
    if (alpn.size() > 2) h.alpn.assign(alpn.begin() + 2, alpn.end());
    return h;
}

std::span<const MirroredField> mirrored_hello_fields() { return kMirroredFields; }

std::vector<std::string> offer_like(SSL* up, const MirroredHello& h) {
    std::vector<std::string> notes = h.not_mirrored;
    for (const MirroredField& field : kMirroredFields) field.offer(up, h, notes);
    ERR_clear_error();
    return notes;
}

void answer_like(SSL* client, SSL* up, bool upstream_asked_certificate, bool same_key_type) {
    const int version = SSL_version(up);
    SSL_set_min_proto_version(client, version);
    SSL_set_max_proto_version(client, version);
    if (!upstream_asked_certificate) {
        SSL_set_verify(client, SSL_VERIFY_NONE, nullptr);
    } else if (const STACK_OF(X509_NAME)* names = SSL_get0_peer_CA_list(up)) {
        SSL_set_client_CA_list(client, SSL_dup_CA_list(names));
    }
    const SSL_CIPHER* cipher = SSL_get_current_cipher(up);
    if (cipher && same_key_type) {
        const char* name = SSL_CIPHER_get_name(cipher);
        if (version == TLS1_3_VERSION) SSL_set_ciphersuites(client, name);
        else SSL_set_cipher_list(client, name);
        int hash = NID_undef, sig = NID_undef;
        if (SSL_get_peer_signature_nid(up, &hash) == 1 && SSL_get_peer_signature_type_nid(up, &sig) == 1) {
            const int pair[] = {hash, sig};
            SSL_set1_sigalgs(client, pair, 2);
        }
        // An ECDSA certificate of our own would need its own curve, so only with the forgery.
        if (const int group = SSL_get_negotiated_group(up); group > 0 && !(group & TLSEXT_nid_unknown))
            SSL_set1_groups(client, &group, 1);
    }
    ERR_clear_error();  // what cannot be narrowed stays as the client offered it
}

}  // namespace proxy
