#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>

#include "decoder/model/event_bus.hpp"

using namespace decoder;

namespace {

Event notice(const std::string& what) {
    Event e;
    e.payload = Notice{what, ""};
    return e;
}

// Writes "<name>:<what>#<seq>" for each event it sees, and "<name>:flush" when told to flush.
class Recorder : public EventSink {
public:
    Recorder(std::vector<std::string>& log, std::string name) : log_(log), name_(std::move(name)) {}
    void on_event(const Event& e) override {
        log_.push_back(name_ + ":" + e.as<Notice>()->what + "#" + std::to_string(e.seq));
    }
    void on_flush() override { log_.push_back(name_ + ":flush"); }

private:
    std::vector<std::string>& log_;
    std::string name_;
};

// An analyzer: answers each "cause" with two findings-like events, and one more at the end.
class Analyzer : public EventSink {
public:
    explicit Analyzer(EventBus& bus) : bus_(bus) {}
    void on_event(const Event& e) override {
        if (e.as<Notice>()->what != "cause") return;
        bus_.emit(notice("effect1"));
        bus_.emit(notice("effect2"));
    }
    void on_end() override { bus_.emit(notice("final")); }

private:
    EventBus& bus_;
};

// A bus with the analyzer and one recorder "a" behind it.
struct AnalyzedBus {
    EventBus bus;
    std::vector<std::string> log;
    Analyzer analyzer{bus};
    Recorder a{log, "a"};
    AnalyzedBus() {
        bus.add_sink(analyzer);
        bus.add_sink(a);
    }
};

class Thrower : public EventSink {
public:
    void on_event(const Event& e) override {
        if (e.as<Notice>()->what == "bad") throw std::runtime_error("sink failed");
    }
};

}  // namespace

TEST_CASE("[bus] what a sink emits follows the event that caused it, after every sink saw that", "[bus]") {
    EventBus bus;
    std::vector<std::string> log;
    Analyzer analyzer(bus);
    Recorder a(log, "a"), b(log, "b");
    bus.add_sink(analyzer);
    bus.add_sink(a);
    bus.add_sink(b);
    CHECK(bus.emit(notice("first")) == 1);
    CHECK(bus.emit(notice("cause")) == 2);
    CHECK(bus.emit(notice("last")) == 5);
    bus.end();
    CHECK(log == std::vector<std::string>{"a:first#1", "b:first#1", "a:flush", "b:flush", "a:cause#2",
                                          "b:cause#2", "a:effect1#3", "b:effect1#3", "a:effect2#4", "b:effect2#4",
                                          "a:flush", "b:flush", "a:last#5", "b:last#5", "a:flush", "b:flush",
                                          "a:final#6", "b:final#6", "a:flush", "b:flush"});
}

TEST_CASE("[bus] the events of one batch are flushed once, when the outermost batch ends", "[bus]") {
    AnalyzedBus wired;
    auto& bus = wired.bus;
    auto& log = wired.log;
    {
        const EventBus::Batch outer(bus);
        bus.emit(notice("one"));
        {
            const EventBus::Batch inner(bus);
            bus.emit(notice("cause"));
        }
        bus.emit(notice("two"));
        CHECK(log == std::vector<std::string>{"a:one#1", "a:cause#2", "a:effect1#3", "a:effect2#4", "a:two#5"});
    }
    CHECK(log.back() == "a:flush");
    CHECK(std::count(log.begin(), log.end(), "a:flush") == 1);
    bus.emit(notice("after"));
    CHECK(log == std::vector<std::string>{"a:one#1", "a:cause#2", "a:effect1#3", "a:effect2#4", "a:two#5",
                                          "a:flush", "a:after#6", "a:flush"});
}

TEST_CASE("[bus] a sink that throws does not stop later events", "[bus]") {
    EventBus bus;
    std::vector<std::string> log;
    Thrower thrower;
    Recorder a(log, "a");
    bus.add_sink(thrower);
    bus.add_sink(a);
    CHECK_THROWS(bus.emit(notice("bad")));
    bus.emit(notice("good"));
    CHECK(log == std::vector<std::string>{"a:good#2", "a:flush"});
}

TEST_CASE("[bus] an event delivered in place stays with the caller, numbered, and what it caused follows it", "[bus]") {
    AnalyzedBus wired;
    auto& bus = wired.bus;
    bus.emit(notice("first"));
    Event kept = notice("cause");
    CHECK(bus.emit_in_place(kept) == 2);
    CHECK(kept.seq == 2);
    CHECK(kept.as<Notice>()->what == "cause");  // not moved from
    CHECK(wired.log == std::vector<std::string>{"a:first#1", "a:flush", "a:cause#2", "a:effect1#3", "a:effect2#4", "a:flush"});
}
