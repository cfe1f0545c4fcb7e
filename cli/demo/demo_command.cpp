// `siptap demo [--um-cert good|wildcard|san-only|expired|untrusted]`: runs the Exchange UM to
// Lync mutual-TLS handshake on 127.0.0.1 through siptap's own relay, with a throwaway PKI, and
// narrates each step in plain language. With no option: good, then wildcard, then the
// difference. Exit code 1 when a run ends with error findings.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/demo/demo_lessons.hpp"
#include "cli/demo/demo_tls.hpp"
#include "decoder/analysis/diagnoser.hpp"
#include "decoder/model/event_bus.hpp"

#ifdef SIPTAP_HAVE_PROXY
#include "proxy/relay_server.hpp"
#endif

namespace cli {

namespace {

using namespace std::chrono_literals;

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

std::string date_of(decoder::Micros us) { return decoder::format_rfc3339(us).substr(0, 10); }

// What one run showed, for the comparison at the end.
struct RunOutcome {
    std::string um_subject, um_san;
    std::string lync_verdict;  // "answered 200 OK", "closed the connection without a word ...", ...
    std::vector<std::string> error_codes;
    int errors = 0;
};

// Turns the relay's events into plain sentences, each step once: what UM sends and sees on the
// client leg (UM <-> siptap), what Lync sends and sees on the upstream leg (siptap <-> Lync).
class Narrator : public decoder::EventSink {
public:
    Narrator(std::ostream& out, std::uint16_t lync_port) : out_(out), lync_port_(lync_port) {}

    void on_event(const decoder::Event& e) override {
        if (const auto* f = e.as<decoder::Finding>()) return finding(*f, e.conn != 0 && upstream_conn(e));
        const bool up = e.conn != 0 && upstream_conn(e);
        if (e.as<decoder::ConnOpen>()) {
            if (!up) um_ = e.src;
            if (up)
                say(2, "siptap opens its own TCP connection to Lync (" + e.dst.to_string() +
                    ") and will relay every byte between the two");
            else
                say(0, "Exchange UM (" + e.src.to_string() + ") opens a TCP connection to Lync through siptap (" +
                    e.dst.to_string() + ")");
        } else if (const auto* t = e.as<decoder::TlsMessage>()) {
            tls(e, *t, up);
        } else if (const auto* c = e.as<decoder::Certificate>()) {
            certificate(*c, up);
        } else if (const auto* s = e.as<decoder::SipMessage>()) {
            sip(e, *s, up);
        } else if (const auto* a = e.as<decoder::TlsAlert>()) {
            alert(e, *a, up);
        } else if (const auto* cl = e.as<decoder::ConnClose>()) {
            close(*cl, up);
        } else if (const auto* n = e.as<decoder::Notice>()) {
            say("(note: " + n->message + ")");
        }
    }

    // The narration, steps in teaching order: the handshake steps of both legs in a fixed
    // order (the relay finishes Lync's handshake before UM's), everything after it as it came.
    void print() {
        std::stable_sort(lines_.begin(), lines_.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        int step = 0;
        for (const auto& [rank, line] : lines_) out_ << "  " << ++step << ". " << line << '\n';
        out_ << std::flush;
        lines_.clear();
    }

    // Blocks (bounded) until both legs have closed.
    void wait_closed(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [&] { return closes_ >= 2; });
    }

    RunOutcome outcome;

private:
    bool upstream_conn(const decoder::Event& e) {
        auto it = upstream_.find(e.conn);
        if (it == upstream_.end()) {
            // conn_* events run client -> server; others may run either way
            const bool up = e.dst.port == lync_port_ || e.src.port == lync_port_;
            it = upstream_.emplace(e.conn, up).first;
        }
        return it->second;
    }

    void say(int rank, const std::string& line) { lines_.emplace_back(rank, line); }
    void say(const std::string& line) { say(10, line); }

