#include "stack/tcp/send_buffer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tapstack {
namespace {

// The byte at stream offset i is a function of i (period 251), so misplaced data shows.
std::vector<std::byte> stream(std::size_t offset, std::size_t size) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = std::byte((offset + i) % 251);
  return bytes;
}

std::vector<std::byte> joined(const std::array<wire::Bytes, 2>& pieces) {
  std::vector<std::byte> bytes(pieces[0].begin(), pieces[0].end());
  bytes.insert(bytes.end(), pieces[1].begin(), pieces[1].end());
  return bytes;
}

// Near 2^32 so that every test crosses the wrap of sequence space at stream offset 256.
constexpr std::uint32_t kFirst = 0xffffff00;
SeqNum at(std::uint32_t offset) {
  return SeqNum{kFirst + offset};
}

TEST(SendBufferTest, StartsEmptyWithoutStorage) {
  SendBuffer buffer(65536);
  buffer.start(at(0));
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.capacity(), 65536u);
  EXPECT_EQ(buffer.free_space(), 65536u);
  EXPECT_EQ(buffer.storage_size(), 0u);  // an idle connection holds no buffer memory
  EXPECT_EQ(buffer.begin_seq(), at(0));
  EXPECT_EQ(buffer.end_seq(), at(0));
  EXPECT_EQ(joined(buffer.peek(at(0), 100)).size(), 0u);
}

TEST(SendBufferTest, AppendTakesWhatFitsAndAdvancesEndAcrossTheWrap) {
  SendBuffer buffer(1000);
  buffer.start(at(0));
  EXPECT_EQ(buffer.append(stream(0, 600)), 600u);
  // 0xffffff00 + 600 = 2^32 + 344: the end has wrapped.
  EXPECT_EQ(buffer.end_seq(), SeqNum{344});
  EXPECT_EQ(buffer.append(stream(600, 600)), 400u);  // only 1000 - 600 fit
  EXPECT_EQ(buffer.size(), 1000u);
  EXPECT_EQ(buffer.free_space(), 0u);
  EXPECT_EQ(buffer.append(stream(1000, 1)), 0u);
  EXPECT_EQ(joined(buffer.peek(at(0), 1000)), stream(0, 1000));
}

TEST(SendBufferTest, StorageDoublesFromFourKibUpToCapacity) {
  SendBuffer buffer(20000);
  buffer.start(at(0));
  buffer.append(stream(0, 100));
  EXPECT_EQ(buffer.storage_size(), 4096u);
  buffer.append(stream(100, 4000));  // 4100 held
  EXPECT_EQ(buffer.storage_size(), 8192u);
  buffer.append(stream(4100, 5000));  // 9100 held
  EXPECT_EQ(buffer.storage_size(), 16384u);
  buffer.append(stream(9100, 20000));  // 20000 held: 32768 clamped to the capacity
  EXPECT_EQ(buffer.storage_size(), 20000u);
  EXPECT_EQ(buffer.size(), 20000u);
  EXPECT_EQ(joined(buffer.peek(at(0), 20000)), stream(0, 20000));
}

TEST(SendBufferTest, SmallCapacityNeverAllocatesMore) {
  SendBuffer buffer(1000);
  buffer.start(at(0));
  buffer.append(stream(0, 10));
  EXPECT_EQ(buffer.storage_size(), 1000u);
}

TEST(SendBufferTest, PeekSplitsAtTheRingWrap) {
  SendBuffer buffer(4096);
  buffer.start(at(0));
  buffer.append(stream(0, 3000));
  buffer.acknowledge(at(2000));
  // Held: stream [2000, 3000) at storage [2000, 3000). Appending 2500 fills storage [3000, 4096)
  // with 1096 bytes and wraps the other 1404 to storage [0, 1404).
  EXPECT_EQ(buffer.append(stream(3000, 2500)), 2500u);
  EXPECT_EQ(buffer.storage_size(), 4096u);
  const auto pieces = buffer.peek(at(2000), 10000);
  EXPECT_EQ(pieces[0].size(), 2096u);
  EXPECT_EQ(pieces[1].size(), 1404u);
  EXPECT_EQ(joined(pieces), stream(2000, 3500));
  // From the middle: 500 bytes from stream offset 4000 (storage 4000) = 96 + 404.
  const auto middle = buffer.peek(at(4000), 500);
  EXPECT_EQ(middle[0].size(), 96u);
  EXPECT_EQ(middle[1].size(), 404u);
  EXPECT_EQ(joined(middle), stream(4000, 500));
  // Entirely after the wrap.
  const auto after = buffer.peek(at(5000), 100);
  EXPECT_EQ(after[0].size(), 100u);
  EXPECT_EQ(after[1].size(), 0u);
  EXPECT_EQ(joined(after), stream(5000, 100));
  // At the end: nothing.
  EXPECT_EQ(joined(buffer.peek(at(5500), 100)).size(), 0u);
}

