#include "runtime/layout.h"

#include "runtime/loader.h"

#include <algorithm>
#include <system_error>

namespace ferry::runtime {
namespace fs = std::filesystem;
namespace {

constexpr size_t kListedFiles = 10;

struct Listing {
  std::vector<std::string> files;    // regular files, sorted, dotfiles skipped
  std::vector<std::string> subdirs;  // sorted
};

StatusOr<Listing> ListDir(const fs::path& dir) {
  Listing out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return PermissionDeniedError("cannot list model directory " + dir.string() + ": " +
                                 ec.message() + "; check its permissions");
  }
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {  // never throws
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') {
      continue;
    }
    std::error_code sec;
    if (it->is_directory(sec)) {
      out.subdirs.push_back(name);
    } else if (it->is_regular_file(sec)) {
      out.files.push_back(name);
    }
  }
  if (ec) {
    return PermissionDeniedError("cannot list model directory " + dir.string() + ": " +
                                 ec.message() + "; check its permissions");
  }
  std::sort(out.files.begin(), out.files.end());
  std::sort(out.subdirs.begin(), out.subdirs.end());
  return out;
}

std::string Extension(std::string_view file) {
  return fs::path(std::string(file)).extension().string();
}

// Which format a file belongs to: by exact plain name, else by extension.
const FormatFiles* MatchFile(const std::vector<FormatFiles>& formats, std::string_view file,
                             bool by_extension) {
  for (const auto& f : formats) {
    for (const auto& plain : f.files) {
      if (by_extension ? (!Extension(plain).empty() && Extension(plain) == Extension(file))
                       : plain == file) {
        return &f;
      }
    }
  }
  return nullptr;
}

std::string Supported(const std::vector<FormatFiles>& formats) {
  std::string s =
      "an MLflow model directory (a file named MLmodel, or one subdirectory holding it); a "
      "Triton model directory (config.pbtxt and a version directory such as 1/)";
  for (const auto& f : formats) {
    s += "; a " + f.label + " file (";
    for (size_t i = 0; i < f.files.size(); ++i) {
      s += (i ? ", " : "") + f.files[i];
    }
    s += ")";
  }
  return s;
}

std::string Found(const Listing& l) {
  std::vector<std::string> names = l.files;
  for (const auto& d : l.subdirs) {
    names.push_back(d + "/");
  }
  if (names.empty()) {
    return "nothing (the directory is empty)";
  }
  std::string s;
  for (size_t i = 0; i < names.size() && i < kListedFiles; ++i) {
    s += (i ? ", " : "") + names[i];
  }
  if (names.size() > kListedFiles) {
    s += " and " + std::to_string(names.size() - kListedFiles) + " more";
  }
  return s;
}

StatusOr<DetectedLayout> DetectFile(const std::vector<FormatFiles>& formats, const fs::path& file) {
  const std::string name = file.filename().string();
  if (name == "MLmodel") {
    return DetectedLayout{DetectedLayout::Kind::kMlflow, file.parent_path(), "", ""};
  }
  const FormatFiles* f = MatchFile(formats, name, false);
  if (f == nullptr) {
    f = MatchFile(formats, name, true);
  }
  if (f == nullptr) {
    return InvalidArgumentError(
        "model path " + file.string() +
        " is a file whose name Ferry does not recognise; supported: " + Supported(formats));
  }
  return DetectedLayout{DetectedLayout::Kind::kPlainFile, file, f->name, ""};
}

// Files matching a plain name (or, when none does, a plain extension).
StatusOr<DetectedLayout> DetectPlain(const std::vector<FormatFiles>& formats, const fs::path& dir,
                                     const Listing& listing) {
  for (bool by_ext : {false, true}) {
    std::vector<std::pair<std::string, const FormatFiles*>> hits;
    for (const auto& file : listing.files) {
      if (const FormatFiles* f = MatchFile(formats, file, by_ext)) {
        hits.emplace_back(file, f);
      }
    }
    if (hits.size() > 1) {
      return InvalidArgumentError(
          "model directory " + dir.string() + " holds more than one model file (" + hits[0].first +
          " and " + hits[1].first + "); keep exactly one, or point --model_dir at the file itself");
    }
    if (hits.size() == 1) {
      return DetectedLayout{DetectedLayout::Kind::kPlainFile, dir / hits[0].first,
                            hits[0].second->name, ""};
    }
  }
  return InvalidArgumentError("model directory " + dir.string() +
                              " holds no model Ferry recognises; found: " + Found(listing) +
                              ". Supported: " + Supported(formats));
}

}  // namespace

