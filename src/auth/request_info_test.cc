// RequestInfo parsing against Kubernetes' requestinfo_test.go cases (as data)
// plus the encodings the API decodes (%73ecrets is secrets).
#include "auth/request_info.h"

#include <gtest/gtest.h>

#include "auth/forbidden.h"
#include "auth/impersonation.h"

namespace ferry::auth {
namespace {

struct Case {
  std::string method, url;
  std::string verb, prefix, group, version, ns, resource, subresource, name;
};

RequestInfo Parse(const std::string& method, const std::string& url) {
  std::string path = url.substr(0, url.find('?'));
  std::map<std::string, std::string, std::less<>> query;
  if (url.find('?') != std::string::npos) {
    std::string q = url.substr(url.find('?') + 1);
    size_t start = 0;
    while (start < q.size()) {
      size_t amp = q.find('&', start);
      if (amp == std::string::npos) amp = q.size();
      std::string kv = q.substr(start, amp - start);
      size_t eq = kv.find('=');
      query[kv.substr(0, eq)] = eq == std::string::npos ? "" : *DecodePath(kv.substr(eq + 1));
      start = amp + 1;
    }
  }
  auto decoded = DecodePath(path);
  EXPECT_TRUE(decoded.ok()) << url;
  return ParseRequestInfo(method, *decoded, query);
}

TEST(KubernetesRequestInfo, ResourceRequests) {
  // requestinfo_test.go TestGetAPIRequestInfo (namespace "other" in its table).
  std::vector<Case> cases = {
      {"GET", "/api/v1/namespaces", "list", "api", "", "v1", "", "namespaces", "", ""},
      {"GET", "/api/v1/namespaces/other", "get", "api", "", "v1", "other", "namespaces", "",
       "other"},
      {"GET", "/api/v1/namespaces/other/pods", "list", "api", "", "v1", "other", "pods", "", ""},
      {"GET", "/api/v1/namespaces/other/pods/foo", "get", "api", "", "v1", "other", "pods", "",
       "foo"},
      {"HEAD", "/api/v1/namespaces/other/pods/foo", "get", "api", "", "v1", "other", "pods", "",
       "foo"},
      {"GET", "/api/v1/pods", "list", "api", "", "v1", "", "pods", "", ""},
      {"HEAD", "/api/v1/pods", "list", "api", "", "v1", "", "pods", "", ""},
      {"GET", "/api/v1/namespaces/other/pods/foo", "get", "api", "", "v1", "other", "pods", "",
       "foo"},
      {"GET", "/api/v1/namespaces/other/pods", "list", "api", "", "v1", "other", "pods", "", ""},
      // special verbs
      {"GET", "/api/v1/proxy/namespaces/other/pods/foo", "proxy", "api", "", "v1", "other", "pods",
       "", "foo"},
      {"GET", "/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource", "proxy", "api",
       "", "v1", "other", "pods", "", "foo"},
      {"GET", "/api/v1/watch/pods", "watch", "api", "", "v1", "", "pods", "", ""},
      {"GET", "/api/v1/pods?watch=true", "watch", "api", "", "v1", "", "pods", "", ""},
      {"GET", "/api/v1/pods?watch=false", "list", "api", "", "v1", "", "pods", "", ""},
      {"GET", "/api/v1/watch/namespaces/other/pods", "watch", "api", "", "v1", "other", "pods", "",
       ""},
      {"GET", "/api/v1/namespaces/other/pods?watch=1", "watch", "api", "", "v1", "other", "pods",
       "", ""},
      {"GET", "/api/v1/namespaces/other/pods?watch=0", "list", "api", "", "v1", "other", "pods", "",
       ""},
      // subresource identification
      {"GET", "/api/v1/namespaces/other/pods/foo/status", "get", "api", "", "v1", "other", "pods",
       "status", "foo"},
      {"GET", "/api/v1/namespaces/other/finalize", "get", "api", "", "v1", "other", "namespaces",
       "finalize", "other"},
      {"PUT", "/api/v1/namespaces/other/finalize", "update", "api", "", "v1", "other", "namespaces",
       "finalize", "other"},
      {"PUT", "/api/v1/namespaces/other/status", "update", "api", "", "v1", "other", "namespaces",
       "status", "other"},
      // verb identification
      {"PATCH", "/api/v1/namespaces/other/pods/foo", "patch", "api", "", "v1", "other", "pods", "",
       "foo"},
      {"DELETE", "/api/v1/namespaces/other/pods/foo", "delete", "api", "", "v1", "other", "pods",
       "", "foo"},
      {"POST", "/api/v1/namespaces/other/pods", "create", "api", "", "v1", "other", "pods", "", ""},
      // deletecollection verb identification
      {"DELETE", "/api/v1/nodes", "deletecollection", "api", "", "v1", "", "nodes", "", ""},
      {"DELETE", "/api/v1/namespaces", "deletecollection", "api", "", "v1", "", "namespaces", "",
       ""},
      {"DELETE", "/api/v1/namespaces/other/pods", "deletecollection", "api", "", "v1", "other",
       "pods", "", ""},
      {"DELETE", "/apis/extensions/v1/namespaces/other/pods", "deletecollection", "apis",
       "extensions", "v1", "other", "pods", "", ""},
      // api group identification
      {"POST", "/apis/extensions/v1/namespaces/other/pods", "create", "apis", "extensions", "v1",
       "other", "pods", "", ""},
      // api version identification
      {"POST", "/apis/extensions/v1beta3/namespaces/other/pods", "create", "apis", "extensions",
       "v1beta3", "other", "pods", "", ""},
      // Ferry: a field selector on metadata.name names the object (kubectl's delete-wait).
      {"GET",
       "/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices?fieldSelector="
       "metadata.name%3Dirish&watch=true",
       "watch", "apis", "serving.kserve.io", "v1beta1", "ns", "inferenceservices", "", "irish"},
      // Ferry: percent-encoded segments decode to what the API acts on.
      {"GET", "/api/v1/namespaces/ns/%73ecrets/s3creds", "get", "api", "", "v1", "ns", "secrets",
       "", "s3creds"},
      {"GET", "/api/v1/namespaces/ns/serviceaccounts/sa%2Ftoken", "get", "api", "", "v1", "ns",
       "serviceaccounts", "token", "sa"},
  };
  for (const Case& c : cases) {
    RequestInfo info = Parse(c.method, c.url);
    EXPECT_TRUE(info.resource_request) << c.url;
    EXPECT_EQ(info.verb, c.verb) << c.method << " " << c.url;
    EXPECT_EQ(info.api_prefix, c.prefix) << c.url;
    EXPECT_EQ(info.api_group, c.group) << c.url;
    EXPECT_EQ(info.api_version, c.version) << c.url;
    EXPECT_EQ(info.ns, c.ns) << c.url;
    EXPECT_EQ(info.resource, c.resource) << c.url;
    EXPECT_EQ(info.subresource, c.subresource) << c.url;
    EXPECT_EQ(info.name, c.name) << c.url;
  }
}

TEST(KubernetesRequestInfo, FieldSelectorName) {
  std::map<std::string, std::string, std::less<>> q = {{"fieldSelector", "metadata.name=irish"}};
  EXPECT_EQ(ParseRequestInfo("GET", "/apis/g/v1/namespaces/ns/things", q).name, "irish");
  q["fieldSelector"] = "metadata.name!=irish";
  EXPECT_EQ(ParseRequestInfo("GET", "/apis/g/v1/namespaces/ns/things", q).name, "");
  q["fieldSelector"] = " metadata.name == a , x=y";
  EXPECT_EQ(ParseRequestInfo("GET", "/apis/g/v1/namespaces/ns/things", q).name, "a");
  q["fieldSelector"] = "metadata.name=a/b";  // not a valid name: no name
  EXPECT_EQ(ParseRequestInfo("GET", "/apis/g/v1/namespaces/ns/things", q).name, "");
}

TEST(KubernetesRequestInfo, NonResourceRequests) {
  // requestinfo_test.go TestGetNonAPIRequestInfo.
  for (const char* url : {"/api", "/apis", "/apis/extensions", "/apis/extensions/v1", "/foo",
                          "/healthz", "/", "/version", "/openid/v1/jwks"}) {
    RequestInfo info = Parse("GET", url);
    EXPECT_FALSE(info.resource_request) << url;
    EXPECT_EQ(info.verb, "get") << url;
  }
  EXPECT_TRUE(Parse("GET", "/api/v1/namespaces").resource_request);
  EXPECT_EQ(Parse("POST", "/healthz").verb, "post");
}

TEST(RequestInfo, DecodePathRefusesBrokenEscapes) {
  EXPECT_FALSE(DecodePath("/api/v1/%zz").ok());
  EXPECT_FALSE(DecodePath("/api/v1/%7").ok());
  EXPECT_EQ(*DecodePath("/a%2Fb+c"), "/a/b+c");  // '+' is literal in a path
}

Attributes Attrs(const UserInfo* u, std::string verb, std::string group, std::string resource,
                 std::string sub, std::string ns, std::string name) {
  Attributes a;
  a.user = u;
  a.verb = std::move(verb);
  a.resource_request = true;
  a.api_group = std::move(group);
  a.resource = std::move(resource);
  a.subresource = std::move(sub);
  a.ns = std::move(ns);
  a.name = std::move(name);
  return a;
}

TEST(Forbidden, AllForms) {
  UserInfo u;
  u.name = "system:serviceaccount:ns:default-editor";
  EXPECT_EQ(ForbiddenStatusMessage(
                Attrs(&u, "get", "serving.kserve.io", "inferenceservices", "", "ns", "x"), ""),
            "inferenceservices.serving.kserve.io \"x\" is forbidden: User "
            "\"system:serviceaccount:ns:default-editor\" cannot get resource \"inferenceservices\" "
            "in API group \"serving.kserve.io\" in the namespace \"ns\"");
  EXPECT_EQ(ForbiddenStatusMessage(Attrs(&u, "list", "", "secrets", "", "", ""), ""),
            "secrets is forbidden: User \"system:serviceaccount:ns:default-editor\" cannot list "
            "resource \"secrets\" in API group \"\" at the cluster scope");
  EXPECT_EQ(ForbiddenStatusMessage(Attrs(&u, "get", "", "pods", "log", "ns", "p"), "RBAC: x"),
            "pods \"p\" is forbidden: User \"system:serviceaccount:ns:default-editor\" cannot get "
            "resource \"pods/log\" in API group \"\" in the namespace \"ns\": RBAC: x");
  Attributes path;
  path.user = &u;
  path.verb = "get";
  path.path = "/api<script>";
  EXPECT_EQ(ForbiddenStatusMessage(path, ""),
            "forbidden: User \"system:serviceaccount:ns:default-editor\" cannot get path "
            "\"/api&lt;script&gt;\"");
}

TEST(Impersonation, ChecksAndUser) {
  auto none = ParseImpersonation({{"authorization", "Bearer x"}});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(ParseImpersonation({{"impersonate-group", "g"}}).ok());

  auto sa = ParseImpersonation({{"impersonate-user", "system:serviceaccount:ns1:builder"}});
  ASSERT_TRUE(sa.ok() && sa->has_value());
  const Impersonation& i = **sa;
  ASSERT_EQ(i.checks.size(), 1u);
  EXPECT_EQ(i.checks[0].resource, "serviceaccounts");
  EXPECT_EQ(i.checks[0].ns, "ns1");
  EXPECT_EQ(i.checks[0].name, "builder");
  EXPECT_EQ(i.user.groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:ns1",
                                      "system:authenticated"}));

