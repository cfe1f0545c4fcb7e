// Arbitrary bytes as a DER certificate and as a distinguished name.
#include <cstddef>
#include <cstdint>
#include <string>

#include "decoder/tls/x509_summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> der(reinterpret_cast<const std::byte*>(data), size);
    std::string error;
    (void)decoder::summarize_certificate(der, decoder::Side::Client, 0, &error);
    (void)decoder::distinguished_name_text(der);
    return 0;
}
