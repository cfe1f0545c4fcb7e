#include "decoder/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "decoder/utf8.hpp"

namespace decoder {

namespace {

void append_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; ++i; continue;
            case '\\': out += "\\\\"; ++i; continue;
            case '\b': out += "\\b"; ++i; continue;
            case '\f': out += "\\f"; ++i; continue;
            case '\n': out += "\\n"; ++i; continue;
            case '\r': out += "\\r"; ++i; continue;
            case '\t': out += "\\t"; ++i; continue;
            default: break;
        }
        if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
            ++i;
        } else if (const auto n = utf8_length(s, i)) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
            ++i;
        }
    }
    out += '"';
}

// The object's members, collected unsorted then written in key order, as a std::map would.
class Members {
public:
    void raw(std::string_view key, std::string_view json_value) { add(key) += json_value; }
    void str(std::string_view key, std::string_view v) { append_string(add(key), v); }
    void num(std::string_view key, std::uint64_t v) { add(key) += std::to_string(v); }
    void snum(std::string_view key, std::int64_t v) { add(key) += std::to_string(v); }
    void boolean(std::string_view key, bool v) { add(key) += v ? "true" : "false"; }
    void null(std::string_view key) { add(key) += "null"; }
    void strings(std::string_view key, const std::vector<std::string>& v) {
        auto& o = add(key);
        o += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) o += ',';
            append_string(o, v[i]);
        }
        o += ']';
    }
    void reset() { count_ = 0; }
    std::size_t size() const { return count_; }
    void write(std::string& out) {
        std::sort(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(count_),
                  [](const Item& a, const Item& b) { return a.key < b.key; });
        out += '{';
        for (std::size_t i = 0; i < count_; ++i) {
            if (i) out += ',';
            append_string(out, items_[i].key);
            out += ':';
            out += items_[i].value;
        }
        out += '}';
    }

private:
    struct Item {
        std::string_view key;
        std::string value;
    };
    std::string& add(std::string_view key) {
        // The largest event has 26 members; past the capacity the last slot is overwritten
        // rather than written out of bounds.
        auto& item = items_[count_ < items_.size() ? count_++ : items_.size() - 1];
        item.key = key;
        item.value.clear();
        return item.value;
    }
    std::array<Item, 40> items_;
    std::size_t count_ = 0;
};

template <class T>
void opt_num(Members& m, std::string_view key, const std::optional<T>& v) {
    if (v) m.snum(key, static_cast<std::int64_t>(*v));
}

void fill(Members& m, const ConnOpen& p, const Event&) { m.boolean("syn_seen", p.handshake_seen); }

void fill(Members& m, const TlsMessage& p, const Event&) {
    m.str("type", p.type);
    m.str("version", p.version);
    if (p.sni) m.str("sni", *p.sni);
    if (p.cipher) m.str("cipher", *p.cipher);
    if (p.alpn) m.str("alpn", *p.alpn);
    if (p.type == "certificate_request") m.strings("ca_names", p.ca_names);
    if (!p.supported_versions.empty()) m.strings("supported_versions", p.supported_versions);
    if (!p.signature_algorithms.empty()) m.strings("signature_algorithms", p.signature_algorithms);
    if (!p.ciphers.empty()) m.strings("ciphers", p.ciphers);
    opt_num(m, "certificate_count", p.certificate_count);
    opt_num(m, "length", p.length);
    if (p.encrypted) m.boolean("encrypted", true);
}

void fill(Members& m, const Certificate& p, const Event&) {
    m.str("side", to_string(p.side));
    m.snum("index", p.index);
    m.str("subject", p.subject);
    m.str("subject_cn", p.subject_cn);
    m.strings("san", p.san);
    if (!p.san_ip.empty()) m.strings("san_ip", p.san_ip);
    m.str("issuer", p.issuer);
    m.str("not_before", format_rfc3339(p.not_before));
    m.str("not_after", format_rfc3339(p.not_after));
    m.str("serial", p.serial);
    m.str("sha256", p.sha256);
    m.str("key", p.key);
    m.boolean("wildcard_cn", p.wildcard_cn);
    m.boolean("self_signed", p.self_signed);
}

void fill(Members& m, const SipMessage& p, const Event&) {
    m.str("kind", p.is_request ? "request" : "response");
    m.str("method", p.method);
    if (p.is_request) {
        m.str("uri", p.request_uri);
    } else {
        m.snum("status", p.status);
        m.str("reason", p.reason);
    }
    m.str("call_id", p.call_id);
    m.str("cseq", p.cseq);
    m.str("from", p.from);
    m.str("to", p.to);
    m.strings("via", p.via);
    m.str("contact", p.contact);
    if (!p.user_agent.empty()) m.str("user_agent", p.user_agent);
    if (!p.server.empty()) m.str("server", p.server);
    opt_num(m, "content_length", p.content_length);
    if (p.ms_diagnostics) {
        Members d;
        d.snum("code", p.ms_diagnostics->code);
        d.str("reason", p.ms_diagnostics->reason);
        for (const auto& [k, v] : p.ms_diagnostics->params)
            if (k != "code" && k != "reason") d.str(k, v);
        std::string object;
        d.write(object);
        m.raw("ms_diagnostics", object);
    }
    m.num("bytes", p.bytes);
}

void fill(Members& m, const TlsAlert& p, const Event&) {
    m.str("level", p.level);
    m.str("description", p.description);
    m.boolean("encrypted", p.encrypted);
}

void fill(Members& m, const ConnClose& p, const Event& e) {
    p.by ? m.str("by", p.by->to_string()) : m.null("by");
    p.side ? m.str("side", to_string(*p.side)) : m.null("side");
    m.str("how", to_string(p.how));
    p.after ? m.str("after", *p.after) : m.null("after");
    p.after_from ? m.str("after_from", to_string(*p.after_from)) : m.null("after_from");
    p.ms_since_last_message ? m.snum("ms_since_last_message", *p.ms_since_last_message)
                            : m.null("ms_since_last_message");
    m.strings("unanswered", p.unanswered);
    if (p.alert) m.str("alert", *p.alert);
    if (e.transport == Transport::Tls) {
        m.boolean("handshake_complete", p.handshake_complete);
        m.num("client_records", p.client_records);
        m.num("server_records", p.server_records);
    }
    m.num("client_messages", p.client_messages);
    m.num("server_messages", p.server_messages);
}

void fill(Members& m, const Finding& p, const Event&) {
    m.str("severity", to_string(p.severity));
    m.str("code", p.code);
    m.str("message", p.message);
    std::string list = "[";
    for (std::size_t i = 0; i < p.evidence.size(); ++i) list += (i ? "," : "") + std::to_string(p.evidence[i]);
    m.raw("evidence", list + "]");
}

void fill(Members& m, const Notice& p, const Event&) {
    m.str("what", p.what);
    m.str("message", p.message);
}

}  // namespace

void append_json(const Event& e, std::string& out) {
    thread_local Members m;  // reused: its strings keep their capacity between events
    m.reset();
    m.str("event", event_name(e));
    m.num("seq", e.seq);
    m.str("ts", format_rfc3339(e.ts));
    m.num("conn", e.conn);
    e.src.ip.empty() ? m.null("src") : m.str("src", e.src.to_string());
    e.dst.ip.empty() ? m.null("dst") : m.str("dst", e.dst.to_string());
    m.str("transport", to_string(e.transport));
    std::visit([&](const auto& p) { fill(m, p, e); }, e.payload);
    m.write(out);
}

}  // namespace decoder
