#include "proxy/key_log_writer.hpp"

namespace proxy {

void KeyLogWriter::write(const char* line) noexcept {
    try {
        file_.write(std::string(line) + '\n');  // one write: lines of two threads never mix
    } catch (...) {  // out of memory for the copy: the line is lost like a failed write
    }
}

}  // namespace proxy
