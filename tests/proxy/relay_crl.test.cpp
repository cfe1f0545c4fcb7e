// --crl-listen: a client (openssl s_client) reaches a Lync-like openssl s_server through
// `siptap proxy --forge-ca`; the server's certificate names a CRL distribution point, as AD CS
// certificates do. The forgery the client receives must name siptap's CRL instead, and that
// CRL, fetched over HTTP, must be one the forge CA signed and that OpenSSL's revocation check
// accepts. Without --crl-listen the forgery names none.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

#include "process_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;

namespace {

// A Lync stand-in presenting lynccdp (with its CRL distribution point and AIA), asking for and
// verifying a client certificate against the forge CA (it sees UM's forgery); one connection.
struct CdpServer {
    explicit CdpServer(const TempDir& dir)
        : process("sleep 30 | exec timeout 30 openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert " +
                  dir / "lynccdp.pem" + " -key " + dir / "lynccdp.key" + " -Verify 1 -verify_return_error -CAfile " +
                  dir / "forgeca.pem" + " > " + dir / "server.out" + " 2>&1") {
        const std::regex accept_line("ACCEPT 127\\.0\\.0\\.1:([0-9]+)");
        std::smatch m;
        std::string out;
        if (!wait_until([&] { return std::regex_search(out = read_file(dir / "server.out"), m, accept_line); }, 10s))
            throw std::runtime_error("openssl s_server did not start:\n" + out);
        address = "127.0.0.1:" + m[1].str();
    }
    Spawned process;
    std::string address;
};

std::string forge_args(const TempDir& dir) {
    return "--forge-ca " + dir / "forgeca.pem" + " --forge-ca-key " + dir / "forgeca.key" + " --trust " + dir / "ca.pem";
}

// The first certificate s_client shows (the server's leaf, as the client received it), saved
// as PEM at `out`; returns the whole s_client output for diagnosis.
std::string received_leaf(const TempDir& dir, const std::string& address, const std::string& out) {
    const std::string shown = command_output("echo | timeout 20 openssl s_client -connect " + address +
                                             " -servername lync01.contoso.com -showcerts -cert " + dir / "um.pem" +
                                             " -key " + dir / "um.key" + " 2>&1");
    const auto begin = shown.find("-----BEGIN CERTIFICATE-----");
    const std::string end_marker = "-----END CERTIFICATE-----";
    const auto end = shown.find(end_marker, begin);
    if (begin != std::string::npos && end != std::string::npos)
        std::ofstream(out) << shown.substr(begin, end + end_marker.size() - begin) << '\n';
    return shown;
}

std::string extensions_of(const std::string& pem) {
    return command_output("timeout 10 openssl x509 -in " + pem +
                          " -noout -ext crlDistributionPoints,authorityInfoAccess,subjectAltName 2>&1");
}

// Exit status and both outputs of `sh -c command`.
CommandRun run(const std::string& command) { return command_run(command + " 2>&1"); }

}  // namespace

