// Looking a name up in hosts(5) text, as glibc's "files" backend does for AF_INET.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/dns/dns_message.hpp"

namespace tapstack::dns {

struct HostsMatch {
  std::vector<Ipv4Address> addresses;  // of every matching line, in file order, duplicates kept
  std::string canonical_name;          // the first name of the first matching line
  std::vector<std::string> aliases;    // the other names of the matching lines
};

// The lines of `hosts_text` that list `name` (compared case-insensitively, a trailing '.' not
// ignored) as canonical name or alias. As glibc with "multi on" (Debian's host.conf), all such
// lines count. IPv4 lines give their address; of IPv6 lines, ::1 counts as 127.0.0.1 and
// ::ffff:a.b.c.d as a.b.c.d, the others are skipped (glibc's files-hosts.c). '#' starts a comment.
std::optional<HostsMatch> find_in_hosts(std::string_view hosts_text, std::string_view name);

}  // namespace tapstack::dns
