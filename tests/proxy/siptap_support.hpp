// `siptap proxy --json` as a child process for the relay tests, and helpers to read its event
// stream: which connection id is the client leg and which the upstream leg, and the events of
// one type on one leg.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "peer_support.hpp"

namespace proxy_test {

class SiptapProxy {
public:
    // Starts `siptap proxy --json --listen 127.0.0.1:<free> --upstream <upstream> <args>` with
    // its events in dir/events.jsonl; throws if it is not listening within 5 s.
    SiptapProxy(const TempDir& dir, const std::string& upstream, const std::string& args);
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::uint16_t port() const { return port_; }
    std::vector<nlohmann::json> events() const { return read_events(events_file_); }
    // Waits (bounded) until `n` conn_close events were written; returns all events.
    std::vector<nlohmann::json> wait_closes(std::size_t n, std::chrono::milliseconds timeout = 10s) const;
    void stop();  // SIGTERM, then waits for the exit (bounded)
    Spawned& process() { return *process_; }  // siptap itself (started with exec)

private:
    std::uint16_t port_;
    std::string events_file_;
    std::unique_ptr<Spawned> process_;
};

struct Legs {
    std::uint64_t client = 0, upstream = 0;
};
// The first connection's legs: the client leg's dst is siptap's listen address, the upstream
// leg's dst is the upstream.
Legs find_legs(const std::vector<nlohmann::json>& events, const std::string& listen,
               const std::string& upstream);

std::vector<nlohmann::json> events_of(const std::vector<nlohmann::json>& events, const std::string& type,
                                      std::uint64_t conn);

// subject_cn of the leaf certificate(s) that `side` presented on `conn`.
std::vector<std::string> leaf_cns(const std::vector<nlohmann::json>& events, std::uint64_t conn,
                                  const std::string& side);

}  // namespace proxy_test
