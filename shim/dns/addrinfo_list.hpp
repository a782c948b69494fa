// getaddrinfo(3) result lists for resolved IPv4 addresses, allocated the way glibc allocates
// them so that the C library's own freeaddrinfo releases them.
#pragma once

#include <netdb.h>

#include "shim/dns/name_resolver.hpp"

namespace tapstack::dns {

// For every resolved address (outer loop, resolver order) a copy of every entry of `services`
// (a list the C library's getaddrinfo made for "0.0.0.0" with the caller's service and hints:
// socket type, protocol and port as it decided) with the address put in. With `canonical`, the
// first entry carries the canonical name. Returns 0 and the list in `*result`, or EAI_MEMORY.
//
// Memory: each addrinfo and its sockaddr_in are one malloc block with the addrinfo first, and
// ai_canonname is a separate malloc'd string. glibc 2.36's freeaddrinfo (sysdeps/posix/
// getaddrinfo.c) does exactly `free(p->ai_canonname); free(p);` per entry, as for its own lists.
int make_addrinfo_list(const Resolved& resolved, const addrinfo* services, bool canonical,
                       addrinfo** result);

}  // namespace tapstack::dns
