#include "proxy/relay_server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "proxy/bound_acceptor.hpp"
#include "proxy/busy_poll.hpp"
#include "proxy/cert_forge.hpp"
#include "proxy/crl_server.hpp"
#include "proxy/empty_crl.hpp"
#include "proxy/key_log_writer.hpp"
#include "proxy/pcapng_writer.hpp"
#include "proxy/resumption_cache.hpp"
#include "proxy/privilege_drop.hpp"
#include "proxy/relay_session.hpp"
#include "proxy/tls_contexts.hpp"
#include "proxy/verdict_pool.hpp"

namespace proxy {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// After a failed accept (no descriptor left, say): how long to wait before the next, and how
// often at most to report that accepting fails.
constexpr auto kAcceptPause = std::chrono::milliseconds(50);
constexpr auto kAcceptReportEvery = std::chrono::seconds(1);
constexpr unsigned kVerdictThreads = 8;  // forged client handshakes waiting at once; more queue
// --crl-listen: where each CA's CRL is served.
constexpr const char* kForgeCaCrlPath = "/siptap-forge-ca.crl";
constexpr const char* kThrowawayCaCrlPath = "/siptap-throwaway-ca.crl";

std::unique_ptr<PcapngWriter> open_capture(const RelayConfig& config) {
    if (config.capture_file == config.pcap_file)  // both would write the same file at once
        throw std::runtime_error("--capture " + config.capture_file + ": the same file as --write-pcap");
    return std::make_unique<PcapngWriter>("--capture", config.capture_file);
}

// One I/O thread: its own io_context, which only this thread runs, and every connection given
// to it. A connection's sockets, timers and coroutines all live here, so nothing of one
// connection is handed between threads (no strand, no wake-up of another CPU per record).
struct IoThread {
    asio::io_context ioc{1};  // concurrency hint: one thread runs it, posts from others are locked
    // Any timer makes the io_context open its epoll, eventfd and timerfd now rather than with
    // the thread's first connection: an idle relay holds the same descriptors from the start.
    asio::steady_timer opens_reactor{ioc};
    // Keeps run() going while no connection is open; released when the relay stops.
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
    std::atomic<std::size_t> connections{0};
};
}  // namespace

struct RelayServer::Impl {
    Impl(const RelayConfig& c, decoder::EventBus& bus)
        : config(c), gate(bus), io(make_io_threads(c.threads)), acceptor(first()), drain_timer(first()),
          accept_pause(first()), signals(first()) {}

    static std::vector<std::unique_ptr<IoThread>> make_io_threads(unsigned n) {
        std::vector<std::unique_ptr<IoThread>> out;
        for (unsigned i = 0; i < std::max(1u, n); ++i) out.push_back(std::make_unique<IoThread>());
        return out;
    }
    // Accepts, and handles signals and the drain deadline (besides its share of connections).
    asio::io_context& first() { return io.front()->ioc; }

    // Declared before io: sessions cut off at the drain deadline are destroyed with their
    // io_context and still use these.
    const RelayConfig& config;
    EventGate gate;
    std::unique_ptr<KeyLogWriter> keylog;
    std::unique_ptr<CertForge> forge;
    std::unique_ptr<EmptyCrl> forge_crl, throwaway_crl;
    std::unique_ptr<PcapngWriter> pcap, capture;
    std::unique_ptr<asio::ssl::context> client_ctx, upstream_ctx;
    std::unique_ptr<ResumptionCache> resumption;
    std::unique_ptr<RelayShared> shared;
    std::vector<std::unique_ptr<IoThread>> io;
    tcp::acceptor acceptor;
    asio::steady_timer drain_timer, accept_pause;
    asio::signal_set signals;
    std::unique_ptr<CrlServer> crl;  // --crl-listen; on the first thread
    std::string crl_url;
    // Declared after io, so destroyed first: its waiting callbacks are woken while the
    // io_contexts they post to exist.
    std::unique_ptr<VerdictPool> verdicts;
    std::atomic<std::size_t> active{0};
    std::atomic<bool> stopping{false};
    std::size_t next_io = 0;  // on the first thread: where the least-loaded search starts
    RelayStats stats;  // on the first thread
    std::uint64_t accept_failures = 0;  // since the last report; on the first thread
    std::chrono::steady_clock::time_point accept_reported;
    decoder::Endpoint listen_ep;  // for notices about the relay itself
    std::function<void(std::uint16_t)> listening;

