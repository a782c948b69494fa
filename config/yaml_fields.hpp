// Walking a yaml-cpp document with positions: every value the loader reads is a Field that knows
// its path ("interfaces[0].mtu") and its place in the file, so every error can say
// "FILE:LINE:COL: PATH: MESSAGE". Lines and columns are printed 1-based (yaml-cpp counts from 0).
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapstack::config {

// One value of the document: the root, a mapping entry or a list item.
struct Field {
  std::string path;  // "" for the root, "ipv4.default_ttl", "interfaces[0].addresses[1]"
  std::string key;   // the mapping key ("default_ttl"); empty for the root and list items
  YAML::Node value;
  // Where messages about this field point: the value itself, or its key when the value is empty
  // (yaml-cpp places an empty value at the start of the next token, often the next line).
  YAML::Mark mark;
};

// Reads one document of `source_name`, remembering where each field was found.
// Every failure throws ConfigError with the full message.
class DocumentReader {
 public:
  explicit DocumentReader(std::string source_name) : source_name_(std::move(source_name)) {}

  const std::string& source_name() const { return source_name_; }

  // "SOURCE:LINE:COL: MESSAGE", or "SOURCE: MESSAGE" when `mark` is null.
  std::string located(const YAML::Mark& mark, std::string_view message) const;
  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view message) const;
  // Fails at `field` with "PATH: MESSAGE" (just MESSAGE for the root).
  [[noreturn]] void fail(const Field& field, std::string_view message) const;

  Field root(const YAML::Node& document);

  // The entries of the mapping `field` in document order. Null counts as an empty mapping (all
  // keys commented out). Fails on any other kind of value, on a key outside `known_keys` and on
  // a repeated key.
  std::vector<Field> entries(const Field& field,
                             std::initializer_list<std::string_view> known_keys);

  // The items of the list `field`, with paths "PATH[i]". Null counts as an empty list.
  std::vector<Field> items(const Field& field);

  // The scalar text of `field`; fails on a mapping, a list or an empty value.
  std::string scalar_text(const Field& field) const;

  // The scalar `field` converted by `parse`, one of config/field_parsers.hpp; its error message
  // becomes "PATH: MESSAGE" at the field's position.
  template <typename Parse>
  auto scalar(const Field& field, Parse parse) const {
    auto value = parse(scalar_text(field));
    if (!value) fail(field, value.error());
    return std::move(*value);
  }

  // Where `path` was read; nullopt when the document does not contain it.
  std::optional<YAML::Mark> position_of(std::string_view path) const;
  // Where `path` or, failing that, its nearest ancestor was read; null mark when none was.
  YAML::Mark nearest_position_of(std::string_view path) const;

 private:
  Field remember(std::string path, std::string key, YAML::Node value, YAML::Mark fallback_mark);

  std::string source_name_;
  std::map<std::string, YAML::Mark, std::less<>> positions_;
};

// "a mapping", "a list", "nothing" or the quoted scalar: what a message says was found.
std::string describe(const YAML::Node& node);

}  // namespace tapstack::config
