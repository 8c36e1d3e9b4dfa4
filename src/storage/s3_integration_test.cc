// End-to-end tests against the real S3-protocol server (@20minutes/s3rver,
// which verifies SigV4) started by scripts/s3-test-server.sh on a free
// 127.0.0.1 port, with objects uploaded by Debian's /usr/bin/aws (awscli 2)
// and /usr/bin/python3 + boto3, and against faulty_http_server.py for slow,
// dropped and failing transfers. Skips (with the reason) only when node or
// the npm install is unavailable.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "gtest/gtest.h"
#include "storage/fetch.h"
#include "storage/s3_config.h"
#include "storage/storage_initializer.h"
#include "storage/test_util.h"
#include "storage/transfer.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

constexpr char kAccess[] = "AKIAMLFLOWTEST";
constexpr char kSecret[] = "mlflow-secret-123";
constexpr char kRun[] = "1/d9a3dd7164bd423b9482ab8a77316c33/artifacts";

// FERRY_STORAGE_TEST_VERBOSE=1 prints every provoked error, to review wording.
void Show(const char* what, const Status& s) {
  if (std::getenv("FERRY_STORAGE_TEST_VERBOSE") != nullptr) {
    std::fprintf(stderr, "[%s] %s\n", what, s.ToString().c_str());
  }
}

std::string Source(const std::string& rel) { return std::string(FERRY_SOURCE_DIR) + "/" + rel; }

// Runs a shell command, returns its stdout; `rc` gets the exit status.
std::string RunShell(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// One s3rver instance with its own state directory.
struct S3Server {
  std::string home, endpoint, host, error;
  int pid = 0;

  bool Start(const std::string& dir) {
    home = dir;
    int rc = 0;
    std::string out =
        RunShell("FERRY_S3_HOME='" + home + "' S3_BUCKETS=mlflow '" +
                     Source("scripts/s3-test-server.sh") + "' start 2>'" + home + ".err'",
                 &rc);
    std::smatch m;
    if (rc != 0 || !std::regex_search(out, m, std::regex("S3_ENDPOINT=(http://([^\\s]+))"))) {
      error = "scripts/s3-test-server.sh start failed (rc " + std::to_string(rc) +
              "): " + ReadFile(home + ".err");
      return false;
    }
    endpoint = m[1];
    host = m[2];
    if (std::regex_search(out, m, std::regex("FERRY_S3_PID=(\\d+)"))) pid = std::stoi(m[1]);
    return true;
  }
  void Stop() {
    if (!home.empty()) {
      RunShell("FERRY_S3_HOME='" + home + "' '" + Source("scripts/s3-test-server.sh") + "' stop");
    }
  }
  // Uploads KEY=PATH pairs with boto3 into `bucket` (created if missing).
  void Put(const std::string& bucket, const std::vector<std::pair<std::string, fs::path>>& objs) {
    std::string cmd = "/usr/bin/python3 '" + Source("tests/fixtures/storage/s3_seed.py") + "' " +
                      endpoint + " " + kAccess + " " + kSecret + " " + bucket;
    for (const auto& [k, p] : objs) cmd += " '" + k + "=" + p.string() + "'";
    int rc = 0;
    std::string out = RunShell(cmd + " 2>&1", &rc);
    ASSERT_EQ(rc, 0) << out;
  }
};

class S3IntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path base = testing::MakeTestDir("s3-suite");
    server_ = new S3Server();
    if (!server_->Start((base / "s3home").string())) skip_reason_ = server_->error;
  }
  static void TearDownTestSuite() {
    server_->Stop();
    delete server_;
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << "S3 test server unavailable: " << skip_reason_;
    dir_ = testing::MakeTestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  FetchOptions Options() const {
    FetchOptions o;
    o.s3.endpoint = server_->host;
    o.s3.use_https = false;
    o.s3.source.endpoint = "annotation serving.kserve.io/s3-endpoint on Secret `s3creds`";
    o.s3.access_key = kAccess;
    o.s3.secret_key = kSecret;
    o.s3.source.credentials = "data keys of Secret `s3creds`";
    o.s3.secret_name = "s3creds";
    o.s3.service_account = "sa";
    o.retry_backoff = std::chrono::milliseconds(20);
    return o;
  }

  // Writes an MLflow-like model directory locally.
  fs::path MlflowTree(const std::string& name) {
    fs::path d = dir_ / name;
    WriteFile(d / "MLmodel", "artifact_path: iris_model\nflavors:\n  sklearn: {}\n");
    WriteFile(d / "model.pkl", std::string(70000, '\x80'));
    WriteFile(d / "conda.yaml", "name: mlflow-env\n");
    WriteFile(d / "requirements.txt", "scikit-learn==1.2.1\n");
    WriteFile(d / "metadata" / "python_env.yaml", "python: 3.11\n");
    return d;
  }

  static S3Server* server_;
  static std::string skip_reason_;
  fs::path dir_;
};
S3Server* S3IntegrationTest::server_ = nullptr;
std::string S3IntegrationTest::skip_reason_;

