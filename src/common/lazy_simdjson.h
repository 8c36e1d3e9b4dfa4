// What Ferry's JSON code needs of simdjson besides the functions lazy_simdjson.cc
// forwards (common/lazy_library.h): simdjson's error messages live in a table
// (a data symbol) that no forwarding function can stand in for.
#pragma once

namespace ferry {

// simdjson's own message for an error code (simdjson::error_message without its
// reference to the library's table), opening libsimdjson on first use.
const char* SimdjsonErrorMessage(int code);

}  // namespace ferry
