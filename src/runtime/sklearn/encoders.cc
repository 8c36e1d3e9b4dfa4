// OneHotEncoder and OrdinalEncoder. Both look each cell up in the fitted
// categories_ of its column: string cells match string categories, numeric
// cells match numeric ones, and a missing cell (NaN, or JSON null in a
// string column) matches a NaN category when one was seen at fit time.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

constexpr int32_t kUnknown = -1;

class Categories {
 public:
  static StatusOr<Categories> Load(const Attrs& a, const pickle::Value* v) {
    Categories c;
    if (v == nullptr || !v->array) {
      return a.Error("categories_", "holds a non-array");
    }
    const pickle::NDArray& arr = *v->array;
    c.count_ = static_cast<size_t>(arr.size());
    bool strings = arr.dtype.kind == 'U' || arr.dtype.kind == 'S';
    if (arr.is_object()) {
      for (size_t i = 0; i < arr.objects.size(); ++i) {
        const pickle::Value* o = arr.objects[i];
        if (o != nullptr && o->is_str()) {
          strings = true;
          c.strings_.emplace(o->str, static_cast<int32_t>(i));
        } else if (o != nullptr && o->kind == pickle::Kind::kFloat && std::isnan(o->f)) {
          c.nan_index_ = static_cast<int32_t>(i);
        } else if (o != nullptr && o->is_number()) {
          c.numbers_.emplace_back(o->kind == pickle::Kind::kInt ? o->i : o->f, i);
        } else if (o == nullptr || !o->is_none()) {
          return a.Error("categories_", "holds an unsupported value " + (o ? o->Describe() : ""));
        }
      }
    } else if (strings) {
      ASSIGN_OR_RETURN(auto s, pickle::ToStrings(arr));
      for (size_t i = 0; i < s.size(); ++i) {
        c.strings_.emplace(s[i], static_cast<int32_t>(i));
      }
    } else {
      ASSIGN_OR_RETURN(auto d, pickle::ToDoubles(arr));
      for (size_t i = 0; i < d.size(); ++i) {
        if (std::isnan(d[i])) {
          c.nan_index_ = static_cast<int32_t>(i);
        } else {
          c.numbers_.emplace_back(d[i], i);
        }
      }
    }
    std::sort(c.numbers_.begin(), c.numbers_.end());
    return c;
  }

  // Category index of cell (r, col) of x, or kUnknown.
  int32_t Find(const Frame& x, size_t r, size_t col) const {
    if (x.is_missing(r, col)) {
      return nan_index_;
    }
    if (x.is_string_col(col)) {
      auto it = strings_.find(x.str_at(r, col));
      return it == strings_.end() ? kUnknown : it->second;
    }
    const double v = x.at(r, col);
    auto it = std::lower_bound(numbers_.begin(), numbers_.end(), std::make_pair(v, size_t{0}));
    return it != numbers_.end() && it->first == v ? static_cast<int32_t>(it->second) : kUnknown;
  }
  size_t size() const { return count_; }
  bool has_nan() const { return nan_index_ != kUnknown; }

 private:
  std::unordered_map<std::string, int32_t> strings_;
  std::vector<std::pair<double, size_t>> numbers_;
  int32_t nan_index_ = kUnknown;
  size_t count_ = 0;
};

StatusOr<std::vector<Categories>> LoadCategories(const Attrs& a) {
  ASSIGN_OR_RETURN(const pickle::Value* list, a.Require("categories_"));
  if (!list->is_sequence()) {
    return a.Error("categories_", "is not a list");
  }
  std::vector<Categories> out;
  for (const pickle::Value* v : list->items) {
    ASSIGN_OR_RETURN(Categories c, Categories::Load(a, v));
    out.push_back(std::move(c));
  }
  return out;
}

std::string CellText(const Frame& x, size_t r, size_t c) {
  if (x.is_string_col(c)) {
    return "'" + x.str_at(r, c) + "'";
  }
  return std::to_string(x.at(r, c));
}