TEST_F(S3IntegrationTest, MlflowTreeViaAwsCliAndStorageInitializer) {
  fs::path tree = MlflowTree("iris_model");
  std::string uri = "s3://mlflow/" + std::string(kRun) + "/iris_model";
  int rc = 0;
  std::string out = RunShell(
      "AWS_ACCESS_KEY_ID=" + std::string(kAccess) + " AWS_SECRET_ACCESS_KEY=" + kSecret +
          " AWS_DEFAULT_REGION=us-east-1 /usr/bin/aws --endpoint-url " + server_->endpoint +
          " s3 cp --recursive --only-show-errors '" + tree.string() + "' " + uri + " 2>&1",
      &rc);
  ASSERT_EQ(rc, 0) << out;
  std::map<std::string, std::string> vars = {{"S3_ENDPOINT", server_->host},
                                             {"S3_USE_HTTPS", "0"},
                                             {"AWS_ACCESS_KEY_ID", kAccess},
                                             {"AWS_SECRET_ACCESS_KEY", kSecret},
                                             {"AWS_DEFAULT_REGION", "us-east-1"}};
  EnvLookup env = [&](std::string_view n) -> std::optional<std::string> {
    auto it = vars.find(std::string(n));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  std::ostringstream sout, serr;
  fs::path dest = dir_ / "mnt" / "models";
  ASSERT_EQ(RunStorageInitializer({uri, dest.string()}, sout, serr, env), 0) << serr.str();
  for (const char* f :
       {"MLmodel", "model.pkl", "conda.yaml", "requirements.txt", "metadata/python_env.yaml"}) {
    EXPECT_EQ(ReadFile(dest / f), ReadFile(tree / f)) << f;
  }
  EXPECT_NE(sout.str().find("Model downloaded in"), std::string::npos);
  EXPECT_NE(sout.str().find("5/5 files"), std::string::npos) << sout.str();
}

TEST_F(S3IntegrationTest, PagedListingReturnsEveryObject) {
  std::vector<std::pair<std::string, fs::path>> objs;
  for (int i = 0; i < 9; ++i) {
    fs::path p = dir_ / ("f" + std::to_string(i));
    WriteFile(p, "object " + std::to_string(i));
    objs.push_back({"paged/m/f" + std::to_string(i) + ".txt", p});
  }
  server_->Put("mlflow", objs);
  FetchOptions o = Options();
  o.s3_list_page_size = 2;
  auto r = Fetch("s3://mlflow/paged/m", (dir_ / "dest").string(), o);
  if (!r.ok()) Show("r", r.status());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, 9u);
  EXPECT_EQ(ReadFile(dir_ / "dest" / "f8.txt"), "object 8");
}

TEST_F(S3IntegrationTest, PrefixNeverSelectsSiblingModel) {
  fs::path a = dir_ / "a", b = dir_ / "b";
  WriteFile(a, "iris");
  WriteFile(b, "sibling");
  server_->Put("mlflow", {{"models/iris/model.pkl", a},
                          {"models/iris/sub/x.json", a},
                          {"models/iris-v2/model.pkl", b},
                          {"models/iris.bak", b}});
  auto r = Fetch("s3://mlflow/models/iris", (dir_ / "dest").string(), Options());
  if (!r.ok()) Show("r", r.status());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(ReadFile(dir_ / "dest" / "model.pkl"), "iris");
  EXPECT_TRUE(fs::exists(dir_ / "dest" / "sub" / "x.json"));
  EXPECT_FALSE(fs::exists(dir_ / "dest" / "iris-v2"));
  auto single = Fetch("s3://mlflow/models/iris.bak", (dir_ / "one").string(), Options());
  if (!single.ok()) Show("single", single.status());
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(ReadFile(dir_ / "one" / "iris.bak"), "sibling");
  // Only a sibling exists: the error says so instead of downloading it.
  auto none = Fetch("s3://mlflow/models/iri", (dir_ / "none").string(), Options());
  if (!none.ok()) Show("none", none.status());
  ASSERT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("no objects under s3://mlflow/models/iri/"),
            std::string::npos)
      << none.status().message();
}

