// Storage class administration (spec 11 §4.4, §5.16): CLTOMA_SCLASS_CREATE / CHANGE /
// DELETE / DUPLICATE / RENAME / LIST of mfsscadmin and mfslistsclass, and mfscli's
// CLTOMA_SCLASS_INFO (spec 40 B.3.17). Changes become SCSET / SCDEL / SCDUP / SCREN
// entries, applied by Metadata.
#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/label_expression.h"

namespace mfs::master {
namespace {

constexpr uint8_t kDefinitionFormat = 0;  // fver
constexpr uint16_t kChangeForce = 0x8000;
// CHANGE's chgmask bits.
constexpr uint16_t kChangeAdminOnly = 0x0001, kChangeMode = 0x0002, kChangeCreate = 0x0004, kChangeKeep = 0x0008,
                   kChangeArchive = 0x0010, kChangeArchDelay = 0x0020;
// 3.0.117 refuses unforced changes of the predefined classes 1..8, but not 9 (spec 11 §4.4).
constexpr uint8_t kLastProtectedClass = 8;

bool valid_fields(const StorageClass& defined) {
  return defined.admin_only <= 1 && defined.mode <= class_mode::kStrict;
}

// SCLASS_INFO's "can be fulfilled": 3 with servers that have space and are not busy, 2 only
// counting servers in heavy-load grace too, 1 only counting full and overloaded (hlstatus)
// servers too - 3.0.117 counts those alike (docs/protocol-notes.md) -, 0 not at all.
uint8_t fulfilment(const LabelSet& copies, const std::vector<uint32_t>& ready, const std::vector<uint32_t>& in_grace,
                   const std::vector<uint32_t>& all) {
  if (placeable_copies(copies, ready) == copies.size()) return 3;
  if (placeable_copies(copies, in_grace) == copies.size()) return 2;
  return placeable_copies(copies, all) == copies.size() ? 1 : 0;
}

// Files (trash and sustained included) and directories per class id.
struct ClassUse {
  std::array<uint32_t, StorageClassTable::kSlots> files{};
  std::array<uint32_t, StorageClassTable::kSlots> directories{};
};

ClassUse class_use(const FsTree& fs) {
  ClassUse use;
  for (const Node* node : fs.all_nodes()) {
    if (node->is_file_like()) ++use.files[node->sclass];
    if (node->is_directory()) ++use.directories[node->sclass];
  }
  return use;
}

// A class is in use while a file, directory, trash or sustained file has it.
bool class_in_use(const FsTree& fs, uint8_t id) {
  ClassUse use = class_use(fs);
  return use.files[id] + use.directories[id] > 0;
}

// Chunks per class id in keep / archive state that are under, at and over their goal.
struct ChunkStates {
  std::array<uint64_t, 6> counts{};  // std_under arch_under std_exact arch_exact std_over arch_over
};

}  // namespace

bool ClientProtocol::handle_sclass_info(const Packet& packet) {
  if (!packet.payload.empty()) return fail("bad SCLASS_INFO size");
  const Metadata& metadata = services_.metadata;
  const StorageClassTable& classes = metadata.storage_classes();
  ClassUse use = class_use(metadata.fs());
  std::array<ChunkStates, StorageClassTable::kSlots> states{};
  for (const auto& [chunk_id, chunk] : metadata.chunks().all()) {
    const StorageClass* defined = classes.find(chunk->sclass);
    if (!defined || chunk->file_references == 0) continue;
    size_t goal = chunk->archived ? defined->archive.size() : defined->keep.size();
    auto report = services_.chunks.copy_report(chunk_id);
    size_t regular = std::count_if(report.begin(), report.end(), [](const auto& copy) { return copy.type == 0; });
    size_t column = (regular < goal ? 0 : regular == goal ? 2 : 4) + (chunk->archived ? 1 : 0);
    ++states[chunk->sclass].counts[column];
  }
  std::vector<uint32_t> all_labels, labels_in_grace, labels_ready;
  uint32_t now = services_.chunks.now();
  for (const auto& [csid, server] : services_.chunks.servers().all()) {
    all_labels.push_back(server->labels);
    if (server->can_take_chunks() && !server->overloaded()) labels_in_grace.push_back(server->labels);
    if (server->can_take_chunks() && !server->busy(now)) labels_ready.push_back(server->labels);
  }
  PacketWriter reply(msg::MATOCL_SCLASS_INFO);
  reply.u16(static_cast<uint16_t>(services_.chunks.servers().connected_count()));
  for (uint32_t id = 1; id < StorageClassTable::kSlots; ++id) {
    const StorageClass* defined = classes.find(id);
    if (!defined) continue;
    reply.u8(static_cast<uint8_t>(id)).name8(defined->name).u32(use.files[id]).u32(use.directories[id]);
    for (uint64_t count : states[id].counts) reply.u64(count);
    reply.u8(defined->admin_only).u8(defined->mode).u16(defined->arch_delay);
    for (const LabelSet* set : {&defined->create, &defined->keep, &defined->archive}) {
      reply.u8(fulfilment(*set, labels_ready, labels_in_grace, all_labels)).u8(static_cast<uint8_t>(set->size()));
    }
    for (const LabelSet* set : {&defined->create, &defined->keep, &defined->archive}) {
      for (const CopyLabels& copy : *set) {
        for (uint32_t mask : copy) reply.u32(mask);
        auto matching = std::count_if(all_labels.begin(), all_labels.end(),
                                      [&copy](uint32_t labels) { return server_matches(labels, copy); });
        reply.u16(static_cast<uint16_t>(matching));
      }
    }
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::is_admin_session() const {
  const Session* current = session();
  return current && (current->parameters.sesflags & sesflag::kAdmin);
}

bool ClientProtocol::handle_sclass_create(uint32_t msgid, PacketReader& in) {
  // The admin test comes before the request is parsed, as in 3.0.117.
  if (!is_admin_session()) {
    reply_status(msg::MATOCL_SCLASS_CREATE, msgid, StatusCode::kEPERM_NotAdmin);
    return true;
  }
  std::string name(in.name8());
  uint8_t format = in.u8();
  std::optional<StorageClass> wire = read_class_definition(in);
  if (!wire) return fail("bad SCLASS_CREATE size");
  const Metadata& metadata = services_.metadata;
  const StorageClassTable& classes = metadata.storage_classes();
  Status status = Status::ok();
  std::optional<uint8_t> id = classes.free_id();
  if (format != kDefinitionFormat || !valid_class_name(name)) {
    status = StatusCode::kEINVAL;
  } else if (classes.id_named(name)) {
    status = StatusCode::kClassExists;
  } else if (!id) {
    status = StatusCode::kClassLimitReach;
  } else if (!wire->counts_valid() || !valid_fields(*wire)) {
    status = StatusCode::kEINVAL;
  }
  if (!status) {
    reply_status(msg::MATOCL_SCLASS_CREATE, msgid, status);
    return true;
  }
  wire->name = std::move(name);
  commit_then_reply(msg::MATOCL_SCLASS_CREATE, msgid, {class_set_entry(*wire, true, *id, services_.now())},
                    [](PacketWriter& reply) { reply.u8(0); });
  return true;
}

bool ClientProtocol::handle_sclass_change(uint32_t msgid, PacketReader& in) {
  std::string name(in.name8());
  uint8_t format = in.u8();
  uint16_t chgmask = in.u16();
  if (!in.ok()) return fail("bad SCLASS_CHANGE size");
  if (format != kDefinitionFormat) {
    reply_status(msg::MATOCL_SCLASS_CHANGE, msgid, StatusCode::kEINVAL);
    return true;
  }
  if (chgmask != 0 && !is_admin_session()) {
    reply_status(msg::MATOCL_SCLASS_CHANGE, msgid, StatusCode::kEPERM_NotAdmin);
    return true;
  }
  std::optional<StorageClass> wire = read_class_definition(in);
  if (!wire) return fail("bad SCLASS_CHANGE size");
  const StorageClassTable& classes = std::as_const(services_.metadata).storage_classes();
  std::optional<uint8_t> id = classes.id_named(name);
  Status status = Status::ok();
  if (!id) {
    status = StatusCode::kNoSuchClass;
  } else if (chgmask != 0 && !(chgmask & kChangeForce) && *id <= kLastProtectedClass) {
    status = StatusCode::kEPERM;
  }
  StorageClass changed = id ? *classes.find(*id) : StorageClass();
  const StorageClass& requested = *wire;
  if (chgmask & kChangeAdminOnly) changed.admin_only = requested.admin_only;
  if (chgmask & kChangeMode) changed.mode = requested.mode;
  if (chgmask & kChangeCreate) changed.create = requested.create;
  if (chgmask & kChangeKeep) changed.keep = requested.keep;
  if (chgmask & kChangeArchive) changed.archive = requested.archive;
  if (chgmask & kChangeArchDelay) changed.arch_delay = requested.arch_delay;
  if (status && (!changed.counts_valid() || !valid_fields(changed))) status = StatusCode::kEINVAL;
  if (!status) {
    reply_status(msg::MATOCL_SCLASS_CHANGE, msgid, status);
    return true;
  }
  auto build_reply = [&metadata = std::as_const(services_.metadata), class_id = *id](PacketWriter& reply) {
    reply.u8(kDefinitionFormat);
    put_class_definition(reply, *metadata.storage_classes().find(class_id));
  };
  if (chgmask == 0) {  // just showing
    PacketWriter reply(msg::MATOCL_SCLASS_CHANGE);
    reply.u32(msgid);
    build_reply(reply);
    send(reply.take());
    return true;
  }
  commit_then_reply(msg::MATOCL_SCLASS_CHANGE, msgid, {class_set_entry(changed, false, *id, services_.now())},
                    build_reply);
  return true;
}

bool ClientProtocol::handle_sclass_delete(uint32_t msgid, PacketReader& in) {
  std::string name(in.name8());
  if (!in.finished()) return fail("bad SCLASS_DELETE size");
  const Metadata& metadata = services_.metadata;
  std::optional<uint8_t> id = metadata.storage_classes().id_named(name);
  Status status = Status::ok();
  if (!is_admin_session()) {
    status = StatusCode::kEPERM_NotAdmin;
  } else if (!id) {
    status = StatusCode::kNoSuchClass;
  } else if (*id < kFirstUserClassId) {
    status = StatusCode::kEPERM;
  } else if (class_in_use(metadata.fs(), *id)) {
    status = StatusCode::kClassInUse;
  }
  if (!status) {
    reply_status(msg::MATOCL_SCLASS_DELETE, msgid, status);
    return true;
  }
  commit_then_reply(msg::MATOCL_SCLASS_DELETE, msgid,
                    {ChangelogEntry::make("SCDEL", services_.now()).arg(name).result(*id)},
                    [](PacketWriter& reply) { reply.u8(0); });
  return true;
}

// DUPLICATE and RENAME share the request `src:NAME dst:NAME`.
bool ClientProtocol::handle_sclass_copy_or_rename(uint32_t request_type, uint32_t msgid, PacketReader& in) {
  std::string source(in.name8());
  std::string name(in.name8());
  if (!in.finished()) return fail("bad size of request " + std::to_string(request_type));
  bool rename = request_type == msg::CLTOMA_SCLASS_RENAME;
  const StorageClassTable& classes = std::as_const(services_.metadata).storage_classes();
  std::optional<uint8_t> source_id = classes.id_named(source);
  std::optional<uint8_t> id = rename ? source_id : classes.free_id();
  Status status = Status::ok();
  if (!is_admin_session()) {
    status = StatusCode::kEPERM_NotAdmin;
  } else if (!source_id) {
    status = StatusCode::kNoSuchClass;
  } else if (rename && *source_id < kFirstUserClassId) {
    status = StatusCode::kEPERM;
  } else if (!valid_class_name(name)) {
    status = StatusCode::kEINVAL;
  } else if (classes.id_named(name)) {
    status = StatusCode::kClassExists;
  } else if (!id) {
    status = StatusCode::kClassLimitReach;
  }
  if (!status) {
    reply_status(request_type + 1, msgid, status);
    return true;
  }
  ChangelogEntry entry = ChangelogEntry::make(rename ? "SCREN" : "SCDUP", services_.now()).arg(source).arg(name);
  if (!rename) entry.result(*source_id);
  entry.result(*id);
  commit_then_reply(request_type + 1, msgid, {std::move(entry)}, [](PacketWriter& reply) { reply.u8(0); });
  return true;
}

bool ClientProtocol::handle_sclass_list(uint32_t msgid, PacketReader& in) {
  uint8_t longmode = in.u8();
  if (!in.finished()) return fail("bad SCLASS_LIST size");
  const StorageClassTable& classes = std::as_const(services_.metadata).storage_classes();
  PacketWriter reply(msg::MATOCL_SCLASS_LIST);
  reply.u32(msgid);
  for (uint32_t id = 1; id < StorageClassTable::kSlots; ++id) {
    const StorageClass* defined = classes.find(id);
    if (!defined) continue;
    reply.name8(defined->name);
    if (longmode & 1) put_class_definition(reply, *defined);
  }
  send(reply.take());
  return true;
}

}  // namespace mfs::master
