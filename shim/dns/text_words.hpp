// Text helpers shared by the resolv.conf and hosts readers and the name comparisons.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tapstack::dns {

inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// The blank-separated words of one line.
inline std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t position = 0;
  while (position < line.size()) {
    while (position < line.size() && is_blank(line[position])) ++position;
    const std::size_t start = position;
    while (position < line.size() && !is_blank(line[position])) ++position;
    if (position > start) words.push_back(line.substr(start, position - start));
  }
  return words;
}

// The next line of `text` (without its '\n'), removed from `text`.
inline std::string_view take_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  const std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return line;
}

// RFC 4343 §3: host names compare case-insensitively for the ASCII letters only.
inline std::uint8_t ascii_lower(std::uint8_t octet) {
  return (octet >= 'A' && octet <= 'Z') ? static_cast<std::uint8_t>(octet + ('a' - 'A')) : octet;
}

inline bool same_text(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return ascii_lower(static_cast<std::uint8_t>(x)) == ascii_lower(static_cast<std::uint8_t>(y));
  });
}

}  // namespace tapstack::dns
