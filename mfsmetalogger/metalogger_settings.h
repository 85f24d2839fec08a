// The mfsmetalogger.cfg options (spec 40 §C.8), with the clamps 3.0.117 applies.
#pragma once
#include <cstdint>
#include <string>

#include "mfscommon/config_file.h"

namespace mfs::ml {

struct MetaloggerSettings {
  uint32_t back_logs = 50;               // changelog_ml.N.mfs kept, 5..10000
  uint32_t back_meta_keep_previous = 3;  // metadata_ml.mfs.back.N kept, 0..99
  uint32_t meta_download_freq = 24;      // hours between downloads, <= back_logs / 2; 0 = never
  uint32_t reconnection_delay = 5;       // seconds
  std::string bind_host = "*";
  std::string master_host = "mfsmaster";
  uint16_t master_port = 9419;
  uint16_t master_timeout = 10;  // seconds, 10..65535; sent in the registration

  static MetaloggerSettings from(const ConfigFile& config);
  // Whether a change from `other` needs a new connection to the master (a new
  // MASTER_TIMEOUT applies to the current one).
  bool same_master(const MetaloggerSettings& other) const;
};

}  // namespace mfs::ml
