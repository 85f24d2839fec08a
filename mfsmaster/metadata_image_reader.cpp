#include "mfsmaster/metadata_image_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>
#include <vector>

namespace mfs::master {
namespace {

constexpr std::string_view kEofMarker = "[MFS EOF MARKER]";
constexpr uint64_t kUnknownLength = ~uint64_t{0};
constexpr size_t kSignatureSize = 8;
constexpr size_t kHeaderSize = 24;  // signature + metaversion + metaid
constexpr size_t kMarkerSize = 16;
constexpr size_t kMaxXattrValue = 65536;
constexpr std::string_view kSymlinkTooLong = "... path too long ...";
// I-node numbers from here on are reserved by mfsmount for its virtual files (spec 00 §8).
constexpr uint32_t kFirstReservedInode = 0x7FFFFFF0;

// Sequential, bounds-checked reading of an image held in memory or in a file. Every read
// is checked against a limit (the end of the current section, or the start of the end
// marker); the first failure is remembered and later reads return zeros, so callers
// read a record's fixed fields and check ok() before using any length they got.
class Input {
 public:
  explicit Input(std::span<const uint8_t> memory) : memory_(memory), size_(memory.size()), limit_(size_) {}
  Input(int fd, uint64_t size) : fd_(fd), size_(size), limit_(size), buffer_(kBufferSize) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool io_error() const { return io_error_; }
  uint64_t position() const { return pos_; }
  uint64_t size() const { return size_; }
  uint64_t limit() const { return limit_; }
  uint64_t remaining() const { return ok() ? limit_ - pos_ : 0; }
  void set_limit(uint64_t limit) { limit_ = std::min(limit, size_); }
  void capture(std::string* sink) { capture_ = sink; }

  // Records the first error (with the offset where it was noticed); always false.
  bool fail(const std::string& message) {
    if (error_.empty()) error_ = message + " (at offset " + std::to_string(pos_) + ")";
    return false;
  }
  // True if `count` more bytes are available; fails otherwise.
  bool need(uint64_t count, const char* what) {
    if (!ok()) return false;
    if (count > limit_ - pos_) return fail(std::string("truncated ") + what);
    return true;
  }

  bool read(void* out, size_t count) {
    if (!ok() || count > limit_ - pos_) {
      std::memset(out, 0, count);
      if (ok()) fail("unexpected end of data");
      return false;
    }
    if (!fetch(pos_, out, count)) {
      std::memset(out, 0, count);
      return false;
    }
    if (capture_) capture_->append(static_cast<const char*>(out), count);
    pos_ += count;
    return true;
  }
  bool skip(uint64_t count) {
    if (!need(count, "data")) return false;
    if (capture_) {
      char chunk[4096];
      while (count > 0) {
        size_t part = static_cast<size_t>(std::min<uint64_t>(count, sizeof chunk));
        if (!read(chunk, part)) return false;
        count -= part;
      }
      return true;
    }
    pos_ += count;
    return true;
  }
  // Reads `count` bytes into `out`; `count` is checked before anything is allocated.
  bool read_string(std::string& out, uint64_t count) {
    out.clear();
    if (!need(count, "string")) return false;
    out.resize(static_cast<size_t>(count));
    return read(out.data(), out.size());
  }
  // Reads at an absolute offset without moving (for the end marker check).
  bool read_at(uint64_t offset, void* out, size_t count) {
    if (offset > size_ || count > size_ - offset) return fail("read beyond end of file");
    return fetch(offset, out, count);
  }

  uint8_t u8() {
    uint8_t b[1];
    read(b, 1);
    return b[0];
  }
  uint16_t u16() {
    uint8_t b[2];
    read(b, 2);
    return static_cast<uint16_t>(b[0] << 8 | b[1]);
  }
  uint32_t u32() {
    uint8_t b[4];
    read(b, 4);
    return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
  }
  uint64_t u64() {
    uint64_t high = u32();
    return high << 32 | u32();
  }

 private:
  static constexpr size_t kBufferSize = 1 << 20;

