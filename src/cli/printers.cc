#include "cli/printers.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "api/encoding.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

// Strings YAML would read back as another type get quotes.
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kWords[] = {"true", "false", "yes", "no", "on", "off", "null", "~",
                                 "True", "False", "Yes", "No", "On", "Off", "Null", "NULL",
                                 "TRUE", "FALSE", "y",   "n",  "Y",  "N"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (end != nullptr && *end == '\0') return true;
  return std::isspace(static_cast<unsigned char>(s.front())) ||
         std::isspace(static_cast<unsigned char>(s.back()));
}

void Emit(YAML::Emitter& out, const json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (auto& [k, x] : v.items()) {
      out << YAML::Key << k << YAML::Value;
      Emit(out, x);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& x : v) Emit(out, x);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    // A literal block reads back with one trailing newline ("|" chomping);
    // other multi-line strings stay double-quoted with escapes.
    if (s.find('\n') != std::string::npos && s.back() == '\n' &&
        s.find("\n\n") == std::string::npos) {
      out << YAML::Literal << s;
    } else if (s.find('\n') != std::string::npos) {
      out << YAML::DoubleQuoted << s;
    } else if (NeedsQuotes(s)) {
      out << YAML::DoubleQuoted << s;
    } else {
      out << s;
    }
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();  // numbers and booleans in JSON spelling
  }
}

// "creationTimestamp" → "Creation Timestamp", as kubectl describe does.
std::string Title(const std::string& key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    bool prev_lower = i > 0 && std::islower(static_cast<unsigned char>(key[i - 1]));
    if (upper && prev_lower) out += ' ';
    out += i == 0 ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
  }
  return out;
}

std::string Scalar(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void DescribeValue(const json& v, int indent, std::string* out);

void DescribeMap(const json& obj, int indent, std::string* out) {
  for (auto& [k, v] : obj.items()) {
    out->append(indent, ' ');
    *out += Title(k) + ":";
    if (v.is_object() || v.is_array()) {
      *out += v.empty() ? "\n" : "\n";
      DescribeValue(v, indent + 2, out);
    } else {
      *out += "  " + Scalar(v) + "\n";
    }
  }
}

void DescribeValue(const json& v, int indent, std::string* out) {
  if (v.is_object()) return DescribeMap(v, indent, out);
  if (!v.is_array()) {
    out->append(indent, ' ');
    *out += Scalar(v) + "\n";
    return;
  }
  for (const auto& item : v) {
    if (item.is_object()) {
      // First key on the "-" line would need one more rule; kubectl prints the
      // map under an indented block, which reads the same.
      DescribeMap(item, indent, out);
    } else {
      out->append(indent, ' ');
      *out += Scalar(item) + "\n";
    }
  }
}

std::string KeyValues(const json& m) {
  if (!m.is_object() || m.empty()) return "<none>";
  std::string out;
  for (auto& [k, v] : m.items()) {
    if (!out.empty()) out += "\n              ";
    out += k + "=" + Scalar(v);
  }
  return out;
}

std::string Age(const std::string& timestamp) {
  std::chrono::system_clock::time_point t;
  if (!api::ParseRfc3339(timestamp, &t)) return "<unknown>";
  auto d = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - t);
  return api::HumanDuration(d < std::chrono::seconds(0) ? std::chrono::seconds(0) : d);
}

}  // namespace

std::string ToYaml(const json& value) {
  YAML::Emitter out;
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

std::string AlignColumns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string FormatTable(const json& table, bool wide, bool with_namespace) {
  std::vector<size_t> columns;
  std::vector<std::vector<std::string>> rows(1);
  if (with_namespace) rows[0].push_back("NAMESPACE");
  const json& defs = table.value("columnDefinitions", json::array());
  for (size_t i = 0; i < defs.size(); ++i) {
    if (!wide && defs[i].value("priority", 0) > 0) continue;
    columns.push_back(i);
    std::string name = defs[i].value("name", "");
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    rows[0].push_back(name);
  }
  for (const auto& row : table.value("rows", json::array())) {
    std::vector<std::string> line;
    if (with_namespace) {
      line.push_back(row.contains("object") && row["object"].contains("metadata")
                         ? row["object"]["metadata"].value("namespace", "")
                         : "");
    }
    const json& cells = row.value("cells", json::array());
    for (size_t i : columns) {
      bool missing = i >= cells.size() || cells[i].is_null();
      line.push_back(missing ? "<none>" : Scalar(cells[i]));
    }
    rows.push_back(std::move(line));
  }
  return AlignColumns(rows);
}

std::string DescribeObject(const json& obj) {
  const json& meta = obj.value("metadata", json::object());
  std::string out;
  out += "Name:         " + meta.value("name", "") + "\n";
  if (meta.contains("namespace")) out += "Namespace:    " + meta.value("namespace", "") + "\n";
  out += "Labels:       " + KeyValues(meta.value("labels", json::object())) + "\n";
  json annotations = meta.value("annotations", json::object());
  annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
  out += "Annotations:  " + KeyValues(annotations) + "\n";
  out += "API Version:  " + obj.value("apiVersion", "") + "\n";
  out += "Kind:         " + obj.value("kind", "") + "\n";
  json rest = obj;
  rest.erase("apiVersion");
  rest.erase("kind");
  json m = meta;
  for (const char* k : {"name", "namespace", "labels", "annotations", "managedFields"}) m.erase(k);
  rest["metadata"] = m;
  DescribeMap(rest, 0, &out);
  return out;
}

std::string DescribeEvents(const json& events) {
  const json& items = events.value("items", json::array());
  if (items.empty()) return "Events:  <none>\n";
  std::vector<std::vector<std::string>> rows = {{"Type", "Reason", "Age", "From", "Message"},
                                                {"----", "------", "----", "----", "-------"}};
  for (const auto& e : items) {
    std::string from = e.contains("source") ? e["source"].value("component", "") : "";
    rows.push_back({e.value("type", ""), e.value("reason", ""),
                    Age(e.value("lastTimestamp", e.value("firstTimestamp", ""))), from,
                    e.value("message", "")});
  }
  std::string table = AlignColumns(rows);
  std::string out = "Events:\n";
  size_t start = 0;
  while (start < table.size()) {
    size_t nl = table.find('\n', start);
    out += "  " + table.substr(start, nl - start + 1);
    start = nl + 1;
  }
  return out;
}

}  // namespace ferry::cli
