#include "runtime/backend_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>
#include <utility>

namespace ferry::runtime {
namespace fs = std::filesystem;
namespace {

std::string DirList(const std::vector<fs::path>& dirs) {
  std::string out;
  for (const auto& d : dirs) {
    out += (out.empty() ? "" : ", ") + d.string();
  }
  return out.empty() ? "(no directory: the binary's location is unknown)" : out;
}

std::string_view HostDeadlineWhat() { return CurrentDeadlineWhat(); }

class BackendRuntime : public FormatRuntime {
 public:
  BackendRuntime(BackendSpec spec, BackendSettings settings)
      : spec_(std::move(spec)), settings_(settings) {}

  std::string_view name() const override { return spec_.format; }
  std::string_view mlflow_flavor() const override { return spec_.mlflow_flavor; }
  std::vector<std::string> plain_file_names() const override { return spec_.plain_files; }

  StatusOr<std::unique_ptr<Model>> LoadFile(const fs::path& file,
                                            const LoadOptions& options) const override {
    ASSIGN_OR_RETURN(const FormatRuntime* runtime, Loaded());
    return runtime->LoadFile(file, options);
  }

 private:
  StatusOr<const FormatRuntime*> Loaded() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (runtime_ != nullptr) {
      return runtime_.get();
    }
    const std::string what = "model format " + spec_.format + " (" + spec_.label + ")";
    const fs::path path = FindBackendFile(spec_.file);
    if (path.empty()) {
      return FailedPreconditionError(
          what + " needs the backend " + spec_.file + ", which is not in " +
          DirList(BackendDirs()) + "; this build of Ferry does not include it" +
          (spec_.build_hint.empty() ? "" : ": " + spec_.build_hint) +
          " (or set FERRY_BACKEND_DIR to the directory that holds it)");
    }
    dlerror();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) {
      const char* err = dlerror();
      std::string fix = spec_.package.empty()
                            ? "reinstall Ferry (the backend and the binary come together)"
                            : "install the Debian package " + spec_.package +
                                  " (apt-get install " + spec_.package + ")";
      return FailedPreconditionError(what + ": cannot load the backend " + path.string() + ": " +
                                     (err != nullptr ? err : "unknown dlopen error") + "; " + fix);
    }
    using Entry = const BackendDescriptor* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, kBackendEntrySymbol));
    if (entry == nullptr) {
      return FailedPreconditionError(what + ": " + path.string() + " is not a Ferry backend (no " +
                                     kBackendEntrySymbol + " symbol); rebuild Ferry");
    }
    const BackendDescriptor* d = entry();
    if (d == nullptr) {
      return FailedPreconditionError(what + ": " + path.string() + " returned no descriptor");
    }
    const std::string mismatch = CompareBackendAbi(d->abi);
    if (!mismatch.empty()) {
      return FailedPreconditionError(what + ": the backend " + path.string() +
                                     " was built for another Ferry binary (" + mismatch +
                                     "); rebuild both from the same tree (cmake --build)");
    }
    if (d->format == nullptr || spec_.format != d->format || d->create == nullptr) {
      return FailedPreconditionError(what + ": " + path.string() + " serves format " +
                                     (d->format != nullptr ? d->format : "(none)") +
                                     ", not " + spec_.format + "; the backend list is wrong");
    }
    BackendHost host;
    host.predict_threads = settings_.predict_threads;
    host.current_deadline = &CurrentDeadline;
    host.current_deadline_what = &HostDeadlineWhat;
    std::string error;
    std::unique_ptr<FormatRuntime> runtime = d->create(host, &error);
    if (runtime == nullptr) {
      return FailedPreconditionError(what + ": the backend " + path.string() +
                                     " did not start: " + error);
    }
    runtime_ = std::move(runtime);
    return runtime_.get();
  }

  const BackendSpec spec_;
  const BackendSettings settings_;
  mutable std::mutex mu_;
  mutable std::unique_ptr<FormatRuntime> runtime_;  // guarded by mu_; set once
};

}  // namespace

std::string CompareBackendAbi(const BackendAbi& theirs) {
  const BackendAbi ours;
  std::string out;
  auto diff = [&out](const char* what, const std::string& a, const std::string& b) {
    if (a != b) {
      out += (out.empty() ? "" : ", ") + std::string(what) + " " + a + " here, " + b + " there";
    }
  };
  diff("interface version", std::to_string(ours.version), std::to_string(theirs.version));
  if (theirs.version != ours.version) {
    return out;  // the rest of the struct may be laid out differently
  }
  diff("BackendHost size", std::to_string(ours.sizeof_host), std::to_string(theirs.sizeof_host));
  diff("Status size", std::to_string(ours.sizeof_status), std::to_string(theirs.sizeof_status));
  diff("Frame size", std::to_string(ours.sizeof_frame), std::to_string(theirs.sizeof_frame));
  diff("Tensor size", std::to_string(ours.sizeof_tensor), std::to_string(theirs.sizeof_tensor));
  diff("ModelInfo size", std::to_string(ours.sizeof_model_info),
       std::to_string(theirs.sizeof_model_info));
  diff("LoadOptions size", std::to_string(ours.sizeof_load_options),
       std::to_string(theirs.sizeof_load_options));
  diff("compiler", ours.compiler, theirs.compiler != nullptr ? theirs.compiler : "");
  diff("interface hash", ours.interface_hash,
       theirs.interface_hash != nullptr ? theirs.interface_hash : "");
  return out;
}

std::unique_ptr<FormatRuntime> NewBackendRuntime(BackendSpec spec, BackendSettings settings) {
  return std::make_unique<BackendRuntime>(std::move(spec), settings);
}

fs::path BinaryDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

std::vector<fs::path> BackendDirs() {
  if (const char* dir = std::getenv("FERRY_BACKEND_DIR"); dir != nullptr && *dir != '\0') {
    return {fs::path(dir)};
  }
  const fs::path bin = BinaryDir();
  if (bin.empty()) {
    return {};
  }
  return {bin / "lib" / "ferry" / "backends", (bin.parent_path() / "lib" / "ferry" / "backends")};
}

fs::path FindBackendFile(const std::string& file) {
  for (const auto& dir : BackendDirs()) {
    std::error_code ec;
    if (fs::is_regular_file(dir / file, ec)) {
      return dir / file;
    }
  }
  return {};
}

}  // namespace ferry::runtime
