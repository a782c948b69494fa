// The resolver configuration, read from resolv.conf text as glibc reads it (resolv.conf(5)), and
// the order in which a name is tried with the search list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shim/dns/dns_message.hpp"

namespace tapstack::dns {

struct ResolverConfig {
  // IPv4 name servers in file order, at most kMaxNameservers (glibc's MAXNS). IPv6 servers are
  // skipped: tapstack is IPv4 only.
  std::vector<Ipv4Address> nameservers;
  std::vector<std::string> search;  // domains without a trailing '.'
  int ndots = 1;
  int timeout_seconds = 5;  // per query sent (glibc's RES_TIMEOUT)
  int attempts = 2;         // rounds over all servers (glibc's RES_DFLRETRY)
};

inline constexpr std::size_t kMaxNameservers = 3;
inline constexpr int kMaxNdots = 15;    // glibc's RES_MAXNDOTS
inline constexpr int kMaxTimeout = 30;  // glibc's RES_MAXRETRANS
inline constexpr int kMaxAttempts = 5;  // glibc's RES_MAXRETRY

// Parses resolv.conf text: "nameserver", "search" and "domain" (the last of the two wins),
// "options ndots:N timeout:N attempts:N" (capped as glibc does); other keywords and options are
// ignored, '#' and ';' start comments. Without a nameserver line the server is 127.0.0.1; without
// search or domain the search list is the domain part of `hostname` (glibc uses gethostname).
ResolverConfig parse_resolv_conf(std::string_view text, std::string_view hostname = {});

// The names to query for `name`, in order (res_search in glibc's res_query.c): a name ending in
// '.' is only tried as is; a name with at least `ndots` dots is tried as is first, then with each
// search domain; a name with fewer dots with the search domains first, then as is.
std::vector<std::string> search_candidates(std::string_view name, const ResolverConfig& config);

}  // namespace tapstack::dns
