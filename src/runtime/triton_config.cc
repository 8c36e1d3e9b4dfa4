#include "runtime/triton_config.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace ferry::runtime {
namespace {

// One field of a text-format message: a scalar or a nested message.
struct Node {
  std::string name;
  bool is_message = false;
  bool quoted = false;  // scalar came from a string literal
  std::string scalar;
  std::vector<Node> fields;
  int line = 0;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view origin) : text_(text), origin_(origin) {}

  StatusOr<std::vector<Node>> ParseTop() {
    std::vector<Node> out;
    RETURN_IF_ERROR(ParseFields(out, '\0', 0));
    return out;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgumentError(std::string(origin_) + ":" + std::to_string(line_) + ":" +
                                std::to_string(pos_ - line_start_ + 1) + ": " + what +
                                "; it must be a Triton model configuration in protobuf text "
                                "format (inference.ModelConfig)");
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        line_start_ = ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') {
          ++pos_;
        }
      } else {
        return;
      }
    }
  }

  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  bool Accept(char c) {
    if (Peek(c)) {
      ++pos_;
      return true;
    }
    return false;
  }

  static bool IdentChar(char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && ((c >= '0' && c <= '9') || c == '.'));
  }

  StatusOr<std::string> Identifier() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && IdentChar(text_[pos_], pos_ == start)) {
      ++pos_;
    }
    if (pos_ == start) {
      return Error(pos_ < text_.size() ? "unexpected '" + std::string(1, text_[pos_]) + "'"
                                       : "unexpected end of text");
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  // A number, identifier (enum value, true/false) or string literal.
  Status Scalar(Node& node) {
    SkipSpace();
    if (pos_ >= text_.size()) {
      return Error("a value is missing at the end of the text");
    }
    const char c = text_[pos_];
    if (c == '"' || c == '\'') {
      node.quoted = true;
      // Adjacent literals concatenate, as in protobuf.
      while (Peek('"') || Peek('\'')) {
        RETURN_IF_ERROR(StringLiteral(node.scalar));
      }
      return OkStatus();
    }
    const size_t start = pos_;
    if (c == '-' || c == '+') {
      ++pos_;
    }
    while (pos_ < text_.size() && (IdentChar(text_[pos_], false) || text_[pos_] == '+' ||
                                   text_[pos_] == '-')) {
      ++pos_;
    }
    if (pos_ == start || (pos_ == start + 1 && (c == '-' || c == '+'))) {
      return Error("expected a value, found '" + std::string(1, c) + "'");
    }
    node.scalar = std::string(text_.substr(start, pos_ - start));
    return OkStatus();
  }

  Status StringLiteral(std::string& out) {
    const char quote = text_[pos_++];
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        return Error("a string literal is not closed");
      }
      char c = text_[pos_++];
      if (c == quote) {
        return OkStatus();
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) {
        return Error("a string literal ends in a backslash");
      }
      c = text_[pos_++];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\\': case '\'': case '"': case '?': out += c; break;
        case 'x': {
          int value = 0, digits = 0;
          while (digits < 2 && pos_ < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {
            const char h = text_[pos_++];
            value = value * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (h | 0x20) - 'a' + 10);
            ++digits;
          }
          if (digits == 0) {
            return Error("\\x needs hex digits");
          }
          out += static_cast<char>(value);
          break;
        }
        default:
          if (c >= '0' && c <= '7') {
            int value = c - '0';
            for (int i = 0; i < 2 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7'; ++i) {
              value = value * 8 + (text_[pos_++] - '0');
            }
            out += static_cast<char>(value & 0xff);
            break;
          }
          return Error(std::string("unknown escape \\") + c);
      }
    }
  }

  // `{ fields }` or `< fields >`; the opening bracket is next.
  Status Message(Node& node, int depth) {
    if (depth >= kTritonConfigMaxDepth) {
      return Error("messages nest deeper than " + std::to_string(kTritonConfigMaxDepth));
    }
    const char close = Accept('{') ? '}' : (Accept('<') ? '>' : '\0');
    if (close == '\0') {
      return Error("expected '{'");
    }
    node.is_message = true;
    return ParseFields(node.fields, close, depth + 1);
  }

  // One value for `node` (a scalar or a message), which the caller named.
  Status Value(Node& node, int depth) {
    if (Peek('{') || Peek('<')) {
      return Message(node, depth);
    }
    return Scalar(node);
  }

  Status Count() {
    if (++nodes_ > kTritonConfigMaxNodes) {
      return Error("more than " + std::to_string(kTritonConfigMaxNodes) + " fields");
    }
    return OkStatus();
  }

  Status ParseFields(std::vector<Node>& out, char close, int depth) {
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size()) {
        if (close != '\0') {
          return Error(std::string("'") + close + "' is missing at the end of the text");
        }
        return OkStatus();
      }
      if (close != '\0' && Accept(close)) {
        return OkStatus();
      }
      const int line = line_;
      ASSIGN_OR_RETURN(std::string name, Identifier());
      const bool colon = Accept(':');
      if (Accept('[')) {
        // A list: each element becomes one repeated field. Without the colon
        // (`input [ { ... } ]`, as Triton's examples write it) only messages.
        if (!Accept(']')) {
          do {
            RETURN_IF_ERROR(Count());
            Node element;
            element.name = name;
            element.line = line_;
            if (!colon && !Peek('{') && !Peek('<')) {
              return Error("expected '{' in the list of " + name +
                           " (a list of values needs a ':' before '[')");
            }
            RETURN_IF_ERROR(Value(element, depth));
            out.push_back(std::move(element));
          } while (Accept(','));
          if (!Accept(']')) {
            return Error("expected ',' or ']' in the list of " + name);
          }
        }
      } else {
        RETURN_IF_ERROR(Count());
        Node field;
        field.name = std::move(name);
        field.line = line;
        if (!colon && !Peek('{') && !Peek('<')) {
          return Error("expected ':' or '{' after " + field.name);
        }
        RETURN_IF_ERROR(Value(field, depth));
        out.push_back(std::move(field));
      }
      if (!Accept(',')) {
        Accept(';');
      }
    }
  }

  std::string_view text_;
  std::string_view origin_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  int nodes_ = 0;
};

