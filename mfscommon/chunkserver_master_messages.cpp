#include "mfscommon/chunkserver_master_messages.h"

#include "mfscommon/codec_errors.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace mfs::csmsg {
namespace {

using Bytes = std::span<const uint8_t>;

constexpr size_t kChunkEntrySize = 12;
constexpr size_t kReplicationSourceSize = 18;
constexpr size_t kReplicateMultiFixedSize = 28;

// rver values of CSTOMA_REGISTER.
constexpr uint8_t kRverBeginV5 = 50;
constexpr uint8_t kRverChunksV5 = 51;
constexpr uint8_t kRverEndV5 = 52;
constexpr uint8_t kRverBeginV6 = 60;
constexpr uint8_t kRverChunksV6 = 61;
constexpr uint8_t kRverEndV6 = 62;
constexpr uint8_t kRverDisconnect = 63;

// Lengths of the fixed part of the legacy registrations, by variant (§2.4).
constexpr std::array<size_t, 5> kLegacyFixedSize = {22, 39, 47, 49, 53};

// MATOCS_MASTER_ACK atype values.
constexpr uint8_t kAckOk = 0;
constexpr uint8_t kAckRedirect = 1;
constexpr uint8_t kAckWait = 2;
constexpr uint8_t kAckChallenge = 3;

std::string message_name(uint32_t type) {
  switch (type) {
    case msg::CSTOMA_REGISTER: return "CSTOMA_REGISTER";
    case msg::CSTOMA_SPACE: return "CSTOMA_SPACE";
    case msg::CSTOMA_CHUNK_DAMAGED: return "CSTOMA_CHUNK_DAMAGED";
    case msg::CSTOMA_CURRENT_LOAD: return "CSTOMA_CURRENT_LOAD";
    case msg::MATOCS_MASTER_ACK: return "MATOCS_MASTER_ACK";
    case msg::CSTOMA_CHUNK_LOST: return "CSTOMA_CHUNK_LOST";
    case msg::CSTOMA_ERROR_OCCURRED: return "CSTOMA_ERROR_OCCURRED";
    case msg::CSTOMA_CHUNK_NEW: return "CSTOMA_CHUNK_NEW";
    case msg::CSTOMA_LABELS: return "CSTOMA_LABELS";
    case msg::MATOCS_CREATE: return "MATOCS_CREATE";
    case msg::CSTOMA_CREATE: return "CSTOMA_CREATE";
    case msg::MATOCS_DELETE: return "MATOCS_DELETE";
    case msg::CSTOMA_DELETE: return "CSTOMA_DELETE";
    case msg::MATOCS_DUPLICATE: return "MATOCS_DUPLICATE";
    case msg::CSTOMA_DUPLICATE: return "CSTOMA_DUPLICATE";
    case msg::MATOCS_SET_VERSION: return "MATOCS_SET_VERSION";
    case msg::CSTOMA_SET_VERSION: return "CSTOMA_SET_VERSION";
    case msg::MATOCS_REPLICATE: return "MATOCS_REPLICATE";
    case msg::CSTOMA_REPLICATE: return "CSTOMA_REPLICATE";
    case msg::MATOCS_CHUNKOP: return "MATOCS_CHUNKOP";
    case msg::CSTOMA_CHUNKOP: return "CSTOMA_CHUNKOP";
    case msg::MATOCS_TRUNCATE: return "MATOCS_TRUNCATE";
    case msg::CSTOMA_TRUNCATE: return "CSTOMA_TRUNCATE";
    case msg::MATOCS_DUPTRUNC: return "MATOCS_DUPTRUNC";
    case msg::CSTOMA_DUPTRUNC: return "CSTOMA_DUPTRUNC";
    case msg::ANTOCS_GET_CHUNK_BLOCKS: return "ANTOCS_GET_CHUNK_BLOCKS";
    case msg::CSTOAN_CHUNK_BLOCKS: return "CSTOAN_CHUNK_BLOCKS";
    case msg::ANTOCS_GET_CHUNK_CHECKSUM: return "ANTOCS_GET_CHUNK_CHECKSUM";
    case msg::CSTOAN_CHUNK_CHECKSUM: return "CSTOAN_CHUNK_CHECKSUM";
    case msg::ANTOCS_GET_CHUNK_CHECKSUM_TAB: return "ANTOCS_GET_CHUNK_CHECKSUM_TAB";
    case msg::CSTOAN_CHUNK_CHECKSUM_TAB: return "CSTOAN_CHUNK_CHECKSUM_TAB";
    default: return "message type " + std::to_string(type);
  }
}

Status malformed(std::string what, std::string_view why) {
  return Status(StatusCode::kEINVAL, std::move(what) + ": " + std::string(why));
}


std::string register_name(uint8_t rver) {
  return "CSTOMA_REGISTER rver " + std::to_string(rver);
}

// True when `length` is fixed + N*unit for some N >= 0.
bool is_list_length(size_t length, size_t fixed, size_t unit) {
  return length >= fixed && (length - fixed) % unit == 0;
}

std::string list_length_text(size_t fixed, size_t unit) {
  return std::to_string(fixed) + "+" + std::to_string(unit) + "*N";
}

// Lifts a decoded message into the variant of its direction.
template <typename Variant, typename T>
Result<Variant> lift(Result<T> decoded) {
  if (!decoded) return decoded.status();
  return Variant(std::move(*decoded));
}

// ---- shared field groups

void write_space(PacketWriter& out, const SpaceInfo& space) {
  out.u64(space.used).u64(space.total).u32(space.chunks);
  out.u64(space.td_used).u64(space.td_total).u32(space.td_chunks);
}

SpaceInfo read_space(PacketReader& in) {
  SpaceInfo space;
  space.used = in.u64();
  space.total = in.u64();
  space.chunks = in.u32();
  space.td_used = in.u64();
  space.td_total = in.u64();
  space.td_chunks = in.u32();
  return space;
}

void write_chunk_entries(PacketWriter& out, const std::vector<ChunkEntry>& chunks) {
  for (const ChunkEntry& entry : chunks) {
    uint32_t flag = entry.marked_for_removal ? kMarkedForRemovalFlag : 0;
    out.u64(entry.chunkid).u32((entry.version & ~kMarkedForRemovalFlag) | flag);
  }
}

// Reads entries up to the end of the payload; the caller checked the length.
std::vector<ChunkEntry> read_chunk_entries(PacketReader& in) {
  std::vector<ChunkEntry> chunks(in.remaining() / kChunkEntrySize);
  for (ChunkEntry& entry : chunks) {
    entry.chunkid = in.u64();
    uint32_t version = in.u32();
    entry.version = version & ~kMarkedForRemovalFlag;
    entry.marked_for_removal = (version & kMarkedForRemovalFlag) != 0;
  }
  return chunks;
}

StatusCode read_status(PacketReader& in) { return static_cast<StatusCode>(in.u8()); }

uint8_t wire(StatusCode status) { return static_cast<uint8_t>(status); }

// ---- CSTOMA_REGISTER

RegisterBeginV6 read_begin_v6(PacketReader& in, bool with_digest) {
  RegisterBeginV6 message;
  if (with_digest) {
    auto digest = in.bytes(16);
    message.digest.emplace();
    std::copy(digest.begin(), digest.end(), message.digest->begin());
  }
  message.version = in.u32();
  message.ip = in.u32();
  message.port = in.u16();
  message.timeout = in.u16();
  message.csid = in.u16();
  message.space = read_space(in);
  return message;
}

RegisterLegacy read_legacy(PacketReader& in, uint8_t variant) {
  RegisterLegacy message;
  message.variant = variant;
  if (variant == 4) message.version = in.u32();
  message.ip = in.u32();
  message.port = in.u16();
  if (variant >= 3) message.timeout = in.u16();
  message.space.used = in.u64();
  message.space.total = in.u64();
  if (variant >= 2) message.space.chunks = in.u32();
  if (variant >= 1) {
    message.space.td_used = in.u64();
    message.space.td_total = in.u64();
  }
  if (variant >= 2) message.space.td_chunks = in.u32();
  message.chunks = read_chunk_entries(in);
  return message;
}

Result<ChunkserverToMaster> decode_register(Bytes payload) {
  using Out = ChunkserverToMaster;
  PacketReader in(payload);
  // Every rver variant has an odd length; legacy variant 0 (no rver byte) an even one.
  if (payload.size() % 2 == 0) {
    if (!is_list_length(payload.size(), kLegacyFixedSize[0], kChunkEntrySize)) {
      return bad_length("CSTOMA_REGISTER (legacy, no rver)", payload.size(),
                        list_length_text(kLegacyFixedSize[0], kChunkEntrySize));
    }
    return Out(read_legacy(in, 0));
  }
  uint8_t rver = in.u8();
  std::string what = register_name(rver);
  size_t size = payload.size();
  switch (rver) {
    case 1:
    case 2:
    case 3:
    case 4:
      if (!is_list_length(size, kLegacyFixedSize[rver], kChunkEntrySize)) {
        return bad_length(what, size, list_length_text(kLegacyFixedSize[rver], kChunkEntrySize));
      }
      return Out(read_legacy(in, rver));
    case kRverBeginV5: {
      if (size != 13) return bad_length(what, size, "13");
      RegisterBeginV5 message;
      message.version = in.u32();
      message.ip = in.u32();
      message.port = in.u16();
      message.timeout = in.u16();
      return Out(message);
    }
    case kRverChunksV5:
      if (!is_list_length(size, 1, kChunkEntrySize)) {
        return bad_length(what, size, list_length_text(1, kChunkEntrySize));
      }
      return Out(RegisterChunksV5{read_chunk_entries(in)});
    case kRverEndV5:
      if (size != 41) return bad_length(what, size, "41");
      return Out(RegisterEndV5{read_space(in)});
    case kRverBeginV6:
      if (size != 55 && size != 71) return bad_length(what, size, "55 or 71");
      return Out(read_begin_v6(in, size == 71));
    case kRverChunksV6:
      if (!is_list_length(size, 1, kChunkEntrySize)) {
        return bad_length(what, size, list_length_text(1, kChunkEntrySize));
      }
      return Out(RegisterChunksV6{read_chunk_entries(in)});
    case kRverEndV6:
      if (size != 1) return bad_length(what, size, "1");
      return Out(RegisterEndV6{});
    case kRverDisconnect:
      if (size != 1) return bad_length(what, size, "1");
      return Out(RegisterDisconnect{});
    default:
      return malformed(what, "unknown registration variant");
  }
}

// ---- fixed-layout messages

// Checks the exact length, then reads the fields with `read`.
template <typename T, typename Read>
Result<T> decode_fixed(Bytes payload, size_t length, Read read) {
  if (payload.size() != length) {
    return bad_length(message_name(T::kType), payload.size(), std::to_string(length));
  }
  PacketReader in(payload);
  return read(in);
}

template <typename T>
Result<T> decode_chunk_version(Bytes payload) {
  return decode_fixed<T>(payload, 12, [](PacketReader& in) {
    T message;
    message.chunkid = in.u64();
    message.version = in.u32();
    return message;
  });
}

template <typename T>
Result<T> decode_chunk_status(Bytes payload) {
  return decode_fixed<T>(payload, 9, [](PacketReader& in) {
    T message;
    message.chunkid = in.u64();
    message.status = read_status(in);
    return message;
  });
}

template <typename T>
Result<T> decode_chunk_ids(Bytes payload) {
  if (payload.size() % 8 != 0) {
    return bad_length(message_name(T::kType), payload.size(), "8*N");
  }
  PacketReader in(payload);
  T message;
  message.chunkids.resize(payload.size() / 8);
  for (uint64_t& chunkid : message.chunkids) chunkid = in.u64();
  return message;
}

ChunkOpCommand read_chunkop(PacketReader& in) {
  ChunkOpCommand message;
  message.chunkid = in.u64();
  message.version = in.u32();
  message.new_version = in.u32();
  message.copy_chunkid = in.u64();
  message.copy_version = in.u32();
  message.length = in.u32();
  return message;
}

void write_chunkop(PacketWriter& out, const ChunkOpCommand& message) {
  out.u64(message.chunkid).u32(message.version).u32(message.new_version);
  out.u64(message.copy_chunkid).u32(message.copy_version).u32(message.length);
}

// ---- reports and replies (chunkserver -> master)

Result<SpaceReport> decode_space(Bytes payload) {
  PacketReader in(payload);
  SpaceReport message;
  switch (payload.size()) {
    case 16: message.form = SpaceReport::Form::kUsedTotal; break;
    case 32: message.form = SpaceReport::Form::kWithoutChunkCounts; break;
    case 40: message.form = SpaceReport::Form::kFull; break;
    default: return bad_length("CSTOMA_SPACE", payload.size(), "16, 32 or 40");
  }
  bool full = message.form == SpaceReport::Form::kFull;
  message.space.used = in.u64();
  message.space.total = in.u64();
  if (full) message.space.chunks = in.u32();
  if (message.form != SpaceReport::Form::kUsedTotal) {
    message.space.td_used = in.u64();
    message.space.td_total = in.u64();
  }
  if (full) message.space.td_chunks = in.u32();
  return message;
}

Result<CurrentLoadReport> decode_current_load(Bytes payload) {
  if (payload.size() != 4 && payload.size() != 5) {
    return bad_length("CSTOMA_CURRENT_LOAD", payload.size(), "4 or 5");
  }
  PacketReader in(payload);
  CurrentLoadReport message;
  message.load = in.u32();
  if (payload.size() == 5) message.status = static_cast<LoadStatus>(in.u8());
  return message;
}

Result<ChunkNewReport> decode_chunk_new(Bytes payload) {
  if (payload.size() % kChunkEntrySize != 0) {
    return bad_length("CSTOMA_CHUNK_NEW", payload.size(), "12*N");
  }
  PacketReader in(payload);
  return ChunkNewReport{read_chunk_entries(in)};
}

Result<ChunkChecksumReply> decode_chunk_checksum(Bytes payload) {
  if (payload.size() != 13 && payload.size() != 16) {
    return bad_length("CSTOAN_CHUNK_CHECKSUM", payload.size(), "13 or 16");
  }
  PacketReader in(payload);
  ChunkChecksumReply message;
  message.chunkid = in.u64();
  message.version = in.u32();
  if (payload.size() == 16) {
    message.checksum = in.u32();
    return message;
  }
  message.status = read_status(in);
  if (message.status == StatusCode::kOk) {
    return malformed("CSTOAN_CHUNK_CHECKSUM", "13-byte error form with status OK");
  }
  return message;
}

Result<ChunkChecksumTabReply> decode_chunk_checksum_tab(Bytes payload) {
  constexpr size_t kOkSize = 12 + 4 * kBlocksPerChunk;
  if (payload.size() != 13 && payload.size() != kOkSize) {
    return bad_length("CSTOAN_CHUNK_CHECKSUM_TAB", payload.size(),
                      "13 or " + std::to_string(kOkSize));
  }
  PacketReader in(payload);
  ChunkChecksumTabReply message;
  message.chunkid = in.u64();
  message.version = in.u32();
  if (payload.size() == kOkSize) {
    message.crcs.resize(kBlocksPerChunk);
    for (uint32_t& crc : message.crcs) crc = in.u32();
    return message;
  }
  message.status = read_status(in);
  if (message.status == StatusCode::kOk) {
    return malformed("CSTOAN_CHUNK_CHECKSUM_TAB", "13-byte error form with status OK");
  }
  return message;
}

// ---- commands (master -> chunkserver)

Result<MasterToChunkserver> decode_master_ack(Bytes payload) {
  using Out = MasterToChunkserver;
  if (payload.empty()) return bad_length("MATOCS_MASTER_ACK", 0, "at least 1");
  PacketReader in(payload);
  uint8_t atype = in.u8();
  size_t size = payload.size();
  std::string what = "MATOCS_MASTER_ACK atype " + std::to_string(atype);
  switch (atype) {
    case kAckOk: {
      if (size == 1) return Out(AckNextBatch{});
      AckAccepted message;
      switch (size) {
        case 5: message.form = AckAccepted::Form::kVersionOnly; break;
        case 9: message.form = AckAccepted::Form::kWithoutMetaid; break;
        case 17: message.form = AckAccepted::Form::kFull; break;
        default: return bad_length(what, size, "1, 5, 9 or 17");
      }
      message.master_version = in.u32();
      if (size >= 9) {
        message.timeout = in.u16();
        message.csid = in.u16();
      }
      if (size == 17) message.metaid = in.u64();
      return Out(message);
    }
    case kAckRedirect:
      if (size != 5) return bad_length(what, size, "5");
      return Out(AckRedirect{in.u32()});
    case kAckWait: {
      if (size != 7 && size != 15) return bad_length(what, size, "7 or 15");
      AckWait message;
      message.master_version = in.u32();
      message.timeout = in.u16();
      if (size == 15) message.metaid = in.u64();
      return Out(message);
    }
    case kAckChallenge: {
      if (size != 33) return bad_length(what, size, "33");
      AckChallenge message;
      auto random = in.bytes(message.random.size());
      std::copy(random.begin(), random.end(), message.random.begin());
      return Out(message);
    }
    default:
      return malformed(what, "unknown acknowledgement type");
  }
}

Result<MasterToChunkserver> decode_replicate(Bytes payload) {
  using Out = MasterToChunkserver;
  PacketReader in(payload);
  if (payload.size() == 18) {
    ReplicateCommand message;
    message.chunkid = in.u64();
    message.version = in.u32();
    message.source_ip = in.u32();
    message.source_port = in.u16();
    return Out(message);
  }
  if (!is_list_length(payload.size(), kReplicateMultiFixedSize, kReplicationSourceSize) ||
      (payload.size() - kReplicateMultiFixedSize) / kReplicationSourceSize >
          kMaxReplicationSources) {
    return bad_length("MATOCS_REPLICATE", payload.size(), "18 or 28+18*n with n <= 8");
  }
  ReplicateMultiCommand message;
  message.chunkid = in.u64();
  message.version = in.u32();
  for (uint32_t& mask : message.xormask) mask = in.u32();
  message.sources.resize(in.remaining() / kReplicationSourceSize);
  for (ReplicationSource& source : message.sources) {
    source.chunkid = in.u64();
    source.version = in.u32();
    source.ip = in.u32();
    source.port = in.u16();
  }
  return Out(message);
}

}  // namespace

