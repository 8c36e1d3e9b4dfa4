// grpc_bench: closed-loop load generator for one-row unary ModelInfer calls
// (inference.GRPCInferenceService) — `threads` threads, each with its own
// channel (own TCP connection) and completion queue keeping `depth` calls in
// flight, for `seconds` or until `calls` calls per thread.
//
// Lean but honest: the request is serialized once and sent as bytes (generic
// stub); every response must be OK and byte-for-byte the reference response
// (the first call's, parsed, checked and printed) except its 36-character
// random `id`. Anything else counts as an error, and so does a call still
// unanswered 10 s after the run. Prints one JSON line: calls/s, ok, errors,
// p50/p99 ms, the reference output.
//
// Usage: grpc_bench HOST:PORT MODEL SECONDS [THREADS=2] [DEPTH=32] [AUTHORITY] [CALLS]
// Driven by bench/grpc_bench.py; loopback only. Exit status 1 on any error.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "grpc_predict_v2.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

// One slot of the in-flight window; reused call after call (a ClientContext
// cannot be reused, so it is rebuilt in place).
struct Slot {
  std::optional<grpc::ClientContext> ctx;
  grpc::ByteBuffer res;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  Clock::time_point start;
};

constexpr char kMethod[] = "/inference.GRPCInferenceService/ModelInfer";

struct Totals {
  std::atomic<uint64_t> ok{0}, errors{0};
};

struct Config {
  std::string target, model, authority;
  int depth = 32;
  uint64_t calls = 0;  // per thread; 0 = until `end`
  Clock::time_point end;
  grpc::ByteBuffer request;  // the serialized one-row request
  // The reference response's bytes before and after its id field (field 3:
  // tag 0x1a, length 36, the UUID).
  std::string before_id, after_id;
  std::string output;  // the reference output, for the report
};

inference::ModelInferRequest OneRow(const std::string& model) {
  inference::ModelInferRequest req;
  req.set_model_name(model);
  (*req.mutable_parameters())["content_type"].set_string_param("np");
  auto* in = req.add_inputs();
  in->set_name("features");
  in->set_datatype("FP64");
  in->add_shape(1);
  in->add_shape(4);
  for (double v : {6.8, 2.8, 4.8, 1.4}) in->mutable_contents()->add_fp64_contents(v);
  return req;
}

std::shared_ptr<grpc::Channel> NewChannel(const Config& cfg, int id) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.channel_id", id);  // distinct args: a connection per thread
  if (!cfg.authority.empty()) args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, cfg.authority);
  return grpc::CreateCustomChannel(cfg.target, grpc::InsecureChannelCredentials(), args);
}

// Why `bytes` is not the reference response (with any id), or empty.
std::string CheckBytes(std::string_view bytes, const Config& cfg) {
  size_t head = cfg.before_id.size(), tail = cfg.after_id.size();
  if (bytes.size() != head + 2 + 36 + tail || bytes.substr(0, head) != cfg.before_id ||
      bytes[head] != 0x1a || bytes[head + 1] != 36 || bytes.substr(head + 38) != cfg.after_id) {
    inference::ModelInferResponse res;
    res.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
    return "response differs from the first call's: " + res.ShortDebugString();
  }
  return "";
}

// Why `s` is not a correct answer, or empty.
std::string Check(const Slot& s, const Config& cfg) {
  if (!s.status.ok()) {
    return "status " + std::to_string(s.status.error_code()) + ": " + s.status.error_message();
  }
  grpc::Slice slice;
  if (!s.res.DumpToSingleSlice(&slice).ok()) return "unreadable response";
  return CheckBytes(std::string_view(reinterpret_cast<const char*>(slice.begin()), slice.size()),
                    cfg);
}

void Fail(Totals* totals, const std::string& why) {
  if (totals->errors.fetch_add(1) == 0) {
    std::fprintf(stderr, "grpc_bench: first error: %s\n", why.c_str());
  }
}

