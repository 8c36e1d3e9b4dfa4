// Internal to ferry_http: framing of the common HTTP/1.1 request without Beast — a request
// line of a known method, a US-ASCII target and HTTP/1.1, plain `name: value` fields, and
// either no body or a Content-Length body, all already in the buffer.
//
// The connection (http_connection.h) and ParseHttpRequests (http_parse.cc) try it first on
// bytes that start a request. Whatever it does not recognise — another version, a byte outside
// the plain grammar, Transfer-Encoding, Upgrade, a Connection value other than `close` or
// `keep-alive`, a repeated or odd Content-Length, a header section or body near a limit, an
// incomplete request — makes it decline, and Beast's parser with RequestParser's checks
// (http_message.h) frames the request as before. So every refusal (400, 413, 431, 501) and its
// message still comes from there; this only accepts requests that path accepts, with the same
// HttpRequest. The server_http_fuzz target checks that on every input it accepts.
//
// Thread-safe (no state); writes *out only when it accepts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/http_server.h"
#include "http/http_types.h"

namespace ferry::http::internal {

// Where the parts of a request ParseCommonRequest accepted lie in its bytes (RepeatFramer's
// record of it): offsets from the first byte.
struct RequestLayout {
  struct Field {
    uint32_t name_off, name_len, value_off, value_len;
  };
  uint32_t header_bytes = 0;  // through the blank line
  uint32_t target_off = 0;    // the method is [0, target_off - 1)
  int32_t length_field = -1;  // the Content-Length field's index, -1 when it has none
  std::vector<Field> fields;  // in order, as out->headers
};

// Bytes of the request at the front of `bytes` when it was framed into *out (method, target,
// path, query, headers with lower-case names, body, keep_alive; the version is 1.1); 0 when it
// declined, *out then untouched. `out` may hold an earlier request, whose buffers are then
// reused: every field named above is overwritten (remote_address, local_port and received are
// the caller's). When it accepts, *layout (if given) says where each part was. *need (if given)
// is set to the size of the whole request when it declined only because `bytes` holds part of
// its body (the header section is whole and would be accepted), else to 0: a client that writes
// the header section and the body separately (python's http.client) can wait for the rest here.
size_t ParseCommonRequest(std::string_view bytes, const HttpServerOptions& options,
                          HttpRequest* out, RequestLayout* layout = nullptr,
                          size_t* need = nullptr);

}  // namespace ferry::http::internal
