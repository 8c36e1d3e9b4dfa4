// ParseMlflowCsv: text/csv bodies for /invocations, read the way
// pandas.read_csv does by default (header row, type per column, NA strings).
#include <charconv>
#include <cmath>
#include <limits>

#include "protocol/mlflow_json.h"

namespace ferry::protocol {
namespace {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::string> cells;  // row-major, header.size() per row
  size_t rows = 0;
};

// Reads one record starting at *pos; returns false at end of input.
StatusOr<bool> ReadRecord(std::string_view csv, size_t* pos, size_t line,
                          std::vector<std::string>* fields) {
  fields->clear();
  size_t i = *pos;
  if (i >= csv.size()) {
    return false;
  }
  std::string field;
  bool quoted = false;
  while (true) {
    if (i < csv.size() && quoted) {
      if (csv[i] != '"') {
        field.push_back(csv[i++]);
      } else if (i + 1 < csv.size() && csv[i + 1] == '"') {
        field.push_back('"');
        i += 2;
      } else {
        quoted = false;
        ++i;
      }
      continue;
    }
    if (quoted) {
      return InvalidArgumentError("CSV line " + std::to_string(line) +
                                  ": a quoted field is not closed before the end of the body");
    }
    if (i < csv.size() && csv[i] == '"' && field.empty()) {
      quoted = true;
      ++i;
    } else if (i >= csv.size() || csv[i] == '\n' || csv[i] == '\r' || csv[i] == ',') {
      fields->push_back(std::move(field));
      field.clear();
      if (i < csv.size() && csv[i] == ',') {
        ++i;
        continue;
      }
      if (i < csv.size() && csv[i] == '\r') {
        ++i;
      }
      if (i < csv.size() && csv[i] == '\n') {
        ++i;
      }
      *pos = i;
      return true;
    } else {
      field.push_back(csv[i++]);
    }
  }
}

bool IsNaText(std::string_view s) {
  static constexpr std::string_view kNa[] = {"",     "NA",   "N/A",  "n/a",  "NaN",  "nan", "-NaN",
                                             "-nan", "null", "NULL", "None", "<NA>", "#N/A"};
  for (std::string_view na : kNa) {
    if (s == na) {
      return true;
    }
  }
  return false;
}

bool ParseNumber(std::string_view s, double* out) {
  if (s == "True" || s == "true" || s == "TRUE") {
    *out = 1.0;
    return true;
  }
  if (s == "False" || s == "false" || s == "FALSE") {
    *out = 0.0;
    return true;
  }
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
  }
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

StatusOr<CsvTable> ReadTable(std::string_view csv) {
  if (csv.substr(0, 3) == "\xEF\xBB\xBF") {
    csv.remove_prefix(3);  // UTF-8 byte order mark from spreadsheet exports
  }
  CsvTable table;
  size_t pos = 0;
  size_t line = 1;
  ASSIGN_OR_RETURN(bool has_header, ReadRecord(csv, &pos, line, &table.header));
  if (!has_header || (table.header.size() == 1 && table.header[0].empty())) {
    return InvalidArgumentError("CSV body is empty; the first line must name the columns");
  }
  std::vector<std::string> fields;
  while (true) {
    ++line;
    ASSIGN_OR_RETURN(bool more, ReadRecord(csv, &pos, line, &fields));
    if (!more) {
      break;
    }
    if (fields.size() == 1 && fields[0].empty()) {
      continue;  // blank line
    }
    if (fields.size() != table.header.size()) {
      return InvalidArgumentError("CSV line " + std::to_string(line) + " has " +
                                  std::to_string(fields.size()) + " fields but the header has " +
                                  std::to_string(table.header.size()));
    }
    for (std::string& f : fields) {
      table.cells.push_back(std::move(f));
    }
    ++table.rows;
  }
  return table;
}

}  // namespace

StatusOr<Frame> ParseMlflowCsv(std::string_view csv) {
  ASSIGN_OR_RETURN(CsvTable table, ReadTable(csv));
  const size_t cols = table.header.size();
  Frame f = Frame::Numeric(table.rows, cols);
  f.names = std::move(table.header);
  double v;
  for (size_t c = 0; c < cols; ++c) {
    for (size_t r = 0; r < table.rows; ++r) {
      const std::string& cell = table.cells[r * cols + c];
      if (!IsNaText(cell) && !ParseNumber(cell, &v)) {
        f.MakeStringColumn(c);
        break;
      }
    }
  }
  for (size_t i = 0; i < table.cells.size(); ++i) {
    const std::string& cell = table.cells[i];
    const bool na = IsNaText(cell);
    if (f.is_string_col(i % cols)) {
      f.missing[i] = na ? 1 : 0;
      if (!na) {
        f.strings[i] = std::move(table.cells[i]);
      }
    } else {
      f.numeric[i] = na || !ParseNumber(cell, &v) ? std::numeric_limits<double>::quiet_NaN() : v;
    }
  }
  return f;
}

}  // namespace ferry::protocol
