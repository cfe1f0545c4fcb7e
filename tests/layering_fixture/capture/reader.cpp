// Fixture for the layering check: "decoder" in capture's rule allows every folder under it.
#include "decoder/sinks/sink.hpp"
#include "capture/reader.hpp"
