// `ferry export [--data-dir DIR | --kubeconfig FILE] [-n NS] [--runtime NAME]
// [--upload-to s3://BUCKET/PREFIX] [--s3-endpoint HOST:PORT] [-o FILE]`:
// writes what a KServe cluster needs to run this `ferry up`'s models
// (cli/export.h). It reads a running `ferry up` through its API; when none
// answers, it reads the data directory's store instead (read-only use).
//
// Who calls it: main.cc registers the subcommand and dispatches after parsing.
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace ferry::main {

struct ExportFlags {
  std::string data_dir;
  std::string kubeconfig;
  std::string name_space;
  std::string runtime;
  std::string upload_to;
  std::string s3_endpoint;
  std::string output;  // file; empty or "-" = stdout
};

// Defined in command_line.cc (with every other subcommand's flags).
CLI::App* AddExportCommand(CLI::App& app, ExportFlags* flags);
int RunExport(const ExportFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace ferry::main
