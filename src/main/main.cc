// ferry: one binary, several roles. This file only parses the command line
// and dispatches; each role lives in its own *_command.cc.
//
// The parser holds only the subcommand argv[1] names (CLI11 builds every
// option of every subcommand it is given, a measurable part of `ferry serve`'s
// start); anything else in argv[1] (--help, --version, a typo) gets them all,
// so the top-level help and errors list every subcommand as before. A plain
// `ferry serve` command line skips CLI11 altogether (ParseServeFlagsFast).
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "main/authz_command.h"
#include "main/passwd_command.h"
#include "main/runtimes.h"
#include "main/export_command.h"
#include "main/kubeconfig_command.h"
#include "main/serve_command.h"
#include "main/up_command.h"
#include "storage/storage_initializer.h"

namespace {

// The subcommands main adds itself, in `ferry --help`'s order (the client verbs sit after
// storage-initializer); the client verbs are ferry::cli's.
constexpr std::string_view kCommands[] = {"serve",  "up",     "kubeconfig",
                                          "storage-initializer", "authz", "passwd", "export"};

// The one subcommand to build, or "" for all of them.
std::string_view OnlyCommand(int argc, char** argv) {
  if (argc < 2) return "";
  const std::string_view first = argv[1];
  for (std::string_view c : kCommands) {
    if (first == c) return c;
  }
  return ferry::cli::IsCliCommand(first) ? first : "";
}

}  // namespace

int main(int argc, char** argv) {
  // KServe's storage-initializer contract passes SRC DEST pairs positionally.
  if (argc >= 2 && std::string(argv[1]) == "storage-initializer") {
    std::vector<std::string> args(argv + 2, argv + argc);
    return ferry::storage::RunStorageInitializer(args, std::cout, std::cerr);
  }
  // `ferry serve` as its pods are started: read without building CLI11's options; any other
  // command line gets CLI11, its help and its errors.
  if (ferry::main::ServeFlags fast; ferry::main::ParseServeFlagsFast(argc, argv, &fast)) {
    return ferry::main::RunServe(fast);
  }
  const std::string_view only = OnlyCommand(argc, argv);
  auto want = [only](std::string_view name) { return only.empty() || only == name; };
  CLI::App app{"Ferry: KServe-compatible model serving in one binary"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return std::string("ferry ") + FERRY_VERSION + "\n" + ferry::main::BackendStatus();
  });
  ferry::main::ServeFlags serve;
  if (want("serve")) ferry::main::AddServeCommand(app, &serve);
  ferry::main::UpFlags up;
  if (want("up")) ferry::main::AddUpCommand(app, &up);
  ferry::main::KubeconfigFlags kubeconfig;
  if (want("kubeconfig")) ferry::main::AddKubeconfigCommand(app, &kubeconfig);
  if (want("storage-initializer")) {
    app.add_subcommand("storage-initializer",
                       "Download SRC to DEST (KServe storage-initializer contract): "
                       "ferry storage-initializer SRC DEST [SRC DEST ...]");
  }
  ferry::cli::CliFlags cli;
  const bool cli_wanted = only.empty() || ferry::cli::IsCliCommand(only);
  if (cli_wanted) ferry::cli::AddCliCommands(app, &cli);
  ferry::main::AuthzFlags authz;
  CLI::App* authz_cmd = want("authz") ? ferry::main::AddAuthzCommand(app, &authz) : nullptr;
  ferry::main::PasswdFlags passwd;
  CLI::App* passwd_cmd = want("passwd") ? ferry::main::AddPasswdCommand(app, &passwd) : nullptr;
  ferry::main::ExportFlags export_flags;
  CLI::App* export_cmd =
      want("export") ? ferry::main::AddExportCommand(app, &export_flags) : nullptr;
  CLI11_PARSE(app, argc, argv);
  if (cli_wanted) {
    if (auto rc = ferry::cli::RunCliCommand(app, cli)) return *rc;
  }
  auto got = [&app](CLI::App* cmd) { return cmd != nullptr && cmd->parsed(); };
  auto got_named = [&](std::string_view name) {
    return want(name) && app.got_subcommand(std::string(name));
  };
  if (got(authz_cmd)) return ferry::main::RunAuthzCheck(authz, std::cout, std::cerr);
  if (got(passwd_cmd)) return ferry::main::RunPasswd(passwd, std::cin, std::cout, std::cerr);
  if (got(export_cmd)) return ferry::main::RunExport(export_flags, std::cout, std::cerr);
  if (got_named("serve")) return ferry::main::RunServe(serve);
  if (got_named("up")) return ferry::main::RunUp(up);
  if (got_named("kubeconfig")) return ferry::main::RunKubeconfig(kubeconfig);
  return 2;
}
