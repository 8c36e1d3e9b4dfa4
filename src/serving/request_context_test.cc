#include "serving/request_context.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ferry::serving {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(RequestContextTest, KeepsAWellFormedRequestId) {
  RequestContext c = MakeRequestContext("my-id-1", "", "");
  EXPECT_EQ(c.request_id(), "my-id-1");
}

TEST(RequestContextTest, GeneratesAUuid4ForMissingOrMalformedIds) {
  for (std::string_view bad : {std::string_view(""), std::string_view("has space"),
                               std::string_view("quote\"d"), std::string_view("new\nline")}) {
    RequestContext c = MakeRequestContext(bad, "", "");
    ASSERT_EQ(c.request_id().size(), 36u) << bad;
    EXPECT_EQ(c.request_id()[8], '-');
    EXPECT_EQ(c.request_id()[14], '4');  // version 4
    EXPECT_NE(std::string_view("89ab").find(c.request_id()[19]), std::string_view::npos);
  }
  EXPECT_FALSE(WellFormedRequestId(std::string(kMaxRequestIdLength + 1, 'a')));
  EXPECT_TRUE(WellFormedRequestId(std::string(kMaxRequestIdLength, 'a')));
}

TEST(RequestContextTest, GeneratedIdsAreUnique) {
  std::set<std::string> ids, traces;
  for (int i = 0; i < 10000; ++i) {
    RequestContext c = MakeRequestContext("", "", "");
    ids.insert(std::string(c.request_id()));
    traces.insert(std::string(c.trace_id()));
  }
  EXPECT_EQ(ids.size(), 10000u);
  EXPECT_EQ(traces.size(), 10000u);
}

// The digits are written a word at a time: every position of a UUID and of a new trace's ids
// is lower-case hex, and over many ids each position takes all sixteen digits (those the UUID
// layout leaves free).
TEST(RequestContextTest, GeneratedDigitsAreLowerHexAndCoverEveryValue) {
  std::vector<std::set<char>> uuid(36), parent(55);
  for (int i = 0; i < 4000; ++i) {
    char id[36];
    ASSERT_EQ(WriteUuid4(id) - id, 36);
    for (int k = 0; k < 36; ++k) uuid[k].insert(id[k]);
    RequestContext c = MakeRequestContext("", "", "");
    ASSERT_EQ(c.traceparent().size(), 55u);
    for (int k = 0; k < 55; ++k) parent[k].insert(c.traceparent()[k]);
  }
  for (int k = 0; k < 36; ++k) {
    std::string seen(uuid[k].begin(), uuid[k].end());
    if (k == 8 || k == 13 || k == 18 || k == 23) {
      EXPECT_EQ(seen, "-") << k;
    } else if (k == 14) {
      EXPECT_EQ(seen, "4");
    } else if (k == 19) {
      EXPECT_EQ(seen, "89ab");
    } else {
      EXPECT_EQ(seen, "0123456789abcdef") << k;
    }
  }
  for (int k = 0; k < 55; ++k) {
    std::string seen(parent[k].begin(), parent[k].end());
    if (k == 2 || k == 35 || k == 52) {
      EXPECT_EQ(seen, "-") << k;
    } else if (k < 2 || k >= 53) {
      EXPECT_EQ(seen, "0") << k;  // version 00; flags 00 (a new trace is not sampled)
    } else {
      EXPECT_EQ(seen, "0123456789abcdef") << k;
    }
  }
}

TEST(RequestContextTest, ContinuesAValidTraceWithItsOwnSpan) {
  RequestContext c = MakeRequestContext("", kValid, "congo=t61rcWkgMzE");
  ASSERT_EQ(c.traceparent().size(), 55u);
  EXPECT_EQ(c.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(c.span_id(), "00f067aa0ba902b7");
  EXPECT_TRUE(IsLowerHex(c.span_id()));
  EXPECT_EQ(c.traceparent().substr(0, 3), "00-");
  EXPECT_EQ(c.traceparent().substr(52), "-01");
  EXPECT_EQ(c.tracestate(), "congo=t61rcWkgMzE");
  TraceParent tp;
  EXPECT_TRUE(ParseTraceParent(c.traceparent(), &tp));
}

TEST(RequestContextTest, KeepsTheSampledFlagOnly) {
  RequestContext c =
      MakeRequestContext("", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "");
  EXPECT_EQ(c.traceparent().substr(53), "00");
  c = MakeRequestContext("", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", "");
  EXPECT_EQ(c.traceparent().substr(53), "01");
}

TEST(RequestContextTest, InvalidTraceparentsStartANewTrace) {
  const std::string_view bad[] = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",     // short
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",   // 00 longer than 55
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace-id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent-id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version not hex
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // separator
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",    // flags not hex
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",   // later version, no dash
  };
  for (std::string_view v : bad) {
    TraceParent tp;
    EXPECT_FALSE(ParseTraceParent(v, &tp)) << v;
    RequestContext c = MakeRequestContext("", v, "congo=t61rcWkgMzE");
    ASSERT_EQ(c.traceparent().size(), 55u) << v;
    EXPECT_NE(c.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736") << v;
    EXPECT_TRUE(IsLowerHex(c.trace_id())) << v;
    EXPECT_EQ(c.traceparent().substr(53), "00") << v;
    EXPECT_TRUE(c.tracestate().empty()) << v;  // dropped with an invalid traceparent
  }
}

TEST(RequestContextTest, LaterVersionsAreReadAsVersion00) {
  TraceParent tp;
  EXPECT_TRUE(ParseTraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &tp));
  EXPECT_TRUE(
      ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", &tp));
  EXPECT_EQ(tp.flags, 1);
  RequestContext c = MakeRequestContext(
      "", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", "");
  EXPECT_EQ(c.traceparent().substr(0, 35), "00-4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(RequestContextTest, TwoTraceparentFieldsAreInvalid) {
  RequestContext c = MakeRequestContext("", kValid, "", /*traceparent_count=*/2);
  EXPECT_NE(c.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(RequestContextTest, OversizedOrBinaryTracestateIsDropped) {
  EXPECT_TRUE(MakeRequestContext("", kValid, std::string(kMaxTraceStateLength + 1, 'a'))
                  .tracestate().empty());
  EXPECT_TRUE(MakeRequestContext("", kValid, "a=\x01").tracestate().empty());
}

}  // namespace
}  // namespace ferry::serving