TEST(SendBufferTest, GrowthUnwrapsHeldBytes) {
  SendBuffer buffer(16384);
  buffer.start(at(0));
  buffer.append(stream(0, 4000));
  buffer.acknowledge(at(3000));
  buffer.append(stream(4000, 3000));  // wraps inside the 4096-byte storage: 4000 held
  buffer.append(stream(7000, 3000));  // 7000 held: storage grows to 8192
  EXPECT_EQ(buffer.storage_size(), 8192u);
  const auto pieces = buffer.peek(at(3000), 7000);
  EXPECT_EQ(pieces[1].size(), 0u);  // unwrapped into one piece
  EXPECT_EQ(joined(pieces), stream(3000, 7000));
}

TEST(SendBufferTest, CopyOutFillsATransmitBuffer) {
  SendBuffer buffer(4096);
  buffer.start(at(0));
  buffer.append(stream(0, 4000));
  buffer.acknowledge(at(3900));
  buffer.append(stream(4000, 1000));  // wraps
  std::vector<std::byte> segment(1460);
  // A full-size segment from stream offset 3950: 1050 bytes remain, copied across the wrap.
  EXPECT_EQ(buffer.copy_out(at(3950), segment), 1050u);
  segment.resize(1050);
  EXPECT_EQ(segment, stream(3950, 1050));
  std::vector<std::byte> small(10);
  EXPECT_EQ(buffer.copy_out(at(4090), small), 10u);
  EXPECT_EQ(small, stream(4090, 10));
}

TEST(SendBufferTest, AcknowledgeFreesOnlyNewlyAcknowledgedBytes) {
  SendBuffer buffer(8192);
  buffer.start(at(0));
  buffer.append(stream(0, 1000));
  buffer.acknowledge(at(384));  // crosses 2^32: 0xffffff00 + 384 = 0x80
  EXPECT_EQ(buffer.begin_seq(), SeqNum{0x80});
  EXPECT_EQ(buffer.size(), 616u);
  EXPECT_EQ(buffer.free_space(), 8192u - 616u);
  buffer.acknowledge(at(100));  // old acknowledgment: nothing changes
  buffer.acknowledge(at(384));  // duplicate acknowledgment: nothing changes
  EXPECT_EQ(buffer.begin_seq(), at(384));
  EXPECT_EQ(buffer.size(), 616u);
  EXPECT_EQ(joined(buffer.peek(at(384), 616)), stream(384, 616));
}

TEST(SendBufferTest, AcknowledgmentBeyondTheDataFreesEverything) {
  SendBuffer buffer(8192);
  buffer.start(at(0));
  buffer.append(stream(0, 500));
  buffer.acknowledge(at(501));  // our FIN occupies sequence number 500
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.begin_seq(), at(500));
  EXPECT_EQ(buffer.end_seq(), at(500));
}

TEST(SendBufferTest, CapacityNeverDropsBelowTheBytesHeld) {
  SendBuffer buffer(8192);
  buffer.start(at(0));
  buffer.append(stream(0, 3000));
  buffer.set_capacity(1000);
  EXPECT_EQ(buffer.capacity(), 3000u);
  EXPECT_EQ(buffer.append(stream(3000, 1)), 0u);
  buffer.set_capacity(100000);
  EXPECT_EQ(buffer.capacity(), 100000u);
  EXPECT_EQ(buffer.append(stream(3000, 50000)), 50000u);
  EXPECT_EQ(buffer.storage_size(), 65536u);
  EXPECT_EQ(joined(buffer.peek(at(0), 53000)), stream(0, 53000));
}

TEST(SendBufferTest, ReleasesStorageOnlyWhenEmpty) {
  SendBuffer buffer(65536);
  buffer.start(at(0));
  EXPECT_FALSE(buffer.release_if_empty());  // nothing allocated yet
  buffer.append(stream(0, 5000));
  EXPECT_FALSE(buffer.release_if_empty());
  EXPECT_EQ(buffer.storage_size(), 8192u);
  buffer.acknowledge(at(5000));
  EXPECT_EQ(buffer.storage_size(), 8192u);  // kept while the connection is busy
  EXPECT_TRUE(buffer.release_if_empty());
  EXPECT_EQ(buffer.storage_size(), 0u);
  // Usable again afterwards, from where it stopped.
  EXPECT_EQ(buffer.append(stream(5000, 100)), 100u);
  EXPECT_EQ(buffer.storage_size(), 4096u);
  EXPECT_EQ(joined(buffer.peek(at(5000), 100)), stream(5000, 100));
}

TEST(SendBufferTest, LongStreamThroughASmallRing) {
  // Many laps around a ring that never grows: append and acknowledge in uneven steps.
  SendBuffer buffer(3000);
  buffer.start(at(0));
  std::size_t written = 0;
  std::size_t acked = 0;
  for (int round = 0; round < 200; ++round) {
    written += buffer.append(stream(written, 1234));
    ASSERT_EQ(joined(buffer.peek(at(static_cast<std::uint32_t>(acked)), 3000)),
              stream(acked, written - acked));
    acked += 977;
    if (acked > written) acked = written;
    buffer.acknowledge(at(static_cast<std::uint32_t>(acked)));
  }
  EXPECT_EQ(buffer.storage_size(), 3000u);
  EXPECT_EQ(buffer.end_seq(), at(static_cast<std::uint32_t>(written)));
}

}  // namespace
}  // namespace tapstack
