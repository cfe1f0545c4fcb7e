#include "proxy/handshake_hold.hpp"

#include <utility>

namespace proxy {

namespace {
// A handshake is a few KiB; a peer that sends far more before it ends must not grow memory
// without bound: past this the leg is decoded and written as it comes, secrets or not.
constexpr std::size_t kMaxHeldBytes = 1 << 20;
}  // namespace

bool HandshakeHold::add(HeldInput input) {
    bytes_ += input.bytes.size();
    held_.push_back(std::move(input));
    return bytes_ <= kMaxHeldBytes;
}

std::vector<HeldInput> HandshakeHold::release() {
    active_ = false;
    bytes_ = 0;
    return std::exchange(held_, {});
}

}  // namespace proxy
