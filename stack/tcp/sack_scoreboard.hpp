// The sender's SACK scoreboard: which bytes in [SND.UNA, SND.NXT) the peer reported holding
// (RFC 2018 §5), and the RFC 6675 §4 routines loss recovery asks of it: IsLost, NextSeg rule 1
// and SetPipe. D-SACK blocks (RFC 2883 §4) are recognised and not recorded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stack/tcp/seq_num.hpp"
#include "stack/tcp/seq_range.hpp"

namespace tapstack {

// Keeps SACKed bytes as sorted, disjoint, non-touching ranges, and computes everything per range,
// never per byte or per segment. The number of ranges is bounded (kMaxRanges): beyond it the
// highest range is forgotten, which only makes the sender retransmit or count conservatively.
// Not thread-safe; owned by its connection.
class SackScoreboard {
 public:
  static constexpr std::size_t kMaxRanges = 64;
  // RFC 6675 §2 DupThresh.
  static constexpr std::uint32_t kDupThresh = 3;

  // Forgets everything: a new connection, or RFC 6675 §5.1 after a retransmission timeout.
  void reset();

  struct Update {
    std::uint32_t newly_sacked = 0;  // growth of sacked_bytes() from this ACK's blocks
    bool dsack = false;              // the first block was a D-SACK (RFC 2883 §4)
    std::uint32_t discarded = 0;     // invalid blocks ignored (Linux's TCPSACKDiscard)
  };
  // Applies the SACK blocks of one ACK. `snd_una` is the cumulative acknowledgment after this
  // ACK; ranges below it are dropped. A first block below `snd_una` or inside the second block
  // is a D-SACK (RFC 2883 §4) and is not recorded. Other blocks must have begin < end <= snd_nxt,
  // or they are ignored (as Linux does); their part below snd_una adds nothing.
  Update on_ack(SeqNum snd_una, SeqNum snd_nxt, std::span<const SeqRange> blocks);

  bool is_sacked(SeqNum seq) const;
  std::uint32_t sacked_bytes() const { return sacked_bytes_; }
  // One past the highest SACKed byte (the right edge of the highest block), if any.
  std::optional<SeqNum> highest_sacked() const;
  // The SACKed ranges, ascending (tests, diagnostics).
  std::span<const SeqRange> ranges() const { return ranges_; }

  // RFC 6675 §4 IsLost(seq): true when DupThresh discontiguous SACKed ranges, or more than
  // (DupThresh - 1) * SMSS SACKed bytes, lie above `seq`. Ranges stand for the RFC's "sequences":
  // several contiguous small segments count once, which errs towards not declaring a loss.
  bool is_lost(SeqNum seq, std::uint32_t smss) const;

  // RFC 6675 §4 NextSeg() rule 1: the first unSACKed bytes at or after `from` and below
  // highest_sacked() for which IsLost holds; at most `smss` bytes and never into a SACKed range.
  // The caller passes from = max(SND.UNA, HighRxt) (rule 1.a). Because IsLost only weakens going
  // up, when the first hole is not lost no later one is.
  std::optional<SeqRange> next_lost_range(SeqNum from, std::uint32_t smss) const;

  // RFC 6675 §4 SetPipe(): for every unSACKed byte in [snd_una, snd_nxt), one if IsLost is false
  // (still in the network) plus one if it is below `high_rxt` (retransmitted: that copy is in the
  // network too). `high_rxt` is one past the highest retransmitted byte (snd_una if none).
  std::uint32_t pipe(SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt, std::uint32_t smss) const;

 private:
  // RFC 2883 §4: is the first block a D-SACK?
  static bool is_dsack(SeqNum snd_una, std::span<const SeqRange> blocks);
  // Drops SACK information below `snd_una` (now cumulatively acknowledged).
  void drop_below(SeqNum snd_una);
  // Adds one valid block, joining the ranges it touches; enforces kMaxRanges.
  void add(const SeqRange& block);
  // True when `ranges_above` ranges holding `bytes_above` bytes lie above a byte (IsLost).
  static bool lost_given(std::size_t ranges_above, std::uint64_t bytes_above, std::uint32_t smss);

  std::vector<SeqRange> ranges_;  // ascending, disjoint, not touching, all at or above SND.UNA
  std::uint32_t sacked_bytes_ = 0;
};

}  // namespace tapstack