  bool fetch(uint64_t offset, void* out, size_t count) {
    if (fd_ < 0) {
      std::memcpy(out, memory_.data() + offset, count);
      return true;
    }
    auto* dst = static_cast<uint8_t*>(out);
    while (count > 0) {
      if (offset < buffer_start_ || offset >= buffer_start_ + buffer_length_) {
        if (!refill(offset)) return false;
      }
      size_t in_buffer = static_cast<size_t>(offset - buffer_start_);
      size_t part = std::min(count, buffer_length_ - in_buffer);
      std::memcpy(dst, buffer_.data() + in_buffer, part);
      dst += part;
      offset += part;
      count -= part;
    }
    return true;
  }
  bool refill(uint64_t offset) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kBufferSize, size_ - offset));
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, buffer_.data() + got, want - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        io_error_ = true;
        buffer_length_ = 0;
        return fail(n < 0 ? std::string("read error: ") + std::strerror(errno) : "file shrank while reading");
      }
      got += static_cast<size_t>(n);
    }
    buffer_start_ = offset;
    buffer_length_ = got;
    return true;
  }

  std::span<const uint8_t> memory_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
  uint64_t limit_ = 0;
  std::vector<uint8_t> buffer_;
  uint64_t buffer_start_ = 0;
  size_t buffer_length_ = 0;
  std::string* capture_ = nullptr;
  std::string error_;
  bool io_error_ = false;
};

// The sections 3.0.117 writes, in its order, with the versions this reader accepts.
struct SectionKind {
  std::string_view tag;
  uint8_t min_version;  // lowest version this reader can parse
  uint8_t max_version;  // highest version 3.0.117 reads (and writes)
  bool opaque;          // kept verbatim in ImageExtras
};
constexpr SectionKind kSections[] = {
    {"SESS", 0x10, 0x15, false}, {"SCLA", 0x16, 0x16, false}, {"NODE", 0x14, 0x14, false}, {"EDGE", 0x11, 0x11, false},
    {"FREE", 0x10, 0x10, false}, {"QUOT", 0x10, 0x11, false}, {"XATR", 0x10, 0x10, false}, {"PACL", 0x10, 0x11, false},
    {"OPEN", 0x10, 0x10, false}, {"FLCK", 0x10, 0x10, true}, {"PLCK", 0x10, 0x10, true},  {"CSDB", 0x10, 0x13, true},
    {"CHNK", 0x10, 0x11, false},
};

// Index into kSections (LABS is the old name of SCLA), or -1.
int section_index(std::string_view tag) {
  if (tag == "LABS") tag = "SCLA";
  for (size_t i = 0; i < std::size(kSections); ++i) {
    if (kSections[i].tag == tag) return static_cast<int>(i);
  }
  return -1;
}

std::string version_text(uint8_t version) { return std::to_string(version >> 4) + "." + std::to_string(version & 0xF); }

bool is_file_like(uint8_t type) { return type == 1 || type == 8 || type == 9; }

// Validation of the sections kept opaque. Each reads exactly one section body from `in`.
class OpaqueValidator {
 public:
  explicit OpaqueValidator(Input& in) : in_(in) {}

  bool validate(std::string_view tag, uint8_t version) {
    if (tag == "FLCK") return flocks();
    if (tag == "PLCK") return posix_locks();
    if (tag == "CSDB") return chunkservers(version);
    return in_.fail("no validator for section " + std::string(tag));
  }

 private:
  bool fail(const std::string& message) { return in_.fail(message); }

  bool flocks() {
    for (;;) {
      if (!in_.need(17, "flock record")) return false;
      uint32_t inode = in_.u32();
      uint64_t owner = in_.u64();
      uint32_t session = in_.u32();
      uint8_t type = in_.u8();
      if (inode == 0) {
        if (owner | session | type) return fail("FLCK: malformed terminator");
        return true;
      }
      if (type > 1) return fail("FLCK: bad lock type");
    }
  }

  bool posix_locks() {
    for (;;) {
      if (!in_.need(37, "posix lock record")) return false;
      uint32_t inode = in_.u32();
      uint64_t owner = in_.u64();
      uint32_t session = in_.u32();
      uint32_t pid = in_.u32();
      uint64_t start = in_.u64();
      uint64_t end = in_.u64();
      uint8_t type = in_.u8();
      if (inode == 0) {
        if (owner | session | pid | start | end | type) return fail("PLCK: malformed terminator");
        return true;
      }
      if (type != 1 && type != 2) return fail("PLCK: bad lock type");
      if (start >= end) return fail("PLCK: empty lock range");
    }
  }