    void setup();
    void setup_crl();
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> accept_failed(const boost::system::error_code& ec);
    void report_run_notice(std::string text);
    void session_failed(std::exception_ptr e, const tcp::endpoint& peer);
    IoThread& least_loaded();
    void begin_stop();
    void session_ended(IoThread& thread);
    void stop_all();
};

void RelayServer::Impl::setup() {
    std::optional<RunAs> run_as;  // looked up first: an unknown name fails before anything is opened
    if (!config.run_as_user.empty()) run_as = find_user(config.run_as_user);
    if (!config.keylog_file.empty()) keylog = std::make_unique<KeyLogWriter>(config.keylog_file);
    if (!config.pcap_file.empty()) pcap = std::make_unique<PcapngWriter>("--write-pcap", config.pcap_file);
    if (!config.capture_file.empty()) capture = open_capture(config);
    // The I/O threads may decode while they poll (see event_gate.hpp), unless decoding writes a
    // pcap file, whose writes may block.
    gate.allow_helpers(!pcap && !capture);
    if (!config.plain) {
        if (!config.forge_ca.empty()) {
            forge = std::make_unique<CertForge>(config.forge_ca, config.trust_file);
        } else if (config.client_facing.empty()) {
            throw std::runtime_error("--cert/--key, --p12 or --forge-ca/--forge-ca-key is required: the "
                                     "certificate siptap presents to the client (or use --plain)");
        }
        std::optional<Identity> client_id, upstream_id;
        if (!forge) client_id = load_identity(config.client_facing);
        if (!forge && !config.upstream_facing.empty()) upstream_id = load_identity(config.upstream_facing);
        client_ctx = make_client_facing_context(client_id ? &*client_id : nullptr, keylog.get());
        upstream_ctx = make_upstream_context(upstream_id ? &*upstream_id : nullptr, keylog.get());
        resumption = std::make_unique<ResumptionCache>(kResumptionCapacity, kResumptionLifetime);
    }
    if (!config.crl_listen.host.empty()) setup_crl();
    shared = std::make_unique<RelayShared>(
        RelayShared{config, gate, client_ctx.get(), upstream_ctx.get(), forge.get(), pcap.get(), {}, capture.get(),
                    nullptr, keylog.get(), resumption.get()});
    if (forge) shared->verdicts = (verdicts = std::make_unique<VerdictPool>(kVerdictThreads)).get();
    tcp::resolver resolver(first());
    boost::system::error_code ec;
    for (const auto& r : resolver.resolve(config.upstream.host, std::to_string(config.upstream.port), ec))
        shared->upstream.push_back(r.endpoint());
    if (ec || shared->upstream.empty())
        throw std::runtime_error("--upstream " + config.upstream.host + ": cannot resolve (" + ec.message() + ")");
    const auto address = asio::ip::make_address(config.listen.host, ec);
    if (ec) throw std::runtime_error("--listen " + config.listen.host + ": not an IP address");
    const tcp::endpoint ep(address, config.listen.port);
    bind_acceptor(acceptor, ep, "--listen " + ep.address().to_string() + ":" + std::to_string(ep.port()));
    // Files are open, keys loaded, port bound: root is no longer needed. Dropped before
    // listen(), so that no client is ever taken (into the backlog) by a root process.
    if (run_as) drop_privileges(*run_as);
    acceptor.listen();
    listen_ep = {ep.address().to_string(), acceptor.local_endpoint().port()};
}

