// CLTOMA_FUSE_PATHS (mfsfilepaths, spec 11 §5.14): the paths of a node from the session root.
#include <algorithm>

#include "mfsmaster/fs_operations.h"

namespace mfs::master {

Result<std::vector<std::string>> FsOperations::paths(const RequestContext& context, uint32_t wire_inode) const {
  const Node* node = resolve(context, wire_inode);
  if (!node) return StatusCode::kENOENT;
  // Only the inode 1 of the request is the root: the root's own number in a subfolder
  // session has no path inside it (3.0.117 answers ENOENT).
  if (wire_inode == kRootInode) return std::vector<std::string>{"/"};
  if (node->type == NodeType::kTrash) return std::vector<std::string>{"./TRASH (" + node->parents.front()->name + ")"};
  if (node->type == NodeType::kSustained) {
    return std::vector<std::string>{"./SUSTAINED (" + node->parents.front()->name + ")"};
  }
  std::vector<const Edge*> links(node->parents.begin(), node->parents.end());
  // Newest link first: edge ids count downwards.
  std::sort(links.begin(), links.end(), [](const Edge* a, const Edge* b) { return a->edge_id < b->edge_id; });
  const FsTree& fs = metadata_.fs();
  std::vector<std::string> paths;
  for (const Edge* link : links) {
    std::vector<std::string_view> names{link->name};
    const Node* directory = fs.find(link->parent);
    // Up the directories (each has one parent) until the session root; a link whose
    // chain does not pass through it is left out.
    while (directory && directory->inode != context.session->root_inode) {
      if (directory->parents.empty()) {
        directory = nullptr;
        break;
      }
      names.push_back(directory->parents.front()->name);
      directory = fs.find(directory->parents.front()->parent);
    }
    if (!directory) continue;
    std::string path;
    for (auto name = names.rbegin(); name != names.rend(); ++name) {
      if (!path.empty()) path += '/';
      path += *name;
    }
    paths.push_back(std::move(path));
  }
  if (paths.empty()) return StatusCode::kENOENT;
  return paths;
}

}  // namespace mfs::master
