// The TcpLayer's socket API: listen, accept, connect, send, receive, shutdown, close, with the
// kernel's error semantics (SocketError ~ errno).
#include <algorithm>

#include "stack/tcp/tcp_layer.hpp"

namespace tapstack {

TcpLayer::Slot* TcpLayer::find(SocketHandle socket) {
  if (socket.index >= slots_.size()) return nullptr;
  Slot& slot = slots_[socket.index];
  if (slot.generation != socket.generation || !slot.user_owned) return nullptr;
  return &slot;
}

const TcpLayer::Slot* TcpLayer::find(SocketHandle socket) const {
  return const_cast<TcpLayer*>(this)->find(socket);
}

std::optional<std::uint32_t> TcpLayer::find_listener(Ipv4Addr address, std::uint16_t port) const {
  std::optional<std::uint32_t> wildcard;
  for (const auto index : listeners_) {
    const SocketAddress& local = slots_[index].listener->local;
    if (local.port != port) continue;
    if (local.address == address) return index;  // an exact bind wins over INADDR_ANY
    if (local.address.is_unspecified()) wildcard = index;
  }
  return wildcard;
}

bool TcpLayer::port_in_use(Ipv4Addr local, std::uint16_t port) const {
  return std::ranges::any_of(listeners_, [&](std::uint32_t index) {
    const SocketAddress& l = slots_[index].listener->local;
    return l.port == port &&
           (l.address.is_unspecified() || local.is_unspecified() || l.address == local);
  });
}

Result<SocketHandle, SocketError> TcpLayer::listen(SocketAddress local, std::uint32_t backlog,
                                                   const TcpSocketOptions& options) {
  if (!local.address.is_unspecified() && !interfaces_.owns(local.address)) {
    return unexpected(SocketError::address_not_available);
  }
  if (local.port == 0) return unexpected(SocketError::invalid_argument);
  if (port_in_use(local.address, local.port)) return unexpected(SocketError::address_in_use);
  const std::uint32_t index = allocate_slot();
  Slot& slot = slots_[index];
  slot.listener = std::make_unique<Listener>();
  slot.listener->local = local;
  // Linux caps the backlog at somaxconn (4096) and treats 0 as 1.
  slot.listener->backlog = std::clamp<std::uint32_t>(backlog, 1, 4096);
  slot.listener->options = options;
  slot.user_owned = true;
  listeners_.push_back(index);
  return SocketHandle{index, slot.generation};
}

Result<SocketHandle, SocketError> TcpLayer::accept(SocketHandle socket) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (!slot->listener) return unexpected(SocketError::invalid_argument);
  auto& queue = slot->listener->accept_queue;
  if (queue.empty()) return unexpected(SocketError::would_block);
  const std::uint32_t index = queue.front();
  queue.pop_front();
  Slot& child = slots_[index];
  child.parent.reset();
  child.user_owned = true;
  // Data or a FIN may have arrived before accept(): report it to the new owner.
  notify(index, tcp_event::connected | tcp_event::writable |
                    (child.connection->readable() ? tcp_event::readable : 0));
  if (!queue.empty()) notify(socket.index, tcp_event::readable);
  return SocketHandle{index, child.generation};
}

Result<SocketHandle, SocketError> TcpLayer::connect(SocketAddress local, SocketAddress remote,
                                                    const TcpSocketOptions& options, Instant now) {
  now_ = now;
  if (remote.port == 0 || remote.address.is_unspecified() || remote.address.is_broadcast() ||
      remote.address.is_multicast()) {
    return unexpected(SocketError::invalid_argument);
  }
  const auto route = routes_.lookup(remote.address);
  if (!route) return unexpected(SocketError::network_unreachable);
  if (local.address.is_unspecified()) {
    local.address = route->route->preferred_source;
  } else if (!interfaces_.owns(local.address)) {
    return unexpected(SocketError::address_not_available);
  }
  if (demux_.size() >= settings_.max_connections) return unexpected(SocketError::no_buffer_space);
  if (local.port == 0) {
    const auto port = ports_.pick(local.address, remote.address, remote.port, [&](std::uint16_t p) {
      return port_in_use(local.address, p) ||
             demux_.contains(FourTuple{local.address, p, remote.address, remote.port});
    });
    if (!port) return unexpected(SocketError::address_not_available);
    local.port = *port;
  }
  const FourTuple tuple{local.address, local.port, remote.address, remote.port};
  if (demux_.contains(tuple)) return unexpected(SocketError::address_in_use);
  const std::uint32_t index = create_connection(tuple, options, now);
  slots_[index].user_owned = true;
  counters_.add(Counter::tcp_active_opens);
  slots_[index].connection->open_active(isn_.next(tuple, now), now);
  after_call(index);
  return SocketHandle{index, slots_[index].generation};
}

Result<std::size_t, SocketError> TcpLayer::send(SocketHandle socket, wire::Bytes data,
                                                Instant now) {
  now_ = now;
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (!slot->connection) return unexpected(SocketError::not_connected);
  const auto result = slot->connection->send(data, now);
  after_call(socket.index);
  return result;
}