  bool chunkservers(uint8_t version) {
    uint32_t count = in_.u32();
    uint64_t record = version >= 0x13 ? 13 : version == 0x12 ? 9 : version == 0x11 ? 8 : 6;
    if (!in_.need(count * record, "chunkserver records")) return false;
    std::set<std::pair<uint32_t, uint16_t>> addresses;
    std::set<uint16_t> ids;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t ip = in_.u32();
      uint16_t port = in_.u16();
      uint16_t csid = version >= 0x11 ? in_.u16() : 0;
      uint8_t maintenance = version >= 0x12 ? in_.u8() : 0;
      if (version >= 0x13) in_.u32();
      if (!in_.ok()) return false;
      if (maintenance > 2) return fail("CSDB: bad maintenance mode");
      if (!addresses.insert({ip, port}).second) return fail("CSDB: repeated chunkserver address");
      if (csid != 0 && !ids.insert(csid).second) return fail("CSDB: repeated chunkserver id");
    }
    return true;
  }

  Input& in_;
};

class ImageLoader {
 public:
  ImageLoader(Input& in, Metadata& metadata, ImageExtras* extras, ImageLoadReport& report)
      : in_(in), md_(metadata), fs_(metadata.fs()), extras_(extras), report_(report) {}

  Status load(uint32_t now, const std::string& source) {
    if (extras_) extras_->sections.clear();
    report_ = ImageLoadReport();
    if (!parse(now)) {
      return Status(in_.io_error() ? StatusCode::kIO : StatusCode::kEINVAL, source + ": " + in_.error());
    }
    return Status::ok();
  }

 private:
  bool fail(const std::string& message) { return in_.fail(message); }

  bool parse(uint32_t now) {
    char signature[kSignatureSize];
    if (in_.size() < kSignatureSize) return fail("file too short for a signature");
    in_.read(signature, kSignatureSize);
    std::string_view sig(signature, kSignatureSize);
    if (sig == "MFSM NEW") {
      md_.init_empty(now);
      report_.was_new = true;
      return true;
    }
    if (sig.substr(0, 5) != "MFSM " || sig[5] < '1' || sig[5] > '9' || sig[6] != '.' || sig[7] < '0' || sig[7] > '9') {
      return fail("not a MooseFS metadata file");
    }
    uint8_t format = static_cast<uint8_t>((sig[5] - '0') << 4 | (sig[7] - '0'));
    if (format != 0x20) {
      return fail("unsupported metadata format " + std::string(sig) +
                  (format > 0x20 ? " (written by a newer version)" : " (only MFSM 2.0 is read)"));
    }
    if (in_.size() < kHeaderSize + kMarkerSize) return fail("file too short");
    char marker[kMarkerSize];
    if (!in_.read_at(in_.size() - kMarkerSize, marker, kMarkerSize)) return false;
    if (std::string_view(marker, kMarkerSize) != kEofMarker) return fail("end marker missing (file truncated?)");

    uint64_t metaversion = in_.u64();
    uint64_t metaid = in_.u64();
    md_.init_empty(now);  // clean sessions and chunks; the placeholder root is replaced by NODE
    md_.set_version(metaversion);
    md_.set_meta_id(metaid);

    const uint64_t sections_end = in_.size() - kMarkerSize;
    int last_index = -1;
    while (in_.ok()) {
      in_.set_limit(sections_end);
      if (in_.position() == sections_end) break;
      if (!in_.need(16, "section header")) return false;
      char header[8];
      in_.read(header, 8);
      uint64_t length = in_.u64();
      std::string tag(header, 4);
      if (header[4] != ' ' || header[5] < '0' || header[5] > '9' || header[6] != '.' || header[7] < '0' ||
          header[7] > '9') {
        return fail("bad section header");
      }
      uint8_t version = static_cast<uint8_t>((header[5] - '0') << 4 | (header[7] - '0'));
      int index = section_index(tag);
      if (index < 0) return fail("unknown section '" + tag + "'");
      const SectionKind& kind = kSections[index];
      if (index <= last_index) return fail("section " + tag + " repeated or out of order");
      last_index = index;
      if (version > kind.max_version) return fail(tag + " " + version_text(version) + " stored by a newer version");
      if (version < kind.min_version) return fail(tag + " " + version_text(version) + " is not supported");
      uint64_t section_end = sections_end;
      if (length != kUnknownLength) {
        if (length > sections_end - in_.position()) return fail(tag + ": section length exceeds the file");
        section_end = in_.position() + length;
      }
      in_.set_limit(section_end);
      if (!section(tag, version, kind.opaque)) return false;
      if (length != kUnknownLength && in_.position() != section_end) {
        return fail(tag + ": not all of the section has been read (file corrupted)");
      }
    }
    if (!in_.ok()) return false;
    return finish();
  }

