#include "mfsmaster/metadata_image_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <unordered_set>

namespace mfs::master {
namespace {

constexpr std::string_view kEofMarker = "[MFS EOF MARKER]";
constexpr size_t kMaxXattrValue = 65536;
constexpr uint16_t kStatsCount = 16;  // per-session operation counters 3.0.117 writes

// Big-endian output into memory, flushed to a file descriptor in large blocks when one
// is given. Section lengths are patched in place after the section was written.
class Sink {
 public:
  Sink() = default;
  explicit Sink(int fd) : fd_(fd) {}

  void bytes(const void* data, size_t size) {
    buffer_.insert(buffer_.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
    if (fd_ >= 0 && buffer_.size() >= kFlushSize) flush();
  }
  void bytes(std::string_view data) { bytes(data.data(), data.size()); }
  void zeros(size_t count) { buffer_.insert(buffer_.end(), count, 0); }
  void u8(uint8_t v) { buffer_.push_back(v); }
  void u16(uint16_t v) {
    uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    bytes(b, 2);
  }
  void u32(uint32_t v) {
    uint8_t b[4];
    encode32(b, v);
    bytes(b, 4);
  }
  void u64(uint64_t v) {
    uint8_t b[8];
    encode64(b, v);
    bytes(b, 8);
  }

  uint64_t position() const { return flushed_ + buffer_.size(); }

  void patch_u64(uint64_t at, uint64_t v) {
    uint8_t b[8];
    encode64(b, v);
    if (at >= flushed_) {
      std::memcpy(buffer_.data() + (at - flushed_), b, 8);
    } else if (ok_) {
      if (::pwrite(fd_, b, 8, static_cast<off_t>(at)) != 8) fail();
    }
  }

  // Writes out everything buffered (file mode).
  bool flush() {
    size_t done = 0;
    while (ok_ && done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fail();
        break;
      }
      done += static_cast<size_t>(n);
    }
    flushed_ += buffer_.size();
    buffer_.clear();
    return ok_;
  }

  bool ok() const { return ok_; }
  int error() const { return errno_; }
  std::vector<uint8_t> take() { return std::move(buffer_); }

 private:
  static constexpr size_t kFlushSize = 1 << 20;
  static void encode32(uint8_t* b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  }
  static void encode64(uint8_t* b, uint64_t v) {
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  }
  void fail() {
    if (ok_) errno_ = errno;
    ok_ = false;
  }

  int fd_ = -1;
  std::vector<uint8_t> buffer_;
  uint64_t flushed_ = 0;
  bool ok_ = true;
  int errno_ = 0;
};

class ImageWriter {
 public:
  ImageWriter(const Metadata& metadata, const ImageExtras* extras, Sink& out)
      : md_(metadata), fs_(metadata.fs()), extras_(extras), out_(out) {}

  Status write() {
    if (Status status = check_extras(); !status) return status;
    if (Status status = collect(); !status) return status;
    out_.bytes("MFSM 2.0");
    out_.u64(md_.version());
    out_.u64(md_.meta_id());
    sessions();
    storage_classes();
    if (Status status = nodes(); !status) return status;
    if (Status status = edges(); !status) return status;
    free_inodes();
    quotas();
    if (Status status = xattrs(); !status) return status;
    acls();
    open_files();
    opaque_or("FLCK", 0x10, [this] { out_.zeros(17); });
    opaque_or("PLCK", 0x10, [this] { out_.zeros(37); });
    opaque_or("CSDB", 0x13, [this] { out_.u32(0); });
    chunks();
    out_.bytes(kEofMarker);
    return Status::ok();
  }

 private:
  static Status invalid(std::string message) { return Status(StatusCode::kEINVAL, "metadata image: " + message); }

  const ImageSection* extra(const std::string& tag) const {
    if (!extras_) return nullptr;
    auto it = extras_->sections.find(tag);
    return it == extras_->sections.end() ? nullptr : &it->second;
  }

  Status check_extras() const {
    if (!extras_) return Status::ok();
    for (const auto& [tag, section] : extras_->sections) {
      if (Status status = validate_image_section(tag, section.version, section.body); !status) return status;
    }
    return Status::ok();
  }

