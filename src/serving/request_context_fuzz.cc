// Fuzz target: "<x-request-id>\n<traceparent>\n<tracestate>\n<count>" — the header values a
// client sends (count: one digit, how many traceparent fields came; 1 when absent). Whatever
// comes, MakeRequestContext must never crash, and what it forwards must hold the invariants the
// response header, the access log and payload-logger events rely on (std::abort otherwise):
//   - the request id is the client's when well formed, else a version 4 UUID; always safe;
//   - the forwarded traceparent is a valid version-00 traceparent of 55 characters;
//   - it continues the client's trace (trace-id, sampled flag) exactly when the client's was
//     valid and alone, and the tracestate travels only with it;
//   - ParseTraceParent accepts only what W3C Trace Context level 1 allows (checked here
//     independently, character by character).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "serving/request_context.h"

namespace {

using ferry::serving::TraceParent;

bool LowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool AllLowerHex(std::string_view s) {
  for (char c : s) {
    if (!LowerHex(c)) return false;
  }
  return true;
}

// The spec's grammar, written apart from the parser under test.
bool SpecValid(std::string_view v) {
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  std::string_view version = v.substr(0, 2), trace_id = v.substr(3, 32),
                   parent_id = v.substr(36, 16), flags = v.substr(53, 2);
  if (!AllLowerHex(version) || version == "ff" || !AllLowerHex(trace_id) ||
      !AllLowerHex(parent_id) || !AllLowerHex(flags)) {
    return false;
  }
  if (trace_id.find_first_not_of('0') == std::string_view::npos ||
      parent_id.find_first_not_of('0') == std::string_view::npos) {
    return false;
  }
  if (version == "00") return v.size() == 55;
  return v.size() == 55 || v[55] == '-';
}

bool IsUuid4(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !LowerHex(id[i])) return false;
  }
  return id[14] == '4' && std::string_view("89ab").find(id[19]) != std::string_view::npos;
}

std::string_view NextLine(std::string_view* in) {
  size_t nl = in->find('\n');
  std::string_view line = in->substr(0, nl);
  *in = nl == std::string_view::npos ? std::string_view() : in->substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::serving;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view request_id = NextLine(&in);
  std::string_view traceparent = NextLine(&in);
  std::string_view tracestate = NextLine(&in);
  std::string_view count_line = NextLine(&in);
  int count = count_line.size() == 1 && count_line[0] >= '0' && count_line[0] <= '9'
                  ? count_line[0] - '0'
                  : 1;

  TraceParent tp;
  bool parsed = ParseTraceParent(traceparent, &tp);
  if (parsed != SpecValid(traceparent)) std::abort();

  RequestContext ctx = MakeRequestContext(request_id, traceparent, tracestate, count);

  std::string_view id = ctx.request_id();
  if (!WellFormedRequestId(id)) std::abort();
  if (WellFormedRequestId(request_id) ? id != request_id : !IsUuid4(id)) std::abort();

  std::string_view out = ctx.traceparent();
  TraceParent fwd;
  if (out.size() != kTraceParentLength || out.substr(0, 3) != "00-" ||
      !ParseTraceParent(out, &fwd)) {
    std::abort();
  }
  if (fwd.flags > 1 || ctx.trace_id() != out.substr(3, 32) || ctx.span_id() != out.substr(36, 16)) {
    std::abort();
  }
  bool continued = parsed && count == 1;
  if (continued) {
    if (fwd.trace_id != tp.trace_id || fwd.flags != (tp.flags & 0x01)) std::abort();
    bool keep_state = AcceptableTraceState(tracestate);
    if (keep_state ? ctx.tracestate() != tracestate : !ctx.tracestate().empty()) std::abort();
  } else if (fwd.flags != 0 || !ctx.tracestate().empty()) {
    std::abort();  // a new trace Ferry does not record, without the client's tracestate
  }
  return 0;
}