  bool section(const std::string& tag, uint8_t version, bool opaque) {
    if (opaque) {
      ImageSection kept;
      kept.version = version;
      in_.capture(&kept.body);
      OpaqueValidator validator(in_);
      bool ok = validator.validate(tag, version);
      in_.capture(nullptr);
      if (!ok) return false;
      if (extras_) extras_->sections[tag] = std::move(kept);
      return true;
    }
    if (tag == "SESS") return sessions(version);
    if (tag == "SCLA" || tag == "LABS") return storage_classes();
    if (tag == "NODE") return nodes();
    if (tag == "EDGE") return edges();
    if (tag == "FREE") return free_inodes();
    if (tag == "QUOT") return quotas(version);
    if (tag == "XATR") return xattrs();
    if (tag == "PACL") return acls(version);
    if (tag == "OPEN") return open_files();
    if (tag == "CHNK") return chunks(version);
    return fail("no parser for section " + tag);
  }

  // SCLA 1.6 (spec 30 §3.5): records for 1..9 replace the predefined classes.
  bool storage_classes() {
    uint8_t orgroups = in_.u8();
    if (!in_.ok()) return false;
    if (orgroups == 0) return fail("SCLA: zero label groups");
    StorageClassTable& classes = md_.storage_classes();
    std::set<uint16_t> seen;
    for (;;) {
      if (!in_.need(10, "storage class record")) return false;
      uint16_t id = in_.u16();
      uint8_t name_length = in_.u8();
      StorageClass defined;
      defined.admin_only = in_.u8();
      defined.mode = in_.u8();
      defined.arch_delay = in_.u16();
      size_t counts[3] = {in_.u8(), in_.u8(), in_.u8()};
      if (id == 0) {
        if (name_length | defined.admin_only | defined.mode | defined.arch_delay | counts[0] | counts[1] | counts[2]) {
          return fail("SCLA: malformed terminator");
        }
        return true;
      }
      std::string where = "SCLA: storage class " + std::to_string(id);
      if (id >= StorageClassTable::kSlots) return fail(where + " out of range");
      if (name_length == 0) return fail(where + " has an empty name");
      if (defined.admin_only > 1 || defined.mode > class_mode::kStrict) return fail(where + " has bad flags");
      if (!seen.insert(id).second && id >= kFirstUserClassId) return fail(where + " repeated");
      if (!in_.need(name_length, "storage class name")) return false;
      defined.name.resize(name_length);
      in_.read(defined.name.data(), name_length);
      LabelSet* sets[3] = {&defined.create, &defined.keep, &defined.archive};
      for (size_t set = 0; set < 3; ++set) {
        if (!in_.need(uint64_t{counts[set]} * orgroups * 4, "storage class labels")) return false;
        sets[set]->resize(counts[set]);
        for (CopyLabels& copy : *sets[set]) {
          // Alternatives beyond the 4 this master keeps are dropped.
          for (size_t group = 0; group < orgroups; ++group) {
            uint32_t mask = in_.u32();
            if (group < kLabelAlternatives) copy[group] = mask;
          }
        }
      }
      if (!defined.counts_valid()) return fail(where + " has a label count outside 1..9");
      if (!valid_class_name(defined.name)) return fail(where + " has a bad name");
      classes.set(static_cast<uint8_t>(id), std::move(defined));
    }
  }

  bool sessions(uint8_t version) {
    uint8_t layout = version;
    if (version <= 0x11) {
      uint16_t old = in_.u16();
      if (old == 1) {
        layout = 0x10;
      } else if (old == 2) {
        layout = 0x11;
      } else if (in_.ok()) {
        return fail("SESS: bad legacy version " + std::to_string(old));
      }
    }
    uint32_t next_id = in_.u32();
    uint16_t stats_count = in_.u16();
    if (!in_.ok()) return false;
    uint64_t record = 43 + (layout >= 0x11 ? 4 : 0) + (layout >= 0x13 ? 8 : 0) + (layout >= 0x14 ? 2 : 0) +
                      (layout >= 0x15 ? 4 : 0) + uint64_t{stats_count} * 8;
    Sessions& sessions = md_.sessions();
    for (;;) {
      if (!in_.need(record, "session record")) return false;
      SessionParameters p;
      uint32_t id = in_.u32();
      uint64_t any = 0;  // OR of every field, for the terminator check
      if (layout >= 0x13) any |= p.exports_checksum = in_.u64();
      uint32_t info_length = in_.u32();
      any |= info_length;
      any |= p.peer_ip = in_.u32();
      any |= p.root_inode = in_.u32();
      any |= p.sesflags = in_.u8();
      if (layout >= 0x14) any |= p.umask = in_.u16();
      any |= p.min_goal = in_.u8();
      any |= p.max_goal = in_.u8();
      any |= p.min_trashtime = in_.u32();
      any |= p.max_trashtime = in_.u32();
      any |= p.root_uid = in_.u32();
      any |= p.root_gid = in_.u32();
      any |= p.mapall_uid = in_.u32();
      any |= p.mapall_gid = in_.u32();
      if (layout >= 0x15) any |= p.disables = in_.u32();
      uint32_t disconnected = 0;
      if (layout >= 0x11) any |= disconnected = in_.u32();
      for (uint32_t i = 0; i < 2u * stats_count; ++i) any |= in_.u32();
      if (!in_.ok()) return false;
      if (id == 0) {
        if (any != 0) return fail("SESS: malformed terminator");
        break;
      }
      if (!in_.read_string(p.info, info_length)) return false;
      if (sessions.find(id)) return fail("SESS: session " + std::to_string(id) + " repeated");
      Session& session = sessions.add(id, std::move(p));
      session.disconnected_at = disconnected;
    }
    sessions.set_next_id(std::max(next_id, sessions.next_id()));
    return true;
  }

