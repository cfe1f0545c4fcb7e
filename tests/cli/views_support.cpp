#include "views_support.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace views_test {

Output run(const std::string& command, int seconds) {
    Output result;
    const std::string bounded = "timeout -k 5 " + std::to_string(seconds) + " sh -c " + quote(command);
    FILE* pipe = popen(bounded.c_str(), "r");
    if (!pipe) return result;
    std::array<char, 4096> buf{};
    while (const auto n = std::fread(buf.data(), 1, buf.size(), pipe)) result.out.append(buf.data(), n);
    const int status = pclose(pipe);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 124 && WEXITSTATUS(status) != 137)
        result.exit_code = WEXITSTATUS(status);
    return result;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return out + "'";
}

std::string artifact_dir() {
    const auto dir = std::filesystem::path(SIPTAP_BINARY).parent_path() / "test-artifacts";
    std::filesystem::create_directories(dir);
    return dir.string();
}

}  // namespace views_test
