// GrpcServer::Start in the `ferry` binary: opens libferry_grpc.so on first use
// (grpc_module.h) and starts the server through it.
#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "grpc/grpc_module.h"

namespace ferry::grpc {
namespace {
namespace fs = std::filesystem;

// lib/ferry next to the binary (the build tree) and ../lib/ferry (installed:
// /usr/local/bin/ferry -> /usr/local/lib/ferry), like the backends' parent.
std::vector<fs::path> ModuleDirs() {
  std::error_code ec;
  fs::path bin = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec || bin.empty()) return {};
  return {bin / "lib" / "ferry", bin.parent_path() / "lib" / "ferry"};
}

StatusOr<const GrpcModule*> Open() {
  const std::vector<fs::path> dirs = ModuleDirs();
  fs::path path;
  std::string searched;
  for (const auto& d : dirs) {
    searched += (searched.empty() ? "" : ", ") + d.string();
    std::error_code ec;
    if (path.empty() && fs::is_regular_file(d / kGrpcModuleFile, ec)) path = d / kGrpcModuleFile;
  }
  if (path.empty()) {
    return FailedPreconditionError(
        std::string("gRPC needs ") + kGrpcModuleFile + ", which is not in " +
        (searched.empty() ? "(the binary's location is unknown)" : searched) +
        "; install Ferry with its lib/ferry directory (cmake --install, or the image), or turn "
        "gRPC off with --grpc_port 0");
  }
  dlerror();
  // RTLD_NOW: every reference into the binary binds here, so a module that
  // needs a symbol this binary lacks fails now, with the symbol's name.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* err = dlerror();
    return FailedPreconditionError("gRPC: cannot load " + path.string() + ": " +
                                   (err != nullptr ? err : "unknown dlopen error") +
                                   "; reinstall Ferry (the module and the binary come together)");
  }
  using Entry = const GrpcModule* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, kGrpcModuleSymbol));
  const GrpcModule* m = entry != nullptr ? entry() : nullptr;
  if (m == nullptr) {
    return FailedPreconditionError("gRPC: " + path.string() + " is not Ferry's gRPC module (no " +
                                   kGrpcModuleSymbol + "); reinstall Ferry");
  }
  const GrpcModule ours;
  if (m->version != ours.version || m->compiler == nullptr ||
      std::string(m->compiler) != ours.compiler || m->interface_hash == nullptr ||
      std::string(m->interface_hash) != ours.interface_hash || m->start_catalog == nullptr ||
      m->start_resolver == nullptr) {
    return FailedPreconditionError(
        "gRPC: " + path.string() + " was built for another Ferry binary (module interface " +
        (m->interface_hash != nullptr ? m->interface_hash : "?") + ", this binary's " +
        ours.interface_hash + "); rebuild both from the same tree (cmake --build)");
  }
  return m;
}

// Opened once; a failure is retried on the next Start.
StatusOr<const GrpcModule*> Module() {
  static std::mutex mu;
  static const GrpcModule* loaded = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded != nullptr) return loaded;
  ASSIGN_OR_RETURN(loaded, Open());
  return loaded;
}

}  // namespace

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        CatalogFn catalog) {
  ASSIGN_OR_RETURN(const GrpcModule* m, Module());
  return m->start_catalog(options, std::move(catalog));
}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        CallResolver resolver) {
  ASSIGN_OR_RETURN(const GrpcModule* m, Module());
  return m->start_resolver(options, std::move(resolver));
}

}  // namespace ferry::grpc
