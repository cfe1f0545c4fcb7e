// One relayed connection: the accepted client socket, the connection to the upstream (the
// only place siptap ever connects to), both legs' decoders, handshakes, the two pumps, and
// the watchdog that enforces the handshake and idle timeouts. Runs on the client socket's
// executor: one I/O thread's io_context, which no other thread runs.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <vector>

#include "proxy/event_gate.hpp"
#include "proxy/relay_config.hpp"

namespace proxy {

class CertForge;
class KeyLogWriter;
class PcapngWriter;
class ResumptionCache;
class VerdictPool;

struct RelayShared {
    const RelayConfig& config;
    EventGate& gate;
    boost::asio::ssl::context* client_facing = nullptr;  // null with --plain
    boost::asio::ssl::context* upstream_facing = nullptr;
    CertForge* forge = nullptr;  // --forge-ca: forged certificates on both legs
    PcapngWriter* pcap = nullptr;  // --write-pcap
    std::vector<boost::asio::ip::tcp::endpoint> upstream;  // resolved once at startup
    PcapngWriter* capture = nullptr;  // --capture
    VerdictPool* verdicts = nullptr;  // with forge: where the client's handshake may wait
    KeyLogWriter* keylog = nullptr;  // --keylog: a failed write is reported on the TLS legs
    ResumptionCache* resumption = nullptr;  // TLS: upstream sessions to resume (resumption_mirror.hpp)
};

// `client_ep` comes from accept(): a client that reset at once has no remote_endpoint() any more.
boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket client, boost::asio::ip::tcp::endpoint client_ep,
                                         RelayShared& shared);

}  // namespace proxy
