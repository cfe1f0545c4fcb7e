// The block that closes a human-readable run: per connection its peers, TLS parameters,
// certificates, messages, teardown and findings, then the totals. Bounded: past
// kMaxDetailed connections only the totals grow.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "decoder/analysis/certificate_verdicts.hpp"
#include "decoder/model/events.hpp"

namespace decoder {

class SummarySink : public EventSink {
public:
    static constexpr std::size_t kMaxDetailed = 200;

    SummarySink(std::ostream& out, bool color, std::string expect_peer = {})
        : out_(out), color_(color), names_(std::move(expect_peer)) {}
    void on_event(const Event& event) override;
    void on_end() override;

private:
    struct Conn {
        Endpoint client, server;
        Transport transport = Transport::Tcp;
        std::string tls;  // "TLS 1.2 <cipher>, SNI x"
        std::vector<std::string> certificates;  // each leaf, then its name verdicts
        std::uint64_t requests = 0, responses = 0;
        std::string teardown;
        std::vector<std::string> findings;
        std::vector<std::string> redirects;  // "redirect: ..." lines (um-redirect*)
    };

    void print(std::uint64_t id, const Conn& c);

    std::ostream& out_;
    bool color_;
    VerdictNames names_;
    std::map<std::uint64_t, Conn> conns_;
    std::map<std::uint64_t, std::string> redirected_from_;  // connection -> the redirect it followed
    std::uint64_t connections_ = 0, sip_messages_ = 0, notices_ = 0;
    std::map<Severity, std::uint64_t> findings_;
};

}  // namespace decoder
