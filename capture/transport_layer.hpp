// UDP and TCP header decoding on top of an IP payload. Views only.
#pragma once

#include <cstdint>
#include <string>

#include "capture/bytes.hpp"
#include "capture/link_layer.hpp"
#include "capture/tcp_reassembler.hpp"

namespace capture {

struct TransportResult {
    Verdict verdict = Verdict::Bad;
    std::uint16_t src_port = 0, dst_port = 0;
    TcpSegment segment;  // TCP: everything; UDP: only payload is set
    const char* category = "";
    std::string reason;
};

// `missing`: bytes the IP layer promised beyond the capture (snaplen). A UDP datagram that
// lost bytes is unusable and reported; TCP carries them on as a hole.
TransportResult decode_udp(Bytes data, std::uint32_t missing);
TransportResult decode_tcp(Bytes data, std::uint32_t missing);

}  // namespace capture
