// `ferry delete KIND NAME` and `ferry delete -f FILE`.
#include <ostream>

#include "cli/session.h"

namespace ferry::cli {
namespace {

Status DeleteOne(Session& s, const Resource& r, const std::string& ns, const std::string& name,
                 std::ostream& out) {
  ASSIGN_OR_RETURN(ApiResponse resp,
                   s.client->Do("DELETE", r.Path(ns, name),
                                "{\"propagationPolicy\":\"Background\"}", "application/json"));
  if (resp.status / 100 != 2) return ServerError(resp);
  out << r.Display() << " \"" << name << "\" deleted\n";
  return OkStatus();
}

}  // namespace

int RunDelete(const CliFlags& flags, std::ostream& out, std::ostream& err) {
  if (flags.files.empty() == flags.args.empty()) {
    err << "error: give either KIND NAME or -f FILE (ferry delete isvc NAME, ferry delete -f "
           "is.yaml)\n";
    return 1;
  }
  std::vector<Manifest> manifests;
  if (!flags.files.empty()) {
    auto read = ReadManifests(flags.files);
    if (!read.ok()) {
      err << read.status().message() << "\n";
      return 1;
    }
    manifests = std::move(read).value();
  }
  auto s = Session::Open(flags);
  if (!s.ok()) {
    err << "error: " << s.status().message() << "\n";
    return 1;
  }
  int rc = 0;
  auto report = [&](const Status& st) {
    if (!st.ok()) {
      err << st.message() << "\n";
      rc = 1;
    }
  };
  if (manifests.empty()) {
    Resource r;
    std::string name;
    Status st = s->ResolveArgs(flags.args, &r, &name);
    if (st.ok() && name.empty()) {
      st = InvalidArgumentError("error: resource(s) were provided, but no name was specified");
    }
    if (st.ok()) st = DeleteOne(*s, r, r.namespaced ? s->name_space : "", name, out);
    report(st);
    return rc;
  }
  for (const Manifest& m : manifests) {
    auto r = s->discovery.ForKind(m.object.value("apiVersion", ""), m.object.value("kind", ""));
    if (!r.ok()) {
      report(r.status());
      continue;
    }
    std::string name = m.object.contains("metadata") ? m.object["metadata"].value("name", "") : "";
    report(DeleteOne(*s, *r, r->namespaced ? s->NamespaceOf(m.object) : "", name, out));
  }
  return rc;
}

}  // namespace ferry::cli
