#include "logger/event.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>


namespace ferry::logger {
namespace {

using nlohmann::json;

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The scheme and host of `url` as libcurl's URL parser reads it; an error names what is wrong.
Status CheckUrl(const std::string& url, std::string_view field) {
  std::string where = std::string(field) + ".url";
  CURLU* h = curl_url();
  if (h == nullptr) return InternalError("out of memory parsing " + where);
  std::string scheme, host;
  bool parsed = curl_url_set(h, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  if (parsed) {
    char* part = nullptr;
    if (curl_url_get(h, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) scheme = part;
    curl_free(part);
    part = nullptr;
    if (curl_url_get(h, CURLUPART_HOST, &part, 0) == CURLUE_OK) host = part;
    curl_free(part);
  }
  curl_url_cleanup(h);
  if (!parsed) {
    return InvalidArgumentError(where + " is \"" + url +
                                "\", which is not a URL; give the receiver's absolute URL, such "
                                "as http://message-dumper.default.svc.cluster.local/");
  }
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError(where + " is \"" + url + "\": scheme " + scheme +
                                " is not supported; payload logs are sent over http:// or "
                                "https://");
  }
  if (host.empty()) {
    return InvalidArgumentError(where + " is \"" + url + "\" and names no host; give the "
                                "receiver's absolute URL");
  }
  return OkStatus();
}

}  // namespace

std::string CanonicalHeaderKey(std::string_view name) {
  std::string out(name);
  for (char c : out) {
    if (!IsTokenChar(c) || c == ' ') return out;  // Go leaves invalid keys unchanged
  }
  bool upper = true;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    upper = c == '-';
  }
  return out;
}

StatusOr<LoggerSpec> ParseLoggerSpec(const json& logger, std::string_view field) {
  std::string f(field);
  if (!logger.is_object()) {
    return InvalidArgumentError(f + " is " + logger.dump() +
                                "; it must be an object with mode, url and metadataHeaders");
  }
  LoggerSpec spec;
  if (auto m = logger.find("mode"); m != logger.end() && !m->is_null()) {
    if (*m == "all") {
      spec.mode = Mode::kAll;
    } else if (*m == "request") {
      spec.mode = Mode::kRequest;
    } else if (*m == "response") {
      spec.mode = Mode::kResponse;
    } else {
      return InvalidArgumentError(f + ".mode is " + m->dump() +
                                  "; it must be \"all\" (the default), \"request\" or "
                                  "\"response\"");
    }
  }
  auto url = logger.find("url");
  if (url == logger.end() || !url->is_string() || url->get<std::string>().empty()) {
    return InvalidArgumentError(
        f + ".url is required: Ferry has no default broker to send payload logs to; give the "
            "receiver's URL, such as http://message-dumper.default.svc.cluster.local/");
  }
  spec.url = url->get<std::string>();
  RETURN_IF_ERROR(CheckUrl(spec.url, field));
  if (auto h = logger.find("metadataHeaders"); h != logger.end() && !h->is_null()) {
    if (!h->is_array()) {
      return InvalidArgumentError(f + ".metadataHeaders is " + h->dump() +
                                  "; it must be a list of header names");
    }
    for (const json& name : *h) {
      bool ok = name.is_string() && !name.get<std::string>().empty();
      for (char c : ok ? name.get<std::string>() : std::string()) ok = ok && IsTokenChar(c);
      if (!ok) {
        return InvalidArgumentError(f + ".metadataHeaders has " + name.dump() +
                                    ", which is not an HTTP header name");
      }
      spec.metadata_headers.push_back(CanonicalHeaderKey(name.get<std::string>()));
    }
  }
  return spec;
}

CallInfo ReadCall(const LoggerSpec& spec, const HeaderList& headers, std::string new_id,
                  std::string_view content_type) {
  CallInfo call;
  // Go's json.Marshal of map[string][]string: keys sorted, values in arrival order.
  std::map<std::string, std::vector<std::string>> metadata;
  for (const auto& [name, value] : headers) {
    if (call.id.empty() && EqualsIgnoreCase(name, "ce-id")) call.id = value;
    if (content_type.empty() && call.content_type.empty() &&
        EqualsIgnoreCase(name, "content-type")) {
      call.content_type = value;
    }
    if (EqualsIgnoreCase(name, "traceparent") || EqualsIgnoreCase(name, "x-request-id")) {
      call.trace.push_back(std::string(name) + ": " + std::string(value));
    }
    for (const std::string& wanted : spec.metadata_headers) {
      if (EqualsIgnoreCase(name, wanted)) metadata[wanted].emplace_back(value);
    }
  }
  if (call.id.empty()) call.id = std::move(new_id);
  if (!content_type.empty()) call.content_type = content_type;
  call.metadata_json = metadata.empty() ? "{}" : json(metadata).dump();
  return call;
}

size_t Event::Bytes() const {
  size_t n = url.size() + body.size();
  for (const std::string& h : headers) n += h.size();
  return n;
}

Event BuildEvent(const LoggerSpec& spec, const EventSource& source, const CallInfo& call,
                 bool response, std::string body) {
  Event e;
  e.url = spec.url;
  e.body = std::move(body);
  e.headers.reserve(12 + call.trace.size());
  e.headers.push_back("Ce-Specversion: 1.0");
  e.headers.push_back("Ce-Id: " + call.id);
  e.headers.push_back(std::string("Ce-Type: ") + (response ? kResponseType : kRequestType));
  e.headers.push_back("Ce-Source: " + source.source);
  e.headers.push_back("Ce-Time: " + Rfc3339NanoNow());
  e.headers.push_back("Ce-Inferenceservicename: " + source.inference_service);
  e.headers.push_back("Ce-Namespace: " + source.ns);
  e.headers.push_back("Ce-Component: " + source.component);
  e.headers.push_back("Ce-Endpoint: " + source.endpoint);
  e.headers.push_back("Ce-Metadata: " + call.metadata_json);
  // "Name:" with nothing after the colon makes libcurl send no such header (not its form default).
  e.headers.push_back(call.content_type.empty() ? "Content-Type:"
                                                : "Content-Type: " + call.content_type);
  for (const std::string& t : call.trace) e.headers.push_back(t);
  return e;
}

std::string Rfc3339NanoNow() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  long nanos = static_cast<long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count());
  std::time_t t = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (nanos > 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%09ld", nanos);
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

}  // namespace ferry::logger
