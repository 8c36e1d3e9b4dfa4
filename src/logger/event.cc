#include "logger/event.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "logger/header_name.h"

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

namespace {

void AppendLine(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

size_t LineSize(std::string_view name, std::string_view value) {
  return name.size() + 2 + value.size() + 2;
}

// Days since 1970-01-01 to year/month/day (proleptic Gregorian; Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

char* Digits(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

}  // namespace

std::string_view CallInfo::id() const {
  std::string_view v(lines);
  if (v.substr(0, 7) != "Ce-Id: ") return {};
  v.remove_prefix(7);
  return v.substr(0, v.find("\r\n"));
}

CallInfo ReadCall(const LoggerSpec& spec, const HeaderList& headers, std::string_view new_id,
                  std::string_view content_type) {
  // One pass picks the values out (by name length first: most headers are none of these).
  std::string_view id, type = content_type;
  bool got_type = !content_type.empty();
  size_t trace_bytes = 0;
  for (const auto& [name, value] : headers) {
    switch (name.size()) {
      case 5:
        if (id.empty() && MatchesLower(name, "ce-id")) id = value;
        break;
      case 11:
        if (MatchesLower(name, "traceparent")) trace_bytes += name.size() + value.size() + 4;
        break;
      case 12:
        if (!got_type && MatchesLower(name, "content-type")) {
          type = value;
          got_type = true;
        } else if (MatchesLower(name, "x-request-id")) {
          trace_bytes += name.size() + value.size() + 4;
        }
        break;
      default:
        break;
    }
  }
  if (id.empty()) id = new_id;
  std::string metadata = "{}";
  if (!spec.metadata_headers.empty()) {
    // Go's json.Marshal of map[string][]string: keys sorted, values in arrival order.
    std::map<std::string, std::vector<std::string>> found;
    for (const auto& [name, value] : headers) {
      for (const std::string& wanted : spec.metadata_headers) {
        if (EqualsIgnoreCase(name, wanted)) found[wanted].emplace_back(value);
      }
    }
    if (!found.empty()) metadata = json(found).dump();
  }
  CallInfo call;
  call.lines.reserve(LineSize("Ce-Id", id) + LineSize("Ce-Metadata", metadata) +
                     (type.empty() ? 0 : LineSize("Content-Type", type)) + trace_bytes);
  AppendLine(call.lines, "Ce-Id", id);
  AppendLine(call.lines, "Ce-Metadata", metadata);
  if (!type.empty()) AppendLine(call.lines, "Content-Type", type);
  if (trace_bytes > 0) {
    for (const auto& [name, value] : headers) {
      if ((name.size() == 11 && MatchesLower(name, "traceparent")) ||
          (name.size() == 12 && MatchesLower(name, "x-request-id"))) {
        AppendLine(call.lines, name, value);
      }
    }
  }
  return call;
}


std::shared_ptr<const EventTarget> MakeEventTarget(const LoggerSpec& spec,
                                                   const EventSource& source) {
  auto t = std::make_shared<EventTarget>();
  t->url = spec.url;
  AppendLine(t->fixed_headers, "Ce-Specversion", "1.0");
  AppendLine(t->fixed_headers, "Ce-Source", source.source);
  AppendLine(t->fixed_headers, "Ce-Inferenceservicename", source.inference_service);
  AppendLine(t->fixed_headers, "Ce-Namespace", source.ns);
  AppendLine(t->fixed_headers, "Ce-Component", source.component);
  AppendLine(t->fixed_headers, "Ce-Endpoint", source.endpoint);
  return t;
}

std::vector<std::string> Event::HeaderLines() const {
  std::vector<std::string> lines;
  bool content_type = false;
  for (std::string_view block : {std::string_view(target->fixed_headers), own_headers()}) {
    while (!block.empty()) {
      size_t end = block.find("\r\n");
      std::string_view line = block.substr(0, end);
      content_type = content_type || (line.size() > 13 && MatchesLower(line.substr(0, 13),
                                                                       "content-type:"));
      lines.emplace_back(line);
      block.remove_prefix(end == std::string_view::npos ? block.size() : end + 2);
    }
  }
  if (!content_type) lines.emplace_back("Content-Type:");
  return lines;
}

Event BuildEvent(std::shared_ptr<const EventTarget> target, const CallInfo& call, bool response,
                 std::string_view body) {
  char time[kRfc3339NanoMax];
  std::string_view now(time, FormatRfc3339Nano(std::chrono::system_clock::now(), time));
  std::string_view type = response ? kResponseType : kRequestType;
  Event e;
  e.target = std::move(target);
  e.body_at = LineSize("Ce-Type", type) + LineSize("Ce-Time", now) + call.lines.size();
  e.data.resize(e.body_at + body.size());  // the one allocation; filled in place below
  char* p = e.data.data();
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  put("Ce-Type: ");
  put(type);
  put("\r\nCe-Time: ");
  put(now);
  put("\r\n");
  put(call.lines);
  put(body);
  return e;
}

Event BuildEvent(const LoggerSpec& spec, const EventSource& source, const CallInfo& call,
                 bool response, std::string_view body) {
  return BuildEvent(MakeEventTarget(spec, source), call, response, body);
}

size_t FormatRfc3339Nano(std::chrono::system_clock::time_point t, char* out) {
  using namespace std::chrono;
  int64_t ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
  uint64_t frac = static_cast<uint64_t>(ns - secs * 1000000000);
  // "YYYY-MM-DDTHH:MM:SS" changes once a second: formatted once per second per thread.
  constexpr size_t kSecondsLen = 19;
  thread_local int64_t cached_secs = INT64_MIN;
  thread_local char cached[kSecondsLen];
  if (secs != cached_secs) {
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    uint64_t in_day = static_cast<uint64_t>(secs - days * 86400);
    int64_t year;
    unsigned month, day;
    CivilFromDays(days, &year, &month, &day);
    char* p = cached;
    p = Digits(p, static_cast<uint64_t>(std::clamp<int64_t>(year, 0, 9999)), 4);
    *p++ = '-';
    p = Digits(p, month, 2);
    *p++ = '-';
    p = Digits(p, day, 2);
    *p++ = 'T';
    p = Digits(p, in_day / 3600, 2);
    *p++ = ':';
    p = Digits(p, in_day / 60 % 60, 2);
    *p++ = ':';
    Digits(p, in_day % 60, 2);
    cached_secs = secs;
  }
  std::memcpy(out, cached, kSecondsLen);
  char* p = out + kSecondsLen;
  if (frac > 0) {
    *p++ = '.';
    int width = 9;
    while (frac % 10 == 0) {  // Go's RFC3339Nano cuts trailing zeros
      frac /= 10;
      --width;
    }
    p = Digits(p, frac, width);
  }
  *p++ = 'Z';
  return static_cast<size_t>(p - out);
}

std::string Rfc3339NanoNow() {
  char buf[kRfc3339NanoMax];
  return std::string(buf, FormatRfc3339Nano(std::chrono::system_clock::now(), buf));
}

}  // namespace ferry::logger
