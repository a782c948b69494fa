// Named counters for every packet the stack drops, and for the main events it handles
// (DESIGN.md §2.9). Tests assert on them; the daemon prints them (later `tapstackctl stats`).
// One list, one name per counter: the name is what operators see, so keep it stable.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tapstack {

// clang-format off
#define TAPSTACK_COUNTERS(X)                                                                   \
  /* Ethernet */                                                                               \
  X(eth_rx_frames)            X(eth_tx_frames)                                                 \
  X(eth_drop_truncated)       X(eth_drop_not_for_us)        X(eth_drop_unknown_ethertype)      \
  X(eth_tx_drop_no_buffer)    X(eth_tx_drop_queue_full)                                        \
  /* ARP */                                                                                    \
  X(arp_rx_requests)          X(arp_rx_replies)             X(arp_tx_requests)                 \
  X(arp_tx_replies)           X(arp_tx_gratuitous)                                             \
  X(arp_drop_truncated)       X(arp_drop_unsupported)       X(arp_drop_bad_sender)             \
  X(arp_drop_not_for_us)      X(arp_resolution_failed)                                         \
  X(arp_pending_overflow)     X(arp_pending_dropped_unresolved)                                \
  X(arp_table_full)           X(arp_address_conflict)                                          \
  /* IPv4 */                                                                                   \
  X(ipv4_rx_packets)          X(ipv4_rx_delivered)          X(ipv4_tx_packets)                 \
  X(ipv4_drop_truncated)      X(ipv4_drop_bad_version)      X(ipv4_drop_bad_ihl)               \
  X(ipv4_drop_bad_total_length) X(ipv4_drop_bad_checksum)   X(ipv4_drop_bad_source)            \
  X(ipv4_drop_not_for_us)     X(ipv4_drop_ttl_expired)      X(ipv4_drop_unknown_protocol)      \
  X(ipv4_drop_no_route)       X(ipv4_tx_drop_too_big)       X(ipv4_tx_fragmented)              \
  X(ipv4_tx_fragments)        X(ipv4_tx_loopback)           X(ipv4_drop_bad_options)           \
  /* offloads: packets the device segments (TSO), received with checksums it vouched for */  \
  X(ipv4_tx_gso_packets)      X(ipv4_rx_checksum_offloaded)                                    \
  X(ipv4_address_added)       X(ipv4_address_removed)                                          \
  /* IPv4 reassembly (RFC 791 §3.2, RFC 815) */                                                \
  X(ipv4_frag_rx_fragments)   X(ipv4_frag_reassembled)      X(ipv4_frag_drop_timeout)          \
  X(ipv4_frag_drop_memory_cap) X(ipv4_frag_drop_bad_fragment) X(ipv4_frag_drop_overlap)        \
  X(ipv4_frag_drop_too_big)   X(ipv4_frag_duplicates)                                          \
  /* ICMP */                                                                                   \
  X(icmp_rx_messages)         X(icmp_tx_messages)           X(icmp_rx_echo_requests)           \
  X(icmp_tx_echo_replies)     X(icmp_tx_dest_unreachable)   X(icmp_rx_dest_unreachable)        \
  X(icmp_drop_truncated)      X(icmp_drop_bad_checksum)     X(icmp_drop_unsupported_type)      \
  X(icmp_tx_rate_limited)                                                                      \
  /* TCP (nstat names in comments where they differ) */                                        \
  X(tcp_active_opens)         X(tcp_passive_opens)          X(tcp_attempt_fails)               \
  X(tcp_estab_resets)         X(tcp_rx_segments)            X(tcp_tx_segments)                 \
  X(tcp_rx_data_segments)     X(tcp_rx_out_of_order)        X(tcp_rx_duplicate_data)           \
  X(tcp_rx_dup_acks)          X(tcp_rx_dsack)               X(tcp_rx_resets)                   \
  X(tcp_rx_no_socket)         X(tcp_tx_resets)              X(tcp_tx_reset_on_close)           \
  X(tcp_retransmitted_segments) X(tcp_retransmit_timeouts)  X(tcp_fast_retransmits)            \
  X(tcp_timeouts_fatal)       X(tcp_window_probes)          X(tcp_delayed_acks)                \
  X(tcp_keepalive_probes)     X(tcp_keepalive_timeouts)     X(tcp_time_wait_reused)            \
  X(tcp_challenge_acks)       X(tcp_challenge_ack_limited)  X(tcp_challenge_rst)               \
  X(tcp_challenge_syn)        X(tcp_listen_overflow)        X(tcp_syn_queue_overflow)          \
  X(tcp_syncookies_sent)      X(tcp_syncookies_received)    X(tcp_syncookies_failed)           \
  X(tcp_drop_truncated)       X(tcp_drop_bad_data_offset)   X(tcp_drop_bad_checksum)           \
  X(tcp_drop_bad_options)     X(tcp_drop_broadcast)         X(tcp_drop_paws)                   \
  X(tcp_drop_out_of_window)   X(tcp_drop_no_ack)            X(tcp_drop_bad_ack)                \
  X(tcp_drop_ack_unsent)      X(tcp_drop_old_ack)           X(tcp_drop_ooo_ranges)         \
  X(tcp_drop_listen_bad_flags) X(tcp_invalid_ack_limited)    X(tcp_sack_discarded)             \
  /* received as a UDP segmentation offload (USO) packet: no TCP segment */                   \
  X(tcp_drop_bad_gso)                                                                          \
  /* connections reset because their local address was removed (issue 9) */                  \
  X(tcp_reset_address_removed)                                                                 \
  /* UDP (nstat: InDatagrams, OutDatagrams, NoPorts, IgnoredMulti, RcvbufErrors, */           \
  /* InCsumErrors, SndbufErrors; connection_refused: connected sockets told ECONNREFUSED) */   \
  X(udp_rx_datagrams)         X(udp_tx_datagrams)           X(udp_rx_no_port)                  \
  X(udp_rx_ignored_broadcast) X(udp_drop_receive_queue_full) X(udp_drop_bad_checksum)         \
  X(udp_drop_truncated)       X(udp_drop_bad_length)        X(udp_tx_drop_no_buffer)           \
  X(udp_connection_refused)                                                                    \
  /* UDP segmentation offload (USO): datagrams cut from the host's super-datagrams, and */     \
  /* super-datagrams dropped for a TCP GSO type or a zero segment size */                      \
  X(udp_rx_gso_segments)      X(udp_drop_bad_gso)
