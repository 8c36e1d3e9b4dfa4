#include "serving/traffic_series.h"

#include <bit>
#include <charconv>
#include <cmath>

namespace ferry::serving {
namespace {

int64_t PeriodOf(TrafficSeries::Clock::time_point t) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return s / TrafficSeries::kBucketSeconds;
}

// Upper bound of latency bin i (seconds).
double BinUpper(size_t i) {
  return TrafficSeries::kFirstBinSeconds * std::exp2(static_cast<double>(i) / 2);
}

void AppendNumber(std::string& out, double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, 3);
  std::string_view s(buf, res.ptr - buf);
  // "12.500" -> "12.5", "3.000" -> "3": shorter for the page.
  while (s.back() == '0') s.remove_suffix(1);
  if (s.back() == '.') s.remove_suffix(1);
  out.append(s);
}

template <typename F>
void AppendArray(std::string& out, const char* key, const std::vector<TrafficSeries::Point>& pts,
                 F value) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (size_t i = 0; i < pts.size(); ++i) {
    if (i != 0) out += ',';
    AppendNumber(out, value(pts[i]));
  }
  out += ']';
}

}  // namespace

size_t TrafficSeries::BinOf(double seconds) {
  double v = seconds / kFirstBinSeconds;
  if (!(v > 1)) return 0;  // also NaN
  // v = m * 2^e with m in [0.5, 1), as frexp splits it, read from the bits (v > 1 is normal or
  // infinite): e from the exponent field, m's fraction bits are v's.
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  const long e = static_cast<long>((bits >> 52) & 0x7ff) - 1022;
  const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
  // 2*log2(v) lies in [2e-2, 2e): the bin is its ceiling. m > sqrt(1/2) compares fraction bits
  // (m and M_SQRT1_2 share the exponent of [0.5, 1)); m > 0.5 is a fraction above zero.
  const uint64_t sqrt_half = std::bit_cast<uint64_t>(M_SQRT1_2) & ((uint64_t{1} << 52) - 1);
  long bin = fraction > sqrt_half ? 2L * e : (fraction != 0 ? 2L * e - 1 : 2L * e - 2);
  if (bin < 0) return 0;
  return std::min(static_cast<size_t>(bin), kLatencyBins - 1);
}

TrafficSeries::~TrafficSeries() { delete ring_.load(std::memory_order_acquire); }

TrafficSeries::Ring* TrafficSeries::RingForRecord() {
  Ring* ring = ring_.load(std::memory_order_acquire);
  if (ring != nullptr) return ring;
  auto* fresh = new Ring();  // value-initialized: every counter and period 0
  if (ring_.compare_exchange_strong(ring, fresh, std::memory_order_acq_rel)) return fresh;
  delete fresh;  // another thread's first Record installed one: `ring` holds it
  return ring;
}

void TrafficSeries::Record(Clock::time_point now, int status, double seconds) {
  const int64_t period = PeriodOf(now);
  Bucket& b = (*RingForRecord())[static_cast<size_t>(period) % kBuckets];
  int64_t seen = b.period.load(std::memory_order_acquire);
  if (seen != period) {
    // Older than `period`: this writer is the first of the period and claims
    // the bucket. Being reset, or newer (the clock went back): drop the sample.
    if (seen == kResetting || seen > period) return;
    if (b.period.compare_exchange_strong(seen, kResetting, std::memory_order_acq_rel)) {
      b.requests.store(0, std::memory_order_relaxed);
      b.client_errors.store(0, std::memory_order_relaxed);
      b.server_errors.store(0, std::memory_order_relaxed);
      for (auto& c : b.latency) c.store(0, std::memory_order_relaxed);
      b.period.store(period, std::memory_order_release);
    } else if (seen != period) {
      return;
    }
  }
  b.requests.fetch_add(1, std::memory_order_relaxed);
  if (status >= 500) {
    b.server_errors.fetch_add(1, std::memory_order_relaxed);
  } else if (status >= 400) {
    b.client_errors.fetch_add(1, std::memory_order_relaxed);
  }
  b.latency[BinOf(seconds)].fetch_add(1, std::memory_order_relaxed);
}

double TrafficSeries::Quantile(const std::array<uint32_t, kLatencyBins>& bins, double q) {
  uint64_t n = 0;
  for (uint32_t c : bins) n += c;
  if (n == 0) return 0;
  double rank = std::max(1.0, std::ceil(q * static_cast<double>(n)));
  uint64_t below = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    if (bins[i] == 0) continue;
    if (static_cast<double>(below + bins[i]) < rank) {
      below += bins[i];
      continue;
    }
    double lower = i == 0 ? kFirstBinSeconds / 2 : BinUpper(i - 1);
    if (i == kLatencyBins - 1) return lower;  // unbounded: its lower edge
    double f = (rank - static_cast<double>(below)) / bins[i];
    return lower * std::pow(BinUpper(i) / lower, f);
  }
  return BinUpper(kLatencyBins - 2);
}

std::vector<TrafficSeries::Point> TrafficSeries::EmptySnapshot(Clock::time_point now) {
  const int64_t last = PeriodOf(now);
  std::vector<Point> out(kBuckets);
  for (size_t k = 0; k < kBuckets; ++k) {
    out[k].start_ms = (last - static_cast<int64_t>(kBuckets - 1 - k)) * kBucketSeconds * 1000;
  }
  return out;
}

std::vector<TrafficSeries::Point> TrafficSeries::Snapshot(Clock::time_point now) const {
  std::vector<Point> out = EmptySnapshot(now);
  const Ring* ring = ring_.load(std::memory_order_acquire);
  if (ring == nullptr) return out;  // nothing recorded yet
  for (size_t k = 0; k < kBuckets; ++k) {
    Point& p = out[k];
    const int64_t period = p.start_ms / 1000 / kBucketSeconds;
    const Bucket& b = (*ring)[static_cast<size_t>(period) % kBuckets];
    if (b.period.load(std::memory_order_acquire) != period) continue;
    std::array<uint32_t, kLatencyBins> bins{};
    p.requests = b.requests.load(std::memory_order_relaxed);
    p.client_errors = b.client_errors.load(std::memory_order_relaxed);
    p.server_errors = b.server_errors.load(std::memory_order_relaxed);
    for (size_t i = 0; i < kLatencyBins; ++i)
      bins[i] = b.latency[i].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (b.period.load(std::memory_order_relaxed) != period) {  // reset meanwhile
      p = Point{.start_ms = p.start_ms};
      continue;
    }
    p.p50_seconds = Quantile(bins, 0.50);
    p.p99_seconds = Quantile(bins, 0.99);
  }
  return out;
}

std::string TrafficSeries::ToJson(const std::vector<Point>& points) {
  std::string out = "{\"bucketSeconds\":" + std::to_string(kBucketSeconds) +
                    ",\"start\":" + std::to_string(points.empty() ? 0 : points.front().start_ms);
  AppendArray(out, "requests", points, [](const Point& p) { return p.requests; });
  AppendArray(out, "clientErrors", points, [](const Point& p) { return p.client_errors; });
  AppendArray(out, "serverErrors", points, [](const Point& p) { return p.server_errors; });
  AppendArray(out, "p50Ms", points, [](const Point& p) { return p.p50_seconds * 1000; });
  AppendArray(out, "p99Ms", points, [](const Point& p) { return p.p99_seconds * 1000; });
  out += '}';
  return out;
}

}  // namespace ferry::serving
