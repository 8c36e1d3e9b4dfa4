#include "pickle/reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ferry::pickle {
namespace {

using namespace std::string_literals;

StatusOr<ValueTree> Read(const std::string& bytes) { return ReadPickleBytes(bytes, "test.pkl"); }

TEST(PickleReader, DecodesContainersAndScalars) {
  // pickle.dumps({'a': [1, 2.5, None, True], 'b': ('x', b'yz')}, protocol=4), trimmed of FRAME.
  const std::string p =
      "\x80\x04}\x94(\x8c\x01"
      "a\x94]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00N\x88"
      "e\x8c\x01"
      "b\x94\x8c\x01"
      "x\x94"
      "C\x02"
      "yz\x94\x86\x94u."s;
  auto t = Read(p);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const Value& root = t->root();
  ASSERT_EQ(root.kind, Kind::kDict);
  const Value* a = root.Get("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 4u);
  EXPECT_EQ(a->items[0]->i, 1);
  EXPECT_DOUBLE_EQ(a->items[1]->f, 2.5);
  EXPECT_TRUE(a->items[2]->is_none());
  EXPECT_TRUE(a->items[3]->b);
  const Value* b = root.Get("b");
  ASSERT_EQ(b->kind, Kind::kTuple);
  EXPECT_EQ(b->items[1]->str, "yz");
  EXPECT_EQ(b->items[1]->kind, Kind::kBytes);
}

TEST(PickleReader, RefusesOsSystem) {
  const std::string p =
      "\x80\x02"
      "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."s;
  auto t = Read(p);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(t.status().message().find("posix.system"), std::string::npos);
  EXPECT_NE(t.status().message().find("test.pkl"), std::string::npos);
}

TEST(PickleReader, RefusesEvalViaStackGlobal) {
  const std::string p =
      "\x80\x04\x8c\x08"
      "builtins\x8c\x04"
      "eval\x93\x8c\x01"
      "1\x85R."s;
  auto t = Read(p);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("builtins.eval"), std::string::npos);
}

// Function references (score functions, numpy ufuncs) may be values, never called.
TEST(PickleReader, ScoreFunctionIsAReferenceNeverACall) {
  const std::string global =
      "\x80\x02"
      "csklearn.feature_selection._univariate_selection\nf_classif\nq\x00"s;
  auto ref = Read(global + ".");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->root().kind, Kind::kGlobal);
  auto call = Read(global + "X\x01\x00\x00\x00x\x85R."s);
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(call.status().message().find("f_classif"), std::string::npos);
  // Nor a numpy ufunc (FunctionTransformer(np.log1p)): the runtime runs its own.
  auto ufunc = Read(
      "\x80\x02"
      "cnumpy.core._multiarray_umath\nlog1p\nq\x00X\x01\x00\x00\x00x\x85R."s);
  ASSERT_FALSE(ufunc.ok());
  EXPECT_EQ(ufunc.status().code(), StatusCode::kPermissionDenied);
  // Other functions of the same module stay refused.
  auto other = Read(
      "\x80\x02"
      "csklearn.feature_selection._univariate_selection\n_clean_nans\n."s);
  EXPECT_FALSE(other.ok());
}

// An instance of a dict subclass (sklearn's Bunch) keeps its items apart from its state.
TEST(PickleReader, DictSubclassItemsAreKept) {
  const std::string p =
      "\x80\x02"
      "csklearn.utils._bunch\nBunch\nq\x00)\x81q\x01(X\x01\x00\x00\x00"
      "aK\x07u}b."s;
  auto t = Read(p);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const Value& root = t->root();
  ASSERT_EQ(root.kind, Kind::kObject);
  ASSERT_EQ(root.entries.size(), 1u);
  EXPECT_EQ(root.entries[0].first->str, "a");
  EXPECT_EQ(root.entries[0].second->i, 7);
}

TEST(PickleReader, XgboostWrapperPointsAtTheBoosterFormat) {
  // The start of joblib.dump(xgboost.XGBClassifier(...)): a GLOBAL for the wrapper class.
  const std::string p =
      "\x80\x04\x8c\x0fxgboost.sklearn\x8c\rXGBClassifier\x93)\x81."s;
  auto t = Read(p);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(t.status().message().find("xgboost.sklearn.XGBClassifier"), std::string::npos);
  EXPECT_NE(t.status().message().find("save_model(\"model.json\")"), std::string::npos)
      << t.status().message();
}

TEST(PickleReader, RefusesPersistentIdAndProtocol0) {
  EXPECT_FALSE(Read("\x80\x02X\x01\x00\x00\x00"
                    "aQ."s)
                   .ok());
  auto t = Read("(lp0\nI1\na.");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("protocol"), std::string::npos);
}

