#include "mfsmaster/fs_tree.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <unordered_map>

#include "mfsmaster/subtree_statistics.h"
#include "mfsmaster/subtree_walk.h"

namespace mfs::master {
namespace {

// The entries of `list` whose inode % `buckets` is `bucket`, in inode order. Jumps from one
// member of the bucket (bucket + k * buckets) to the next instead of scanning the whole list.
std::vector<const Edge*> bucket_entries(const std::map<uint32_t, std::unique_ptr<Edge>>& list, uint32_t bucket,
                                        uint32_t buckets) {
  std::vector<const Edge*> entries;
  for (auto it = list.lower_bound(bucket); it != list.end();) {
    uint32_t inode = it->first;
    if (inode % buckets == bucket) {
      entries.push_back(it->second.get());
      ++it;
      continue;
    }
    uint64_t next = uint64_t{inode} - inode % buckets + bucket;
    if (next < inode) next += buckets;
    if (next > std::numeric_limits<uint32_t>::max()) break;
    it = list.lower_bound(static_cast<uint32_t>(next));
  }
  return entries;
}

// Removes edge's child from the directory's child_nodes: the last one takes its place, and
// that one's edge (among its links, the one in this directory at the last slot) learns it.
void forget_child_node(DirectoryData& directory, const Edge& edge) {
  std::vector<Node*>& nodes = directory.child_nodes;
  auto last = static_cast<uint32_t>(nodes.size() - 1);
  if (edge.slot != last) {
    Node* moved = nodes[last];
    for (Edge* link : moved->parents) {
      if (link->parent == edge.parent && link->slot == last) {
        link->slot = edge.slot;
        break;
      }
    }
    nodes[edge.slot] = moved;
  }
  nodes.pop_back();
}

}  // namespace

FsTree::FsTree(ChunkReleaser release_chunk) : release_chunk_(std::move(release_chunk)) {}

void FsTree::init_empty(uint32_t now) {
  nodes_.clear();
  trash_.clear();
  sustained_.clear();
  recently_freed_.clear();
  freed_times_.clear();
  reusable_inodes_.clear();
  changed_nodes_.clear();
  usage_changed_nodes_.clear();
  Node root;
  root.inode = kRootInode;
  root.type = NodeType::kDirectory;
  root.mode = 0777;
  root.sclass = 2;
  root.trash_hours = 24;
  root.atime = root.mtime = root.ctime = now;
  root.directory = std::make_unique<DirectoryData>();
  root.accounted = usage_of(root);
  nodes_.insert(std::move(root));
  max_inode_ = kRootInode;
  next_edge_id_ = kFirstEdgeId;
}

Node* FsTree::node_or_null(uint32_t inode) const {
  auto it = nodes_.find(inode);
  // The nodes are not const objects; const only guards their keys (see nodes_).
  return it == nodes_.end() ? nullptr : const_cast<Node*>(&*it);
}

Node* FsTree::find(uint32_t inode) {
  Node* node = node_or_null(inode);
  if (node) mark_changed(inode);
  return node;
}

std::vector<uint32_t> FsTree::take_changed_nodes() {
  return changed_nodes_.take();
}

Edge* FsTree::lookup(const Node& directory, std::string_view name) const {
  if (!directory.directory) return nullptr;
  auto it = directory.directory->children.find(name);
  // Set elements are const to protect their hash; callers never change an edge's name.
  return it == directory.directory->children.end() ? nullptr : const_cast<Edge*>(&*it);
}

const std::vector<const Edge*>& FsTree::in_creation_order(const Node& directory) {
  DirectoryData& data = *directory.directory;
  if (data.creation_order.size() != data.children.size()) {
    data.creation_order.clear();
    data.creation_order.reserve(data.children.size());
    for (const Edge& edge : data.children) data.creation_order.push_back(&edge);
    std::sort(data.creation_order.begin(), data.creation_order.end(),
              [](const Edge* a, const Edge* b) { return a->edge_id > b->edge_id; });
  }
  return data.creation_order;
}

std::vector<const Node*> FsTree::all_nodes() const {
  std::vector<const Node*> all;
  all.reserve(nodes_.size());
  for (const Node& node : nodes_) all.push_back(&node);
  return all;
}

uint32_t FsTree::next_inode() const { return reusable_inodes_.lowest().value_or(max_inode_ + 1); }

uint32_t FsTree::upcoming_inodes_xor(uint32_t count) const {
  uint32_t result = 0;
  uint32_t reused = reusable_inodes_.for_each_lowest(count, [&](uint32_t inode) { result ^= inode; });
  for (uint32_t i = 1; i <= count - reused; ++i) result ^= max_inode_ + i;
  return result;
}

Node* FsTree::create(Node& parent, std::string_view name, NodeType type, uint32_t inode, uint32_t now) {
  Node created;
  created.inode = inode;
  created.type = type;
  created.atime = created.mtime = created.ctime = now;
  if (type == NodeType::kDirectory) created.directory = std::make_unique<DirectoryData>();
  // Not accounted yet: refresh_usage adds new nodes up per directory, one walk up the
  // ancestors for a whole snapshot's folder instead of one per node.
  auto [it, inserted] = nodes_.insert(std::move(created));
  assert(inserted);
  Node& node = const_cast<Node&>(*it);  // see node_or_null
  mark_changed(inode);
  reusable_inodes_.erase(inode);
  max_inode_ = std::max(max_inode_, inode);
  link(parent, name, node);
  return &node;
}

Edge* FsTree::link(Node& parent, std::string_view name, Node& child) {
  Edge edge{parent.inode, 0, &child, next_edge_id_--, std::string(name)};
  parent.eattr &= ~eattr::kSnapshot;
  mark_changed(parent.inode);
  return attach(parent, std::move(edge));
}

Edge* FsTree::attach(Node& parent, Edge edge) {
  assert(parent.directory);
  Node& child = *edge.child;
  mark_changed(child.inode);
  auto [it, inserted] = parent.directory->children.insert(std::move(edge));
  assert(inserted);
  Edge* raw = const_cast<Edge*>(&*it);  // see lookup
  raw->slot = static_cast<uint32_t>(parent.directory->child_nodes.size());
  parent.directory->child_nodes.push_back(&child);
  std::vector<const Edge*>& order = parent.directory->creation_order;
  if (!order.empty() && order.back()->edge_id > raw->edge_id) {
    order.push_back(raw);  // the newest entry: the order stays complete
  } else {
    std::vector<const Edge*>().swap(order);
  }
  child.parents.push_back(raw);
  if (child.is_directory()) ++parent.directory->subdirectories;
  add_to_directory_totals(parent, static_cast<int64_t>(subtree_length(child)));
  if (SubtreeUsage usage = subtree_usage(child); usage != SubtreeUsage{}) add_to_usage(parent.inode, usage, 1);
  return raw;
}

Node& FsTree::restore_node(Node&& node) {
  if (node.is_directory() && !node.directory) node.directory = std::make_unique<DirectoryData>();
  uint32_t inode = node.inode;
  max_inode_ = std::max(max_inode_, inode);
  if (Node* existing = node_or_null(inode)) return *existing = std::move(node);
  return const_cast<Node&>(*nodes_.insert(std::move(node)).first);  // see node_or_null
}

bool FsTree::restore_edge(uint32_t parent_inode, uint32_t child_inode, uint64_t edge_id, std::string name) {
  Node* child = node_or_null(child_inode);
  if (!child) return false;
  Edge edge{parent_inode, 0, child, edge_id, std::move(name)};
  if (parent_inode == 0) {
    auto* list = child->type == NodeType::kTrash       ? &trash_
                 : child->type == NodeType::kSustained ? &sustained_
                                                       : nullptr;
    if (!list || list->count(child_inode)) return false;
    auto listed = std::make_unique<Edge>(std::move(edge));
    child->parents.push_back(listed.get());
    (*list)[child_inode] = std::move(listed);
    return true;
  }
  Node* parent = node_or_null(parent_inode);
  if (!parent || !parent->is_directory() || lookup(*parent, edge.name)) return false;
  attach(*parent, std::move(edge));
  return true;
}

void FsTree::restore_counters(uint32_t max_inode, uint64_t next_edge_id) {
  max_inode_ = std::max(max_inode_, max_inode);
  next_edge_id_ = next_edge_id;
}

void FsTree::unlink_edge(Edge& edge) {
  Node& child = *edge.child;
  Node* parent = node_or_null(edge.parent);
  assert(parent && parent->directory);
  mark_changed(child.inode);
  mark_changed(parent->inode);
  parent->eattr &= ~eattr::kSnapshot;
  add_to_directory_totals(*parent, -static_cast<int64_t>(subtree_length(child)));
  add_to_usage(parent->inode, subtree_usage(child), -1);
  if (child.is_directory()) --parent->directory->subdirectories;
  child.parents.remove(&edge);
  std::vector<const Edge*>().swap(parent->directory->creation_order);
  forget_child_node(*parent->directory, edge);
  auto& children = parent->directory->children;
  children.erase(children.find(std::string_view(edge.name)));  // destroys edge
}

void FsTree::remove_entry(Edge& edge, uint32_t now) {
  Node& child = *edge.child;
  std::string path = child.parents.size() == 1 && child.type == NodeType::kFile ? path_of(child) : std::string();
  unlink_edge(edge);
  if (!child.parents.empty()) return;
  if (child.type == NodeType::kFile && child.trash_hours > 0) {
    child.type = NodeType::kTrash;
    auto trash_edge = std::make_unique<Edge>();
    trash_edge->child = &child;
    trash_edge->edge_id = next_edge_id_--;
    trash_edge->name = std::move(path);
    child.parents.push_back(trash_edge.get());
    trash_[child.inode] = std::move(trash_edge);
  } else if (child.type == NodeType::kFile && is_open(child.inode)) {
    child.type = NodeType::kSustained;
    auto sustained_edge = std::make_unique<Edge>();
    sustained_edge->child = &child;
    sustained_edge->edge_id = next_edge_id_--;
    sustained_edge->name = std::move(path);
    child.parents.push_back(sustained_edge.get());
    sustained_[child.inode] = std::move(sustained_edge);
  } else {
    free_node(child, now);
  }
}

void FsTree::purge(Node& node, uint32_t now) {
  mark_changed(node.inode);
  if (node.type == NodeType::kTrash) {
    auto it = trash_.find(node.inode);
    std::unique_ptr<Edge> edge = std::move(it->second);
    trash_.erase(it);
    node.parents.clear();
    if (is_open(node.inode)) {
      node.type = NodeType::kSustained;
      node.parents.push_back(edge.get());
      sustained_[node.inode] = std::move(edge);
      return;
    }
  } else if (node.type == NodeType::kSustained) {
    sustained_.erase(node.inode);
    node.parents.clear();
  }
  free_node(node, now);
}

std::vector<const Edge*> FsTree::trash_bucket(uint32_t bucket) const {
  return bucket_entries(trash_, bucket, kTrashBuckets);
}

std::vector<const Edge*> FsTree::sustained_bucket(uint32_t bucket) const {
  return bucket_entries(sustained_, bucket, kSustainedBuckets);
}

void FsTree::set_trash_path(Node& trash_file, std::string path) {
  mark_changed(trash_file.inode);
  trash_.at(trash_file.inode)->name = std::move(path);
}

void FsTree::undelete(Node& trash_file, Node& parent, std::string_view name) {
  mark_changed(trash_file.inode);
  trash_file.parents.clear();
  trash_.erase(trash_file.inode);  // destroys the trash entry
  trash_file.type = NodeType::kFile;  // before linking: directory totals count files only
  link(parent, name, trash_file);
}

void FsTree::acquire(uint32_t inode) {
  if (Node* node = node_or_null(inode)) ++node->open_count;
}

void FsTree::release(uint32_t inode) {
  Node* node = node_or_null(inode);
  if (node && node->open_count != 0) --node->open_count;
}

void FsTree::free_node(Node& node, uint32_t now) {
  if (release_chunk_) {
    for (const ChunkList::Slot& slot : node.chunks) release_chunk_(slot.id, node);
  }
  uint32_t inode = node.inode;
  mark_changed(inode);
  recently_freed_.emplace_back(inode, now);
  freed_times_[inode] = now;
  nodes_.erase(nodes_.find(inode));
}

void FsTree::set_length(Node& file, uint64_t length) {
  mark_changed(file.inode);
  int64_t delta = static_cast<int64_t>(length) - static_cast<int64_t>(file.length);
  if (delta != 0 && file.type == NodeType::kFile) {
    for (Edge* edge : file.parents) {
      if (Node* directory = node_or_null(edge->parent)) add_to_directory_totals(*directory, delta);
    }
  }
  file.length = length;
  // Only a shrink drops chunks: a write may fill a chunk past the length it publishes later.
  auto chunks_needed = static_cast<uint32_t>((length + kChunkSize - 1) / kChunkSize);
  if (delta >= 0 || file.chunks.size() <= chunks_needed) return;
  if (release_chunk_) {
    // Last chunk first, as the table is cut from its end.
    for (auto slot = file.chunks.end(); slot != file.chunks.begin() && (slot - 1)->index >= chunks_needed;) {
      --slot;
      release_chunk_(slot->id, file);
    }
  }
  file.chunks.resize(chunks_needed);
  if (file.chunks.allocated_bytes() > 2 * file.chunks.used_bytes() + 1024) file.chunks.shrink_to_fit();
}

uint32_t FsTree::subtree_node_count(const Node& node) {
  uint32_t count = 0;
  walk_subtree(node, true, [&](const Node&) { ++count; });
  return count;
}

uint64_t FsTree::subtree_length(const Node& node) {
  if (node.is_directory()) return node.directory->total_length;
  return node.type == NodeType::kFile ? node.length : 0;
}

void FsTree::add_to_directory_totals(Node& directory, int64_t delta) {
  if (delta == 0) return;
  for (Node* dir = &directory; dir != nullptr;) {
    dir->directory->total_length += delta;
    dir = dir->parents.empty() ? nullptr : node_or_null(dir->parents.front()->parent);
  }
}

SubtreeUsage FsTree::subtree_usage(const Node& node) {
  SubtreeUsage usage = node.accounted;
  if (node.is_directory()) usage.add(node.directory->usage, 1);
  return usage;
}

void FsTree::add_to_usage(uint32_t directory, const SubtreeUsage& usage, int sign) {
  for (Node* dir = node_or_null(directory); dir != nullptr && dir->is_directory();) {
    dir->directory->usage.add(usage, sign);
    dir = dir->parents.empty() ? nullptr : node_or_null(dir->parents.front()->parent);
  }
}

std::vector<uint32_t> FsTree::refresh_usage() {
  std::vector<uint32_t> freed;
  // Summed per directory first: a recursive change marks every node of a big tree, whose
  // files share a few directories, and each ancestor walk costs a lookup per level.
  std::unordered_map<uint32_t, SubtreeUsage> directory_deltas;
  for (uint32_t inode : usage_changed_nodes_.take()) {
    Node* node = node_or_null(inode);
    if (!node) {
      freed.push_back(inode);
      continue;
    }
    SubtreeUsage now = usage_of(*node);
    if (now == node->accounted) continue;
    SubtreeUsage delta = now;
    delta.add(node->accounted, -1);
    node->accounted = now;
    // Trash and sustained entries (parent 0) are in no directory.
    for (const Edge* edge : node->parents) {
      if (edge->parent != 0) directory_deltas[edge->parent].add(delta, 1);
    }
  }
  for (const auto& [directory, delta] : directory_deltas) add_to_usage(directory, delta, 1);
  return freed;
}

void FsTree::recompute_usage() {
  for (const Node& stored : nodes_) {
    Node& node = const_cast<Node&>(stored);  // see node_or_null
    node.accounted = usage_of(node);
    if (node.directory) node.directory->usage = SubtreeUsage();
  }
  for (const Node& node : nodes_) {
    for (const Edge* edge : node.parents) add_to_usage(edge->parent, node.accounted, 1);
  }
  usage_changed_nodes_.clear();
}

std::string FsTree::path_of(const Node& node) const {
  std::vector<std::string_view> parts;
  const Node* current = &node;
  while (current->inode != kRootInode && !current->parents.empty()) {
    const Edge* edge = current->parents.front();
    parts.push_back(edge->name);
    if (edge->parent == 0) break;  // trash/sustained: the name is already a path
    current = node_or_null(edge->parent);
    if (current == nullptr) break;
  }
  std::string path;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!path.empty()) path += '/';
    path += *it;
  }
  return path;
}