  bool nodes() {
    max_inode_ = in_.u32();
    in_.u32();  // node count: informational only, never trusted for sizing
    if (max_inode_ >= kFirstReservedInode) return fail("NODE: bad maximum i-node " + std::to_string(max_inode_));
    for (;;) {
      uint8_t type = in_.u8();
      if (!in_.ok()) return false;
      if (type == 0) break;
      if (type > 9) return fail("NODE: bad node type " + std::to_string(type));
      if (!in_.need(31, "node record")) return false;
      auto node = std::make_unique<Node>();
      node->type = static_cast<NodeType>(type);
      node->inode = in_.u32();
      uint8_t sclass = in_.u8();
      node->eattr = in_.u8();
      node->winattr = in_.u8();
      node->mode = in_.u16() & 07777;
      node->uid = in_.u32();
      node->gid = in_.u32();
      node->atime = in_.u32();
      node->mtime = in_.u32();
      node->ctime = in_.u32();
      node->trash_hours = in_.u16();
      node->sclass = (is_file_like(type) || type == 2) ? sclass : 0;
      if (node->inode == 0 || node->inode >= kFirstReservedInode) {
        return fail("NODE: bad i-node number " + std::to_string(node->inode));
      }
      if (fs_.find(node->inode) && !(node->inode == kRootInode && !root_loaded_)) {
        return fail("NODE: i-node " + std::to_string(node->inode) + " repeated");
      }
      switch (node->type) {
        case NodeType::kBlockDevice:
        case NodeType::kCharDevice:
          node->edit_extras().rdev = in_.u32();
          break;
        case NodeType::kSymlink: {
          uint32_t length = in_.u32();
          if (!in_.need(length, "symlink path")) return false;
          if (length > kMaxSymlinkLength) {
            in_.skip(length);
            node->edit_extras().symlink_target = std::string(kSymlinkTooLong);
            ++report_.symlinks_too_long;
          } else {
            in_.read_string(node->edit_extras().symlink_target, length);
          }
          break;
        }
        case NodeType::kFile:
        case NodeType::kTrash:
        case NodeType::kSustained: {
          node->length = in_.u64();
          uint32_t count = in_.u32();
          if (!in_.need(uint64_t{count} * 8, "chunk list")) return false;
          for (uint32_t index = 0; index < count; ++index) node->chunks.set(index, in_.u64());
          node->chunks.resize(count);
          break;
        }
        default:
          break;
      }
      if (!in_.ok()) return false;
      if (node->inode == kRootInode) {
        if (!node->is_directory()) return fail("NODE: root i-node is not a directory");
        root_loaded_ = true;
      }
      loaded_.push_back(&fs_.restore_node(std::move(*node)));
    }
    if (!root_loaded_) return fail("NODE: no root i-node");
    fs_.restore_counters(max_inode_, fs_.next_edge_id());
    return true;
  }

