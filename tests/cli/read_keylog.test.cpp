// `siptap read --keylog` and pcapng-embedded key logs on the recorded TLS captures: the
// decrypted SIP equals what the peers sent, tshark with the same key log agrees, the TLS 1.3
// incident shows its certificates and teardown, and bad key logs give clear messages.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "capture/connection_flow.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "capture/pcapng_secrets.hpp"
#include "capture_run_support.hpp"
#include "decoder/flow/connection.hpp"
#include "decoder/sinks/json_sink.hpp"
#include "reference_json.hpp"
#include "decoder/tls/tls_keylog.hpp"

using namespace decoder;

namespace {

const std::vector<std::string> kCaptures = {
    "tls-good", "tls-wildcard-incident", "tls13-wildcard-incident", "tls12-chacha-good", "tls12-cbc-good",
    "tls-reset-mid-dialog", "tls-untrusted-ca", "tls-expired-cert", "tls-no-client-cert",
    "tls10-rsa-aes128-sha", "tls11-rsa-aes256-sha", "tls11-ecdhe-aes256-sha", "tls12-rsa-resumed",
    "tls12-rsa-ticket-resumed"};

class Recorder : public EventSink {
public:
    explicit Recorder(std::vector<Event>& out) : out_(out) {}
    void on_event(const Event& e) override { out_.push_back(e); }

private:
    std::vector<Event>& out_;
};

KeyLog load_keys(const std::string& path) {
    KeyLog keys;
    std::vector<std::string> problems;
    REQUIRE(keys.add_file(path, problems));
    REQUIRE(problems.empty());
    return keys;
}

std::vector<Event> read_with_keys(const std::string& file, const KeyLog& keys) {
    return test::read_events({file}, {}, &keys);
}

std::vector<std::string> notices(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto* n : test::payloads<Notice>(events)) out.push_back(n->what + ": " + n->message);
    return out;
}

std::string temp_dir() {
    const auto dir = std::filesystem::temp_directory_path() / ("siptap-keylog-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir.string();
}

}  // namespace

TEST_CASE("[read_keylog] decrypted SIP equals what the peers sent, byte for byte", "[read_keylog]") {
    const std::string name = GENERATE(from_range(kCaptures));
    CAPTURE(name);
    const KeyLog keys = load_keys(test::pcap(name + ".keys"));
    const auto events = read_with_keys(test::pcap(name + ".pcapng"), keys);
    CHECK(notices(events).empty());
    const auto sent = test::sent_bytes(name);
    const auto got = test::decrypted_sip(events);
    CHECK(got[0] == sent[0]);
    CHECK(got[1] == sent[1]);
    for (const auto* m : test::payloads<TlsMessage>(events)) {
        CHECK_FALSE(m->encrypted);  // every protected record was opened
        CHECK(m->type != "encrypted_handshake");
    }
    for (const auto* a : test::payloads<TlsAlert>(events)) CHECK_FALSE(a->encrypted);
    // Without keys the same capture shows no SIP at all (the golden files say so too).
    CHECK(test::payloads<SipMessage>(test::read_events({test::pcap(name + ".pcapng")})).empty());
}

TEST_CASE("[read_keylog] tshark with the same key log agrees on SIP methods and statuses", "[read_keylog][slow]") {
    const std::string name = GENERATE(from_range(kCaptures));
    CAPTURE(name);
    const auto file = test::pcap(name + ".pcapng");
    const auto r = test::run_shell("tshark -r '" + file + "' -o tls.keylog_file:'" + test::pcap(name + ".keys") +
                                   "' -Y sip -T fields -e sip.Method -e sip.Status-Code");
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> theirs;
    std::stringstream ss(r.out);
    for (std::string line; std::getline(ss, line);)
        if (!line.empty()) theirs.push_back(line);
    std::vector<std::string> ours;
    // Keep the events alive: payloads() points into them.
    const auto events = read_with_keys(file, load_keys(test::pcap(name + ".keys")));
    for (const auto* m : test::payloads<SipMessage>(events))
        ours.push_back(m->is_request ? std::string(m->method) + "\t" : "\t" + std::to_string(m->status));
    CHECK(ours == theirs);
}

