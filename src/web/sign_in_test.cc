#include "web/sign_in.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "web/csrf.h"
#include "web/login_throttle.h"
#include "web/redirect.h"
#include "web/users.h"

namespace ferry::web {
namespace {

using Clock = LoginThrottle::Clock;
using std::chrono::seconds;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("ferry-signin-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SafeRedirectTest, SameOriginPathsPass) {
  for (const char* ok : {"/", "/x", "/v2/models/m/infer", "/#/ns/default", "/a?b=c&d=%2Fe",
                         "/a/b.c/..d", "/%41"}) {
    EXPECT_TRUE(IsSafeRedirect(ok)) << ok;
    EXPECT_EQ(SafeRedirect(ok), ok);
  }
}

TEST(SafeRedirectTest, OpenRedirectVectorsFallBackToRoot) {
  // Values as they arrive in the form field (decoded once by the form),
  // from upstream oauth2-proxy's open-redirect list and its validator tests.
  for (const char* bad :
       {"", "x", "//evil.example", "/\\evil.example", "\\/evil.example", "/\t/evil.example",
        "/\v/evil.example", "/\r/evil.example", "/\n/evil.example", "/ /evil.example",
        "/ \\evil.example", "/./\\evil.example", "/./../../\\evil.example", "/%09/evil.example",
        "/%2509/evil.example", "/%2f%2fevil.example", "/%5cevil.example", "/%5Cevil.example",
        "///evil.example", "/http://evil.example", "/https:/%5cevil.example", "http://evil.example",
        "https://evil.example/", "javascript:alert(1)", "data:text/html,x", "/a/../b", "/a/./b",
        "/%2e%2e/%2e%2e/x//y", "/x\x7f", "/\xc3\xa9", "/%00", "/%252f%252fevil.example",
        "/%25252f%25252fevil.example"}) {
    EXPECT_FALSE(IsSafeRedirect(bad)) << bad;
    EXPECT_EQ(SafeRedirect(bad), "/") << bad;
  }
}

TEST(CsrfTest, TokenIsBoundToTheCookie) {
  CsrfTokens t("c", "Path=/login; HttpOnly");
  CsrfTokens::Form first = t.ForPage("");
  ASSERT_EQ(first.set_cookie.rfind("c=", 0), 0u);
  EXPECT_NE(first.set_cookie.find("; Path=/login; HttpOnly"), std::string::npos);
  std::string cookie = first.set_cookie.substr(2, first.set_cookie.find(';') - 2);
  EXPECT_TRUE(t.Valid(cookie, first.field));
  // A well-formed cookie is reused: a second tab gets a token for the same cookie.
  CsrfTokens::Form again = t.ForPage(cookie);
  EXPECT_TRUE(again.set_cookie.empty());
  EXPECT_EQ(again.field, first.field);
  EXPECT_FALSE(t.Valid(cookie, ""));
  EXPECT_FALSE(t.Valid("", first.field));
  EXPECT_FALSE(t.Valid(cookie, first.field.substr(1) + "0"));
  // A cookie chosen by someone else has no valid field without the key.
  std::string planted(64, 'a');
  EXPECT_FALSE(t.Valid(planted, t.ForPage(cookie).field));
  EXPECT_TRUE(t.Valid(planted, t.ForPage(planted).field));
  // Another process (another key) does not accept this one's tokens.
  CsrfTokens other("c", "");
  EXPECT_FALSE(other.Valid(cookie, first.field));
  // Malformed cookies are replaced.
  EXPECT_FALSE(t.ForPage("short").set_cookie.empty());
}

TEST(LoginThrottleTest, GrowingDelayPerAccountResetBySuccess) {
  LoginThrottle t;
  Clock::time_point now{};
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(t.RetryAfter("A@x.com", "10.0.0.1", now), 0);
    t.Failed("a@x.com", "10.0.0.1", now);
  }
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.1", now), 0);
  t.Failed(" A@X.com ", "10.0.0.2", now);  // 5th for the account (any case, any address)
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.3", now), 1);
  EXPECT_EQ(t.RetryAfter("b@x.com", "10.0.0.1", now), 0);  // other accounts are not blocked
  now += seconds(1);
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.1", now), 0);
  t.Failed("a@x.com", "10.0.0.1", now);
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.1", now), 2);
  now += seconds(2);
  t.Failed("a@x.com", "10.0.0.1", now);
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.1", now), 4);
  now += std::chrono::milliseconds(3500);
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.1", now), 1);  // rounded up, never 0 while blocked
  now += seconds(1);
  t.Succeeded("a@x.com");
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.4", now), 0);
  t.Failed("a@x.com", "10.0.0.4", now);
  EXPECT_EQ(t.RetryAfter("a@x.com", "10.0.0.4", now), 0);  // counting starts over
}

TEST(LoginThrottleTest, PerAddressAcrossAccountsCappedAndForgotten) {
  LoginThrottle::Limits l;
  l.address_free = 3;
  l.max_delay = seconds(5);
  LoginThrottle t(l);
  Clock::time_point now{};
  t.Failed("a@x.com", "192.0.2.9", now);
  t.Failed("b@x.com", "192.0.2.9", now);
  t.Failed("c@x.com", "192.0.2.9", now);
  EXPECT_EQ(t.RetryAfter("d@x.com", "192.0.2.9", now), 1);
  EXPECT_EQ(t.RetryAfter("", "192.0.2.9", now), 1);  // the admin token form too
  EXPECT_EQ(t.RetryAfter("d@x.com", "192.0.2.10", now), 0);
  t.Succeeded("c@x.com");  // a success does not clear the address
  EXPECT_EQ(t.RetryAfter("", "192.0.2.9", now), 1);
  for (int i = 0; i < 10; ++i) t.Failed("", "192.0.2.9", now);
  EXPECT_EQ(t.RetryAfter("", "192.0.2.9", now), 5);  // max_delay
  now += l.forget_after + seconds(1);
  EXPECT_EQ(t.RetryAfter("", "192.0.2.9", now), 0);
  t.Failed("", "192.0.2.9", now);
  EXPECT_EQ(t.RetryAfter("", "192.0.2.9", now), 0);  // forgotten: free failures again
}

TEST(LoginThrottleTest, TablesAreBounded) {
  LoginThrottle::Limits l;
  l.max_entries = 50;
  l.account_free = 1;
  LoginThrottle t(l);
  Clock::time_point now{};
  t.Failed("victim@x.com", "10.0.0.1", now);
  EXPECT_EQ(t.RetryAfter("victim@x.com", "", now), 1);
  for (int i = 0; i < 500; ++i) {
    now += std::chrono::milliseconds(1);
    t.Failed("made-up-" + std::to_string(i) + "@x.com", "10.0.0.1", now);
  }
  // The oldest entries made room; the latest are still counted.
  EXPECT_EQ(t.RetryAfter("victim@x.com", "", now), 0);
  EXPECT_GT(t.RetryAfter("made-up-499@x.com", "", now), 0);
}

TEST(LoopbackTest, PeerAddresses) {
  for (const char* ip : {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackAddress(ip)) << ip;
  }
  for (const char* ip : {"", "localhost", "192.0.2.2", "0.0.0.0", "::", "::ffff:10.0.0.1",
                         "128.0.0.1", "fe80::1", "127.0.0.1 "}) {
    EXPECT_FALSE(IsLoopbackAddress(ip)) << ip;
  }
}

class PasswordSignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove(path_);
    PasswordSignIn::Options o;
    o.now = [this] { return now_; };
    auto s = PasswordSignIn::Open(path_, o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    gate_ = std::move(*s);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::string path_;
  Clock::time_point now_{};
  std::shared_ptr<PasswordSignIn> gate_;
};

TEST_F(PasswordSignInTest, DefaultPasswordOnlyFromThisMachine) {
  using V = PasswordSignIn::Verdict;
  EXPECT_TRUE(gate_->DefaultPasswordInUse());
  EXPECT_TRUE(gate_->ShowDefaultPassword());
  EXPECT_EQ(gate_->Check(kDefaultUser, kDefaultPassword, "192.0.2.2").verdict, V::kDefaultRefused);
  EXPECT_EQ(gate_->Check(kDefaultUser, kDefaultPassword, "").verdict, V::kDefaultRefused);
  EXPECT_EQ(gate_->Check(kDefaultUser, kDefaultPassword, "127.0.0.1").verdict, V::kOk);
  EXPECT_EQ(gate_->Check(kDefaultUser, kDefaultPassword, "::1").verdict, V::kOk);
  // Exposed: the pages stop printing it; this machine may still use it.
  gate_->SetExposed(true);
  EXPECT_FALSE(gate_->ShowDefaultPassword());
  EXPECT_TRUE(gate_->DefaultPasswordInUse());
  EXPECT_EQ(gate_->Check(kDefaultUser, kDefaultPassword, "127.0.0.1").verdict, V::kOk);
  EXPECT_EQ(PasswdCommand(path_, kDefaultUser),
            "ferry passwd user@example.com --data-dir " +
                std::filesystem::path(path_).parent_path().string());
}

TEST_F(PasswordSignInTest, ThrottledAfterFiveFailuresUntilTheDelayPasses) {
  using V = PasswordSignIn::Verdict;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(gate_->Check(kDefaultUser, "wrong", "127.0.0.1").verdict, V::kWrong);
  }
  PasswordSignIn::Result r = gate_->Check(kDefaultUser, kDefaultPassword, "127.0.0.1");
  EXPECT_EQ(r.verdict, V::kThrottled);  // even the right password, until the delay passes
  EXPECT_EQ(r.retry_after, 1);
  now_ += seconds(1);
  EXPECT_EQ(gate_->Check(kDefaultUser, kDefaultPassword, "127.0.0.1").verdict, V::kOk);
  EXPECT_EQ(gate_->Check(kDefaultUser, "wrong", "127.0.0.1").verdict, V::kWrong);  // reset
  // The default password from elsewhere counts as a failure too.
  for (int i = 0; i < 5; ++i) gate_->Check("x@y.z", kDefaultPassword, "192.0.2.7");
  EXPECT_EQ(gate_->Check("x@y.z", "anything", "127.0.0.1").verdict, V::kThrottled);
}

