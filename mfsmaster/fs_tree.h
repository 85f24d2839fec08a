// The namespace: nodes by inode, directory entries, trash and sustained lists, inode
// allocation. Only deterministic primitives live here: they are called by apply() for
// live operations and replay alike, so they take the time as an argument and never
// read clocks or randomness. Validation (permissions, limits) happens before, elsewhere.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mfsmaster/block_pool.h"
#include "mfsmaster/changed_inodes.h"
#include "mfsmaster/fs_node.h"
#include "mfsmaster/inode_ranges.h"
#include "mfsmaster/subtree_statistics.h"

namespace mfs::master {

// FsTree keeps its nodes in a set keyed by their own inode numbers.
struct NodeInodeHash {
  using is_transparent = void;
  size_t operator()(uint32_t inode) const noexcept { return inode; }
  size_t operator()(const Node& node) const noexcept { return node.inode; }
};
struct NodeInodeEqual {
  using is_transparent = void;
  static uint32_t inode(uint32_t inode) { return inode; }
  static uint32_t inode(const Node& node) { return node.inode; }
  bool operator()(const auto& a, const auto& b) const noexcept { return inode(a) == inode(b); }
};

class FsTree {
 public:
  // Called with every chunk id a file stops referencing (removed or truncated).
  using ChunkReleaser = std::function<void(uint64_t chunk_id, const Node& file)>;

  explicit FsTree(ChunkReleaser release_chunk = {});

  // A fresh file system: root directory (mode 0777, uid/gid 0, class 2, trash 24 h).
  void init_empty(uint32_t now);

  // Non-const access marks the node as changed (for the checkpoint); const access does not.
  Node* find(uint32_t inode);
  // A node of this tree found through const access (a walk), made changeable: marks it.
  Node& edit(const Node& node) {
    mark_changed(node.inode);
    return const_cast<Node&>(node);
  }
  // For a change that leaves the node's quota usage (usage_of) as it was: marked for the
  // checkpoint only, so that refresh_usage skips it (a recursive change of a big tree).
  Node& edit_keeping_usage(const Node& node) {
    changed_nodes_.mark(node.inode);
    return const_cast<Node&>(node);
  }
  const Node* find(uint32_t inode) const { return node_or_null(inode); }
  Node* root() { return find(kRootInode); }
  const Node* root() const { return find(kRootInode); }
  Edge* lookup(const Node& directory, std::string_view name) const;
  // The entries of a directory in creation order (edge ids decreasing); valid until the
  // directory changes.
  static const std::vector<const Edge*>& in_creation_order(const Node& directory);
  size_t node_count() const { return nodes_.size(); }
  size_t node_buckets() const { return nodes_.bucket_count(); }
  // About how many nodes changed since the checkpoint last took them.
  size_t changed_node_count() const { return changed_nodes_.marked_count(); }
  // Room for `more` nodes, or for `entries` entries of a new directory, made at once
  // instead of by rehashing step by step while a snapshot adds them. The node table at
  // least doubles when it grows, as it would by itself: growing it by each snapshot's
  // size would rehash every node again on every snapshot.
  void reserve_nodes(size_t more) {
    size_t wanted = nodes_.size() + more;
    if (wanted > nodes_.bucket_count() * nodes_.max_load_factor()) nodes_.reserve(std::max(wanted, 2 * nodes_.size()));
  }
  static void reserve_entries(Node& directory, size_t entries) {
    directory.directory->children.reserve(entries);
    directory.directory->child_nodes.reserve(entries);
  }
  // Nodes in the subtree of `node`, itself included; a node linked twice in it counts twice.
  static uint32_t subtree_node_count(const Node& node);
  // Every node, in no particular order.
  std::vector<const Node*> all_nodes() const;

  // The inode the next creation gets: the lowest reusable number, else max+1.
  uint32_t next_inode() const;
  // XOR of the inode numbers the next `count` creations get (no reuse happens meanwhile):
  // the check value of a SNAPSHOT entry, known before the snapshot is made.
  uint32_t upcoming_inodes_xor(uint32_t count) const;
  // Creates a node and its entry in `parent`; `inode` must equal next_inode().
  Node* create(Node& parent, std::string_view name, NodeType type, uint32_t inode, uint32_t now);
  // Adds an entry `name` in `parent` for an existing node (hard link or move). Like
  // unlink_edge, it clears the parent's `snapshot` bit (spec 11 §7.1).
  Edge* link(Node& parent, std::string_view name, Node& child);
  // Removes one entry; the node itself is not touched.
  void unlink_edge(Edge& edge);
  // Removes an entry and disposes of the node if that was its last link: files with
  // trash time go to the trash, open files become sustained, the rest are freed.
  void remove_entry(Edge& edge, uint32_t now);

  // Trash / sustained lists, keyed by inode; names are the original paths.
  const std::map<uint32_t, std::unique_ptr<Edge>>& trash() const { return trash_; }
  // The trash entries of one bucket (inode % kTrashBuckets), as the meta mount lists them
  // and trash expiry visits them, in inode order.
  std::vector<const Edge*> trash_bucket(uint32_t bucket) const;
  const std::map<uint32_t, std::unique_ptr<Edge>>& sustained() const { return sustained_; }
  // The sustained entries of one bucket (inode % kSustainedBuckets), in inode order.
  std::vector<const Edge*> sustained_bucket(uint32_t bucket) const;
  // Frees a trash or sustained file now.
  void purge(Node& node, uint32_t now);
  // SETPATH: the path a trash file is listed under and restored to.
  void set_trash_path(Node& trash_file, std::string path);
  // UNDEL: a trash file becomes a regular file again, entry `name` in `parent`.
  void undelete(Node& trash_file, Node& parent, std::string_view name);

