// mfsexports.cfg (spec 40 §C.4): which client addresses may mount which paths with
// which session parameters, and the selection of the entry granted to a registering
// client (spec 10 §3.3 step 1, §3.4).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"
#include "mfscommon/session_flags.h"

namespace mfs::master {

using Md5Digest = std::array<uint8_t, 16>;

struct ExportEntry {
  uint32_t fromip = 0;
  uint32_t toip = 0xFFFFFFFF;
  // Without leading and trailing '/'; "" is the root. Empty for meta entries.
  std::string path;
  bool meta = false;  // path "." in the file: the meta file system (trash, sustained)
  bool alldirs = false;
  std::optional<Md5Digest> password_digest;  // MD5 of the password when one is required
  uint32_t minversion = 0;                   // X<<16 | Y<<8 | Z, compared to packed client versions
  uint8_t sesflags = sesflag::kReadOnly;
  uint16_t umask = 0;
  uint32_t rootuid = 999;
  uint32_t rootgid = 999;
  uint32_t mapalluid = 999;
  uint32_t mapallgid = 999;
  uint8_t mingoal = 1;
  uint8_t maxgoal = 9;
  uint32_t mintrashtime = 0;
  uint32_t maxtrashtime = 0xFFFFFFFF;
  uint32_t disables = 0;
  bool rootredefined = false;  // maproot was given explicitly
  uint32_t line = 0;           // line number in the file, for messages

  bool readonly() const { return sesflags & sesflag::kReadOnly; }
  bool admin() const { return sesflags & sesflag::kAdmin; }
  bool needs_password() const { return password_digest.has_value(); }
};

class Exports {
 public:
  Exports() = default;

  // Parses the file text. Bad lines are skipped; every skipped line and every ignored
  // option is reported in `warnings` with its line number.
  static Exports parse(std::string_view text, std::vector<std::string>* warnings = nullptr);
  // ENOENT "mfsexports configuration file (PATH) not found" when the file can't be read.
  static Result<Exports> load(const std::string& path, std::vector<std::string>* warnings = nullptr);

  // The entry granted to a client at `ip` with packed `client_version` registering for
  // `path` (leading/trailing '/' ignored) or, with `meta`, for the meta file system.
  // `random32` is the GETRANDOM challenge of the connection (null if none was sent),
  // `passcode16` the proof sent by the client (null if none).
  // Errors: kNoPassword, kBadPassword (only a password-protected entry would have
  // matched), kEACCES.
  Result<const ExportEntry*> match(uint32_t ip, uint32_t client_version, std::string_view path, bool meta,
                                   const uint8_t* random32, const uint8_t* passcode16) const;

  // Content checksum (spec 40 §C.4.6), stored in sessions and reported by CLTOMA_INFO.
  uint64_t checksum() const;

  const std::vector<ExportEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<ExportEntry> entries_;
};

// MD5 of `text`, the digest `password=` stores.
Md5Digest md5(std::string_view text);

// The client's password proof: MD5(random[0..15] ‖ digest ‖ random[16..31]).
Md5Digest password_proof(const uint8_t* random32, const Md5Digest& digest);

}  // namespace mfs::master
