// FrameIo against a real kernel descriptor without root: one end of an AF_UNIX SOCK_SEQPACKET
// pair stands in for the TAP device (one read or write moves one whole message, like a frame).
// Waits are bounded: a missing completion fails the test instead of hanging it.
#include "tapdev/frame_io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stack/buffer/packet_buffer.hpp"
#include "tapdev/unique_fd.hpp"

namespace tapstack::tapdev {
namespace {

using Frame = std::vector<std::byte>;

Frame frame_of(std::string_view text) {
  Frame out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

class FrameIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Some sandboxes forbid io_uring (seccomp, kernel.io_uring_disabled): nothing to test there.
    io_uring probe{};
    if (const int result = io_uring_queue_init(1, &probe, 0);
        result == -ENOSYS || result == -EPERM) {
      GTEST_SKIP() << "io_uring unavailable: " << std::strerror(-result);
    } else if (result == 0) {
      io_uring_queue_exit(&probe);
    }
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    device_.reset(fds[0]);
    peer_.reset(fds[1]);
    // Non-blocking like the TAP descriptor (TapDevice::fd). A failed write to a closed peer must
    // come back as EPIPE, not kill the test.
    std::signal(SIGPIPE, SIG_IGN);
  }

  void create(FrameIoSettings settings) {
    auto io = FrameIo::create(device_.get(), settings,
                              [this](const std::string& text) { warnings_.push_back(text); });
    ASSERT_TRUE(io.has_value()) << io.error();
    io_ = std::move(*io);
    io_->flush();
  }

  // Waits (at most 5 s) on the eventfd and reaps until `done` holds.
  template <typename Done>
  void reap_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      pollfd wait{io_->event_fd(), POLLIN, 0};
      ::poll(&wait, 1, 100);
      io_->drain_event_fd();
      io_->reap([this](std::span<const std::byte> bytes, const ReceiveOffload&) {
        received_.emplace_back(bytes.begin(), bytes.end());
      });
      io_->flush();
    }
  }

  void send_from_peer(const Frame& frame) {
    ASSERT_EQ(::send(peer_.get(), frame.data(), frame.size(), 0),
              static_cast<ssize_t>(frame.size()));
  }

  Frame receive_at_peer() {
    Frame buffer(256);
    pollfd wait{peer_.get(), POLLIN, 0};
    if (::poll(&wait, 1, 5000) != 1) return {};
    const ssize_t n = ::recv(peer_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    buffer.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return buffer;
  }

  PacketBuffer packet(std::string_view text) {
    auto buffer = pool_.acquire(16);
    EXPECT_TRUE(buffer.has_value());
    auto bytes = buffer->append(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return std::move(*buffer);
  }

  UniqueFd device_;
  UniqueFd peer_;
  BufferPool pool_{8, 256};  // declared before io_: it must outlive the frames io_ holds
  std::unique_ptr<FrameIo> io_;
  std::vector<Frame> received_;
  std::vector<std::string> warnings_;
};

TEST_F(FrameIoTest, OneReadWaitsWhileIdle) {
  create({.rx_buffers = 8, .tx_buffers = 4, .rx_buffer_size = 128});
  EXPECT_EQ(io_->reads_in_flight(), 1u);
  send_from_peer(frame_of("hello"));
  reap_until([&] { return received_.size() == 1; });
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0], frame_of("hello"));
  // The burst read the frame earned finds nothing and ends; the parked read waits again.
  reap_until([&] { return io_->reads_in_flight() == 1; });
  EXPECT_EQ(io_->reads_in_flight(), 1u);
  EXPECT_TRUE(io_->uses_nowait_bursts());
  EXPECT_EQ(io_->counters().rx_frames, 1u);
  EXPECT_EQ(io_->counters().rx_bytes, 5u);
  EXPECT_EQ(io_->counters().rx_errors, 0u);
}

TEST_F(FrameIoTest, DrainsABacklogInOrderInFewTurns) {
  create({.rx_buffers = 16, .tx_buffers = 4, .rx_buffer_size = 128});
  std::vector<Frame> sent;
  for (int i = 0; i < 40; ++i) sent.push_back(frame_of("frame " + std::to_string(i)));
  for (const Frame& frame : sent) send_from_peer(frame);
  int turns_with_frames = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received_.size() < sent.size() && std::chrono::steady_clock::now() < deadline) {
    pollfd wait{io_->event_fd(), POLLIN, 0};
    ::poll(&wait, 1, 100);
    io_->drain_event_fd();
    const std::size_t before = received_.size();
    io_->reap([this](std::span<const std::byte> bytes, const ReceiveOffload&) {
      received_.emplace_back(bytes.begin(), bytes.end());
    });
    if (received_.size() > before) ++turns_with_frames;
    io_->flush();
  }
  EXPECT_EQ(received_, sent);  // every frame, in the order sent
  // Bursts grow 1, 2, 4, 8, then 16 frames per turn (all buffers): 1+2+4+8+16+9 = 40.
  EXPECT_LE(turns_with_frames, 6);
  EXPECT_EQ(io_->counters().rx_frames, sent.size());
}

