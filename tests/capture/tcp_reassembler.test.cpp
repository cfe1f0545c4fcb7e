#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "capture/tcp_reassembler.hpp"

using capture::TcpReassembler;
using capture::TcpSegment;
using decoder::Dir;

namespace {

constexpr Dir c2s = Dir::ClientToServer;
constexpr Dir s2c = Dir::ServerToClient;

// Records what the reassembler delivers: a log of calls and each direction's bytes.
struct Recorder : capture::StreamListener {
    std::vector<std::string> log;
    std::string stream[2];

    static const char* tag(Dir d) { return d == c2s ? "c" : "s"; }
    void on_data(Dir d, std::span<const std::byte> data, decoder::Micros) noexcept override {
        const std::string s(reinterpret_cast<const char*>(data.data()), data.size());
        stream[d == c2s ? 0 : 1] += s;
        log.push_back(std::string(tag(d)) + " data " + s);
    }
    void on_gap(Dir d, std::uint64_t n, decoder::Micros) noexcept override {
        log.push_back(std::string(tag(d)) + " gap " + std::to_string(n));
    }
    void on_fin(Dir d, decoder::Micros) noexcept override { log.push_back(std::string(tag(d)) + " fin"); }
    void on_rst(Dir d, decoder::Micros) noexcept override { log.push_back(std::string(tag(d)) + " rst"); }
    const std::string& client() const { return stream[0]; }
};

capture::Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

TcpSegment data(std::uint32_t seq, std::string_view payload) {
    TcpSegment s;
    s.seq = seq;
    s.payload = as_bytes(payload);
    return s;
}
TcpSegment syn(std::uint32_t seq) {
    TcpSegment s;
    s.seq = seq;
    s.syn = true;
    return s;
}
TcpSegment ack(std::uint32_t seq, std::uint32_t acknowledged) {
    TcpSegment s;
    s.seq = seq;
    s.ack = acknowledged;
    s.ack_flag = true;
    return s;
}
TcpSegment fin(std::uint32_t seq, std::string_view payload = {}) {
    TcpSegment s = data(seq, payload);
    s.fin = true;
    return s;
}
TcpSegment rst(std::uint32_t seq) {
    TcpSegment s;
    s.seq = seq;
    s.rst = true;
    return s;
}

using Log = std::vector<std::string>;

}  // namespace

TEST_CASE("TcpReassembler delivers in-order bytes per direction", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(1000), 1);
    TcpSegment synack = syn(5000);
    synack.ack_flag = true;
    synack.ack = 1001;
    r.on_segment(s2c, synack, 2);
    r.on_segment(c2s, data(1001, "INVITE "), 3);
    r.on_segment(c2s, data(1008, "sip:bob"), 4);
    r.on_segment(s2c, data(5001, "SIP/2.0 100 Trying"), 5);
    CHECK(rec.log == Log{"c data INVITE ", "c data sip:bob", "s data SIP/2.0 100 Trying"});
    CHECK(r.syn_seen(c2s));
    CHECK(r.syn_seen(s2c));
    CHECK(r.initial_seq(c2s) == 1000);
    CHECK(r.stats(c2s).delivered == 14);
    CHECK(r.stats(c2s).gaps == 0);
}

TEST_CASE("TcpReassembler reorders out-of-order segments", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(100), 1);
    r.on_segment(c2s, data(101, "01234"), 2);
    r.on_segment(c2s, data(111, "abcde"), 3);
    CHECK(rec.client() == "01234");
    CHECK(r.buffered_bytes() == 5);
    r.on_segment(c2s, data(106, "56789"), 4);
    CHECK(rec.client() == "0123456789abcde");
    CHECK(rec.log == Log{"c data 01234", "c data 56789", "c data abcde"});
    CHECK(r.buffered_bytes() == 0);
}

