#include "serving/request_context.h"

#include <random>

namespace ferry::serving {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Lower-case hex only: the spec forbids upper case in traceparent.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <size_t N>
bool ParseHex(std::string_view s, std::array<uint8_t, N>* out) {
  if (s.size() != 2 * N) return false;
  bool any = false;
  for (size_t i = 0; i < N; ++i) {
    int hi = HexValue(s[2 * i]), lo = HexValue(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
    any = any || (*out)[i] != 0;
  }
  return any;  // all zeros is invalid for both ids
}

// One generator per thread, seeded once from the OS with 256 bits.
std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng;
}

void AppendHex(uint64_t v, int digits, std::string* out) {
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xf]);
}

std::string NewUuid4() {
  uint64_t a = Rng()(), b = Rng()();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10xx
  std::string out;
  out.reserve(36);
  AppendHex(a >> 32, 8, &out);
  out.push_back('-');
  AppendHex((a >> 16) & 0xffff, 4, &out);
  out.push_back('-');
  AppendHex(a & 0xffff, 4, &out);
  out.push_back('-');
  AppendHex(b >> 48, 4, &out);
  out.push_back('-');
  AppendHex(b & 0xffffffffffffULL, 12, &out);
  return out;
}

uint64_t NonZero() {
  uint64_t v;
  do {
    v = Rng()();
  } while (v == 0);
  return v;
}

}  // namespace

std::string_view RequestContext::trace_id() const {
  return traceparent.size() == 55 ? std::string_view(traceparent).substr(3, 32)
                                  : std::string_view();
}

std::string_view RequestContext::span_id() const {
  return traceparent.size() == 55 ? std::string_view(traceparent).substr(36, 16)
                                  : std::string_view();
}

bool WellFormedRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=' ||
              c == '@';
    if (!ok) return false;
  }
  return true;
}

bool ParseTraceParent(std::string_view v, TraceParent* out) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55.
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  int v_hi = HexValue(v[0]), v_lo = HexValue(v[1]);
  if (v_hi < 0 || v_lo < 0) return false;
  int version = v_hi << 4 | v_lo;
  if (version == 0xff) return false;
  // Version 00 is exactly 55 characters; a later version may go on after a '-'.
  if (version == 0 ? v.size() != 55 : (v.size() > 55 && v[55] != '-')) return false;
  TraceParent tp;
  if (!ParseHex(v.substr(3, 32), &tp.trace_id) || !ParseHex(v.substr(36, 16), &tp.parent_id)) {
    return false;
  }
  int f_hi = HexValue(v[53]), f_lo = HexValue(v[54]);
  if (f_hi < 0 || f_lo < 0) return false;
  tp.flags = static_cast<uint8_t>(f_hi << 4 | f_lo);
  *out = tp;
  return true;
}

bool AcceptableTraceState(std::string_view v) {
  if (v.empty() || v.size() > kMaxTraceStateLength) return false;
  for (char c : v) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

RequestContext MakeRequestContext(std::string_view x_request_id, std::string_view traceparent,
                                  std::string_view tracestate, int traceparent_count) {
  RequestContext ctx;
  ctx.request_id = WellFormedRequestId(x_request_id) ? std::string(x_request_id) : NewUuid4();
  ctx.traceparent.reserve(55);
  ctx.traceparent.append("00-");
  TraceParent tp;
  if (traceparent_count == 1 && ParseTraceParent(traceparent, &tp)) {
    for (uint8_t b : tp.trace_id) {
      ctx.traceparent.push_back(kHex[b >> 4]);
      ctx.traceparent.push_back(kHex[b & 0xf]);
    }
    if (AcceptableTraceState(tracestate)) ctx.tracestate.assign(tracestate);
  } else {
    AppendHex(NonZero(), 16, &ctx.traceparent);
    AppendHex(Rng()(), 16, &ctx.traceparent);
    tp.flags = 0;  // a new trace Ferry does not record: not sampled
  }
  ctx.traceparent.push_back('-');
  AppendHex(NonZero(), 16, &ctx.traceparent);
  ctx.traceparent.push_back('-');
  // Only the sampled flag is defined for version 00; the caller's decision is kept.
  AppendHex(tp.flags & 0x01, 2, &ctx.traceparent);
  return ctx;
}

}  // namespace ferry::serving
