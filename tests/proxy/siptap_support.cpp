#include "siptap_support.hpp"

#include <csignal>
#include <filesystem>
#include <regex>
#include <stdexcept>

namespace proxy_test {

// siptap binds port 0 and reports the port it got, so no other process can take a port that
// the test picked in advance between picking and binding.
SiptapProxy::SiptapProxy(const TempDir& dir, const std::string& upstream, const std::string& args)
    : port_(0), events_file_(dir / "events.jsonl") {
    const auto err_file = dir / "siptap_err";
    std::filesystem::remove(err_file);  // an earlier relay's line in the same folder is not ours
    process_ = std::make_unique<Spawned>("exec " + std::string(SIPTAP_BINARY) + " proxy --json --listen 127.0.0.1:0" +
                                         " --upstream " + upstream + " " + args + " > " + events_file_ + " 2> " +
                                         err_file);
    // The whole line: a reader can catch a line half written.
    const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+),[^\n]*\n");
    std::smatch m;
    std::string err;
    wait_until([&] { return std::regex_search(err = read_file(err_file), m, listening); }, 5s);
    if (!m.empty()) port_ = static_cast<std::uint16_t>(std::stoul(m[1]));
    if (port_ == 0 || !wait_listening(port_, 5s)) throw std::runtime_error("siptap did not start listening:\n" + err);
}

std::vector<nlohmann::json> SiptapProxy::wait_closes(std::size_t n, std::chrono::milliseconds timeout) const {
    auto closes = [&] {
        std::size_t count = 0;
        for (const auto& e : events()) count += e["event"] == "conn_close";
        return count;
    };
    wait_until([&] { return closes() >= n; }, timeout);
    return events();
}

void SiptapProxy::stop() {
    process_->kill(SIGTERM);
    process_->wait_exit(10s);
}

Legs find_legs(const std::vector<nlohmann::json>& events, const std::string& listen,
               const std::string& upstream) {
    Legs legs;
    for (const auto& e : events) {
        if (e["event"] != "conn_open") continue;
        if (e["dst"] == listen && legs.client == 0) legs.client = e["conn"];
        if (e["dst"] == upstream && legs.upstream == 0) legs.upstream = e["conn"];
    }
    return legs;
}

std::vector<nlohmann::json> events_of(const std::vector<nlohmann::json>& events, const std::string& type,
                                      std::uint64_t conn) {
    std::vector<nlohmann::json> out;
    for (const auto& e : events)
        if (e["event"] == type && e["conn"] == conn) out.push_back(e);
    return out;
}

std::vector<std::string> leaf_cns(const std::vector<nlohmann::json>& events, std::uint64_t conn,
                                  const std::string& side) {
    std::vector<std::string> out;
    for (const auto& e : events_of(events, "certificate", conn))
        if (e["side"] == side && e["index"] == 0) out.push_back(e["subject_cn"]);
    return out;
}

}  // namespace proxy_test
