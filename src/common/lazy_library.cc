#include "common/lazy_library.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace ferry {
namespace {

struct Opened {
  const char* soname;
  void* handle;
};

// A handful of libraries at most; a fixed table avoids allocating.
std::mutex g_mu;
Opened g_opened[8];
int g_count = 0;

[[noreturn]] void Fatal(const char* soname, const char* package, const char* what) {
  std::fprintf(stderr,
               "ferry: cannot use %s: %s; install the Debian package %s (apt-get install %s)\n",
               soname, what != nullptr ? what : "unknown error", package, package);
  std::abort();
}

}  // namespace

void* LazyLibrary::Resolve(const char* symbol) const {
  void* handle = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (int i = 0; i < g_count; ++i) {
      if (g_opened[i].soname == soname_) {
        handle = g_opened[i].handle;
      }
    }
    if (handle == nullptr) {
      handle = dlopen(soname_, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
      if (handle == nullptr) {
        Fatal(soname_, package_, dlerror());
      }
      if (g_count < 8) {
        g_opened[g_count++] = {soname_, handle};
      }
    }
  }
  void* address = dlsym(handle, symbol);
  if (address == nullptr) {
    Fatal(soname_, package_, dlerror());
  }
  return address;
}

}  // namespace ferry
