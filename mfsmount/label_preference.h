// mfspreflabels=LABELEXPR: which chunkservers a read prefers, by their labels (A..Z).
// `mfsmount -h` of 3.0.117 gives the grammar:
//   LABELEXPR -> S ';' LABELEXPR | S      up to nine expressions, in priority order
//   S -> S '+' M | M                      '+': either
//   M -> M L | L                          side by side: both
//   L -> 'a'..'z' | 'A'..'Z' | '(' S ')' | '[' S ']'
// and that client also takes '|' and '||' for '+', '&', '&&' and '*' between two labels
// for "both", '*' alone for any chunkserver, and a copy count (1-9) before an expression,
// which changes nothing for reads; a lone count is any chunkserver (docs/protocol-notes.md). Letters are
// labels whatever their case; blanks are ignored. Copies that match no expression come
// after all others; among copies of one priority the master's order is kept.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmount/master_messages.h"

namespace mfs::mount {

class LabelPreference {
 public:
  static constexpr size_t kMaxExpressions = 9;

  LabelPreference() = default;  // no preference
  static Result<LabelPreference> parse(std::string_view text);

  // The index of the first expression that a chunkserver with label mask `labels` (bit i:
  // label 'A'+i) matches; the number of expressions when it matches none.
  size_t priority(uint32_t labels) const;
  // Copies that match an earlier expression first; otherwise the master's order is kept.
  void order(std::vector<ChunkCopy>& copies) const;
  bool empty() const { return expressions_.empty(); }

 private:
  struct Node {
    enum class Kind { kLabel, kAll, kAny, kEverything } kind = Kind::kLabel;
    uint32_t label_bit = 0;
    std::vector<Node> parts;
    bool matches(uint32_t labels) const;
  };
  class Parser;

  std::vector<Node> expressions_;
};

}  // namespace mfs::mount