TEST_F(FrameIoTest, WritesFramesInOrderAndReturnsBuffersOnCompletion) {
  create({.rx_buffers = 2, .tx_buffers = 8, .rx_buffer_size = 128});
  io_->submit(packet("one"));
  io_->submit(packet("two"));
  io_->submit(packet("three"));
  EXPECT_EQ(pool_.available(), 5u);  // held until completion
  io_->flush();
  EXPECT_EQ(receive_at_peer(), frame_of("one"));
  EXPECT_EQ(receive_at_peer(), frame_of("two"));
  EXPECT_EQ(receive_at_peer(), frame_of("three"));
  reap_until([&] { return io_->writes_in_flight() == 0; });
  EXPECT_EQ(pool_.available(), 8u);
  EXPECT_EQ(io_->counters().tx_frames, 3u);
  EXPECT_EQ(io_->counters().tx_bytes, 11u);
  EXPECT_EQ(io_->counters().tx_errors, 0u);
}

TEST_F(FrameIoTest, DropsAndCountsFramesBeyondTheWriteLimit) {
  create({.rx_buffers = 1, .tx_buffers = 2, .rx_buffer_size = 128});
  io_->submit(packet("a"));
  io_->submit(packet("b"));
  io_->submit(packet("c"));  // third write while two are in flight
  EXPECT_EQ(io_->counters().tx_drop_ring_full, 1u);
  EXPECT_EQ(pool_.available(), 6u);  // the dropped frame's buffer is back at once
  io_->flush();
  reap_until([&] { return io_->writes_in_flight() == 0; });
  EXPECT_EQ(io_->counters().tx_frames, 2u);
  EXPECT_EQ(receive_at_peer(), frame_of("a"));
  EXPECT_EQ(receive_at_peer(), frame_of("b"));
  // Slots are free again after the completions.
  io_->submit(packet("d"));
  io_->flush();
  EXPECT_EQ(receive_at_peer(), frame_of("d"));
  EXPECT_EQ(io_->counters().tx_drop_ring_full, 1u);
}

TEST_F(FrameIoTest, FailedWritesAreCountedAndWarnedOnce) {
  create({.rx_buffers = 1, .tx_buffers = 4, .rx_buffer_size = 128});
  ASSERT_EQ(::shutdown(device_.get(), SHUT_WR), 0);  // every write now fails with EPIPE
  io_->submit(packet("lost"));
  io_->submit(packet("lost too"));
  io_->flush();
  reap_until([&] { return io_->writes_in_flight() == 0; });
  EXPECT_EQ(io_->counters().tx_errors, 2u);
  EXPECT_EQ(io_->counters().tx_frames, 0u);
  EXPECT_EQ(pool_.available(), 8u);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("EPIPE"), std::string::npos) << warnings_[0];
}

TEST_F(FrameIoTest, BurstReadsWaitWhenTheDeviceRefusesNowait) {
  // A pseudo-terminal master refuses RWF_NOWAIT (-EOPNOTSUPP) like a TAP device on kernels
  // whose tun driver lacks FMODE_NOWAIT. Raw mode on the slave passes bytes through unchanged.
  const int master = ::posix_openpt(O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  device_.reset(master);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  peer_.reset(::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(peer_);
  termios mode{};
  ASSERT_EQ(::tcgetattr(peer_.get(), &mode), 0);
  ::cfmakeraw(&mode);
  ASSERT_EQ(::tcsetattr(peer_.get(), TCSANOW, &mode), 0);
  create({.rx_buffers = 4, .tx_buffers = 4, .rx_buffer_size = 128});

  ASSERT_EQ(::write(peer_.get(), "one", 3), 3);
  reap_until([&] { return received_.size() == 1 && !io_->uses_nowait_bursts(); });
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0], frame_of("one"));
  EXPECT_FALSE(io_->uses_nowait_bursts());
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("RWF_NOWAIT"), std::string::npos) << warnings_[0];

  ASSERT_EQ(::write(peer_.get(), "two", 3), 3);
  reap_until([&] { return received_.size() == 2; });
  ASSERT_EQ(received_.size(), 2u);
  EXPECT_EQ(received_[1], frame_of("two"));
  EXPECT_EQ(io_->counters().rx_errors, 0u);
}

TEST_F(FrameIoTest, TeardownCancelsReadsInFlightPromptly) {
  create({.rx_buffers = 64, .tx_buffers = 4, .rx_buffer_size = 2048});
  EXPECT_EQ(io_->reads_in_flight(), 1u);
  const auto start = std::chrono::steady_clock::now();
  io_.reset();
  // Well under the 1 s teardown bound: the cancellation completed every read.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_TRUE(warnings_.empty());
}

}  // namespace
}  // namespace tapstack::tapdev
