// Registry: the one list of scikit-learn classes Ferry can run, and the
// builders that turn a pickled estimator (a pickle::Value object) into a
// typed Predictor or Transformer. Called at load time only; the builders
// validate every attribute's shape against the others so Predict never has
// to. Unknown classes are refused with a message listing what is supported.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "pickle/value.h"
#include "runtime/sklearn/attrs.h"
#include "runtime/sklearn/estimator.h"

namespace ferry::sklearn {

StatusOr<std::unique_ptr<Predictor>> BuildPredictor(const pickle::Value& v, BuildContext& ctx);
StatusOr<std::unique_ptr<Transformer>> BuildTransformer(const pickle::Value& v, BuildContext& ctx);
// Comma-separated class names, for error messages and docs.
std::string SupportedEstimators();

using PredictorPtr = std::unique_ptr<Predictor>;
using TransformerPtr = std::unique_ptr<Transformer>;

// Builders, one per family (defined in the family's .cc file).
StatusOr<PredictorPtr> MakeLogisticRegression(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeLinearRegressor(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeSGDClassifier(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeLinearSVC(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeRidgeClassifier(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeLinearDiscriminant(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeKMeans(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeVoting(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeBagging(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeAdaBoost(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeStacking(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeCalibratedClassifier(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeTransformedTarget(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeQDA(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeGlmRegressor(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeIsolationForest(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeNearestCentroid(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeKBinsDiscretizer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakePowerTransformer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeVectorizer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeTfidfTransformer(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeMLPClassifier(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeMLPRegressor(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeDecisionTree(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeForest(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeGradientBoosting(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeHistGradientBoosting(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeSVC(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeSVR(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeKNeighbors(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeGaussianNB(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakeDiscreteNB(const Attrs& a, BuildContext& ctx);
StatusOr<PredictorPtr> MakePipelinePredictor(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakePipelineTransformer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeScaler(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeNormalizer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakePolynomialFeatures(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeBinarizer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeFunctionTransformer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeProjection(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeLdaTransformer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeFeatureUnion(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeVarianceThreshold(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeSelectKBest(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeSelectPercentile(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeSimpleImputer(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeOneHotEncoder(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeOrdinalEncoder(const Attrs& a, BuildContext& ctx);
StatusOr<TransformerPtr> MakeColumnTransformer(const Attrs& a, BuildContext& ctx);

}  // namespace ferry::sklearn
