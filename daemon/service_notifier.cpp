#include "daemon/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace tapstack::daemon {

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t watchdog_usec = 0;
  if (enabled_ && sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    watchdog_ = true;
    interval_ = std::min<Duration>(interval_, std::chrono::microseconds(watchdog_usec / 2));
  }
}

void ServiceNotifier::ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
  next_due_ = Instant{};  // the first tick refreshes the status and starts the watchdog pings
}

void ServiceNotifier::reloading() {
  send("RELOADING=1");
}

void ServiceNotifier::stopping() {
  send("STOPPING=1");
}

void ServiceNotifier::send(const std::string& state) {
  if (enabled_) (void)sd_notify(0, state.c_str());
}

}  // namespace tapstack::daemon
