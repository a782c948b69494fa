// RFC 6675 §4 scoreboard routines, RFC 2883 §4 D-SACK detection; see sack_scoreboard.hpp.
#include "stack/tcp/sack_scoreboard.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace tapstack {

void SackScoreboard::reset() {
  ranges_.clear();
  sacked_bytes_ = 0;
}

SackScoreboard::Update SackScoreboard::on_ack(SeqNum snd_una, SeqNum snd_nxt,
                                              std::span<const SeqRange> blocks) {
  Update update;
  drop_below(snd_una);
  const std::uint32_t before = sacked_bytes_;
  if (!blocks.empty() && is_dsack(snd_una, blocks)) {
    update.dsack = true;
    blocks = blocks.subspan(1);
  }
  for (const SeqRange& block : blocks) {
    // A block past SND.NXT reports data never sent: the whole block is suspect. A part below
    // SND.UNA is already acknowledged and adds nothing.
    if (block.empty() || snd_nxt < block.end) {
      ++update.discarded;
      continue;
    }
    const SeqRange fresh{seq_max(block.begin, snd_una), block.end};
    if (!fresh.empty()) add(fresh);
  }
  update.newly_sacked = sacked_bytes_ > before ? sacked_bytes_ - before : 0;
  return update;
}

bool SackScoreboard::is_sacked(SeqNum seq) const {
  for (const SeqRange& range : ranges_) {
    if (seq < range.begin) return false;
    if (range.contains(seq)) return true;
  }
  return false;
}

std::optional<SeqNum> SackScoreboard::highest_sacked() const {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.back().end;
}

bool SackScoreboard::is_lost(SeqNum seq, std::uint32_t smss) const {
  // Bytes "above seq" are those at seq + 1 and later.
  const SeqNum above = seq + 1;
  std::size_t ranges_above = 0;
  std::uint64_t bytes_above = 0;
  for (auto range = ranges_.rbegin(); range != ranges_.rend() && above < range->end; ++range) {
    ++ranges_above;
    bytes_above += seq_distance(seq_max(range->begin, above), range->end);
  }
  return lost_given(ranges_above, bytes_above, smss);
}

std::optional<SeqRange> SackScoreboard::next_lost_range(SeqNum from, std::uint32_t smss) const {
  assert(smss > 0);
  SeqNum cursor = from;
  for (const SeqRange& range : ranges_) {
    if (range.end <= cursor) continue;
    if (range.contains(cursor)) {
      cursor = range.end;  // ranges never touch, so the next one starts above cursor
      continue;
    }
    // [cursor, range.begin) is the first hole at or after `from`, and below highest_sacked().
    if (!is_lost(cursor, smss)) return std::nullopt;
    return SeqRange{cursor, seq_min(cursor + smss, range.begin)};
  }
  return std::nullopt;
}

std::uint32_t SackScoreboard::pipe(SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt,
                                   std::uint32_t smss) const {
  // Every unSACKed byte lies in a hole between two ranges, and all bytes of one hole have the
  // same ranges above them, so IsLost holds for a whole hole or for none of it. Walk the holes
  // from the top, accumulating what lies above.
  std::uint64_t pipe = 0;
  std::size_t ranges_above = 0;
  std::uint64_t bytes_above = 0;
  SeqNum hole_end = snd_nxt;
  for (std::size_t i = ranges_.size();; --i) {
    const SeqNum hole_begin = i == 0 ? snd_una : ranges_[i - 1].end;
    const SeqRange hole{seq_max(hole_begin, snd_una), seq_min(hole_end, snd_nxt)};
    if (!hole.empty()) {
      // RFC 6675 §4 SetPipe (a): not lost, so still in the network.
      if (!lost_given(ranges_above, bytes_above, smss)) pipe += hole.length();
      // (b): retransmitted, so the retransmission is in the network.
      const SeqRange retransmitted{hole.begin, seq_min(hole.end, high_rxt)};
      if (!retransmitted.empty()) pipe += retransmitted.length();
    }
    if (i == 0) break;
    ++ranges_above;
    bytes_above += ranges_[i - 1].length();
    hole_end = ranges_[i - 1].begin;
  }
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(pipe, std::numeric_limits<std::uint32_t>::max()));
}

bool SackScoreboard::is_dsack(SeqNum snd_una, std::span<const SeqRange> blocks) {
  const SeqRange& first = blocks[0];
  if (first.empty()) return false;
  // RFC 2883 §4: "the first SACK block ... covers data below the cumulative ACK" ...
  if (first.begin < snd_una) return true;
  // ... "or is a subset of the second block" (a duplicate of data held out of order).
  return blocks.size() > 1 && !blocks[1].empty() && blocks[1].begin <= first.begin &&
         first.end <= blocks[1].end;
}

void SackScoreboard::drop_below(SeqNum snd_una) {
  const auto kept =
      std::ranges::find_if(ranges_, [&](const SeqRange& range) { return snd_una < range.end; });
  for (auto range = ranges_.begin(); range != kept; ++range) sacked_bytes_ -= range->length();
  ranges_.erase(ranges_.begin(), kept);
  if (!ranges_.empty() && ranges_.front().begin < snd_una) {
    sacked_bytes_ -= seq_distance(ranges_.front().begin, snd_una);
    ranges_.front().begin = snd_una;
  }
}

void SackScoreboard::add(const SeqRange& block) {
  auto first = std::ranges::find_if(
      ranges_, [&](const SeqRange& range) { return block.begin <= range.end; });
  SeqRange joined = block;
  std::uint32_t already_sacked = 0;
  auto last = first;
  for (; last != ranges_.end() && last->begin <= block.end; ++last) {
    joined = SeqRange{seq_min(joined.begin, last->begin), seq_max(joined.end, last->end)};
    already_sacked += last->length();
  }
  ranges_.insert(ranges_.erase(first, last), joined);
  sacked_bytes_ += joined.length() - already_sacked;
  if (ranges_.size() > kMaxRanges) {
    // Forgetting the highest range is safe: at worst those bytes are resent or counted in pipe.
    sacked_bytes_ -= ranges_.back().length();
    ranges_.pop_back();
  }
}

bool SackScoreboard::lost_given(std::size_t ranges_above, std::uint64_t bytes_above,
                                std::uint32_t smss) {
  return ranges_above >= kDupThresh ||
         bytes_above > std::uint64_t{kDupThresh - 1} * std::uint64_t{smss};
}

}  // namespace tapstack
