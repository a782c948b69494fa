// libFuzzer target: arbitrary frames, with time steps, into a stack that has listeners and an
// established connection (fuzz_network.hpp). Whatever arrives, the stack must not crash, trip
// a sanitizer, or grow without bound; its output is drained and discarded.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_frames.hpp"
#include "fuzz_network.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tapstack;
  fuzz::FuzzNetwork world;
  std::vector<std::byte> scratch;
  const auto input = std::as_bytes(std::span{data, size});
  for (const fuzz::FrameRecord& record : fuzz::parse_records(input)) {
    wire::Bytes frame = record.frame;
    if ((record.flags & fuzz::kFixChecksums) != 0) {
      scratch.assign(record.frame.begin(), record.frame.end());
      fuzz::fix_checksums(scratch);
      frame = scratch;
    }
    world.net().inject_into_b(frame);
    world.serve_b();
    world.net().skip(std::chrono::milliseconds(record.time_step_ms));
    while (world.net().b().pop_tx()) {
    }
  }
  // Let every timer run out: retransmissions, TIME-WAIT, reassembly, ARP.
  world.net().skip(std::chrono::minutes(10));
  while (world.net().b().pop_tx()) {
  }
  return 0;
}
