#include "logger/event.h"
#include "logger/http_pipeline.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ferry::logger {
namespace {

using nlohmann::json;

std::string ErrorOf(const json& j) {
  auto s = ParseLoggerSpec(j, "spec.predictor.logger");
  return s.ok() ? "" : s.status().message();
}

TEST(LoggerSpecTest, ParsesModesUrlAndHeaders) {
  auto s = ParseLoggerSpec(json{{"url", "http://127.0.0.1:8080/log"},
                                {"mode", "request"},
                                {"metadataHeaders", {"x-tenant", "X-Request-ID"}}},
                           "spec.predictor.logger");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->mode, Mode::kRequest);
  EXPECT_TRUE(s->LogsRequest());
  EXPECT_FALSE(s->LogsResponse());
  EXPECT_EQ(s->metadata_headers, (std::vector<std::string>{"X-Tenant", "X-Request-Id"}));
  auto d = ParseLoggerSpec(json{{"url", "https://sink.example.com"}}, "f");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->mode, Mode::kAll);
}

TEST(LoggerSpecTest, RefusalsNameTheField) {
  EXPECT_NE(ErrorOf(json{{"url", "http://a/"}, {"mode", "both"}})
                .find("spec.predictor.logger.mode is \"both\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(json::object()).find("spec.predictor.logger.url is required"),
            std::string::npos);
  EXPECT_NE(ErrorOf(json{{"url", "ftp://a/"}}).find("scheme ftp is not supported"),
            std::string::npos);
  EXPECT_NE(ErrorOf(json{{"url", "not a url"}}).find("spec.predictor.logger.url"),
            std::string::npos);
  EXPECT_NE(ErrorOf(json{{"url", "http://a/"}, {"metadataHeaders", {"bad header"}}})
                .find("not an HTTP header name"),
            std::string::npos);
  EXPECT_NE(ErrorOf(json{{"url", "http://a/"}, {"metadataHeaders", "x"}}).find("list"),
            std::string::npos);
}

TEST(CanonicalHeaderKeyTest, AsGo) {
  EXPECT_EQ(CanonicalHeaderKey("x-request-id"), "X-Request-Id");
  EXPECT_EQ(CanonicalHeaderKey("CE-ID"), "Ce-Id");
  EXPECT_EQ(CanonicalHeaderKey("a b"), "a b");
}

TEST(ReadCallTest, IdContentTypeMetadataAndTrace) {
  LoggerSpec spec;
  spec.metadata_headers = {"X-Tenant", "X-Missing"};
  HeaderList h = {{"content-type", "application/json"}, {"x-tenant", "a"},
                  {"ce-id", "given"},                   {"X-Tenant", "b"},
                  {"traceparent", "00-abc-def-01"},     {"x-request-id", "r1"}};
  CallInfo c = ReadCall(spec, h, "fresh");
  EXPECT_EQ(c.id, "given");
  EXPECT_EQ(c.content_type, "application/json");
  EXPECT_EQ(c.metadata_json, R"({"X-Tenant":["a","b"]})");
  EXPECT_EQ(c.trace, (std::vector<std::string>{"traceparent: 00-abc-def-01", "x-request-id: r1"}));
  CallInfo none = ReadCall(spec, {}, "fresh", "application/x-protobuf");
  EXPECT_EQ(none.id, "fresh");
  EXPECT_EQ(none.content_type, "application/x-protobuf");
  EXPECT_EQ(none.metadata_json, "{}");
}

TEST(BuildEventTest, KServeHeaders) {
  LoggerSpec spec;
  spec.url = "http://127.0.0.1:9/";
  EventSource src{"iris", "team", "predictor", "default", "iris-predictor-00001-deployment-x"};
  CallInfo call = ReadCall(spec, {{"content-type", "application/json"}}, "id-1");
  Event e = BuildEvent(spec, src, call, true, "{}");
  EXPECT_EQ(e.url, spec.url);
  EXPECT_EQ(e.body, "{}");
  auto has = [&](const std::string& line) {
    return std::find(e.headers.begin(), e.headers.end(), line) != e.headers.end();
  };
  EXPECT_TRUE(has("Ce-Specversion: 1.0"));
  EXPECT_TRUE(has("Ce-Id: id-1"));
  EXPECT_TRUE(has("Ce-Type: org.kubeflow.serving.inference.response"));
  EXPECT_TRUE(has("Ce-Source: iris-predictor-00001-deployment-x"));
  EXPECT_TRUE(has("Ce-Inferenceservicename: iris"));
  EXPECT_TRUE(has("Ce-Namespace: team"));
  EXPECT_TRUE(has("Ce-Component: predictor"));
  EXPECT_TRUE(has("Ce-Endpoint: default"));
  EXPECT_TRUE(has("Ce-Metadata: {}"));
  EXPECT_TRUE(has("Content-Type: application/json"));
  CallInfo bare = ReadCall(spec, {}, "id-2");
  Event r = BuildEvent(spec, src, bare, false, "x");
  EXPECT_NE(std::find(r.headers.begin(), r.headers.end(), "Content-Type:"), r.headers.end());
}

TEST(Rfc3339NanoTest, Shape) {
  std::string t = Rfc3339NanoNow();
  ASSERT_GE(t.size(), 20u);
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

TEST(HttpTargetTest, HostPortPathAndHostHeader) {
  HttpTarget t;
  ASSERT_TRUE(ParseHttpTarget("http://127.0.0.1:8080/log?x=1", &t));
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, "8080");
  EXPECT_EQ(t.path, "/log?x=1");
  EXPECT_EQ(t.host_header, "127.0.0.1:8080");
  ASSERT_TRUE(ParseHttpTarget("http://sink.default.svc.cluster.local", &t));
  EXPECT_EQ(t.port, "80");
  EXPECT_EQ(t.path, "/");
  EXPECT_EQ(t.host_header, "sink.default.svc.cluster.local");
  ASSERT_TRUE(ParseHttpTarget("http://[::1]:9/", &t));
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.host_header, "[::1]:9");
  EXPECT_FALSE(ParseHttpTarget("https://a/", &t));
  EXPECT_FALSE(ParseHttpTarget("nonsense", &t));
}

}  // namespace
}  // namespace ferry::logger
