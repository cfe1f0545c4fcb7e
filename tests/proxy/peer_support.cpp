#include "peer_support.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace proxy_test {

TempDir::TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("siptap-proxy-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

Spawned::Spawned(const std::string& command) {
    pid_ = ::fork();
    if (pid_ == 0) {
        ::setpgid(0, 0);
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    if (pid_ < 0) throw std::runtime_error("fork failed");
    ::setpgid(pid_, pid_);
}

Spawned::~Spawned() {
    if (pid_ <= 0) return;
    kill(SIGKILL);
    if (!exited_) ::waitpid(pid_, nullptr, 0);
}

void Spawned::kill(int signal) {
    if (pid_ > 0) ::kill(-pid_, signal);
}

bool Spawned::wait_exit(std::chrono::milliseconds timeout) {
    return wait_until([&] {
        if (!exited_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
        return exited_;
    }, timeout);
}

void make_pki(const TempDir& dir) {
    const std::string cmd = std::string("sh ") + SIPTAP_SOURCE_DIR + "/tests/proxy/make_pki.sh " + dir.path.string();
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make_pki.sh failed");
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll);
    }
    return true;
}

bool port_open(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

bool wait_listening(std::uint16_t port, std::chrono::milliseconds timeout) {
    const std::string probe = "ss -Hltn 'sport = :" + std::to_string(port) + "' | grep -q .";
    return wait_until([&] { return std::system(probe.c_str()) == 0; }, timeout);
}

std::uintmax_t file_size(const std::string& path) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(path, ec);
    return ec ? 0 : n;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string sha256_of_file(const std::string& path) {
    const std::string data = read_file(path);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

std::string command_output(const std::string& command) { return command_run(command).output; }

CommandRun command_run(const std::string& command) {
    CommandRun run;
    if (FILE* p = ::popen(command.c_str(), "r")) {
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) run.output.append(buf, n);
        const int status = ::pclose(p);
        if (status != -1 && WIFEXITED(status)) run.status = WEXITSTATUS(status);
    }
    return run;
}

int file_mode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

std::vector<nlohmann::json> read_events(const std::string& path) {
    std::vector<nlohmann::json> events;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded()) events.push_back(std::move(j));
    }
    return events;
}

}  // namespace proxy_test
