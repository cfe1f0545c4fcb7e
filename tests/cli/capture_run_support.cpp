#include "capture_run_support.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/connection_flow.hpp"
#include "capture/netmon_reader.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "decoder/model/event_bus.hpp"

#include <nlohmann/json.hpp>

namespace test {

namespace {

class Recorder : public decoder::EventSink {
public:
    explicit Recorder(std::vector<decoder::Event>& out) : out_(out) {}
    void on_event(const decoder::Event& e) override { out_.push_back(e); }

private:
    std::vector<decoder::Event>& out_;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

std::string pcap(const std::string& name) { return std::string(SIPTAP_PCAP_DIR) + "/" + name; }

std::vector<decoder::Event> read_events(const std::vector<std::string>& files,
                                        decoder::DiagnosisOptions options, const decoder::KeyLog* keys) {
    std::vector<decoder::Event> events;
    decoder::EventBus bus;
    decoder::Diagnoser diagnoser(bus, std::move(options));
    Recorder recorder(events);
    bus.add_sink(diagnoser);
    bus.add_sink(recorder);
    capture::ConnectionFlowFactory flows(bus, keys);
    capture::PacketProcessor processor(bus, flows);
    for (const auto& f : files) {
        char magic[4] = {};
        std::ifstream(f, std::ios::binary).read(magic, sizeof magic);
        if (capture::is_netmon(std::as_bytes(std::span(magic)))) capture::NetmonFileReader(f).read_all(processor);
        else capture::PcapFileReader(f).read_all(processor);
    }
    processor.finish(processor.last_ts());
    bus.end();
    return events;
}

namespace {

std::string base64_decode(const std::string& in) {
    static const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
        const auto v = abc.find(c);
        if (v == std::string::npos) continue;  // '=' and whitespace
        buf = buf << 6 | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buf >> bits) & 0xff);
        }
    }
    return out;
}

}  // namespace

std::array<std::string, 2> sent_bytes(const std::string& name) {
    std::array<std::string, 2> out;
    std::ifstream in(pcap(name + ".sent.txt"));
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line);
        out[j.at("from") == "client" ? 0 : 1] += base64_decode(j.at("bytes_b64").get<std::string>());
    }
    return out;
}

std::array<std::string, 2> decrypted_sip(const std::vector<decoder::Event>& events) {
    std::array<std::string, 2> out;
    for (const auto& e : events)
        if (const auto* m = e.as<decoder::SipMessage>()) out[e.src.port == 5061 ? 1 : 0] += m->raw;
    return out;
}

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

RunResult run_shell(const std::string& command, int timeout_s) {
    const auto dir = std::filesystem::temp_directory_path();
    const auto tag = std::to_string(getpid()) + "-" + std::to_string(std::rand());
    const auto out = (dir / ("siptap-test-out-" + tag)).string();
    const auto err = (dir / ("siptap-test-err-" + tag)).string();
    const std::string full = "timeout -k 5 " + std::to_string(timeout_s) + " sh -c " + quote(command) +
                             " >" + out + " 2>" + err + " </dev/null";
    const int status = std::system(full.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
}

std::vector<std::string> non_empty_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

RunResult run_siptap(const std::vector<std::string>& args, int timeout_s) {
    std::string command = quote(SIPTAP_BINARY);
    for (const auto& a : args) command += " " + quote(a);
    return run_shell(command, timeout_s);
}

std::vector<std::string> finding_codes(const std::vector<decoder::Event>& events) {
    std::vector<std::string> codes;
    for (const auto* f : payloads<decoder::Finding>(events)) codes.push_back(f->code);
    return codes;
}

}  // namespace test
