// The metalogger's connection to the master (spec 40 §A.1-A.7): connects (1 s timeout)
// and reconnects every MASTER_RECONNECTION_DELAY seconds, registers (rver 1 with no
// change received yet in this process, else rver 2 asking for the changes after the last
// one), downloads the metadata when it has no change stream to continue, keeps the link
// alive with NOPs, and hands the master's change stream to the changelog store.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "mfscommon/asio_awaitable.h"
#include "mfscommon/metalogger_messages.h"
#include "mfscommon/packet_connection.h"
#include "mfsmetalogger/changelog_store.h"
#include "mfsmetalogger/metadata_download.h"
#include "mfsmetalogger/metalogger_settings.h"

namespace mfs::ml {

class MasterSession {
 public:
  MasterSession(boost::asio::io_context& io, ChangelogStore& changelog, MetadataDownload& download,
                MetaloggerSettings settings);

  void start();
  // Config reload: a new master address or BIND_HOST reconnects.
  void reconfigure(MetaloggerSettings settings);
  // The periodic re-download: starts one if connected and none is running.
  void download_metadata();
  void stop();

 private:
  boost::asio::awaitable<void> run();
  // One connection, from connect to disconnection.
  boost::asio::awaitable<void> session();
  // An error (the reason) when the connection must close.
  Status handle(const mlmsg::MasterToMetalogger& message, PacketConnection& connection);
  ConnectionLimits limits() const;

  boost::asio::io_context& io_;
  ChangelogStore& changelog_;
  MetadataDownload& download_;
  MetaloggerSettings settings_;
  std::shared_ptr<PacketConnection> connection_;
  bool stopping_ = false;
  boost::asio::steady_timer reconnect_timer_;
};

}  // namespace mfs::ml
