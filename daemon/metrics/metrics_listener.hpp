// The listening socket of the metrics endpoint (`metrics.listen`): a Unix stream socket made like
// the IPC socket (mode 0660, group of ipc.group, a stale one replaced), or a TCP socket on the
// host's own network. Either is a plain kernel socket of the daemon, outside the stack.
#pragma once

#include <string>

#include "config/config.hpp"
#include "ipc/fd_passing.hpp"
#include "stack/base/result.hpp"

namespace tapstack::daemon::metrics {

using tapstack::ipc::UniqueFd;

// A non-blocking, close-on-exec listening socket for `listen` (which must be enabled()), or a
// message naming the failed step.
Result<UniqueFd, std::string> open_metrics_listener(const config::MetricsConfig& listen,
                                                    const std::string& group);

// "unix:PATH" or "HOST:PORT", for log lines.
std::string describe(const config::MetricsConfig& listen);

}  // namespace tapstack::daemon::metrics
