// The counter dump: one line per counter, `info: counter NAME VALUE`, the stack's counters under
// their own names (stack/stats/counters.hpp) followed by the devices' counters prefixed `tap_`.
// Logged on SIGUSR1 and at exit; the integration tests and operators parse these lines.
#pragma once

#include <span>

#include "daemon/device.hpp"
#include "daemon/log.hpp"
#include "stack/stats/counters.hpp"

namespace tapstack::daemon {

// Every counter is listed, zeros included, so a reader always finds each name. With several
// devices the `tap_` counters are their sums.
void log_counters(const Logger& log, const Counters& stack, std::span<const Device> devices);

}  // namespace tapstack::daemon
