// A capture file mapped into memory, for the readers that would otherwise have the kernel copy
// every byte into a stdio buffer first (that copy was a tenth of `siptap read`'s time).
//
// A mapped file that another program truncates while we read it would kill the process
// with SIGBUS at the first byte past the new end. copy() is the one way the pcap reader
// touches the mapping: it catches that signal and reports the file as shrunk, so the read
// stops with an error naming the file, like any other truncated capture. (The Network
// Monitor reader parses its mapping in place and is not guarded.)
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace capture {

class MappedFile {
public:
    // Maps a regular file read-only. nullptr, and `problem` in plain words, when it cannot be
    // opened, is not a regular file (a pipe, a terminal), is empty or cannot be mapped.
    static std::unique_ptr<MappedFile> open(const std::string& path, std::string& problem);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {base_, size_}; }
    std::size_t size() const { return size_; }

    // Copies up to `n` bytes from offset `at` into `to`; returns how many (0 at the end), or
    // -1 when the file was cut shorter than `at + n` under the mapping (shrunk() is then true).
    long copy(std::size_t at, void* to, std::size_t n) noexcept;
    bool shrunk() const { return shrunk_; }

    // Gives back the pages before `at` (the kernel's page cache keeps them): a sequential
    // reader's resident memory stays a few megabytes whatever the file's size.
    void release_before(std::size_t at) noexcept;

private:
    MappedFile(const std::byte* base, std::size_t size) : base_(base), size_(size) {}

    const std::byte* base_;
    std::size_t size_;
    std::size_t released_ = 0;  // pages before this offset were given back
    bool shrunk_ = false;
};

}  // namespace capture