TEST_F(S3IntegrationTest, WrongSecretNamesSecretAndServiceAccount) {
  SecretInfo secret;
  secret.name = "s3creds";
  secret.service_account = "sa";
  secret.annotations = {{"serving.kserve.io/s3-endpoint", server_->host},
                        {"serving.kserve.io/s3-usehttps", "0"}};
  secret.data = {{"AWS_ACCESS_KEY_ID", kAccess}, {"AWS_SECRET_ACCESS_KEY", "wrong-secret"}};
  auto cfg = ResolveS3ConfigFromSecret(secret);
  ASSERT_TRUE(cfg.ok());
  FetchOptions o = Options();
  o.s3 = *cfg;
  auto r = Fetch("s3://mlflow/models/iris", (dir_ / "dest").string(), o);
  if (!r.ok()) Show("r", r.status());
  ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("SignatureDoesNotMatch"), std::string::npos) << m;
  EXPECT_NE(m.find("check Secret `s3creds` listed by ServiceAccount `sa`"), std::string::npos) << m;
  EXPECT_NE(m.find(server_->host), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dir_ / "dest"));

  o.s3.access_key = "AKIAUNKNOWN";
  auto unknown = Fetch("s3://mlflow/models/iris", (dir_ / "dest").string(), o);
  if (!unknown.ok()) Show("unknown", unknown.status());
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(unknown.status().message().find("InvalidAccessKeyId"), std::string::npos);
}

TEST_F(S3IntegrationTest, MissingBucketAndEmptyPrefix) {
  auto r = Fetch("s3://no-such-bucket/m", (dir_ / "dest").string(), Options());
  if (!r.ok()) Show("r", r.status());
  ASSERT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
  EXPECT_NE(r.status().message().find("NoSuchBucket"), std::string::npos);
  std::string uri = "s3://mlflow/1/0000/artifacts/iris_model";
  auto e = Fetch(uri, (dir_ / "dest").string(), Options());
  if (!e.ok()) Show("e", e.status());
  ASSERT_EQ(e.status().code(), StatusCode::kNotFound);
  EXPECT_NE(e.status().message().find("no objects under " + uri + "/"), std::string::npos)
      << e.status().message();
}

TEST_F(S3IntegrationTest, NoCredentialsFailsBeforeAnyRequest) {
  FetchOptions o = Options();
  o.s3.access_key.clear();
  o.s3.secret_key.clear();
  o.s3.source.credentials = "nowhere (no credentials were set)";
  o.s3.endpoint = "203.0.113.1:9";  // would time out if contacted
  auto r = Fetch("s3://mlflow/m", (dir_ / "dest").string(), o);
  if (!r.ok()) Show("r", r.status());
  ASSERT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("no S3 credentials are set"), std::string::npos);
  EXPECT_NE(r.status().message().find("s3-useanoncredential"), std::string::npos);
}

TEST_F(S3IntegrationTest, RangedPartsOfLargeObjectAreReassembled) {
  std::string big(20 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  fs::path p = dir_ / "big.bin";
  WriteFile(p, big);
  server_->Put("mlflow", {{"large/model/big.bin", p}});
  FetchOptions o = Options();
  o.part_size = 1 << 20;
  o.multipart_threshold = 4 << 20;
  o.concurrency = 6;
  o.split_after = std::chrono::milliseconds(0);  // always split: exercise the ranged parts
  std::atomic<uint64_t> last{0};
  o.progress = [&](const Progress& pr) { last = pr.bytes_done; };
  auto r = Fetch("s3://mlflow/large/model", (dir_ / "dest").string(), o);
  if (!r.ok()) Show("r", r.status());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*FileMd5Hex((dir_ / "dest" / "big.bin").string()), *FileMd5Hex(p.string()));
  EXPECT_EQ(last.load(), big.size());
}

