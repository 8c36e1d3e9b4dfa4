#include "api/encoding.h"

#include <gtest/gtest.h>

#include "api/kube_protobuf.h"
#include "api/request_path.h"

namespace ferry::api {
namespace {

TEST(EncodingTest, HumanDuration) {
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(seconds(3)), "3s");
  EXPECT_EQ(HumanDuration(seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(seconds(310)), "5m10s");
  EXPECT_EQ(HumanDuration(seconds(3600)), "60m");
  EXPECT_EQ(HumanDuration(seconds(5 * 3600 + 60)), "5h1m");
  EXPECT_EQ(HumanDuration(seconds(2 * 86400)), "2d");
}

TEST(EncodingTest, TimeRoundTrip) {
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(ParseRfc3339("2024-01-02T03:04:05Z", &t));
  EXPECT_EQ(Rfc3339(t), "2024-01-02T03:04:05Z");
  EXPECT_FALSE(ParseRfc3339("yesterday", &t));
  EXPECT_NE(NewUid(), NewUid());
  EXPECT_EQ(NewUid().size(), 36u);
}

TEST(RequestPathTest, Forms) {
  auto p =
      ParseResourcePath("/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/x/status");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->group, "serving.kserve.io");
  EXPECT_EQ(p->ns, "ns");
  EXPECT_EQ(p->plural, "inferenceservices");
  EXPECT_EQ(p->name, "x");
  EXPECT_EQ(p->subresource, "status");
  p = ParseResourcePath("/api/v1/namespaces/ns");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->plural, "namespaces");
  EXPECT_EQ(p->name, "ns");
  EXPECT_EQ(p->ns, "");
  p = ParseResourcePath("/api/v1/secrets");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->plural, "secrets");
  EXPECT_FALSE(ParseResourcePath("/version"));
  auto q = ParseQuery("fieldSelector=metadata.name%3Dx&watch=true&labelSelector=a+in+(b)");
  EXPECT_EQ(q["fieldSelector"], "metadata.name=x");
  EXPECT_EQ(q["labelSelector"], "a in (b)");
}

std::string Len(int field, const std::string& bytes) {
  return std::string(1, char(field << 3 | 2)) + char(bytes.size()) + bytes;
}

std::string Envelope(const std::string& api_version, const std::string& kind,
                     const std::string& raw) {
  return std::string("k8s\0", 4) + Len(1, Len(1, api_version) + Len(2, kind)) + Len(2, raw);
}

TEST(KubeProtobufTest, TokenRequest) {
  // spec(2): {audiences(1)="ferry", expirationSeconds(4)=1200}
  std::string spec = Len(1, "ferry") + std::string("\x20\xb0\x09", 3);
  auto j = DecodeKubeProtobuf(Envelope("authentication.k8s.io/v1", "TokenRequest", Len(2, spec)));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["spec"]["audiences"][0], "ferry");
  EXPECT_EQ((*j)["spec"]["expirationSeconds"], 1200);
  EXPECT_EQ((*j)["kind"], "TokenRequest");
}

TEST(KubeProtobufTest, ServicePortsWithIntOrString) {
  std::string target =
      std::string("\x08\x00\x10\x90\x3f\x1a\x00", 7);  // type 0, intVal 8080, strVal ""
  std::string port = Len(1, "http") + std::string("\x18\x50", 2) + Len(4, target);
  std::string raw = Len(1, Len(1, "web")) + Len(2, Len(1, port) + Len(4, "ClusterIP"));
  auto j = DecodeKubeProtobuf(Envelope("v1", "Service", raw));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ((*j)["spec"]["ports"][0]["targetPort"], 8080) << j->dump();
  EXPECT_EQ((*j)["spec"]["type"], "ClusterIP");
}

TEST(KubeProtobufTest, SecretWithMapsAndErrors) {
  std::string meta = Len(1, "s3creds") + Len(11, Len(1, "app") + Len(2, "x"));
  std::string raw = Len(1, meta) + Len(2, Len(1, "k") + Len(2, "minio")) + Len(3, "Opaque");
  auto j = DecodeKubeProtobuf(Envelope("v1", "Secret", raw));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["metadata"]["name"], "s3creds");
  EXPECT_EQ((*j)["metadata"]["labels"]["app"], "x");
  EXPECT_EQ((*j)["data"]["k"], "bWluaW8=");
  EXPECT_EQ((*j)["type"], "Opaque");
  EXPECT_FALSE(DecodeKubeProtobuf("k8s").ok());
  EXPECT_FALSE(DecodeKubeProtobuf(std::string("k8s\0\x12\x7f", 6)).ok());
  EXPECT_FALSE(DecodeKubeProtobuf(Envelope("batch/v1", "Job", "")).ok());
}

}  // namespace
}  // namespace ferry::api
