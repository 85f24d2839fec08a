#include "mfscommon/chunkserver_data_messages.h"

#include <string_view>

#include "mfscommon/codec_errors.h"

namespace mfs::csdata {
namespace {

using Bytes = std::span<const uint8_t>;

constexpr size_t kChainAddressSize = 6;
constexpr size_t kReadDataHeaderSize = 20;
constexpr size_t kWriteDataHeaderSize = 24;
constexpr size_t kDiskStatsSize = 64;
constexpr size_t kMaxPathLength = 255;
constexpr size_t kPathTailLength = 250;

StatusCode read_status(PacketReader& in) { return static_cast<StatusCode>(in.u8()); }

// `size:u32 crc:u32 data:size` ending the payload; false when the size does not match.
bool read_data_tail(PacketReader& in, uint32_t& crc, std::span<const uint8_t>& data) {
  uint32_t size = in.u32();
  crc = in.u32();
  if (!in.ok() || in.remaining() != size) return false;
  data = in.bytes(size);
  return true;
}

Result<ToChunkserver> decode_read_request(Bytes payload) {
  if (payload.size() != 20 && payload.size() != 21) return bad_length("CLTOCS_READ", payload.size(), "20 or 21");
  PacketReader in(payload);
  ReadRequest message;
  if (payload.size() == 21) message.protover = in.u8();
  message.chunkid = in.u64();
  message.version = in.u32();
  message.offset = in.u32();
  message.size = in.u32();
  return ToChunkserver(message);
}

Result<ToChunkserver> decode_write_init(Bytes payload) {
  // The odd form starts with protover; both continue with 12 bytes and N addresses.
  size_t fixed = payload.size() % 2 == 1 ? 13 : 12;
  if (payload.size() < fixed || (payload.size() - fixed) % kChainAddressSize != 0) {
    return bad_length("CLTOCS_WRITE", payload.size(), "12+6*N or 13+6*N");
  }
  PacketReader in(payload);
  WriteInit message;
  if (fixed == 13) message.protover = in.u8();
  message.chunkid = in.u64();
  message.version = in.u32();
  message.chain.resize((payload.size() - fixed) / kChainAddressSize);
  for (ChainAddress& address : message.chain) {
    address.ip = in.u32();
    address.port = in.u16();
  }
  return ToChunkserver(std::move(message));
}

Result<ToChunkserver> decode_write_data(Bytes payload) {
  PacketReader in(payload);
  WriteData message;
  message.chunkid = in.u64();
  message.writeid = in.u32();
  message.blocknum = in.u16();
  message.offset = in.u16();
  if (!read_data_tail(in, message.crc, message.data)) return bad_length("CLTOCS_WRITE_DATA", payload.size(), "24+size");
  return ToChunkserver(message);
}

Result<ToChunkserver> decode_write_finish(Bytes payload) {
  if (payload.size() != 12) return bad_length("CLTOCS_WRITE_FINISH", payload.size(), "12");
  PacketReader in(payload);
  WriteFinish message;
  message.chunkid = in.u64();
  message.version = in.u32();
  return ToChunkserver(message);
}

template <typename T>
Result<ToChunkserver> decode_empty(Bytes payload, std::string_view name) {
  if (!payload.empty()) return bad_length(name, payload.size(), "0");
  return ToChunkserver(T{});
}

// The chunk information requests are shared with the master link: its codec decodes them.
template <typename T>
Result<ToChunkserver> decode_chunk_request(const Packet& packet) {
  auto decoded = csmsg::decode_from_master(packet);
  if (!decoded) return decoded.status();
  return ToChunkserver(std::get<T>(*decoded));
}

Result<FromChunkserver> decode_read_data(Bytes payload) {
  PacketReader in(payload);
  ReadData message;
  message.chunkid = in.u64();
  message.blocknum = in.u16();
  message.offset = in.u16();
  if (!read_data_tail(in, message.crc, message.data)) return bad_length("CSTOCL_READ_DATA", payload.size(), "20+size");
  return FromChunkserver(message);
}

Result<FromChunkserver> decode_read_status(Bytes payload) {
  if (payload.size() != 9) return bad_length("CSTOCL_READ_STATUS", payload.size(), "9");
  PacketReader in(payload);
  ReadStatus message;
  message.chunkid = in.u64();
  message.status = read_status(in);
  return FromChunkserver(message);
}

Result<FromChunkserver> decode_write_status(Bytes payload) {
  if (payload.size() != 13) return bad_length("CSTOCL_WRITE_STATUS", payload.size(), "13");
  PacketReader in(payload);
  WriteStatus message;
  message.chunkid = in.u64();
  message.writeid = in.u32();
  message.status = read_status(in);
  return FromChunkserver(message);
}

void write_stats(PacketWriter& out, const DiskStats& stats) {
  out.u64(stats.read_bytes).u64(stats.write_bytes);
  out.u64(stats.usec_read_sum).u64(stats.usec_write_sum).u64(stats.usec_fsync_sum);
  out.u32(stats.read_ops).u32(stats.write_ops).u32(stats.fsync_ops);
  out.u32(stats.usec_read_max).u32(stats.usec_write_max).u32(stats.usec_fsync_max);
}

std::string_view reported_path(const std::string& path, std::string& shortened) {
  if (path.size() <= kMaxPathLength) return path;
  shortened = "(...)" + path.substr(path.size() - kPathTailLength);
  return shortened;
}

}  // namespace

Result<ToChunkserver> decode_to_chunkserver(const Packet& packet) {
  Bytes payload(packet.payload);
  if (anymsg::is_ignorable(packet.type)) return ToChunkserver(anymsg::Ignorable{packet.type});
  switch (packet.type) {
    case msg::CLTOCS_READ: return decode_read_request(payload);
    case msg::CLTOCS_WRITE: return decode_write_init(payload);
    case msg::CLTOCS_WRITE_DATA: return decode_write_data(payload);
    case msg::CLTOCS_WRITE_FINISH: return decode_write_finish(payload);
    case msg::ANTOCS_GET_CHUNK_BLOCKS: return decode_chunk_request<csmsg::GetChunkBlocksCommand>(packet);
    case msg::ANTOCS_GET_CHUNK_CHECKSUM: return decode_chunk_request<csmsg::GetChunkChecksumCommand>(packet);
    case msg::ANTOCS_GET_CHUNK_CHECKSUM_TAB: return decode_chunk_request<csmsg::GetChunkChecksumTabCommand>(packet);
    case msg::CLTOCS_HDD_LIST: return decode_empty<HddListRequest>(payload, "CLTOCS_HDD_LIST");
    case msg::CLTOAN_MODULE_INFO: return decode_empty<ModuleInfoRequest>(payload, "CLTOAN_MODULE_INFO");
    case msg::ANTOAN_GET_VERSION: {
      auto decoded = anymsg::decode_get_version(payload);
      if (!decoded) return decoded.status();
      return ToChunkserver(*decoded);
    }
    case msg::ANTOAN_GET_CONFIG: {
      auto decoded = anymsg::decode_get_config(payload);
      if (!decoded) return decoded.status();
      return ToChunkserver(std::move(*decoded));
    }
    default: return unknown_type(packet.type, "on the chunkserver data port");
  }
}

Result<FromChunkserver> decode_from_chunkserver(const Packet& packet) {
  Bytes payload(packet.payload);
  if (anymsg::is_ignorable(packet.type)) return FromChunkserver(anymsg::Ignorable{packet.type});
  switch (packet.type) {
    case msg::CSTOCL_READ_DATA: return decode_read_data(payload);
    case msg::CSTOCL_READ_STATUS: return decode_read_status(payload);
    case msg::CSTOCL_WRITE_STATUS: return decode_write_status(payload);
    case msg::CSTOAN_CHUNK_BLOCKS: {
      auto decoded = csmsg::decode_from_chunkserver(packet);
      if (!decoded) return decoded.status();
      return FromChunkserver(std::get<csmsg::ChunkBlocksReply>(*decoded));
    }
    default: return unknown_type(packet.type, "from a chunkserver data port");
  }
}

std::vector<uint8_t> encode(const ReadRequest& message) {
  PacketWriter out(ReadRequest::kType, 21);
  if (message.protover) out.u8(*message.protover);
  out.u64(message.chunkid).u32(message.version).u32(message.offset).u32(message.size);
  return out.take();
}

std::vector<uint8_t> encode(const ReadData& message) {
  PacketWriter out(ReadData::kType, kReadDataHeaderSize + message.data.size());
  out.u64(message.chunkid).u16(message.blocknum).u16(message.offset);
  out.u32(static_cast<uint32_t>(message.data.size())).u32(message.crc).bytes(message.data);
  return out.take();
}

std::vector<uint8_t> encode(const ReadStatus& message) {
  return PacketWriter(ReadStatus::kType, 9).u64(message.chunkid).u8(static_cast<uint8_t>(message.status)).take();
}

std::vector<uint8_t> encode(const WriteInit& message) {
  PacketWriter out(WriteInit::kType, 13 + kChainAddressSize * message.chain.size());
  if (message.protover) out.u8(*message.protover);
  out.u64(message.chunkid).u32(message.version);
  for (const ChainAddress& address : message.chain) out.u32(address.ip).u16(address.port);
  return out.take();
}

std::vector<uint8_t> encode(const WriteData& message) {
  PacketWriter out(WriteData::kType, kWriteDataHeaderSize + message.data.size());
  out.u64(message.chunkid).u32(message.writeid).u16(message.blocknum).u16(message.offset);
  out.u32(static_cast<uint32_t>(message.data.size())).u32(message.crc).bytes(message.data);
  return out.take();
}

std::vector<uint8_t> encode(const WriteStatus& message) {
  PacketWriter out(WriteStatus::kType, 13);
  out.u64(message.chunkid).u32(message.writeid).u8(static_cast<uint8_t>(message.status));
  return out.take();
}

std::vector<uint8_t> encode(const WriteFinish& message) {
  return PacketWriter(WriteFinish::kType, 12).u64(message.chunkid).u32(message.version).take();
}

std::vector<uint8_t> encode(const HddList& message) {
  PacketWriter out(HddList::kType);
  for (const DiskEntry& disk : message.disks) {
    std::string shortened;
    std::string_view path = reported_path(disk.path, shortened);
    out.u16(static_cast<uint16_t>(1 + path.size() + 33 + 3 * kDiskStatsSize));
    out.name8(path).u8(disk.flags).u64(disk.error_chunkid).u32(disk.error_time);
    out.u64(disk.used).u64(disk.total).u32(disk.chunks);
    write_stats(out, disk.last_minute);
    write_stats(out, disk.last_hour);
    write_stats(out, disk.last_day);
  }
  return out.take();
}

std::vector<uint8_t> encode(const ModuleInfo& message) {
  constexpr uint8_t kChunkserverModule = 2;
  PacketWriter out(ModuleInfo::kType, 21);
  out.u8(kChunkserverModule).u32(message.version).u16(message.csid).u64(message.metaid);
  out.u32(message.master_ip).u16(message.master_port);
  return out.take();
}

}  // namespace mfs::csdata