// ---------------------------------------------------------------------------------
// Decoding entry points

Result<ChunkserverToMaster> decode_from_chunkserver(const Packet& packet) {
  using Out = ChunkserverToMaster;
  Bytes payload(packet.payload);
  if (anymsg::is_ignorable(packet.type)) return Out(anymsg::Ignorable{packet.type});
  switch (packet.type) {
    case msg::ANTOAN_GET_VERSION: return lift<Out>(anymsg::decode_get_version(payload));
    case msg::ANTOAN_GET_CONFIG: return lift<Out>(anymsg::decode_get_config(payload));
    case msg::CSTOMA_REGISTER: return decode_register(payload);
    case msg::CSTOMA_SPACE: return lift<Out>(decode_space(payload));
    case msg::CSTOMA_CURRENT_LOAD: return lift<Out>(decode_current_load(payload));
    case msg::CSTOMA_LABELS:
      return lift<Out>(decode_fixed<LabelsReport>(payload, 4, [](PacketReader& in) {
        return LabelsReport{in.u32()};
      }));
    case msg::CSTOMA_ERROR_OCCURRED:
      return lift<Out>(decode_fixed<ErrorOccurredReport>(
          payload, 0, [](PacketReader&) { return ErrorOccurredReport{}; }));
    case msg::CSTOMA_CHUNK_DAMAGED: return lift<Out>(decode_chunk_ids<ChunkDamagedReport>(payload));
    case msg::CSTOMA_CHUNK_LOST: return lift<Out>(decode_chunk_ids<ChunkLostReport>(payload));
    case msg::CSTOMA_CHUNK_NEW: return lift<Out>(decode_chunk_new(payload));
    case msg::CSTOMA_CREATE: return lift<Out>(decode_chunk_status<CreateReply>(payload));
    case msg::CSTOMA_DELETE: return lift<Out>(decode_chunk_status<DeleteReply>(payload));
    case msg::CSTOMA_SET_VERSION: return lift<Out>(decode_chunk_status<SetVersionReply>(payload));
    case msg::CSTOMA_DUPLICATE: return lift<Out>(decode_chunk_status<DuplicateReply>(payload));
    case msg::CSTOMA_TRUNCATE: return lift<Out>(decode_chunk_status<TruncateReply>(payload));
    case msg::CSTOMA_DUPTRUNC: return lift<Out>(decode_chunk_status<DupTruncReply>(payload));
    case msg::CSTOMA_REPLICATE:
      return lift<Out>(decode_fixed<ReplicateReply>(payload, 13, [](PacketReader& in) {
        ReplicateReply message;
        message.chunkid = in.u64();
        message.version = in.u32();
        message.status = read_status(in);
        return message;
      }));
    case msg::CSTOMA_CHUNKOP:
      return lift<Out>(decode_fixed<ChunkOpReply>(payload, 33, [](PacketReader& in) {
        ChunkOpReply message;
        message.request = read_chunkop(in);
        message.status = read_status(in);
        return message;
      }));
    case msg::CSTOAN_CHUNK_BLOCKS:
      return lift<Out>(decode_fixed<ChunkBlocksReply>(payload, 15, [](PacketReader& in) {
        ChunkBlocksReply message;
        message.chunkid = in.u64();
        message.version = in.u32();
        message.blocks = in.u16();
        message.status = read_status(in);
        return message;
      }));
    case msg::CSTOAN_CHUNK_CHECKSUM: return lift<Out>(decode_chunk_checksum(payload));
    case msg::CSTOAN_CHUNK_CHECKSUM_TAB: return lift<Out>(decode_chunk_checksum_tab(payload));
    default: return unknown_type(packet.type, "from a chunkserver");
  }
}

