#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/manifest.h"
#include "cli/kubeconfig.h"
#include "cli/printers.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

TEST(Kubeconfig, ReadsCurrentContext) {
  const char* text = R"(apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: https://10.0.0.1:443}
- name: ferry
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTg==
contexts:
- name: ferry
  context: {cluster: ferry, user: admin, namespace: team}
current-context: ferry
users:
- name: admin
  user: {token: secret-token}
)";
  auto c = ParseKubeconfig(text, "k");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "-----BEGIN");
  EXPECT_EQ(c->token, "secret-token");
  EXPECT_EQ(c->name_space, "team");
}

TEST(Kubeconfig, MissingContextIsAnError) {
  auto c = ParseKubeconfig("current-context: nope\ncontexts: []\n", "k");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("nope"), std::string::npos);
}

TEST(Kubeconfig, PathDefaults) {
  EXPECT_EQ(KubeconfigPath("/d", ""), "/d/kubeconfig");
  EXPECT_EQ(KubeconfigPath("/d", "/k"), "/k");
}

TEST(Printers, TableAlignsAndSkipsWideColumns) {
  json table = {{"columnDefinitions",
                 {{{"name", "Name"}, {"priority", 0}},
                  {{"name", "URL"}, {"priority", 0}},
                  {{"name", "Extra"}, {"priority", 1}}}},
                {"rows",
                 {{{"cells", {"irish-s3", "http://irish-s3.ns.example.com", "x"}},
                   {"object", {{"metadata", {{"namespace", "ns"}}}}}}}}};
  EXPECT_EQ(FormatTable(table, false, false),
            "NAME       URL\nirish-s3   http://irish-s3.ns.example.com\n");
  EXPECT_EQ(FormatTable(table, true, true),
            "NAMESPACE   NAME       URL                              EXTRA\n"
            "ns          irish-s3   http://irish-s3.ns.example.com   x\n");
}

TEST(Printers, YamlRoundTripsTypes) {
  json v = {{"a", "123"},    {"b", 123},           {"c", "true"},
            {"d", {1, "x"}}, {"e", "two\nlines"},  {"h", "pem\nblock\n"},
            {"f", nullptr},  {"g", json::object()}};
  auto back = api::ParseOneManifest(ToYaml(v));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ((*back)["a"], "123");
  EXPECT_EQ((*back)["b"], 123);
  EXPECT_EQ((*back)["c"], "true");
  EXPECT_EQ((*back)["d"], json({1, "x"}));
  EXPECT_EQ((*back)["e"], "two\nlines");
  EXPECT_EQ((*back)["h"], "pem\nblock\n");
}

TEST(Printers, DescribeTitlesKeys) {
  json obj = {{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "s"}, {"namespace", "n"}, {"creationTimestamp", "t"}}},
              {"stringData", {{"AWS_ACCESS_KEY_ID", "k"}}}};
  std::string d = DescribeObject(obj);
  EXPECT_NE(d.find("Name:         s\n"), std::string::npos) << d;
  EXPECT_NE(d.find("  Creation Timestamp:  t\n"), std::string::npos) << d;
  EXPECT_NE(d.find("String Data:\n"), std::string::npos) << d;
}

TEST(Printers, EventsTable) {
  json events = {{"items",
                  {{{"type", "Normal"},
                    {"reason", "RevisionReady"},
                    {"message", "ok"},
                    {"source", {{"component", "ferry-controller"}}}}}}};
  std::string e = DescribeEvents(events);
  EXPECT_NE(e.find("RevisionReady"), std::string::npos);
  EXPECT_EQ(DescribeEvents(json::object()), "Events:  <none>\n");
}

}  // namespace
}  // namespace ferry::cli
