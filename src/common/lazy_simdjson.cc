// The simdjson functions Ferry's JSON code calls out of line, forwarded to
// libsimdjson.so.14 opened on first use (common/lazy_library.h). Nearly all of
// simdjson's DOM API is inline in its header; the parts in the library are
// the implementation chooser, the double printer and the error table.
//
// Why: libsimdjson is the one shared library the binary needed that is
// written in C++, so it brought libstdc++.so with it, and relocating
// libstdc++ was most of the dynamic loader's work at every start
// (bench/RESULTS.md, "Start and memory"). With simdjson opened on first use
// the binary links the C++ runtime statically and `ferry serve` of a model
// whose requests take the fast decoders never loads either library.
// Targets that use simdjson link ferry_simdjson, not simdjson::simdjson. A
// function newly called needs its definition here (the link fails with an
// undefined reference otherwise: check `nm -C --undefined-only`).
#include "common/lazy_simdjson.h"

#include <simdjson.h>

#include "common/lazy_library.h"

namespace {
constexpr ferry::LazyLibrary kSimdjson("libsimdjson.so.14", "libsimdjson14");
}  // namespace

namespace simdjson {

internal::atomic_ptr<const implementation>& get_active_implementation() {
  using Fn = internal::atomic_ptr<const implementation>& (*)();
  static const auto real =
      reinterpret_cast<Fn>(kSimdjson.Resolve("_ZN8simdjson25get_active_implementationEv"));
  return real();
}

namespace internal {

char* to_chars(char* first, const char* last, double value) {
  using Fn = char* (*)(char*, const char*, double);
  static const auto real =
      reinterpret_cast<Fn>(kSimdjson.Resolve("_ZN8simdjson8internal8to_charsEPcPKcd"));
  return real(first, last, value);
}

}  // namespace internal
}  // namespace simdjson

namespace ferry {

const char* SimdjsonErrorMessage(int code) {
  static const auto* table = static_cast<const simdjson::internal::error_code_info*>(
      kSimdjson.Resolve("_ZN8simdjson8internal11error_codesE"));
  if (code < 0 || code >= simdjson::NUM_ERROR_CODES) return "unknown simdjson error";
  return table[code].message;
}

}  // namespace ferry
