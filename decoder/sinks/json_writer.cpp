#include "decoder/sinks/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "decoder/base/utf8.hpp"

namespace decoder {

namespace {

// Bytes written as they are inside a JSON string: printable ASCII but '"' and '\'.
constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return plain;
}();

// Whether none of the 8 bytes at p needs escaping: no control byte (< 0x20), no byte >= 0x80,
// no '"' and no '\\' (the classic "has a zero byte" bit trick, on each condition at once).
bool all_plain8(const char* p) {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    const std::uint64_t below_space = (x - ones * 0x20) & ~x & highs;
    return ((x & highs) | below_space | has_zero(x ^ (ones * '"')) | has_zero(x ^ (ones * '\\'))) == 0;
}

// The JSON escape of s, without the quotes.
void append_escaped(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < s.size();) {
        // Most text needs no escape: copy each plain run at once, found 8 bytes at a time.
        std::size_t run = i;
        while (run + 8 <= s.size() && all_plain8(s.data() + run)) run += 8;
        while (run < s.size() && kPlain[static_cast<unsigned char>(s[run])]) ++run;
        out.append(s.data() + i, run - i);
        if (run == s.size()) break;
        i = run;
        const auto c = static_cast<unsigned char>(s[i]);
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
}

void append_string(std::string& out, std::string_view s) {
    out += '"';
    append_escaped(out, s);
    out += '"';
}

void append_number(std::string& out, std::int64_t v) {
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
}

void append_number(std::string& out, std::uint64_t v) {
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
}

// Members whose keys are only known at run time (Ms-Diagnostics parameters): collected, then
// written in key order, as a std::map would.
class SortedMembers {
public:
    void str(std::string_view key, std::string_view v) { append_string(add(key), v); }
    void snum(std::string_view key, std::int64_t v) { append_number(add(key), v); }
    void write(std::string& out) {
        std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) { return a.key < b.key; });
        out += '{';
        for (std::size_t i = 0; i < items_.size(); ++i) {
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
        // Past 40 members the last one is overwritten rather than the list growing without bound.
        if (items_.size() == 40) items_.pop_back();
        items_.push_back({key, {}});
        return items_.back().value;
    }
    std::vector<Item> items_;
};

// One event's JSON object, written straight into the line. Its members come out in key order
// (as nlohmann's std::map-backed object writes them) with no sort: each fill() below names
// its payload's members in key order, and the seven members every event has (kEnvelope) are
// merged in as the keys pass them. A test compares every event type against the tests' reference serialiser.
class Object {
public:
    Object(std::string& out, const Event& e) : out_(out), event_(e) { out_ += '{'; }

    void str(std::string_view key, std::string_view v) {
        append_escaped(name(key, true), v);
        out_ += '"';
    }
    void num(std::string_view key, std::uint64_t v) { append_number(name(key), v); }
    void snum(std::string_view key, std::int64_t v) { append_number(name(key), v); }
    void boolean(std::string_view key, bool v) { name(key) += v ? "true" : "false"; }
    void null(std::string_view key) { name(key) += "null"; }
    void raw(std::string_view key, std::string_view json) { name(key) += json; }
    void time(std::string_view key, Micros t) {
        append_rfc3339(t, name(key, true));  // digits, '-', ':', '.', 'T', 'Z': nothing to escape
        out_ += '"';
    }
    void endpoint(std::string_view key, const Endpoint& v) {
        name(key);
        endpoint_value(v);
    }
    void strings(std::string_view key, const std::vector<std::string>& v) {
        array(key, v, [](std::string& o, const std::string& s) { append_string(o, s); });
    }
    void numbers(std::string_view key, const std::vector<std::uint64_t>& v) {
        array(key, v, [](std::string& o, std::uint64_t n) { append_number(o, n); });
    }
    void close() {
        while (next_ < kEnvelope.size()) envelope(next_++);
        out_ += '}';
    }

private:
    static constexpr std::array<std::string_view, 7> kEnvelope = {"conn", "dst", "event", "seq", "src",
                                                                   "transport", "ts"};

