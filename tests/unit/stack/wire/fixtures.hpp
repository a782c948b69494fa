// Frames captured from the Linux kernel (tcpdump on a veth pair in a scratch namespace):
// 10.0.0.1 (02:00:00:00:00:01) pings 10.0.0.2 (02:00:00:00:00:02).
#pragma once

namespace tapstack::test::fixtures {

inline constexpr const char* kArpRequest =
    "ffffffffffff 020000000001 0806"
    "0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002";

inline constexpr const char* kArpReply =
    "020000000001 020000000002 0806"
    "0001 0800 06 04 0002 020000000002 0a000002 020000000001 0a000001";

// ping -c 1 -s 16: IPv4 id 0x55d4, DF, TTL 64, ICMP id 0x17c7 seq 1, 16 data bytes.
inline constexpr const char* kEchoRequest =
    "020000000002 020000000001 0800"
    "4500 002c 55d4 4000 4001 d0fa 0a000001 0a000002"
    "0800 7403 17c7 0001 a97a026b00000000 b74e090000000000";

// An IPv6 MLDv2 report: an EtherType this stack does not speak.
inline constexpr const char* kIpv6Mld =
    "333300000016 020000000001 86dd"
    "600000000024000100000000000000000000000000000000ff0200000000000000000000000000163a000502"
    "000001008f006f890000000104000000ff0200000000000000000001ff000001";

}  // namespace tapstack::test::fixtures
