#include "mfsmaster/master_daemon.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <utility>

#include "mfscommon/log.h"
#include "mfsmaster/changelog_reader.h"
#include "mfsmaster/chunkserver_connection.h"
#include "mfsmaster/client_connection.h"
#include "mfsmaster/metalogger_connection.h"
#include "mfsmaster/metadata_image_writer.h"

namespace mfs::master {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCheckpointDirectory = "metadata.ng";

uint32_t unix_now() { return static_cast<uint32_t>(std::time(nullptr)); }

}  // namespace

MasterDaemon::MasterDaemon(boost::asio::io_context& io, std::string config_path, ConfigFile config,
                           bool auto_restore)
    : io_(io),
      config_path_(std::move(config_path)),
      config_(std::move(config)),
      auto_restore_(auto_restore),
      metalogger_feed_(unix_now),
      tick_timer_(io) {}

MasterDaemon::~MasterDaemon() = default;

std::string MasterDaemon::config_file_path(const std::string& option, const std::string& name) const {
  std::string path = config_.get_string(option, "/etc/mfs/" + name);
  // Without the option, the file in /etc is used when /etc/mfs has none (spec 40 §C.3).
  if (!config_.raw(option) && !fs::exists(path) && fs::exists("/etc/" + name)) path = "/etc/" + name;
  return path;
}

Status MasterDaemon::load_exports() {
  std::string path = config_file_path("EXPORTS_FILENAME", "mfsexports.cfg");
  std::vector<std::string> warnings;
  auto loaded = Exports::load(path, &warnings);
  for (const std::string& warning : warnings) MFS_LOG_WARNING("mfsexports: %s", warning.c_str());
  if (!loaded) return loaded.status();
  if (loaded->empty()) return Status(StatusCode::kEINVAL, "no exports defined !!!");
  exports_ = std::move(*loaded);
  MFS_LOG_NOTICE("exports file has been loaded");
  return Status::ok();
}

Result<std::string> MasterDaemon::image_to_start_from() const {
  std::string image = data_path_ + "/metadata.mfs";
  if (!fs::exists(image) && fs::exists(image + ".back")) image += ".back";
  if (!fs::exists(image)) {
    return Status(StatusCode::kENOENT, "can't find metadata.mfs in " + data_path_ +
                                           " (a new installation copies metadata.mfs.empty to metadata.mfs; "
                                           "-a restores from other metadata* files, such as a metalogger's)");
  }
  return image;
}

Result<std::string> MasterDaemon::newest_valid_image() const {
  // Spec 30 §3.1: every valid file named metadata* (longer than "metadata"), the master's
  // own images and backups as well as a metalogger's copies; all of one file system.
  std::optional<std::string> newest;
  ImageHeader newest_header;
  uint64_t meta_id = 0;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(data_path_, error)) {
    std::string name = item.path().filename().string();
    if (name.size() <= 8 || !name.starts_with("metadata") || !item.is_regular_file()) continue;
    auto header = probe_metadata_image(item.path().string());
    if (!header) {
      MFS_LOG_NOTICE("-a: %s skipped (%s)", name.c_str(), header.status().to_string().c_str());
      continue;
    }
    if (header->metaid != 0 && meta_id != 0 && header->metaid != meta_id) {
      return Status(StatusCode::kEINVAL, "-a: " + name + " belongs to another file system (meta id differs)");
    }
    if (header->metaid != 0) meta_id = header->metaid;
    if (!newest || header->metaversion > newest_header.metaversion) {
      newest = item.path().string();
      newest_header = *header;
    }
  }
  if (!newest) return Status(StatusCode::kENOENT, "-a: no valid metadata file in " + data_path_);
  MFS_LOG_NOTICE("-a: %s is the newest image (version %llu)", newest->c_str(),
                 static_cast<unsigned long long>(newest_header.metaversion));
  return *newest;
}

