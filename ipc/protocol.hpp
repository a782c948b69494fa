// The messages of the tapstack IPC protocol, version 1, as values (ipc/PROTOCOL.md). The codec
// (ipc/codec.hpp) turns them into bytes and back; fds travel beside the bytes (SCM_RIGHTS) and
// only the `has_fd` flag of the header says one is there.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "stack/socket/socket_types.hpp"

namespace tapstack::ipc {

inline constexpr std::uint32_t kMagic = 0x54535031;        // "TSP1"
inline constexpr std::uint32_t kAcceptMagic = 0x54534131;  // "TSA1"
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kMaxMessageSize = 64 * 1024;
inline constexpr std::size_t kAcceptRecordSize = 20;
inline constexpr std::size_t kMaxOptionValue = 64;
inline constexpr std::uint32_t kFlagHasFd = 0x1;

enum class MessageType : std::uint16_t {
  hello = 1,
  socket = 2,
  bind = 3,
  listen = 4,
  connect = 5,
  shutdown = 6,
  close = 7,
  setsockopt = 8,
  getsockopt = 9,
  getsockname = 10,
  getpeername = 11,
  get_error = 12,
  tcp_info = 13,
  admin = 14,
  reply = 0x8000,
  event = 0x8001,
};

enum class SocketKind : std::uint8_t { tcp = 1, udp = 2 };
enum class ShutdownHow : std::uint8_t { read = 0, write = 1, both = 2 };

// Option numbers of the protocol (PROTOCOL.md §2.1), not Linux's.
enum class SocketOption : std::uint16_t {
  so_reuseaddr = 1,
  so_reuseport = 2,
  so_keepalive = 3,
  so_rcvbuf = 4,
  so_sndbuf = 5,
  so_linger = 6,
  so_error = 7,
  so_type = 8,
  so_acceptconn = 9,
  tcp_nodelay = 10,
  tcp_cork = 11,
  tcp_keepidle = 12,
  tcp_keepintvl = 13,
  tcp_keepcnt = 14,
  tcp_user_timeout = 15,
  tcp_congestion = 16,
  so_broadcast = 17,
};

// An option value as it travels: i32 options are 4 bytes, SO_LINGER 8, TCP_CONGESTION a name.
using OptionValue = std::vector<std::byte>;

// Requests (client -> daemon). Those naming a socket carry its data-channel fd.
struct Hello {
  std::uint16_t min_version = kVersion;
  std::uint16_t max_version = kVersion;
  bool operator==(const Hello&) const = default;
};
struct SocketRequest {
  SocketKind kind = SocketKind::tcp;
  bool operator==(const SocketRequest&) const = default;
};
struct BindRequest {
  std::uint32_t socket_id = 0;
  SocketAddress local;
  bool operator==(const BindRequest&) const = default;
};
struct ListenRequest {
  std::uint32_t socket_id = 0;
  std::uint32_t backlog = 0;
  bool operator==(const ListenRequest&) const = default;
};
struct ConnectRequest {
  std::uint32_t socket_id = 0;
  SocketAddress remote;
  bool operator==(const ConnectRequest&) const = default;
};
struct ShutdownRequest {
  std::uint32_t socket_id = 0;
  ShutdownHow how = ShutdownHow::both;
  bool operator==(const ShutdownRequest&) const = default;
};
struct CloseRequest {
  std::uint32_t socket_id = 0;
  bool operator==(const CloseRequest&) const = default;
};
struct SetOptionRequest {
  std::uint32_t socket_id = 0;
  SocketOption option = SocketOption::so_reuseaddr;
  OptionValue value;
  bool operator==(const SetOptionRequest&) const = default;
};
struct GetOptionRequest {
  std::uint32_t socket_id = 0;
  SocketOption option = SocketOption::so_reuseaddr;
  bool operator==(const GetOptionRequest&) const = default;
};
// getsockname, getpeername, get_error, tcp_info: a socket id and nothing else.
struct SocketQuery {
  MessageType type = MessageType::getsockname;
  std::uint32_t socket_id = 0;
  bool operator==(const SocketQuery&) const = default;
};

// Administration (PROTOCOL.md §7): a command line such as "sockets --json"; the answer is a
// document the client reads in chunks by offset.
inline constexpr std::size_t kMaxAdminCommand = 1024;
inline constexpr std::size_t kAdminChunk = 60000;
struct AdminRequest {
  std::uint32_t offset = 0;  // where in the answer this chunk starts; 0 runs the command
  std::string command;       // printable ASCII, at most kMaxAdminCommand bytes
  bool operator==(const AdminRequest&) const = default;
};

// Reply bodies.
struct HelloReply {
  std::uint16_t version = kVersion;
  std::uint32_t max_sockets = 0;
  bool operator==(const HelloReply&) const = default;
};
struct SocketCreated {
  std::uint32_t socket_id = 0;
  bool operator==(const SocketCreated&) const = default;
};
struct AddressReply {
  SocketAddress address;
  bool operator==(const AddressReply&) const = default;
};
struct ErrorReply {
  std::uint32_t pending_error = 0;  // errno; 0: none
  bool operator==(const ErrorReply&) const = default;
};
struct OptionReply {
  OptionValue value;
  bool operator==(const OptionReply&) const = default;
};
inline constexpr std::size_t kTcpInfoSize = 52;
struct TcpInfo {
  std::uint8_t state = 0;    // Linux tcp_states.h numbering
  std::uint8_t options = 0;  // bit 0 timestamps, bit 1 SACK, bit 2 window scaling
  std::uint8_t snd_wscale = 0;
  std::uint8_t rcv_wscale = 0;
  std::uint32_t rto_us = 0;
  std::uint32_t snd_mss = 0;
  std::uint32_t rtt_us = 0;
  std::uint32_t rttvar_us = 0;
  std::uint32_t snd_cwnd = 0;  // segments
  std::uint32_t snd_ssthresh = 0;
  std::uint32_t total_retrans = 0;
  std::uint32_t snd_wnd = 0;
  std::uint32_t rcv_wnd = 0;
  std::uint32_t unacked_bytes = 0;
  std::uint32_t unread_bytes = 0;
  std::uint32_t congestion = 0;  // 1 cubic, 2 newreno
  bool operator==(const TcpInfo&) const = default;
};
struct AdminReply {
  std::uint32_t total = 0;  // the whole answer's size
  std::string chunk;        // at most kAdminChunk bytes from the request's offset
  bool operator==(const AdminReply&) const = default;
};
struct Empty {
  bool operator==(const Empty&) const = default;
};
using ReplyBody = std::variant<Empty, HelloReply, SocketCreated, AddressReply, ErrorReply,
                               OptionReply, TcpInfo, AdminReply>;

struct Reply {
  MessageType request_type = MessageType::hello;
  std::uint32_t error = 0;  // errno; non-zero: body is Empty
  ReplyBody body;
  bool operator==(const Reply&) const = default;
};

enum class EventKind : std::uint16_t { connected = 1, error = 2, peer_closed = 3 };
struct Event {
  std::uint32_t socket_id = 0;
  EventKind what = EventKind::connected;
  std::uint32_t error = 0;
  bool operator==(const Event&) const = default;
};

using Body = std::variant<Hello, SocketRequest, BindRequest, ListenRequest, ConnectRequest,
                          ShutdownRequest, CloseRequest, SetOptionRequest, GetOptionRequest,
                          SocketQuery, AdminRequest, Reply, Event>;

struct Message {
  std::uint32_t request_id = 0;
  bool has_fd = false;
  Body body;
  bool operator==(const Message&) const = default;
};

// One accepted connection on a listener's data channel (PROTOCOL.md §3.3).
struct AcceptRecord {
  std::uint32_t socket_id = 0;
  SocketAddress local;
  SocketAddress peer;
  bool operator==(const AcceptRecord&) const = default;
};

// The header in front of every datagram on a UDP data channel (PROTOCOL.md §5).
inline constexpr std::size_t kDatagramHeaderSize = 8;
inline constexpr std::uint16_t kDatagramFlagError = 0x1;
struct DatagramHeader {
  // Program -> daemon: the destination, 0.0.0.0:0 for the connected peer. Daemon -> program:
  // the source.
  SocketAddress address;
  // Daemon -> program only: an error packet (no payload) carrying an errno, as the kernel
  // reports an asynchronous UDP error (ICMP port unreachable, a refused send) on the next call.
  std::uint32_t error = 0;
  bool operator==(const DatagramHeader&) const = default;
};

// The message type a body encodes as.
MessageType type_of(const Body& body);
// Whether a message of this body must (true) carry an fd; replies: only to `socket`.
bool requires_fd(const Body& body);

}  // namespace tapstack::ipc
