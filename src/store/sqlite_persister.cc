// SQLite persistence for ResourceStore: one row per object plus the store
// revision, each batch of changes written in one transaction (WAL,
// synchronous=FULL; see resource_store.h for why).
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "store/persister.h"

namespace ferry::store {
namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqlitePersister : public Persister {
 public:
  SqlitePersister(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqlitePersister() override { sqlite3_close(db_); }

  Status Init() {
    RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
    RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS objects (resource TEXT NOT NULL, ns TEXT NOT NULL, "
             "name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (resource, ns, name))"));
    return Exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
  }

  Status Apply(const std::vector<Change>& changes) override {
    if (changes.empty()) return OkStatus();
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Stmt put(db_, "INSERT OR REPLACE INTO objects (resource, ns, name, body) VALUES (?,?,?,?)");
    Stmt del(db_, "DELETE FROM objects WHERE resource=? AND ns=? AND name=?");
    Status st;
    for (const Change& c : changes) {
      Stmt& s = c.object ? put : del;
      sqlite3_reset(s.get());
      s.Bind(1, c.resource);
      s.Bind(2, c.ns);
      s.Bind(3, c.name);
      if (c.object) s.Bind(4, c.object->dump());
      st = Step(s);
      if (!st.ok()) break;
    }
    return Finish(std::move(st), changes.back().revision);
  }

  StatusOr<int64_t> LoadAll(const Visitor& visit) override {
    Stmt s(db_, "SELECT resource, body FROM objects ORDER BY resource, ns, name");
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      auto text = [&](int col) {
        return std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), col)),
                                sqlite3_column_bytes(s.get(), col));
      };
      RETURN_IF_ERROR(visit(text(0), text(1)));
    }
    if (rc != SQLITE_DONE) return Error("reading objects");
    Stmt m(db_, "SELECT v FROM meta WHERE k='revision'");
    if (sqlite3_step(m.get()) == SQLITE_ROW) return sqlite3_column_int64(m.get(), 0);
    return int64_t{0};
  }

 private:
  Status Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Error(sql);
    return OkStatus();
  }
  Status Step(Stmt& s) {
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("writing an object");
    return OkStatus();
  }
  // Records the revision and commits, or rolls back if anything failed.
  Status Finish(Status st, int64_t revision) {
    if (st.ok()) {
      Stmt m(db_, "INSERT OR REPLACE INTO meta (k, v) VALUES ('revision', ?)");
      m.Bind(1, revision);
      st = Step(m);
    }
    if (st.ok()) st = Exec("COMMIT");
    if (!st.ok()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  Status Error(std::string_view what) {
    return InternalError("object store " + path_ + ": " + std::string(what) + ": " +
                         sqlite3_errmsg(db_) +
                         " (check that the data directory is writable and the disk is not full)");
  }

  sqlite3* db_;
  std::string path_;
};

}  // namespace

StatusOr<std::unique_ptr<Persister>> OpenSqlitePersister(const std::string& path) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return UnavailableError("cannot open the object store " + path + ": " + msg +
                            " (check the data directory exists and is writable)");
  }
  sqlite3_busy_timeout(db, 5000);
  auto p = std::make_unique<SqlitePersister>(db, path);
  RETURN_IF_ERROR(p->Init());
  return std::unique_ptr<Persister>(std::move(p));
}

}  // namespace ferry::store
