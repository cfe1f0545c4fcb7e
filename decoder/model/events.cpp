#include "decoder/model/events.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <type_traits>

namespace decoder {

std::string Endpoint::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

void Endpoint::append_to(std::string& out) const {
    const bool v6 = ip.find(':') != std::string::npos;
    if (v6) out += '[';
    out += ip;
    out += v6 ? "]:" : ":";
    char digits[8];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, port).ptr);
}

const char* to_string(Transport t) {
    switch (t) {
        case Transport::Udp: return "udp";
        case Transport::Tcp: return "tcp";
        case Transport::Tls: return "tls";
    }
    return "?";
}

const char* to_string(Side s) { return s == Side::Client ? "client" : "server"; }

const char* to_string(Severity s) {
    switch (s) {
        case Severity::Info: return "info";
        case Severity::Warning: return "warning";
        case Severity::Error: return "error";
    }
    return "?";
}

const char* to_string(CloseHow h) {
    switch (h) {
        case CloseHow::Fin: return "fin";
        case CloseHow::Rst: return "rst";
        case CloseHow::CloseNotify: return "close_notify";
        case CloseHow::Alert: return "alert";
        case CloseHow::Timeout: return "timeout";
        case CloseHow::CaptureEnd: return "capture_end";
    }
    return "?";
}

namespace {

// `v` moved from `from` (n bytes) to the same place in `to`, when it lies within `from`.
std::string_view rebase(std::string_view v, const char* from, std::size_t n, const char* to) {
    const std::less_equal<const char*> le;
    if (v.data() == nullptr || !le(from, v.data()) || !le(v.data() + v.size(), from + n)) return v;
    return {to + (v.data() - from), v.size()};
}

}  // namespace

void SipMessage::keep(std::string_view message, std::string_view unfolded) {
    auto copy = std::make_shared_for_overwrite<char[]>(message.size() + unfolded.size());
    if (!message.empty()) std::memcpy(copy.get(), message.data(), message.size());
    if (!unfolded.empty()) std::memcpy(copy.get() + message.size(), unfolded.data(), unfolded.size());
    // Values are seldom folded: the second look is only for messages with unfolded text.
    const bool any_unfolded = !unfolded.empty();
    const auto move = [&](SipText& v) {
        v = rebase(v, message.data(), message.size(), copy.get());
        if (any_unfolded) v = rebase(v, unfolded.data(), unfolded.size(), copy.get() + message.size());
    };
    for (auto* v : {&method, &reason, &request_uri, &call_id, &cseq, &from, &to, &contact, &user_agent, &server})
        move(*v);
    for (auto& v : via) move(v);
    raw = {copy.get(), message.size()};
    text = std::move(copy);
}

std::string SipMessage::summary() const {
    std::string s;
    append_summary(s);
    return s;
}

void SipMessage::append_summary(std::string& out) const {
    if (is_request) {
        out += method;
        out += ' ';
        out += request_uri;
    } else {
        char code[16];
        const auto end = std::to_chars(code, code + sizeof code, status).ptr;
        out.append(code, end);
        if (!reason.empty()) {
            out += ' ';
            out += reason;
        }
    }
    if (!cseq.empty()) {
        out += " (CSeq ";
        out += cseq;
        out += ')';
    }
}

const char* event_name(const Event& e) {
    return std::visit(
        [](const auto& p) -> const char* {
            using T = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<T, ConnOpen>) return "conn_open";
            else if constexpr (std::is_same_v<T, TlsMessage>) return "tls";
            else if constexpr (std::is_same_v<T, Certificate>) return "certificate";
            else if constexpr (std::is_same_v<T, SipMessage>) return "sip";
            else if constexpr (std::is_same_v<T, TlsAlert>) return "tls_alert";
            else if constexpr (std::is_same_v<T, ConnClose>) return "conn_close";
            else if constexpr (std::is_same_v<T, Finding>) return "finding";
            else return "notice";
        },
        e.payload);
}

std::string format_rfc3339(Micros t) {
    std::string out;
    append_rfc3339(t, out);
    return out;
}

void append_rfc3339(Micros t, std::string& out) {
    char text[kRfc3339MaxChars];
    out.append(text, write_rfc3339(t, text));
}

char* write_rfc3339(Micros t, char* out) {
    // Floor division so times before 1970 still print a valid date.
    std::time_t secs = static_cast<std::time_t>(t / 1'000'000);
    long long micros = t % 1'000'000;
    if (micros < 0) {
        micros += 1'000'000;
        --secs;
    }
    // Events come in bursts within the same second: convert the date once per second.
    thread_local std::time_t cached_secs = -1;
    thread_local char date[80];  // room for any int the compiler can imagine in the fields
    thread_local std::size_t date_length = 0;
    if (secs != cached_secs) {
        std::tm tm{};
        gmtime_r(&secs, &tm);
        std::snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        date_length = std::strlen(date);
        cached_secs = secs;
    }
    static_assert(sizeof date + 7 <= kRfc3339MaxChars);
    std::memcpy(out, date, date_length);
    out += date_length;
    for (int i = 5; i >= 0; --i, micros /= 10) out[i] = static_cast<char>('0' + micros % 10);
    out[6] = 'Z';
    return out + 7;
}

}  // namespace decoder
