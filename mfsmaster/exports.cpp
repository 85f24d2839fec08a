#include "mfsmaster/exports.h"

#include <grp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pwd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <span>
#include <sstream>
#include <tuple>
#include <utility>

#include "mfscommon/crc32.h"
#include "mfsmaster/config_text.h"

namespace mfs::master {
namespace {

constexpr size_t kMaxLineLength = 10000;

// disable= names; the bit of a name is its index (spec 40 §C.4.4).
constexpr std::string_view kDisableNames[] = {
    "chown",        "chmod",    "symlink",  "mkfifo",    "mkdev",    "mksock",   "mkdir",   "unlink",   "rmdir",
    "rename",       "move",     "link",     "create",    "readdir",  "read",     "write",   "truncate", "setlength",
    "appendchunks", "snapshot", "settrash", "setsclass", "seteattr", "setxattr", "setfacl",
};
static_assert(std::size(kDisableNames) == 25);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// getpw*_r / getgr*_r with a buffer grown until the entry fits.
template <typename Entry, typename Lookup>
std::optional<Entry> lookup_account(Lookup lookup) {
  std::vector<char> buffer(4096);
  while (buffer.size() <= (size_t{1} << 20)) {
    Entry entry;
    Entry* found = nullptr;
    int error = lookup(&entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (error != 0 || found == nullptr) return std::nullopt;
    return entry;
  }
  return std::nullopt;
}

std::optional<passwd> user_by_name(const std::string& name) {
  return lookup_account<passwd>([&](passwd* entry, char* buffer, size_t size, passwd** found) {
    return getpwnam_r(name.c_str(), entry, buffer, size, found);
  });
}

std::optional<passwd> user_by_uid(uint32_t uid) {
  return lookup_account<passwd>([&](passwd* entry, char* buffer, size_t size, passwd** found) {
    return getpwuid_r(uid, entry, buffer, size, found);
  });
}

std::optional<uint32_t> group_by_name(const std::string& name) {
  auto group = lookup_account<struct group>([&](struct group* entry, char* buffer, size_t size, struct group** found) {
    return getgrnam_r(name.c_str(), entry, buffer, size, found);
  });
  if (!group) return std::nullopt;
  return group->gr_gid;
}

bool valid_account_name(std::string_view name) { return !name.empty() && name.find('\0') == std::string_view::npos; }

// USER[:GROUP] → uid:gid; without GROUP the user's primary group from the database.
std::optional<std::pair<uint32_t, uint32_t>> resolve_ids(std::string_view spec) {
  bool has_group = spec.find(':') != std::string_view::npos;
  std::string_view user = take_until(spec, ':');
  if (!valid_account_name(user)) return std::nullopt;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> primary_gid;
  if (all_digits(user)) {
    if (auto number = parse_decimal(user, 0xFFFFFFFF)) uid = static_cast<uint32_t>(*number);
    if (uid && !has_group) {
      if (auto entry = user_by_uid(*uid)) primary_gid = entry->pw_gid;
    }
  } else if (auto entry = user_by_name(std::string(user))) {
    uid = entry->pw_uid;
    primary_gid = entry->pw_gid;
  }
  if (!uid) return std::nullopt;
  if (!has_group) {
    if (!primary_gid) return std::nullopt;
    return std::make_pair(*uid, *primary_gid);
  }
  if (!valid_account_name(spec)) return std::nullopt;
  std::optional<uint32_t> gid;
  if (all_digits(spec)) {
    if (auto number = parse_decimal(spec, 0xFFFFFFFF)) gid = static_cast<uint32_t>(*number);
  } else {
    gid = group_by_name(std::string(spec));
  }
  if (!gid) return std::nullopt;
  return std::make_pair(*uid, *gid);
}

// Seconds, or [Nw][Nd][Nh][Nm][Ns] with the units in this order, each at most once.
std::optional<uint32_t> parse_trash_time(std::string_view text) {
  if (all_digits(text)) {
    auto seconds = parse_decimal(text, 0xFFFFFFFF);
    if (!seconds) return std::nullopt;
    return static_cast<uint32_t>(*seconds);
  }
  constexpr std::string_view kUnits = "wdhms";
  constexpr uint64_t kUnitSeconds[] = {604800, 86400, 3600, 60, 1};
  uint64_t total = 0;
  size_t next_unit = 0;
  if (text.empty()) return std::nullopt;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits == text.size()) return std::nullopt;
    auto count = parse_decimal(text.substr(0, digits), 0xFFFFFFFF);
    size_t unit = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text[digits]))));
    if (!count || unit == std::string_view::npos || unit < next_unit) return std::nullopt;
    total += *count * kUnitSeconds[unit];  // both factors < 2^32: no overflow
    if (total > 0xFFFFFFFF) return std::nullopt;
    next_unit = unit + 1;
    text.remove_prefix(digits + 1);
  }
  return static_cast<uint32_t>(total);
}

