// Reads the sample captures in pcaps/ (see pcaps/README.md) through PcapFileReader and
// PacketProcessor, with a recording flow factory, and checks what each connection got.
#include <catch2/catch.hpp>

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <thread>

#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "capture/transport_layer.hpp"
#include "packet_builder_support.hpp"
#include "recording_flow_support.hpp"

using namespace capture_test;
using Lines = std::vector<std::string>;

namespace {

std::string sample(const std::string& name) { return std::string(SIPTAP_PCAP_DIR) + "/" + name; }

struct Run {
    capture::ReadResult result;
    capture::Stats stats;
    RecordingFactory flows;
    Lines notices;
    const RecordedFlow& flow(std::size_t id) const { return *flows.flows.at(id - 1); }
};

std::unique_ptr<Run> read(const std::string& path) {
    auto run = std::make_unique<Run>();
    decoder::EventBus bus;
    EventRecorder events;
    bus.add_sink(events);
    capture::PacketProcessor processor(bus, run->flows);
    capture::PcapFileReader reader(path);
    run->result = reader.read_all(processor);
    processor.finish(processor.last_ts());
    run->stats = processor.stats();
    run->notices = events.notices();
    return run;
}

// Splits a SIP stream into messages by Content-Length; returns their first lines, or
// nothing when the stream is not a clean sequence of whole messages.
std::optional<Lines> sip_first_lines(std::string stream) {
    Lines out;
    while (!stream.empty()) {
        const auto end = stream.find("\r\n\r\n");
        if (end == std::string::npos) return std::nullopt;
        std::string head = stream.substr(0, end);
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
        const auto at = head.find("\r\ncontent-length:");
        const std::size_t body = at == std::string::npos ? 0 : std::stoul(head.substr(at + 17));
        if (end + 4 + body > stream.size()) return std::nullopt;
        out.push_back(stream.substr(0, stream.find("\r\n")));
        stream.erase(0, end + 4 + body);
    }
    return out;
}

// The oracle for TCP files: every captured payload byte of one direction placed by its
// sequence number (first copy wins), with `holes` listing what no segment carried.
struct Collector : capture::PacketHandler {
    std::uint16_t client_port = 0;
    std::map<std::uint32_t, char> bytes[2];
    void on_packet(const capture::RawPacket& p) noexcept override {
        const auto link = capture::decode_link(p.link_type, p.data);
        const auto ip = capture::decode_ip(link.proto, link.payload, false);
        const auto tcp = capture::decode_tcp(ip.packet.payload, 0);
        if (tcp.segment.syn && !tcp.segment.ack_flag) client_port = tcp.src_port;
        const int dir = tcp.src_port == client_port ? 0 : 1;
        for (std::size_t i = 0; i < tcp.segment.payload.size(); ++i)
            bytes[dir].emplace(tcp.segment.seq + static_cast<std::uint32_t>(i), static_cast<char>(tcp.segment.payload[i]));
    }
    std::string stream(int dir, std::vector<std::uint64_t>* holes = nullptr) const {
        std::string out;
        std::optional<std::uint32_t> prev;
        for (const auto& [seq, c] : bytes[dir]) {
            if (prev && seq != *prev + 1 && holes != nullptr) holes->push_back(seq - *prev - 1);
            out += c;
            prev = seq;
        }
        return out;
    }
};

Collector collect(const std::string& path) {
    Collector c;
    capture::PcapFileReader reader(path);
    reader.read_all(c);
    return c;
}

}  // namespace

