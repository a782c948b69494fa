#include "shim/dns/resolv_conf.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "shim/dns/text_words.hpp"

namespace tapstack::dns {
namespace {

// A line without its comment. resolv.conf(5) only knows comment lines ('#' or ';' in the first
// column); glibc also ends a nameserver address at either. Cutting every line there differs from
// glibc only on lines that resolv.conf(5) does not allow.
std::string_view without_comment(std::string_view line) {
  return line.substr(0, line.find_first_of("#;"));
}

std::optional<Ipv4Address> parse_ipv4(std::string_view text) {
  const std::string terminated(text);
  in_addr address{};
  // inet_aton, as glibc's res_init does for nameserver lines.
  if (::inet_aton(terminated.c_str(), &address) == 0) return std::nullopt;
  Ipv4Address bytes{};
  std::memcpy(bytes.data(), &address.s_addr, bytes.size());
  return bytes;
}

// "name:N" with N a decimal number at most `limit` (glibc caps rather than rejects). glibc takes
// timeout:0 and attempts:0 literally, a resolver that never waits or never asks; `minimum` keeps
// those at 1.
void parse_option(std::string_view option, std::string_view name, int minimum, int limit,
                  int& value) {
  if (!option.starts_with(name) || option.size() <= name.size() || option[name.size()] != ':') {
    return;
  }
  const std::string_view digits = option.substr(name.size() + 1);
  int parsed = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
  if (error == std::errc::result_out_of_range)
    parsed = limit;
  else if (error != std::errc{} || parsed < 0)
    return;
  value = std::clamp(parsed, minimum, limit);
}

void parse_options(const std::vector<std::string_view>& words, ResolverConfig& config) {
  for (std::size_t i = 1; i < words.size(); ++i) {
    parse_option(words[i], "ndots", 0, kMaxNdots, config.ndots);
    parse_option(words[i], "timeout", 1, kMaxTimeout, config.timeout_seconds);
    parse_option(words[i], "attempts", 1, kMaxAttempts, config.attempts);
  }
}

std::string without_trailing_dot(std::string_view domain) {
  if (domain.ends_with('.')) domain.remove_suffix(1);
  return std::string(domain);
}

// One line; returns whether it was a search or domain line.
bool parse_line(std::string_view line, ResolverConfig& config) {
  const auto words = split_words(without_comment(line));
  if (words.empty()) return false;
  if (words[0] == "nameserver" && words.size() >= 2) {
    const auto server = parse_ipv4(words[1]);
    if (server && config.nameservers.size() < kMaxNameservers) {
      config.nameservers.push_back(*server);
    }
  } else if ((words[0] == "search" || words[0] == "domain") && words.size() >= 2) {
    config.search.clear();
    // "domain" takes one name (glibc reads the first word only).
    const std::size_t last = words[0] == "domain" ? 2 : words.size();
    for (std::size_t i = 1; i < last; ++i) config.search.push_back(without_trailing_dot(words[i]));
    return true;
  } else if (words[0] == "options") {
    parse_options(words, config);
  }
  return false;
}

}  // namespace

ResolverConfig parse_resolv_conf(std::string_view text, std::string_view hostname) {
  ResolverConfig config;
  bool search_given = false;
  while (!text.empty()) {
    search_given |= parse_line(take_line(text), config);
  }
  if (config.nameservers.empty()) config.nameservers.push_back({127, 0, 0, 1});
  const std::size_t dot = hostname.find('.');
  if (!search_given && dot != std::string_view::npos && dot + 1 < hostname.size()) {
    config.search.push_back(without_trailing_dot(hostname.substr(dot + 1)));
  }
  return config;
}

std::vector<std::string> search_candidates(std::string_view name, const ResolverConfig& config) {
  if (name.ends_with('.')) return {std::string(name)};
  const auto dots = std::count(name.begin(), name.end(), '.');
  const bool as_is_first = dots >= config.ndots;
  std::vector<std::string> candidates;
  if (as_is_first) candidates.emplace_back(name);
  for (const std::string& domain : config.search) {
    if (!domain.empty()) candidates.push_back(std::string(name) + "." + domain);
  }
  if (!as_is_first) candidates.emplace_back(name);
  return candidates;
}

}  // namespace tapstack::dns
