// What a 3.0.117 master does at each full hour (spec 40 §A.8): it rotates the changelog,
// keeping BACK_LOGS old ones (metaloggers rotate theirs on the notice the changelog
// writer's observer sends them), and every METADATA_SAVE_FREQ hours it stores the metadata
// image as metadata.mfs.back, shifting BACK_META_KEEP_PREVIOUS older copies to
// metadata.mfs.back.N. That image and the changelogs after it are what a MooseFS master
// takes over and what an operator backs up; our own restarts use the checkpoint.
// The image is serialized on the metadata thread and written on another.
#pragma once
#include <cstdint>
#include <future>
#include <string>

#include "mfscommon/config_file.h"
#include "mfsmaster/changelog_writer.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/metalogger_feed.h"

namespace mfs::master {

class HourlyBackup {
 public:
  HourlyBackup(const Metadata& metadata, const ImageExtras& extras, ChangelogWriter& changelog,
               const MetaloggerFeed& metaloggers, std::string data_path, uint32_t now);
  ~HourlyBackup() { wait(); }
  HourlyBackup(const HourlyBackup&) = delete;
  HourlyBackup& operator=(const HourlyBackup&) = delete;

  void configure(const ConfigFile& config);
  // Called every second: does the hour's work once a new hour has begun.
  void run(uint32_t now);
  // Until the image being stored, if any, is on disk.
  void wait();

 private:
  void save_image();

  const Metadata& metadata_;
  const ImageExtras& extras_;
  ChangelogWriter& changelog_;
  const MetaloggerFeed& metaloggers_;
  const std::string data_path_;
  uint32_t hour_;
  uint32_t back_logs_ = 50;
  uint32_t save_every_hours_ = 1;
  uint32_t keep_previous_ = 1;
  std::future<void> storing_;
};

}  // namespace mfs::master
