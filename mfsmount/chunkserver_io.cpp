#include "mfsmount/chunkserver_io.h"

#include <algorithm>
#include <cstring>
#include <variant>

#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/crc32.h"
#include "mfscommon/ip_address.h"

namespace mfs::mount {

namespace {

using std::chrono::milliseconds;
constexpr milliseconds kConnectTimeout{2000};
constexpr milliseconds kIoTimeout{10000};
// A chunkserver closes a connection after 5 s idle (spec 20 §3.1): reuse younger ones only.
constexpr std::chrono::seconds kMaxIdleAge{3};
constexpr size_t kMaxIdlePerServer = 8;
constexpr size_t kWriteWindow = 64;  // WRITE_DATA statuses in flight, as the 3.0.117 client
constexpr uint32_t kMaxDataPacket = 20 + csdata::kBlockSize;

uint64_t server_key(uint32_t ip, uint16_t port) { return static_cast<uint64_t>(ip) << 16 | port; }

std::string server_name(uint32_t ip, uint16_t port) { return ip_to_string(ip) + ":" + std::to_string(port); }

Status protocol_error(uint32_t ip, uint16_t port, const std::string& what) {
  return Status(StatusCode::kIO, "chunkserver " + server_name(ip, port) + ": " + what);
}

// The next packet that is not a NOP, decoded.
Result<csdata::FromChunkserver> next_message(TcpSocket& socket, Packet& packet) {
  while (true) {
    Result<Packet> read = socket.read_packet(kMaxDataPacket);
    if (!read) return read.status();
    packet = std::move(*read);
    Result<csdata::FromChunkserver> message = csdata::decode_from_chunkserver(packet);
    if (!message) return message.status();
    if (!std::holds_alternative<anymsg::Ignorable>(*message)) return message;
  }
}

}  // namespace

Result<TcpSocket> ChunkserverPool::acquire(uint32_t ip, uint16_t port) {
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[server_key(ip, port)];
    auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      Idle candidate = std::move(idle.back());
      idle.pop_back();
      if (now - candidate.since < kMaxIdleAge) return std::move(candidate.socket);
    }
  }
  Result<TcpSocket> socket = TcpSocket::connect(ip, port, bind_ip_, kConnectTimeout);
  if (socket) socket->set_timeout(kIoTimeout);
  return socket;
}

void ChunkserverPool::release(uint32_t ip, uint16_t port, TcpSocket socket) {
  std::lock_guard lock(mutex_);
  auto& idle = idle_[server_key(ip, port)];
  if (idle.size() < kMaxIdlePerServer) idle.push_back({std::move(socket), std::chrono::steady_clock::now()});
}

Status read_from_copy(ChunkserverPool& pool, const ChunkCopy& copy, uint64_t chunkid, uint32_t version,
                      uint32_t offset, std::span<uint8_t> out) {
  if (out.empty()) return Status::ok();
  Result<TcpSocket> socket = pool.acquire(copy.ip, copy.port);
  if (!socket) return socket.status();
  csdata::ReadRequest request{csdata::kProtocolVersion1, chunkid, version, offset, static_cast<uint32_t>(out.size())};
  if (Status s = socket->write_all(csdata::encode(request)); !s) return s;
  size_t received = 0;
  Packet packet;
  while (true) {
    Result<csdata::FromChunkserver> message = next_message(*socket, packet);
    if (!message) return protocol_error(copy.ip, copy.port, message.status().to_string());
    if (auto* data = std::get_if<csdata::ReadData>(&*message)) {
      uint64_t position = static_cast<uint64_t>(data->blocknum) * csdata::kBlockSize + data->offset;
      if (data->chunkid != chunkid || position != offset + received || data->data.size() > out.size() - received) {
        return protocol_error(copy.ip, copy.port, "data packet out of place");
      }
      if (crc32(data->data) != data->crc) return protocol_error(copy.ip, copy.port, "CRC error in read data");
      std::memcpy(out.data() + received, data->data.data(), data->data.size());
      received += data->data.size();
    } else if (auto* status = std::get_if<csdata::ReadStatus>(&*message)) {
      if (status->chunkid != chunkid) return protocol_error(copy.ip, copy.port, "status of another chunk");
      if (status->status != StatusCode::kOk) {
        return Status(status->status, "read from chunkserver " + server_name(copy.ip, copy.port));
      }
      if (received != out.size()) return protocol_error(copy.ip, copy.port, "read ended early");
      pool.release(copy.ip, copy.port, std::move(*socket));
      return Status::ok();
    } else {
      return protocol_error(copy.ip, copy.port, "unexpected packet during a read");
    }
  }
}

