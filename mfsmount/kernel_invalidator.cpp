#include "mfsmount/kernel_invalidator.h"

namespace mfs::mount {

KernelInvalidator::KernelInvalidator() : thread_([this] { run(); }) {}

KernelInvalidator::~KernelInvalidator() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void KernelInvalidator::set_session(fuse_session* session) {
  std::unique_lock lock(mutex_);
  session_ = session;
  if (session == nullptr) {
    pending_.clear();
    idle_.wait(lock, [&] { return !busy_; });  // the session may be destroyed after this
  }
}

void KernelInvalidator::invalidate(uint32_t inode) {
  {
    std::lock_guard lock(mutex_);
    if (session_ == nullptr) return;
    pending_.insert(inode);
  }
  wake_.notify_one();
}

void KernelInvalidator::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    std::set<uint32_t> inodes;
    inodes.swap(pending_);
    fuse_session* session = session_;
    busy_ = true;
    lock.unlock();
    for (uint32_t inode : inodes) fuse_lowlevel_notify_inval_inode(session, inode, 0, 0);
    lock.lock();
    busy_ = false;
    idle_.notify_all();
  }
}

}  // namespace mfs::mount
