// The two OpenSSL contexts of the relay. Towards the client siptap is the TLS server: it
// asks for a client certificate and accepts any (it only records it). Towards the upstream it
// is the TLS client: it presents the upstream certificate and accepts any server certificate
// (recorded, never trusted for anything). Both hand every TLS secret to its leg's recorder,
// whose decoder decrypts the leg with it, and write it to the key log when one is given.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "proxy/tls_identity.hpp"

namespace proxy {

class KeyLogWriter;

// Throws std::runtime_error when the identity cannot be used.
std::unique_ptr<boost::asio::ssl::context> make_client_facing_context(const Identity* id,
                                                                      KeyLogWriter* keylog);
std::unique_ptr<boost::asio::ssl::context> make_upstream_context(const Identity* id,
                                                                 KeyLogWriter* keylog);

}  // namespace proxy
