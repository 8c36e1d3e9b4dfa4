// Self-signed serving certificate for the API server's HTTPS listener
// (kubectl sends bearer tokens only over TLS). `ferry up` calls this once at
// startup; the kubeconfig then carries the certificate as
// certificate-authority-data (or insecure-skip-tls-verify). Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace ferry::api {

// Writes a PEM certificate (RSA 2048, SHA-256, valid `days`) for `hosts`
// (DNS names and/or IP addresses, all in subjectAltName; the first is the CN)
// and its key (mode 0600). Keeps existing files that are both present.
Status EnsureSelfSignedCert(const std::string& cert_path, const std::string& key_path,
                            const std::vector<std::string>& hosts, int days = 3650);

}  // namespace ferry::api
