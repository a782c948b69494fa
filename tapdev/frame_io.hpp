// Ethernet frame I/O on one device descriptor through io_uring (io_uring(7), liburing).
//
// RX: frames are read into the slots of one slab allocated at start-up and registered with the
// ring (read_fixed), so the kernel pins the pages once instead of per read; if registration
// fails, plain reads into the same slab are used. Exactly one read waits for the next frame (the
// "parked" read, on the device's poll queue). Every frame read earns "burst" reads issued with
// RWF_NOWAIT at the next flush: they take frames already queued, or complete at once with
// -EAGAIN, and each one that finds a frame earns two more, so a backlog is drained in a few
// loop turns while an idle device has a single read waiting.
// Why not keep all `rx_buffers` reads parked: a TAP device has one wait queue, and every frame
// wakes every parked read; all but one find nothing and park again. Measured on Linux 6.18
// (tapstackd, `ping -f`, 256 buffers): 75 us of CPU per frame with every read parked, and reads
// woken in vain 128 times (the kernel's APOLL_MAX_RETRY) go to io-wq worker threads (iou-wrk);
// 9 us per frame and no worker threads with one parked read and bursts.
// Kernels that refuse RWF_NOWAIT on the device (-EOPNOTSUPP) get burst reads that park instead.
//
// TX: submit() prepares one write per frame and keeps the frame's buffer alive until its
// completion; flush() hands everything prepared to the kernel with one io_uring_submit per loop
// turn. At most `tx_buffers` writes are in flight; beyond that frames are dropped and counted.
// Completions raise an eventfd (io_uring_register_eventfd) that the event loop watches.
//
// With the virtio-net header (TapDevice::open), each read starts with one, stripped here: what
// it says of the transport checksum and of segmentation (GSO) goes to the caller with the frame
// (a ReceiveOffload), and each write gets one built from the work its buffer leaves to the
// kernel (VirtioNetHeader::for_frame).
// I/O errors are counted, warned about once, and never stop the loop.
//
// Not thread-safe: one FrameIo per device per event loop.
#pragma once

#include <liburing.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "stack/buffer/packet_buffer.hpp"
#include "stack/link/receive_offload.hpp"
#include "tapdev/device_counters.hpp"
#include "tapdev/unique_fd.hpp"

namespace tapstack::tapdev {

struct FrameIoSettings {
  std::uint32_t rx_buffers = 256;     // frame buffers, i.e. reads in flight at most (>= 1)
  std::uint32_t tx_buffers = 1024;    // writes in flight at most (>= 1)
  std::size_t rx_buffer_size = 1514;  // largest frame read whole: MTU + Ethernet header
  bool virtio_net_header = false;     // the device was opened with IFF_VNET_HDR
};

class FrameIo {
 public:
  // Receives a one-line description of an I/O problem, at most once per kind of problem.
  using WarningSink = std::function<void(const std::string&)>;

  // Sets up the ring on `device_fd`; the first flush() submits the first read. `device_fd` is
  // borrowed, should be in non-blocking mode (see TapDevice::fd) and must stay open for the
  // FrameIo's lifetime.
  static Result<std::unique_ptr<FrameIo>, std::string> create(int device_fd,
                                                              const FrameIoSettings& settings,
                                                              WarningSink warn);
  // Cancels the reads still in flight and waits (bounded) for the kernel to let go of the slab.
  ~FrameIo();
  FrameIo(const FrameIo&) = delete;
  FrameIo& operator=(const FrameIo&) = delete;

  // Prepares a write of `frame`, which stays alive until its completion is reaped. Dropped and
  // counted (tx_drop_ring_full) when tx_buffers writes are already in flight. The buffer's pool
  // must outlive this FrameIo.
  void submit(PacketBuffer frame);
  // Prepares the reads this turn's frames have earned (see above) and submits them with every
  // prepared write in one io_uring_submit.
  void flush();

  // Reads the eventfd to zero. Call before reap() so that completions arriving later raise it
  // again.
  void drain_event_fd();
  // Reaps every completion in the ring. For each received frame calls
  // on_frame(bytes, offload); `bytes` is borrowed for the duration of the call, then its slot
  // is free for the next flush() to read into again. `offload` (a ReceiveOffload): what the
  // virtio-net header says of the transport checksum and of segmentation (GSO); empty
  // without the header.
  template <typename OnFrame>
  void reap(OnFrame&& on_frame);

