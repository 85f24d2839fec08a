// Quota requests: CLTOMA_FUSE_QUOTACONTROL of mfsgetquota/mfssetquota/mfsdelquota/
// mfscopyquota (spec 11 §5.7) and mfscli's CLTOMA_QUOTA_INFO (spec 40 B.3.11).
#include <utility>

#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {
namespace {

constexpr size_t kGetOrDeleteSize = 9;
constexpr size_t kSetSize = 65;                // before 3.0.9: without the grace period
constexpr size_t kSetWithGraceSize = 69;
constexpr uint32_t kVersionWithGracePeriod = pack_version(3, 0, 9);

void put_limits(PacketWriter& out, const SubtreeUsage& limits) {
  out.u32(limits.inodes).u64(limits.length).u64(limits.size).u64(limits.realsize);
}

SubtreeUsage read_limits(PacketReader& in) {
  SubtreeUsage limits;
  limits.inodes = in.u32();
  limits.length = in.u64();
  limits.size = in.u64();
  limits.realsize = in.u64();
  return limits;
}

// The reply body after msgid: the quota (zeros without one) and the directory's usage.
void put_quota_state(PacketWriter& out, const Metadata& metadata, const Node& directory, bool with_grace) {
  const QuotaRecord* record = metadata.quotas().find(directory.inode);
  QuotaRecord none;
  if (!record) record = &none;
  out.u8(record->flags);
  if (with_grace) out.u32(record->grace_period);
  put_limits(out, record->soft);
  put_limits(out, record->hard);
  put_limits(out, directory.directory->usage);
}

}  // namespace

bool ClientProtocol::handle_quota_control(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != kGetOrDeleteSize && size != kSetSize && size != kSetWithGraceSize) return fail("bad QUOTACONTROL size");
  uint32_t inode = in.u32();
  uint8_t qflags = in.u8();
  bool set = size != kGetOrDeleteSize;
  uint32_t grace_period = size == kSetWithGraceSize ? in.u32() : 0;
  SubtreeUsage soft, hard;
  if (set) {
    soft = read_limits(in);
    hard = read_limits(in);
  }
  if (!in.finished()) return fail("bad QUOTACONTROL size");

  RequestContext request = context(0, {0});
  const SessionParameters& session = *request.session;
  Status status = Status::ok();
  if (qflags != 0 && session.root_uid != 0) {
    status = StatusCode::kEACCES;
  } else if (qflags != 0 && request.read_only()) {
    status = StatusCode::kEROFS;
  } else if (qflags != 0 && !(session.sesflags & sesflag::kAdmin)) {
    status = StatusCode::kEPERM;
  } else if (session.root_inode == 0) {
    status = StatusCode::kEPERM;
  }
  const Node* directory = status ? operations_.resolve(request, inode) : nullptr;
  if (status && !directory) status = StatusCode::kENOENT;
  if (status && !directory->is_directory()) status = StatusCode::kEPERM;
  if (!status) {
    reply_status(msg::MATOCL_FUSE_QUOTACONTROL, msgid, status);
    return true;
  }

  uint32_t directory_inode = directory->inode;
  auto build_reply = [&metadata = std::as_const(services_.metadata), directory_inode,
                      with_grace = client_version_ >= kVersionWithGracePeriod](PacketWriter& out) {
    put_quota_state(out, metadata, *metadata.fs().find(directory_inode), with_grace);
  };
  if (qflags == 0) {  // just reading
    PacketWriter reply(msg::MATOCL_FUSE_QUOTACONTROL);
    reply.u32(msgid);
    build_reply(reply);
    send(reply.take());
    return true;
  }
  const QuotaRecord* current = std::as_const(services_.metadata).quotas().find(directory_inode);
  QuotaRecord changed = changed_quota(current, directory_inode, qflags, set, grace_period, soft, hard);
  commit_then_reply(msg::MATOCL_FUSE_QUOTACONTROL, msgid, {quota_entry(changed, request.now)}, build_reply);
  return true;
}

bool ClientProtocol::handle_quota_info(const Packet& packet) {
  if (!packet.payload.empty()) return fail("bad QUOTA_INFO size");
  const Metadata& metadata = services_.metadata;
  uint32_t now = services_.now();
  uint32_t default_grace_period = quota_default_grace_period(services_.config());
  PacketWriter reply(msg::MATOCL_QUOTA_INFO);
  for (const auto& [inode, record] : metadata.quotas().all()) {
    const Node* directory = metadata.fs().find(inode);
    if (!directory || !directory->is_directory()) continue;
    std::string path = "/" + metadata.fs().path_of(*directory);
    reply.u32(inode).u32(static_cast<uint32_t>(path.size())).bytes(path);
    reply.u32(record.grace_period).u8(record.exceeded ? 1 : 0).u8(record.flags);
    reply.u32(record.time_to_block(now, default_grace_period));
    put_limits(reply, record.soft);
    put_limits(reply, record.hard);
    put_limits(reply, directory->directory->usage);
  }
  send(reply.take());
  return true;
}

}  // namespace mfs::master
