#include "decoder/sinks/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "decoder/sinks/json_line.hpp"

namespace decoder {

namespace {

using json::Line;

void append_string(std::string& out, std::string_view s) {
    Line line(out);
    line.string(s);
}

template <class Int>
void append_number(std::string& out, Int v) {
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

// The envelope: the seven members every event has, in key order.
constexpr std::array<std::string_view, 7> kEnvelope = {"conn", "dst", "event", "seq", "src", "transport", "ts"};

// a < b for our keys (never empty), as std::map orders them.
constexpr bool sorts_before(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    return a.size() < b.size();
}

// A payload member's key, always one of our own literals, with the number of envelope
// members that sort before it worked out by the compiler: merging the envelope in then
// costs one comparison per member instead of string comparisons for every event.
struct Key {
    template <std::size_t N>
    consteval Key(const char (&literal)[N]) : data(literal), size(N - 1) {  // NOLINT: a literal is a key
        while (envelope_before < kEnvelope.size() && sorts_before(kEnvelope[envelope_before], text()))
            ++envelope_before;
    }
    constexpr std::string_view text() const { return {data, size}; }
    // Two words, so that it is passed in registers like a string_view.
    const char* data;
    std::uint32_t size;
    std::uint32_t envelope_before = 0;
};

// One event's JSON object, written straight into the line. Its members come out in key order
// (as nlohmann's std::map-backed object writes them) with no sort: each fill() below names
// its payload's members in key order, and the seven members every event has (kEnvelope) are
// merged in as the keys pass them. A test compares every event type against the tests' reference serialiser.
class Object {
public:
    Object(std::string& out, const Event& e, std::size_t* seq_at) : line_(out), event_(e), seq_at_(seq_at) {
        line_.room(1);
        line_.put('{');
    }

    void str(Key key, std::string_view v) {
        name(key, json::escape_room(v.size()) + 1, true);
        line_.escaped(v);
        line_.put('"');
    }
    void num(Key key, std::uint64_t v) {
        name(key, 24);
        line_.number(v);
    }
    void snum(Key key, std::int64_t v) {
        name(key, 24);
        line_.number(v);
    }
    void boolean(Key key, bool v) {
        name(key, 5);
        line_.put(v ? std::string_view("true") : std::string_view("false"));
    }
    void null(Key key) {
        name(key, 4);
        line_.put("null");
    }
    void raw(Key key, std::string_view json) {
        name(key, json.size());
        line_.put(json);
    }
    void time(Key key, Micros t) {
        // digits, '-', ':', '.', 'T', 'Z': nothing to escape
        name(key, kRfc3339MaxChars + 1, true);
        line_.advance_to(write_rfc3339(t, line_.cursor()));
        line_.put('"');
    }
    void endpoint(Key key, const Endpoint& v) {
        name(key, 0);
        endpoint_value(v);
    }
    template <class Text>
    void strings(Key key, const std::vector<Text>& v) {
        name(key, 2);
        line_.put('[');
        for (std::size_t i = 0; i < v.size(); ++i) {
            line_.room(json::escape_room(std::string_view(v[i]).size()) + 4);
            if (i) line_.put(',');
            line_.put('"');
            line_.escaped(v[i]);
            line_.put('"');
        }
        line_.put(']');
    }
    void numbers(Key key, const std::vector<std::uint64_t>& v) {
        name(key, 2);
        line_.put('[');
        for (std::size_t i = 0; i < v.size(); ++i) {
            line_.room(26);
            if (i) line_.put(',');
            line_.number(v[i]);
        }
        line_.put(']');
    }
    void close() {
        while (next_ < kEnvelope.size()) envelope(next_++);
        line_.room(1);
        line_.put('}');
    }

private:
    // Writes the members of the envelope that sort before `key`, then `key` and its colon
    // (and the opening quote of a string value), with room for `value_room` bytes after it.
    // Forced inline (with literal_name) so that each key's copy is compiled for its known
    // length: left to itself, GCC 12 kept one out-of-line copy for all keys (+10 % of the
    // JSON sink's instructions).
    [[gnu::always_inline]] void name(Key key, std::size_t value_room, bool string_value = false) {
        while (next_ < key.envelope_before) envelope(next_++);
        literal_name(key.text(), value_room, string_value);
    }
    // `,"key":` at once: keys are our own short ASCII names, nothing to escape.
    [[gnu::always_inline]] void literal_name(std::string_view key, std::size_t value_room, bool string_value = false) {
        line_.room(key.size() + 5 + value_room);
        if (!first_) line_.put(',');
        first_ = false;
        line_.put('"');
        line_.put_short(key);
        line_.put(string_value ? std::string_view("\":\"") : std::string_view("\":"));
    }
    void envelope(std::size_t i) {
        const auto quoted = [&](std::string_view v) {  // our own names: nothing to escape
            literal_name(kEnvelope[i], v.size() + 1, true);
            line_.put(v);
            line_.put('"');
        };
        switch (i) {
            case 0: literal_name(kEnvelope[i], 24); return line_.number(event_.conn);
            case 1: literal_name(kEnvelope[i], 0); return endpoint_value(event_.dst);
            case 2: return quoted(event_name(event_));
            case 3:
                literal_name(kEnvelope[i], 24);
                if (seq_at_ != nullptr) {  // only its place; the bytes in it are never written out
                    *seq_at_ = line_.offset();
                    return line_.advance_to(line_.cursor() + kSeqPlaceWidth);
                }
                return line_.number(event_.seq);
            case 4: literal_name(kEnvelope[i], 0); return endpoint_value(event_.src);
            case 5: return quoted(to_string(event_.transport));
            default:
                literal_name(kEnvelope[i], kRfc3339MaxChars + 1, true);
                line_.advance_to(write_rfc3339(event_.ts, line_.cursor()));
                line_.put('"');
        }
    }
    // Endpoint::to_string()'s "ip:port" / "[ip]:port", escaped; null for events that belong to
    // no connection (a bad packet, a run-wide finding). Escaping works byte by byte, so the
    // address is escaped on its own and the brackets, colon and digits around it need none.
    void endpoint_value(const Endpoint& v) {
        if (v.ip.empty()) {
            line_.room(4);
            line_.put("null");
            return;
        }
        line_.room(json::escape_room(v.ip.size()) + 12);
        const bool v6 = v.ip.find(':') != std::string::npos;
        line_.put(v6 ? std::string_view("\"[") : std::string_view("\""));
        line_.escaped(v.ip);
        line_.put(v6 ? std::string_view("]:") : std::string_view(":"));
        line_.number(v.port);
        line_.put('"');
    }

    Line line_;
    const Event& event_;
    std::size_t* seq_at_;
    bool first_ = true;    // no member written yet
    std::size_t next_ = 0;  // the next envelope member to write
};

template <class T>
void opt_num(Object& o, Key key, const std::optional<T>& v) {
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

void append_json(const Event& e, std::string& out, std::size_t* seq_at) {
    Object o(out, e, seq_at);
    std::visit([&](const auto& p) { fill(o, p, e); }, e.payload);
    o.close();
}

}  // namespace decoder