TEST_CASE("TcpReassembler drops retransmissions and keeps the first copy of overlaps", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(100), 1);

    SECTION("duplicate retransmission") {
        r.on_segment(c2s, data(101, "hello"), 2);
        r.on_segment(c2s, data(101, "hello"), 3);
        r.on_segment(c2s, data(106, " world"), 4);
        CHECK(rec.client() == "hello world");
        CHECK(rec.log.size() == 2);
    }
    SECTION("overlap with delivered bytes") {
        r.on_segment(c2s, data(101, "AAAA"), 2);
        r.on_segment(c2s, data(103, "BBBB"), 3);
        CHECK(rec.client() == "AAAABB");
    }
    SECTION("overlap with buffered bytes") {
        r.on_segment(c2s, data(105, "CCCC"), 2);  // bytes 4..8, behind a hole
        r.on_segment(c2s, data(101, "ZZZZZZ"), 3);  // bytes 0..6: 4 and 5 are already held
        CHECK(rec.client() == "ZZZZCCCC");
    }
    SECTION("keep-alive probe of one old byte") {
        r.on_segment(c2s, data(101, "abc"), 2);
        r.on_segment(c2s, data(103, "X"), 3);
        r.on_segment(c2s, data(104, "d"), 4);
        CHECK(rec.client() == "abcd");
    }
}

TEST_CASE("TcpReassembler reports a hole the peer acknowledged as an exact gap", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(100), 1);
    r.on_segment(c2s, data(101, "abc"), 2);  // bytes 0..3
    r.on_segment(c2s, data(111, "xyz"), 3);  // bytes 10..13; 3..10 never captured

    SECTION("ack beyond the whole hole") {
        r.on_segment(s2c, ack(500, 114), 4);
        CHECK(rec.log == Log{"c data abc", "c gap 7", "c data xyz"});
        CHECK(r.stats(c2s).gap_bytes == 7);
    }
    SECTION("ack into the hole settles only the acknowledged part") {
        r.on_segment(s2c, ack(500, 105), 4);
        CHECK(rec.log == Log{"c data abc", "c gap 1"});
        r.finish(5);
        CHECK(rec.log == Log{"c data abc", "c gap 1", "c gap 6", "c data xyz"});
    }
    SECTION("ack within delivered data changes nothing") {
        r.on_segment(s2c, ack(500, 104), 4);
        CHECK(rec.log == Log{"c data abc"});
    }
    SECTION("the bytes are never glued: the stream is only what was captured") {
        r.on_segment(s2c, ack(500, 114), 4);
        CHECK(rec.client() == "abcxyz");
    }
}

TEST_CASE("TcpReassembler delivers a FIN after its bytes and settles a hole before it", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(100), 1);
    r.on_segment(c2s, data(101, "abc"), 2);

    SECTION("FIN in order") {
        r.on_segment(c2s, fin(104, "def"), 3);
        CHECK(rec.log == Log{"c data abc", "c data def", "c fin"});
        CHECK(r.fin_delivered(c2s));
    }
    SECTION("FIN behind a hole waits, then the peer's ACK of the FIN settles it") {
        r.on_segment(c2s, fin(111, "xyz"), 3);
        CHECK(rec.log == Log{"c data abc"});
        CHECK(r.fin_seen(c2s));
        r.on_segment(s2c, ack(500, 115), 4);  // acknowledges the FIN too
        CHECK(rec.log == Log{"c data abc", "c gap 7", "c data xyz", "c fin"});
    }
    SECTION("FIN behind a hole, then the capture ends") {
        r.on_segment(c2s, fin(111, "xyz"), 3);
        r.finish(4);
        CHECK(rec.log == Log{"c data abc", "c gap 7", "c data xyz", "c fin"});
    }
    SECTION("FIN captured before the last data segment: no gap") {
        r.on_segment(c2s, fin(111, "xyz"), 3);
        r.on_segment(c2s, data(104, "defghij"), 4);
        CHECK(rec.log == Log{"c data abc", "c data defghij", "c data xyz", "c fin"});
    }
    SECTION("data after the FIN is ignored") {
        r.on_segment(c2s, fin(104), 3);
        r.on_segment(c2s, data(105, "late"), 4);
        CHECK(rec.log == Log{"c data abc", "c fin"});
    }
    SECTION("an ACK one past the data is a FIN we did not capture, not a gap") {
        r.on_segment(s2c, ack(500, 105), 3);
        r.finish(4);
        CHECK(rec.log == Log{"c data abc"});
    }
}

TEST_CASE("TcpReassembler reports RST after flushing both directions", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(100), 1);
    r.on_segment(c2s, data(101, "abc"), 2);
    r.on_segment(c2s, data(106, "fg"), 3);
    r.on_segment(s2c, rst(900), 4);
    CHECK(rec.log == Log{"c data abc", "c gap 2", "c data fg", "s rst"});
    CHECK(r.reset());
    r.on_segment(c2s, data(108, "more"), 5);
    r.finish(6);
    CHECK(rec.log.size() == 4);
}

