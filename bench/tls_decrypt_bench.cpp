// TLS decryption throughput: MB/s of application data (plaintext bytes) the decoder decrypts
// on one core, through TlsSession with a key log exactly as `siptap read --keylog` runs it.
// The session is real: OpenSSL in-process (tests/decoder/tls_decrypt_support) writes N MB of
// application data in 16 KB records, and its key log is what the decoder gets.
//
//   build-decrypt/tls_decrypt_bench [MB]      (default 64)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <time.h>

#include "decoder/tls_decrypt_support.hpp"
#include "decoder/tls/tls_keylog.hpp"
#include "decoder/tls/tls_session.hpp"

namespace {

using decrypt_fixture::Dir;

// CPU time of this thread: the figure per core, whatever else the machine is doing.
double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Figure {
    double mb_per_s = 0;       // per CPU second
    double wall_mb_per_s = 0;  // per wall-clock second (lower on a loaded machine)
    std::size_t plain = 0, records = 0;
};

Figure measure(int version, const std::string& cipher, std::size_t megabytes) {
    decrypt_fixture::SessionOptions o;
    o.version = version;
    o.cipher = cipher;
    o.encrypt_then_mac = false;  // CBC as Schannel does it: MAC-then-encrypt
    o.client_close_notify = false;
    const std::string block(16384, 'S');
    for (std::size_t i = 0; i < megabytes * 64; ++i) o.writes.push_back({Dir::ClientToServer, block});
    const auto session = decrypt_fixture::run_session(o);

    decoder::KeyLog keys;
    std::vector<std::string> problems;
    keys.add_text(session.keylog, "bench", problems);
    decoder::TlsSession tls(&keys);
    Figure f;
    tls.set_plaintext_handler([&](Dir, std::span<const std::byte> b, std::vector<decoder::Payload>&) {
        f.plain += b.size();
    });
    std::vector<decoder::Payload> out;
    out.reserve(1024);
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    for (const auto& chunk : session.wire) {
        std::span<const std::byte> rest(chunk.bytes);
        while (!rest.empty()) {  // 64 KB reads, as a capture delivers segments
            const auto n = std::min<std::size_t>(rest.size(), 65536);
            tls.feed(chunk.dir, rest.first(n), out);
            f.records += out.size();
            out.clear();
            rest = rest.subspan(n);
        }
    }
    const double cpu = thread_cpu_seconds() - cpu_start;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    f.mb_per_s = static_cast<double>(f.plain) / 1e6 / cpu;
    f.wall_mb_per_s = static_cast<double>(f.plain) / 1e6 / seconds;
    if (f.plain != session.sent[0].size()) {
        std::fprintf(stderr, "decrypted %zu bytes, expected %zu\n", f.plain, session.sent[0].size());
        std::exit(1);
    }
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t mb = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
    struct Case {
        int version;
        const char* cipher;
        const char* label;
        std::size_t share;  // 1: the headline figure on all the data; 4: a quarter of it
    };
    for (const Case c : {Case{0x0303, "ECDHE-RSA-AES128-GCM-SHA256", "TLS 1.2 AES-128-GCM", 1},
                         Case{0x0304, "TLS_AES_128_GCM_SHA256", "TLS 1.3 AES-128-GCM", 1},
                         Case{0x0303, "ECDHE-RSA-CHACHA20-POLY1305", "TLS 1.2 ChaCha20-Poly1305", 4},
                         Case{0x0303, "ECDHE-RSA-AES128-SHA256", "TLS 1.2 AES-128-CBC-SHA256", 4},
                         Case{0x0303, "AES128-SHA", "TLS 1.2 AES-128-CBC-SHA1", 2},
                         Case{0x0302, "AES128-SHA:@SECLEVEL=0", "TLS 1.1 AES-128-CBC-SHA1", 2},
                         Case{0x0301, "AES128-SHA:@SECLEVEL=0", "TLS 1.0 AES-128-CBC-SHA1", 2}}) {
        const auto f = measure(c.version, c.cipher, std::max<std::size_t>(1, mb / c.share));
        std::printf("%-28s %8.1f MB/s per CPU second (%.1f MB/s wall clock; %zu MB of application data, "
                    "%zu payloads, one thread)\n",
                    c.label, f.mb_per_s, f.wall_mb_per_s, f.plain >> 20, f.records);
    }
    return 0;
}
