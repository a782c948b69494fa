// IPv4 name resolution as glibc's getaddrinfo does it with "hosts: files dns": the hosts file
// first, then DNS A queries per resolv.conf, each query sent through a Transport so that the
// shim's own socket calls carry it. Failures are EAI_* codes of <netdb.h>.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/dns/dns_message.hpp"
#include "shim/dns/resolv_conf.hpp"
#include "shim/dns/udp_transport.hpp"
#include "stack/base/result.hpp"

namespace tapstack::dns {

struct Resolved {
  std::vector<Ipv4Address> addresses;
  std::string canonical_name;
  std::vector<std::string> aliases;  // other names of the host (hosts file), or the queried name
};

// EAI_NONAME (no such name, or no A record), EAI_AGAIN (no server answered, or all answered
// SERVFAIL or refused), EAI_FAIL (only truncated or unreadable answers).
using Resolution = Result<Resolved, int>;

// Where the configuration comes from; paths can be replaced for tests.
struct ResolverFiles {
  std::string hosts = "/etc/hosts";
  std::string resolv_conf = "/etc/resolv.conf";
};

using QueryIdSource = std::function<std::uint16_t()>;

// Looks `name` up in the hosts file, then in DNS. Reads both files on every call, as glibc
// notices a changed resolv.conf.
Resolution resolve_ipv4(std::string_view name, const ResolverFiles& files,
                        const Transport& transport, const QueryIdSource& next_id);

// resolve_ipv4 with the system files, udp_exchange and random_query_id.
Resolution resolve_ipv4(std::string_view name);

// The DNS part: the search candidates of `name` in turn (res_search), each asked of the servers
// in order, `attempts` rounds, `timeout` per query (res_send).
Resolution query_dns(std::string_view name, const ResolverConfig& config,
                     const Transport& transport, const QueryIdSource& next_id);

// A query id from getrandom(2) (RFC 5452 §9.2), /dev/urandom as a fallback.
std::uint16_t random_query_id();

}  // namespace tapstack::dns
