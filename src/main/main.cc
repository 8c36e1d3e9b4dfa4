// ferry: one binary, several roles. This file only parses the command line
// and dispatches; each role lives in its own *_command.cc.
#include <cstdio>
#include <iostream>
#include <string>
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

int main(int argc, char** argv) {
  // KServe's storage-initializer contract passes SRC DEST pairs positionally.
  if (argc >= 2 && std::string(argv[1]) == "storage-initializer") {
    std::vector<std::string> args(argv + 2, argv + argc);
    return ferry::storage::RunStorageInitializer(args, std::cout, std::cerr);
  }
  CLI::App app{"Ferry: KServe-compatible model serving in one binary"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return std::string("ferry ") + FERRY_VERSION + "\n" + ferry::main::BackendStatus();
  });
  ferry::main::ServeFlags serve;
  ferry::main::AddServeCommand(app, &serve);
  ferry::main::UpFlags up;
  ferry::main::AddUpCommand(app, &up);
  ferry::main::KubeconfigFlags kubeconfig;
  ferry::main::AddKubeconfigCommand(app, &kubeconfig);
  app.add_subcommand("storage-initializer",
                     "Download SRC to DEST (KServe storage-initializer contract): "
                     "ferry storage-initializer SRC DEST [SRC DEST ...]");
  ferry::cli::CliFlags cli;
  ferry::cli::AddCliCommands(app, &cli);
  ferry::main::AuthzFlags authz;
  CLI::App* authz_cmd = ferry::main::AddAuthzCommand(app, &authz);
  ferry::main::PasswdFlags passwd;
  CLI::App* passwd_cmd = ferry::main::AddPasswdCommand(app, &passwd);
  ferry::main::ExportFlags export_flags;
  CLI::App* export_cmd = ferry::main::AddExportCommand(app, &export_flags);
  CLI11_PARSE(app, argc, argv);
  if (auto rc = ferry::cli::RunCliCommand(app, cli)) return *rc;
  if (authz_cmd->parsed()) return ferry::main::RunAuthzCheck(authz, std::cout, std::cerr);
  if (passwd_cmd->parsed()) return ferry::main::RunPasswd(passwd, std::cin, std::cout, std::cerr);
  if (export_cmd->parsed()) return ferry::main::RunExport(export_flags, std::cout, std::cerr);
  if (app.got_subcommand("serve")) return ferry::main::RunServe(serve);
  if (app.got_subcommand("up")) return ferry::main::RunUp(up);
  if (app.got_subcommand("kubeconfig")) return ferry::main::RunKubeconfig(kubeconfig);
  return 2;
}
