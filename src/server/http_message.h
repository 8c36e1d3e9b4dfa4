// Internal to ferry_http (http_server.cc, http_parse.cc, http_response_head.cc):
// the Beast-facing half of request framing and the response head writer.
// Kept out of public headers so Beast stays inside the listener library.
//
// RequestParser runs Beast's HTTP/1.x grammar (request line, fields,
// Content-Length and chunked bodies, header/body byte limits) and writes
// straight into an HttpRequest: no Beast message or field list is built and
// then copied, which is most of the per-request cost of framing. One parser
// per request (Beast parsers are single-message); it is cheap to construct.
// Single-threaded, like the connection that owns it.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include "server/http_parse.h"

namespace ferry::server::internal {

class RequestParser : public boost::beast::http::basic_parser<true> {
 public:
  // Applies the limits of `options`; fills `*out`, which must outlive the
  // parser and start empty (a default-constructed HttpRequest).
  RequestParser(const HttpServerOptions& options, HttpRequest* out);
  // HTTP version of the request line: 10 or 11.
  unsigned version() const { return version_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  using field = boost::beast::http::field;
  using verb = boost::beast::http::verb;

  void on_request_impl(verb method, string_view method_str, string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  HttpRequest* out_;
  size_t max_header_count_;
  size_t max_body_bytes_;
  unsigned version_ = 11;
};

// The FrameError for a Beast parse error code.
FrameError ClassifyParseError(const boost::beast::error_code& ec);

// False for 1xx, 204 and 304: such responses carry no body and no Content-Length.
bool ResponseHasBody(int status);

// Appends the status line and header block of `r` (ending in the blank line)
// to `out`: Server, Date, Content-Type, the handler's headers except the
// framing ones (Content-Length, Transfer-Encoding, Connection), which the
// listener writes itself from `keep_alive`, `version` (10 or 11) and the body size.
void AppendResponseHead(const HttpResponse& r, unsigned version, bool keep_alive,
                        std::string_view date, std::string* out);

}  // namespace ferry::server::internal
