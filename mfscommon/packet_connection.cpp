#include "mfscommon/packet_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>

#include "mfscommon/ip_address.h"

namespace mfs {

namespace asio = boost::asio;

namespace {
// Most packets are small: several fit, and a big payload is received into itself.
constexpr size_t kInputBufferSize = 16 * 1024;
constexpr size_t kMaxFramesPerWrite = 64;
}  // namespace

PacketConnection::PacketConnection(asio::ip::tcp::socket socket, ConnectionLimits limits)
    : socket_(std::move(socket)),
      limits_(limits),
      read_deadline_(socket_.get_executor()),
      writable_signal_(socket_.get_executor()),
      last_write_(std::chrono::steady_clock::now()),
      last_read_(last_write_) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);  // read_some and write_some never wait (see read())
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
  packet_wait_started_ = std::chrono::steady_clock::now();
  if (!co_await fill_input(kPacketHeaderSize)) co_return std::nullopt;
  Packet packet;
  packet.type = get_u32_be(input_.data() + input_begin_);
  uint32_t length = get_u32_be(input_.data() + input_begin_ + 4);
  if (length > limits_.max_payload) {
    close("packet too long (" + std::to_string(length) + "/" + std::to_string(limits_.max_payload) +
          ") of type " + std::to_string(packet.type));
    co_return std::nullopt;
  }
  input_begin_ += kPacketHeaderSize;
  packet.payload.resize(length);
  size_t got = std::min<size_t>(length, input_end_ - input_begin_);
  std::copy_n(input_.begin() + static_cast<std::ptrdiff_t>(input_begin_), got, packet.payload.begin());
  input_begin_ += got;
  // The rest of a big payload goes straight into it, not through input_.
  while (got < length) {
    size_t received = co_await receive(std::span(packet.payload).subspan(got));
    if (received == 0) co_return std::nullopt;
    got += received;
  }
  last_read_ = std::chrono::steady_clock::now();
  co_return packet;
}

asio::awaitable<bool> PacketConnection::fill_input(size_t bytes) {
  if (input_end_ - input_begin_ >= bytes) co_return true;
  if (input_.empty()) input_.resize(kInputBufferSize);
  if (input_begin_ > 0) {  // the start of the next packet moves to the front
    std::copy(input_.begin() + static_cast<std::ptrdiff_t>(input_begin_),
              input_.begin() + static_cast<std::ptrdiff_t>(input_end_), input_.begin());
    input_end_ -= input_begin_;
    input_begin_ = 0;
  }
  while (input_end_ < bytes) {
    size_t received = co_await receive(std::span(input_).subspan(input_end_));
    if (received == 0) co_return false;
    input_end_ += received;
  }
  co_return true;
}

asio::awaitable<size_t> PacketConnection::receive(std::span<uint8_t> into) {
  boost::system::error_code ec;
  size_t received = 0;
  // After a short read the socket is most likely empty: asking again would cost a system
  // call that finds nothing, so the reactor is asked to wait for data at once.
  if (!input_drained_) {
    received = socket_.read_some(asio::buffer(into.data(), into.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  }
  if (!ec && received == 0) {
    waiting_for_input_ = true;
    arm_read_deadline();
    received = co_await socket_.async_read_some(asio::buffer(into.data(), into.size()),
                                                asio::redirect_error(asio::use_awaitable, ec));
    waiting_for_input_ = false;
  }
  if (ec) {
    close(read_timed_out_ ? "read timeout" : (ec == asio::error::eof ? "connection closed by peer" : ec.message()));
    co_return 0;
  }
  input_drained_ = received < into.size();
  co_return received;
}

void PacketConnection::arm_read_deadline() {
  if (read_deadline_armed_) return;
  read_deadline_armed_ = true;
  read_deadline_.expires_at(packet_wait_started_ + limits_.read_timeout);
  read_deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_read_deadline();
  });
}

void PacketConnection::on_read_deadline() {
  read_deadline_armed_ = false;
  if (!open_ || !waiting_for_input_) return;
  if (std::chrono::steady_clock::now() < packet_wait_started_ + limits_.read_timeout) {
    arm_read_deadline();  // the wait began after the deadline was armed
    return;
  }
  // Cancelling fails the pending wait, whose reader then closes.
  read_timed_out_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void PacketConnection::send(std::vector<uint8_t> frame) {
  if (!open_ || close_when_flushed_) return;
  queued_bytes_ += frame.size();
  out_queue_.push_back(std::move(frame));
  if (!writing_ && !corked_) start_write_loop();
}

void PacketConnection::uncork() {
  corked_ = false;
  if (!open_ || writing_ || out_queue_.empty()) return;
  if (!write_queued_now()) {
    start_write_loop();
  } else if (close_when_flushed_) {
    close();
  }
}

bool PacketConnection::write_queued_now() {
  while (!out_queue_.empty()) {
    // The frames queued meanwhile go out together, in one writev: a reply's data and its
    // status, or the statuses of several requests, cost one system call and one TCP segment.
    std::array<asio::const_buffer, kMaxFramesPerWrite> buffers;
    size_t count = 0;
    for (auto frame = out_queue_.begin(); frame != out_queue_.end() && count < buffers.size(); ++frame, ++count) {
      buffers[count] = asio::buffer(*frame) + (count == 0 ? front_written_ : 0);
    }
    boost::system::error_code ec;
    size_t written = socket_.write_some(std::span(buffers.data(), count), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return false;
    if (ec) {
      close("write error: " + ec.message());
      return true;
    }
    queued_bytes_ -= written;
    last_write_ = std::chrono::steady_clock::now();
    if (queued_bytes_ <= limits_.max_queued_output) writable_signal_.cancel();
    written += front_written_;
    while (!out_queue_.empty() && written >= out_queue_.front().size()) {
      written -= out_queue_.front().size();
      out_queue_.pop_front();
    }
    front_written_ = written;
  }
  return true;
}

void PacketConnection::start_write_loop() {
  writing_ = true;
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->write_loop(); }, asio::detached);
}

asio::awaitable<void> PacketConnection::write_loop() {
  while (open_ && !write_queued_now()) {
    boost::system::error_code ec;
    co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) close("write error: " + ec.message());
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
