// A struct hostent for resolved IPv4 addresses, laid out in a caller's buffer as the
// gethostbyname_r(3) family requires.
#pragma once

#include <netdb.h>

#include <cstddef>
#include <span>

#include "shim/dns/name_resolver.hpp"

namespace tapstack::dns {

// The buffer size fill_hostent needs for `resolved` (alignment slack included).
std::size_t hostent_buffer_size(const Resolved& resolved);

// Fills `entry` (AF_INET, 4-octet addresses) with h_name, h_aliases and h_addr_list pointing into
// `buffer`. False, `entry` untouched, when the buffer is too small (the caller reports ERANGE).
bool fill_hostent(const Resolved& resolved, hostent& entry, std::span<char> buffer);

}  // namespace tapstack::dns
