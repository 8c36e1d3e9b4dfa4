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
//
// Beast 1.74 is lenient where request smuggling lives: it ignores a
// Transfer-Encoding whose last coding is not `chunked` (the body then parses
// as the next request), accepts Transfer-Encoding next to a Content-Length it
// saw first only in one order, joins obs-fold lines and accepts repeated equal
// Content-Lengths. RequestParser refuses all of these as Envoy does (RFC 9112
// §5-§6): the listener answers 400 (501 for a coding it does not implement)
// and closes. Every check runs on bytes Beast already holds; none allocates.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <optional>

#include "http/http_parse.h"

namespace ferry::http::internal {

// Why RequestParser refused a request that Beast's grammar accepted.
enum class FramingError {
  kUnknownMethod = 1,
  kTargetNotAscii,
  kObsFold,
  kRepeatedContentLength,
  kRepeatedTransferEncoding,
  kTransferEncodingInHttp10,
  kTransferEncodingWithContentLength,
  kChunkedTwice,
  kChunkedNotFinal,
  kUnsupportedTransferCoding,  // answered 501, the others 400
};
boost::beast::error_code MakeError(FramingError e);

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

  // Records one Transfer-Encoding field's codings (a list, in order).
  void NoteTransferCodings(string_view value);
  // Why the Transfer-Encoding seen cannot frame this request, if it cannot.
  std::optional<FramingError> TransferEncodingError() const;

  HttpRequest* out_;
  size_t max_header_count_;
  size_t max_body_bytes_;
  unsigned version_ = 11;
  bool header_done_ = false;  // later fields are chunked trailers: dropped, as Envoy does
  // Framing fields seen in the header section (checked in on_header_impl).
  bool content_length_ = false;
  bool transfer_encoding_ = false;
  bool last_coding_chunked_ = false;
  bool other_coding_ = false;  // any coding but chunked
  unsigned chunked_codings_ = 0;
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

}  // namespace ferry::http::internal
