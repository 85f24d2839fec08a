// Daemon logging: syslog lines as MooseFS writes them, copied to stderr in the
// foreground (-f), or JSON lines on stderr when MFSNG_LOG_FORMAT=json.
#pragma once
#include <string>

namespace mfs::log {

enum class Level { kDebug, kInfo, kNotice, kWarning, kError };

// Opens syslog with `ident`; `to_stderr` also copies every line to stderr.
void init(const std::string& ident, bool to_stderr);
void write(Level level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace mfs::log

#define MFS_LOG_DEBUG(...) ::mfs::log::write(::mfs::log::Level::kDebug, __VA_ARGS__)
#define MFS_LOG_INFO(...) ::mfs::log::write(::mfs::log::Level::kInfo, __VA_ARGS__)
#define MFS_LOG_NOTICE(...) ::mfs::log::write(::mfs::log::Level::kNotice, __VA_ARGS__)
#define MFS_LOG_WARNING(...) ::mfs::log::write(::mfs::log::Level::kWarning, __VA_ARGS__)
#define MFS_LOG_ERROR(...) ::mfs::log::write(::mfs::log::Level::kError, __VA_ARGS__)
