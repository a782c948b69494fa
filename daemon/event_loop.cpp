#include "daemon/event_loop.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "daemon/admin/admin_commands.hpp"
#include "daemon/counter_dump.hpp"
#include "daemon/metrics/metrics_collector.hpp"
#include "daemon/metrics/metrics_server.hpp"
#include "daemon/service_notifier.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::daemon {
namespace asio = boost::asio;

Instant steady_now() {
  return Instant{
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

namespace {

std::chrono::steady_clock::time_point to_steady(Instant instant) {
  return std::chrono::steady_clock::time_point{
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(instant.time_since_epoch())};
}

class EventLoop {
 public:
  EventLoop(Stack& stack, std::span<Device> devices, services::Services& services,
            FaultPath* faults, const ipc::IpcServerSettings& ipc, Logger& log,
            std::string_view version, const config::Config& config, ConfigSource reload);
  Result<void, std::string> run();

 private:
  // A device as the loop sees it: its eventfd under Asio's watch, and whether it fired.
  struct Watched {
    Device* device;
    std::size_t index;                           // of the device, for its fault injectors
    asio::posix::stream_descriptor completions;  // a dup of the FrameIo's eventfd
    bool ready = false;
  };

  void turn();
  void receive(Watched& watched, Instant now);
  void release_delayed_rx(Instant now);
  void serve_sockets(Instant now);
  void transmit(Instant now);
  std::size_t device_index(InterfaceId interface) const;
  void watch(Watched& watched);
  void wait_for_signal();
  bool poll_busily();
  void reload();
  void arm_timer(Instant deadline);
  std::string status_line() const;

  Stack& stack_;
  services::Services& services_;
  FaultPath* faults_;
  Logger& log_;
  std::span<Device> devices_;
  asio::io_context io_{1};                                   // one thread: no locking inside Asio
  asio::signal_set signals_{io_, SIGINT, SIGTERM, SIGUSR1};  // and SIGHUP, added in the ctor
  asio::steady_timer timer_{io_};
  Instant timer_deadline_ = kNever;  // what timer_ is armed for; kNever: not armed
  std::uint64_t timer_generation_ = 0;
  std::vector<std::unique_ptr<Watched>> watched_;
  ipc::IpcServer ipc_;     // after io_: destroyed before it
  config::Config config_;  // what is in effect; reload() updates the live parts
  admin::AdminCommands admin_;
  metrics::MetricsServer metrics_;  // after ipc_: it reads the IPC server's stats
  ServiceNotifier notifier_;
  ConfigSource reload_source_;
  Duration busy_poll_;  // tap.busy_poll; tap changes need a restart (reload.cpp)
  bool stopping_ = false;
  bool dump_requested_ = false;
  bool reload_requested_ = false;
};

EventLoop::EventLoop(Stack& stack, std::span<Device> devices, services::Services& services,
                     FaultPath* faults, const ipc::IpcServerSettings& ipc, Logger& log,
                     std::string_view version, const config::Config& config, ConfigSource reload)
    : stack_(stack),
      services_(services),
      faults_(faults),
      log_(log),
      devices_(devices),
      ipc_(io_, stack.tcp(), stack.udp(), ipc,
           [&log](LogLevel level, std::string_view message) { log.log(level, message); }),
      config_(config),
      admin_(admin::AdminSources{stack, log, ipc_, devices, config_, steady_now(),
                                 std::string{version}}),
      metrics_(io_, config.metrics, ipc.group,
               metrics::metrics_renderer(
                   {stack, devices, ipc_, metrics::unix_time_seconds(), std::string{version}}),
               [&log](LogLevel level, std::string_view message) { log.log(level, message); }),
      reload_source_(std::move(reload)),
      busy_poll_(config.tap.busy_poll) {
  signals_.add(SIGHUP);
  ipc_.set_admin_handler([this](const ipc::AdminCaller& caller, std::string_view line) {
    return admin_.run(caller, line, steady_now());
  });
  for (std::size_t index = 0; index < devices.size(); ++index) {
    Device& device = devices[index];
    // Asio closes what it holds: give it its own descriptor for the FrameIo's eventfd.
    const int fd = ::dup(device.io->event_fd());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup eventfd");
    watched_.push_back(std::make_unique<Watched>(
        Watched{&device, index, asio::posix::stream_descriptor{io_, fd}, false}));
  }
}

Result<void, std::string> EventLoop::run() {
  wait_for_signal();
  for (auto& watched : watched_) watch(*watched);
  if (auto listening = ipc_.start(); !listening) return listening;
  if (auto listening = metrics_.start(); !listening) return listening;
  log_.info("ready");
  notifier_.ready(status_line());
  for (;;) {
    turn();
    if (stopping_) {
      // Connections get their FIN (or RST) before the devices close.
      const Instant now = steady_now();
      notifier_.stopping();
      services_.stop(now);
      ipc_.stop(now);
      transmit(now);
      return {};
    }
    // Block for the first event (after polling a while with tap.busy_poll), then take every
    // other one that is ready, so one turn serves all of them.
    if (!poll_busily() && io_.run_one() == 0) return {};
    io_.poll();
  }
}

// tap.busy_poll (Linux's net.core.busy_poll): an event that comes soon, such as the answer to
// what this turn sent, is served without going to sleep and being woken, which costs tens of
// microseconds on a VM. True once a handler ran; false when the time is up (or it is 0).
bool EventLoop::poll_busily() {
  if (busy_poll_ <= Duration::zero()) return false;
  const auto until = std::chrono::steady_clock::now() + busy_poll_;
  do {
    if (io_.poll() > 0) return true;
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

void EventLoop::turn() {
  const Instant now = steady_now();
  for (auto& watched : watched_) {
    if (watched->ready) receive(*watched, now);
  }
  release_delayed_rx(now);
  stack_.poll(now);
  ipc_.service(now);
  serve_sockets(now);
  transmit(now);
  if (dump_requested_) {
    dump_requested_ = false;
    log_counters(log_, stack_.counters(), devices_);
  }
  if (reload_requested_) reload();
  notifier_.tick(now, [this] { return status_line(); });
  const Instant faults_deadline = faults_ != nullptr ? faults_->next_deadline() : kNever;
  arm_timer(std::min({stack_.next_deadline(), faults_deadline, notifier_.next_due()}));
}

void EventLoop::receive(Watched& watched, Instant now) {
  watched.ready = false;
  Device& device = *watched.device;
  // Drain first: a completion that lands after this raises the eventfd again.
  device.io->drain_event_fd();
  stack_.begin_receive_batch();
  device.io->reap([&](std::span<const std::byte> frame, const ReceiveOffload& offload) {
    if (faults_ != nullptr) {
      // Offloads are off under fault injection (wants_offloads): nothing to trust.
      faults_->rx(watched.index).push(frame, now);  // copied: the device reuses its buffer
    } else {
      stack_.receive(device.interface, frame, now, offload);
    }
  });
  stack_.end_receive_batch(now);
  // Re-armed only now that the eventfd is drained; otherwise it would fire at once.
  watch(watched);
}

// Received frames whose injected delay has passed go to the stack.
void EventLoop::release_delayed_rx(Instant now) {
  if (faults_ == nullptr) return;
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    faults_->rx(i).deliver_due(
        now, [&](wire::Bytes frame) { stack_.receive(devices_[i].interface, frame, now); });
  }
}

// Every socket event goes to its socket's owner: a built-in service or an IPC client. Their
// calls (accept, send, receive, close) may raise further events, drained here as well.
void EventLoop::serve_sockets(Instant now) {
  bool more = true;
  while (more) {
    more = false;
    while (const auto event = stack_.tcp().pop_event()) {
      if (!services_.handle(*event, now)) ipc_.handle(*event, now);
    }
    while (const auto event = stack_.udp().pop_event()) {
      ipc_.handle(*event, now);
      more = true;  // serving UDP may have raised TCP events (shared TX room): look again
    }
  }
}

void EventLoop::transmit(Instant now) {
  // Frames leave the stack's TX queue only while every device can take a write: the rest wait
  // there, so a full device pushes back on TCP (TcpLayer::has_room) instead of losing frames.
  // The loop turns again when write completions free slots.
  const auto devices_have_room = [this] {
    return std::ranges::all_of(devices_,
                               [](const Device& device) { return device.io->tx_room() > 0; });
  };
  while (devices_have_room()) {
    auto frame = stack_.pop_tx();
    if (!frame) break;
    const std::size_t index = device_index(frame->interface);
    if (index == devices_.size()) continue;  // asserted in device_index()
    if (faults_ != nullptr) {
      faults_->tx(index).push(frame->frame.data(), now);  // the stack's buffer returns now
    } else {
      devices_[index].io->submit(std::move(frame->frame));
    }
  }
  if (faults_ != nullptr) {
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      faults_->tx(i).deliver_due(now, [&](wire::Bytes bytes) {
        if (auto buffer = faults_->copy_for_device(bytes)) {
          devices_[i].io->submit(std::move(*buffer));
        }
      });
    }
  }
  for (Device& device : devices_) device.io->flush();
}

std::size_t EventLoop::device_index(InterfaceId interface) const {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    if (devices_[i].interface == interface) return i;
  }
  assert(false && "frame for an interface without a device");
  return devices_.size();
}

// One line for systemctl status: what the daemon is doing now.
std::string EventLoop::status_line() const {
  const Counters& counters = stack_.counters();
  return std::to_string(stack_.tcp().connection_count()) + " TCP connections, " +
         std::to_string(ipc_.client_count()) + " IPC clients, " +
         std::to_string(counters.get(Counter::ipv4_rx_packets)) + " packets in, " +
         std::to_string(counters.get(Counter::ipv4_tx_packets)) + " out";
}

void EventLoop::watch(Watched& watched) {
  watched.completions.async_wait(asio::posix::descriptor_base::wait_read,
                                 [this, &watched](const boost::system::error_code& error) {
                                   if (error == asio::error::operation_aborted) return;
                                   if (error) log_.warn("eventfd wait: " + error.message());
                                   watched.ready = true;  // reap anyway: nothing is lost
                                 });
}

void EventLoop::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;
    if (signal == SIGUSR1) {
      dump_requested_ = true;
    } else if (signal == SIGHUP) {
      reload_requested_ = true;
    } else {
      const char* name = sigabbrev_np(signal);
      log_.info("received SIG" + std::string{name != nullptr ? name : "?"} + ", stopping");
      stopping_ = true;
    }
    wait_for_signal();
  });
}