TEST_F(PasswordSignInTest, PasswdChangeIsPickedUpWithoutRestart) {
  using V = PasswordSignIn::Verdict;
  ASSERT_TRUE(SetUserPassword(path_, kDefaultUser, "n3w-passw0rd").ok());
  EXPECT_FALSE(gate_->DefaultPasswordInUse());
  EXPECT_EQ(gate_->Check(kDefaultUser, "n3w-passw0rd", "192.0.2.2").verdict, V::kOk);
  EXPECT_EQ(gate_->Check(kDefaultUser, kDefaultPassword, "127.0.0.1").verdict, V::kWrong);
  // A new user is appended; comments and other users stay.
  ASSERT_TRUE(SetUserPassword(path_, "bob@x.com", "bobs-passw0rd").ok());
  EXPECT_EQ(gate_->Check("bob@x.com", "bobs-passw0rd", "127.0.0.1").verdict, V::kOk);
  std::string text = ReadFile(path_);
  EXPECT_EQ(text.rfind("# Dashboard users", 0), 0u) << text;
  EXPECT_NE(text.find("user@example.com pbkdf2-sha256$"), std::string::npos);
  EXPECT_NE(text.find("bob@x.com pbkdf2-sha256$"), std::string::npos);
  EXPECT_EQ(text.find("n3w-passw0rd"), std::string::npos);
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // A hand edit (plain: secret) is picked up too.
  {
    std::ofstream out(path_, std::ios::app);
    out << "carol@x.com plain:carols-pw\n";
  }
  EXPECT_EQ(gate_->Check("carol@x.com", "carols-pw", "127.0.0.1").verdict, V::kOk);
}

TEST(UserStoreTest, AcceptsHashedAndPlainEntries) {
  std::string path = TempPath("users");
  {
    std::ofstream out(path);
    out << "# comment\nalice@x.com " << HashPassword("s3cret") << "\nbob@x.com plain:pw\r\n";
  }
  auto users = UserStore::Open(path);
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE((*users)->Check("alice@x.com", "s3cret"));
  EXPECT_FALSE((*users)->Check("alice@x.com", "s3cret!"));
  EXPECT_TRUE((*users)->Check("bob@x.com", "pw"));
  EXPECT_FALSE((*users)->Check("carol@x.com", "pw"));
  EXPECT_FALSE((*users)->default_password_active());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ferry::web
