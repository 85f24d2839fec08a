// The chunkserver's connection to the master (spec 20 §2): connects and reconnects,
// registers with the version-6 registration (chunk list in batches, labels,
// authentication), sends the reports and keep-alives, and runs the master's chunk
// commands, replying when each one is done.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mfschunkserver/chunk_store.h"
#include "mfschunkserver/chunkserver_identity.h"
#include "mfschunkserver/report_queue.h"
#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/config_file.h"
#include "mfscommon/packet_connection.h"

namespace mfs::cs {

struct MasterLinkSettings {
  std::string host = "mfsmaster";
  uint16_t port = 9420;
  std::string bind_host = "*";
  uint16_t timeout = 0;  // MASTER_TIMEOUT; 0 = the master decides
  uint32_t reconnection_delay = 5;
  std::optional<std::string> auth_code;
  uint32_t chunks_per_packet = 10000;
  uint32_t label_mask = 0;
  // ALLOW_LOOPBACK_MASTER (MooseNG only, default 0): connect to a master on 127.0.0.0/8,
  // which MooseFS refuses, so that a one-machine cluster needs no network namespace.
  bool allow_loopback = false;
  uint32_t data_ip = 0;  // the data listener's address; 0 = all addresses
  uint16_t data_port = 9422;

  // The mfschunkserver.cfg options (spec 40 §C.6); `data_ip`/`data_port` come from the
  // data listener.
  static MasterLinkSettings from(const ConfigFile& config);
  // Whether a change from `other` needs a new connection (spec 20 §2.10).
  bool same_connection(const MasterLinkSettings& other) const;
};

// LABELS: letters A-Z separated by ',' or ';', case-insensitive -> bit i for 'A'+i.
uint32_t parse_labels(const std::string& text);

class MasterLink {
 public:
  // `known_metaid` is the meta id of chunkserverid.mfs or else of the disks (0 = none);
  // `fatal` ends the process when the master belongs to another file system.
  MasterLink(boost::asio::io_context& io, ChunkStore& store, ReportQueue& reports, BlockingPool& pool,
             MasterLinkSettings settings, std::string identity_path, uint64_t known_metaid,
             std::function<void(const std::string&)> fatal);

  void start();
  // Config reload: new labels are sent; a new master address reconnects.
  void reconfigure(MasterLinkSettings settings);
  // Graceful unregistration (rver 63) and disconnection, waiting at most 5 s.
  boost::asio::awaitable<void> stop();

  // Tells whether local rebalancing is moving chunks: the master is then told load status
  // REBALANCE (spec 20 CSTOMA_CURRENT_LOAD), at once when it changes.
  void set_rebalancing_probe(std::function<bool()> probe) { rebalancing_ = std::move(probe); }

  const ChunkserverIdentity& identity() const { return identity_; }
  // The master's address while registered, else 0/0 (CLTOAN_MODULE_INFO).
  uint32_t master_ip() const { return registered_ ? master_ip_ : 0; }
  uint16_t master_port() const { return registered_ ? settings_.port : 0; }

 private:
  boost::asio::awaitable<void> run();
  // One connection, from connect to disconnection.
  boost::asio::awaitable<void> session();
  boost::asio::awaitable<void> tick(std::shared_ptr<PacketConnection> connection);
  // False when the connection must close.
  bool handle(const std::shared_ptr<PacketConnection>& connection, csmsg::MasterToChunkserver message);
  csmsg::RegisterBeginV6 begin_packet() const;
  bool accept(const csmsg::AckAccepted& ack);
  void send_next_batch(PacketConnection& connection);
  void send_reports(PacketConnection& connection);

  boost::asio::io_context& io_;
  ChunkStore& store_;
  ReportQueue& reports_;
  BlockingPool& pool_;
  MasterLinkSettings settings_;
  std::string identity_path_;
  ChunkserverIdentity identity_;
  uint64_t known_metaid_;
  std::function<void(const std::string&)> fatal_;

  std::shared_ptr<PacketConnection> connection_;
  uint32_t master_ip_ = 0;
  uint16_t timeout_ = 10;
  bool registered_ = false;
  bool stopping_ = false;
  std::vector<csmsg::ChunkEntry> upload_;  // the chunk list being registered
  size_t upload_position_ = 0;
  std::optional<csmsg::SpaceInfo> last_space_;
  std::chrono::steady_clock::time_point last_load_report_;
  csmsg::LoadStatus last_load_status_ = csmsg::LoadStatus::kOk;
  std::function<bool()> rebalancing_;
  boost::asio::steady_timer reconnect_timer_;
};

}  // namespace mfs::cs
