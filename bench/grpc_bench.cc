// grpc_bench: closed-loop load generator for one-row unary ModelInfer calls
// (inference.GRPCInferenceService) — `threads` threads, each with its own
// channel (own TCP connection) and `depth` calls in flight on a completion
// queue, for `seconds`. Prints one JSON line: calls/s, errors, p50/p99 ms.
//
// Usage: grpc_bench HOST:PORT MODEL SECONDS [THREADS=2] [DEPTH=32] [AUTHORITY]
// Driven by bench/grpc_bench.py; loopback only.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grpc_predict_v2.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Call {
  grpc::ClientContext ctx;
  inference::ModelInferResponse res;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<inference::ModelInferResponse>> reader;
  Clock::time_point start;
};

struct Totals {
  std::atomic<uint64_t> ok{0}, errors{0};
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

void Worker(int id, const std::string& target, const std::string& authority,
            const inference::ModelInferRequest& req, int depth, Clock::time_point end,
            Totals* totals, std::vector<double>* latencies_ms) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.channel_id", id);  // distinct args: a connection per thread
  if (!authority.empty()) args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  auto stub = inference::GRPCInferenceService::NewStub(channel);
  grpc::CompletionQueue cq;
  auto start = [&] {
    auto* c = new Call;
    c->start = Clock::now();
    c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    c->reader = stub->AsyncModelInfer(&c->ctx, req, &cq);
    c->reader->Finish(&c->res, &c->status, c);
  };
  int in_flight = 0;
  for (; in_flight < depth; ++in_flight) start();
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    auto* c = static_cast<Call*>(tag);
    --in_flight;
    Clock::time_point now = Clock::now();
    if (ok && c->status.ok() && c->res.outputs_size() == 1) {
      totals->ok.fetch_add(1, std::memory_order_relaxed);
      latencies_ms->push_back(std::chrono::duration<double, std::milli>(now - c->start).count());
    } else {
      if (totals->errors.fetch_add(1) == 0) {
        std::fprintf(stderr, "grpc_bench: first error: %d %s\n", c->status.error_code(),
                     c->status.error_message().c_str());
      }
    }
    delete c;
    if (now < end) {
      start();
      ++in_flight;
    }
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: grpc_bench HOST:PORT MODEL SECONDS [THREADS] [DEPTH] [AUTHORITY]\n");
    return 2;
  }
  std::string target = argv[1], model = argv[2];
  double seconds = std::atof(argv[3]);
  int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  int depth = argc > 5 ? std::atoi(argv[5]) : 32;
  std::string authority = argc > 6 ? argv[6] : "";
  if (seconds <= 0 || seconds > 600 || threads < 1 || threads > 64 || depth < 1 || depth > 1024) {
    std::fprintf(stderr, "grpc_bench: SECONDS in (0, 600], THREADS 1..64, DEPTH 1..1024\n");
    return 2;
  }
  inference::ModelInferRequest req = OneRow(model);
  Totals totals;
  std::vector<std::vector<double>> latencies(threads);
  Clock::time_point t0 = Clock::now();
  Clock::time_point end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back(Worker, i, target, authority, std::cref(req), depth, end, &totals,
                      &latencies[i]);
  }
  for (auto& t : pool) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  double p50 = Percentile(all, 50), p99 = Percentile(all, 99);
  std::printf(
      "{\"calls_per_second\": %.1f, \"ok\": %llu, \"errors\": %llu, \"p50_ms\": %.3f, "
      "\"p99_ms\": %.3f, \"seconds\": %.2f}\n",
      static_cast<double>(totals.ok.load()) / elapsed,
      static_cast<unsigned long long>(totals.ok.load()),
      static_cast<unsigned long long>(totals.errors.load()), p50, p99, elapsed);
  return totals.errors.load() == 0 ? 0 : 1;
}