  // Readable when completions are waiting. Owned by the FrameIo.
  int event_fd() const { return event_fd_.get(); }
  const DeviceCounters& counters() const { return counters_; }
  // True when reads go into registered buffers (read_fixed), false for plain reads.
  bool uses_fixed_buffers() const { return fixed_buffers_; }
  // False once the device refused RWF_NOWAIT: burst reads then wait like the parked one.
  bool uses_nowait_bursts() const { return nowait_bursts_; }
  std::uint32_t reads_in_flight() const { return reads_in_flight_; }
  std::size_t writes_in_flight() const { return tx_slots_.size() - tx_free_.size(); }
  // Writes submit() can still take without dropping: the caller keeps the rest queued (the
  // stack's TX queue), so a full device pushes back instead of losing frames.
  std::size_t tx_room() const { return tx_free_.size(); }

 private:
  // parked_read: waits for a frame; burst_read: RWF_NOWAIT, takes a queued frame or fails.
  enum class Operation : std::uint32_t { parked_read = 1, burst_read = 2, write = 3, cancel = 4 };
  enum class Warning : std::size_t {
    read_failed,
    write_failed,
    short_write,
    bad_offload,
    submit_failed,
    nowait_refused,
    count
  };
  struct ReceivedFrame {
    std::uint32_t slot;
    std::span<const std::byte> bytes;
    ReceiveOffload offload;
  };

  FrameIo(int device_fd, const FrameIoSettings& settings, WarningSink warn);
  Result<void, std::string> set_up_ring();
  std::byte* rx_slot(std::uint32_t slot) { return rx_slab_.get() + std::size_t{slot} * rx_stride_; }

  static std::uint64_t encode(Operation operation, std::uint32_t slot) {
    return (std::uint64_t{static_cast<std::uint32_t>(operation)} << 32) | slot;
  }
  // Returns the frame of a successful read; handles every other completion itself.
  std::optional<ReceivedFrame> complete(const io_uring_cqe& cqe);
  std::optional<ReceivedFrame> complete_read(Operation operation, std::uint32_t slot, int result);
  std::optional<ReceivedFrame> received_frame(std::uint32_t slot, std::size_t length);
  bool prepend_virtio_net_header(PacketBuffer& frame);
  void complete_write(std::uint32_t slot, int result);
  void arm_reads();
  bool arm_read(Operation operation, std::uint32_t slot);
  io_uring_sqe* next_sqe();
  void submit_prepared();
  void cancel_reads();
  void warn_once(Warning kind, const std::string& text);

  int device_fd_;
  std::uint32_t rx_count_;
  std::size_t rx_buffer_size_;  // bytes a read may fill, the virtio-net header included
  std::size_t rx_stride_;
  bool virtio_net_header_;
  WarningSink warn_;

  io_uring ring_{};
  bool ring_ready_ = false;
  UniqueFd event_fd_;
  bool fixed_buffers_ = false;
  bool stopping_ = false;

  std::unique_ptr<std::byte[]> rx_slab_;
  std::vector<std::uint32_t> rx_idle_;  // slots without a read in flight
  std::uint32_t reads_in_flight_ = 0;
  bool parked_read_wanted_ = true;  // no parked read in flight: the next flush() issues one
  std::uint32_t burst_credit_ = 0;  // burst reads earned since the last flush()
  bool nowait_bursts_ = true;

  std::vector<PacketBuffer> tx_slots_;  // frames being written, indexed by slot
  std::vector<std::uint32_t> tx_free_;  // free tx slots

  DeviceCounters counters_;
  std::array<bool, static_cast<std::size_t>(Warning::count)> warned_{};
};

template <typename OnFrame>
void FrameIo::reap(OnFrame&& on_frame) {
  unsigned head = 0;
  unsigned seen = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++seen;
    if (auto frame = complete(*cqe)) {
      on_frame(frame->bytes, frame->offload);
      rx_idle_.push_back(frame->slot);
    }
  }
  io_uring_cq_advance(&ring_, seen);
}

}  // namespace tapstack::tapdev
