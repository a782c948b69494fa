// Dispatch from CongestionController to the algorithm it holds. See congestion_control.hpp.
#include "stack/tcp/congestion/congestion_control.hpp"

namespace tapstack {
namespace {

std::variant<NewReno, Cubic> make_algorithm(CongestionAlgorithm algorithm, std::uint32_t smss,
                                            Instant now) {
  switch (algorithm) {
    case CongestionAlgorithm::newreno:
      return NewReno(smss, now);
    case CongestionAlgorithm::cubic:
      return Cubic(smss, now);
  }
  return Cubic(smss, now);  // unreachable for a valid enum value
}

}  // namespace

std::optional<CongestionAlgorithm> parse_congestion_algorithm(std::string_view name) {
  if (name == "newreno" || name == "reno") return CongestionAlgorithm::newreno;
  if (name == "cubic") return CongestionAlgorithm::cubic;
  return std::nullopt;
}

std::string_view to_string(CongestionAlgorithm algorithm) {
  switch (algorithm) {
    case CongestionAlgorithm::newreno:
      return "newreno";
    case CongestionAlgorithm::cubic:
      return "cubic";
  }
  return "unknown";
}

CongestionController::CongestionController(CongestionAlgorithm algorithm, std::uint32_t smss,
                                           Instant now)
    : algorithm_(make_algorithm(algorithm, smss, now)) {}

CongestionAlgorithm CongestionController::algorithm() const {
  return std::holds_alternative<NewReno>(algorithm_) ? CongestionAlgorithm::newreno
                                                     : CongestionAlgorithm::cubic;
}

void CongestionController::on_ack(const AckSample& ack) {
  std::visit([&](auto& a) { a.on_ack(ack); }, algorithm_);
}

void CongestionController::on_congestion_event(Instant now, std::uint32_t bytes_in_flight) {
  std::visit([&](auto& a) { a.on_congestion_event(now, bytes_in_flight); }, algorithm_);
}

void CongestionController::on_recovery_exit(Instant now) {
  std::visit([&](auto& a) { a.on_recovery_exit(now); }, algorithm_);
}

void CongestionController::on_rto(Instant now, std::uint32_t bytes_in_flight) {
  std::visit([&](auto& a) { a.on_rto(now, bytes_in_flight); }, algorithm_);
}

void CongestionController::set_smss(std::uint32_t smss) {
  std::visit([&](auto& a) { a.set_smss(smss); }, algorithm_);
}

std::uint32_t CongestionController::cwnd() const {
  return std::visit([](const auto& a) { return a.cwnd(); }, algorithm_);
}

std::uint32_t CongestionController::ssthresh() const {
  return std::visit([](const auto& a) { return a.ssthresh(); }, algorithm_);
}

bool CongestionController::in_slow_start() const {
  return std::visit([](const auto& a) { return a.in_slow_start(); }, algorithm_);
}

std::optional<CubicInfo> CongestionController::cubic_info() const {
  if (const auto* cubic = std::get_if<Cubic>(&algorithm_)) return cubic->info();
  return std::nullopt;
}

}  // namespace tapstack
