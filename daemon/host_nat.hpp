// The optional host-side setup (config `host_nat:`): IPv4 forwarding on and an nftables table
// `tapstack_nat` masquerading the stack's subnets as they leave the host, made with libnftables
// (the nftables project's own library, rather than hand-built netlink messages). Undone by the
// destructor: the table deleted, forwarding restored to what it was.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "daemon/log.hpp"
#include "stack/base/result.hpp"

namespace tapstack::daemon {

class HostNat {
 public:
  static constexpr const char* kTable = "tapstack_nat";

  // Sets it up for the interfaces of `config`; the message says what failed (nothing is left
  // behind then). `log` outlives the object.
  static Result<std::unique_ptr<HostNat>, std::string> enable(const config::Config& config,
                                                              const Logger& log);
  ~HostNat();
  HostNat(const HostNat&) = delete;
  HostNat& operator=(const HostNat&) = delete;

  // The nftables commands that set it up (exposed for tests).
  static std::string ruleset(const config::Config& config);

 private:
  HostNat(const Logger& log, bool restore_forwarding) : log_(log), restore_(restore_forwarding) {}

  const Logger& log_;
  bool restore_;  // forwarding was off before: turn it off again
};

}  // namespace tapstack::daemon
