#include "server/http_parse.h"

#include <iterator>

#include "server/http_message.h"

namespace ferry::server {
namespace http = boost::beast::http;

namespace internal {

void ConfigureParser(BeastParser& parser, const HttpServerOptions& options) {
  parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
}

FrameError FillRequest(BeastRequest& msg, const HttpServerOptions& options, HttpRequest* req) {
  if (static_cast<size_t>(std::distance(msg.begin(), msg.end())) > options.max_header_count) {
    return FrameError::kHeaderTooLarge;
  }
  req->method = std::string(msg.method_string());
  req->target = std::string(msg.target());
  SplitTarget(req->target, &req->path, &req->query);
  req->headers.reserve(8);
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req->headers.emplace_back(std::move(name), std::string(field.value()));
  }
  req->body = std::move(msg.body());
  req->keep_alive = msg.keep_alive();
  return FrameError::kNone;
}

FrameError ClassifyParseError(const boost::beast::error_code& ec) {
  if (ec == http::error::header_limit) return FrameError::kHeaderTooLarge;
  if (ec == http::error::body_limit) return FrameError::kBodyTooLarge;
  return FrameError::kMalformed;
}

}  // namespace internal

ParsedRequests ParseHttpRequests(std::string_view bytes, const HttpServerOptions& options) {
  ParsedRequests out;
  while (out.consumed < bytes.size()) {
    internal::BeastParser parser;
    internal::ConfigureParser(parser, options);
    parser.eager(true);
    size_t start = out.consumed;
    boost::beast::error_code ec;
    while (!parser.is_done() && out.consumed < bytes.size()) {
      size_t n = parser.put(
          boost::asio::buffer(bytes.data() + out.consumed, bytes.size() - out.consumed), ec);
      if (ec == http::error::need_more) {
        // The parser wants more than is left: the request is incomplete.
        out.consumed = start;
        return out;
      }
      if (ec) {
        out.error = internal::ClassifyParseError(ec);
        out.detail = ec.message();
        return out;
      }
      if (n == 0) break;
      out.consumed += n;
    }
    if (!parser.is_done()) {
      out.consumed = start;
      return out;
    }
    HttpRequest req;
    internal::BeastRequest msg = parser.release();
    FrameError e = internal::FillRequest(msg, options, &req);
    if (e != FrameError::kNone) {
      out.error = e;
      return out;
    }
    out.requests.push_back(std::move(req));
  }
  return out;
}

}  // namespace ferry::server
