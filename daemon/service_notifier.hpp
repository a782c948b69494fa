// tapstackd's side of systemd's service protocol (sd_notify(3), via libsystemd): READY=1 once
// the TAP devices are up and the IPC socket listens, STATUS= with a one-line summary kept
// current, WATCHDOG=1 at half the WatchdogSec= interval, STOPPING=1 on the way out. Without
// NOTIFY_SOCKET (not run by systemd) every call does nothing.
#pragma once

#include <string>

#include "stack/base/time.hpp"

namespace tapstack::daemon {

class ServiceNotifier {
 public:
  ServiceNotifier();

  void ready(const std::string& status);
  // A configuration reload starts; ready() ends it (sd_notify(3) RELOADING=1).
  void reloading();
  void stopping();
  // Sends STATUS= (and WATCHDOG=1 when the watchdog is on) if `now` reached the next due time.
  // `status` is only called then.
  template <typename Status>
  void tick(Instant now, Status&& status) {
    if (now < next_due_) return;
    send("STATUS=" + status() + (watchdog_ ? "\nWATCHDOG=1" : ""));
    next_due_ = now + interval_;
  }
  // When tick() wants to run next; kNever when systemd does not listen.
  Instant next_due() const { return enabled_ ? next_due_ : kNever; }

 private:
  void send(const std::string& state);

  bool enabled_ = false;
  bool watchdog_ = false;
  Duration interval_ = std::chrono::seconds(5);  // STATUS refresh; half WatchdogSec if smaller
  Instant next_due_ = kNever;
};

}  // namespace tapstack::daemon
