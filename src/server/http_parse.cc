#include "server/http_parse.h"

#include "server/http_message.h"

namespace ferry::server {
namespace http = boost::beast::http;

namespace internal {

RequestParser::RequestParser(const HttpServerOptions& options, HttpRequest* out)
    : out_(out),
      max_header_count_(options.max_header_count),
      max_body_bytes_(options.max_body_bytes) {
  header_limit(static_cast<uint32_t>(options.max_header_bytes));
  body_limit(options.max_body_bytes);
  eager(true);
}

void RequestParser::on_request_impl(verb, string_view method_str, string_view target,
                                    int version, error_code&) {
  version_ = static_cast<unsigned>(version);
  out_->method.assign(method_str.data(), method_str.size());
  out_->target.assign(target.data(), target.size());
}

void RequestParser::on_field_impl(field, string_view name_string, string_view value,
                                  error_code& ec) {
  // Envoy-style field-count limit: answered as 431 like an oversized header.
  if (out_->headers.size() >= max_header_count_) {
    ec = http::error::header_limit;
    return;
  }
  if (out_->headers.empty()) out_->headers.reserve(8);
  auto& [name, val] = out_->headers.emplace_back();
  name.resize(name_string.size());
  for (size_t i = 0; i < name_string.size(); ++i) {
    char c = name_string[i];
    name[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  val.assign(value.data(), value.size());
}

void RequestParser::on_header_impl(error_code&) {
  SplitTarget(out_->target, &out_->path, &out_->query);
  out_->keep_alive = keep_alive();
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code&) {
  // Beast has already rejected a Content-Length above the body limit.
  if (content_length) out_->body.reserve(std::min<uint64_t>(*content_length, max_body_bytes_));
}

size_t RequestParser::on_body_impl(string_view body, error_code&) {
  out_->body.append(body.data(), body.size());
  return body.size();
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  out_->body.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_finish_impl(error_code&) { out_->keep_alive = keep_alive(); }

FrameError ClassifyParseError(const boost::beast::error_code& ec) {
  if (ec == http::error::header_limit) return FrameError::kHeaderTooLarge;
  if (ec == http::error::body_limit) return FrameError::kBodyTooLarge;
  return FrameError::kMalformed;
}

}  // namespace internal

ParsedRequests ParseHttpRequests(std::string_view bytes, const HttpServerOptions& options) {
  ParsedRequests out;
  while (out.consumed < bytes.size()) {
    HttpRequest req;
    internal::RequestParser parser(options, &req);
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
    out.requests.push_back(std::move(req));
  }
  return out;
}

}  // namespace ferry::server
