#include "stack/wire/tcp.hpp"

#include <algorithm>
#include <cassert>

#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv4.hpp"

namespace tapstack::wire {

namespace {

// Option kinds (IANA "TCP Option Kind Numbers").
constexpr std::uint8_t kEndOfOptions = 0;
constexpr std::uint8_t kNop = 1;
constexpr std::uint8_t kMss = 2;
constexpr std::uint8_t kWindowScale = 3;
constexpr std::uint8_t kSackPermitted = 4;
constexpr std::uint8_t kSack = 5;
constexpr std::uint8_t kTimestamps = 8;

constexpr std::size_t kSackBlockSize = 8;
[[maybe_unused]] constexpr std::uint8_t kMaxWindowScale = 14;  // RFC 7323 §2.3 (asserts)
constexpr auto kTcp = static_cast<std::uint8_t>(IpProtocol::tcp);

// Option sizes as emitted, NOP padding included.
constexpr std::size_t kMssSize = 4;
constexpr std::size_t kTimestampsSize = 12;    // NOP,NOP or SACK-permitted, then 10 bytes
constexpr std::size_t kSackPermittedSize = 4;  // NOP,NOP,4,2
constexpr std::size_t kWindowScaleSize = 4;    // NOP,3,3,shift
constexpr std::size_t kSackHeaderSize = 4;     // NOP,NOP,5,length

// Bytes of every option but the SACK blocks.
std::size_t size_without_sack(const TcpOptions& o) {
  std::size_t size = o.mss ? kMssSize : 0;
  if (o.timestamps) {
    size += kTimestampsSize;
  } else if (o.sack_permitted) {
    size += kSackPermittedSize;
  }
  if (o.window_scale) size += kWindowScaleSize;
  return size;
}

// Stores one option the stack knows; `value` is the option's bytes after kind and length.
// A wrong length means the sender is broken: like Linux, ignore the option and carry on.
void parse_option(std::uint8_t kind, Bytes value, TcpOptions& options) {
  switch (kind) {
    case kMss:
      if (value.size() == 2) options.mss = load16(value, 0);
      break;
    case kWindowScale:
      if (value.size() == 1) options.window_scale = load8(value, 0);
      break;
    case kSackPermitted:
      if (value.empty()) options.sack_permitted = true;
      break;
    case kTimestamps:
      if (value.size() == 8) options.timestamps = TcpTimestamps{load32(value, 0), load32(value, 4)};
      break;
    case kSack: {
      if (value.empty() || value.size() % kSackBlockSize != 0) break;
      // 40 option bytes hold at most 4 blocks; keep the first 4 should a header claim more.
      const std::size_t count = std::min(value.size() / kSackBlockSize, TcpOptions::kMaxSackBlocks);
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t at = i * kSackBlockSize;
        options.sack_blocks[i] =
            SackBlock{SeqNum{load32(value, at)}, SeqNum{load32(value, at + 4)}};
      }
      options.sack_count = static_cast<std::uint8_t>(count);
      break;
    }
    default:
      break;  // RFC 9293 §3.1 (MUST-64): ignore options we do not implement
  }
}

// Writes the 4-byte word a,b,c,d at `at` and returns the offset after it.
std::size_t store_word(MutableBytes out, std::size_t at, std::uint8_t a, std::uint8_t b,
                       std::uint8_t c, std::uint8_t d) {
  store8(out, at, a);
  store8(out, at + 1, b);
  store8(out, at + 2, c);
  store8(out, at + 3, d);
  return at + 4;
}

}  // namespace

std::uint8_t TcpOptions::emitted_sack_count() const {
  assert(sack_count <= kMaxSackBlocks);
  const std::size_t room = kMaxSize - size_without_sack(*this);
  const std::size_t fit = room < kSackHeaderSize ? 0 : (room - kSackHeaderSize) / kSackBlockSize;
  return static_cast<std::uint8_t>(std::min<std::size_t>(sack_count, fit));
}

std::size_t TcpOptions::emitted_size() const {
  const std::size_t blocks = emitted_sack_count();
  const std::size_t sack = blocks == 0 ? 0 : kSackHeaderSize + blocks * kSackBlockSize;
  return size_without_sack(*this) + sack;
}

