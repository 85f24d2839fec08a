#include "mfschunkserver/write_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <array>
#include <chrono>
#include <deque>
#include <variant>

#include "mfschunkserver/async_event.h"
#include "mfscommon/log.h"
#include "mfscommon/outgoing_connection.h"

namespace mfs::cs {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Connect timeouts of the attempts to reach the next server of the chain (spec 20 §3.3).
constexpr std::array<std::chrono::milliseconds, 10> kChainConnectAttempts = {
    200ms, 300ms, 400ms, 600ms, 800ms, 1200ms, 1600ms, 2400ms, 3200ms, 4800ms};
constexpr std::chrono::seconds kDownstreamTimeout{10};
constexpr auto kMinNopInterval = 500ms;
constexpr size_t kMaxQueuedWrites = 256;

std::vector<uint8_t> frame_of(const Packet& packet) {
  return PacketWriter(packet.type, packet.payload.size()).bytes(packet.payload).take();
}

class WriteSession : public std::enable_shared_from_this<WriteSession> {
 public:
  WriteSession(std::shared_ptr<PacketConnection> client, ChunkStore& store, ChainConnections& chain,
               csdata::WriteInit init, const asio::any_io_executor& executor)
      : client_(std::move(client)),
        store_(store),
        chain_(chain),
        init_(std::move(init)),
        jobs_ready_(executor),
        written_(executor),
        downstream_expected_(executor) {}

  asio::awaitable<std::optional<Packet>> run();

 private:
  enum class State { kOpen, kEnded, kAborted };

  struct Pending {
    uint32_t writeid = 0;
    std::optional<Status> local;
    std::optional<StatusCode> downstream;
  };
  struct Job {
    std::shared_ptr<Packet> packet;  // owns the bytes `data` points into
    csdata::WriteData data;
  };

  // Opens the chain and the local chunk; false when the transaction is already over.
  asio::awaitable<bool> begin();
  // Connects to the next server of the chain (an idle connection when `reuse` and one is
  // cached) and forwards the init; false (CANTCONNECT sent) when it cannot connect.
  asio::awaitable<bool> forward_init(bool reuse);
  // Handles one client packet of the open transaction.
  asio::awaitable<void> on_client_packet(const std::shared_ptr<Packet>& packet);
  asio::awaitable<void> finish(const csdata::WriteFinish& finish);
  asio::awaitable<void> write_locally();
  asio::awaitable<void> read_downstream();
  // Sends the statuses that are complete, in order.
  void flush();
  void status_to_client(uint32_t writeid, StatusCode status) {
    client_->send(csdata::encode(csdata::WriteStatus{init_.chunkid, writeid, status}));
  }
  // A downstream status not read yet: the reader must wait for it.
  bool awaiting_downstream() const { return !pending_.empty() && !pending_.back().downstream; }
  // `clean`: the transaction was finished by a matching WRITE_FINISH.
  void end(bool clean = false) {
    state_ = State::kEnded;
    jobs_ready_.notify();
    downstream_expected_.notify();
    if (!downstream_) return;
    // Reused by the next transaction to that server only if nothing is left to read on it
    // (spec 20 §3.3: kept when the transaction ended cleanly with protover 1).
    const csdata::ChainAddress& next = init_.chain.front();
    if (clean && init_.protover && !reading_downstream_ && !awaiting_downstream()) {
      chain_.give_back(next.ip, next.port, std::move(downstream_));  // after the forwarded WRITE_FINISH
    } else {
      downstream_->close_after_flush();
    }
    downstream_.reset();
  }
  void abort(const char* why) {
    if (state_ == State::kOpen) {
      MFS_LOG_INFO("write of chunk %016llX from %s aborted: %s", static_cast<unsigned long long>(init_.chunkid),
                   client_->peer_name().c_str(), why);
    }
    state_ = State::kAborted;
    jobs_ready_.notify();
    client_->close_after_flush();  // after the statuses already queued
    if (downstream_) downstream_->close();
  }

