// One connection on the chunkserver's data port (spec 20 §3.1, §6): reads, writes,
// chunk information requests and the monitoring queries of mfscli.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <functional>

#include "mfschunkserver/chain_connections.h"
#include "mfschunkserver/chunk_store.h"
#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/config_file.h"

namespace mfs::cs {

struct DataServices {
  ChunkStore& store;
  std::function<const ConfigFile&()> config;
  std::function<csdata::ModuleInfo()> module_info;
  ChainConnections chain{};  // idle connections to the next servers of write chains
};

boost::asio::awaitable<void> serve_data_connection(boost::asio::ip::tcp::socket socket, DataServices& services);

}  // namespace mfs::cs
