#include "recording_flow_support.hpp"

namespace capture_test {
namespace {

class RecordingFlow : public capture::Flow {
public:
    RecordingFlow(RecordedFlow& rec, std::vector<std::string>& journal) : rec_(rec), journal_(journal) {}

    void on_data(decoder::Dir d, std::span<const std::byte> data, decoder::Micros) noexcept override {
        rec_.stream[index(d)].append(reinterpret_cast<const char*>(data.data()), data.size());
        ++rec_.datagrams[index(d)];
        note(std::string(tag(d)) + " data " + std::to_string(data.size()));
    }
    void on_gap(decoder::Dir d, std::uint64_t n, decoder::Micros) noexcept override {
        rec_.gaps[index(d)].push_back(n);
        note(std::string(tag(d)) + " gap " + std::to_string(n));
    }
    void on_fin(decoder::Dir d, decoder::Micros) noexcept override { note(std::string(tag(d)) + " fin"); }
    void on_rst(decoder::Dir d, decoder::Micros) noexcept override { note(std::string(tag(d)) + " rst"); }
    void finish(decoder::CloseHow how, decoder::Micros ts) noexcept override {
        if (!rec_.finished.empty()) return;
        rec_.finished = close_name(how);
        note("finish " + rec_.finished + " @" + std::to_string(ts));
    }
    bool closed() const override { return !rec_.finished.empty(); }

private:
    static int index(decoder::Dir d) { return d == decoder::Dir::ClientToServer ? 0 : 1; }
    static const char* tag(decoder::Dir d) { return d == decoder::Dir::ClientToServer ? "c" : "s"; }
    void note(std::string entry) {
        rec_.log.push_back(entry);
        journal_.push_back(std::to_string(rec_.info.id) + " " + entry);
    }

    RecordedFlow& rec_;
    std::vector<std::string>& journal_;
};

}  // namespace

const char* close_name(decoder::CloseHow how) {
    switch (how) {
    case decoder::CloseHow::Fin: return "fin";
    case decoder::CloseHow::Rst: return "rst";
    case decoder::CloseHow::Timeout: return "timeout";
    case decoder::CloseHow::CaptureEnd: return "capture_end";
    default: return "other";  // the capture layer only ever uses the four above
    }
}

std::unique_ptr<capture::Flow> RecordingFactory::open(const capture::FlowInfo& info) {
    flows.push_back(std::make_unique<RecordedFlow>());
    flows.back()->info = info;
    journal.push_back(std::to_string(info.id) + " open " + info.client.ip + ":" + std::to_string(info.client.port) +
                      " -> " + info.server.ip + ":" + std::to_string(info.server.port));
    return std::make_unique<RecordingFlow>(*flows.back(), journal);
}

std::vector<std::string> EventRecorder::notices() const {
    std::vector<std::string> out;
    for (const auto& e : events)
        if (const auto* n = e.as<decoder::Notice>()) out.push_back(n->message);
    return out;
}

}  // namespace capture_test
