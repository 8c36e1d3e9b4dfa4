// Test-only: the scikit-learn fixtures (tests/fixtures/sklearn/gen_sklearn.py,
// Debian's python3 + sklearn) generated once into BUILD/fixtures/sklearn.
// CTest runs each test case as its own process, several at once: generation
// happens under an exclusive flock, and the generator writes index.json last,
// so no process reads a file another one is still writing.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

namespace ferry::sklearn {

inline const std::filesystem::path& SklearnFixtureDir() {
  namespace fs = std::filesystem;
  static const fs::path dir = fs::path(FERRY_BINARY_DIR) / "fixtures" / "sklearn";
  static std::once_flag once;
  std::call_once(once, [] {
    const fs::path script = fs::path(FERRY_SOURCE_DIR) / "tests/fixtures/sklearn/gen_sklearn.py";
    const fs::path index = dir / "index.json";
    auto fresh = [&] {
      return fs::exists(index) && fs::last_write_time(index) > fs::last_write_time(script);
    };
    if (fresh()) return;
    fs::create_directories(dir);
    const std::string lock_path = (dir.parent_path() / ".sklearn.lock").string();
    int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
      ADD_FAILURE() << "cannot lock " << lock_path;
    }
    if (!fresh()) {  // another process may have generated them meanwhile
      const std::string cmd = "/usr/bin/python3 " + script.string() + " " + dir.string();
      if (std::system(cmd.c_str()) != 0) {
        ADD_FAILURE() << "fixture generator failed: " << cmd;
      }
    }
    if (lock >= 0) ::close(lock);  // releases the flock
  });
  return dir;
}

}  // namespace ferry::sklearn
