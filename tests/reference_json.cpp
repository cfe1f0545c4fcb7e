// The readable reference for siptap's JSON lines: every event built as an nlohmann::json tree,
// field by field as SPEC.md names them. decoder/sinks/json_writer.cpp writes the same bytes without
// a tree (the fast path every sink uses); the tests compare the two on every payload type and
// every sample capture, so this stays here, out of the decoder and its public headers.
#include "reference_json.hpp"

#include <optional>
#include <string>
#include <vector>

#include "decoder/sinks/json_writer.hpp"

namespace test {

using namespace decoder;

namespace {

using nlohmann::json;

template <class T>
void put_optional(json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}

void put_list(json& j, const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) j[key] = v;
}

void fill(json& j, const ConnOpen& p) { j["syn_seen"] = p.handshake_seen; }

void fill(json& j, const TlsMessage& p) {
    j["type"] = p.type;
    j["version"] = p.version;
    put_optional(j, "sni", p.sni);
    put_optional(j, "cipher", p.cipher);
    put_optional(j, "alpn", p.alpn);
    if (p.type == "certificate_request") j["ca_names"] = p.ca_names;
    put_optional(j, "ca_names_bytes", p.ca_names_bytes);
    put_optional(j, "ca_names_within_limit", p.ca_names_within_limit);
    put_list(j, "supported_versions", p.supported_versions);
    put_list(j, "signature_algorithms", p.signature_algorithms);
    put_list(j, "ciphers", p.ciphers);
    put_optional(j, "certificate_count", p.certificate_count);
    put_optional(j, "length", p.length);
    if (p.encrypted) j["encrypted"] = true;
}

void fill(json& j, const Certificate& p) {
    j["side"] = to_string(p.side);
    j["index"] = p.index;
    j["subject"] = p.subject;
    j["subject_cn"] = p.subject_cn;
    j["san"] = p.san;
    if (!p.san_ip.empty()) j["san_ip"] = p.san_ip;
    j["issuer"] = p.issuer;
    j["not_before"] = format_rfc3339(p.not_before);
    j["not_after"] = format_rfc3339(p.not_after);
    j["serial"] = p.serial;
    j["sha256"] = p.sha256;
    j["key"] = p.key;
    j["signature_algorithm"] = p.signature_algorithm;
    put_optional(j, "eku", p.eku);
    j["wildcard_cn"] = p.wildcard_cn;
    j["self_signed"] = p.self_signed;
}

void fill(json& j, const SipMessage& p) {
    j["kind"] = p.is_request ? "request" : "response";
    j["method"] = p.method;
    if (p.is_request) {
        j["uri"] = p.request_uri;
    } else {
        j["status"] = p.status;
        j["reason"] = p.reason;
    }
    j["call_id"] = p.call_id;
    j["cseq"] = p.cseq;
    j["from"] = p.from;
    j["to"] = p.to;
    j["via"] = p.via;
    j["contact"] = p.contact;
    if (!p.user_agent.empty()) j["user_agent"] = p.user_agent;
    if (!p.server.empty()) j["server"] = p.server;
    put_optional(j, "content_length", p.content_length);
    if (p.ms_diagnostics) {
        json d{{"code", p.ms_diagnostics->code}, {"reason", p.ms_diagnostics->reason}};
        for (const auto& [k, v] : p.ms_diagnostics->params) d[k] = v;
        j["ms_diagnostics"] = d;
    }
    j["bytes"] = p.bytes;
}

void fill(json& j, const TlsAlert& p) {
    j["level"] = p.level;
    j["description"] = p.description;
    j["encrypted"] = p.encrypted;
    put_optional(j, "length", p.length);
}

void fill(json& j, const ConnClose& p) {
    j["by"] = p.by ? json(p.by->to_string()) : json(nullptr);
    j["side"] = p.side ? json(to_string(*p.side)) : json(nullptr);
    j["how"] = to_string(p.how);
    j["after"] = p.after ? json(*p.after) : json(nullptr);
    j["after_from"] = p.after_from ? json(to_string(*p.after_from)) : json(nullptr);
    j["ms_since_last_message"] = p.ms_since_last_message ? json(*p.ms_since_last_message) : json(nullptr);
    j["unanswered"] = p.unanswered;
    put_optional(j, "alert", p.alert);
    if (j["transport"] == "tls") {
        j["handshake_complete"] = p.handshake_complete;
        j["client_records"] = p.client_records;
        j["server_records"] = p.server_records;
    }
    j["client_messages"] = p.client_messages;
    j["server_messages"] = p.server_messages;
}

void fill(json& j, const Finding& p) {
    j["severity"] = to_string(p.severity);
    j["code"] = p.code;
    j["message"] = p.message;
    j["evidence"] = p.evidence;
    if (p.redirect) {
        json r{{"to", p.redirect->to}, {"transport", p.redirect->transport}};
        if (p.redirect->conn) {
            r["conn"] = *p.redirect->conn;
            r["linked_by"] = p.redirect->linked_by;
            r["server_certificate"] = p.redirect->server_certificate;
            r["outcome"] = p.redirect->outcome;
        }
        j["redirect"] = std::move(r);
    }
}

void fill(json& j, const Notice& p) {
    j["what"] = p.what;
    j["message"] = p.message;
}

}  // namespace

nlohmann::json reference_json(const Event& e) {
    json j;
    j["event"] = event_name(e);
    j["seq"] = e.seq;
    j["ts"] = format_rfc3339(e.ts);
    j["conn"] = e.conn;
    // Events that belong to no connection (a bad packet, a run-wide finding) have no address.
    j["src"] = e.src.ip.empty() ? json(nullptr) : json(e.src.to_string());
    j["dst"] = e.dst.ip.empty() ? json(nullptr) : json(e.dst.to_string());
    j["transport"] = to_string(e.transport);
    std::visit([&](const auto& p) { fill(j, p); }, e.payload);
    return j;
}

}  // namespace test