  bool edges() {
    if (!root_loaded_) return fail("EDGE before NODE");
    uint64_t next_edge_id = in_.u64();
    std::unordered_set<uint32_t> finished;  // directories whose entries are complete
    bool have_parent = false;
    uint32_t current_parent = 0;
    bool have_last_id = false;
    uint64_t last_id = 0;
    std::string name;
    for (;;) {
      if (!in_.need(18, "edge record")) return false;
      uint32_t parent = in_.u32();
      uint32_t child = in_.u32();
      uint64_t edge_id = in_.u64();
      uint16_t name_length = in_.u16();
      if (parent == 0 && child == 0) {
        if (edge_id != 0 || name_length != 0) return fail("EDGE: malformed terminator");
        break;
      }
      if (!in_.read_string(name, name_length)) return false;
      std::string where = "EDGE " + std::to_string(parent) + "->" + std::to_string(child) + ": ";
      if (name.empty()) return fail(where + "empty name");
      if (child == kRootInode) return fail(where + "entry pointing at the root");
      Node* node = fs_.find(child);
      if (!node) return fail(where + "no such child i-node");
      if (!have_parent || parent != current_parent) {
        if (have_parent) finished.insert(current_parent);
        if (finished.count(parent)) return fail(where + "parent node sequence error");
        have_parent = true;
        current_parent = parent;
        have_last_id = false;
      }
      bool unlinked = node->type == NodeType::kTrash || node->type == NodeType::kSustained;
      if (parent == 0) {
        if (!unlinked) return fail(where + "only trash and sustained files may have no parent");
      } else {
        if (unlinked) return fail(where + "trash or sustained file inside a directory");
        Node* directory = fs_.find(parent);
        if (!directory || !directory->is_directory()) return fail(where + "parent is not a directory");
        if (have_last_id && edge_id <= last_id) report_.edge_ids_unordered = true;
        have_last_id = true;
        last_id = edge_id;
        if (name.size() > kMaxNameLength) {
          name.resize(kMaxNameLength);
          ++report_.names_truncated;
        }
        if (node->is_directory()) {
          if (!node->parents.empty()) return fail(where + "directory with more than one entry");
          // A cycle is only possible if the child already has entries of its own.
          if (!node->directory->children.empty()) {
            for (const Node* up = directory; up != nullptr;) {
              if (up == node) return fail(where + "directory cycle");
              if (up->parents.empty()) break;
              up = fs_.find(up->parents.front()->parent);
            }
          }
        }
      }
      if (!fs_.restore_edge(parent, child, edge_id, std::move(name))) {
        return fail(where + "duplicate entry");
      }
      name = std::string();
    }
    fs_.restore_counters(max_inode_, next_edge_id);
    return true;
  }

