// A master in a temporary data folder with every module the two protocols use, driven on
// the calling thread. Shared by the protocol tests and the protocol fuzz target, so it
// does not depend on GoogleTest.
#pragma once
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>

#include "mfscommon/config_file.h"
#include "mfscommon/status.h"
#include "mfsmaster/changelog_writer.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/chunkserver_protocol.h"
#include "mfsmaster/chunkservers.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/exports.h"
#include "mfsmaster/lock_manager.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/mutation_log.h"

namespace mfs::master::testing {

inline constexpr uint64_t kMetaId = 0x0123456789ABCDEFull;

class ProtocolMaster {
 public:
  static constexpr uint32_t kNow = 1700000000;

  ProtocolMaster() = default;
  ProtocolMaster(const ProtocolMaster&) = delete;
  ProtocolMaster& operator=(const ProtocolMaster&) = delete;
  ~ProtocolMaster() { stop(); }

  // Creates the data folder and the modules; exports allow everything to everyone.
  Status start() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mfsmaster_protocol_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return Status(StatusCode::kIO, "mkdtemp " + pattern);
    data_path = pattern;
    metadata.init_empty(kNow);
    auto opened = ChangelogWriter::open(io, data_path);
    if (!opened) return opened.status();
    writer = std::move(*opened);
    mutations = std::make_unique<MutationLog>(metadata, *writer);
    Status meta_id = mutations->commit({ChangelogEntry::make("SETMETAID", kNow).arg(kMetaId)});
    if (!meta_id) return meta_id;
    chunks = std::make_unique<ChunkManager>(metadata, *mutations, servers, [this] { return now; });
    chunks->configure(config);
    locks = std::make_unique<LockManager>(metadata, *mutations, [this] { return now; });
    exports = Exports::parse("* / rw,alldirs,maproot=0\n");
    client_services.reset(new ClientServices{metadata, *mutations, *chunks, *locks,
                                             [this]() -> const Exports& { return exports; }, [this] { return now; },
                                             [this]() -> const ConfigFile& { return config; }, notifier, data_cache, append_reservations,
                                             session_stats, metaloggers, fs_check});
    chunkserver_services.reset(new ChunkserverServices{metadata, servers, *chunks,
                                                       [this]() -> const ConfigFile& { return config; }, notifier});
    return Status::ok();
  }

  // Shuts the changelog down (the writer's failure, if any) and removes the data folder.
  Status stop() {
    Status stopped = writer ? writer->shutdown() : Status::ok();
    if (!data_path.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_path, ignored);
      data_path.clear();
    }
    return stopped;
  }

  // Runs the metadata loop until every change so far is durable and the replies waiting
  // for it are sent; false if that takes more than 20 s.
  bool run_until_durable() {
    bool done = false;
    mutations->when_durable([&done] { done = true; });
    auto work = boost::asio::make_work_guard(io);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(1));
    }
    work.reset();
    io.restart();
    io.poll();
    return done;
  }

  // The lines written to changelog.0.mfs so far, without the preallocated zeros after them.
  std::string changelog_lines() const {
    std::ifstream in(data_path + "/changelog.0.mfs", std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    std::string lines = content.str();
    return lines.substr(0, lines.find('\0'));
  }

  boost::asio::io_context io;
  std::string data_path;
  uint32_t now = kNow;
  Metadata metadata;
  ClientNotifier notifier{metadata.sessions()};
  DataCacheTracker data_cache;
  SessionStats session_stats;
  MetaloggerFeed metaloggers{[this] { return now; }};
  AppendReservations append_reservations;
  FsCheckLoop fs_check;
  std::unique_ptr<ChangelogWriter> writer;
  std::unique_ptr<MutationLog> mutations;
  Chunkservers servers;
  std::unique_ptr<ChunkManager> chunks;
  std::unique_ptr<LockManager> locks;
  Exports exports;
  ConfigFile config;
  std::unique_ptr<ClientServices> client_services;
  std::unique_ptr<ChunkserverServices> chunkserver_services;
};

}  // namespace mfs::master::testing
