// The congestion controller a TCP connection holds: one small interface over the algorithms
// (NewReno: RFC 5681/6582/3465/6928; CUBIC: RFC 9438 with HyStart++, RFC 9406), kept as value
// types in a std::variant. Pure: every time comes in as `now`.
//
// Calling contract (the connection's side):
// - on_ack() for each ACK that acknowledges new data outside loss recovery (RFC 6675 / RFC 6582
//   recovery is tracked by the connection, which does not call on_ack() until it ends).
// - on_congestion_event() once when fast recovery begins; on_recovery_exit() when the recovery
//   point is cumulatively acknowledged.
// - on_rto() when the retransmission timer expires with data outstanding.
// - set_smss() once the MSS is known.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "stack/base/time.hpp"
#include "stack/tcp/congestion/ack_sample.hpp"
#include "stack/tcp/congestion/cubic.hpp"
#include "stack/tcp/congestion/newreno.hpp"

namespace tapstack {

enum class CongestionAlgorithm { newreno, cubic };

// "newreno" (or "reno") and "cubic", as Linux names them; anything else is nullopt.
std::optional<CongestionAlgorithm> parse_congestion_algorithm(std::string_view name);
std::string_view to_string(CongestionAlgorithm algorithm);

class CongestionController {
 public:
  // Precondition: smss > 0. cwnd starts at the RFC 6928 initial window for smss.
  CongestionController(CongestionAlgorithm algorithm, std::uint32_t smss, Instant now);

  CongestionAlgorithm algorithm() const;
  std::string_view name() const { return to_string(algorithm()); }

  // An ACK of new data outside loss recovery: grows cwnd unless ack.app_limited.
  void on_ack(const AckSample& ack);
  // Entering fast recovery: ssthresh and cwnd reduced (NewReno: to max(flight/2, 2*SMSS);
  // CUBIC: to max(0.7*cwnd, 2*SMSS)). No "+3*SMSS" inflation: recovery is pipe-based (RFC 6675).
  void on_congestion_event(Instant now, std::uint32_t bytes_in_flight);
  // Full ACK of the recovery point: cwnd = ssthresh (RFC 6582 §3.2 step 3).
  void on_recovery_exit(Instant now);
  // RFC 5681 §3.1: ssthresh reduced as for a congestion event (held on a repeated timeout or
  // a timeout inside fast recovery), cwnd = the loss window, 1 SMSS.
  void on_rto(Instant now, std::uint32_t bytes_in_flight);
  // After MSS negotiation; recomputes the initial window if cwnd has not moved yet.
  // Precondition: smss > 0.
  void set_smss(std::uint32_t smss);

  std::uint32_t cwnd() const;
  std::uint32_t ssthresh() const;
  bool in_slow_start() const;
  // CUBIC's state for `ss -i`-style reporting; nullopt for NewReno.
  std::optional<CubicInfo> cubic_info() const;

 private:
  std::variant<NewReno, Cubic> algorithm_;
};

}  // namespace tapstack
