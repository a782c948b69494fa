// The IPC codec (ipc/PROTOCOL.md): every message round-trips; a byte fixture pins the header
// layout; every malformed, truncated and oversize packet is rejected with its own error.
#include "ipc/codec.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "stack/wire/bytes.hpp"

namespace tapstack::ipc {
namespace {

const SocketAddress kAddress{Ipv4Addr{10, 0, 0, 2}, 8080};

OptionValue bytes_of(std::initializer_list<std::uint8_t> values) {
  OptionValue out;
  for (const auto v : values) out.push_back(std::byte{v});
  return out;
}

std::vector<Message> every_message() {
  TcpInfo info{1, 7, 7, 9, 200000, 1448, 1500, 700, 10, 0x7fffffff, 3, 65535, 131072, 10, 20, 1};
  return {
      {1, false, Hello{1, 3}},
      {2, false, SocketRequest{SocketKind::tcp}},
      {3, false, SocketRequest{SocketKind::udp}},
      {4, true, BindRequest{7, kAddress}},
      {5, true, ListenRequest{7, 128}},
      {6, true, ConnectRequest{7, kAddress}},
      {7, true, ShutdownRequest{7, ShutdownHow::write}},
      {8, true, CloseRequest{7}},
      {9, true, SetOptionRequest{7, SocketOption::tcp_nodelay, bytes_of({0, 0, 0, 1})}},
      {10, true, SetOptionRequest{7, SocketOption::tcp_congestion, bytes_of({'r', 'e', 'n', 'o'})}},
      {11, true, SetOptionRequest{7, SocketOption::so_linger, OptionValue(8)}},
      {12, true, GetOptionRequest{7, SocketOption::so_error}},
      {13, true, SocketQuery{MessageType::getsockname, 7}},
      {14, true, SocketQuery{MessageType::getpeername, 7}},
      {15, true, SocketQuery{MessageType::get_error, 7}},
      {16, true, SocketQuery{MessageType::tcp_info, 7}},
      {17, false, AdminRequest{0, "sockets --json"}},
      {18, false, AdminRequest{60000, "stats"}},
      {1, false, Reply{MessageType::hello, 0, HelloReply{1, 4096}}},
      {2, true, Reply{MessageType::socket, 0, SocketCreated{42}}},
      {2, false, Reply{MessageType::socket, EMFILE, Empty{}}},
      {4, false, Reply{MessageType::bind, 0, Empty{}}},
      {4, false, Reply{MessageType::bind, EADDRINUSE, Empty{}}},
      {5, false, Reply{MessageType::listen, 0, Empty{}}},
      {6, false, Reply{MessageType::connect, 0, Empty{}}},
      {7, false, Reply{MessageType::shutdown, 0, Empty{}}},
      {8, false, Reply{MessageType::close, 0, Empty{}}},
      {9, false, Reply{MessageType::setsockopt, 0, Empty{}}},
      {12, false, Reply{MessageType::getsockopt, 0, OptionReply{bytes_of({0, 0, 0, 111})}}},
      {13, false, Reply{MessageType::getsockname, 0, AddressReply{kAddress}}},
      {14, false, Reply{MessageType::getpeername, 0, AddressReply{kAddress}}},
      {15, false, Reply{MessageType::get_error, 0, ErrorReply{ECONNREFUSED}}},
      {16, false, Reply{MessageType::tcp_info, 0, info}},
      {17, false, Reply{MessageType::admin, 0, AdminReply{5, "hello"}}},
      {18, false, Reply{MessageType::admin, 0, AdminReply{0, ""}}},
      {19, false, Reply{MessageType::admin, EPERM, Empty{}}},
      {0, false, Event{42, EventKind::connected, 0}},
      {0, false, Event{42, EventKind::error, ECONNRESET}},
      {0, false, Event{42, EventKind::peer_closed, 0}},
  };
}

TEST(IpcCodec, EveryMessageRoundTrips) {
  for (const Message& message : every_message()) {
    const auto bytes = encode(message);
    ASSERT_GE(bytes.size(), kHeaderSize);
    const auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.has_value())
        << "type " << static_cast<int>(type_of(message.body)) << ": " << to_string(decoded.error());
    EXPECT_EQ(*decoded, message);
  }
}

TEST(IpcCodec, HeaderLayoutIsBigEndianAsDocumented) {
  const auto bytes = encode({0x01020304, true, ListenRequest{0x0a0b0c0d, 0x100}});
  const std::vector<std::uint8_t> expected = {
      0x54, 0x53, 0x50, 0x31,  // magic "TSP1"
      0x00, 0x01,              // version 1
      0x00, 0x04,              // type listen
      0x00, 0x00, 0x00, 0x01,  // flags: has_fd
      0x01, 0x02, 0x03, 0x04,  // request id
      0x00, 0x00, 0x00, 0x08,  // payload length
      0x0a, 0x0b, 0x0c, 0x0d,  // socket id
      0x00, 0x00, 0x01, 0x00,  // backlog
  };
  ASSERT_EQ(bytes.size(), expected.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    EXPECT_EQ(static_cast<std::uint8_t>(bytes[i]), expected[i]) << "byte " << i;
  }
}

TEST(IpcCodec, EveryTruncationIsRejected) {
  for (const Message& message : every_message()) {
    const auto bytes = encode(message);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      const auto decoded = decode(std::span{bytes}.first(size));
      ASSERT_FALSE(decoded.has_value()) << "size " << size;
      EXPECT_EQ(decoded.error(), DecodeError::truncated);
    }
  }
}