Status MasterDaemon::load_metadata() {
  auto checkpoint = Checkpoint::open(data_path_ + "/" + kCheckpointDirectory);
  if (!checkpoint) return checkpoint.status();
  checkpoint_ = std::move(*checkpoint);
  bool imported = false;
  if (checkpoint_->has_state()) {
    MFS_LOG_NOTICE("loading metadata checkpoint ...");
    if (Status status = checkpoint_->load(metadata_); !status) return status;
  } else {
    auto chosen = auto_restore_ ? newest_valid_image() : image_to_start_from();
    if (!chosen) return chosen.status();
    const std::string& image = *chosen;
    MFS_LOG_NOTICE("loading metadata from %s ...", image.c_str());
    ImageLoadReport report;
    if (Status status = load_metadata_image(image, metadata_, &image_extras_, unix_now(), &report); !status) {
      return Status(status.code(), "can't load " + image + ": " + status.to_string());
    }
    imported = true;
  }
  uint64_t loaded_version = metadata_.version();
  Status replayed = replay_changelogs(data_path_, metadata_.version(),
                                      [this](const ChangelogEntry& entry) { return metadata_.apply(entry); });
  if (!replayed) return Status(replayed.code(), "changelog replay failed: " + replayed.to_string());
  MFS_LOG_NOTICE("metadata file has been loaded (version %llu, %llu changes replayed)",
                 static_cast<unsigned long long>(metadata_.version()),
                 static_cast<unsigned long long>(metadata_.version() - loaded_version));
  checkpoint_->flush(metadata_, imported);
  if (Status written = checkpoint_->wait_idle(); !written) return written;
  if (fs::exists(data_path_ + "/metadata.mfs")) {
    // As MooseFS does: a running master has no metadata.mfs; it reappears at a clean stop.
    std::error_code ignored;
    fs::rename(data_path_ + "/metadata.mfs", data_path_ + "/metadata.mfs.back", ignored);
  }
  return Status::ok();
}

void MasterDaemon::load_topology() {
  std::string path = config_file_path("TOPOLOGY_FILENAME", "mfstopology.cfg");
  std::vector<std::string> warnings;
  auto loaded = Topology::load(path, &warnings);
  for (const std::string& warning : warnings) MFS_LOG_WARNING("mfstopology: %s", warning.c_str());
  if (!loaded) {
    // As 3.0.117: a missing topology file only means every address is on the empty path.
    MFS_LOG_WARNING("%s - no topology", loaded.status().to_string().c_str());
    return;
  }
  chunks_->set_topology(std::move(*loaded));
  MFS_LOG_NOTICE("topology file has been loaded");
}