std::vector<FormatFiles> KnownFormats(const RuntimeRegistry& registry) {
  std::vector<FormatFiles> out;
  for (const auto& r : registry.runtimes()) {
    out.push_back({std::string(r->name()), FormatLabel(r->name()), r->plain_file_names()});
  }
  const std::vector<FormatFiles> builtin = {
      {"sklearn", "scikit-learn", {"model.joblib", "model.pkl", "model.pickle"}},
      {"xgboost", "XGBoost", {"model.bst", "model.json", "model.ubj"}},
  };
  for (const auto& b : builtin) {
    if (registry.FindByName(b.name) == nullptr) {
      out.push_back(b);
    }
  }
  return out;
}

std::string FormatLabel(std::string_view name) {
  if (name == "sklearn") {
    return "scikit-learn";
  }
  if (name == "xgboost") {
    return "XGBoost";
  }
  if (name == "pytorch") {
    return "PyTorch";
  }
  return std::string(name);
}

StatusOr<DetectedLayout> DetectLayout(const RuntimeRegistry& registry, const fs::path& dir) {
  const std::vector<FormatFiles> formats = KnownFormats(registry);
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (ec || !fs::exists(st)) {
    return NotFoundError("model directory " + dir.string() +
                         " does not exist; check --model_dir (or the storage download)");
  }
  if (fs::is_regular_file(st)) {
    return DetectFile(formats, dir);
  }
  ASSIGN_OR_RETURN(Listing listing, ListDir(dir));
  auto holds = [&listing](const char* name) {
    return std::find(listing.files.begin(), listing.files.end(), name) != listing.files.end();
  };
  if (holds("MLmodel")) {
    return DetectedLayout{DetectedLayout::Kind::kMlflow, dir, "", ""};
  }
  if (holds("config.pbtxt")) {
    return DetectedLayout{DetectedLayout::Kind::kTriton, dir, "", ""};
  }
  // A subdirectory holding MLmodel (an MLflow artifact directory) or
  // config.pbtxt (one model of a Triton model repository).
  std::vector<std::pair<std::string, DetectedLayout::Kind>> subdirs;
  for (const auto& sub : listing.subdirs) {
    std::error_code sec;
    if (fs::is_regular_file(dir / sub / "MLmodel", sec)) {
      subdirs.emplace_back(sub, DetectedLayout::Kind::kMlflow);
    } else if (fs::is_regular_file(dir / sub / "config.pbtxt", sec)) {
      subdirs.emplace_back(sub, DetectedLayout::Kind::kTriton);
    }
  }
  auto what = [](DetectedLayout::Kind k) {
    return k == DetectedLayout::Kind::kMlflow ? "an MLflow model" : "a Triton model";
  };
  if (subdirs.size() > 1) {
    return InvalidArgumentError("model directory " + dir.string() + " holds more than one model (" +
                                what(subdirs[0].second) + " in " + subdirs[0].first + "/ and " +
                                what(subdirs[1].second) + " in " + subdirs[1].first +
                                "/); point --model_dir at the one to serve");
  }
  StatusOr<DetectedLayout> plain = DetectPlain(formats, dir, listing);
  if (subdirs.size() == 1) {
    const auto& [sub, kind] = subdirs[0];
    if (plain.ok()) {
      return InvalidArgumentError("model directory " + dir.string() + " holds both a model file (" +
                                  plain->path.filename().string() + ") and " + what(kind) + " (" +
                                  sub + "/); point --model_dir at the one to serve");
    }
    return DetectedLayout{kind, dir / sub, "",
                          std::string(kind == DetectedLayout::Kind::kMlflow ? "MLmodel"
                                                                            : "config.pbtxt") +
                              " found in subdirectory " + sub + "/ of " + dir.string()};
  }
  return plain;
}

bool IsModelRepository(const RuntimeRegistry& registry, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || DetectLayout(registry, dir).ok()) {
    return false;
  }
  StatusOr<Listing> listing = ListDir(dir);
  if (!listing.ok()) {
    return false;
  }
  const std::vector<FormatFiles> formats = KnownFormats(registry);
  for (const auto& file : listing->files) {
    if (file == "MLmodel" || MatchFile(formats, file, false) != nullptr ||
        MatchFile(formats, file, true) != nullptr) {
      return false;
    }
  }
  for (const auto& sub : listing->subdirs) {
    if (DetectLayout(registry, dir / sub).ok()) {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::runtime