void Worker(int id, const Config& cfg, Totals* totals, std::vector<double>* latencies_ms) {
  grpc::GenericStub stub(NewChannel(cfg, id));
  grpc::CompletionQueue cq;
  std::vector<Slot> slots(cfg.depth);
  uint64_t started = 0;
  auto start = [&](Slot* s) {
    s->ctx.emplace();
    s->start = Clock::now();
    s->reader = stub.PrepareUnaryCall(&*s->ctx, kMethod, cfg.request, &cq);
    s->reader->StartCall();
    s->reader->Finish(&s->res, &s->status, s);
    ++started;
  };
  int in_flight = 0;
  for (auto& s : slots) {
    if (cfg.calls != 0 && started >= cfg.calls) break;
    start(&s);
    ++in_flight;
  }
  latencies_ms->reserve(1 << 20);
  auto give_up = cfg.end + std::chrono::seconds(10);
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0) {
    auto r = cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + (give_up - Clock::now()));
    if (r != grpc::CompletionQueue::GOT_EVENT) break;
    auto* s = static_cast<Slot*>(tag);
    --in_flight;
    Clock::time_point now = Clock::now();
    std::string why = ok ? Check(*s, cfg) : "completion queue reported failure";
    if (why.empty()) {
      totals->ok.fetch_add(1, std::memory_order_relaxed);
      latencies_ms->push_back(std::chrono::duration<double, std::milli>(now - s->start).count());
    } else {
      Fail(totals, why);
    }
    if (now < cfg.end && (cfg.calls == 0 || started < cfg.calls)) {
      start(s);
      ++in_flight;
    }
  }
  for (; in_flight > 0; --in_flight) Fail(totals, "call unanswered 10 s after the run");
  for (auto& s : slots) {
    if (s.ctx) s.ctx->TryCancel();
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// A first call, checked field by field: every later response must carry the
// same bytes (but its id).
bool Reference(Config* cfg) {
  grpc::GenericStub stub(NewChannel(*cfg, -1));
  grpc::CompletionQueue cq;
  Slot s;
  s.ctx.emplace();
  s.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  s.reader = stub.PrepareUnaryCall(&*s.ctx, kMethod, cfg->request, &cq);
  s.reader->StartCall();
  s.reader->Finish(&s.res, &s.status, &s);
  void* tag = nullptr;
  bool ok = false;
  grpc::Slice slice;
  inference::ModelInferResponse res;
  if (!cq.Next(&tag, &ok) || !ok || !s.status.ok() || !s.res.DumpToSingleSlice(&slice).ok() ||
      !res.ParseFromArray(slice.begin(), static_cast<int>(slice.size())) ||
      res.model_name() != cfg->model || res.outputs_size() != 1 || res.id().size() != 36) {
    std::fprintf(stderr, "grpc_bench: reference call failed: %d %s (%s)\n", s.status.error_code(),
                 s.status.error_message().c_str(), res.ShortDebugString().c_str());
    return false;
  }
  cfg->output = res.outputs(0).ShortDebugString();
  std::string bytes(reinterpret_cast<const char*>(slice.begin()), slice.size());
  std::string marker = std::string("\x1a\x24") + res.id();
  size_t at = bytes.find(marker);
  if (at == std::string::npos) {
    std::fprintf(stderr, "grpc_bench: the response's id field is not where protobuf puts it\n");
    return false;
  }
  cfg->before_id = bytes.substr(0, at);
  cfg->after_id = bytes.substr(at + marker.size());
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return true;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: grpc_bench HOST:PORT MODEL SECONDS [THREADS] [DEPTH] [AUTHORITY] "
                 "[CALLS]\n");
    return 2;
  }
  Config cfg;
  cfg.target = argv[1];
  cfg.model = argv[2];
  double seconds = std::atof(argv[3]);
  int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  cfg.depth = argc > 5 ? std::atoi(argv[5]) : 32;
  cfg.authority = argc > 6 ? argv[6] : "";
  cfg.calls = argc > 7 ? std::strtoull(argv[7], nullptr, 10) : 0;
  if (seconds <= 0 || seconds > 600 || threads < 1 || threads > 64 || cfg.depth < 1 ||
      cfg.depth > 1024) {
    std::fprintf(stderr, "grpc_bench: SECONDS in (0, 600], THREADS 1..64, DEPTH 1..1024\n");
    return 2;
  }
  std::string wire = OneRow(cfg.model).SerializeAsString();
  grpc::Slice slice(wire);
  cfg.request = grpc::ByteBuffer(&slice, 1);
  if (!Reference(&cfg)) return 1;
  Totals totals;
  std::vector<std::vector<double>> latencies(threads);
  Clock::time_point t0 = Clock::now();
  cfg.end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back(Worker, i, std::cref(cfg), &totals, &latencies[i]);
  }
  for (auto& t : pool) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  double p50 = Percentile(all, 50), p99 = Percentile(all, 99);
  std::printf(
      "{\"calls_per_second\": %.1f, \"ok\": %llu, \"errors\": %llu, \"p50_ms\": %.3f, "
      "\"p99_ms\": %.3f, \"seconds\": %.2f, \"output\": \"%s\"}\n",
      static_cast<double>(totals.ok.load()) / elapsed,
      static_cast<unsigned long long>(totals.ok.load()),
      static_cast<unsigned long long>(totals.errors.load()), p50, p99, elapsed,
      JsonEscape(cfg.output).c_str());
  return totals.errors.load() == 0 ? 0 : 1;
}
