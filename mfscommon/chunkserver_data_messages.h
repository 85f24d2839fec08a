// Typed messages of the chunkserver data port (spec 20 §3, §4, §6) and their codecs: reads
// and chained writes of clients, the requests another chunkserver sends when it
// replicates, and the monitoring queries of mfscli. The chunk information requests and
// replies (GET_CHUNK_BLOCKS, CHECKSUM, CHECKSUM_TAB) are the types of
// chunkserver_master_messages.h, which travel on both links.
//
// Decoders accept exactly the lengths the 3.0.117 receivers accept and never read out of
// bounds. The data of ReadData and WriteData is a view into the decoded packet's payload:
// the packet must outlive the message. Every encode() returns a complete frame.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mfscommon/any_messages.h"
#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/status.h"

namespace mfs::csdata {

// Chunk geometry (spec 00 §9).
inline constexpr uint32_t kBlockSize = 0x10000;
inline constexpr uint32_t kChunkSize = 0x04000000;
// Payloads the data port accepts from anyone, and the replicator from a source.
inline constexpr uint32_t kMaxDataPortPayload = 100000;
inline constexpr uint32_t kMaxReplicationPayload = 20 + kBlockSize;
// protover of the new READ/WRITE forms: the peer understands NOPs inside a reply.
inline constexpr uint8_t kProtocolVersion1 = 1;

// CLTOCS_READ: 20 bytes, or 21 with protover first.
struct ReadRequest {
  static constexpr uint32_t kType = msg::CLTOCS_READ;
  std::optional<uint8_t> protover;
  uint64_t chunkid = 0;
  uint32_t version = 0;  // 0 = any
  uint32_t offset = 0;   // inside the chunk
  uint32_t size = 0;
  bool operator==(const ReadRequest&) const = default;
};

// CSTOCL_READ_DATA: the bytes of one block touched by a read, with their CRC.
struct ReadData {
  static constexpr uint32_t kType = msg::CSTOCL_READ_DATA;
  uint64_t chunkid = 0;
  uint16_t blocknum = 0;
  uint16_t offset = 0;  // inside the block
  uint32_t crc = 0;     // of exactly `data`
  std::span<const uint8_t> data;
};

// CSTOCL_READ_STATUS: the last packet of every read.
struct ReadStatus {
  static constexpr uint32_t kType = msg::CSTOCL_READ_STATUS;
  uint64_t chunkid = 0;
  StatusCode status = StatusCode::kOk;
  bool operator==(const ReadStatus&) const = default;
};

// A chunkserver of a write chain.
struct ChainAddress {
  uint32_t ip = 0;
  uint16_t port = 0;
  bool operator==(const ChainAddress&) const = default;
};

// CLTOCS_WRITE: 13+6N bytes with protover (odd length), 12+6N without (even length).
// `chain` lists the servers that follow the receiver.
struct WriteInit {
  static constexpr uint32_t kType = msg::CLTOCS_WRITE;
  std::optional<uint8_t> protover;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  std::vector<ChainAddress> chain;
  bool operator==(const WriteInit&) const = default;
};

// CLTOCS_WRITE_DATA: 24+size bytes. The sizes and offsets are checked by the chunkserver
// (with a status), not by the decoder.
struct WriteData {
  static constexpr uint32_t kType = msg::CLTOCS_WRITE_DATA;
  uint64_t chunkid = 0;
  uint32_t writeid = 0;
  uint16_t blocknum = 0;
  uint16_t offset = 0;
  uint32_t crc = 0;  // of exactly `data`
  std::span<const uint8_t> data;
};

// CSTOCL_WRITE_STATUS; writeid 0 answers the WriteInit.
struct WriteStatus {
  static constexpr uint32_t kType = msg::CSTOCL_WRITE_STATUS;
  uint64_t chunkid = 0;
  uint32_t writeid = 0;
  StatusCode status = StatusCode::kOk;
  bool operator==(const WriteStatus&) const = default;
};

// CLTOCS_WRITE_FINISH: ends a write transaction, unanswered.
struct WriteFinish {
  static constexpr uint32_t kType = msg::CLTOCS_WRITE_FINISH;
  uint64_t chunkid = 0;
  uint32_t version = 0;
  bool operator==(const WriteFinish&) const = default;
};

// CLTOCS_HDD_LIST (empty) and CLTOAN_MODULE_INFO (empty).
struct HddListRequest {
  static constexpr uint32_t kType = msg::CLTOCS_HDD_LIST;
  bool operator==(const HddListRequest&) const = default;
};
struct ModuleInfoRequest {
  static constexpr uint32_t kType = msg::CLTOAN_MODULE_INFO;
  bool operator==(const ModuleInfoRequest&) const = default;
};

// One 64-byte statistics block of an HDD_LIST entry.
struct DiskStats {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t usec_read_sum = 0;
  uint64_t usec_write_sum = 0;
  uint64_t usec_fsync_sum = 0;
  uint32_t read_ops = 0;
  uint32_t write_ops = 0;
  uint32_t fsync_ops = 0;
  uint32_t usec_read_max = 0;
  uint32_t usec_write_max = 0;
  uint32_t usec_fsync_max = 0;
};

// Flags of an HDD_LIST entry.
inline constexpr uint8_t kDiskMarkedForRemoval = 1;
inline constexpr uint8_t kDiskDamaged = 2;
inline constexpr uint8_t kDiskScanning = 4;

// One mfshdd.cfg line as CSTOCL_HDD_LIST reports it.
struct DiskEntry {
  std::string path;  // longer than 255 bytes: sent as "(...)" + its last 250 bytes
  uint8_t flags = 0;
  uint64_t error_chunkid = 0;
  uint32_t error_time = 0;
  uint64_t used = 0;
  uint64_t total = 0;
  uint32_t chunks = 0;
  DiskStats last_minute;
  DiskStats last_hour;
  DiskStats last_day;
};

// CSTOCL_HDD_LIST: the entries in mfshdd.cfg order.
struct HddList {
  static constexpr uint32_t kType = msg::CSTOCL_HDD_LIST;
  std::vector<DiskEntry> disks;
};

// ANTOCL_MODULE_INFO (21 bytes); master ip/port are 0 while unregistered.
struct ModuleInfo {
  static constexpr uint32_t kType = msg::ANTOCL_MODULE_INFO;
  uint32_t version = 0;
  uint16_t csid = 0;
  uint64_t metaid = 0;
  uint32_t master_ip = 0;
  uint16_t master_port = 0;
};

// What a chunkserver accepts on its data port.
using ToChunkserver =
    std::variant<ReadRequest, WriteInit, WriteData, WriteFinish, csmsg::GetChunkBlocksCommand,
                 csmsg::GetChunkChecksumCommand, csmsg::GetChunkChecksumTabCommand, HddListRequest,
                 ModuleInfoRequest, anymsg::Ignorable, anymsg::GetVersion, anymsg::GetConfig>;

// What a reader, a writer or a replicator gets back from a chunkserver.
using FromChunkserver = std::variant<ReadData, ReadStatus, WriteStatus, csmsg::ChunkBlocksReply, anymsg::Ignorable>;

// An unknown type or a length the type does not allow is an error.
Result<ToChunkserver> decode_to_chunkserver(const Packet& packet);
Result<FromChunkserver> decode_from_chunkserver(const Packet& packet);

std::vector<uint8_t> encode(const ReadRequest& message);
std::vector<uint8_t> encode(const ReadData& message);
std::vector<uint8_t> encode(const ReadStatus& message);
std::vector<uint8_t> encode(const WriteInit& message);
std::vector<uint8_t> encode(const WriteData& message);
std::vector<uint8_t> encode(const WriteStatus& message);
std::vector<uint8_t> encode(const WriteFinish& message);
std::vector<uint8_t> encode(const HddList& message);
std::vector<uint8_t> encode(const ModuleInfo& message);

}  // namespace mfs::csdata
