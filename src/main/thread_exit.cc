// The ferry binary's own registration of thread_local destructors.
//
// Why: a thread_local with a destructor registers it on its first use in a
// thread, through __cxa_thread_atexit -> glibc's __cxa_thread_atexit_impl,
// which takes the dynamic loader's lock (to pin the object's DSO against
// dlclose). dlopen holds that lock for its whole run, static constructors
// included: opening libferry_pytorch.so (libtorch: 1-3 s) stalled every HTTP
// I/O thread that first touched such a thread_local meanwhile — the response
// Date cache, the JSON parser, the gateway's scratch (measured: a health probe
// answered after 2.8 s; bench/load_stall_bench.py). The binary is never
// unloaded, so its destructors need no pin: they are kept here, per thread,
// without any lock, and run at thread exit (a pthread key's destructor). The
// thread that calls exit() skips them: the process is ending, and they would
// run after static destructors (atexit order) instead of before. Shared
// objects (backends, the gRPC module, libstdc++) keep glibc's registration:
// this definition is hidden, so it binds only the binary's own code.
// Sanitizer builds keep glibc's registration: their runtimes track it.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)

#include <pthread.h>

namespace {

struct Dtor {
  void (*fn)(void*);
  void* obj;
  Dtor* next;
};

// Trivially destructible, so reading it registers nothing.
thread_local Dtor* t_dtors = nullptr;
pthread_key_t g_key;
pthread_once_t g_once = PTHREAD_ONCE_INIT;

// Newest first, as the C++ runtime does; a destructor may register another.
void RunDtors(void* /*unused*/) {
  while (Dtor* d = t_dtors) {
    t_dtors = d->next;
    d->fn(d->obj);
    delete d;
  }
}

void CreateKey() { pthread_key_create(&g_key, RunDtors); }

}  // namespace

extern "C" __attribute__((visibility("hidden"))) int __cxa_thread_atexit(void (*fn)(void*),
                                                                         void* obj,
                                                                         void* /*dso_handle*/) {
  pthread_once(&g_once, CreateKey);
  if (t_dtors == nullptr) {
    // Any non-null value: the key's destructor runs only for those.
    pthread_setspecific(g_key, &g_key);
  }
  t_dtors = new Dtor{fn, obj, t_dtors};
  return 0;
}

#endif  // !__SANITIZE_ADDRESS__ && !__SANITIZE_THREAD__
