#include "mfscommon/packet_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

#include "mfscommon/ip_address.h"

namespace mfs {

namespace asio = boost::asio;

PacketConnection::PacketConnection(asio::ip::tcp::socket socket, ConnectionLimits limits)
    : socket_(std::move(socket)),
      limits_(limits),
      read_deadline_(socket_.get_executor()),
      writable_signal_(socket_.get_executor()),
      last_write_(std::chrono::steady_clock::now()),
      last_read_(last_write_) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec && endpoint.address().is_v4()) {
    peer_ip_ = endpoint.address().to_v4().to_uint();
    peer_name_ = ip_to_string(peer_ip_) + ":" + std::to_string(endpoint.port());
  } else {
    peer_name_ = "unknown peer";
  }
}

asio::awaitable<std::optional<Packet>> PacketConnection::read() {
  if (!open_) co_return std::nullopt;
  // The deadline closes the socket, which fails the pending read.
  read_timed_out_ = false;
  read_deadline_.expires_after(limits_.read_timeout);
  read_deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && self->open_) {
      self->read_timed_out_ = true;
      boost::system::error_code ignored;
      self->socket_.cancel(ignored);
    }
  });
  std::array<uint8_t, kPacketHeaderSize> header;
  Packet packet;
  boost::system::error_code ec;
  co_await asio::async_read(socket_, asio::buffer(header), asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    packet.type = get_u32_be(header.data());
    uint32_t length = get_u32_be(header.data() + 4);
    if (length > limits_.max_payload) {
      read_deadline_.cancel();
      close("packet too long (" + std::to_string(length) + "/" + std::to_string(limits_.max_payload) +
            ") of type " + std::to_string(packet.type));
      co_return std::nullopt;
    }
    packet.payload.resize(length);
    co_await asio::async_read(socket_, asio::buffer(packet.payload), asio::redirect_error(asio::use_awaitable, ec));
  }
  read_deadline_.cancel();
  if (ec) {
    close(read_timed_out_ ? "read timeout" : (ec == asio::error::eof ? "connection closed by peer" : ec.message()));
    co_return std::nullopt;
  }
  last_read_ = std::chrono::steady_clock::now();
  co_return packet;
}

void PacketConnection::send(std::vector<uint8_t> frame) {
  if (!open_ || close_when_flushed_) return;
  queued_bytes_ += frame.size();
  out_queue_.push_back(std::move(frame));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->write_loop(); }, asio::detached);
  }
}

asio::awaitable<void> PacketConnection::write_loop() {
  // The frames queued meanwhile go out together, in one writev: a reply's data and its
  // status, or the statuses of several requests, cost one system call and one TCP segment.
  constexpr size_t kMaxFramesPerWrite = 64;
  std::vector<std::vector<uint8_t>> frames;
  std::vector<asio::const_buffer> buffers;
  while (open_ && !out_queue_.empty()) {
    frames.clear();
    buffers.clear();
    size_t bytes = 0;
    while (!out_queue_.empty() && frames.size() < kMaxFramesPerWrite) {
      frames.push_back(std::move(out_queue_.front()));
      out_queue_.pop_front();
      bytes += frames.back().size();
    }
    for (const auto& frame : frames) buffers.push_back(asio::buffer(frame));
    boost::system::error_code ec;
    co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    queued_bytes_ -= bytes;
    if (queued_bytes_ <= limits_.max_queued_output) writable_signal_.cancel();
    if (ec) {
      close("write error: " + ec.message());
      break;
    }
    last_write_ = std::chrono::steady_clock::now();
  }
  writing_ = false;
  if (close_when_flushed_ && out_queue_.empty()) close();
}

asio::awaitable<void> PacketConnection::wait_writable() {
  while (open_ && queued_bytes_ > limits_.max_queued_output) {
    writable_signal_.expires_at(std::chrono::steady_clock::time_point::max());
    boost::system::error_code ignored;
    co_await writable_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void PacketConnection::close_after_flush() {
  if (!writing_ && out_queue_.empty()) {
    close();
  } else {
    close_when_flushed_ = true;
  }
}

void PacketConnection::close(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  close_reason_ = reason;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  read_deadline_.cancel();
  writable_signal_.cancel();
}

}  // namespace mfs