  std::shared_ptr<PacketConnection> client_;
  ChunkStore& store_;
  ChainConnections& chain_;
  csdata::WriteInit init_;
  std::shared_ptr<PacketConnection> downstream_;
  bool downstream_reused_ = false;  // an idle connection, which its peer may have closed
  bool reading_downstream_ = false;
  OpenedChunk chunk_;
  State state_ = State::kOpen;
  std::deque<Pending> pending_;
  std::deque<Job> jobs_;
  bool writing_ = false;
  AsyncEvent jobs_ready_;
  AsyncEvent written_;  // the local writer finished a write or has nothing to do
  AsyncEvent downstream_expected_;  // a write was forwarded, or the transaction ended
  uint32_t last_writeid_ = 0;
  std::chrono::steady_clock::time_point last_nop_{};
};

asio::awaitable<bool> WriteSession::forward_init(bool reuse) {
  const csdata::ChainAddress& next = init_.chain.front();
  ConnectionLimits limits{csdata::kMaxDataPortPayload, kDownstreamTimeout, 4u << 20};
  auto opened = co_await chain_.open(next.ip, next.port, kChainConnectAttempts, limits, reuse);
  if (!opened) {
    MFS_LOG_WARNING("write chain: %s", opened.status().to_string().c_str());
    status_to_client(0, StatusCode::kCantConnect);
    co_return false;
  }
  downstream_ = std::move(opened->connection);
  downstream_reused_ = opened->reused;
  csdata::WriteInit forwarded = init_;
  forwarded.chain.erase(forwarded.chain.begin());
  downstream_->send(csdata::encode(forwarded));
  co_return true;
}

asio::awaitable<bool> WriteSession::begin() {
  if (!init_.chain.empty() && !co_await forward_init(true)) co_return false;
  auto chunk = co_await store_.open(init_.chunkid, init_.version);
  if (!chunk) {
    status_to_client(0, chunk.code());
    if (downstream_) downstream_->close();
    co_return false;
  }
  chunk_ = std::move(*chunk);
  if (!downstream_) {
    status_to_client(0, StatusCode::kOk);
    co_return true;
  }
  // The chain's init status is relayed when OK; otherwise the client is dropped silently.
  std::optional<Packet> packet = co_await read_skipping_nops(*downstream_);
  if (!packet && downstream_reused_) {
    // The idle connection was closed meanwhile; the init did nothing yet: a new one.
    downstream_->close();
    if (!co_await forward_init(false)) co_return false;
    packet = co_await read_skipping_nops(*downstream_);
  }
  auto reply = packet ? csdata::decode_from_chunkserver(*packet) : Result<csdata::FromChunkserver>(StatusCode::kDisconnected);
  auto* status = reply ? std::get_if<csdata::WriteStatus>(&*reply) : nullptr;
  if (!status || status->chunkid != init_.chunkid || status->writeid != 0 || status->status != StatusCode::kOk) {
    abort("the next chunkserver of the chain refused the write");
    co_return false;
  }
  status_to_client(0, StatusCode::kOk);
  co_return true;
}

asio::awaitable<std::optional<Packet>> WriteSession::run() {
  if (!co_await begin()) co_return std::nullopt;
  auto executor = co_await asio::this_coro::executor;
  auto self = shared_from_this();
  asio::co_spawn(executor, [self] { return self->write_locally(); }, asio::detached);
  if (downstream_) asio::co_spawn(executor, [self] { return self->read_downstream(); }, asio::detached);
  while (state_ == State::kOpen) {
    // A client that sends faster than the disk writes waits here, not in our memory.
    while (jobs_.size() >= kMaxQueuedWrites && state_ == State::kOpen) co_await written_.wait();
    // A copy: end() may drop downstream_ while this waits.
    if (auto downstream = downstream_) co_await downstream->wait_writable();
    std::optional<Packet> packet = co_await client_->read();
    if (!packet) {
      abort("connection closed");
      break;
    }
    // After an error status the transaction is over: the packet belongs to the idle connection.
    if (state_ == State::kEnded) co_return packet;
    if (state_ != State::kOpen) break;
    // A named argument: GCC 12 destroys temporary coroutine arguments twice.
    auto shared = std::make_shared<Packet>(std::move(*packet));
    co_await on_client_packet(shared);
  }
  co_return std::nullopt;
}

asio::awaitable<void> WriteSession::on_client_packet(const std::shared_ptr<Packet>& packet) {
  auto message = csdata::decode_to_chunkserver(*packet);
  if (!message) {
    MFS_LOG_WARNING("client %s: %s", client_->peer_name().c_str(), message.status().to_string().c_str());
    abort("malformed packet");
    co_return;
  }
  if (auto* data = std::get_if<csdata::WriteData>(&*message)) {
    if (data->chunkid != init_.chunkid) {
      if (downstream_) {
        abort("data for another chunk");
      } else {
        status_to_client(data->writeid, StatusCode::kWrongChunkId);
        end();
      }
      co_return;
    }
    last_writeid_ = data->writeid;
    pending_.push_back({data->writeid, std::nullopt, std::nullopt});
    if (downstream_) {
      downstream_->send(frame_of(*packet));
      downstream_expected_.notify();
    }
    jobs_.push_back({packet, *data});
    jobs_ready_.notify();
  } else if (auto* finish_message = std::get_if<csdata::WriteFinish>(&*message)) {
    co_await finish(*finish_message);
  } else if (std::holds_alternative<anymsg::Ignorable>(*message)) {
    if (downstream_) downstream_->send(frame_of(*packet));
    auto now = std::chrono::steady_clock::now();
    if (packet->type == msg::ANTOAN_NOP && now - last_nop_ >= kMinNopInterval) {
      client_->send(anymsg::encode(anymsg::Ignorable{}));
      last_nop_ = now;
    }
  } else {
    abort("unexpected packet during a write");
  }
}

asio::awaitable<void> WriteSession::finish(const csdata::WriteFinish& finish) {
  if (finish.chunkid != init_.chunkid || finish.version != init_.version) {
    if (downstream_) {
      status_to_client(0, StatusCode::kWrongChunkId);
      abort("finish of another chunk");
    } else {
      status_to_client(last_writeid_, StatusCode::kWrongChunkId);
      end();
    }
    co_return;
  }
  if (downstream_) downstream_->send(csdata::encode(finish));
  while ((!jobs_.empty() || writing_) && state_ == State::kOpen) co_await written_.wait();
  if (state_ != State::kOpen) co_return;
  if (Status closed = co_await store_.close(chunk_); !closed) {
    MFS_LOG_WARNING("%s", closed.to_string().c_str());
  }
  end(true);
}

asio::awaitable<void> WriteSession::write_locally() {
  while (state_ == State::kOpen) {
    if (jobs_.empty()) {
      written_.notify();
      co_await jobs_ready_.wait();
      continue;
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    writing_ = true;
    const csdata::WriteData& data = job.data;
    Status status = co_await store_.write(chunk_, data.blocknum, data.offset, data.data, data.crc);
    writing_ = false;
    written_.notify();
    if (state_ != State::kOpen) break;
    for (Pending& entry : pending_) {
      if (!entry.local) {
        entry.local = status;
        break;
      }
    }
    flush();
  }
  written_.notify();
}

asio::awaitable<void> WriteSession::read_downstream() {
  // Reads only while a status is due, so that a cleanly ended transaction leaves the
  // connection with nothing pending, ready for the next one.
  auto connection = downstream_;
  while (state_ == State::kOpen) {
    if (!awaiting_downstream()) {
      co_await downstream_expected_.wait();
      continue;
    }
    reading_downstream_ = true;
    std::optional<Packet> packet = co_await read_skipping_nops(*connection);
    reading_downstream_ = false;
    if (state_ != State::kOpen) break;
    if (!packet) {
      status_to_client(0, StatusCode::kDisconnected);
      end();
      break;
    }
    auto reply = csdata::decode_from_chunkserver(*packet);
    auto* status = reply ? std::get_if<csdata::WriteStatus>(&*reply) : nullptr;
    Pending* expected = nullptr;
    for (Pending& entry : pending_) {
      if (!entry.downstream) {
        expected = &entry;
        break;
      }
    }
    if (!status || !expected || status->chunkid != init_.chunkid || status->writeid != expected->writeid) {
      abort("unexpected answer from the next chunkserver of the chain");
      break;
    }
    expected->downstream = status->status;
    flush();
  }
}

void WriteSession::flush() {
  while (state_ == State::kOpen && !pending_.empty()) {
    Pending& front = pending_.front();
    if (!front.local || (downstream_ && !front.downstream)) return;
    StatusCode status = front.local->code();
    if (downstream_) {
      // A middle server has no way to tell which server failed: it drops the client.
      if (status != StatusCode::kOk || *front.downstream != StatusCode::kOk) {
        if (!front.local->is_ok()) MFS_LOG_WARNING("%s", front.local->to_string().c_str());
        abort("write error in the chain");
        return;
      }
    } else if (status != StatusCode::kOk) {
      status_to_client(front.writeid, status);
      end();
      return;
    }
    status_to_client(front.writeid, StatusCode::kOk);
    pending_.pop_front();
  }
}

}  // namespace

asio::awaitable<std::optional<Packet>> serve_write(std::shared_ptr<PacketConnection> client, ChunkStore& store,
                                                  ChainConnections& chain, csdata::WriteInit init) {
  auto session = std::make_shared<WriteSession>(std::move(client), store, chain, std::move(init),
                                                co_await asio::this_coro::executor);
  co_return co_await session->run();
}

}  // namespace mfs::cs
