#include "mfsmetalogger/metalogger_settings.h"

#include <algorithm>

namespace mfs::ml {

MetaloggerSettings MetaloggerSettings::from(const ConfigFile& config) {
  MetaloggerSettings settings;
  settings.back_logs = static_cast<uint32_t>(config.get_uint_clamped("BACK_LOGS", 50, 5, 10000));
  settings.back_meta_keep_previous =
      static_cast<uint32_t>(std::min<uint64_t>(config.get_uint("BACK_META_KEEP_PREVIOUS", 3), 99));
  // A download every N hours keeps the change logs since the previous one, which need N
  // rotations: more than half the kept logs would leave no margin.
  settings.meta_download_freq = static_cast<uint32_t>(
      std::min<uint64_t>(config.get_uint("META_DOWNLOAD_FREQ", 24), settings.back_logs / 2));
  settings.reconnection_delay = static_cast<uint32_t>(config.get_uint("MASTER_RECONNECTION_DELAY", 5));
  settings.bind_host = config.get_string("BIND_HOST", "*");
  settings.master_host = config.get_string("MASTER_HOST", "mfsmaster");
  settings.master_port = static_cast<uint16_t>(config.get_uint("MASTER_PORT", 9419));
  settings.master_timeout = static_cast<uint16_t>(config.get_uint_clamped("MASTER_TIMEOUT", 10, 10, 65535));
  return settings;
}

bool MetaloggerSettings::same_master(const MetaloggerSettings& other) const {
  return master_host == other.master_host && master_port == other.master_port && bind_host == other.bind_host;
}

}  // namespace mfs::ml
