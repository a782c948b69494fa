// libFuzzer target: arbitrary bytes as a control packet, an accept record and a datagram header
// (ipc/codec.hpp). Decoding must never crash, read out of bounds or allocate beyond the packet,
// and whatever decodes must encode back to exactly the same bytes: nothing is misread.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ipc/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ipc = tapstack::ipc;
  const auto bytes = std::as_bytes(std::span{data, size});
  if (const auto message = ipc::decode(bytes)) {
    const auto again = ipc::encode(*message);
    if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) std::abort();
  }
  if (const auto record = ipc::decode_accept_record(bytes)) {
    const auto again = ipc::encode(*record);
    if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) std::abort();
  }
  if (const auto header = ipc::decode_datagram_header(bytes)) {
    std::array<std::byte, ipc::kDatagramHeaderSize> again{};
    ipc::encode(*header, again);
    // Flags and the address of an error packet are canonical; a datagram's header too.
    if (!std::equal(again.begin(), again.end(), bytes.begin())) std::abort();
  }
  return 0;
}