    void tls(const decoder::Event& e, const decoder::TlsMessage& t, bool up) {
        const std::string once = (up ? "u:" : "c:") + t.type + (e.dst.port == lync_port_ ? ">" : "<");
        if (!seen_.insert(once).second) return;
        if (t.type == "client_hello" && !up) {
            std::vector<std::string> versions = t.supported_versions;
            if (versions.empty()) versions.push_back(t.version);
            say(1, "ClientHello: UM offers " + join(versions, "/") + ", asks for " + t.sni.value_or("(no SNI)") +
                " — the name of the Lync server it wants");
        } else if (t.type == "server_hello" && up) {
            say(3, "ServerHello: Lync picks " + t.version + (t.cipher ? " with " + *t.cipher : std::string()));
        } else if (t.type == "certificate_request" && up) {
            say(5, "Lync asks UM for a certificate (mutual TLS) and names the CAs it trusts: " +
                (t.ca_names.empty() ? std::string("(none listed)") : join(t.ca_names, "; ")));
        } else if (t.type == "certificate" && up && t.certificate_count && *t.certificate_count == 0 &&
                   e.dst.port == lync_port_) {
            say("UM sends an empty Certificate message: it has no certificate for Lync");
        } else if (t.type == "finished" && up && e.dst.port == lync_port_) {
            say("UM finishes its side of the TLS handshake with Lync");
        }
    }

    void certificate(const decoder::Certificate& c, bool up) {
        if (c.index != 0) return;
        if (c.side == decoder::Side::Server && up) {
            say(4, "Lync presents its certificate CN=" + c.subject_cn + " (SAN " + join(c.san) + "), issued by " +
                c.issuer + "; UM checks it chains to a root it trusts");
        } else if (c.side == decoder::Side::Server && !up) {
            say(6, "siptap shows UM a copy of Lync's certificate (CN=" + c.subject_cn + ", issued by " + c.issuer +
                ") — the relay is transparent");
        } else if (c.side == decoder::Side::Client && !up) {
            outcome.um_subject = "CN=" + c.subject_cn;
            outcome.um_san = join(c.san);
            say(7, "UM presents CN=" + c.subject_cn + " (SAN " + join(c.san) + "), issued by " + c.issuer +
                ", valid " + date_of(c.not_before) + " to " + date_of(c.not_after));
        } else {
            std::string verdict;
            if (c.wildcard_cn)
                verdict = "a wildcard CN never equals a server FQDN, and the SAN does not count: Lync will refuse it";
            else if (c.subject_cn == demo::kUmFqdn)
                verdict = "they match";
            else
                verdict = "they differ, and the SAN does not count: Lync will refuse it";
            say(8, "siptap passes UM's certificate on to Lync (CN=" + c.subject_cn + ", issued by " + c.issuer +
                ")" +
                (c.issuer.find("untrusted") != std::string::npos
                     ? std::string(" — UM's original does not chain to the Contoso root, so siptap signs its copy "
                                   "with a CA nobody trusts and Lync judges it as it would the original")
                     : std::string()) +
                ". Lync compares only this CN with the FQDN it expects for UM (" + demo::kUmFqdn + "): " +
                verdict);
        }
    }

    void sip(const decoder::Event& e, const decoder::SipMessage& s, bool up) {
        if (!up) return;  // the client leg carries the same messages
        if (s.is_request) {
            last_request_ts_ = e.ts;
            say("UM sends " + std::string(s.method) + " " + std::string(s.request_uri) + " (" + std::string(s.user_agent) +
                ") to ask whether Lync is there; siptap relays it");
        } else {
            const std::string status = std::to_string(s.status) + " " + std::string(s.reason);
            outcome.lync_verdict = "answered " + status;
            say("Lync answers " + status + (s.server.empty() ? std::string() : " (Server: " + std::string(s.server) + ")") +
                (s.status == 200 ? " — UM and Lync trust each other" : std::string()));
        }
    }

    void alert(const decoder::Event& e, const decoder::TlsAlert& a, bool up) {
        if (a.encrypted) return;  // the relay also reports it decrypted
        const bool from_lync = up && e.src.port == lync_port_;
        const bool from_um = !up && e.src == um_;
        if (a.code == decoder::AlertDescription::CloseNotify) {
            if (from_lync) say("Lync answers with its own close_notify");
            if (from_um) say("UM says goodbye (TLS close_notify)");
        } else if (from_lync) {
            if (outcome.lync_verdict.empty())
                outcome.lync_verdict = "refused the handshake with the " + a.description + " alert";
            say("Lync sends a " + a.level + " TLS alert: " + a.description +
                " — it refuses UM's certificate during the handshake");
        } else if (!up && !from_um) {
            say("siptap passes the " + a.description + " alert on to UM");
        } else if (from_um) {
            say("UM sends a " + a.level + " TLS alert: " + a.description);
        }
    }

