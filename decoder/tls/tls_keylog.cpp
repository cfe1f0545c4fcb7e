// NSS key log parsing; see tls_keylog.hpp.
#include "decoder/tls/tls_keylog.hpp"

#include <fstream>
#include <optional>
#include <sstream>

namespace decoder {

namespace {

constexpr std::size_t kRandomBytes = 32;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<SecretBytes> from_hex(std::string_view hex) {
    if (hex.size() % 2) return std::nullopt;
    SecretBytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<std::byte>(hi << 4 | lo);
    }
    return out;
}

// Splits on runs of spaces/tabs; at most 4 fields (a 4th means "too many").
std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size() && out.size() < 4) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i == line.size()) break;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        out.push_back(line.substr(start, i - start));
    }
    return out;
}

// Which slot of SessionSecrets a label fills; nullptr for labels we ignore.
SecretBytes* slot_for(std::string_view label, SessionSecrets& s) {
    if (label == "CLIENT_RANDOM") return &s.master_secret;
    if (label == "CLIENT_HANDSHAKE_TRAFFIC_SECRET") return &s.client_handshake;
    if (label == "SERVER_HANDSHAKE_TRAFFIC_SECRET") return &s.server_handshake;
    if (label == "CLIENT_TRAFFIC_SECRET_0") return &s.client_traffic_0;
    if (label == "SERVER_TRAFFIC_SECRET_0") return &s.server_traffic_0;
    return nullptr;
}

bool is_label(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::string key_of(std::span<const std::byte> random) {
    return std::string(reinterpret_cast<const char*>(random.data()), random.size());
}

std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return s.size() > 40 ? out + "..." : out;
}

// Why a line is malformed, or empty when it is fine (then `label` etc. are filled).
std::string check_line(const std::vector<std::string_view>& f, SecretBytes& random, SecretBytes& secret) {
    if (!is_label(f[0])) return "not a key log line (\"" + printable(f[0]) + "\")";
    if (f.size() != 3)
        return std::string(f[0]) + " line has " + (f.size() > 3 ? "more than 3" : std::to_string(f.size())) +
               " fields, expected 3 (label, client random, secret)";
    auto r = from_hex(f[1]);
    if (!r || r->size() != kRandomBytes)
        return std::string(f[0]) + ": client random must be 64 hex digits, got \"" + printable(f[1]) + "\"";
    auto s = from_hex(f[2]);
    if (!s) return std::string(f[0]) + ": secret is not hex (\"" + printable(f[2]) + "\")";
    const bool tls12 = f[0] == "CLIENT_RANDOM";
    if (tls12 && s->size() != 48)
        return "CLIENT_RANDOM: master secret must be 48 bytes (96 hex digits), got " +
               std::to_string(s->size()) + " bytes";
    if (!tls12 && s->size() != 32 && s->size() != 48 && s->size() != 64)
        return std::string(f[0]) + ": secret must be 32, 48 or 64 bytes, got " + std::to_string(s->size());
    random = std::move(*r);
    secret = std::move(*s);
    return {};
}

}  // namespace

