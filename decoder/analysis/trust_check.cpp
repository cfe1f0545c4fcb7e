// untrusted-issuer: verifies a presented chain against the user's trusted roots with OpenSSL.
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>

#include "decoder/analysis/diagnosis_rules.hpp"
#include "decoder/base/openssl_ptr.hpp"

namespace decoder {

namespace {

void free_chain(STACK_OF(X509) * chain) { sk_X509_pop_free(chain, X509_free); }

using X509Ptr = OpenSslPtr<X509, X509_free>;

X509Ptr parse(const std::string& der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

}  // namespace

std::optional<FindingDraft> check_chain_trust(const std::vector<Certificate>& chain, const TrustStore& roots) {
    if (chain.empty()) return std::nullopt;
    auto leaf = parse(chain.front().der);
    OpenSslPtr<STACK_OF(X509), free_chain> untrusted(sk_X509_new_null());
    for (std::size_t i = 1; i < chain.size(); ++i)
        if (auto c = parse(chain[i].der)) sk_X509_push(untrusted.get(), c.release());
    OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
    if (!leaf || !ctx || X509_STORE_CTX_init(ctx.get(), roots.get(), leaf.get(), untrusted.get()) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    // Validity dates are cert-expired's to report, so the chain is checked without them.
    // (Setting a check time would switch NO_CHECK_TIME off again: OpenSSL prefers it.)
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
    const int ok = X509_verify_cert(ctx.get());
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    if (ok == 1) return std::nullopt;
    const auto& leaf_summary = chain.front();
    return FindingDraft{Severity::Error, "untrusted-issuer",
                        "The " + std::string(to_string(leaf_summary.side)) + "'s certificate " +
                            leaf_summary.subject + " (issued by " + leaf_summary.issuer +
                            ") does not chain to a root in " + roots.file() + ": " +
                            X509_verify_cert_error_string(err) +
                            "; the peer will refuse it unless it trusts that CA."};
}

}  // namespace decoder