TEST(IpcCodec, OversizePacketIsRejectedBeforeLookingInside) {
  std::vector<std::byte> big(kMaxMessageSize + 1);
  const auto decoded = decode(big);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error(), DecodeError::oversize);
}

// Encodes a valid message and lets `edit` damage it.
template <typename Edit>
DecodeError damaged(const Message& message, Edit edit) {
  auto bytes = encode(message);
  edit(bytes);
  const auto decoded = decode(bytes);
  EXPECT_FALSE(decoded.has_value());
  return decoded.has_value() ? DecodeError::truncated : decoded.error();
}

TEST(IpcCodec, HeaderDamageGivesItsOwnError) {
  const Message listen{1, true, ListenRequest{7, 5}};
  EXPECT_EQ(damaged(listen, [](auto& b) { b[0] = std::byte{0}; }), DecodeError::bad_magic);
  EXPECT_EQ(damaged(listen, [](auto& b) { wire::store16(b, 4, 2); }), DecodeError::unknown_version);
  EXPECT_EQ(damaged(listen, [](auto& b) { wire::store16(b, 6, 99); }), DecodeError::unknown_type);
  EXPECT_EQ(damaged(listen, [](auto& b) { wire::store16(b, 6, 0x8002); }),
            DecodeError::unknown_type);
  EXPECT_EQ(damaged(listen, [](auto& b) { wire::store32(b, 8, 3); }), DecodeError::bad_flags);
  // A request naming a socket without its fd, and a hello with one.
  EXPECT_EQ(damaged(listen, [](auto& b) { wire::store32(b, 8, 0); }), DecodeError::bad_flags);
  EXPECT_EQ(damaged({1, false, Hello{}}, [](auto& b) { wire::store32(b, 8, 1); }),
            DecodeError::bad_flags);
  EXPECT_EQ(damaged(listen, [](auto& b) { b.push_back(std::byte{0}); }), DecodeError::bad_length);
  EXPECT_EQ(damaged(listen, [](auto& b) { wire::store32(b, 16, 0xffffffff); }),
            DecodeError::truncated);
}

