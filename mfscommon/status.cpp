#include "mfscommon/status.h"

#include <array>

namespace mfs {

std::string_view status_text(StatusCode code) {
  static constexpr std::array<std::string_view, 54> kTexts = {
      "OK",
      "Operation not permitted",
      "Not a directory",
      "No such file or directory",
      "Permission denied",
      "File exists",
      "Invalid argument",
      "Directory not empty",
      "Chunk lost",
      "Out of memory",
      "Index too big",
      "Chunk locked",
      "No chunk servers",
      "No such chunk",
      "Chunk is busy",
      "Incorrect register BLOB",
      "Operation not completed",
      "File not opened",
      "Write not started",
      "Wrong chunk version",
      "Chunk already exists",
      "No space left",
      "IO error",
      "Incorrect block number",
      "Incorrect size",
      "Incorrect offset",
      "Can't connect",
      "Incorrect chunk id",
      "Disconnected",
      "CRC error",
      "Operation delayed",
      "Can't create path",
      "Data mismatch",
      "Read-only file system",
      "Quota exceeded",
      "Bad session id",
      "Password is needed",
      "Incorrect password",
      "Attribute not found",
      "Operation not supported",
      "Result too large",
      "Entity not found",
      "Entity is active",
      "Chunkserver not present",
      "Waiting on lock",
      "Resource temporarily unavailable",
      "Interrupted system call",
      "Operation canceled",
      "No such file or directory (not cacheable)",
      "Operation not permitted (mfs admin only)",
      "Class name already in use",
      "Maximum number of classes reached",
      "No such class",
      "Class in use",
  };
  auto index = static_cast<size_t>(code);
  return index < kTexts.size() ? kTexts[index] : std::string_view("Unknown MFS error");
}

std::string Status::to_string() const {
  std::string text(status_text(code_));
  if (!message_.empty()) {
    text += ": ";
    text += message_;
  }
  return text;
}

}  // namespace mfs
