#include "runtime/model_path.h"

#include <string>
#include <system_error>

namespace ferry::runtime {
namespace fs = std::filesystem;
namespace {

bool IsUnder(const fs::path& path, const fs::path& base) {
  auto p = path.begin();
  for (auto b = base.begin(); b != base.end(); ++b) {
    if (b->empty()) continue;
    if (p == path.end() || *p != *b) return false;
    ++p;
  }
  return true;
}

std::string Named(std::string_view rel, std::string_view field, std::string_view origin) {
  return std::string(origin) + ": " + std::string(field) + " is \"" + std::string(rel) + "\"";
}

}  // namespace

StatusOr<fs::path> LexicalModelPath(std::string_view rel, std::string_view field,
                                    std::string_view origin) {
  fs::path p = fs::path(std::string(rel)).lexically_normal();
  bool escapes = rel.empty() || rel.find('\0') != std::string_view::npos || p.is_absolute() ||
                 p.has_root_name() || p.empty() || *p.begin() == "..";
  if (escapes) {
    return InvalidArgumentError(Named(rel, field, origin) +
                                ", which is not inside the model directory; it must be a "
                                "relative path to a file inside it (re-log the model with "
                                "MLflow)");
  }
  return p;
}

StatusOr<fs::path> ResolveModelPath(const fs::path& dir, std::string_view rel,
                                    std::string_view field, std::string_view origin) {
  ASSIGN_OR_RETURN(fs::path p, LexicalModelPath(rel, field, origin));
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec) return NotFoundError("model directory " + dir.string() + ": " + ec.message());
  // The existing part resolved first, so a link out is refused before any
  // existence check outside.
  fs::path resolved = fs::weakly_canonical(root / p, ec);
  if (ec || !IsUnder(resolved, root)) {
    return PermissionDeniedError(Named(rel, field, origin) +
                                 ", which a symbolic link leads out of the model directory; it "
                                 "must name a file inside it (replace the link with the file)");
  }
  if (!fs::exists(resolved, ec)) {
    return NotFoundError(Named(rel, field, origin) + ", but " + (dir / p).string() +
                         " does not exist");
  }
  return dir / p;  // as named (for messages); the resolved path was checked above
}

}  // namespace ferry::runtime
