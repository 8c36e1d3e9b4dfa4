// Ferry's client verbs for users without kubectl — thin clients of the
// HTTPS API of a running `ferry up`:
//   ferry apply -f FILE|-            create or update (kubectl's client-side apply)
//   ferry get KIND [NAME] [-n NS|-A] [-o yaml|json|wide]
//   ferry describe KIND NAME [-n NS]
//   ferry delete KIND NAME [-n NS] | ferry delete -f FILE
//   ferry logs isvc NAME [-n NS] [--tail N]
//   ferry contributor add|remove EMAIL -n NS [--role edit|view] | list -n NS
// They read DATA_DIR/kubeconfig (--data-dir, default $FERRY_DATA_DIR or
// ~/.ferry) or --kubeconfig FILE.
//
// Who calls it: src/main/main.cc registers the subcommands on the app and
// dispatches to RunCliCommand after parsing. Output goes to stdout/stderr.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace ferry::cli {

struct CliFlags {
  std::string data_dir;
  std::string kubeconfig;
  std::string name_space;  // -n; empty = the kubeconfig context's namespace
  bool all_namespaces = false;
  std::string output;              // "", yaml, json, wide, name
  std::vector<std::string> files;  // -f
  std::vector<std::string> args;   // KIND [NAME] or KIND/NAME
  long tail = -1;
  std::string role = "edit";  // contributor add/remove
};

// Adds apply, get, describe, delete, logs and contributor to `app`.
void AddCliCommands(CLI::App& app, CliFlags* flags);

// Whether `name` is one of the subcommands AddCliCommands adds.
bool IsCliCommand(std::string_view name);

// Runs the client verb `app` parsed, if any; nullopt when none was given.
std::optional<int> RunCliCommand(const CLI::App& app, const CliFlags& flags);

// The verbs, for tests: exit code 0 or 1; output to `out`, errors to `err`.
int RunApply(const CliFlags& flags, std::ostream& out, std::ostream& err);
int RunGet(const CliFlags& flags, std::ostream& out, std::ostream& err);
int RunDescribe(const CliFlags& flags, std::ostream& out, std::ostream& err);
int RunDelete(const CliFlags& flags, std::ostream& out, std::ostream& err);
int RunLogs(const CliFlags& flags, std::ostream& out, std::ostream& err);
// action: add, remove or list.
int RunContributor(const std::string& action, const CliFlags& flags, std::ostream& out,
                   std::ostream& err);

}  // namespace ferry::cli
