// MooseFS status codes (spec 00 §7) and the Status/Result value types used on every
// protocol and I/O path: an error is a status code plus a message a sysadmin can read.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <optional>

namespace mfs {

enum class StatusCode : uint8_t {
  kOk = 0, kEPERM = 1, kENOTDIR = 2, kENOENT = 3, kEACCES = 4, kEEXIST = 5, kEINVAL = 6,
  kENOTEMPTY = 7, kChunkLost = 8, kOutOfMemory = 9, kIndexTooBig = 10, kLocked = 11,
  kNoChunkServers = 12, kNoChunk = 13, kChunkBusy = 14, kRegister = 15, kNotDone = 16,
  kNotOpened = 17, kNotStarted = 18, kWrongVersion = 19, kChunkExist = 20, kNoSpace = 21,
  kIO = 22, kBNumTooBig = 23, kWrongSize = 24, kWrongOffset = 25, kCantConnect = 26,
  kWrongChunkId = 27, kDisconnected = 28, kCRC = 29, kDelayed = 30, kCantCreatePath = 31,
  kMismatch = 32, kEROFS = 33, kQuota = 34, kBadSessionId = 35, kNoPassword = 36,
  kBadPassword = 37, kENOATTR = 38, kENOTSUP = 39, kERANGE = 40, kNotFound = 41,
  kActive = 42, kCSNotPresent = 43, kWaiting = 44, kEAGAIN = 45, kEINTR = 46,
  kECANCELED = 47, kENOENT_NoCache = 48, kEPERM_NotAdmin = 49, kClassExists = 50,
  kClassLimitReach = 51, kNoSuchClass = 52, kClassInUse = 53,
};

// The exact text MooseFS programs print for a status ("Unknown MFS error" above 53).
std::string_view status_text(StatusCode code);
inline std::string_view status_text(uint8_t code) { return status_text(static_cast<StatusCode>(code)); }

class Status {
 public:
  Status() = default;
  Status(StatusCode code) : code_(code) {}  // NOLINT(google-explicit-constructor): statuses are values
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  uint8_t wire() const { return static_cast<uint8_t>(code_); }
  const std::string& message() const { return message_; }
  // "<status text>" or "<status text>: <message>".
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or an error Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}              // NOLINT(google-explicit-constructor)
  Result(Status error) : status_(std::move(error)) {}        // NOLINT(google-explicit-constructor)
  Result(StatusCode code) : status_(code) {}                 // NOLINT(google-explicit-constructor)
  // Builds the value in place (a variant from one of its alternatives, without a move of
  // the variant that g++ 12 under the sanitizers takes for a read of uninitialized fields).
  template <typename... Args>
  explicit Result(std::in_place_t, Args&&... args) : value_(std::in_place, std::forward<Args>(args)...) {}

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  const Status& status() const { return status_; }
  StatusCode code() const { return status_.code(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace mfs
