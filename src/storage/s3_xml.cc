#include "storage/s3_xml.h"

#include <charconv>

namespace ferry::storage {
namespace {

// Finds the text of the first <tag>...</tag> within [from, end) of `doc`.
// Returns false if absent. `pos` is advanced past the closing tag.
bool FindElement(std::string_view doc, std::string_view tag, size_t& pos, std::string_view& text) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t a = doc.find(open, pos);
  if (a == std::string_view::npos) return false;
  size_t b = doc.find(close, a + open.size());
  if (b == std::string_view::npos) return false;
  text = doc.substr(a + open.size(), b - a - open.size());
  pos = b + close.size();
  return true;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Status MalformedList(std::string_view why) {
  return DataLossError("S3 ListObjectsV2 response is malformed (" + std::string(why) +
                       "); the endpoint may not be an S3 server, check the endpoint setting");
}

}  // namespace

StatusOr<std::string> XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      return InvalidArgumentError("bad XML entity");
    }
    std::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out.push_back('&');
    else if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (ent.size() >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [p, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || cp == 0 ||
          cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return InvalidArgumentError("bad XML character reference");
      }
      AppendUtf8(out, cp);
    } else {
      return InvalidArgumentError("unknown XML entity");
    }
    i = semi;
  }
  return out;
}

StatusOr<ListObjectsPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return MalformedList("no <ListBucketResult> element");
  }
  ListObjectsPage page;
  size_t pos = 0;
  std::string_view contents;
  while (FindElement(xml, "Contents", pos, contents)) {
    S3Object obj;
    size_t p = 0;
    std::string_view text;
    if (!FindElement(contents, "Key", p, text)) return MalformedList("<Contents> without <Key>");
    auto key = XmlUnescape(text);
    if (!key.ok()) return MalformedList("bad escape in <Key>");
    obj.key = *std::move(key);
    p = 0;
    if (FindElement(contents, "Size", p, text)) {
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), obj.size);
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        return MalformedList("bad <Size> for key " + obj.key);
      }
    }
    p = 0;
    if (FindElement(contents, "ETag", p, text)) {
      auto etag = XmlUnescape(text);
      if (!etag.ok()) return MalformedList("bad escape in <ETag>");
      obj.etag = *std::move(etag);
      if (obj.etag.size() >= 2 && obj.etag.front() == '"' && obj.etag.back() == '"') {
        obj.etag = obj.etag.substr(1, obj.etag.size() - 2);
      }
    }
    page.objects.push_back(std::move(obj));
  }
  // Top-level fields: search outside <Contents> is unnecessary because keys
  // are escaped, so a literal "<IsTruncated>" cannot appear inside them.
  size_t p = 0;
  std::string_view text;
  if (FindElement(xml, "IsTruncated", p, text)) page.is_truncated = text == "true";
  p = 0;
  if (FindElement(xml, "NextContinuationToken", p, text)) {
    auto token = XmlUnescape(text);
    if (!token.ok()) return MalformedList("bad escape in <NextContinuationToken>");
    page.next_continuation_token = *std::move(token);
  }
  if (page.is_truncated && page.next_continuation_token.empty()) {
    return MalformedList("IsTruncated=true without NextContinuationToken");
  }
  return page;
}

StatusOr<StsCredentials> ParseAssumeRoleWithWebIdentity(std::string_view xml) {
  auto malformed = [](std::string_view why) {
    return DataLossError("STS AssumeRoleWithWebIdentity response is malformed (" +
                         std::string(why) +
                         "); the STS endpoint may not be AWS STS, check AWS_ENDPOINT_URL_STS");
  };
  size_t p = 0;
  std::string_view result;
  if (!FindElement(xml, "AssumeRoleWithWebIdentityResult", p, result)) {
    return malformed("no <AssumeRoleWithWebIdentityResult>");
  }
  p = 0;
  std::string_view creds;
  if (!FindElement(result, "Credentials", p, creds)) return malformed("no <Credentials>");
  StsCredentials out;
  struct Field {
    const char* tag;
    std::string* into;
  };
  for (Field f : {Field{"AccessKeyId", &out.access_key}, Field{"SecretAccessKey", &out.secret_key},
                  Field{"SessionToken", &out.session_token},
                  Field{"Expiration", &out.expiration}}) {
    size_t q = 0;
    std::string_view text;
    if (!FindElement(creds, f.tag, q, text)) return malformed("no <" + std::string(f.tag) + ">");
    auto v = XmlUnescape(text);
    if (!v.ok()) return malformed("bad escape in <" + std::string(f.tag) + ">");
    *f.into = *std::move(v);
  }
  if (out.access_key.empty() || out.secret_key.empty() || out.session_token.empty()) {
    return malformed("empty credentials");
  }
  return out;
}

S3Error ParseS3Error(std::string_view xml) {
  S3Error err;
  size_t p = 0;
  std::string_view text;
  if (xml.find("<Error>") == std::string_view::npos) return err;
  if (FindElement(xml, "Code", p, text)) {
    auto v = XmlUnescape(text);
    err.code = v.ok() ? *v : std::string(text);
  }
  p = 0;
  if (FindElement(xml, "Message", p, text)) {
    auto v = XmlUnescape(text);
    err.message = v.ok() ? *v : std::string(text);
  }
  return err;
}

}  // namespace ferry::storage
