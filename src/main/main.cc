// ferry: one binary, several roles. This file only parses the command line
// and dispatches; each role lives in its own *_command.cc.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

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
  app.set_version_flag("--version", FERRY_VERSION);
  ferry::main::ServeFlags serve;
  ferry::main::AddServeCommand(app, &serve);
  ferry::main::UpFlags up;
  ferry::main::AddUpCommand(app, &up);
  std::string kubeconfig_dir;
  ferry::main::AddKubeconfigCommand(app, &kubeconfig_dir);
  app.add_subcommand("storage-initializer",
                     "Download SRC to DEST (KServe storage-initializer contract): "
                     "ferry storage-initializer SRC DEST [SRC DEST ...]");
  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("serve")) return ferry::main::RunServe(serve);
  if (app.got_subcommand("up")) return ferry::main::RunUp(up);
  if (app.got_subcommand("kubeconfig")) return ferry::main::RunKubeconfig(kubeconfig_dir);
  return 2;
}
