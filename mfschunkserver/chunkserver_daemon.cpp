#include "mfschunkserver/chunkserver_daemon.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "mfscommon/daemon_control.h"
#include "mfscommon/log.h"
#include "mfscommon/version.h"

namespace mfs::cs {

namespace {

constexpr uint64_t kDefaultLeaveFree = 256ull << 20;
constexpr size_t kDiskThreadsPerDisk = 4;
constexpr size_t kMaxDiskThreads = 32;

bool fsync_before_close(const ConfigFile& config) { return config.get_uint("HDD_FSYNC_BEFORE_CLOSE", 0) != 0; }

ErrorTolerance error_tolerance(const ConfigFile& config) {
  ErrorTolerance tolerance;
  tolerance.count = static_cast<uint32_t>(config.get_uint("HDD_ERROR_TOLERANCE_COUNT", tolerance.count));
  tolerance.period = std::chrono::seconds(config.get_uint("HDD_ERROR_TOLERANCE_PERIOD", 600));
  return tolerance;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kENOENT, "can't open hdd config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ChunkserverDaemon::ChunkserverDaemon(boost::asio::io_context& io, std::string config_path, ConfigFile config,
                                     std::function<void(const std::string&)> fatal)
    : io_(io), config_path_(std::move(config_path)), config_(std::move(config)), fatal_(std::move(fatal)) {}

ChunkserverDaemon::~ChunkserverDaemon() = default;

Result<std::vector<std::unique_ptr<Disk>>> ChunkserverDaemon::open_disks(uint64_t& known_metaid) {
  std::string hdd_path = config_.get_string("HDD_CONF_FILENAME", "");
  if (hdd_path.empty()) hdd_path = locate_etc_file("mfshdd.cfg").path;
  auto text = read_file(hdd_path);
  if (!text) return text.status();
  std::vector<std::string> warnings;
  std::vector<DiskConfig> configs = parse_hdd_config(*text, &warnings);
  for (const std::string& warning : warnings) MFS_LOG_WARNING("%s", warning.c_str());

  std::string leave_text = config_.get_string("HDD_LEAVE_SPACE_DEFAULT", "256MiB");
  std::optional<uint64_t> leave_free = parse_size(leave_text);
  if (!leave_free) MFS_LOG_WARNING("hdd space manager: HDD_LEAVE_SPACE_DEFAULT parse error - using default (256MiB)");
  bool allow_invalid = config_.get_uint("ALLOW_STARTING_WITH_INVALID_DISKS", 0) != 0;

  std::vector<std::unique_ptr<Disk>> disks;
  for (DiskConfig& disk_config : configs) {
    auto disk = std::make_unique<Disk>(std::move(disk_config), leave_free.value_or(kDefaultLeaveFree));
    Status status = disk->open();
    uint64_t disk_metaid = status ? disk->read_metaid() : 0;
    if (status && known_metaid != 0 && disk_metaid != 0 && disk_metaid != known_metaid) {
      status = Status(StatusCode::kMismatch, "disk " + disk->path() +
                                                 " belongs to a different mfs instance (delete its .metaid to use it)");
    }
    if (!status) {
      MFS_LOG_ERROR("hdd space manager: %s", status.to_string().c_str());
      if (!allow_invalid) return status;
      continue;
    }
    if (known_metaid == 0) known_metaid = disk_metaid;
    // A .chunkdb written by MooseFS would go stale as soon as we change chunk files.
    ::unlink((disk->path() + ".chunkdb").c_str());
    MFS_LOG_NOTICE("hdd space manager: folder %s will be scanned", disk->path().c_str());
    disks.push_back(std::move(disk));
  }
  if (disks.empty()) return Status(StatusCode::kEINVAL, "no hdd space defined in " + hdd_path + " file");
  return disks;
}

Status ChunkserverDaemon::start() {
  data_path_ = config_.get_string("DATA_PATH", "/var/lib/mfs");
  std::string identity_path = data_path_ + "/" + kIdentityFileName;
  uint64_t known_metaid = read_identity(identity_path).metaid;
  auto disks = open_disks(known_metaid);
  if (!disks) return disks.status();

  pool_ = std::make_unique<BlockingPool>(std::min(kMaxDiskThreads, kDiskThreadsPerDisk * disks->size()));
  store_ = std::make_unique<ChunkStore>(std::move(*disks), *pool_, reports_, fsync_before_close(config_));
  if (Status loaded = store_->load(); !loaded) return loaded;
  store_->set_error_tolerance(error_tolerance(config_));
  scrubber_ = std::make_unique<Scrubber>(io_, *store_, ScrubSettings::from(config_));
  scrubber_->start();
  rebalancer_ = std::make_unique<DiskRebalancer>(io_, *store_, RebalanceSettings::from(config_));
  rebalancer_->start();

  data_services_.reset(new DataServices{*store_, [this]() -> const ConfigFile& { return config_; },
                                        [this] { return module_info(); }});
  listener_ = std::make_unique<TcpListener>(io_, "main server module", [this](boost::asio::ip::tcp::socket socket) {
    return serve_data_connection(std::move(socket), *data_services_);
  });
  std::string host = config_.get_string("CSSERV_LISTEN_HOST", "*");
  auto port = static_cast<uint16_t>(config_.get_uint("CSSERV_LISTEN_PORT", 9422));
  if (Status listening = listener_->listen(host, port); !listening) return listening;
  MFS_LOG_NOTICE("main server module: listen on %s", listener_->address().c_str());

  MasterLinkSettings settings = MasterLinkSettings::from(config_);
  auto endpoint = listen_endpoint(host, port);
  settings.data_ip = endpoint ? endpoint->address().to_v4().to_uint() : 0;
  settings.data_port = port;
  master_ = std::make_unique<MasterLink>(io_, *store_, reports_, *pool_, std::move(settings), identity_path,
                                         known_metaid, fatal_);
  master_->set_rebalancing_probe([this] { return rebalancer_->moving(); });
  master_->start();
  return Status::ok();
}

void ChunkserverDaemon::reload() {
  auto reloaded = ConfigFile::load(config_path_);
  if (!reloaded) {
    MFS_LOG_WARNING("reload: %s - keeping the previous configuration", reloaded.status().to_string().c_str());
    return;
  }
  config_ = std::move(*reloaded);
  store_->set_fsync_before_close(fsync_before_close(config_));
  store_->set_error_tolerance(error_tolerance(config_));
  scrubber_->reconfigure(ScrubSettings::from(config_));
  rebalancer_->reconfigure(RebalanceSettings::from(config_));
  master_->reconfigure(MasterLinkSettings::from(config_));
}

boost::asio::awaitable<void> ChunkserverDaemon::stop() {
  if (scrubber_) scrubber_->stop();
  if (rebalancer_) rebalancer_->stop();
  if (master_) co_await master_->stop();
  if (listener_) listener_->stop();
  if (pool_) pool_->stop();
  if (store_) {
    for (const auto& disk : store_->disks()) disk->save_index();
  }
}

csdata::ModuleInfo ChunkserverDaemon::module_info() const {
  const ChunkserverIdentity& identity = master_->identity();
  return {kOwnVersion, identity.csid, identity.metaid, master_->master_ip(), master_->master_port()};
}

}  // namespace mfs::cs
