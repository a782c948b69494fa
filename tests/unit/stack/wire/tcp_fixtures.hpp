// TCP and UDP frames captured from the Linux kernel (6.18, Debian 12 userland) with tcpdump on a
// veth pair between two scratch namespaces, checksum offload off on both ends (ethtool -K rx/tx
// off) so every checksum on the wire is real. 10.9.0.1 ran
//   bash -c 'exec 3<>/dev/tcp/10.9.0.2/80; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3'
// against `python3 -m http.server 80` on 10.9.0.2 serving "hello tapstack\n", then
//   printf "tapstack udp\n" > /dev/udp/10.9.0.2/9999
// Frames decoded with scapy (rdpcap); written as Ethernet | IPv4 | TCP header | options | data.
#pragma once

namespace tapstack::test::fixtures {

// Client SYN 60114 -> 80, seq 603462791, window 64240; options
// MSS 1460, SACK-permitted + timestamps (TSval 197413054, TSecr 0), NOP, window scale 10.
inline constexpr const char* kTcpSyn =
    "7e3e27044c28 4a695edd5206 0800"
    "4500 003c 91cd 4000 4006 94da 0a090001 0a090002"
    "ead2 0050 23f81c87 00000000 a0 02 faf0 b8d3 0000"
    "020405b4 0402080a 0bc448be 00000000 0103030a";

// Server SYN-ACK 80 -> 60114, seq 1421658904, ack 603462792, window 65160; options
// MSS 1460, SACK-permitted + timestamps (TSval 2684797, TSecr 197413054), NOP, window scale 10.
inline constexpr const char* kTcpSynAck =
    "4a695edd5206 7e3e27044c28 0800"
    "4500 003c 0000 4000 4006 26a8 0a090002 0a090001"
    "0050 ead2 54bccb18 23f81c88 a0 12 fe88 9daf 0000"
    "020405b4 0402080a 0028f77d 0bc448be 0103030a";

// Server data PSH|ACK 80 -> 60114, seq 1421659090, ack 603462810, window 64; options
// NOP, NOP, timestamps (TSval 2684803, TSecr 197413061); 15 data bytes "hello tapstack\n".
inline constexpr const char* kTcpData =
    "4a695edd5206 7e3e27044c28 0800"
    "4500 0043 3a7a 4000 4006 ec26 0a090002 0a090001"
    "0050 ead2 54bccbd2 23f81c9a 80 18 0040 bf44 0000"
    "0101080a 0028f783 0bc448c5"
    "68656c6c6f20746170737461636b0a";

// UDP 50199 -> 9999, length 21, checksum 0xb501; 13 data bytes "tapstack udp\n".
inline constexpr const char* kUdpDatagram =
    "7e3e27044c28 4a695edd5206 0800"
    "4500 0029 40e8 4000 4011 e5c7 0a090001 0a090002"
    "c417 270f 0015 b501"
    "746170737461636b207564700a";

// The SACK frames below: a scapy script in the client namespace spoke TCP from 10.9.0.3 (an
// address the client kernel does not own, so it stays silent) to a Linux listener on
// 10.9.0.2:80, completed the handshake and sent 100-byte segments at offsets 200, 400, 600, 800
// past snd_nxt, leaving holes; Linux answered each with a duplicate ACK listing the newest
// block first (RFC 2018 §4).

// With timestamps: ACK 80 -> 41000, seq 3994020477, ack 5001, window 64; NOP, NOP, timestamps
// (TSval 1555804092, TSecr 1001), NOP, NOP, SACK [5801,5901) [5601,5701) [5401,5501): the fourth
// block [5201,5301) does not fit beside the timestamps in 40 bytes.
inline constexpr const char* kTcpSackWithTimestamps =
    "f6878375a4ac de1a5dc1c76d 0800"
    "4500 0050 91d5 4000 4006 94bc 0a090002 0a090003"
    "0050 a028 ee0fea7d 00001389 f0 10 0040 cacc 0000"
    "0101080a 5cbbafbc 000003e9"
    "0101051a 000016a9 0000170d 000015e1 00001645 00001519 0000157d";

// Without timestamps (the client's SYN carried none): the SYN-ACK 80 -> 41001, seq 2892206630,
// ack 5001, window 64240; MSS 1460, NOP, NOP, SACK-permitted, NOP, window scale 10.
inline constexpr const char* kTcpSynAckNoTimestamps =
    "f6878375a4ac de1a5dc1c76d 0800"
    "4500 0034 0000 4000 4006 26ae 0a090002 0a090003"
    "0050 a029 ac639226 00001389 80 12 faf0 6d6a 0000"
    "020405b4 01010402 0103030a";

// ... and the last duplicate ACK 80 -> 41001, seq 2892206631, ack 5001, window 63; NOP, NOP,
// SACK with all four blocks [5801,5901) [5601,5701) [5401,5501) [5201,5301).
inline constexpr const char* kTcpSackFourBlocks =
    "f6878375a4ac de1a5dc1c76d 0800"
    "4500 004c 8e76 4000 4006 981f 0a090002 0a090003"
    "0050 a029 ac639227 00001389 e0 10 003f 6531 0000"
    "01010522 000016a9 0000170d 000015e1 00001645 00001519 0000157d 00001451 000014b5";

}  // namespace tapstack::test::fixtures
