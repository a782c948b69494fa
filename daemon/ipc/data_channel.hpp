// A socket's data channel as the daemon sees it: its end of the socket pair whose other end is
// the program's socket fd. TCP uses a SOCK_STREAM pair (ipc/PROTOCOL.md §3), UDP a SOCK_SEQPACKET
// pair with one packet per datagram (§5). The pumps move data between the channel and the stack
// without buffering: they peek, offer, and consume only what the other side took, so flow
// control is end to end and memory stays bounded.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>

#include "ipc/fd_passing.hpp"
#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"

namespace tapstack::daemon::ipc {

using tapstack::ipc::FileIdentity;
using tapstack::ipc::UniqueFd;

// Why a pump stopped.
enum class Pump : std::uint8_t {
  channel_empty,    // wait until the channel is readable
  channel_full,     // wait until the channel is writable
  tcp_blocked,      // the stack refused data (TCP send buffer, UDP TX room): wait for `writable`
  tcp_empty,        // nothing to receive: wait for the stack's `readable` event
  budget_spent,     // more to do: come back next turn
  channel_eof,      // the program shut down writing (or closed: see channel_hung_up)
  channel_hung_up,  // every client fd is closed
  peer_fin,         // TCP reached end of stream; the channel is shut for writing
  tcp_error,        // TCP failed (reset, timeout); the channel is shut for writing
  stopped,          // nothing to pump in this state
};

class DataChannel {
 public:
  // Takes the daemon's end (non-blocking). `filler` bytes written from the client end wait in
  // it, so that the client end is not writable until discard_filler() (PROTOCOL.md §3.2).
  DataChannel(boost::asio::io_context& io, UniqueFd daemon_end, FileIdentity client,
              std::size_t filler);

  int fd() { return end_.native_handle(); }
  const FileIdentity& client_identity() const { return client_; }

  // Reads and drops the filler: the client end becomes writable.
  void discard_filler(std::span<std::byte> scratch);
  // Lets the channel hold `bytes` on their way to the program (SO_SNDBUF of our end), up to
  // kMaxSendBuffer; never shrinks it. Returns true if it grew. TCP sets it to the connection's
  // receive buffer: a program behind the shim may then have as much in flight to it as that
  // buffer lets a kernel socket hold, and the kernel's default (~208 KiB, of which a Unix
  // socket lets us refill only the last quarter) does not starve a fast reader.
  bool grow_send_buffer(std::size_t bytes);
  // Shuts the daemon end for writing: the program reads EOF. Idempotent.
  void shut_write();
  bool write_shut() const { return write_shut_; }
  // True when every client fd is closed (POLLHUP on the daemon end).
  bool hung_up();
  // The program's last close left bytes unread in its end: Linux's unix_release_sock() then
  // sets ECONNRESET on the peer, our end. A TCP socket closed so must reset its connection, as
  // the kernel resets one closed with unread data (RFC 9293 §3.10.4, Linux tcp_close()).
  bool closed_with_unread_data() const { return unread_on_close_; }

  // Channel -> TCP: at most `budget` bytes.
  Pump to_tcp(TcpLayer& tcp, SocketHandle socket, std::span<std::byte> scratch, std::size_t budget,
              Instant now);
  // TCP -> channel: at most `budget` bytes, written straight from TCP's receive buffer. With
  // `discard`, received bytes are dropped (the program shut down reading).
  Pump from_tcp(TcpLayer& tcp, SocketHandle socket, std::size_t budget, bool discard, Instant now);
  // UDP (udp_pump.cpp). Channel -> UDP: one datagram per packet, at most `budget` bytes; a
  // datagram the stack refuses for good is dropped and its errno queued for the program.
  Pump to_udp(UdpLayer& udp, SocketHandle socket, std::span<std::byte> scratch, std::size_t budget,
              Instant now);
  // UDP -> channel: each datagram with its source address; errors (ICMP port unreachable on a
  // connected socket, refused sends) as error packets. With `discard`, datagrams are dropped.
  Pump from_udp(UdpLayer& udp, SocketHandle socket, std::span<std::byte> scratch,
                std::size_t budget, bool discard);

  // Reads and drops whatever the program writes (listeners, failed sockets) until EOF.
  Pump drain(std::span<std::byte> scratch);

  // Starts an Asio wait; `handler(error_code)` may run after this channel is gone: it must find
  // the socket again by id.
  template <typename Handler>
  void async_wait(boost::asio::posix::descriptor_base::wait_type type, Handler handler) {
    end_.async_wait(type, std::move(handler));
  }

  bool waiting_read = false;  // Asio waits pending
  bool waiting_write = false;
  bool waiting_hangup = false;
  bool send_blocked = false;                  // TCP refused bytes: wait for `writable`
  bool read_eof = false;                      // the program shut down writing
  std::optional<SocketError> tcp_failure;     // why from_tcp() returned tcp_error
  std::optional<std::uint32_t> unsent_error;  // UDP: an errno waiting for room in the channel

 private:
  boost::asio::posix::stream_descriptor end_;
  FileIdentity client_;
  std::size_t filler_;
  bool write_shut_ = false;
  bool unread_on_close_ = false;
  std::size_t send_buffer_ = 0;  // SO_SNDBUF as the kernel keeps it; 0: not read yet

  // Writes the first `limit` bytes of `pieces` to the channel in one sendmsg().
  ssize_t write_pieces(const std::array<wire::Bytes, 2>& pieces, std::size_t limit);
  // A failed read or SO_ERROR on our end: ECONNRESET is the unread-data mark above.
  void note_error(int error) {
    if (error == ECONNRESET) unread_on_close_ = true;
  }
};

// Makes a socket pair of `type` (SOCK_STREAM or SOCK_SEQPACKET): the daemon end non-blocking,
// the client end blocking (the program chooses; O_NONBLOCK is shared by every dup), both
// close-on-exec. With `fill`, the client end is made unwritable with filler first. Returns the
// channel and the client end, or the errno.
Result<std::pair<DataChannel, UniqueFd>, int> make_channel(boost::asio::io_context& io, int type,
                                                           bool fill);

}  // namespace tapstack::daemon::ipc