TEST_CASE("PcapFileReader reads every sample capture's link type", "[capture]") {
    // file, frames, connections, UDP datagrams, TCP segments
    using Row = std::tuple<const char*, std::uint64_t, std::size_t, std::uint64_t, std::uint64_t>;
    const auto [file, frames, connections, udp, tcp] = GENERATE(table<const char*, std::uint64_t, std::size_t, std::uint64_t, std::uint64_t>({
        Row{"sip-udp-call.pcap", 7, 1, 7, 0},
        Row{"sip-tcp-segmented.pcap", 16, 1, 0, 16},
        Row{"sip-options-504-ms-diagnostics.pcap", 8, 1, 0, 8},
        Row{"sip-ipv6.pcapng", 12, 2, 4, 8},
        Row{"sip-vlan.pcap", 4, 2, 4, 0},
        Row{"sip-linux-sll.pcap", 2, 1, 2, 0},
        Row{"sip-linux-sll2.pcap", 2, 1, 2, 0},
        Row{"sip-raw-ip.pcap", 4, 2, 4, 0},
        Row{"sip-bsd-null.pcap", 4, 2, 4, 0},
        Row{"sip-ipv4-fragmented.pcap", 4, 1, 2, 0},
        Row{"sip-tcp-reorder.pcap", 16, 1, 0, 16},
        Row{"sip-tcp-gap.pcap", 11, 1, 0, 11},
    }));
    CAPTURE(file);
    const auto run = read(sample(file));
    CHECK_FALSE(run->result.error);
    CHECK(run->result.packets == frames);
    CHECK(run->stats.packets == frames);
    CHECK(run->flows.flows.size() == connections);
    CHECK(run->stats.udp_datagrams == udp);
    CHECK(run->stats.tcp_segments == tcp);
    CHECK(run->stats.bad_packets == 0);
    CHECK(run->stats.other_packets == 0);
    CHECK(run->notices.empty());
    for (const auto& flow : run->flows.flows) {
        CAPTURE(flow->info.id);
        const auto client = sip_first_lines(flow->client());
        const auto server = sip_first_lines(flow->server());
        REQUIRE(client);  // every stream is whole SIP messages, nothing missing or glued
        REQUIRE(server);
        if (!client->empty()) CHECK_THAT(client->front(), Catch::Contains(" sip:") && Catch::EndsWith("SIP/2.0"));
        if (!server->empty()) CHECK_THAT(server->front(), Catch::StartsWith("SIP/2.0 "));
    }
}

TEST_CASE("sip-tcp-segmented.pcap reassembles the INVITE split over three segments", "[capture]") {
    const auto run = read(sample("sip-tcp-segmented.pcap"));
    REQUIRE(run->flows.flows.size() == 1);
    const RecordedFlow& f = run->flow(1);
    CHECK(f.info.client.ip == "192.0.2.10");
    CHECK(f.info.server == decoder::Endpoint{"192.0.2.20", 5060});
    CHECK(f.info.handshake_seen);
    CHECK_THAT(f.client(), Catch::StartsWith("INVITE sip:"));
    CHECK(sip_first_lines(f.client()) == Lines{"INVITE sip:bob@192.0.2.20:5060;transport=tcp SIP/2.0",
                                              "ACK sip:bob@192.0.2.20:5060;transport=tcp SIP/2.0",
                                              "BYE sip:bob@192.0.2.20:5060;transport=tcp SIP/2.0"});
    CHECK(sip_first_lines(f.server()) ==
          Lines{"SIP/2.0 100 Trying", "SIP/2.0 180 Ringing", "SIP/2.0 200 OK", "SIP/2.0 200 OK"});
    CHECK(f.log.front() == "c data 251");  // the INVITE arrives in its three pieces
    CHECK(f.log[1] == "c data 312");
    CHECK(f.log[2] == "c data 178");
    CHECK(f.gaps[0].empty());
    CHECK(f.gaps[1].empty());
    CHECK(f.finished == "fin");
    const Collector oracle = collect(sample("sip-tcp-segmented.pcap"));
    CHECK(f.client() == oracle.stream(0));
    CHECK(f.server() == oracle.stream(1));
}

TEST_CASE("sip-tcp-reorder.pcap reassembles to the same bytes as in-order delivery", "[capture]") {
    const auto run = read(sample("sip-tcp-reorder.pcap"));
    REQUIRE(run->flows.flows.size() == 1);
    const RecordedFlow& f = run->flow(1);
    const Collector oracle = collect(sample("sip-tcp-reorder.pcap"));
    std::vector<std::uint64_t> holes;
    CHECK(f.client() == oracle.stream(0, &holes));
    CHECK(f.server() == oracle.stream(1, &holes));
    CHECK(holes.empty());
    CHECK(f.gaps[0].empty());
    CHECK(f.gaps[1].empty());
    CHECK(f.client().size() == 1375);
    CHECK(f.server().size() == 1178);
    CHECK(sip_first_lines(f.client()) == Lines{"INVITE sip:bob@192.0.2.20:5060;transport=tcp SIP/2.0",
                                              "ACK sip:bob@192.0.2.20:5060;transport=tcp SIP/2.0",
                                              "BYE sip:bob@192.0.2.20:5060;transport=tcp SIP/2.0"});
    CHECK(sip_first_lines(f.server()) == Lines{"SIP/2.0 100 Trying", "SIP/2.0 200 OK", "SIP/2.0 200 OK"});
    CHECK(f.finished == "fin");
}

