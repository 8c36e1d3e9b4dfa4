// RequestContext: who a request is, end to end — its `x-request-id` and its W3C Trace Context
// (`traceparent`, `tracestate`) — built once where the request enters Ferry (the gateway's
// IngressHandler and GrpcIngress, `ferry serve`'s ModelRouter and gRPC service) and carried to
// everything that acts for it: the response header, the access log, request-error lines in the
// InferenceService log, the ext-authz check request, and the serving core (PreparedInfer::context
// for RunInfer; ModelRouter::Call::context for the V1 and MLflow routes), where payload-logger
// events and inference-graph steps copy it.
//
// As Envoy does: a well-formed `x-request-id` from the client is kept, otherwise a version 4 UUID
// is generated. A valid `traceparent` (W3C Trace Context level 1: version 00, or a later version
// read as 00; lower-case hex; trace-id and parent-id not all zeros) continues its trace: Ferry
// takes part as one span, so the trace-id and flags are kept and the parent-id forwarded is a new
// span id of Ferry's own; `tracestate` is kept with it. A missing or invalid `traceparent` is not
// refused: it is ignored (with its `tracestate`) and a new trace is started.
//
// Threads: pure functions; random ids come from a per-thread generator seeded once per thread
// (no syscall per request).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::serving {

// A parsed traceparent.
struct TraceParent {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> parent_id{};
  uint8_t flags = 0;
};

// Longest x-request-id kept from a client (Envoy's UUIDs are 36).
inline constexpr size_t kMaxRequestIdLength = 128;
inline constexpr size_t kTraceParentLength = 55;

// Ids are kept inline (no allocation on the request path); copyable.
class RequestContext {
 public:
  // As answered in the response's x-request-id (empty only for a default-constructed context).
  std::string_view request_id() const { return {id_.data(), id_len_}; }
  // "00-<trace-id>-<Ferry's span id>-<flags>", as forwarded (empty: default-constructed).
  std::string_view traceparent() const { return {parent_.data(), parent_len_}; }
  // The client's, when its traceparent was valid; else empty.
  const std::string& tracestate() const { return tracestate_; }
  // The 32 hex digits of the trace-id (empty when there is no trace).
  std::string_view trace_id() const { return traceparent().substr(3, parent_len_ ? 32 : 0); }
  // Ferry's span id (16 hex digits; empty when there is no trace).
  std::string_view span_id() const { return traceparent().substr(36, parent_len_ ? 16 : 0); }

 private:
  friend void MakeRequestContext(std::string_view, std::string_view, std::string_view, int,
                                 RequestContext*);
  std::array<char, kMaxRequestIdLength> id_;
  std::array<char, kTraceParentLength> parent_;
  uint8_t id_len_ = 0;
  uint8_t parent_len_ = 0;
  std::string tracestate_;
};
// Longest tracestate kept (the spec's 32 members of up to 256 bytes may be truncated).
inline constexpr size_t kMaxTraceStateLength = 512;

// Writes a random (version 4) UUID, 36 characters, at `out` from the thread's generator;
// returns the end. Unique, not secret: request and response ids.
char* WriteUuid4(char* out);

// 1..kMaxRequestIdLength characters of [A-Za-z0-9._:/+=@-]: safe in a header, a log line and JSON
// without escaping.
bool WellFormedRequestId(std::string_view id);

// Parses a traceparent value per W3C Trace Context; false when it is invalid.
bool ParseTraceParent(std::string_view value, TraceParent* out);

// A tracestate value worth forwarding: printable ASCII, at most kMaxTraceStateLength bytes.
bool AcceptableTraceState(std::string_view value);

// The context for a request that carried these header values (empty when absent).
// `traceparent_count`: how many traceparent fields came (more than one is invalid).
RequestContext MakeRequestContext(std::string_view x_request_id, std::string_view traceparent,
                                  std::string_view tracestate, int traceparent_count = 1);
// The same into *out, which may hold an earlier request's context (every field is written).
void MakeRequestContext(std::string_view x_request_id, std::string_view traceparent,
                        std::string_view tracestate, int traceparent_count, RequestContext* out);

// Header names, lower case.
inline constexpr std::string_view kRequestIdHeader = "x-request-id";
inline constexpr std::string_view kTraceParentHeader = "traceparent";
inline constexpr std::string_view kTraceStateHeader = "tracestate";

}  // namespace ferry::serving
