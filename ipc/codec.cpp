#include "ipc/codec.hpp"

#include <array>
#include <cassert>
#include <type_traits>

#include "stack/wire/bytes.hpp"

namespace tapstack::ipc {
namespace {

// Appends big-endian fields to a growing message.
class Writer {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(std::byte{v}); }
  void u16(std::uint16_t v) {
    grow(2);
    wire::store16(bytes_, bytes_.size() - 2, v);
  }
  void u32(std::uint32_t v) {
    grow(4);
    wire::store32(bytes_, bytes_.size() - 4, v);
  }
  void zeros(std::size_t n) { bytes_.insert(bytes_.end(), n, std::byte{0}); }
  void address(SocketAddress a) {
    u32(a.address.value());
    u16(a.port);
    u16(0);
  }
  void raw(std::span<const std::byte> b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  void grow(std::size_t n) { bytes_.resize(bytes_.size() + n); }
  std::vector<std::byte> bytes_;
};

// Reads big-endian fields from a payload whose size was checked by the caller (`need`).
class Reader {
 public:
  explicit Reader(wire::Bytes bytes) : bytes_(bytes) {}
  std::size_t size() const { return bytes_.size(); }
  std::uint8_t u8() { return wire::load8(bytes_, advance(1)); }
  std::uint16_t u16() { return wire::load16(bytes_, advance(2)); }
  std::uint32_t u32() { return wire::load32(bytes_, advance(4)); }
  // Reserved bytes must be zero: a non-zero pad is a malformed message, not a future extension.
  bool zeros(std::size_t n) {
    bool zero = true;
    for (std::size_t i = 0; i < n; ++i) zero &= u8() == 0;
    return zero;
  }
  std::optional<SocketAddress> address() {
    SocketAddress a{Ipv4Addr{u32()}, u16()};
    if (!zeros(2)) return std::nullopt;
    return a;
  }
  wire::Bytes rest() { return bytes_.subspan(advance(bytes_.size() - at_)); }

 private:
  std::size_t advance(std::size_t n) {
    assert(at_ + n <= bytes_.size());
    const std::size_t was = at_;
    at_ += n;
    return was;
  }
  wire::Bytes bytes_;
  std::size_t at_ = 0;
};

bool is_request(std::uint16_t type) {
  return type >= 1 && type <= 14;
}

[[maybe_unused]] bool is_query(MessageType type) {
  return type == MessageType::getsockname || type == MessageType::getpeername ||
         type == MessageType::get_error || type == MessageType::tcp_info;
}

void encode_tcp_info(Writer& w, const TcpInfo& info) {
  w.u8(info.state);
  w.u8(info.options);
  w.u8(info.snd_wscale);
  w.u8(info.rcv_wscale);
  for (const std::uint32_t v :
       {info.rto_us, info.snd_mss, info.rtt_us, info.rttvar_us, info.snd_cwnd, info.snd_ssthresh,
        info.total_retrans, info.snd_wnd, info.rcv_wnd, info.unacked_bytes, info.unread_bytes,
        info.congestion}) {
    w.u32(v);
  }
}

TcpInfo decode_tcp_info(Reader& r) {
  TcpInfo info;
  info.state = r.u8();
  info.options = r.u8();
  info.snd_wscale = r.u8();
  info.rcv_wscale = r.u8();
  for (std::uint32_t* v :
       {&info.rto_us, &info.snd_mss, &info.rtt_us, &info.rttvar_us, &info.snd_cwnd,
        &info.snd_ssthresh, &info.total_retrans, &info.snd_wnd, &info.rcv_wnd, &info.unacked_bytes,
        &info.unread_bytes, &info.congestion}) {
    *v = r.u32();
  }
  return info;
}

void encode_reply_body(Writer& w, const ReplyBody& body) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, HelloReply>) {
          w.u16(b.version);
          w.u16(0);
          w.u32(b.max_sockets);
        } else if constexpr (std::is_same_v<T, SocketCreated>) {
          w.u32(b.socket_id);
        } else if constexpr (std::is_same_v<T, AddressReply>) {
          w.address(b.address);
        } else if constexpr (std::is_same_v<T, ErrorReply>) {
          w.u32(b.pending_error);
        } else if constexpr (std::is_same_v<T, OptionReply>) {
          assert(b.value.size() <= kMaxOptionValue);
          w.u16(static_cast<std::uint16_t>(b.value.size()));
          w.raw(b.value);
        } else if constexpr (std::is_same_v<T, TcpInfo>) {
          encode_tcp_info(w, b);
        } else if constexpr (std::is_same_v<T, AdminReply>) {
          assert(b.chunk.size() <= kAdminChunk);
          w.u32(b.total);
          w.raw(std::as_bytes(std::span{b.chunk}));
        }
      },
      body);
}

