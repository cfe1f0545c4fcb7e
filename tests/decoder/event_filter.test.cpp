// --filter: the language (table of expression x event -> shown?), its errors, and what the
// FilterSink passes on (a shown connection's open, teardown and findings, nothing else).
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "decoder/model/event_filter.hpp"

using namespace decoder;

namespace {

const Endpoint kUm{"10.0.0.2", 50341}, kLync{"10.0.0.3", 5061}, kA{"192.0.2.10", 5060}, kB{"192.0.2.20", 5060};

Event event(std::uint64_t conn, Endpoint src, Endpoint dst, Payload p) {
    Event e;
    e.conn = conn;
    e.src = std::move(src);
    e.dst = std::move(dst);
    e.payload = std::move(p);
    return e;
}

SipMessage sip(bool request, const char* method, int status, const char* call_id) {
    SipMessage m;
    m.is_request = request;
    m.method = method;
    m.status = status;
    m.call_id = call_id;
    return m;
}

// 0: OPTIONS (conn 1), 1: its 504, 2: a ClientHello (conn 1), 3: INVITE (conn 2), 4: its 200.
std::vector<Event> fixture() {
    TlsMessage hello;
    hello.type = "client_hello";
    return {event(1, kUm, kLync, sip(true, "OPTIONS", 0, "abc123@exch01")),
            event(1, kLync, kUm, sip(false, "OPTIONS", 504, "abc123@exch01")), event(1, kUm, kLync, hello),
            event(2, kA, kB, sip(true, "INVITE", 0, "xyz-789")), event(2, kB, kA, sip(false, "INVITE", 200, "xyz-789"))};
}

struct Recorder : EventSink {
    std::vector<std::string> seen;
    void on_event(const Event& e) override {
        std::string what = event_name(e);
        if (const auto* f = e.as<Finding>()) what += ":" + f->code;
        seen.push_back("#" + std::to_string(e.conn) + " " + what);
    }
};

}  // namespace

TEST_CASE("[filter] expressions select events", "[filter]") {
    const auto events = fixture();
    const auto [expr, index, expected] = GENERATE(table<const char*, int, bool>({
        {"host 10.0.0.3", 0, true},         {"host 10.0.0.3", 2, true},
        {"host 10.0.0.3", 3, false},        {"host 10.0.0.30", 0, false},
        {"port 5061", 1, true},             {"port 5060", 1, false},
        {"port 5060", 4, true},             {"conn 2", 3, true},
        {"conn 2", 0, false},               {"callid abc123", 0, true},
        {"callid abc123@exch01", 1, true},  {"callid abc123", 3, false},
        {"callid abc123", 2, false},        {"method OPTIONS", 0, true},
        {"method options", 1, true},        {"method OPTIONS", 3, false},
        {"method OPTIONS", 2, false},       {"status 504", 1, true},
        {"status 504", 0, false},           {"status 5xx", 1, true},
        {"status 5xx", 4, false},           {"status 2XX", 4, true},
        {"host 10.0.0.3 and method OPTIONS", 0, true},
        {"host 10.0.0.3 and method INVITE", 0, false},
        {"method INVITE or status 504", 1, true},
        {"method INVITE or status 504", 0, false},
        {"port 5061 and not status 504", 0, true},
        {"port 5061 and not status 504", 1, false},
        {"not (conn 1 or conn 2)", 0, false},
        {"status 200 or method OPTIONS and conn 2", 0, false},  // and binds tighter
        {"status 200 or method OPTIONS and conn 2", 4, true},
        {"(status 200 or method OPTIONS) and conn 1", 0, true},
        {"HOST 192.0.2.20 AND PORT 5060", 3, true},
    }));
    CAPTURE(expr, index);
    CHECK(EventFilter::parse(expr).matches(events[static_cast<std::size_t>(index)]) == expected);
}

TEST_CASE("[filter] bad expressions say what is wrong", "[filter]") {
    const auto [expr, message] = GENERATE(table<const char*, const char*>({
        {"", "empty"},
        {"hots 10.0.0.3", "unknown word 'hots'"},
        {"port", "expected a port after port at the end"},
        {"port 70000", "port needs a number up to 65535, not '70000'"},
        {"port 50x", "not '50x'"},
        {"status 99", "status needs 100-699"},
        {"status 7xx", "not '7xx'"},
        {"(method OPTIONS", "missing ')'"},
        {"method OPTIONS)", "unexpected ')'"},
        {"port 5061 and", "at the end"},
        {"method (", "method needs a value"},
    }));
    CAPTURE(expr);
    REQUIRE_THROWS_WITH(EventFilter::parse(expr), Catch::Contains(message));
}

TEST_CASE("[filter] a deeply nested or very long expression is refused, not a stack overflow", "[filter]") {
    // fuzz_filter's crasher (tests/fuzz/corpus/filter/stack-overflow-nested-parens) was 3,312 '('.
    REQUIRE_THROWS_WITH(EventFilter::parse(std::string(100000, '(') + "port 5060"), Catch::Contains("too long"));
    std::string chain = "port 5060";
    for (int i = 0; i < 100000; ++i) chain += " and not port 1";
    REQUIRE_THROWS_WITH(EventFilter::parse(chain), Catch::Contains("at most 512"));
    std::string longest = "port 5060";  // 511 words still parse
    for (int i = 0; i < 167; ++i) longest += " or conn " + std::to_string(i);
    CHECK(EventFilter::parse(longest).matches(event(0, kA, kB, sip(true, "INVITE", 0, "x"))));
}

TEST_CASE("[filter] a shown connection keeps its open, teardown and findings", "[filter]") {
    Recorder out;
    FilterSink sink(EventFilter::parse("method OPTIONS"), {&out});
    auto emit = [&](std::uint64_t conn, Payload p, Endpoint src = kUm, Endpoint dst = kLync) {
        sink.on_event(event(conn, std::move(src), std::move(dst), std::move(p)));
    };
    emit(1, ConnOpen{true});
    emit(1, TlsMessage{});                                        // not shown
    emit(1, Finding{Severity::Error, "wildcard-subject-cn", "", {}});  // held until shown
    emit(2, ConnOpen{true}, kA, kB);
    emit(2, sip(true, "INVITE", 0, "x"), kA, kB);
    emit(2, Finding{Severity::Warning, "sip-error-response", "", {}}, kA, kB);
    emit(2, ConnClose{}, kA, kB);
    emit(2, Finding{Severity::Error, "closed-after-request", "", {}}, kA, kB);  // conn 2 stays hidden
    emit(1, sip(true, "OPTIONS", 0, "y"));
    emit(1, ConnClose{});
    emit(1, Finding{Severity::Error, "closed-after-request", "", {}});
    emit(0, Finding{Severity::Info, "run-level", "", {}}, {}, {});
    emit(0, Notice{"packet-error", "bad"}, {}, {});  // not matching the filter
    CHECK(out.seen == std::vector<std::string>{"#1 conn_open", "#1 sip", "#1 finding:wildcard-subject-cn",
                                               "#1 conn_close", "#1 finding:closed-after-request",
                                               "#0 finding:run-level"});
}
