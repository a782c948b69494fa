// The C library result structures the shim hands out (shim/dns/addrinfo_list.hpp,
// shim/dns/hostent_buffer.hpp): contents, and memory that glibc's freeaddrinfo can release.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>

#include <cstring>
#include <string>
#include <vector>

#include "shim/dns/addrinfo_list.hpp"
#include "shim/dns/hostent_buffer.hpp"

namespace tapstack::dns {
namespace {

Resolved two_addresses() {
  return Resolved{{{10, 0, 0, 1}, {10, 0, 0, 2}}, "canonical.test", {"alias.test", "other"}};
}

std::string address_of(const addrinfo& entry) {
  const auto* address = reinterpret_cast<const sockaddr_in*>(entry.ai_addr);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
  return text + std::string(":") + std::to_string(ntohs(address->sin_port));
}

// Service entries as the C library makes them for the shim's getaddrinfo.
addrinfo* services_for(const char* service, int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* entries = nullptr;
  EXPECT_EQ(::getaddrinfo("0.0.0.0", service, &hints, &entries), 0);
  return entries;
}

TEST(AddrinfoList, EveryServiceEntryForEveryAddressInAddressOrder) {
  addrinfo* services = services_for("53", 0);  // stream, datagram and raw entries
  addrinfo* list = nullptr;
  ASSERT_EQ(make_addrinfo_list(two_addresses(), services, true, &list), 0);
  std::vector<std::string> seen;
  for (const addrinfo* entry = list; entry != nullptr; entry = entry->ai_next) {
    EXPECT_EQ(entry->ai_family, AF_INET);
    EXPECT_EQ(entry->ai_addrlen, sizeof(sockaddr_in));
    seen.push_back(address_of(*entry) + "/" + std::to_string(entry->ai_socktype));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"10.0.0.1:53/1", "10.0.0.1:53/2", "10.0.0.1:53/3",
                                            "10.0.0.2:53/1", "10.0.0.2:53/2", "10.0.0.2:53/3"}));
  ASSERT_NE(list->ai_canonname, nullptr);
  EXPECT_STREQ(list->ai_canonname, "canonical.test");
  EXPECT_EQ(list->ai_next->ai_canonname, nullptr);
  // The C library's freeaddrinfo releases it (leaks or bad frees show in the sanitizer build).
  ::freeaddrinfo(list);
  ::freeaddrinfo(services);
}

TEST(AddrinfoList, KeepsTheSocketTypeAndProtocolOfTheServiceEntries) {
  addrinfo* services = services_for("http", SOCK_STREAM);
  addrinfo* list = nullptr;
  ASSERT_EQ(make_addrinfo_list(two_addresses(), services, false, &list), 0);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->ai_socktype, SOCK_STREAM);
  EXPECT_EQ(list->ai_protocol, IPPROTO_TCP);
  EXPECT_EQ(address_of(*list), "10.0.0.1:80");
  EXPECT_EQ(list->ai_canonname, nullptr);
  ASSERT_NE(list->ai_next, nullptr);
  EXPECT_EQ(address_of(*list->ai_next), "10.0.0.2:80");
  EXPECT_EQ(list->ai_next->ai_next, nullptr);
  ::freeaddrinfo(list);
  ::freeaddrinfo(services);
}

TEST(HostentBuffer, LaysOutNamesAliasesAndAddresses) {
  const Resolved resolved = two_addresses();
  std::vector<char> buffer(hostent_buffer_size(resolved));
  hostent entry{};
  ASSERT_TRUE(fill_hostent(resolved, entry, buffer));
  EXPECT_STREQ(entry.h_name, "canonical.test");
  EXPECT_EQ(entry.h_addrtype, AF_INET);
  EXPECT_EQ(entry.h_length, 4);
  ASSERT_NE(entry.h_aliases[0], nullptr);
  EXPECT_STREQ(entry.h_aliases[0], "alias.test");
  EXPECT_STREQ(entry.h_aliases[1], "other");
  EXPECT_EQ(entry.h_aliases[2], nullptr);
  const unsigned char first[] = {10, 0, 0, 1};
  const unsigned char second[] = {10, 0, 0, 2};
  EXPECT_EQ(std::memcmp(entry.h_addr_list[0], first, 4), 0);
  EXPECT_EQ(std::memcmp(entry.h_addr_list[1], second, 4), 0);
  EXPECT_EQ(entry.h_addr_list[2], nullptr);
}

TEST(HostentBuffer, AnyMisalignedStartThatFitsWorksAndOneOctetLessDoesNot) {
  const Resolved resolved = two_addresses();
  const std::size_t size = hostent_buffer_size(resolved);
  std::vector<char> storage(size + 16);
  for (std::size_t shift = 0; shift < 8; ++shift) {
    hostent entry{};
    EXPECT_TRUE(fill_hostent(resolved, entry, std::span(storage).subspan(shift, size))) << shift;
  }
  // Aligned, the slack is not needed; take it away and one more octet.
  char* aligned = storage.data();
  while (reinterpret_cast<std::uintptr_t>(aligned) % alignof(char*) != 0) ++aligned;
  const std::size_t exact = size - (alignof(char*) - 1);
  hostent entry{};
  EXPECT_TRUE(fill_hostent(resolved, entry, std::span(aligned, exact)));
  hostent untouched{};
  EXPECT_FALSE(fill_hostent(resolved, untouched, std::span(aligned, exact - 1)));
  EXPECT_EQ(untouched.h_name, nullptr);
}

}  // namespace
}  // namespace tapstack::dns
