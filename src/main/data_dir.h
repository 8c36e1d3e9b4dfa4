// The data directory of `ferry up` (DATA): private modes, and the local-model
// access rules derived from the flags and DATA.
//
// DATA holds Secrets (store.db and its -wal/-shm), the dashboard users, the
// admin token, the ServiceAccount signing key, TLS keys and every namespace's
// models, so it is 0700 and everything in it 0600 (0700 for directories and
// executables): RunUp sets umask 077 before anything is created, and
// PrepareDataDir tightens what an older Ferry or a user left looser — DATA,
// its top-level entries, and the trees Ferry owns (certs/, models/, cache/) —
// logging one line per fix. Modes are only ever narrowed. A file in them that
// shares its inode with another link (older Ferry versions hard-linked local
// model files from the user's directory) is replaced by a private copy
// instead of chmod, which would change the user's file too. Symlinks are
// never followed.
//
// Called once at start on the main thread, before the store is opened (SQLite
// gives -wal/-shm the database's mode).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/local_access.h"

namespace ferry::main {

// Creates DATA (0700) and DATA/pvc, and tightens modes as above; `log`
// receives one line per change.
Status PrepareDataDir(const std::string& dir, std::FILE* log);

// The rules of `ferry up`: file:// and plain paths under `roots`
// (--allow-local-models), pvc://CLAIM under DATA/pvc/CLAIM or the directory
// `claims` maps it to ("CLAIM=DIR", --pvc); DATA never. Fails naming the
// flag for a directory that does not exist or lies inside DATA.
StatusOr<storage::LocalAccess> LocalAccessFromFlags(const std::vector<std::string>& roots,
                                                    const std::vector<std::string>& claims,
                                                    const std::string& data_dir);

// DATA/admin-token: the admin's bearer token, made (32 random bytes, hex, 0600) on first use.
StatusOr<std::string> AdminToken(const std::string& dir);

// DATA/kubeconfig (0600): the admin's kubeconfig for the API on 127.0.0.1:`port`, trusting
// `ca_pem`.
Status WriteKubeconfig(const std::string& dir, uint16_t port, const std::string& ca_pem,
                       const std::string& token);

}  // namespace ferry::main
