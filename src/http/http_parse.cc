#include "http/http_parse.h"

#include <optional>

#include "common/strings.h"
#include "http/http_fast_parse.h"
#include "http/http_message.h"

namespace ferry::http {
namespace bhttp = boost::beast::http;

namespace internal {
namespace {

class FramingCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "ferry.http.framing"; }
  std::string message(int ev) const override {
    switch (static_cast<FramingError>(ev)) {
      case FramingError::kUnknownMethod:
        return "unknown method (methods are case-sensitive: GET, POST, PUT, ...)";
      case FramingError::kTargetNotAscii:
        return "the request-target holds bytes outside US-ASCII; percent-encode them";
      case FramingError::kObsFold:
        return "a header line starts with a space or tab (obsolete line folding, RFC 9112 "
               "section 5.2); send each field on one line";
      case FramingError::kRepeatedContentLength:
        return "Content-Length is given more than once; send exactly one value";
      case FramingError::kRepeatedTransferEncoding:
        return "Transfer-Encoding is given in more than one field; send one";
      case FramingError::kTransferEncodingInHttp10:
        return "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 section 6.1); use HTTP/1.1 "
               "or Content-Length";
      case FramingError::kTransferEncodingWithContentLength:
        return "both Transfer-Encoding and Content-Length are present (RFC 9112 section 6.1); "
               "send only one of them";
      case FramingError::kChunkedTwice:
        return "Transfer-Encoding lists chunked more than once";
      case FramingError::kChunkedNotFinal:
        return "Transfer-Encoding does not end with chunked, so the body length is unknown "
               "(RFC 9112 section 6.1); send Transfer-Encoding: chunked or a Content-Length";
      case FramingError::kUnsupportedTransferCoding:
        return "Transfer-Encoding lists a coding other than chunked; only chunked is "
               "implemented, send the body unencoded";
    }
    return "request framing refused";
  }
};

const FramingCategory kFramingCategory;

bool IsOws(char c) { return c == ' ' || c == '\t'; }

// Beast joins obs-fold continuation lines into one value (in a buffer of its
// own, or starting on the continuation line when the first line is empty).
// An unfolded value starts right after "name:" and its OWS in the received
// bytes, and is followed by OWS CRLF and a line that does not start with SP
// or HTAB. Beast only parses fields once the whole section (ending in CRLF
// CRLF) is buffered, so p[2] below is always inside it.
bool Folded(std::string_view name, std::string_view value) {
  const char* p = name.data() + name.size() + 1;  // past the ':'
  while (IsOws(*p)) ++p;
  if (p != value.data()) return true;
  p += value.size();
  while (IsOws(*p)) ++p;
  return IsOws(p[2]);
}

}  // namespace

boost::beast::error_code MakeError(FramingError e) {
  return {static_cast<int>(e), kFramingCategory};
}

RequestParser::RequestParser(const HttpServerOptions& options, HttpRequest* out)
    : out_(out),
      max_header_count_(options.max_header_count),
      max_body_bytes_(options.max_body_bytes) {
  header_limit(static_cast<uint32_t>(options.max_header_bytes));
  body_limit(options.max_body_bytes);
  eager(true);
}

void RequestParser::on_request_impl(verb method, string_view method_str, string_view target,
                                    int version, error_code& ec) {
  // Envoy's codec knows the same list of methods and refuses others
  // (allow_custom_methods is off by default).
  if (method == verb::unknown) {
    ec = MakeError(FramingError::kUnknownMethod);
    return;
  }
  // Beast refuses controls and spaces in the target but lets bytes >= 0x80
  // through; the request-target grammar is US-ASCII (so is Envoy's check).
  for (char c : target) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ec = MakeError(FramingError::kTargetNotAscii);
      return;
    }
  }
  version_ = static_cast<unsigned>(version);
  out_->method.assign(method_str.data(), method_str.size());
  out_->target.assign(target.data(), target.size());
}

void RequestParser::NoteTransferCodings(string_view value) {
  transfer_encoding_ = true;
  while (!value.empty()) {
    size_t comma = value.find(',');
    string_view coding = value.substr(0, comma);
    value = comma == string_view::npos ? string_view() : value.substr(comma + 1);
    while (!coding.empty() && IsOws(coding.front())) coding.remove_prefix(1);
    while (!coding.empty() && IsOws(coding.back())) coding.remove_suffix(1);
    if (coding.empty()) continue;  // empty list elements are ignored (RFC 9110 section 5.6.1)
    last_coding_chunked_ = EqualsIgnoreCase({coding.data(), coding.size()}, "chunked");
    if (last_coding_chunked_) {
      ++chunked_codings_;
    } else {
      other_coding_ = true;
    }
  }
}

