#include "tapdev/frame_io.hpp"

#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>

#include "tapdev/errno_text.hpp"
#include "tapdev/virtio_net_header.hpp"

namespace tapstack::tapdev {
namespace {

// Read slots start on cache lines so that two slots never share one.
constexpr std::size_t kCacheLine = 64;
// One submission per loop turn needs room for every re-armed read and every frame of a burst;
// beyond this the queue is submitted early when full (FrameIo::next_sqe).
constexpr std::uint64_t kMaxSubmissionEntries = 4096;
// Completion entries beyond one per operation in flight, for the cancel request at teardown.
constexpr std::uint64_t kSpareCompletions = 16;
// How long teardown waits for cancelled reads before giving up on reclaiming the slab.
constexpr auto kTeardownTimeout = std::chrono::seconds(1);
constexpr long kTeardownPollNanoseconds = 50'000'000;

constexpr std::size_t align_up(std::size_t n, std::size_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

}  // namespace

FrameIo::FrameIo(int device_fd, const FrameIoSettings& settings, WarningSink warn)
    : device_fd_(device_fd),
      rx_count_(settings.rx_buffers),
      rx_buffer_size_(settings.rx_buffer_size +
                      (settings.virtio_net_header ? VirtioNetHeader::kSize : 0)),
      rx_stride_(align_up(rx_buffer_size_, kCacheLine)),
      virtio_net_header_(settings.virtio_net_header),
      warn_(std::move(warn)),
      rx_slab_(std::make_unique<std::byte[]>(rx_stride_ * settings.rx_buffers)),
      tx_slots_(settings.tx_buffers) {
  // Reserved once: a slot is either in flight or idle, so these never grow past the reserve.
  rx_idle_.reserve(rx_count_);
  for (std::uint32_t slot = rx_count_; slot > 0; --slot) rx_idle_.push_back(slot - 1);
  tx_free_.reserve(settings.tx_buffers);
  for (std::uint32_t slot = settings.tx_buffers; slot > 0; --slot) tx_free_.push_back(slot - 1);
}

Result<std::unique_ptr<FrameIo>, std::string> FrameIo::create(int device_fd,
                                                              const FrameIoSettings& settings,
                                                              WarningSink warn) {
  assert(settings.rx_buffers >= 1 && settings.tx_buffers >= 1 && settings.rx_buffer_size >= 1);
  std::unique_ptr<FrameIo> io{new FrameIo(device_fd, settings, std::move(warn))};
  if (auto ready = io->set_up_ring(); !ready) return unexpected(ready.error());
  return io;
}

Result<void, std::string> FrameIo::set_up_ring() {
  const std::uint64_t in_flight = std::uint64_t{rx_count_} + tx_slots_.size();
  io_uring_params params{};
  // A completion entry for every operation that can be in flight, so none has to wait in the
  // kernel's overflow list; CLAMP caps absurd sizes at the kernel's maximum.
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL;
  params.cq_entries = static_cast<std::uint32_t>(in_flight + kSpareCompletions);
  const auto sq_entries = static_cast<unsigned>(std::min(in_flight, kMaxSubmissionEntries));
  if (const int result = io_uring_queue_init_params(sq_entries, &ring_, &params); result < 0) {
    return unexpected("io_uring setup: " + errno_text(-result));
  }
  ring_ready_ = true;

  event_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event_fd_) return unexpected("eventfd: " + errno_text(errno));
  if (const int result = io_uring_register_eventfd(&ring_, event_fd_.get()); result < 0) {
    return unexpected("io_uring eventfd registration: " + errno_text(-result));
  }
  // One registered buffer covering the whole slab; each read_fixed addresses its slot in it.
  // Registration can fail under a small RLIMIT_MEMLOCK on older kernels: plain reads then.
  const iovec slab{rx_slab_.get(), rx_stride_ * rx_count_};
  fixed_buffers_ = io_uring_register_buffers(&ring_, &slab, 1) == 0;
  return {};
}

FrameIo::~FrameIo() {
  if (!ring_ready_) return;
  stopping_ = true;
  cancel_reads();
  io_uring_queue_exit(&ring_);
}

void FrameIo::cancel_reads() {
  if (reads_in_flight_ == 0 && writes_in_flight() == 0) return;
  if (io_uring_sqe* sqe = next_sqe()) {
    io_uring_prep_cancel_fd(sqe, device_fd_, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, encode(Operation::cancel, 0));
  }
  submit_prepared();
  const auto deadline = std::chrono::steady_clock::now() + kTeardownTimeout;
  while ((reads_in_flight_ > 0 || writes_in_flight() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    __kernel_timespec wait{.tv_sec = 0, .tv_nsec = kTeardownPollNanoseconds};
    io_uring_cqe* cqe = nullptr;
    const int result = io_uring_wait_cqe_timeout(&ring_, &cqe, &wait);
    if (result == -ETIME || result == -EINTR) continue;
    if (result < 0) break;
    (void)complete(*cqe);  // stopping_: frames still arriving are dropped, nothing is re-armed
    io_uring_cqe_seen(&ring_, cqe);
  }
  if (reads_in_flight_ > 0) {
    // The kernel may still write into the slab: leaking it is the only safe choice left.
    if (warn_) {
      warn_(std::to_string(reads_in_flight_) +
            " reads not cancelled at teardown; their buffers are not freed");
    }
    (void)rx_slab_.release();
  }
}

void FrameIo::submit(PacketBuffer frame) {
  if (tx_free_.empty()) {
    ++counters_.tx_drop_ring_full;
    return;  // `frame` returns to its pool here
  }
  io_uring_sqe* sqe = next_sqe();
  if (sqe == nullptr) {
    ++counters_.tx_drop_ring_full;
    return;
  }
  if (virtio_net_header_ && !prepend_virtio_net_header(frame)) return;
  const std::uint32_t slot = tx_free_.back();
  tx_free_.pop_back();
  tx_slots_[slot] = std::move(frame);
  const std::span<const std::byte> bytes = tx_slots_[slot].data();
  io_uring_prep_write(sqe, device_fd_, bytes.data(), static_cast<unsigned>(bytes.size()), 0);
  io_uring_sqe_set_data64(sqe, encode(Operation::write, slot));
}

// The frame's virtio-net header, in its buffer's headroom. False (counted, frame dropped) if
// the buffer has no room for it or claims offload work beyond its end.
bool FrameIo::prepend_virtio_net_header(PacketBuffer& frame) {
  const auto header = VirtioNetHeader::for_frame(frame);
  if (!header || frame.headroom() < VirtioNetHeader::kSize) {
    ++counters_.tx_errors;
    warn_once(Warning::bad_offload,
              "frame without room for its virtio-net header or with "
              "offload data beyond its end dropped; further ones are only "
              "counted (tap_tx_errors)");
    return false;
  }
  if (header->is_gso()) ++counters_.tx_gso_frames;
  header->emit(frame.prepend(VirtioNetHeader::kSize));
  return true;
}

void FrameIo::flush() {
  if (!stopping_) arm_reads();
  if (io_uring_sq_ready(&ring_) > 0) submit_prepared();
}

void FrameIo::arm_reads() {
  // The parked read goes first, so it takes the oldest queued frame and order is kept.
  if (parked_read_wanted_ && !rx_idle_.empty() &&
      arm_read(Operation::parked_read, rx_idle_.back())) {
    rx_idle_.pop_back();
    parked_read_wanted_ = false;
  }
  while (burst_credit_ > 0 && !rx_idle_.empty() &&
         arm_read(Operation::burst_read, rx_idle_.back())) {
    rx_idle_.pop_back();
    --burst_credit_;
  }
  burst_credit_ = 0;  // unused credit lapses: the next frame earns new credit
}

void FrameIo::drain_event_fd() {
  std::uint64_t count = 0;
  // Non-blocking: EAGAIN just means nothing was signalled since the last drain.
  (void)!::read(event_fd_.get(), &count, sizeof(count));
}

std::optional<FrameIo::ReceivedFrame> FrameIo::complete(const io_uring_cqe& cqe) {
  const auto operation = static_cast<Operation>(cqe.user_data >> 32);
  const auto slot = static_cast<std::uint32_t>(cqe.user_data & 0xffffffffU);
  switch (operation) {
    case Operation::parked_read:
    case Operation::burst_read:
      return complete_read(operation, slot, cqe.res);
    case Operation::write:
      complete_write(slot, cqe.res);
      return std::nullopt;
    case Operation::cancel:
      return std::nullopt;  // the cancelled reads complete on their own with -ECANCELED
  }
  assert(false && "completion with unknown user_data");
  return std::nullopt;
}

std::optional<FrameIo::ReceivedFrame> FrameIo::complete_read(Operation operation,
                                                             std::uint32_t slot, int result) {
  assert(slot < rx_count_ && reads_in_flight_ > 0);
  --reads_in_flight_;
  if (operation == Operation::parked_read) parked_read_wanted_ = true;
  if (result > 0) {
    // More frames may be queued behind this one: probe with one burst read, two after a burst
    // read that found one, so a backlog is drained in a logarithmic number of turns.
    burst_credit_ =
        std::min(rx_count_, burst_credit_ + (operation == Operation::parked_read ? 1 : 2));
    if (auto frame = received_frame(slot, static_cast<std::size_t>(result))) {
      ++counters_.rx_frames;
      counters_.rx_bytes += frame->bytes.size();
      return frame;
    }
    result = 0;  // shorter than its virtio-net header: counted as an empty read below
  }
  rx_idle_.push_back(slot);
  if (stopping_) return std::nullopt;
  // EAGAIN: a burst read found the queue empty, the normal end of a burst.
  if (result == -EAGAIN || result == -EINTR) return std::nullopt;
  if (result == -EOPNOTSUPP && operation == Operation::burst_read && nowait_bursts_) {
    nowait_bursts_ = false;
    warn_once(Warning::nowait_refused,
              "device refuses RWF_NOWAIT reads; burst reads now wait on the device");
    return std::nullopt;
  }
  ++counters_.rx_errors;
  warn_once(Warning::read_failed, (result == 0 ? std::string{"device read returned no data"}
                                               : "device read failed: " + errno_text(-result)) +
                                      "; further read errors are only counted (tap_rx_errors)");
  return std::nullopt;
}

std::optional<FrameIo::ReceivedFrame> FrameIo::received_frame(std::uint32_t slot,
                                                              std::size_t length) {
  const std::span<const std::byte> bytes{rx_slot(slot), length};
  if (!virtio_net_header_) return ReceivedFrame{slot, bytes, ReceiveOffload{}};
  if (length < VirtioNetHeader::kSize) return std::nullopt;
  const auto header = VirtioNetHeader::parse(bytes);
  if (header.is_gso()) ++counters_.rx_gso_frames;
  return ReceivedFrame{slot, bytes.subspan(VirtioNetHeader::kSize), header.receive_offload()};
}

void FrameIo::complete_write(std::uint32_t slot, int result) {
  assert(slot < tx_slots_.size() && tx_slots_[slot]);
  const std::size_t length = tx_slots_[slot].size();
  tx_slots_[slot].reset();
  tx_free_.push_back(slot);
  if (result >= 0 && static_cast<std::size_t>(result) == length) {
    ++counters_.tx_frames;
    counters_.tx_bytes += length;
    return;
  }
  ++counters_.tx_errors;
  if (result < 0) {
    warn_once(Warning::write_failed, "device write failed: " + errno_text(-result) +
                                         "; further ones are only counted (tap_tx_errors)");
  } else {
    warn_once(Warning::short_write, "short device write: " + std::to_string(result) + " of " +
                                        std::to_string(length) +
                                        " bytes; further ones are only counted (tap_tx_errors)");
  }
}

bool FrameIo::arm_read(Operation operation, std::uint32_t slot) {
  io_uring_sqe* sqe = next_sqe();
  if (sqe == nullptr) return false;  // the slot stays idle; the next flush() tries again
  const auto length = static_cast<unsigned>(rx_buffer_size_);
  if (fixed_buffers_) {
    io_uring_prep_read_fixed(sqe, device_fd_, rx_slot(slot), length, 0, 0);
  } else {
    io_uring_prep_read(sqe, device_fd_, rx_slot(slot), length, 0);
  }
  if (operation == Operation::burst_read && nowait_bursts_) sqe->rw_flags = RWF_NOWAIT;
  io_uring_sqe_set_data64(sqe, encode(operation, slot));
  ++reads_in_flight_;
  return true;
}

io_uring_sqe* FrameIo::next_sqe() {
  if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
  submit_prepared();  // the submission queue is full: hand it to the kernel early
  return io_uring_get_sqe(&ring_);
}

void FrameIo::submit_prepared() {
  const int result = io_uring_submit(&ring_);
  // The entries stay queued on failure (e.g. EBUSY while completions back up): the next
  // flush() submits them again.
  if (result < 0 && result != -EINTR) {
    warn_once(Warning::submit_failed,
              "io_uring submit failed: " + errno_text(-result) + "; retried every loop turn");
  }
}

void FrameIo::warn_once(Warning kind, const std::string& text) {
  bool& warned = warned_[static_cast<std::size_t>(kind)];
  if (warned || !warn_) return;
  warned = true;
  warn_(text);
}

}  // namespace tapstack::tapdev