  // Open-file references held by sessions (an open unlinked file is sustained). A sustained
  // file nobody holds stays until sustained expiry frees it (sustained_expiry.h).
  void acquire(uint32_t inode);
  void release(uint32_t inode);
  bool is_open(uint32_t inode) const {
    const Node* node = node_or_null(inode);
    return node && node->open_count != 0;
  }

  // Changes a file's length, keeping directory totals, and drops chunks past the end.
  void set_length(Node& file, uint64_t length);
  // Path of a node from the root ("a/b/c"), following first parents.
  std::string path_of(const Node& node) const;
  // True if `ancestor` is `node` or lies on one of node's parent chains.
  bool is_ancestor(const Node& ancestor, const Node& node) const;

  // Nodes changed (or removed) since the last call, for the checkpoint.
  std::vector<uint32_t> take_changed_nodes();

  // Quota usage (DirectoryData::usage). Entries added or removed move a subtree's usage at
  // once; a node's own usage (length, chunks, class, target) is brought up to date here,
  // for every node changed since the last call: Metadata::apply calls it after each
  // change. Returns the inodes freed meanwhile (their quotas go too).
  std::vector<uint32_t> refresh_usage();
  // After loading a stored state: every directory's usage from scratch.
  void recompute_usage();
  // What the subtree of `node` (itself included) adds to the directories above it.
  static SubtreeUsage subtree_usage(const Node& node);
  // The storage classes' keep-max goals, for the realsize of files; Metadata keeps them
  // equal to its StorageClassTable's (then calls recompute_usage when a goal changed).
  void set_class_goals(const ClassGoals& goals) { class_goals_ = goals; }
  const ClassGoals& class_goals() const { return class_goals_; }
  // What `node` alone adds to its directories (node_usage with this tree's goals).
  SubtreeUsage usage_of(const Node& node) const { return node_usage(node, class_goals_); }
  // What one more full chunk of `file` would add (full_chunk_usage with this tree's goals).
  SubtreeUsage full_chunk_usage_of(const Node& file) const { return full_chunk_usage(file, class_goals_); }

  // Inode numbers freed at least `reuse_delay` seconds before `now` become reusable.
  uint32_t recycle_freed_inodes(uint32_t now, uint32_t reuse_delay);
  uint32_t count_recyclable_inodes(uint32_t now, uint32_t reuse_delay) const;

  uint64_t next_edge_id() const { return next_edge_id_; }
  uint32_t max_inode() const { return max_inode_; }
  const std::deque<std::pair<uint32_t, uint32_t>>& recently_freed() const { return recently_freed_; }

  // Loading a stored image (metadata.mfs or a checkpoint): nodes first, then edges.
  // These rebuild exactly the stored state, including edge ids and counters.
  Node& restore_node(Node&& node);
  // parent 0 puts a trash (type 8) or sustained (type 9) node on its list.
  bool restore_edge(uint32_t parent, uint32_t child, uint64_t edge_id, std::string name);
  void restore_freed_inode(uint32_t inode, uint32_t freed_at);
  // After loading: inode numbers up to max_inode that are neither used nor recently
  // freed become reusable.
  void rebuild_reusable_inodes();
  // When `inode` was freed, if it still waits out the reuse delay.
  std::optional<uint32_t> freed_at(uint32_t inode) const;
  void restore_counters(uint32_t max_inode, uint64_t next_edge_id);

 private:
  Node* node_or_null(uint32_t inode) const;
  void mark_changed(uint32_t inode) {
    changed_nodes_.mark(inode);
    usage_changed_nodes_.mark(inode);
  }
  // Adds (sign 1) or removes (-1) `usage` to `directory` and each of its ancestors.
  void add_to_usage(uint32_t directory, const SubtreeUsage& usage, int sign);
  Edge* attach(Node& parent, Edge edge);
  static uint64_t subtree_length(const Node& node);
  // Adds `delta` to the total length of `directory` and each of its ancestors.
  void add_to_directory_totals(Node& directory, int64_t delta);
  void free_node(Node& node, uint32_t now);

  // Nodes by value, one block each (side by side in creation order, see block_pool.h): set
  // elements never move, so the addresses that edges hold stay valid. Elements are const
  // to protect their key; everything but the inode number is changed through node_or_null.
  std::unordered_set<Node, NodeInodeHash, NodeInodeEqual, PoolAllocator<Node>> nodes_;
  std::map<uint32_t, std::unique_ptr<Edge>> trash_;
  std::map<uint32_t, std::unique_ptr<Edge>> sustained_;
  std::deque<std::pair<uint32_t, uint32_t>> recently_freed_;  // (inode, time freed), oldest first
  std::unordered_map<uint32_t, uint32_t> freed_times_;        // the same, by inode
  InodeRanges reusable_inodes_;
  ChangedInodes changed_nodes_;
  ChangedInodes usage_changed_nodes_;
  uint32_t max_inode_ = 1;
  uint64_t next_edge_id_ = kFirstEdgeId;
  ChunkReleaser release_chunk_;
  ClassGoals class_goals_ = predefined_class_goals();
};

}  // namespace mfs::master
