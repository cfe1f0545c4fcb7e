#include "proxy/system_roots.hpp"

#include <cstdlib>
#include <filesystem>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <regex>
#include <string>

namespace proxy {

namespace {

std::string from_env(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

// Loads what `path` holds when it is readable; false only for a store failure.
bool load_if_readable(X509_STORE* store, const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return true;  // follows the hash symlinks
    X509_LOOKUP* file = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (!file) return false;
    X509_LOOKUP_load_file(file, path.c_str(), X509_FILETYPE_PEM);  // an unreadable file is skipped
    ERR_clear_error();
    return true;
}

}  // namespace

bool load_system_roots(X509_STORE* store) {
    bool ok = load_if_readable(store, from_env(X509_get_default_cert_file_env(), X509_get_default_cert_file()));
    const std::string dir = from_env(X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
    static const std::regex hashed("[0-9a-f]{8}\\.[0-9]+");  // the names the hashed lookup reads
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (std::regex_match(entry.path().filename().string(), hashed)) ok = load_if_readable(store, entry.path()) && ok;
    return ok;
}

}  // namespace proxy