    template <class T, class Write>
    void array(std::string_view key, const std::vector<T>& v, Write write) {
        auto& o = name(key);
        o += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) o += ',';
            write(o, v[i]);
        }
        o += ']';
    }
    // Writes the members of the envelope that sort before `key`, then `key` and its colon
    // (and the opening quote of a string value); returns the line for the value.
    std::string& name(std::string_view key, bool string_value = false) {
        while (next_ < kEnvelope.size() && kEnvelope[next_] < key) envelope(next_++);
        return literal_name(key, string_value);
    }
    // `,"key":` in one append: keys are our own short ASCII names, nothing to escape.
    std::string& literal_name(std::string_view key, bool string_value = false) {
        char head[64];
        if (key.size() > sizeof head - 5) {  // no key is this long; still write it right
            if (out_.size() > start_) out_ += ',';
            out_ += '"';
            out_ += key;
            out_ += string_value ? "\":\"" : "\":";
            return out_;
        }
        std::size_t n = 0;
        if (out_.size() > start_) head[n++] = ',';
        head[n++] = '"';
        std::memcpy(head + n, key.data(), key.size());
        n += key.size();
        head[n++] = '"';
        head[n++] = ':';
        if (string_value) head[n++] = '"';
        out_.append(head, n);
        return out_;
    }
    void envelope(std::size_t i) {
        switch (i) {
            case 0: return append_number(literal_name(kEnvelope[i]), event_.conn);
            case 1: literal_name(kEnvelope[i]); return endpoint_value(event_.dst);
            case 2: append_escaped(literal_name(kEnvelope[i], true), event_name(event_)); break;
            case 3: return append_number(literal_name(kEnvelope[i]), event_.seq);
            case 4: literal_name(kEnvelope[i]); return endpoint_value(event_.src);
            case 5: append_escaped(literal_name(kEnvelope[i], true), to_string(event_.transport)); break;
            default: append_rfc3339(event_.ts, literal_name(kEnvelope[i], true)); break;
        }
        out_ += '"';
    }
    // Endpoint::to_string()'s "ip:port" / "[ip]:port", escaped; null for events that belong to
    // no connection (a bad packet, a run-wide finding). Written in place: addresses need no
    // escape, so only one that does is copied out and escaped.
    void endpoint_value(const Endpoint& v) {
        if (v.ip.empty()) {
            out_ += "null";
            return;
        }
        out_ += '"';
        const auto from = out_.size();
        v.append_to(out_);
        if (!std::all_of(out_.begin() + static_cast<std::ptrdiff_t>(from), out_.end(),
                         [](char c) { return kPlain[static_cast<unsigned char>(c)]; })) {
            const std::string text = out_.substr(from);
            out_.resize(from);
            append_escaped(out_, text);
        }
        out_ += '"';
    }

    std::string& out_;
    const Event& event_;
    const std::size_t start_ = out_.size() + 1;  // just past the '{'
    std::size_t next_ = 0;                      // the next envelope member to write
};

template <class T>
void opt_num(Object& o, std::string_view key, const std::optional<T>& v) {
    if (v) o.snum(key, static_cast<std::int64_t>(*v));
}

// Each fill() names its members in key order (see Object).

void fill(Object& o, const ConnOpen& p, const Event&) { o.boolean("syn_seen", p.handshake_seen); }

void fill(Object& o, const TlsMessage& p, const Event&) {
    if (p.alpn) o.str("alpn", *p.alpn);
    if (p.type == "certificate_request") o.strings("ca_names", p.ca_names);
    opt_num(o, "ca_names_bytes", p.ca_names_bytes);
    opt_num(o, "ca_names_within_limit", p.ca_names_within_limit);
    opt_num(o, "certificate_count", p.certificate_count);
    if (p.cipher) o.str("cipher", *p.cipher);
    if (!p.ciphers.empty()) o.strings("ciphers", p.ciphers);
    if (p.encrypted) o.boolean("encrypted", true);
    opt_num(o, "length", p.length);
    if (!p.signature_algorithms.empty()) o.strings("signature_algorithms", p.signature_algorithms);
    if (p.sni) o.str("sni", *p.sni);
    if (!p.supported_versions.empty()) o.strings("supported_versions", p.supported_versions);
    o.str("type", p.type);
    o.str("version", p.version);
}

