// Checks Ferry's S3 request shape against botocore reference signatures
// (tests/fixtures/storage/sigv4_vectors.json, generated offline by
// gen_sigv4_vectors.py): the canonical path and query Ferry builds must equal
// botocore's, and the Authorization header libcurl computes for Ferry's URL
// (captured by a one-shot loopback listener) must carry botocore's signature.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "storage/http_client.h"
#include "storage/s3_config.h"
#include "storage/s3_path.h"
#include "storage/s3_provider.h"

namespace ferry::storage {
namespace {

nlohmann::json LoadVectors() {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/tests/fixtures/storage/sigv4_vectors.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

// Builds the URL Ferry would request for a vector.
std::string FerryUrl(const nlohmann::json& v) {
  S3Config cfg;
  auto ep = ParseEndpoint(v["base"].get<std::string>(), "test");
  EXPECT_TRUE(ep.ok());
  cfg.endpoint = ep->host;
  cfg.use_https = false;
  std::string bucket = v["bucket"], key = v["key"];
  if (!key.empty()) return S3ObjectUrl(cfg, bucket, key);
  std::map<std::string, std::string> params = v["params"].get<std::map<std::string, std::string>>();
  return S3ListUrl(cfg, bucket, CanonicalQuery(params));
}

// Lines 2 and 3 of the canonical request: path and query.
std::pair<std::string, std::string> PathAndQuery(const std::string& creq) {
  size_t a = creq.find('\n');
  size_t b = creq.find('\n', a + 1);
  size_t c = creq.find('\n', b + 1);
  return {creq.substr(a + 1, b - a - 1), creq.substr(b + 1, c - b - 1)};
}

TEST(SigV4Test, CanonicalPathAndQueryMatchBotocore) {
  for (const auto& v : LoadVectors()) {
    SCOPED_TRACE(v["name"].get<std::string>());
    std::string url = FerryUrl(v);
    std::string after_host = url.substr(url.find('/', url.find("://") + 3));
    std::string path = after_host.substr(0, after_host.find('?'));
    std::string query = after_host.find('?') == std::string::npos
                            ? ""
                            : after_host.substr(after_host.find('?') + 1);
    auto [want_path, want_query] = PathAndQuery(v["canonical_request"]);
    EXPECT_EQ(path, want_path);
    EXPECT_EQ(query, want_query);
  }
}

// Accepts one HTTP request on 127.0.0.1 and returns its header block.
class CaptureServer {
 public:
  CaptureServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 1);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CaptureServer() {
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string Request() {
    thread_.join();
    thread_ = std::thread([] {});
    return request_;
  }

 private:
  void Serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
    }
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!::write(c, resp.data(), resp.size());
    ::close(c);
  }
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

std::string HeaderValue(const std::string& request, const std::string& name) {
  std::string lower = request;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  size_t p = lower.find("\r\n" + name + ":");
  if (p == std::string::npos) return "";
  size_t b = p + 3 + name.size();
  while (request[b] == ' ') ++b;
  return request.substr(b, request.find("\r\n", b) - b);
}

TEST(SigV4Test, LibcurlSignatureOfFerryUrlMatchesBotocore) {
  for (const auto& v : LoadVectors()) {
    SCOPED_TRACE(v["name"].get<std::string>());
    CaptureServer server;
    HttpRequest req;
    req.method = v["method"];
    req.url = FerryUrl(v);
    std::string host = req.url.substr(7, req.url.find('/', 7) - 7);
    req.connect_to.push_back(host + ":127.0.0.1:" + std::to_string(server.port()));
    req.headers = {
        "x-amz-content-sha256: "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "X-Amz-Date: " + v["amz_date"].get<std::string>()};
    if (v.contains("session_token")) {
      // As S3Provider sends temporary keys: libcurl must sign the token too.
      req.headers.push_back("x-amz-security-token: " + v["session_token"].get<std::string>());
    }
    req.sigv4_region = v["region"];
    req.access_key = v["access_key"];
    req.secret_key = v["secret_key"];
    HttpResponse resp = PerformHttp(req);
    ASSERT_TRUE(resp.transport_ok()) << resp.failure_detail;
    std::string auth = HeaderValue(server.Request(), "authorization");
    EXPECT_NE(auth.find("SignedHeaders=" + v["signed_headers"].get<std::string>() + ","),
              std::string::npos)
        << auth;
    EXPECT_NE(auth.find("Signature=" + v["signature"].get<std::string>()), std::string::npos)
        << auth;
  }
}

}  // namespace
}  // namespace ferry::storage
