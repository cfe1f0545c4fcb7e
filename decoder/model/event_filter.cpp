#include "decoder/model/event_filter.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace decoder {

struct EventFilter::Node {
    enum class Op { Host, Port, Conn, CallId, Method, Status, Not, And, Or } op = Op::Host;
    std::string text;
    std::uint64_t number = 0;
    bool status_class = false;  // "5xx"
    std::shared_ptr<const Node> left, right;
};

namespace {

using Node = EventFilter::Node;
using Op = Node::Op;

std::string upper(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
}

std::vector<std::string> tokenize(std::string_view s) {
    std::vector<std::string> out;
    std::string word;
    auto flush = [&] {
        if (!word.empty()) out.push_back(std::move(word));
        word.clear();
    };
    for (char ch : s) {
        if (std::isspace(static_cast<unsigned char>(ch))) {
            flush();
        } else if (ch == '(' || ch == ')') {
            flush();
            out.emplace_back(1, ch);
        } else {
            word += ch;
        }
    }
    flush();
    return out;
}

class Parser {
public:
    explicit Parser(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

    std::shared_ptr<const Node> parse() {
        auto root = parse_or();
        if (pos_ < tokens_.size()) fail("unexpected '" + tokens_[pos_] + "'");
        return root;
    }

private:
    [[noreturn]] static void fail(const std::string& what) { throw std::invalid_argument(what); }

    bool accept(const char* word) {
        if (pos_ < tokens_.size() && upper(tokens_[pos_]) == upper(word)) {
            ++pos_;
            return true;
        }
        return false;
    }

    std::string next(const std::string& what) {
        if (pos_ >= tokens_.size()) fail("expected " + what + " at the end");
        return tokens_[pos_++];
    }

    static std::shared_ptr<const Node> binary(Op op, std::shared_ptr<const Node> l, std::shared_ptr<const Node> r) {
        auto n = std::make_shared<Node>();
        n->op = op;
        n->left = std::move(l);
        n->right = std::move(r);
        return n;
    }

    std::shared_ptr<const Node> parse_or() {
        auto left = parse_and();
        while (accept("or")) left = binary(Op::Or, left, parse_and());
        return left;
    }

    std::shared_ptr<const Node> parse_and() {
        auto left = parse_unary();
        while (accept("and")) left = binary(Op::And, left, parse_unary());
        return left;
    }

    std::shared_ptr<const Node> parse_unary() {
        if (accept("not")) return binary(Op::Not, parse_unary(), nullptr);
        if (accept("(")) {
            auto inner = parse_or();
            if (!accept(")")) fail("missing ')'");
            return inner;
        }
        return parse_primitive();
    }

    static std::uint64_t number(const std::string& word, const std::string& key, std::uint64_t max) {
        std::uint64_t n = 0;
        const auto* end = word.data() + word.size();
        const auto [ptr, ec] = std::from_chars(word.data(), end, n);
        if (ec != std::errc() || ptr != end || n > max) fail(key + " needs a number up to " + std::to_string(max) + ", not '" + word + "'");
        return n;
    }

    std::shared_ptr<const Node> parse_primitive() {
        const auto key = next("host, port, conn, callid, method or status");
        auto n = std::make_shared<Node>();
        const auto k = upper(key);
        if (k == "HOST") n->op = Op::Host, n->text = next("an address after host");
        else if (k == "PORT") n->op = Op::Port, n->number = number(next("a port after port"), key, 65535);
        else if (k == "CONN") n->op = Op::Conn, n->number = number(next("a number after conn"), key, UINT64_MAX);
        else if (k == "CALLID") n->op = Op::CallId, n->text = next("a Call-ID after callid");
        else if (k == "METHOD") n->op = Op::Method, n->text = upper(next("a method after method"));
        else if (k == "STATUS") parse_status(*n, next("a status after status"));
        else fail("unknown word '" + key + "' (expected host, port, conn, callid, method, status, not or '(')");
        if (n->text == "(" || n->text == ")") fail(key + " needs a value, not '" + n->text + "'");
        return n;
    }

    static void parse_status(Node& n, const std::string& word) {
        n.op = Op::Status;
        if (word.size() == 3 && word[0] >= '1' && word[0] <= '6' && upper(word.substr(1)) == "XX") {
            n.number = static_cast<std::uint64_t>(word[0] - '0');
            n.status_class = true;
            return;
        }
        n.number = number(word, "status", 699);
        if (n.number < 100) fail("status needs 100-699 or a class like 5xx, not '" + word + "'");
    }

    std::vector<std::string> tokens_;
    std::size_t pos_ = 0;
};

bool eval(const Node& n, const Event& e) {
    const auto* sip = e.as<SipMessage>();
    switch (n.op) {
        case Op::Host: return e.src.ip == n.text || e.dst.ip == n.text;
        case Op::Port: return e.src.port == n.number || e.dst.port == n.number;
        case Op::Conn: return e.conn == n.number;
        case Op::CallId: return sip && !n.text.empty() && sip->call_id.find(n.text) != std::string::npos;
        case Op::Method: return sip && upper(std::string(sip->method)) == n.text;
        case Op::Status:
            if (!sip || sip->is_request) return false;
            return n.status_class ? static_cast<std::uint64_t>(sip->status / 100) == n.number
                                  : static_cast<std::uint64_t>(sip->status) == n.number;
        case Op::Not: return !eval(*n.left, e);
        case Op::And: return eval(*n.left, e) && eval(*n.right, e);
        case Op::Or: return eval(*n.left, e) || eval(*n.right, e);
    }
    return false;
}

}  // namespace

EventFilter EventFilter::parse(std::string_view expression) {
    auto tokens = tokenize(expression);
    if (tokens.empty()) throw std::invalid_argument("empty filter expression");
    // The parser, eval() and the tree's destruction recurse as deep as the expression nests;
    // a bound on its words bounds the stack (fuzzing found 3,000 '(' overflowing it).
    if (tokens.size() > kMaxFilterWords)
        throw std::invalid_argument("filter expression too long: " + std::to_string(tokens.size()) +
                                    " words, at most " + std::to_string(kMaxFilterWords));
    EventFilter f;
    f.text_ = std::string(expression);
    f.root_ = Parser(std::move(tokens)).parse();
    return f;
}

bool EventFilter::matches(const Event& e) const { return root_ && eval(*root_, e); }

const char* filter_help() {
    return "Show only matching events: host ADDR, port N, conn N, callid TEXT (Call-ID contains), "
           "method NAME (requests and their responses), status N or 5xx; combine with and, or, not, "
           "( ). A connection is shown from its first match on, with its teardown and all its "
           "findings. Example: --filter 'host 10.0.0.3 and (method OPTIONS or status 5xx)'";
}

void FilterSink::pass(const Event& e) {
    for (auto* sink : downstream_) sink->on_event(e);
}

void FilterSink::on_event(const Event& e) {
    const bool finding = e.as<Finding>() != nullptr, closing = e.as<ConnClose>() != nullptr;
    if (e.conn == 0) {  // about the run, not a connection
        if (finding || filter_.matches(e)) pass(e);
        return;
    }
    auto& state = state_[e.conn];
    if (state == State::Hidden) return;
    if (state == State::Pending) {
        if (finding || (e.as<ConnOpen>() && !filter_.matches(e))) {
            // Held back: the open gives a later diagram its columns, findings must follow.
            auto& held = held_[e.conn];
            if (held.size() < kMaxHeld) held.push_back(e);
        } else if (filter_.matches(e)) {
            state = State::Shown;
            auto it = held_.find(e.conn);
            if (it != held_.end() && !it->second.empty() && it->second.front().as<ConnOpen>())
                pass(it->second.front());
            pass(e);
            if (it != held_.end()) {
                for (const auto& f : it->second)
                    if (!f.as<ConnOpen>()) pass(f);
                held_.erase(it);
            }
        } else if (closing) {
            state = State::Hidden;  // its later findings are dropped too
            held_.erase(e.conn);
        }
        return;
    }
    if (closing || finding || filter_.matches(e)) pass(e);
}

void FilterSink::on_flush() {
    for (auto* sink : downstream_) sink->on_flush();
}

void FilterSink::on_end() {
    for (auto* sink : downstream_) sink->on_end();
}

}  // namespace decoder