  bool free_inodes() {
    uint32_t count = in_.u32();
    if (!in_.need(uint64_t{count} * 8, "free i-node list")) return false;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t inode = in_.u32();
      uint32_t freed_at = in_.u32();
      fs_.restore_freed_inode(inode, freed_at);
    }
    return in_.ok();
  }

  // Version 1.1 records carry a grace period, 1.0 ones use the default.
  bool quotas(uint8_t version) {
    uint32_t count = in_.u32();
    uint64_t record_size = version >= 0x11 ? 70 : 66;
    if (!in_.need(count * record_size, "quota records")) return false;
    QuotaTable& quotas = md_.quotas();
    for (uint32_t i = 0; i < count; ++i) {
      QuotaRecord record;
      record.inode = in_.u32();
      if (version >= 0x11) record.grace_period = in_.u32();
      uint8_t exceeded = in_.u8();
      record.flags = in_.u8();
      record.soft_since = in_.u32();
      record.soft.inodes = in_.u32();
      record.hard.inodes = in_.u32();
      record.soft.length = in_.u64();
      record.hard.length = in_.u64();
      record.soft.size = in_.u64();
      record.hard.size = in_.u64();
      record.soft.realsize = in_.u64();
      record.hard.realsize = in_.u64();
      if (!in_.ok()) return false;
      const Node* node = std::as_const(fs_).find(record.inode);
      if (!node || !node->is_directory()) {
        return fail("QUOT: quota on i-node " + std::to_string(record.inode) + " which is not a directory");
      }
      if (exceeded > 1) return fail("QUOT: bad exceeded flag");
      if (quotas.find(record.inode)) return fail("QUOT: i-node " + std::to_string(record.inode) + " has two quotas");
      record.exceeded = exceeded == 1;
      if (record.flags != 0) quotas.set(record);
    }
    return true;
  }

  bool xattrs() {
    std::unordered_set<uint32_t> finished;
    std::set<std::string> names;  // of the current i-node
    bool have_inode = false;
    uint32_t current = 0;
    for (;;) {
      if (!in_.need(9, "xattr record")) return false;
      uint32_t inode = in_.u32();
      uint8_t name_length = in_.u8();
      uint32_t value_length = in_.u32();
      if (inode == 0) {
        if (name_length != 0 || value_length != 0) return fail("XATR: malformed terminator");
        return true;
      }
      std::string where = "XATR of i-node " + std::to_string(inode) + ": ";
      if (name_length == 0) return fail(where + "empty name");
      if (value_length > kMaxXattrValue) return fail(where + "value too long");
      std::string name;
      std::string value;
      if (!in_.read_string(name, name_length) || !in_.read_string(value, value_length)) return false;
      if (!have_inode || inode != current) {
        if (have_inode) finished.insert(current);
        if (finished.count(inode)) return fail(where + "records not consecutive");
        have_inode = true;
        current = inode;
        names.clear();
      }
      if (!names.insert(name).second) return fail(where + "attribute repeated");
      Node* node = fs_.find(inode);
      if (!node) {
        ++report_.xattrs_skipped;
        continue;
      }
      node->edit_extras().xattrs.emplace_back(std::move(name), std::move(value));
    }
  }

  bool acls(uint8_t version) {
    for (;;) {
      if (!in_.need(17, "ACL record")) return false;
      uint32_t inode = in_.u32();
      uint8_t type = in_.u8();
      PosixAcl acl;
      AclEntryCounts counts = read_acl_base(in_, acl);
      if (inode == 0) {
        if (type | acl.user | acl.group | acl.other | acl.mask | counts.users | counts.groups) {
          return fail("PACL: malformed terminator");
        }
        return true;
      }
      std::string where = "PACL of i-node " + std::to_string(inode) + ": ";
      std::string entries;
      if (!in_.read_string(entries, (uint64_t{counts.users} + counts.groups) * kEncodedAclEntrySize)) return false;
      if (!decode_acl_entries(entries, counts.users, counts.groups, acl)) return fail(where + "bad entry list");
      std::optional<AclType> acl_type = acl_type_of(type);
      if (!acl_type) return fail(where + "bad ACL type " + std::to_string(type));
      Node* node = fs_.find(inode);
      if (!node) {
        ++report_.acls_skipped;
        continue;
      }
      if (version == 0x10 && acl.mask == 0) {  // 1.0 wrote no mask as 0; the base entries follow the mode
        acl.mask = 7;
        acl.user = (node->mode >> 6) & 7;
        acl.other = node->mode & 7;
      }
      std::unique_ptr<PosixAcl>& slot = node->edit_acl(*acl_type);
      if (slot) return fail(where + "ACL repeated");
      slot = std::make_unique<PosixAcl>(std::move(acl));
    }
  }

  bool open_files() {
    for (;;) {
      if (!in_.need(8, "open file record")) return false;
      uint32_t session_id = in_.u32();
      uint32_t inode = in_.u32();
      if (session_id == 0 && inode == 0) return true;
      if (session_id == 0 || inode == 0) return fail("OPEN: record with a zero session or i-node");
      Session* session = md_.sessions().find(session_id);
      if (!session || !fs_.find(inode)) {
        ++report_.open_files_dropped;
        continue;
      }
      session->open_inodes.insert(inode);  // open counts: rebuild_derived_state()
    }
  }

  bool chunks(uint8_t version) {
    ChunkTable& table = md_.chunks();
    uint64_t next_id = in_.u64();
    const uint64_t record = version >= 0x11 ? 17 : 16;
    for (;;) {
      if (!in_.need(record, "chunk record")) return false;
      uint64_t id = in_.u64();
      uint32_t chunk_version = in_.u32();
      uint32_t locked_to = in_.u32();
      uint8_t archived = version >= 0x11 ? in_.u8() : 0;
      if (id == 0) {
        if (chunk_version != 0 || locked_to != 0 || archived != 0) return fail("CHNK: wrong ending");
        break;
      }
      if (archived > 1) return fail("CHNK: bad archive flag");
      if (table.find(id)) return fail("CHNK: chunk " + std::to_string(id) + " repeated");
      // The image does not say whether a lock is a version change's: taken as not, so that
      // nothing is taken back (as on 3.0.117).
      table.add(id, chunk_version, locked_to).archived = archived != 0;
    }
    table.set_next_id(std::max(next_id, table.next_id()));
    return true;
  }

  // Load-time checks and derived state (§3.18).
  bool finish() {
    if (!root_loaded_) return fail("no root i-node");
    const ChunkTable& table = md_.chunks();
    for (Node* node : loaded_) {
      if (node->inode != kRootInode && node->parents.empty()) {
        return fail("i-node " + std::to_string(node->inode) + " has no directory entry");
      }
      if (!node->is_file_like()) continue;
      std::vector<uint32_t> unknown;  // chunks missing from CHNK: their slots become holes
      for (const ChunkList::Slot& slot : node->chunks) {
        if (!table.find(slot.id)) unknown.push_back(slot.index);
      }
      for (uint32_t index : unknown) node->chunks.set(index, 0);
      report_.chunk_references_cleared += unknown.size();
    }
    // Chunk reference counts and goals (highest class of the referencing files), open
    // counts of the OPEN pairs, reusable i-node numbers; the same as after a checkpoint.
    md_.rebuild_derived_state();
    return true;
  }

  Input& in_;
  Metadata& md_;
  FsTree& fs_;
  ImageExtras* extras_;
  ImageLoadReport& report_;
  bool root_loaded_ = false;
  uint32_t max_inode_ = kRootInode;
  std::vector<Node*> loaded_;
};

