// libFuzzer target: one IPC client sending arbitrary packets to the daemon's real IpcServer
// (daemon/ipc), over a real SEQPACKET connection, with the stack of a simulated link behind it.
// Input: records of [flags u8][length u16 BE][bytes]; flag 1 attaches an fd (the last one the
// daemon handed out, else a fresh socket pair end), flag 2 runs loop turns after the packet.
// Properties: the server never crashes; once the client and every fd it received are closed,
// the server holds no client and no socket (nothing leaks, whatever was sent).
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "daemon/ipc/ipc_server.hpp"
#include "ipc/fd_passing.hpp"
#include "sim/sim_network.hpp"

namespace {

using namespace tapstack;
namespace ipcd = tapstack::daemon::ipc;

class World {
 public:
  World() : sim_(sim::SimSettings{}) {
    char pattern[] = "/tmp/tapstack-ipc-fuzz-XXXXXX";
    directory_ = ::mkdtemp(pattern);
    ipcd::IpcServerSettings settings;
    settings.socket_path = directory_ + "/ipc.sock";
    settings.max_sockets_per_client = 64;
    path_ = settings.socket_path;
    server_ = std::make_unique<ipcd::IpcServer>(io_, sim_.a().tcp(), sim_.a().udp(), settings,
                                                [](config::LogLevel, std::string_view) {});
    if (!server_->start()) std::abort();
  }

  // One loop turn as tapstackd's, plus a little virtual time.
  void turn() {
    io_.poll();
    server_->service(sim_.now());
    sim_.settle([&] {
      bool moved = false;
      while (const auto event = sim_.a().tcp().pop_event())
        moved |= server_->handle(*event, sim_.now());
      while (const auto event = sim_.a().udp().pop_event())
        moved |= server_->handle(*event, sim_.now());
      while (const auto event = sim_.b().tcp().pop_event()) moved = true;
      while (const auto event = sim_.b().udp().pop_event()) moved = true;
      return moved;
    });
    sim_.skip(std::chrono::milliseconds(5));
  }

  int connect_client() const {
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
      std::abort();
    return fd;
  }

  const ipcd::IpcServer& server() const { return *server_; }

 private:
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  sim::SimNetwork sim_;
  std::string directory_;
  std::string path_;
  std::unique_ptr<ipcd::IpcServer> server_;
};

// Reads every reply waiting, keeping the fds the daemon sends (data channels).
void drain_replies(int client, std::vector<ipc::UniqueFd>& received) {
  std::vector<std::byte> buffer(ipc::kMaxMessageSize + 1);
  for (;;) {
    auto got = ipc::receive_with_fd(client, buffer, MSG_DONTWAIT);
    if (!got || (got->size == 0 && !got->fd.valid())) return;
    if (got->fd.valid()) received.push_back(std::move(got->fd));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const int client = world.connect_client();
  std::vector<ipc::UniqueFd> received;
  int spare[2] = {-1, -1};
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, spare);
  std::size_t at = 0;
  while (at + 3 <= size) {
    const std::uint8_t flags = data[at];
    const std::size_t length =
        std::min<std::size_t>((std::size_t{data[at + 1]} << 8) | data[at + 2], size - at - 3);
    const auto packet = std::as_bytes(std::span{data + at + 3, length});
    at += 3 + length;
    const int fd = (flags & 1) == 0 ? -1 : received.empty() ? spare[0] : received.back().get();
    (void)ipc::send_with_fd(client, packet, fd, MSG_DONTWAIT);
    if ((flags & 2) != 0) {
      for (int i = 0; i < 4; ++i) world.turn();
    }
    drain_replies(client, received);
  }
  for (int i = 0; i < 8; ++i) {
    world.turn();
    drain_replies(client, received);
  }
  ::close(client);
  received.clear();
  ::close(spare[0]);
  ::close(spare[1]);
  for (int i = 0; i < 400; ++i) {
    if (world.server().client_count() == 0 && world.server().socket_count() == 0) return 0;
    world.turn();
  }
  std::fprintf(stderr, "leak: %zu clients, %zu sockets left after the client closed\n",
               world.server().client_count(), world.server().socket_count());
  std::abort();
}