bool FsTree::is_ancestor(const Node& ancestor, const Node& node) const {
  if (&ancestor == &node) return true;
  // A file may be linked in several directories; above it each directory has one parent.
  for (const Edge* link : node.parents) {
    for (const Node* current = node_or_null(link->parent); current != nullptr;) {
      if (current == &ancestor) return true;
      if (current->parents.empty()) break;
      current = node_or_null(current->parents.front()->parent);
    }
  }
  return false;
}

uint32_t FsTree::recycle_freed_inodes(uint32_t now, uint32_t reuse_delay) {
  uint32_t recycled = 0;
  while (!recently_freed_.empty() && recently_freed_.front().second + uint64_t{reuse_delay} <= now) {
    uint32_t inode = recently_freed_.front().first;
    reusable_inodes_.insert(inode);
    freed_times_.erase(inode);
    mark_changed(inode);
    recently_freed_.pop_front();
    ++recycled;
  }
  return recycled;
}

void FsTree::restore_freed_inode(uint32_t inode, uint32_t freed_at) {
  recently_freed_.emplace_back(inode, freed_at);
  freed_times_[inode] = freed_at;
}

void FsTree::rebuild_reusable_inodes() {
  reusable_inodes_.clear();
  // Gaps between used and recently freed numbers, walked in order of the taken ones.
  std::vector<uint32_t> taken;
  taken.reserve(nodes_.size() + freed_times_.size());
  for (const Node& node : nodes_) taken.push_back(node.inode);
  for (const auto& [inode, time] : freed_times_) taken.push_back(inode);
  std::sort(taken.begin(), taken.end());
  uint32_t next = kRootInode + 1;
  for (uint32_t inode : taken) {
    if (inode > max_inode_) break;
    if (inode > next) reusable_inodes_.insert_range(next, inode - 1);
    if (inode >= next) next = inode + 1;
  }
  if (next <= max_inode_) reusable_inodes_.insert_range(next, max_inode_);
}

std::optional<uint32_t> FsTree::freed_at(uint32_t inode) const {
  auto it = freed_times_.find(inode);
  if (it == freed_times_.end()) return std::nullopt;
  return it->second;
}

uint32_t FsTree::count_recyclable_inodes(uint32_t now, uint32_t reuse_delay) const {
  uint32_t count = 0;
  for (const auto& [inode, freed_at] : recently_freed_) {
    if (freed_at + uint64_t{reuse_delay} > now) break;
    ++count;
  }
  return count;
}

}  // namespace mfs::master
