// Asks the kernel to drop its cached pages and attributes of inodes that another client
// changed. Runs on its own thread: fuse_lowlevel_notify_inval_inode may wait for page
// locks held by a read that itself waits for the master's receiver thread, so calling it
// from that thread could deadlock.
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>

namespace mfs::mount {

class KernelInvalidator {
 public:
  KernelInvalidator();
  ~KernelInvalidator();
  KernelInvalidator(const KernelInvalidator&) = delete;
  KernelInvalidator& operator=(const KernelInvalidator&) = delete;

  // Null while not mounted: requests are then dropped. Setting null waits for a batch
  // in progress, so the session can be destroyed afterwards.
  void set_session(fuse_session* session);
  void invalidate(uint32_t inode);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool busy_ = false;
  fuse_session* session_ = nullptr;
  std::set<uint32_t> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mfs::mount
