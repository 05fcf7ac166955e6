# node-gyp build of the RocksDB checkpoint addon (docs/state.md, "RocksDB checkpoints (native
# addon)"). Built by `make native` with the Node headers of the pinned Node (--nodedir).
# Compiled against the RocksDB 9.7.4 headers shipped in @nxtedition/rocksdb; not linked against
# RocksDB (only virtual calls, plus dlsym for Status::ToString).
{
  "targets": [
    {
      "target_name": "rocksdb_checkpoint",
      "sources": ["checkpoint.cc"],
      "include_dirs": [
        "<(module_root_dir)/../../../node_modules/@nxtedition/rocksdb/deps/rocksdb/rocksdb/include"
      ],
      "defines": ["NAPI_VERSION=8", "ROCKSDB_PLATFORM_POSIX=1"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++20", "-fexceptions", "-frtti", "-Wall", "-Wextra"],
      "libraries": ["-ldl"]
    }
  ]
}
