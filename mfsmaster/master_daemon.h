// The master process without its command line: loads the configuration, exports and
// metadata, and wires the modules (changelog, checkpoint, chunk manager, client,
// chunkserver and metalogger listeners, housekeeping, hourly backup) on one io_context, the metadata thread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
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
#include "mfsmaster/download_image.h"
#include "mfsmaster/exports.h"
#include "mfsmaster/housekeeping.h"
#include "mfsmaster/hourly_rotation.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/metalogger_protocol.h"
#include "mfsmaster/mutation_log.h"

namespace mfs::master {

class MasterDaemon {
 public:
  // `auto_restore` (-a): without a checkpoint, start from the newest valid metadata* image
  // of the data folder (a metalogger's copy too) instead of metadata.mfs.
  MasterDaemon(boost::asio::io_context& io, std::string config_path, ConfigFile config, bool auto_restore);
  ~MasterDaemon();

  // Everything up to listening; a failure says what went wrong and nothing listens.
  Status start();
  // SIGHUP: re-reads the config file and the exports.
  void reload();
  // SIGTERM: stops accepting, lets the metaloggers have the last lines, makes the changelog
  // and checkpoint durable, and writes metadata.mfs so that a MooseFS master can take the
  // data folder over; then `done` gets the outcome (on the metadata thread).
  void stop(std::function<void(Status)> done);

 private:
  // The file named by config `option`, else /etc/mfs/`name` (or /etc/`name` if only that exists).
  std::string config_file_path(const std::string& option, const std::string& name) const;
  // mfstopology.cfg into the chunk manager (kept as it was when the file is missing).
  void load_topology();
  Status load_exports();
  Status load_metadata();
  // metadata.mfs, else metadata.mfs.back.
  Result<std::string> image_to_start_from() const;
  // -a: the valid metadata* file with the highest version.
  Result<std::string> newest_valid_image() const;
  // Listens on <option_prefix>_LISTEN_HOST:<option_prefix>_LISTEN_PORT.
  Status start_listener(std::unique_ptr<TcpListener>& listener, const std::string& name,
                        const std::string& option_prefix, uint16_t default_port, TcpListener::Handler handler);
  // CHANGELOG_PRESERVE_SECONDS.
  void configure_metalogger_feed();
  void start_timers();
  void tick();
  Status finish_stop();

  boost::asio::io_context& io_;
  std::string config_path_;
  ConfigFile config_;
  const bool auto_restore_;
  std::string data_path_;
  Exports exports_;
  Metadata metadata_;
  ClientNotifier client_notifier_{metadata_.sessions()};
  DataCacheTracker data_cache_;
  SessionStats session_stats_;
  MetaloggerFeed metalogger_feed_;
  AppendReservations append_reservations_;
  ImageExtras image_extras_;
  std::unique_ptr<Checkpoint> checkpoint_;
  std::unique_ptr<ChangelogWriter> changelog_;
  std::unique_ptr<MutationLog> mutations_;
  Chunkservers chunkservers_;
  std::unique_ptr<ChunkManager> chunks_;
  std::unique_ptr<LockManager> locks_;
  std::unique_ptr<Housekeeping> housekeeping_;
  std::unique_ptr<HourlyRotation> hourly_rotation_;
  std::unique_ptr<DownloadImage> download_image_;
  std::unique_ptr<ClientServices> client_services_;
  std::unique_ptr<ChunkserverServices> chunkserver_services_;
  std::unique_ptr<MetaloggerServices> metalogger_services_;
  std::unique_ptr<TcpListener> client_listener_;
  std::unique_ptr<TcpListener> chunkserver_listener_;
  std::unique_ptr<TcpListener> metalogger_listener_;
  boost::asio::steady_timer tick_timer_;
  uint32_t started_at_ = 0;
};

}  // namespace mfs::master
