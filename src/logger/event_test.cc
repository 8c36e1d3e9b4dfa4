#include "logger/event.h"
#include "logger/http_pipeline.h"

#include <gtest/gtest.h>

#include <ctime>

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
                  {"traceparent", "00-abc-def-01"},     {"x-request-id", "r1"},
                  {"Ce-Id", "second"},                  {"Content-Type", "text/plain"}};
  CallInfo c = ReadCall(spec, h, "fresh");
  EXPECT_EQ(c.id(), "given");
  EXPECT_EQ(c.lines,
            "Ce-Id: given\r\nCe-Metadata: {\"X-Tenant\":[\"a\",\"b\"]}\r\n"
            "Content-Type: application/json\r\ntraceparent: 00-abc-def-01\r\nx-request-id: r1\r\n");
  CallInfo none = ReadCall(spec, {{"host", "x"}}, "fresh", "application/x-protobuf");
  EXPECT_EQ(none.id(), "fresh");
  EXPECT_EQ(none.lines,
            "Ce-Id: fresh\r\nCe-Metadata: {}\r\nContent-Type: application/x-protobuf\r\n");
  // The gRPC content type wins over a header; no content type at all means no line.
  CallInfo grpc = ReadCall(LoggerSpec{}, {{"content-type", "application/grpc"}}, "g",
                           "application/x-protobuf");
  EXPECT_NE(grpc.lines.find("Content-Type: application/x-protobuf\r\n"), std::string::npos);
  EXPECT_EQ(ReadCall(LoggerSpec{}, {}, "n").lines, "Ce-Id: n\r\nCe-Metadata: {}\r\n");
}

TEST(BuildEventTest, KServeHeaders) {
  LoggerSpec spec;
  spec.url = "http://127.0.0.1:9/";
  EventSource src{"iris", "team", "predictor", "default", "iris-predictor-00001-deployment-x"};
  CallInfo call = ReadCall(spec, {{"content-type", "application/json"}, {"x-request-id", "r"}},
                           "id-1");
  Event e = BuildEvent(spec, src, call, true, "{}");
  EXPECT_EQ(e.url(), spec.url);
  EXPECT_EQ(e.body(), "{}");
  std::vector<std::string> lines = e.HeaderLines();
  auto has = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
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
  EXPECT_TRUE(has("x-request-id: r"));
  EXPECT_FALSE(has("Content-Type:"));
  EXPECT_EQ(lines.size(), 12u);
  CallInfo bare = ReadCall(spec, {}, "id-2");
  Event r = BuildEvent(spec, src, bare, false, "x");
  lines = r.HeaderLines();
  EXPECT_TRUE(has("Ce-Type: org.kubeflow.serving.inference.request"));
  EXPECT_TRUE(has("Content-Type:"));  // no header at all, rather than libcurl's default
  EXPECT_EQ(r.own_headers().find("Content-Type"), std::string_view::npos);
}

TEST(BuildEventTest, SharedTargetAndOneBufferPerEvent) {
  LoggerSpec spec;
  spec.url = "http://127.0.0.1:9/log";
  EventSource src{"iris", "team", "predictor", "default", "pod-1"};
  auto target = MakeEventTarget(spec, src);
  EXPECT_EQ(target->fixed_headers,
            "Ce-Specversion: 1.0\r\nCe-Source: pod-1\r\nCe-Inferenceservicename: iris\r\n"
            "Ce-Namespace: team\r\nCe-Component: predictor\r\nCe-Endpoint: default\r\n");
  CallInfo call = ReadCall(spec, {}, "id-1", "application/x-protobuf");
  std::string body(1000, 'b');
  Event req = BuildEvent(target, call, false, body);
  Event res = BuildEvent(target, call, true, "answer");
  EXPECT_EQ(req.target.get(), target.get());
  EXPECT_EQ(res.target.get(), target.get());
  EXPECT_EQ(req.body(), body);
  EXPECT_EQ(res.body(), "answer");
  EXPECT_EQ(req.own_headers().substr(0, 58),
            "Ce-Type: org.kubeflow.serving.inference.request\r\nCe-Time: ");
  EXPECT_NE(req.own_headers().find("\r\nCe-Id: id-1\r\n"), std::string_view::npos);
  EXPECT_NE(req.own_headers().find("\r\nContent-Type: application/x-protobuf\r\n"),
            std::string_view::npos);
  EXPECT_EQ(req.own_headers().substr(req.own_headers().size() - 2), "\r\n");
  EXPECT_EQ(req.Bytes(), req.data.size());
  EXPECT_EQ(req.data.capacity(), req.data.size());  // sized once, not grown
}

TEST(Rfc3339NanoTest, Shape) {
  std::string t = Rfc3339NanoNow();
  ASSERT_GE(t.size(), 20u);
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

std::string Format(std::chrono::system_clock::time_point t) {
  char buf[kRfc3339NanoMax];
  return std::string(buf, FormatRfc3339Nano(t, buf));
}

TEST(Rfc3339NanoTest, AsGoFormatsIt) {
  using std::chrono::nanoseconds;
  using std::chrono::seconds;
  std::chrono::system_clock::time_point epoch;
  EXPECT_EQ(Format(epoch), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Format(epoch + seconds(951782400) + nanoseconds(120000000)),
            "2000-02-29T00:00:00.12Z");  // a leap day; trailing zeros cut
  EXPECT_EQ(Format(epoch + seconds(1796601599) + nanoseconds(999999999)),
            "2026-12-06T23:59:59.999999999Z");
  EXPECT_EQ(Format(epoch + seconds(4102444800) + nanoseconds(1)),
            "2100-01-01T00:00:00.000000001Z");
}

TEST(Rfc3339NanoTest, AgreesWithGmtimeOverManyDays) {
  // Every day of 1970..2199 at a varying time of day, against the C library's calendar.
  for (int64_t day = 0; day < 230 * 366; day += 1) {
    int64_t secs = day * 86400 + (day * 7919) % 86400;
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char want[32];
    size_t n = std::strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
    ASSERT_EQ(Format(std::chrono::system_clock::time_point(std::chrono::seconds(secs))),
              std::string(want, n))
        << secs;
  }
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