TEST_F(S3IntegrationTest, ArchivesCorruptAndEvil) {
  fs::path good = dir_ / "model.tar.gz";
  testing::WriteArchive(good, {{"MLmodel", "m"}, {"model.pkl", std::string(300000, 'z')}},
                        testing::ArchiveKind::kTarGz);
  std::string bytes = ReadFile(good);
  fs::path corrupt = dir_ / "corrupt.tar.gz";
  WriteFile(corrupt, bytes.substr(0, bytes.size() / 2));
  fs::path evil = dir_ / "evil.tar";
  testing::WriteArchive(evil, {{"MLmodel", "m"}, {"../../etc/cron.d/x", "x"}},
                        testing::ArchiveKind::kTar);
  server_->Put("mlflow", {{"arch/good/model.tar.gz", good},
                          {"arch/corrupt/model.tar.gz", corrupt},
                          {"arch/evil/model.tar", evil}});
  auto ok = Fetch("s3://mlflow/arch/good", (dir_ / "good-dest").string(), Options());
  if (!ok.ok()) Show("ok", ok.status());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->unpacked);
  EXPECT_EQ(fs::file_size(dir_ / "good-dest" / "model.pkl"), 300000u);
  auto c = Fetch("s3://mlflow/arch/corrupt", (dir_ / "c-dest").string(), Options());
  if (!c.ok()) Show("c", c.status());
  EXPECT_EQ(c.status().code(), StatusCode::kDataLoss) << c.status().ToString();
  EXPECT_NE(c.status().message().find("s3://mlflow/arch/corrupt/model.tar.gz"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "c-dest"));
  auto e = Fetch("s3://mlflow/arch/evil", (dir_ / "e-dest").string(), Options());
  if (!e.ok()) Show("e", e.status());
  EXPECT_EQ(e.status().code(), StatusCode::kPermissionDenied) << e.status().ToString();
  EXPECT_NE(e.status().message().find("../../etc/cron.d/x"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "e-dest"));
}

TEST_F(S3IntegrationTest, RedeployDownloadsNothing) {
  fs::path tree = MlflowTree("cached_model");
  server_->Put("mlflow",
               {{"cache/m/MLmodel", tree / "MLmodel"}, {"cache/m/model.pkl", tree / "model.pkl"}});
  FetchOptions o = Options();
  o.cache_dir = (dir_ / "cache").string();
  std::atomic<int> calls{0};
  o.progress = [&](const Progress&) { ++calls; };
  ASSERT_TRUE(Fetch("s3://mlflow/cache/m", (dir_ / "d1").string(), o).ok());
  EXPECT_GT(calls.load(), 0);
  calls = 0;
  auto same = Fetch("s3://mlflow/cache/m", (dir_ / "d1").string(), o);
  if (!same.ok()) Show("same", same.status());
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->source, FetchResult::Source::kUpToDate);
  auto other = Fetch("s3://mlflow/cache/m", (dir_ / "d2").string(), o);
  if (!other.ok()) Show("other", other.status());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->source, FetchResult::Source::kCache);
  EXPECT_EQ(calls.load(), 0);  // no byte was transferred
  EXPECT_EQ(ReadFile(dir_ / "d2" / "model.pkl"), ReadFile(tree / "model.pkl"));
  // A changed object changes the ETag, so the next deploy downloads again.
  WriteFile(tree / "model.pkl", "retrained");
  server_->Put("mlflow", {{"cache/m/model.pkl", tree / "model.pkl"}});
  auto changed = Fetch("s3://mlflow/cache/m", (dir_ / "d1").string(), o);
  if (!changed.ok()) Show("changed", changed.status());
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->source, FetchResult::Source::kDownloaded);
  EXPECT_EQ(ReadFile(dir_ / "d1" / "model.pkl"), "retrained");
}

TEST_F(S3IntegrationTest, PlainHttpFromTheSameServer) {
  // s3rver serves unsigned GETs, which makes it a plain HTTP file server too.
  fs::path good = dir_ / "model.tgz";
  testing::WriteArchive(good, {{"MLmodel", "http"}}, testing::ArchiveKind::kTarGz);
  server_->Put("mlflow", {{"http/model.tgz", good}});
  auto r = Fetch(server_->endpoint + "/mlflow/http/model.tgz", (dir_ / "dest").string(), Options());
  if (!r.ok()) Show("r", r.status());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(dir_ / "dest" / "MLmodel"), "http");
  auto missing =
      Fetch(server_->endpoint + "/mlflow/http/nope.bin", (dir_ / "d2").string(), Options());
  if (!missing.ok()) Show("missing", missing.status());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
}