namespace {

// Reads the status of WRITE_DATA `writeid` (0 = the init).
Status expect_write_status(TcpSocket& socket, const ChunkCopy& head, uint64_t chunkid, uint32_t writeid) {
  Packet packet;
  Result<csdata::FromChunkserver> message = next_message(socket, packet);
  if (!message) return protocol_error(head.ip, head.port, message.status().to_string());
  auto* status = std::get_if<csdata::WriteStatus>(&*message);
  if (status == nullptr) return protocol_error(head.ip, head.port, "unexpected packet during a write");
  if (status->status != StatusCode::kOk) {
    return Status(status->status, "write to chunkserver chain at " + server_name(head.ip, head.port));
  }
  if (status->chunkid != chunkid || status->writeid != writeid) {
    return protocol_error(head.ip, head.port, "write status out of order");
  }
  return Status::ok();
}

}  // namespace

Status write_to_chain(ChunkserverPool& pool, const ChunkLocation& location, std::span<const BlockPiece> pieces) {
  if (location.copies.empty()) return Status(StatusCode::kNoChunkServers, "no chunkserver to write to");
  const ChunkCopy& head = location.copies.front();
  Result<TcpSocket> socket = pool.acquire(head.ip, head.port);
  if (!socket) return socket.status();
  csdata::WriteInit init;
  init.protover = csdata::kProtocolVersion1;
  init.chunkid = location.chunkid;
  init.version = location.version;
  for (size_t i = 1; i < location.copies.size(); ++i) {
    init.chain.push_back({location.copies[i].ip, location.copies[i].port});
  }
  // The data follows the init without waiting for the chain's status (one round trip
  // less per write). Statuses come back in write id order, the init's (id 0) first, so a
  // failed init is still seen first; the connection is then dropped, not reused.
  if (Status s = socket->write_all(csdata::encode(init)); !s) return s;
  uint32_t next_status = 0;  // the write id whose status comes next
  for (size_t i = 0; i < pieces.size(); ++i) {
    const BlockPiece& piece = pieces[i];
    csdata::WriteData data;
    data.chunkid = location.chunkid;
    data.writeid = static_cast<uint32_t>(i + 1);
    data.blocknum = static_cast<uint16_t>(piece.chunk_offset / csdata::kBlockSize);
    data.offset = static_cast<uint16_t>(piece.chunk_offset % csdata::kBlockSize);
    data.crc = crc32(piece.data);
    data.data = piece.data;
    if (Status s = socket->write_all(csdata::encode(data)); !s) return s;
    while (data.writeid + 1 - next_status > kWriteWindow) {
      if (Status s = expect_write_status(*socket, head, location.chunkid, next_status++); !s) return s;
    }
  }
  while (next_status <= pieces.size()) {
    if (Status s = expect_write_status(*socket, head, location.chunkid, next_status++); !s) return s;
  }
  if (Status s = socket->write_all(csdata::encode(csdata::WriteFinish{location.chunkid, location.version})); !s) {
    return s;
  }
  pool.release(head.ip, head.port, std::move(*socket));
  return Status::ok();
}

}  // namespace mfs::mount
