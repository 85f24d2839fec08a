// What a new node takes from the directory it is created in (spec 00 §9): storage
// class, trash time and the extra attributes that are inherited.
#pragma once
#include "mfsmaster/fs_node.h"

namespace mfs::master {

inline void inherit_from_parent(Node& node, const Node& parent) {
  constexpr uint8_t kNotInherited = eattr::kSnapshot | eattr::kUndeletable | eattr::kAppendOnly | eattr::kImmutable;
  bool file_or_directory = node.type == NodeType::kFile || node.type == NodeType::kDirectory;
  node.sclass = file_or_directory ? parent.sclass : 0;
  node.trash_hours = parent.trash_hours;
  uint8_t dropped = kNotInherited | (node.is_directory() ? 0 : eattr::kNoEntryCache);
  node.eattr = parent.eattr & ~dropped;
}

}  // namespace mfs::master
