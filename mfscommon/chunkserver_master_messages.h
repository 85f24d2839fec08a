// Typed messages of the chunkserver <-> master link (spec 20 §2) and their codecs. Both
// sides use them: the master decodes what a chunkserver sends (decode_from_chunkserver)
// and encodes its commands; the chunkserver decodes what the master sends
// (decode_from_master) and encodes its registration, reports and replies.
//
// Decoders accept exactly the lengths the 3.0.117 receivers accept and never read out of
// bounds; anything else is an error Status saying why. Decoding is purely structural:
// policy (which messages are allowed in which registration state, timeout limits,
// authentication) belongs to the caller. Every encode() returns a complete frame
// (header + payload) for PacketConnection::send. Encoding is canonical: a decoded
// message re-encodes to the same bytes, except an Ignorable whose payload was not empty.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "mfscommon/any_messages.h"
#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/status.h"

namespace mfs::csmsg {

// Bit 31 of a version in a chunk list sent by a chunkserver (spec 20 §1).
inline constexpr uint32_t kMarkedForRemovalFlag = 0x80000000u;

// One entry of a chunk list (registration, CSTOMA_CHUNK_NEW): `chunkid:u64 version:u32`
// with the flag bit separated out.
struct ChunkEntry {
  uint64_t chunkid = 0;
  uint32_t version = 0;             // without the flag; encoding ignores bit 31
  bool marked_for_removal = false;  // the copy lives on a disk marked for removal
  bool operator==(const ChunkEntry&) const = default;
};

// Disk space summary; td_* count the disks marked for removal ("to delete").
struct SpaceInfo {
  uint64_t used = 0;
  uint64_t total = 0;
  uint32_t chunks = 0;
  uint64_t td_used = 0;
  uint64_t td_total = 0;
  uint32_t td_chunks = 0;
  bool operator==(const SpaceInfo&) const = default;
};

// ---------------------------------------------------------------------------------
// CSTOMA_REGISTER (100). The first payload byte `rver` selects the variant (§2.3, §2.4).

// rver 60, 55 bytes, or 71 with the digest that answers an AckChallenge.
struct RegisterBeginV6 {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  // MD5(rnd[0..15] | AUTH_CODE | rnd[16..31]); a master without AUTH_CODE would parse a
  // 71-byte BEGIN as garbage, so only send it in answer to a challenge.
  std::optional<std::array<uint8_t, 16>> digest;
  uint32_t version = 0;  // chunkserver version
  uint32_t ip = 0;       // data listener IP; 0 = use the connection's peer IP
  uint16_t port = 0;     // data port
  uint16_t timeout = 0;  // 0 = the master decides
  uint16_t csid = 0;     // id from an earlier registration; 0 = none
  SpaceInfo space;
  bool operator==(const RegisterBeginV6&) const = default;
};

// rver 61: one batch of the chunk list.
struct RegisterChunksV6 {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  std::vector<ChunkEntry> chunks;
  bool operator==(const RegisterChunksV6&) const = default;
};

// rver 62: the chunk list is complete.
struct RegisterEndV6 {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  bool operator==(const RegisterEndV6&) const = default;
};

// rver 63: graceful unregistration before a shutdown (§2.10).
struct RegisterDisconnect {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  bool operator==(const RegisterDisconnect&) const = default;
};

// rver 50, 13 bytes; the master answers with the 5-byte AckAccepted.
struct RegisterBeginV5 {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  uint32_t version = 0;
  uint32_t ip = 0;
  uint16_t port = 0;
  uint16_t timeout = 0;
  bool operator==(const RegisterBeginV5&) const = default;
};

// rver 51: chunk list batch, not acknowledged.
struct RegisterChunksV5 {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  std::vector<ChunkEntry> chunks;
  bool operator==(const RegisterChunksV5&) const = default;
};

// rver 52, 41 bytes.
struct RegisterEndV5 {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  SpaceInfo space;
  bool operator==(const RegisterEndV5&) const = default;
};

// Single-packet registrations of pre-1.6.28 chunkservers: variant 0 has no rver byte
// (and an even length), rver 1-4 add fields. Fields a variant lacks are 0 and are not
// encoded: variant 0 and 1 have no chunk counts, variant 0 no td_* values, only 3 and 4
// a timeout, only 4 a version.
struct RegisterLegacy {
  static constexpr uint32_t kType = msg::CSTOMA_REGISTER;
  uint8_t variant = 4;  // 0-4
  uint32_t version = 0;
  uint32_t ip = 0;
  uint16_t port = 0;
  uint16_t timeout = 0;
  SpaceInfo space;
  std::vector<ChunkEntry> chunks;
  bool operator==(const RegisterLegacy&) const = default;
};

// ---------------------------------------------------------------------------------
// Reports (§2.5), never answered.

// CSTOMA_SPACE: 16 bytes `used total`, 32 bytes `used total td_used td_total` or
// 40 bytes with the chunk counts (what 3.0.117 sends).
struct SpaceReport {
  static constexpr uint32_t kType = msg::CSTOMA_SPACE;
  enum class Form : uint8_t { kUsedTotal, kWithoutChunkCounts, kFull };
  Form form = Form::kFull;
  SpaceInfo space;  // fields outside the form are 0
  bool operator==(const SpaceReport&) const = default;
};

// hlstatus of CSTOMA_CURRENT_LOAD (any byte value may arrive).
enum class LoadStatus : uint8_t { kOk = 1, kOverloaded = 2, kRebalance = 3 };

// CSTOMA_CURRENT_LOAD: `load:u32 [hlstatus:u8]` (the 4-byte form goes to masters < 3.0.7).
struct CurrentLoadReport {
  static constexpr uint32_t kType = msg::CSTOMA_CURRENT_LOAD;
  uint32_t load = 0;  // jobs in the chunkserver's background pool
  std::optional<LoadStatus> status;
  bool operator==(const CurrentLoadReport&) const = default;
};

// CSTOMA_LABELS: bit i set = label letter 'A'+i.
struct LabelsReport {
  static constexpr uint32_t kType = msg::CSTOMA_LABELS;
  uint32_t label_mask = 0;
  bool operator==(const LabelsReport&) const = default;
};

// CSTOMA_ERROR_OCCURRED: empty, one per recorded I/O error.
struct ErrorOccurredReport {
  static constexpr uint32_t kType = msg::CSTOMA_ERROR_OCCURRED;
  bool operator==(const ErrorOccurredReport&) const = default;
};

// `N x chunkid:u64`: CSTOMA_CHUNK_DAMAGED and CSTOMA_CHUNK_LOST. The sender splits long
// lists (CHUNK_LOST: at most 25 000 per packet); the master accepts any N.
template <uint32_t Type>
struct ChunkIdReport {
  static constexpr uint32_t kType = Type;
  std::vector<uint64_t> chunkids;
  bool operator==(const ChunkIdReport&) const = default;
};
using ChunkDamagedReport = ChunkIdReport<msg::CSTOMA_CHUNK_DAMAGED>;
using ChunkLostReport = ChunkIdReport<msg::CSTOMA_CHUNK_LOST>;

// CSTOMA_CHUNK_NEW: chunks found after registration started (at most 25 000 per packet).
struct ChunkNewReport {
  static constexpr uint32_t kType = msg::CSTOMA_CHUNK_NEW;
  std::vector<ChunkEntry> chunks;
  bool operator==(const ChunkNewReport&) const = default;
};

// ---------------------------------------------------------------------------------
// MATOCS_MASTER_ACK (104): `atype:u8` then a layout chosen by atype and length (§2.3).

// atype 0, 1 byte: "send the next chunk batch".
struct AckNextBatch {
  static constexpr uint32_t kType = msg::MATOCS_MASTER_ACK;
  bool operator==(const AckNextBatch&) const = default;
};

// atype 0 with the master's answer to a BEGIN: 5 bytes (to a rver-50 BEGIN), 9 bytes
// (chunkservers < 2.0.33) or 17 bytes (the 3.0.117 case).
struct AckAccepted {
  static constexpr uint32_t kType = msg::MATOCS_MASTER_ACK;
  enum class Form : uint8_t { kVersionOnly, kWithoutMetaid, kFull };
  Form form = Form::kFull;
  uint32_t master_version = 0;
  uint16_t timeout = 0;  // effective timeout; fields outside the form are 0
  uint16_t csid = 0;
  uint64_t metaid = 0;  // id of the file-system instance
  bool operator==(const AckAccepted&) const = default;
};

// atype 1, 5 bytes (multi-master editions only): reconnect to the leader; 0 = unknown.
struct AckRedirect {
  static constexpr uint32_t kType = msg::MATOCS_MASTER_ACK;
  uint32_t leader_ip = 0;
  bool operator==(const AckRedirect&) const = default;
};

// atype 2, 7 or 15 bytes (multi-master editions only): wait for acceptance.
struct AckWait {
  static constexpr uint32_t kType = msg::MATOCS_MASTER_ACK;
  uint32_t master_version = 0;
  uint16_t timeout = 0;
  std::optional<uint64_t> metaid;
  bool operator==(const AckWait&) const = default;
};

// atype 3, 33 bytes: authentication challenge; the chunkserver resends a 71-byte BEGIN.
struct AckChallenge {
  static constexpr uint32_t kType = msg::MATOCS_MASTER_ACK;
  std::array<uint8_t, 32> random{};
  bool operator==(const AckChallenge&) const = default;
};

// ---------------------------------------------------------------------------------
// Chunk commands (§2.6, §2.7) and their replies. Versions named old/expected are checked
// only when non-zero, except where §2.6 says otherwise.

// `chunkid:u64 version:u32` (12 bytes): MATOCS_CREATE (version to create),
// MATOCS_DELETE (expected version) and the chunk information requests.
template <uint32_t Type>
struct ChunkVersionCommand {
  static constexpr uint32_t kType = Type;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  bool operator==(const ChunkVersionCommand&) const = default;
};
using CreateCommand = ChunkVersionCommand<msg::MATOCS_CREATE>;
using DeleteCommand = ChunkVersionCommand<msg::MATOCS_DELETE>;
using GetChunkBlocksCommand = ChunkVersionCommand<msg::ANTOCS_GET_CHUNK_BLOCKS>;
using GetChunkChecksumCommand = ChunkVersionCommand<msg::ANTOCS_GET_CHUNK_CHECKSUM>;
using GetChunkChecksumTabCommand = ChunkVersionCommand<msg::ANTOCS_GET_CHUNK_CHECKSUM_TAB>;

// MATOCS_SET_VERSION (16 bytes).
struct SetVersionCommand {
  static constexpr uint32_t kType = msg::MATOCS_SET_VERSION;
  uint64_t chunkid = 0;
  uint32_t new_version = 0;
  uint32_t old_version = 0;
  bool operator==(const SetVersionCommand&) const = default;
};

// MATOCS_DUPLICATE (24 bytes).
struct DuplicateCommand {
  static constexpr uint32_t kType = msg::MATOCS_DUPLICATE;
  uint64_t new_chunkid = 0;
  uint32_t new_version = 0;
  uint64_t old_chunkid = 0;
  uint32_t old_version = 0;
  bool operator==(const DuplicateCommand&) const = default;
};

// MATOCS_TRUNCATE (20 bytes).
struct TruncateCommand {
  static constexpr uint32_t kType = msg::MATOCS_TRUNCATE;
  uint64_t chunkid = 0;
  uint32_t length = 0;
  uint32_t new_version = 0;
  uint32_t old_version = 0;
  bool operator==(const TruncateCommand&) const = default;
};

// MATOCS_DUPTRUNC (28 bytes).
struct DupTruncCommand {
  static constexpr uint32_t kType = msg::MATOCS_DUPTRUNC;
  uint64_t new_chunkid = 0;
  uint32_t new_version = 0;
  uint64_t old_chunkid = 0;
  uint32_t old_version = 0;
  uint32_t length = 0;
  bool operator==(const DupTruncCommand&) const = default;
};

// MATOCS_REPLICATE, simple 18-byte form (the only one the 3.0.117 master sends).
struct ReplicateCommand {
  static constexpr uint32_t kType = msg::MATOCS_REPLICATE;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  uint32_t source_ip = 0;
  uint16_t source_port = 0;
  bool operator==(const ReplicateCommand&) const = default;
};

struct ReplicationSource {
  uint64_t chunkid = 0;
  uint32_t version = 0;
  uint32_t ip = 0;
  uint16_t port = 0;
  bool operator==(const ReplicationSource&) const = default;
};
inline constexpr size_t kMaxReplicationSources = 8;

// MATOCS_REPLICATE, multi-source form: 28+18n bytes, n <= 8. n = 0 is a valid packet
// that the chunkserver answers with EINVAL.
struct ReplicateMultiCommand {
  static constexpr uint32_t kType = msg::MATOCS_REPLICATE;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  std::array<uint32_t, 4> xormask{};
  std::vector<ReplicationSource> sources;
  bool operator==(const ReplicateMultiCommand&) const = default;
};

// MATOCS_CHUNKOP (32 bytes); not sent by the 3.0.117 master, executed by chunkservers.
struct ChunkOpCommand {
  static constexpr uint32_t kType = msg::MATOCS_CHUNKOP;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  uint32_t new_version = 0;
  uint64_t copy_chunkid = 0;
  uint32_t copy_version = 0;
  uint32_t length = 0;
  bool operator==(const ChunkOpCommand&) const = default;
};

// `chunkid:u64 status:u8` (9 bytes): the replies to CREATE, DELETE, SET_VERSION, TRUNCATE
// (chunkid) and DUPLICATE, DUPTRUNC (the new chunkid).
template <uint32_t Type>
struct ChunkStatusReply {
  static constexpr uint32_t kType = Type;
  uint64_t chunkid = 0;
  StatusCode status = StatusCode::kOk;
  bool operator==(const ChunkStatusReply&) const = default;
};
using CreateReply = ChunkStatusReply<msg::CSTOMA_CREATE>;
using DeleteReply = ChunkStatusReply<msg::CSTOMA_DELETE>;
using SetVersionReply = ChunkStatusReply<msg::CSTOMA_SET_VERSION>;
using DuplicateReply = ChunkStatusReply<msg::CSTOMA_DUPLICATE>;
using TruncateReply = ChunkStatusReply<msg::CSTOMA_TRUNCATE>;
using DupTruncReply = ChunkStatusReply<msg::CSTOMA_DUPTRUNC>;

// CSTOMA_REPLICATE (13 bytes); version is the requested one.
struct ReplicateReply {
  static constexpr uint32_t kType = msg::CSTOMA_REPLICATE;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  StatusCode status = StatusCode::kOk;
  bool operator==(const ReplicateReply&) const = default;
};

// CSTOMA_CHUNKOP (33 bytes): the request echoed, then the status.
struct ChunkOpReply {
  static constexpr uint32_t kType = msg::CSTOMA_CHUNKOP;
  ChunkOpCommand request;
  StatusCode status = StatusCode::kOk;
  bool operator==(const ChunkOpReply&) const = default;
};

// CSTOAN_CHUNK_BLOCKS (15 bytes).
struct ChunkBlocksReply {
  static constexpr uint32_t kType = msg::CSTOAN_CHUNK_BLOCKS;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  uint16_t blocks = 0;
  StatusCode status = StatusCode::kOk;
  bool operator==(const ChunkBlocksReply&) const = default;
};

// CSTOAN_CHUNK_CHECKSUM: 16 bytes with the checksum when status is OK, else 13 bytes
// with the status (a 13-byte form carrying OK is malformed).
struct ChunkChecksumReply {
  static constexpr uint32_t kType = msg::CSTOAN_CHUNK_CHECKSUM;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  StatusCode status = StatusCode::kOk;
  uint32_t checksum = 0;  // only when status is OK
  bool operator==(const ChunkChecksumReply&) const = default;
};

inline constexpr size_t kBlocksPerChunk = 1024;

// CSTOAN_CHUNK_CHECKSUM_TAB: 4108 bytes with one CRC per block when status is OK, else
// 13 bytes with the status.
struct ChunkChecksumTabReply {
  static constexpr uint32_t kType = msg::CSTOAN_CHUNK_CHECKSUM_TAB;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  StatusCode status = StatusCode::kOk;
  std::vector<uint32_t> crcs;  // kBlocksPerChunk entries when status is OK, else none
  bool operator==(const ChunkChecksumTabReply&) const = default;
};

// ---------------------------------------------------------------------------------
// Everything one side can receive.

// A 3.0.117 master treats CSTOMA_CHUNKOP, CSTOAN_CHUNK_BLOCKS and CSTOAN_CHUNK_CHECKSUM_TAB
// as unknown messages (it never asks for them) and only logs CSTOAN_CHUNK_CHECKSUM; they
// are decoded here so that the choice stays with the master.
using ChunkserverToMaster =
    std::variant<RegisterBeginV6, RegisterChunksV6, RegisterEndV6, RegisterDisconnect,
                 RegisterBeginV5, RegisterChunksV5, RegisterEndV5, RegisterLegacy,
                 SpaceReport, CurrentLoadReport, LabelsReport, ErrorOccurredReport,
                 ChunkDamagedReport, ChunkLostReport, ChunkNewReport,
                 CreateReply, DeleteReply, SetVersionReply, DuplicateReply, TruncateReply,
                 DupTruncReply, ReplicateReply, ChunkOpReply,
                 ChunkBlocksReply, ChunkChecksumReply, ChunkChecksumTabReply,
                 anymsg::Ignorable, anymsg::GetVersion, anymsg::GetConfig>;

using MasterToChunkserver =
    std::variant<AckNextBatch, AckAccepted, AckRedirect, AckWait, AckChallenge,
                 CreateCommand, DeleteCommand, SetVersionCommand, DuplicateCommand,
                 TruncateCommand, DupTruncCommand, ReplicateCommand, ReplicateMultiCommand,
                 ChunkOpCommand,
                 GetChunkBlocksCommand, GetChunkChecksumCommand, GetChunkChecksumTabCommand,
                 anymsg::Ignorable>;

// Master side: an unknown type or a length the type does not allow is an error.
Result<ChunkserverToMaster> decode_from_chunkserver(const Packet& packet);
// Chunkserver side.
Result<MasterToChunkserver> decode_from_master(const Packet& packet);

// ---------------------------------------------------------------------------------
// Encoders: each returns a complete frame.

std::vector<uint8_t> encode(const RegisterBeginV6& message);
std::vector<uint8_t> encode(const RegisterChunksV6& message);
std::vector<uint8_t> encode(const RegisterEndV6& message);
std::vector<uint8_t> encode(const RegisterDisconnect& message);
std::vector<uint8_t> encode(const RegisterBeginV5& message);
std::vector<uint8_t> encode(const RegisterChunksV5& message);
std::vector<uint8_t> encode(const RegisterEndV5& message);
std::vector<uint8_t> encode(const RegisterLegacy& message);
std::vector<uint8_t> encode(const SpaceReport& message);
std::vector<uint8_t> encode(const CurrentLoadReport& message);
std::vector<uint8_t> encode(const LabelsReport& message);
std::vector<uint8_t> encode(const ErrorOccurredReport& message);
std::vector<uint8_t> encode(const ChunkNewReport& message);
std::vector<uint8_t> encode(const AckNextBatch& message);
std::vector<uint8_t> encode(const AckAccepted& message);
std::vector<uint8_t> encode(const AckRedirect& message);
std::vector<uint8_t> encode(const AckWait& message);
std::vector<uint8_t> encode(const AckChallenge& message);
std::vector<uint8_t> encode(const SetVersionCommand& message);
std::vector<uint8_t> encode(const DuplicateCommand& message);
std::vector<uint8_t> encode(const TruncateCommand& message);
std::vector<uint8_t> encode(const DupTruncCommand& message);
std::vector<uint8_t> encode(const ReplicateCommand& message);
// At most kMaxReplicationSources sources are encoded.
std::vector<uint8_t> encode(const ReplicateMultiCommand& message);
std::vector<uint8_t> encode(const ChunkOpCommand& message);
std::vector<uint8_t> encode(const ReplicateReply& message);
std::vector<uint8_t> encode(const ChunkOpReply& message);
std::vector<uint8_t> encode(const ChunkBlocksReply& message);
std::vector<uint8_t> encode(const ChunkChecksumReply& message);
// When status is OK, crcs must hold kBlocksPerChunk entries.
std::vector<uint8_t> encode(const ChunkChecksumTabReply& message);
std::vector<uint8_t> encode(const ChunkserverToMaster& message);
std::vector<uint8_t> encode(const MasterToChunkserver& message);

namespace detail {
std::vector<uint8_t> encode_chunk_ids(uint32_t type, const std::vector<uint64_t>& chunkids);
std::vector<uint8_t> encode_chunk_version(uint32_t type, uint64_t chunkid, uint32_t version);
std::vector<uint8_t> encode_chunk_status(uint32_t type, uint64_t chunkid, StatusCode status);
}  // namespace detail

template <uint32_t Type>
std::vector<uint8_t> encode(const ChunkIdReport<Type>& message) {
  return detail::encode_chunk_ids(Type, message.chunkids);
}
template <uint32_t Type>
std::vector<uint8_t> encode(const ChunkVersionCommand<Type>& message) {
  return detail::encode_chunk_version(Type, message.chunkid, message.version);
}
template <uint32_t Type>
std::vector<uint8_t> encode(const ChunkStatusReply<Type>& message) {
  return detail::encode_chunk_status(Type, message.chunkid, message.status);
}

}  // namespace mfs::csmsg