void EventLoop::reload() {
  reload_requested_ = false;
  notifier_.reloading();
  auto next =
      reload_source_ ? reload_source_() : unexpected(std::string{"no configuration source"});
  if (!next) {
    log_.error("reload failed, keeping the running configuration: " + next.error());
  } else {
    log_.info("received SIGHUP, reloading the configuration");
    std::vector<InterfaceId> interfaces;
    for (const Device& device : devices_) interfaces.push_back(device.interface);
    apply_reload(config_, *next,
                 ReloadTargets{log_, services_, stack_, interfaces, steady_now(), &ipc_});
  }
  notifier_.ready(status_line());
}

void EventLoop::arm_timer(Instant deadline) {
  if (deadline == timer_deadline_) return;  // re-arming would cancel and wake for nothing
  timer_deadline_ = deadline;
  const std::uint64_t generation = ++timer_generation_;
  if (deadline == kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(to_steady(deadline));  // cancels the previous wait
  timer_.async_wait([this, generation](const boost::system::error_code& error) {
    // Firing only needs to wake the loop; the turn that follows runs stack.poll(now).
    if (!error && generation == timer_generation_) timer_deadline_ = kNever;
  });
}

}  // namespace

Result<void, std::string> run_event_loop(Stack& stack, std::span<Device> devices,
                                         services::Services& services, FaultPath* faults,
                                         const ipc::IpcServerSettings& ipc, Logger& log,
                                         std::string_view version, const config::Config& config,
                                         ConfigSource reload) {
  EventLoop loop{stack, devices, services, faults, ipc, log, version, config, std::move(reload)};
  return loop.run();
}

}  // namespace tapstack::daemon
