#include "mfschunkserver/data_connection.h"

#include <variant>

#include "mfschunkserver/chunk_queries.h"
#include "mfschunkserver/read_request.h"
#include "mfschunkserver/write_session.h"
#include "mfscommon/log.h"
#include "mfscommon/packet_connection.h"

namespace mfs::cs {

namespace asio = boost::asio;

namespace {

// An idle connection is closed after 5 s without a packet (spec 20 §3.1); read data
// waits while 1 MiB is queued for a slow client.
constexpr ConnectionLimits kDataPortLimits{csdata::kMaxDataPortPayload, std::chrono::seconds(5), 1u << 20};

// Handles one packet of an idle connection; false when the connection must close.
asio::awaitable<bool> handle(const std::shared_ptr<PacketConnection>& connection, DataServices& services,
                             const Packet& packet, std::optional<Packet>& leftover) {
  auto message = csdata::decode_to_chunkserver(packet);
  if (!message) {
    MFS_LOG_NOTICE("data connection %s: %s - closing", connection->peer_name().c_str(),
                   message.status().to_string().c_str());
    co_return false;
  }
  ChunkStore& store = services.store;
  if (auto* read = std::get_if<csdata::ReadRequest>(&*message)) {
    co_await serve_read(*connection, store, *read);
  } else if (auto* write = std::get_if<csdata::WriteInit>(&*message)) {
    leftover = co_await serve_write(connection, store, services.chain, std::move(*write));
  } else if (std::holds_alternative<csdata::WriteData>(*message) ||
             std::holds_alternative<csdata::WriteFinish>(*message)) {
    co_return false;  // the rest of a transaction that ended: closed silently
  } else if (auto* blocks = std::get_if<csmsg::GetChunkBlocksCommand>(&*message)) {
    std::vector<uint8_t> reply = co_await answer(store, *blocks);
    connection->send(std::move(reply));
  } else if (auto* checksum = std::get_if<csmsg::GetChunkChecksumCommand>(&*message)) {
    std::vector<uint8_t> reply = co_await answer(store, *checksum);
    connection->send(std::move(reply));
  } else if (auto* table = std::get_if<csmsg::GetChunkChecksumTabCommand>(&*message)) {
    std::vector<uint8_t> reply = co_await answer(store, *table);
    connection->send(std::move(reply));
  } else if (std::holds_alternative<csdata::HddListRequest>(*message)) {
    connection->send(csdata::encode(csdata::HddList{store.disk_entries()}));
  } else if (std::holds_alternative<csdata::ModuleInfoRequest>(*message)) {
    connection->send(csdata::encode(services.module_info()));
  } else if (auto* version = std::get_if<anymsg::GetVersion>(&*message)) {
    connection->send(anymsg::encode(anymsg::own_version_reply(*version)));
  } else if (auto* config = std::get_if<anymsg::GetConfig>(&*message)) {
    std::string value = services.config().raw(config->name).value_or("");
    connection->send(anymsg::encode(anymsg::ConfigValue{config->msgid, value}));
  }
  co_return true;  // a keep-alive needs nothing
}

}  // namespace

asio::awaitable<void> serve_data_connection(asio::ip::tcp::socket socket, DataServices& services) {
  auto connection = std::make_shared<PacketConnection>(std::move(socket), kDataPortLimits);
  std::optional<Packet> packet;
  while (connection->is_open()) {
    if (!packet) packet = co_await connection->read();
    if (!packet) break;
    Packet current = std::move(*packet);
    packet.reset();
    if (!co_await handle(connection, services, current, packet)) {
      connection->close_after_flush();
      break;
    }
  }
}

}  // namespace mfs::cs