// X[.Y[.Z]] → X<<16 | Y<<8 | Z.
std::optional<uint32_t> parse_minversion(std::string_view text) {
  if (std::count(text.begin(), text.end(), '.') > 2) return std::nullopt;
  uint32_t packed = 0;
  int shift = 16;
  while (true) {
    size_t dot = text.find('.');
    auto part = parse_decimal(text.substr(0, dot), 255);
    if (!part) return std::nullopt;
    packed |= static_cast<uint32_t>(*part) << shift;
    if (dot == std::string_view::npos) return packed;
    text.remove_prefix(dot + 1);
    shift -= 8;
  }
}

// Exactly "0" and three octal digits.
std::optional<uint16_t> parse_umask(std::string_view text) {
  if (text.size() != 4 || text[0] != '0') return std::nullopt;
  uint16_t value = 0;
  for (char c : text.substr(1)) {
    if (c < '0' || c > '7') return std::nullopt;
    value = static_cast<uint16_t>(value * 8 + (c - '0'));
  }
  return value;
}

std::optional<Md5Digest> parse_md5_hex(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  Md5Digest digest{};
  for (size_t i = 0; i < 32; ++i) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    int nibble = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (nibble < 0) return std::nullopt;
    digest[i / 2] = static_cast<uint8_t>(digest[i / 2] << 4 | nibble);
  }
  return digest;
}

// Applies the options of one line and reports about it; a bad value rejects the line.
class LineParser {
 public:
  LineParser(uint32_t line_number, std::vector<std::string>* warnings)
      : line_number_(line_number), warnings_(warnings) {}

  void warn(std::string_view message) {
    if (warnings_)
      warnings_->push_back("mfsexports: line " + std::to_string(line_number_) + ": " + std::string(message));
  }
  void reject(std::string_view reason) { warn(std::string(reason) + " - line ignored"); }

  // Applies a comma-separated option list to `entry`. `meta_line` marks a "." line,
  // where the options that only make sense for the file system tree are ignored.
  bool apply_options(std::string_view options, ExportEntry& entry, bool meta_line) {
    while (!options.empty()) {
      std::string_view option = trim_blanks(take_until(options, ','));
      if (!option.empty() && !apply_option(option, entry, meta_line)) return false;
    }
    if (entry.mingoal > entry.maxgoal) {
      reject("mingoal greater than maxgoal");
      return false;
    }
    if (entry.mintrashtime > entry.maxtrashtime) {
      reject("mintrashtime greater than maxtrashtime");
      return false;
    }
    return true;
  }

 private:
  bool apply_option(std::string_view option, ExportEntry& entry, bool meta_line) {
    size_t equals = option.find('=');
    std::string_view name = option.substr(0, equals);
    std::optional<std::string_view> value;
    if (equals != std::string_view::npos) value = option.substr(equals + 1);

    constexpr std::string_view kNotForMeta[] = {"alldirs", "ignoregid", "admin", "canchangequota", "mapall", "disable"};
    if (meta_line && std::find(std::begin(kNotForMeta), std::end(kNotForMeta), name) != std::end(kNotForMeta)) {
      warn("option '" + std::string(name) + "' ignored on meta ('.') line");
      return true;
    }
    if (!value) return apply_flag(name, entry);
    return apply_value(name, *value, entry);
  }