// RFC 9112 section 6.1; Content-Length next to Transfer-Encoding first, as
// Envoy checks it.
std::optional<FramingError> RequestParser::TransferEncodingError() const {
  if (version_ < 11) return FramingError::kTransferEncodingInHttp10;
  if (content_length_) return FramingError::kTransferEncodingWithContentLength;
  if (chunked_codings_ > 1) return FramingError::kChunkedTwice;
  if (!last_coding_chunked_) return FramingError::kChunkedNotFinal;
  if (other_coding_) return FramingError::kUnsupportedTransferCoding;
  return std::nullopt;
}

void RequestParser::on_field_impl(field f, string_view name_string, string_view value,
                                  error_code& ec) {
  if (Folded({name_string.data(), name_string.size()}, {value.data(), value.size()})) {
    ec = MakeError(FramingError::kObsFold);
    return;
  }
  if (header_done_) return;  // a trailer field: not part of the request's headers
  if (f == field::transfer_encoding) {
    // One field line: a parser that reads only the first would frame the
    // body differently (Balsa refuses repeats too).
    if (transfer_encoding_) {
      ec = MakeError(FramingError::kRepeatedTransferEncoding);
      return;
    }
    NoteTransferCodings(value);
  } else if (f == field::content_length) {
    // Beast accepts "5, 5" and a second equal field; RFC 9110 section 8.6
    // lets a recipient refuse them, and Envoy does.
    if (content_length_ || value.find(',') != string_view::npos) {
      ec = MakeError(FramingError::kRepeatedContentLength);
      return;
    }
    content_length_ = true;
  }
  // Envoy-style field-count limit: answered as 431 like an oversized header.
  if (out_->headers.size() >= max_header_count_) {
    ec = bhttp::error::header_limit;
    return;
  }
  if (out_->headers.empty()) out_->headers.reserve(8);
  auto& [name, val] = out_->headers.emplace_back();
  // Lower-cased through plain pointers: a store through name[i] may alias the string's own
  // pointer and size, which the compiler would then reload for every byte.
  const size_t n = name_string.size();
  name.resize(n);
  const char* from = name_string.data();
  char* to = name.data();
  for (size_t i = 0; i < n; ++i) {
    char c = from[i];
    to[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  val.assign(value.data(), value.size());
}

void RequestParser::on_header_impl(error_code& ec) {
  header_done_ = true;
  if (transfer_encoding_) {
    std::optional<FramingError> e = TransferEncodingError();
    // What frames the body is Beast's reading of the field: it must agree.
    if (!e && !chunked()) e = FramingError::kChunkedNotFinal;
    if (e) {
      ec = MakeError(*e);
      return;
    }
  }
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
  if (ec == MakeError(FramingError::kUnsupportedTransferCoding)) {
    return FrameError::kNotImplemented;
  }
  if (ec == bhttp::error::header_limit) return FrameError::kHeaderTooLarge;
  if (ec == bhttp::error::body_limit) return FrameError::kBodyTooLarge;
  return FrameError::kMalformed;
}

}  // namespace internal

ParsedRequests ParseHttpRequests(std::string_view bytes, const HttpServerOptions& options,
                                 bool common_fast_path) {
  ParsedRequests out;
  while (out.consumed < bytes.size()) {
    HttpRequest req;
    if (common_fast_path) {
      if (size_t n = internal::ParseCommonRequest(bytes.substr(out.consumed), options, &req)) {
        out.consumed += n;
        out.requests.push_back(std::move(req));
        continue;
      }
    }
    internal::RequestParser parser(options, &req);
    size_t start = out.consumed;
    boost::beast::error_code ec;
    while (!parser.is_done() && out.consumed < bytes.size()) {
      size_t n = parser.put(
          boost::asio::buffer(bytes.data() + out.consumed, bytes.size() - out.consumed), ec);
      if (ec == bhttp::error::need_more) {
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

}  // namespace ferry::http