Status MasterDaemon::start() {
  started_at_ = unix_now();
  data_path_ = config_.get_string("DATA_PATH", "/var/lib/mfs");
  if (Status status = load_exports(); !status) return status;
  // A clean stop (ours or 3.0.117's) leaves metadata.mfs, which a running master has not.
  bool stopped_cleanly = fs::exists(data_path_ + "/metadata.mfs");
  // Opened first: it cuts off what a crash left after the last whole line, which the
  // replay must not read.
  auto changelog = ChangelogWriter::open(io_, data_path_);
  if (!changelog) return changelog.status();
  changelog_ = std::move(*changelog);
  if (Status status = load_metadata(); !status) return status;
  mutations_ = std::make_unique<MutationLog>(metadata_, *changelog_);

  if (metadata_.meta_id() == 0) {
    uint32_t random = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&random), sizeof random);
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    uint64_t meta_id = (uint64_t{started_at_} << 32) + random + static_cast<uint64_t>(micros);
    if (Status status = mutations_->commit({ChangelogEntry::make("SETMETAID", started_at_).arg(meta_id)}); !status) {
      return status;
    }
  }
  // A kill can lose the changelog's last lines after chunkservers got their commands: CREATE
  // and DUPLICATE go out while the line waits for the writer. Ids of chunks they may hold
  // are not handed out again, or a new chunk would take such a leftover copy for its own.
  // The skip is far more than one writer batch can hold; ids have 64 bits.
  constexpr uint64_t kChunkIdsSkippedAfterACrash = uint64_t{1} << 24;
  if (!stopped_cleanly) {
    uint64_t next_chunk_id = std::as_const(metadata_).chunks().next_id() + kChunkIdsSkippedAfterACrash;
    MFS_LOG_NOTICE("the last run did not stop cleanly: new chunk ids start at %llu",
                   static_cast<unsigned long long>(next_chunk_id));
    Status status = mutations_->commit({ChangelogEntry::make("NEXTCHUNKID", started_at_).arg(next_chunk_id)});
    if (!status) return status;
  }
  // Sessions that were connected when the master stopped count as disconnected now.
  std::vector<ChangelogEntry> disconnected;
  for (const auto& [id, session] : std::as_const(metadata_).sessions().all()) {
    if (session->disconnected_at == 0)
      disconnected.push_back(ChangelogEntry::make("SESDISCONNECTED", started_at_).arg(id));
  }
  if (!disconnected.empty()) mutations_->commit(std::move(disconnected));

  chunks_ = std::make_unique<ChunkManager>(metadata_, *mutations_, chunkservers_, unix_now);
  chunks_->configure(config_);
  load_topology();
  locks_ = std::make_unique<LockManager>(metadata_, *mutations_, unix_now);
  housekeeping_ = std::make_unique<Housekeeping>(metadata_, *mutations_, *chunks_, started_at_);
  housekeeping_->configure(config_);
  hourly_rotation_ = std::make_unique<HourlyRotation>(*changelog_, metalogger_feed_, unix_now());
  hourly_rotation_->configure(config_);
  client_services_.reset(
      new ClientServices{metadata_, *mutations_, *chunks_, *locks_, [this]() -> const Exports& { return exports_; },
                         unix_now, [this]() -> const ConfigFile& { return config_; }, client_notifier_, data_cache_, append_reservations_,
                         session_stats_, metalogger_feed_, housekeeping_->fs_check()});
  chunkserver_services_.reset(new ChunkserverServices{
      metadata_, chunkservers_, *chunks_, [this]() -> const ConfigFile& { return config_; }, client_notifier_});

  download_image_ = std::make_unique<DownloadImage>(*checkpoint_, image_extras_, data_path_, io_.get_executor());
  metalogger_services_.reset(new MetaloggerServices{
      metalogger_feed_, [this](DownloadImage::Ready ready) { download_image_->request(std::move(ready)); },
      data_path_, [this]() -> const ConfigFile& { return config_; }});
  changelog_->set_durable_lines_observer(
      [this](std::string_view lines, bool rotated_after) { metalogger_feed_.durable(lines, rotated_after); });
  configure_metalogger_feed();

  auto serve_metaloggers = [this](boost::asio::ip::tcp::socket socket) {
    return serve_metalogger(std::move(socket), *metalogger_services_);
  };
  auto serve_chunkservers = [this](boost::asio::ip::tcp::socket socket) {
    return serve_chunkserver(std::move(socket), *chunkserver_services_);
  };
  auto serve_clients = [this](boost::asio::ip::tcp::socket socket) {
    return serve_client(std::move(socket), *client_services_);
  };
  if (Status status = start_listener(metalogger_listener_, "master <-> metaloggers module", "MATOML", 9419,
                                     serve_metaloggers);
      !status) {
    return status;
  }
  if (Status status = start_listener(chunkserver_listener_, "master <-> chunkservers module", "MATOCS", 9420,
                                     serve_chunkservers);
      !status) {
    return status;
  }
  if (Status status = start_listener(client_listener_, "main master server module", "MATOCL", 9421, serve_clients);
      !status) {
    return status;
  }
  start_timers();
  return Status::ok();
}

