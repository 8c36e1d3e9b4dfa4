// Fuzz target for the AWS XML parsers (S3 ListObjectsV2 result, <Error>
// body, STS AssumeRoleWithWebIdentity result, entity decoding): arbitrary
// bytes must yield a value or a Status, never a crash, hang or out-of-bounds
// read. Seeds: tests/fuzz/s3xml/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/s3_path.h"
#include "storage/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto page = ferry::storage::ParseListObjectsV2(xml);
  if (page.ok()) {
    for (const auto& obj : page->objects) {
      // Keys feed path building; that must not crash either.
      (void)ferry::storage::RelativePathForKey("models/iris", obj.key);
      (void)ferry::storage::MatchKey("models/iris", obj.key);
    }
  }
  (void)ferry::storage::ParseS3Error(xml);
  (void)ferry::storage::ParseAssumeRoleWithWebIdentity(xml);
  (void)ferry::storage::XmlUnescape(xml);
  return 0;
}