TEST(IpcCodec, PayloadDamageIsRejected) {
  const auto set_length = [](auto& b, std::uint32_t n) { wire::store32(b, 16, n); };
  // Wrong payload size for a fixed-size type (length consistent with the packet).
  EXPECT_EQ(damaged({1, true, ListenRequest{7, 5}},
                    [&](auto& b) {
                      b.push_back(std::byte{0});
                      set_length(b, 9);
                    }),
            DecodeError::bad_payload);
  // Non-zero padding, unknown enum values, impossible version ranges.
  EXPECT_EQ(damaged({1, false, SocketRequest{}}, [](auto& b) { b[21] = std::byte{1}; }),
            DecodeError::bad_payload);
  EXPECT_EQ(damaged({1, false, SocketRequest{}}, [](auto& b) { b[20] = std::byte{3}; }),
            DecodeError::bad_payload);
  EXPECT_EQ(damaged({1, true, ShutdownRequest{7, ShutdownHow::read}},
                    [](auto& b) { b[24] = std::byte{3}; }),
            DecodeError::bad_payload);
  EXPECT_EQ(damaged({1, true, GetOptionRequest{7, SocketOption::so_error}},
                    [](auto& b) { wire::store16(b, 24, 18); }),
            DecodeError::bad_payload);
  EXPECT_EQ(damaged({1, false, Hello{1, 1}}, [](auto& b) { wire::store16(b, 20, 2); }),
            DecodeError::bad_payload);
  EXPECT_EQ(damaged({1, true, BindRequest{7, kAddress}}, [](auto& b) { b[31] = std::byte{1}; }),
            DecodeError::bad_payload);
  // An option value longer than the cap, or than the packet.
  EXPECT_EQ(damaged({1, true, SetOptionRequest{7, SocketOption::tcp_cork, OptionValue(4)}},
                    [](auto& b) { wire::store16(b, 26, 65); }),
            DecodeError::bad_payload);
  EXPECT_EQ(damaged({1, true, SetOptionRequest{7, SocketOption::tcp_cork, OptionValue(4)}},
                    [](auto& b) { wire::store16(b, 26, 5); }),
            DecodeError::bad_payload);
  // A failed reply with a body; a reply to a type that is not a request.
  EXPECT_EQ(damaged({1, false, Reply{MessageType::bind, EINVAL, Empty{}}},
                    [&](auto& b) {
                      b.resize(b.size() + 4);
                      set_length(b, 12);
                    }),
            DecodeError::bad_payload);
  EXPECT_EQ(damaged({1, false, Reply{MessageType::bind, 0, Empty{}}},
                    [](auto& b) { wire::store16(b, 20, 0x8001); }),
            DecodeError::bad_payload);
  EXPECT_EQ(
      damaged({0, false, Event{1, EventKind::error, 5}}, [](auto& b) { wire::store16(b, 24, 4); }),
      DecodeError::bad_payload);
}

TEST(IpcCodec, AcceptRecordRoundTripsAndChecksItsMagic) {
  const AcceptRecord record{9, kAddress, SocketAddress{Ipv4Addr{10, 0, 0, 1}, 40000}};
  auto bytes = encode(record);
  const auto decoded = decode_accept_record(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, record);
  EXPECT_EQ(decode_accept_record(std::span{bytes}.first(19)).error(), DecodeError::truncated);
  bytes[16] = std::byte{0};
  EXPECT_EQ(decode_accept_record(bytes).error(), DecodeError::bad_magic);
}

