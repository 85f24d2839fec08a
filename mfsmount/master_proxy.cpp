#include "mfsmount/master_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"

namespace mfs::mount {

namespace {

constexpr std::chrono::milliseconds kToolTimeout{20000};
constexpr uint32_t kMaxToolPayload = 50000;
constexpr size_t kMaxReplyData = 3999988;
constexpr size_t kToolsRegisterSize = 73;
constexpr uint8_t kRcodeTools = 4;

bool is_tools_registration(const Packet& packet) {
  return packet.payload.size() == kToolsRegisterSize &&
         std::memcmp(packet.payload.data(), kRegisterBlob.data(), kRegisterBlob.size()) == 0 &&
         packet.payload[kRegisterBlob.size()] == kRcodeTools;
}

}  // namespace

std::vector<uint8_t> MasterProxy::master_info() const {
  SessionReply session = master_.session();
  PacketWriter record(0);
  record.u32(ip_).u16(port_).u32(session.session_id).u32(session.master_version);
  std::vector<uint8_t> frame = record.take();
  return std::vector<uint8_t>(frame.begin() + kPacketHeaderSize, frame.end());
}

Status MasterProxy::start(uint32_t ip) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) return Status(StatusCode::kIO, std::string("master proxy socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(ip);
  socklen_t length = sizeof(address);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(listener_, 100) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Status(StatusCode::kIO, std::string("master proxy listen: ") + std::strerror(errno));
  }
  ip_ = ip;
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
  return Status::ok();
}

void MasterProxy::accept_loop() {
  while (true) {
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // Threads of tools that went away are joined here, so they do not pile up.
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (*it->done) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    Worker& worker = workers_.emplace_back();
    worker.tool = std::make_shared<TcpSocket>(fd);
    worker.tool->set_timeout(kToolTimeout);
    worker.done = std::make_shared<std::atomic<bool>>(false);
    worker.thread = std::thread([this, tool = worker.tool, done = worker.done] {
      serve(*tool);
      *done = true;
    });
  }
}

void MasterProxy::serve(TcpSocket& tool) {
  while (true) {
    Result<Packet> packet = tool.read_packet(kMaxToolPayload);
    if (!packet) break;
    if (packet->type == msg::CLTOMA_FUSE_REGISTER) {
      if (!is_tools_registration(*packet)) break;
      if (!tool.write_all(PacketWriter(msg::MATOCL_FUSE_REGISTER).u8(0).take())) break;
      continue;
    }
    if (packet->payload.size() < 4) break;
    uint32_t tool_msgid = get_u32_be(packet->payload.data());
    Frame request = PacketWriter(packet->type).u32(0).bytes(std::span(packet->payload).subspan(4)).take();
    uint32_t reply_type = 0;
    Result<std::vector<uint8_t>> reply = master_.call(std::move(request), kAnyReply, &reply_type);
    if (!reply || reply->size() > kMaxReplyData) break;
    if (!tool.write_all(PacketWriter(reply_type).u32(tool_msgid).bytes(*reply).take())) break;
  }
  tool.shutdown();
}

void MasterProxy::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || listener_ < 0) return;
    stopping_ = true;
    for (Worker& worker : workers_) worker.tool->shutdown();
  }
  ::shutdown(listener_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  for (Worker& worker : workers_) worker.thread.join();
  ::close(listener_);
}

}  // namespace mfs::mount
