#include "mfsmaster/attr_record.h"

namespace mfs::master {

uint64_t encode_directory_size(uint64_t length) {
  if (length == 0) return 1;
  if (length < (uint64_t{1} << 10)) return length * 100;
  if (length < (uint64_t{1} << 20)) return length * 100 / (uint64_t{1} << 10) + 1000000;
  if (length < (uint64_t{1} << 30)) return length * 100 / (uint64_t{1} << 20) + 2000000;
  if (length < (uint64_t{1} << 40)) return length * 100 / (uint64_t{1} << 30) + 3000000;
  if (length < (uint64_t{1} << 50)) return length * 100 / (uint64_t{1} << 40) + 4000000;
  if (length < (uint64_t{1} << 60)) return (length >> 10) * 100 / (uint64_t{1} << 40) + 5000000;
  return (length >> 10) * 100 / (uint64_t{1} << 50) + 6000000;
}

void put_attr(PacketWriter& out, const Node& node, const AttrPresentation& presentation) {
  const Credentials& caller = presentation.caller;
  uint8_t flags = 0;
  if ((node.eattr & (eattr::kNoOwner | eattr::kNoAttrCache)) || caller.map_all) flags |= attrflag::kNoAttrCache;
  if (presentation.parent_no_entry_cache) flags |= attrflag::kNoEntryCache;
  if (!(node.eattr & eattr::kNoDataCache) && presentation.allow_data_cache) flags |= attrflag::kAllowDataCache;
  if (node.extras().xattrs.empty() && !node.extras().access_acl && !node.extras().default_acl) flags |= attrflag::kNoXattr;
  if (node.eattr & eattr::kNoDataCache) flags |= attrflag::kDirectMode;
  if (node.eattr & (eattr::kUndeletable | eattr::kImmutable | eattr::kAppendOnly)) flags |= attrflag::kUndeletable;

  uint16_t mode = node.effective_mode() & 07777;
  uint32_t uid = node.uid;
  uint32_t gid = node.gid;
  if ((node.eattr & eattr::kNoOwner) && caller.uid != 0) {
    uint16_t owner_bits = (mode >> 6) & 7;
    mode = (mode & 07700) | (owner_bits << 3) | owner_bits;
    uid = caller.map_all ? caller.original_uid : caller.uid;
    gid = caller.map_all ? caller.original_gid : caller.primary_gid();
  } else if (caller.map_all && caller.original_uid != 0) {
    uid = node.uid == caller.uid ? caller.original_uid : 0;
    gid = node.gid == caller.primary_gid() ? caller.original_gid : 0;
  }

  out.u8(flags);
  out.u16(static_cast<uint16_t>((presented_type(node.type) << 12) | mode));
  out.u32(uid).u32(gid).u32(node.atime).u32(node.mtime).u32(node.ctime).u32(node.nlink());
  switch (node.type) {
    case NodeType::kFile:
    case NodeType::kTrash:
    case NodeType::kSustained:
      out.u64(node.length);
      break;
    case NodeType::kDirectory:
      out.u64(encode_directory_size(node.directory->total_length));
      break;
    case NodeType::kSymlink:
      out.u64(node.extras().symlink_target.size());
      break;
    case NodeType::kBlockDevice:
    case NodeType::kCharDevice:
      out.u32(node.extras().rdev).u32(0);
      break;
    default:
      out.u64(0);
      break;
  }
  if (presentation.with_winattr) out.u8(node.winattr);
}

}  // namespace mfs::master
