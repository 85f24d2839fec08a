// The master's side of one metalogger connection (spec 40 §A): registration, which puts
// the connection on the change feed, and the downloads of the metadata image and the two
// newest changelogs. Downloads need no registration, as on 3.0.117.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mfscommon/config_file.h"
#include "mfscommon/metalogger_messages.h"
#include "mfscommon/status.h"
#include "mfsmaster/metalogger_download.h"
#include "mfsmaster/metalogger_feed.h"

namespace mfs::master {

class MetaloggerLink {
 public:
  virtual ~MetaloggerLink() = default;
  virtual void send(std::vector<uint8_t> frame) = 0;
  virtual uint32_t peer_ip() const = 0;
  // The timeout the metalogger registered with (read timeout and NOP interval).
  virtual void set_timeout(uint16_t seconds) = 0;
};

struct MetaloggerServices {
  MetaloggerFeed& feed;
  // Asks for a metadata image (metadata.mfs format) of the current state, handed to the
  // callback once made, maybe later (download_image.h).
  std::function<void(std::function<void(Result<DownloadSource>)>)> metadata_image;
  std::string data_path;
  std::function<const ConfigFile&()> config;
};

class MetaloggerProtocol {
 public:
  MetaloggerProtocol(MetaloggerServices& services, std::shared_ptr<MetaloggerLink> link);
  MetaloggerProtocol(const MetaloggerProtocol&) = delete;
  MetaloggerProtocol& operator=(const MetaloggerProtocol&) = delete;

  // False when the packet is not acceptable: the caller logs error() and closes.
  bool handle(const Packet& packet);
  // Takes the connection off the feed.
  void disconnected();
  bool registered() const { return follower_.has_value(); }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string error);
  bool register_follower(const mlmsg::Register& message);
  bool start_download(uint8_t filenum);
  bool send_block(const mlmsg::DownloadRequest& request);

  // What the connection downloads. Shared with the image being made, which may come after
  // the connection is gone.
  struct Downloads {
    std::optional<DownloadSource> serving;
    // changelog.0.mfs and changelog.1.mfs as they were when the image was asked for: what
    // filenum 11 and 12 serve.
    std::optional<DownloadSource> changelogs[2];
    uint64_t starts = 0;  // an image is served only if no other download started since
  };

  MetaloggerServices& services_;
  std::shared_ptr<MetaloggerLink> link_;
  std::optional<uint64_t> follower_;
  std::shared_ptr<Downloads> downloads_ = std::make_shared<Downloads>();
  std::string error_;
};

}  // namespace mfs::master
