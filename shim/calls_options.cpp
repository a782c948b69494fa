// Interposed: getsockname, getpeername, setsockopt, getsockopt. Socket-level answers the
// kernel gives from the socket itself (SO_DOMAIN, SO_TYPE, SO_PROTOCOL) come from the shim,
// TCP_INFO and TCP_MAXSEG from the daemon's tcp_info, the rest from the daemon (PROTOCOL.md
// §2.1). Unsupported options fail with ENOPROTOOPT. SO_RCVLOWAT, SO_RCVTIMEO and SO_SNDTIMEO
// are not in the protocol: they are applied to the data channel (the program's fd) with libc,
// since the daemon writes the stream's bytes there and recv(2)/send(2) block on the channel.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "shim/datagram_io.hpp"
#include "shim/libc_calls.hpp"
#include "shim/shim_state.hpp"
#include "shim/socket_address.hpp"

namespace tapstack::shim {
namespace {

using ipc::SocketOption;

constexpr int kDefaultMss = 536;

int fail(int error) {
  errno = error;
  return -1;
}

std::optional<SocketOption> protocol_option(int level, int name) {
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR:
        return SocketOption::so_reuseaddr;
      case SO_REUSEPORT:
        return SocketOption::so_reuseport;
      case SO_KEEPALIVE:
        return SocketOption::so_keepalive;
      case SO_RCVBUF:
        return SocketOption::so_rcvbuf;
      case SO_SNDBUF:
        return SocketOption::so_sndbuf;
      case SO_LINGER:
        return SocketOption::so_linger;
      case SO_ERROR:
        return SocketOption::so_error;
      case SO_ACCEPTCONN:
        return SocketOption::so_acceptconn;
      case SO_BROADCAST:
        return SocketOption::so_broadcast;
      default:
        return std::nullopt;
    }
  }
  if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_NODELAY:
        return SocketOption::tcp_nodelay;
      case TCP_CORK:
        return SocketOption::tcp_cork;
      case TCP_KEEPIDLE:
        return SocketOption::tcp_keepidle;
      case TCP_KEEPINTVL:
        return SocketOption::tcp_keepintvl;
      case TCP_KEEPCNT:
        return SocketOption::tcp_keepcnt;
      case TCP_USER_TIMEOUT:
        return SocketOption::tcp_user_timeout;
      case TCP_CONGESTION:
        return SocketOption::tcp_congestion;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

// The wire carries i32 big-endian values, SO_LINGER as two of them, TCP_CONGESTION as a name.
ipc::OptionValue encode_value(SocketOption option, const void* value, socklen_t length) {
  const auto* bytes = static_cast<const std::byte*>(value);
  if (option == SocketOption::tcp_congestion) {
    const auto* text = static_cast<const char*>(value);
    const std::size_t n = strnlen(text, length);
    return ipc::OptionValue(bytes, bytes + n);
  }
  const std::size_t words = option == SocketOption::so_linger ? 2 : 1;
  ipc::OptionValue out(words * 4);
  for (std::size_t i = 0; i < words; ++i) {
    std::int32_t word = 0;
    std::memcpy(&word, bytes + 4 * i, sizeof word);
    const auto u = static_cast<std::uint32_t>(word);
    for (int b = 0; b < 4; ++b)
      out[4 * i + static_cast<std::size_t>(b)] = std::byte(u >> (24 - 8 * b));
  }
  return out;
}

// Copies a wire value back in host order, truncated to `*length` as getsockopt(2) does.
void decode_value(SocketOption option, const ipc::OptionValue& wire, void* value,
                  socklen_t* length) {
  std::byte host[64]{};
  std::size_t size = std::min(wire.size(), sizeof host);
  if (option == SocketOption::tcp_congestion) {
    std::memcpy(host, wire.data(), size);
  } else {
    for (std::size_t i = 0; i + 4 <= size; i += 4) {
      std::uint32_t u = 0;
      for (std::size_t b = 0; b < 4; ++b)
        u = (u << 8) | std::to_integer<std::uint32_t>(wire[i + b]);
      std::memcpy(host + i, &u, 4);
    }
  }
  size = std::min<std::size_t>(size, *length);
  std::memcpy(value, host, size);
  *length = static_cast<socklen_t>(size);
}

// socket(7) options whose whole effect is on how recv/send block on the fd.
bool is_channel_option(int level, int name) {
  return level == SOL_SOCKET && (name == SO_RCVLOWAT || name == SO_RCVTIMEO || name == SO_SNDTIMEO);
}

// socket(7) getsockopt: a buffer shorter than an int gets the value's first bytes, as Linux's
// sk_getsockopt copies min(length, sizeof(int)); it is not an error.
int put_int(int value, void* out, socklen_t* length) {
  if (out == nullptr || length == nullptr) return fail(EFAULT);
  const socklen_t size = std::min<socklen_t>(*length, sizeof value);
  std::memcpy(out, &value, size);
  *length = size;
  return 0;
}

bool is_newreno(const ipc::OptionValue& name) {
  constexpr std::string_view kNewReno = "newreno";
  return name.size() == kNewReno.size() &&
         std::equal(name.begin(), name.end(), kNewReno.begin(),
                    [](std::byte b, char c) { return std::to_integer<char>(b) == c; });
}

int put_name(std::string_view name, void* out, socklen_t* length) {
  const std::size_t size = std::min<std::size_t>(name.size(), *length);
  std::memcpy(out, name.data(), size);
  *length = static_cast<socklen_t>(size);
  return 0;
}

int fill_tcp_info(const ipc::TcpInfo& info, void* out, socklen_t* length) {
  tcp_info linux_info{};
  linux_info.tcpi_state = info.state;
  linux_info.tcpi_options =
      static_cast<std::uint8_t>(((info.options & 1) != 0 ? TCPI_OPT_TIMESTAMPS : 0) |
                                ((info.options & 2) != 0 ? TCPI_OPT_SACK : 0) |
                                ((info.options & 4) != 0 ? TCPI_OPT_WSCALE : 0));
  linux_info.tcpi_snd_wscale = info.snd_wscale & 0x0f;
  linux_info.tcpi_rcv_wscale = info.rcv_wscale & 0x0f;
  linux_info.tcpi_rto = info.rto_us;
  linux_info.tcpi_snd_mss = info.snd_mss;
  linux_info.tcpi_rtt = info.rtt_us;
  linux_info.tcpi_rttvar = info.rttvar_us;
  linux_info.tcpi_snd_cwnd = info.snd_cwnd;
  linux_info.tcpi_snd_ssthresh = info.snd_ssthresh;
  linux_info.tcpi_total_retrans = info.total_retrans;
  linux_info.tcpi_unacked = info.unacked_bytes;
  const std::size_t size = std::min<std::size_t>(*length, sizeof linux_info);
  std::memcpy(out, &linux_info, size);
  *length = static_cast<socklen_t>(size);
  return 0;
}

int getsockopt_tapstack(int fd, ipc::SocketKind kind, int level, int name, void* value,
                        socklen_t* length) {
  if (value == nullptr || length == nullptr) return fail(EFAULT);
  const bool udp = kind == ipc::SocketKind::udp;
  if (level == SOL_SOCKET && name == SO_DOMAIN) return put_int(AF_INET, value, length);
  if (level == SOL_SOCKET && name == SO_TYPE) {
    return put_int(udp ? SOCK_DGRAM : SOCK_STREAM, value, length);
  }
  if (level == SOL_SOCKET && name == SO_PROTOCOL) {
    return put_int(udp ? IPPROTO_UDP : IPPROTO_TCP, value, length);
  }
  if (is_channel_option(level, name)) return libc().getsockopt(fd, level, name, value, length);
  // ip(7): Linux's UDP getsockopt hands other levels to ip_getsockopt, which says EOPNOTSUPP
  // (setsockopt says ENOPROTOOPT).
  if (udp && level == IPPROTO_TCP) return fail(EOPNOTSUPP);
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const ipc::Socket socket = ShimState::socket_of(fd);
  if (level == IPPROTO_TCP && name == TCP_INFO) {
    const auto info = (*client)->tcp_info(socket);
    return info ? fill_tcp_info(*info, value, length) : fail(info.error());
  }
  if (level == IPPROTO_TCP && name == TCP_MAXSEG) {
    // tcp(7): the connection's MSS; before there is one Linux answers its default, 536
    // (RFC 9293 §3.7.1). iperf3 asks it of its control connection.
    const auto info = (*client)->tcp_info(socket);
    if (!info) return fail(info.error());
    return put_int(info->snd_mss != 0 ? static_cast<int>(info->snd_mss) : kDefaultMss, value,
                   length);
  }
  if (level == SOL_SOCKET && name == SO_ERROR) {
    if (udp) {
      if (const int queued = take_datagram_error(fd); queued != 0) {
        return put_int(queued, value, length);
      }
    }
    const auto error = (*client)->take_error(socket);
    return error ? put_int(*error, value, length) : fail(error.error());
  }
  const auto option = protocol_option(level, name);
  if (!option) return fail(ENOPROTOOPT);
  const auto got = (*client)->get_option(socket, *option);
  if (!got) return fail(got.error());
  if (*option == SocketOption::tcp_congestion && is_newreno(*got)) {
    // Linux's name for its NewReno (RFC 6582) module is "reno": a program that set "reno" reads
    // back "reno", as on the kernel.
    return put_name("reno", value, length);
  }
  decode_value(*option, *got, value, length);
  return 0;
}

int setsockopt_tapstack(int fd, int level, int name, const void* value, socklen_t length) {
  // socket(7): a blocking recv waits for SO_RCVLOWAT bytes, or until SO_RCVTIMEO; the Unix
  // stream channel honours both for recv as TCP does. Its poll ignores SO_RCVLOWAT (see
  // test_sockopts.py), and SO_SNDTIMEO does not bound connect(2) here.
  if (is_channel_option(level, name)) return libc().setsockopt(fd, level, name, value, length);
  const auto option = protocol_option(level, name);
  if (!option) return fail(ENOPROTOOPT);
  const socklen_t needed = *option == SocketOption::so_linger        ? sizeof(linger)
                           : *option == SocketOption::tcp_congestion ? 1
                                                                     : sizeof(int);
  if (value == nullptr || length < needed) return fail(EINVAL);
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const auto set = (*client)->set_option(ShimState::socket_of(fd), *option,
                                         encode_value(*option, value, length));
  return set ? 0 : fail(set.error());
}

}  // namespace
}  // namespace tapstack::shim

