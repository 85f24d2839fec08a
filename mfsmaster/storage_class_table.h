// The storage classes (spec 11 §4, spec 30 §3.5): ids 1..255, the predefined goal classes
// "1".."9" and user classes from id 10. A class says how many copies a chunk gets and on
// which chunkservers (label masks per copy) when created, kept and archived.
//
// Changed only through apply() of SCSET / SCDEL / SCDUP / SCREN (metadata_apply_sclass.cpp);
// the requests that produce those entries are in client_requests_sclass.cpp.
#pragma once
#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/packet.h"
#include "mfsmaster/changelog_entry.h"

namespace mfs::master {

// Per copy, up to 4 alternatives, each an AND-mask of labels (bit 0 = 'A' ... bit 25 = 'Z').
// A first word 0 means "any server"; alternatives end at the first 0 word.
inline constexpr size_t kLabelAlternatives = 4;
using CopyLabels = std::array<uint32_t, kLabelAlternatives>;
using LabelSet = std::vector<CopyLabels>;  // one per copy, 1..9 copies

inline constexpr size_t kMaxClassCopies = 9;
inline constexpr uint8_t kFirstUserClassId = 10;

namespace class_mode {
inline constexpr uint8_t kLoose = 0, kStd = 1, kStrict = 2;
}

struct StorageClass {
  std::string name;
  uint8_t admin_only = 0;
  uint8_t mode = class_mode::kStd;
  uint16_t arch_delay = 0;  // days; 0 = never archived
  LabelSet create;
  LabelSet keep;
  LabelSet archive;

  // The goal used for space accounting (realsize, quotas) and for the copy count.
  uint8_t keep_max_goal() const { return static_cast<uint8_t>(std::max(keep.size(), archive.size())); }
  // Every label set has 1..9 copies.
  bool counts_valid() const;
  bool operator==(const StorageClass&) const = default;
};

// Goal class N: named "N", N copies on any servers, standard mode.
StorageClass predefined_class(uint8_t id);

// Names: 1..255 bytes without byte 0.
bool valid_class_name(std::string_view name);

class StorageClassTable {
 public:
  static constexpr size_t kSlots = 256;

  StorageClassTable() { reset(); }
  // Only the predefined classes 1..9.
  void reset();

  const StorageClass* find(uint32_t id) const;
  std::optional<uint8_t> id_named(std::string_view name) const;
  // The lowest free id from 10, if any.
  std::optional<uint8_t> free_id() const;
  // The keep-max goal of class `id`, 0 for an undefined class.
  uint8_t goal(uint32_t id) const;
  // Keep-max goals of every id (0 = undefined), as the realsize accounting needs them.
  const std::array<uint8_t, kSlots>& goals() const { return goals_; }
  std::bitset<kSlots> admin_only_classes() const;

  void set(uint8_t id, StorageClass storage_class);
  void erase(uint8_t id);

  // Ids changed since the last call (for the checkpoint).
  std::vector<uint8_t> take_changed();

 private:
  std::array<std::optional<StorageClass>, kSlots> classes_;
  std::array<uint8_t, kSlots> goals_{};
  std::bitset<kSlots> changed_;
};

// `admin_only:u8 mode:u8 arch_delay:u16 ccnt:u8 kcnt:u8 acnt:u8 masks…` (c, k, a × 4 u32), as
// the CREATE/CHANGE/LIST packets (spec 11 §5.16) and the checkpoint carry a class (no name).
void put_class_definition(PacketWriter& out, const StorageClass& storage_class);
// Reads the same, which must end exactly at the end of `in`; nullopt if it does not. The
// counts are not checked against 1..9 here (requests answer EINVAL for them).
std::optional<StorageClass> read_class_definition(PacketReader& in);

// The changelog entry defining class `id` (new = 1 for create, 0 for change):
// SCSET(name,new,Wc,Kk,Aa,mode,arch_delay,admin_only,masks…):id (spec 30 §4.3).
ChangelogEntry class_set_entry(const StorageClass& storage_class, bool is_new, uint8_t id, uint32_t now);

}  // namespace mfs::master
