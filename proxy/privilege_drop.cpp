#include "proxy/privilege_drop.hpp"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace proxy {

namespace {

[[noreturn]] void fail(const RunAs& user, const char* step, int error) {
    throw std::runtime_error("--user " + user.name + ": cannot drop privileges: " + step + ": " +
                             std::strerror(error) + (::geteuid() != 0 ? " (siptap must be started as root)" : ""));
}

}  // namespace

RunAs find_user(const std::string& name) {
    passwd entry{}, *found = nullptr;
    std::vector<char> buf(16 * 1024);
    const int error = ::getpwnam_r(name.c_str(), &entry, buf.data(), buf.size(), &found);
    if (error != 0) throw std::runtime_error("--user " + name + ": cannot look the user up: " + std::strerror(error));
    if (!found) throw std::runtime_error("--user " + name + ": no such user");
    return {name, entry.pw_uid, entry.pw_gid};
}

void drop_privileges(const RunAs& user) {
    // Groups first: once the user id is dropped they can no longer be changed.
    if (::initgroups(user.name.c_str(), user.gid) != 0) fail(user, "setgroups", errno);
    if (::setresgid(user.gid, user.gid, user.gid) != 0) fail(user, "setgid", errno);
    if (::setresuid(user.uid, user.uid, user.uid) != 0) fail(user, "setuid", errno);
    if (user.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) fail(user, "check that root is gone", EPERM);
}

}  // namespace proxy
