// The network commands of tapstackctl, like iproute2's: `addr` (interfaces and addresses),
// `routes`, `neigh`, and `address add|del IFNAME ADDRESS` (issue 9: an added address answers at
// once and is announced by gratuitous ARP; connections on a removed one are reset).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "daemon/admin/table.hpp"
#include "daemon/device.hpp"
#include "stack/stack.hpp"

namespace tapstack::daemon::admin {

Table addresses_table(const Stack& stack, std::span<const Device> devices);
Table routes_table(const Stack& stack, std::span<const Device> devices);
Table neighbors_table(const Stack& stack, std::span<const Device> devices, Instant now);

// `address add IFNAME A.B.C.D/N` or `address del IFNAME A.B.C.D`. Errors as `ip address` gives
// them: EINVAL (syntax), ENODEV (no such interface), EEXIST (ours already), EADDRNOTAVAIL (not
// a usable address, or not assigned there), ENOSPC (tables full).
Result<void, std::uint32_t> change_address(Stack& stack, std::span<const Device> devices,
                                           std::span<const std::string> args, Instant now);

}  // namespace tapstack::daemon::admin