Result<MasterToChunkserver> decode_from_master(const Packet& packet) {
  using Out = MasterToChunkserver;
  Bytes payload(packet.payload);
  if (anymsg::is_ignorable(packet.type)) return Out(anymsg::Ignorable{packet.type});
  switch (packet.type) {
    case msg::MATOCS_MASTER_ACK: return decode_master_ack(payload);
    case msg::MATOCS_CREATE: return lift<Out>(decode_chunk_version<CreateCommand>(payload));
    case msg::MATOCS_DELETE: return lift<Out>(decode_chunk_version<DeleteCommand>(payload));
    case msg::ANTOCS_GET_CHUNK_BLOCKS:
      return lift<Out>(decode_chunk_version<GetChunkBlocksCommand>(payload));
    case msg::ANTOCS_GET_CHUNK_CHECKSUM:
      return lift<Out>(decode_chunk_version<GetChunkChecksumCommand>(payload));
    case msg::ANTOCS_GET_CHUNK_CHECKSUM_TAB:
      return lift<Out>(decode_chunk_version<GetChunkChecksumTabCommand>(payload));
    case msg::MATOCS_SET_VERSION:
      return lift<Out>(decode_fixed<SetVersionCommand>(payload, 16, [](PacketReader& in) {
        SetVersionCommand message;
        message.chunkid = in.u64();
        message.new_version = in.u32();
        message.old_version = in.u32();
        return message;
      }));
    case msg::MATOCS_DUPLICATE:
      return lift<Out>(decode_fixed<DuplicateCommand>(payload, 24, [](PacketReader& in) {
        DuplicateCommand message;
        message.new_chunkid = in.u64();
        message.new_version = in.u32();
        message.old_chunkid = in.u64();
        message.old_version = in.u32();
        return message;
      }));
    case msg::MATOCS_TRUNCATE:
      return lift<Out>(decode_fixed<TruncateCommand>(payload, 20, [](PacketReader& in) {
        TruncateCommand message;
        message.chunkid = in.u64();
        message.length = in.u32();
        message.new_version = in.u32();
        message.old_version = in.u32();
        return message;
      }));
    case msg::MATOCS_DUPTRUNC:
      return lift<Out>(decode_fixed<DupTruncCommand>(payload, 28, [](PacketReader& in) {
        DupTruncCommand message;
        message.new_chunkid = in.u64();
        message.new_version = in.u32();
        message.old_chunkid = in.u64();
        message.old_version = in.u32();
        message.length = in.u32();
        return message;
      }));
    case msg::MATOCS_REPLICATE: return decode_replicate(payload);
    case msg::MATOCS_CHUNKOP:
      return lift<Out>(decode_fixed<ChunkOpCommand>(payload, 32, read_chunkop));
    default: return unknown_type(packet.type, "from the master");
  }
}