using namespace tapstack;
using namespace tapstack::shim;

// Exported despite the library's hidden default: these are what LD_PRELOAD interposes.
#pragma GCC visibility push(default)
extern "C" {

int getsockname(int fd, sockaddr* address, socklen_t* length) {
  if (ReentryGuard::active()) return libc().getsockname(fd, address, length);
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return libc().getsockname(fd, address, length);
  if (address == nullptr || length == nullptr) return fail(EFAULT);
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const auto local = (*client)->local_address(ShimState::socket_of(fd));
  if (!local) return fail(local.error());
  to_sockaddr(*local, address, length);
  return 0;
}

int getpeername(int fd, sockaddr* address, socklen_t* length) {
  if (ReentryGuard::active()) return libc().getpeername(fd, address, length);
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return libc().getpeername(fd, address, length);
  if (address == nullptr || length == nullptr) return fail(EFAULT);
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const auto peer = (*client)->peer_address(ShimState::socket_of(fd));
  if (!peer) return fail(peer.error());
  to_sockaddr(*peer, address, length);
  return 0;
}

int getsockopt(int fd, int level, int name, void* value, socklen_t* length) {
  if (ReentryGuard::active()) return libc().getsockopt(fd, level, name, value, length);
  ReentryGuard guard;
  const auto kind = ShimState::instance().kind_of(fd);
  if (!kind) return libc().getsockopt(fd, level, name, value, length);
  return getsockopt_tapstack(fd, *kind, level, name, value, length);
}

int setsockopt(int fd, int level, int name, const void* value, socklen_t length) {
  if (ReentryGuard::active()) return libc().setsockopt(fd, level, name, value, length);
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return libc().setsockopt(fd, level, name, value, length);
  return setsockopt_tapstack(fd, level, name, value, length);
}

}  // extern "C"
#pragma GCC visibility pop