Result<std::size_t, SocketError> TcpLayer::receive(SocketHandle socket, wire::MutableBytes out,
                                                   bool peek, Instant now) {
  now_ = now;
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (!slot->connection) return unexpected(SocketError::not_connected);
  const auto result = slot->connection->receive(out, peek, now);
  after_call(socket.index);
  return result;
}

Result<std::array<wire::Bytes, 2>, SocketError> TcpLayer::readable_bytes(SocketHandle socket) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (!slot->connection) return unexpected(SocketError::not_connected);
  const auto result = slot->connection->readable_bytes();
  // Taking a pending error may close the connection; waiting bytes change nothing.
  if (!result) after_call(socket.index);
  return result;
}

Result<void, SocketError> TcpLayer::consume(SocketHandle socket, std::size_t count, Instant now) {
  now_ = now;
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (!slot->connection) return unexpected(SocketError::not_connected);
  slot->connection->consume(count, now);
  after_call(socket.index);
  return {};
}

Result<void, SocketError> TcpLayer::shutdown_send(SocketHandle socket, Instant now) {
  now_ = now;
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (!slot->connection) return unexpected(SocketError::not_connected);
  const TcpState state = slot->connection->state();
  if (state == TcpState::closed || state == TcpState::syn_sent) {
    return unexpected(SocketError::not_connected);
  }
  slot->connection->shutdown_send(now);
  after_call(socket.index);
  return {};
}

Result<void, SocketError> TcpLayer::set_options(SocketHandle socket,
                                                const TcpSocketOptions& options, Instant now) {
  now_ = now;
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (slot->listener) {
    slot->listener->options = options;
    return {};
  }
  slot->connection->set_options(options, now);
  after_call(socket.index);
  return {};
}

void TcpLayer::close(SocketHandle socket, Instant now) {
  now_ = now;
  Slot* slot = find(socket);
  if (slot == nullptr) return;
  if (slot->listener) {
    // Linux resets the connections nobody accepted when a listener closes.
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].parent == socket.index && slots_[i].connection) {
        slots_[i].parent.reset();
        slots_[i].connection->abort(now);
        after_call(i);
        if (slots_[i].connection && slots_[i].connection->state() == TcpState::closed) free_slot(i);
      }
    }
    free_slot(socket.index);
    return;
  }
  slot->user_owned = false;
  slot->queued_event = false;
  slot->pending_events = 0;
  slot->connection->close(now);
  if (slot->connection->state() == TcpState::closed) {
    free_slot(socket.index);
    return;
  }
  after_call(socket.index);
}

void TcpLayer::abort(SocketHandle socket, Instant now) {
  now_ = now;
  Slot* slot = find(socket);
  if (slot == nullptr) return;
  if (slot->connection) slot->connection->abort(now);
  close(socket, now);
}

// Issue 9 asks for a reset where Linux would leave the connections to time out: both ends learn
// at once that the address is gone, instead of after minutes of retransmissions.
std::size_t TcpLayer::reset_local_address(Ipv4Addr address, Instant now) {
  now_ = now;
  std::size_t reset = 0;
  for (std::uint32_t index = 0; index < slots_.size(); ++index) {
    TcpConnection* connection = slots_[index].connection.get();
    if (connection == nullptr || connection->tuple().local_addr != address ||
        connection->state() == TcpState::closed) {
      continue;
    }
    connection->reset(SocketError::connection_reset, now);
    counters_.add(Counter::tcp_reset_address_removed);
    ++reset;
    after_call(index);  // may free the slot (orphans, connections not yet accepted)
  }
  return reset;
}

const TcpConnection* TcpLayer::connection(SocketHandle socket) const {
  const Slot* slot = find(socket);
  return slot != nullptr ? slot->connection.get() : nullptr;
}

std::optional<SocketAddress> TcpLayer::local_address(SocketHandle socket) const {
  const Slot* slot = find(socket);
  if (slot == nullptr) return std::nullopt;
  if (slot->listener) return slot->listener->local;
  return SocketAddress{slot->connection->tuple().local_addr, slot->connection->tuple().local_port};
}

std::vector<TcpSocketSummary> TcpLayer::snapshot() const {
  std::vector<TcpSocketSummary> sockets;
  for (std::uint32_t index = 0; index < slots_.size(); ++index) {
    const Slot& slot = slots_[index];
    TcpSocketSummary summary;
    summary.handle = SocketHandle{index, slot.generation};
    if (slot.listener) {
      summary.state = TcpState::listen;
      summary.local = slot.listener->local;
      summary.accept_queue = static_cast<std::uint32_t>(slot.listener->accept_queue.size());
      summary.backlog = slot.listener->backlog;
    } else if (slot.connection) {
      const FourTuple& tuple = slot.connection->tuple();
      summary.state = slot.connection->state();
      summary.local = SocketAddress{tuple.local_addr, tuple.local_port};
      summary.remote = SocketAddress{tuple.remote_addr, tuple.remote_port};
      summary.info = slot.connection->info();
      summary.orphan = !slot.user_owned && !slot.parent;
    } else {
      continue;  // a free slot
    }
    sockets.push_back(summary);
  }
  return sockets;
}

std::optional<SocketError> TcpLayer::take_error(SocketHandle socket) {
  Slot* slot = find(socket);
  if (slot == nullptr || !slot->connection) return std::nullopt;
  return slot->connection->take_error();
}

}  // namespace tapstack