void encode_body(Writer& w, const Body& body) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Hello>) {
          w.u16(b.min_version);
          w.u16(b.max_version);
        } else if constexpr (std::is_same_v<T, SocketRequest>) {
          w.u8(static_cast<std::uint8_t>(b.kind));
          w.zeros(3);
        } else if constexpr (std::is_same_v<T, BindRequest>) {
          w.u32(b.socket_id);
          w.address(b.local);
        } else if constexpr (std::is_same_v<T, ListenRequest>) {
          w.u32(b.socket_id);
          w.u32(b.backlog);
        } else if constexpr (std::is_same_v<T, ConnectRequest>) {
          w.u32(b.socket_id);
          w.address(b.remote);
        } else if constexpr (std::is_same_v<T, ShutdownRequest>) {
          w.u32(b.socket_id);
          w.u8(static_cast<std::uint8_t>(b.how));
          w.zeros(3);
        } else if constexpr (std::is_same_v<T, CloseRequest>) {
          w.u32(b.socket_id);
          w.zeros(4);
        } else if constexpr (std::is_same_v<T, SetOptionRequest>) {
          assert(b.value.size() <= kMaxOptionValue);
          w.u32(b.socket_id);
          w.u16(static_cast<std::uint16_t>(b.option));
          w.u16(static_cast<std::uint16_t>(b.value.size()));
          w.raw(b.value);
        } else if constexpr (std::is_same_v<T, GetOptionRequest>) {
          w.u32(b.socket_id);
          w.u16(static_cast<std::uint16_t>(b.option));
          w.u16(0);
        } else if constexpr (std::is_same_v<T, SocketQuery>) {
          w.u32(b.socket_id);
        } else if constexpr (std::is_same_v<T, AdminRequest>) {
          assert(b.command.size() <= kMaxAdminCommand);
          w.u32(b.offset);
          w.u16(static_cast<std::uint16_t>(b.command.size()));
          w.u16(0);
          w.raw(std::as_bytes(std::span{b.command}));
        } else if constexpr (std::is_same_v<T, Reply>) {
          w.u16(static_cast<std::uint16_t>(b.request_type));
          w.u16(0);
          w.u32(b.error);
          if (b.error == 0) encode_reply_body(w, b.body);
        } else if constexpr (std::is_same_v<T, Event>) {
          w.u32(b.socket_id);
          w.u16(static_cast<std::uint16_t>(b.what));
          w.u16(0);
          w.u32(b.error);
        }
      },
      body);
}

using Decoded = Result<Body, DecodeError>;
const auto bad_payload = unexpected(DecodeError::bad_payload);

// The fixed payload size of a type; 0 for the variable-size ones (setsockopt, reply).
std::size_t fixed_size(MessageType type) {
  switch (type) {
    case MessageType::hello:
    case MessageType::socket:
    case MessageType::getsockname:
    case MessageType::getpeername:
    case MessageType::get_error:
    case MessageType::tcp_info:
      return 4;
    case MessageType::listen:
    case MessageType::shutdown:
    case MessageType::close:
    case MessageType::getsockopt:
      return 8;
    case MessageType::bind:
    case MessageType::connect:
    case MessageType::event:
      return 12;
    case MessageType::setsockopt:
    case MessageType::admin:
    case MessageType::reply:
      return 0;
  }
  return 0;
}

bool valid_option(std::uint16_t option) {
  return option >= 1 && option <= 17;
}

