// `ferry authz check URL [-X METHOD] [-H 'Name: value' ...] [--token T]
// [--data-dir DIR] [-o json]`: asks a running `ferry up` (POST
// /ferry/v1/authz/check with the kubeconfig's server, CA and admin token)
// whether a request to URL would pass the gateway policies, and prints the
// decision with the reasons. Exit code: 0 allowed, 1 denied, 2 error.
//
// Who calls it: main.cc registers the subcommand and dispatches after parsing.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ferry::main {

struct AuthzFlags {
  std::string url;
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value"
  std::string token;
  std::string gateway;  // external / internal / "" (from the URL)
  std::string data_dir;
  std::string kubeconfig;
  std::string output;  // "" or json
};

// Adds `authz check` to `app`; returns the `authz` subcommand. Defined in command_line.cc.
CLI::App* AddAuthzCommand(CLI::App& app, AuthzFlags* flags);
int RunAuthzCheck(const AuthzFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace ferry::main
