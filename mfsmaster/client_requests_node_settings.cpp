// The tools' storage class (goal), trash time and extra attribute requests (spec 11 §5.1-5.6).
#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {
namespace {

constexpr size_t kGetRequestSize = 9;
constexpr size_t kGoalFormSize = 14;
constexpr size_t kSetTrashTimeSize = 17;
constexpr size_t kSetEattrSize = 14;
constexpr uint8_t kClassByName = 0xFF;
constexpr uint32_t kSecondsPerHour = 3600;
constexpr size_t kMaxEattrEntries = 255;

constexpr uint32_t kVersionWithClassNames = pack_version(3, 0, 75);

// GETSCLASS counts of one node kind: simple goals as `id count`, other classes as
// `0xFF name count`; peers older than 3.0.75 get only the simple goals.
void put_class_counts(PacketWriter& out, const std::map<uint32_t, uint32_t>& counts, const StorageClassTable& classes,
                      bool with_names) {
  for (const auto& [id, count] : counts) {
    if (id < kFirstUserClass) {
      out.u8(static_cast<uint8_t>(id)).u32(count);
    } else if (const StorageClass* named = classes.find(id); named && with_names) {
      out.u8(kClassByName).name8(named->name).u32(count);
    }
  }
}

size_t listed_class_count(const std::map<uint32_t, uint32_t>& counts, const StorageClassTable& classes,
                          bool with_names) {
  return std::count_if(counts.begin(), counts.end(), [&](const auto& entry) {
    return entry.first < kFirstUserClass || (with_names && classes.find(entry.first));
  });
}

// Older peers know fewer eattr bits: higher values are folded onto the ones they know.
std::map<uint32_t, uint32_t> folded_for(uint32_t client_version, const std::map<uint32_t, uint32_t>& counts) {
  uint32_t known = client_version < pack_version(3, 0, 30)    ? 0x0F
                   : client_version < pack_version(3, 0, 113) ? 0x1F
                                                              : 0xFF;
  std::map<uint32_t, uint32_t> folded;
  for (const auto& [value, count] : counts) folded[value & known] += count;
  return folded;
}

}  // namespace

bool ClientProtocol::handle_get_setting(uint32_t request_type, uint32_t msgid, PacketReader& in, size_t size) {
  if (size != kGetRequestSize) return fail("bad size of request " + std::to_string(request_type));
  uint32_t inode = in.u32();
  uint8_t gmode = in.u8();
  NodeSetting setting = request_type == msg::CLTOMA_FUSE_GETSCLASS      ? NodeSetting::kStorageClass
                        : request_type == msg::CLTOMA_FUSE_GETTRASHTIME ? NodeSetting::kTrashTime
                                                                        : NodeSetting::kExtraAttributes;
  uint32_t reply_type = request_type + 1;
  auto tally = operations_.tally_setting(context(0, {0}), inode, setting, gmode);
  if (!tally) {
    reply_status(reply_type, msgid, tally.status());
    return true;
  }
  PacketWriter reply(reply_type);
  reply.u32(msgid);
  switch (setting) {
    case NodeSetting::kStorageClass: {
      const StorageClassTable& classes = std::as_const(services_.metadata).storage_classes();
      bool with_names = client_version_ >= kVersionWithClassNames;
      for (const auto* counts : {&tally->files, &tally->directories}) {
        reply.u8(static_cast<uint8_t>(listed_class_count(*counts, classes, with_names)));
      }
      for (const auto* counts : {&tally->files, &tally->directories}) {
        put_class_counts(reply, *counts, classes, with_names);
      }
      break;
    }
    case NodeSetting::kTrashTime:
      reply.u32(static_cast<uint32_t>(tally->files.size())).u32(static_cast<uint32_t>(tally->directories.size()));
      for (const auto* counts : {&tally->files, &tally->directories}) {
        for (const auto& [hours, count] : *counts) reply.u32(hours * kSecondsPerHour).u32(count);
      }
      break;
    case NodeSetting::kExtraAttributes: {
      auto files = folded_for(client_version_, tally->files);
      auto directories = folded_for(client_version_, tally->directories);
      auto listed = [](const std::map<uint32_t, uint32_t>& counts) {
        return std::min(counts.size(), kMaxEattrEntries);
      };
      reply.u8(static_cast<uint8_t>(listed(files))).u8(static_cast<uint8_t>(listed(directories)));
      for (const auto* counts : {&files, &directories}) {
        size_t written = 0;
        for (auto it = counts->begin(); it != counts->end() && written < kMaxEattrEntries; ++it, ++written) {
          reply.u8(static_cast<uint8_t>(it->first)).u32(it->second);
        }
      }
      break;
    }
  }
  send(reply.take());
  return true;
}

void ClientProtocol::reply_setting_update(uint32_t reply_type, uint32_t msgid, Result<SettingUpdate> update) {
  if (!update) {
    reply_status(reply_type, msgid, update.status());
    return;
  }
  SettingCounters counters = update->counters;
  commit_then_reply(reply_type, msgid, std::move(update->entries), [counters](PacketWriter& reply) {
    reply.u32(counters.changed).u32(counters.not_changed).u32(counters.not_permitted);
  });
}

bool ClientProtocol::handle_setsclass(uint32_t msgid, PacketReader& in, size_t size) {
  if (size < kGoalFormSize) return fail("bad SETSCLASS size");
  uint32_t inode = in.u32();
  uint32_t uid = in.u32();
  uint8_t goal = in.u8();
  uint8_t mode = in.u8();
  // The goal form logs the goal as both source and target class, as 3.0.117 does.
  uint8_t target = goal < kFirstUserClass ? goal : 0;
  uint8_t source = target;
  if (goal == kClassByName) {
    // Names must be present; trailing bytes after them are ignored, as 3.0.117 does, which
    // also logs class 1 as the source of a set by name.
    // An unknown name is class 0, which set_storage_class refuses with EINVAL.
    const StorageClassTable& classes = std::as_const(services_.metadata).storage_classes();
    source = (mode & smode::kTypeMask) == smode::kExchange ? classes.id_named(in.name8()).value_or(0) : 1;
    target = classes.id_named(in.name8()).value_or(0);
    if (!in.ok()) return fail("SETSCLASS names cut short");
  } else if (target != 0 && size != kGoalFormSize) {
    return fail("bad SETSCLASS size");
  }
  reply_setting_update(msg::MATOCL_FUSE_SETSCLASS, msgid,
                       operations_.set_storage_class(context(uid, {0}), inode, source, target, mode));
  return true;
}

bool ClientProtocol::handle_settrashtime(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != kSetTrashTimeSize) return fail("bad SETTRASHTIME size");
  uint32_t inode = in.u32();
  uint32_t uid = in.u32();
  uint32_t seconds = in.u32();
  uint8_t mode = in.u8();
  reply_setting_update(msg::MATOCL_FUSE_SETTRASHTIME, msgid,
                       operations_.set_trash_time(context(uid, {0}), inode, seconds, mode));
  return true;
}

bool ClientProtocol::handle_seteattr(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != kSetEattrSize) return fail("bad SETEATTR size");
  uint32_t inode = in.u32();
  uint32_t uid = in.u32();
  uint8_t bits = in.u8();
  uint8_t mode = in.u8();
  reply_setting_update(msg::MATOCL_FUSE_SETEATTR, msgid,
                       operations_.set_extra_attributes(context(uid, {0}), inode, bits, mode));
  return true;
}

}  // namespace mfs::master
