// A framed MooseFS connection on Boost.Asio with C++20 coroutines: reads whole packets
// with a read timeout and a maximum payload size, queues outgoing frames, and applies
// back-pressure (a reader waits while too much output is queued).
//
// Input is buffered: a small request costs one receive, not one for its header and one for
// its payload, and packets already received are read without a trip through the event
// loop. A reader that handles each packet synchronously can cork the connection around it,
// so its replies go out in one write at uncork() instead of through a write coroutine.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mfscommon/asio_awaitable.h"
#include "mfscommon/packet.h"

namespace mfs {

struct ConnectionLimits {
  uint32_t max_payload = 100000;
  std::chrono::milliseconds read_timeout{10000};
  size_t max_queued_output = 64u << 20;
};

class PacketConnection : public std::enable_shared_from_this<PacketConnection> {
 public:
  PacketConnection(boost::asio::ip::tcp::socket socket, ConnectionLimits limits);

  // The next packet, or nullopt when the peer closed, the read timed out, or the
  // length exceeded the limit; close_reason() then says which.
  boost::asio::awaitable<std::optional<Packet>> read();
  // Queues one complete frame (from PacketWriter::take()).
  void send(std::vector<uint8_t> frame);
  // While corked, send() only queues; uncork() writes the queue at once, as far as the
  // socket takes it without waiting, and leaves the rest to the write coroutine.
  void cork() { corked_ = true; }
  void uncork();
  // Suspends while more than max_queued_output bytes wait to be written.
  boost::asio::awaitable<void> wait_writable();
  // Closes once everything queued has been written.
  void close_after_flush();
  void close(const std::string& reason = {});

  bool is_open() const { return open_; }
  const std::string& close_reason() const { return close_reason_; }
  std::chrono::steady_clock::time_point last_write() const { return last_write_; }
  std::chrono::steady_clock::time_point last_read() const { return last_read_; }
  size_t queued_bytes() const { return queued_bytes_; }
  // Peer IPv4 address as a MooseFS u32 (0 if unknown), and "a.b.c.d:port" for logs.
  uint32_t peer_ip() const { return peer_ip_; }
  const std::string& peer_name() const { return peer_name_; }
  boost::asio::ip::tcp::socket& socket() { return socket_; }
  void set_limits(ConnectionLimits limits) { limits_ = limits; }
  const ConnectionLimits& limits() const { return limits_; }

 private:
  // Makes at least `bytes` bytes readable in input_; false when the connection closed.
  boost::asio::awaitable<bool> fill_input(size_t bytes);
  // Receives into `into` what is there, or waits for something; 0 when the connection closed.
  boost::asio::awaitable<size_t> receive(std::span<uint8_t> into);
  void arm_read_deadline();
  void on_read_deadline();
  // Writes queued frames until the socket takes no more; false if some are left. The one
  // way frames are written, by uncork() and by the write coroutine between waits.
  bool write_queued_now();
  void start_write_loop();
  boost::asio::awaitable<void> write_loop();

  boost::asio::ip::tcp::socket socket_;
  ConnectionLimits limits_;
  std::vector<uint8_t> input_;
  size_t input_begin_ = 0;  // input_[input_begin_, input_end_) is received, not yet read
  size_t input_end_ = 0;
  bool input_drained_ = true;  // the last receive got less than it had room for
  // The read deadline is armed once per wait at most, not per packet: it fires, and
  // re-arms itself while a wait that began later is still within the timeout.
  boost::asio::steady_timer read_deadline_;
  bool read_deadline_armed_ = false;
  bool waiting_for_input_ = false;
  std::chrono::steady_clock::time_point packet_wait_started_;
  boost::asio::steady_timer writable_signal_;
  std::deque<std::vector<uint8_t>> out_queue_;
  size_t front_written_ = 0;  // bytes of out_queue_.front() already written
  size_t queued_bytes_ = 0;
  bool read_timed_out_ = false;
  bool writing_ = false;
  bool corked_ = false;
  bool close_when_flushed_ = false;
  bool open_ = true;
  std::string close_reason_;
  std::chrono::steady_clock::time_point last_write_;
  std::chrono::steady_clock::time_point last_read_;
  uint32_t peer_ip_ = 0;
  std::string peer_name_;
};

}  // namespace mfs