void fill(Object& o, const Certificate& p, const Event&) {
    if (p.eku) o.strings("eku", *p.eku);
    o.snum("index", p.index);
    o.str("issuer", p.issuer);
    o.str("key", p.key);
    o.time("not_after", p.not_after);
    o.time("not_before", p.not_before);
    o.strings("san", p.san);
    if (!p.san_ip.empty()) o.strings("san_ip", p.san_ip);
    o.boolean("self_signed", p.self_signed);
    o.str("serial", p.serial);
    o.str("sha256", p.sha256);
    o.str("side", to_string(p.side));
    o.str("signature_algorithm", p.signature_algorithm);
    o.str("subject", p.subject);
    o.str("subject_cn", p.subject_cn);
    o.boolean("wildcard_cn", p.wildcard_cn);
}

void fill(Object& o, const SipMessage& p, const Event&) {
    o.num("bytes", p.bytes);
    o.str("call_id", p.call_id);
    o.str("contact", p.contact);
    opt_num(o, "content_length", p.content_length);
    o.str("cseq", p.cseq);
    o.str("from", p.from);
    o.str("kind", p.is_request ? "request" : "response");
    o.str("method", p.method);
    if (p.ms_diagnostics) {
        SortedMembers d;
        d.snum("code", p.ms_diagnostics->code);
        d.str("reason", p.ms_diagnostics->reason);
        for (const auto& [k, v] : p.ms_diagnostics->params)
            if (k != "code" && k != "reason") d.str(k, v);
        std::string object;
        d.write(object);
        o.raw("ms_diagnostics", object);
    }
    if (!p.is_request) o.str("reason", p.reason);
    if (!p.server.empty()) o.str("server", p.server);
    if (!p.is_request) o.snum("status", p.status);
    o.str("to", p.to);
    if (p.is_request) o.str("uri", p.request_uri);
    if (!p.user_agent.empty()) o.str("user_agent", p.user_agent);
    o.strings("via", p.via);
}

void fill(Object& o, const TlsAlert& p, const Event&) {
    o.str("description", p.description);
    o.boolean("encrypted", p.encrypted);
    opt_num(o, "length", p.length);
    o.str("level", p.level);
}

void fill(Object& o, const ConnClose& p, const Event& e) {
    p.after ? o.str("after", *p.after) : o.null("after");
    p.after_from ? o.str("after_from", to_string(*p.after_from)) : o.null("after_from");
    if (p.alert) o.str("alert", *p.alert);
    p.by ? o.endpoint("by", *p.by) : o.null("by");
    o.num("client_messages", p.client_messages);
    const bool tls = e.transport == Transport::Tls;
    if (tls) o.num("client_records", p.client_records);
    if (tls) o.boolean("handshake_complete", p.handshake_complete);
    o.str("how", to_string(p.how));
    p.ms_since_last_message ? o.snum("ms_since_last_message", *p.ms_since_last_message)
                            : o.null("ms_since_last_message");
    o.num("server_messages", p.server_messages);
    if (tls) o.num("server_records", p.server_records);
    p.side ? o.str("side", to_string(*p.side)) : o.null("side");
    o.strings("unanswered", p.unanswered);
}

void fill(Object& o, const Finding& p, const Event&) {
    o.str("code", p.code);
    o.numbers("evidence", p.evidence);
    o.str("message", p.message);
    if (p.redirect) {
        SortedMembers r;
        r.str("to", p.redirect->to);
        r.str("transport", p.redirect->transport);
        if (p.redirect->conn) {
            r.snum("conn", static_cast<std::int64_t>(*p.redirect->conn));
            r.str("linked_by", p.redirect->linked_by);
            r.str("server_certificate", p.redirect->server_certificate);
            r.str("outcome", p.redirect->outcome);
        }
        std::string object;
        r.write(object);
        o.raw("redirect", object);
    }
    o.str("severity", to_string(p.severity));
}

void fill(Object& o, const Notice& p, const Event&) {
    o.str("message", p.message);
    o.str("what", p.what);
}

}  // namespace

void append_json(const Event& e, std::string& out) {
    Object o(out, e);
    std::visit([&](const auto& p) { fill(o, p, e); }, e.payload);
    o.close();
}

}  // namespace decoder
