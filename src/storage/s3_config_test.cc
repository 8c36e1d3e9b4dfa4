#include "storage/s3_config.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "gtest/gtest.h"

namespace ferry::storage {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(S3ConfigTest, DefaultsAreAws) {
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv({}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->EndpointUrl(), "https://s3.amazonaws.com");
  EXPECT_FALSE(cfg->has_credentials());
  EXPECT_FALSE(cfg->anonymous);
}

TEST(S3ConfigTest, KServeEnvironment) {
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv({{"S3_ENDPOINT", "minio-service.kubeflow:9000"},
                                             {"S3_USE_HTTPS", "0"},
                                             {"S3_VERIFY_SSL", "false"},
                                             {"AWS_DEFAULT_REGION", "eu-west-7"},
                                             {"AWS_ACCESS_KEY_ID", "AK"},
                                             {"AWS_SECRET_ACCESS_KEY", " SK\n"},
                                             {"S3_USER_VIRTUAL_BUCKET", "true"},
                                             {"AWS_CA_BUNDLE", "/etc/ca.pem"},
                                             {"awsAnonymousCredential", "false"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->EndpointUrl(), "http://minio-service.kubeflow:9000");
  EXPECT_FALSE(cfg->verify_ssl);
  EXPECT_EQ(cfg->region, "eu-west-7");
  EXPECT_EQ(cfg->access_key, "AK");
  EXPECT_EQ(cfg->secret_key, "SK");
  EXPECT_TRUE(cfg->virtual_bucket);
  EXPECT_EQ(cfg->ca_bundle, "/etc/ca.pem");
  EXPECT_EQ(cfg->source.endpoint, "environment variable S3_ENDPOINT");
  EXPECT_EQ(cfg->source.region, "environment variable AWS_DEFAULT_REGION");
}

TEST(S3ConfigTest, EndpointUrlSchemeDecidesHttps) {
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"},
                                             {"S3_ENDPOINT", "ignored:1"},
                                             {"S3_USE_HTTPS", "1"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->EndpointUrl(), "http://127.0.0.1:9000");
  EXPECT_NE(cfg->source.use_https.find("AWS_ENDPOINT_URL"), std::string::npos);
}

TEST(S3ConfigTest, StorageConfigJsonOverridesVariables) {
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv(
      {{"AWS_ACCESS_KEY_ID", "env-ak"},
       {"STORAGE_CONFIG", R"({"type":"s3","access_key_id":"json-ak","secret_access_key":"json-sk",
          "endpoint_url":"http://minio:9000","region":"eu-1","verify_ssl":"0","bucket":"b"})"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->access_key, "json-ak");
  EXPECT_EQ(cfg->EndpointUrl(), "http://minio:9000");
  EXPECT_EQ(cfg->region, "eu-1");
  EXPECT_FALSE(cfg->verify_ssl);
  EXPECT_EQ(cfg->source.endpoint,
            "field endpoint_url of environment variable STORAGE_CONFIG (Secret storage-config)");
  auto gcs = ResolveS3ConfigFromEnv(FakeEnv({{"STORAGE_CONFIG", R"({"type":"gs"})"}}));
  ASSERT_TRUE(gcs.ok());
  EXPECT_EQ(gcs->access_key, "");
  EXPECT_FALSE(ResolveS3ConfigFromEnv(FakeEnv({{"STORAGE_CONFIG", "{not json"}})).ok());
}

TEST(S3ConfigTest, StorageOverrideConfigReplacesKeys) {
  // KServe passes the InferenceService's storage.parameters as
  // STORAGE_OVERRIDE_CONFIG; its keys replace the storage-config entry's.
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv(
      {{"STORAGE_CONFIG", R"({"type":"s3","access_key_id":"ak","secret_access_key":"sk",
          "endpoint_url":"http://minio:9000","region":"eu-1"})"},
       {"STORAGE_OVERRIDE_CONFIG", R"({"region":"us-west-2","bucket":"models"})"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->region, "us-west-2");
  EXPECT_EQ(cfg->source.region,
            "field region of environment variable STORAGE_OVERRIDE_CONFIG (storage.parameters)");
  EXPECT_EQ(cfg->access_key, "ak");
  // An override can also make the entry an s3 one, or hold the keys.
  auto only = ResolveS3ConfigFromEnv(FakeEnv(
      {{"STORAGE_CONFIG", R"({"type":"gs"})"},
       {"STORAGE_OVERRIDE_CONFIG",
        R"({"type":"s3","access_key_id":"a","secret_access_key":"b"})"}}));
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->secret_key, "b");
  EXPECT_NE(only->source.credentials.find("STORAGE_OVERRIDE_CONFIG"), std::string::npos);
  auto bad = ResolveS3ConfigFromEnv(FakeEnv({{"STORAGE_OVERRIDE_CONFIG", "[1]"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("STORAGE_OVERRIDE_CONFIG"), std::string::npos);
}

TEST(S3ConfigTest, SessionToken) {
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv({{"AWS_ACCESS_KEY_ID", "ASIA1"},
                                             {"AWS_SECRET_ACCESS_KEY", "s"},
                                             {"AWS_SESSION_TOKEN", " tok\n"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->session_token, "tok");
  auto legacy = ResolveS3ConfigFromEnv(FakeEnv({{"AWS_SECURITY_TOKEN", "old"}}));
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->session_token, "old");
}

TEST(S3ConfigTest, WebIdentityOnlyWithoutKeys) {
  std::map<std::string, std::string> irsa = {
      {"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
      {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/models"},
      {"AWS_REGION", "eu-west-1"},
      {"AWS_STS_REGIONAL_ENDPOINTS", "regional"}};
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv(irsa));
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->needs_web_identity());
  EXPECT_EQ(cfg->web_identity.sts_url, "https://sts.eu-west-1.amazonaws.com");
  EXPECT_NE(cfg->source.credentials.find("arn:aws:iam::123456789012:role/models"),
            std::string::npos);
  auto legacy = irsa;
  legacy["AWS_STS_REGIONAL_ENDPOINTS"] = "legacy";
  EXPECT_EQ(ResolveS3ConfigFromEnv(FakeEnv(legacy))->web_identity.sts_url,
            "https://sts.amazonaws.com");
  auto cn = irsa;
  cn["AWS_REGION"] = "cn-north-1";
  EXPECT_EQ(ResolveS3ConfigFromEnv(FakeEnv(cn))->web_identity.sts_url,
            "https://sts.cn-north-1.amazonaws.com.cn");
  auto local = irsa;
  local["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:4566";
  auto l = ResolveS3ConfigFromEnv(FakeEnv(local));
  EXPECT_EQ(l->web_identity.sts_url, "http://127.0.0.1:4566");
  EXPECT_EQ(l->web_identity.sts_url_source, "environment variable AWS_ENDPOINT_URL_STS");
  // Static keys come first in boto3's chain.
  auto keys = irsa;
  keys["AWS_ACCESS_KEY_ID"] = "AK";
  keys["AWS_SECRET_ACCESS_KEY"] = "SK";
  EXPECT_FALSE(ResolveS3ConfigFromEnv(FakeEnv(keys))->needs_web_identity());
  auto anon = irsa;
  anon["awsAnonymousCredential"] = "true";
  EXPECT_FALSE(ResolveS3ConfigFromEnv(FakeEnv(anon))->needs_web_identity());
  irsa.erase("AWS_ROLE_ARN");
  EXPECT_FALSE(ResolveS3ConfigFromEnv(FakeEnv(irsa))->needs_web_identity());
}

TEST(S3ConfigTest, CaBundleFromKServeConfigMap) {
  auto dir = std::filesystem::temp_directory_path() / "ferry-s3config-ca";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cabundle.crt") << "-----BEGIN CERTIFICATE-----\n";
  std::ofstream(dir / "other.pem") << "-----BEGIN CERTIFICATE-----\n";
  auto cfg = ResolveS3ConfigFromEnv(
      FakeEnv({{"CA_BUNDLE_CONFIGMAP_NAME", "global-ca-bundle"},
               {"CA_BUNDLE_VOLUME_MOUNT_POINT", dir.string() + "/"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->ca_bundle, (dir / "cabundle.crt").string());
  EXPECT_NE(cfg->source.ca_bundle.find("global-ca-bundle"), std::string::npos);
  // AWS_CA_BUNDLE wins over the ConfigMap.
  auto both = ResolveS3ConfigFromEnv(FakeEnv({{"CA_BUNDLE_CONFIGMAP_NAME", "global-ca-bundle"},
                                              {"CA_BUNDLE_VOLUME_MOUNT_POINT", dir.string()},
                                              {"AWS_CA_BUNDLE", (dir / "other.pem").string()}}));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->ca_bundle, (dir / "other.pem").string());
  // A named bundle that is not there is an error (KServe: "Failed to find ca bundle file").
  auto missing = ResolveS3ConfigFromEnv(
      FakeEnv({{"CA_BUNDLE_CONFIGMAP_NAME", "cm"},
               {"CA_BUNDLE_VOLUME_MOUNT_POINT", "/nonexistent"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("/nonexistent/cabundle.crt"), std::string::npos);
  // ...unless TLS is not verified at all.
  EXPECT_TRUE(ResolveS3ConfigFromEnv(FakeEnv({{"CA_BUNDLE_CONFIGMAP_NAME", "cm"},
                                              {"CA_BUNDLE_VOLUME_MOUNT_POINT", "/nonexistent"},
                                              {"S3_VERIFY_SSL", "0"}}))
                  .ok());
  std::filesystem::remove_all(dir);
}

TEST(S3ConfigTest, BadValuesNameTheVariable) {
  auto cfg = ResolveS3ConfigFromEnv(FakeEnv({{"S3_USE_HTTPS", "maybe"}}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("S3_USE_HTTPS"), std::string::npos);
  auto ep = ResolveS3ConfigFromEnv(FakeEnv({{"S3_ENDPOINT", "ftp://x"}}));
  ASSERT_FALSE(ep.ok());
  EXPECT_NE(ep.status().message().find("S3_ENDPOINT"), std::string::npos);
  EXPECT_FALSE(ParseEndpoint("host:9000/path", "x").ok());
}

TEST(S3ConfigTest, SecretAnnotationsWinOverDataAndDefaults) {
  SecretInfo s;
  s.name = "s3creds";
  s.service_account = "sa";
  s.annotations = {{"serving.kserve.io/s3-endpoint", "minio-service.kubeflow:9000"},
                   {"serving.kserve.io/s3-usehttps", "0"},
                   {"serving.kserve.io/s3-region", "us-west-2"},
                   {"serving.kserve.io/s3-verifyssl", "0"},
                   {"serving.kserve.io/s3-cabundle", "/ca.pem"},
                   {"serving.kserve.io/s3-usevirtualbucket", "true"},
                   {"unrelated", "x"}};
  s.data = {{"AWS_ACCESS_KEY_ID", "minio"},
            {"AWS_SECRET_ACCESS_KEY", "minio123"},
            {"s3-region", "ignored-because-annotation-wins"},
            {"s3-useanoncredential", "false"}};
  S3Config defaults;
  defaults.region = "default-region";
  auto cfg = ResolveS3ConfigFromSecret(s, defaults);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->EndpointUrl(), "http://minio-service.kubeflow:9000");
  EXPECT_EQ(cfg->region, "us-west-2");
  EXPECT_FALSE(cfg->verify_ssl);
  EXPECT_TRUE(cfg->virtual_bucket);
  EXPECT_EQ(cfg->ca_bundle, "/ca.pem");
  EXPECT_EQ(cfg->access_key, "minio");
  EXPECT_EQ(cfg->secret_key, "minio123");
  EXPECT_EQ(cfg->source.endpoint, "annotation serving.kserve.io/s3-endpoint on Secret `s3creds`");
  EXPECT_EQ(cfg->source.anonymous, "data key s3-useanoncredential of Secret `s3creds`");
  EXPECT_NE(cfg->CredentialsHint().find("check Secret `s3creds` listed by ServiceAccount `sa`"),
            std::string::npos);
}

TEST(S3ConfigTest, SecretLegacyKeyNamesAndDefaults) {
  SecretInfo s;
  s.name = "legacy";
  s.data = {{"awsAccessKeyID", "A"}, {"awsSecretAccessKey", "B"}};
  S3Config defaults;
  defaults.endpoint = "s3.local:9000";
  defaults.source.endpoint = "inferenceservice-config credentials.s3";
  auto cfg = ResolveS3ConfigFromSecret(s, defaults);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->access_key, "A");
  EXPECT_EQ(cfg->secret_key, "B");
  EXPECT_EQ(cfg->endpoint, "s3.local:9000");
  EXPECT_EQ(cfg->source.endpoint, "inferenceservice-config credentials.s3");
}

TEST(S3ConfigTest, AnonymousFromAnnotation) {
  SecretInfo s;
  s.name = "public";
  s.annotations = {{"serving.kserve.io/s3-useanoncredential", "true"}};
  auto cfg = ResolveS3ConfigFromSecret(s);
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->anonymous);
}

}  // namespace
}  // namespace ferry::storage
