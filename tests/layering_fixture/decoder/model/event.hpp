// Fixture for the layering check: a model header reaching up into the sinks.
#pragma once

#include <string>

#include "decoder/model/event_id.hpp"
#include "decoder/sinks/sink.hpp"
