// The chunkserver process without its command line: loads mfschunkserver.cfg and
// mfshdd.cfg, takes the disks, scans them, and wires the chunk store, the data port and
// the master link on one io_context (the network thread) plus the disk I/O threads.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "mfschunkserver/blocking_pool.h"
#include "mfschunkserver/chunk_store.h"
#include "mfschunkserver/data_connection.h"
#include "mfschunkserver/master_link.h"
#include "mfschunkserver/report_queue.h"
#include "mfschunkserver/disk_rebalancer.h"
#include "mfschunkserver/scrubber.h"
#include "mfscommon/config_file.h"
#include "mfscommon/tcp_listener.h"

namespace mfs::cs {

class ChunkserverDaemon {
 public:
  // `fatal` ends the process (the master belongs to another file system).
  ChunkserverDaemon(boost::asio::io_context& io, std::string config_path, ConfigFile config,
                    std::function<void(const std::string&)> fatal);
  ~ChunkserverDaemon();

  // Everything up to listening and connecting; a failure says what went wrong.
  Status start();
  // SIGHUP: re-reads mfschunkserver.cfg (labels, master address, fsync, scrubbing and
  // error tolerance); disks stay.
  void reload();
  // SIGTERM: unregisters from the master, stops serving and waits for the disk threads.
  boost::asio::awaitable<void> stop();

 private:
  Result<std::vector<std::unique_ptr<Disk>>> open_disks(uint64_t& known_metaid);
  csdata::ModuleInfo module_info() const;

  boost::asio::io_context& io_;
  std::string config_path_;
  ConfigFile config_;
  std::function<void(const std::string&)> fatal_;
  std::string data_path_;
  std::unique_ptr<BlockingPool> pool_;
  ReportQueue reports_;
  std::unique_ptr<ChunkStore> store_;
  std::unique_ptr<MasterLink> master_;
  std::unique_ptr<Scrubber> scrubber_;
  std::unique_ptr<DiskRebalancer> rebalancer_;
  std::unique_ptr<DataServices> data_services_;
  std::unique_ptr<TcpListener> listener_;
};

}  // namespace mfs::cs
