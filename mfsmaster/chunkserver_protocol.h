// The master's side of the chunkserver link (spec 20 §2): registration (v6 and the
// older forms), reports, and replies to chunk commands. Chunk policy lives in
// ChunkManager; this module only translates packets into its calls.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/config_file.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/chunkservers.h"
#include "mfsmaster/client_notifier.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

class ChunkserverLink {
 public:
  virtual ~ChunkserverLink() = default;
  virtual void send(std::vector<uint8_t> frame) = 0;
  virtual uint32_t peer_ip() const = 0;
  // The effective timeout decided at registration (read timeout and NOP interval).
  virtual void set_timeout(uint16_t seconds) = 0;
};

struct ChunkserverServices {
  Metadata& metadata;
  Chunkservers& servers;
  ChunkManager& chunks;
  std::function<const ConfigFile&()> config;
  // Mounts drop their cached chunk locations when the set of chunkservers changes.
  ClientNotifier& client_notifier;
};

class ChunkserverProtocol {
 public:
  ChunkserverProtocol(ChunkserverServices& services, std::shared_ptr<ChunkserverLink> link);
  ChunkserverProtocol(const ChunkserverProtocol&) = delete;
  ChunkserverProtocol& operator=(const ChunkserverProtocol&) = delete;

  // False: the packet is not acceptable; the caller logs error() and disconnects.
  bool handle(const Packet& packet);
  void disconnected();
  const std::string& error() const { return error_; }
  // Set after a graceful DISCONNECT: the caller closes without treating it as a failure.
  bool wants_close() const { return wants_close_; }
  Chunkserver* server() const { return server_; }

 private:
  bool fail(std::string reason);
  bool begin(const csmsg::RegisterBeginV6& begin);
  // Checks for the registrations that carry no digest (rver 50 and the single-packet forms).
  bool may_register_without_digest();
  bool begin_legacy(uint32_t version, uint32_t ip, uint16_t port, uint16_t timeout, uint16_t csid);
  void announce(const std::vector<csmsg::ChunkEntry>& chunks);
  void apply_space(const csmsg::SpaceInfo& space);
  bool handle_registered(const csmsg::ChunkserverToMaster& message);
  // END received: the server's chunk list is complete.
  void registration_finished();

  ChunkserverServices& services_;
  std::shared_ptr<ChunkserverLink> link_;
  Chunkserver* server_ = nullptr;
  std::array<uint8_t, 32> challenge_{};
  bool challenged_ = false;
  bool wants_close_ = false;
  std::string error_;
};

}  // namespace mfs::master
