// The libcurl functions Ferry calls, forwarded to libcurl.so.4 opened on first
// use (common/lazy_library.h). Targets that call libcurl link ferry_curl, not
// CURL::libcurl. A function newly called needs its line here (the link fails
// with an undefined reference otherwise).
#define CURL_DISABLE_TYPECHECK  // plain prototypes: curl.h's macros would wrap the definitions
#include <curl/curl.h>

#include <cstdarg>

#include "common/lazy_library.h"

namespace {
constexpr ferry::LazyLibrary kCurl("libcurl.so.4", "libcurl4");

// curl_easy_setopt / curl_easy_getinfo take one value after the option: a
// long, a pointer, a curl_off_t or a function pointer, each passed in one
// integer register or stack slot (x86-64 and AArch64 SysV), so it is
// forwarded as the pointer-sized integer it arrived as.
template <typename Option>
using Variadic = CURLcode (*)(CURL*, Option, ...);
}  // namespace

FERRY_LAZY_FORWARD(kCurl, CURLcode, curl_global_init, (long flags), (flags))
FERRY_LAZY_FORWARD(kCurl, CURL*, curl_easy_init, (void), ())
FERRY_LAZY_FORWARD(kCurl, CURLcode, curl_easy_perform, (CURL * h), (h))
FERRY_LAZY_FORWARD(kCurl, void, curl_easy_cleanup, (CURL * h), (h))
FERRY_LAZY_FORWARD(kCurl, void, curl_easy_reset, (CURL * h), (h))
FERRY_LAZY_FORWARD(kCurl, const char*, curl_easy_strerror, (CURLcode c), (c))
FERRY_LAZY_FORWARD(kCurl, curl_slist*, curl_slist_append, (curl_slist * l, const char* s),
                   (l, s))
FERRY_LAZY_FORWARD(kCurl, void, curl_slist_free_all, (curl_slist * l), (l))
FERRY_LAZY_FORWARD(kCurl, CURLM*, curl_multi_init, (void), ())
FERRY_LAZY_FORWARD(kCurl, CURLMcode, curl_multi_add_handle, (CURLM * m, CURL* h), (m, h))
FERRY_LAZY_FORWARD(kCurl, CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL* h), (m, h))
FERRY_LAZY_FORWARD(kCurl, CURLMcode, curl_multi_poll,
                   (CURLM * m, curl_waitfd* fds, unsigned int n, int timeout_ms, int* ret),
                   (m, fds, n, timeout_ms, ret))
FERRY_LAZY_FORWARD(kCurl, CURLMcode, curl_multi_wakeup, (CURLM * m), (m))
FERRY_LAZY_FORWARD(kCurl, CURLMcode, curl_multi_perform, (CURLM * m, int* running), (m, running))
FERRY_LAZY_FORWARD(kCurl, CURLMcode, curl_multi_cleanup, (CURLM * m), (m))
// The URL API (payload-logger receiver URLs).
FERRY_LAZY_FORWARD(kCurl, CURLU*, curl_url, (void), ())
FERRY_LAZY_FORWARD(kCurl, void, curl_url_cleanup, (CURLU * u), (u))
FERRY_LAZY_FORWARD(kCurl, CURLUcode, curl_url_get,
                   (CURLU * u, CURLUPart what, char** part, unsigned int flags),
                   (u, what, part, flags))
FERRY_LAZY_FORWARD(kCurl, CURLUcode, curl_url_set,
                   (CURLU * u, CURLUPart what, const char* part, unsigned int flags),
                   (u, what, part, flags))
FERRY_LAZY_FORWARD(kCurl, void, curl_free, (void* p), (p))
FERRY_LAZY_FORWARD(kCurl, CURLMsg*, curl_multi_info_read, (CURLM * m, int* left), (m, left))

extern "C" CURLcode curl_easy_setopt(CURL* h, CURLoption option, ...) {
  static const auto real = reinterpret_cast<Variadic<CURLoption>>(kCurl.Resolve("curl_easy_setopt"));
  va_list ap;
  va_start(ap, option);
  void* value = va_arg(ap, void*);
  va_end(ap);
  return real(h, option, value);
}

extern "C" CURLcode curl_easy_getinfo(CURL* h, CURLINFO info, ...) {
  static const auto real = reinterpret_cast<Variadic<CURLINFO>>(kCurl.Resolve("curl_easy_getinfo"));
  va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);
  va_end(ap);
  return real(h, info, out);
}
