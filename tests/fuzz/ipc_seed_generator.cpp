// Writes the seed corpora of the IPC fuzzers: for the codec, one file per message of the
// protocol as the encoder makes them (PROTOCOL.md §2) plus an accept record and datagram
// headers; for the session fuzzer, request sequences of a TCP client, a UDP client, a listener.
// Run after changing the protocol:  ipc_seed_generator CODEC_DIR SESSION_DIR
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "ipc/codec.hpp"

namespace {

using namespace tapstack;
using namespace tapstack::ipc;

void write(const std::string& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// A session fuzzer record: flags (1: with an fd, 2: run loop turns after it), length, packet.
void append(std::vector<std::byte>& out, std::uint8_t flags, const Message& message) {
  const auto bytes = encode(message);
  out.push_back(std::byte{flags});
  out.push_back(static_cast<std::byte>(bytes.size() >> 8));
  out.push_back(static_cast<std::byte>(bytes.size() & 0xff));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// Sessions of the IPC session fuzzer: real request sequences, sockets named by their fd
// (socket id 0), so that mutations keep reaching the request handlers.
void write_sessions(const std::string& dir) {
  const SocketAddress echo{Ipv4Addr{10, 0, 0, 2}, 7};
  const SocketAddress dns{Ipv4Addr{10, 0, 0, 2}, 53};
  const SocketAddress local{Ipv4Addr{10, 0, 0, 1}, 8080};
  const OptionValue one{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};
  std::vector<std::byte> tcp;
  append(tcp, 2, {1, false, Hello{1, 1}});
  append(tcp, 2, {2, false, SocketRequest{SocketKind::tcp}});
  append(tcp, 1, {3, true, SetOptionRequest{0, SocketOption::tcp_nodelay, one}});
  append(tcp, 3, {4, true, ConnectRequest{0, echo}});
  append(tcp, 3, {5, true, GetOptionRequest{0, SocketOption::so_error}});
  append(tcp, 1, {6, true, SocketQuery{MessageType::tcp_info, 0}});
  append(tcp, 3, {7, true, ShutdownRequest{0, ShutdownHow::write}});
  append(tcp, 1, {8, true, CloseRequest{0}});
  append(tcp, 2, {9, false, AdminRequest{0, "status"}});
  write(dir + "tcp_connect", tcp);
  std::vector<std::byte> udp;
  append(udp, 2, {1, false, Hello{1, 1}});
  append(udp, 2, {2, false, SocketRequest{SocketKind::udp}});
  append(udp, 1, {3, true, SetOptionRequest{0, SocketOption::so_broadcast, one}});
  append(udp, 3, {4, true, ConnectRequest{0, dns}});
  append(udp, 1, {5, true, SocketQuery{MessageType::getsockname, 0}});
  append(udp, 1, {6, true, SocketQuery{MessageType::getpeername, 0}});
  append(udp, 3, {7, true, SocketQuery{MessageType::get_error, 0}});
  write(dir + "udp_connect", udp);
  std::vector<std::byte> listener;
  append(listener, 2, {1, false, Hello{1, 1}});
  append(listener, 2, {2, false, SocketRequest{SocketKind::tcp}});
  append(listener, 1, {3, true, BindRequest{0, local}});
  append(listener, 3, {4, true, ListenRequest{0, 5}});
  append(listener, 1, {5, true, GetOptionRequest{0, SocketOption::so_acceptconn}});
  write(dir + "listener", listener);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ipc_seed_generator CODEC_CORPUS_DIR SESSION_CORPUS_DIR\n");
    return 2;
  }
  write_sessions(std::string{argv[2]} + "/");
  const std::string dir = std::string{argv[1]} + "/";
  const SocketAddress address{Ipv4Addr{10, 0, 0, 1}, 8080};
  const std::vector<std::pair<std::string, Message>> messages = {
      {"hello", {1, false, Hello{1, 1}}},
      {"socket_udp", {2, false, SocketRequest{SocketKind::udp}}},
      {"bind", {3, true, BindRequest{7, address}}},
      {"connect", {4, true, ConnectRequest{7, address}}},
      {"setsockopt_congestion",
       {5, true,
        SetOptionRequest{
            7, SocketOption::tcp_congestion,
            OptionValue{std::byte{'r'}, std::byte{'e'}, std::byte{'n'}, std::byte{'o'}}}}},
      {"getsockopt", {6, true, GetOptionRequest{7, SocketOption::so_error}}},
      {"tcp_info", {7, true, SocketQuery{MessageType::tcp_info, 7}}},
      {"admin", {8, false, AdminRequest{0, "sockets --json"}}},
      {"reply_socket", {2, true, Reply{MessageType::socket, 0, SocketCreated{42}}}},
      {"reply_error", {3, false, Reply{MessageType::bind, EADDRINUSE, Empty{}}}},
      {"reply_tcp_info", {7, false, Reply{MessageType::tcp_info, 0, TcpInfo{}}}},
      {"reply_admin", {8, false, Reply{MessageType::admin, 0, AdminReply{5, "hello"}}}},
      {"event", {0, false, Event{42, EventKind::error, ECONNRESET}}},
  };
  for (const auto& [name, message] : messages) write(dir + name, encode(message));
  write(dir + "accept_record", encode(AcceptRecord{9, address, address}));
  std::array<std::byte, kDatagramHeaderSize + 3> datagram{};
  encode(DatagramHeader{address, 0}, datagram);
  write(dir + "datagram", datagram);
  std::array<std::byte, kDatagramHeaderSize> error{};
  encode(DatagramHeader{{}, ECONNREFUSED}, error);
  write(dir + "datagram_error", error);
  return 0;
}
