// Real peers for the relay tests: a throwaway directory with a PKI generated at run time,
// child processes (openssl s_server/s_client, siptap) killed at the end, ephemeral ports and
// deadline-bounded waits. Only 127.0.0.1.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <nlohmann/json.hpp>

namespace proxy_test {

using namespace std::chrono_literals;

struct TempDir {
    TempDir();
    ~TempDir();
    std::filesystem::path path;
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Runs `sh -c command` in its own process group; the destructor kills the whole group.
class Spawned {
public:
    explicit Spawned(const std::string& command);
    ~Spawned();
    Spawned(const Spawned&) = delete;
    Spawned& operator=(const Spawned&) = delete;
    void kill(int signal);  // to the process group
    bool wait_exit(std::chrono::milliseconds timeout);  // true once it has exited
    int wait_status() const { return status_; }  // of waitpid, once wait_exit returned true

private:
    pid_t pid_ = -1;
    bool exited_ = false;
    int status_ = 0;
};

// CAs: ca (Test Root CA), rogueca (Rogue CA), forgeca (siptap Forge CA). Leaves by ca: lync
// (CN=lync01.contoso.com), um (CN=um01.contoso.com), umwild (CN=*.contoso.com), siptap
// (CN=siptap.test), umexpired (um01, expired), lynccdp (lync01 with a CRL distribution point
// and AIA at pki.contoso.com, as AD CS issues them); umrogue (um01) by rogueca. <name>.pem/.key in dir.
void make_pki(const TempDir& dir);

std::uint16_t free_port();
// Polls `done` every `poll` until it holds (true) or `timeout` passed (false).
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = 20ms);
bool port_open(std::uint16_t port);
// Whether something listens on 127.0.0.1:port within `timeout` (asks ss; connects to nothing).
bool wait_listening(std::uint16_t port, std::chrono::milliseconds timeout);
std::uintmax_t file_size(const std::string& path);
std::string sha256_of_file(const std::string& path);
std::string read_file(const std::string& path);
// stdout of `sh -c command` (bound it with `timeout N` in the command).
std::string command_output(const std::string& command);
// The same, with the command's exit status (-1 when it could not run or did not exit).
struct CommandRun {
    int status = -1;
    std::string output;
};
CommandRun command_run(const std::string& command);
// Permission bits of a file (e.g. 0600), or -1 when it does not exist.
int file_mode(const std::string& path);

// The JSON lines siptap wrote so far (incomplete last line skipped).
std::vector<nlohmann::json> read_events(const std::string& path);

}  // namespace proxy_test