// Bound with the relay's port, before privileges are dropped (port 80 needs root).
void RelayServer::Impl::setup_crl() {
    if (!forge)
        throw std::runtime_error("--crl-listen needs --forge-ca: only forged certificates name its CRL");
    try {
        forge_crl = std::make_unique<EmptyCrl>(forge->forge_ca());
    } catch (const std::exception& e) {
        throw std::runtime_error("--crl-listen: --forge-ca " + config.forge_ca.cert + ": " + e.what());
    }
    throwaway_crl = std::make_unique<EmptyCrl>(forge->untrusted_ca());
    crl = std::make_unique<CrlServer>(first(), config.crl_listen);
    crl_url = crl->serve(kForgeCaCrlPath, *forge_crl);
    forge->set_crl_urls(crl_url, crl->serve(kThrowawayCaCrlPath, *throwaway_crl));
}

asio::awaitable<void> RelayServer::Impl::accept_loop() {
    if (listening) listening(acceptor.local_endpoint().port());
    while (!stopping) {
        IoThread& thread = least_loaded();
        const asio::any_io_executor ex = thread.ioc.get_executor();
        tcp::endpoint peer;  // from accept() itself: still known when the client has reset already
        // The socket is the chosen thread's from the start: its reactor registration too.
        auto [ec, socket] = co_await acceptor.async_accept(ex, peer, kTuple);
        if (ec == asio::error::operation_aborted || stopping) break;
        if (ec) {
            co_await accept_failed(ec);
            continue;
        }
        if (active >= config.max_connections) {
            ++stats.refused_over_limit;
            boost::system::error_code ignore;
            socket.close(ignore);
            continue;
        }
        ++stats.accepted;
        ++active;
        ++thread.connections;
        asio::co_spawn(ex, run_session(std::move(socket), peer, *shared), [this, &thread, peer](std::exception_ptr e) {
            if (e) session_failed(e, peer);  // before its legs existed: no connection to tell
            session_ended(thread);
        });
    }
}

// A client that reset before accept() is its own loss: the next is accepted at once. Anything
// else (EMFILE, ENFILE, ENOBUFS, ENOMEM) would fail again at once, spinning a CPU: wait a little
// before the next accept, and say so at most once a second. Open relays go on meanwhile; new
// clients wait in the listen backlog and are accepted once descriptors are free again.
asio::awaitable<void> RelayServer::Impl::accept_failed(const boost::system::error_code& ec) {
    if (ec == asio::error::connection_aborted || ec == asio::error::connection_reset) co_return;
    ++accept_failures;
    const auto now = std::chrono::steady_clock::now();
    if (now - accept_reported >= kAcceptReportEvery) {  // the first: the clock started at boot
        report_run_notice("cannot accept connections: " + ec.message() + " (" + std::to_string(accept_failures) +
                          " failed accept(s) since the last report); open relays go on, new clients wait");
        accept_failures = 0;
        accept_reported = now;
    }
    accept_pause.expires_after(kAcceptPause);
    co_await accept_pause.async_wait(kTuple);
}

// A relay-error notice about the relay itself (conn 0), addressed to the listening socket.
// Any thread.
void RelayServer::Impl::report_run_notice(std::string text) {
    decoder::Event e;
    e.ts = EventGate::now();
    e.dst = listen_ep;
    e.payload = decoder::Notice{"relay-error", std::move(text)};
    gate.post([this, e = std::move(e)]() mutable { gate.bus().emit(std::move(e)); });
}

void RelayServer::Impl::session_failed(std::exception_ptr e, const tcp::endpoint& peer) {
    std::string what = "an exception of unknown type";
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        what = x.what();
    } catch (...) {
    }
    report_run_notice("internal error in the relay of the connection from " + peer.address().to_string() + ":" +
                      std::to_string(peer.port()) + " (" + what + "); it was closed, the relay goes on");
}

