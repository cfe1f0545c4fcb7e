#include "siptap_support.hpp"

#include <csignal>
#include <stdexcept>

namespace proxy_test {

SiptapProxy::SiptapProxy(const TempDir& dir, const std::string& upstream, const std::string& args)
    : port_(free_port()), events_file_(dir / "events.jsonl") {
    process_ = std::make_unique<Spawned>("exec " + std::string(SIPTAP_BINARY) + " proxy --json --listen " +
                                         address() + " --upstream " + upstream + " " + args + " > " +
                                         events_file_ + " 2> " + dir / "siptap_err");
    if (!wait_listening(port_, 5s))
        throw std::runtime_error("siptap did not start listening:\n" + read_file(dir / "siptap_err"));
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
