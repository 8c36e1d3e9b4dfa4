#include "api/self_signed.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>

namespace ferry::api {
namespace {

TEST(SelfSignedTest, WritesCertWithSansAndKeepsIt) {
  std::string dir = ::testing::TempDir() + "/ferry_self_signed";
  std::filesystem::remove_all(dir);
  std::string cert = dir + "/tls.crt", key = dir + "/tls.key";
  ASSERT_TRUE(EnsureSelfSignedCert(cert, key, {"127.0.0.1", "localhost"}).ok());
  FILE* f = std::fopen(cert.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(x, "example.com", 0, 0, nullptr), 1);
  X509_free(x);
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  auto mtime = std::filesystem::last_write_time(cert);
  ASSERT_TRUE(EnsureSelfSignedCert(cert, key, {"127.0.0.1"}).ok());
  EXPECT_EQ(std::filesystem::last_write_time(cert), mtime);  // existing pair kept
  EXPECT_FALSE(EnsureSelfSignedCert(dir + "/a", dir + "/b", {}).ok());
}

}  // namespace
}  // namespace ferry::api
