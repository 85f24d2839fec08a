#include "mfsmaster/hourly_backup.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "mfscommon/log.h"
#include "mfsmaster/metadata_image_writer.h"

namespace mfs::master {

namespace {

constexpr uint32_t kSecondsPerHour = 3600;
constexpr uint64_t kMaxBackLogs = 1000;
constexpr uint64_t kMaxKeptPrevious = 99;

// metadata.mfs.back.(i) -> .(i+1) for i = keep-1 .. 1, then metadata.mfs.back -> .1.
void shift_previous_images(const std::string& back, uint32_t keep) {
  if (keep == 0) return;
  for (uint32_t i = keep - 1; i >= 1; --i) {
    std::rename((back + "." + std::to_string(i)).c_str(), (back + "." + std::to_string(i + 1)).c_str());
  }
  std::rename(back.c_str(), (back + ".1").c_str());
}

}  // namespace

HourlyBackup::HourlyBackup(const Metadata& metadata, const ImageExtras& extras, ChangelogWriter& changelog,
                           const MetaloggerFeed& metaloggers, std::string data_path, uint32_t now)
    : metadata_(metadata),
      extras_(extras),
      changelog_(changelog),
      metaloggers_(metaloggers),
      data_path_(std::move(data_path)),
      hour_(now / kSecondsPerHour) {}

void HourlyBackup::configure(const ConfigFile& config) {
  back_logs_ = static_cast<uint32_t>(config.get_uint_clamped("BACK_LOGS", 50, 0, kMaxBackLogs));
  keep_previous_ = static_cast<uint32_t>(config.get_uint_clamped("BACK_META_KEEP_PREVIOUS", 1, 0, kMaxKeptPrevious));
  save_every_hours_ = static_cast<uint32_t>(config.get_uint_clamped("METADATA_SAVE_FREQ", 1, 1, UINT32_MAX));
  // An image older than the oldest changelog kept could not be brought up to date.
  if (back_logs_ >= 2 && save_every_hours_ > back_logs_ / 2) {
    MFS_LOG_WARNING("METADATA_SAVE_FREQ %u is more than BACK_LOGS/2 - using %u", save_every_hours_, back_logs_ / 2);
    save_every_hours_ = back_logs_ / 2;
  }
}

void HourlyBackup::run(uint32_t now) {
  uint32_t hour = now / kSecondsPerHour;
  if (hour == hour_) return;
  hour_ = hour;
  changelog_.rotate(back_logs_);
  if (metaloggers_.followers().empty()) MFS_LOG_WARNING("no metaloggers connected !!!");
  if (hour % save_every_hours_ == 0) save_image();
}

void HourlyBackup::save_image() {
  if (storing_.valid() && storing_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    MFS_LOG_WARNING("metadata.mfs.back: the previous hour's image is still being stored - skipping this one");
    return;
  }
  wait();
  auto image = serialize_metadata_image(metadata_, &extras_);
  if (!image) {
    MFS_LOG_ERROR("metadata.mfs.back: can't make the image - %s", image.status().to_string().c_str());
    return;
  }
  std::string back = data_path_ + "/metadata.mfs.back";
  storing_ = std::async(std::launch::async, [back, keep = keep_previous_, image = std::move(*image)] {
    Status stored = store_metadata_image(back, image, [&] { shift_previous_images(back, keep); });
    if (!stored) MFS_LOG_ERROR("metadata.mfs.back: %s", stored.to_string().c_str());
  });
}

void HourlyBackup::wait() {
  if (storing_.valid()) storing_.get();
}

}  // namespace mfs::master
