#include "storage/s3_path.h"

#include "gtest/gtest.h"

namespace ferry::storage {
namespace {

TEST(S3PathTest, ParsesBucketAndPrefix) {
  auto u = ParseS3Uri("s3://mlflow/1/abc/artifacts/iris_model");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->bucket, "mlflow");
  EXPECT_EQ(u->prefix, "1/abc/artifacts/iris_model");
  auto b = ParseS3Uri("s3://bucket");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->prefix, "");
  EXPECT_FALSE(ParseS3Uri("s3:///key").ok());
  EXPECT_FALSE(ParseS3Uri("gs://bucket/key").ok());
}

TEST(S3PathTest, UriEncodeUsesRfc3986UnreservedSet) {
  EXPECT_EQ(UriEncode("a-z_A.Z~0/9", false), "a-z_A.Z~0%2F9");
  EXPECT_EQ(UriEncode("a b+c=/d", true), "a%20b%2Bc%3D/d");
  EXPECT_EQ(UriEncode("\xc3\xa9", false), "%C3%A9");
}

TEST(S3PathTest, CanonicalQuerySortsAndEncodes) {
  EXPECT_EQ(
      CanonicalQuery({{"prefix", "1/d9/"}, {"list-type", "2"}, {"continuation-token", "a+b/c="}}),
      "continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=1%2Fd9%2F");
  EXPECT_EQ(CanonicalQuery({{"max-keys", "2"}, {"list-type", "2"}}), "list-type=2&max-keys=2");
  EXPECT_EQ(CanonicalQuery({}), "");
}

TEST(S3PathTest, PrefixNeverMatchesSiblings) {
  EXPECT_EQ(MatchKey("models/iris", "models/iris/model.pkl"), KeyMatch::kDirectory);
  EXPECT_EQ(MatchKey("models/iris", "models/iris"), KeyMatch::kExact);
  EXPECT_EQ(MatchKey("models/iris", "models/iris-v2/model.pkl"), KeyMatch::kNone);
  EXPECT_EQ(MatchKey("models/iris", "models/iris.bak"), KeyMatch::kNone);
  EXPECT_EQ(MatchKey("models/iris", "models/iris/"), KeyMatch::kNone);  // folder marker
  EXPECT_EQ(MatchKey("models/iris/", "models/iris/a"), KeyMatch::kDirectory);
  EXPECT_EQ(MatchKey("models/iris/", "models/iris"), KeyMatch::kNone);
  EXPECT_EQ(MatchKey("", "anything/x"), KeyMatch::kDirectory);
}

TEST(S3PathTest, RelativePaths) {
  EXPECT_EQ(*RelativePathForKey("a/model", "a/model/sub/x.bin"), "sub/x.bin");
  EXPECT_EQ(*RelativePathForKey("a/model/", "a/model/x.bin"), "x.bin");
  EXPECT_EQ(*RelativePathForKey("a/model.bst", "a/model.bst"), "model.bst");
  EXPECT_EQ(*RelativePathForKey("", "top/x"), "top/x");
  EXPECT_FALSE(RelativePathForKey("a", "a/../../etc/passwd").ok());
  EXPECT_FALSE(RelativePathForKey("a", "a/x//y").ok());
  EXPECT_FALSE(RelativePathForKey("a", "b/x").ok());
}

}  // namespace
}  // namespace ferry::storage

// URL building and scheme mapping of the providers (pure functions).
#include "storage/http_provider.h"
#include "storage/local_provider.h"
#include "storage/provider.h"
#include "storage/s3_provider.h"

namespace ferry::storage {
namespace {

TEST(ProviderUrlTest, PathStyleAndVirtualHostedUrls) {
  S3Config cfg;
  cfg.endpoint = "minio-service.kubeflow:9000";
  cfg.use_https = false;
  EXPECT_EQ(S3ObjectUrl(cfg, "mlflow", "1/run/a b.pkl"),
            "http://minio-service.kubeflow:9000/mlflow/1/run/a%20b.pkl");
  EXPECT_EQ(S3ListUrl(cfg, "mlflow", "list-type=2"),
            "http://minio-service.kubeflow:9000/mlflow?list-type=2");
  cfg.virtual_bucket = true;
  cfg.use_https = true;
  EXPECT_EQ(S3ObjectUrl(cfg, "mlflow", "m/x"), "https://mlflow.minio-service.kubeflow:9000/m/x");
  EXPECT_EQ(S3ListUrl(cfg, "mlflow", "list-type=2"),
            "https://mlflow.minio-service.kubeflow:9000/?list-type=2");
  S3Config aws;
  aws.region = "eu-central-1";
  EXPECT_EQ(S3ObjectUrl(aws, "b", "k"), "https://s3.eu-central-1.amazonaws.com/b/k");
}

TEST(ProviderUrlTest, SchemesAndNames) {
  EXPECT_EQ(UriScheme("S3://b/k"), "s3");
  EXPECT_EQ(UriScheme("/mnt/models"), "");
  EXPECT_EQ(UriScheme("relative/dir"), "");
  EXPECT_EQ(FileNameForUrl("https://h/x/model.tar.gz?sig=1#f"), "model.tar.gz");
  EXPECT_EQ(FileNameForUrl("https://h"), "model");
  EXPECT_EQ(FileNameForUrl("https://h/dir/"), "dir");
}

}  // namespace
}  // namespace ferry::storage
