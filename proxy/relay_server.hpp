// The relay as a whole: resolves the upstream once, listens, accepts connections up to the
// configured maximum and gives each to the I/O thread with the fewest (one io_context per
// thread: a connection never changes threads); on SIGINT/SIGTERM stops accepting and lets open
// relays drain up to the deadline. run() returns when everything has ended.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy/event_gate.hpp"
#include "proxy/relay_config.hpp"

namespace proxy {

class KeyLogWriter;

struct RelayStats {
    std::uint64_t accepted = 0, refused_over_limit = 0;
};

class RelayServer {
public:
    // Throws at startup (bad address, certificate files, upstream that does not resolve,
    // port in use) with a message naming what is wrong.
    RelayServer(const RelayConfig& config, decoder::EventBus& bus);
    ~RelayServer();

    // The port actually listened on (useful with port 0).
    std::uint16_t listen_port() const;
    // --crl-listen: the URL forged certificates name for the forge CA's CRL; empty without it.
    std::string crl_url() const;
    // Called once listening (tests wait for it); from the first I/O thread.
    void on_listening(std::function<void(std::uint16_t)> callback);
    // Blocks while config.threads threads (named siptap-io0, ...) relay; handles SIGINT/SIGTERM
    // when `handle_signals`. Returns the statistics; rethrows what escaped an I/O thread.
    RelayStats run(bool handle_signals = true);
    // Thread-safe: as if SIGTERM had arrived.
    void stop();
    // One line per evidence file (--keylog, --write-pcap, --capture) that could not be written
    // completely, naming it and why; empty when all were. Thread-safe.
    std::vector<std::string> write_failures() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace proxy