void KeyLog::add_text(std::string_view text, const std::string& source, std::vector<std::string>& problems) {
    std::size_t reported = 0, unreported = 0;
    auto problem = [&](std::string message) {
        if (reported < kMaxKeyLogMessages) {
            problems.push_back(std::move(message));
            ++reported;
        } else {
            ++unreported;
        }
    };
    if (text.size() > kMaxKeyLogBytes) {
        problem(source + ": key log larger than " + std::to_string(kMaxKeyLogBytes >> 20) +
                " MiB; only the first " + std::to_string(kMaxKeyLogBytes >> 20) + " MiB are read");
        text = text.substr(0, kMaxKeyLogBytes);
    }
    std::size_t line_no = 0;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto f = fields_of(line);
        if (f.empty() || f[0].front() == '#') continue;
        SessionSecrets probe;
        if (f.size() == 3 && is_label(f[0]) && !slot_for(f[0], probe)) {
            ++ignored_lines_;  // EXPORTER_SECRET, RSA (pre-master secret), early secrets, ...
            continue;
        }
        SecretBytes random, secret;
        if (auto why = check_line(f, random, secret); !why.empty()) {
            problem(source + ":" + std::to_string(line_no) + ": " + why);
            continue;
        }
        auto it = sessions_.find(key_of(random));
        if (it == sessions_.end()) {
            if (sessions_.size() >= kMaxSessions) {
                problem(source + ":" + std::to_string(line_no) + ": more than " + std::to_string(kMaxSessions) +
                        " sessions; the rest of the key log is ignored");
                break;
            }
            it = sessions_.emplace(key_of(random), SessionSecrets{}).first;
        }
        SecretBytes& slot = *slot_for(f[0], it->second);
        if (slot.empty()) (f[0] == "CLIENT_RANDOM" ? master_secrets_ : tls13_secrets_) += 1;
        slot = std::move(secret);
    }
    if (unreported) problems.push_back(source + ": " + std::to_string(unreported) + " more malformed lines");
}

bool KeyLog::add_file(const std::string& path, std::vector<std::string>& problems) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problems.push_back(path + ": cannot open key log");
        return false;
    }
    std::string text(kMaxKeyLogBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) {
        problems.push_back(path + ": error reading key log");
        return false;
    }
    add_text(text, path, problems);
    return true;
}

const SessionSecrets* KeyLog::find(std::span<const std::byte> client_random) const {
    if (client_random.size() != kRandomBytes) return nullptr;
    auto it = sessions_.find(std::string(reinterpret_cast<const char*>(client_random.data()), kRandomBytes));
    return it == sessions_.end() ? nullptr : &it->second;
}

std::string KeyLog::summary() const {
    std::size_t tls13 = 0;
    for (const auto& [random, s] : sessions_)
        if (!s.client_traffic_0.empty() || !s.server_traffic_0.empty() || !s.client_handshake.empty() ||
            !s.server_handshake.empty())
            ++tls13;
    std::ostringstream out;
    out << sessions_.size() << (sessions_.size() == 1 ? " session" : " sessions") << " ("
        << master_secrets_ << " TLS 1.2 master secret" << (master_secrets_ == 1 ? "" : "s") << ", " << tls13
        << " TLS 1.3 with " << tls13_secrets_ << " traffic secret" << (tls13_secrets_ == 1 ? "" : "s") << ")";
    if (ignored_lines_)
        out << ", " << ignored_lines_ << " line" << (ignored_lines_ == 1 ? "" : "s")
            << " ignored (not traffic secrets)";
    return out.str();
}

namespace {

// Bounded like the key log itself: a capture full of sessions cannot grow it without end.
void put(std::unordered_map<std::string, SecretBytes>& map, std::span<const std::byte> id, const SecretBytes& master) {
    if (id.empty() || master.empty() || map.size() >= kMaxSessions) return;
    map[key_of(id)] = master;
}

const SecretBytes* get(const std::unordered_map<std::string, SecretBytes>& map, std::span<const std::byte> id) {
    if (id.empty()) return nullptr;
    auto it = map.find(key_of(id));
    return it == map.end() ? nullptr : &it->second;
}

}  // namespace

void KeyLog::remember_session(std::span<const std::byte> id, const SecretBytes& master) const {
    put(by_session_id_, id, master);
}

void KeyLog::remember_ticket(std::span<const std::byte> ticket, const SecretBytes& master) const {
    put(by_ticket_, ticket, master);
}

const SecretBytes* KeyLog::resumed_session(std::span<const std::byte> id) const { return get(by_session_id_, id); }

const SecretBytes* KeyLog::resumed_ticket(std::span<const std::byte> ticket) const { return get(by_ticket_, ticket); }

}  // namespace decoder
