// `siptap proxy`: the live TLS (or plain TCP) man-in-the-middle relay between a SIP client
// such as Exchange UM and its server such as Lync, annotated in real time.
#include <chrono>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "proxy/cert_forge.hpp"
#include "proxy/mirroring_explain.hpp"
#include "proxy/relay_server.hpp"

namespace cli {

namespace {

struct ProxyOptions {
    std::string listen, upstream, crl_listen;
    proxy::RelayConfig config;
    double handshake_timeout_s = 10, idle_timeout_s = 600, drain_timeout_s = 5;
    unsigned busy_poll_us = 500;
    OutputOptions output;
};

std::chrono::milliseconds millis(double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

int run_proxy(ProxyOptions& o) {
    auto& c = o.config;
    try {
        c.listen = proxy::parse_host_port(o.listen, proxy::PortZero::AnyFreePort);
        c.upstream = proxy::parse_host_port(o.upstream);
    } catch (const std::invalid_argument& e) {
        std::cerr << "siptap proxy: " << e.what() << '\n';
        return kExitUsage;
    }
    try {
        if (!o.crl_listen.empty()) c.crl_listen = proxy::parse_host_port(o.crl_listen, proxy::PortZero::AnyFreePort);
    } catch (const std::invalid_argument& e) {
        std::cerr << "siptap proxy: --crl-listen " << e.what() << '\n';
        return kExitUsage;
    }
    c.handshake_timeout = millis(o.handshake_timeout_s);
    c.idle_timeout = millis(o.idle_timeout_s);
    c.drain_timeout = millis(o.drain_timeout_s);
    c.busy_poll = std::chrono::microseconds(o.busy_poll_us);
    Pipeline pipeline(o.output);
    proxy::RelayServer server(c, pipeline.bus());  // throws on bad files/addresses: exit 2
    for (const auto& failure : server.write_failures())  // e.g. a pcapng header on a full disk
        std::cerr << "siptap proxy: " << failure << "; relaying anyway, the exit status will be 2\n";
    // One write: std::cerr is unbuffered, and scripts (and the tests) read this line for the port.
    server.on_listening([&](std::uint16_t port) {
        std::ostringstream line;
        line << "siptap proxy: listening on " << c.listen.host << ':' << port << ", relaying to " << c.upstream.host
             << ':' << c.upstream.port << (c.plain ? " (plain TCP)" : " (TLS)");
        if (!c.plain && !c.forge_ca.empty())
            line << "; forged certificates chain to the forge CA when the original chains to "
                 << proxy::trust_roots_description(c.trust_file);
        if (const std::string url = server.crl_url(); !url.empty())
            line << "; forgeries of certificates that name a CRL distribution point name " << url;
        line << '\n';
        std::cerr << line.str() << std::flush;
    });
    const auto stats = server.run();
    std::cerr << "siptap proxy: stopped; " << stats.accepted << " connection(s) relayed";
    if (stats.refused_over_limit) std::cerr << ", " << stats.refused_over_limit << " refused over --max-connections";
    std::cerr << '\n';
    const int status = pipeline.finish();
    // Evidence that is silently incomplete is worse than none: a failed write is an input/output
    // error of the run (exit 2), also when everything else went well.
    const auto failures = server.write_failures();
    for (const auto& failure : failures) std::cerr << "siptap proxy: " << failure << "; the file is incomplete\n";
    return failures.empty() ? status : kExitUsage;
}

}  // namespace

Runner add_proxy_command(CLI::App& app) {
    auto o = std::make_shared<ProxyOptions>();
    auto* cmd = app.add_subcommand("proxy", "TLS (or plain TCP) relay between a SIP client and its server, "
                                            "showing both legs' handshakes, certificates, SIP and teardowns");
    auto& c = o->config;
    cmd->add_option("--listen", o->listen, "ADDR:PORT to accept connections on ([::]:5061 for IPv6; port 0: any free port, named on the start-up line)")->required();
    cmd->add_option("--upstream", o->upstream, "HOST:PORT of the real server; the only place siptap connects to")
        ->required();
    cmd->add_flag("--plain", c.plain, "Plain TCP on both legs (SIP over TCP), no TLS");
    cmd->add_option("--cert", c.client_facing.cert, "PEM certificate (+chain) presented to the client");
    cmd->add_option("--key", c.client_facing.key, "PEM private key of --cert");
    cmd->add_option("--p12", c.client_facing.p12, "PKCS#12 presented to the client (password: env SIPTAP_P12_PASSWORD)");
    cmd->add_option("--upstream-cert", c.upstream_facing.cert, "PEM client certificate presented to the upstream");
    cmd->add_option("--upstream-key", c.upstream_facing.key, "PEM private key of --upstream-cert");
    cmd->add_option("--upstream-p12", c.upstream_facing.p12, "PKCS#12 presented to the upstream");
    cmd->add_option("--forge-ca", c.forge_ca.cert,
                    "PEM CA certificate: forge each peer's certificate (subject, SANs, validity) signed by it, "
                    "towards the other peer (replaces --cert and --upstream-cert)");
    cmd->add_option("--forge-ca-key", c.forge_ca.key, "PEM private key of --forge-ca");
    cmd->add_option("--trust", c.trust_file,
                    "PEM roots an original certificate must chain to for its forgery to be signed by --forge-ca "
                    "(others get an untrusted throwaway CA); default: the system store");
    cmd->add_option("--crl-listen", o->crl_listen,
                    "ADDR:PORT to serve, over plain HTTP, an empty CRL signed by the forging CA; forgeries of "
                    "certificates that name a CRL distribution point name this server's URL instead (needs "
                    "--forge-ca; port 0: any free port; the start-up line names the URL)");
    // Runs while parsing, like --help: it needs no other option and starts no relay.
    cmd->add_flag_callback(
           "--explain-mirroring",
           [] {
               std::cout << proxy::explain_mirroring() << std::flush;
               throw CLI::Success();
           },
           "Print what the relay copies from each peer onto the other leg and what it cannot, then exit")
        ->trigger_on_parse();
    cmd->add_option("--keylog", c.keylog_file, "Write an NSS key log of both legs (mode 0600)");
    cmd->add_option("--write-pcap", c.pcap_file,
                    "Write the decrypted traffic of both legs as pcapng with synthetic TCP/IP headers (mode 0600)");
    cmd->add_option("--capture", c.capture_file,
                    "Write both legs as they were on the wire (TLS records, SYN/FIN/RST) as pcapng with the TLS "
                    "secrets embedded, so Wireshark and `siptap read` decrypt it without a key file (mode 0600)");
    cmd->add_option("--handshake-timeout", o->handshake_timeout_s, "Seconds allowed for both handshakes")
        ->capture_default_str();
    cmd->add_option("--idle-timeout", o->idle_timeout_s, "Seconds without traffic before a relay is closed")
        ->capture_default_str();
    cmd->add_option("--drain-timeout", o->drain_timeout_s, "Seconds open relays may drain after SIGINT/SIGTERM")
        ->capture_default_str();
    cmd->add_option("--max-connections", c.max_connections, "Relays open at once; more are refused")
        ->capture_default_str();
    cmd->add_option("--threads", c.threads, "I/O threads")->capture_default_str();
    cmd->add_option("--busy-poll", o->busy_poll_us,
                    "Longest an I/O thread polls, in microseconds, after traffic before it sleeps; it polls only "
                    "while the peers answer that fast, saving a CPU wake-up per hop, and not through a stream from one "
                    "side, which it takes in naps of at most that long (1 ms at most) (0: never poll)")
        ->capture_default_str()
        ->check(CLI::Range(0u, 100'000u));
    cmd->add_option("--user", c.run_as_user,
                    "Started as root: switch to this account (groups, group and user) once the port is bound, "
                    "the output files are open and the keys are loaded; siptap refuses to run if that fails");
    add_output_options(*cmd, o->output);
    return [o] { return run_proxy(*o); };
}

}  // namespace cli
