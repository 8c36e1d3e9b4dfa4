#include "auth/policy_rule.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace ferry::auth {
namespace {

using nlohmann::json;

bool Has(const std::vector<std::string>& set, std::string_view v) {
  for (const std::string& s : set) {
    if (s == v) return true;
  }
  return false;
}

std::vector<std::string> Strings(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// Decodes one UTF-8 code point at s[i]; -1 when the bytes are not valid UTF-8.
int DecodeRune(std::string_view s, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  size_t need;
  int r;
  if ((c & 0xe0) == 0xc0) {
    need = 1;
    r = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    need = 2;
    r = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    need = 3;
    r = c & 0x07;
  } else {
    return -1;
  }
  if (i + need >= s.size()) return -1;
  for (size_t k = 1; k <= need; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return -1;
    r = (r << 6) | (cc & 0x3f);
  }
  static const int kMin[] = {0, 0x80, 0x800, 0x10000};
  if (r < kMin[need] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return -1;
  *len = need + 1;
  return r;
}

}  // namespace

PolicyRule ParseRule(const json& rule) {
  PolicyRule r;
  if (!rule.is_object()) return r;
  r.verbs = Strings(rule, "verbs");
  r.api_groups = Strings(rule, "apiGroups");
  r.resources = Strings(rule, "resources");
  r.resource_names = Strings(rule, "resourceNames");
  r.non_resource_urls = Strings(rule, "nonResourceURLs");
  return r;
}

std::vector<PolicyRule> ParseRules(const json& rules) {
  std::vector<PolicyRule> out;
  if (!rules.is_array()) return out;
  out.reserve(rules.size());
  for (const json& r : rules) out.push_back(ParseRule(r));
  return out;
}

json RuleToJson(const PolicyRule& rule) {
  json out = json::object();
  if (!rule.api_groups.empty()) out["apiGroups"] = rule.api_groups;
  if (!rule.non_resource_urls.empty()) out["nonResourceURLs"] = rule.non_resource_urls;
  if (!rule.resource_names.empty()) out["resourceNames"] = rule.resource_names;
  if (!rule.resources.empty()) out["resources"] = rule.resources;
  out["verbs"] = rule.verbs;
  return out;
}

json RulesToJson(const std::vector<PolicyRule>& rules) {
  json out = json::array();
  for (const PolicyRule& r : rules) out.push_back(RuleToJson(r));
  return out;
}

bool VerbMatches(const PolicyRule& rule, std::string_view verb) {
  for (const std::string& v : rule.verbs) {
    if (v == "*" || v == verb) return true;
  }
  return false;
}

bool ApiGroupMatches(const PolicyRule& rule, std::string_view group) {
  for (const std::string& g : rule.api_groups) {
    if (g == "*" || g == group) return true;
  }
  return false;
}

bool ResourceMatches(const PolicyRule& rule, std::string_view combined,
                     std::string_view subresource) {
  for (const std::string& r : rule.resources) {
    if (r == "*" || r == combined) return true;
    if (subresource.empty()) continue;
    // "*/SUB": subresource SUB of every resource.
    if (r.size() == subresource.size() + 2 && r[0] == '*' && r[1] == '/' &&
        std::string_view(r).substr(2) == subresource) {
      return true;
    }
  }
  return false;
}

bool ResourceNameMatches(const PolicyRule& rule, std::string_view name) {
  return rule.resource_names.empty() || Has(rule.resource_names, name);
}

bool NonResourceUrlMatches(const PolicyRule& rule, std::string_view path) {
  for (const std::string& u : rule.non_resource_urls) {
    if (u == "*" || u == path) return true;
    if (!u.empty() && u.back() == '*') {
      std::string_view prefix(u);
      while (!prefix.empty() && prefix.back() == '*') prefix.remove_suffix(1);  // TrimRight
      if (path.substr(0, prefix.size()) == prefix) return true;
    }
  }
  return false;
}

bool RuleAllows(const Attributes& a, const PolicyRule& rule) {
  if (!VerbMatches(rule, a.verb)) return false;
  if (!a.resource_request) return NonResourceUrlMatches(rule, a.path);
  if (!ApiGroupMatches(rule, a.api_group)) return false;
  bool matched;
  if (a.subresource.empty()) {
    matched = ResourceMatches(rule, a.resource, a.subresource);
  } else {
    std::string combined = a.resource + "/" + a.subresource;
    matched = ResourceMatches(rule, combined, a.subresource);
  }
  return matched && ResourceNameMatches(rule, a.name);
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    int r = DecodeRune(s, i, &len);
    if (r < 0) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
      i += 1;
      continue;
    }
    switch (r) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (r < 0x20 || r == 0x7f) {
          char buf[16];
          std::snprintf(buf, sizeof(buf), "\\x%02x", r);
          out += buf;
        } else {
          out.append(s.substr(i, len));  // printable (Go also escapes a few Unicode controls)
        }
    }
    i += len;
  }
  out += "\"";
  return out;
}

std::string GoQuote(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += " ";
    out += GoQuote(list[i]);
  }
  return out + "]";
}

std::string CompactString(const PolicyRule& r) {
  std::vector<std::string> parts;
  if (!r.api_groups.empty()) parts.push_back("APIGroups:" + GoQuote(r.api_groups));
  if (!r.resources.empty()) parts.push_back("Resources:" + GoQuote(r.resources));
  if (!r.non_resource_urls.empty()) {
    parts.push_back("NonResourceURLs:" + GoQuote(r.non_resource_urls));
  }
  if (!r.resource_names.empty()) parts.push_back("ResourceNames:" + GoQuote(r.resource_names));
  if (!r.verbs.empty()) parts.push_back("Verbs:" + GoQuote(r.verbs));
  std::string out = "{";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "}";
}

}  // namespace ferry::auth