TEST(IpcCodec, AdminCommandsArePrintableAndBounded) {
  auto bytes = encode(Message{1, false, AdminRequest{0, "status"}});
  bytes[28] = std::byte{'\n'};  // a control character in the command
  EXPECT_EQ(decode(bytes).error(), DecodeError::bad_payload);
  const std::string longest(kMaxAdminCommand, 'x');
  EXPECT_TRUE(decode(encode(Message{1, false, AdminRequest{0, longest}})).has_value());
  auto too_long = encode(Message{1, false, AdminRequest{0, longest}});
  wire::store16(too_long, 24, static_cast<std::uint16_t>(kMaxAdminCommand + 1));
  too_long.push_back(std::byte{'x'});
  wire::store32(too_long, 16, static_cast<std::uint32_t>(too_long.size() - kHeaderSize));
  EXPECT_EQ(decode(too_long).error(), DecodeError::bad_payload);
  // An admin request carries no fd.
  auto with_fd = encode(Message{1, false, AdminRequest{0, "status"}});
  wire::store32(with_fd, 8, kFlagHasFd);
  EXPECT_EQ(decode(with_fd).error(), DecodeError::bad_flags);
}

TEST(IpcCodec, DatagramHeaderIsAddressPortFlags) {
  std::array<std::byte, kDatagramHeaderSize> bytes{};
  encode(DatagramHeader{SocketAddress{Ipv4Addr{10, 0, 0, 1}, 53}, 0}, bytes);
  const std::array<std::byte, 8> expected{std::byte{10}, std::byte{0},  std::byte{0}, std::byte{1},
                                          std::byte{0},  std::byte{53}, std::byte{0}, std::byte{0}};
  EXPECT_EQ(bytes, expected);
  const auto decoded = decode_datagram_header(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->address, (SocketAddress{Ipv4Addr{10, 0, 0, 1}, 53}));
  EXPECT_EQ(decoded->error, 0u);
}

TEST(IpcCodec, DatagramErrorPacketCarriesTheErrno) {
  std::array<std::byte, kDatagramHeaderSize> bytes{};
  encode(DatagramHeader{{}, 111}, bytes);  // ECONNREFUSED
  EXPECT_EQ(wire::load16(bytes, 6), kDatagramFlagError);
  const auto decoded = decode_datagram_header(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->error, 111u);
}

TEST(IpcCodec, DatagramHeaderDamageIsRejected) {
  std::array<std::byte, kDatagramHeaderSize + 1> bytes{};
  EXPECT_EQ(decode_datagram_header(std::span{bytes}.first(7)).error(), DecodeError::truncated);
  wire::store16(bytes, 6, 0x2);
  EXPECT_EQ(decode_datagram_header(bytes).error(), DecodeError::bad_flags);
  // An error packet has an errno and no payload.
  wire::store16(bytes, 6, kDatagramFlagError);
  EXPECT_EQ(decode_datagram_header(std::span{bytes}.first(8)).error(), DecodeError::bad_payload);
  wire::store32(bytes, 0, 111);
  EXPECT_EQ(decode_datagram_header(bytes).error(), DecodeError::bad_payload);
  EXPECT_TRUE(decode_datagram_header(std::span{bytes}.first(8)).has_value());
  // Found by ipc_codec_fuzzer: an error packet with a port would not encode back the same.
  wire::store16(bytes, 4, 0x6f00);
  EXPECT_EQ(decode_datagram_header(std::span{bytes}.first(8)).error(), DecodeError::bad_payload);
}

}  // namespace
}  // namespace tapstack::ipc

namespace tapstack::ipc {
namespace {

// Seeded random damage to valid messages: decoding never crashes, and what decodes re-encodes
// to the same bytes (nothing is silently misread).
TEST(IpcCodec, RandomDamageDecodesExactlyOrFails) {
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (const Message& message : every_message()) {
    for (int round = 0; round < 500; ++round) {
      auto bytes = encode(message);
      const std::size_t flips = 1 + next() % 3;
      for (std::size_t i = 0; i < flips; ++i) {
        bytes[next() % bytes.size()] = static_cast<std::byte>(next() & 0xff);
      }
      const auto decoded = decode(bytes);
      if (decoded) {
        EXPECT_EQ(encode(*decoded), bytes);
      }
    }
  }
}

}  // namespace
}  // namespace tapstack::ipc
