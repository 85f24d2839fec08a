// The directory entries pointing at one node. Nearly every node has exactly one, so that
// one is kept inline and only hard links allocate: a vector per node cost a heap block for
// every file (see the memory figures in bench/README.md).
#pragma once
#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace mfs::master {

struct Edge;

class ParentEdges {
 public:
  using const_iterator = Edge* const*;

  size_t size() const { return several_ ? several_->size() : (single_ ? 1 : 0); }
  bool empty() const { return size() == 0; }
  Edge* front() const { return *begin(); }
  const_iterator begin() const { return several_ ? several_->data() : &single_; }
  const_iterator end() const { return begin() + size(); }

  void push_back(Edge* edge) {
    if (!several_ && !single_) {
      single_ = edge;
      return;
    }
    if (!several_) {
      several_ = std::make_unique<std::vector<Edge*>>(1, single_);
      single_ = nullptr;
    }
    several_->push_back(edge);
  }
  // Removes `edge`, keeping the order of the others; absent edges are ignored.
  void remove(const Edge* edge) {
    if (!several_) {
      if (single_ == edge) single_ = nullptr;
      return;
    }
    several_->erase(std::remove(several_->begin(), several_->end(), edge), several_->end());
    if (several_->size() == 1) {
      single_ = several_->front();
      several_.reset();
    }
  }
  void clear() {
    single_ = nullptr;
    several_.reset();
  }

 private:
  Edge* single_ = nullptr;                       // the only edge, when there is at most one
  std::unique_ptr<std::vector<Edge*>> several_;  // all edges, when there are two or more
};

}  // namespace mfs::master
