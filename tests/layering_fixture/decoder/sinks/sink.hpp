// Fixture for the layering check: a sink including the model below it, as allowed.
#pragma once

#include "decoder/model/event.hpp"
