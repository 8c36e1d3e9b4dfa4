// ferry: one binary, several roles. This file only parses the command line
// and dispatches; each role lives in its own *_command.cc.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "main/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Ferry: KServe-compatible model serving in one binary"};
  app.require_subcommand(1);
  app.set_version_flag("--version", FERRY_VERSION);
  ferry::main::ServeFlags serve;
  ferry::main::AddServeCommand(app, &serve);
  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("serve")) return ferry::main::RunServe(serve);
  return 2;
}
