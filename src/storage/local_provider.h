// Provider for files already reachable from this machine: file:// URIs and
// plain paths (a file or a directory tree), and pvc://CLAIM/path (see
// local_access.h for where each may read; FetchOptions::local).
//
// DESIGN. List() resolves the source to its canonical root, checks it against
// LocalAccess, and walks it with lstat semantics: a symlink (to a file or a
// directory) is followed only when both its written target and its resolved
// target stay inside the root; any other link is refused with an error
// naming the link (relative to the root) and its target as written — never
// its resolution, so nothing outside is revealed. Each directory is walked
// once (by device and inode), so link loops end; the data directory
// (LocalAccess::denied) is never entered, even through a bind mount.
// Non-regular files (FIFOs, sockets, devices) are skipped. Download() copies
// each file: the source is opened without following a link and the opened
// file must still lie inside the root (a file swapped for a link after the
// listing is refused); the copy is created exclusively with FetchOptions::
// modes. The version used for caching is size + mtime.
//
// Copies, not hard links: a hard link would share the inode with the user's
// file — its mode (a private 0600 would change the user's file, a 0644 one
// would leak through the data directory) and every later write to it (a
// served revision and the content cache must not change under Ferry). A
// reflink (FICLONE) costs no space where the filesystem supports it; else
// copy_file_range copies inside the kernel.
#pragma once

#include <memory>

#include "storage/provider.h"

namespace ferry::storage {

std::unique_ptr<StorageProvider> MakeLocalProvider(const FetchOptions& options);

}  // namespace ferry::storage