  // Every node, reached from the root and the trash/sustained lists; every directory's
  // entries in edge id order (the order 3.0.117 keeps: newest entry first).
  Status collect() {
    const Node* root = fs_.root();
    if (!root || !root->is_directory()) return invalid("no root directory");
    std::unordered_set<uint32_t> seen{kRootInode};
    nodes_.push_back(root);
    std::vector<const Node*> stack{root};
    std::vector<const Edge*> entries;
    std::vector<const Node*> subdirectories;
    while (!stack.empty()) {
      const Node* directory = stack.back();
      stack.pop_back();
      entries.clear();
      for (const Edge& edge : directory->directory->children) entries.push_back(&edge);
      std::sort(entries.begin(), entries.end(), [](const Edge* a, const Edge* b) {
        return a->edge_id != b->edge_id ? a->edge_id < b->edge_id : a->name < b->name;
      });
      subdirectories.clear();
      for (const Edge* edge : entries) {
        edges_.push_back(edge);
        const Node* child = edge->child;
        if (!seen.insert(child->inode).second) {
          if (child->is_directory()) return invalid("directory " + std::to_string(child->inode) + " linked twice");
          continue;
        }
        nodes_.push_back(child);
        if (child->is_directory()) subdirectories.push_back(child);
      }
      stack.insert(stack.end(), subdirectories.rbegin(), subdirectories.rend());
    }
    for (const auto* list : {&fs_.trash(), &fs_.sustained()}) {
      for (const auto& [inode, edge] : *list) {
        edges_.push_back(edge.get());
        if (seen.insert(edge->child->inode).second) nodes_.push_back(edge->child);
      }
    }
    if (nodes_.size() != fs_.node_count()) {
      return invalid(std::to_string(fs_.node_count() - std::min(fs_.node_count(), nodes_.size())) +
                     " i-nodes are not reachable from the root or the trash");
    }
    return Status::ok();
  }

  uint64_t begin(std::string_view tag, uint8_t version) {
    uint64_t at = out_.position();
    out_.bytes(tag);
    char text[4] = {' ', static_cast<char>('0' + (version >> 4)), '.', static_cast<char>('0' + (version & 0xF))};
    out_.bytes(text, 4);
    out_.u64(~uint64_t{0});  // patched by end()
    return at;
  }
  void end(uint64_t header_at) { out_.patch_u64(header_at + 8, out_.position() - header_at - 16); }

  template <typename EmptyBody>
  void opaque_or(const std::string& tag, uint8_t version, EmptyBody empty_body) {
    if (const ImageSection* section = extra(tag)) {
      uint64_t at = begin(tag, section->version);
      out_.bytes(section->body);
      end(at);
      return;
    }
    uint64_t at = begin(tag, version);
    empty_body();
    end(at);
  }

  void sessions() {
    uint64_t at = begin("SESS", 0x15);
    out_.u32(md_.sessions().next_id());
    out_.u16(kStatsCount);
    for (const auto& [id, session] : md_.sessions().all()) {
      if (session->closed) continue;
      const SessionParameters& p = session->parameters;
      out_.u32(id);
      out_.u64(p.exports_checksum);
      out_.u32(static_cast<uint32_t>(p.info.size()));
      out_.u32(p.peer_ip);
      out_.u32(p.root_inode);
      out_.u8(p.sesflags);
      out_.u16(p.umask);
      out_.u8(p.min_goal);
      out_.u8(p.max_goal);
      out_.u32(p.min_trashtime);
      out_.u32(p.max_trashtime);
      out_.u32(p.root_uid);
      out_.u32(p.root_gid);
      out_.u32(p.mapall_uid);
      out_.u32(p.mapall_gid);
      out_.u32(p.disables);
      out_.u32(session->disconnected_at);
      out_.zeros(size_t{2} * kStatsCount * 4);  // operation counters are not kept
      out_.bytes(p.info);
    }
    out_.zeros(61 + size_t{2} * kStatsCount * 4);
    end(at);
  }

