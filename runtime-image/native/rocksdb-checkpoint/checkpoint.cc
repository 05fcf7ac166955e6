// The RocksDB primitives @nxtedition/rocksdb lacks, on a DB it opened (docs/state.md, "RocksDB
// checkpoints (native addon)" and "Memory: partitioned index and filters").
//
//   checkpoint(handle: bigint, dir: string) -> { files: Array<{ name, bytes }>, sequence }
//   partitionIndexAndFilters(handle: bigint) -> boolean (whether the options changed)
//
// The binding has no checkpoint primitive and no option for partitioned index and filter
// blocks, so this addon reaches the rocksdb::DB the binding
// opened through `RocksLevel#handle` (the address of the binding's `Database` struct) and calls
// only VIRTUAL methods of rocksdb::DB on it. A virtual call goes through the vtable of the object
// the prebuilt binary created, so this addon is not linked against RocksDB: it is compiled
// against the package's RocksDB 9.7.4 headers only (the vtable layout comes from them). Inline
// members of the headers (Status accessors and destructor, the std::string fields of
// LiveFileStorageInfo) are compiled here; Status::ToString is not inline, so it is looked up in
// the prebuilt binary with dlsym (the library is found from the DB object's vtable with dladdr).
//
// ABI (checked on the prebuilt linux-x64 binary of @nxtedition/rocksdb 12.2.12, see
// docs/state.md): it links libstdc++.so.6 DYNAMICALLY (readelf -d: NEEDED libstdc++.so.6,
// libgcc_s.so.1), its .comment says GCC (Debian 12.2.0-14) 12.2.0, and its undefined symbols
// are the std::__cxx11::basic_string ones (nm -D), i.e. it was compiled with
// _GLIBCXX_USE_CXX11_ABI=1. This file is compiled with the same default (static_assert below)
// and both objects use the one libstdc++ of the process, so the std::string and std::vector that
// cross the boundary (GetName, GetLiveFilesStorageInfo, the Status state) have the same layout
// and allocator on both sides.

#include <dlfcn.h>
#include <fcntl.h>
#include <node_api.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/db.h"
#include "rocksdb/metadata.h"
#include "rocksdb/options.h"
#include "rocksdb/status.h"
#include "rocksdb/table.h"

static_assert(_GLIBCXX_USE_CXX11_ABI == 1,
              "the prebuilt @nxtedition/rocksdb binary uses the C++11 std::string ABI");
#ifdef ROCKSDB_ASSERT_STATUS_CHECKED
#error "the prebuilt RocksDB is built without ROCKSDB_ASSERT_STATUS_CHECKED (Status layout)"
#endif

