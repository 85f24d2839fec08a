#include "mfsmaster/storage_class_table.h"

#include <algorithm>

namespace mfs::master {

bool StorageClass::counts_valid() const {
  auto valid = [](const LabelSet& set) { return !set.empty() && set.size() <= kMaxClassCopies; };
  return valid(create) && valid(keep) && valid(archive);
}

StorageClass predefined_class(uint8_t id) {
  StorageClass goal;
  goal.name = std::to_string(id);
  goal.create.assign(id, CopyLabels{});
  goal.keep = goal.create;
  goal.archive = goal.create;
  return goal;
}

bool valid_class_name(std::string_view name) {
  return !name.empty() && name.size() <= 255 && name.find('\0') == std::string_view::npos;
}

void StorageClassTable::reset() {
  for (size_t id = 0; id < kSlots; ++id) {
    if (classes_[id]) changed_.set(id);
    classes_[id].reset();
    goals_[id] = 0;
  }
  for (uint8_t id = 1; id < kFirstUserClassId; ++id) set(id, predefined_class(id));
}

const StorageClass* StorageClassTable::find(uint32_t id) const {
  return id < kSlots && classes_[id] ? &*classes_[id] : nullptr;
}

std::optional<uint8_t> StorageClassTable::id_named(std::string_view name) const {
  for (size_t id = 1; id < kSlots; ++id) {
    if (classes_[id] && classes_[id]->name == name) return static_cast<uint8_t>(id);
  }
  return std::nullopt;
}

std::optional<uint8_t> StorageClassTable::free_id() const {
  for (size_t id = kFirstUserClassId; id < kSlots; ++id) {
    if (!classes_[id]) return static_cast<uint8_t>(id);
  }
  return std::nullopt;
}

uint8_t StorageClassTable::goal(uint32_t id) const { return id < kSlots ? goals_[id] : 0; }

std::bitset<StorageClassTable::kSlots> StorageClassTable::admin_only_classes() const {
  std::bitset<kSlots> admin_only;
  for (size_t id = 1; id < kSlots; ++id) admin_only[id] = classes_[id] && classes_[id]->admin_only;
  return admin_only;
}

void StorageClassTable::set(uint8_t id, StorageClass storage_class) {
  goals_[id] = storage_class.keep_max_goal();
  classes_[id] = std::move(storage_class);
  changed_.set(id);
}

void StorageClassTable::erase(uint8_t id) {
  classes_[id].reset();
  goals_[id] = 0;
  changed_.set(id);
}

std::vector<uint8_t> StorageClassTable::take_changed() {
  std::vector<uint8_t> ids;
  for (size_t id = 0; id < kSlots; ++id) {
    if (changed_[id]) ids.push_back(static_cast<uint8_t>(id));
  }
  changed_.reset();
  return ids;
}

void put_class_definition(PacketWriter& out, const StorageClass& storage_class) {
  out.u8(storage_class.admin_only).u8(storage_class.mode).u16(storage_class.arch_delay);
  for (const LabelSet* set : {&storage_class.create, &storage_class.keep, &storage_class.archive}) {
    out.u8(static_cast<uint8_t>(set->size()));
  }
  for (const LabelSet* set : {&storage_class.create, &storage_class.keep, &storage_class.archive}) {
    for (const CopyLabels& copy : *set) {
      for (uint32_t mask : copy) out.u32(mask);
    }
  }
}

std::optional<StorageClass> read_class_definition(PacketReader& in) {
  StorageClass defined;
  defined.admin_only = in.u8();
  defined.mode = in.u8();
  defined.arch_delay = in.u16();
  size_t counts[3] = {in.u8(), in.u8(), in.u8()};
  if (!in.ok() || (counts[0] + counts[1] + counts[2]) * kLabelAlternatives * 4 != in.remaining()) return std::nullopt;
  LabelSet* sets[3] = {&defined.create, &defined.keep, &defined.archive};
  for (size_t set = 0; set < 3; ++set) {
    sets[set]->resize(counts[set]);
    for (CopyLabels& copy : *sets[set]) {
      for (uint32_t& mask : copy) mask = in.u32();
    }
  }
  if (!in.finished()) return std::nullopt;
  return defined;
}

ChangelogEntry class_set_entry(const StorageClass& storage_class, bool is_new, uint8_t id, uint32_t now) {
  ChangelogEntry entry = ChangelogEntry::make("SCSET", now).arg(storage_class.name).arg(is_new ? 1 : 0);
  entry.arg("W" + std::to_string(storage_class.create.size()))
      .arg("K" + std::to_string(storage_class.keep.size()))
      .arg("A" + std::to_string(storage_class.archive.size()));
  entry.arg(storage_class.mode).arg(storage_class.arch_delay).arg(storage_class.admin_only);
  for (const LabelSet* set : {&storage_class.create, &storage_class.keep, &storage_class.archive}) {
    for (const CopyLabels& copy : *set) {
      for (uint32_t mask : copy) entry.arg(mask);
    }
  }
  return std::move(entry.result(id));
}

}  // namespace mfs::master