// ---------------------------------------------------------------------------------
// Encoders

std::vector<uint8_t> encode(const RegisterBeginV6& message) {
  PacketWriter out(RegisterBeginV6::kType, 71);
  out.u8(kRverBeginV6);
  if (message.digest) out.bytes(*message.digest);
  out.u32(message.version).u32(message.ip).u16(message.port).u16(message.timeout);
  out.u16(message.csid);
  write_space(out, message.space);
  return out.take();
}

std::vector<uint8_t> encode(const RegisterChunksV6& message) {
  PacketWriter out(RegisterChunksV6::kType, 1 + kChunkEntrySize * message.chunks.size());
  out.u8(kRverChunksV6);
  write_chunk_entries(out, message.chunks);
  return out.take();
}

std::vector<uint8_t> encode(const RegisterEndV6&) {
  return PacketWriter(RegisterEndV6::kType, 1).u8(kRverEndV6).take();
}

std::vector<uint8_t> encode(const RegisterDisconnect&) {
  return PacketWriter(RegisterDisconnect::kType, 1).u8(kRverDisconnect).take();
}

std::vector<uint8_t> encode(const RegisterBeginV5& message) {
  PacketWriter out(RegisterBeginV5::kType, 13);
  out.u8(kRverBeginV5).u32(message.version).u32(message.ip).u16(message.port);
  out.u16(message.timeout);
  return out.take();
}

