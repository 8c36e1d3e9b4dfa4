// Which local paths a storageUri may name: unrestricted (ferry serve,
// storage-initializer) and restricted to allowed roots with the data
// directory denied (ferry up); lexical at admission, canonical at fetch.
#include "storage/local_access.h"

#include "gtest/gtest.h"
#include "storage/test_util.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;
using testing::WriteFile;

LocalAccess Restricted(const fs::path& dir) {
  LocalAccess a;
  a.restricted = true;
  a.roots = {(dir / "models").string()};
  a.denied = {(dir / "data").string()};
  a.pvc_root = (dir / "data" / "pvc").string();
  return a;
}

TEST(LocalAccessTest, UnrestrictedMapsUrisAsKServeDoes) {
  LocalAccess a;
  EXPECT_EQ(ResolveLocalUri("file:///mnt/m", a)->path, "/mnt/m");
  EXPECT_EQ(ResolveLocalUri("file://localhost/mnt/m/", a)->path, "/mnt/m");
  EXPECT_EQ(ResolveLocalUri("pvc://claim/a/b", a)->path, "/mnt/pvc/claim/a/b");
  EXPECT_EQ(ResolveLocalUri("relative/dir", a)->path, "relative/dir");
  EXPECT_EQ(ResolveLocalUri("pvc://claim/../../etc", a).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveLocalUri("pvc://claim/../other", a).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveLocalUri("file://relative", a).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveLocalUri("", a).status().code(), StatusCode::kInvalidArgument);
  for (const char* bad : {"pvc://../x", "pvc://./x", "pvc://", "pvc://Claim/x", "pvc://a_b/x"}) {
    EXPECT_EQ(ResolveLocalUri(bad, a).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(LocalAccessTest, RestrictedRefusesPathsOutsideTheRootsNamingThemAndTheFlag) {
  fs::path dir = "/srv/t";
  LocalAccess a = Restricted(dir);
  auto ok = ResolveLocalUri("file:///srv/t/models/iris", a);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->base, "/srv/t/models");
  for (const char* uri : {"file:///etc/ssl", "/etc/ssl", "file:///srv/t/models/../secret",
                          "file:///srv/t/modelsX"}) {
    auto r = ResolveLocalUri(uri, a);
    ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied) << uri;
    EXPECT_NE(r.status().message().find(uri), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("/srv/t/models"), std::string::npos);
    EXPECT_NE(r.status().message().find("--allow-local-models DIR"), std::string::npos);
  }
  EXPECT_EQ(ResolveLocalUri("models/iris", a).status().code(), StatusCode::kInvalidArgument);
}

TEST(LocalAccessTest, DataDirectoryIsNeverReadableEvenBelowAnAllowedRoot) {
  LocalAccess a = Restricted("/srv/t");
  a.roots = {"/"};
  EXPECT_TRUE(ResolveLocalUri("file:///srv/t/models/iris", a).ok());
  for (const char* uri : {"file:///srv/t/data/users", "file:///srv/t/data", "file:///srv/t",
                          "file:///", "/srv/t/data/store.db", "file:///srv/t/data/pvc/c/m"}) {
    auto r = ResolveLocalUri(uri, a);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << uri;
    EXPECT_NE(r.status().message().find("data directory"), std::string::npos);
  }
  // Claims under DATA/pvc are readable through pvc:// only.
  auto claim = ResolveLocalUri("pvc://c/m", a);
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_EQ(claim->path, "/srv/t/data/pvc/c/m");
  EXPECT_EQ(claim->base, "/srv/t/data/pvc/c");
  a.claims["mapped"] = "/mnt/disk";
  EXPECT_EQ(ResolveLocalUri("pvc://mapped/m", a)->path, "/mnt/disk/m");
  EXPECT_EQ(ResolveLocalUri("pvc://mapped/../x", a).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(LocalAccessTest, FetchTimeCheckSeesThroughSymlinkedPrefixes) {
  fs::path dir = testing::MakeTestDir("LocalAccessCanonical");
  LocalAccess a = Restricted(dir);
  WriteFile(dir / "models" / "iris" / "MLmodel", "m");
  WriteFile(dir / "data" / "users", "admin:secret");
  WriteFile(dir / "outside" / "m" / "MLmodel", "x");
  fs::create_directory_symlink(dir / "outside", dir / "models" / "alias");
  fs::create_directory_symlink(dir / "data", dir / "models" / "data-alias");

  std::string iris = "file://" + (dir / "models" / "iris").string();
  auto src = ResolveLocalUri(iris, a);
  ASSERT_TRUE(src.ok());
  auto real = CanonicalSource(iris, *src, a);
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  EXPECT_EQ(*real, fs::canonical(dir / "models" / "iris").string());

  for (std::string sub : {"alias/m", "data-alias", "alias/does-not-exist"}) {
    std::string uri = "file://" + (dir / "models" / sub).string();
    auto lexical = ResolveLocalUri(uri, a);
    ASSERT_TRUE(lexical.ok()) << sub;  // admission cannot know
    auto r = CanonicalSource(uri, *lexical, a);
    ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied) << sub;
    EXPECT_EQ(r.status().message().find((dir / "outside").string()), std::string::npos)
        << r.status().message();
  }
  std::string missing = "file://" + (dir / "models" / "nope").string();
  EXPECT_EQ(CanonicalSource(missing, *ResolveLocalUri(missing, a), a).status().code(),
            StatusCode::kNotFound);
  auto claim = ResolveLocalUri("pvc://absent/m", a);
  ASSERT_TRUE(claim.ok());
  auto absent = CanonicalSource("pvc://absent/m", *claim, a);
  EXPECT_EQ(absent.status().code(), StatusCode::kNotFound);
  EXPECT_NE(absent.status().message().find("--pvc CLAIM=DIR"), std::string::npos);
}

}  // namespace
}  // namespace ferry::storage