TEST_CASE("sip-tcp-gap.pcap yields exactly one gap of the missing ACK's size", "[capture]") {
    const auto run = read(sample("sip-tcp-gap.pcap"));
    REQUIRE(run->flows.flows.size() == 1);
    const RecordedFlow& f = run->flow(1);
    const Collector oracle = collect(sample("sip-tcp-gap.pcap"));
    std::vector<std::uint64_t> holes;
    CHECK(f.client() == oracle.stream(0, &holes));  // the captured bytes, not glued over...
    CHECK(holes == std::vector<std::uint64_t>{303});
    CHECK(f.gaps[0] == std::vector<std::uint64_t>{303});  // ...because the gap sits between them
    CHECK(f.gaps[1].empty());
    CHECK(f.log == Lines{"c data 741", "s data 244", "s data 397", "s data 660", "c gap 303", "c data 331",
                         "s data 274", "s rst", "finish rst @1772442910146200"});
    CHECK(sip_first_lines(f.server()) ==
          Lines{"SIP/2.0 100 Trying", "SIP/2.0 180 Ringing", "SIP/2.0 200 OK", "SIP/2.0 200 OK"});
}

TEST_CASE("sip-ipv4-fragmented.pcap reassembles the big INVITE from fragments out of order", "[capture]") {
    const auto run = read(sample("sip-ipv4-fragmented.pcap"));
    CHECK(run->stats.fragments == 3);
    CHECK(run->stats.reassembled == 1);
    REQUIRE(run->flows.flows.size() == 1);
    const RecordedFlow& f = run->flow(1);
    CHECK(f.client().size() == 3583);
    CHECK(f.datagrams[0] == 1);
    CHECK(sip_first_lines(f.client()) == Lines{"INVITE sip:bob@192.0.2.20:5060 SIP/2.0"});
    CHECK(sip_first_lines(f.server()) == Lines{"SIP/2.0 200 OK"});
}

TEST_CASE("sip-ipv6.pcapng and the other link types give the right endpoints", "[capture]") {
    const auto v6 = read(sample("sip-ipv6.pcapng"));
    REQUIRE(v6->flows.flows.size() == 2);
    CHECK(v6->flow(1).info.transport == decoder::Transport::Udp);
    CHECK(v6->flow(1).info.client == decoder::Endpoint{"2001:db8::10", 5060});
    CHECK(sip_first_lines(v6->flow(1).client()) ==
          Lines{"REGISTER sip:example.com SIP/2.0", "REGISTER sip:example.com SIP/2.0"});
    CHECK(v6->flow(2).info.transport == decoder::Transport::Tcp);
    CHECK(v6->flow(2).info.server == decoder::Endpoint{"2001:db8::20", 5060});
    CHECK(v6->flow(2).finished == "fin");

    const auto vlan = read(sample("sip-vlan.pcap"));
    REQUIRE(vlan->flows.flows.size() == 2);
    CHECK(vlan->flow(2).info.client.ip == "198.51.100.10");  // the double-tagged pair

    for (const char* file : {"sip-raw-ip.pcap", "sip-bsd-null.pcap"}) {
        CAPTURE(file);
        const auto run = read(sample(file));
        REQUIRE(run->flows.flows.size() == 2);
        CHECK(run->flow(1).info.client.ip == "192.0.2.10");
        CHECK(run->flow(2).info.client.ip == "2001:db8::10");
    }
}

