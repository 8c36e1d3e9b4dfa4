// Text features: CountVectorizer, TfidfVectorizer and TfidfTransformer.
//
// A vectorizer reads one text column (V1 `instances: ["some text", ...]`, a
// BYTES tensor) and counts the vocabulary_ terms its analyzer produces, as
// sklearn 1.2 does: lowercase first, then
//   word     tokens of 2+ word characters (the default token_pattern
//            (?u)\b\w\w+\b), stop words dropped, word n-grams joined by " ";
//   char     character n-grams after runs of 2+ spaces become one;
//   char_wb  character n-grams inside " word " for each whitespace-split word.
// Word characters and lowercasing follow Unicode through glibc's C.UTF-8
// classification (plus "_"), whitespace Python's str.isspace set. Tf-idf then
// applies sublinear tf, idf_ and the l1/l2 row norm.
#include <locale.h>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cwctype>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Value;

constexpr std::string_view kDefaultTokenPattern = R"((?u)\b\w\w+\b)";

locale_t Utf8Locale() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

// Python's str.isspace.
bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool IsWord(char32_t c) {
  if (c < 0x80) return std::isalnum(static_cast<int>(c)) != 0 || c == '_';
  const locale_t loc = Utf8Locale();
  return loc != nullptr && iswalnum_l(static_cast<wint_t>(c), loc) != 0;
}

char32_t Lower(char32_t c) {
  if (c < 0x80) return static_cast<char32_t>(std::tolower(static_cast<int>(c)));
  const locale_t loc = Utf8Locale();
  return loc != nullptr ? static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), loc)) : c;
}

StatusOr<std::u32string> DecodeUtf8(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return InvalidArgumentError("input text is not valid UTF-8");
    char32_t c = n == 1 ? b : b & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb >> 6) != 2) return InvalidArgumentError("input text is not valid UTF-8");
      c = (c << 6) | (cb & 0x3F);
    }
    out.push_back(c);
    i += n;
  }
  return out;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string Utf8(const char32_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) AppendUtf8(p[i], &s);
  return s;
}

// re.sub(r"\s\s+", " ", text).
std::u32string CollapseSpaces(const std::u32string& t) {
  std::u32string out;
  for (size_t i = 0; i < t.size();) {
    size_t j = i;
    while (j < t.size() && IsSpace(t[j])) ++j;
    if (j - i >= 2) {
      out.push_back(U' ');
      i = j;
    } else {
      out.push_back(t[i++]);
    }
  }
  return out;
}

// Tf-idf weighting of one row of counts (TfidfTransformer.transform).
struct Tfidf {
  bool sublinear = false;
  std::vector<double> idf;  // empty: no idf
  std::string norm;         // "l1", "l2" or "" (None)

  void Apply(double* row, size_t n) const {
    if (sublinear) {
      for (size_t j = 0; j < n; ++j) {
        if (row[j] != 0) row[j] = std::log(row[j]) + 1;
      }
    }
    if (!idf.empty()) {
      for (size_t j = 0; j < n; ++j) row[j] *= idf[j];
    }
    if (norm.empty()) return;
    double s = 0.0;
    for (size_t j = 0; j < n; ++j) s += norm == "l1" ? std::fabs(row[j]) : row[j] * row[j];
    if (s == 0.0) return;
    if (norm == "l2") s = std::sqrt(s);
    for (size_t j = 0; j < n; ++j) row[j] /= s;
  }
};

class Vectorizer : public Transformer {
 public:
  enum class Analyzer { kWord, kChar, kCharWb };

  Status Transform(const Frame& in, Frame* out) const override {
    if (in.cols != 1 || !in.is_string_col(0)) {
      return InvalidArgumentError(name_ +
                                  " expects one text column (e.g. {\"instances\": [\"some "
                                  "text\", ...]}), got " +
                                  std::to_string(in.cols) + " column(s)" +
                                  (in.cols == 1 ? " of numbers" : ""));
    }
    const size_t n = n_terms_;
    *out = Frame::Numeric(in.rows, n);
    for (size_t r = 0; r < in.rows; ++r) {
      if (in.missing[r]) {
        return InvalidArgumentError(name_ + ": row " + std::to_string(r) +
                                    " is null; every document must be a string");
      }
      double* row = &out->numeric[r * n];
      RETURN_IF_ERROR(Count(in.str_at(r, 0), row));
      if (binary_) {
        for (size_t j = 0; j < n; ++j) row[j] = row[j] != 0 ? 1.0 : 0.0;
      }
      if (tfidf_) tfidf_->Apply(row, n);
    }
    return OkStatus();
  }
  bool accepts_strings() const override { return true; }
  std::string name() const override { return name_; }

