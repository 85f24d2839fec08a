#include "mfsmaster/fs_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "mfsmaster/subtree_walk.h"

namespace mfs::master {
namespace {

// What a walk must visit: every node once per link, found through the directories' sets.
std::vector<uint32_t> linked_inodes(const Node& top) {
  std::vector<uint32_t> all{top.inode};
  std::vector<const Node*> pending{&top};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    if (!node->is_directory()) continue;
    for (const Edge& edge : node->directory->children) {
      all.push_back(edge.child->inode);
      pending.push_back(edge.child);
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<uint32_t> walked_inodes(const Node& top) {
  std::vector<uint32_t> all;
  walk_subtree(top, true, [&](const Node& node) { all.push_back(node.inode); });
  std::sort(all.begin(), all.end());
  return all;
}

void expect_slots_consistent(const Node& directory) {
  const DirectoryData& data = *directory.directory;
  ASSERT_EQ(data.child_nodes.size(), data.children.size());
  for (const Edge& edge : data.children) {
    ASSERT_LT(edge.slot, data.child_nodes.size());
    EXPECT_EQ(data.child_nodes[edge.slot], edge.child) << edge.name;
  }
}

TEST(FsTreeTest, WalksSeeEveryLinkWhileEntriesComeAndGoInAnyOrder) {
  FsTree tree;
  tree.init_empty(0);
  Node& root = *tree.root();
  uint32_t inode = 2;
  Node* sub = tree.create(root, "sub", NodeType::kDirectory, inode++, 0);
  std::vector<std::pair<Node*, std::string>> entries;  // directory, name
  for (int i = 0; i < 40; ++i) {
    std::string name = "f" + std::to_string(i);
    Node* parent = i % 3 ? &root : sub;
    Node* file = tree.create(*parent, name, NodeType::kFile, inode++, 0);
    entries.emplace_back(parent, name);
    if (i % 7 == 0) {  // hard links, some in the same directory as the file
      tree.link(*parent, name + "-same", *file);
      tree.link(*(parent == sub ? &root : sub), name + "-other", *file);
      entries.emplace_back(parent, name + "-same");
      entries.emplace_back(parent == sub ? &root : sub, name + "-other");
    }
  }
  std::mt19937 random(7);
  std::shuffle(entries.begin(), entries.end(), random);
  for (const auto& [parent, name] : entries) {
    Edge* edge = tree.lookup(*parent, name);
    ASSERT_NE(edge, nullptr) << name;
    tree.remove_entry(*edge, 0);
    expect_slots_consistent(root);
    expect_slots_consistent(*sub);
    ASSERT_EQ(walked_inodes(root), linked_inodes(root)) << "after removing " << name;
  }
  EXPECT_EQ(walked_inodes(root), (std::vector<uint32_t>{1, 2}));
}

}  // namespace
}  // namespace mfs::master