TEST_CASE("PcapFileReader refuses unusable files with a message naming them", "[capture]") {
    const auto message = [](const std::string& path) {
        try {
            capture::PcapFileReader reader(path);
        } catch (const capture::InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string not_capture = sample("bad/not-a-capture.pcap");
    CHECK(message(not_capture) == not_capture + ": cannot read capture: unknown file format");
    const std::string unknown = sample("bad/unknown-linktype.pcap");
    CHECK_THAT(message(unknown), Catch::StartsWith(unknown + ": unsupported link type 147 "));
    CHECK(message("/nonexistent/x.pcap") == "/nonexistent/x.pcap: cannot read capture: No such file or directory");
    const std::string empty = temp_path("zero-bytes.pcap");
    write_file(empty, {});
    CHECK(message(empty) == empty + ": cannot read capture: the file is empty, not a capture");
    std::remove(empty.c_str());
}

TEST_CASE("PcapFileReader keeps what it read before a truncation and says so", "[capture]") {
    const std::string path = sample("bad/truncated.pcap");
    const auto run = read(path);
    CHECK(run->result.packets == 3);
    REQUIRE(run->result.error);
    CHECK_THAT(*run->result.error, Catch::StartsWith(path + ": read error after 3 packets: truncated dump file"));
    REQUIRE(run->flows.flows.size() == 1);
    CHECK(sip_first_lines(run->flow(1).server()) == Lines{"SIP/2.0 100 Trying", "SIP/2.0 180 Ringing"});
    CHECK(run->flow(1).finished == "capture_end");

    const auto empty = read(sample("bad/empty.pcap"));
    CHECK(empty->result.packets == 0);
    CHECK_FALSE(empty->result.error);
    CHECK(empty->flows.flows.empty());
}

TEST_CASE("bad/bad-packets.pcap reports each broken packet and goes on", "[capture]") {
    const auto run = read(sample("bad/bad-packets.pcap"));
    CHECK(run->result.packets == 6);
    CHECK(run->stats.bad_packets == 2);
    CHECK(run->notices == Lines{"packet 3: IPv4 header length 16 < 20",
                                "packet 4: UDP length 788 beyond the 388 bytes of the packet"});
    REQUIRE(run->flows.flows.size() == 1);
    CHECK(sip_first_lines(run->flow(1).client()) ==
          Lines{"OPTIONS sip:192.0.2.20:5060 SIP/2.0", "OPTIONS sip:192.0.2.20:5060 SIP/2.0"});
}

TEST_CASE("PcapFileReader delivers timestamps, snap lengths and link type as recorded", "[capture]") {
    const std::string path = temp_path("loop.pcap");
    const Buf ip = ipv4("127.0.0.1", "127.0.0.1", 17, udp(40000, 5060, bytes("OPTIONS sip:x SIP/2.0\r\n\r\n")));
    write_pcap(path, DLT_LOOP, {{1'700'000'000'123'456, bsd_loopback(ip, 2, true), 0},
                                {1'700'000'001'000'001, bsd_loopback(ip, 2, true), 9000}});
    struct Keep : capture::PacketHandler {
        std::vector<capture::RawPacket> packets;
        std::size_t sizes = 0;
        void on_packet(const capture::RawPacket& p) noexcept override {
            packets.push_back(p);
            sizes += p.data.size();
        }
    } keep;
    capture::PcapFileReader reader(path);
    CHECK(reader.link_type() == DLT_LOOP);
    const auto result = reader.read_all(keep);
    REQUIRE(keep.packets.size() == 2);
    CHECK(keep.packets[0].ts == 1'700'000'000'123'456);
    CHECK(keep.packets[1].ts == 1'700'000'001'000'001);
    CHECK(keep.packets[0].orig_len == 4 + ip.size());
    CHECK(keep.packets[1].orig_len == 9000);
    CHECK(keep.packets[1].link_type == DLT_LOOP);
    CHECK(result.bytes == keep.sizes);
    CHECK(result.last_ts == 1'700'000'001'000'001);
    std::remove(path.c_str());
}

TEST_CASE("micros_of saturates so that the difference of any two times fits in 64 bits", "[capture]") {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    const decoder::Micros latest = capture::micros_of(max / 2, 0);
    const decoder::Micros earliest = capture::micros_of(-(max / 2), 0);
    REQUIRE(latest > 0);
    REQUIRE(earliest < 0);
    // latest - earliest <= max, written so that the check itself cannot overflow
    REQUIRE(latest <= max + earliest);
    REQUIRE(capture::micros_of(1'700'000'000, 250) == 1'700'000'000'000'250);
}

// A regular file is mapped and read through a 64 KB buffer, a pipe through a 1 MB stdio
// buffer: a capture of 2.4 MB read from disk and the same bytes through a FIFO must both
// deliver every packet, in order.
TEST_CASE("PcapFileReader reads a capture bigger than its buffer, from a file and from a FIFO", "[capture]") {
    const std::string path = temp_path("big.pcap");
    const auto records = bulk_udp_records(2000);
    write_pcap(path, DLT_EN10MB, records);
    struct Count : capture::PacketHandler {
        std::vector<decoder::Micros> ts;
        void on_packet(const capture::RawPacket& p) noexcept override { ts.push_back(p.ts); }
    };
    const auto check = [&](const Count& c) {
        REQUIRE(c.ts.size() == records.size());
        CHECK(c.ts.front() == records.front().ts);
        CHECK(c.ts.back() == records.back().ts);
        CHECK(std::is_sorted(c.ts.begin(), c.ts.end()));
    };
    Count from_file;
    capture::PcapFileReader(path).read_all(from_file);
    check(from_file);

    const std::string fifo = temp_path("big.fifo");
    std::remove(fifo.c_str());
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    // The writer blocks until the reader opens the FIFO, then copies the file into it.
    std::thread writer([&] {
        std::ifstream in(path, std::ios::binary);
        std::ofstream out(fifo, std::ios::binary);
        out << in.rdbuf();
    });
    Count from_fifo;
    capture::PcapFileReader(fifo).read_all(from_fifo);
    writer.join();
    check(from_fifo);
    std::remove(fifo.c_str());
    std::remove(path.c_str());
}
