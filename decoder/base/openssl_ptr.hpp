// unique_ptr for OpenSSL objects: OpenSslPtr<X509, X509_free>. One definition for every
// file (decoder and tests) that owns OpenSSL objects.
#pragma once

#include <memory>

namespace decoder {

template <auto Free>
struct OpenSslFree {
    template <class T> void operator()(T* p) const noexcept { Free(p); }
};

template <class T, auto Free>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<Free>>;

}  // namespace decoder
