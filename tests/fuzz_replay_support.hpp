// The committed fuzz corpora (tests/fuzz/corpus/<target>/), and their replay through the
// libFuzzer harnesses themselves in the ordinary (gcc) test build: tests/CMakeLists.txt
// compiles each tests/fuzz/fuzz_<target>.cpp with its entry point renamed to
// fuzz_<target>_input, so a crasher fixed once stays fixed without clang or libFuzzer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace fuzz_replay {

using Harness = int (*)(const std::uint8_t*, std::size_t);

// (file name, contents) of every input of one target's corpus.
inline std::vector<std::pair<std::string, std::string>> corpus(const std::string& target) {
    std::vector<std::pair<std::string, std::string>> inputs;
    const auto dir = std::filesystem::path(SIPTAP_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / target;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(entry.path(), std::ios::binary);
        inputs.emplace_back(entry.path().filename().string(),
                            std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    }
    return inputs;
}

// Runs every input of the corpus through the harness; the number of inputs.
inline std::size_t replay(const std::string& target, Harness harness) {
    const auto inputs = corpus(target);
    for (const auto& [name, data] : inputs) harness(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    return inputs.size();
}

}  // namespace fuzz_replay

#define SIPTAP_FUZZ_HARNESS(target) extern "C" int fuzz_##target##_input(const std::uint8_t*, std::size_t)
