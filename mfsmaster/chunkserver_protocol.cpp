#include "mfsmaster/chunkserver_protocol.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <variant>

#include "mfscommon/auth_digest.h"
#include "mfscommon/ip_address.h"
#include "mfscommon/log.h"
#include "mfscommon/overloaded.h"
#include "mfscommon/version.h"

namespace mfs::master {
namespace {

constexpr uint16_t kMinTimeout = 10;
constexpr uint32_t kVersionAcknowledgingBatches = pack_version(2, 0, 0);

// The list upload between BEGIN and END; spec 20 §2.3 allows none of it after END.
bool is_registration_step(const csmsg::ChunkserverToMaster& message) {
  return std::holds_alternative<csmsg::RegisterChunksV6>(message) ||
         std::holds_alternative<csmsg::RegisterChunksV5>(message) ||
         std::holds_alternative<csmsg::RegisterEndV6>(message) || std::holds_alternative<csmsg::RegisterEndV5>(message);
}

}  // namespace

ChunkserverProtocol::ChunkserverProtocol(ChunkserverServices& services, std::shared_ptr<ChunkserverLink> link)
    : services_(services), link_(std::move(link)) {}

bool ChunkserverProtocol::fail(std::string reason) {
  error_ = std::move(reason);
  return false;
}

bool ChunkserverProtocol::handle(const Packet& packet) {
  auto decoded = csmsg::decode_from_chunkserver(packet);
  if (!decoded) return fail("got unknown message: " + decoded.status().to_string());
  const csmsg::ChunkserverToMaster& message = *decoded;
  auto config_value = [this](const std::string& name) { return services_.config().get_string(name, ""); };
  if (anymsg::answer_any_request(message, config_value, [this](std::vector<uint8_t> frame) {
        link_->send(std::move(frame));
      })) {
    return true;
  }
  if (auto* begin_v6 = std::get_if<csmsg::RegisterBeginV6>(&message)) {
    if (server_) return fail("second registration on one connection");
    return begin(*begin_v6);
  }
  if (auto* begin_v5 = std::get_if<csmsg::RegisterBeginV5>(&message)) {
    if (!may_register_without_digest()) return false;
    if (!begin_legacy(begin_v5->version, begin_v5->ip, begin_v5->port, begin_v5->timeout, 0)) return false;
    link_->send(csmsg::encode(csmsg::AckAccepted{csmsg::AckAccepted::Form::kVersionOnly, kOwnVersion, 0, 0, 0}));
    return true;
  }
  if (auto* legacy = std::get_if<csmsg::RegisterLegacy>(&message)) {
    if (!may_register_without_digest()) return false;
    uint16_t timeout = std::max<uint16_t>(legacy->timeout, kMinTimeout);
    if (!begin_legacy(legacy->version, legacy->ip, legacy->port, timeout, 0)) return false;
    apply_space(legacy->space);
    announce(legacy->chunks);
    registration_finished();
    return true;
  }
  if (!server_) return fail("message before registration");
  if (server_->registered && is_registration_step(message)) return fail("registration packet after END");
  return handle_registered(message);
}

bool ChunkserverProtocol::may_register_without_digest() {
  if (server_) return fail("second registration on one connection");
  // Spec 20 §2.3: only the v6 BEGIN can answer the challenge, so AUTH_CODE refuses the older forms.
  if (services_.config().raw("AUTH_CODE")) return fail("registration without authentication while AUTH_CODE is set");
  return true;
}

bool ChunkserverProtocol::begin(const csmsg::RegisterBeginV6& request) {
  const ConfigFile& config = services_.config();
  if (auto code = config.raw("AUTH_CODE")) {
    if (!request.digest) {
      RAND_bytes(challenge_.data(), static_cast<int>(challenge_.size()));
      challenged_ = true;
      link_->send(csmsg::encode(csmsg::AckChallenge{challenge_}));
      return true;
    }
    if (!challenged_ || *request.digest != auth_digest(challenge_, *code)) {
      return fail("chunkserver authentication failed (wrong AUTH_CODE)");
    }
  }
  if (!begin_legacy(request.version, request.ip, request.port, request.timeout, request.csid)) return false;
  apply_space(request.space);
  uint16_t timeout = request.timeout;
  if (timeout == 0) {
    timeout = static_cast<uint16_t>(config.get_uint_clamped("MATOCS_TIMEOUT", 10, kMinTimeout, 65535));
  }
  link_->set_timeout(timeout);
  link_->send(csmsg::encode(csmsg::AckAccepted{csmsg::AckAccepted::Form::kFull, kOwnVersion, timeout, server_->csid,
                                               services_.metadata.meta_id()}));
  return true;
}

bool ChunkserverProtocol::begin_legacy(uint32_t version, uint32_t ip, uint16_t port, uint16_t timeout, uint16_t csid) {
  if (timeout != 0 && timeout < kMinTimeout) return fail("chunkserver timeout below 10 s");
  if (ip == 0) ip = link_->peer_ip();
  // MooseFS refuses loopback chunkservers; ALLOW_LOOPBACK_CHUNKSERVERS (MooseNG only) lets a
  // one-machine cluster run without a network namespace.
  if ((ip >> 24) == 127 && services_.config().get_uint("ALLOW_LOOPBACK_CHUNKSERVERS", 0) == 0) {
    return fail("chunkserver announces a loopback address " + ip_to_string(ip) +
                " (ALLOW_LOOPBACK_CHUNKSERVERS = 1 allows it)");
  }
  if (services_.servers.find_by_address(ip, port)) {
    return fail("can't accept chunkserver " + ip_to_string(ip) + ":" + std::to_string(port) + " (already connected)");
  }
  if (csid != 0 && services_.servers.find(csid)) csid = 0;  // that id is in use by another server
  server_ = &services_.servers.connect(ip, port, csid);
  services_.chunks.server_connected(*server_);
  server_->version = version;
  server_->send = [link = link_](std::vector<uint8_t> frame) { link->send(std::move(frame)); };
  MFS_LOG_NOTICE("chunkserver register begin (packet version: 6) - ip: %s, port: %u, csid: %u",
                 ip_to_string(ip).c_str(), port, server_->csid);
  return true;
}

void ChunkserverProtocol::apply_space(const csmsg::SpaceInfo& space) {
  bool could_take_chunks = server_->can_take_chunks();
  server_->used_space = space.used;
  server_->total_space = space.total;
  server_->chunk_count = space.chunks;
  server_->removal_used_space = space.td_used;
  server_->removal_total_space = space.td_total;
  server_->removal_chunk_count = space.td_chunks;
  // A real chunkserver reports its space only after registering.
  if (!could_take_chunks && server_->can_take_chunks() && server_->registered) services_.chunks.new_target_available();
}

void ChunkserverProtocol::announce(const std::vector<csmsg::ChunkEntry>& chunks) {
  std::vector<AnnouncedChunk> announced;
  announced.reserve(chunks.size());
  for (const csmsg::ChunkEntry& entry : chunks) {
    announced.push_back({entry.chunkid, entry.version, entry.marked_for_removal});
  }
  services_.chunks.chunks_announced(*server_, announced);
}

bool ChunkserverProtocol::handle_registered(const csmsg::ChunkserverToMaster& message) {
  ChunkManager& chunks = services_.chunks;
  Chunkserver& server = *server_;
  return std::visit(
      Overloaded{
          [&](const csmsg::RegisterChunksV6& batch) {
            announce(batch.chunks);
            if (server.version >= kVersionAcknowledgingBatches) link_->send(csmsg::encode(csmsg::AckNextBatch{}));
            return true;
          },
          [&](const csmsg::RegisterChunksV5& batch) {
            announce(batch.chunks);
            return true;
          },
          [&](const csmsg::RegisterEndV6&) {
            registration_finished();
            MFS_LOG_NOTICE("chunkserver register end - ip: %s, port: %u", ip_to_string(server.ip).c_str(), server.port);
            return true;
          },
          [&](const csmsg::RegisterEndV5& end) {
            apply_space(end.space);
            registration_finished();
            return true;
          },
          [&](const csmsg::RegisterDisconnect&) {
            MFS_LOG_NOTICE("chunkserver %s: graceful disconnection", server.address().c_str());
            server.leaving_gracefully = true;
            wants_close_ = true;
            return true;
          },
          [&](const csmsg::SpaceReport& report) {
            apply_space(report.space);
            return true;
          },
          [&](const csmsg::CurrentLoadReport& report) {
            uint32_t now = chunks.now();
            bool was_busy = server.busy(now);
            // The 4-byte form (chunkservers < 3.0.7) carries no hlstatus: the last one stays.
            uint8_t hlstatus = report.status ? static_cast<uint8_t>(*report.status) : server.health;
            services_.servers.report_load(server, report.load, hlstatus, now);
            if (was_busy && !server.busy(now) && server.registered) chunks.new_target_available();
            return true;
          },
          [&](const csmsg::LabelsReport& report) {
            server.labels = report.label_mask;
            return true;
          },
          [&](const csmsg::ErrorOccurredReport&) {
            ++server.errors;
            return true;
          },
          [&](const csmsg::ChunkDamagedReport& report) {
            for (uint64_t id : report.chunkids) chunks.chunk_damaged(server, id);
            return true;
          },
          [&](const csmsg::ChunkLostReport& report) {
            for (uint64_t id : report.chunkids) chunks.chunk_lost(server, id);
            return true;
          },
          [&](const csmsg::ChunkNewReport& report) {
            announce(report.chunks);
            return true;
          },
          [&](const csmsg::CreateReply& reply) {
            chunks.operation_finished(server, reply.chunkid, static_cast<uint8_t>(reply.status));
            return true;
          },
          [&](const csmsg::SetVersionReply& reply) {
            chunks.operation_finished(server, reply.chunkid, static_cast<uint8_t>(reply.status));
            return true;
          },
          [&](const csmsg::TruncateReply& reply) {
            chunks.operation_finished(server, reply.chunkid, static_cast<uint8_t>(reply.status));
            return true;
          },
          [&](const csmsg::DuplicateReply& reply) {
            chunks.operation_finished(server, reply.chunkid, static_cast<uint8_t>(reply.status));
            return true;
          },
          [&](const csmsg::DupTruncReply& reply) {
            chunks.operation_finished(server, reply.chunkid, static_cast<uint8_t>(reply.status));
            return true;
          },
          [&](const csmsg::DeleteReply& reply) {
            chunks.deletion_finished(server, reply.chunkid, static_cast<uint8_t>(reply.status));
            return true;
          },
          [&](const csmsg::ReplicateReply& reply) {
            chunks.replication_finished(server, reply.chunkid, reply.version, static_cast<uint8_t>(reply.status));
            return true;
          },
          [&](const csmsg::ChunkChecksumReply& reply) {
            MFS_LOG_INFO("chunkserver %s: checksum of chunk %016llX reported", server.address().c_str(),
                         static_cast<unsigned long long>(reply.chunkid));
            return true;
          },
          [&](const auto&) { return fail("got unknown message from chunkserver"); },
      },
      message);
}

void ChunkserverProtocol::registration_finished() {
  server_->registered = true;
  services_.chunks.new_target_available();
  const auto& servers = services_.servers.all();
  bool all_registered =
      std::all_of(servers.begin(), servers.end(), [](const auto& entry) { return entry.second->registered; });
  // Spec 10 §11: once every registering server is done, mounts look chunks up afresh.
  if (all_registered) services_.client_notifier.chunk_locations_changed();
}

void ChunkserverProtocol::disconnected() {
  if (!server_) return;
  MFS_LOG_NOTICE("chunkserver %s disconnected", server_->address().c_str());
  services_.chunks.server_disconnected(*server_);
  services_.servers.disconnect(*server_);
  server_ = nullptr;
  services_.client_notifier.chunk_locations_changed();
}

}  // namespace mfs::master
