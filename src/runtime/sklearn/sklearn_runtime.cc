#include "runtime/sklearn/sklearn_runtime.h"

#include "pickle/reader.h"
#include "runtime/sklearn/frame_ops.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

// The scikit-learn release the runtime's semantics were verified against.
constexpr std::string_view kVerifiedMinor = "1.2";

class SklearnModel : public runtime::Model {
 public:
  SklearnModel(PredictorPtr p, runtime::ModelInfo info)
      : predictor_(std::move(p)), info_(std::move(info)) {}

  const runtime::ModelInfo& info() const override { return info_; }

  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    // Estimators that cannot explain may not know the method at all.
    if (method == PredictMethod::kContributions &&
        !runtime::SupportsMethod(info_, PredictMethod::kContributions)) {
      return runtime::ContributionsRefused(info_.description, info_);
    }
    if (!info_.feature_names.empty() && !x.names.empty() && x.names != info_.feature_names) {
      // Columns sent by name in another order: line them up as at fit time.
      std::vector<size_t> cols;
      for (const auto& n : info_.feature_names) {
        auto c = x.ColumnIndex(n);
        if (!c) {
          return InvalidArgumentError("input has no column named '" + n +
                                      "'; the model was fitted on columns " + FeatureList());
        }
        cols.push_back(*c);
      }
      Frame reordered;
      SelectColumns(x, cols, &reordered);
      return predictor_->Predict(reordered, method);
    }
    return predictor_->Predict(x, method);
  }

 private:
  std::string FeatureList() const {
    std::string s;
    for (const auto& n : info_.feature_names) {
      s += (s.empty() ? "" : ", ") + n;
    }
    return s;
  }

  PredictorPtr predictor_;
  runtime::ModelInfo info_;
};

// feature_names_in_ of the model, looking through Pipelines to their first step.
std::vector<std::string> FeatureNames(const pickle::Value& v, int depth) {
  if (depth > 16) {
    return {};
  }
  const pickle::Value* names = v.Get("feature_names_in_");
  if (names != nullptr && names->array) {
    auto s = pickle::ToStrings(*names->array);
    if (s.ok()) {
      return *s;
    }
  }
  const pickle::Value* steps = v.Get("steps");
  if (steps != nullptr && steps->is_sequence() && !steps->items.empty()) {
    const pickle::Value* first = steps->items[0];
    if (first && first->is_sequence() && first->items.size() >= 2 && first->items[1]) {
      return FeatureNames(*first->items[1], depth + 1);
    }
  }
  return {};
}

void VersionWarnings(const pickle::Value& root, std::vector<std::string>* warnings) {
  const pickle::Value* v = root.Get("_sklearn_version");
  if (v == nullptr || !v->is_str()) {
    warnings->push_back(
        "model file does not record its scikit-learn version (_sklearn_version); "
        "Ferry assumes 1.2 semantics");
    return;
  }
  const std::string& ver = v->str;
  if (ver.rfind(std::string(kVerifiedMinor) + ".", 0) != 0 && ver != kVerifiedMinor) {
    warnings->push_back("model was saved with scikit-learn " + ver +
                        "; Ferry's native runtime is verified against scikit-learn " +
                        std::string(kVerifiedMinor) +
                        ".x, re-check predictions or re-save the model with 1.2");
  }
}

class SklearnRuntime : public runtime::FormatRuntime {
 public:
  std::string_view name() const override { return "sklearn"; }
  std::string_view mlflow_flavor() const override { return "sklearn"; }
  std::vector<std::string> plain_file_names() const override {
    return {"model.joblib", "model.pkl", "model.pickle"};
  }
  StatusOr<std::unique_ptr<runtime::Model>> LoadFile(
      const std::filesystem::path& file, const runtime::LoadOptions& options) const override {
    ASSIGN_OR_RETURN(pickle::ValueTree tree, pickle::ReadPickleFile(file));
    return ModelFromTree(tree, file.string());
  }
};

}  // namespace

StatusOr<std::unique_ptr<runtime::Model>> ModelFromTree(const pickle::ValueTree& tree,
                                                        const std::string& source) {
  const pickle::Value& root = tree.root();
  BuildContext ctx;
  // Twice the elements the stream could hold, plus slack for tiny files.
  ctx.element_budget = static_cast<int64_t>(tree.input_bytes() / 4) + (int64_t{1} << 20);
  auto predictor = BuildPredictor(root, ctx);
  if (!predictor.ok()) {
    return predictor.status().WithContext(source);
  }
  const Predictor& p = **predictor;
  runtime::ModelInfo info;
  info.framework = "sklearn";
  info.description = p.name();
  info.n_features = p.n_features_in();
  info.feature_names = FeatureNames(root, 0);
  if (info.n_features < 0 && !info.feature_names.empty()) {
    info.n_features = static_cast<int64_t>(info.feature_names.size());
  }
  info.needs_strings = p.accepts_strings();
  info.output_datatype = p.output_datatype();
  if (p.labels() != nullptr) {
    info.classes = p.labels()->text();
  }
  info.methods = p.methods();
  info.contributions_refusal = p.contributions_refusal();
  info.warnings = std::move(ctx.warnings);
  VersionWarnings(root, &info.warnings);
  return std::unique_ptr<runtime::Model>(
      std::make_unique<SklearnModel>(std::move(*predictor), std::move(info)));
}

std::unique_ptr<runtime::FormatRuntime> NewSklearnRuntime() {
  return std::make_unique<SklearnRuntime>();
}

}  // namespace ferry::sklearn
