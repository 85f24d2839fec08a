// The metalogger process without its command line: the changelog store, the metadata
// download and the master session on one io_context, with the once-per-second flush of
// the change log and the periodic re-download of the metadata.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "mfscommon/asio_awaitable.h"
#include "mfscommon/config_file.h"
#include "mfsmetalogger/changelog_store.h"
#include "mfsmetalogger/master_session.h"
#include "mfsmetalogger/metadata_download.h"
#include "mfsmetalogger/metalogger_settings.h"

namespace mfs::ml {

// When the periodic re-download after `now` is due, every `hours` hours (> 0).
std::chrono::system_clock::time_point next_metadata_download(std::chrono::system_clock::time_point now,
                                                             uint32_t hours);

class MetaloggerDaemon {
 public:
  // Runs in DATA_PATH (the working directory), where its files are.
  MetaloggerDaemon(boost::asio::io_context& io, std::string config_path, const ConfigFile& config);

  void start();
  // SIGHUP: re-reads mfsmetalogger.cfg.
  void reload();
  // SIGTERM: disconnects and writes out the change log.
  void stop();

 private:
  boost::asio::awaitable<void> flush_loop();
  boost::asio::awaitable<void> download_loop();

  std::string config_path_;
  MetaloggerSettings settings_;
  ChangelogStore changelog_;
  MetadataDownload download_;
  MasterSession session_;
  boost::asio::steady_timer flush_timer_;
  boost::asio::system_timer download_timer_;
  bool stopping_ = false;
};

}  // namespace mfs::ml