std::vector<uint8_t> encode(const RegisterChunksV5& message) {
  PacketWriter out(RegisterChunksV5::kType, 1 + kChunkEntrySize * message.chunks.size());
  out.u8(kRverChunksV5);
  write_chunk_entries(out, message.chunks);
  return out.take();
}

std::vector<uint8_t> encode(const RegisterEndV5& message) {
  PacketWriter out(RegisterEndV5::kType, 41);
  out.u8(kRverEndV5);
  write_space(out, message.space);
  return out.take();
}

std::vector<uint8_t> encode(const RegisterLegacy& message) {
  uint8_t variant = message.variant;
  PacketWriter out(RegisterLegacy::kType, 53 + kChunkEntrySize * message.chunks.size());
  if (variant > 0) out.u8(variant);
  if (variant == 4) out.u32(message.version);
  out.u32(message.ip).u16(message.port);
  if (variant >= 3) out.u16(message.timeout);
  out.u64(message.space.used).u64(message.space.total);
  if (variant >= 2) out.u32(message.space.chunks);
  if (variant >= 1) out.u64(message.space.td_used).u64(message.space.td_total);
  if (variant >= 2) out.u32(message.space.td_chunks);
  write_chunk_entries(out, message.chunks);
  return out.take();
}

std::vector<uint8_t> encode(const SpaceReport& message) {
  PacketWriter out(SpaceReport::kType, 40);
  bool full = message.form == SpaceReport::Form::kFull;
  out.u64(message.space.used).u64(message.space.total);
  if (full) out.u32(message.space.chunks);
  if (message.form != SpaceReport::Form::kUsedTotal) {
    out.u64(message.space.td_used).u64(message.space.td_total);
  }
  if (full) out.u32(message.space.td_chunks);
  return out.take();
}