Result<ReplyBody, DecodeError> decode_reply_body(MessageType request, Reader& r) {
  const std::size_t n = r.size() - 8;
  const auto need = [&](std::size_t size) { return n == size; };
  switch (request) {
    case MessageType::hello: {
      if (!need(8)) return bad_payload;
      HelloReply hello;
      hello.version = r.u16();
      if (!r.zeros(2)) return bad_payload;
      hello.max_sockets = r.u32();
      return hello;
    }
    case MessageType::socket:
      if (!need(4)) return bad_payload;
      return SocketCreated{r.u32()};
    case MessageType::getsockname:
    case MessageType::getpeername: {
      if (!need(8)) return bad_payload;
      const auto address = r.address();
      if (!address) return bad_payload;
      return AddressReply{*address};
    }
    case MessageType::get_error:
      if (!need(4)) return bad_payload;
      return ErrorReply{r.u32()};
    case MessageType::getsockopt: {
      if (n < 2) return bad_payload;
      const std::uint16_t length = r.u16();
      if (length > kMaxOptionValue || n != 2u + length) return bad_payload;
      const wire::Bytes value = r.rest();
      return OptionReply{OptionValue(value.begin(), value.end())};
    }
    case MessageType::tcp_info:
      if (!need(kTcpInfoSize)) return bad_payload;
      return decode_tcp_info(r);
    case MessageType::admin: {
      if (n < 4 || n - 4 > kAdminChunk) return bad_payload;
      AdminReply reply;
      reply.total = r.u32();
      const wire::Bytes chunk = r.rest();
      reply.chunk.reserve(chunk.size());
      for (const std::byte b : chunk) reply.chunk.push_back(static_cast<char>(b));
      return reply;
    }
    default:
      if (!need(0)) return bad_payload;
      return Empty{};
  }
}

Decoded decode_reply(Reader& r) {
  if (r.size() < 8) return bad_payload;
  const std::uint16_t request = r.u16();
  if (!is_request(request) || !r.zeros(2)) return bad_payload;
  Reply reply;
  reply.request_type = static_cast<MessageType>(request);
  reply.error = r.u32();
  if (reply.error != 0) {
    if (r.size() != 8) return bad_payload;
    return reply;
  }
  auto body = decode_reply_body(reply.request_type, r);
  if (!body) return unexpected(body.error());
  reply.body = std::move(*body);
  return reply;
}

Decoded decode_set_option(Reader& r) {
  if (r.size() < 8) return bad_payload;
  SetOptionRequest request;
  request.socket_id = r.u32();
  const std::uint16_t option = r.u16();
  const std::uint16_t length = r.u16();
  if (!valid_option(option) || length > kMaxOptionValue || r.size() != 8u + length) {
    return bad_payload;
  }
  request.option = static_cast<SocketOption>(option);
  const wire::Bytes value = r.rest();
  request.value.assign(value.begin(), value.end());
  return request;
}

// A command is printable ASCII: no control bytes reach the daemon's parser or its logs.
Decoded decode_admin(Reader& r) {
  if (r.size() < 8) return bad_payload;
  AdminRequest request;
  request.offset = r.u32();
  const std::uint16_t length = r.u16();
  if (!r.zeros(2) || length > kMaxAdminCommand || r.size() != 8u + length) return bad_payload;
  const wire::Bytes text = r.rest();
  for (const std::byte b : text) {
    const auto c = std::to_integer<unsigned char>(b);
    if (c < 0x20 || c > 0x7e) return bad_payload;
    request.command.push_back(static_cast<char>(c));
  }
  return request;
}