  bool apply_flag(std::string_view name, ExportEntry& entry) {
    if (name == "ro" || name == "readonly") {
      entry.sesflags |= sesflag::kReadOnly;
    } else if (name == "rw" || name == "readwrite") {
      entry.sesflags &= static_cast<uint8_t>(~sesflag::kReadOnly);
    } else if (name == "alldirs") {
      entry.alldirs = true;
    } else if (name == "dynamicip") {
      entry.sesflags |= sesflag::kDynamicIp;
    } else if (name == "ignoregid") {
      entry.sesflags |= sesflag::kIgnoreGid;
    } else if (name == "admin" || name == "canchangequota") {
      entry.sesflags |= sesflag::kAdmin;
    } else if (needs_value(name)) {
      reject("option '" + std::string(name) + "' needs a value");
      return false;
    } else {
      warn("unknown option '" + std::string(name) + "' (ignored)");
    }
    return true;
  }

  static bool needs_value(std::string_view name) {
    constexpr std::string_view kNames[] = {"maproot",      "mapall",  "password", "md5pass",
                                           "minversion",   "mingoal", "maxgoal",  "mintrashtime",
                                           "maxtrashtime", "umask",   "disable"};
    return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
  }

  bool apply_value(std::string_view name, std::string_view value, ExportEntry& entry) {
    auto bad = [&] {
      reject("bad " + std::string(name) + " value '" + std::string(value) + "'");
      return false;
    };
    if (name == "maproot" || name == "mapall") {
      auto ids = resolve_ids(value);
      if (!ids) return bad();
      if (name == "maproot") {
        std::tie(entry.rootuid, entry.rootgid) = *ids;
        entry.rootredefined = true;
      } else {
        std::tie(entry.mapalluid, entry.mapallgid) = *ids;
        entry.sesflags |= sesflag::kMapAll;
      }
    } else if (name == "password") {
      entry.password_digest = md5(value);
    } else if (name == "md5pass") {
      auto digest = parse_md5_hex(value);
      if (!digest) return bad();
      entry.password_digest = digest;
    } else if (name == "minversion") {
      auto version = parse_minversion(value);
      if (!version) return bad();
      entry.minversion = *version;
    } else if (name == "mingoal" || name == "maxgoal") {
      auto goal = parse_decimal(value, 9);
      if (!goal || *goal < 1) return bad();
      (name == "mingoal" ? entry.mingoal : entry.maxgoal) = static_cast<uint8_t>(*goal);
    } else if (name == "mintrashtime" || name == "maxtrashtime") {
      auto seconds = parse_trash_time(value);
      if (!seconds) return bad();
      (name == "mintrashtime" ? entry.mintrashtime : entry.maxtrashtime) = *seconds;
    } else if (name == "umask") {
      auto umask = parse_umask(value);
      if (!umask) return bad();
      entry.umask = *umask;
    } else if (name == "disable") {
      apply_disables(value, entry);
    } else {
      warn("unknown option '" + std::string(name) + "' (ignored)");
    }
    return true;
  }

  void apply_disables(std::string_view list, ExportEntry& entry) {
    while (!list.empty()) {
      std::string_view operation = take_until(list, ':');
      auto known = std::find(std::begin(kDisableNames), std::end(kDisableNames), operation);
      if (known == std::end(kDisableNames)) {
        warn("unknown disable operation '" + std::string(operation) + "' (ignored)");
      } else {
        entry.disables |= uint32_t{1} << (known - std::begin(kDisableNames));
      }
    }
  }

  uint32_t line_number_;
  std::vector<std::string>* warnings_;
};

// Derived values that depend on the whole option list of a line.
void finish_entry(ExportEntry& entry) {
  if (entry.meta) {
    // Meta mounts act as root on the trash; tree-only parameters inherited from a
    // DEFAULTS line do not apply.
    entry.alldirs = false;
    entry.sesflags &= sesflag::kReadOnly | sesflag::kDynamicIp;
    entry.mapalluid = entry.mapallgid = 999;
    entry.disables = 0;
    if (!entry.rootredefined) entry.rootuid = entry.rootgid = 0;
  } else if ((entry.sesflags & sesflag::kMapAll) && !entry.rootredefined) {
    entry.rootuid = entry.mapalluid;
    entry.rootgid = entry.mapallgid;
  }
}

// MurmurHash3_x86_32 over data fed in pieces. The 4-byte blocks are read big-endian:
// that is what reproduces the exports checksum MooseFS 3.0.117 wrote in spec 30 §3.21
// (see entry_checksum); the tail and finalisation are the published ones.
class Murmur3 {
 public:
  explicit Murmur3(uint32_t seed) : hash_(seed) {}

