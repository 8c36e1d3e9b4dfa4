// Internal to ferry_http (http_server.cc, http_parse.cc): the Beast-facing
// half of request framing. Kept out of public headers so Beast stays inside
// the listener library.
#pragma once

#include <boost/beast/http.hpp>

#include "server/http_parse.h"

namespace ferry::server::internal {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Applies the byte limits of `options` to a fresh parser.
void ConfigureParser(BeastParser& parser, const HttpServerOptions& options);

// Checks the header-field count and fills method, target (+path/query),
// lower-cased headers, body and keep-alive from a parsed message (the body
// is moved out). kHeaderTooLarge when there are too many fields.
FrameError FillRequest(BeastRequest& msg, const HttpServerOptions& options, HttpRequest* req);

// The FrameError for a Beast parse error code.
FrameError ClassifyParseError(const boost::beast::error_code& ec);

}  // namespace ferry::server::internal
