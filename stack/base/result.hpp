// Result type for API boundaries: std::expected (C++23). Failures are values, never exceptions.
#pragma once

#include <expected>

namespace tapstack {

template <typename T, typename E>
using Result = std::expected<T, E>;

using std::unexpected;

}  // namespace tapstack
