// Files that hold secrets or decrypted traffic (key logs, captures, reports, the demo's keys)
// are opened through here: created with mode 0600, and an existing file is narrowed to 0600,
// since open()'s mode applies only to a file it creates.
#pragma once

#include <string>

namespace decoder {

enum class PrivateFileMode { Truncate, Append };

// The descriptor (O_WRONLY | O_CLOEXEC), or -1 with errno set.
int open_private_file(const std::string& path, PrivateFileMode mode) noexcept;

}  // namespace decoder
