// Local PKI for `ferry up`: a CA and a serving certificate for the API
// listener (kubectl sends credentials only over TLS), created once in the data
// directory and reused on later starts.
#pragma once

#include <string>

#include "common/status.h"

namespace ferry::main {

struct ServingCerts {
  std::string ca_pem;     // CA certificate (PEM), for kubeconfig certificate-authority-data
  std::string cert_file;  // serving certificate chain (PEM)
  std::string key_file;   // serving key (PEM)
};

// Ensures DIR/ca.crt, DIR/ca.key, DIR/serving.crt, DIR/serving.key exist; the
// serving certificate covers 127.0.0.1, ::1, localhost and `extra_host` (IP or DNS).
StatusOr<ServingCerts> EnsureServingCerts(const std::string& dir, const std::string& extra_host);

}  // namespace ferry::main