std::vector<uint8_t> encode(const CurrentLoadReport& message) {
  PacketWriter out(CurrentLoadReport::kType, 5);
  out.u32(message.load);
  if (message.status) out.u8(static_cast<uint8_t>(*message.status));
  return out.take();
}

std::vector<uint8_t> encode(const LabelsReport& message) {
  return PacketWriter(LabelsReport::kType, 4).u32(message.label_mask).take();
}

std::vector<uint8_t> encode(const ErrorOccurredReport&) {
  return PacketWriter(ErrorOccurredReport::kType).take();
}

std::vector<uint8_t> encode(const ChunkNewReport& message) {
  PacketWriter out(ChunkNewReport::kType, kChunkEntrySize * message.chunks.size());
  write_chunk_entries(out, message.chunks);
  return out.take();
}

std::vector<uint8_t> encode(const AckNextBatch&) {
  return PacketWriter(AckNextBatch::kType, 1).u8(kAckOk).take();
}

std::vector<uint8_t> encode(const AckAccepted& message) {
  PacketWriter out(AckAccepted::kType, 17);
  out.u8(kAckOk).u32(message.master_version);
  if (message.form != AckAccepted::Form::kVersionOnly) out.u16(message.timeout).u16(message.csid);
  if (message.form == AckAccepted::Form::kFull) out.u64(message.metaid);
  return out.take();
}

