#pragma once

#include <cstdint>

namespace tapstack {

// Index of an interface in its Stack's interface table.
using InterfaceId = std::uint32_t;

}  // namespace tapstack
