#include "mfscommon/metalogger_messages.h"

#include <algorithm>

#include "mfscommon/codec_errors.h"
#include "mfscommon/crc32.h"

namespace mfs::mlmsg {
namespace {

using Bytes = std::span<const uint8_t>;

constexpr uint8_t kRegisterFromStart = 1;
constexpr uint8_t kRegisterResume = 2;
constexpr size_t kRegisterFromStartSize = 7;
constexpr size_t kRegisterResumeSize = 15;
constexpr uint8_t kChangeEntry = 0xFF;
constexpr uint8_t kChangelogRotated = 0x55;
constexpr uint8_t kDownloadError = 0xFF;
constexpr size_t kDownloadDataHeader = 16;

Status bad_content(const std::string& what) { return Status(StatusCode::kEINVAL, what); }

// Lifts a decoded message into the variant of its direction.
template <typename Out, typename T>
Result<Out> lift(Result<T> decoded) {
  if (!decoded) return decoded.status();
  return Result<Out>(std::in_place, std::move(*decoded));
}


Result<Register> decode_register(Bytes payload) {
  if (payload.empty()) return bad_length("ANTOMA_REGISTER", 0, "7 or 15");
  PacketReader in(payload);
  uint8_t rver = in.u8();
  size_t expected = rver == kRegisterFromStart ? kRegisterFromStartSize
                    : rver == kRegisterResume  ? kRegisterResumeSize
                                               : 0;
  if (expected == 0) return bad_content("ANTOMA_REGISTER: unsupported variant " + std::to_string(rver));
  if (payload.size() != expected) {
    return bad_length("ANTOMA_REGISTER", payload.size(), std::to_string(expected) + " for its variant");
  }
  Register message;
  message.version = in.u32();
  message.timeout = in.u16();
  if (rver == kRegisterResume) message.next_version = in.u64();
  return message;
}

Result<MetaChange> decode_change(Bytes payload) {
  // 0xFF, the version, at least the NUL of the text.
  if (payload.size() < 10) return bad_length("MATOAN_METACHANGES_LOG", payload.size(), "1 or at least 10");
  if (payload[0] != kChangeEntry) {
    return bad_content("MATOAN_METACHANGES_LOG: unexpected entry kind " + std::to_string(payload[0]));
  }
  if (payload.back() != 0) return bad_content("MATOAN_METACHANGES_LOG: text without its terminating NUL");
  PacketReader in(payload);
  in.u8();
  MetaChange message;
  message.version = in.u64();
  auto text = in.bytes(in.remaining() - 1);
  if (std::find(text.begin(), text.end(), uint8_t{0}) != text.end()) {
    return bad_content("MATOAN_METACHANGES_LOG: NUL inside the text");
  }
  message.text.assign(text.begin(), text.end());
  return message;
}

Result<DownloadStart> decode_download_start(Bytes payload) {
  if (payload.size() != 1) return bad_length("ANTOMA_DOWNLOAD_START", payload.size(), "1");
  return DownloadStart{payload[0]};
}

Result<DownloadRequest> decode_download_request(Bytes payload) {
  if (payload.size() != 12) return bad_length("ANTOMA_DOWNLOAD_REQUEST", payload.size(), "12");
  PacketReader in(payload);
  DownloadRequest message;
  message.offset = in.u64();
  message.length = in.u32();
  return message;
}

Result<DownloadEnd> decode_download_end(Bytes payload) {
  if (!payload.empty()) return bad_length("ANTOMA_DOWNLOAD_END", payload.size(), "0");
  return DownloadEnd{};
}

Result<DownloadInfo> decode_download_info(Bytes payload) {
  if (payload.size() == 1) {
    if (payload[0] != kDownloadError) {
      return bad_content("MATOAN_DOWNLOAD_INFO: unexpected status " + std::to_string(payload[0]));
    }
    return DownloadInfo{};
  }
  if (payload.size() != 8) return bad_length("MATOAN_DOWNLOAD_INFO", payload.size(), "1 or 8");
  PacketReader in(payload);
  return DownloadInfo{in.u64()};
}

Result<DownloadData> decode_download_data(Bytes payload) {
  if (payload.size() < kDownloadDataHeader) {
    return bad_length("MATOAN_DOWNLOAD_DATA", payload.size(), "at least 16");
  }
  PacketReader in(payload);
  DownloadData message;
  message.offset = in.u64();
  uint32_t length = in.u32();
  message.crc = in.u32();
  if (length != in.remaining()) {
    return bad_length("MATOAN_DOWNLOAD_DATA", payload.size(), "16 + its data length " + std::to_string(length));
  }
  auto data = in.bytes(length);
  message.data.assign(data.begin(), data.end());
  return message;
}

}  // namespace

Result<MetaloggerToMaster> decode_from_metalogger(const Packet& packet) {
  using Out = MetaloggerToMaster;
  Bytes payload(packet.payload);
  if (anymsg::is_ignorable(packet.type)) return Result<Out>(std::in_place, anymsg::Ignorable{packet.type});
  switch (packet.type) {
    case msg::ANTOAN_GET_VERSION: return lift<Out>(anymsg::decode_get_version(payload));
    case msg::ANTOAN_GET_CONFIG: return lift<Out>(anymsg::decode_get_config(payload));
    case msg::ANTOMA_REGISTER: return lift<Out>(decode_register(payload));
    case msg::ANTOMA_DOWNLOAD_START: return lift<Out>(decode_download_start(payload));
    case msg::ANTOMA_DOWNLOAD_REQUEST: return lift<Out>(decode_download_request(payload));
    case msg::ANTOMA_DOWNLOAD_END: return lift<Out>(decode_download_end(payload));
    default: return unknown_type(packet.type, "from a metalogger");
  }
}

Result<MasterToMetalogger> decode_from_master(const Packet& packet) {
  using Out = MasterToMetalogger;
  Bytes payload(packet.payload);
  if (anymsg::is_ignorable(packet.type)) return Result<Out>(std::in_place, anymsg::Ignorable{packet.type});
  switch (packet.type) {
    case msg::MATOAN_METACHANGES_LOG:
      if (payload.size() == 1 && payload[0] == kChangelogRotated) return Result<Out>(std::in_place, ChangelogRotated{});
      return lift<Out>(decode_change(payload));
    case msg::MATOAN_DOWNLOAD_INFO: return lift<Out>(decode_download_info(payload));
    case msg::MATOAN_DOWNLOAD_DATA: return lift<Out>(decode_download_data(payload));
    default: return unknown_type(packet.type, "from the master");
  }
}

std::vector<uint8_t> encode(const Register& message) {
  PacketWriter out(Register::kType, kRegisterResumeSize);
  out.u8(message.next_version ? kRegisterResume : kRegisterFromStart).u32(message.version).u16(message.timeout);
  if (message.next_version) out.u64(*message.next_version);
  return out.take();
}

std::vector<uint8_t> encode(const MetaChange& message) {
  std::string_view text(message.text);
  text = text.substr(0, kMaxChangeText);
  PacketWriter out(MetaChange::kType, 10 + text.size());
  out.u8(kChangeEntry).u64(message.version).bytes(text).u8(0);
  return out.take();
}

std::vector<uint8_t> encode(const ChangelogRotated&) {
  return PacketWriter(ChangelogRotated::kType, 1).u8(kChangelogRotated).take();
}

std::vector<uint8_t> encode(const DownloadStart& message) {
  return PacketWriter(DownloadStart::kType, 1).u8(message.filenum).take();
}

std::vector<uint8_t> encode(const DownloadInfo& message) {
  PacketWriter out(DownloadInfo::kType, 8);
  if (message.size) {
    out.u64(*message.size);
  } else {
    out.u8(kDownloadError);
  }
  return out.take();
}

std::vector<uint8_t> encode(const DownloadRequest& message) {
  return PacketWriter(DownloadRequest::kType, 12).u64(message.offset).u32(message.length).take();
}

std::vector<uint8_t> encode(const DownloadData& message) {
  PacketWriter out(DownloadData::kType, kDownloadDataHeader + message.data.size());
  out.u64(message.offset).u32(static_cast<uint32_t>(message.data.size())).u32(crc32(message.data)).bytes(message.data);
  return out.take();
}

std::vector<uint8_t> encode(const DownloadEnd&) { return PacketWriter(DownloadEnd::kType).take(); }

}  // namespace mfs::mlmsg