std::vector<uint8_t> encode(const AckRedirect& message) {
  return PacketWriter(AckRedirect::kType, 5).u8(kAckRedirect).u32(message.leader_ip).take();
}

std::vector<uint8_t> encode(const AckWait& message) {
  PacketWriter out(AckWait::kType, 15);
  out.u8(kAckWait).u32(message.master_version).u16(message.timeout);
  if (message.metaid) out.u64(*message.metaid);
  return out.take();
}

std::vector<uint8_t> encode(const AckChallenge& message) {
  return PacketWriter(AckChallenge::kType, 33).u8(kAckChallenge).bytes(message.random).take();
}

std::vector<uint8_t> encode(const SetVersionCommand& message) {
  PacketWriter out(SetVersionCommand::kType, 16);
  out.u64(message.chunkid).u32(message.new_version).u32(message.old_version);
  return out.take();
}

std::vector<uint8_t> encode(const DuplicateCommand& message) {
  PacketWriter out(DuplicateCommand::kType, 24);
  out.u64(message.new_chunkid).u32(message.new_version);
  out.u64(message.old_chunkid).u32(message.old_version);
  return out.take();
}

std::vector<uint8_t> encode(const TruncateCommand& message) {
  PacketWriter out(TruncateCommand::kType, 20);
  out.u64(message.chunkid).u32(message.length).u32(message.new_version).u32(message.old_version);
  return out.take();
}

