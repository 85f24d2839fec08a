#include "mfsmaster/hourly_rotation.h"

#include "mfscommon/log.h"

namespace mfs::master {

namespace {

constexpr uint32_t kSecondsPerHour = 3600;
constexpr uint64_t kMaxBackLogs = 1000;

}  // namespace

HourlyRotation::HourlyRotation(ChangelogWriter& changelog, const MetaloggerFeed& metaloggers, uint32_t now)
    : changelog_(changelog), metaloggers_(metaloggers), hour_(now / kSecondsPerHour) {}

void HourlyRotation::configure(const ConfigFile& config) {
  back_logs_ = static_cast<uint32_t>(config.get_uint_clamped("BACK_LOGS", 50, 0, kMaxBackLogs));
  for (const char* ignored : {"METADATA_SAVE_FREQ", "BACK_META_KEEP_PREVIOUS"}) {
    if (!config.get_string(ignored, "").empty()) {
      MFS_LOG_NOTICE("%s ignored: this master stores no hourly metadata.mfs.back (its checkpoint is in metadata.ng)",
                     ignored);
    }
  }
}

void HourlyRotation::run(uint32_t now) {
  uint32_t hour = now / kSecondsPerHour;
  if (hour == hour_) return;
  hour_ = hour;
  changelog_.rotate(back_logs_);
  if (metaloggers_.followers().empty()) MFS_LOG_WARNING("no metaloggers connected !!!");
}

}  // namespace mfs::master