TEST_CASE("[read_keylog] the TLS 1.3 incident with keys: certificates, OPTIONS, who hung up", "[read_keylog]") {
    const auto events = read_with_keys(test::pcap("tls13-wildcard-incident.pcapng"),
                                       load_keys(test::pcap("tls13-wildcard-incident.keys")));
    std::vector<std::string> leaves;
    for (const auto* c : test::payloads<Certificate>(events))
        if (c->index == 0) leaves.push_back(std::string(to_string(c->side)) + " " + c->subject_cn);
    CHECK(leaves == std::vector<std::string>{"server lync01.contoso.com", "client *.contoso.com"});
    const auto codes = test::finding_codes(events);
    CHECK(std::count(codes.begin(), codes.end(), "wildcard-subject-cn") == 1);
    const auto sip = test::payloads<SipMessage>(events);
    REQUIRE(sip.size() == 1);
    CHECK(sip[0]->method == "OPTIONS");
    const auto closes = test::payloads<ConnClose>(events);
    REQUIRE(closes.size() == 1);
    CHECK(closes[0]->side == Side::Server);
    CHECK(closes[0]->how == CloseHow::Fin);
    CHECK(closes[0]->after_from == Side::Client);
    CHECK(closes[0]->after.value_or("").find("OPTIONS") != std::string::npos);
    CHECK(closes[0]->unanswered == std::vector<std::string>{"OPTIONS 1"});
    std::vector<std::string> types;
    for (const auto* m : test::payloads<TlsMessage>(events)) types.push_back(m->type);
    for (const char* t : {"encrypted_extensions", "certificate_request", "certificate_verify", "finished",
                          "new_session_ticket"})
        CHECK(std::count(types.begin(), types.end(), t) >= 1);
}

TEST_CASE("[read_keylog] tls-good with keys: the client closed with close_notify", "[read_keylog]") {
    const auto events = read_with_keys(test::pcap("tls-good.pcapng"), load_keys(test::pcap("tls-good.keys")));
    const auto alerts = test::payloads<TlsAlert>(events);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0]->description == "close_notify");
    const auto closes = test::payloads<ConnClose>(events);
    REQUIRE(closes.size() == 1);
    CHECK(closes[0]->how == CloseHow::CloseNotify);
    CHECK(closes[0]->side == Side::Client);
    CHECK(closes[0]->unanswered.empty());
}

TEST_CASE("[read_keylog] another capture's key log: one clear notice, no SIP", "[read_keylog]") {
    const auto events = read_with_keys(test::pcap("tls-good.pcapng"),
                                       load_keys(test::pcap("tls13-wildcard-incident.keys")));
    const auto n = notices(events);
    REQUIRE(n.size() == 1);
    CHECK(n[0].rfind("tls-decrypt: TLS: no key for this TLS session in the key log (client random ", 0) == 0);
    CHECK(test::payloads<SipMessage>(events).empty());
    // The CLI says so too, and what it loaded.
    const auto r = test::run_siptap({"read", test::pcap("tls-good.pcapng"), "--keylog",
                                     test::pcap("tls13-wildcard-incident.keys")});
    CHECK(r.err.find("keys from " + test::pcap("tls13-wildcard-incident.keys") + ": 1 session") != std::string::npos);
    CHECK(r.out.find("no key for this TLS session") != std::string::npos);
}