Status FieldError(std::string_view origin, const Node& n, const std::string& what) {
  return InvalidArgumentError(std::string(origin) + ":" + std::to_string(n.line) + ": " + n.name +
                              " " + what);
}

StatusOr<int64_t> Integer(std::string_view origin, const Node& n) {
  int64_t v = 0;
  const std::string& s = n.scalar;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (n.is_message || n.quoted || ec != std::errc() || p != s.data() + s.size()) {
    return FieldError(origin, n, "must be an integer, not " + (n.is_message ? "a message" : s));
  }
  return v;
}

StatusOr<std::string> String(std::string_view origin, const Node& n) {
  if (n.is_message) {
    return FieldError(origin, n, "must be a value, not a message");
  }
  return n.scalar;
}

StatusOr<TritonTensor> Tensor(std::string_view origin, const Node& n) {
  if (!n.is_message) {
    return FieldError(origin, n, "must be a message { name: ... data_type: ... dims: [...] }");
  }
  TritonTensor t;
  for (const Node& f : n.fields) {
    if (f.name == "name") {
      ASSIGN_OR_RETURN(t.name, String(origin, f));
    } else if (f.name == "data_type") {
      ASSIGN_OR_RETURN(t.data_type, String(origin, f));
      t.datatype = TritonDataType(t.data_type);
    } else if (f.name == "dims") {
      ASSIGN_OR_RETURN(int64_t d, Integer(origin, f));
      if (d < -1) {
        return FieldError(origin, f, "is " + std::to_string(d) + "; a dimension is -1 or more");
      }
      t.dims.push_back(d);
    } else if (f.name == "reshape") {
      t.has_reshape = true;
    }
  }
  if (t.name.empty()) {
    return FieldError(origin, n, "has no name");
  }
  if (t.data_type.empty()) {
    return FieldError(origin, n, "'" + t.name + "' has no data_type");
  }
  return t;
}

void Versions(std::string_view origin, const Node& policy, std::vector<int64_t>& out) {
  for (const Node& kind : policy.fields) {
    if (kind.name != "specific" || !kind.is_message) {
      continue;
    }
    for (const Node& v : kind.fields) {
      if (v.name == "versions") {
        if (auto n = Integer(origin, v); n.ok()) {
          out.push_back(*n);
        }
      }
    }
  }
}

}  // namespace

protocol::DataType TritonDataType(std::string_view type_name) {
  using protocol::DataType;
  static constexpr std::array<std::pair<std::string_view, DataType>, 14> kTypes = {{
      {"TYPE_BOOL", DataType::kBool},
      {"TYPE_UINT8", DataType::kUint8},
      {"TYPE_UINT16", DataType::kUint16},
      {"TYPE_UINT32", DataType::kUint32},
      {"TYPE_UINT64", DataType::kUint64},
      {"TYPE_INT8", DataType::kInt8},
      {"TYPE_INT16", DataType::kInt16},
      {"TYPE_INT32", DataType::kInt32},
      {"TYPE_INT64", DataType::kInt64},
      {"TYPE_FP16", DataType::kFp16},
      {"TYPE_FP32", DataType::kFp32},
      {"TYPE_FP64", DataType::kFp64},
      {"TYPE_BF16", DataType::kBf16},
      {"TYPE_STRING", DataType::kBytes},
  }};
  for (const auto& [name, type] : kTypes) {
    if (name == type_name) {
      return type;
    }
  }
  return DataType::kInvalid;
}

StatusOr<TritonConfig> ParseTritonConfig(std::string_view text, std::string_view origin) {
  Parser parser(text, origin);
  ASSIGN_OR_RETURN(std::vector<Node> top, parser.ParseTop());
  TritonConfig c;
  for (const Node& f : top) {
    if (f.name == "name") {
      ASSIGN_OR_RETURN(c.name, String(origin, f));
    } else if (f.name == "platform") {
      ASSIGN_OR_RETURN(c.platform, String(origin, f));
    } else if (f.name == "backend") {
      ASSIGN_OR_RETURN(c.backend, String(origin, f));
    } else if (f.name == "default_model_filename") {
      ASSIGN_OR_RETURN(c.default_model_filename, String(origin, f));
    } else if (f.name == "max_batch_size") {
      ASSIGN_OR_RETURN(c.max_batch_size, Integer(origin, f));
      if (c.max_batch_size < 0) {
        return FieldError(origin, f, "is negative; use 0 (no batch dimension) or more");
      }
    } else if (f.name == "input") {
      ASSIGN_OR_RETURN(TritonTensor t, Tensor(origin, f));
      c.inputs.push_back(std::move(t));
    } else if (f.name == "output") {
      ASSIGN_OR_RETURN(TritonTensor t, Tensor(origin, f));
      c.outputs.push_back(std::move(t));
    } else if (f.name == "version_policy" && f.is_message) {
      Versions(origin, f, c.specific_versions);
    }
  }
  return c;
}

}  // namespace ferry::runtime
