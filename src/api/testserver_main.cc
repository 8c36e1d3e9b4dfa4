// ferry_api_testserver (test-only): HttpServer (HTTPS when --tls-cert and
// --tls-key are given) + ApiServer over a SQLite store in --data-dir, on a
// free loopback port. Writes a kubeconfig for kubectl and prints
// "READY <port>" on stdout; exits when stdin closes or on SIGTERM/SIGINT.
//   ferry_api_testserver --data-dir D --kubeconfig K [--token T]
//                        [--tls-cert C --tls-key K] [--namespace NS]...
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "api/api_server.h"
#include "api/self_signed.h"
#include "api/token_signer.h"
#include "http/http_server.h"
#include "store/resource_store.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

struct Flags {
  std::string data_dir, kubeconfig, token = "ferry-test-admin-token", cert, key;
  std::vector<std::string> namespaces = {"default"};
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--data-dir")
      f->data_dir = v;
    else if (k == "--kubeconfig")
      f->kubeconfig = v;
    else if (k == "--token")
      f->token = v;
    else if (k == "--tls-cert")
      f->cert = v;
    else if (k == "--tls-key")
      f->key = v;
    else if (k == "--namespace")
      f->namespaces.push_back(v);
    else
      return false;
  }
  return !f->data_dir.empty() && !f->kubeconfig.empty();
}

void WriteKubeconfig(const Flags& f, const std::string& url) {
  std::ofstream out(f.kubeconfig);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: ferry\n  cluster:\n    server: " << url
      << "\n";
  if (!f.cert.empty()) out << "    insecure-skip-tls-verify: true\n";
  out << "contexts:\n- name: ferry\n  context: {cluster: ferry, user: admin, namespace: default}\n"
      << "current-context: ferry\nusers:\n- name: admin\n  user: {token: " << f.token << "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::cerr << "usage: ferry_api_testserver --data-dir D --kubeconfig K [--token T] "
                 "[--tls-cert C --tls-key K] [--namespace NS]...\n";
    return 2;
  }
  std::filesystem::create_directories(flags.data_dir);
  if (!flags.cert.empty()) {  // generated when missing
    ferry::Status st = ferry::api::EnsureSelfSignedCert(flags.cert, flags.key, {"127.0.0.1"});
    if (!st.ok()) {
      std::cerr << st.ToString() << "\n";
      return 1;
    }
  }
  auto store = ferry::store::ResourceStore::Open(flags.data_dir + "/objects.db");
  if (!store.ok()) {
    std::cerr << store.status().ToString() << "\n";
    return 1;
  }
  auto signer = ferry::api::CreateRs256Signer(flags.data_dir + "/sa-signer.key");
  if (!signer.ok()) {
    std::cerr << signer.status().ToString() << "\n";
    return 1;
  }
  ferry::api::ApiServerOptions opts;
  opts.admin_token = flags.token;
  opts.initial_namespaces = flags.namespaces;
  ferry::api::ApiServer api(store->get(), signer->get(), opts);
  ferry::http::HttpServerOptions http;
  http.bind_address = "127.0.0.1";
  http.port = 0;
  http.io_threads = 2;
  http.tls_cert_file = flags.cert;
  http.tls_key_file = flags.key;
  auto server = ferry::http::HttpServer::Create(http, &api);
  if (!server.ok()) {
    std::cerr << server.status().ToString() << "\n";
    return 1;
  }
  (*server)->Start();
  std::string url = std::string(flags.cert.empty() ? "http" : "https") +
                    "://127.0.0.1:" + std::to_string((*server)->port());
  WriteKubeconfig(flags, url);
  std::cout << "READY " << (*server)->port() << std::endl;
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  while (!g_stop) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 200) > 0) {
      char buf[256];
      if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0) break;
    }
  }
  api.Shutdown();
  (*server)->Drain(std::chrono::milliseconds(1000));
  return 0;
}