Status MasterDaemon::start_listener(std::unique_ptr<TcpListener>& listener, const std::string& name,
                                    const std::string& option_prefix, uint16_t default_port,
                                    TcpListener::Handler handler) {
  listener = std::make_unique<TcpListener>(io_, name, std::move(handler));
  std::string host = config_.get_string(option_prefix + "_LISTEN_HOST", "*");
  auto port = static_cast<uint16_t>(config_.get_uint(option_prefix + "_LISTEN_PORT", default_port));
  if (Status status = listener->listen(host, port); !status) return status;
  MFS_LOG_NOTICE("%s: listen on %s", name.c_str(), listener->address().c_str());
  return Status::ok();
}

void MasterDaemon::configure_metalogger_feed() {
  constexpr uint64_t kMaxPreserveSeconds = 15000;
  metalogger_feed_.set_preserve_seconds(static_cast<uint32_t>(config_.get_uint_clamped(
      "CHANGELOG_PRESERVE_SECONDS", MetaloggerFeed::kDefaultPreserveSeconds, 0, kMaxPreserveSeconds)));
}

void MasterDaemon::start_timers() {
  // A tick a second on average: each expiry counts from the one before, so that the time
  // ticks take does not stretch what is counted in ticks (a pass of the chunk loop or of the
  // check loop). After a stall of seconds the ticks go on without catching up.
  constexpr auto kPeriod = std::chrono::seconds(1);
  constexpr auto kMostBehind = std::chrono::seconds(5);
  auto now = std::chrono::steady_clock::now();
  auto next = tick_timer_.expiry() + kPeriod;
  tick_timer_.expires_at(next < now - kMostBehind ? now + kPeriod : next);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    tick();
    start_timers();
  });
}

void MasterDaemon::tick() {
  housekeeping_->run(unix_now());
  hourly_rotation_->run(unix_now());
  // The checkpoint must not get ahead of the changelog on disk: a restart would continue
  // from its version and leave the missing lines a gap in the changelog files that
  // metaloggers and mfsmetarestore replay. Waiting also syncs lazily logged lines now.
  mutations_->when_durable([this] { checkpoint_->flush_when_due(metadata_, mutations_->last_commit()); });
}

void MasterDaemon::reload() {
  auto reloaded = ConfigFile::load(config_path_);
  if (reloaded) {
    config_ = std::move(*reloaded);
    chunks_->configure(config_);
    housekeeping_->configure(config_);
    hourly_rotation_->configure(config_);
    configure_metalogger_feed();
  } else {
    MFS_LOG_WARNING("reload: %s - keeping the previous configuration", reloaded.status().to_string().c_str());
  }
  load_topology();
  if (Status status = load_exports(); !status) {
    MFS_LOG_WARNING("reload: %s - keeping the previous exports", status.to_string().c_str());
  }
}

void MasterDaemon::stop(std::function<void(Status)> done) {
  tick_timer_.cancel();
  if (client_listener_) client_listener_->stop();
  if (chunkserver_listener_) chunkserver_listener_->stop();
  if (metalogger_listener_) metalogger_listener_->stop();
  // Lines waiting for a lazy sync are synced now and sent to the metaloggers; the grace
  // lets their connections write them, so that a clean restart leaves no gap in their
  // streams (a gap makes them download the metadata again). It does not depend on the
  // sync: a failed changelog never calls back.
  constexpr auto kMetaloggerGrace = std::chrono::milliseconds(300);
  if (changelog_) mutations_->when_durable([] {});
  tick_timer_.expires_after(kMetaloggerGrace);
  tick_timer_.async_wait([this, done = std::move(done)](boost::system::error_code) { done(finish_stop()); });
}

Status MasterDaemon::finish_stop() {
  Status result = Status::ok();
  if (changelog_) result = changelog_->shutdown();
  if (checkpoint_) {
    checkpoint_->flush(metadata_);
    if (Status status = checkpoint_->wait_idle(); !status && result) result = status;
  }
  if (Status status = write_metadata_image(data_path_ + "/metadata.mfs", metadata_, &image_extras_);
      !status && result) {
    result = status;
  }
  return result;
}

}  // namespace mfs::master