// An open read-only file descriptor, closed on scope exit.
class FileHandle {
 public:
  explicit FileHandle(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~FileHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

Status open_error(const std::string& path, const char* what) {
  return Status(errno == ENOENT ? StatusCode::kENOENT : StatusCode::kIO,
                std::string(what) + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<ImageHeader> probe_metadata_image(const std::string& path) {
  FileHandle file(path);
  if (file.fd() < 0) return open_error(path, "cannot open");
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) return open_error(path, "cannot stat");
  Input in(file.fd(), static_cast<uint64_t>(st.st_size));
  char signature[kSignatureSize];
  if (in.size() < kSignatureSize) return Status(StatusCode::kEINVAL, path + ": too short");
  in.read(signature, kSignatureSize);
  std::string_view sig(signature, kSignatureSize);
  ImageHeader header;
  if (sig == "MFSM NEW") {
    header.is_new = true;
    return header;
  }
  if (sig.substr(0, 5) != "MFSM " || sig[5] < '1' || sig[5] > '9' || sig[6] != '.' || sig[7] < '0' || sig[7] > '9') {
    return Status(StatusCode::kEINVAL, path + ": not a MooseFS metadata file");
  }
  header.format_version = static_cast<uint8_t>((sig[5] - '0') << 4 | (sig[7] - '0'));
  if (in.size() < kHeaderSize + kMarkerSize) return Status(StatusCode::kEINVAL, path + ": too short");
  char tail[kMarkerSize];
  if (!in.read_at(in.size() - kMarkerSize, tail, kMarkerSize)) return Status(StatusCode::kIO, in.error());
  std::string_view tail_view(tail, kMarkerSize);
  bool tail_ok = header.format_version >= 0x16 ? tail_view == kEofMarker
                                               : tail_view == std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
  if (!tail_ok) return Status(StatusCode::kEINVAL, path + ": end marker missing");
  if (header.format_version >= 0x20) {
    header.metaversion = in.u64();
    header.metaid = in.u64();
  } else {
    in.u32();
    header.metaversion = in.u64();
  }
  if (!in.ok()) return Status(StatusCode::kIO, in.error());
  return header;
}

Status load_metadata_image_bytes(std::span<const uint8_t> image, Metadata& into, ImageExtras* extras, uint32_t now,
                                 ImageLoadReport* report) {
  Input in(image);
  ImageLoadReport local;
  return ImageLoader(in, into, extras, report ? *report : local).load(now, "metadata image");
}

Status load_metadata_image(const std::string& path, Metadata& into, ImageExtras* extras, uint32_t now,
                           ImageLoadReport* report) {
  FileHandle file(path);
  if (file.fd() < 0) return open_error(path, "cannot open");
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) return open_error(path, "cannot stat");
  Input in(file.fd(), static_cast<uint64_t>(st.st_size));
  ImageLoadReport local;
  return ImageLoader(in, into, extras, report ? *report : local).load(now, path);
}

Status validate_image_section(const std::string& tag, uint8_t version, std::string_view body) {
  int index = section_index(tag);
  if (index < 0 || !kSections[index].opaque) return Status(StatusCode::kEINVAL, "not an opaque section: " + tag);
  if (version < kSections[index].min_version || version > kSections[index].max_version) {
    return Status(StatusCode::kEINVAL, tag + ": unsupported version " + version_text(version));
  }
  Input in(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  OpaqueValidator validator(in);
  if (!validator.validate(tag, version)) return Status(StatusCode::kEINVAL, in.error());
  if (in.position() != body.size()) return Status(StatusCode::kEINVAL, tag + ": trailing bytes in section");
  return Status::ok();
}

}  // namespace mfs::master
