// --user NAME: the relay starts as root to bind a port below 1024 and read keys only root may
// read, then gives root up for good before it accepts its first connection.
#pragma once

#include <string>
#include <sys/types.h>

namespace proxy {

struct RunAs {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

// Looks the account up; throws std::runtime_error naming it when there is no such user.
RunAs find_user(const std::string& name);

// Sets the supplementary groups, then the group, then the user (real, effective and saved),
// and checks that root cannot be regained. Throws std::runtime_error saying which step failed
// (e.g. when siptap does not run as root): the relay must not run with privileges it was told
// to drop.
void drop_privileges(const RunAs& user);

}  // namespace proxy
