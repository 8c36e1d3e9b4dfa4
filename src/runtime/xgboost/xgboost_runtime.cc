#include "runtime/xgboost/xgboost_runtime.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "runtime/xgboost/xgboost_model.h"

namespace ferry::xgboost {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Api = XgboostSettings::Api;

StatusOr<std::string> ReadFile(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return NotFoundError("XGBoost model file " + file.string() + " does not exist");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return PermissionDeniedError("cannot open XGBoost model file " + file.string() +
                                 "; check its permissions");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Python's json.dumps writes NaN/Infinity, which nlohmann rejects; they only
// appear as values in the scikit_learn attribute, so null is a safe stand-in.
Json ParseLenient(std::string text) {
  for (const char* token : {"-Infinity", "Infinity", "NaN"}) {
    for (size_t pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos)) {
      text.replace(pos, std::strlen(token), "null");
    }
  }
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

std::string Str(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) {
      return "";
    }
    cur = &(*cur)[key];
  }
  return cur->is_string() ? cur->get<std::string>() : "";
}

Api ApiFor(const std::string& model_class, runtime::ModelInfo& info) {
  if (model_class.empty() || model_class.find("Booster") != std::string::npos) {
    return Api::kBooster;
  }
  if (model_class.find("Classifier") != std::string::npos) {
    return Api::kClassifier;
  }
  if (model_class.find("XGB") == std::string::npos) {
    info.warnings.push_back("unknown XGBoost model_class " + model_class +
                            "; serving it as a raw Booster");
    return Api::kBooster;
  }
  return Api::kRegressor;
}

// Settings and info from libxgboost's config and the sklearn wrapper's metadata.
Status Describe(const Booster& booster, const runtime::LoadOptions& options, XgboostSettings& s,
                runtime::ModelInfo& info) {
  ASSIGN_OR_RETURN(std::string config_text, booster.SaveJsonConfig());
  const Json config = Json::parse(config_text, nullptr, false);
  s.objective = Str(config, {"learner", "objective", "name"});
  s.booster = Str(config, {"learner", "gradient_booster", "name"});
  const std::string num_class = Str(config, {"learner", "learner_model_param", "num_class"});
  ASSIGN_OR_RETURN(info.n_features, booster.NumFeatures());
  ASSIGN_OR_RETURN(info.feature_names, booster.FeatureNames());
  ASSIGN_OR_RETURN(std::optional<std::string> meta_text, booster.Attr("scikit_learn"));
  const Json meta = meta_text.has_value() ? ParseLenient(*meta_text) : Json();
  s.api = ApiFor(options.model_class, info);
  if (IsClassification(s.objective)) {
    s.n_classes = std::max<int64_t>(2, num_class.empty() ? 0 : std::atoll(num_class.c_str()));
    if (meta.is_object() && meta.contains("n_classes_") && meta["n_classes_"].is_number_integer()) {
      s.n_classes = meta["n_classes_"].get<int64_t>();
    }
    for (int64_t c = 0; c < s.n_classes; ++c) {
      info.classes.push_back(std::to_string(c));
    }
  }
  if (s.api != Api::kBooster) {
    if (meta.is_object() && meta.contains("missing") && meta["missing"].is_number()) {
      s.missing = meta["missing"].get<double>();
    }
    ASSIGN_OR_RETURN(std::optional<std::string> best, booster.Attr("best_iteration"));
    if (best.has_value()) {
      s.iteration_end = std::atoll(best->c_str()) + 1;
    }
  } else if (meta.is_object() && Str(meta, {"_estimator_type"}) == "classifier") {
    info.warnings.push_back(
        "this XGBoost model was saved from XGBClassifier but is served as a raw Booster (as "
        "KServe's xgbserver does): predict returns Booster.predict output (probabilities), "
        "not class labels");
  }
  return OkStatus();
}

void FillInfo(const XgboostSettings& s, int64_t rounds, runtime::ModelInfo& info) {
  info.framework = "xgboost";
  const char* api = s.api == Api::kBooster      ? "Booster"
                    : s.api == Api::kClassifier ? "XGBClassifier"
                                                : "XGBModel";
  info.description = std::string(api) + " (" + s.objective + ", " + s.booster + ", " +
                     std::to_string(rounds) + " rounds)";
  info.output_datatype =
      s.api == Api::kClassifier ? protocol::DataType::kInt64 : protocol::DataType::kFp32;
  info.methods = {runtime::PredictMethod::kPredict};
  if (IsClassification(s.objective)) {
    info.methods.push_back(runtime::PredictMethod::kPredictProba);
  }
}

