#include "mfschunkserver/master_commands.h"

#include <variant>

#include "mfschunkserver/chunk_queries.h"
#include "mfschunkserver/replicator.h"

namespace mfs::cs {

namespace asio = boost::asio;
using namespace csmsg;

namespace {

constexpr uint32_t kNoLength = 0xFFFFFFFF;

// CHUNKOP selectors when new_version is 0 (spec 20 §2.6).
constexpr uint32_t kChunkOpDelete = 0;
constexpr uint32_t kChunkOpCreate = 1;
constexpr uint32_t kChunkOpTest = 2;

asio::awaitable<Status> chunk_op(ChunkStore& store, const ChunkOpCommand& op) {
  if (op.new_version == 0) {
    switch (op.length) {
      case kChunkOpDelete: co_return co_await store.remove(op.chunkid, op.version);
      case kChunkOpCreate: co_return co_await store.create(op.chunkid, op.version);
      case kChunkOpTest: co_return co_await store.test(op.chunkid, op.version);
      default: co_return StatusCode::kEINVAL;
    }
  }
  if (op.length != kNoLength && op.length > kChunkSize) co_return StatusCode::kEINVAL;
  std::optional<uint32_t> length;
  if (op.length != kNoLength) length = op.length;
  if (op.copy_chunkid == 0) {
    if (length) co_return co_await store.truncate(op.chunkid, *length, op.new_version, op.version);
    co_return co_await store.set_version(op.chunkid, op.new_version, op.version);
  }
  uint32_t copy_version = op.copy_version != 0 ? op.copy_version : op.new_version;
  Status status = co_await store.duplicate(op.copy_chunkid, copy_version, op.chunkid, op.version, length);
  if (status && op.new_version != op.version) status = co_await store.set_version(op.chunkid, op.new_version, op.version);
  co_return status;
}

asio::awaitable<Status> replicate_multi(ChunkStore& store, const ReplicateMultiCommand& command) {
  if (command.sources.size() != 1) co_return StatusCode::kEINVAL;
  co_return co_await replicate(store, command.chunkid, command.version, command.sources.front());
}

}  // namespace

bool is_chunk_command(const MasterToChunkserver& message) {
  return std::visit(
      [](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        return !std::is_same_v<T, AckNextBatch> && !std::is_same_v<T, AckAccepted> &&
               !std::is_same_v<T, AckRedirect> && !std::is_same_v<T, AckWait> && !std::is_same_v<T, AckChallenge> &&
               !std::is_same_v<T, anymsg::Ignorable>;
      },
      message);
}

asio::awaitable<std::vector<uint8_t>> execute(ChunkStore& store, MasterToChunkserver command) {
  if (auto* m = std::get_if<CreateCommand>(&command)) {
    Status status = co_await store.create(m->chunkid, m->version);
    co_return encode(CreateReply{m->chunkid, status.code()});
  }
  if (auto* m = std::get_if<DeleteCommand>(&command)) {
    Status status = co_await store.remove(m->chunkid, m->version);
    co_return encode(DeleteReply{m->chunkid, status.code()});
  }
  if (auto* m = std::get_if<SetVersionCommand>(&command)) {
    Status status = co_await store.set_version(m->chunkid, m->new_version, m->old_version);
    co_return encode(SetVersionReply{m->chunkid, status.code()});
  }
  if (auto* m = std::get_if<DuplicateCommand>(&command)) {
    Status status = co_await store.duplicate(m->new_chunkid, m->new_version, m->old_chunkid, m->old_version, {});
    co_return encode(DuplicateReply{m->new_chunkid, status.code()});
  }
  if (auto* m = std::get_if<TruncateCommand>(&command)) {
    Status status = co_await store.truncate(m->chunkid, m->length, m->new_version, m->old_version);
    co_return encode(TruncateReply{m->chunkid, status.code()});
  }
  if (auto* m = std::get_if<DupTruncCommand>(&command)) {
    Status status =
        co_await store.duplicate(m->new_chunkid, m->new_version, m->old_chunkid, m->old_version, m->length);
    co_return encode(DupTruncReply{m->new_chunkid, status.code()});
  }
  if (auto* m = std::get_if<ReplicateCommand>(&command)) {
    ReplicationSource source{m->chunkid, m->version, m->source_ip, m->source_port};
    Status status = co_await replicate(store, m->chunkid, m->version, source);
    co_return encode(ReplicateReply{m->chunkid, m->version, status.code()});
  }
  if (auto* m = std::get_if<ReplicateMultiCommand>(&command)) {
    Status status = co_await replicate_multi(store, *m);
    co_return encode(ReplicateReply{m->chunkid, m->version, status.code()});
  }
  if (auto* m = std::get_if<ChunkOpCommand>(&command)) {
    Status status = co_await chunk_op(store, *m);
    co_return encode(ChunkOpReply{*m, status.code()});
  }
  if (auto* m = std::get_if<GetChunkBlocksCommand>(&command)) co_return co_await answer(store, *m);
  if (auto* m = std::get_if<GetChunkChecksumCommand>(&command)) co_return co_await answer(store, *m);
  co_return co_await answer(store, std::get<GetChunkChecksumTabCommand>(command));
}

}  // namespace mfs::cs
