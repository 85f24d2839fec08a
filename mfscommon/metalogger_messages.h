// Typed messages of the metalogger <-> master link (spec 40 §A) and their codecs. Both sides
// use them: the master decodes what a metalogger sends (decode_from_metalogger) and encodes
// the change stream and the downloads; the metalogger decodes what the master sends
// (decode_from_master) and encodes its registration and download requests.
//
// Decoders accept exactly the lengths the 3.0.117 receivers accept and never read out of
// bounds; anything else is an error Status saying why. Every encode() returns a complete
// frame for PacketConnection::send.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mfscommon/any_messages.h"
#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/status.h"

namespace mfs::mlmsg {

// Largest payload either side accepts (spec 40 §A.1).
inline constexpr uint32_t kMaxPayload = 1500000;
// Largest change text a master sends in one MATOAN_METACHANGES_LOG.
inline constexpr size_t kMaxChangeText = 200000;
// The filenum values of ANTOMA_DOWNLOAD_START (§A.5).
inline constexpr uint8_t kDownloadMetadata = 1;
inline constexpr uint8_t kDownloadSessions = 2;
inline constexpr uint8_t kDownloadChangelog0 = 11;
inline constexpr uint8_t kDownloadChangelog1 = 12;

// ANTOMA_REGISTER: rver 1 (`version:u32 timeout:u16`) or rver 2 (`... nextversion:u64`),
// which asks for the changes from `next_version` on.
struct Register {
  static constexpr uint32_t kType = msg::ANTOMA_REGISTER;
  uint32_t version = 0;  // the metalogger's packed version
  uint16_t timeout = 0;  // its MASTER_TIMEOUT, seconds
  std::optional<uint64_t> next_version;
  bool operator==(const Register&) const = default;
};

// MATOAN_METACHANGES_LOG 0xFF: one changelog entry; `text` is the line after "VERSION: "
// without its newline (the frame carries it NUL-terminated).
struct MetaChange {
  static constexpr uint32_t kType = msg::MATOAN_METACHANGES_LOG;
  uint64_t version = 0;
  std::string text;
  bool operator==(const MetaChange&) const = default;
};

// MATOAN_METACHANGES_LOG 0x55: the master has rotated its changelog.
struct ChangelogRotated {
  static constexpr uint32_t kType = msg::MATOAN_METACHANGES_LOG;
  bool operator==(const ChangelogRotated&) const = default;
};

struct DownloadStart {
  static constexpr uint32_t kType = msg::ANTOMA_DOWNLOAD_START;
  uint8_t filenum = 0;
  bool operator==(const DownloadStart&) const = default;
};

// MATOAN_DOWNLOAD_INFO: the file's size, or nullopt for the 1-byte error answer.
struct DownloadInfo {
  static constexpr uint32_t kType = msg::MATOAN_DOWNLOAD_INFO;
  std::optional<uint64_t> size;
  bool operator==(const DownloadInfo&) const = default;
};

struct DownloadRequest {
  static constexpr uint32_t kType = msg::ANTOMA_DOWNLOAD_REQUEST;
  uint64_t offset = 0;
  uint32_t length = 0;
  bool operator==(const DownloadRequest&) const = default;
};

// MATOAN_DOWNLOAD_DATA: `offset:u64 leng:u32 crc:u32 data`; encode() computes the CRC,
// decoding keeps the one received so that the receiver can check it.
struct DownloadData {
  static constexpr uint32_t kType = msg::MATOAN_DOWNLOAD_DATA;
  uint64_t offset = 0;
  uint32_t crc = 0;
  std::vector<uint8_t> data;
  bool operator==(const DownloadData&) const = default;
};

struct DownloadEnd {
  static constexpr uint32_t kType = msg::ANTOMA_DOWNLOAD_END;
  bool operator==(const DownloadEnd&) const = default;
};

using MetaloggerToMaster = std::variant<Register, DownloadStart, DownloadRequest, DownloadEnd, anymsg::Ignorable,
                                        anymsg::GetVersion, anymsg::GetConfig>;
using MasterToMetalogger = std::variant<MetaChange, ChangelogRotated, DownloadInfo, DownloadData, anymsg::Ignorable>;

// Master side. Registration variants other than 1 and 2 (3 and 4 are MooseFS Pro's
// followers) are errors too.
Result<MetaloggerToMaster> decode_from_metalogger(const Packet& packet);
// Metalogger side. 0xAA entries (acknowledged changes of Pro masters) are errors, as for the
// 3.0.117 metalogger.
Result<MasterToMetalogger> decode_from_master(const Packet& packet);

std::vector<uint8_t> encode(const Register& message);
// At most kMaxChangeText bytes of `text` are sent.
std::vector<uint8_t> encode(const MetaChange& message);
std::vector<uint8_t> encode(const ChangelogRotated& message);
std::vector<uint8_t> encode(const DownloadStart& message);
std::vector<uint8_t> encode(const DownloadInfo& message);
std::vector<uint8_t> encode(const DownloadRequest& message);
std::vector<uint8_t> encode(const DownloadData& message);
std::vector<uint8_t> encode(const DownloadEnd& message);

}  // namespace mfs::mlmsg
