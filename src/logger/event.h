// Payload logging events: what spec.predictor.logger asks for (LoggerSpec, parsed once from the
// InferenceService) and the CloudEvents a logged inference produces, in HTTP binary mode as
// KServe's agent (pkg/logger) sends them: ce-specversion 1.0, ce-id shared by a request and its
// response (the incoming Ce-Id, else a new UUID), ce-type org.kubeflow.serving.inference.request
// or .response, ce-source the pod name, ce-time, the extensions ce-inferenceservicename,
// ce-namespace, ce-component, ce-endpoint and ce-metadata (JSON of the metadataHeaders the
// request carried, names in Go's canonical form), and the request's Content-Type on both events.
// Header values are sent as they are (KServe's CloudEvents SDK does not percent-encode either).
//
// Who calls: api (admission) and controller parse with ParseLoggerSpec; serving builds events on
// the request path (BuildEvent makes one allocation and never blocks). Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ferry::logger {

enum class Mode { kAll, kRequest, kResponse };

inline constexpr char kRequestType[] = "org.kubeflow.serving.inference.request";
inline constexpr char kResponseType[] = "org.kubeflow.serving.inference.response";

struct LoggerSpec {
  Mode mode = Mode::kAll;
  std::string url;  // http:// or https://, checked by ParseLoggerSpec
  // metadataHeaders, in Go's canonical form ("X-Request-Id"); matched case-insensitively.
  std::vector<std::string> metadata_headers;

  bool LogsRequest() const { return mode != Mode::kResponse; }
  bool LogsResponse() const { return mode != Mode::kRequest; }
};

// Parses `logger` (the JSON at `field`, e.g. "spec.predictor.logger"). Errors are
// InvalidArgument naming the field, the value and the fix: mode not all/request/response, a url
// that is missing (Ferry has no default broker), unparsable, not http(s) or without a host, a
// metadataHeaders entry that is not a header name.
StatusOr<LoggerSpec> ParseLoggerSpec(const nlohmann::json& logger, std::string_view field);

// Go's textproto.CanonicalMIMEHeaderKey: "x-request-id" → "X-Request-Id".
std::string CanonicalHeaderKey(std::string_view name);

// Where events come from: the CloudEvents source and KServe's extension attributes.
struct EventSource {
  std::string inference_service;
  std::string ns;
  std::string component = "predictor";
  std::string endpoint = "default";
  std::string source;  // the pod name, as KServe's agent injector passes --source-uri
};

// Incoming headers as the serving core sees them (lower- or mixed-case names).
using HeaderList = std::vector<std::pair<std::string_view, std::string_view>>;

// What a request's event and its response's event share, read from the request once and
// formatted once: the lines "Ce-Id: ...", "Ce-Metadata: ...", "Content-Type: ..." (only when the
// request had one) and the trace headers as they came ("traceparent: ...", "x-request-id: ..."),
// each CRLF-ended, in that order.
struct CallInfo {
  std::string lines;
  std::string_view id() const;  // ce-id's value
};

// Reads the request's headers once: ce-id (`new_id` when it has none), content type (the
// header's, or `content_type` when non-empty: gRPC calls), metadata, trace headers.
CallInfo ReadCall(const LoggerSpec& spec, const HeaderList& headers, std::string_view new_id,
                  std::string_view content_type = {});

// What every event of one logger (one InferenceService) shares, formatted once when its
// first event is built rather than per event: the receiver's URL and the header lines that do
// not change between calls (ce-specversion, ce-source and KServe's extensions), CRLF-ended.
struct EventTarget {
  std::string url;
  std::string fixed_headers;
};

std::shared_ptr<const EventTarget> MakeEventTarget(const LoggerSpec& spec,
                                                   const EventSource& source);

// One CloudEvent, ready for the wire in one buffer (one allocation per event): the lines that
// differ per event (ce-id, ce-type, ce-time, ce-metadata, the content type when there is one,
// trace headers), each "Name: value\r\n", then the body at `body_at`.
struct Event {
  std::shared_ptr<const EventTarget> target;
  std::string data;
  size_t body_at = 0;

  const std::string& url() const { return target->url; }
  std::string_view own_headers() const { return std::string_view(data).substr(0, body_at); }
  std::string_view body() const { return std::string_view(data).substr(body_at); }
  // Every header line without its CRLF, the shared ones first; "Content-Type:" (libcurl's way
  // of sending no such header) when the request had none. For libcurl and tests.
  std::vector<std::string> HeaderLines() const;
  // What the event holds on its own (the shared target is counted once, not per event).
  size_t Bytes() const { return data.size(); }
};

// Builds an event: copies `body` and the call's lines into the event's one buffer.
Event BuildEvent(std::shared_ptr<const EventTarget> target, const CallInfo& call, bool response,
                 std::string_view body);
// The same, formatting the target anew (tests, one-off events).
Event BuildEvent(const LoggerSpec& spec, const EventSource& source, const CallInfo& call,
                 bool response, std::string_view body);

// `t` as Go's RFC3339Nano in UTC into `out` (at least kRfc3339NanoMax chars, not terminated);
// returns the length. No locks and no allocation (gmtime_r takes glibc's timezone lock).
inline constexpr size_t kRfc3339NanoMax = 40;
size_t FormatRfc3339Nano(std::chrono::system_clock::time_point t, char* out);

// Time now as Go's RFC3339Nano in UTC ("2026-12-07T01:02:03.123456789Z", trailing zeros cut).
std::string Rfc3339NanoNow();

}  // namespace ferry::logger