TEST_CASE("[read_keylog] a truncated or malformed key log names the file and line", "[read_keylog]") {
    const auto dir = temp_dir();
    const auto path = dir + "/cut.keys";
    {
        std::ifstream in(test::pcap("tls-good.keys"));
        std::string all((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(path) << all.substr(0, all.size() - 30);
    }
    const auto r = test::run_siptap({"read", test::pcap("tls-good.pcapng"), "--keylog", path, "--json"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("siptap: " + path + ":2: CLIENT_RANDOM: ") != std::string::npos);
    CHECK(r.out.find("\"event\":\"sip\"") == std::string::npos);  // no garbage SIP
    const auto missing = test::run_siptap({"read", test::pcap("tls-good.pcapng"), "--keylog", dir + "/none.keys"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find(dir + "/none.keys: cannot open key log") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("[read_keylog] keys embedded with editcap --inject-secrets decrypt without --keylog", "[read_keylog]") {
    const auto dir = temp_dir();
    const auto out = dir + "/tls13-with-secrets.pcapng";
    const auto r = test::run_shell("editcap --inject-secrets tls,'" + test::pcap("tls13-wildcard-incident.keys") +
                                   "' '" + test::pcap("tls13-wildcard-incident.pcapng") + "' '" + out + "'");
    REQUIRE(r.exit_code == 0);
    const auto embedded = capture::read_pcapng_secrets(out);
    CHECK(embedded.problems.empty());
    CHECK(embedded.blocks == 1);
    CHECK(embedded.keylog.find("CLIENT_TRAFFIC_SECRET_0 ") != std::string::npos);
    CHECK(capture::read_pcapng_secrets(test::pcap("tls13-wildcard-incident.pcapng")).blocks == 0);
    CHECK(capture::read_pcapng_secrets(test::pcap("sip-udp-call.pcap")).keylog.empty());  // classic pcap
    const auto run = test::run_siptap({"read", out, "--json"});
    CHECK(run.exit_code == 1);  // the wildcard finding is an error
    CHECK(run.err.find("keys from " + out + " (embedded)") != std::string::npos);
    CHECK(run.out.find("\"method\":\"OPTIONS\"") != std::string::npos);
    CHECK(run.out.find("\"subject_cn\":\"*.contoso.com\"") != std::string::npos);
    std::filesystem::remove_all(dir);
}

namespace {

// One flow's input as the capture layer delivered it, to be replayed in other cuts.
struct Op {
    enum Kind { Data, Gap, Fin, Rst, Finish } kind;
    Dir dir;
    std::vector<std::byte> bytes;
    Micros ts;
    CloseHow how = CloseHow::CaptureEnd;
};

class Tape : public capture::Flow {
public:
    explicit Tape(std::vector<Op>& ops) : ops_(ops) {}
    void on_data(Dir d, std::span<const std::byte> b, Micros ts) noexcept override {
        ops_.push_back({Op::Data, d, {b.begin(), b.end()}, ts});
    }
    void on_gap(Dir d, std::uint64_t, Micros ts) noexcept override { ops_.push_back({Op::Gap, d, {}, ts}); }
    void on_fin(Dir d, Micros ts) noexcept override { ops_.push_back({Op::Fin, d, {}, ts}); }
    void on_rst(Dir d, Micros ts) noexcept override { ops_.push_back({Op::Rst, d, {}, ts}); }
    void finish(CloseHow how, Micros ts) noexcept override {
        ops_.push_back({Op::Finish, Dir::ClientToServer, {}, ts, how});
        closed_ = true;
    }
    bool closed() const override { return closed_; }

private:
    std::vector<Op>& ops_;
    bool closed_ = false;
};

struct TapeFactory : capture::FlowFactory {
    std::vector<Op> ops;
    capture::FlowInfo info;
    std::unique_ptr<capture::Flow> open(const capture::FlowInfo& i) override {
        info = i;
        return std::make_unique<Tape>(ops);
    }
};

// Replays the tape into a decrypting Connection, data cut into `piece`-byte calls (0: as
// captured) with an extra cut at stream offset `cut`; returns the events as JSON lines.
std::vector<std::string> replay(const TapeFactory& tape, const KeyLog& keys, std::size_t piece, std::size_t cut) {
    std::vector<Event> events;
    EventBus bus;
    Recorder recorder(events);
    bus.add_sink(recorder);
    const auto& i = tape.info;
    Connection conn(bus, i.id, i.client, i.server, i.transport, i.ts, i.handshake_seen, &keys);
    std::size_t offset = 0;
    for (const auto& op : tape.ops) {
        switch (op.kind) {
        case Op::Data: {
            std::span<const std::byte> b(op.bytes);
            while (!b.empty()) {
                std::size_t n = piece ? std::min(piece, b.size()) : b.size();
                if (cut > offset && cut < offset + n) n = cut - offset;
                conn.on_data(op.dir, b.first(n), op.ts);
                b = b.subspan(n);
                offset += n;
            }
            break;
        }
        case Op::Gap: conn.on_gap(op.dir, 0, op.ts); break;
        case Op::Fin: conn.on_fin(op.dir, op.ts); break;
        case Op::Rst: conn.on_rst(op.dir, op.ts); break;
        case Op::Finish: conn.finish(op.how, op.ts); break;
        }
    }
    std::vector<std::string> lines;
    for (const auto& e : events) lines.push_back(test::reference_json(e).dump());
    return lines;
}

}  // namespace

TEST_CASE("[read_keylog] per-byte and split feeding give the same decrypted events", "[read_keylog][slow]") {
    const std::string name = GENERATE("tls-good", "tls13-wildcard-incident", "tls12-cbc-good", "tls12-chacha-good");
    CAPTURE(name);
    const KeyLog keys = load_keys(test::pcap(name + ".keys"));
    EventBus bus;
    TapeFactory tape;
    capture::PacketProcessor processor(bus, tape);
    capture::PcapFileReader(test::pcap(name + ".pcapng")).read_all(processor);
    processor.finish(processor.last_ts());
    std::size_t total = 0;
    for (const auto& op : tape.ops) total += op.bytes.size();
    const auto expected = replay(tape, keys, 0, 0);
    REQUIRE(std::any_of(expected.begin(), expected.end(),
                        [](const std::string& l) { return l.find("\"event\":\"sip\"") != std::string::npos; }));
    // The first line that differs, with its neighbour in the expected stream.
    auto first_difference = [&](const std::vector<std::string>& got) -> std::string {
        for (std::size_t i = 0; i < std::max(got.size(), expected.size()); ++i) {
            const std::string a = i < got.size() ? got[i] : "(none)", b = i < expected.size() ? expected[i] : "(none)";
            if (a != b) return "line " + std::to_string(i) + ": got " + a + "\nexpected " + b;
        }
        return "";
    };
    CHECK(first_difference(replay(tape, keys, 1, 0)) == "");
    std::size_t mismatches = 0;
    for (std::size_t cut = 1; cut < total; cut += 7) {
        const auto diff = first_difference(replay(tape, keys, 0, cut));
        if (!diff.empty() && mismatches++ == 0) {
            CAPTURE(cut);
            CHECK(diff == "");
        }
    }
    CHECK(mismatches == 0);
}
