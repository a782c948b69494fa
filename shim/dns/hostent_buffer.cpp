#include "shim/dns/hostent_buffer.hpp"

#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <memory>

namespace tapstack::dns {
namespace {

// Pointer arrays (each null-terminated), then the addresses, then the strings.
std::size_t pointers_size(const Resolved& resolved) {
  return (resolved.aliases.size() + 1 + resolved.addresses.size() + 1) * sizeof(char*);
}

std::size_t strings_size(const Resolved& resolved) {
  std::size_t size = resolved.canonical_name.size() + 1;
  for (const std::string& alias : resolved.aliases) size += alias.size() + 1;
  return size;
}

char* copy_string(const std::string& text, char*& cursor) {
  char* start = cursor;
  std::memcpy(cursor, text.c_str(), text.size() + 1);
  cursor += text.size() + 1;
  return start;
}

}  // namespace

std::size_t hostent_buffer_size(const Resolved& resolved) {
  return alignof(char*) - 1 + pointers_size(resolved) + resolved.addresses.size() * 4 +
         strings_size(resolved);
}

bool fill_hostent(const Resolved& resolved, hostent& entry, std::span<char> buffer) {
  void* start = buffer.data();
  std::size_t space = buffer.size();
  const std::size_t needed =
      pointers_size(resolved) + resolved.addresses.size() * 4 + strings_size(resolved);
  if (std::align(alignof(char*), needed, start, space) == nullptr) return false;
  auto** aliases = static_cast<char**>(start);
  char** addresses = aliases + resolved.aliases.size() + 1;
  char* cursor = reinterpret_cast<char*>(addresses + resolved.addresses.size() + 1);
  for (std::size_t i = 0; i < resolved.addresses.size(); ++i) {
    addresses[i] = cursor;
    std::memcpy(cursor, resolved.addresses[i].data(), 4);
    cursor += 4;
  }
  addresses[resolved.addresses.size()] = nullptr;
  entry.h_name = copy_string(resolved.canonical_name, cursor);
  for (std::size_t i = 0; i < resolved.aliases.size(); ++i) {
    aliases[i] = copy_string(resolved.aliases[i], cursor);
  }
  aliases[resolved.aliases.size()] = nullptr;
  entry.h_aliases = aliases;
  entry.h_addrtype = AF_INET;
  entry.h_length = 4;
  entry.h_addr_list = addresses;
  return true;
}

}  // namespace tapstack::dns
