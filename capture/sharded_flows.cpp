#include "capture/sharded_flows.hpp"

#include <algorithm>

#include "decoder/flow/connection.hpp"

namespace capture {

namespace {

// Packets per chunk: large enough that waking the workers is rare, small enough that two
// chunks of events (with each SIP message's raw text) stay a few MB.
constexpr std::size_t kChunkPackets = 4096;

using Op = ShardedFlowFactory::Op;

// The reading thread's stand-in for a connection decoded elsewhere. The flow table asks
// closed() right after each call, so it is answered here from the calls, by
// decoder::Connection's own rule: closed after finish, a reset, or a FIN each way.
class ShardedFlow : public Flow {
public:
    ShardedFlow(ShardedFlowFactory& owner, decoder::Connection* conn, std::uint64_t id)
        : owner_(owner), conn_(conn), id_(id) {}
    ~ShardedFlow() override { owner_.call(conn_, id_, Op::Destroy, decoder::Dir::ClientToServer, 0, 0); }

    void on_data(decoder::Dir dir, std::span<const std::byte> data, decoder::Micros ts) noexcept override {
        if (!closed_ && !data.empty()) owner_.call(conn_, id_, Op::Data, dir, ts, 0, data);
    }
    void on_gap(decoder::Dir dir, std::uint64_t bytes, decoder::Micros ts) noexcept override {
        if (!closed_) owner_.call(conn_, id_, Op::Gap, dir, ts, bytes);
    }
    void on_fin(decoder::Dir dir, decoder::Micros ts) noexcept override {
        if (closed_) return;
        owner_.call(conn_, id_, Op::Fin, dir, ts, 0);
        fin_[dir == decoder::Dir::ClientToServer ? 0 : 1] = true;
        closed_ = fin_[0] && fin_[1];
    }
    void on_rst(decoder::Dir dir, decoder::Micros ts) noexcept override {
        if (closed_) return;
        owner_.call(conn_, id_, Op::Rst, dir, ts, 0);
        closed_ = true;
    }
    void finish(decoder::CloseHow how, decoder::Micros ts) noexcept override {
        if (closed_) return;
        owner_.call(conn_, id_, Op::Finish, decoder::Dir::ClientToServer, ts, static_cast<std::uint64_t>(how));
        closed_ = true;
    }
    bool closed() const override { return closed_; }

private:
    ShardedFlowFactory& owner_;
    decoder::Connection* conn_;  // owned by the worker thread from now on: deleted by Destroy
    std::uint64_t id_;
    bool fin_[2] = {false, false};
    bool closed_ = false;
};

}  // namespace

ShardedFlowFactory::ShardedFlowFactory(decoder::EventBus& bus, unsigned workers) : bus_(bus) {
    staging_.collect_into(&staged_);
    for (unsigned i = 0; i < std::max(1u, workers); ++i) {
        auto w = std::make_unique<Worker>();
        w->bus.collect_into(&w->collected);
        workers_.push_back(std::move(w));
    }
    for (auto& w : workers_) w->thread = std::thread([this, wp = w.get()] { run_worker(*wp); });
}

ShardedFlowFactory::~ShardedFlowFactory() {
    try {
        drain();
    } catch (...) {  // only allocation can fail; the threads must still be joined
    }
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w->thread.join();
}

std::unique_ptr<Flow> ShardedFlowFactory::open(const FlowInfo& info) {
    auto& worker = *workers_[info.id % workers_.size()];
    // Constructing emits nothing; from here on only the worker touches the connection.
    auto* conn = new decoder::Connection(worker.bus, info.id, info.client, info.server, info.transport, info.ts,
                                         info.handshake_seen);
    return std::make_unique<ShardedFlow>(*this, conn, info.id);
}

void ShardedFlowFactory::tag_staged() {
    for (auto& e : staged_) staged_tagged_[filling_].push_back({next_number_++, std::move(e)});
    staged_.clear();
}

void ShardedFlowFactory::call(decoder::Connection* conn, std::uint64_t id, Op op, decoder::Dir dir,
                              decoder::Micros ts, std::uint64_t arg, std::span<const std::byte> data) {
    tag_staged();  // what the reader emitted before this call comes before it
    Shard& shard = workers_[id % workers_.size()]->shards[filling_];
    shard.commands.push_back({next_number_++, conn, op, dir, ts, arg, shard.bytes.size(), data.size()});
    shard.bytes.insert(shard.bytes.end(), data.begin(), data.end());
}

void ShardedFlowFactory::after_packet() {
    if (++packets_in_chunk_ < kChunkPackets) return;
    packets_in_chunk_ = 0;
    tag_staged();
    if (other_pending_) wait_workers();  // the chunk before is decoded
    publish();
    if (other_pending_) deliver(1 - filling_);  // ... and delivered while this one decodes
    other_pending_ = true;
    filling_ = 1 - filling_;
}

void ShardedFlowFactory::drain() {
    packets_in_chunk_ = kChunkPackets - 1;
    after_packet();  // publishes what was filled, delivers the chunk before it
    wait_workers();
    deliver(1 - filling_);
    other_pending_ = false;
}

void ShardedFlowFactory::publish() {
    {
        std::lock_guard lock(mutex_);
        published_ = filling_;
        busy_ = static_cast<unsigned>(workers_.size());
        ++generation_;
    }
    wake_.notify_all();
}

void ShardedFlowFactory::wait_workers() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
}

void ShardedFlowFactory::run_worker(Worker& w) {
    std::uint64_t seen = 0;
    for (;;) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (generation_ == seen) return;  // stopping, nothing left
        seen = generation_;
        const int set = published_;
        lock.unlock();
        execute(w, w.shards[set]);
        lock.lock();
        if (--busy_ == 0) done_.notify_all();
    }
}

void ShardedFlowFactory::execute(Worker& w, Shard& shard) {
    for (const Command& c : shard.commands) {
        const auto data = std::span<const std::byte>(shard.bytes).subspan(c.offset, c.size);
        switch (c.op) {
            case Op::Data: c.conn->on_data(c.dir, data, c.ts); break;
            case Op::Gap: c.conn->on_gap(c.dir, c.arg, c.ts); break;
            case Op::Fin: c.conn->on_fin(c.dir, c.ts); break;
            case Op::Rst: c.conn->on_rst(c.dir, c.ts); break;
            case Op::Finish: c.conn->finish(static_cast<decoder::CloseHow>(c.arg), c.ts); break;
            case Op::Destroy: delete c.conn; break;
        }
        for (auto& e : w.collected) shard.events.push_back({c.number, std::move(e)});
        w.collected.clear();
    }
}

// A merge by call number of the workers' event lists and the reader's own, each already in order.
void ShardedFlowFactory::deliver(int set) {
    std::vector<std::vector<Tagged>*> lists{&staged_tagged_[set]};
    for (auto& w : workers_) lists.push_back(&w->shards[set].events);
    std::vector<std::size_t> next(lists.size(), 0);
    {
        const decoder::EventBus::Batch batch(bus_);
        for (;;) {
            std::size_t best = lists.size();
            for (std::size_t i = 0; i < lists.size(); ++i)
                if (next[i] < lists[i]->size() &&
                    (best == lists.size() || (*lists[i])[next[i]].number < (*lists[best])[next[best]].number))
                    best = i;
            if (best == lists.size()) break;
            bus_.emit(std::move((*lists[best])[next[best]++].event));
        }
    }
    staged_tagged_[set].clear();
    for (auto& w : workers_) {
        Shard& s = w->shards[set];
        s.commands.clear();
        s.bytes.clear();
        s.events.clear();
    }
}

}  // namespace capture
