// Test helpers shared by the framing tests (http_fast_parse_test.cc, http_repeat_framer_test.cc):
// small limits that make every limit reachable, and a field-by-field request comparison.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "http/http_server.h"
#include "http/http_types.h"

namespace ferry::http::testing {

inline HttpServerOptions SmallLimits() {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  o.max_body_bytes = 64;
  o.max_header_count = 8;
  return o;
}

// Every field a framer fills, compared; `bytes` (the input) is printed on a difference.
inline void ExpectSameFields(const HttpRequest& x, const HttpRequest& y, const std::string& bytes) {
  EXPECT_EQ(x.method, y.method) << bytes;
  EXPECT_EQ(x.target, y.target) << bytes;
  EXPECT_EQ(x.path, y.path) << bytes;
  EXPECT_EQ(x.query, y.query) << bytes;
  EXPECT_EQ(x.headers, y.headers) << bytes;
  EXPECT_EQ(x.body, y.body) << bytes;
  EXPECT_EQ(x.keep_alive, y.keep_alive) << bytes;
}

}  // namespace ferry::http::testing