  void update(std::span<const uint8_t> data) {
    for (uint8_t byte : data) {
      pending_[pending_size_++] = byte;
      if (pending_size_ == 4) {
        uint32_t block =
            uint32_t{pending_[0]} << 24 | uint32_t{pending_[1]} << 16 | uint32_t{pending_[2]} << 8 | pending_[3];
        hash_ ^= scramble(block);
        hash_ = rotl(hash_, 13) * 5 + 0xE6546B64;
        pending_size_ = 0;
      }
    }
    length_ += static_cast<uint32_t>(data.size());
  }

  uint32_t finish() const {
    uint32_t hash = hash_;
    uint32_t tail = 0;
    for (size_t i = pending_size_; i > 0; --i) tail = tail << 8 | pending_[i - 1];
    if (pending_size_ > 0) hash ^= scramble(tail);
    hash ^= length_;
    hash ^= hash >> 16;
    hash *= 0x85EBCA6B;
    hash ^= hash >> 13;
    hash *= 0xC2B2AE35;
    hash ^= hash >> 16;
    return hash;
  }

 private:
  static uint32_t rotl(uint32_t value, int bits) { return value << bits | value >> (32 - bits); }
  static uint32_t scramble(uint32_t block) { return rotl(block * 0xCC9E2D51, 15) * 0x1B873593; }

  uint32_t hash_;
  uint32_t length_ = 0;
  uint8_t pending_[4] = {};
  size_t pending_size_ = 0;
};

class BigEndianWriter {
 public:
  explicit BigEndianWriter(std::span<uint8_t> out) : out_(out) {}
  void put(uint64_t value, size_t bytes) {
    for (size_t i = bytes; i > 0; --i) out_[position_++] = static_cast<uint8_t>(value >> (8 * (i - 1)));
  }
  void put(std::span<const uint8_t> bytes) {
    std::copy(bytes.begin(), bytes.end(), out_.begin() + static_cast<ptrdiff_t>(position_));
    position_ += bytes.size();
  }
  size_t size() const { return position_; }

 private:
  std::span<uint8_t> out_;
  size_t position_ = 0;
};

uint64_t entry_checksum(const ExportEntry& entry) {
  std::array<uint8_t, 62> record{};
  BigEndianWriter out(record);
  out.put(entry.fromip, 4);
  out.put(entry.toip, 4);
  out.put(entry.minversion, 4);
  out.put(entry.password_digest.value_or(Md5Digest{}));
  out.put(uint8_t(entry.alldirs << 3 | entry.needs_password() << 2 | entry.meta << 1 | entry.rootredefined), 1);
  out.put(entry.sesflags, 1);
  out.put(entry.mingoal, 1);
  out.put(entry.maxgoal, 1);
  out.put(entry.umask, 2);
  for (uint32_t field : {entry.mintrashtime, entry.maxtrashtime, entry.rootuid, entry.rootgid, entry.mapalluid,
                         entry.mapallgid, entry.disables}) {
    out.put(field, 4);
  }
  std::span<const uint8_t> path(reinterpret_cast<const uint8_t*>(entry.path.data()), entry.path.size());
  // "CRC started from 0xFFFFFFFF in the MooseFS CRC routine": that routine, like
  // zlib's crc32() and mfs::crc32, inverts the value it is given on entry and exit, so
  // passing 0xFFFFFFFF means the shift register starts at 0 (a zlib CRC is crc32(0, …)).
  // This reading reproduces the checksum in spec 30 §3.21 (see the unit tests).
  uint32_t crc = mfs::crc32(mfs::crc32(0xFFFFFFFF, record), path);
  Murmur3 murmur(0);
  murmur.update(record);
  murmur.update(path);
  return uint64_t{crc} << 32 | murmur.finish();
}

std::string_view strip_slashes(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path;
}

bool path_allowed(const ExportEntry& entry, std::string_view path) {
  if (path == entry.path) return true;
  if (!entry.alldirs) return false;
  if (entry.path.empty()) return true;
  return path.size() > entry.path.size() && path.starts_with(entry.path) && path[entry.path.size()] == '/';
}

// Spec 10 §3.3: a later match wins if any one of these holds.
bool replaces(const ExportEntry& candidate, const ExportEntry& best) {
  return (!candidate.readonly() && best.readonly()) || (candidate.rootuid == 0 && best.rootuid != 0) ||
         (candidate.admin() && !best.admin()) || (candidate.needs_password() && !best.needs_password()) ||
         candidate.path.size() > best.path.size();
}