Decoded decode_fixed(MessageType type, Reader& r) {
  switch (type) {
    case MessageType::hello: {
      Hello hello{r.u16(), r.u16()};
      if (hello.min_version > hello.max_version) return bad_payload;
      return hello;
    }
    case MessageType::socket: {
      const std::uint8_t kind = r.u8();
      if ((kind != 1 && kind != 2) || !r.zeros(3)) return bad_payload;
      return SocketRequest{static_cast<SocketKind>(kind)};
    }
    case MessageType::bind:
    case MessageType::connect: {
      const std::uint32_t id = r.u32();
      const auto address = r.address();
      if (!address) return bad_payload;
      if (type == MessageType::bind) return BindRequest{id, *address};
      return ConnectRequest{id, *address};
    }
    case MessageType::listen:
      return ListenRequest{r.u32(), r.u32()};
    case MessageType::shutdown: {
      const std::uint32_t id = r.u32();
      const std::uint8_t how = r.u8();
      if (how > 2 || !r.zeros(3)) return bad_payload;
      return ShutdownRequest{id, static_cast<ShutdownHow>(how)};
    }
    case MessageType::close: {
      const std::uint32_t id = r.u32();
      if (!r.zeros(4)) return bad_payload;
      return CloseRequest{id};
    }
    case MessageType::getsockopt: {
      const std::uint32_t id = r.u32();
      const std::uint16_t option = r.u16();
      if (!valid_option(option) || !r.zeros(2)) return bad_payload;
      return GetOptionRequest{id, static_cast<SocketOption>(option)};
    }
    case MessageType::event: {
      Event event;
      event.socket_id = r.u32();
      const std::uint16_t what = r.u16();
      if (what < 1 || what > 3 || !r.zeros(2)) return bad_payload;
      event.what = static_cast<EventKind>(what);
      event.error = r.u32();
      return event;
    }
    default:
      assert(is_query(type));
      return SocketQuery{type, r.u32()};
  }
}

}  // namespace

std::string_view to_string(DecodeError error) {
  switch (error) {
    case DecodeError::truncated:
      return "truncated message";
    case DecodeError::oversize:
      return "oversize message";
    case DecodeError::bad_magic:
      return "bad magic";
    case DecodeError::unknown_version:
      return "unknown protocol version";
    case DecodeError::unknown_type:
      return "unknown message type";
    case DecodeError::bad_flags:
      return "bad flags or fd";
    case DecodeError::bad_length:
      return "length disagrees with the packet";
    case DecodeError::bad_payload:
      return "malformed payload";
  }
  return "?";
}

MessageType type_of(const Body& body) {
  return std::visit(
      [](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Hello>) return MessageType::hello;
        if constexpr (std::is_same_v<T, SocketRequest>) return MessageType::socket;
        if constexpr (std::is_same_v<T, BindRequest>) return MessageType::bind;
        if constexpr (std::is_same_v<T, ListenRequest>) return MessageType::listen;
        if constexpr (std::is_same_v<T, ConnectRequest>) return MessageType::connect;
        if constexpr (std::is_same_v<T, ShutdownRequest>) return MessageType::shutdown;
        if constexpr (std::is_same_v<T, CloseRequest>) return MessageType::close;
        if constexpr (std::is_same_v<T, SetOptionRequest>) return MessageType::setsockopt;
        if constexpr (std::is_same_v<T, GetOptionRequest>) return MessageType::getsockopt;
        if constexpr (std::is_same_v<T, SocketQuery>) return b.type;
        if constexpr (std::is_same_v<T, AdminRequest>) return MessageType::admin;
        if constexpr (std::is_same_v<T, Reply>) return MessageType::reply;
        if constexpr (std::is_same_v<T, Event>) return MessageType::event;
      },
      body);
}

bool requires_fd(const Body& body) {
  if (const auto* reply = std::get_if<Reply>(&body)) {
    return reply->error == 0 && reply->request_type == MessageType::socket;
  }
  const MessageType type = type_of(body);
  return type != MessageType::hello && type != MessageType::socket && type != MessageType::event &&
         type != MessageType::admin;
}

std::vector<std::byte> encode(const Message& message) {
  Writer w;
  w.u32(kMagic);
  w.u16(kVersion);
  w.u16(static_cast<std::uint16_t>(type_of(message.body)));
  w.u32(message.has_fd ? kFlagHasFd : 0);
  w.u32(message.request_id);
  w.u32(0);  // length, patched below
  encode_body(w, message.body);
  std::vector<std::byte>& bytes = w.bytes();
  assert(bytes.size() <= kMaxMessageSize);
  wire::store32(bytes, 16, static_cast<std::uint32_t>(bytes.size() - kHeaderSize));
  return std::move(bytes);
}