void TcpOptions::emit(MutableBytes out) const {
  assert(out.size() >= emitted_size());
  std::size_t at = 0;
  if (mss) {
    store8(out, 0, kMss);
    store8(out, 1, 4);
    store16(out, 2, *mss);
    at = kMssSize;
  }
  if (timestamps) {
    // Linux folds SACK-permitted into the two bytes of padding in front of the timestamps.
    at = sack_permitted ? store_word(out, at, kSackPermitted, 2, kTimestamps, 10)
                        : store_word(out, at, kNop, kNop, kTimestamps, 10);
    store32(out, at, timestamps->value);
    store32(out, at + 4, timestamps->echo_reply);
    at += 8;
  } else if (sack_permitted) {
    at = store_word(out, at, kNop, kNop, kSackPermitted, 2);
  }
  if (window_scale) {
    assert(*window_scale <= kMaxWindowScale);
    at = store_word(out, at, kNop, kWindowScale, 3, *window_scale);
  }
  const std::uint8_t blocks = emitted_sack_count();
  if (blocks != 0) {
    const auto length = static_cast<std::uint8_t>(2 + blocks * kSackBlockSize);
    at = store_word(out, at, kNop, kNop, kSack, length);
    for (std::size_t i = 0; i < blocks; ++i) {
      store32(out, at, sack_blocks[i].left.value());
      store32(out, at + 4, sack_blocks[i].right.value());
      at += kSackBlockSize;
    }
  }
  assert(at == emitted_size());
}

Result<TcpView, TcpError> TcpView::check(Bytes segment, Ipv4Addr src, Ipv4Addr dst,
                                         bool verify_checksum) {
  if (segment.size() < kMinHeaderSize) return unexpected(TcpError::truncated);
  const std::size_t data_offset = (std::size_t{load8(segment, 12)} >> 4) * 4;
  if (data_offset < kMinHeaderSize || data_offset > segment.size()) {
    return unexpected(TcpError::bad_data_offset);
  }
  if (verify_checksum) {
    // RFC 9293 §3.1: the checksum covers the pseudo-header, the header and the data. The
    // IPv4 layer bounds the segment by its 16-bit total length, so the cast is exact.
    assert(segment.size() <= 0xffff);
    Checksum sum;
    add_pseudo_header(sum, src, dst, kTcp, static_cast<std::uint16_t>(segment.size()));
    sum.add(segment);
    if (sum.finish() != 0) return unexpected(TcpError::bad_checksum);
  }
  return TcpView{segment};
}

Result<TcpOptions, TcpError> TcpView::options() const {
  const Bytes bytes = options_bytes();
  TcpOptions options;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::uint8_t kind = load8(bytes, at);
    if (kind == kEndOfOptions) break;  // the rest of the header is padding
    if (kind == kNop) {
      ++at;
      continue;
    }
    // RFC 9293 §3.1 (MUST-7): an illegal length (below 2, or past the header) cannot be
    // skipped safely, so the whole segment is suspect.
    if (at + 1 >= bytes.size()) return unexpected(TcpError::bad_options);
    const std::size_t length = load8(bytes, at + 1);
    if (length < 2 || length > bytes.size() - at) return unexpected(TcpError::bad_options);
    parse_option(kind, bytes.subspan(at + 2, length - 2), options);
    at += length;
  }
  return options;
}

std::size_t TcpHeader::size() const {
  return TcpView::kMinHeaderSize + options.emitted_size();
}

void TcpHeader::emit(MutableBytes out) const {
  const std::size_t header_size = size();
  assert(out.size() >= header_size);
  store16(out, 0, source_port);
  store16(out, 2, destination_port);
  store32(out, 4, seq.value());
  store32(out, 8, ack.value());
  store8(out, 12, static_cast<std::uint8_t>((header_size / 4) << 4));
  store8(out, 13, flags);
  store16(out, 14, window);
  store16(out, 16, 0);
  store16(out, 18, urgent_pointer);
  options.emit(out.subspan(TcpView::kMinHeaderSize, header_size - TcpView::kMinHeaderSize));
}

void TcpHeader::emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst,
                     std::span<const Bytes> payload) const {
  emit(out);
  const std::size_t header_size = size();
  std::size_t length = header_size;
  for (const Bytes part : payload) length += part.size();
  assert(length <= 0xffff);
  Checksum sum;
  add_pseudo_header(sum, src, dst, kTcp, static_cast<std::uint16_t>(length));
  // The header has even size, so it may go first (Checksum::add's precondition).
  sum.add(out.first(header_size));
  for (const Bytes part : payload) sum.add(part);
  store16(out, 16, sum.finish());
}

}  // namespace tapstack::wire
