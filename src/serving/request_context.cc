#include "serving/request_context.h"

#include <algorithm>
#include <cstring>
#include <random>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ferry::serving {
namespace {

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

// xoshiro256** (Blackman & Vigna), one per thread, seeded once from the OS with 256 bits: a
// few nanoseconds per id where std::mt19937_64 and per-character appends cost hundreds.
class Rng {
 public:
  Rng() {
    std::random_device rd;
    for (uint64_t& w : s_) w = (uint64_t{rd()} << 32) ^ rd();
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
  }
  uint64_t operator()() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

Rng& ThreadRng() {
  thread_local Rng rng;
  return rng;
}

// The 16 lower-case hex digits of v, most significant first, at out; returns the end. All
// sixteen at once: a byte per nibble, then the digit of each.
char* PutHex16(uint64_t v, char* out) {
#if defined(__SSE2__)
  const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(__builtin_bswap64(v)));
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const __m128i nibbles =
      _mm_unpacklo_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), low4), _mm_and_si128(bytes, low4));
  const __m128i letters =
      _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
  const __m128i digits = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), digits);
#else
  for (int i = 15; i >= 0; --i, v >>= 4) {
    const int n = static_cast<int>(v & 0xf);
    out[i] = static_cast<char>(n < 10 ? '0' + n : 'a' + n - 10);
  }
#endif
  return out + 16;
}

uint64_t NonZero(Rng& rng) {
  uint64_t v;
  do {
    v = rng();
  } while (v == 0);
  return v;
}

}  // namespace

char* WriteUuid4(char* out) {
  Rng& rng = ThreadRng();
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10xx
  // 8-4-4-4-12 digits: a's 16, then b's.
  char digits[32];
  PutHex16(b, PutHex16(a, digits));
  std::memcpy(out, digits, 8);
  out[8] = '-';
  std::memcpy(out + 9, digits + 8, 4);
  out[13] = '-';
  std::memcpy(out + 14, digits + 12, 4);
  out[18] = '-';
  std::memcpy(out + 19, digits + 16, 4);
  out[23] = '-';
  std::memcpy(out + 24, digits + 20, 12);
  return out + 36;
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
  MakeRequestContext(x_request_id, traceparent, tracestate, traceparent_count, &ctx);
  return ctx;
}

void MakeRequestContext(std::string_view x_request_id, std::string_view traceparent,
                        std::string_view tracestate, int traceparent_count, RequestContext* out) {
  RequestContext& ctx = *out;
  Rng& rng = ThreadRng();
  if (WellFormedRequestId(x_request_id)) {
    std::copy(x_request_id.begin(), x_request_id.end(), ctx.id_.begin());
    ctx.id_len_ = static_cast<uint8_t>(x_request_id.size());
  } else {
    ctx.id_len_ = static_cast<uint8_t>(WriteUuid4(ctx.id_.data()) - ctx.id_.data());
  }
  char* p = ctx.parent_.data();
  *p++ = '0';
  *p++ = '0';
  *p++ = '-';
  TraceParent tp;
  ctx.tracestate_.clear();
  if (traceparent_count == 1 && ParseTraceParent(traceparent, &tp)) {
    // Its trace-id as sent: ParseTraceParent took only lower-case hex.
    std::memcpy(p, traceparent.data() + 3, 32);
    p += 32;
    if (AcceptableTraceState(tracestate)) ctx.tracestate_.assign(tracestate);
  } else {
    p = PutHex16(NonZero(rng), p);
    p = PutHex16(rng(), p);
    tp.flags = 0;  // a new trace Ferry does not record: not sampled
  }
  *p++ = '-';
  p = PutHex16(NonZero(rng), p);
  *p++ = '-';
  // Only the sampled flag is defined for version 00; the caller's decision is kept.
  *p++ = '0';
  *p++ = (tp.flags & 0x01) != 0 ? '1' : '0';
  ctx.parent_len_ = static_cast<uint8_t>(p - ctx.parent_.data());
}

}  // namespace ferry::serving
