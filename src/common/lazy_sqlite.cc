// The SQLite functions Ferry calls, forwarded to libsqlite3.so.0 opened on
// first use (common/lazy_library.h): only the object store of `ferry up`
// persists to SQLite, and every `ferry serve` it starts paid for mapping the
// library. Targets that call SQLite link ferry_sqlite, not SQLite::SQLite3. A
// function newly called needs its line here (the link fails otherwise).
#include <sqlite3.h>

#include "common/lazy_library.h"

namespace {
constexpr ferry::LazyLibrary kSqlite("libsqlite3.so.0", "libsqlite3-0");
}  // namespace

FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_bind_int64, (sqlite3_stmt * a0, int a1, sqlite3_int64 a2),
                   (a0, a1, a2))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_bind_text,
                   (sqlite3_stmt * a0, int a1, const char* a2, int a3, void (*a4)(void*)),
                   (a0, a1, a2, a3, a4))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_busy_timeout, (sqlite3 * a0, int a1), (a0, a1))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_close, (sqlite3 * a0), (a0))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_column_bytes, (sqlite3_stmt * a0, int a1), (a0, a1))
FERRY_LAZY_FORWARD(kSqlite, sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt * a0, int a1),
                   (a0, a1))
FERRY_LAZY_FORWARD(kSqlite, const unsigned char*, sqlite3_column_text, (sqlite3_stmt * a0, int a1),
                   (a0, a1))
FERRY_LAZY_FORWARD(kSqlite, const char*, sqlite3_errmsg, (sqlite3 * a0), (a0))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_exec,
                   (sqlite3 * a0, const char* a1, int (*a2)(void*, int, char**, char**), void* a3,
                    char** a4),
                   (a0, a1, a2, a3, a4))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_finalize, (sqlite3_stmt * a0), (a0))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_open_v2,
                   (const char* a0, sqlite3** a1, int a2, const char* a3), (a0, a1, a2, a3))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_prepare_v2,
                   (sqlite3 * a0, const char* a1, int a2, sqlite3_stmt** a3, const char** a4),
                   (a0, a1, a2, a3, a4))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_reset, (sqlite3_stmt * a0), (a0))
FERRY_LAZY_FORWARD(kSqlite, int, sqlite3_step, (sqlite3_stmt * a0), (a0))