bool proof_matches(const uint8_t* random32, const Md5Digest& digest, const uint8_t* passcode16) {
  Md5Digest expected = password_proof(random32, digest);
  return CRYPTO_memcmp(expected.data(), passcode16, expected.size()) == 0;
}

}  // namespace

Md5Digest md5(std::string_view text) {
  Md5Digest digest{};
  EVP_Digest(text.data(), text.size(), digest.data(), nullptr, EVP_md5(), nullptr);
  return digest;
}

Md5Digest password_proof(const uint8_t* random32, const Md5Digest& digest) {
  std::array<uint8_t, 48> input{};
  std::copy(random32, random32 + 16, input.begin());
  std::copy(digest.begin(), digest.end(), input.begin() + 16);
  std::copy(random32 + 16, random32 + 32, input.begin() + 32);
  return md5(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
}

Exports Exports::parse(std::string_view text, std::vector<std::string>* warnings) {
  Exports exports;
  ExportEntry defaults;
  uint32_t line_number = 0;
  while (!text.empty()) {
    std::string_view line = take_until(text, '\n');
    ++line_number;
    LineParser parser(line_number, warnings);
    while (!line.empty() && (line.back() == '\r' || is_blank(line.back()))) line.remove_suffix(1);
    while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > kMaxLineLength) {
      parser.reject("line too long");
      continue;
    }
    auto next_word = [&line] {
      size_t end = std::find_if(line.begin(), line.end(), is_blank) - line.begin();
      std::string_view word = line.substr(0, end);
      line = trim_blanks(line.substr(end));
      return word;
    };
    std::string_view first = next_word();
    if (iequals(first, "DEFAULTS")) {
      ExportEntry candidate;
      if (line.empty()) {
        parser.reject("DEFAULTS without options");
      } else if (parser.apply_options(line, candidate, false)) {
        defaults = candidate;
      }
      continue;
    }
    auto range = parse_address(first);
    if (!range) {
      parser.reject("bad address '" + std::string(first) + "'");
      continue;
    }
    std::string_view path = next_word();
    if (path != "." && !path.starts_with('/')) {
      parser.reject(path.empty() ? std::string("missing path") : "bad path '" + std::string(path) + "'");
      continue;
    }
    ExportEntry entry = defaults;
    entry.line = line_number;
    std::tie(entry.fromip, entry.toip) = *range;
    entry.meta = path == ".";
    entry.path = entry.meta ? std::string() : std::string(strip_slashes(path));
    if (!parser.apply_options(line, entry, entry.meta)) continue;
    finish_entry(entry);
    exports.entries_.push_back(std::move(entry));
  }
  return exports;
}

Result<Exports> Exports::load(const std::string& path, std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kENOENT, "mfsexports configuration file (" + path + ") not found");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), warnings);
}

Result<const ExportEntry*> Exports::match(uint32_t ip, uint32_t client_version, std::string_view path, bool meta,
                                          const uint8_t* random32, const uint8_t* passcode16) const {
  path = strip_slashes(path);
  bool have_random = random32 != nullptr && std::any_of(random32, random32 + 32, [](uint8_t b) { return b != 0; });
  bool proof_given = have_random && passcode16 != nullptr;
  bool password_failed = false;
  const ExportEntry* best = nullptr;
  for (const ExportEntry& entry : entries_) {
    if (ip < entry.fromip || ip > entry.toip || client_version < entry.minversion || entry.meta != meta) continue;
    if (!meta && !path_allowed(entry, path)) continue;
    if (entry.password_digest) {
      if (!proof_given || !proof_matches(random32, *entry.password_digest, passcode16)) {
        password_failed = true;
        continue;
      }
    }
    if (best == nullptr || replaces(entry, *best)) best = &entry;
  }
  if (best) return best;
  if (password_failed) return proof_given ? StatusCode::kBadPassword : StatusCode::kNoPassword;
  return StatusCode::kEACCES;
}

uint64_t Exports::checksum() const {
  uint64_t sum = 0;
  for (const ExportEntry& entry : entries_) sum += entry_checksum(entry);
  return sum;
}

}  // namespace mfs::master