// clang-format on

enum class Counter : std::uint16_t {
#define TAPSTACK_COUNTER_ENUM(name) name,
  TAPSTACK_COUNTERS(TAPSTACK_COUNTER_ENUM)
#undef TAPSTACK_COUNTER_ENUM
};

inline constexpr std::size_t kCounterCount = []() {
  std::size_t n = 0;
#define TAPSTACK_COUNTER_ONE(name) ++n;
  TAPSTACK_COUNTERS(TAPSTACK_COUNTER_ONE)
#undef TAPSTACK_COUNTER_ONE
  return n;
}();

inline constexpr std::array<std::string_view, kCounterCount> kCounterNames = {
#define TAPSTACK_COUNTER_NAME(name) std::string_view{#name},
    TAPSTACK_COUNTERS(TAPSTACK_COUNTER_NAME)
#undef TAPSTACK_COUNTER_NAME
};

inline constexpr std::string_view counter_name(Counter c) {
  return kCounterNames[static_cast<std::size_t>(c)];
}

// One set of counters per Stack (no globals).
class Counters {
 public:
  void add(Counter c, std::uint64_t n = 1) { values_[static_cast<std::size_t>(c)] += n; }
  std::uint64_t get(Counter c) const { return values_[static_cast<std::size_t>(c)]; }
  const std::array<std::uint64_t, kCounterCount>& all() const { return values_; }

 private:
  std::array<std::uint64_t, kCounterCount> values_{};
};

}  // namespace tapstack