  Analyzer analyzer_ = Analyzer::kWord;
  bool lowercase_ = true;
  bool binary_ = false;
  size_t min_n_ = 1, max_n_ = 1;
  std::unordered_set<std::string> stop_words_;  // only when they can matter
  std::unordered_map<std::string, size_t> vocab_;
  size_t n_terms_ = 0;
  std::optional<Tfidf> tfidf_;
  std::string name_;

 private:
  void Add(const std::string& term, double* row) const {
    if (auto it = vocab_.find(term); it != vocab_.end()) row[it->second] += 1;
  }

  Status Count(const std::string& doc, double* row) const {
    ASSIGN_OR_RETURN(std::u32string t, DecodeUtf8(doc));
    if (lowercase_) {
      for (char32_t& c : t) c = Lower(c);
    }
    if (analyzer_ == Analyzer::kWord) {
      std::vector<std::string> tokens;
      for (size_t i = 0; i < t.size();) {
        if (!IsWord(t[i])) {
          ++i;
          continue;
        }
        size_t j = i;
        while (j < t.size() && IsWord(t[j])) ++j;
        if (j - i >= 2) {
          std::string tok = Utf8(&t[i], j - i);
          if (!stop_words_.count(tok)) tokens.push_back(std::move(tok));
        }
        i = j;
      }
      for (size_t n = min_n_; n <= max_n_; ++n) {
        for (size_t i = 0; n > 0 && i + n <= tokens.size(); ++i) {
          std::string g = tokens[i];
          for (size_t k = 1; k < n; ++k) g += " " + tokens[i + k];
          Add(g, row);
        }
      }
      return OkStatus();
    }
    const std::u32string text = CollapseSpaces(t);
    if (analyzer_ == Analyzer::kChar) {
      for (size_t n = min_n_; n <= max_n_; ++n) {
        for (size_t i = 0; n > 0 && i + n <= text.size(); ++i) Add(Utf8(&text[i], n), row);
      }
      return OkStatus();
    }
    // char_wb
    for (size_t i = 0; i < text.size();) {
      if (IsSpace(text[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && !IsSpace(text[j])) ++j;
      std::u32string w = U" " + text.substr(i, j - i) + U" ";
      for (size_t n = min_n_; n <= max_n_; ++n) {
        size_t offset = 0;
        Add(Utf8(&w[0], std::min(n, w.size())), row);
        while (offset + n < w.size()) {
          ++offset;
          Add(Utf8(&w[offset], n), row);
        }
        if (offset == 0) break;  // a short word counts once
      }
      i = j;
    }
    return OkStatus();
  }
};

class TfidfTransformer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, n_, "TfidfTransformer"));
    *out = Frame::Numeric(in.rows, in.cols);
    std::copy(x, x + in.rows * in.cols, out->numeric.begin());
    for (size_t r = 0; r < in.rows; ++r) tfidf_.Apply(&out->numeric[r * in.cols], in.cols);
    return OkStatus();
  }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return "TfidfTransformer"; }

  Tfidf tfidf_;
  int64_t n_ = -1;
};

// idf_ = column sums of the fitted _idf_diag (a scipy csr_matrix).
StatusOr<Tfidf> LoadTfidf(const Attrs& a, BuildContext& ctx, size_t n_terms) {
  Tfidf t;
  t.sublinear = a.BoolOr("sublinear_tf", false);
  const Value* norm = a.Get("norm");
  t.norm = norm != nullptr && norm->is_str() ? norm->str : "";
  if (!t.norm.empty() && t.norm != "l1" && t.norm != "l2") {
    return a.Error("norm", "is '" + t.norm + "', expected l1, l2 or None");
  }
  if (!a.BoolOr("use_idf", true)) return t;
  ASSIGN_OR_RETURN(const Value* diag, a.Require("_idf_diag"));
  if (diag->kind != pickle::Kind::kObject) {
    return a.Error("_idf_diag", "is not a sparse matrix");
  }
  Attrs d(*diag, &ctx);
  ASSIGN_OR_RETURN(Array data, d.Numbers("data"));
  ASSIGN_OR_RETURN(Array indices, d.Numbers("indices"));
  ASSIGN_OR_RETURN(Array indptr, d.Numbers("indptr"));
  if (data.v.size() != indices.v.size() || indptr.v.empty() ||
      indptr.v.back() != static_cast<double>(data.v.size())) {
    return a.Error("_idf_diag", "is not a well-formed CSR matrix");
  }
  t.idf.assign(n_terms, 0.0);
  for (size_t k = 0; k < data.v.size(); ++k) {
    const double j = indices.v[k];
    if (!(j >= 0 && j < static_cast<double>(n_terms))) {
      return a.Error("_idf_diag", "has a column outside the vocabulary");
    }
    t.idf[static_cast<size_t>(j)] += data.v[k];
  }
  return t;
}

}  // namespace

