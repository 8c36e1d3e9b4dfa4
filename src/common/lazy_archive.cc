// The libarchive functions Ferry calls, forwarded to libarchive.so.13 opened on
// first use (common/lazy_library.h): only a storageUri naming an archive needs
// it. Targets that call libarchive link ferry_archive, not LibArchive. A
// function newly called needs its line here (the link fails otherwise).
#include <archive.h>
#include <archive_entry.h>

#include "common/lazy_library.h"

namespace {
constexpr ferry::LazyLibrary kArchive("libarchive.so.13", "libarchive13");
using A = struct archive;
using E = struct archive_entry;
}  // namespace

FERRY_LAZY_FORWARD(kArchive, A*, archive_read_new, (void), ())
FERRY_LAZY_FORWARD(kArchive, int, archive_read_support_filter_all, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_read_support_format_gnutar, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_read_support_format_tar, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_read_support_format_zip, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_read_open_filename, (A * a, const char* f, size_t b),
                   (a, f, b))
FERRY_LAZY_FORWARD(kArchive, int, archive_read_next_header, (A * a, E** e), (a, e))
FERRY_LAZY_FORWARD(kArchive, int, archive_read_data_block,
                   (A * a, const void** buf, size_t* size, la_int64_t* offset),
                   (a, buf, size, offset))
FERRY_LAZY_FORWARD(kArchive, int, archive_read_free, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, A*, archive_write_new, (void), ())
FERRY_LAZY_FORWARD(kArchive, int, archive_write_add_filter_gzip, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_write_set_format_pax_restricted, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_write_set_format_zip, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_write_open_filename, (A * a, const char* f), (a, f))
FERRY_LAZY_FORWARD(kArchive, int, archive_write_header, (A * a, E* e), (a, e))
FERRY_LAZY_FORWARD(kArchive, la_ssize_t, archive_write_data, (A * a, const void* b, size_t n),
                   (a, b, n))
FERRY_LAZY_FORWARD(kArchive, la_ssize_t, archive_write_data_block,
                   (A * a, const void* b, size_t n, la_int64_t offset), (a, b, n, offset))
FERRY_LAZY_FORWARD(kArchive, int, archive_write_finish_entry, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_write_close, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, int, archive_write_free, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, A*, archive_write_disk_new, (void), ())
FERRY_LAZY_FORWARD(kArchive, int, archive_write_disk_set_options, (A * a, int flags), (a, flags))
FERRY_LAZY_FORWARD(kArchive, const char*, archive_error_string, (A * a), (a))
FERRY_LAZY_FORWARD(kArchive, E*, archive_entry_new, (void), ())
FERRY_LAZY_FORWARD(kArchive, void, archive_entry_free, (E * e), (e))
FERRY_LAZY_FORWARD(kArchive, __LA_MODE_T, archive_entry_filetype, (E * e), (e))
FERRY_LAZY_FORWARD(kArchive, __LA_MODE_T, archive_entry_perm, (E * e), (e))
FERRY_LAZY_FORWARD(kArchive, const char*, archive_entry_hardlink, (E * e), (e))
FERRY_LAZY_FORWARD(kArchive, const char*, archive_entry_pathname, (E * e), (e))
FERRY_LAZY_FORWARD(kArchive, const char*, archive_entry_symlink, (E * e), (e))
FERRY_LAZY_FORWARD(kArchive, la_int64_t, archive_entry_size, (E * e), (e))
FERRY_LAZY_FORWARD(kArchive, void, archive_entry_set_filetype, (E * e, unsigned int t), (e, t))
FERRY_LAZY_FORWARD(kArchive, void, archive_entry_set_hardlink, (E * e, const char* s), (e, s))
FERRY_LAZY_FORWARD(kArchive, void, archive_entry_set_pathname, (E * e, const char* s), (e, s))
FERRY_LAZY_FORWARD(kArchive, void, archive_entry_set_symlink, (E * e, const char* s), (e, s))
FERRY_LAZY_FORWARD(kArchive, void, archive_entry_set_perm, (E * e, __LA_MODE_T m), (e, m))
FERRY_LAZY_FORWARD(kArchive, void, archive_entry_set_size, (E * e, la_int64_t n), (e, n))
