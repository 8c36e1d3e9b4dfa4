// Where a sign-in may send the browser afterwards. Both sign-in forms (the
// dashboard's /login `next=` and the oauth2-proxy's /oauth2/sign_in `rd=`)
// redirect only to a path on the same origin, with upstream oauth2-proxy's
// rules (pkg/app/redirect/validator.go) made stricter: no control
// characters, backslashes, "//" or "/\" (a browser reads "/\t/evil.example"
// as "//evil.example", another host), no "/./" or "/../" segments, no
// non-ASCII — checked on the value and again after each round of
// percent-decoding, so "/%2509/evil.example" is refused too.
//
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace ferry::web {

// True when `target` (a form field, already form-decoded once) is a safe
// same-origin relative path to redirect to.
bool IsSafeRedirect(std::string_view target);

// `target` when IsSafeRedirect, else "/".
std::string SafeRedirect(std::string_view target);

}  // namespace ferry::web
