// The directory entries pointing at one node. Nearly every node has exactly one, so that
// one is kept inline and only hard links allocate: a vector per node cost a heap block for
// every file (see the memory figures in bench/README.md), and the inline slot doubles as
// the (tagged) pointer to the list, so a node pays one word.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace mfs::master {

struct Edge;

class ParentEdges {
 public:
  using const_iterator = Edge* const*;

  ParentEdges() = default;
  ParentEdges(ParentEdges&& other) noexcept : edge_(std::exchange(other.edge_, nullptr)) {}
  ParentEdges& operator=(ParentEdges&& other) noexcept {
    if (this != &other) {
      clear();
      edge_ = std::exchange(other.edge_, nullptr);
    }
    return *this;
  }
  ~ParentEdges() { clear(); }

  size_t size() const { return several() ? several()->size() : (edge_ ? 1 : 0); }
  bool empty() const { return edge_ == nullptr; }
  Edge* front() const { return *begin(); }
  const_iterator begin() const { return several() ? several()->data() : &edge_; }
  const_iterator end() const { return begin() + size(); }

  void push_back(Edge* edge) {
    if (!edge_) {
      edge_ = edge;
      return;
    }
    if (!several()) {
      auto* all = new std::vector<Edge*>{edge_};
      edge_ = reinterpret_cast<Edge*>(reinterpret_cast<uintptr_t>(all) | kSeveralTag);
    }
    several()->push_back(edge);
  }
  // Removes `edge`, keeping the order of the others; absent edges are ignored.
  void remove(const Edge* edge) {
    std::vector<Edge*>* all = several();
    if (!all) {
      if (edge_ == edge) edge_ = nullptr;
      return;
    }
    all->erase(std::remove(all->begin(), all->end(), edge), all->end());
    if (all->size() == 1) {
      Edge* last = all->front();
      delete all;
      edge_ = last;
    }
  }
  void clear() {
    delete several();
    edge_ = nullptr;
  }

 private:
  // Edges are 8-aligned: the low bit of a real edge pointer is always clear.
  static constexpr uintptr_t kSeveralTag = 1;
  static_assert(alignof(std::vector<Edge*>) > kSeveralTag);

  std::vector<Edge*>* several() const {
    auto bits = reinterpret_cast<uintptr_t>(edge_);
    return bits & kSeveralTag ? reinterpret_cast<std::vector<Edge*>*>(bits & ~kSeveralTag) : nullptr;
  }

  // The only edge when there is at most one; with two or more, a pointer to the vector
  // of all of them, tagged with kSeveralTag (one word per node instead of two).
  Edge* edge_ = nullptr;
};

}  // namespace mfs::master
