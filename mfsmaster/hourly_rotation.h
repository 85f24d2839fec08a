// What a 3.0.117 master does at each full hour that ours does too (spec 40 §A.8): it
// rotates the changelog, keeping BACK_LOGS old ones (metaloggers rotate theirs on the
// notice the changelog writer's observer sends them), and warns when no metalogger is
// connected. 3.0.117 also stores its metadata image as metadata.mfs.back then; ours makes
// no periodic full dump (DESIGN §3: the LevelDB checkpoint is the stored state, an image is
// made on demand), so METADATA_SAVE_FREQ and BACK_META_KEEP_PREVIOUS are read and ignored.
#pragma once
#include <cstdint>

#include "mfscommon/config_file.h"
#include "mfsmaster/changelog_writer.h"
#include "mfsmaster/metalogger_feed.h"

namespace mfs::master {

class HourlyRotation {
 public:
  HourlyRotation(ChangelogWriter& changelog, const MetaloggerFeed& metaloggers, uint32_t now);

  void configure(const ConfigFile& config);
  // Called every second: does the hour's work once a new hour has begun.
  void run(uint32_t now);

 private:
  ChangelogWriter& changelog_;
  const MetaloggerFeed& metaloggers_;
  uint32_t hour_;
  uint32_t back_logs_ = 50;
};

}  // namespace mfs::master
