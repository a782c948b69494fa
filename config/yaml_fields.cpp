#include "config/yaml_fields.hpp"

#include <algorithm>

#include "config/config_error.hpp"
#include "config/field_parsers.hpp"

namespace tapstack::config {
namespace {

std::string in_label(std::string_view path) {
  return path.empty() ? "at the top level" : "in " + std::string(path);
}

std::string join(std::initializer_list<std::string_view> words) {
  std::string joined;
  for (const auto word : words) {
    if (!joined.empty()) joined += ", ";
    joined += word;
  }
  return joined;
}

// "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
std::string_view parent_path(std::string_view path) {
  const auto cut = path.find_last_of(".[");
  return cut == std::string_view::npos ? std::string_view{} : path.substr(0, cut);
}

}  // namespace

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string DocumentReader::located(const YAML::Mark& mark, std::string_view message) const {
  if (mark.is_null()) return source_name_ + ": " + std::string(message);
  return source_name_ + ':' + std::to_string(mark.line + 1) + ':' +
         std::to_string(mark.column + 1) + ": " + std::string(message);
}

void DocumentReader::fail(const YAML::Mark& mark, std::string_view message) const {
  throw ConfigError(located(mark, message));
}

void DocumentReader::fail(const Field& field, std::string_view message) const {
  if (field.path.empty()) fail(field.mark, message);
  fail(field.mark, field.path + ": " + std::string(message));
}

Field DocumentReader::root(const YAML::Node& document) {
  return remember("", "", document, YAML::Mark::null_mark());
}

std::vector<Field> DocumentReader::entries(const Field& field,
                                           std::initializer_list<std::string_view> known_keys) {
  if (field.value.IsNull()) return {};
  if (!field.value.IsMap()) {
    const std::string where = field.path.empty() ? " at the top level" : "";
    fail(field, "expected a mapping" + where + ", got " + describe(field.value));
  }
  std::vector<Field> result;
  std::vector<std::string> seen;
  for (const auto& entry : field.value) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      fail(key.Mark(), "expected a key name " + in_label(field.path) + ", got " + describe(key));
    }
    const std::string& name = key.Scalar();
    if (std::ranges::find(known_keys, name) == known_keys.end()) {
      fail(key.Mark(), "unknown key " + quote(name) + ' ' + in_label(field.path) +
                           " (known: " + join(known_keys) + ')');
    }
    if (std::ranges::find(seen, name) != seen.end()) {
      fail(key.Mark(), "duplicate key " + quote(name) + ' ' + in_label(field.path));
    }
    seen.push_back(name);
    const std::string path = field.path.empty() ? name : field.path + '.' + name;
    result.push_back(remember(path, name, entry.second, key.Mark()));
  }
  return result;
}

std::vector<Field> DocumentReader::items(const Field& field) {
  if (field.value.IsNull()) return {};
  if (!field.value.IsSequence()) fail(field, "expected a list, got " + describe(field.value));
  std::vector<Field> result;
  std::size_t index = 0;
  for (const auto& item : field.value) {
    std::string path = field.path + '[' + std::to_string(index++) + ']';
    result.push_back(remember(std::move(path), "", item, field.mark));
  }
  return result;
}

std::string DocumentReader::scalar_text(const Field& field) const {
  if (!field.value.IsScalar()) {
    fail(field, "expected a single value, got " + describe(field.value));
  }
  return field.value.Scalar();
}

std::optional<YAML::Mark> DocumentReader::position_of(std::string_view path) const {
  const auto found = positions_.find(path);
  if (found == positions_.end()) return std::nullopt;
  return found->second;
}

YAML::Mark DocumentReader::nearest_position_of(std::string_view path) const {
  for (;;) {
    if (const auto mark = position_of(path)) return *mark;
    if (path.empty()) return YAML::Mark::null_mark();
    path = parent_path(path);
  }
}

Field DocumentReader::remember(std::string path, std::string key, YAML::Node value,
                               YAML::Mark fallback_mark) {
  const YAML::Mark mark = value.IsNull() || value.Mark().is_null() ? fallback_mark : value.Mark();
  positions_.insert_or_assign(path, mark);
  return Field{std::move(path), std::move(key), std::move(value), mark};
}

}  // namespace tapstack::config
