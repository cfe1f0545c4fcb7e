// `siptap read FILE...`: replays pcap/pcapng captures through the decoder and the sinks.
#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capture/connection_flow.hpp"
#include "capture/netmon_reader.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "capture/pcapng_secrets.hpp"
#include "capture/sharded_flows.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "cli/rsa_key_files.hpp"
#include "decoder/tls/tls_keylog.hpp"

namespace cli {

namespace {

struct ReadOptions {
    std::vector<std::string> files;
    std::string keylog;
    std::vector<std::string> rsa_keys;
    OutputOptions output;
    unsigned threads = 1;
};

// Only a regular file can be read once for what comes before its packets (the Network Monitor
// magic, pcapng's embedded keys) and then again by the reader: in a pipe (/dev/stdin, a
// shell's <(...)) the first look would take the bytes libpcap needs. `-` is libpcap's stdin.
bool can_look_ahead(const std::string& file) {
    std::error_code ec;
    return std::filesystem::is_regular_file(file, ec);
}

// --keylog and the key logs embedded in pcapng files (Decryption Secrets Blocks). Returns
// false when a key log could not be read or had malformed lines (reported, the rest is used);
// `used` says whether there are any keys to decrypt with.
bool load_keys(const ReadOptions& options, decoder::KeyLog& keys, bool& used) {
    std::vector<std::string> problems, sources;
    bool ok = true;
    if (!options.keylog.empty()) {
        ok = keys.add_file(options.keylog, problems);
        sources.push_back(options.keylog);
    }
    for (const auto& file : options.files) {
        if (!can_look_ahead(file)) continue;  // a piped pcapng's keys are not read
        auto embedded = capture::read_pcapng_secrets(file);
        problems.insert(problems.end(), embedded.problems.begin(), embedded.problems.end());
        if (!embedded.blocks) continue;
        keys.add_text(embedded.keylog, file + " (embedded key log)", problems);
        sources.push_back(file + " (embedded)");
    }
    for (const auto& p : problems) std::cerr << "siptap: " << p << '\n';
    ok &= load_rsa_keys(options.rsa_keys, keys);
    used = !sources.empty() || !keys.rsa_keys().empty();
    if (!sources.empty()) {
        std::string list;
        for (const auto& s : sources) list += (list.empty() ? "" : ", ") + s;
        std::cerr << "siptap: keys from " << list << ": " << keys.summary() << '\n';
    }
    return ok && problems.empty();
}

// "2 bad packets skipped (ipv4: 1, udp: 1)"
std::string bad_packet_line(const capture::Stats& stats) {
    std::string reasons;
    for (const auto& [reason, count] : stats.bad_by_reason)
        reasons += (reasons.empty() ? "" : ", ") + reason + ": " + std::to_string(count);
    return std::to_string(stats.bad_packets) + " bad packet" + (stats.bad_packets == 1 ? "" : "s") +
           " skipped (" + reasons + ")";
}

// Each file is its own capture (the same 5-tuple in two files is two connections), but
// connection ids stay unique across the run: the flow table numbers from 1 per file.
class RunWideIds : public capture::FlowFactory {
public:
    explicit RunWideIds(capture::FlowFactory& inner) : inner_(inner) {}
    std::unique_ptr<capture::Flow> open(const capture::FlowInfo& info) override {
        auto shifted = info;
        shifted.id += offset_;
        last_ = std::max(last_, shifted.id);
        return inner_.open(shifted);
    }
    void next_file() { offset_ = last_; }

private:
    capture::FlowFactory& inner_;
    std::uint64_t offset_ = 0, last_ = 0;
};

// Network Monitor files are recognised by their first bytes, whatever their name. A pipe is
// read as pcap or pcapng (see can_look_ahead).
std::string first_bytes(const std::string& file) {
    if (!can_look_ahead(file)) return {};
    std::array<char, 6> magic{};
    std::ifstream in(file, std::ios::binary);
    in.read(magic.data(), magic.size());
    return {magic.data(), static_cast<std::size_t>(in.gcount())};
}

// Captures copied off a Windows server often come compressed or zipped: named, with a way to
// read them, instead of libpcap's "unknown file format". Empty when the bytes are none of these.
std::string packed_problem(std::string_view magic, const std::string& file) {
    struct Packed {
        std::string_view magic, what, reader;
    };
    static constexpr Packed kinds[] = {
        {"\x1f\x8b", "compressed with gzip", "zcat"},
        {"\x28\xb5\x2f\xfd", "compressed with zstd", "zstdcat"},
        {"\xfd" "7zXZ", "compressed with xz", "xzcat"},
        {"BZh", "compressed with bzip2", "bzcat"},
        {"PK\x03\x04", "a zip archive", "unzip -p"},
        {"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "7z x -so"},
    };
    for (const auto& k : kinds)
        if (magic.starts_with(k.magic))
            return std::string(k.what) + "; unpack it first, or read it through a pipe: " + std::string(k.reader) +
                   " '" + file + "' | siptap read -";
    return {};
}

bool is_etw_trace_name(const std::string& file) {
    std::string ext = std::filesystem::path(file).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".etl";
}

capture::ReadResult read_frames(const std::string& file, capture::PacketHandler& handler) {
    const std::string head = first_bytes(file);
    if (const auto packed = packed_problem(head, file); !packed.empty())
        throw capture::InputError(file + ": cannot read capture: " + packed);
    const std::string magic = head.substr(0, 4);
    if (magic == "RTSS")
        throw capture::InputError(file + ": cannot read capture: Network Monitor 1.x format; save it again in "
                                         "Network Monitor 3.4, or convert it with editcap -F pcapng");
    if (!capture::is_netmon(std::as_bytes(std::span(magic)))) {
        try {
            return capture::PcapFileReader(file).read_all(handler);
        } catch (const capture::InputError& e) {
            // netsh trace and pktmon write Event Tracing for Windows files, which no library
            // here reads: say how to convert one on the server (README, "Captures from a
            // Windows server").
            if (!is_etw_trace_name(file)) throw;
            throw capture::InputError(std::string(e.what()) +
                                      "; an .etl trace is converted on the server first: pktmon etl2pcap '" + file +
                                      "' --out trace.pcapng");
        }
    }
    auto result = capture::NetmonFileReader(file).read_all(handler);
    if (result.skipped)
        std::cerr << "siptap: " << file << ": " << result.skipped
                  << " Network Monitor frames of other media (not Ethernet or IP) skipped\n";
    return result;
}

// With --threads: after each packet the sharded decoders may take the next chunk.
class ChunkCutter : public capture::PacketHandler {
public:
    ChunkCutter(capture::PacketHandler& next, capture::ShardedFlowFactory* sharded) : next_(next), sharded_(sharded) {}
    void on_packet(const capture::RawPacket& packet) noexcept override {
        next_.on_packet(packet);
        if (sharded_) sharded_->after_packet();
    }

private:
    capture::PacketHandler& next_;
    capture::ShardedFlowFactory* sharded_;
};

// Reads one file to its end; returns false when the file could not be read completely.
bool read_file(const std::string& file, decoder::EventBus& bus, RunWideIds& flows,
               capture::ShardedFlowFactory* sharded, capture::Stats& total) {
    bool complete = true;
    capture::PacketProcessor processor(sharded ? sharded->staging_bus() : bus, flows);
    ChunkCutter cutter(processor, sharded);
    try {
        ProgressHandler progress(cutter, file, std::cerr, ProgressHandler::stderr_is_terminal());
        const auto result = read_frames(file, progress);
        progress.done();
        if (result.error) {
            std::cerr << "siptap: " << *result.error << '\n';
            complete = false;
        }
    } catch (const capture::InputError& e) {
        std::cerr << "siptap: " << e.what() << '\n';
        complete = false;
    }
    processor.finish(processor.last_ts());
    const auto& stats = processor.stats();
    if (stats.bad_packets) std::cerr << "siptap: " << file << ": " << bad_packet_line(stats) << '\n';
    total.packets += stats.packets;
    total.bad_packets += stats.bad_packets;
    return complete;
}

int run_read(const ReadOptions& options) {
    OutputOptions output = options.output;
    output.batch_output = true;
    // Without lines from the workers (one thread after all) that sink writes what JsonSink does.
    output.prerendered_json = options.threads > 1;
    Pipeline pipeline(output);
    decoder::KeyLog keys;
    bool keys_used = false;
    bool input_error = !load_keys(options, keys, keys_used);
    // Decryption stays on one thread: the key log's resumption cache spans connections.
    const bool threaded = options.threads > 1 && !keys_used;
    std::unique_ptr<capture::FlowFactory> factory;
    capture::ShardedFlowFactory* sharded = nullptr;
    if (threaded) {
        auto s = std::make_unique<capture::ShardedFlowFactory>(pipeline.bus(), options.threads,
                                                               pipeline.prerendered_json());
        sharded = s.get();
        factory = std::move(s);
    } else {
        factory = std::make_unique<capture::ConnectionFlowFactory>(pipeline.bus(), keys_used ? &keys : nullptr);
    }
    RunWideIds flows(*factory);
    capture::Stats total;
    for (const auto& file : options.files) {
        input_error |= !read_file(file, pipeline.bus(), flows, sharded, total);
        if (sharded) sharded->drain();  // this file's events before the next file's
        flows.next_file();
    }
    const int rc = pipeline.finish();
    report_unmatched_rsa_keys(keys);
    std::cerr << "siptap: " << options.files.size() << " file" << (options.files.size() == 1 ? "" : "s") << ", "
              << total.packets << " packets, " << total.bad_packets << " bad\n";
    return input_error ? kExitUsage : rc;
}

}  // namespace

Runner add_read_command(CLI::App& app) {
    auto options = std::make_shared<ReadOptions>();
    auto* read = app.add_subcommand("read", "Replay pcap/pcapng captures: SIP over UDP/TCP, TLS handshakes, "
                                            "certificates, teardowns and findings");
    read->add_option("FILE", options->files,
                     "pcap, pcapng or Network Monitor (.cap) files, read in order")->required();
    read->add_option("--keylog", options->keylog,
                     "NSS key log (SSLKEYLOGFILE) to decrypt TLS 1.0-1.3; keys embedded in a pcapng "
                     "(editcap --inject-secrets) are used without it");
    add_rsa_key_option(*read, options->rsa_keys);
    read->add_option("--threads", options->threads,
                     "Decode connections on this many threads (by connection; output identical to one "
                     "thread). Decryption with keys uses one thread")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    add_output_options(*read, options->output);
    return [options] { return run_read(*options); };
}

}  // namespace cli