// Ferry's reading of the trees must reproduce libxgboost's margins, or its
// contributions would explain another model: checked on probe rows (all
// missing, all zero, all one) to float32 rounding.
Status CheckMargins(const Booster& booster, const XgboostExplainer& e, const XgboostSettings& s,
                    int64_t iteration_end) {
  const auto p = static_cast<size_t>(e.n_features());
  std::vector<double> probes(3 * p);
  std::fill(probes.begin(), probes.begin() + p, std::numeric_limits<double>::quiet_NaN());
  std::fill(probes.begin() + 2 * p, probes.end(), 1.0);
  ASSIGN_OR_RETURN(Booster::Prediction margins,
                   booster.PredictDense(probes.data(), 3, p, true, iteration_end, s.missing));
  const size_t k = e.outputs();
  if (margins.values.size() != 3 * k) {
    return FailedPreconditionError("libxgboost's margins have " +
                                   std::to_string(margins.values.size()) + " values for " +
                                   std::to_string(k) + " output groups");
  }
  for (size_t r = 0; r < 3; ++r) {
    for (size_t g = 0; g < k; ++g) {
      double magnitude = 0;
      const double mine = e.Margin(probes.data() + r * p, g, &magnitude);
      const double theirs = margins.values[r * k + g];
      if (!(std::abs(mine - theirs) <= 1e-5 * (1 + magnitude))) {
        return FailedPreconditionError("Ferry's reading of its trees gives the margin " +
                                       std::to_string(mine) + " where libxgboost gives " +
                                       std::to_string(theirs) + " (probe row " + std::to_string(r) +
                                       ", group " + std::to_string(g) + ")");
      }
    }
  }
  return OkStatus();
}

// The explainer for this booster, or null with info.contributions_refusal
// saying why. Never fails the load: predictions do not depend on it.
std::unique_ptr<XgboostExplainer> MakeExplainer(const Booster& booster, const XgboostSettings& s,
                                                runtime::ModelInfo& info) {
  const int64_t end = s.api == Api::kBooster ? 0 : s.iteration_end;
  auto refuse = [&](const Status& st) {
    info.contributions_refusal = st.message();
    return nullptr;
  };
  StatusOr<std::string> json = booster.SaveModelJson();
  if (!json.ok()) return refuse(json.status());
  StatusOr<XgboostExplainer> e = XgboostExplainer::Parse(*json, end, s.missing);
  if (!e.ok()) return refuse(e.status());
  if (e->n_features() != info.n_features) {
    return refuse(FailedPreconditionError("its JSON names " + std::to_string(e->n_features()) +
                                          " features, libxgboost " +
                                          std::to_string(info.n_features)));
  }
  if (Status st = CheckMargins(booster, *e, s, end); !st.ok()) return refuse(st);
  info.methods.push_back(runtime::PredictMethod::kContributions);
  return std::make_unique<XgboostExplainer>(std::move(e).value());
}

class XgboostRuntime : public runtime::FormatRuntime {
 public:
  std::string_view name() const override { return "xgboost"; }
  std::string_view mlflow_flavor() const override { return "xgboost"; }
  std::vector<std::string> plain_file_names() const override {
    return {"model.bst", "model.json", "model.ubj"};
  }

  StatusOr<std::unique_ptr<runtime::Model>> LoadFile(
      const fs::path& file, const runtime::LoadOptions& options) const override {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
    ASSIGN_OR_RETURN(std::unique_ptr<Booster> booster, Booster::Load(bytes, file));
    XgboostSettings settings;
    runtime::ModelInfo info;
    Status st = Describe(*booster, options, settings, info);
    if (!st.ok()) {
      return st.WithContext("XGBoost model file " + file.string());
    }
    if (settings.booster != "gbtree" && settings.booster != "dart") {
      booster->PredictThroughDMatrix();  // gblinear has no in-place prediction
    }
    ASSIGN_OR_RETURN(int64_t rounds, booster->BoostedRounds());
    FillInfo(settings, rounds, info);
    std::unique_ptr<XgboostExplainer> explainer = MakeExplainer(*booster, settings, info);
    auto model = std::make_unique<XgboostModel>(std::move(booster), settings, std::move(info),
                                                std::move(explainer));
    st = model->WarmUp();
    if (!st.ok()) {
      return st.WithContext("XGBoost model file " + file.string() + " failed a test prediction");
    }
    return std::unique_ptr<runtime::Model>(std::move(model));
  }
};

}  // namespace

std::unique_ptr<runtime::FormatRuntime> NewXgboostRuntime() {
  return std::make_unique<XgboostRuntime>();
}

}  // namespace ferry::xgboost
