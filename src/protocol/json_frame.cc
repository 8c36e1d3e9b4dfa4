// DESIGN: two passes over a flat grid of DOM elements. The first collects the
// cells (and column names for records) and marks string columns, the second
// converts; so no cell is parsed twice and no column type is guessed early.
#include "protocol/json_frame.h"

#include <charconv>
#include <limits>

namespace ferry::protocol::internal {
namespace {

struct CellGrid {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<std::string> names;
  std::vector<element> cells;    // rows * cols
  std::vector<uint8_t> present;  // 0 = key absent from a record
};

std::string CellPath(std::string_view what, size_t r, size_t c, const CellGrid& g) {
  std::string path = std::string(what) + "[" + std::to_string(r) + "]";
  if (!g.names.empty()) {
    return path + "['" + g.names[c] + "']";
  }
  return g.cols > 1 ? path + "[" + std::to_string(c) + "]" : path;
}

std::string NumberText(element e) {
  if (e.type() == element_type::INT64) {
    return std::to_string(e.get_int64().value_unsafe());
  }
  if (e.type() == element_type::UINT64) {
    return std::to_string(e.get_uint64().value_unsafe());
  }
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof(buf), e.get_double().value_unsafe());
  return std::string(buf, res.ptr);
}

double NumberValue(element e) {
  switch (e.type()) {
    case element_type::INT64:
      return static_cast<double>(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(e.get_uint64().value_unsafe());
    case element_type::DOUBLE:
      return e.get_double().value_unsafe();
    case element_type::BOOL:
      return e.get_bool().value_unsafe() ? 1.0 : 0.0;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

StatusOr<Frame> GridToFrame(CellGrid& g, std::string_view what) {
  Frame f = Frame::Numeric(g.rows, g.cols);
  for (size_t i = 0; i < g.cells.size(); ++i) {
    if (!g.present[i]) {
      continue;
    }
    const element_type type = g.cells[i].type();
    if (type == element_type::ARRAY || type == element_type::OBJECT) {
      return InvalidArgumentError(CellPath(what, i / g.cols, i % g.cols, g) + " is " +
                                  std::string(JsonTypeName(g.cells[i])) +
                                  "; each value must be a number, string, boolean or null");
    }
    if (type == element_type::STRING && !f.is_string_col(i % g.cols)) {
      f.MakeStringColumn(i % g.cols);
    }
  }
  f.names = std::move(g.names);
  for (size_t i = 0; i < g.cells.size(); ++i) {
    const size_t c = i % g.cols;
    const element e = g.cells[i];
    const bool missing = !g.present[i] || e.type() == element_type::NULL_VALUE;
    if (!f.is_string_col(c)) {
      f.numeric[i] = missing ? std::numeric_limits<double>::quiet_NaN() : NumberValue(e);
    } else if (missing) {
      f.missing[i] = 1;
    } else if (e.type() == element_type::STRING) {
      f.strings[i] = std::string(e.get_string().value_unsafe());
    } else if (e.type() == element_type::BOOL) {
      f.strings[i] = e.get_bool().value_unsafe() ? "True" : "False";
    } else {
      f.strings[i] = NumberText(e);
    }
  }
  return f;
}

Status ReadListRows(array rows, std::string_view what, CellGrid* g) {
  size_t r = 0;
  for (element row : rows) {
    array a;
    if (row.get(a) != simdjson::SUCCESS) {
      return InvalidArgumentError(std::string(what) + "[" + std::to_string(r) + "] is " +
                                  std::string(JsonTypeName(row)) + " but " + std::string(what) +
                                  "[0] is a list; every row must be a list of the same length");
    }
    if (a.size() == 0) {
      return InvalidArgumentError(std::string(what) + "[" + std::to_string(r) +
                                  "] is an empty list; every row needs at least one value");
    }
    if (r == 0) {
      g->cols = a.size();
    } else if (a.size() != g->cols) {
      return InvalidArgumentError(std::string(what) + "[" + std::to_string(r) + "] has " +
                                  std::to_string(a.size()) + " values but " + std::string(what) +
                                  "[0] has " + std::to_string(g->cols) +
                                  "; every row needs the same number of features");
    }
    for (element cell : a) {
      g->cells.push_back(cell);
    }
    ++r;
  }
  return OkStatus();
}

size_t ColumnFor(std::string_view key, size_t hint, std::vector<std::string>* names) {
  if (hint < names->size() && (*names)[hint] == key) {
    return hint;
  }
  for (size_t c = 0; c < names->size(); ++c) {
    if ((*names)[c] == key) {
      return c;
    }
  }
  names->emplace_back(key);
  return names->size() - 1;
}

Status ReadRecords(array rows, std::string_view what, CellGrid* g) {
  // Records may have different keys, so cells are placed after the union of
  // keys is known: collect (row, col, value) first.
  struct Entry {
    size_t row, col;
    element value;
  };
  std::vector<Entry> entries;
  size_t r = 0;
  for (element row : rows) {
    object obj;
    if (row.get(obj) != simdjson::SUCCESS) {
      return InvalidArgumentError(std::string(what) + "[" + std::to_string(r) + "] is " +
                                  std::string(JsonTypeName(row)) + " but " + std::string(what) +
                                  "[0] is an object; send all rows as {column: value} objects");
    }
    size_t hint = 0;
    for (auto field : obj) {
      const size_t c = ColumnFor(field.key, hint, &g->names);
      entries.push_back({r, c, field.value});
      hint = c + 1;
    }
    ++r;
  }
  g->cols = g->names.size();
  g->cells.resize(g->rows * g->cols);
  g->present.assign(g->rows * g->cols, 0);
  for (const Entry& e : entries) {
    g->cells[e.row * g->cols + e.col] = e.value;
    g->present[e.row * g->cols + e.col] = 1;
  }
  return OkStatus();
}

}  // namespace

StatusOr<Frame> FrameFromRows(array rows, std::string_view what) {
  CellGrid g;
  g.rows = rows.size();
  if (g.rows == 0) {
    return InvalidArgumentError(std::string(what) + " is empty; send at least one row");
  }
  const element_type first = (*rows.begin()).type();
  if (first == element_type::OBJECT) {
    RETURN_IF_ERROR(ReadRecords(rows, what, &g));
  } else if (first == element_type::ARRAY) {
    g.cells.reserve(g.rows * 4);
    RETURN_IF_ERROR(ReadListRows(rows, what, &g));
    g.present.assign(g.cells.size(), 1);
  } else {
    g.cols = 1;
    for (element cell : rows) {
      g.cells.push_back(cell);
    }
    g.present.assign(g.cells.size(), 1);
  }
  if (g.cols == 0) {
    return InvalidArgumentError(std::string(what) +
                                " has rows but no columns; send at least "
                                "one value per row");
  }
  return GridToFrame(g, what);
}

StatusOr<Frame> FrameFromColumns(object columns, std::string_view what) {
  CellGrid g;
  std::vector<array> lists;
  for (auto field : columns) {
    array a;
    if (field.value.get(a) != simdjson::SUCCESS) {
      return InvalidArgumentError(std::string(what) + "['" + std::string(field.key) + "'] is " +
                                  std::string(JsonTypeName(field.value)) +
                                  "; each column must be a list of values");
    }
    if (!lists.empty() && a.size() != lists[0].size()) {
      return InvalidArgumentError(std::string(what) + "['" + std::string(field.key) + "'] has " +
                                  std::to_string(a.size()) + " values but '" + g.names[0] +
                                  "' has " + std::to_string(lists[0].size()) +
                                  "; all columns need the same length");
    }
    g.names.emplace_back(field.key);
    lists.push_back(a);
  }
  if (lists.empty()) {
    return InvalidArgumentError(std::string(what) + " has no columns");
  }
  g.rows = lists[0].size();
  g.cols = lists.size();
  g.cells.resize(g.rows * g.cols);
  g.present.assign(g.rows * g.cols, 1);
  for (size_t c = 0; c < g.cols; ++c) {
    size_t r = 0;
    for (element cell : lists[c]) {
      g.cells[r++ * g.cols + c] = cell;
    }
  }
  return GridToFrame(g, what);
}

}  // namespace ferry::protocol::internal
