// LazyLibrary: a shared library the binary uses on some paths only, opened
// with dlopen the first time one of its functions is called instead of by the
// dynamic loader at exec.
//
// Why: libcurl and libarchive bring 41 more shared objects (LDAP, Kerberos,
// SSH, ICU, libxml2, ...) whose loading and relocation cost every start of
// the binary about 16 ms and 9 MB (bench/RESULTS.md, "Start and memory"),
// though `ferry serve` of a model already on disk never calls them. libcrypto,
// libssl and libsqlite3 (TLS, JWT, SigV4, `ferry up`'s certificates and store)
// are opened the same way: they were a quarter of the binary's time before
// main. The shims (lazy_curl.cc, lazy_archive.cc, lazy_openssl.cc,
// lazy_sqlite.cc) define the functions Ferry calls with the library's own
// names and prototypes, so callers include <curl/curl.h> and call
// curl_easy_init as before, and link ferry_curl / ferry_archive /
// ferry_openssl / ferry_sqlite instead of the library. A library or symbol
// that cannot be found is fatal, naming the file and the Debian package (the
// dynamic loader used to refuse to start the binary instead).
// Thread-safe: the library is opened once; each symbol is resolved into a
// function-local static.
#pragma once

namespace ferry {

class LazyLibrary {
 public:
  constexpr LazyLibrary(const char* soname, const char* package)
      : soname_(soname), package_(package) {}

  // The address of `symbol` in the library, opening it first if needed.
  // Never null: a missing library or symbol aborts with a message.
  void* Resolve(const char* symbol) const;

 private:
  const char* soname_;
  const char* package_;
};

}  // namespace ferry

// Defines `ret name params` (the library's prototype, from its header) as a
// call of the library's own `name`.
#define FERRY_LAZY_FORWARD(lib, ret, name, params, args)                               \
  extern "C" ret name params {                                                         \
    static const auto real = reinterpret_cast<decltype(&name)>((lib).Resolve(#name)); \
    return real args;                                                                  \
  }
