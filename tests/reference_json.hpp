// The tests' reference serialiser of events (see reference_json.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include "decoder/model/events.hpp"

namespace test {

nlohmann::json reference_json(const decoder::Event& event);

}  // namespace test