    void close(const decoder::ConnClose& c, bool up) {
        if (up) {
            const bool lync_closed = c.side && *c.side == decoder::Side::Server;
            if (lync_closed && c.how == decoder::CloseHow::Fin && !c.unanswered.empty() && c.handshake_complete) {
                const std::string ms = c.ms_since_last_message ? std::to_string(*c.ms_since_last_message) : "?";
                outcome.lync_verdict = "closed the connection without a word " + ms + " ms after the OPTIONS";
                say("Lync closes the connection without a word " + ms + " ms after the " + c.unanswered.front() +
                    " (bare TCP FIN, no SIP response) — the incident");
            } else {
                say(std::string(lync_closed ? "Lync" : (c.side ? "siptap (for UM)" : "nobody")) +
                    " closes the upstream connection (" + decoder::to_string(c.how) + ")");
            }
        } else {
            say(30, std::string("The connection between UM and siptap is closed (") + decoder::to_string(c.how) + ", by " +
                (c.side ? (*c.side == decoder::Side::Client ? std::string("UM") : std::string("siptap")) : "nobody") +
                ")");
        }
        std::lock_guard lock(mutex_);
        ++closes_;
        cv_.notify_all();
    }

    // Each finding code once; the upstream leg's wording (what Lync did) wins over the client leg's.
    void finding(const decoder::Finding& f, bool up) {
        const std::string text =
            std::string("Finding [") + decoder::to_string(f.severity) + "] " + f.code + ": " + f.message;
        if (auto it = finding_line_.find(f.code); it != finding_line_.end()) {
            if (up && !it->second.second) {
                lines_[it->second.first].second = text;
                it->second.second = true;
            }
            return;
        }
        finding_line_[f.code] = {lines_.size(), up};
        if (f.severity == decoder::Severity::Error) {
            ++outcome.errors;
            outcome.error_codes.push_back(f.code);
        }
        say(text);
    }

