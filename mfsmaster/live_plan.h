// What a live request planned for the changelog entry it is about to commit, handed to
// apply() of that entry so that a big change (a recursive setting, a snapshot) is not
// planned twice. A plan depends only on the state, so it holds at the version it was
// made at only; apply() of any other entry, or a replay, plans for itself.
#pragma once
#include <cstdint>
#include <optional>
#include <utility>

namespace mfs::master {

template <typename Plan>
class LivePlan {
 public:
  void remember(uint64_t version, Plan plan) { remembered_.emplace(version, std::move(plan)); }

  // The plan, if it was made at `version` and `matches(plan)`; forgotten either way.
  template <typename Matches>
  std::optional<Plan> take(uint64_t version, Matches&& matches) {
    std::optional<std::pair<uint64_t, Plan>> remembered = std::exchange(remembered_, std::nullopt);
    if (!remembered || remembered->first != version || !matches(remembered->second)) return std::nullopt;
    return std::move(remembered->second);
  }

 private:
  std::optional<std::pair<uint64_t, Plan>> remembered_;
};

}  // namespace mfs::master
