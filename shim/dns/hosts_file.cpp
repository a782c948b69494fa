#include "shim/dns/hosts_file.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "shim/dns/text_words.hpp"

namespace tapstack::dns {
namespace {

// An IPv4 address, or an IPv6 one that stands for one (see find_in_hosts).
std::optional<Ipv4Address> line_address(std::string_view text) {
  const std::string terminated(text);
  Ipv4Address address{};
  if (::inet_pton(AF_INET, terminated.c_str(), address.data()) == 1) return address;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, terminated.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return Ipv4Address{127, 0, 0, 1};
  if (!IN6_IS_ADDR_V4MAPPED(&v6)) return std::nullopt;
  std::memcpy(address.data(), &v6.s6_addr[12], address.size());
  return address;
}

void add_alias(HostsMatch& match, std::string_view alias) {
  if (same_text(alias, match.canonical_name)) return;
  for (const std::string& known : match.aliases) {
    if (same_text(alias, known)) return;
  }
  match.aliases.emplace_back(alias);
}

void add_line(HostsMatch& match, Ipv4Address address, const std::vector<std::string_view>& words) {
  if (match.addresses.empty()) match.canonical_name = words[1];
  match.addresses.push_back(address);
  for (std::size_t i = 1; i < words.size(); ++i) add_alias(match, words[i]);
}

}  // namespace

std::optional<HostsMatch> find_in_hosts(std::string_view hosts_text, std::string_view name) {
  HostsMatch match;
  while (!hosts_text.empty()) {
    const std::string_view line = take_line(hosts_text);
    const auto words = split_words(line.substr(0, line.find('#')));
    if (words.size() < 2) continue;
    const bool listed =
        std::ranges::any_of(words.begin() + 1, words.end(),
                            [&](std::string_view word) { return same_text(word, name); });
    if (!listed) continue;
    if (const auto address = line_address(words[0])) add_line(match, *address, words);
  }
  if (match.addresses.empty()) return std::nullopt;
  return match;
}

}  // namespace tapstack::dns
