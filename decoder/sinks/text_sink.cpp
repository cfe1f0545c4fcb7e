#include "decoder/sinks/text_sink.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>
#include <sstream>
#include "decoder/base/text_util.hpp"
#include "decoder/model/close_description.hpp"

namespace decoder {

namespace {

constexpr const char* kReset = "\033[0m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kMagenta = "\033[35m";
constexpr const char* kCyan = "\033[36m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kBold = "\033[1m";

std::string describe_tls(const TlsMessage& m) {
    std::ostringstream s;
    s << "TLS " << m.type;
    if (!m.version.empty()) s << " " << m.version;
    if (m.sni) s << " sni=" << *m.sni;
    if (m.cipher) s << " cipher=" << *m.cipher;
    if (m.alpn) s << " alpn=" << *m.alpn;
    if (m.certificate_count) s << " (" << plural(*m.certificate_count, "certificate") << ")";
    // A trusted-issuer list can name hundreds of CAs: the first few and the count fit a line
    // (--json has them all).
    if (!m.ca_names.empty()) {
        constexpr std::size_t kShown = 5;
        const std::vector<std::string> shown(m.ca_names.begin(), m.ca_names.begin() + std::min(kShown, m.ca_names.size()));
        s << " CA names: " << join(shown, "; ");
        if (m.ca_names.size() > kShown) s << "; and " << m.ca_names.size() - kShown << " more";
        if (m.ca_names_bytes && m.ca_names.size() > kShown) s << " (" << *m.ca_names_bytes << " bytes)";
    }
    if (m.length) s << " (" << *m.length << " bytes" << (m.encrypted ? ", encrypted)" : ")");
    return s.str();
}

std::string describe_certificate(const Certificate& c) {
    std::ostringstream s;
    s << to_string(c.side) << " certificate #" << c.index << ": " << c.subject;
    if (!c.san.empty() || !c.san_ip.empty()) {
        auto all = c.san;
        all.insert(all.end(), c.san_ip.begin(), c.san_ip.end());
        s << " | SAN " << join(all);
    }
    s << " | issuer " << c.issuer << " | valid " << format_rfc3339(c.not_before).substr(0, 10)
      << " to " << format_rfc3339(c.not_after).substr(0, 10) << " | " << c.key;
    if (c.wildcard_cn) s << " | WILDCARD CN";
    if (c.self_signed) s << " | self-signed";
    return s.str();
}

void append_sip(const SipMessage& m, std::string& s) {
    m.append_summary(s);
    const auto& agent = m.is_request ? m.user_agent : m.server;
    if (!agent.empty()) s.append(" [").append(agent).append("]");
    if (m.ms_diagnostics)
        s += " ms-diagnostics " + std::to_string(m.ms_diagnostics->code) + ": " + m.ms_diagnostics->reason;
}

std::string describe_sip(const SipMessage& m) {
    std::string s;
    append_sip(m, s);
    return s;
}

}  // namespace

std::string describe(const Event& e) {
    if (const auto* p = e.as<ConnOpen>()) {
        if (e.transport == Transport::Udp) return "udp flow";
        return std::string(to_string(e.transport)) + " connection " +
               (p->handshake_seen ? "opened" : "already open when the capture started");
    }
    if (const auto* p = e.as<TlsMessage>()) return describe_tls(*p);
    if (const auto* p = e.as<Certificate>()) return describe_certificate(*p);
    if (const auto* p = e.as<SipMessage>()) return describe_sip(*p);
    if (const auto* p = e.as<TlsAlert>())
        return p->encrypted ? "TLS alert (encrypted)" : "TLS alert " + p->level + " " + p->description;
    if (const auto* p = e.as<ConnClose>()) return describe_close(*p, e.transport);
    if (const auto* p = e.as<Finding>()) {
        return upper(to_string(p->severity)) + " " + p->code + ": " + p->message;
    }
    const auto& n = std::get<Notice>(e.payload);
    return "! " + n.what + ": " + n.message;
}

const char* TextSink::color_for(const Event& e) const {
    if (const auto* p = e.as<SipMessage>())
        return p->is_request ? kCyan : p->status >= 300 ? kRed : kGreen;
    if (e.as<TlsMessage>()) return kMagenta;
    if (e.as<Certificate>()) return kBold;
    if (e.as<TlsAlert>()) return kRed;
    if (e.as<ConnClose>() || e.as<ConnOpen>()) return kDim;
    if (const auto* p = e.as<Finding>()) return p->severity == Severity::Error ? kRed : kYellow;
    return kYellow;
}

void TextSink::on_event(const Event& e) {
    names_.on_event(e);
    // The line is built in one reused buffer and written at once: a stream insertion and a
    // temporary string per piece cost as much as the rest of the text output.
    line_.clear();
    char date[kRfc3339MaxChars];
    line_ += std::string_view(date, static_cast<std::size_t>(write_rfc3339(e.ts, date) - date)).substr(11, 15);
    line_ += " #";
    char digits[24];
    line_.append(digits, std::to_chars(digits, digits + sizeof digits, e.conn).ptr);
    line_ += ' ';
    if (!e.src.ip.empty()) {
        e.src.append_to(line_);
        line_ += " -> ";
        e.dst.append_to(line_);
        line_ += "  ";
    }
    if (color_) line_ += color_for(e);
    if (const auto* sip = e.as<SipMessage>()) append_sip(*sip, line_);
    else line_ += describe(e);
    if (color_) line_ += kReset;
    line_ += '\n';
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
    if (const auto v = names_.verdicts(e)) {
        const char* c = !v->lync.accepted ? kRed : v->rfc6125.accepted ? kGreen : kYellow;
        out_ << std::string(16, ' ') << (color_ ? c : "") << "names: " << verdicts_line(*v) << (color_ ? kReset : "") << '\n';
    }
}

void TextSink::on_flush() {
    if (flush_each_input_) out_.flush();
}

}  // namespace decoder
