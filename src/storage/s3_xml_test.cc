#include "storage/s3_xml.h"

#include "gtest/gtest.h"

namespace ferry::storage {
namespace {

constexpr char kPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>mlflow</Name><Prefix>1/run/artifacts/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>1/run/artifacts/iris_model/MLmodel</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>412</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>1/run/artifacts/iris_model/a &amp; b&#233;&#x4E2D;.txt</Key>
    <ETag>"abc-2"</ETag><Size>18446744073709551615</Size></Contents>
  <NextContinuationToken>tok+/=&amp;x</NextContinuationToken>
</ListBucketResult>)";

TEST(S3XmlTest, ParsesListObjectsV2Page) {
  auto page = ParseListObjectsV2(kPage);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "1/run/artifacts/iris_model/MLmodel");
  EXPECT_EQ(page->objects[0].size, 412u);
  EXPECT_EQ(page->objects[0].etag, "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(page->objects[1].key, "1/run/artifacts/iris_model/a & b\xc3\xa9\xe4\xb8\xad.txt");
  EXPECT_EQ(page->objects[1].size, 18446744073709551615ull);
  EXPECT_EQ(page->objects[1].etag, "abc-2");
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "tok+/=&x");
}

TEST(S3XmlTest, EmptyListing) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></"
      "ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->is_truncated);
}

TEST(S3XmlTest, RejectsMalformed) {
  EXPECT_FALSE(ParseListObjectsV2("<html>not s3</html>").ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Size>1</Size></Contents>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key><Size>x1</Size>"
                                  "</Contents></ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>&bogus;</Key></Contents>"
                                  "</ListBucketResult>")
                   .ok());
}

TEST(S3XmlTest, Unescape) {
  EXPECT_EQ(*XmlUnescape("&lt;&gt;&amp;&quot;&apos;&#65;&#x42;"), "<>&\"'AB");
  EXPECT_FALSE(XmlUnescape("&#0;").ok());
  EXPECT_FALSE(XmlUnescape("&#xD800;").ok());
  EXPECT_FALSE(XmlUnescape("&#x110000;").ok());
  EXPECT_FALSE(XmlUnescape("& no semicolon").ok());
}

TEST(S3XmlTest, ParsesErrorBody) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
      "signature we calculated does not match</Message><StringToSign>x</StringToSign></Error>");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "The request signature we calculated does not match");
  EXPECT_EQ(ParseS3Error("<html>502 Bad Gateway</html>").code, "");
}

TEST(S3XmlTest, ParsesStsCredentials) {
  constexpr char kSts[] = R"(<AssumeRoleWithWebIdentityResponse xmlns="urn:sts">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>a/b&amp;c</SecretAccessKey>
      <SessionToken>tok&#x2B;en</SessionToken>
      <Expiration>2030-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";
  auto c = ParseAssumeRoleWithWebIdentity(kSts);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "ASIAEXAMPLE");
  EXPECT_EQ(c->secret_key, "a/b&c");
  EXPECT_EQ(c->session_token, "tok+en");
  EXPECT_EQ(c->expiration, "2030-01-01T00:00:00Z");
}

TEST(S3XmlTest, StsErrorsAndMalformedResponses) {
  constexpr char kErr[] =
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
      "<Message>No OpenIDConnect provider found</Message></Error></ErrorResponse>";
  EXPECT_FALSE(ParseAssumeRoleWithWebIdentity(kErr).ok());
  S3Error e = ParseS3Error(kErr);
  EXPECT_EQ(e.code, "InvalidIdentityToken");
  EXPECT_EQ(e.message, "No OpenIDConnect provider found");
  for (const char* bad :
       {"", "<AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResult>",
        "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>A</AccessKeyId>"
        "</Credentials></AssumeRoleWithWebIdentityResult>",
        "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId></AccessKeyId><SecretAccessKey>"
        "s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>x</Expiration></Credentials>"
        "</AssumeRoleWithWebIdentityResult>"}) {
    auto c = ParseAssumeRoleWithWebIdentity(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace ferry::storage