TEST_CASE("TcpReassembler gives up on a hole when the buffer limit is reached", "[capture]") {
    Recorder rec;

    SECTION("bytes") {
        TcpReassembler r(rec, {.max_buffered_bytes = 10, .max_buffered_segments = 100});
        r.on_segment(c2s, syn(100), 1);
        r.on_segment(c2s, data(106, "0123456789"), 2);  // 10 bytes behind a 5-byte hole: at the limit
        CHECK(rec.log.empty());
        r.on_segment(c2s, data(117, "X"), 3);  // 11 bytes buffered: over
        CHECK(rec.log == Log{"c gap 5", "c data 0123456789"});
        CHECK(r.buffered_bytes() == 1);
        r.finish(4);
        CHECK(rec.log.back() == "c data X");
        CHECK(rec.log[2] == "c gap 1");
    }
    SECTION("segments") {
        TcpReassembler r(rec, {.max_buffered_bytes = 1000, .max_buffered_segments = 2});
        r.on_segment(c2s, syn(100), 1);
        r.on_segment(c2s, data(103, "a"), 2);
        r.on_segment(c2s, data(105, "b"), 3);
        CHECK(rec.log.empty());
        r.on_segment(c2s, data(107, "c"), 4);
        CHECK(rec.log == Log{"c gap 2", "c data a"});  // back to 2 segments: the limit
        CHECK(r.buffered_bytes() == 2);
    }
}

TEST_CASE("TcpReassembler follows sequence numbers across 2^32", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(0xfffffff0u), 1);
    // Bytes 0..16 span the wrap: seq 0xfffffff1 .. 0x00000000.
    SECTION("in order") {
        r.on_segment(c2s, data(0xfffffff1u, "0123456789abcdef"), 2);
        r.on_segment(c2s, data(0x00000001u, "ghij"), 3);
        CHECK(rec.client() == "0123456789abcdefghij");
    }
    SECTION("out of order across the wrap") {
        r.on_segment(c2s, data(0x00000001u, "ghij"), 2);
        r.on_segment(c2s, data(0xfffffff1u, "0123456789abcdef"), 3);
        CHECK(rec.client() == "0123456789abcdefghij");
        CHECK(r.stats(c2s).gaps == 0);
    }
    SECTION("a hole across the wrap, acknowledged") {
        r.on_segment(c2s, data(0xfffffff1u, "0123"), 2);
        r.on_segment(c2s, data(0x00000003u, "XY"), 3);
        r.on_segment(s2c, ack(77, 0x00000005u), 4);
        CHECK(rec.log == Log{"c data 0123", "c gap 14", "c data XY"});
    }
}

TEST_CASE("TcpReassembler without a SYN starts at the first segment seen", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, data(7777, "middle"), 1);
    r.on_segment(c2s, data(7770, "earlier"), 2);  // before our start: not ours to report
    r.on_segment(c2s, data(7783, "-end"), 3);
    CHECK(rec.client() == "middle-end");
    CHECK_FALSE(r.syn_seen(c2s));
    CHECK(r.stats(c2s).gaps == 0);
}

TEST_CASE("TcpReassembler turns bytes cut by the snaplen into a gap", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, syn(100), 1);
    TcpSegment snapped = data(101, "abc");
    snapped.missing = 5;  // the segment carried 8 bytes, 3 were captured
    r.on_segment(c2s, snapped, 2);
    r.on_segment(c2s, data(109, "next"), 3);
    CHECK(rec.log == Log{"c data abc"});
    r.on_segment(s2c, ack(1, 113), 4);
    CHECK(rec.log == Log{"c data abc", "c gap 5", "c data next"});
}

TEST_CASE("TcpReassembler finish is idempotent and flushes both directions", "[capture]") {
    Recorder rec;
    TcpReassembler r(rec);
    r.on_segment(c2s, data(10, "a"), 1);
    r.on_segment(c2s, data(12, "c"), 2);
    r.on_segment(s2c, data(50, "s"), 3);
    r.on_segment(s2c, data(52, "u"), 4);
    r.finish(5);
    r.finish(6);
    CHECK(rec.log == Log{"c data a", "s data s", "c gap 1", "c data c", "s gap 1", "s data u"});
}
