#include "mfscommon/log.h"

#include <syslog.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string_view>

namespace mfs::log {
namespace {

struct Sink {
  std::mutex mutex;
  std::string ident = "mfsng";
  bool to_stderr = true;
  bool json = false;
  bool syslog_open = false;
};

Sink& sink() {
  static Sink instance;
  return instance;
}

int syslog_priority(Level level) {
  switch (level) {
    case Level::kDebug: return LOG_DEBUG;
    case Level::kInfo: return LOG_INFO;
    case Level::kNotice: return LOG_NOTICE;
    case Level::kWarning: return LOG_WARNING;
    case Level::kError: return LOG_ERR;
  }
  return LOG_INFO;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kNotice: return "notice";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

std::string json_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void init(const std::string& ident, bool to_stderr) {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  s.ident = ident;
  s.to_stderr = to_stderr;
  const char* format = std::getenv("MFSNG_LOG_FORMAT");
  s.json = format && std::strcmp(format, "json") == 0;
  openlog(s.ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
  s.syslog_open = true;
}

void write(Level level, const char* format, ...) {
  char message[4096];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof message, format, args);
  va_end(args);

  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  if (s.syslog_open) syslog(syslog_priority(level), "%s", message);
  if (!s.to_stderr) return;
  if (s.json) {
    std::fprintf(stderr, "{\"ts\":%lld,\"daemon\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n",
                 static_cast<long long>(std::time(nullptr)), json_escape(s.ident).c_str(), level_name(level),
                 json_escape(message).c_str());
  } else {
    std::fprintf(stderr, "%s\n", message);
  }
}

}  // namespace mfs::log
