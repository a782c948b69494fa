#include "shim/dns/addrinfo_list.hpp"

#include <netinet/in.h>

#include <cstdlib>
#include <cstring>

namespace tapstack::dns {
namespace {

// One allocation per entry; `info` first, so a pointer to it is the pointer malloc returned.
struct Entry {
  addrinfo info;
  sockaddr_in address;
};
static_assert(offsetof(Entry, info) == 0);

addrinfo* copy_entry(const addrinfo& service, const Ipv4Address& address) {
  auto* entry = static_cast<Entry*>(std::calloc(1, sizeof(Entry)));
  if (entry == nullptr) return nullptr;
  entry->info.ai_flags = service.ai_flags;
  entry->info.ai_family = AF_INET;
  entry->info.ai_socktype = service.ai_socktype;
  entry->info.ai_protocol = service.ai_protocol;
  entry->info.ai_addrlen = sizeof(sockaddr_in);
  entry->info.ai_addr = reinterpret_cast<sockaddr*>(&entry->address);
  entry->address.sin_family = AF_INET;
  if (service.ai_addr != nullptr && service.ai_addrlen >= sizeof(sockaddr_in)) {
    entry->address.sin_port = reinterpret_cast<const sockaddr_in*>(service.ai_addr)->sin_port;
  }
  std::memcpy(&entry->address.sin_addr.s_addr, address.data(), address.size());
  return &entry->info;
}

void free_list(addrinfo* list) {
  while (list != nullptr) {
    addrinfo* next = list->ai_next;
    std::free(list->ai_canonname);
    std::free(list);
    list = next;
  }
}

}  // namespace

int make_addrinfo_list(const Resolved& resolved, const addrinfo* services, bool canonical,
                       addrinfo** result) {
  addrinfo* head = nullptr;
  addrinfo** tail = &head;
  for (const Ipv4Address& address : resolved.addresses) {
    for (const addrinfo* service = services; service != nullptr; service = service->ai_next) {
      *tail = copy_entry(*service, address);
      if (*tail == nullptr) {
        free_list(head);
        return EAI_MEMORY;
      }
      tail = &(*tail)->ai_next;
    }
  }
  if (head != nullptr && canonical) {
    head->ai_canonname = ::strdup(resolved.canonical_name.c_str());
    if (head->ai_canonname == nullptr) {
      free_list(head);
      return EAI_MEMORY;
    }
  }
  *result = head;
  return 0;
}

}  // namespace tapstack::dns
