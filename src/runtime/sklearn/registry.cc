#include "runtime/sklearn/registry.h"

#include <array>
#include <string_view>

namespace ferry::sklearn {
namespace {

using PF = StatusOr<PredictorPtr> (*)(const Attrs&, BuildContext&);
using TF = StatusOr<TransformerPtr> (*)(const Attrs&, BuildContext&);

struct Entry {
  std::string_view name;
  PF predictor;
  TF transformer;
};

// The one list of supported classes. Matching is by class name within the
// sklearn package, so private-module moves between versions do not matter.
constexpr std::array kEntries = {
    Entry{"LogisticRegression", MakeLogisticRegression, nullptr},
    Entry{"LinearRegression", MakeLinearRegressor, nullptr},
    Entry{"Ridge", MakeLinearRegressor, nullptr},
    Entry{"Lasso", MakeLinearRegressor, nullptr},
    Entry{"ElasticNet", MakeLinearRegressor, nullptr},
    Entry{"SGDRegressor", MakeLinearRegressor, nullptr},
    Entry{"Pipeline", MakePipelinePredictor, MakePipelineTransformer},
    Entry{"StandardScaler", nullptr, MakeScaler},
    Entry{"MinMaxScaler", nullptr, MakeScaler},
    Entry{"DecisionTreeClassifier", MakeDecisionTree, nullptr},
    Entry{"DecisionTreeRegressor", MakeDecisionTree, nullptr},
    Entry{"ExtraTreeClassifier", MakeDecisionTree, nullptr},
    Entry{"ExtraTreeRegressor", MakeDecisionTree, nullptr},
    Entry{"RandomForestClassifier", MakeForest, nullptr},
    Entry{"RandomForestRegressor", MakeForest, nullptr},
    Entry{"ExtraTreesClassifier", MakeForest, nullptr},
    Entry{"ExtraTreesRegressor", MakeForest, nullptr},
    Entry{"SimpleImputer", nullptr, MakeSimpleImputer},
    Entry{"OneHotEncoder", nullptr, MakeOneHotEncoder},
    Entry{"ColumnTransformer", nullptr, MakeColumnTransformer},
    Entry{"GradientBoostingClassifier", MakeGradientBoosting, nullptr},
    Entry{"GradientBoostingRegressor", MakeGradientBoosting, nullptr},
    Entry{"HistGradientBoostingClassifier", MakeHistGradientBoosting, nullptr},
    Entry{"HistGradientBoostingRegressor", MakeHistGradientBoosting, nullptr},
    Entry{"SGDClassifier", MakeSGDClassifier, nullptr},
    Entry{"LinearSVC", MakeLinearSVC, nullptr},
    Entry{"SVC", MakeSVC, nullptr},
    Entry{"NuSVC", MakeSVC, nullptr},
    Entry{"SVR", MakeSVR, nullptr},
    Entry{"NuSVR", MakeSVR, nullptr},
    Entry{"KNeighborsClassifier", MakeKNeighbors, nullptr},
    Entry{"KNeighborsRegressor", MakeKNeighbors, nullptr},
    Entry{"GaussianNB", MakeGaussianNB, nullptr},
    Entry{"MultinomialNB", MakeDiscreteNB, nullptr},
    Entry{"BernoulliNB", MakeDiscreteNB, nullptr},
    Entry{"MaxAbsScaler", nullptr, MakeScaler},
    Entry{"RobustScaler", nullptr, MakeScaler},
    Entry{"Normalizer", nullptr, MakeNormalizer},
    Entry{"OrdinalEncoder", nullptr, MakeOrdinalEncoder},
    Entry{"PolynomialFeatures", nullptr, MakePolynomialFeatures},
    Entry{"LogisticRegressionCV", MakeLogisticRegression, nullptr},
    Entry{"RidgeClassifier", MakeRidgeClassifier, nullptr},
    Entry{"RidgeClassifierCV", MakeRidgeClassifier, nullptr},
    Entry{"Perceptron", MakeSGDClassifier, nullptr},
    Entry{"PassiveAggressiveClassifier", MakeSGDClassifier, nullptr},
    Entry{"RidgeCV", MakeLinearRegressor, nullptr},
    Entry{"LassoCV", MakeLinearRegressor, nullptr},
    Entry{"ElasticNetCV", MakeLinearRegressor, nullptr},
    Entry{"MultiTaskLasso", MakeLinearRegressor, nullptr},
    Entry{"MultiTaskLassoCV", MakeLinearRegressor, nullptr},
    Entry{"MultiTaskElasticNet", MakeLinearRegressor, nullptr},
    Entry{"MultiTaskElasticNetCV", MakeLinearRegressor, nullptr},
    Entry{"Lars", MakeLinearRegressor, nullptr},
    Entry{"LarsCV", MakeLinearRegressor, nullptr},
    Entry{"LassoLars", MakeLinearRegressor, nullptr},
    Entry{"LassoLarsCV", MakeLinearRegressor, nullptr},
    Entry{"LassoLarsIC", MakeLinearRegressor, nullptr},
    Entry{"OrthogonalMatchingPursuit", MakeLinearRegressor, nullptr},
    Entry{"OrthogonalMatchingPursuitCV", MakeLinearRegressor, nullptr},
    Entry{"BayesianRidge", MakeLinearRegressor, nullptr},
    Entry{"ARDRegression", MakeLinearRegressor, nullptr},
    Entry{"HuberRegressor", MakeLinearRegressor, nullptr},
    Entry{"TheilSenRegressor", MakeLinearRegressor, nullptr},
    Entry{"QuantileRegressor", MakeLinearRegressor, nullptr},
    Entry{"PassiveAggressiveRegressor", MakeLinearRegressor, nullptr},
    Entry{"MLPClassifier", MakeMLPClassifier, nullptr},
    Entry{"MLPRegressor", MakeMLPRegressor, nullptr},
    Entry{"PCA", nullptr, MakeProjection},
    Entry{"IncrementalPCA", nullptr, MakeProjection},
    Entry{"TruncatedSVD", nullptr, MakeProjection},
    Entry{"Binarizer", nullptr, MakeBinarizer},
    Entry{"VarianceThreshold", nullptr, MakeVarianceThreshold},
    Entry{"SelectKBest", nullptr, MakeSelectKBest},
    Entry{"SelectPercentile", nullptr, MakeSelectPercentile},
    Entry{"LinearDiscriminantAnalysis", MakeLinearDiscriminant, MakeLdaTransformer},
    Entry{"KMeans", MakeKMeans, nullptr},
    Entry{"MiniBatchKMeans", MakeKMeans, nullptr},
    Entry{"VotingClassifier", MakeVoting, nullptr},
    Entry{"VotingRegressor", MakeVoting, nullptr},
    Entry{"FeatureUnion", nullptr, MakeFeatureUnion},
    Entry{"BaggingClassifier", MakeBagging, nullptr},
    Entry{"BaggingRegressor", MakeBagging, nullptr},
    Entry{"AdaBoostClassifier", MakeAdaBoost, nullptr},
    Entry{"AdaBoostRegressor", MakeAdaBoost, nullptr},
    Entry{"StackingClassifier", MakeStacking, nullptr},
    Entry{"StackingRegressor", MakeStacking, nullptr},
    Entry{"CalibratedClassifierCV", MakeCalibratedClassifier, nullptr},
    Entry{"TransformedTargetRegressor", MakeTransformedTarget, nullptr},
    Entry{"QuadraticDiscriminantAnalysis", MakeQDA, nullptr},
    Entry{"LinearSVR", MakeLinearRegressor, nullptr},
    Entry{"PoissonRegressor", MakeGlmRegressor, nullptr},
    Entry{"GammaRegressor", MakeGlmRegressor, nullptr},
    Entry{"TweedieRegressor", MakeGlmRegressor, nullptr},
    Entry{"IsolationForest", MakeIsolationForest, nullptr},
    Entry{"NearestCentroid", MakeNearestCentroid, nullptr},
    Entry{"KBinsDiscretizer", nullptr, MakeKBinsDiscretizer},
    Entry{"PowerTransformer", nullptr, MakePowerTransformer},
    Entry{"CountVectorizer", nullptr, MakeVectorizer},
    Entry{"TfidfVectorizer", nullptr, MakeVectorizer},
    Entry{"TfidfTransformer", nullptr, MakeTfidfTransformer},
    Entry{"FunctionTransformer", nullptr, MakeFunctionTransformer},
};

StatusOr<const Entry*> Find(const pickle::Value& v, BuildContext& ctx, std::string_view role) {
  if (v.kind != pickle::Kind::kObject || !v.object) {
    return InvalidArgumentError("expected a scikit-learn " + std::string(role) + ", found a " +
                                v.Describe());
  }
  if (ctx.depth >= BuildContext::kMaxDepth) {
    return InvalidArgumentError("estimators nested more than " +
                                std::to_string(BuildContext::kMaxDepth) + " deep");
  }
  if (++ctx.estimators > BuildContext::kMaxEstimators) {
    return ResourceExhaustedError("model holds more than " +
                                  std::to_string(BuildContext::kMaxEstimators) + " estimators");
  }
  const pickle::Object& o = *v.object;
  if (o.module.rfind("sklearn.", 0) == 0) {
    for (const Entry& e : kEntries) {
      if (e.name == o.name) {
        return &e;
      }
    }
  }
  return UnimplementedError("unsupported scikit-learn class " + o.module + "." + o.name +
                            "; Ferry's native sklearn runtime supports: " + SupportedEstimators());
}

}  // namespace

std::string SupportedEstimators() {
  std::string s;
  for (const Entry& e : kEntries) {
    if (!s.empty()) {
      s += ", ";
    }
    s += e.name;
  }
  return s;
}

StatusOr<std::unique_ptr<Predictor>> BuildPredictor(const pickle::Value& v, BuildContext& ctx) {
  ASSIGN_OR_RETURN(const Entry* e, Find(v, ctx, "estimator"));
  if (e->predictor == nullptr) {
    return InvalidArgumentError(std::string(e->name) +
                                " is a transformer and cannot predict; serve a Pipeline that "
                                "ends in a classifier or regressor");
  }
  ++ctx.depth;
  auto p = e->predictor(Attrs(v, &ctx), ctx);
  --ctx.depth;
  return p;
}

StatusOr<std::unique_ptr<Transformer>> BuildTransformer(const pickle::Value& v, BuildContext& ctx) {
  ASSIGN_OR_RETURN(const Entry* e, Find(v, ctx, "transformer"));
  if (e->transformer == nullptr) {
    return InvalidArgumentError(std::string(e->name) +
                                " cannot be used as an intermediate (transform) step");
  }
  ++ctx.depth;
  auto t = e->transformer(Attrs(v, &ctx), ctx);
  --ctx.depth;
  return t;
}

}  // namespace ferry::sklearn