// Long-lived SIP connections end unevenly, so round-robin alone would let one thread carry
// most of them; ties go round, so that a burst of new connections is spread too.
IoThread& RelayServer::Impl::least_loaded() {
    IoThread* best = nullptr;
    for (std::size_t i = 0; i < io.size(); ++i) {
        IoThread& t = *io[(next_io + i) % io.size()];
        if (!best || t.connections < best->connections) best = &t;
    }
    next_io = (next_io + 1) % io.size();
    return *best;
}

// On the session's own thread.
void RelayServer::Impl::session_ended(IoThread& thread) {
    --thread.connections;
    if (--active == 0 && stopping) asio::post(first(), [this] { drain_timer.cancel(); });
}

void RelayServer::Impl::stop_all() {
    for (auto& t : io) t->ioc.stop();
}

// On the first thread.
void RelayServer::Impl::begin_stop() {
    if (stopping.exchange(true)) return;
    boost::system::error_code ec;
    acceptor.close(ec);
    accept_pause.cancel();
    signals.cancel(ec);
    if (crl) crl->stop();
    // Each thread now ends once its connections have; the first also waits for the timer.
    // (No accept is half done: accept_loop runs on this thread and sees `stopping`.)
    for (auto& t : io) t->work.reset();
    if (active == 0) return;
    drain_timer.expires_after(config.drain_timeout);
    drain_timer.async_wait([this](boost::system::error_code) {
        if (active > 0) stop_all();  // the rest is cut off; their legs report a timeout
    });
}

RelayServer::RelayServer(const RelayConfig& config, decoder::EventBus& bus)
    : impl_(std::make_unique<Impl>(config, bus)) {
    impl_->setup();
}

RelayServer::~RelayServer() = default;

std::uint16_t RelayServer::listen_port() const {
    boost::system::error_code ec;
    return impl_->acceptor.local_endpoint(ec).port();
}

void RelayServer::on_listening(std::function<void(std::uint16_t)> callback) {
    impl_->listening = std::move(callback);
}

std::string RelayServer::crl_url() const { return impl_->crl_url; }

std::vector<std::string> RelayServer::write_failures() const {
    std::vector<std::string> out;
    for (const EvidenceFile* f : {impl_->keylog ? &impl_->keylog->file() : nullptr,
                                  impl_->pcap ? &impl_->pcap->file() : nullptr,
                                  impl_->capture ? &impl_->capture->file() : nullptr})
        if (f && f->failed()) out.push_back(f->failure());
    return out;
}

RelayStats RelayServer::run(bool handle_signals) {
    auto& im = *impl_;
    if (handle_signals) {
        im.signals.add(SIGINT);
        im.signals.add(SIGTERM);
        im.signals.async_wait([&im](boost::system::error_code ec, int) {
            if (!ec) im.begin_stop();
        });
    }
    asio::co_spawn(im.first(), im.accept_loop(), asio::detached);
    if (im.crl) im.crl->start();
    // Every context on a thread of its own, named for top -H and the benchmarks' per-thread CPU.
    std::mutex failed_mutex;
    std::exception_ptr failed;  // rethrown here, on the caller's thread
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < im.io.size(); ++i) {
        threads.emplace_back([&im, &failed_mutex, &failed, i] {
            pthread_setname_np(pthread_self(), ("siptap-io" + std::to_string(i)).c_str());
            try {
                run_busy_polling(im.io[i]->ioc, im.config.busy_poll, [&im] { return im.gate.help(); });
            } catch (...) {
                std::lock_guard lock(failed_mutex);
                if (!failed) failed = std::current_exception();
                im.stop_all();
            }
        });
    }
    for (auto& t : threads) t.join();
    if (failed) std::rethrow_exception(failed);
    im.gate.drain();  // the caller ends the bus next: every event decoded so far must be out
    return im.stats;
}

void RelayServer::stop() {
    asio::post(impl_->first(), [this] { impl_->begin_stop(); });
}

}  // namespace proxy
