#include "storage/storage_initializer.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/cpu_limit.h"
#include "storage/fetch.h"
#include "storage/sts.h"

namespace ferry::storage {
namespace {

Status ReadInt(const EnvLookup& env, std::string_view name, long min, long max, long& out) {
  auto v = env(name);
  if (!v || v->empty()) return OkStatus();
  long parsed = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
  if (ec != std::errc() || p != v->data() + v->size() || parsed < min || parsed > max) {
    return InvalidArgumentError("environment variable " + std::string(name) + "=`" + *v +
                                "` is not an integer in [" + std::to_string(min) + ", " +
                                std::to_string(max) + "]");
  }
  out = parsed;
  return OkStatus();
}

std::string HumanBytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", b / double(1ull << 30));
  } else if (b >= (1ull << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", b / double(1ull << 20));
  } else {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(b));
  }
  return buf;
}

// One line per report: "  [#####.....] 52% 10.0 MiB/19.2 MiB, 3/7 files".
ProgressCallback MakeProgressPrinter(std::ostream& out, std::mutex& mu) {
  return [&out, &mu, last = std::chrono::steady_clock::time_point()](const Progress& p) mutable {
    auto now = std::chrono::steady_clock::now();
    bool done = p.objects_total > 0 && p.objects_done == p.objects_total;
    if (!done && now - last < std::chrono::seconds(1)) return;
    last = now;
    int pct = p.bytes_total ? static_cast<int>(100 * p.bytes_done / p.bytes_total) : 0;
    std::string bar(20, '.');
    for (int i = 0; i < pct / 5 && i < 20; ++i) bar[i] = '#';
    std::lock_guard<std::mutex> lock(mu);
    out << "  [" << bar << "] " << pct << "% " << HumanBytes(p.bytes_done) << "/"
        << HumanBytes(p.bytes_total) << ", " << p.objects_done << "/" << p.objects_total << " files"
        << std::endl;
  };
}

// KServe's `<host>-headers`: a JSON object of request headers for http(s)
// downloads from that host (set from a Secret with data keys https-host and
// headers). Values never appear in messages: they usually hold credentials.
StatusOr<std::vector<std::string>> HostHeaders(const EnvLookup& env, std::string_view host) {
  std::string name = std::string(host) + "-headers";
  auto text = env(name);
  std::vector<std::string> out;
  if (!text || text->empty()) return out;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  std::string where = "environment variable `" + name + "`";
  if (!j.is_object()) {
    return InvalidArgumentError(where + " is not a JSON object of headers, e.g. "
                                "{\"Authorization\": \"Bearer ...\"}");
  }
  for (auto& [k, v] : j.items()) {
    bool name_ok = !k.empty() && k.find_first_of(" \t\r\n:()<>@,;\\\"/[]?={}") == std::string::npos;
    if (!name_ok || !v.is_string() ||
        v.get<std::string>().find_first_of("\r\n") != std::string::npos) {
      return InvalidArgumentError(where + ": header `" + k +
                                  "` needs a token name and a one-line string value");
    }
    out.push_back(k + ": " + v.get<std::string>());
  }
  return out;
}

bool AnyS3(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); i += 2) {
    if (UriScheme(args[i]) == "s3") return true;
  }
  return false;
}

}  // namespace

int DefaultConcurrency(int cpus) {
  // Transfers wait on the network, so two per CPU, but TLS, hashing and
  // writes use CPU: 2 with one CPU, KServe's default of 4 from two on.
  return std::min(4, std::max(2, 2 * cpus));
}

StatusOr<FetchOptions> FetchOptionsFromEnv(const EnvLookup& env, int cpus) {
  FetchOptions o;
  ASSIGN_OR_RETURN(o.s3, ResolveS3ConfigFromEnv(env));
  o.concurrency = DefaultConcurrency(cpus > 0 ? cpus : DetectEffectiveCpus().cpus);
  o.http_headers = [env](std::string_view host) { return HostHeaders(env, host); };
  long conc = o.concurrency, connect = 15, read = 30, attempts = o.max_attempts;
  RETURN_IF_ERROR(ReadInt(env, "S3_MAX_FILE_CONCURRENCY", 1, 64, conc));
  RETURN_IF_ERROR(ReadInt(env, "S3_CONNECT_TIMEOUT", 1, 3600, connect));
  RETURN_IF_ERROR(ReadInt(env, "S3_READ_TIMEOUT", 1, 3600, read));
  RETURN_IF_ERROR(ReadInt(env, "S3_MAX_ATTEMPTS", 1, 20, attempts));
  o.concurrency = static_cast<int>(conc);
  o.connect_timeout = std::chrono::seconds(connect);
  o.read_timeout = std::chrono::seconds(read);
  o.max_attempts = static_cast<int>(attempts);
  if (auto v = env("FERRY_STORAGE_CACHE"); v && !v->empty()) o.cache_dir = *v;
  if (auto v = env("FERRY_PVC_ROOT"); v && !v->empty()) o.local.pvc_root = *v;
  // The pod's model-server container reads DEST and may run as another user.
  o.modes = kSharedModes;
  return o;
}

int RunStorageInitializer(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) {
  return RunStorageInitializer(args, out, err, ProcessEnv());
}

int RunStorageInitializer(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err, const EnvLookup& env) {
  if (args.empty() || args.size() % 2 != 0) {
    err << "usage: ferry storage-initializer SRC_URI DEST_DIR [SRC_URI DEST_DIR ...]\n"
           "  e.g. ferry storage-initializer s3://mlflow/1/<run>/artifacts/model /mnt/models\n";
    return 2;
  }
  const EffectiveCpus cpus = DetectEffectiveCpus();
  auto options = FetchOptionsFromEnv(env, cpus.cpus);
  if (!options.ok()) {
    err << "storage-initializer: " << options.status().message() << "\n";
    return 1;
  }
  out << "storage-initializer: " << cpus.Describe() << ": " << options->concurrency
      << " parallel transfers" << std::endl;
  if (AnyS3(args)) {
    if (Status st = ResolveWebIdentity(&*options); !st.ok()) {
      err << "storage-initializer: " << st.message() << std::endl;
      return 1;
    }
  }
  std::mutex mu;
  options->progress = MakeProgressPrinter(out, mu);
  for (size_t i = 0; i < args.size(); i += 2) {
    const std::string& src = args[i];
    const std::string& dest = args[i + 1];
    out << "Downloading " << src << " to " << dest << std::endl;
    auto start = std::chrono::steady_clock::now();
    auto r = Fetch(src, dest, *options);
    if (!r.ok()) {
      err << "storage-initializer: failed to download " << src << " to " << dest << ": "
          << r.status().message() << std::endl;
      return 1;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const char* how = r->source == FetchResult::Source::kUpToDate ? " (already up to date)"
                      : r->source == FetchResult::Source::kCache  ? " (from cache)"
                                                                  : "";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", secs);
    out << "Model downloaded in " << buf << " seconds" << how << ": " << r->files << " files, "
        << HumanBytes(r->bytes) << (r->unpacked ? ", archive unpacked" : "") << std::endl;
  }
  return 0;
}

}  // namespace ferry::storage