namespace {

// Mirror of the first members of `struct Database` in binding.cc of @nxtedition/rocksdb
// 12.2.12 (RocksDB 9.7.4). Only these two are read; their offsets do not depend on the members
// that follow. Never constructed or destroyed here: a handle is reinterpreted as a pointer to it.
struct DatabaseMirror {
  const std::string location;
  std::unique_ptr<rocksdb::DB> db;
};

// The error a failed step throws to JavaScript.
struct Failure {
  std::string message;
};

// Status::ToString of the prebuilt RocksDB (found from the DB's vtable), or a local rendering of
// the code and message when the symbol cannot be resolved.
std::string StatusText(rocksdb::DB* db, const rocksdb::Status& s) {
  using ToStringFn = std::string (*)(const rocksdb::Status*);
  Dl_info info{};
  void* vtable = *reinterpret_cast<void**>(db);
  if (dladdr(vtable, &info) != 0 && info.dli_fname != nullptr) {
    void* lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (lib != nullptr) {
      // rocksdb::Status::ToString[abi:cxx11]() const
      void* sym = dlsym(lib, "_ZNK7rocksdb6Status8ToStringB5cxx11Ev");
      std::string text;
      if (sym != nullptr) text = reinterpret_cast<ToStringFn>(sym)(&s);
      dlclose(lib);
      if (sym != nullptr) return text;
    }
  }
  std::string text = "RocksDB status code " + std::to_string(static_cast<int>(s.code())) +
                     " subcode " + std::to_string(static_cast<int>(s.subcode()));
  if (s.getState() != nullptr) text += std::string(": ") + s.getState();
  return text;
}

void Check(rocksdb::DB* db, const rocksdb::Status& s, const char* what) {
  if (!s.ok()) throw Failure{std::string(what) + ": " + StatusText(db, s)};
}

std::string Errno(const std::string& what, const std::string& path, int err) {
  return what + " " + path + ": " + std::strerror(err);
}

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// Writes `data` to a new file `path` and fsyncs it.
void WriteFile(const std::string& path, const std::string& data) {
  Fd out{open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  if (out.fd < 0) throw Failure{Errno("create", path, errno)};
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(out.fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure{Errno("write", path, errno)};
    done += static_cast<size_t>(n);
  }
  if (fsync(out.fd) != 0) throw Failure{Errno("fsync", path, errno)};
}

// Copies the first `size` bytes of `from` to a new file `to` and fsyncs it; fails when `from`
// is shorter.
void CopyPrefix(const std::string& from, const std::string& to, uint64_t size) {
  Fd in{open(from.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw Failure{Errno("open", from, errno)};
  Fd out{open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  if (out.fd < 0) throw Failure{Errno("create", to, errno)};
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (done < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
    ssize_t n = read(in.fd, buf.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure{Errno("read", from, errno)};
    if (n == 0) throw Failure{"copy " + from + ": file ends before " + std::to_string(size) + " bytes"};
    size_t written = 0;
    while (written < static_cast<size_t>(n)) {
      ssize_t w = write(out.fd, buf.data() + written, static_cast<size_t>(n) - written);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw Failure{Errno("write", to, errno)};
      written += static_cast<size_t>(w);
    }
    done += static_cast<uint64_t>(n);
  }
  if (fsync(out.fd) != 0) throw Failure{Errno("fsync", to, errno)};
}

void SyncDir(const std::string& dir) {
  Fd d{open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || fsync(d.fd) != 0) throw Failure{Errno("fsync", dir, errno)};
}

// Puts one live file into `dir` as RocksDB's LiveFileStorageInfo says (options.h/metadata.h of
// RocksDB 9.7): saved contents, a prefix copy, or a hard link (a copy across file systems).
void Materialize(const rocksdb::LiveFileStorageInfo& f, const std::string& dir) {
  const std::string to = dir + "/" + f.relative_filename;
  const std::string from = f.directory + "/" + f.relative_filename;
  if (!f.replacement_contents.empty()) {
    WriteFile(to, f.replacement_contents);
  } else if (f.trim_to_size) {
    CopyPrefix(from, to, f.size);
  } else if (link(from.c_str(), to.c_str()) != 0) {
    if (errno != EXDEV) throw Failure{Errno("link", from, errno)};
    CopyPrefix(from, to, f.size);
  }
}

struct Result {
  std::vector<rocksdb::LiveFileStorageInfo> files;
  rocksdb::SequenceNumber sequence = 0;
};

// The checkpoint itself. File deletions stay disabled from before the live files are listed
// until every file is linked or copied, and are re-enabled on every path out.
Result TakeCheckpoint(rocksdb::DB* db, const std::string& dir) {
  Check(db, db->DisableFileDeletions(), "DisableFileDeletions");
  Result result;
  bool created = false;
  try {
    // Read before the file list is captured: every write up to this sequence is in it.
    result.sequence = db->GetLatestSequenceNumber();
    rocksdb::LiveFilesStorageInfoOptions opts;
    opts.wal_size_for_flush = 0;  // always flush the memtables first
    Check(db, db->GetLiveFilesStorageInfo(opts, &result.files), "GetLiveFilesStorageInfo");
    std::error_code ec;
    const std::filesystem::path target(dir);
    if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
    if (mkdir(dir.c_str(), 0755) != 0) throw Failure{Errno("mkdir", dir, errno)};
    created = true;
    for (const auto& f : result.files) Materialize(f, dir);
    SyncDir(dir);
  } catch (...) {  // Failure, or std::bad_alloc and the like
    if (created) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    db->EnableFileDeletions();
    throw;
  }
  Check(db, db->EnableFileDeletions(), "EnableFileDeletions");
  return result;
}

napi_value ThrowError(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

// Returns from the calling N-API function with a thrown Error when `call` fails.
#define NAPI_OR_THROW(call, what)                        \
  do {                                                   \
    if ((call) != napi_ok) return ThrowError(env, what); \
  } while (0)

napi_value ToJs(napi_env env, const Result& r) {
  napi_value out, files, seq;
  NAPI_OR_THROW(napi_create_object(env, &out), "napi_create_object");
  NAPI_OR_THROW(napi_create_array_with_length(env, r.files.size(), &files), "napi_create_array");
  for (size_t i = 0; i < r.files.size(); ++i) {
    napi_value entry, name, bytes;
    const auto& f = r.files[i];
    NAPI_OR_THROW(napi_create_object(env, &entry), "napi_create_object");
    NAPI_OR_THROW(napi_create_string_utf8(env, f.relative_filename.data(), f.relative_filename.size(), &name),
                  "napi_create_string_utf8");
    NAPI_OR_THROW(napi_create_double(env, static_cast<double>(f.size), &bytes), "napi_create_double");
    NAPI_OR_THROW(napi_set_named_property(env, entry, "name", name), "napi_set_named_property");
    NAPI_OR_THROW(napi_set_named_property(env, entry, "bytes", bytes), "napi_set_named_property");
    NAPI_OR_THROW(napi_set_element(env, files, static_cast<uint32_t>(i), entry), "napi_set_element");
  }
  // Sequence numbers stay far below 2^53 in practice; JS gets a plain number.
  NAPI_OR_THROW(napi_create_double(env, static_cast<double>(r.sequence), &seq), "napi_create_double");
  NAPI_OR_THROW(napi_set_named_property(env, out, "files", files), "napi_set_named_property");
  NAPI_OR_THROW(napi_set_named_property(env, out, "sequence", seq), "napi_set_named_property");
  return out;
}

// The rocksdb::DB behind a RocksLevel#handle, after the layout guard; throws Failure.
rocksdb::DB* DbOfHandle(napi_env env, napi_value handle) {
  int64_t address = 0;
  bool lossless = false;
  if (napi_get_value_bigint_int64(env, handle, &address, &lossless) != napi_ok || !lossless || address == 0) {
    throw Failure{"handle must be the non-zero bigint of RocksLevel#handle"};
  }
  auto* database = reinterpret_cast<DatabaseMirror*>(static_cast<intptr_t>(address));
  rocksdb::DB* db = database->db.get();
  if (db == nullptr) throw Failure{"the RocksDB database is closed"};
  // Layout guard: the DB's own name must be the binding's location string. A binding whose
  // Database struct no longer starts with (location, db) fails here instead of corrupting state.
  if (db->GetName() != database->location) {
    throw Failure{
        "the Database struct of @nxtedition/rocksdb does not match the mirrored 12.2.12 layout (DB name "
        "differs from the binding's location)"};
  }
  return db;
}

// checkpoint(handle: bigint, dir: string)
napi_value Checkpoint(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OR_THROW(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "napi_get_cb_info");
  if (argc < 2) return ThrowError(env, "checkpoint(handle, dir): two arguments expected");

  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[1], nullptr, 0, &len) != napi_ok) {
    return ThrowError(env, "checkpoint: dir must be a string");
  }
  std::string dir(len, '\0');
  NAPI_OR_THROW(napi_get_value_string_utf8(env, argv[1], dir.data(), len + 1, &len), "napi_get_value_string_utf8");
  if (dir.empty()) return ThrowError(env, "checkpoint: dir must not be empty");

  try {
    return ToJs(env, TakeCheckpoint(DbOfHandle(env, argv[0]), dir));
  } catch (const Failure& f) {
    return ThrowError(env, "RocksDB checkpoint to " + dir + " failed: " + f.message);
  } catch (const std::exception& e) {
    return ThrowError(env, "RocksDB checkpoint to " + dir + " failed: " + e.what());
  }
}

// Switches the block-based table options of the default column family to partitioned index and
// filter blocks (docs/state.md "Memory: partitioned index and filters"): index_type
// kTwoLevelIndexSearch, partition_filters true; metadata_block_size (4096) and
// pin_top_level_index_and_filter (true) keep RocksDB's defaults. The binding builds its
// BlockBasedTableFactory inside db_open with no option for these, so the factory's options are
// changed in place, through the pointer rocksdb::Configurable::GetOptions<BlockBasedTableOptions>
// gives (the object RocksDB's own SetOptions changes for the mutable table options). Table
// builders copy the options when a flush or compaction starts, and readers take the index and
// filter layout from each file, so files written before stay readable. To keep a flush or
// compaction from copying the options half-changed, background work is paused around the change
// (PauseBackgroundWork waits for running jobs); the binding's reads run on the JS thread, which is
// here. Returns true when the options were changed, false when they already were.
bool PartitionIndexAndFilters(rocksdb::DB* db) {
  rocksdb::Options options = db->GetOptions(db->DefaultColumnFamily());
  if (!options.table_factory) throw Failure{"the column family has no table factory"};
  auto* table = options.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
  if (table == nullptr) {
    throw Failure{std::string("the table factory is not block-based (") + options.table_factory->Name() + ")"};
  }
  if (table->index_type == rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch && table->partition_filters) {
    return false;
  }
  Check(db, db->PauseBackgroundWork(), "PauseBackgroundWork");
  table->index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table->partition_filters = true;
  Check(db, db->ContinueBackgroundWork(), "ContinueBackgroundWork");
  return true;
}

// partitionIndexAndFilters(handle: bigint) -> boolean
napi_value PartitionIndexAndFiltersJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OR_THROW(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "napi_get_cb_info");
  if (argc < 1) return ThrowError(env, "partitionIndexAndFilters(handle): one argument expected");
  try {
    napi_value out;
    NAPI_OR_THROW(napi_get_boolean(env, PartitionIndexAndFilters(DbOfHandle(env, argv[0])), &out),
                  "napi_get_boolean");
    return out;
  } catch (const Failure& f) {
    return ThrowError(env, "partitionIndexAndFilters: " + f.message);
  } catch (const std::exception& e) {
    return ThrowError(env, std::string("partitionIndexAndFilters: ") + e.what());
  }
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  NAPI_OR_THROW(napi_create_function(env, "checkpoint", NAPI_AUTO_LENGTH, Checkpoint, nullptr, &fn),
                "napi_create_function");
  NAPI_OR_THROW(napi_set_named_property(env, exports, "checkpoint", fn), "napi_set_named_property");
  NAPI_OR_THROW(napi_create_function(env, "partitionIndexAndFilters", NAPI_AUTO_LENGTH, PartitionIndexAndFiltersJs,
                                     nullptr, &fn),
                "napi_create_function");
  NAPI_OR_THROW(napi_set_named_property(env, exports, "partitionIndexAndFilters", fn), "napi_set_named_property");
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
