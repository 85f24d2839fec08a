// The master process without its command line: loads the configuration, exports and
// metadata, and wires the modules (changelog, checkpoint, chunk manager, client and
// chunkserver listeners, housekeeping) on one io_context, the metadata thread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "mfscommon/config_file.h"
#include "mfscommon/tcp_listener.h"
#include "mfsmaster/changelog_writer.h"
#include "mfsmaster/checkpoint.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/chunkserver_protocol.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/exports.h"
#include "mfsmaster/housekeeping.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/mutation_log.h"

namespace mfs::master {

class MasterDaemon {
 public:
  MasterDaemon(boost::asio::io_context& io, std::string config_path, ConfigFile config);
  ~MasterDaemon();

  // Everything up to listening; a failure says what went wrong and nothing listens.
  Status start();
  // SIGHUP: re-reads the config file and the exports.
  void reload();
  // SIGTERM: stops accepting, makes the changelog and checkpoint durable, and writes
  // metadata.mfs so that a MooseFS master can take the data folder over.
  Status stop();

 private:
  // The file named by config `option`, else /etc/mfs/`name` (or /etc/`name` if only that exists).
  std::string config_file_path(const std::string& option, const std::string& name) const;
  // mfstopology.cfg into the chunk manager (kept as it was when the file is missing).
  void load_topology();
  Status load_exports();
  Status load_metadata();
  // Listens on <option_prefix>_LISTEN_HOST:<option_prefix>_LISTEN_PORT.
  Status start_listener(std::unique_ptr<TcpListener>& listener, const std::string& name,
                        const std::string& option_prefix, uint16_t default_port, TcpListener::Handler handler);
  void start_timers();
  void tick();

  boost::asio::io_context& io_;
  std::string config_path_;
  ConfigFile config_;
  std::string data_path_;
  Exports exports_;
  Metadata metadata_;
  ClientNotifier client_notifier_{metadata_.sessions()};
  DataCacheTracker data_cache_;
  SessionStats session_stats_;
  AppendReservations append_reservations_;
  ImageExtras image_extras_;
  std::unique_ptr<Checkpoint> checkpoint_;
  std::unique_ptr<ChangelogWriter> changelog_;
  std::unique_ptr<MutationLog> mutations_;
  Chunkservers chunkservers_;
  std::unique_ptr<ChunkManager> chunks_;
  std::unique_ptr<LockManager> locks_;
  std::unique_ptr<Housekeeping> housekeeping_;
  std::unique_ptr<ClientServices> client_services_;
  std::unique_ptr<ChunkserverServices> chunkserver_services_;
  std::unique_ptr<TcpListener> client_listener_;
  std::unique_ptr<TcpListener> chunkserver_listener_;
  std::unique_ptr<TcpListener> metalogger_listener_;
  boost::asio::steady_timer tick_timer_;
  uint32_t started_at_ = 0;
};

}  // namespace mfs::master