  // SCLA 1.6 (spec 30 §3.5): every class, the predefined ones included.
  void storage_classes() {
    uint64_t at = begin("SCLA", 0x16);
    const StorageClassTable& classes = md_.storage_classes();
    out_.u8(static_cast<uint8_t>(kLabelAlternatives));
    for (uint32_t id = 1; id < StorageClassTable::kSlots; ++id) {
      const StorageClass* defined = classes.find(id);
      if (!defined) continue;
      out_.u16(static_cast<uint16_t>(id));
      out_.u8(static_cast<uint8_t>(defined->name.size()));
      out_.u8(defined->admin_only);
      out_.u8(defined->mode);
      out_.u16(defined->arch_delay);
      for (const LabelSet* set : {&defined->create, &defined->keep, &defined->archive}) {
        out_.u8(static_cast<uint8_t>(set->size()));
      }
      out_.bytes(defined->name);
      for (const LabelSet* set : {&defined->create, &defined->keep, &defined->archive}) {
        for (const CopyLabels& copy : *set) {
          for (uint32_t mask : copy) out_.u32(mask);
        }
      }
    }
    out_.zeros(10);
    end(at);
  }

  Status nodes() {
    uint64_t at = begin("NODE", 0x14);
    out_.u32(fs_.max_inode());
    out_.u32(static_cast<uint32_t>(nodes_.size()));
    for (const Node* node : nodes_) {
      bool file_like = node->is_file_like();
      out_.u8(static_cast<uint8_t>(node->type));
      out_.u32(node->inode);
      out_.u8(file_like || node->is_directory() ? node->sclass : 0);
      out_.u8(node->eattr);
      out_.u8(node->winattr);
      out_.u16(node->mode & 07777);
      out_.u32(node->uid);
      out_.u32(node->gid);
      out_.u32(node->atime);
      out_.u32(node->mtime);
      out_.u32(node->ctime);
      out_.u16(node->trash_hours);
      switch (node->type) {
        case NodeType::kBlockDevice:
        case NodeType::kCharDevice:
          out_.u32(node->extras().rdev);
          break;
        case NodeType::kSymlink:
          if (node->extras().symlink_target.size() > UINT32_MAX) return invalid("symlink target too long");
          out_.u32(static_cast<uint32_t>(node->extras().symlink_target.size()));
          out_.bytes(node->extras().symlink_target);
          break;
        case NodeType::kFile:
        case NodeType::kTrash:
        case NodeType::kSustained: {
          // Slot by slot up to the last chunk: trailing holes are not written.
          const ChunkList& chunks = node->chunks;
          uint64_t count = chunks.chunk_count() == 0 ? 0 : (chunks.end() - 1)->index + uint64_t{1};
          if (count > uint64_t{kMaxChunkIndex} + 1) return invalid("chunk table too long");
          out_.u64(node->length);
          out_.u32(static_cast<uint32_t>(count));
          uint64_t written = 0;
          for (const auto& [index, chunk_id] : chunks) {
            for (; written < index; ++written) out_.u64(0);
            out_.u64(chunk_id);
            ++written;
          }
          break;
        }
        default:
          break;
      }
    }
    out_.u8(0);
    end(at);
    return Status::ok();
  }

  Status edges() {
    uint64_t at = begin("EDGE", 0x11);
    out_.u64(fs_.next_edge_id());
    for (const Edge* edge : edges_) {
      size_t limit = edge->parent == 0 ? UINT16_MAX : kMaxNameLength;
      if (edge->name.empty() || edge->name.size() > limit) {
        return invalid("bad entry name length " + std::to_string(edge->name.size()) + " of i-node " +
                       std::to_string(edge->child->inode));
      }
      out_.u32(edge->parent);
      out_.u32(edge->child->inode);
      out_.u64(edge->edge_id);
      out_.u16(static_cast<uint16_t>(edge->name.size()));
      out_.bytes(edge->name);
    }
    out_.zeros(18);
    end(at);
    return Status::ok();
  }

  void free_inodes() {
    uint64_t at = begin("FREE", 0x10);
    const auto& freed = fs_.recently_freed();
    out_.u32(static_cast<uint32_t>(freed.size()));
    for (const auto& [inode, freed_at] : freed) {
      out_.u32(inode);
      out_.u32(freed_at);
    }
    end(at);
  }

  void quotas() {
    uint64_t at = begin("QUOT", 0x11);
    const auto& records = md_.quotas().all();
    out_.u32(static_cast<uint32_t>(records.size()));
    for (const auto& [inode, record] : records) {
      out_.u32(inode);
      out_.u32(record.grace_period);
      out_.u8(record.exceeded ? 1 : 0);
      out_.u8(record.flags);
      out_.u32(record.soft_since);
      out_.u32(record.soft.inodes);
      out_.u32(record.hard.inodes);
      out_.u64(record.soft.length);
      out_.u64(record.hard.length);
      out_.u64(record.soft.size);
      out_.u64(record.hard.size);
      out_.u64(record.soft.realsize);
      out_.u64(record.hard.realsize);
    }
    end(at);
  }

