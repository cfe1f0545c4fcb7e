#include "capture/sharded_flows.hpp"

#include <algorithm>

#include "decoder/flow/connection.hpp"
#include "decoder/sinks/prerendered_json.hpp"

namespace capture {

namespace {

// Packets per chunk: small, so that what a worker wrote (events, JSON lines) is still in the
// caches when the merge reads it and when the worker frees it kSets chunks later (512 cost
// more CPU than 128 here), yet large enough that the hand-over per chunk stays rare.
constexpr std::size_t kChunkPackets = 128;

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

ShardedFlowFactory::ShardedFlowFactory(decoder::EventBus& bus, unsigned workers, decoder::PrerenderedJsonSink* json)
    : bus_(bus), json_(json) {
    staging_.collect_into(&staged_);
    for (unsigned i = 0; i < std::max(1u, workers); ++i) workers_.push_back(std::make_unique<Worker>());
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
    auto& into = staged_tagged_[published_ % kSets];
    for (auto& e : staged_) into.push_back({next_number_++, std::move(e)});
    staged_.clear();
}

void ShardedFlowFactory::call(decoder::Connection* conn, std::uint64_t id, Op op, decoder::Dir dir,
                              decoder::Micros ts, std::uint64_t arg, std::span<const std::byte> data) {
    tag_staged();  // what the reader emitted before this call comes before it
    Shard& shard = workers_[id % workers_.size()]->shards[published_ % kSets];
    shard.commands.push_back({next_number_++, conn, op, dir, ts, arg, shard.bytes.size(), data.size()});
    shard.bytes.insert(shard.bytes.end(), data.begin(), data.end());
}

void ShardedFlowFactory::after_packet() {
    if (++packets_in_chunk_ < kChunkPackets) return;
    packets_in_chunk_ = 0;
    cut();
}

void ShardedFlowFactory::cut() {
    tag_staged();
    {
        std::lock_guard lock(mutex_);
        ++published_;
    }
    wake_.notify_all();
    // What is decoded already goes out now; the reader waits only when the next set to fill
    // still holds a chunk not delivered.
    while (delivered_ < published_ && decoded(delivered_)) deliver_oldest(false);
    while (published_ - delivered_ >= kSets) deliver_oldest(true);
}

void ShardedFlowFactory::drain() {
    packets_in_chunk_ = 0;
    cut();
    while (delivered_ < published_) deliver_oldest(true);
}

bool ShardedFlowFactory::decoded_locked(std::uint64_t chunk) const {
    return std::all_of(workers_.begin(), workers_.end(), [&](const auto& w) { return w->done > chunk; });
}

bool ShardedFlowFactory::decoded(std::uint64_t chunk) {
    std::lock_guard lock(mutex_);
    return decoded_locked(chunk);
}

void ShardedFlowFactory::deliver_oldest(bool wait) {
    if (wait) {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return decoded_locked(delivered_); });
    }
    merge(static_cast<unsigned>(delivered_ % kSets));
    delivered_.store(delivered_ + 1, std::memory_order_release);
}

void ShardedFlowFactory::run_worker(Worker& w) {
    for (;;) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || published_ > w.done; });
        if (published_ == w.done) return;  // stopping, nothing left
        const auto set = static_cast<unsigned>(w.done % kSets);
        lock.unlock();
        execute(w, set);
        lock.lock();
        ++w.done;
        lock.unlock();
        done_.notify_all();
    }
}

// Delivered events are freed here, on the thread that allocated them, one after each new
// event: next to the new messages' allocations of the same sizes, and soon after the merge,
// the allocator finds the memory in its caches and hands it straight back (freed all at once,
// a set at a time, they cost a third of the worker's time).
void ShardedFlowFactory::free_one(Worker& w) {
    if (w.freeing.empty()) return;
    auto& [set, next] = w.freeing.front();
    auto& events = w.shards[set].events;
    if (next < events.size()) events[next++].payload.emplace<decoder::ConnOpen>();
    if (next >= events.size()) {
        events.clear();
        w.freeing.pop_front();
    }
}

void ShardedFlowFactory::execute(Worker& w, unsigned set) {
    for (const auto delivered = delivered_.load(std::memory_order_acquire); w.queued < delivered; ++w.queued)
        w.freeing.push_back({static_cast<unsigned>(w.queued % kSets), 0});
    // This set's last chunk is the oldest delivered one: what is left of it goes first.
    while (!w.freeing.empty() && w.freeing.front().set == set) free_one(w);
    Shard& shard = w.shards[set];
    shard.numbers.clear();
    shard.lines.clear();
    shard.text.clear();
    w.bus.collect_into(&shard.events);
    for (const Command& c : shard.commands) {
        const auto data = std::span<const std::byte>(shard.bytes).subspan(c.offset, c.size);
        const auto first = shard.events.size();
        switch (c.op) {
            case Op::Data: c.conn->on_data(c.dir, data, c.ts); break;
            case Op::Gap: c.conn->on_gap(c.dir, c.arg, c.ts); break;
            case Op::Fin: c.conn->on_fin(c.dir, c.ts); break;
            case Op::Rst: c.conn->on_rst(c.dir, c.ts); break;
            case Op::Finish: c.conn->finish(static_cast<decoder::CloseHow>(c.arg), c.ts); break;
            case Op::Destroy: delete c.conn; break;
        }
        for (auto i = first; i < shard.events.size(); ++i) {
            free_one(w);
            shard.numbers.push_back(c.number);
            if (!json_) continue;
            const auto start = shard.text.size();
            const auto at = decoder::render_json_line(shard.events[i], shard.text);
            shard.lines.push_back({start, at, shard.text.size()});
        }
    }
}

// A merge by call number of the workers' event lists and the reader's own, each already in order.
void ShardedFlowFactory::merge(unsigned set) {
    auto& staged = staged_tagged_[set];
    std::size_t next_staged = 0;
    std::vector<std::size_t> next(workers_.size(), 0);
    {
        const decoder::EventBus::Batch batch(bus_);
        for (;;) {
            constexpr auto kNone = static_cast<std::uint64_t>(-1);
            std::uint64_t best_number = next_staged < staged.size() ? staged[next_staged].number : kNone;
            std::size_t best = workers_.size();  // the staged list
            for (std::size_t i = 0; i < workers_.size(); ++i) {
                const Shard& s = workers_[i]->shards[set];
                if (next[i] < s.numbers.size() && s.numbers[next[i]] < best_number) {
                    best_number = s.numbers[next[i]];
                    best = i;
                }
            }
            if (best_number == kNone) break;
            if (best == workers_.size()) {
                bus_.emit(std::move(staged[next_staged++].event));
                continue;
            }
            Shard& s = workers_[best]->shards[set];
            const auto k = next[best]++;
            if (json_ && s.lines[k].seq_at != std::string::npos) {
                const auto& l = s.lines[k];
                json_->expect(bus_.next_seq(), decoder::cut_json_line(s.text, l.start, l.seq_at, l.end));
            }
            bus_.emit_in_place(s.events[k]);
        }
    }
    staged.clear();
    for (auto& w : workers_) {
        w->shards[set].commands.clear();
        w->shards[set].bytes.clear();
    }
}

}  // namespace capture
