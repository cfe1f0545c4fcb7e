// `read --threads N`: each connection's decoder (decoder::Connection) runs on one of N worker
// threads, chosen by connection id, and the events come back to the bus in exactly the order
// one thread would have emitted them, so the output is the same byte for byte.
//
// How the order is kept: the reading thread numbers every call it makes on a flow (data, gap,
// fin, rst, finish) and every event it emits itself (a bad packet's notice, through
// staging_bus()); a worker tags the events a call caused with the call's number. Calls are cut
// into chunks of a few thousand packets, kept in a ring of kSets: the workers decode chunk
// after chunk each at its own pace, and the reading thread merges by number the chunks that
// every worker has finished into the bus (the analysis and the sinks stay on that one thread,
// in order) and waits only when the ring is full. Memory is bounded by kSets chunks.
//
// What each thread does: with --json the workers also write each event's JSON line (the merge
// only puts in the seq, which the analysis' findings move); the events stay in the worker's
// part of the chunk, so their memory is freed on the thread that allocated it.
//
// Limits: the flow table asks a flow whether it closed right after each call, so a proxy
// answers it from the calls alone (finish, a reset, FINs both ways), as decoder::Connection
// does. Key logs are not shared across threads (the KeyLog's resumption cache is per run):
// the caller runs one thread when decrypting.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
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
class PrerenderedJsonSink;
}

namespace capture {

class ShardedFlowFactory : public FlowFactory {
public:
    // Events end up on `bus`; `workers` >= 1 decoding threads. With `json` (a sink on `bus`)
    // the workers write the JSON lines for it.
    ShardedFlowFactory(decoder::EventBus& bus, unsigned workers, decoder::PrerenderedJsonSink* json = nullptr);
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

    static constexpr unsigned kSets = 8;  // chunks in the ring: how far the reader may run ahead

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
    struct Line {
        std::size_t start, seq_at, end;  // in Shard::text; seq_at npos: not cut, written at the merge
    };
    // One worker's part of one chunk. The reader fills commands and bytes and clears them once
    // it delivered the chunk; the worker clears the rest when it takes the set up again.
    struct Shard {
        std::vector<Command> commands;
        std::vector<std::byte> bytes;
        std::vector<decoder::Event> events;  // in call order
        std::vector<std::uint64_t> numbers;  // the call number of each event
        std::vector<Line> lines;             // with --json: each event's line
        std::string text;
    };
    struct Freeing {
        unsigned set;
        std::size_t next;  // events before this one are freed already
    };
    struct Worker {
        decoder::EventBus bus;  // collects into the shard being decoded
        Shard shards[kSets];
        // Sets whose chunk was delivered and whose events are still to free, oldest first.
        std::deque<Freeing> freeing;
        std::uint64_t queued = 0;  // chunks whose set has been queued in `freeing`
        std::uint64_t done = 0;  // chunks decoded; under mutex_
        std::thread thread;
    };

    void tag_staged();
    void run_worker(Worker& w);
    void execute(Worker& w, unsigned set);
    void free_one(Worker& w);
    void cut();                      // the filling chunk goes to the workers
    bool decoded(std::uint64_t chunk);  // by every worker; takes mutex_
    bool decoded_locked(std::uint64_t chunk) const;  // the same, holding mutex_
    void deliver_oldest(bool wait);  // merges the oldest undelivered chunk into the bus
    void merge(unsigned set);

    decoder::EventBus& bus_;
    decoder::PrerenderedJsonSink* json_;
    decoder::EventBus staging_;
    std::vector<decoder::Event> staged_;
    std::vector<Tagged> staged_tagged_[kSets];
    std::vector<std::unique_ptr<Worker>> workers_;
    std::uint64_t next_number_ = 0;
    std::size_t packets_in_chunk_ = 0;
    std::atomic<std::uint64_t> delivered_ = 0;  // chunks merged into the bus (written by the reader)

    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::uint64_t published_ = 0;  // chunks handed to the workers; the reader fills published_ % kSets
    bool stop_ = false;
};

}  // namespace capture