    std::ostream& out_;
    std::uint16_t lync_port_;
    std::vector<std::pair<int, std::string>> lines_;
    std::map<std::string, std::pair<std::size_t, bool>> finding_line_;  // code -> line, from upstream leg
    decoder::Endpoint um_;
    std::map<std::uint64_t, bool> upstream_;
    std::set<std::string> seen_;
    decoder::Micros last_request_ts_ = 0;
    std::mutex mutex_;
    std::condition_variable cv_;
    int closes_ = 0;
};

const char* describe(const std::string& um_cert) {
    if (um_cert == "good") return "UM's certificate has CN=um01.contoso.com, exactly its FQDN";
    if (um_cert == "wildcard") return "UM's certificate has CN=*.contoso.com (SAN *.contoso.com, um01.contoso.com)";
    if (um_cert == "san-only") return "UM's certificate has CN=Exchange UM; its FQDN is only in the SAN";
    if (um_cert == "expired") return "UM's certificate expired 30 days ago";
    return "UM's certificate is issued by Fabrikam Root CA, which Lync does not trust";
}

#ifdef SIPTAP_HAVE_PROXY
RunOutcome run_one(const std::string& um_cert) {
    std::cout << "=== siptap demo --um-cert " << um_cert << ": " << describe(um_cert) << " ===\n";
    demo::Pki pki(um_cert);
    demo::LyncEndpoint lync(pki);

    decoder::EventBus bus;
    decoder::Diagnoser diagnoser(bus, decoder::DiagnosisOptions{demo::kUmFqdn, pki.ca_cert});
    Narrator narrator(std::cout, lync.port());
    bus.add_sink(diagnoser);
    bus.add_sink(narrator);

    proxy::RelayConfig config;
    config.listen = {"127.0.0.1", 0};
    config.upstream = {"127.0.0.1", lync.port()};
    config.forge_ca.cert = pki.ca_cert;
    config.forge_ca.key = pki.ca_key;
    config.trust_file = pki.ca_cert;
    config.handshake_timeout = 3s;
    config.idle_timeout = 5s;
    config.drain_timeout = 1s;
    config.max_connections = 4;
    config.threads = 1;
    proxy::RelayServer relay(config, bus);

    std::mutex m;
    std::condition_variable cv;
    std::uint16_t relay_port = 0;
    relay.on_listening([&](std::uint16_t port) {
        std::lock_guard lock(m);
        relay_port = port;
        cv.notify_all();
    });
    std::thread relay_thread([&] { relay.run(false); });
    {
        std::unique_lock lock(m);
        cv.wait_for(lock, 5s, [&] { return relay_port != 0; });
    }
    demo::UmResult um;
    if (relay_port != 0) {
        std::cout << "  Lync listens on 127.0.0.1:" << lync.port() << "; siptap relays on 127.0.0.1:" << relay_port
                  << " (its forged copies are signed by the demo's Contoso Root CA, so each side sees the other's "
                     "real subject)\n";
        lync.start();
        um = demo::run_um_client(pki, relay_port);
        narrator.wait_closed(3s);
    } else {
        std::cout << "  siptap's relay did not start listening\n";
    }
    relay.stop();
    relay_thread.join();
    lync.join();
    bus.end();
    narrator.print();

    RunOutcome outcome = narrator.outcome;
    if (outcome.lync_verdict.empty()) outcome.lync_verdict = "gave no clear answer";
    std::cout << "  UM's view: " << um.outcome << '\n';
    std::cout << "  Result: Lync " << outcome.lync_verdict << "; "
              << (outcome.errors ? std::to_string(outcome.errors) + " error finding(s): " + join(outcome.error_codes)
                                 : std::string("no error findings"))
              << "\n";
    return outcome;
}
#endif

#ifdef SIPTAP_HAVE_PROXY
// One line that says whether the run showed what it set out to: the exit code follows it.
bool report_lesson(const std::string& um_cert, const RunOutcome& outcome) {
    const bool shown = demo::lesson_shown(um_cert, outcome.lync_verdict, outcome.error_codes);
    std::cout << demo::lesson_line(um_cert, outcome.lync_verdict, shown) << "\n\n";
    return shown;
}
#endif

// Exit 0 when every run showed what it set out to show (the wildcard run's error findings are
// the point of it), 1 when one did not, 2 when the demo cannot run.
int run_demo(const std::string& um_cert) {
#ifdef SIPTAP_HAVE_PROXY
    if (!um_cert.empty()) return report_lesson(um_cert, run_one(um_cert)) ? kExitOk : kExitFindings;
    const RunOutcome good = run_one("good");
    const bool good_shown = report_lesson("good", good);
    const RunOutcome wild = run_one("wildcard");
    const bool wild_shown = report_lesson("wildcard", wild);
    std::cout << "=== The difference ===\n"
              << "  good:     UM presents " << good.um_subject << " (SAN " << good.um_san << ") -> Lync "
              << good.lync_verdict << "\n"
              << "  wildcard: UM presents " << wild.um_subject << " (SAN " << wild.um_san << ") -> Lync "
              << wild.lync_verdict << "\n"
              << "  Both handshakes complete and both certificates are trusted; only the subject CN differs.\n"
              << "  Lync compares the CN (not the SAN) with um01.contoso.com, so the wildcard certificate is\n"
              << "  refused after the OPTIONS. Fix: give Exchange UM a certificate whose CN is its FQDN.\n";
    return good_shown && wild_shown ? kExitOk : kExitFindings;
#else
    (void)um_cert;
    std::cerr << "siptap demo: this build has no relay (proxy/), so the demo cannot run\n";
    return kExitUsage;
#endif
}

}  // namespace

Runner add_demo_command(CLI::App& app) {
    auto um_cert = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "demo", "Run the Exchange UM to Lync mutual-TLS handshake on 127.0.0.1 through siptap and explain each "
                "step (throwaway certificates, no set-up)");
    cmd->add_option("--um-cert", *um_cert,
                    "Which certificate UM presents; without it: good, then wildcard, and the difference")
        ->check(CLI::IsMember({"good", "wildcard", "san-only", "expired", "untrusted"}));
    return [um_cert] { return run_demo(*um_cert); };
}

}  // namespace cli
