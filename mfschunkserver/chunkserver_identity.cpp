#include "mfschunkserver/chunkserver_identity.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "mfscommon/packet.h"

namespace mfs::cs {

ChunkserverIdentity read_identity(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  PacketReader reader(bytes);
  ChunkserverIdentity identity;
  identity.csid = reader.u16();
  if (bytes.size() >= 10) identity.metaid = reader.u64();
  return reader.ok() ? identity : ChunkserverIdentity{};
}

Status write_identity(const std::string& path, const ChunkserverIdentity& identity) {
  std::vector<uint8_t> frame = PacketWriter(0, 10).u16(identity.csid).u64(identity.metaid).take();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(frame.data() + kPacketHeaderSize),
            static_cast<std::streamsize>(frame.size() - kPacketHeaderSize));
  if (!out) return Status(StatusCode::kIO, "can't write " + path + ": " + std::strerror(errno));
  return Status::ok();
}

}  // namespace mfs::cs