  auto user = ParseImpersonation({{"impersonate-user", "jane@example.com"},
                                  {"impersonate-group", "devs"},
                                  {"impersonate-group", "ops"},
                                  {"impersonate-extra-scopes%2Fx", "view"},
                                  {"impersonate-uid", "1234"}});
  ASSERT_TRUE(user.ok() && user->has_value());
  const Impersonation& j = **user;
  ASSERT_EQ(j.checks.size(), 5u);
  EXPECT_EQ(j.checks[0].resource, "users");
  EXPECT_EQ(j.checks[1].resource, "groups");
  EXPECT_EQ(j.checks[2].name, "ops");
  EXPECT_EQ(j.checks[3].resource, "userextras");
  EXPECT_EQ(j.checks[3].subresource, "scopes/x");
  EXPECT_EQ(j.checks[3].api_group, "authentication.k8s.io");
  EXPECT_EQ(j.checks[4].resource, "uids");
  EXPECT_EQ(j.user.name, "jane@example.com");
  EXPECT_EQ(j.user.uid, "1234");
  EXPECT_EQ(j.user.groups, (std::vector<std::string>{"devs", "ops", "system:authenticated"}));
  EXPECT_EQ(j.user.extra.at("scopes/x"), std::vector<std::string>{"view"});

  auto anon = ParseImpersonation({{"impersonate-user", "system:anonymous"}});
  EXPECT_EQ((*anon)->user.groups, std::vector<std::string>{"system:unauthenticated"});
}

}  // namespace
}  // namespace ferry::auth
