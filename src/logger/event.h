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
// the request path (BuildEvent is allocation-light and never blocks). Pure functions; thread-safe.
#pragma once

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

// What a request's event and its response's event share.
struct CallInfo {
  std::string id;                 // ce-id
  std::string content_type;       // the request's Content-Type ("" when it had none)
  std::string metadata_json;      // ce-metadata
  std::vector<std::string> trace;  // "traceparent: ..." / "x-request-id: ..." copied through
};

// Reads the request's headers once: ce-id (`new_id` when it has none), content type (the
// header's, or `content_type` when non-empty: gRPC calls), metadata, trace headers.
CallInfo ReadCall(const LoggerSpec& spec, const HeaderList& headers, std::string new_id,
                  std::string_view content_type = {});

struct Event {
  std::string url;
  std::vector<std::string> headers;  // "Name: value" lines, ready for the wire
  std::string body;
  size_t Bytes() const;
};

Event BuildEvent(const LoggerSpec& spec, const EventSource& source, const CallInfo& call,
                 bool response, std::string body);

// Time now as Go's RFC3339Nano in UTC ("2026-12-07T01:02:03.123456789Z", trailing zeros cut).
std::string Rfc3339NanoNow();

}  // namespace ferry::logger
