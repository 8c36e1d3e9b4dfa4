#include "main/export_command.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <ostream>

#include "cli/export.h"
#include "cli/kubeconfig.h"
#include "gateway/kubeflow_defaults.h"
#include "store/resource_store.h"

namespace ferry::main {
namespace {

using nlohmann::json;

// Objects Kubeflow creates by itself, to compare the user's copies with:
// the istio-system policies and each Profile's ns-owner-access-istio.
std::vector<json> KubeflowDefaults(const cli::ObjectsByKind& objects) {
  std::vector<json> out = gateway::KubeflowDefaultObjects();
  auto profiles = objects.find("Profile");
  if (profiles != objects.end()) {
    for (const json& p : profiles->second) {
      std::string ns = p["metadata"].value("name", "");
      std::string owner;
      if (p.contains("spec") && p["spec"].contains("owner")) {
        owner = p["spec"]["owner"].value("name", "");
      }
      out.push_back(gateway::KubeflowProfilePolicy(ns, owner));
    }
  }
  return out;
}

StatusOr<cli::ObjectsByKind> ListFromStore(const std::string& path) {
  ASSIGN_OR_RETURN(auto store, store::ResourceStore::Open(path));
  cli::ObjectsByKind out;
  for (const cli::ExportKind& kind : cli::ExportKinds()) {
    ASSIGN_OR_RETURN(store::ListResult list, store->List(kind.StoreResource(), store::Selector()));
    for (const auto& item : list.items) out[kind.kind].push_back(*item);
  }
  return out;
}

}  // namespace

int RunExport(const ExportFlags& flags, std::ostream& out, std::ostream& err) {
  cli::CliFlags cli_flags;
  cli_flags.data_dir = flags.data_dir;
  cli_flags.kubeconfig = flags.kubeconfig;
  std::string dir = flags.data_dir.empty() ? cli::DefaultDataDir() : flags.data_dir;
  std::string source;
  auto objects = cli::ListViaApi(cli_flags);
  if (objects.ok()) {
    source = "the API of the ferry up at " + cli::KubeconfigPath(flags.data_dir, flags.kubeconfig);
  } else {
    std::string store = dir + "/store.db";
    std::error_code ec;
    if (!flags.kubeconfig.empty() || !std::filesystem::exists(store, ec)) {
      err << "ferry export: " << objects.status().message()
          << "\n  (start `ferry up`, or give --data-dir of a ferry up data directory)\n";
      return 1;
    }
    err << "ferry export: no ferry up answers (" << objects.status().message()
        << "); reading the store in " << dir << "\n";
    objects = ListFromStore(store);
    if (!objects.ok()) {
      err << "ferry export: " << objects.status().message() << "\n";
      return 1;
    }
    source = "the data directory " + dir + " (store.db)";
  }
  cli::ExportOptions options;
  options.name_space = flags.name_space;
  options.runtime = flags.runtime;
  options.upload_to = flags.upload_to;
  options.s3_endpoint = flags.s3_endpoint;
  options.defaults = KubeflowDefaults(*objects);
  auto result = cli::BuildExport(*objects, options);
  if (!result.ok()) {
    err << "ferry export: " << result.status().message() << "\n";
    return 1;
  }
  std::string text = cli::RenderExport(*result, source);
  for (const auto& note : result->notes) err << "ferry export: note: " << note << "\n";
  if (flags.output.empty() || flags.output == "-") {
    out << text;
    return 0;
  }
  {
    std::ofstream file(flags.output, std::ios::trunc);
    if (!file) {
      err << "ferry export: cannot write " << flags.output << "\n";
      return 1;
    }
    ::chmod(flags.output.c_str(), 0600);
    file << text;
    if (!file.flush()) {
      err << "ferry export: writing " << flags.output << " failed\n";
      return 1;
    }
  }
  err << "ferry export: wrote " << result->objects.size() << " objects to " << flags.output
      << (result->uploads.empty() ? "" : "; upload the local models first (commands at its top)")
      << "\n";
  return 0;
}

}  // namespace ferry::main
