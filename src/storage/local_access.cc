#include "storage/local_access.h"

#include <cctype>
#include <filesystem>
#include <system_error>

#include "storage/dest_path.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;

std::string Join(const std::vector<std::string>& items) {
  if (items.empty()) return "none";
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string Quote(std::string_view uri) { return "storageUri `" + std::string(uri) + "`"; }

Status NotAllowed(std::string_view uri, const LocalAccess& access) {
  return PermissionDeniedError(
      Quote(uri) + " is not in a directory this Ferry serves local models from (allowed: " +
      Join(access.roots) + "); the operator allows one with `" + access.root_flag +
      "`, or copy the model into an allowed directory or to S3");
}

Status DataDirError(std::string_view uri, bool contains) {
  return PermissionDeniedError(
      Quote(uri) + (contains ? " contains" : " points into") +
      " Ferry's data directory, which is never readable as a model (it holds Secrets, users and "
      "every namespace's models); point storageUri at the model's own directory");
}

// `path` (normal, absolute) must neither lie in nor contain a denied
// directory; claim directories under pvc_root are readable through pvc://.
Status CheckDenied(std::string_view uri, const fs::path& path, bool pvc,
                   const std::vector<fs::path>& denied, const std::vector<fs::path>& pvc_roots) {
  for (const auto& d : denied) {
    if (PathIsUnder(d, path)) return DataDirError(uri, true);
    if (!PathIsUnder(path, d)) continue;
    bool claim = false;
    for (const auto& p : pvc_roots) claim = claim || (pvc && PathIsUnder(path, p) && path != p);
    if (!claim) return DataDirError(uri, false);
  }
  return OkStatus();
}

std::vector<fs::path> Normal(const std::vector<std::string>& paths) {
  std::vector<fs::path> out;
  for (const auto& p : paths) out.push_back(fs::path(p).lexically_normal());
  return out;
}

// Each path as given and, when it exists, resolved.
std::vector<fs::path> WithCanonical(const std::vector<std::string>& paths) {
  std::vector<fs::path> out = Normal(paths);
  for (const auto& p : paths) {
    std::error_code ec;
    fs::path c = fs::canonical(p, ec);
    if (!ec) out.push_back(c);
  }
  return out;
}

StatusOr<LocalSource> ResolvePvc(std::string_view uri, const LocalAccess& access) {
  std::string_view rest = uri.substr(6);
  size_t slash = rest.find('/');
  std::string name(rest.substr(0, slash));
  if (name.empty() || !IsValidClaimName(name)) {
    return InvalidArgumentError(Quote(uri) + " names no valid PersistentVolumeClaim (`" + name +
                                "`); write pvc://CLAIM/path with CLAIM a Kubernetes name");
  }
  auto mapped = access.claims.find(name);
  fs::path claim_dir =
      (mapped != access.claims.end() ? fs::path(mapped->second) : fs::path(access.pvc_root) / name)
          .lexically_normal();
  fs::path p = claim_dir;
  if (slash != std::string_view::npos) p /= std::string(rest.substr(slash + 1));
  p = p.lexically_normal();
  if (!PathIsUnder(p, claim_dir)) {
    return InvalidArgumentError(Quote(uri) +
                                " escapes its claim with `..`; name a path inside "
                                "the claim");
  }
  LocalSource out;
  out.path = p.string();
  if (!out.path.empty() && out.path.back() == '/' && out.path.size() > 1) out.path.pop_back();
  out.pvc = true;
  if (access.restricted) out.base = claim_dir.string();
  return out;
}

}  // namespace

bool IsValidClaimName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  auto alnum = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  };
  return alnum(name.front()) && alnum(name.back());
}

bool IsLocalUri(std::string_view uri) {
  return uri.rfind("file://", 0) == 0 || uri.rfind("pvc://", 0) == 0 ||
         uri.find("://") == std::string_view::npos;
}

StatusOr<LocalSource> ResolveLocalUri(std::string_view uri, const LocalAccess& access) {
  LocalSource out;
  if (uri.rfind("pvc://", 0) == 0) {
    ASSIGN_OR_RETURN(out, ResolvePvc(uri, access));
  } else {
    std::string_view rest = uri;
    if (uri.rfind("file://", 0) == 0) {
      rest = uri.substr(7);
      if (rest.rfind("localhost/", 0) == 0) rest.remove_prefix(9);
      if (rest.empty() || rest.front() != '/') {
        return InvalidArgumentError(Quote(uri) +
                                    " is not an absolute file URI; write "
                                    "file:///abs/path");
      }
    } else if (access.restricted && (rest.empty() || rest.front() != '/')) {
      return InvalidArgumentError(Quote(uri) + " is a relative path; write file:///abs/path");
    }
    if (rest.empty() || rest.find('\0') != std::string_view::npos) {
      return InvalidArgumentError(Quote(uri) + " names no path; write file:///abs/path");
    }
    out.path = rest.front() == '/' ? fs::path(rest).lexically_normal().string() : std::string(rest);
    if (out.path.size() > 1 && out.path.back() == '/') out.path.pop_back();
  }
  if (!access.restricted) return out;
  fs::path path(out.path);
  if (!out.pvc) {
    for (const auto& r : Normal(access.roots)) {
      if (PathIsUnder(path, r)) {
        out.base = r.string();
        break;
      }
    }
    if (out.base.empty()) return NotAllowed(uri, access);
  }
  RETURN_IF_ERROR(CheckDenied(uri, path, out.pvc, WithCanonical(access.denied),
                              WithCanonical({access.pvc_root})));
  return out;
}

StatusOr<std::string> CanonicalSource(std::string_view uri, const LocalSource& source,
                                      const LocalAccess& access) {
  std::error_code ec;
  if (access.restricted && !source.base.empty()) {
    fs::path base = fs::canonical(source.base, ec);
    if (ec) {
      return NotFoundError(
          source.pvc ? "the directory of the claim in " + Quote(uri) + " (" + source.base +
                           ") does not exist; create it, or map the claim to a directory with `" +
                           access.claim_flag + "`"
                     : "the allowed directory " + source.base + " of " + Quote(uri) +
                           " does not exist any more; ask the operator to restore it");
    }
    // The existing part of the path, resolved: decides before any existence
    // check whether the path leads out (so nothing outside is revealed).
    fs::path resolved = fs::weakly_canonical(source.path, ec);
    if (ec || !PathIsUnder(resolved, base)) {
      return PermissionDeniedError(
          Quote(uri) + " leads out of " + source.base +
          " through a symbolic link; Ferry reads local models only inside the allowed "
          "directories (" +
          (source.pvc ? source.base : Join(access.roots)) +
          "); replace the link with the model's files");
    }
    RETURN_IF_ERROR(CheckDenied(uri, resolved, source.pvc, WithCanonical(access.denied),
                                WithCanonical({access.pvc_root})));
  }
  fs::path real = fs::canonical(source.path, ec);
  if (ec) {
    return NotFoundError("model path " + std::string(uri) +
                         (source.path != uri ? " (" + source.path + ")" : "") +
                         " does not exist; check storageUri" +
                         (source.pvc ? " (pvc://CLAIM/path is read from " + access.pvc_root +
                                           "/CLAIM/path unless the claim is mapped)"
                                     : ""));
  }
  return real.string();
}

}  // namespace ferry::storage
