#include "mfscommon/any_messages.h"

#include <string_view>

#include "mfscommon/codec_errors.h"
#include "mfscommon/packet.h"
#include "mfscommon/version.h"

namespace mfs::anymsg {
namespace {

constexpr size_t kMaxNameLength = 255;

std::string_view truncated(const std::string& text) {
  return std::string_view(text).substr(0, kMaxNameLength);
}

}  // namespace

bool is_ignorable(uint32_t type) {
  return type == msg::ANTOAN_NOP || type == msg::ANTOAN_UNKNOWN_COMMAND ||
         type == msg::ANTOAN_BAD_COMMAND_SIZE;
}

std::vector<uint8_t> encode(const Ignorable& message) { return PacketWriter(message.type).take(); }

std::vector<uint8_t> encode(const GetVersion& message) {
  PacketWriter out(GetVersion::kType, 4);
  if (message.msgid) out.u32(*message.msgid);
  return out.take();
}

std::vector<uint8_t> encode(const Version& message) {
  PacketWriter out(Version::kType, 8 + message.text.size());
  if (message.msgid) out.u32(*message.msgid);
  out.u32(message.version).bytes(message.text);
  return out.take();
}

std::vector<uint8_t> encode(const GetConfig& message) {
  PacketWriter out(GetConfig::kType, 5 + message.name.size());
  out.u32(message.msgid).name8(truncated(message.name));
  return out.take();
}

std::vector<uint8_t> encode(const ConfigValue& message) {
  PacketWriter out(ConfigValue::kType, 5 + message.value.size());
  out.u32(message.msgid).name8(truncated(message.value));
  return out.take();
}

Result<GetVersion> decode_get_version(std::span<const uint8_t> payload) {
  if (payload.empty()) return GetVersion{};
  if (payload.size() != 4) return bad_length("ANTOAN_GET_VERSION", payload.size(), "0 or 4");
  return GetVersion{get_u32_be(payload.data())};
}

Result<Version> decode_version(std::span<const uint8_t> payload, bool with_msgid) {
  size_t fixed = with_msgid ? 8 : 4;
  if (payload.size() < fixed) {
    return bad_length("ANTOAN_VERSION", payload.size(), "at least " + std::to_string(fixed));
  }
  PacketReader in(payload);
  Version message;
  if (with_msgid) message.msgid = in.u32();
  message.version = in.u32();
  auto text = in.bytes(in.remaining());
  message.text.assign(text.begin(), text.end());
  return message;
}

Result<GetConfig> decode_get_config(std::span<const uint8_t> payload) {
  PacketReader in(payload);
  GetConfig message;
  message.msgid = in.u32();
  message.name = in.name8();
  if (!in.finished()) return bad_length("ANTOAN_GET_CONFIG", payload.size(), "5+nleng");
  return message;
}

Result<ConfigValue> decode_config_value(std::span<const uint8_t> payload) {
  PacketReader in(payload);
  ConfigValue message;
  message.msgid = in.u32();
  message.value = in.name8();
  if (!in.finished()) return bad_length("ANTOAN_CONFIG_VALUE", payload.size(), "5+vleng");
  return message;
}

Version own_version_reply(const GetVersion& request) {
  return Version{request.msgid, kOwnVersion, kOwnVersionText};
}

}  // namespace mfs::anymsg