TEST(PickleReader, MalformedInputsFailCleanly) {
  EXPECT_FALSE(Read("").ok());
  EXPECT_FALSE(Read("\x80\x05"s).ok());                                       // no STOP
  EXPECT_FALSE(Read("\x80\x05\x96\xff\xff\xff\xff\xff\xff\xff\x7f."s).ok());  // huge BYTEARRAY8
  EXPECT_FALSE(Read("\x80\x05h\x07."s).ok());                                 // memo miss
  EXPECT_FALSE(Read("\x80\x05a."s).ok());        // APPEND on empty stack
  EXPECT_FALSE(Read("\x80\x05(((."s).ok());      // marks left
  EXPECT_FALSE(Read("\x80\x05\xff."s).ok());     // unknown opcode
  EXPECT_FALSE(Read("\x78\x9c\x00\x01"s).ok());  // corrupt zlib
  auto bz = Read("BZh91AY&SY");
  ASSERT_FALSE(bz.ok());
  EXPECT_NE(bz.status().message().find("bz2"), std::string::npos);
}

// Found by sklearn_fuzz: numpy _reconstruct without the BUILD that gives the
// array its data left a kArray value with no NDArray behind it.
TEST(PickleReader, ReconstructedArrayWithoutBuildIsRefused) {
  auto t = Read(
      "\x80\x02"
      "cnumpy.core.multiarray\n_reconstruct\n"
      "cnumpy\nndarray\nK\x00\x85"
      "C\x01"
      "b\x87R."s);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("never given its data"), std::string::npos)
      << t.status().ToString();
}

// Found by sklearn_fuzz: an integer dtype of item size 0 ('i0') shifted by -1.
TEST(PickleReader, ZeroSizedNumericDtypeIsRefused) {
  auto t = Read(
      "\x80\x02"
      "cnumpy\ndtype\nX\x02\x00\x00\x00i0\x85R."s);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("zero item size"), std::string::npos)
      << t.status().ToString();
}

TEST(PickleReader, SelfReferencingListDoesNotCrash) {
  // l = []; l.append(l)
  auto t = Read(
      "\x80\x04]\x94h\x00"
      "a."s);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->root().items[0], &t->root());
}

class NumpyPickles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::path(FERRY_BINARY_DIR) / "pickle_test";
    std::filesystem::create_directories(dir_);
    const std::string script = R"PY(
import sys, pickle, numpy as np, joblib
d = sys.argv[1]
a = {'f': np.arange(6, dtype='<f8').reshape(2, 3), 'F': np.asfortranarray(np.arange(6.).reshape(2, 3)),
     'be': np.arange(4, dtype='>i4'), 'u': np.array(['ab', 'c\u00e9']), 'o': np.array(['x', None], dtype=object),
     's': np.float64(2.5), 'st': np.zeros(2, dtype=[('a', '<i8'), ('b', '<f8')]), 'view': np.arange(12.).reshape(3, 4)[:, :2]}
a['st']['b'] = [1.5, 2.5]
for p in (2, 4, 5):
    open(f'{d}/np.p{p}.pkl', 'wb').write(pickle.dumps(a, protocol=p))
joblib.dump(a, f'{d}/np.joblib')
joblib.dump(a, f'{d}/np.z.joblib', compress=3)
joblib.dump(a, f'{d}/np.gz.joblib', compress=('gzip', 3))
)PY";
    std::ofstream(dir_ / "gen.py") << script;
    const std::string cmd = "/usr/bin/python3 " + (dir_ / "gen.py").string() + " " + dir_.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static std::filesystem::path dir_;
};
std::filesystem::path NumpyPickles::dir_;

TEST_F(NumpyPickles, AllEncodingsGiveTheSameArrays) {
  for (const char* f :
       {"np.p2.pkl", "np.p4.pkl", "np.p5.pkl", "np.joblib", "np.z.joblib", "np.gz.joblib"}) {
    SCOPED_TRACE(f);
    auto t = ReadPickleFile(dir_ / f);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    const Value& r = t->root();
    auto doubles = [&](const char* k) { return *ToDoubles(*r.Get(k)->array); };
    EXPECT_EQ(doubles("f"), (std::vector<double>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(r.Get("f")->array->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(doubles("F"), (std::vector<double>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(doubles("be"), (std::vector<double>{0, 1, 2, 3}));
    EXPECT_EQ(doubles("view"), (std::vector<double>{0, 1, 4, 5, 8, 9}));
    EXPECT_EQ(*ToStrings(*r.Get("u")->array), (std::vector<std::string>{"ab", "c\xc3\xa9"}));
    const NDArray& o = *r.Get("o")->array;
    ASSERT_EQ(o.objects.size(), 2u);
    EXPECT_EQ(o.objects[0]->str, "x");
    EXPECT_TRUE(o.objects[1]->is_none());
    EXPECT_EQ(*ToDoubles(*r.Get("s")->array), std::vector<double>{2.5});
    EXPECT_EQ(*FieldToDoubles(*r.Get("st")->array, "b"), (std::vector<double>{1.5, 2.5}));
  }
}

TEST_F(NumpyPickles, TruncationsNeverCrash) {
  std::ifstream in(dir_ / "np.joblib", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t n = 0; n < bytes.size(); n += 7) {
    EXPECT_FALSE(ReadPickleBytes(std::string_view(bytes).substr(0, n), "cut").ok());
  }
}

}  // namespace
}  // namespace ferry::pickle
