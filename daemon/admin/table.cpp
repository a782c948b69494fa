#include "daemon/admin/table.hpp"

#include <algorithm>
#include <cstdio>

namespace tapstack::daemon::admin {
namespace {

const std::string& cell(const std::vector<std::string>& row, std::size_t i) {
  static const std::string empty;
  return i < row.size() ? row[i] : empty;
}

bool is_number(std::string_view text) {
  if (text.empty()) return false;
  std::size_t start = text.front() == '-' ? 1 : 0;
  if (start == text.size()) return false;
  bool dot = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    if (text[i] == '.' && !dot) {
      dot = true;
    } else if (text[i] < '0' || text[i] > '9') {
      return false;
    }
  }
  return true;
}

// A cell as a JSON value: numbers stay numbers where the column is numeric (or, in a key-value
// table, where the value looks like one); "-" there means "not known": null.
std::string json_value(std::string_view text, bool numeric) {
  if (numeric && text == "-") return "null";
  if (numeric && is_number(text)) return std::string{text};
  return json_string(text);
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Table::text() const {
  std::vector<std::size_t> widths;
  for (const Column& column : columns_) widths.push_back(column.name.size());
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      widths[i] = std::max(widths[i], cell(row, i).size());
    }
  }
  std::string out;
  const auto line = [&](const auto& text_of) {
    std::string row_text;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const std::string& text = text_of(i);
      const std::string pad(widths[i] - text.size(), ' ');
      const bool last = i + 1 == columns_.size();
      if (columns_[i].numeric) {
        row_text += pad + text;
      } else {
        row_text += last ? text : text + pad;
      }
      if (!last) row_text += "  ";
    }
    while (!row_text.empty() && row_text.back() == ' ') row_text.pop_back();
    out += row_text + "\n";
  };
  if (!key_value_) {
    std::vector<std::string> headers;
    for (const Column& column : columns_) {
      std::string upper = column.name;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      headers.push_back(upper);
    }
    line([&](std::size_t i) -> const std::string& { return headers[i]; });
  }
  for (const auto& row : rows_) {
    line([&](std::size_t i) -> const std::string& { return cell(row, i); });
  }
  return out;
}

std::string Table::json() const {
  std::string out;
  if (key_value_) {
    out = "{";
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (r > 0) out += ",";
      out += "\n  " + json_string(cell(rows_[r], 0)) + ": " + json_value(cell(rows_[r], 1), true);
    }
    return out + (rows_.empty() ? "}\n" : "\n}\n");
  }
  out = "[";
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    out += r > 0 ? ",\n  {" : "\n  {";
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) out += ", ";
      out +=
          json_string(columns_[i].name) + ": " + json_value(cell(rows_[r], i), columns_[i].numeric);
    }
    out += "}";
  }
  return out + (rows_.empty() ? "]\n" : "\n]\n");
}

}  // namespace tapstack::daemon::admin