std::vector<uint8_t> encode(const DupTruncCommand& message) {
  PacketWriter out(DupTruncCommand::kType, 28);
  out.u64(message.new_chunkid).u32(message.new_version);
  out.u64(message.old_chunkid).u32(message.old_version).u32(message.length);
  return out.take();
}

std::vector<uint8_t> encode(const ReplicateCommand& message) {
  PacketWriter out(ReplicateCommand::kType, 18);
  out.u64(message.chunkid).u32(message.version).u32(message.source_ip).u16(message.source_port);
  return out.take();
}

std::vector<uint8_t> encode(const ReplicateMultiCommand& message) {
  size_t count = std::min(message.sources.size(), kMaxReplicationSources);
  PacketWriter out(ReplicateMultiCommand::kType,
                   kReplicateMultiFixedSize + kReplicationSourceSize * count);
  out.u64(message.chunkid).u32(message.version);
  for (uint32_t mask : message.xormask) out.u32(mask);
  for (size_t i = 0; i < count; ++i) {
    const ReplicationSource& source = message.sources[i];
    out.u64(source.chunkid).u32(source.version).u32(source.ip).u16(source.port);
  }
  return out.take();
}

std::vector<uint8_t> encode(const ChunkOpCommand& message) {
  PacketWriter out(ChunkOpCommand::kType, 32);
  write_chunkop(out, message);
  return out.take();
}

std::vector<uint8_t> encode(const ReplicateReply& message) {
  PacketWriter out(ReplicateReply::kType, 13);
  out.u64(message.chunkid).u32(message.version).u8(wire(message.status));
  return out.take();
}

std::vector<uint8_t> encode(const ChunkOpReply& message) {
  PacketWriter out(ChunkOpReply::kType, 33);
  write_chunkop(out, message.request);
  out.u8(wire(message.status));
  return out.take();
}

std::vector<uint8_t> encode(const ChunkBlocksReply& message) {
  PacketWriter out(ChunkBlocksReply::kType, 15);
  out.u64(message.chunkid).u32(message.version).u16(message.blocks).u8(wire(message.status));
  return out.take();
}

std::vector<uint8_t> encode(const ChunkChecksumReply& message) {
  PacketWriter out(ChunkChecksumReply::kType, 16);
  out.u64(message.chunkid).u32(message.version);
  if (message.status == StatusCode::kOk) {
    out.u32(message.checksum);
  } else {
    out.u8(wire(message.status));
  }
  return out.take();
}

std::vector<uint8_t> encode(const ChunkChecksumTabReply& message) {
  PacketWriter out(ChunkChecksumTabReply::kType, 12 + 4 * kBlocksPerChunk);
  out.u64(message.chunkid).u32(message.version);
  if (message.status == StatusCode::kOk) {
    for (uint32_t crc : message.crcs) out.u32(crc);
  } else {
    out.u8(wire(message.status));
  }
  return out.take();
}

std::vector<uint8_t> encode(const ChunkserverToMaster& message) {
  return std::visit([](const auto& alternative) { return encode(alternative); }, message);
}

std::vector<uint8_t> encode(const MasterToChunkserver& message) {
  return std::visit([](const auto& alternative) { return encode(alternative); }, message);
}

namespace detail {

std::vector<uint8_t> encode_chunk_ids(uint32_t type, const std::vector<uint64_t>& chunkids) {
  PacketWriter out(type, 8 * chunkids.size());
  for (uint64_t chunkid : chunkids) out.u64(chunkid);
  return out.take();
}

std::vector<uint8_t> encode_chunk_version(uint32_t type, uint64_t chunkid, uint32_t version) {
  return PacketWriter(type, 12).u64(chunkid).u32(version).take();
}

std::vector<uint8_t> encode_chunk_status(uint32_t type, uint64_t chunkid, StatusCode status) {
  return PacketWriter(type, 9).u64(chunkid).u8(wire(status)).take();
}

}  // namespace detail
}  // namespace mfs::csmsg
