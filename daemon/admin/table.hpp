// The answer of an admin command (tapstackctl): a table of rows under named columns, rendered as
// aligned text for people or as JSON for programs (`--json`). A key-value table (two columns,
// "name" and "value") renders as one JSON object instead of an array of rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tapstack::daemon::admin {

struct Column {
  std::string name;
  bool numeric = false;  // right-aligned in text; a JSON number (a "-" cell becomes null)
};

class Table {
 public:
  explicit Table(std::vector<Column> columns, bool key_value = false)
      : columns_(std::move(columns)), key_value_(key_value) {}
  // A name/value table: the shape of `status` and `stats`.
  static Table key_value() { return Table{{{"name", false}, {"value", false}}, true}; }

  // Cells in column order; missing cells are empty.
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::size_t row_count() const { return rows_.size(); }

  std::string text() const;
  std::string json() const;
  std::string render(bool as_json) const { return as_json ? json() : text(); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
  bool key_value_;
};

// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
std::string json_string(std::string_view text);

}  // namespace tapstack::daemon::admin
