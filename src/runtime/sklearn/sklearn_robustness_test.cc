// Robustness: real model files with random byte mutations, truncations and
// splices must load-or-fail cleanly and never crash (run it under
// -DFERRY_SANITIZE=ON to check memory safety too).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "pickle/reader.h"
#include "runtime/sklearn/sklearn_fixtures.h"
#include "runtime/sklearn/sklearn_runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace ferry::sklearn {
namespace {

namespace fs = std::filesystem;

fs::path Fixtures() { return SklearnFixtureDir(); }

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void RunFuzzTarget(const std::string& bytes) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(SklearnRobustness, MutatedModelFilesNeverCrash) {
  const fs::path dir = Fixtures();
  const char* files[] = {"logreg_seed/model.p2.pkl",
                         "logreg_seed/model.joblib",
                         "pipe_mixed_columntransformer/model.p4.pkl",
                         "hgbc_categorical/model.p5.pkl",
                         "gbc_binary/model.joblib",
                         "svc_rbf_binary/model.p5.pkl",
                         "knn/model.p4.pkl",
                         "dtc/model.p2.pkl",
                         "pipe_poly_interaction/model.p5.pkl",
                         "pipe_imputer_median_indicator/model.joblib",
                         "pipe_ordinal_dtc/model.p4.pkl",
                         "gnb/model.p5.pkl"};
  std::mt19937_64 rng(42);
  int loaded = 0;
  for (const char* f : files) {
    SCOPED_TRACE(f);
    const std::string orig = ReadAll(dir / f);
    ASSERT_FALSE(orig.empty());
    RunFuzzTarget(orig);
    auto tree = pickle::ReadPickleBytes(orig, f);
    ASSERT_TRUE(tree.ok()) << tree.status().ToString();
    ASSERT_TRUE(ModelFromTree(*tree, f).ok());
    for (int i = 0; i < 400; ++i) {
      std::string m = orig;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = rng() % m.size();
        switch (rng() % 4) {
          case 0:
            m[pos] = static_cast<char>(rng());
            break;
          case 1:
            m[pos] ^= static_cast<char>(1 << (rng() % 8));
            break;
          case 2:
            m.resize(pos + 1);
            break;
          default: {
            const size_t from = rng() % m.size();
            const size_t len = std::min<size_t>(rng() % 64, m.size() - from);
            m.insert(pos, m.substr(from, len));
          }
        }
      }
      auto t = pickle::ReadPickleBytes(m, "mutant");
      if (t.ok() && ModelFromTree(*t, "mutant").ok()) {
        ++loaded;
      }
      RunFuzzTarget(m);
    }
  }
  // Some mutants hit don't-care bytes and still load; most are refused.
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace ferry::sklearn
