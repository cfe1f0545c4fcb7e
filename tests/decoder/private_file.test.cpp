// open_private_file: what siptap writes that holds secrets is readable by its owner only,
// whatever the umask and whatever mode an earlier file of that name had.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "decoder/base/private_file.hpp"

namespace {

using decoder::open_private_file;
using decoder::PrivateFileMode;

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string contents(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_all(int fd, const std::string& text) {
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
}

struct Scratch {
    std::string dir;
    Scratch() {
        char name[] = "/tmp/siptap-private-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        dir = name;
    }
    ~Scratch() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("[private_file] new files are 0600 even under umask 0, an existing 0644 file is narrowed",
          "[private_file]") {
    Scratch s;
    const mode_t old = ::umask(0);
    const std::string fresh = s.dir + "/fresh", existing = s.dir + "/existing";
    int fd = open_private_file(fresh, PrivateFileMode::Truncate);
    REQUIRE(fd >= 0);
    write_all(fd, "secret");
    CHECK(mode_of(fresh) == 0600);

    std::ofstream(existing) << "old contents";
    REQUIRE(::chmod(existing.c_str(), 0644) == 0);
    fd = open_private_file(existing, PrivateFileMode::Truncate);
    REQUIRE(fd >= 0);
    write_all(fd, "new");
    ::umask(old);
    CHECK(mode_of(existing) == 0600);
    CHECK(contents(existing) == "new");
}

TEST_CASE("[private_file] Append keeps what is there, a path that cannot be opened gives -1 and errno",
          "[private_file]") {
    Scratch s;
    const std::string log = s.dir + "/keys.log";
    write_all(open_private_file(log, PrivateFileMode::Append), "first\n");
    write_all(open_private_file(log, PrivateFileMode::Append), "second\n");
    CHECK(contents(log) == "first\nsecond\n");
    errno = 0;
    CHECK(open_private_file(s.dir + "/no/such/dir/file", PrivateFileMode::Truncate) == -1);
    CHECK(errno == ENOENT);
}