class OneHotEncoder : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    if (in.cols != cats_.size()) {
      return InvalidArgumentError("OneHotEncoder expects " + std::to_string(cats_.size()) +
                                  " columns but the input has " + std::to_string(in.cols));
    }
    *out = Frame::Numeric(in.rows, width_);
    for (size_t r = 0; r < in.rows; ++r) {
      double* o = &out->numeric[r * width_];
      for (size_t c = 0, off = 0; c < cats_.size(); off += widths_[c], ++c) {
        int32_t k = cats_[c].Find(in, r, c);
        if (k == kUnknown) {
          if (!ignore_unknown_) {
            return InvalidArgumentError("OneHotEncoder: unknown category " + CellText(in, r, c) +
                                        " in column " + std::to_string(c) +
                                        " (the model was fitted with handle_unknown='error')");
          }
          continue;
        }
        if (drop_[c] >= 0) {
          if (k == drop_[c]) {
            continue;
          }
          if (k > drop_[c]) {
            --k;
          }
        }
        o[off + k] = 1.0;
      }
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return static_cast<int64_t>(cats_.size()); }
  bool accepts_strings() const override { return true; }
  std::string name() const override { return "OneHotEncoder"; }

  std::vector<Categories> cats_;
  std::vector<int32_t> drop_;
  std::vector<size_t> widths_;
  size_t width_ = 0;
  bool ignore_unknown_ = false;
};

class OrdinalEncoder : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    if (in.cols != cats_.size()) {
      return InvalidArgumentError("OrdinalEncoder expects " + std::to_string(cats_.size()) +
                                  " columns but the input has " + std::to_string(in.cols));
    }
    *out = Frame::Numeric(in.rows, in.cols);
    for (size_t r = 0; r < in.rows; ++r) {
      for (size_t c = 0; c < in.cols; ++c) {
        const int32_t k = cats_[c].Find(in, r, c);
        double v;
        if (in.is_missing(r, c) && cats_[c].has_nan()) {
          v = encoded_missing_;
        } else if (k != kUnknown) {
          v = k;
        } else if (use_unknown_value_) {
          v = unknown_value_;
        } else {
          return InvalidArgumentError("OrdinalEncoder: unknown category " + CellText(in, r, c) +
                                      " in column " + std::to_string(c));
        }
        out->numeric[r * in.cols + c] = v;
      }
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return static_cast<int64_t>(cats_.size()); }
  bool accepts_strings() const override { return true; }
  std::string name() const override { return "OrdinalEncoder"; }

  std::vector<Categories> cats_;
  bool use_unknown_value_ = false;
  double unknown_value_ = std::nan("");
  double encoded_missing_ = std::nan("");
};

}  // namespace

StatusOr<TransformerPtr> MakeOneHotEncoder(const Attrs& a, BuildContext& ctx) {
  auto e = std::make_unique<OneHotEncoder>();
  ASSIGN_OR_RETURN(e->cats_, LoadCategories(a));
  if (a.BoolOr("_infrequent_enabled", false)) {
    return UnimplementedError(
        "OneHotEncoder with infrequent categories (min_frequency / "
        "max_categories) is not supported");
  }
  const std::string hu = a.StrOr("handle_unknown", "error");
  e->ignore_unknown_ = hu == "ignore" || hu == "infrequent_if_exist";
  e->drop_.assign(e->cats_.size(), -1);
  const pickle::Value* drop = a.Get("drop_idx_");
  if (drop != nullptr && !drop->is_none()) {
    if (!drop->array || static_cast<size_t>(drop->array->size()) != e->cats_.size()) {
      return a.Error("drop_idx_", "does not have one entry per feature");
    }
    if (drop->array->is_object()) {
      for (size_t i = 0; i < e->cats_.size(); ++i) {
        const pickle::Value* v = drop->array->objects[i];
        if (v != nullptr && v->kind == pickle::Kind::kInt) {
          e->drop_[i] = static_cast<int32_t>(v->i);
        }
      }
    } else {
      ASSIGN_OR_RETURN(auto idx, pickle::ToInt64s(*drop->array));
      for (size_t i = 0; i < idx.size(); ++i) {
        e->drop_[i] = static_cast<int32_t>(idx[i]);
      }
    }
  }
  for (size_t i = 0; i < e->cats_.size(); ++i) {
    if (e->drop_[i] >= static_cast<int32_t>(e->cats_[i].size())) {
      return a.Error("drop_idx_", "points past the categories");
    }
    e->widths_.push_back(e->cats_[i].size() - (e->drop_[i] >= 0 ? 1 : 0));
    e->width_ += e->widths_.back();
  }
  return TransformerPtr(std::move(e));
}

StatusOr<TransformerPtr> MakeOrdinalEncoder(const Attrs& a, BuildContext& ctx) {
  auto e = std::make_unique<OrdinalEncoder>();
  ASSIGN_OR_RETURN(e->cats_, LoadCategories(a));
  e->use_unknown_value_ = a.StrOr("handle_unknown", "error") == "use_encoded_value";
  e->unknown_value_ = a.NumberOr("unknown_value", std::nan(""));
  e->encoded_missing_ = a.NumberOr("encoded_missing_value", std::nan(""));
  return TransformerPtr(std::move(e));
}

}  // namespace ferry::sklearn
