#include "stack/buffer/packet_buffer.hpp"

#include <gtest/gtest.h>

namespace tapstack {
namespace {

TEST(BufferPool, PrependsIntoHeadroomAndReturnsSlots) {
  BufferPool pool(2, 128);
  {
    auto buf = pool.acquire(64);
    ASSERT_TRUE(buf);
    EXPECT_EQ(pool.available(), 1u);
    buf->append(10)[0] = std::byte{0xaa};
    auto header = buf->prepend(14);
    header[0] = std::byte{0x01};
    EXPECT_EQ(buf->size(), 24u);
    EXPECT_EQ(buf->headroom(), 50u);
    EXPECT_EQ(buf->data()[0], std::byte{0x01});
    EXPECT_EQ(buf->data()[14], std::byte{0xaa});
    buf->trim_front(14);
    EXPECT_EQ(buf->data()[0], std::byte{0xaa});
  }
  EXPECT_EQ(pool.available(), 2u);
}

TEST(BufferPool, ExhaustionIsAValueNotACrash) {
  BufferPool pool(1, 64);
  auto a = pool.acquire(0);
  ASSERT_TRUE(a);
  EXPECT_FALSE(pool.acquire(0));
  PacketBuffer moved = std::move(*a);
  EXPECT_FALSE(*a);
  moved.reset();
  EXPECT_TRUE(pool.acquire(0));
}

}  // namespace
}  // namespace tapstack