  Status xattrs() {
    uint64_t at = begin("XATR", 0x10);
    for (const Node* node : nodes_) {
      for (const auto& [name, value] : node->extras().xattrs) {  // in the node's listing order (newest first)
        if (name.empty() || name.size() > 255 || value.size() > kMaxXattrValue) {
          return invalid("bad extended attribute of i-node " + std::to_string(node->inode));
        }
        out_.u32(node->inode);
        out_.u8(static_cast<uint8_t>(name.size()));
        out_.u32(static_cast<uint32_t>(value.size()));
        out_.bytes(name);
        out_.bytes(value);
      }
    }
    out_.zeros(9);
    end(at);
    return Status::ok();
  }

  void acls() {
    uint64_t at = begin("PACL", 0x11);
    for (const Node* node : nodes_) {
      for (AclType type : {AclType::kAccess, AclType::kDefault}) {
        const PosixAcl* acl = node->acl(type);
        if (!acl) continue;
        out_.u32(node->inode);
        out_.u8(static_cast<uint8_t>(type));
        write_acl(out_, *acl);
      }
    }
    out_.zeros(17);
    end(at);
  }

  void open_files() {
    uint64_t at = begin("OPEN", 0x10);
    for (const auto& [id, session] : md_.sessions().all()) {
      if (session->closed) continue;
      for (uint32_t inode : session->open_inodes) {
        if (!fs_.find(inode)) continue;
        out_.u32(id);
        out_.u32(inode);
      }
    }
    out_.zeros(8);
    end(at);
  }

  void chunks() {
    uint64_t at = begin("CHNK", 0x11);
    out_.u64(md_.chunks().next_id());
    std::vector<const ChunkRecord*> records;
    records.reserve(md_.chunks().size());
    for (const auto& [id, record] : md_.chunks().all()) records.push_back(record.get());
    std::sort(records.begin(), records.end(), [](const ChunkRecord* a, const ChunkRecord* b) { return a->id < b->id; });
    for (const ChunkRecord* chunk : records) {
      out_.u64(chunk->id);
      out_.u32(chunk->version);
      out_.u32(chunk->locked_to);
      out_.u8(chunk->archived ? 1 : 0);
    }
    out_.zeros(17);
    end(at);
  }

  const Metadata& md_;
  const FsTree& fs_;
  const ImageExtras* extras_;
  Sink& out_;
  std::vector<const Node*> nodes_;
  std::vector<const Edge*> edges_;
};

Status io_error(const std::string& what, const std::string& path, int error) {
  return Status(StatusCode::kIO, what + " " + path + ": " + std::strerror(error));
}

}  // namespace

Result<std::vector<uint8_t>> serialize_metadata_image(const Metadata& metadata, const ImageExtras* extras) {
  Sink sink;
  if (Status status = ImageWriter(metadata, extras, sink).write(); !status) return status;
  return sink.take();
}

namespace {

// Writes what `fill` writes into `path`.tmp, fsyncs it, renames it to `path` and fsyncs the
// directory. On failure `path` is untouched and the temporary removed.
Status replace_durably(const std::string& path, const std::function<Status(Sink&)>& fill) {
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return io_error("cannot create", temporary, errno);
  Sink sink(fd);
  Status status = fill(sink);
  if (status) {
    if (!sink.flush()) {
      status = io_error("cannot write", temporary, sink.error());
    } else if (::fsync(fd) != 0) {
      status = io_error("cannot fsync", temporary, errno);
    }
  }
  if (::close(fd) != 0 && status) status = io_error("cannot close", temporary, errno);
  if (status && ::rename(temporary.c_str(), path.c_str()) != 0) status = io_error("cannot rename", temporary, errno);
  if (!status) {
    ::unlink(temporary.c_str());
    return status;
  }
  std::string directory = std::filesystem::path(path).parent_path().string();
  int dir_fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Status::ok();
}

}  // namespace

Status write_metadata_image(const std::string& path, const Metadata& metadata, const ImageExtras* extras) {
  return replace_durably(path, [&](Sink& sink) { return ImageWriter(metadata, extras, sink).write(); });
}

}  // namespace mfs::master
