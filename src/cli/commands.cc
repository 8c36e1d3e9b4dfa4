// Registers the client verbs on the `ferry` command line and dispatches.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli.h"

namespace ferry::cli {
namespace {

void AddConnectionFlags(CLI::App* cmd, CliFlags* f) {
  cmd->add_option("--data-dir,--data_dir", f->data_dir,
                  "Data dir of the `ferry up` to talk to (its kubeconfig); default "
                  "$FERRY_DATA_DIR or ~/.ferry");
  cmd->add_option("--kubeconfig", f->kubeconfig,
                  "Use this kubeconfig instead of DATA_DIR/kubeconfig");
  cmd->add_option("-n,--namespace", f->name_space,
                  "Namespace (default: the kubeconfig context's, usually `default`)");
}

}  // namespace

bool IsCliCommand(std::string_view name) {
  for (std::string_view verb : {"apply", "get", "describe", "delete", "logs", "contributor"}) {
    if (name == verb) return true;
  }
  return false;
}

void AddCliCommands(CLI::App& app, CliFlags* f) {
  CLI::App* apply = app.add_subcommand(
      "apply", "Create or update objects from YAML/JSON manifests, like kubectl apply");
  apply
      ->add_option("-f,--filename", f->files,
                   "Manifest file (several documents allowed), - = stdin")
      ->required();
  AddConnectionFlags(apply, f);

  CLI::App* get = app.add_subcommand("get", "List or show objects: ferry get KIND [NAME]");
  get->add_option("args", f->args, "KIND [NAME] (e.g. isvc, inferenceservices, secret sa)")
      ->required();
  get->add_flag("-A,--all-namespaces", f->all_namespaces, "List across all namespaces");
  get->add_option("-o,--output", f->output, "yaml, json, wide or name");
  AddConnectionFlags(get, f);

  CLI::App* describe = app.add_subcommand(
      "describe", "Show an object in detail with its Events: ferry describe KIND NAME");
  describe->add_option("args", f->args, "KIND [NAME]")->required();
  AddConnectionFlags(describe, f);

  CLI::App* del = app.add_subcommand("delete", "Delete objects: ferry delete KIND NAME | -f FILE");
  del->add_option("args", f->args, "KIND NAME");
  del->add_option("-f,--filename", f->files, "Delete the objects named in this manifest");
  AddConnectionFlags(del, f);

  CLI::App* logs =
      app.add_subcommand("logs", "Model server log of an InferenceService: ferry logs isvc NAME");
  logs->add_option("args", f->args, "isvc NAME")->required();
  logs->add_option("--tail", f->tail, "Only the last N lines");
  AddConnectionFlags(logs, f);

  CLI::App* contributor = app.add_subcommand(
      "contributor", "A profile's contributors, as Kubeflow's KFAM makes them (RoleBinding and "
                     "AuthorizationPolicy user-<email>-clusterrole-<role>)");
  contributor->require_subcommand(1);
  for (const char* action : {"add", "remove", "list"}) {
    CLI::App* sub = contributor->add_subcommand(action, std::string(action) == "list"
                                                            ? "List the profile's contributors"
                                                            : std::string(action) +
                                                                  " a contributor: EMAIL -n NS");
    if (std::string(action) != "list") {
      sub->add_option("email", f->args, "The contributor's email")->required();
      sub->add_option("--role", f->role, "edit (default) or view");
    }
    AddConnectionFlags(sub, f);
  }
}

std::optional<int> RunCliCommand(const CLI::App& app, const CliFlags& flags) {
  if (app.got_subcommand("apply")) return RunApply(flags, std::cout, std::cerr);
  if (app.got_subcommand("get")) return RunGet(flags, std::cout, std::cerr);
  if (app.got_subcommand("describe")) return RunDescribe(flags, std::cout, std::cerr);
  if (app.got_subcommand("delete")) return RunDelete(flags, std::cout, std::cerr);
  if (app.got_subcommand("logs")) return RunLogs(flags, std::cout, std::cerr);
  if (app.got_subcommand("contributor")) {
    const CLI::App* c = app.get_subcommand("contributor");
    for (const char* action : {"add", "remove", "list"}) {
      if (c->got_subcommand(action)) return RunContributor(action, flags, std::cout, std::cerr);
    }
  }
  return std::nullopt;
}

}  // namespace ferry::cli
