// `read --threads N`: each connection's decoder (decoder::Connection) runs on one of N worker
// threads, chosen by connection id, and the events come back to the bus in exactly the order
// one thread would have emitted them, so the output is the same byte for byte.
//
// How the order is kept: the reading thread numbers every call it makes on a flow (data, gap,
// fin, rst, finish) and every event it emits itself (a bad packet's notice, through
// staging_bus()); a worker tags the events a call caused with the call's number. Calls are cut
// into chunks of a few thousand packets: while the workers decode chunk i, the reading thread
// merges chunk i-1's events by number into the bus (analysis and sinks stay on that one
// thread) and then reads chunk i+1. Memory is bounded by two chunks.
//
// Limits: the flow table asks a flow whether it closed right after each call, so a proxy
// answers it from the calls alone (finish, a reset, FINs both ways), as decoder::Connection
// does. Key logs are not shared across threads (the KeyLog's resumption cache is per run):
// the caller runs one thread when decrypting.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "capture/flow.hpp"
#include "decoder/model/event_bus.hpp"

namespace decoder {
class Connection;
}

namespace capture {

class ShardedFlowFactory : public FlowFactory {
public:
    // Events end up on `bus`; `workers` >= 1 decoding threads.
    ShardedFlowFactory(decoder::EventBus& bus, unsigned workers);
    ~ShardedFlowFactory() override;
    ShardedFlowFactory(const ShardedFlowFactory&) = delete;
    ShardedFlowFactory& operator=(const ShardedFlowFactory&) = delete;

    std::unique_ptr<Flow> open(const FlowInfo& info) override;

    // The bus the packet processor emits its own events on (instead of `bus`).
    decoder::EventBus& staging_bus() { return staging_; }
    // Called by the reader after each packet: hands a full chunk to the workers.
    void after_packet();
    // Decodes and delivers everything called so far (end of a file, end of the run).
    void drain();

    enum class Op : std::uint8_t { Data, Gap, Fin, Rst, Finish, Destroy };
    // Used by the proxies: queue one call on `conn` (data copied) and give it its number.
    void call(decoder::Connection* conn, std::uint64_t id, Op op, decoder::Dir dir, decoder::Micros ts,
              std::uint64_t arg, std::span<const std::byte> data = {});

private:
    struct Command {
        std::uint64_t number;
        decoder::Connection* conn;
        Op op;
        decoder::Dir dir;
        decoder::Micros ts;
        std::uint64_t arg;  // gap bytes, CloseHow
        std::size_t offset, size;  // the data, in the shard's bytes
    };
    struct Tagged {
        std::uint64_t number;
        decoder::Event event;
    };
    // One worker's part of one chunk: the calls in, the events out.
    struct Shard {
        std::vector<Command> commands;
        std::vector<std::byte> bytes;
        std::vector<Tagged> events;
    };
    struct Worker {
        decoder::EventBus bus;  // collects into `collected`
        std::vector<decoder::Event> collected;
        Shard shards[2];
        std::thread thread;
    };

    void tag_staged();
    void run_worker(Worker& w);
    void execute(Worker& w, Shard& shard);
    void publish();        // the filling chunk goes to the workers
    void wait_workers();   // until they finished the chunk published last
    void deliver(int set); // merges one chunk's events into the bus, then clears it

    decoder::EventBus& bus_;
    decoder::EventBus staging_;
    std::vector<decoder::Event> staged_;
    std::vector<Tagged> staged_tagged_[2];
    std::vector<std::unique_ptr<Worker>> workers_;
    std::uint64_t next_number_ = 0;
    std::size_t packets_in_chunk_ = 0;
    int filling_ = 0;            // the set the reader fills; the workers decode the other
    int published_ = 0;          // the set the workers decode
    bool other_pending_ = false; // the other set holds a published chunk not yet delivered

    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::uint64_t generation_ = 0;  // chunks published
    unsigned busy_ = 0;             // workers still decoding the last one
    bool stop_ = false;
};

}  // namespace capture
