// Every decoder of what a master sends the mount (master_messages.h, meta_messages.h), run
// on one input that the master chose freely: the shared body of the libFuzzer target
// master_reply_fuzz and of a deterministic unit test. A decoder must answer an error or a
// value within the bounds its input allows; the sanitizers catch a read outside the input,
// and a value beyond those bounds aborts.
#pragma once
#include <cstdlib>

#include "mfsmount/master_messages.h"
#include "mfsmount/meta_messages.h"

namespace mfs::mount {

inline void require(bool holds) {
  if (!holds) std::abort();
}

inline void decode_as_every_master_reply(Body body) {
  (void)decode_new_session(body);
  (void)decode_new_meta_session(body);
  if (Result<std::vector<uint8_t>> random = decode_random(body)) require(random->size() <= body.size());
  (void)decode_reconnect(body);
  (void)decode_posix_lock_reply(body);
  (void)decode_attr_reply(body);
  (void)decode_truncate_reply(body);
  (void)decode_lookup_reply(body);
  (void)decode_entry_reply(body);
  (void)decode_open_reply(body);
  (void)decode_create_reply(body);
  (void)decode_statfs_reply(body);
  (void)decode_simple_status(body);
  (void)decode_unlink_reply(body);
  if (Result<std::string> target = decode_readlink_reply(body)) require(target->size() + 5 == body.size());
  if (Result<std::vector<DirEntry>> entries = decode_readdir_reply(body)) {
    for (const DirEntry& entry : *entries) require(usable_entry_name(entry.name) && entry.name.size() <= 255);
  }
  if (Result<ChunkLocation> location = decode_chunk_location(body)) {
    require(location->copies.size() * 14 + 21 == body.size());  // 14 bytes per copy
  }
  if (Result<XattrReply> xattr = decode_getxattr_reply(body, false)) {
    require(xattr->value.size() == xattr->length && xattr->length + 4 == body.size());
  }
  if (Result<XattrReply> length = decode_getxattr_reply(body, true)) require(length->value.empty());
  if (Result<std::vector<DetachedEntry>> detached = decode_detached_list(body)) {
    for (const DetachedEntry& entry : *detached) require(usable_entry_name(entry.name) && entry.name.size() <= 255);
  }
  if (Result<std::string> path = decode_trash_path(body)) require(path->size() < body.size());
}

}  // namespace mfs::mount
