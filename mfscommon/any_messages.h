// Any-to-any packets (spec 00 §4), usable on every link: the keep-alive and the two
// "your command was rejected" notices that receivers ignore, and the version and
// configuration queries every daemon answers.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mfscommon/protocol_ids.h"
#include "mfscommon/status.h"

namespace mfs::anymsg {

// ANTOAN_NOP, ANTOAN_UNKNOWN_COMMAND or ANTOAN_BAD_COMMAND_SIZE: receivers accept them
// with any payload and ignore them, so the payload is not kept. Encodes with an empty
// payload, which for ANTOAN_NOP is the keep-alive.
struct Ignorable {
  uint32_t type = msg::ANTOAN_NOP;
  bool operator==(const Ignorable&) const = default;
};
bool is_ignorable(uint32_t type);

// ANTOAN_GET_VERSION: `[msgid:u32]`.
struct GetVersion {
  static constexpr uint32_t kType = msg::ANTOAN_GET_VERSION;
  std::optional<uint32_t> msgid;
  bool operator==(const GetVersion&) const = default;
};

// ANTOAN_VERSION: `[msgid:u32] version:u32 text` (text without terminator); the msgid is
// present iff the request had one.
struct Version {
  static constexpr uint32_t kType = msg::ANTOAN_VERSION;
  std::optional<uint32_t> msgid;
  uint32_t version = 0;
  std::string text;
  bool operator==(const Version&) const = default;
};

// ANTOAN_GET_CONFIG: `msgid:u32 name:NAME`.
struct GetConfig {
  static constexpr uint32_t kType = msg::ANTOAN_GET_CONFIG;
  uint32_t msgid = 0;
  std::string name;
  bool operator==(const GetConfig&) const = default;
};

// ANTOAN_CONFIG_VALUE: `msgid:u32 value:NAME` (empty when the option is undefined).
struct ConfigValue {
  static constexpr uint32_t kType = msg::ANTOAN_CONFIG_VALUE;
  uint32_t msgid = 0;
  std::string value;
  bool operator==(const ConfigValue&) const = default;
};

// Complete frames. Names and values longer than 255 bytes are truncated, as the
// daemons do.
std::vector<uint8_t> encode(const Ignorable& message);
std::vector<uint8_t> encode(const GetVersion& message);
std::vector<uint8_t> encode(const Version& message);
std::vector<uint8_t> encode(const GetConfig& message);
std::vector<uint8_t> encode(const ConfigValue& message);

// Decoders take the payload of a packet whose type the caller has already dispatched on.
Result<GetVersion> decode_get_version(std::span<const uint8_t> payload);
// Whether the reply has a msgid cannot be told from its payload: the caller knows
// whether its request had one.
Result<Version> decode_version(std::span<const uint8_t> payload, bool with_msgid);
Result<GetConfig> decode_get_config(std::span<const uint8_t> payload);
Result<ConfigValue> decode_config_value(std::span<const uint8_t> payload);

// The answer of this daemon (version 3.0.117) to `request`.
Version own_version_reply(const GetVersion& request);

// The any-to-any requests a daemon answers on every link: the version query, and a config
// value (`config_value(name)` gives the option's text, empty when undefined), answered
// through `send`; an ignorable packet needs nothing. False when `message` is none of these.
template <typename Variant, typename ConfigValueOf, typename Send>
bool answer_any_request(const Variant& message, ConfigValueOf&& config_value, Send&& send) {
  if (auto* get_version = std::get_if<GetVersion>(&message)) {
    send(encode(own_version_reply(*get_version)));
    return true;
  }
  if (auto* get_config = std::get_if<GetConfig>(&message)) {
    send(encode(ConfigValue{get_config->msgid, config_value(get_config->name)}));
    return true;
  }
  return std::holds_alternative<Ignorable>(message);
}

}  // namespace mfs::anymsg
