// Interposed: getaddrinfo, gethostbyname, gethostbyname_r, gethostbyname2, gethostbyname2_r.
//
// glibc's resolver sends DNS queries with internal socket calls that LD_PRELOAD cannot replace,
// so they would bypass tapstack. As torsocks does, the shim answers IPv4 name lookups itself
// (shim/dns/): the hosts file, then DNS over an ordinary socket(AF_INET, SOCK_DGRAM), which this
// shim's socket() turns into a tapstack socket. Numeric addresses, IPv6 lookups, NULL nodes and
// resolvers on the host's loopback stay with the C library. Only IPv4 results: tapstack has no
// IPv6.
//
// No ReentryGuard is taken here: the resolver's socket calls must reach the shim.
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "shim/dns/addrinfo_list.hpp"
#include "shim/dns/hostent_buffer.hpp"
#include "shim/dns/name_resolver.hpp"
#include "shim/libc_calls.hpp"
#include "shim/shim_state.hpp"

namespace tapstack::shim {
namespace {

struct ResolverCalls {
  int (*getaddrinfo)(const char*, const char*, const addrinfo*, addrinfo**);
  hostent* (*gethostbyname)(const char*);
  hostent* (*gethostbyname2)(const char*, int);
  int (*gethostbyname_r)(const char*, hostent*, char*, size_t, hostent**, int*);
  int (*gethostbyname2_r)(const char*, int, hostent*, char*, size_t, hostent**, int*);
};

const ResolverCalls& real() {
  static const ResolverCalls calls = [] {
    ResolverCalls c{};
    resolve_next(c.getaddrinfo, "getaddrinfo");
    resolve_next(c.gethostbyname, "gethostbyname");
    resolve_next(c.gethostbyname2, "gethostbyname2");
    resolve_next(c.gethostbyname_r, "gethostbyname_r");
    resolve_next(c.gethostbyname2_r, "gethostbyname2_r");
    return c;
  }();
  return calls;
}

// A name the C library handles without DNS: an IPv4 address in any inet_aton(3) form, or an
// IPv6 address.
bool numeric(const char* name) {
  in_addr v4{};
  in6_addr v6{};
  return ::inet_aton(name, &v4) != 0 || ::inet_pton(AF_INET6, name, &v6) == 1;
}

// A resolver on the host's loopback (systemd-resolved's 127.0.0.53, a local dnsmasq) is not
// reachable through tapstack's network, whose 127/8 is its own: the C library asks it, over the
// kernel's loopback, as it would without the shim.
bool loopback_resolver() {
  std::ifstream file("/etc/resolv.conf");
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  const dns::ResolverConfig config = dns::parse_resolv_conf(text);
  return std::all_of(config.nameservers.begin(), config.nameservers.end(),
                     [](const dns::Ipv4Address& server) { return server[0] == 127; });
}

bool for_libc(const char* name, int family) {
  return name == nullptr || (family != AF_INET && family != AF_UNSPEC) || numeric(name) ||
         ReentryGuard::active() || loopback_resolver();
}

// The service part of getaddrinfo, by the C library itself: the caller's service and hints on
// the numeric host 0.0.0.0. AI_ADDRCONFIG is dropped: it asks about the kernel's interfaces,
// while the addresses that count belong to tapstack.
int service_entries(const char* service, const addrinfo* hints, addrinfo** entries) {
  addrinfo numeric_hints{};
  if (hints != nullptr) {
    numeric_hints.ai_flags = hints->ai_flags;
    numeric_hints.ai_socktype = hints->ai_socktype;
    numeric_hints.ai_protocol = hints->ai_protocol;
  }
  numeric_hints.ai_flags =
      (numeric_hints.ai_flags | AI_NUMERICHOST) & ~(AI_CANONNAME | AI_ADDRCONFIG);
  numeric_hints.ai_family = AF_INET;
  return real().getaddrinfo("0.0.0.0", service, &numeric_hints, entries);
}

// An EAI_* error as h_errno, as glibc reports the same failures to gethostbyname callers.
int h_errno_of(int eai) {
  return eai == EAI_AGAIN ? TRY_AGAIN : eai == EAI_FAIL ? NO_RECOVERY : HOST_NOT_FOUND;
}

int lookup_hostent(const char* name, hostent* entry, char* buffer, size_t length, hostent** result,
                   int* h_error) {
  *result = nullptr;
  const auto resolved = dns::resolve_ipv4(name);
  if (!resolved) {
    *h_error = h_errno_of(resolved.error());
    return *h_error == TRY_AGAIN ? EAGAIN : 0;
  }
  if (!dns::fill_hostent(*resolved, *entry, std::span<char>(buffer, length))) {
    *h_error = NETDB_INTERNAL;
    errno = ERANGE;
    return ERANGE;
  }
  *h_error = NETDB_SUCCESS;
  *result = entry;
  return 0;
}

// gethostbyname's result lives until the thread's next call, as glibc's (per process) does.
hostent* lookup_static_hostent(const char* name) {
  thread_local hostent entry{};
  thread_local std::vector<char> buffer;
  const auto resolved = dns::resolve_ipv4(name);
  if (!resolved) {
    h_errno = h_errno_of(resolved.error());
    return nullptr;
  }
  buffer.resize(dns::hostent_buffer_size(*resolved));
  if (!dns::fill_hostent(*resolved, entry, buffer)) {
    h_errno = NO_RECOVERY;
    return nullptr;
  }
  return &entry;
}

}  // namespace
}  // namespace tapstack::shim

using namespace tapstack;
using namespace tapstack::shim;

// Exported despite the library's hidden default: these are what LD_PRELOAD interposes.
#pragma GCC visibility push(default)
extern "C" {

int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  if (for_libc(node, hints != nullptr ? hints->ai_family : AF_UNSPEC) ||
      (hints != nullptr && (hints->ai_flags & AI_NUMERICHOST) != 0)) {
    return real().getaddrinfo(node, service, hints, res);
  }
  // The service first: a bad service or socket type fails without a DNS query, as in glibc.
  addrinfo* entries = nullptr;
  if (const int error = service_entries(service, hints, &entries); error != 0) return error;
  const auto resolved = dns::resolve_ipv4(node);
  if (!resolved) {
    ::freeaddrinfo(entries);
    return resolved.error();
  }
  const bool canonical = hints != nullptr && (hints->ai_flags & AI_CANONNAME) != 0;
  const int error = dns::make_addrinfo_list(*resolved, entries, canonical, res);
  ::freeaddrinfo(entries);
  return error;
}

hostent* gethostbyname(const char* name) {
  if (for_libc(name, AF_INET)) return real().gethostbyname(name);
  return lookup_static_hostent(name);
}

hostent* gethostbyname2(const char* name, int family) {
  if (for_libc(name, family) || family != AF_INET) return real().gethostbyname2(name, family);
  return lookup_static_hostent(name);
}

int gethostbyname_r(const char* name, hostent* entry, char* buffer, size_t length, hostent** result,
                    int* h_error) {
  if (for_libc(name, AF_INET)) {
    return real().gethostbyname_r(name, entry, buffer, length, result, h_error);
  }
  return lookup_hostent(name, entry, buffer, length, result, h_error);
}

int gethostbyname2_r(const char* name, int family, hostent* entry, char* buffer, size_t length,
                     hostent** result, int* h_error) {
  if (for_libc(name, family) || family != AF_INET) {
    return real().gethostbyname2_r(name, family, entry, buffer, length, result, h_error);
  }
  return lookup_hostent(name, entry, buffer, length, result, h_error);
}

}  // extern "C"
#pragma GCC visibility pop