// Separate server instances so stopping/killing them does not affect others.
TEST_F(S3IntegrationTest, StoppedServerAndServerKilledMidDownload) {
  S3Server victim;
  ASSERT_TRUE(victim.Start((dir_ / "victim").string())) << victim.error;
  std::string big(48 << 20, 'k');
  WriteFile(dir_ / "big.bin", big);
  WriteFile(dir_ / "small", "flavors: {}\n");
  victim.Put("mlflow", {{"kill/m/big.bin", dir_ / "big.bin"}, {"kill/m/MLmodel", dir_ / "small"}});
  FetchOptions o = Options();
  o.s3.endpoint = victim.host;
  o.part_size = 1 << 20;
  o.multipart_threshold = 2 << 20;
  o.concurrency = 2;
  o.max_attempts = 2;
  std::atomic<bool> killed{false};
  o.progress = [&](const Progress& p) {
    if (p.bytes_done > 0 && !killed.exchange(true)) ::kill(victim.pid, SIGKILL);
  };
  fs::path dest = dir_ / "dest";
  auto r = Fetch("s3://mlflow/kill/m", dest.string(), o);
  if (!r.ok()) Show("r", r.status());
  ASSERT_TRUE(killed.load());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_FALSE(fs::exists(dest));  // never half a model in place
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".ferry-tmp"), std::string::npos) << e.path();
  }
  // The server is gone now: connection refused names endpoint and its origin.
  auto refused = Fetch("s3://mlflow/kill/m", dest.string(), o);
  if (!refused.ok()) Show("refused", refused.status());
  ASSERT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find(
                "cannot reach endpoint `" + victim.host +
                "` taken from annotation serving.kserve.io/s3-endpoint on Secret `s3creds`"),
            std::string::npos)
      << refused.status().message();
  victim.Stop();
}

// --- Faulty plain HTTP server: retries, drops, stalls --------------------

class HttpFaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path base = testing::MakeTestDir("http-faults");
    port_file_ = (base / "port").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/usr/bin/python3", "/usr/bin/python3",
              Source("tests/fixtures/storage/faulty_http_server.py").c_str(), port_file_.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !fs::exists(port_file_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void SetUp() override {
    if (!fs::exists(port_file_)) GTEST_SKIP() << "faulty_http_server.py did not start";
    base_ = "http://127.0.0.1:" + ReadFile(port_file_);
    dir_ = testing::MakeTestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.retry_backoff = std::chrono::milliseconds(20);
  }
  static int pid_;
  static std::string port_file_;
  std::string base_;
  fs::path dir_;
  FetchOptions options_;
};
int HttpFaultsTest::pid_ = -1;
std::string HttpFaultsTest::port_file_;

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i % 251);
  return s;
}

TEST_F(HttpFaultsTest, RetriesServerErrorsThenSucceeds) {
  auto r = Fetch(base_ + "/flaky/2/5000/model.bst", (dir_ / "dest").string(), options_);
  if (!r.ok()) Show("r", r.status());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(dir_ / "dest" / "model.bst"), Pattern(5000));
  options_.max_attempts = 2;
  auto fail = Fetch(base_ + "/flaky/5/5000/model.bst", (dir_ / "dest2").string(), options_);
  if (!fail.ok()) Show("fail", fail.status());
  EXPECT_EQ(fail.status().code(), StatusCode::kUnavailable) << fail.status().ToString();
  EXPECT_NE(fail.status().message().find("503"), std::string::npos);
}

TEST_F(HttpFaultsTest, DroppedConnectionIsRetriedPerPart) {
  options_.part_size = 1 << 20;
  options_.multipart_threshold = 1 << 20;
  options_.split_after = std::chrono::milliseconds(0);  // lead + ranged parts, each retried
  auto r = Fetch(base_ + "/drop/1/3000000/model.bin", (dir_ / "dest").string(), options_);
  if (!r.ok()) Show("r", r.status());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(dir_ / "dest" / "model.bin"), Pattern(3000000));
  auto fail = Fetch(base_ + "/drop/9/3000/model.bin", (dir_ / "dest2").string(), options_);
  if (!fail.ok()) Show("fail", fail.status());
  EXPECT_EQ(fail.status().code(), StatusCode::kUnavailable) << fail.status().ToString();
  EXPECT_FALSE(fs::exists(dir_ / "dest2"));
}

TEST_F(HttpFaultsTest, StalledServerTimesOut) {
  options_.read_timeout = std::chrono::seconds(1);
  options_.max_attempts = 1;
  auto start = std::chrono::steady_clock::now();
  auto r = Fetch(base_ + "/stall/100000/model.bin", (dir_ / "dest").string(), options_);
  if (!r.ok()) Show("r", r.status());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_FALSE(fs::exists(dir_ / "dest"));
}

}  // namespace
}  // namespace ferry::storage
