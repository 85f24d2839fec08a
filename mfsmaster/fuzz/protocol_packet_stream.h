// The property the protocol packet fuzzers check, shared by the libFuzzer target and the
// deterministic GoogleTest run: arbitrary packets from clients and chunkservers never crash
// the master, it sends only well-formed frames, its changelog replays to the same version,
// and it keeps serving a bystander mount.
//
// Input: records `peer:u8 type:u32 length:u16 payload` (the last payload may be cut short;
// an incomplete header ends the stream). `peer % 5` selects:
//   0 a mount registered with NEWSESSION        1 a client connection before registration
//   2 a registered chunkserver                  3 a chunkserver connection before BEGIN
//   4 no packet: `type % 3600` seconds pass and the master does its periodic chunk work.
// A refused packet, CLOSESESSION or a chunkserver's DISCONNECT replaces the peer with a
// fresh one of its kind, as that connection is closed.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmaster/changelog_reader.h"
#include "mfsmaster/tests/protocol_master.h"
#include "mfsmaster/tests/protocol_requests.h"

namespace mfs::master::testing {
namespace packet_stream {

// Either side's connection: keeps the frames the master sends, noting the first bad one.
class RecordingLink : public ClientLink, public ChunkserverLink {
 public:
  RecordingLink(uint32_t ip, std::string& violation) : ip_(ip), violation_(violation) {}
  void send(std::vector<uint8_t> frame) override {
    bool consistent =
        frame.size() >= kPacketHeaderSize && get_u32_be(frame.data() + 4) == frame.size() - kPacketHeaderSize;
    if (!consistent && violation_.empty()) violation_ = "master sent a frame with a wrong length field";
    if (consistent) frames.push_back(std::move(frame));
  }
  void close_after_flush() override { closing = true; }
  uint32_t peer_ip() const override { return ip_; }
  void set_timeout(uint16_t) override {}

  std::vector<std::vector<uint8_t>> frames;
  bool closing = false;

 private:
  uint32_t ip_;
  std::string& violation_;
};

template <class Protocol>
struct Peer {
  std::shared_ptr<RecordingLink> link;
  std::unique_ptr<Protocol> protocol;
};

class Run {
 public:
  // The master and its registered peers; what failed, if anything.
  std::optional<std::string> start() {
    Status started = master_.start();
    if (!started) return "master set-up failed: " + started.to_string();
    bystander_ = client(kClientIp);
    mount_ = client(kClientIp);
    if (!new_session(bystander_) || !new_session(mount_)) return "a mount could not register";
    mount_session_ = get_u32_be(mount_.link->frames.back().data() + kPacketHeaderSize + 4);
    guest_ = client(kGuestIp);
    visitor_ = chunkserver(kVisitorIp);
    if (!register_chunkserver()) return "the chunkserver could not register";
    return std::nullopt;
  }

  void feed(uint8_t peer, const Packet& packet) {
    switch (peer % 5) {
      case 0:
        if (!mount_.protocol->handle(packet) || mount_.link->closing) {
          replace(mount_, client(kClientIp));
          mount_.protocol->handle(request::reconnect(mount_session_));
        }
        break;
      case 1:
        if (!guest_.protocol->handle(packet) || guest_.link->closing) replace(guest_, client(kGuestIp));
        break;
      case 2:
        if (!registered_.protocol->handle(packet) || registered_.protocol->wants_close()) {
          registered_.protocol->disconnected();
          register_chunkserver();
        }
        break;
      case 3:
        if (!visitor_.protocol->handle(packet) || visitor_.protocol->wants_close()) {
          replace(visitor_, chunkserver(kVisitorIp));
        }
        break;
      default:
        master_.now += packet.type % 3600;
        master_.chunks->housekeeping(master_.now);
        break;
    }
    for (auto* link : {mount_.link.get(), guest_.link.get(), registered_.link.get(), visitor_.link.get()}) {
      link->frames.clear();
    }
  }

  std::optional<std::string> finish() {
    if (!master_.run_until_durable()) return "changelog never became durable";
    bystander_.link->frames.clear();
    if (!bystander_.protocol->handle(request::getattr(1, kRootInode))) return "bystander GETATTR refused";
    if (!master_.run_until_durable()) return "changelog never became durable";
    if (!violation_.empty()) return violation_;
    if (bystander_.link->frames.size() != 1 || bystander_.link->frames[0].size() != kPacketHeaderSize + 40) {
      return "bystander GETATTR not answered with an attribute record";
    }
    Metadata fresh;
    fresh.init_empty(ProtocolMaster::kNow);
    Status replayed = replay_changelogs(master_.data_path, fresh.version(),
                                        [&fresh](const ChangelogEntry& entry) { return fresh.apply(entry); });
    if (!replayed) return "changelog does not replay: " + replayed.to_string();
    if (fresh.version() != master_.metadata.version()) return "replayed changelog reaches another version";
    return std::nullopt;
  }

 private:
  static constexpr uint32_t kGuestIp = kClientIp + 1;
  static constexpr uint32_t kRegisteredIp = 0x0A000001;
  static constexpr uint32_t kVisitorIp = 0x0A000002;

  Peer<ClientProtocol> client(uint32_t ip) {
    auto link = std::make_shared<RecordingLink>(ip, violation_);
    return {link, std::make_unique<ClientProtocol>(*master_.client_services, link)};
  }

  Peer<ChunkserverProtocol> chunkserver(uint32_t ip) {
    auto link = std::make_shared<RecordingLink>(ip, violation_);
    return {link, std::make_unique<ChunkserverProtocol>(*master_.chunkserver_services, link)};
  }

  template <class Protocol>
  static void replace(Peer<Protocol>& peer, Peer<Protocol> fresh) {
    peer.protocol->disconnected();
    peer = std::move(fresh);
  }

  bool new_session(Peer<ClientProtocol>& peer) {
    return peer.protocol->handle(request::new_session({})) && master_.run_until_durable() &&
           !peer.link->frames.empty() && peer.link->frames.back().size() == kPacketHeaderSize + 49;
  }

  // A new connection, on a new port each time: a fuzzed BEGIN may have taken the last one.
  bool register_chunkserver() {
    registered_ = chunkserver(kRegisteredIp);
    return registered_.protocol->handle(unframe(csmsg::encode(chunkserver_begin(kRegisteredIp, next_port_++)))) &&
           registered_.protocol->handle(unframe(csmsg::encode(csmsg::RegisterEndV6{})));
  }

  ProtocolMaster master_;
  std::string violation_;
  Peer<ClientProtocol> bystander_;
  Peer<ClientProtocol> mount_;
  Peer<ClientProtocol> guest_;
  Peer<ChunkserverProtocol> registered_;
  Peer<ChunkserverProtocol> visitor_;
  uint32_t mount_session_ = 0;
  uint16_t next_port_ = 9422;
};

}  // namespace packet_stream

// nullopt when the property holds for `input`, else what went wrong.
inline std::optional<std::string> protocol_packet_stream_violation(std::span<const uint8_t> input) {
  packet_stream::Run run;
  if (auto failed = run.start()) return failed;
  constexpr size_t kRecordHeader = 7;
  PacketReader in(input);
  while (in.remaining() >= kRecordHeader) {
    uint8_t peer = in.u8();
    Packet packet;
    packet.type = in.u32();
    size_t length = in.u16();
    std::span<const uint8_t> payload = in.bytes(std::min(length, in.remaining()));
    packet.payload.assign(payload.begin(), payload.end());
    run.feed(peer, packet);
  }
  return run.finish();
}

}  // namespace mfs::master::testing