TEST_CASE("[proxy] --crl-listen: the forged certificate names siptap's CRL, which the forge CA signed",
          "[proxy][crl]") {
    REQUIRE(run("python3 -c 'import urllib.request'").status == 0);
    TempDir dir;
    make_pki(dir);
    REQUIRE(extensions_of(dir / "lynccdp.pem").find("URI:http://pki.contoso.com/ca.crl") != std::string::npos);
    CdpServer lync(dir);
    SiptapProxy siptap(dir, lync.address, forge_args(dir) + " --crl-listen 127.0.0.1:0");

    // The start-up line names the URL.
    const std::regex url_re("http://127\\.0\\.0\\.1:([0-9]+)/[A-Za-z0-9_.-]+\\.crl");
    std::smatch m;
    const std::string started = read_file(dir / "siptap_err");
    REQUIRE(std::regex_search(started, m, url_re));
    const std::string url = m[0];
    CHECK(std::stoul(m[1].str()) != siptap.port());

    const std::string forged = dir / "forged.pem";
    const std::string shown = received_leaf(dir, siptap.address(), forged);
    INFO(shown);
    REQUIRE(read_file(forged).find("BEGIN CERTIFICATE") != std::string::npos);
    const std::string issuer = command_output("timeout 10 openssl x509 -in " + forged + " -noout -issuer");
    CHECK(issuer.find("siptap Forge CA") != std::string::npos);  // signed by the forge CA, not the throwaway
    const std::string ext = extensions_of(forged);
    INFO(ext);
    CHECK(ext.find("URI:" + url) != std::string::npos);
    CHECK(ext.find("pki.contoso.com") == std::string::npos);  // neither the original's CDP nor its AIA
    CHECK(ext.find("DNS:lync01.contoso.com") != std::string::npos);

    // Fetch it as a verifier would: plain HTTP, DER, application/pkix-crl.
    const std::string der = dir / "fetched.crl";
    const CommandRun fetch = run("timeout 20 python3 -c 'import sys, urllib.request\n"
                          "r = urllib.request.urlopen(sys.argv[1], timeout=10)\n"
                          "print(r.status, r.headers[\"Content-Type\"])\n"
                          "open(sys.argv[2], \"wb\").write(r.read())' " + url + " " + der);
    INFO(fetch.output);
    REQUIRE(fetch.status == 0);
    CHECK(fetch.output.find("200 application/pkix-crl") != std::string::npos);

    const CommandRun signed_by = run("timeout 10 openssl crl -inform DER -in " + der + " -CAfile " + dir / "forgeca.pem" + " -noout");
    CHECK(signed_by.status == 0);
    CHECK(signed_by.output.find("verify OK") != std::string::npos);
    const CommandRun other_ca = run("timeout 10 openssl crl -inform DER -in " + der + " -CAfile " + dir / "ca.pem" + " -noout");
    CHECK(other_ca.status != 0);  // the check can fail: the Test Root CA did not sign it

    const std::string pem_crl = dir / "fetched.crl.pem";
    REQUIRE(run("timeout 10 openssl crl -inform DER -in " + der + " -out " + pem_crl).status == 0);
    const std::string verify = "timeout 20 openssl verify -crl_check -CAfile " + dir / "forgeca.pem";
    const CommandRun with_crl = run(verify + " -CRLfile " + pem_crl + " " + forged);
    INFO(with_crl.output);
    CHECK(with_crl.status == 0);
    CHECK(with_crl.output.find(forged + ": OK") != std::string::npos);
    const CommandRun without_crl = run(verify + " " + forged);  // revocation checking needs the CRL
    CHECK(without_crl.status != 0);
    const CommandRun downloaded = run(verify + " -crl_download " + forged);  // fetched from the CDP itself
    INFO(downloaded.output);
    CHECK(downloaded.status == 0);

    // The handshake completed both ways: the server verified UM's forgery.
    std::string server;
    wait_until([&] { return (server = read_file(dir / "server.out")).find("CIPHER is") != std::string::npos; }, 5s);
    INFO(server);
    CHECK(server.find("issuer=CN = siptap Forge CA") != std::string::npos);
    CHECK(server.find("CIPHER is") != std::string::npos);
}

TEST_CASE("[proxy] without --crl-listen the forged certificate names no CRL distribution point nor AIA",
          "[proxy][crl]") {
    TempDir dir;
    make_pki(dir);
    REQUIRE(extensions_of(dir / "lynccdp.pem").find("CRL Distribution Points") != std::string::npos);
    CdpServer lync(dir);
    SiptapProxy siptap(dir, lync.address, forge_args(dir));
    CHECK(read_file(dir / "siptap_err").find("http://") == std::string::npos);
    const std::string forged = dir / "forged.pem";
    const std::string shown = received_leaf(dir, siptap.address(), forged);
    INFO(shown);
    REQUIRE(read_file(forged).find("BEGIN CERTIFICATE") != std::string::npos);
    const std::string ext = extensions_of(forged);
    INFO(ext);
    CHECK(ext.find("DNS:lync01.contoso.com") != std::string::npos);  // the forgery, read correctly
    CHECK(ext.find("CRL Distribution Points") == std::string::npos);
    CHECK(ext.find("Authority Information Access") == std::string::npos);
}

TEST_CASE("[proxy] --crl-listen: an address that cannot serve is a usage error naming the option", "[proxy][crl]") {
    TempDir dir;
    make_pki(dir);
    Listener taken("127.0.0.1");
    const std::string base = std::string(SIPTAP_BINARY) + " proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:9 ";
    const std::string forge = forge_args(dir);
    const std::string crl_listen = GENERATE(as<std::string>{}, "127.0.0.1:PORT", "0.0.0.0:0", "no-port", "example.org:80",
                                            "127.0.0.1:70000", "needs-forge");
    CAPTURE(crl_listen);
    std::string args = forge + " --crl-listen " + crl_listen;
    if (crl_listen == "127.0.0.1:PORT") args = forge + " --crl-listen 127.0.0.1:" + std::to_string(taken.port());
    if (crl_listen == "needs-forge")
        args = "--cert " + dir / "siptap.pem" + " --key " + dir / "siptap.key" + " --crl-listen 127.0.0.1:0";
    const CommandRun r = run("timeout 10 " + base + args + " < /dev/null");
    INFO(r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find("--crl-listen") != std::string::npos);
    CHECK(r.output.find("listening on") == std::string::npos);
}
