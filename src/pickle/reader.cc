#include "pickle/reader.h"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "pickle/machine.h"

namespace ferry::pickle {
namespace {

// Names a compression format joblib may have used, or "" for zlib/gzip/none.
std::string_view UnsupportedCompression(std::string_view b) {
  if (b.starts_with("BZh")) {
    return "bz2";
  }
  if (b.starts_with("\xfd\x37\x7a\x58\x5a")) {
    return "xz";
  }
  if (b.starts_with(std::string_view("\x5d\x00\x00", 3))) {
    return "lzma";
  }
  if (b.starts_with("\x04\x22\x4d\x18")) {
    return "lz4";
  }
  return "";
}

bool IsZlibOrGzip(std::string_view b) {
  if (b.size() < 2) {
    return false;
  }
  const auto b0 = static_cast<uint8_t>(b[0]);
  const auto b1 = static_cast<uint8_t>(b[1]);
  if (b0 == 0x1f && b1 == 0x8b) {
    return true;
  }
  return b0 == 0x78 && ((b0 << 8) | b1) % 31 == 0;
}

StatusOr<std::string> Inflate(std::string_view in, uint64_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) {
    return InternalError("zlib inflateInit failed");
  }
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_bytes) {
      inflateEnd(&zs);
      return ResourceExhaustedError("decompressed stream exceeds the " + std::to_string(max_bytes) +
                                    "-byte limit");
    }
    // Grow geometrically from a guess at the output size: resize() zeroes
    // the new room, so a fixed 1 MB step cost a 1 MB memset for every small
    // compressed file.
    const size_t want = std::min<size_t>(
        std::max<size_t>({size_t{64} << 10, in.size() * 4, out.size()}), size_t{1} << 30);
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(want, max_bytes - out.size()));
    const size_t old = out.size();
    out.resize(old + chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = static_cast<uInt>(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + chunk - zs.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return InvalidArgumentError("corrupt zlib/gzip stream (" +
                                  std::string(zs.msg ? zs.msg : "inflate error") + ")");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return InvalidArgumentError("truncated zlib/gzip stream");
    }
  }
  inflateEnd(&zs);
  return out;
}

StatusOr<ValueTree> Decode(std::string_view bytes) {
  ValueTree tree;
  Machine m(bytes, 0, tree, 0);
  ASSIGN_OR_RETURN(const Value* root, m.Run());
  RETURN_IF_ERROR(tree.CheckArraysBuilt());
  tree.set_root(root);
  tree.set_input_bytes(bytes.size());
  return tree;
}

}  // namespace

StatusOr<ValueTree> ReadPickleBytes(std::string_view bytes, std::string_view name,
                                    const ReadOptions& options) {
  auto with_name = [&](const Status& s) { return s.WithContext(std::string(name)); };
  if (std::string_view c = UnsupportedCompression(bytes); !c.empty()) {
    return with_name(UnimplementedError(
        "joblib " + std::string(c) +
        " compression is not supported; re-save with joblib.dump(..., compress=3) (zlib), "
        "gzip, or no compression"));
  }
  if (bytes.starts_with("ZF")) {
    return with_name(UnimplementedError(
        "legacy joblib (< 0.10) format is not supported; re-save the model with a current joblib"));
  }
  if (IsZlibOrGzip(bytes)) {
    auto inflated = Inflate(bytes, options.max_bytes);
    if (!inflated.ok()) {
      return with_name(inflated.status());
    }
    auto tree = Decode(*inflated);
    if (!tree.ok()) {
      return with_name(tree.status());
    }
    return tree;
  }
  auto tree = Decode(bytes);
  if (!tree.ok()) {
    return with_name(tree.status());
  }
  return tree;
}

StatusOr<ValueTree> ReadPickleFile(const std::filesystem::path& path, const ReadOptions& options) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return NotFoundError(path.string() + ": cannot read model file (" + ec.message() + ")");
  }
  if (size > options.max_bytes) {
    return ResourceExhaustedError(path.string() + ": model file is larger than the " +
                                  std::to_string(options.max_bytes) + "-byte limit");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    return UnavailableError(path.string() + ": error reading model file");
  }
  return ReadPickleBytes(bytes, path.string(), options);
}

}  // namespace ferry::pickle