Result<Message, DecodeError> decode(std::span<const std::byte> packet) {
  if (packet.size() > kMaxMessageSize) return unexpected(DecodeError::oversize);
  if (packet.size() < kHeaderSize) return unexpected(DecodeError::truncated);
  if (wire::load32(packet, 0) != kMagic) return unexpected(DecodeError::bad_magic);
  if (wire::load16(packet, 4) != kVersion) return unexpected(DecodeError::unknown_version);
  const std::uint16_t raw_type = wire::load16(packet, 6);
  if (!is_request(raw_type) && raw_type != 0x8000 && raw_type != 0x8001) {
    return unexpected(DecodeError::unknown_type);
  }
  const auto type = static_cast<MessageType>(raw_type);
  const std::uint32_t flags = wire::load32(packet, 8);
  if ((flags & ~kFlagHasFd) != 0) return unexpected(DecodeError::bad_flags);
  const std::uint32_t length = wire::load32(packet, 16);
  if (length > packet.size() - kHeaderSize) return unexpected(DecodeError::truncated);
  if (length != packet.size() - kHeaderSize) return unexpected(DecodeError::bad_length);

  Reader r{packet.subspan(kHeaderSize)};
  Decoded body = bad_payload;
  if (type == MessageType::reply) {
    body = decode_reply(r);
  } else if (type == MessageType::setsockopt) {
    body = decode_set_option(r);
  } else if (type == MessageType::admin) {
    body = decode_admin(r);
  } else if (r.size() == fixed_size(type)) {
    body = decode_fixed(type, r);
  }
  if (!body) return unexpected(body.error());
  Message message{wire::load32(packet, 12), (flags & kFlagHasFd) != 0, std::move(*body)};
  if (message.has_fd != requires_fd(message.body)) return unexpected(DecodeError::bad_flags);
  return message;
}

std::array<std::byte, kAcceptRecordSize> encode(const AcceptRecord& record) {
  std::array<std::byte, kAcceptRecordSize> bytes{};
  wire::store32(bytes, 0, record.socket_id);
  wire::store32(bytes, 4, record.local.address.value());
  wire::store16(bytes, 8, record.local.port);
  wire::store16(bytes, 10, record.peer.port);
  wire::store32(bytes, 12, record.peer.address.value());
  wire::store32(bytes, 16, kAcceptMagic);
  return bytes;
}

Result<AcceptRecord, DecodeError> decode_accept_record(std::span<const std::byte> bytes) {
  if (bytes.size() < kAcceptRecordSize) return unexpected(DecodeError::truncated);
  if (bytes.size() > kAcceptRecordSize) return unexpected(DecodeError::bad_length);
  if (wire::load32(bytes, 16) != kAcceptMagic) return unexpected(DecodeError::bad_magic);
  AcceptRecord record;
  record.socket_id = wire::load32(bytes, 0);
  record.local = SocketAddress{Ipv4Addr{wire::load32(bytes, 4)}, wire::load16(bytes, 8)};
  record.peer = SocketAddress{Ipv4Addr{wire::load32(bytes, 12)}, wire::load16(bytes, 10)};
  return record;
}

void encode(const DatagramHeader& header, std::span<std::byte> out) {
  if (header.error != 0) {
    wire::store32(out, 0, header.error);
    wire::store16(out, 4, 0);
    wire::store16(out, 6, kDatagramFlagError);
    return;
  }
  wire::store32(out, 0, header.address.address.value());
  wire::store16(out, 4, header.address.port);
  wire::store16(out, 6, 0);
}

Result<DatagramHeader, DecodeError> decode_datagram_header(std::span<const std::byte> packet) {
  if (packet.size() < kDatagramHeaderSize) return unexpected(DecodeError::truncated);
  const std::uint16_t flags = wire::load16(packet, 6);
  if ((flags & ~kDatagramFlagError) != 0) return unexpected(DecodeError::bad_flags);
  DatagramHeader header;
  if ((flags & kDatagramFlagError) != 0) {
    header.error = wire::load32(packet, 0);
    // One encoding per error packet: errno set, port 0, nothing after the header.
    if (header.error == 0 || wire::load16(packet, 4) != 0 ||
        packet.size() != kDatagramHeaderSize) {
      return unexpected(DecodeError::bad_payload);
    }
    return header;
  }
  header.address = SocketAddress{Ipv4Addr{wire::load32(packet, 0)}, wire::load16(packet, 4)};
  return header;
}

}  // namespace tapstack::ipc
