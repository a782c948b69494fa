#include "daemon/ipc/socket_options.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string_view>

#include "stack/wire/bytes.hpp"

namespace tapstack::daemon::ipc {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kMinBuffer = 4608;  // Linux's SOCK_MIN_SNDBUF, roughly

OptionValue encode_i32(std::int32_t v) {
  OptionValue out(4);
  wire::store32(out, 0, static_cast<std::uint32_t>(v));
  return out;
}

std::optional<std::int32_t> decode_i32(const OptionValue& value) {
  if (value.size() != 4) return std::nullopt;
  return static_cast<std::int32_t>(wire::load32(value, 0));
}

std::int32_t clamp_i32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(v, 0, INT32_MAX));
}

// Linux doubles the requested size (for bookkeeping overhead) and reports the doubled value.
std::size_t doubled_buffer(std::int32_t requested, std::size_t max) {
  const auto want = static_cast<std::size_t>(std::max(requested, 0)) * 2;
  return std::clamp(want, kMinBuffer, std::max(max, kMinBuffer));
}

std::uint32_t set_seconds(Duration& field, std::int32_t v, std::int32_t max) {
  if (v < 1 || v > max) return EINVAL;
  field = seconds{v};
  return 0;
}

std::uint32_t set_linger(IpcSocket& socket, const OptionValue& value) {
  if (value.size() != 8) return EINVAL;
  const auto on = static_cast<std::int32_t>(wire::load32(value, 0));
  const auto secs = static_cast<std::int32_t>(wire::load32(value, 4));
  if (on == 0) {
    socket.linger_seconds.reset();
  } else {
    socket.linger_seconds = std::max(secs, 0);
  }
  return 0;
}

std::uint32_t set_congestion(TcpSocketOptions& options, const OptionValue& value) {
  if (value.empty() || value.size() > 15) return EINVAL;
  std::string name;
  for (const std::byte b : value) name.push_back(static_cast<char>(b));
  const auto algorithm = parse_congestion_algorithm(name);
  if (!algorithm) return ENOENT;  // Linux: no such congestion control module
  options.congestion = *algorithm;
  options.congestion_set = true;
  return 0;
}

// The options whose value is one i32.
std::uint32_t set_int_option(IpcSocket& socket, SocketOption option, std::int32_t v,
                             const TcpSettings& defaults) {
  TcpSocketOptions& o = socket.options;
  switch (option) {
    case SocketOption::so_reuseaddr:
      socket.reuse_address = v != 0;
      return 0;
    case SocketOption::so_reuseport:
      return v != 0 ? ENOPROTOOPT : 0;
    case SocketOption::so_keepalive:
      o.keepalive = v != 0;
      return 0;
    case SocketOption::so_rcvbuf:
      o.receive_buffer = doubled_buffer(v, defaults.receive_buffer_max);
      return 0;
    case SocketOption::so_sndbuf:
      o.send_buffer = doubled_buffer(v, defaults.send_buffer_max);
      return 0;
    case SocketOption::tcp_nodelay:
      o.no_delay = v != 0;
      return 0;
    case SocketOption::tcp_cork:
      o.cork = v != 0;
      return 0;
    case SocketOption::tcp_keepidle:
      return set_seconds(o.keepalive_idle, v, 32767);
    case SocketOption::tcp_keepintvl:
      return set_seconds(o.keepalive_interval, v, 32767);
    case SocketOption::tcp_keepcnt:
      if (v < 1 || v > 127) return EINVAL;
      o.keepalive_count = static_cast<std::uint32_t>(v);
      return 0;
    case SocketOption::tcp_user_timeout:
      if (v < 0) return EINVAL;
      o.user_timeout = milliseconds{v};
      return 0;
    default:
      return ENOPROTOOPT;  // get-only options
  }
}

std::int64_t in_seconds(Duration set, Duration fallback) {
  return duration_cast<seconds>(set != Duration{} ? set : fallback).count();
}

std::optional<std::int32_t> int_option(const IpcSocket& socket, SocketOption option,
                                       const TcpSettings& d) {
  const TcpSocketOptions& o = socket.options;
  switch (option) {
    case SocketOption::so_reuseaddr:
      return socket.reuse_address ? 1 : 0;
    case SocketOption::so_reuseport:
      return 0;
    case SocketOption::so_keepalive:
      return o.keepalive ? 1 : 0;
    case SocketOption::so_rcvbuf:
      return clamp_i32(
          static_cast<std::int64_t>(o.receive_buffer != 0 ? o.receive_buffer : d.receive_buffer));
    case SocketOption::so_sndbuf:
      return clamp_i32(
          static_cast<std::int64_t>(o.send_buffer != 0 ? o.send_buffer : d.send_buffer));
    case SocketOption::so_type:
      return 1;  // SOCK_STREAM
    case SocketOption::so_acceptconn:
      return socket.phase == Phase::listening ? 1 : 0;
    case SocketOption::tcp_nodelay:
      return o.no_delay ? 1 : 0;
    case SocketOption::tcp_cork:
      return o.cork ? 1 : 0;
    case SocketOption::tcp_keepidle:
      return clamp_i32(in_seconds(o.keepalive_idle, d.keepalive_idle));
    case SocketOption::tcp_keepintvl:
      return clamp_i32(in_seconds(o.keepalive_interval, d.keepalive_interval));
    case SocketOption::tcp_keepcnt:
      return clamp_i32(o.keepalive_count != 0 ? o.keepalive_count : d.keepalive_count);
    case SocketOption::tcp_user_timeout:
      return clamp_i32(duration_cast<milliseconds>(o.user_timeout).count());
    default:
      return std::nullopt;
  }
}

}  // namespace

std::uint32_t set_option(IpcSocket& socket, SocketOption option, const OptionValue& value,
                         const TcpSettings& defaults) {
  if (option == SocketOption::so_linger) return set_linger(socket, value);
  if (option == SocketOption::tcp_congestion) return set_congestion(socket.options, value);
  if (option == SocketOption::so_error || option == SocketOption::so_type ||
      option == SocketOption::so_acceptconn) {
    return ENOPROTOOPT;
  }
  const auto v = decode_i32(value);
  if (!v) return EINVAL;
  return set_int_option(socket, option, *v, defaults);
}

Result<OptionValue, std::uint32_t> get_option(IpcSocket& socket, SocketOption option,
                                              const TcpSettings& defaults) {
  switch (option) {
    case SocketOption::so_error: {
      const auto error = static_cast<std::int32_t>(std::exchange(socket.pending_error, 0));
      return encode_i32(error);
    }
    case SocketOption::so_linger: {
      OptionValue out(8);
      wire::store32(out, 0, socket.linger_seconds ? 1 : 0);
      wire::store32(out, 4, static_cast<std::uint32_t>(socket.linger_seconds.value_or(0)));
      return out;
    }
    case SocketOption::tcp_congestion: {
      const CongestionAlgorithm algorithm =
          socket.options.congestion_set ? socket.options.congestion : defaults.congestion;
      const std::string_view name = to_string(algorithm);
      OptionValue out;
      for (const char c : name) out.push_back(static_cast<std::byte>(c));
      return out;
    }
    default:
      break;
  }
  const auto v = int_option(socket, option, defaults);
  if (!v) return unexpected(std::uint32_t{ENOPROTOOPT});
  return encode_i32(*v);
}

}  // namespace tapstack::daemon::ipc