StatusOr<TransformerPtr> MakeVectorizer(const Attrs& a, BuildContext& ctx) {
  auto v = std::make_unique<Vectorizer>();
  v->name_ = a.cls();
  for (const char* key : {"tokenizer", "preprocessor", "strip_accents"}) {
    const Value* x = a.Get(key);
    if (x != nullptr && !x->is_none()) {
      return a.Error(key, "is set; Ferry supports vectorizers with the default " +
                              std::string(key) + " (None)");
    }
  }
  if (a.StrOr("input", "content") != "content") {
    return a.Error("input", "is not 'content'; Ferry vectorizes the text it is sent");
  }
  const std::string analyzer = a.StrOr("analyzer", "word");
  if (analyzer == "word") {
    v->analyzer_ = Vectorizer::Analyzer::kWord;
    const std::string pattern = a.StrOr("token_pattern", std::string(kDefaultTokenPattern));
    if (pattern != kDefaultTokenPattern) {
      return a.Error("token_pattern", "is '" + pattern + "'; Ferry supports the default " +
                                          std::string(kDefaultTokenPattern));
    }
  } else if (analyzer == "char") {
    v->analyzer_ = Vectorizer::Analyzer::kChar;
  } else if (analyzer == "char_wb") {
    v->analyzer_ = Vectorizer::Analyzer::kCharWb;
  } else {
    return a.Error("analyzer", "is not word, char or char_wb");
  }
  v->lowercase_ = a.BoolOr("lowercase", true);
  v->binary_ = a.BoolOr("binary", false);
  ASSIGN_OR_RETURN(Array ng, a.Numbers("ngram_range"));
  if (ng.v.size() != 2 || !(ng.v[0] >= 1 && ng.v[0] <= ng.v[1] && ng.v[1] <= 16)) {
    return a.Error("ngram_range", "is not (min_n, max_n) with 1 <= min_n <= max_n <= 16");
  }
  v->min_n_ = static_cast<size_t>(ng.v[0]);
  v->max_n_ = static_cast<size_t>(ng.v[1]);
  // Stop words leave unigrams alone (they are not in vocabulary_) but split word n-grams.
  const Value* stop = a.Get("stop_words");
  if (v->analyzer_ == Vectorizer::Analyzer::kWord && v->max_n_ > 1 && stop != nullptr &&
      !stop->is_none()) {
    if (!stop->is_sequence() && stop->kind != pickle::Kind::kSet) {
      return a.Error("stop_words",
                     "is a built-in list; with word n-grams Ferry supports "
                     "stop_words=None or an explicit list");
    }
    for (const Value* w : stop->items) {
      if (w != nullptr && w->is_str()) v->stop_words_.insert(w->str);
    }
  }
  ASSIGN_OR_RETURN(const Value* vocab, a.Require("vocabulary_"));
  if (vocab->kind != pickle::Kind::kDict) {
    return a.Error("vocabulary_", "is not a dict");
  }
  RETURN_IF_ERROR(ctx.Charge(static_cast<int64_t>(vocab->entries.size())));
  v->n_terms_ = vocab->entries.size();
  std::vector<bool> seen(v->n_terms_, false);
  for (const auto& [k, idx] : vocab->entries) {
    auto i = ToArray(idx);
    if (k == nullptr || !k->is_str() || !i.ok() || i->v.size() != 1 ||
        !(i->v[0] >= 0 && i->v[0] < static_cast<double>(v->n_terms_)) ||
        seen[static_cast<size_t>(i->v[0])]) {
      return a.Error("vocabulary_", "does not map distinct terms to 0..n-1");
    }
    seen[static_cast<size_t>(i->v[0])] = true;
    v->vocab_.emplace(k->str, static_cast<size_t>(i->v[0]));
  }
  if (a.cls() == "TfidfVectorizer") {
    ASSIGN_OR_RETURN(const Value* tf, a.Require("_tfidf"));
    if (tf->kind != pickle::Kind::kObject) {
      return a.Error("_tfidf", "is not a TfidfTransformer");
    }
    ASSIGN_OR_RETURN(Tfidf t, LoadTfidf(Attrs(*tf, &ctx), ctx, v->n_terms_));
    v->tfidf_ = std::move(t);
  }
  return TransformerPtr(std::move(v));
}

StatusOr<TransformerPtr> MakeTfidfTransformer(const Attrs& a, BuildContext& ctx) {
  auto t = std::make_unique<TfidfTransformer>();
  ASSIGN_OR_RETURN(t->n_, a.Int("n_features_in_"));
  if (t->n_ <= 0) {
    return a.Error("n_features_in_", "is not positive");
  }
  ASSIGN_OR_RETURN(t->tfidf_, LoadTfidf(a, ctx, static_cast<size_t>(t->n_)));
  return TransformerPtr(std::move(t));
}

}  // namespace ferry::sklearn
