#include "mfsmaster/metalogger_protocol.h"

#include <algorithm>

#include "mfscommon/ip_address.h"
#include "mfscommon/log.h"

namespace mfs::master {

namespace {

// 3.0.117 takes any registered timeout, but never less than this.
constexpr uint16_t kMinTimeout = 3;
constexpr uint16_t kLowTimeoutNotice = 10;

}  // namespace

MetaloggerProtocol::MetaloggerProtocol(MetaloggerServices& services, std::shared_ptr<MetaloggerLink> link)
    : services_(services), link_(std::move(link)) {}

void MetaloggerProtocol::disconnected() {
  if (follower_) services_.feed.remove(*follower_);
  follower_.reset();
}

bool MetaloggerProtocol::fail(std::string error) {
  error_ = std::move(error);
  return false;
}

bool MetaloggerProtocol::handle(const Packet& packet) {
  auto decoded = mlmsg::decode_from_metalogger(packet);
  if (!decoded) return fail("got unknown message: " + decoded.status().to_string());
  const mlmsg::MetaloggerToMaster& message = *decoded;
  auto config_value = [this](const std::string& name) { return services_.config().get_string(name, ""); };
  if (anymsg::answer_any_request(message, config_value, [this](std::vector<uint8_t> frame) {
        link_->send(std::move(frame));
      })) {
    return true;
  }
  if (auto* registration = std::get_if<mlmsg::Register>(&message)) return register_follower(*registration);
  if (auto* start = std::get_if<mlmsg::DownloadStart>(&message)) return start_download(start->filenum);
  if (auto* request = std::get_if<mlmsg::DownloadRequest>(&message)) return send_block(*request);
  downloads_->serving.reset();  // DownloadEnd
  return true;
}

bool MetaloggerProtocol::register_follower(const mlmsg::Register& message) {
  if (follower_) return fail("second registration on one connection");
  uint16_t timeout = message.timeout;
  if (timeout < kLowTimeoutNotice) {
    MFS_LOG_NOTICE("metalogger %s: timeout %u s is low", ip_to_string(link_->peer_ip()).c_str(), timeout);
    timeout = std::max(timeout, kMinTimeout);
  }
  link_->set_timeout(timeout);
  std::weak_ptr<MetaloggerLink> link = link_;
  MetaloggerFeed::Follower follower{link_->peer_ip(), message.version, [link](std::vector<uint8_t> frame) {
                                      if (auto alive = link.lock()) alive->send(std::move(frame));
                                    }};
  follower_ = services_.feed.add(std::move(follower), message.next_version);
  MFS_LOG_NOTICE("metalogger %s registered (timeout %u s%s)", ip_to_string(link_->peer_ip()).c_str(), timeout,
                 message.next_version ? ", resuming" : "");
  return true;
}

bool MetaloggerProtocol::start_download(uint8_t filenum) {
  Downloads& downloads = *downloads_;
  downloads.serving.reset();
  const uint64_t start = ++downloads.starts;
  switch (filenum) {
    case mlmsg::kDownloadMetadata: {
      downloads.changelogs[0] = DownloadSource::changelog(services_.data_path + "/changelog.0.mfs");
      downloads.changelogs[1] = DownloadSource::changelog(services_.data_path + "/changelog.1.mfs");
      services_.metadata_image([weak = std::weak_ptr(downloads_), link = link_, start](Result<DownloadSource> image) {
        std::shared_ptr<Downloads> downloads = weak.lock();
        if (!downloads || downloads->starts != start) return;
        if (!image) {
          MFS_LOG_ERROR("metalogger %s: can't make the metadata image - %s", ip_to_string(link->peer_ip()).c_str(),
                        image.status().to_string().c_str());
          link->send(mlmsg::encode(mlmsg::DownloadInfo{}));
          return;
        }
        downloads->serving = std::move(*image);
        link->send(mlmsg::encode(mlmsg::DownloadInfo{downloads->serving->size()}));
      });
      return true;
    }
    case mlmsg::kDownloadSessions:
      // Sessions live in the metadata image since MooseFS 1.7; no sessions.mfs is kept.
      link_->send(mlmsg::encode(mlmsg::DownloadInfo{}));
      return true;
    case mlmsg::kDownloadChangelog0:
    case mlmsg::kDownloadChangelog1: {
      auto& changelog = downloads.changelogs[filenum - mlmsg::kDownloadChangelog0];
      downloads.serving = changelog ? *changelog : DownloadSource::from_bytes({});
      break;
    }
    default: return fail("download of unknown file " + std::to_string(filenum));
  }
  link_->send(mlmsg::encode(mlmsg::DownloadInfo{downloads.serving->size()}));
  return true;
}

bool MetaloggerProtocol::send_block(const mlmsg::DownloadRequest& request) {
  const std::optional<DownloadSource>& serving = downloads_->serving;
  if (!serving) return fail("download request without a download");
  if (request.length > mlmsg::kMaxPayload - 16) return fail("download request of " + std::to_string(request.length) + " bytes");
  auto data = serving->read(request.offset, request.length);
  if (!data) {
    return fail("download request past the file (" + std::to_string(request.offset) + "+" +
                std::to_string(request.length) + " of " + std::to_string(serving->size()) + " bytes)");
  }
  link_->send(mlmsg::encode(mlmsg::DownloadData{request.offset, 0, std::move(*data)}));
  return true;
}

}  // namespace mfs::master
